// skiff-storage-initializer URI DEST: KServe's storage initializer as Skiff's node runs it (the
// node agent maps the kserve/storage-initializer image here). A local directory or file is
// copied without starting Python, which is most of a scale-from-zero's time otherwise; every
// other URI (and local archives) goes to the Python program, which owns the remote schemes,
// unpacking and the node model cache. Messages match that program's.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "controllers/inferenceservice/storage_initializer.h"

namespace fs = std::filesystem;

namespace {

int Fail(const std::string& uri, const std::string& message) {
  std::fprintf(stderr, "storage-initializer: %s: %s\n", uri.c_str(), message.c_str());
  return 1;
}

bool EndsWith(const std::string& s, const char* suffix) {
  std::string x(suffix);
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

int RunPython(const std::string& uri, const std::string& dest) {
  const char* script = skiff::controllers::inferenceservice::StorageInitializerScript();
  execl("/usr/bin/python3", "python3", "-c", script, uri.c_str(), dest.c_str(),
        static_cast<char*>(nullptr));
  std::perror("storage-initializer: exec /usr/bin/python3");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: skiff-storage-initializer STORAGE_URI DEST_DIR\n");
    return 2;
  }
  std::string uri = argv[1], dest = argv[2];
  std::string path;
  if (uri.rfind("file://", 0) == 0) {
    path = uri.substr(7);
  } else if (uri.rfind("/", 0) == 0) {
    path = uri;
  } else {
    return RunPython(uri, dest);
  }
  std::error_code ec;
  fs::create_directories(dest, ec);
  if (ec) return Fail(uri, "cannot create " + dest + ": " + ec.message());
  fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st)) {
    fs::copy(path, dest,
             fs::copy_options::recursive | fs::copy_options::overwrite_existing |
                 fs::copy_options::copy_symlinks,
             ec);
  } else if (fs::is_regular_file(st)) {
    fs::copy_file(path, fs::path(dest) / fs::path(path).filename(),
                  fs::copy_options::overwrite_existing, ec);
  } else {
    return Fail(uri, path + " does not exist");
  }
  if (ec) return Fail(uri, "copying " + path + ": " + ec.message());
  size_t files = 0;
  for (fs::recursive_directory_iterator it(dest, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) ++files;
  }
  std::printf("storage-initializer: %s -> %s (%zu files)\n", uri.c_str(), dest.c_str(), files);
  return 0;
}

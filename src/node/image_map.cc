// Image mapping rules: user file first, then skiff/* images, Python/PyTorch images and a few
// shell base images; a command with an absolute path runs as written whatever the image.
#include "node/image_map.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/yaml.h"

namespace skiff::node {
namespace {

constexpr char kPython[] = "/usr/bin/python3";

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool IsExecutable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

bool IsPythonImage(const std::string& repo) {
  std::string last = Basename(repo);
  return last.rfind("python", 0) == 0 || last.find("torch") != std::string::npos ||
         last.find("jupyter") != std::string::npos || last.find("scikit") != std::string::npos;
}

bool IsShellImage(const std::string& repo) {
  std::string last = Basename(repo);
  return last == "busybox" || last == "alpine" || last == "ubuntu" || last == "debian" ||
         last == "bash" || last == "centos" || last == "fedora";
}

}  // namespace

std::string ImageRepository(const std::string& image) {
  std::string s = image.substr(0, image.find('@'));
  size_t slash = s.rfind('/');
  size_t colon = s.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    s = s.substr(0, colon);
  }
  for (const char* prefix : {"docker.io/library/", "index.docker.io/library/", "docker.io/",
                             "index.docker.io/", "library/"}) {
    if (s.rfind(prefix, 0) == 0) {
      s = s.substr(std::char_traits<char>::length(prefix));
      break;
    }
  }
  return s;
}

ImageMap::ImageMap(ImageMapOptions options) : options_(std::move(options)) {}

StatusOr<std::map<std::string, std::vector<std::string>>> ImageMap::ParseMapping(
    const std::string& text) {
  SKIFF_ASSIGN_OR_RETURN(Json doc, api::ParseYamlOrJson(text));
  if (doc.is_object() && doc.contains("images") && doc["images"].is_object()) {
    doc = doc["images"];
  }
  if (!doc.is_object()) return InvalidArgument("image map: expected a mapping of image: program");
  std::map<std::string, std::vector<std::string>> out;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    std::vector<std::string> argv;
    if (it->is_string()) {
      argv.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const auto& a : *it) {
        if (!a.is_string()) return InvalidArgument("image map: " + it.key() + ": not a string");
        argv.push_back(a.get<std::string>());
      }
    }
    if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
      return InvalidArgument("image map: " + it.key() +
                             ": expected an absolute program path or a list starting with one");
    }
    out[it.key()] = std::move(argv);
  }
  return out;
}

Status ImageMap::Reload() {
  if (options_.mapping_file.empty()) return Status();
  struct stat st;
  if (stat(options_.mapping_file.c_str(), &st) != 0) {
    load_error_ = FailedPrecondition("image map file " + options_.mapping_file + " not found");
    return load_error_;
  }
  int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime == loaded_mtime_) return load_error_;
  loaded_mtime_ = mtime;
  std::ifstream in(options_.mapping_file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = ParseMapping(ss.str());
  if (!parsed.ok()) {
    load_error_ = FailedPrecondition(options_.mapping_file + ": " + parsed.status().message());
    return load_error_;
  }
  user_ = std::move(*parsed);
  load_error_ = Status();
  return Status();
}

std::vector<std::string> ImageMap::Lookup(const std::string& image) const {
  std::string repo = ImageRepository(image);
  for (const std::string& key : {image, repo}) {
    auto it = user_.find(key);
    if (it != user_.end()) return it->second;
  }
  // "org/*" matches every image under org/; the longest prefix wins.
  std::vector<std::string> best;
  size_t best_len = 0;
  for (const auto& [key, argv] : user_) {
    if (key.size() < 2 || key.compare(key.size() - 2, 2, "/*") != 0) continue;
    std::string prefix = key.substr(0, key.size() - 1);
    if ((repo.rfind(prefix, 0) == 0 || image.rfind(prefix, 0) == 0) && prefix.size() > best_len) {
      best = argv;
      best_len = prefix.size();
    }
  }
  return best;
}

std::string ImageMap::FindOnPath(const std::string& name) const {
  for (const auto& dir : options_.search_path) {
    std::string p = dir + "/" + name;
    if (IsExecutable(p)) return p;
  }
  return "";
}

std::string ImageMap::ContainerPath() const {
  std::string path;
  struct stat st;
  if (!options_.container_bin_dir.empty() && stat(options_.container_bin_dir.c_str(), &st) == 0 &&
      S_ISDIR(st.st_mode)) {
    path = options_.container_bin_dir;
  }
  for (const auto& dir : options_.search_path) path += (path.empty() ? "" : ":") + dir;
  return path;
}

StatusOr<ResolvedCommand> ImageMap::Resolve(const std::string& image,
                                            const std::vector<std::string>& command,
                                            const std::vector<std::string>& args) {
  std::vector<std::string> mapped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    SKIFF_RETURN_IF_ERROR(Reload());
    mapped = Lookup(image);
  }
  std::string repo = ImageRepository(image);
  ResolvedCommand out;
  auto with_args = [&](std::vector<std::string> argv, const std::vector<std::string>& rest) {
    argv.insert(argv.end(), rest.begin(), rest.end());
    return argv;
  };
  if (!command.empty()) {
    const std::string& prog = command[0];
    std::vector<std::string> tail(command.begin() + 1, command.end());
    tail.insert(tail.end(), args.begin(), args.end());
    if (!prog.empty() && prog[0] == '/') {
      if (!IsExecutable(prog)) {
        return FailedPrecondition("exec: \"" + prog + "\": no such executable on this host");
      }
      out.argv = with_args({prog}, tail);
      out.message = "Running " + prog + " from image \"" + image + "\" on the host";
      return out;
    }
    if (!mapped.empty() && Basename(mapped[0]) == Basename(prog)) {
      out.argv = with_args(mapped, tail);
      out.message = "Mapped image \"" + image + "\" command " + prog + " to " + mapped[0];
      return out;
    }
    if (prog == "torchrun" && IsExecutable(options_.torchrun)) {
      out.argv = with_args({options_.torchrun}, tail);
      out.message = "Mapped image \"" + image + "\" command torchrun to Skiff's " +
                    options_.torchrun + " (static rendezvous, docs/node.md)";
      return out;
    }
    if (prog == "python" || prog == "python3") {
      out.argv = with_args({kPython}, tail);
      out.message = "Mapped image \"" + image + "\" command " + prog + " to " + kPython;
      return out;
    }
    std::string found = prog.find('/') == std::string::npos ? FindOnPath(prog) : "";
    if (found.empty()) {
      return FailedPrecondition("exec: \"" + prog +
                                "\": executable file not found in $PATH on this host");
    }
    out.argv = with_args({found}, tail);
    out.message = "Mapped image \"" + image + "\" command " + prog + " to " + found;
    return out;
  }
  if (!mapped.empty()) {
    out.argv = with_args(mapped, args);
    out.message = "Mapped image \"" + image + "\" to " + mapped[0] + " (image map file)";
    return out;
  }
  // Upstream images whose job a Skiff binary does (same arguments): KServe's storage
  // initializer runs skiff-storage-initializer.
  bool served_by_skiff = repo == "kserve/storage-initializer";
  if (repo.rfind("skiff/", 0) == 0 || served_by_skiff) {
    std::string name = Basename(repo);
    std::vector<std::string> candidates;
    if (name == "skiff" && !options_.skiff_binary.empty()) {
      candidates.push_back(options_.skiff_binary);
    }
    for (const auto& dir : options_.skiff_bin_dirs) {
      candidates.push_back(dir + "/" + name);
      candidates.push_back(dir + "/skiff-" + name);
    }
    for (const auto& c : candidates) {
      if (IsExecutable(c)) {
        out.argv = with_args({c}, args);
        out.message = "Mapped image \"" + image + "\" to " + c;
        return out;
      }
    }
    return NotFound("image \"" + image + "\": no local skiff binary named " + name + " or skiff-" +
                    name + " next to skiff");
  }
  if (IsPythonImage(repo)) {
    out.argv = with_args({kPython}, args);
    out.message = "Mapped image \"" + image + "\" to " + kPython;
    return out;
  }
  if (IsShellImage(repo)) {
    out.argv = with_args({"/bin/sh"}, args);
    out.message = "Mapped image \"" + image + "\" to /bin/sh";
    return out;
  }
  return NotFound("image \"" + image +
                  "\" has no local mapping: set the container's command, or map the image to a "
                  "program in the image map file (skiff up --image-map FILE, docs/node.md)");
}

}  // namespace skiff::node

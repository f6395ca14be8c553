// Image → local executable mapping (DESIGN.md §5): no container runtime, so an image names
// a program on this host. Built-in rules plus an optional user mapping file.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"

namespace skiff::node {

struct ImageMapOptions {
  // YAML or JSON file of `image: executable` (or `image: [argv...]`), optionally under a
  // top-level `images:` key; "" = none. Re-read when its modification time changes.
  std::string mapping_file{};
  // Where `skiff/<name>` images look for `<name>` or `skiff-<name>` executables; the skiff
  // binary itself serves `skiff/skiff`.
  std::vector<std::string> skiff_bin_dirs{};
  std::string skiff_binary{};
  // Skiff's torchrun (skiff-torchrun beside skiff): serves a container command `torchrun`,
  // since the host's may not run (Debian's torch 1.13 torchrun fails on Python 3.11). Used
  // when executable, unless the image map file maps the image to its own `torchrun`.
  std::string torchrun{};
  // Put first on every container's PATH when it is a directory (it holds a `torchrun` link
  // to the launcher), so scripts such as `bash -c "torchrun train.py"` run Skiff's too.
  std::string container_bin_dir{};
  // Directories searched for a bare command name ("sh", "sleep"): a container's usual PATH,
  // not the agent's (whose first python3 may be a different build).
  std::vector<std::string> search_path{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                       "/usr/bin",        "/sbin",          "/bin"};
};

struct ResolvedCommand {
  std::vector<std::string> argv{};  // argv[0] is an absolute path
  std::string message{};            // for the Pulled-equivalent Event
};

// Thread-safe.
class ImageMap {
 public:
  explicit ImageMap(ImageMapOptions options);

  // Resolves a container's image + command + args (after $(VAR) expansion) to an argv.
  // Errors: NotFound with reason text for an image with no mapping and no command
  // (the pod waits with reason ImageNotMapped); FailedPrecondition when the command's program
  // is not on this host or the mapping file is invalid.
  StatusOr<ResolvedCommand> Resolve(const std::string& image,
                                    const std::vector<std::string>& command,
                                    const std::vector<std::string>& args);

  // PATH for a container: container_bin_dir (when it exists), then search_path.
  std::string ContainerPath() const;

  // Parses a mapping file's text (exposed for tests).
  static StatusOr<std::map<std::string, std::vector<std::string>>> ParseMapping(
      const std::string& text);

 private:
  Status Reload();
  std::vector<std::string> Lookup(const std::string& image) const;  // empty when unmapped
  std::string FindOnPath(const std::string& name) const;

  const ImageMapOptions options_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> user_;  // guarded by mu_
  int64_t loaded_mtime_ = -1;                             // guarded by mu_
  Status load_error_;                                     // guarded by mu_
};

// "docker.io/library/python:3.11@sha256:.." → "python"; "ghcr.io/org/img:tag" → "ghcr.io/org/img".
std::string ImageRepository(const std::string& image);

}  // namespace skiff::node

// Volume preparation: files for configMap/secret/downwardAPI, directories for emptyDir and
// claims, a host tmpfs for emptyDir medium Memory, and per-container bind mounts.
#include "node/volumes.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "api/quantity.h"

namespace skiff::node {
namespace {

namespace fs = std::filesystem;

bool SafeRelative(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  for (const auto& part : fs::path(p)) {
    if (part == "..") return false;
  }
  return true;
}

Status WriteVolumeFile(const fs::path& dir, const std::string& rel, const std::string& data,
                       int mode) {
  if (!SafeRelative(rel))
    return InvalidArgument("volume item path \"" + rel + "\" must be relative");
  fs::path p = dir / rel;
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  fs::path tmp = p;
  tmp += ".skiff-tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << data;
    if (!f) return Internal("write " + p.string() + " failed");
  }
  chmod(tmp.c_str(), static_cast<mode_t>(mode));
  fs::rename(tmp, p, ec);
  if (ec) return Internal("rename " + p.string() + ": " + ec.message());
  return Status();
}

Status WriteKeys(const Volume& v, const std::map<std::string, std::string>& data,
                 const fs::path& dir, const std::string& what) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (v.items.empty()) {
    for (const auto& [k, val] : data)
      SKIFF_RETURN_IF_ERROR(WriteVolumeFile(dir, k, val, v.default_mode));
    return Status();
  }
  for (const auto& item : v.items) {
    auto it = data.find(item.key);
    if (it == data.end()) {
      if (v.optional) continue;
      return FailedPrecondition("configuration for volume \"" + v.name + "\": key \"" + item.key +
                                "\" not found in " + what + " \"" + v.source + "\"");
    }
    SKIFF_RETURN_IF_ERROR(
        WriteVolumeFile(dir, item.path, it->second, item.mode.value_or(v.default_mode)));
  }
  return Status();
}

std::string ShmDir(const PodSpecView& pod, const Volume& v) {
  return "/dev/shm/skiff-" + pod.uid + "-" + v.name;
}

Status CheckHostPath(const Volume& v) {
  const std::string& t = v.host_path_type;
  struct stat st;
  bool exists = stat(v.source.c_str(), &st) == 0;
  std::error_code ec;
  if (t == "DirectoryOrCreate" && !exists) {
    fs::create_directories(v.source, ec);
    if (ec) return FailedPrecondition("hostPath " + v.source + ": " + ec.message());
    chmod(v.source.c_str(), 0755);
    return Status();
  }
  if (t == "FileOrCreate" && !exists) {
    fs::create_directories(fs::path(v.source).parent_path(), ec);
    std::ofstream f(v.source, std::ios::app);
    if (!f) return FailedPrecondition("hostPath " + v.source + ": cannot create file");
    return Status();
  }
  auto need = [&](bool ok, const char* what) {
    return ok ? Status()
              : FailedPrecondition("hostPath type check failed: " + v.source + " is not a " + what);
  };
  if (t == "Directory") return need(exists && S_ISDIR(st.st_mode), "directory");
  if (t == "File") return need(exists && S_ISREG(st.st_mode), "file");
  if (t == "Socket") return need(exists && S_ISSOCK(st.st_mode), "socket");
  if (t == "CharDevice") return need(exists && S_ISCHR(st.st_mode), "character device");
  if (t == "BlockDevice") return need(exists && S_ISBLK(st.st_mode), "block device");
  return Status();
}

}  // namespace

StatusOr<std::map<std::string, PreparedVolume>> PrepareVolumes(const PodSpecView& pod,
                                                               const EnvContext& env,
                                                               const VolumeOptions& options) {
  std::map<std::string, PreparedVolume> out;
  fs::path base = fs::path(options.pod_dir) / "volumes";
  std::error_code ec;
  for (const Volume& v : pod.volumes) {
    PreparedVolume pv;
    switch (v.kind) {
      case Volume::Kind::kEmptyDir: {
        if (v.medium == "Memory" && !options.can_mount) {
          pv.host_path = ShmDir(pod, v);
          fs::create_directories(pv.host_path, ec);
          break;
        }
        pv.host_path = (base / "empty-dir" / v.name).string();
        fs::create_directories(pv.host_path, ec);
        if (ec) return Internal("emptyDir " + v.name + ": " + ec.message());
        chmod(pv.host_path.c_str(), 0777);
        if (v.medium == "Memory") {
          std::string opts = "mode=0777";
          if (!v.size_limit.empty()) {
            if (auto q = api::ParseQuantity(v.size_limit); q.ok() && q->Value() > 0) {
              opts += ",size=" + std::to_string(q->Value());
            }
          }
          struct stat st, parent;
          bool mounted = stat(pv.host_path.c_str(), &st) == 0 &&
                         stat(fs::path(pv.host_path).parent_path().c_str(), &parent) == 0 &&
                         st.st_dev != parent.st_dev;
          if (!mounted && mount("tmpfs", pv.host_path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                                opts.c_str()) != 0) {
            return Internal("emptyDir " + v.name + ": mounting tmpfs failed");
          }
        }
        break;
      }
      case Volume::Kind::kConfigMap:
      case Volume::Kind::kSecret: {
        bool secret = v.kind == Volume::Kind::kSecret;
        auto data =
            secret ? env.config->Secret(pod.ns, v.source) : env.config->ConfigMap(pod.ns, v.source);
        if (!data.ok() && data.status().code() != StatusCode::kNotFound) return data.status();
        if (!data.ok() && !v.optional) {
          return FailedPrecondition("MountVolume.SetUp failed for volume \"" + v.name +
                                    "\" : " + (secret ? "secret" : "configmap") + " \"" + v.source +
                                    "\" not found");
        }
        pv.host_path = (base / (secret ? "secret" : "configmap") / v.name).string();
        SKIFF_RETURN_IF_ERROR(WriteKeys(v, data.ok() ? *data : std::map<std::string, std::string>{},
                                        pv.host_path, secret ? "Secret" : "ConfigMap"));
        pv.read_only = true;
        break;
      }
      case Volume::Kind::kDownwardApi: {
        pv.host_path = (base / "downward-api" / v.name).string();
        fs::remove_all(pv.host_path, ec);
        fs::create_directories(pv.host_path, ec);
        for (const auto& item : v.items) {
          std::string value;
          if (item.from.kind == ValueSource::Kind::kFieldRef) {
            SKIFF_ASSIGN_OR_RETURN(value, FieldRefValue(env, item.from.field_path));
          } else if (item.from.kind == ValueSource::Kind::kResourceFieldRef) {
            const Container* c = FindContainer(pod, item.from.container_name);
            if (c == nullptr) {
              return FailedPrecondition("downwardAPI item " + item.path + ": unknown container \"" +
                                        item.from.container_name + "\"");
            }
            SKIFF_ASSIGN_OR_RETURN(value, ResourceFieldValue(env, *c, item.from));
          }
          SKIFF_RETURN_IF_ERROR(
              WriteVolumeFile(pv.host_path, item.path, value, item.mode.value_or(v.default_mode)));
        }
        pv.read_only = true;
        break;
      }
      case Volume::Kind::kHostPath:
        SKIFF_RETURN_IF_ERROR(CheckHostPath(v));
        pv.host_path = v.source;
        break;
      case Volume::Kind::kPersistentVolumeClaim:
        if (!SafeRelative(v.source) || !SafeRelative(pod.ns)) {
          return InvalidArgument("bad claim name \"" + v.source + "\"");
        }
        pv.host_path =
            (fs::path(options.data_dir) / "volumes" / "pvc" / pod.ns / v.source).string();
        fs::create_directories(pv.host_path, ec);
        if (ec) return Internal("claim " + v.source + ": " + ec.message());
        pv.read_only = v.read_only;
        break;
      case Volume::Kind::kUnsupported:
        return Unimplemented("volume \"" + v.name + "\": type " +
                             (v.unsupported_type.empty() ? "<none>" : v.unsupported_type) +
                             " is not supported by the local node agent");
    }
    out[v.name] = pv;
  }
  return out;
}

void CleanupVolumes(const PodSpecView& pod, const VolumeOptions& options) {
  std::error_code ec;
  fs::path empty_dirs = fs::path(options.pod_dir) / "volumes" / "empty-dir";
  for (const Volume& v : pod.volumes) {
    if (v.kind != Volume::Kind::kEmptyDir || v.medium != "Memory") continue;
    if (options.can_mount) {
      umount2((empty_dirs / v.name).c_str(), MNT_DETACH);
    } else {
      fs::remove_all(ShmDir(pod, v), ec);
    }
  }
  fs::remove_all(fs::path(options.pod_dir) / "volumes", ec);
}

StatusOr<std::vector<BindMount>> ContainerMounts(const Container& container,
                                                 const std::map<std::string, PreparedVolume>& vols,
                                                 std::vector<std::string>* created) {
  std::vector<VolumeMount> mounts = container.volume_mounts;
  // Parents before children, so /data is mounted before /data/cache.
  std::stable_sort(mounts.begin(), mounts.end(), [](const VolumeMount& a, const VolumeMount& b) {
    return a.mount_path.size() < b.mount_path.size();
  });
  std::vector<BindMount> out;
  std::error_code ec;
  for (const auto& m : mounts) {
    auto it = vols.find(m.name);
    if (it == vols.end()) {
      return FailedPrecondition("volumeMount \"" + m.name + "\": no volume of that name");
    }
    if (m.mount_path.empty() || m.mount_path[0] != '/') {
      return FailedPrecondition("volumeMount \"" + m.name + "\": mountPath must be absolute");
    }
    std::string source = it->second.host_path;
    if (!m.sub_path.empty()) {
      if (!SafeRelative(m.sub_path)) {
        return FailedPrecondition("volumeMount \"" + m.name + "\": subPath must be relative");
      }
      source += "/" + m.sub_path;
      if (!fs::exists(source, ec)) fs::create_directories(source, ec);
    }
    bool is_file = fs::is_regular_file(source, ec);
    // Walk down creating what is missing so cleanup can remove exactly that.
    fs::path target(m.mount_path);
    fs::path cur = "/";
    auto parts = std::vector<fs::path>(target.begin(), target.end());
    for (size_t i = 1; i < parts.size(); ++i) {
      cur /= parts[i];
      if (fs::exists(cur, ec) || fs::is_symlink(cur, ec)) continue;
      bool last = i + 1 == parts.size();
      if (last && is_file) {
        std::ofstream f(cur);
      } else {
        fs::create_directory(cur, ec);
      }
      if (ec)
        return FailedPrecondition("creating mount point " + cur.string() + ": " + ec.message());
      if (created != nullptr) created->push_back(cur.string());
    }
    out.push_back(BindMount{.source = source,
                            .target = m.mount_path,
                            .read_only = m.read_only || it->second.read_only});
  }
  return out;
}

}  // namespace skiff::node

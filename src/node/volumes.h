// Pod volumes on the host (emptyDir, configMap, secret, hostPath, persistentVolumeClaim,
// downwardAPI) and the bind mounts that place them at each container's mountPaths.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "node/env.h"
#include "node/launcher.h"
#include "node/pod_spec.h"

namespace skiff::node {

struct PreparedVolume {
  std::string host_path{};
  bool read_only = false;
};

struct VolumeOptions {
  std::string pod_dir{};   // <data_dir>/node/pods/<uid>: emptyDir, configMap, ... live here
  std::string data_dir{};  // claims live in <data_dir>/volumes/pvc/<ns>/<claim>
  // True as root with a mount namespace: medium Memory is a tmpfs mounted on the host dir.
  // Otherwise it is a directory under /dev/shm.
  bool can_mount = false;
};

// Creates every volume of the pod. FailedPrecondition (the FailedMount event's text) for a
// missing non-optional ConfigMap/Secret or a hostPath whose type check fails; Unimplemented
// for a volume type the agent does not support. Idempotent: rewrites configMap/secret files.
StatusOr<std::map<std::string, PreparedVolume>> PrepareVolumes(const PodSpecView& pod,
                                                               const EnvContext& env,
                                                               const VolumeOptions& options);

// Unmounts what PrepareVolumes mounted and removes the pod's volume dirs (not hostPath or
// claim data).
void CleanupVolumes(const PodSpecView& pod, const VolumeOptions& options);

// The mounts of `container`, in mountPath order (parents first). Creates missing mount points
// on the host (an empty directory, or an empty file when the source is a file) and appends
// their paths to `created` so cleanup can remove them.
StatusOr<std::vector<BindMount>> ContainerMounts(const Container& container,
                                                 const std::map<std::string, PreparedVolume>& vols,
                                                 std::vector<std::string>* created);

}  // namespace skiff::node

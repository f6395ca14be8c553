// Typed view of the parts of a core/v1 Pod the node agent acts on, parsed once from the API
// object so nothing else in src/node indexes JSON by string keys.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::node {

// env[].valueFrom / the source of one downwardAPI volume item.
struct ValueSource {
  enum class Kind { kNone, kFieldRef, kResourceFieldRef, kConfigMapKeyRef, kSecretKeyRef };
  Kind kind = Kind::kNone;
  std::string field_path{};      // fieldRef.fieldPath
  std::string resource{};        // resourceFieldRef.resource ("limits.cpu")
  std::string container_name{};  // resourceFieldRef.containerName ("" = this container)
  std::string divisor{};         // resourceFieldRef.divisor ("" = 1)
  std::string ref_name{};        // configMapKeyRef/secretKeyRef name
  std::string ref_key{};
  bool optional = false;
};

struct EnvVar {
  std::string name{};
  std::string value{};  // used when from.kind == kNone
  ValueSource from{};
};

struct EnvFromSource {
  std::string prefix{};
  bool secret = false;  // secretRef, else configMapRef
  std::string name{};
  bool optional = false;
};

struct Probe {
  enum class Kind { kNone, kExec, kHttpGet, kTcpSocket, kGrpc };
  Kind kind = Kind::kNone;
  std::vector<std::string> command{};  // exec
  std::string path{};                  // httpGet
  std::string host{};                  // httpGet/tcpSocket ("" = pod IP)
  std::string scheme{"HTTP"};
  std::string port{};  // IntOrString: a number or a named container port
  std::vector<std::pair<std::string, std::string>> http_headers{};
  std::string grpc_service{};
  int initial_delay_seconds = 0;
  int period_seconds = 10;
  int timeout_seconds = 1;
  int success_threshold = 1;
  int failure_threshold = 3;
  std::optional<int64_t> termination_grace_period_seconds{};
};

struct ContainerPort {
  std::string name{};
  int container_port = 0;
  int host_port = 0;
  std::string protocol{"TCP"};
};

struct VolumeMount {
  std::string name{};
  std::string mount_path{};
  std::string sub_path{};
  bool read_only = false;
};

struct Container {
  std::string name{};
  std::string image{};
  std::vector<std::string> command{};
  std::vector<std::string> args{};
  std::string working_dir{};
  std::vector<EnvVar> env{};
  std::vector<EnvFromSource> env_from{};
  std::vector<ContainerPort> ports{};
  std::vector<VolumeMount> volume_mounts{};
  std::map<std::string, std::string> requests{};  // resource name -> quantity text
  std::map<std::string, std::string> limits{};
  std::optional<Probe> startup_probe{};
  std::optional<Probe> readiness_probe{};
  std::optional<Probe> liveness_probe{};
  // An init container with restartPolicy Always (a native sidecar); unsupported, started as a
  // plain init container would be but not waited for.
  bool sidecar = false;
  // "FallbackToLogsOnError": a failed container's message is the tail of its log (the program
  // cannot write /dev/termination-log here). "File" (the default) leaves it empty.
  std::string termination_message_policy = "File";
};

struct KeyToPath {
  std::string key{};          // configMap/secret key
  std::string path{};         // relative file path inside the volume
  std::optional<int> mode{};  // per-file mode
  ValueSource from{};         // downwardAPI items: fieldRef / resourceFieldRef
};

struct Volume {
  enum class Kind {
    kEmptyDir,
    kConfigMap,
    kSecret,
    kHostPath,
    kPersistentVolumeClaim,
    kDownwardApi,
    kUnsupported
  };
  std::string name{};
  Kind kind = Kind::kUnsupported;
  std::string unsupported_type{};  // the source key when kind == kUnsupported
  std::string medium{};            // emptyDir: "" or "Memory"
  std::string size_limit{};        // emptyDir
  std::string source{};            // configMap name, secret name, hostPath path, claim name
  std::string host_path_type{};
  std::vector<KeyToPath> items{};
  int default_mode = 0644;
  bool optional = false;
  bool read_only = false;  // persistentVolumeClaim.readOnly
};

struct PodSpecView {
  // metadata
  std::string name{};
  std::string ns{};
  std::string uid{};
  std::map<std::string, std::string> labels{};
  std::map<std::string, std::string> annotations{};
  bool deleting = false;                            // deletionTimestamp set
  std::optional<int64_t> deletion_grace_seconds{};  // metadata.deletionGracePeriodSeconds
  std::string phase{};                              // status.phase as last written
  // spec
  std::string node_name{};
  std::string service_account{};
  std::string hostname{};  // spec.hostname or, as kube does, the pod name
  std::string subdomain{};
  std::string restart_policy{"Always"};
  int64_t termination_grace_seconds = 30;
  std::optional<int64_t> active_deadline_seconds{};
  bool host_network = false;
  std::vector<Container> init_containers{};
  std::vector<Container> containers{};
  std::vector<Volume> volumes{};
  std::vector<std::pair<std::string, std::string>> host_aliases{};  // ip, hostname
};

// Parses what the agent needs. InvalidArgument only for shapes the API server would have
// rejected (a container without a name); unknown fields are ignored.
StatusOr<PodSpecView> ParsePod(const Json& pod);

// The container named `name` among init and regular containers, or nullptr.
const Container* FindContainer(const PodSpecView& pod, const std::string& name);

}  // namespace skiff::node

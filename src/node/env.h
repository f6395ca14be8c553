// Container environment: kube's $(VAR) expansion and the resolution of env/envFrom entries
// (literal values, fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "node/pod_spec.h"

namespace skiff::node {

using EnvList = std::vector<std::pair<std::string, std::string>>;

// Expands $(NAME) references like k8s.io/kubernetes third_party/forked/golang/expansion:
// "$$" is a literal "$", "$(NAME)" becomes lookup(NAME) or stays "$(NAME)" when undefined, an
// unterminated "$(" and a "$" before any other character are kept as written.
std::string ExpandVars(std::string_view input,
                       const std::function<std::optional<std::string>(std::string_view)>& lookup);

// Decoded key -> bytes of a ConfigMap (data + binaryData) or a Secret (data, base64-decoded,
// + stringData). Implementations may block on the API; NotFound when the object is absent.
class ConfigSource {
 public:
  virtual ~ConfigSource() = default;
  virtual StatusOr<std::map<std::string, std::string>> ConfigMap(const std::string& ns,
                                                                 const std::string& name) = 0;
  virtual StatusOr<std::map<std::string, std::string>> Secret(const std::string& ns,
                                                              const std::string& name) = 0;
};

// What a fieldRef / resourceFieldRef may read besides the pod spec.
struct EnvContext {
  const PodSpecView* pod = nullptr;
  std::string pod_ip{};
  std::string host_ip{};
  // Node allocatable, the value of limits.* when a container sets no limit (as kube does).
  int64_t node_cpu_milli = 1000;
  int64_t node_memory_bytes = 0;
  ConfigSource* config = nullptr;
};

// metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'],
// metadata.annotations['k'], spec.nodeName, spec.serviceAccountName, status.podIP(s),
// status.hostIP(s). InvalidArgument for anything else.
StatusOr<std::string> FieldRefValue(const EnvContext& ctx, const std::string& field_path);

// limits.cpu / requests.cpu (ceil in units of the divisor, default 1 core), limits.memory /
// requests.memory (ceil bytes / divisor), ephemeral-storage likewise.
StatusOr<std::string> ResourceFieldValue(const EnvContext& ctx, const Container& container,
                                         const ValueSource& ref);

// The container's environment in kube's order: envFrom sources first, then env entries, each
// value expanded against what was defined before it. Errors (a missing non-optional ConfigMap,
// Secret or key) are FailedPrecondition with the kubelet's message; the caller reports them as
// CreateContainerConfigError.
StatusOr<EnvList> ResolveEnv(const EnvContext& ctx, const Container& container);

// Lookup for ExpandVars over `env` (later entries win).
std::function<std::optional<std::string>(std::string_view)> EnvLookup(const EnvList& env);

}  // namespace skiff::node

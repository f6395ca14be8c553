// Static ResourceInfo for core/v1 and coordination.k8s.io/v1 resources used by the agent.
#include "node/resources.h"

namespace skiff::node {
namespace {

client::ResourceInfo Make(const char* group, const char* plural, const char* kind,
                          bool namespaced) {
  client::ResourceInfo r;
  r.group = group;
  r.version = "v1";
  r.plural = plural;
  r.kind = kind;
  r.namespaced = namespaced;
  return r;
}

}  // namespace

const client::ResourceInfo& PodsResource() {
  static const client::ResourceInfo r = Make("", "pods", "Pod", true);
  return r;
}
const client::ResourceInfo& NodesResource() {
  static const client::ResourceInfo r = Make("", "nodes", "Node", false);
  return r;
}
const client::ResourceInfo& NamespacesResource() {
  static const client::ResourceInfo r = Make("", "namespaces", "Namespace", false);
  return r;
}
const client::ResourceInfo& LeasesResource() {
  static const client::ResourceInfo r = Make("coordination.k8s.io", "leases", "Lease", true);
  return r;
}
const client::ResourceInfo& ConfigMapsResource() {
  static const client::ResourceInfo r = Make("", "configmaps", "ConfigMap", true);
  return r;
}
const client::ResourceInfo& SecretsResource() {
  static const client::ResourceInfo r = Make("", "secrets", "Secret", true);
  return r;
}

}  // namespace skiff::node

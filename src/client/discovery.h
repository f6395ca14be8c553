// Discovery and resource resolution (kubectl's REST mapper): maps what a user types (`po`,
// `deployment.apps`, `trainjobs.trainer.kubeflow.org`) or what a manifest says (apiVersion +
// kind) to the group, version, plural and scope needed to build a URL.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace skiff::client {

class RestClient;

struct ResourceInfo {
  std::string group{};    // "" for the core group
  std::string version{};  // "v1"
  std::string plural{};   // "pods": the URL segment
  std::string singular{};
  std::string kind{};  // "Pod"
  bool namespaced = true;
  std::vector<std::string> short_names{};
  std::vector<std::string> verbs{};
  std::vector<std::string> categories{};
  std::vector<std::string> subresources{};  // "status", "scale", "log", ...

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  // "pods" or "deployments.apps": kubectl's name for the resource in messages.
  std::string GroupResource() const { return group.empty() ? plural : plural + "." + group; }
  // "pod" or "trainjob.trainer.kubeflow.org": kubectl's lower-case kind prefix in
  // `-o name` and apply/delete output.
  std::string KindPrefix() const;
};

// One API group as discovery lists it: versions in preference order, each with its resources.
struct GroupResources {
  std::string group{};
  std::vector<std::string> versions{};    // preferred first
  std::vector<ResourceInfo> resources{};  // all versions, preferred version's first
};

// Parses a plain `APIResourceList` document into top-level resources (subresources are folded
// into their parent's `subresources`).
std::vector<ResourceInfo> ParseApiResourceList(const std::string& group_version,
                                               const std::string& body);
// Parses an aggregated `APIGroupDiscoveryList` (apidiscovery.k8s.io/v2 or v2beta1).
StatusOr<std::vector<GroupResources>> ParseAggregatedDiscovery(const std::string& body);

// Resolves `input` against discovered groups in priority order (core first, then server order;
// preferred version first). Accepts plural, singular, short name or Kind (case-insensitive),
// optionally qualified as `name.group` or `name.version.group`. NotFound when nothing matches.
StatusOr<ResourceInfo> MatchResource(const std::vector<GroupResources>& groups,
                                     std::string_view input);
// Every resource (preferred version, priority order) listing `category` (e.g. "all") in its
// discovery categories; empty when none does.
std::vector<ResourceInfo> MatchCategory(const std::vector<GroupResources>& groups,
                                        std::string_view category);
// Resolves a manifest's apiVersion ("v1", "apps/v1") and Kind (exact match).
StatusOr<ResourceInfo> MatchKind(const std::vector<GroupResources>& groups,
                                 std::string_view api_version, std::string_view kind);

// Caches the server's discovery documents in memory and re-discovers once when a lookup misses
// (a CRD may have been created since). Thread-safe; lookups may block on discovery requests.
class Discovery {
 public:
  explicit Discovery(RestClient& rest) : rest_(rest) {}

  // "pods", "po", "Pod", "deploy", "deployment.apps", "trainjobs.trainer.kubeflow.org".
  // NotFound reads like kubectl: `the server doesn't have a resource type "foo"`.
  StatusOr<ResourceInfo> ResolveResource(std::string_view input);
  // From a manifest. NotFound reads like kubectl: `no matches for kind "X" in version "g/v"`.
  StatusOr<ResourceInfo> ResolveKind(std::string_view api_version, std::string_view kind);
  // Expands a category such as "all" (no re-discovery: an unknown category is simply empty).
  StatusOr<std::vector<ResourceInfo>> ResolveCategory(std::string_view category);
  // All discovered groups (fetching them if needed).
  StatusOr<std::vector<GroupResources>> Groups();
  // Drops the cache; the next lookup re-discovers.
  void Invalidate();

 private:
  Status Refresh();  // requires: mu_ held
  RestClient& rest_;
  std::mutex mu_;
  bool loaded_ = false;                   // guarded by mu_
  std::vector<GroupResources> groups_{};  // guarded by mu_
};

}  // namespace skiff::client

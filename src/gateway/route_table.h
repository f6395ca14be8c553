// The compiled, immutable routing table: host -> routes by longest path prefix -> weighted
// revision pick. Built once per SetRoutes and shared by the loops as shared_ptr<const>.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "gateway/revision.h"
#include "gateway/route.h"

namespace skiff::gateway {

// One route, compiled. Immutable apart from the split counter.
class CompiledRoute {
 public:
  CompiledRoute(const Route& route, std::vector<std::shared_ptr<Revision>> revisions);

  const std::string& path_prefix() const { return path_prefix_; }
  bool strip_prefix() const { return strip_prefix_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  int retries() const { return retries_; }
  const std::vector<std::shared_ptr<Revision>>& revisions() const { return revisions_; }

  // The revision for the next request, by weight among ready backends; nullptr when no
  // backend is ready with a non-zero weight. Request k of the route goes to the backend
  // owning residue (k * 7919) mod W of the cumulative weights (W = total ready weight, which
  // is below the prime 7919), so every W consecutive requests split exactly by weight, and
  // interleaved rather than in runs.
  Revision* Pick() const;

 private:
  std::string path_prefix_;
  bool strip_prefix_;
  std::chrono::milliseconds timeout_;
  int retries_;
  std::vector<std::shared_ptr<Revision>> revisions_;  // one per backend, in order
  std::vector<Revision*> eligible_;                   // ready, weight > 0
  std::vector<uint64_t> cumulative_;                  // upper bounds of each eligible share
  uint64_t total_ = 0;
  mutable std::atomic<uint64_t> counter_{0};
};

class RouteTable {
 public:
  // Looks up (creating when needed) the persistent Revision of a key.
  using RevisionFor = std::function<std::shared_ptr<Revision>(const std::string& key)>;
  // REQUIRES: ValidateRoutes(routes).ok().
  RouteTable(const std::vector<Route>& routes, const RevisionFor& revision_for);

  // The route for a normalised host and a request path (no query), or nullptr.
  const CompiledRoute* Match(std::string_view host, std::string_view path) const;
  size_t size() const { return routes_.size(); }

 private:
  std::vector<std::unique_ptr<CompiledRoute>> routes_;
  // Per host, longest prefix first.
  std::unordered_map<std::string, std::vector<const CompiledRoute*>> by_host_;
};

// True when `path` starts with `prefix` (plain string prefix; empty matches everything).
bool PathHasPrefix(std::string_view path, std::string_view prefix);

// Splits a request target into its routing parts. Origin form "/p?q" gives path "/p";
// absolute form "http://host:port/p?q" also gives its authority (which wins over Host, as
// RFC 7230 §5.4 says). `path_and_query` is what to forward ("/p?q").
struct TargetParts {
  std::string_view authority;  // empty unless absolute form
  std::string_view path;
  std::string_view path_and_query;
};
StatusOr<TargetParts> SplitTarget(std::string_view target);

}  // namespace skiff::gateway

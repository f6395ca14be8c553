// Route compilation, host/prefix lookup and the weighted revision pick.
#include "gateway/route_table.h"

#include <algorithm>

namespace skiff::gateway {

namespace {

// Larger than any total weight (backends are 0..100 each, and a route has few), and prime, so
// k -> k * kStride mod W visits every residue once per W requests.
constexpr uint64_t kStride = 7919;

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

CompiledRoute::CompiledRoute(const Route& route, std::vector<std::shared_ptr<Revision>> revisions)
    : path_prefix_(route.path_prefix),
      strip_prefix_(route.strip_prefix),
      timeout_(route.timeout),
      retries_(route.retries),
      revisions_(std::move(revisions)) {
  for (size_t i = 0; i < route.backends.size(); ++i) {
    const Backend& b = route.backends[i];
    if (!b.ready || b.weight <= 0) continue;
    total_ += static_cast<uint64_t>(b.weight);
    eligible_.push_back(revisions_[i].get());
    cumulative_.push_back(total_);
  }
}

Revision* CompiledRoute::Pick() const {
  if (eligible_.empty()) return nullptr;
  if (eligible_.size() == 1) return eligible_.front();
  uint64_t k = counter_.fetch_add(1, std::memory_order_relaxed);
  uint64_t r = (k % total_) * kStride % total_;
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), r);
  return eligible_[static_cast<size_t>(it - cumulative_.begin())];
}

RouteTable::RouteTable(const std::vector<Route>& routes, const RevisionFor& revision_for) {
  for (const Route& r : routes) {
    std::vector<std::shared_ptr<Revision>> revisions;
    revisions.reserve(r.backends.size());
    for (const Backend& b : r.backends) revisions.push_back(revision_for(b.revision));
    routes_.push_back(std::make_unique<CompiledRoute>(r, std::move(revisions)));
    for (const std::string& h : r.hosts) {
      auto host = NormalizeHost(h);
      if (host.ok()) by_host_[*host].push_back(routes_.back().get());
    }
  }
  for (auto& [host, list] : by_host_) {
    std::stable_sort(list.begin(), list.end(), [](const CompiledRoute* a, const CompiledRoute* b) {
      return a->path_prefix().size() > b->path_prefix().size();
    });
  }
}

const CompiledRoute* RouteTable::Match(std::string_view host, std::string_view path) const {
  auto it = by_host_.find(std::string(host));
  if (it == by_host_.end()) return nullptr;
  for (const CompiledRoute* r : it->second) {
    if (PathHasPrefix(path, r->path_prefix())) return r;
  }
  return nullptr;
}

bool PathHasPrefix(std::string_view path, std::string_view prefix) {
  return path.substr(0, prefix.size()) == prefix;
}

StatusOr<TargetParts> SplitTarget(std::string_view target) {
  TargetParts parts;
  std::string_view rest = target;
  if (rest.empty()) return InvalidArgument("empty request target");
  if (rest.front() != '/' && rest != "*") {
    size_t scheme = 0;
    if (StartsWithNoCase(rest, "http://")) {
      scheme = 7;
    } else if (StartsWithNoCase(rest, "https://")) {
      scheme = 8;
    } else {
      return InvalidArgument("unsupported request target");
    }
    rest.remove_prefix(scheme);
    size_t end = rest.find_first_of("/?#");
    parts.authority = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (parts.authority.empty()) return InvalidArgument("absolute target without a host");
  }
  // "http://h?q" has no path; RFC 7230 §5.3.2 makes it "/".
  parts.path_and_query = rest;
  size_t q = rest.find_first_of("?#");
  parts.path = rest.substr(0, q);
  return parts;
}

}  // namespace skiff::gateway

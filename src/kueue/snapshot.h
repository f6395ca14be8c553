// Folder-private: the quota tree of one cycle (ClusterQueues and cohorts as resource nodes) with
// upstream's quota math (pkg/cache/scheduler/resource_node.go) and dominant resource shares
// (fair_sharing.go). Quantities live in dense per-node arrays indexed by flavor-resource id.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kueue/types.h"

namespace skiff::kueue::internal {

constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::min();

// Stable string <-> dense id mapping; ids never change for the owner's lifetime.
class Interner {
 public:
  int Intern(std::string_view name);
  int Find(std::string_view name) const;  // -1 when unknown
  const std::string& Name(int id) const { return names_[id]; }
  int size() const { return static_cast<int>(names_.size()); }

 private:
  std::unordered_map<std::string, int> ids_;
  std::vector<std::string> names_;
};

// Dense ids for (flavor id, resource id) pairs.
class FlavorResources {
 public:
  int Intern(int flavor, int resource);
  int Find(int flavor, int resource) const;  // -1 when unknown
  int flavor(int fr) const { return pairs_[fr].first; }
  int resource(int fr) const { return pairs_[fr].second; }
  int size() const { return static_cast<int>(pairs_.size()); }

 private:
  std::unordered_map<int64_t, int> ids_;
  std::vector<std::pair<int, int>> pairs_;
};

// Quantities per flavor-resource id, sorted by id, ids unique.
using Usage = std::vector<std::pair<int, int64_t>>;
void AddTo(Usage& usage, int fr, int64_t value);  // keeps the order; merges equal ids

struct Node {
  std::string name;
  bool is_cq = false;
  int parent = -1;
  int root = -1;
  int height = 0;  // cohorts: distance to the furthest leaf (upstream getNodeHeight)
  double fair_weight = 1.0;
  std::vector<int> child_cqs;
  std::vector<int> child_cohorts;
  // Indexed by flavor-resource id.
  std::vector<int64_t> nominal;
  std::vector<int64_t> borrowing_limit;  // kUnlimited when unset
  std::vector<int64_t> lending_limit;    // kUnlimited when unset
  std::vector<int64_t> subtree_quota;
  std::vector<int64_t> local_quota;  // kept for the subtree only, because of lending limits
  std::vector<int64_t> potential;    // PotentialAvailable, which does not depend on usage
  std::vector<int64_t> usage;
  std::vector<int64_t> lendable;  // cohorts, by resource id: what they can lend (fair sharing)
};

// The dominant resource share of a node: upstream's rounded weighted share.
struct Drs {
  int64_t value = 0;  // ceil(ratio / weight); INT64_MAX for zero weight while borrowing
  double precise = 0;
  bool borrowing = false;
};

class Snapshot {
 public:
  // `num_frs` and `num_resources` size the dense arrays.
  Snapshot(int num_frs, int num_resources) : num_frs_(num_frs), num_resources_(num_resources) {}

  int AddNode(std::string name, bool is_cq, double fair_weight);
  Node& node(int i) { return nodes_[i]; }
  const Node& node(int i) const { return nodes_[i]; }
  int size() const { return static_cast<int>(nodes_.size()); }
  int num_frs() const { return num_frs_; }

  // After all nodes, quotas and parents are set: roots, heights, subtree quotas, caches.
  // `resource_of_fr` maps flavor-resource ids to resource ids.
  void Finalize(const std::vector<int>& resource_of_fr);

  bool HasParent(int n) const { return nodes_[n].parent >= 0; }
  int64_t LocalAvailable(int n, int fr) const;
  // Unused capacity reachable from `n`, respecting borrowing limits up the tree.
  int64_t Available(int n, int fr) const;
  int64_t PotentialAvailable(int n, int fr) const { return nodes_[n].potential[fr]; }
  bool BorrowingWith(int n, int fr, int64_t value) const {
    return nodes_[n].usage[fr] + value > nodes_[n].subtree_quota[fr];
  }
  bool Borrowing(int n, int fr) const { return BorrowingWith(n, fr, 0); }

  void AddUsage(int n, int fr, int64_t value);  // bubbles past local quota to the parent
  void RemoveUsage(int n, int fr, int64_t value);
  void AddUsage(int n, const Usage& usage);
  void RemoveUsage(int n, const Usage& usage);

  // Height of the lowest subtree that fits `value` more of `fr` for ClusterQueue `cq` (0 = the
  // queue itself), and whether that subtree is smaller than the whole tree (upstream
  // FindHeightOfLowestSubtreeThatFits).
  std::pair<int, bool> HeightOfLowestSubtreeThatFits(int cq, int fr, int64_t value) const;

  // Dominant resource share of node `n` with `extra` added to its own usage.
  Drs DominantResourceShare(int n, const Usage& extra = {}) const;

 private:
  void ComputeSubtree(int n, int root, std::vector<int>& order);
  int64_t ComputePotential(int n, int fr) const;

  int num_frs_;
  int num_resources_;
  std::vector<Node> nodes_;
  std::vector<int> resource_of_fr_;
};

// Kubernetes quantity text for messages: "500m", "4", "2k", "1Gi" (memory-like in binary SI).
std::string FormatQuantity(std::string_view resource, int64_t milli);

}  // namespace skiff::kueue::internal

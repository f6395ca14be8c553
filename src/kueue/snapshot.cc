// Quota tree math, following upstream pkg/cache/scheduler/resource_node.go and fair_sharing.go.
#include "kueue/snapshot.h"

#include <algorithm>
#include <cmath>

namespace skiff::kueue::internal {

int Interner::Intern(std::string_view name) {
  auto it = ids_.find(std::string(name));
  if (it != ids_.end()) {
    return it->second;
  }
  int id = static_cast<int>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(std::string(name), id);
  return id;
}

int Interner::Find(std::string_view name) const {
  auto it = ids_.find(std::string(name));
  return it == ids_.end() ? -1 : it->second;
}

int FlavorResources::Intern(int flavor, int resource) {
  int64_t key = (static_cast<int64_t>(flavor) << 32) | static_cast<uint32_t>(resource);
  auto [it, inserted] = ids_.emplace(key, static_cast<int>(pairs_.size()));
  if (inserted) {
    pairs_.emplace_back(flavor, resource);
  }
  return it->second;
}

int FlavorResources::Find(int flavor, int resource) const {
  int64_t key = (static_cast<int64_t>(flavor) << 32) | static_cast<uint32_t>(resource);
  auto it = ids_.find(key);
  return it == ids_.end() ? -1 : it->second;
}

void AddTo(Usage& usage, int fr, int64_t value) {
  auto it = std::lower_bound(usage.begin(), usage.end(), fr,
                             [](const std::pair<int, int64_t>& e, int id) { return e.first < id; });
  if (it != usage.end() && it->first == fr) {
    it->second += value;
  } else {
    usage.insert(it, {fr, value});
  }
}

int Snapshot::AddNode(std::string name, bool is_cq, double fair_weight) {
  Node n;
  n.name = std::move(name);
  n.is_cq = is_cq;
  n.fair_weight = fair_weight;
  n.nominal.assign(num_frs_, 0);
  n.borrowing_limit.assign(num_frs_, kUnlimited);
  n.lending_limit.assign(num_frs_, kUnlimited);
  n.subtree_quota.assign(num_frs_, 0);
  n.local_quota.assign(num_frs_, 0);
  n.potential.assign(num_frs_, 0);
  n.usage.assign(num_frs_, 0);
  nodes_.push_back(std::move(n));
  return static_cast<int>(nodes_.size()) - 1;
}

void Snapshot::ComputeSubtree(int n, int root, std::vector<int>& order) {
  Node& node = nodes_[n];
  node.root = root;
  node.subtree_quota = node.nominal;
  int height = node.is_cq ? 0 : std::min<int>(1, node.child_cqs.size() + node.child_cohorts.size());
  for (int c : node.child_cohorts) {
    ComputeSubtree(c, root, order);
    height = std::max(height, nodes_[c].height + 1);
  }
  for (int c : node.child_cqs) {
    ComputeSubtree(c, root, order);
  }
  // accumulateFromChild: a child contributes what it does not keep for itself.
  for (int c : node.child_cohorts) {
    for (int fr = 0; fr < num_frs_; ++fr) {
      nodes_[n].subtree_quota[fr] += nodes_[c].subtree_quota[fr] - nodes_[c].local_quota[fr];
    }
  }
  for (int c : node.child_cqs) {
    for (int fr = 0; fr < num_frs_; ++fr) {
      nodes_[n].subtree_quota[fr] += nodes_[c].subtree_quota[fr] - nodes_[c].local_quota[fr];
    }
  }
  Node& self = nodes_[n];
  self.height = height;
  for (int fr = 0; fr < num_frs_; ++fr) {
    int64_t ll = self.lending_limit[fr];
    self.local_quota[fr] = ll == kUnlimited ? 0 : std::max<int64_t>(0, self.subtree_quota[fr] - ll);
  }
  order.push_back(n);
}

int64_t Snapshot::ComputePotential(int n, int fr) const {
  const Node& node = nodes_[n];
  if (node.parent < 0) {
    return node.subtree_quota[fr];
  }
  int64_t available = node.local_quota[fr] + nodes_[node.parent].potential[fr];
  if (node.borrowing_limit[fr] != kUnlimited) {
    available = std::min(available, node.subtree_quota[fr] + node.borrowing_limit[fr]);
  }
  return available;
}

void Snapshot::Finalize(const std::vector<int>& resource_of_fr) {
  resource_of_fr_ = resource_of_fr;
  std::vector<int> post_order;
  for (int n = 0; n < size(); ++n) {
    if (nodes_[n].parent < 0) {
      ComputeSubtree(n, n, post_order);
    }
  }
  // Parents come before children in reverse post-order, which PotentialAvailable needs.
  for (auto it = post_order.rbegin(); it != post_order.rend(); ++it) {
    for (int fr = 0; fr < num_frs_; ++fr) {
      nodes_[*it].potential[fr] = ComputePotential(*it, fr);
    }
  }
  for (Node& node : nodes_) {
    if (node.is_cq) {
      continue;
    }
    node.lendable.assign(num_resources_, 0);
    for (int fr = 0; fr < num_frs_; ++fr) {
      node.lendable[resource_of_fr_[fr]] += node.potential[fr];
    }
  }
}

int64_t Snapshot::LocalAvailable(int n, int fr) const {
  return std::max<int64_t>(0, nodes_[n].local_quota[fr] - nodes_[n].usage[fr]);
}

int64_t Snapshot::Available(int n, int fr) const {
  const Node& node = nodes_[n];
  if (node.parent < 0) {
    return node.subtree_quota[fr] - node.usage[fr];
  }
  int64_t parent_available = Available(node.parent, fr);
  if (node.borrowing_limit[fr] != kUnlimited) {
    int64_t stored_in_parent = node.subtree_quota[fr] - node.local_quota[fr];
    int64_t used_in_parent = std::max<int64_t>(0, node.usage[fr] - node.local_quota[fr]);
    parent_available =
        std::min(stored_in_parent - used_in_parent + node.borrowing_limit[fr], parent_available);
  }
  return LocalAvailable(n, fr) + parent_available;
}

void Snapshot::AddUsage(int n, int fr, int64_t value) {
  while (n >= 0) {
    Node& node = nodes_[n];
    int64_t local_available = LocalAvailable(n, fr);
    node.usage[fr] += value;
    if (node.parent < 0 || value <= local_available) {
      return;
    }
    value -= local_available;
    n = node.parent;
  }
}

void Snapshot::RemoveUsage(int n, int fr, int64_t value) {
  while (n >= 0) {
    Node& node = nodes_[n];
    int64_t stored_in_parent = node.usage[fr] - node.local_quota[fr];
    node.usage[fr] -= value;
    if (stored_in_parent <= 0 || node.parent < 0) {
      return;
    }
    value = std::min(value, stored_in_parent);
    n = node.parent;
  }
}

void Snapshot::AddUsage(int n, const Usage& usage) {
  for (const auto& [fr, v] : usage) {
    AddUsage(n, fr, v);
  }
}

void Snapshot::RemoveUsage(int n, const Usage& usage) {
  for (const auto& [fr, v] : usage) {
    RemoveUsage(n, fr, v);
  }
}

std::pair<int, bool> Snapshot::HeightOfLowestSubtreeThatFits(int cq, int fr, int64_t value) const {
  if (!(BorrowingWith(cq, fr, value) && HasParent(cq))) {
    return {0, HasParent(cq)};
  }
  int64_t remaining = value - LocalAvailable(cq, fr);
  int tracking = cq;
  for (int n = nodes_[cq].parent; n >= 0; n = nodes_[n].parent) {
    tracking = n;
    if (!BorrowingWith(n, fr, remaining)) {
      return {nodes_[n].height, HasParent(n)};
    }
    remaining -= LocalAvailable(n, fr);
  }
  return {nodes_[tracking].height, HasParent(tracking)};
}

Drs Snapshot::DominantResourceShare(int n, const Usage& extra) const {
  Drs drs;
  const Node& node = nodes_[n];
  if (node.parent < 0) {
    return drs;
  }
  std::vector<int64_t> borrowed(num_resources_, 0);
  size_t e = 0;
  for (int fr = 0; fr < num_frs_; ++fr) {
    int64_t add = 0;
    while (e < extra.size() && extra[e].first < fr) {
      ++e;
    }
    if (e < extra.size() && extra[e].first == fr) {
      add = extra[e].second;
    }
    int64_t b = add + node.usage[fr] - node.subtree_quota[fr];
    if (b > 0) {
      borrowed[resource_of_fr_[fr]] += b;
      drs.borrowing = true;
    }
  }
  if (!drs.borrowing) {
    return drs;
  }
  const std::vector<int64_t>& lendable = nodes_[node.parent].lendable;
  double ratio = 0;
  for (int r = 0; r < num_resources_; ++r) {
    if (borrowed[r] > 0 && lendable[r] > 0) {
      ratio = std::max(
          ratio, static_cast<double>(borrowed[r]) * 1000.0 / static_cast<double>(lendable[r]));
    }
  }
  if (node.fair_weight == 0) {
    drs.value = std::numeric_limits<int64_t>::max();
    drs.precise = std::numeric_limits<double>::infinity();
    return drs;
  }
  drs.precise = ratio / node.fair_weight;
  drs.value = static_cast<int64_t>(std::ceil(drs.precise));
  return drs;
}

namespace {

bool IsBinaryResource(std::string_view resource) {
  return resource == "memory" || resource == "ephemeral-storage" || resource == "storage" ||
         resource.starts_with("hugepages-");
}

}  // namespace

std::string FormatQuantity(std::string_view resource, int64_t milli) {
  std::string sign = milli < 0 ? "-" : "";
  uint64_t m = milli < 0 ? static_cast<uint64_t>(-(milli + 1)) + 1 : static_cast<uint64_t>(milli);
  if (m % 1000 != 0) {
    return sign + std::to_string(m) + "m";
  }
  uint64_t v = m / 1000;
  if (v == 0) {
    return "0";
  }
  if (IsBinaryResource(resource) && v >= 1024 && v % 1024 == 0) {
    static const char* kBinary[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int i = -1;
    while (v % 1024 == 0 && i < 5) {
      v /= 1024;
      ++i;
    }
    return sign + std::to_string(v) + kBinary[i];
  }
  static const char* kDecimal[] = {"", "k", "M", "G", "T", "P", "E"};
  int i = 0;
  while (v % 1000 == 0 && i < 6) {
    v /= 1000;
    ++i;
  }
  return sign + std::to_string(v) + kDecimal[i];
}

}  // namespace skiff::kueue::internal

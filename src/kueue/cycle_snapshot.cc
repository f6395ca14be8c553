// A cycle's snapshot: the quota tree of ClusterQueues and cohorts, queue activity, and the
// usage of admitted workloads.
#include <algorithm>

#include "kueue/cycle.h"

namespace skiff::kueue::internal {

void Cycle::BuildCq(const ClusterQueue& spec, int node) {
  CqInfo info;
  info.spec = &spec;
  info.node = node;
  std::vector<std::string> reasons;
  std::vector<std::string> messages;
  if (spec.stop_policy != StopPolicy::kNone) {
    reasons.push_back("Stopped");
    messages.push_back("is stopped");
  }
  std::string missing;
  for (const ResourceGroup& rg : spec.resource_groups) {
    GroupInfo g;
    int gi = static_cast<int>(info.groups.size());
    for (const std::string& r : rg.covered_resources) {
      int res = s_.resources.Intern(r);
      g.resources.push_back(res);
      info.group_of_resource.emplace_back(res, gi);
      if (r == "pods") {
        info.pods_resource = res;
      }
    }
    for (const FlavorQuotas& fq : rg.flavors) {
      FlavorOption option;
      option.flavor = s_.flavor_names.Intern(fq.name);
      auto it = s_.flavors.find(fq.name);
      if (it != s_.flavors.end()) {
        option.spec = &it->second;
      } else if (("," + missing + ",").find("," + fq.name + ",") == std::string::npos) {
        missing += (missing.empty() ? "" : ",") + fq.name;
      }
      for (int res : g.resources) {
        option.frs.push_back(s_.frs.Intern(option.flavor, res));
      }
      g.flavors.push_back(std::move(option));
    }
    info.groups.push_back(std::move(g));
  }
  std::sort(info.group_of_resource.begin(), info.group_of_resource.end());
  if (!missing.empty()) {
    reasons.push_back("FlavorNotFound");
    messages.push_back("references missing ResourceFlavor(s): " + missing);
  }
  if (!spec.inactive_reason.empty()) {
    reasons.push_back(spec.inactive_reason);
    messages.push_back(spec.inactive_message);
  }
  if (reasons.empty()) {
    info.reason = "Ready";
    info.message = "Can admit new workloads";
  } else {
    info.active = false;
    info.reason = reasons[0];
    info.message = "Can't admit new workloads: ";
    for (size_t i = 0; i < messages.size(); ++i) {
      info.message += (i > 0 ? ", " : "") + messages[i];
    }
    info.message += ".";
  }
  cq_index_[spec.name] = static_cast<int>(cqs_.size());
  cqs_.push_back(std::move(info));
}

void Cycle::BuildSnapshot() {
  // Intern every flavor-resource named by a quota first: the snapshot's arrays are dense.
  auto intern_groups = [&](const std::vector<ResourceGroup>& groups) {
    for (const ResourceGroup& rg : groups) {
      for (const FlavorQuotas& fq : rg.flavors) {
        int f = s_.flavor_names.Intern(fq.name);
        for (const std::string& r : rg.covered_resources) {
          s_.frs.Intern(f, s_.resources.Intern(r));
        }
        for (const ResourceQuota& q : fq.resources) {
          s_.frs.Intern(f, s_.resources.Intern(q.name));
        }
      }
    }
  };
  for (const auto& [name, cq] : s_.cluster_queues) {
    intern_groups(cq.resource_groups);
  }
  for (const auto& [name, cohort] : s_.cohorts) {
    intern_groups(cohort.resource_groups);
  }
  snap_ = std::make_unique<Snapshot>(s_.frs.size(), s_.resources.size());
  auto set_quotas = [&](int node, const std::vector<ResourceGroup>& groups, bool limits) {
    Node& n = snap_->node(node);
    for (const ResourceGroup& rg : groups) {
      for (const FlavorQuotas& fq : rg.flavors) {
        int f = s_.flavor_names.Intern(fq.name);
        for (const ResourceQuota& q : fq.resources) {
          int fr = s_.frs.Intern(f, s_.resources.Intern(q.name));
          n.nominal[fr] = q.nominal;
          // Limits only apply within a cohort (the API rejects them otherwise).
          if (limits && q.borrowing_limit) {
            n.borrowing_limit[fr] = *q.borrowing_limit;
          }
          if (limits && q.lending_limit) {
            n.lending_limit[fr] = *q.lending_limit;
          }
        }
      }
    }
  };

  std::unordered_map<std::string, int> cohort_nodes;
  auto cohort_node = [&](const std::string& name) {
    auto it = cohort_nodes.find(name);
    if (it != cohort_nodes.end()) {
      return it->second;
    }
    int n = snap_->AddNode(name, false, 1.0);
    cohort_nodes.emplace(name, n);
    return n;
  };
  for (const auto& [name, cq] : s_.cluster_queues) {
    int node = snap_->AddNode(name, true, cq.fair_sharing_weight);
    set_quotas(node, cq.resource_groups, !cq.cohort.empty());
    if (!cq.cohort.empty()) {
      snap_->node(node).parent = cohort_node(cq.cohort);
    }
    BuildCq(cq, node);
  }
  for (const auto& [name, cohort] : s_.cohorts) {
    int node = cohort_node(name);
    snap_->node(node).fair_weight = cohort.fair_sharing_weight;
    set_quotas(node, cohort.resource_groups, !cohort.parent.empty());
    if (!cohort.parent.empty()) {
      int parent = cohort_node(cohort.parent);
      snap_->node(node).parent = parent;
    }
  }
  // A cohort cycle (rejected by upstream's webhook) is cut where it is found.
  for (int n = 0; n < snap_->size(); ++n) {
    std::vector<int> path;
    for (int p = n; p >= 0; p = snap_->node(p).parent) {
      if (std::find(path.begin(), path.end(), p) != path.end()) {
        snap_->node(path.back()).parent = -1;
        break;
      }
      path.push_back(p);
    }
  }
  for (int n = 0; n < snap_->size(); ++n) {
    int p = snap_->node(n).parent;
    if (p >= 0) {
      (snap_->node(n).is_cq ? snap_->node(p).child_cqs : snap_->node(p).child_cohorts).push_back(n);
    }
  }
  std::vector<int> resource_of_fr(s_.frs.size());
  for (int fr = 0; fr < s_.frs.size(); ++fr) {
    resource_of_fr[fr] = s_.frs.resource(fr);
  }
  snap_->Finalize(resource_of_fr);

  for (auto& [cq_name, set] : s_.admitted) {
    auto it = cq_index_.find(cq_name);
    for (WorkloadInfo* w : set) {
      w->victim = false;
      w->cycle_cq = -1;
      if (it == cq_index_.end()) {
        continue;
      }
      w->cycle_cq = it->second;
      CqInfo& info = cqs_[it->second];
      snap_->AddUsage(info.node, w->usage);
      info.admitted.push_back(w);
    }
  }
  cqs_in_tree_.assign(snap_->size(), {});
  for (int i = 0; i < static_cast<int>(cqs_.size()); ++i) {
    cqs_in_tree_[snap_->node(cqs_[i].node).root].push_back(i);
  }
}

}  // namespace skiff::kueue::internal

// Flavor assignment, after upstream pkg/scheduler/flavorassigner/flavorassigner.go.
#include "kueue/flavor_assigner.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <string>
#include <tuple>

namespace skiff::kueue::internal {

namespace {

struct Granular {
  PMode pmode = PMode::kFit;
  int borrow = 0;
};

Granular Worst() { return {PMode::kNoFit, INT_MAX}; }

// isPreferred with the default BorrowingOverPreemption preference.
bool IsPreferred(const Granular& a, const Granular& b) {
  if (a.pmode == PMode::kNoFit) {
    return false;
  }
  if (b.pmode == PMode::kNoFit) {
    return true;
  }
  // A flavor whose preemption found no victims cannot admit now: rank it below viable modes.
  bool a_none = a.pmode == PMode::kNoCandidates;
  bool b_none = b.pmode == PMode::kNoCandidates;
  if (a_none != b_none) {
    return !a_none;
  }
  if (a.pmode != b.pmode) {
    return a.pmode > b.pmode;
  }
  return a.borrow < b.borrow;
}

bool ShouldTryNextFlavor(const Granular& mode, const FlavorFungibility& f) {
  if (mode.pmode == PMode::kNoFit || mode.pmode == PMode::kNoCandidates) {
    return true;
  }
  bool preempt = mode.pmode == PMode::kPreempt || mode.pmode == PMode::kReclaim;
  if (preempt && f.when_can_preempt == FungibilityPolicy::kTryNextFlavor) {
    return true;
  }
  return mode.borrow > 0 && f.when_can_borrow == FungibilityPolicy::kTryNextFlavor;
}

Mode ToMode(PMode p) {
  switch (p) {
    case PMode::kNoFit:
      return Mode::kNoFit;
    case PMode::kFit:
      return Mode::kFit;
    default:
      return Mode::kPreempt;
  }
}

int Severity(const std::string& reason) {
  if (reason == "NoMatchingFlavor") {
    return 4;
  }
  if (reason == "ExceedsMaxQuota") {
    return 3;
  }
  if (reason == "WaitingForQuota") {
    return 2;
  }
  return 0;
}

const std::string& MostSevere(const std::string& a, const std::string& b) {
  return Severity(a) >= Severity(b) ? a : b;
}

const char* EffectName(TaintEffect e) {
  switch (e) {
    case TaintEffect::kNoSchedule:
      return "NoSchedule";
    case TaintEffect::kPreferNoSchedule:
      return "PreferNoSchedule";
    case TaintEffect::kNoExecute:
      return "NoExecute";
  }
  return "";
}

bool Tolerates(const Toleration& t, const Taint& taint) {
  if (t.effect && *t.effect != taint.effect) {
    return false;
  }
  if (!t.key.empty() && t.key != taint.key) {
    return false;
  }
  if (t.op == Toleration::Operator::kExists) {
    return true;
  }
  return t.key == taint.key && t.value == taint.value;
}

bool ParseInt(const std::string& s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool Matches(const NodeSelectorRequirement& r, const std::map<std::string, std::string>& labels) {
  auto it = labels.find(r.key);
  bool has = it != labels.end();
  auto in_values = [&] {
    return has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
  };
  switch (r.op) {
    case NodeSelectorRequirement::Operator::kIn:
      return in_values();
    case NodeSelectorRequirement::Operator::kNotIn:
      return !in_values();
    case NodeSelectorRequirement::Operator::kExists:
      return has;
    case NodeSelectorRequirement::Operator::kDoesNotExist:
      return !has;
    case NodeSelectorRequirement::Operator::kGt:
    case NodeSelectorRequirement::Operator::kLt: {
      int64_t label = 0;
      int64_t bound = 0;
      if (!has || r.values.size() != 1 || !ParseInt(it->second, label) ||
          !ParseInt(r.values[0], bound)) {
        return false;
      }
      return r.op == NodeSelectorRequirement::Operator::kGt ? label > bound : label < bound;
    }
  }
  return false;
}

}  // namespace

std::string CheckFlavor(const PodSet& pod_set, const ResourceFlavor& flavor) {
  for (const Taint& taint : flavor.node_taints) {
    if (taint.effect == TaintEffect::kPreferNoSchedule) {
      continue;
    }
    bool tolerated = std::any_of(pod_set.tolerations.begin(), pod_set.tolerations.end(),
                                 [&](const Toleration& t) { return Tolerates(t, taint); }) ||
                     std::any_of(flavor.tolerations.begin(), flavor.tolerations.end(),
                                 [&](const Toleration& t) { return Tolerates(t, taint); });
    if (!tolerated) {
      return "untolerated taint {" + taint.key + " " + taint.value + " " +
             EffectName(taint.effect) + " <nil>} in flavor " + flavor.name;
    }
  }
  // Only the label keys the flavor itself defines are compared (kueue.md §1 ResourceFlavor).
  const auto& labels = flavor.node_labels;
  for (const auto& [key, value] : pod_set.node_selector) {
    auto it = labels.find(key);
    if (it != labels.end() && it->second != value) {
      return "flavor " + flavor.name + " doesn't match node affinity";
    }
  }
  bool any_term = false;
  bool matched = false;
  for (const NodeSelectorTerm& term : pod_set.required_node_affinity) {
    std::vector<const NodeSelectorRequirement*> relevant;
    for (const NodeSelectorRequirement& r : term.match_expressions) {
      if (labels.count(r.key) > 0) {
        relevant.push_back(&r);
      }
    }
    // A term left without requirements matches any flavor, since terms are ORed.
    if (relevant.empty()) {
      any_term = false;
      matched = true;
      break;
    }
    any_term = true;
    if (std::all_of(relevant.begin(), relevant.end(),
                    [&](const NodeSelectorRequirement* r) { return Matches(*r, labels); })) {
      matched = true;
    }
  }
  if (any_term && !matched) {
    return "flavor " + flavor.name + " doesn't match node affinity";
  }
  return "";
}

std::string Assignment::Message(const Workload& wl) const {
  std::string out;
  for (size_t i = 0; i < pod_sets.size(); ++i) {
    const PodSetResult& ps = pod_sets[i];
    if (ps.mode == Mode::kFit) {
      continue;
    }
    std::vector<std::string> reasons = ps.reasons;
    std::sort(reasons.begin(), reasons.end());
    if (!out.empty()) {
      out += "; ";
    }
    out += "couldn't assign flavors to pod set " + wl.pod_sets[i].name + ": ";
    for (size_t r = 0; r < reasons.size(); ++r) {
      out += (r > 0 ? ", " : "") + reasons[r];
    }
  }
  return out;
}

int CqInfo::GroupOf(int resource) const {
  auto it = std::lower_bound(group_of_resource.begin(), group_of_resource.end(), resource,
                             [](const std::pair<int, int>& e, int r) { return e.first < r; });
  return it != group_of_resource.end() && it->first == resource ? it->second : -1;
}

struct FlavorAssigner::GroupResult {
  int flavor = -1;  // -1: nothing assignable
  // Flavor-resource per requested resource, with its mode and borrowing height.
  std::vector<std::tuple<int, PMode, int>> frs;
  Granular mode = Worst();
  std::vector<std::string> reasons;
  std::string no_fit_reason;
};

FlavorAssigner::GroupResult FlavorAssigner::FindFlavor(
    const WorkloadInfo& w, int ps, int cq, int group,
    const std::vector<std::pair<int, int64_t>>& requests, const Usage& assumed) {
  const CqInfo& info = cqs_[cq];
  const GroupInfo& g = info.groups[group];
  const FlavorFungibility& fungibility = info.spec->flavor_fungibility;
  GroupResult best;
  std::vector<std::string> reasons;
  bool tried_any = false;
  std::string least_severe;  // among the flavors that did not fit: the most promising one
  for (const FlavorOption& option : g.flavors) {
    const std::string& fname = flavors_.Name(option.flavor);
    std::string flavor_reason;
    Granular rep;
    std::vector<std::tuple<int, PMode, int>> frs;
    if (option.spec == nullptr) {
      reasons.push_back("flavor " + fname + " not found");
      flavor_reason = "NoMatchingFlavor";
      rep = Worst();
    } else if (std::string msg = CheckFlavor(w.wl.pod_sets[ps], *option.spec); !msg.empty()) {
      reasons.push_back(std::move(msg));
      flavor_reason = "NoMatchingFlavor";
      rep = Worst();
    } else {
      for (const auto& [res, val] : requests) {
        size_t idx = std::find(g.resources.begin(), g.resources.end(), res) - g.resources.begin();
        int fr = option.frs[idx];
        int64_t previous = 0;
        auto it =
            std::lower_bound(assumed.begin(), assumed.end(), fr,
                             [](const std::pair<int, int64_t>& e, int id) { return e.first < id; });
        if (it != assumed.end() && it->first == fr) {
          previous = it->second;
        }
        // fitsResourceQuota
        const std::string& rname = resources_.Name(res);
        int64_t total = previous + val;
        int64_t available = snapshot_.Available(info.node, fr);
        int64_t max_capacity = snapshot_.PotentialAvailable(info.node, fr);
        Granular mode;
        if (total > max_capacity) {
          reasons.push_back("insufficient quota for " + rname + " in flavor " + fname +
                            ", previously considered podsets requests (" +
                            FormatQuantity(rname, previous) + ") + current podset request (" +
                            FormatQuantity(rname, val) + ") > maximum capacity (" +
                            FormatQuantity(rname, max_capacity) + ")");
          flavor_reason = MostSevere(flavor_reason, "ExceedsMaxQuota");
          mode = {PMode::kNoFit, 0};
        } else {
          auto [borrow, may_reclaim] =
              snapshot_.HeightOfLowestSubtreeThatFits(info.node, fr, total);
          if (total <= available) {
            mode = {PMode::kFit, borrow};
          } else {
            reasons.push_back("insufficient unused quota for " + rname + " in flavor " + fname +
                              ", " + FormatQuantity(rname, total - available) + " more needed");
            // Preempt only within nominal quota, when the hierarchy lets us reclaim, or when
            // the queue may preempt while borrowing.
            if (snapshot_.node(info.node).nominal[fr] >= total || may_reclaim ||
                preemptor_.CanPreemptWhileBorrowing(cq)) {
              auto [pmode, borrow_after] = preemptor_.Simulate(w, cq, fr, total);
              mode = {pmode, borrow_after};
            } else {
              flavor_reason = MostSevere(flavor_reason, "WaitingForQuota");
              mode = {PMode::kNoFit, borrow};
            }
          }
        }
        if (IsPreferred(rep, mode)) {
          rep = mode;
        }
        if (rep.pmode == PMode::kNoFit) {
          break;
        }
        frs.emplace_back(fr, mode.pmode, mode.borrow);
      }
    }
    tried_any = true;
    if (rep.pmode == PMode::kNoFit) {
      if (least_severe.empty() || Severity(flavor_reason) < Severity(least_severe)) {
        least_severe = flavor_reason;
      }
    }
    if (!ShouldTryNextFlavor(rep, fungibility)) {
      best = {option.flavor, std::move(frs), rep, {}, {}};
      break;
    }
    if (IsPreferred(rep, best.mode)) {
      best = {option.flavor, std::move(frs), rep, {}, {}};
    }
  }
  if (best.mode.pmode != PMode::kFit) {
    best.reasons = std::move(reasons);
  }
  if (best.mode.pmode == PMode::kNoFit) {
    best.flavor = -1;
    best.no_fit_reason = tried_any ? least_severe : "NoMatchingFlavor";
  }
  return best;
}

Assignment FlavorAssigner::Assign(const WorkloadInfo& w, int cq,
                                  const std::vector<int32_t>* counts) {
  const CqInfo& info = cqs_[cq];
  Assignment a;
  a.mode = Mode::kFit;
  a.pod_sets.reserve(w.pod_sets.size());
  std::vector<std::pair<int, int64_t>> requests;
  std::vector<std::pair<int, int64_t>> group_requests;
  for (size_t i = 0; i < w.pod_sets.size(); ++i) {
    const PodSetInfo& ps = w.pod_sets[i];
    PodSetResult result;
    result.count = counts != nullptr ? (*counts)[i] : ps.count;
    requests.clear();
    for (const auto& [res, per_pod] : ps.requests) {
      requests.emplace_back(res, per_pod * result.count);
    }
    if (info.pods_resource >= 0) {
      // A queue that covers "pods" counts every pod against it.
      auto it =
          std::lower_bound(requests.begin(), requests.end(), info.pods_resource,
                           [](const std::pair<int, int64_t>& e, int r) { return e.first < r; });
      if (it != requests.end() && it->first == info.pods_resource) {
        it->second = int64_t{result.count} * 1000;
      } else {
        requests.insert(it, {info.pods_resource, int64_t{result.count} * 1000});
      }
    }
    std::vector<int> done_groups;
    Usage pod_set_usage;
    bool failed = false;
    std::string no_fit_reason;
    for (const auto& [res, quantity] : requests) {
      int g = info.GroupOf(res);
      if (g < 0) {
        if (quantity == 0) {
          continue;  // zero requests of undeclared resources are irrelevant (upstream #8079)
        }
        result.reasons.push_back("resource " + resources_.Name(res) +
                                 " unavailable in ClusterQueue");
        no_fit_reason = "NoMatchingFlavor";
        failed = true;
        break;
      }
      if (std::find(done_groups.begin(), done_groups.end(), g) != done_groups.end()) {
        continue;
      }
      done_groups.push_back(g);
      group_requests.clear();
      for (const auto& [r, q] : requests) {
        if (info.GroupOf(r) == g) {
          group_requests.emplace_back(r, q);
        }
      }
      GroupResult gr = FindFlavor(w, static_cast<int>(i), cq, g, group_requests, a.usage);
      result.reasons.insert(result.reasons.end(), gr.reasons.begin(), gr.reasons.end());
      if (gr.flavor < 0) {
        no_fit_reason = gr.no_fit_reason;
        failed = true;
        break;
      }
      for (size_t k = 0; k < group_requests.size(); ++k) {
        result.flavors.emplace_back(group_requests[k].first, gr.flavor);
        auto [fr, pmode, borrow] = gr.frs[k];
        AddTo(pod_set_usage, fr, group_requests[k].second);
        a.fr_borrow.emplace_back(fr, borrow);
        Mode m = ToMode(pmode);
        result.mode = std::min(result.mode, m);
        if (m == Mode::kPreempt) {
          auto it = std::lower_bound(a.preempt_frs.begin(), a.preempt_frs.end(), fr);
          if (it == a.preempt_frs.end() || *it != fr) {
            a.preempt_frs.insert(it, fr);
          }
        }
      }
      a.borrowing = std::max(a.borrowing, gr.mode.borrow);
    }
    if (failed) {
      result.mode = Mode::kNoFit;
      result.flavors.clear();
      a.pod_sets.push_back(std::move(result));
      a.mode = Mode::kNoFit;
      a.no_fit_reason = no_fit_reason;
      return a;  // gang: one pod set without flavors fails the workload
    }
    // Usage is added after the pod set so later pod sets see it as "previously considered".
    for (const auto& [fr, quantity] : pod_set_usage) {
      AddTo(a.usage, fr, quantity);
    }
    if (result.mode == Mode::kFit) {
      result.reasons.clear();
    }
    a.mode = std::min(a.mode, result.mode);
    a.pod_sets.push_back(std::move(result));
  }
  return a;
}

}  // namespace skiff::kueue::internal

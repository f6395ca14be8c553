// One scheduling cycle: per cohort tree an interleaving of the ClusterQueues' heads (classic
// order or fair-sharing tournament) that admits every workload that fits, issues preemptions,
// and records why the others wait.
#include "kueue/cycle.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <tuple>

namespace skiff::kueue::internal {

Outcome* Cycle::NewOutcome(std::string reason, std::string message) {
  outcomes_.push_back({std::move(reason), std::move(message)});
  return &outcomes_.back();
}

Assignment Cycle::Assign(WorkloadInfo* w, int cq, const std::vector<int32_t>* counts) {
  int64_t preemption_before = result_.stats.preemption_ns;
  SteadyClock::time_point start = SteadyClock::now();
  Assignment a = assigner_->Assign(*w, cq, counts);
  int64_t elapsed =
      std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start).count();
  result_.stats.flavor_assignment_ns += elapsed - (result_.stats.preemption_ns - preemption_before);
  return a;
}

template <typename Pred>
std::vector<int> Cycle::Suspend(Pred pred) {
  std::vector<int> suspended;
  for (int i = 0; i < static_cast<int>(reservations_.size()); ++i) {
    Reservation& r = reservations_[i];
    if (r.applied && pred(r)) {
      snap_->RemoveUsage(r.node, r.usage);
      r.applied = false;
      suspended.push_back(i);
    }
  }
  return suspended;
}

void Cycle::Resume(const std::vector<int>& suspended) {
  for (auto it = suspended.rbegin(); it != suspended.rend(); ++it) {
    Reservation& r = reservations_[*it];
    snap_->AddUsage(r.node, r.usage);
    r.applied = true;
  }
}

void Cycle::Targets(Entry& e, int cq) {
  e.targets = preemptor_->GetTargets(*e.w, cq, e.a.usage, e.a.preempt_frs);
  e.waits_for = 0;
  if (e.targets.empty() && preemptor_->fits_after_victims()) {
    int root = snap_->node(cqs_[cq].node).root;
    for (const WorkloadInfo* v : victims_) {
      e.waits_for += snap_->node(cqs_[v->cycle_cq].node).root == root ? 1 : 0;
    }
  }
}

Entry Cycle::Nominate(WorkloadInfo* w, int cq) {
  ++result_.stats.evaluated;
  std::vector<int> own =
      Suspend([cq](const Reservation& r) { return r.unreclaimable && r.cq == cq; });
  Entry e = NominateWith(w, cq);
  Resume(own);
  return e;
}

Entry Cycle::NominateWith(WorkloadInfo* w, int cq) {
  Entry e;
  e.w = w;
  e.version = version_;
  e.a = Assign(w, cq, nullptr);
  if (e.a.mode == Mode::kFit) {
    return e;
  }
  if (e.a.mode == Mode::kPreempt) {
    Targets(e, cq);
    if (e.CanPreempt()) {
      return e;
    }
  }
  // Partial admission: the smallest cut of the min_count pod sets (from the last one) that
  // fits or can preempt, by binary search (upstream podset_reducer.go).
  int64_t total_delta = 0;
  for (const PodSetInfo& ps : w->pod_sets) {
    total_delta += ps.count - ps.min_count;
  }
  if (!s_.options.partial_admission || total_delta == 0) {
    return e;
  }
  std::vector<int32_t> counts(w->pod_sets.size());
  auto distribute = [&](int64_t amount) {
    for (size_t i = w->pod_sets.size(); i-- > 0;) {
      int64_t cut = std::min<int64_t>(w->pod_sets[i].count - w->pod_sets[i].min_count, amount);
      counts[i] = w->pod_sets[i].count - static_cast<int32_t>(cut);
      amount -= cut;
    }
  };
  std::optional<Entry> best;
  int64_t lo = 1;
  int64_t hi = total_delta;
  while (lo <= hi) {
    int64_t mid = lo + (hi - lo) / 2;
    distribute(mid);
    Entry probe;
    probe.w = w;
    probe.version = version_;
    probe.a = Assign(w, cq, &counts);
    bool ok = probe.a.mode == Mode::kFit;
    if (probe.a.mode == Mode::kPreempt) {
      Targets(probe, cq);
      ok = probe.CanPreempt();
    }
    if (ok) {
      best = std::move(probe);
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return best ? std::move(*best) : e;
}

bool Cycle::Refresh(Head& h) {
  Entry& e = *h.entry;
  // Quota only shrinks within a cycle, so flavors that lost to the chosen ones cannot have
  // become better: a single-pod-set Fit assignment stands while each chosen flavor-resource
  // still fits at the same borrowing height.
  if (e.a.mode == Mode::kFit && e.w->pod_sets.size() == 1) {
    int node = cqs_[h.cq].node;
    std::vector<int> own =
        Suspend([&](const Reservation& r) { return r.unreclaimable && r.cq == h.cq; });
    bool valid = true;
    for (const auto& [fr, borrow] : e.a.fr_borrow) {
      int64_t total = 0;
      for (const auto& [id, q] : e.a.usage) {
        total += id == fr ? q : 0;
      }
      if (total > snap_->Available(node, fr) ||
          snap_->HeightOfLowestSubtreeThatFits(node, fr, total).first != borrow) {
        valid = false;
        break;
      }
    }
    Resume(own);
    if (valid) {
      e.version = version_;
      return true;
    }
  }
  Entry fresh = Nominate(e.w, h.cq);
  if (Settle(h, fresh)) {
    AdvanceHead(h);
    return false;
  }
  h.entry = std::move(fresh);
  return true;
}

void Cycle::ReserveUnreclaimable(int cq, const Assignment& a) {
  // Keep lower-ordered workloads of other queues from taking quota this queue is entitled to
  // but cannot reclaim by preemption (upstream reserveCapacityForUnreclaimablePreempt).
  // Only other queues of the cohort could take it; later workloads of this queue may use what
  // this one cannot (BestEffortFIFO).
  if (cqs_[cq].spec->preemption.reclaim_within_cohort == ReclaimWithinCohortPolicy::kAny ||
      !snap_->HasParent(cqs_[cq].node)) {
    return;
  }
  const Node& node = snap_->node(cqs_[cq].node);
  Usage reserve;
  for (const auto& [fr, v] : a.usage) {
    int64_t r;
    if (a.borrowing > 0) {
      r = node.borrowing_limit[fr] == kUnlimited
              ? v
              : std::min(v, node.nominal[fr] + node.borrowing_limit[fr] - node.usage[fr]);
    } else {
      r = std::max<int64_t>(0, std::min(v, node.nominal[fr] - node.usage[fr]));
    }
    if (r > 0) {
      reserve.emplace_back(fr, r);
    }
  }
  if (reserve.empty()) {
    return;
  }
  snap_->AddUsage(cqs_[cq].node, reserve);
  reservations_.push_back({cqs_[cq].node, cq, true, std::move(reserve)});
  ++version_;
}

void Cycle::Pass(Head& h, bool attempted) {
  // StrictFIFO: a head that cannot be admitted now blocks the queue; upstream mode: one attempt
  // per queue and cycle.
  if (h.strict || (attempted && !s_.options.admit_all_that_fit)) {
    h.done = true;
    return;
  }
  ++h.it;
}

bool Cycle::Settle(Head& h, Entry& e) {
  if (e.a.mode != Mode::kNoFit) {
    return false;  // preemption without candidates is handled in order, in Process
  }
  Outcome* o =
      NewOutcome(e.a.no_fit_reason.empty() ? "Pending" : e.a.no_fit_reason, e.a.Message(e.w->wl));
  SetOutcome(e.w, o);
  if (!h.strict) {
    h.failed_shapes.emplace(e.w->shape, o);
  }
  Pass(h, false);
  return true;
}

void Cycle::AdvanceHead(Head& h) {
  h.entry.reset();
  while (!h.done) {
    if (h.it == h.end) {
      h.done = true;
      return;
    }
    WorkloadInfo* w = *h.it;
    if (w->wl.requeue_at && *w->wl.requeue_at > now_) {
      ++h.it;  // in backoff: not in the queue yet (kueue.md §3 waitForPodsReady)
      continue;
    }
    if (!h.strict && s_.options.equivalence_skipping) {
      auto it = h.failed_shapes.find(w->shape);
      if (it != h.failed_shapes.end()) {
        SetOutcome(w, it->second);
        ++result_.stats.skipped_equivalent;
        ++h.it;
        continue;
      }
    }
    Entry e = Nominate(w, h.cq);
    if (Settle(h, e)) {
      continue;
    }
    h.entry = std::move(e);
    return;
  }
}

void Cycle::Admit(Head& h, Entry& e) {
  PhaseTimer t(result_.stats.commit_ns);
  const CqInfo& info = cqs_[h.cq];
  snap_->AddUsage(info.node, e.a.usage);
  ++version_;
  Admission admission;
  admission.cluster_queue = info.spec->name;
  for (size_t i = 0; i < e.a.pod_sets.size(); ++i) {
    const PodSetResult& ps = e.a.pod_sets[i];
    PodSetAssignment psa;
    psa.name = e.w->wl.pod_sets[i].name;
    psa.count = ps.count;
    for (const auto& [res, flavor] : ps.flavors) {
      const std::string& rname = s_.resources.Name(res);
      psa.flavors[rname] = s_.flavor_names.Name(flavor);
      psa.resource_usage[rname] = 0;
    }
    for (const auto& [res, per_pod] : e.w->pod_sets[i].requests) {
      auto it = psa.resource_usage.find(s_.resources.Name(res));
      if (it != psa.resource_usage.end()) {
        it->second = per_pod * ps.count;
      }
    }
    if (info.pods_resource >= 0) {
      auto it = psa.resource_usage.find("pods");
      if (it != psa.resource_usage.end()) {
        it->second = int64_t{ps.count} * 1000;
      }
    }
    admission.pod_set_assignments.push_back(std::move(psa));
  }
  result_.admissions.push_back({e.w->wl.key, admission});
  admitted_now_.emplace_back(e.w, std::move(admission));
}

void Cycle::Issue(Head& h, Entry& e) {
  PhaseTimer t(result_.stats.commit_ns);
  for (const Target& target : e.targets) {
    WorkloadInfo* v = target.workload;
    v->victim = true;
    victims_.push_back(v);
    if (v->wl.evicted) {
      continue;  // already being evicted: nothing new to issue
    }
    v->wl.evicted = true;
    result_.preemptions.push_back({v->wl.key, cqs_[v->cycle_cq].spec->name, e.w->wl.key,
                                   target.reason,
                                   "Preempted to accommodate a workload (UID: " + e.w->wl.uid +
                                       ") due to " + HumanReadableReason(target.reason)});
  }
  // The preemptor keeps its quota from everyone behind it while its victims stop; victims'
  // quota is not handed out in this cycle.
  int node = cqs_[h.cq].node;
  snap_->AddUsage(node, e.a.usage);
  reservations_.push_back({node, h.cq, false, e.a.usage});
  ++version_;
  size_t pending = e.targets.empty() ? static_cast<size_t>(e.waits_for) : e.targets.size();
  SetOutcome(e.w, NewOutcome("WaitingForPreemptedWorkloads",
                             e.a.Message(e.w->wl) + ". Pending the preemption of " +
                                 std::to_string(pending) + " workload(s)"));
}

void Cycle::Process(Head& h) {
  Entry e = std::move(*h.entry);
  h.entry.reset();
  if (e.a.mode == Mode::kFit) {
    Admit(h, e);
    if (!s_.options.admit_all_that_fit) {
      h.done = true;
      return;
    }
    ++h.it;
    AdvanceHead(h);
    return;
  }
  if (!e.CanPreempt()) {
    // Preemption would help but found no candidates.
    Outcome* o = NewOutcome("WaitingForQuota", e.a.Message(e.w->wl));
    SetOutcome(e.w, o);
    if (!h.strict) {
      h.failed_shapes.emplace(e.w->shape, o);
    }
    {
      PhaseTimer t(result_.stats.commit_ns);
      ReserveUnreclaimable(h.cq, e.a);
    }
    Pass(h, false);
    if (!h.done) {
      AdvanceHead(h);
    }
    return;
  }
  // It must fit once this cycle's victims and its own are gone, next to everything decided
  // before it (upstream's fits() before issuing).
  int node = cqs_[h.cq].node;
  std::vector<int> own =
      Suspend([&](const Reservation& r) { return r.unreclaimable && r.cq == h.cq; });
  for (const WorkloadInfo* v : victims_) {
    snap_->RemoveUsage(cqs_[v->cycle_cq].node, v->usage);
  }
  for (const Target& t : e.targets) {
    snap_->RemoveUsage(cqs_[t.workload->cycle_cq].node, t.workload->usage);
  }
  bool fits = std::all_of(e.a.usage.begin(), e.a.usage.end(), [&](const auto& fv) {
    return fv.second <= snap_->Available(node, fv.first);
  });
  for (const Target& t : e.targets) {
    snap_->AddUsage(cqs_[t.workload->cycle_cq].node, t.workload->usage);
  }
  for (auto it = victims_.rbegin(); it != victims_.rend(); ++it) {
    snap_->AddUsage(cqs_[(*it)->cycle_cq].node, (*it)->usage);
  }
  Resume(own);
  if (fits) {
    Issue(h, e);
  } else {
    SetOutcome(e.w, NewOutcome("WaitingForQuota",
                               "Workload no longer fits after processing another workload"));
  }
  Pass(h, true);
  if (!h.done) {
    AdvanceHead(h);
  }
}

void Cycle::ClassicLoop(std::vector<Head>& heads) {
  // Upstream's entry order (scheduler.go classicalIterator): quota closer to the queue first
  // (lower borrowing height), then higher priority, then older. Keys only get worse as quota
  // is taken, so a stale key is refreshed when popped and pushed back if it got worse.
  using Key = std::tuple<int, int32_t, SystemTime, std::string_view, std::string_view>;
  auto key_of = [](const Entry& e) {
    return Key{e.a.borrowing, -e.w->wl.priority, e.w->wl.queue_order_time, e.w->wl.uid,
               e.w->wl.key};
  };
  using Item = std::pair<Key, int>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> pq;
  {
    for (size_t i = 0; i < heads.size(); ++i) {
      AdvanceHead(heads[i]);
      if (heads[i].entry) {
        pq.emplace(key_of(*heads[i].entry), static_cast<int>(i));
      }
    }
  }
  while (!pq.empty()) {
    Item item;
    {
      PhaseTimer t(result_.stats.ordering_ns);
      item = pq.top();
      pq.pop();
    }
    Head& h = heads[item.second];
    if (!h.entry) {
      continue;
    }
    if (h.entry->version != version_) {
      if (!Refresh(h)) {
        if (h.entry) {
          pq.emplace(key_of(*h.entry), item.second);
        }
        continue;
      }
      Key k = key_of(*h.entry);
      if (item.first < k) {
        PhaseTimer t(result_.stats.ordering_ns);
        pq.emplace(std::move(k), item.second);
        continue;
      }
    }
    Process(h);
    if (h.entry) {
      pq.emplace(key_of(*h.entry), item.second);
    }
  }
}

int Cycle::Tournament(std::vector<Head>& heads, int root) {
  PhaseTimer t(result_.stats.ordering_ns);
  // DRS after admitting each head's nominee, as seen at every cohort on its path.
  std::vector<std::vector<std::pair<int, int64_t>>> drs(heads.size());
  std::unordered_map<int, int> head_of_node;
  for (size_t i = 0; i < heads.size(); ++i) {
    if (!heads[i].entry) {
      continue;
    }
    int node = cqs_[heads[i].cq].node;
    head_of_node[node] = static_cast<int>(i);
    const Usage& usage = heads[i].entry->a.usage;
    snap_->AddUsage(node, usage);
    int64_t d = snap_->DominantResourceShare(node).value;
    for (int a = snap_->node(node).parent; a >= 0; a = snap_->node(a).parent) {
      drs[i].emplace_back(a, d);
      d = snap_->DominantResourceShare(a).value;
    }
    snap_->RemoveUsage(node, usage);
  }
  auto drs_at = [&](int head, int cohort) {
    for (const auto& [node, value] : drs[head]) {
      if (node == cohort) {
        return value;
      }
    }
    return int64_t{0};
  };
  auto less = [&](int a, int b, int cohort) {
    int64_t da = drs_at(a, cohort);
    int64_t db = drs_at(b, cohort);
    if (da != db) {
      return da < db;
    }
    const Workload& wa = heads[a].entry->w->wl;
    const Workload& wb = heads[b].entry->w->wl;
    if (wa.priority != wb.priority) {
      return wa.priority > wb.priority;
    }
    if (wa.queue_order_time != wb.queue_order_time) {
      return wa.queue_order_time < wb.queue_order_time;
    }
    return std::tie(wa.uid, wa.key) < std::tie(wb.uid, wb.key);
  };
  std::function<int(int)> best_in = [&](int cohort) {
    int best = -1;
    auto consider = [&](int c) {
      if (c >= 0 && (best < 0 || less(c, best, cohort))) {
        best = c;
      }
    };
    for (int child : snap_->node(cohort).child_cohorts) {
      consider(best_in(child));
    }
    for (int child : snap_->node(cohort).child_cqs) {
      auto it = head_of_node.find(child);
      consider(it == head_of_node.end() ? -1 : it->second);
    }
    return best;
  };
  return best_in(root);
}

void Cycle::FairLoop(std::vector<Head>& heads, int root) {
  for (Head& h : heads) {
    AdvanceHead(h);
  }
  while (true) {
    int live = 0;
    int last = -1;
    for (size_t i = 0; i < heads.size(); ++i) {
      Head& h = heads[i];
      if (h.entry && h.entry->version != version_) {
        Refresh(h);
      }
      if (h.entry) {
        ++live;
        last = static_cast<int>(i);
      }
    }
    if (live == 0) {
      return;
    }
    // A queue without a cohort has nobody to be fair to.
    int winner = snap_->node(root).is_cq ? last : Tournament(heads, root);
    Process(heads[winner]);
  }
}

void Cycle::RunTree(const std::vector<int>& tree_cqs) {
  reservations_.clear();
  std::vector<Head> heads;
  for (int cq : tree_cqs) {
    const CqInfo& info = cqs_[cq];
    auto qit = s_.queues.find(info.spec->name);
    if (qit == s_.queues.end()) {
      continue;
    }
    if (!info.active) {
      Outcome* o = NewOutcome("Suspended", "ClusterQueue " + info.spec->name + " is inactive");
      for (WorkloadInfo* w : qit->second) {
        SetOutcome(w, o);
      }
      continue;
    }
    Head h;
    h.cq = cq;
    h.it = qit->second.begin();
    h.end = qit->second.end();
    h.strict = info.spec->queueing_strategy == QueueingStrategy::kStrictFIFO;
    heads.push_back(std::move(h));
  }
  if (!heads.empty()) {
    if (s_.options.fair_sharing) {
      FairLoop(heads, snap_->node(cqs_[tree_cqs[0]].node).root);
    } else {
      ClassicLoop(heads);
    }
  }
  // Reservations only shape this cycle's decisions; the reported usage is what is held.
  Suspend([](const Reservation&) { return true; });
  reservations_.clear();
}

}  // namespace skiff::kueue::internal

// API objects ↔ the scheduling core's model.
#include "controllers/kueue/model.h"

#include "base/time.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/json_fields.h"
#include "controllers/runtime/pods.h"

namespace skiff::controllers::kueue {
namespace {

std::optional<int64_t> Milli(const Json& v) {
  if (v.is_null()) return std::nullopt;
  Json wrap = {{"q", v}};
  ResourceList r = ParseResourceList(wrap);
  auto it = r.find("q");
  if (it == r.end()) return std::nullopt;
  return it->second;
}

core::TaintEffect Effect(const std::string& e) {
  if (e == "NoExecute") return core::TaintEffect::kNoExecute;
  if (e == "PreferNoSchedule") return core::TaintEffect::kPreferNoSchedule;
  return core::TaintEffect::kNoSchedule;
}

std::vector<core::Toleration> ParseTolerations(const Json& list) {
  std::vector<core::Toleration> out;
  for (const Json& t : list) {
    core::Toleration tol;
    tol.key = StringField(t, "key");
    tol.op = StringField(t, "operator") == "Exists" ? core::Toleration::Operator::kExists
                                                    : core::Toleration::Operator::kEqual;
    tol.value = StringField(t, "value");
    if (!StringField(t, "effect").empty()) tol.effect = Effect(StringField(t, "effect"));
    out.push_back(std::move(tol));
  }
  return out;
}

std::vector<core::ResourceGroup> ParseResourceGroups(const Json& groups) {
  std::vector<core::ResourceGroup> out;
  for (const Json& g : groups) {
    core::ResourceGroup rg;
    for (const Json& r : Field(g, "coveredResources")) {
      if (r.is_string()) rg.covered_resources.push_back(r);
    }
    for (const Json& f : Field(g, "flavors")) {
      core::FlavorQuotas fq;
      fq.name = StringField(f, "name");
      for (const Json& r : Field(f, "resources")) {
        core::ResourceQuota q;
        q.name = StringField(r, "name");
        q.nominal = Milli(Field(r, "nominalQuota")).value_or(0);
        q.borrowing_limit = Milli(Field(r, "borrowingLimit"));
        q.lending_limit = Milli(Field(r, "lendingLimit"));
        fq.resources.push_back(std::move(q));
      }
      rg.flavors.push_back(std::move(fq));
    }
    out.push_back(std::move(rg));
  }
  return out;
}

double Weight(const Json& spec) {
  auto w = Milli(Field(Field(spec, "fairSharing"), "weight"));
  return w ? static_cast<double>(*w) / 1000.0 : 1.0;
}

core::FungibilityPolicy Fungibility(const std::string& v, core::FungibilityPolicy def) {
  if (v == "TryNextFlavor") return core::FungibilityPolicy::kTryNextFlavor;
  if (v == "MayStopSearch" || v == "Borrow" || v == "Preempt") {
    return core::FungibilityPolicy::kMayStopSearch;
  }
  return def;
}

}  // namespace

core::ResourceFlavor ParseFlavor(const Json& rf) {
  core::ResourceFlavor f;
  f.name = MetaString(rf, "name");
  const Json& spec = Field(rf, "spec");
  const Json& labels = Field(spec, "nodeLabels");
  for (auto it = labels.begin(); labels.is_object() && it != labels.end(); ++it) {
    if (it->is_string()) f.node_labels[it.key()] = *it;
  }
  for (const Json& t : Field(spec, "nodeTaints")) {
    f.node_taints.push_back(
        {StringField(t, "key"), StringField(t, "value"), Effect(StringField(t, "effect"))});
  }
  f.tolerations = ParseTolerations(Field(spec, "tolerations"));
  return f;
}

core::Cohort ParseCohort(const Json& cohort) {
  core::Cohort c;
  c.name = MetaString(cohort, "name");
  const Json& spec = Field(cohort, "spec");
  c.parent = StringField(spec, "parentName");
  c.resource_groups = ParseResourceGroups(Field(spec, "resourceGroups"));
  c.fair_sharing_weight = Weight(spec);
  return c;
}

core::ClusterQueue ParseClusterQueue(const Json& cq) {
  core::ClusterQueue q;
  q.name = MetaString(cq, "name");
  const Json& spec = Field(cq, "spec");
  q.cohort = StringField(spec, "cohortName", StringField(spec, "cohort"));
  q.queueing_strategy = StringField(spec, "queueingStrategy") == "StrictFIFO"
                            ? core::QueueingStrategy::kStrictFIFO
                            : core::QueueingStrategy::kBestEffortFIFO;
  q.resource_groups = ParseResourceGroups(Field(spec, "resourceGroups"));
  const Json& p = Field(spec, "preemption");
  std::string within = StringField(p, "withinClusterQueue");
  q.preemption.within_cluster_queue =
      within == "LowerPriority"               ? core::WithinClusterQueuePolicy::kLowerPriority
      : within == "LowerOrNewerEqualPriority" ? core::WithinClusterQueuePolicy::kLowerOrNewerEqualPriority
                                              : core::WithinClusterQueuePolicy::kNever;
  std::string reclaim = StringField(p, "reclaimWithinCohort");
  q.preemption.reclaim_within_cohort =
      reclaim == "Any"             ? core::ReclaimWithinCohortPolicy::kAny
      : reclaim == "LowerPriority" ? core::ReclaimWithinCohortPolicy::kLowerPriority
                                   : core::ReclaimWithinCohortPolicy::kNever;
  const Json& bwc = Field(p, "borrowWithinCohort");
  q.preemption.borrow_within_cohort = StringField(bwc, "policy") == "LowerPriority"
                                          ? core::BorrowWithinCohortPolicy::kLowerPriority
                                          : core::BorrowWithinCohortPolicy::kNever;
  if (Field(bwc, "maxPriorityThreshold").is_number_integer()) {
    q.preemption.borrow_within_cohort_max_priority_threshold =
        bwc["maxPriorityThreshold"].get<int32_t>();
  }
  const Json& ff = Field(spec, "flavorFungibility");
  q.flavor_fungibility.when_can_borrow = Fungibility(StringField(ff, "whenCanBorrow"),
                                                     core::FungibilityPolicy::kMayStopSearch);
  q.flavor_fungibility.when_can_preempt = Fungibility(StringField(ff, "whenCanPreempt"),
                                                      core::FungibilityPolicy::kTryNextFlavor);
  q.fair_sharing_weight = Weight(spec);
  std::string stop = StringField(spec, "stopPolicy");
  q.stop_policy = stop == "Hold"           ? core::StopPolicy::kHold
                  : stop == "HoldAndDrain" ? core::StopPolicy::kHoldAndDrain
                                           : core::StopPolicy::kNone;
  return q;
}

core::Workload ParseWorkload(const Json& wl, const std::string& cluster_queue) {
  core::Workload w;
  w.key = MetaString(wl, "namespace") + "/" + MetaString(wl, "name");
  w.uid = MetaString(wl, "uid");
  w.cluster_queue = cluster_queue;
  w.local_queue = MetaString(wl, "namespace") + "/" + StringField(Field(wl, "spec"), "queueName");
  const Json& spec = Field(wl, "spec");
  if (Field(spec, "priority").is_number_integer()) w.priority = spec["priority"].get<int32_t>();
  w.active = Field(spec, "active") != false;
  auto created = ParseRfc3339(MetaString(wl, "creationTimestamp"));
  if (created.ok()) w.queue_order_time = *created;
  const Json& status = Field(wl, "status");
  const Json& conds = Field(status, "conditions");
  // Requeued after an eviction: ordered by the requeue time, as upstream.
  if (const Json* rq = FindCondition(conds, "Requeued");
      rq && StringField(*rq, "status") == "True") {
    auto t = ParseRfc3339(StringField(*rq, "lastTransitionTime"));
    if (t.ok()) w.queue_order_time = *t;
  }
  const Json& rs = Field(status, "requeueState");
  if (Field(rs, "requeueAt").is_string()) {
    auto t = ParseRfc3339(rs["requeueAt"].get<std::string>());
    if (t.ok()) w.requeue_at = *t;
  }
  for (const Json& ps : Field(spec, "podSets")) {
    core::PodSet p;
    p.name = StringField(ps, "name", "main");
    if (Field(ps, "count").is_number_integer()) p.count = ps["count"].get<int32_t>();
    if (Field(ps, "minCount").is_number_integer()) p.min_count = ps["minCount"].get<int32_t>();
    const Json& tmpl = Field(ps, "template");
    for (const auto& [k, v] : PodRequests(tmpl)) p.requests[k] = v;
    const Json& pspec = Field(tmpl, "spec");
    const Json& sel = Field(pspec, "nodeSelector");
    for (auto it = sel.begin(); sel.is_object() && it != sel.end(); ++it) {
      if (it->is_string()) p.node_selector[it.key()] = *it;
    }
    p.tolerations = ParseTolerations(Field(pspec, "tolerations"));
    w.pod_sets.push_back(std::move(p));
  }
  const Json& adm = Field(status, "admission");
  if (adm.is_object()) {
    core::Admission a;
    a.cluster_queue = StringField(adm, "clusterQueue");
    for (const Json& psa : Field(adm, "podSetAssignments")) {
      core::PodSetAssignment x;
      x.name = StringField(psa, "name");
      const Json& fl = Field(psa, "flavors");
      for (auto it = fl.begin(); fl.is_object() && it != fl.end(); ++it) {
        if (it->is_string()) x.flavors[it.key()] = *it;
      }
      for (const auto& [k, v] : ParseResourceList(Field(psa, "resourceUsage"))) {
        x.resource_usage[k] = v;
      }
      if (Field(psa, "count").is_number_integer()) x.count = psa["count"].get<int32_t>();
      a.pod_set_assignments.push_back(std::move(x));
    }
    w.admission = std::move(a);
    if (const Json* qr = FindCondition(conds, "QuotaReserved")) {
      auto t = ParseRfc3339(StringField(*qr, "lastTransitionTime"));
      if (t.ok()) w.quota_reserved_time = *t;
    }
    w.evicted = IsConditionTrue(conds, "Evicted");
  }
  return w;
}

Json AdmissionJson(const core::Admission& admission) {
  Json psas = Json::array();
  for (const core::PodSetAssignment& p : admission.pod_set_assignments) {
    Json flavors = Json::object();
    for (const auto& [r, f] : p.flavors) flavors[r] = f;
    Json usage = Json::object();
    for (const auto& [r, v] : p.resource_usage) usage[r] = FormatResource(r, v);
    psas.push_back(
        {{"name", p.name}, {"flavors", flavors}, {"resourceUsage", usage}, {"count", p.count}});
  }
  return {{"clusterQueue", admission.cluster_queue}, {"podSetAssignments", psas}};
}

Json FlavorsUsageJson(const std::vector<core::FlavorUsage>& usage) {
  Json out = Json::array();
  for (const core::FlavorUsage& f : usage) {
    Json res = Json::array();
    for (const core::ResourceUsage& r : f.resources) {
      res.push_back({{"name", r.name},
                     {"total", FormatResource(r.name, r.total)},
                     {"borrowed", FormatResource(r.name, r.borrowed)}});
    }
    out.push_back({{"name", f.name}, {"resources", res}});
  }
  return out;
}

}  // namespace skiff::controllers::kueue

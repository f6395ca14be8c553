// The Kueue scheduler controller: keeps the core's model in step with the informers (flavors,
// cohorts, ClusterQueues, LocalQueues, Workloads), runs a cycle whenever something changed, and
// writes the decisions back: Workload admissions and evictions, pending reasons, ClusterQueue
// and LocalQueue status, Events.
#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <set>
#include <thread>
#include <array>
#include <cstdio>

#include "base/metrics.h"
#include "base/time.h"
#include "client/client.h"
#include "controllers/kueue/config.h"
#include "controllers/kueue/kueue_controller.h"
#include "controllers/kueue/model.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/json_fields.h"
#include "kueue/scheduler.h"

namespace skiff::controllers::kueue {
namespace {

constexpr char kV1beta2[] = "kueue.x-k8s.io/v1beta2";
constexpr char kCycleKey[] = "cycle";
// Status that only reports (queue counts and usage, a pending workload's changing "N more
// needed") is written at most this often per object, so cycles are not spent on API writes;
// a skipped write is flushed by a later cycle.
constexpr std::chrono::milliseconds kQueueStatusInterval{1000};
constexpr std::chrono::milliseconds kPendingMessageInterval{5000};

// Runs f(0..n-1) on up to 8 threads: a cycle's API writes are independent, and issuing them
// together lets the store commit them in one batch instead of one fsync each.
template <typename F>
void ParallelFor(size_t n, F f) {
  if (n < 4) {
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < std::min<size_t>(8, n); ++t) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) f(i);
    });
  }
  for (std::thread& t : threads) t.join();
}

// Kueue's Prometheus metrics (upstream names, pkg/metrics), served on the API server's
// /metrics when the controllers run in `skiff up`.
class KueueMetrics {
 public:
  KueueMetrics() {
    handle_ = metrics::Register([this](std::string& out) { Render(out); });
  }
  ~KueueMetrics() { metrics::Unregister(handle_); }

  void Admitted(const std::string& cq, double wait_seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    admitted_[cq]++;
    Histogram& h = wait_[cq];
    h.count++;
    h.sum += wait_seconds;
    for (size_t i = 0; i < kBounds.size(); ++i) {
      if (wait_seconds <= kBounds[i]) h.buckets[i]++;
    }
  }
  void Preempted(const std::string& victim_cq, const std::string& preemptor_cq,
                 const std::string& reason) {
    std::lock_guard<std::mutex> lock(mu_);
    evicted_[{victim_cq, "Preempted"}]++;
    preempted_[{preemptor_cq, reason}]++;
  }
  void Cycle(bool admitted_any, double seconds, std::vector<core::ClusterQueueStatus> cqs,
             std::map<std::string, std::string> cohorts) {
    std::lock_guard<std::mutex> lock(mu_);
    attempts_[admitted_any ? "success" : "inadmissible"]++;
    attempt_seconds_[admitted_any ? "success" : "inadmissible"] += seconds;
    cqs_ = std::move(cqs);
    cohorts_ = std::move(cohorts);
  }

 private:
  static constexpr std::array<double, 14> kBounds = {1,   2,   4,    8,    16,   32,   64,
                                                      128, 256, 512, 1024, 2048, 4096, 8192};
  struct Histogram {
    std::array<uint64_t, 14> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };

  void Render(std::string& out) {
    std::lock_guard<std::mutex> lock(mu_);
    out += "# TYPE kueue_admitted_workloads_total counter\n";
    for (auto& [cq, n] : admitted_) {
      metrics::AppendSample(out, "kueue_admitted_workloads_total", {{"cluster_queue", cq}}, n);
    }
    out += "# TYPE kueue_admission_wait_time_seconds histogram\n";
    for (auto& [cq, h] : wait_) {
      for (size_t i = 0; i < kBounds.size(); ++i) {
        char le[32];
        std::snprintf(le, sizeof(le), "%g", kBounds[i]);
        metrics::AppendSample(out, "kueue_admission_wait_time_seconds_bucket",
                              {{"cluster_queue", cq}, {"le", le}}, h.buckets[i]);
      }
      metrics::AppendSample(out, "kueue_admission_wait_time_seconds_bucket",
                            {{"cluster_queue", cq}, {"le", "+Inf"}}, h.count);
      metrics::AppendSample(out, "kueue_admission_wait_time_seconds_sum", {{"cluster_queue", cq}},
                            h.sum);
      metrics::AppendSample(out, "kueue_admission_wait_time_seconds_count",
                            {{"cluster_queue", cq}}, h.count);
    }
    out += "# TYPE kueue_evicted_workloads_total counter\n";
    for (auto& [k, n] : evicted_) {
      metrics::AppendSample(out, "kueue_evicted_workloads_total",
                            {{"cluster_queue", k.first}, {"reason", k.second}}, n);
    }
    out += "# TYPE kueue_preempted_workloads_total counter\n";
    for (auto& [k, n] : preempted_) {
      metrics::AppendSample(out, "kueue_preempted_workloads_total",
                            {{"preempting_cluster_queue", k.first}, {"reason", k.second}}, n);
    }
    out += "# TYPE kueue_admission_attempts_total counter\n";
    for (auto& [r, n] : attempts_) {
      metrics::AppendSample(out, "kueue_admission_attempts_total", {{"result", r}}, n);
    }
    out += "# TYPE kueue_admission_attempt_duration_seconds_sum counter\n";
    for (auto& [r, s] : attempt_seconds_) {
      metrics::AppendSample(out, "kueue_admission_attempt_duration_seconds_sum", {{"result", r}},
                            s);
    }
    out += "# TYPE kueue_pending_workloads gauge\n";
    for (const auto& q : cqs_) {
      metrics::AppendSample(out, "kueue_pending_workloads",
                            {{"cluster_queue", q.name}, {"status", "active"}},
                            q.active ? q.pending_workloads : 0);
      metrics::AppendSample(out, "kueue_pending_workloads",
                            {{"cluster_queue", q.name}, {"status", "inadmissible"}},
                            q.active ? 0 : q.pending_workloads);
    }
    out += "# TYPE kueue_reserving_active_workloads gauge\n";
    for (const auto& q : cqs_) {
      metrics::AppendSample(out, "kueue_reserving_active_workloads", {{"cluster_queue", q.name}},
                            q.reserving_workloads);
    }
    out += "# TYPE kueue_admitted_active_workloads gauge\n";
    for (const auto& q : cqs_) {
      metrics::AppendSample(out, "kueue_admitted_active_workloads", {{"cluster_queue", q.name}},
                            q.reserving_workloads);
    }
    out += "# TYPE kueue_cluster_queue_status gauge\n";
    for (const auto& q : cqs_) {
      for (const char* s : {"pending", "active", "terminating"}) {
        bool on = std::string(s) == (q.active ? "active" : "pending");
        metrics::AppendSample(out, "kueue_cluster_queue_status",
                              {{"cluster_queue", q.name}, {"status", s}}, on ? 1 : 0);
      }
    }
    out += "# TYPE kueue_cluster_queue_resource_usage gauge\n";
    for (const auto& q : cqs_) {
      for (const auto& f : q.flavors_usage) {
        for (const auto& r : f.resources) {
          metrics::AppendSample(out, "kueue_cluster_queue_resource_usage",
                                {{"cohort", cohorts_[q.name]}, {"cluster_queue", q.name},
                                 {"flavor", f.name}, {"resource", r.name}},
                                static_cast<double>(r.total) / 1000.0);
        }
      }
    }
  }

  std::mutex mu_;
  int handle_ = 0;
  std::map<std::string, uint64_t> admitted_;
  std::map<std::string, Histogram> wait_;
  std::map<std::pair<std::string, std::string>, uint64_t> evicted_;
  std::map<std::pair<std::string, std::string>, uint64_t> preempted_;
  std::map<std::string, uint64_t> attempts_;
  std::map<std::string, double> attempt_seconds_;
  std::vector<core::ClusterQueueStatus> cqs_;
  std::map<std::string, std::string> cohorts_;
};

std::string Key(const Json& obj) { return MetaString(obj, "namespace") + "/" + MetaString(obj, "name"); }

class SchedulerReconciler final : public Reconciler {
 public:
  SchedulerReconciler(Manager* mgr, const KueueConfig& config)
      : mgr_(mgr),
        events_(&mgr->EventsFor("kueue-admission")),
        sched_(core::SchedulerOptions{.fair_sharing = config.fair_sharing}) {}

  Status Init() {
    auto& inf = mgr_->informers();
    SKIFF_ASSIGN_OR_RETURN(workloads_, inf.ForKind(kV1beta2, "Workload"));
    SKIFF_ASSIGN_OR_RETURN(cqs_, inf.ForKind(kV1beta2, "ClusterQueue"));
    SKIFF_ASSIGN_OR_RETURN(lqs_, inf.ForKind(kV1beta2, "LocalQueue"));
    SKIFF_ASSIGN_OR_RETURN(flavors_, inf.ForKind(kV1beta2, "ResourceFlavor"));
    SKIFF_ASSIGN_OR_RETURN(cohorts_, inf.ForKind(kV1beta2, "Cohort"));
    return Status::Ok();
  }

  void set_controller(Controller* c) { controller_ = c; }

  // Informer handlers: mirror the object into the core's model, then ask for a cycle.
  void Wire() {
    auto kick = [this] { controller_->Enqueue(Request{"", kCycleKey}); };
    flavors_->AddEventHandler(Handler(
        [this](const Json& o) { sched_.UpsertFlavor(ParseFlavor(o)); },
        [this](const Json& o) { sched_.DeleteFlavor(MetaString(o, "name")); }, kick));
    cohorts_->AddEventHandler(Handler(
        [this](const Json& o) { sched_.UpsertCohort(ParseCohort(o)); },
        [this](const Json& o) { sched_.DeleteCohort(MetaString(o, "name")); }, kick));
    cqs_->AddEventHandler(Handler(
        [this](const Json& o) {
          core::ClusterQueue q = ParseClusterQueue(o);
          cq_selector_null_[q.name] = Field(Field(o, "spec"), "namespaceSelector").is_null();
          sched_.UpsertClusterQueue(std::move(q));
          ReresolveAll();
        },
        [this](const Json& o) {
          sched_.DeleteClusterQueue(MetaString(o, "name"));
          ReresolveAll();
        },
        kick));
    lqs_->AddEventHandler(Handler(
        [this](const Json& o) {
          lq_to_cq_[Key(o)] = StringField(Field(o, "spec"), "clusterQueue");
          ReresolveAll();
        },
        [this](const Json& o) {
          lq_to_cq_.erase(Key(o));
          ReresolveAll();
        },
        kick));
    workloads_->AddEventHandler(Handler([this](const Json& o) { UpsertWorkload(o); },
                                        [this](const Json& o) {
                                          sched_.DeleteWorkload(Key(o));
                                          ForgetPending(Key(o));
                                        },
                                        kick));
  }

  StatusOr<Result> Reconcile(const Request&) override {
    core::CycleResult r;
    auto t0 = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      r = sched_.Schedule(std::chrono::system_clock::now());
    }
    auto t1 = std::chrono::steady_clock::now();
    std::string now = NowRfc3339();
    ParallelFor(r.admissions.size(), [&](size_t i) { ApplyAdmission(r.admissions[i], now); });
    ParallelFor(r.preemptions.size(), [&](size_t i) { ApplyPreemption(r.preemptions[i], now); });
    DrainStoppedQueues(now);
    auto t_admit = std::chrono::steady_clock::now();
    std::vector<std::pair<client::ObjectPtr, const core::PendingWorkload*>> evaluated;
    std::map<std::string, std::array<int64_t, 3>> lq_counts;  // pending, reserving, admitted
    for (const core::PendingWorkload& p : r.pending) {
      std::string lq = p.workload_key.substr(0, p.workload_key.find('/') + 1);
      const core::Workload* held = nullptr;
      {
        std::lock_guard<std::mutex> lock(mu_);
        held = sched_.FindWorkload(p.workload_key);
        if (held) lq = held->local_queue;
      }
      lq_counts[lq][0]++;
      const core::PendingReason* why = r.ReasonOf(p);
      if (!why || !PendingChanged(p.workload_key, *why)) continue;
      if (client::ObjectPtr wl = Cached(p.workload_key)) evaluated.emplace_back(wl, &p);
    }
    for (const client::ObjectPtr& wl : workloads_->List()) {
      const Json& st = Field(*wl, "status");
      if (!Field(st, "admission").is_object() || IsConditionTrue(Field(st, "conditions"), "Finished")) continue;
      auto& c = lq_counts[MetaString(*wl, "namespace") + "/" + StringField(Field(*wl, "spec"), "queueName")];
      c[1]++;
      c[2]++;
    }
    for (const core::AdmissionDecision& a : r.admissions) {
      if (client::ObjectPtr wl = Cached(a.workload_key)) {
        auto& c = lq_counts[MetaString(*wl, "namespace") + "/" + StringField(Field(*wl, "spec"), "queueName")];
        c[1]++;
        c[2]++;
      }
    }
    ParallelFor(evaluated.size(), [&](size_t i) {
      ApplyPending(*evaluated[i].first, *evaluated[i].second, *r.ReasonOf(*evaluated[i].second),
                   now);
    });
    auto t_pending = std::chrono::steady_clock::now();
    ParallelFor(r.cluster_queues.size(),
                [&](size_t i) { WriteClusterQueueStatus(r.cluster_queues[i], now); });
    WriteLocalQueueStatuses(lq_counts, now);
    std::map<std::string, std::string> cohorts;
    for (const client::ObjectPtr& cq : cqs_->List()) {
      const Json& spec = Field(*cq, "spec");
      cohorts[MetaString(*cq, "name")] = StringField(spec, "cohortName", StringField(spec, "cohort"));
    }
    metrics_.Cycle(!r.admissions.empty(), std::chrono::duration<double>(t1 - t0).count(),
                   r.cluster_queues, std::move(cohorts));
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    spdlog::debug("component=kueue cycle admitted={} preempted={} pending={} evaluated={} "
                  "decide_ms={:.1f} apply_ms={:.1f} admit_ms={:.1f} pending_ms={:.1f}",
                  r.admissions.size(), r.preemptions.size(), r.pending.size(), evaluated.size(),
                  ms(t1 - t0), ms(std::chrono::steady_clock::now() - t1), ms(t_admit - t1),
                  ms(t_pending - t_admit));
    Result res;
    if (r.next_requeue_at) {
      auto wait = *r.next_requeue_at - std::chrono::system_clock::now();
      res.requeue_after = std::max(std::chrono::milliseconds(1),
                                   std::chrono::duration_cast<std::chrono::milliseconds>(wait));
    }
    if (flush_after_.count() > 0 &&
        (res.requeue_after.count() == 0 || flush_after_ < res.requeue_after)) {
      res.requeue_after = flush_after_;
    }
    flush_after_ = std::chrono::milliseconds(0);
    return res;
  }

 private:
  // What of an object the scheduler reads: updates that change nothing here (status written by
  // this controller, a pending message) neither re-parse the object nor start a cycle.
  static Json Relevant(const Json& obj) {
    Json out = {{"spec", Field(obj, "spec")},
                {"deleting", Field(Field(obj, "metadata"), "deletionTimestamp")}};
    const Json& st = Field(obj, "status");
    if (Field(st, "admission").is_object() || Field(st, "requeueState").is_object()) {
      out["admission"] = Field(st, "admission");
      out["requeue"] = Field(st, "requeueState");
    }
    for (const Json& c : Field(st, "conditions")) {
      std::string t = StringField(c, "type");
      if (t == "Finished" || t == "Evicted" || t == "Requeued" || t == "QuotaReserved") {
        out[t] = {StringField(c, "status"), StringField(c, "lastTransitionTime")};
      }
    }
    return out;
  }

  client::EventHandler Handler(std::function<void(const Json&)> upsert,
                               std::function<void(const Json&)> remove,
                               std::function<void()> kick) {
    client::EventHandler h;
    h.on_add = [this, upsert, kick](const client::ObjectPtr& o) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        upsert(*o);
      }
      kick();
    };
    h.on_update = [this, upsert, kick](const client::ObjectPtr& old, const client::ObjectPtr& o) {
      if (old && Relevant(*old) == Relevant(*o)) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        upsert(*o);
      }
      kick();
    };
    h.on_delete = [this, remove, kick](const client::ObjectPtr& o) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        remove(*o);
      }
      kick();
    };
    return h;
  }

  // Caller holds mu_.
  std::string ResolveClusterQueue(const Json& wl) {
    auto it = lq_to_cq_.find(MetaString(wl, "namespace") + "/" +
                             StringField(Field(wl, "spec"), "queueName"));
    if (it == lq_to_cq_.end()) return "";
    auto sel = cq_selector_null_.find(it->second);
    // A nil namespaceSelector admits no namespace (upstream); an unknown CQ resolves as named.
    if (sel != cq_selector_null_.end() && sel->second) return "";
    return it->second;
  }

  // Caller holds mu_.
  void UpsertWorkload(const Json& wl) {
    if (IsConditionTrue(Field(Field(wl, "status"), "conditions"), "Finished") ||
        Field(Field(wl, "metadata"), "deletionTimestamp").is_string()) {
      sched_.DeleteWorkload(Key(wl));
      return;
    }
    sched_.UpsertWorkload(ParseWorkload(wl, ResolveClusterQueue(wl)));
  }

  // Caller holds mu_. A LocalQueue or ClusterQueue change can move workloads between queues.
  void ReresolveAll() {
    if (!workloads_->HasSynced()) return;
    for (const client::ObjectPtr& wl : workloads_->List()) UpsertWorkload(*wl);
  }

  // Whether a pending workload's reason differs from what was last written for it, cheaply
  // (most cycles re-evaluate thousands of unchanged workloads). A changed message of the same
  // reason is written at most every kPendingMessageInterval.
  bool PendingChanged(const std::string& key, const core::PendingReason& why) {
    std::lock_guard<std::mutex> lock(write_mu_);
    auto now = std::chrono::steady_clock::now();
    auto it = last_pending_.find(key);
    if (it == last_pending_.end()) {
      last_pending_.emplace(key, PendingWritten{why.reason, why.message, now});
      return true;
    }
    PendingWritten& w = it->second;
    if (w.reason == why.reason && w.message == why.message) return false;
    if (w.reason == why.reason && now - w.at < kPendingMessageInterval) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      kPendingMessageInterval - (now - w.at)) + std::chrono::milliseconds(1);
      if (flush_after_.count() == 0 || left < flush_after_) flush_after_ = left;
      return false;
    }
    w = PendingWritten{why.reason, why.message, now};
    return true;
  }

  // True when `key`'s report-only status may be written now; otherwise asks for a later cycle.
  bool DueForWrite(const std::string& key, std::chrono::milliseconds interval) {
    std::lock_guard<std::mutex> lock(write_mu_);
    auto now = std::chrono::steady_clock::now();
    auto it = last_write_.find(key);
    if (it != last_write_.end() && now - it->second < interval) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          interval - (now - it->second)) + std::chrono::milliseconds(1);
      if (flush_after_.count() == 0 || left < flush_after_) flush_after_ = left;
      return false;
    }
    last_write_[key] = now;
    return true;
  }

  client::ObjectPtr Cached(const std::string& key) {
    size_t slash = key.find('/');
    return workloads_->Get(key.substr(0, slash), key.substr(slash + 1));
  }

  Status WriteWorkloadStatus(const Json& wl, Json status) {
    Json updated = wl;
    updated["apiVersion"] = kV1beta2;
    updated["kind"] = "Workload";
    updated["status"] = std::move(status);
    client::WriteOptions o;
    o.subresource = "status";
    o.field_manager = "kueue-admission";
    auto r = mgr_->client().Replace(workloads_->resource(), MetaString(wl, "namespace"),
                                    MetaString(wl, "name"), updated, o);
    return r.ok() ? Status::Ok() : r.status();
  }

  void ForgetPending(const std::string& key) {
    std::lock_guard<std::mutex> lock(write_mu_);
    last_pending_.erase(key);
  }

  void ApplyAdmission(const core::AdmissionDecision& a, const std::string& now) {
    ForgetPending(a.workload_key);
    client::ObjectPtr wl = Cached(a.workload_key);
    Status s = wl ? Status::Ok() : NotFound(a.workload_key);
    if (wl) {
      Json status = Field(*wl, "status").is_object() ? (*wl)["status"] : Json::object();
      status["admission"] = AdmissionJson(a.admission);
      Json& conds = status["conditions"];
      std::string cq = a.admission.cluster_queue;
      SetCondition(&conds, {"QuotaReserved", "True", "QuotaReserved",
                            "Quota reserved in ClusterQueue " + cq}, now);
      SetCondition(&conds, {"Admitted", "True", "Admitted",
                            "The workload is admitted"}, now);
      if (FindCondition(conds, "Evicted")) {
        SetCondition(&conds, {"Evicted", "False", "QuotaReserved", "Previously: evicted"}, now);
      }
      if (FindCondition(conds, "Preempted")) {
        SetCondition(&conds, {"Preempted", "False", "QuotaReserved", "Previously: preempted"}, now);
      }
      if (FindCondition(conds, "Requeued")) {
        SetCondition(&conds, {"Requeued", "False", "QuotaReserved", "The workload is admitted"}, now);
      }
      s = WriteWorkloadStatus(*wl, std::move(status));
      if (s.ok()) {
        auto created = ParseRfc3339(MetaString(*wl, "creationTimestamp"));
        double wait = created.ok() ? std::chrono::duration<double>(
                                         std::chrono::system_clock::now() - *created)
                                         .count()
                                   : 0;
        metrics_.Admitted(cq, wait);
        events_->Event(*wl, "Normal", "QuotaReserved",
                       "Quota reserved in ClusterQueue " + cq);
        events_->Event(*wl, "Normal", "Admitted",
                       "Admitted by ClusterQueue " + cq);
      }
    }
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      sched_.ForgetAssumed(a.workload_key);
      controller_->Enqueue(Request{"", kCycleKey});
    }
  }

  void ApplyPreemption(const core::PreemptionDecision& p, const std::string& now) {
    client::ObjectPtr wl = Cached(p.victim_key);
    if (!wl) return;
    Json status = (*wl)["status"];
    Json& conds = status["conditions"];
    SetCondition(&conds, {"Evicted", "True", "Preempted", p.message}, now);
    SetCondition(&conds, {"Preempted", "True", core::PreemptionReasonName(p.reason), p.message},
                 now);
    if (!GetControllerOf(*wl)) {
      // No job to stop (a Workload created on its own, as in upstream's scheduler performance
      // harness): the quota is released at once, as upstream's workload controller does.
      status.erase("admission");
      SetCondition(&conds, {"QuotaReserved", "False", "Pending", "Preempted"}, now);
      SetCondition(&conds, {"Admitted", "False", "NoReservation",
                            "The workload has no reservation"}, now);
      SetCondition(&conds, {"Requeued", "True", "Preempted",
                            "The workload was requeued after eviction"}, now);
    }
    if (WriteWorkloadStatus(*wl, std::move(status)).ok()) {
      std::string preemptor_cq;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (const core::Workload* w = sched_.FindWorkload(p.preemptor_key)) {
          preemptor_cq = w->cluster_queue;
        }
      }
      metrics_.Preempted(p.victim_cluster_queue, preemptor_cq, core::PreemptionReasonName(p.reason));
      events_->Event(*wl, "Normal", "Preempted", p.message);
    }
  }

  // stopPolicy HoldAndDrain: besides admitting nothing (the core's Hold), evict what the
  // ClusterQueue has admitted (Evicted reason ClusterQueueStopped), as upstream.
  void DrainStoppedQueues(const std::string& now) {
    std::set<std::string> draining;
    for (const client::ObjectPtr& cq : cqs_->List()) {
      if (StringField(Field(*cq, "spec"), "stopPolicy") == "HoldAndDrain") {
        draining.insert(MetaString(*cq, "name"));
      }
    }
    if (draining.empty()) return;
    for (const client::ObjectPtr& wl : workloads_->List()) {
      const Json& st = Field(*wl, "status");
      const Json& conds = Field(st, "conditions");
      if (!draining.count(StringField(Field(st, "admission"), "clusterQueue")) ||
          IsConditionTrue(conds, "Evicted") || IsConditionTrue(conds, "Finished")) {
        continue;
      }
      Json status = st;
      std::string msg = "The ClusterQueue is stopped";
      SetCondition(&status["conditions"], {"Evicted", "True", "ClusterQueueStopped", msg}, now);
      if (!GetControllerOf(*wl)) {
        status.erase("admission");
        SetCondition(&status["conditions"], {"QuotaReserved", "False", "Pending", msg}, now);
        SetCondition(&status["conditions"],
                     {"Admitted", "False", "NoReservation", "The workload has no reservation"},
                     now);
      }
      if (WriteWorkloadStatus(*wl, std::move(status)).ok()) {
        metrics_.Preempted(StringField(Field(st, "admission"), "clusterQueue"), "",
                           "ClusterQueueStopped");
        events_->Event(*wl, "Normal", "EvictedDueToClusterQueueStopped", msg);
      }
    }
  }

  void ApplyPending(const Json& wl, const core::PendingWorkload& p, const core::PendingReason& why,
                    const std::string& now) {
    std::string reason = why.reason.empty() ? "Pending" : why.reason;
    std::string message = why.message;
    if (p.cluster_queue.empty()) {
      std::string lq = StringField(Field(wl, "spec"), "queueName");
      std::lock_guard<std::mutex> lock(mu_);
      auto it = lq_to_cq_.find(MetaString(wl, "namespace") + "/" + lq);
      reason = "Inadmissible";
      message = it == lq_to_cq_.end() ? "LocalQueue " + lq + " doesn't exist"
                                      : "ClusterQueue " + it->second +
                                            " doesn't exist or does not admit namespace " +
                                            MetaString(wl, "namespace");
    }
    const Json& conds = Field(Field(wl, "status"), "conditions");
    const Json* c = FindCondition(conds, "QuotaReserved");
    if (c && StringField(*c, "status") == "False" && StringField(*c, "reason") == reason &&
        StringField(*c, "message") == message) {
      return;
    }
    Json status = Field(wl, "status").is_object() ? wl["status"] : Json::object();
    SetCondition(&status["conditions"], {"QuotaReserved", "False", reason, message}, now);
    (void)WriteWorkloadStatus(wl, std::move(status));
  }

  void WriteClusterQueueStatus(const core::ClusterQueueStatus& s, const std::string& now) {
    client::ObjectPtr cq = cqs_->Get("", s.name);
    if (!cq) return;
    const Json& old = Field(*cq, "status");
    Json status = old.is_object() ? old : Json::object();
    status["pendingWorkloads"] = s.pending_workloads;
    status["reservingWorkloads"] = s.reserving_workloads;
    status["admittedWorkloads"] = s.reserving_workloads;
    status["flavorsReservation"] = FlavorsUsageJson(s.flavors_usage);
    status["flavorsUsage"] = FlavorsUsageJson(s.flavors_usage);
    if (s.weighted_share) {
      status["fairSharing"]["weightedShare"] = static_cast<int64_t>(*s.weighted_share);
    }
    bool active_changed = !IsConditionTrue(Field(old, "conditions"), "Active") == s.active;
    SetCondition(&status["conditions"],
                 {"Active", s.active ? "True" : "False", s.reason, s.message}, now);
    if (status == old) return;
    if (!active_changed && !DueForWrite("cq/" + s.name, kQueueStatusInterval)) return;
    Json updated = *cq;
    updated["apiVersion"] = kV1beta2;
    updated["kind"] = "ClusterQueue";
    updated["status"] = std::move(status);
    client::WriteOptions o;
    o.subresource = "status";
    o.field_manager = "kueue-admission";
    (void)mgr_->client().Replace(cqs_->resource(), "", s.name, updated, o);
  }

  void WriteLocalQueueStatuses(const std::map<std::string, std::array<int64_t, 3>>& counts,
                               const std::string& now) {
    std::vector<client::ObjectPtr> lqs = lqs_->List();
    ParallelFor(lqs.size(), [&](size_t i) {
      const client::ObjectPtr& lq = lqs[i];
      std::string key = Key(*lq);
      auto it = counts.find(key);
      std::array<int64_t, 3> c = it == counts.end() ? std::array<int64_t, 3>{0, 0, 0} : it->second;
      std::string cq = StringField(Field(*lq, "spec"), "clusterQueue");
      bool cq_exists = cqs_->Get("", cq) != nullptr;
      const Json& old = Field(*lq, "status");
      Json status = old.is_object() ? old : Json::object();
      status["pendingWorkloads"] = c[0];
      status["reservingWorkloads"] = c[1];
      status["admittedWorkloads"] = c[2];
      SetCondition(&status["conditions"],
                   cq_exists ? Condition{"Active", "True", "Ready", "Can submit new workloads to localQueue"}
                             : Condition{"Active", "False", "ClusterQueueDoesNotExist",
                                         "Can't submit new workloads to clusterQueue"},
                   now);
      if (status == old) return;
      if (IsConditionTrue(Field(old, "conditions"), "Active") == cq_exists &&
          !DueForWrite("lq/" + key, kQueueStatusInterval)) {
        return;
      }
      Json updated = *lq;
      updated["apiVersion"] = kV1beta2;
      updated["kind"] = "LocalQueue";
      updated["status"] = std::move(status);
      client::WriteOptions o;
      o.subresource = "status";
      o.field_manager = "kueue-admission";
      (void)mgr_->client().Replace(lqs_->resource(), MetaString(*lq, "namespace"),
                                   MetaString(*lq, "name"), updated, o);
    });
  }

  Manager* mgr_;
  EventRecorder* events_;
  KueueMetrics metrics_;
  Controller* controller_ = nullptr;
  client::Informer* workloads_ = nullptr;
  client::Informer* cqs_ = nullptr;
  client::Informer* lqs_ = nullptr;
  client::Informer* flavors_ = nullptr;
  client::Informer* cohorts_ = nullptr;
  std::mutex mu_;
  core::Scheduler sched_;                            // guarded by mu_
  std::map<std::string, std::string> lq_to_cq_;      // guarded by mu_
  std::map<std::string, bool> cq_selector_null_;     // guarded by mu_
  std::mutex write_mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_write_;  // by write_mu_
  std::chrono::milliseconds flush_after_{0};                                 // by write_mu_
  struct PendingWritten {
    std::string reason, message;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, PendingWritten> last_pending_;  // by write_mu_
};

}  // namespace

Status Register(Manager* mgr) {
  StatusOr<KueueConfig> config = LoadKueueConfig(mgr->client());
  if (!config.ok()) {
    return InvalidArgument("kueue: ConfigMap " + std::string(kConfigNamespace) + "/" +
                           kConfigMapName + ": " + config.status().message());
  }
  SKIFF_RETURN_IF_ERROR(RegisterJobIntegrations(mgr, *config));
  auto r = std::make_unique<SchedulerReconciler>(mgr, *config);
  SKIFF_RETURN_IF_ERROR(r->Init());
  SchedulerReconciler* raw = r.get();
  // One worker: cycles never overlap.
  Controller* c = mgr->NewController("kueue-scheduler", std::move(r), 1);
  raw->set_controller(c);
  raw->Wire();
  return Status::Ok();
}

}  // namespace skiff::controllers::kueue

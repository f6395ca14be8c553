// The KPA controller: a sampler thread feeds each revision's autoscaler from the load source;
// Reconcile(revision Deployment) runs one decision per tick and writes spec.replicas.
#include "controllers/kpa/kpa_controller.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "autoscaler/config.h"
#include "autoscaler/kpa.h"
#include "client/client.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::kpa {
namespace {

using autoscaler::Activity;
using autoscaler::Kpa;
using autoscaler::KpaConfig;
using Steady = std::chrono::steady_clock;

constexpr char kIsvcLabel[] = "serving.kserve.io/inferenceservice";
constexpr char kClassAnnotation[] = "autoscaling.knative.dev/class";
constexpr char kContainerConcurrencyAnnotation[] = "serving.skiff.dev/container-concurrency";
// The PodAutoscaler's state kept on the Deployment so a restarted `skiff up` does not bring
// scaled-to-zero revisions back: "Active|Inactive|Activating,<initialized 0|1>".
constexpr char kStateAnnotation[] = "autoscaling.skiff.dev/state";
constexpr char kFieldManager[] = "skiff-autoscaler";

bool IsKpaRevision(const Json& dep) {
  const Json& meta = Field(dep, "metadata");
  if (StringField(Field(meta, "labels"), kRevisionLabel).empty()) return false;
  std::string cls = StringField(Field(meta, "annotations"), kClassAnnotation);
  return cls.empty() || cls == autoscaler::kClassKpa;
}

std::map<std::string, std::string> StringMap(const Json& obj) {
  std::map<std::string, std::string> out;
  if (!obj.is_object()) return out;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (it->is_string()) out[it.key()] = it->get<std::string>();
  }
  return out;
}

const char* ActivityName(Activity a) {
  switch (a) {
    case Activity::kActive:
      return "Active";
    case Activity::kInactive:
      return "Inactive";
    case Activity::kActivating:
      return "Activating";
  }
  return "Activating";
}

std::string StateOf(const Kpa::Decision& d) {
  Activity a = d.activating ? Activity::kActivating
                            : (d.active ? Activity::kActive : Activity::kInactive);
  return std::string(ActivityName(a)) + "," + (d.scale_target_initialized ? "1" : "0");
}

struct Entry {
  std::unique_ptr<Kpa> kpa;
  std::string config_error;  // last reported, so a bad annotation is reported once
  std::string state;         // last written kStateAnnotation
  // Decisions run once per tick (Knative's 2 s), not on every Deployment event, so the rate
  // limits mean what they say; a poke decides at once.
  Steady::time_point next_decision{};
  bool poked = false;
};

// Shared by the reconciler (decisions), the sampler thread and Poke.
class State final : public KpaHandle {
 public:
  explicit State(KpaOptions options) : options_(std::move(options)) {}
  ~State() override { Stop(); }

  void Start() {
    sampler_ = std::thread([this] { Sample(); });
  }

  void Poke(const std::string& revision) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(revision);
      if (it != entries_.end() && it->second.kpa) {
        it->second.kpa->Poke(Steady::now());
        it->second.poked = true;
      } else {
        pending_pokes_[revision] = Steady::now();
      }
    }
    if (controller_) {
      size_t slash = revision.find('/');
      if (slash != std::string::npos) {
        controller_->Enqueue(Request{revision.substr(0, slash), revision.substr(slash + 1)});
      }
    }
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    cv_.notify_all();
    if (sampler_.joinable()) sampler_.join();
  }

  std::mutex mu_;
  std::map<std::string, Entry> entries_;                 // by "ns/name", guarded by mu_
  std::map<std::string, Steady::time_point> pending_pokes_;  // before the first decision
  Controller* controller_ = nullptr;                     // set once before Start

 private:
  void Sample() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopped_) {
      std::vector<std::string> keys;
      for (const auto& [k, e] : entries_) keys.push_back(k);
      lock.unlock();
      std::vector<std::pair<std::string, RevisionLoad>> loads;
      for (const std::string& k : keys) {
        std::optional<RevisionLoad> l = options_.load ? options_.load(k) : std::nullopt;
        loads.emplace_back(k, l.value_or(RevisionLoad{}));
      }
      lock.lock();
      Steady::time_point now = Steady::now();
      for (const auto& [k, l] : loads) {
        auto it = entries_.find(k);
        if (it != entries_.end() && it->second.kpa) it->second.kpa->Record(now, l.concurrency, l.rps);
      }
      cv_.wait_for(lock, options_.sample_interval, [this] { return stopped_; });
    }
  }

  KpaOptions options_;
  std::condition_variable cv_;
  std::thread sampler_;
  bool stopped_ = false;  // guarded by mu_
};

class KpaReconciler final : public Reconciler {
 public:
  KpaReconciler(Manager* mgr, client::Informer* deployments, client::Informer* configmaps,
                client::Informer* isvcs, std::shared_ptr<State> state)
      : mgr_(mgr),
        deployments_(deployments),
        configmaps_(configmaps),
        isvcs_(isvcs),
        state_(std::move(state)),
        events_(&mgr->EventsFor("autoscaler")) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    std::string key = req.ns + "/" + req.name;
    client::ObjectPtr dep = deployments_->Get(req.ns, req.name);
    if (!dep || !IsKpaRevision(*dep) ||
        Field(Field(*dep, "metadata"), "deletionTimestamp").is_string()) {
      std::lock_guard<std::mutex> lock(state_->mu_);
      state_->entries_.erase(key);
      return Result{};
    }
    std::map<std::string, std::string> cluster;
    if (client::ObjectPtr cm = configmaps_->Get(kConfigNamespace, kConfigName)) {
      cluster = StringMap(Field(*cm, "data"));
    }
    std::map<std::string, std::string> annotations =
        StringMap(Field(Field(*dep, "metadata"), "annotations"));
    int64_t cc = 0;
    try {
      cc = std::stoll(annotations[kContainerConcurrencyAnnotation]);
    } catch (...) {
      cc = 0;
    }
    StatusOr<KpaConfig> cfg = autoscaler::ResolveKpaConfig(cluster, annotations, cc);
    const Json& st = Field(*dep, "status");
    const Json& replicas_field = Field(Field(*dep, "spec"), "replicas");
    int32_t current = replicas_field.is_number_integer() ? replicas_field.get<int32_t>() : 1;
    int32_t ready = st.contains("readyReplicas") && st["readyReplicas"].is_number_integer()
                        ? st["readyReplicas"].get<int32_t>()
                        : 0;
    bool reachable = Reachable(*dep);

    Kpa::Decision d;
    std::string new_state;
    {
      std::lock_guard<std::mutex> lock(state_->mu_);
      Entry& e = state_->entries_[key];
      if (!cfg.ok()) {
        if (e.config_error != cfg.status().message()) {
          e.config_error = cfg.status().message();
          events_->Event(*dep, "Warning", "InvalidAutoscaling", e.config_error);
        }
        return Result{std::chrono::seconds(10)};
      }
      e.config_error.clear();
      Steady::time_point now = Steady::now();
      if (!e.kpa) {
        e.kpa = std::make_unique<Kpa>(*cfg, now, ready);
        Restore(*e.kpa, annotations[kStateAnnotation], now);
        e.state = annotations[kStateAnnotation];
      } else if (e.kpa->config() != *cfg) {
        e.kpa->UpdateConfig(*cfg);
      }
      auto poke = state_->pending_pokes_.find(key);
      if (poke != state_->pending_pokes_.end()) {
        e.kpa->Poke(poke->second);
        e.poked = true;
        state_->pending_pokes_.erase(poke);
      }
      if (now < e.next_decision && !e.poked) {
        return Result{std::chrono::duration_cast<std::chrono::milliseconds>(e.next_decision - now) +
                      std::chrono::milliseconds(1)};
      }
      e.poked = false;
      e.next_decision = now + cfg->tick;
      d = e.kpa->Decide(now, ready, current, reachable);
      new_state = StateOf(d);
      if (new_state == e.state) new_state.clear();
    }
    if (d.replicas != current || !new_state.empty()) {
      Json patch = Json::object();
      if (d.replicas != current) patch["spec"]["replicas"] = d.replicas;
      if (!new_state.empty()) patch["metadata"]["annotations"][kStateAnnotation] = new_state;
      client::PatchOptions po;
      po.field_manager = kFieldManager;
      auto r = mgr_->client().Patch(deployments_->resource(), req.ns, req.name, DumpJson(patch), po);
      if (!r.ok()) {
        if (r.status().code() == StatusCode::kNotFound) return Result{};
        return r.status();
      }
      if (!new_state.empty()) {
        std::lock_guard<std::mutex> lock(state_->mu_);
        state_->entries_[key].state = new_state;
      }
      if (d.replicas != current) {
        char msg[256];
        std::snprintf(msg, sizeof msg,
                      "Scaled revision from %d to %d (%s; observed stable %.2f, panic %.2f)",
                      current, d.replicas, d.reason.c_str(), d.stable_observed, d.panic_observed);
        spdlog::info("component=autoscaler revision={} {}", key, msg);
        events_->Event(*dep, "Normal", "Scaled", msg);
      }
    }
    return Result{cfg->tick};
  }

 private:
  static void Restore(Kpa& kpa, const std::string& state, Steady::time_point now) {
    size_t comma = state.find(',');
    if (comma == std::string::npos) return;
    std::string a = state.substr(0, comma);
    Activity activity = a == "Active"     ? Activity::kActive
                        : a == "Inactive" ? Activity::kInactive
                                          : Activity::kActivating;
    kpa.Restore(activity, now, state.substr(comma + 1) == "1");
  }

  // Routed to: named by its InferenceService's traffic, or (before any revision is ready) its
  // latest created revision. A revision Deployment without an InferenceService owner is
  // always reachable.
  bool Reachable(const Json& dep) {
    const Json* owner = GetControllerOf(dep);
    if (!owner || StringField(*owner, "kind") != "InferenceService") return true;
    client::ObjectPtr isvc = isvcs_->Get(MetaString(dep, "namespace"), StringField(*owner, "name"));
    if (!isvc) return false;
    std::string name = MetaString(dep, "name");
    const Json& pred = Field(Field(Field(*isvc, "status"), "components"), "predictor");
    const Json& traffic = Field(pred, "traffic");
    for (const Json& t : traffic) {
      if (StringField(t, "revisionName") == name) return true;
    }
    return (!traffic.is_array() || traffic.empty()) &&
           StringField(pred, "latestCreatedRevision") == name;
  }

  Manager* mgr_;
  client::Informer* deployments_;
  client::Informer* configmaps_;
  client::Informer* isvcs_;
  std::shared_ptr<State> state_;
  EventRecorder* events_;
};

}  // namespace

StatusOr<std::shared_ptr<KpaHandle>> Register(Manager* mgr, KpaOptions options) {
  auto& inf = mgr->informers();
  SKIFF_ASSIGN_OR_RETURN(client::Informer * deployments, inf.ForKind("apps/v1", "Deployment"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * configmaps, inf.ForKind("v1", "ConfigMap"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * isvcs,
                         inf.ForKind("serving.kserve.io/v1beta1", "InferenceService"));
  auto state = std::make_shared<State>(std::move(options));
  Controller* c = mgr->NewController(
      "kpa", std::make_unique<KpaReconciler>(mgr, deployments, configmaps, isvcs, state), 1);
  SKIFF_RETURN_IF_ERROR(c->For("apps/v1", "Deployment"));
  auto revisions_in = [deployments](const std::string& ns, const std::string& isvc) {
    std::vector<Request> out;
    for (const client::ObjectPtr& d : deployments->List(ns)) {
      if (!IsKpaRevision(*d)) continue;
      if (!isvc.empty() &&
          StringField(Field(Field(*d, "metadata"), "labels"), kIsvcLabel) != isvc) {
        continue;
      }
      out.push_back(Request{MetaString(*d, "namespace"), MetaString(*d, "name")});
    }
    return out;
  };
  SKIFF_RETURN_IF_ERROR(c->Watches("v1", "ConfigMap", [revisions_in](const Json& cm) {
    if (MetaString(cm, "namespace") != kConfigNamespace || MetaString(cm, "name") != kConfigName) {
      return std::vector<Request>{};
    }
    return revisions_in("", "");
  }));
  SKIFF_RETURN_IF_ERROR(c->Watches(
      "serving.kserve.io/v1beta1", "InferenceService", [revisions_in](const Json& isvc) {
        std::string name = MetaString(isvc, "name");
        return name.empty() ? std::vector<Request>{}
                            : revisions_in(MetaString(isvc, "namespace"), name);
      }));
  state->controller_ = c;
  state->Start();
  return std::shared_ptr<KpaHandle>(state);
}

}  // namespace skiff::controllers::kpa

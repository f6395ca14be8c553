// Deployment reconciler: find or create the new ReplicaSet, run the strategy, clean history,
// write status.
#include "controllers/deployment/deployment.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "api/label_selector.h"
#include "base/time.h"
#include "client/client.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"

namespace skiff::controllers::deployment {

namespace {

constexpr char kRevision[] = "deployment.kubernetes.io/revision";
constexpr char kDesired[] = "deployment.kubernetes.io/desired-replicas";
constexpr char kMaxReplicas[] = "deployment.kubernetes.io/max-replicas";
constexpr char kHashLabel[] = "pod-template-hash";

Json TemplateWithoutHash(const Json& tmpl) {
  Json t = tmpl;
  if (t.contains("metadata") && t["metadata"].contains("labels") &&
      t["metadata"]["labels"].is_object()) {
    t["metadata"]["labels"].erase(kHashLabel);
    if (t["metadata"]["labels"].empty()) t["metadata"].erase("labels");
  }
  if (t.contains("metadata")) {
    t["metadata"].erase("creationTimestamp");
    if (t["metadata"].empty()) t.erase("metadata");
  }
  return t;
}

int64_t RevisionOf(const Json& obj) {
  auto ann = obj["metadata"].value("annotations", Json::object());
  try {
    return std::stoll(ann.value(kRevision, "0"));
  } catch (...) {
    return 0;
  }
}

int64_t SpecReplicas(const Json& rs) { return rs["spec"].value("replicas", int64_t{1}); }
int64_t StatusInt(const Json& obj, const char* field) {
  return obj.contains("status") && obj["status"].is_object() ? obj["status"].value(field, int64_t{0})
                                                              : 0;
}

}  // namespace

std::string TemplateHash(const Json& pod_template) {
  std::string text = DumpJson(TemplateWithoutHash(pod_template));
  uint32_t h = 2166136261u;
  for (unsigned char c : text) {
    h ^= c;
    h *= 16777619u;
  }
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string digits = std::to_string(h);
  std::string out;
  for (char d : digits) out += kAlphabet[(d - '0') % (sizeof(kAlphabet) - 1)];
  return out;
}

namespace {

class DeploymentReconciler : public Reconciler {
 public:
  DeploymentReconciler(Manager* mgr, client::Informer* deps, client::Informer* rss)
      : mgr_(mgr), deps_(deps), rss_(rss) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    client::ObjectPtr obj = deps_->Get(req.ns, req.name);
    if (!obj || obj->at("metadata").contains("deletionTimestamp")) return Result{};
    const Json& d = *obj;
    SKIFF_ASSIGN_OR_RETURN(rs_r_, mgr_->client().discovery().ResolveKind("apps/v1", "ReplicaSet"));
    SKIFF_ASSIGN_OR_RETURN(dep_r_, mgr_->client().discovery().ResolveKind("apps/v1", "Deployment"));
    std::string uid = d["metadata"].value("uid", "");
    const Json spec = d.value("spec", Json::object());
    int64_t desired = spec.value("replicas", int64_t{1});
    Json tmpl = spec.value("template", Json::object());
    bool paused = spec.value("paused", false);

    std::vector<Json> owned;
    for (const auto& rs : rss_->ListByOwner(uid)) {
      if (IsControlledBy(*rs, uid)) owned.push_back(*rs);
    }
    std::sort(owned.begin(), owned.end(), [](const Json& a, const Json& b) {
      return a["metadata"].value("creationTimestamp", "") < b["metadata"].value("creationTimestamp", "") ||
             (a["metadata"].value("creationTimestamp", "") == b["metadata"].value("creationTimestamp", "") &&
              a["metadata"].value("name", "") < b["metadata"].value("name", ""));
    });
    Json want_tmpl = TemplateWithoutHash(tmpl);
    int64_t max_rev = 0;
    int new_idx = -1;
    for (size_t i = 0; i < owned.size(); ++i) {
      max_rev = std::max(max_rev, RevisionOf(owned[i]));
      if (new_idx < 0 && TemplateWithoutHash(owned[i]["spec"].value("template", Json::object())) == want_tmpl) {
        new_idx = static_cast<int>(i);
      }
    }
    std::string strategy = spec.value("strategy", Json::object()).value("type", "RollingUpdate");
    int64_t max_surge = 0, max_unavailable = 0;
    if (strategy == "RollingUpdate") {
      Json ru = spec.value("strategy", Json::object()).value("rollingUpdate", Json::object());
      max_surge = ResolveIntOrPercent(ru.value("maxSurge", Json("25%")), desired, true, 0);
      max_unavailable =
          ResolveIntOrPercent(ru.value("maxUnavailable", Json("25%")), desired, false, 0);
      if (max_surge == 0 && max_unavailable == 0) max_unavailable = 1;
      max_unavailable = std::min(max_unavailable, desired);
    }

    std::string progress_reason, progress_msg;
    if (new_idx < 0 && !paused) {
      // A new template: create its ReplicaSet, at zero when old pods must go first.
      std::string hash = TemplateHash(tmpl);
      Json rs_tmpl = tmpl;
      rs_tmpl["metadata"]["labels"][kHashLabel] = hash;
      Json selector = spec.value("selector", Json::object());
      selector["matchLabels"][kHashLabel] = hash;
      std::string name = req.name + "-" + hash;
      Json rs = {{"apiVersion", "apps/v1"},
                 {"kind", "ReplicaSet"},
                 {"metadata",
                  {{"name", name},
                   {"namespace", req.ns},
                   {"labels", rs_tmpl["metadata"]["labels"]},
                   {"annotations",
                    {{kRevision, std::to_string(max_rev + 1)},
                     {kDesired, std::to_string(desired)},
                     {kMaxReplicas, std::to_string(desired + max_surge)}}},
                   {"ownerReferences", Json::array({ControllerRef(d)})}}},
                 {"spec",
                  {{"replicas", 0},
                   {"minReadySeconds", spec.value("minReadySeconds", 0)},
                   {"selector", selector},
                   {"template", rs_tmpl}}}};
      auto created = mgr_->client().Create(rs_r_, req.ns, rs);
      if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) {
        return created.status();
      }
      if (created.ok()) {
        owned.push_back(*created);
        new_idx = static_cast<int>(owned.size()) - 1;
        max_rev += 1;
        progress_reason = "NewReplicaSetCreated";
        progress_msg = "Created new replica set \"" + name + "\"";
      } else {
        return Result{std::chrono::milliseconds(200)};  // the cache will show it shortly
      }
    } else if (new_idx >= 0 && RevisionOf(owned[new_idx]) < max_rev && !paused) {
      // A rollback to an older template: it becomes the newest revision again.
      SKIFF_RETURN_IF_ERROR(PatchRs(owned[new_idx], -1, std::to_string(max_rev + 1), desired, max_surge));
      max_rev += 1;
    }

    std::vector<RsState> old_states;
    std::vector<Json*> old_rs;
    RsState new_state;
    for (size_t i = 0; i < owned.size(); ++i) {
      RsState s{owned[i]["metadata"].value("name", ""), SpecReplicas(owned[i]),
                StatusInt(owned[i], "availableReplicas"), static_cast<int>(i) == new_idx};
      if (s.is_new) {
        new_state = s;
      } else {
        old_states.push_back(s);
        old_rs.push_back(&owned[i]);
      }
    }

    if (!paused && new_idx >= 0) {
      Json& new_rs = owned[new_idx];
      if (strategy == "Recreate") {
        bool old_active = false;
        for (size_t i = 0; i < old_rs.size(); ++i) {
          if (old_states[i].replicas > 0) {
            SKIFF_RETURN_IF_ERROR(Scale(d, *old_rs[i], 0));
            old_active = true;
          }
          if (StatusInt(*old_rs[i], "replicas") > 0) old_active = true;
        }
        if (!old_active && new_state.replicas != desired) {
          SKIFF_RETURN_IF_ERROR(Scale(d, new_rs, desired));
        }
      } else {
        std::vector<RsState> all = old_states;
        all.push_back(new_state);
        int64_t target = new_state.replicas > desired ? desired
                                                      : NewRsReplicas(desired, max_surge, all, new_state);
        if (target != new_state.replicas) {
          SKIFF_RETURN_IF_ERROR(Scale(d, new_rs, target));
          new_state.replicas = target;
        }
        auto targets = ScaleDownOld(desired, max_unavailable, old_states, &new_state);
        for (size_t i = 0; i < old_rs.size(); ++i) {
          if (targets[i] != old_states[i].replicas) {
            SKIFF_RETURN_IF_ERROR(Scale(d, *old_rs[i], targets[i]));
          }
        }
      }
    } else if (paused && new_idx >= 0 && old_states.empty() && new_state.replicas != desired) {
      SKIFF_RETURN_IF_ERROR(Scale(d, owned[new_idx], desired));  // scaling works while paused
    }

    // History: keep revisionHistoryLimit old ReplicaSets that are fully scaled down.
    int64_t limit = spec.value("revisionHistoryLimit", int64_t{10});
    std::vector<Json*> idle;
    for (Json* rs : old_rs) {
      if (SpecReplicas(*rs) == 0 && StatusInt(*rs, "replicas") == 0) idle.push_back(rs);
    }
    for (int64_t i = 0; i + limit < static_cast<int64_t>(idle.size()); ++i) {
      client::DeleteOptions del;
      del.propagation_policy = "Background";
      (void)mgr_->client().Delete(rs_r_, req.ns, (*idle[i])["metadata"].value("name", ""), del);
    }

    return WriteStatus(d, owned, new_idx, desired, max_unavailable, max_rev, progress_reason,
                       progress_msg);
  }

 private:
  Status PatchRs(const Json& rs, int64_t replicas, const std::string& revision, int64_t desired,
                 int64_t max_surge) {
    Json patch = {{"metadata",
                   {{"annotations",
                     {{kDesired, std::to_string(desired)},
                      {kMaxReplicas, std::to_string(desired + max_surge)}}}}}};
    if (!revision.empty()) patch["metadata"]["annotations"][kRevision] = revision;
    if (replicas >= 0) patch["spec"] = {{"replicas", replicas}};
    client::PatchOptions po;
    po.field_manager = "deployment-controller";
    auto r = mgr_->client().Patch(rs_r_, rs["metadata"].value("namespace", ""),
                                  rs["metadata"].value("name", ""), DumpJson(patch), po);
    return r.status();
  }

  Status Scale(const Json& d, Json& rs, int64_t replicas) {
    int64_t from = SpecReplicas(rs);
    if (from == replicas) return Status::Ok();
    int64_t desired = d["spec"].value("replicas", int64_t{1});
    SKIFF_RETURN_IF_ERROR(PatchRs(rs, replicas, "", desired, 0));
    rs["spec"]["replicas"] = replicas;
    std::string name = rs["metadata"].value("name", "");
    mgr_->EventsFor("deployment-controller").Event(d, "Normal", "ScalingReplicaSet",
                         std::string(replicas > from ? "Scaled up" : "Scaled down") +
                             " replica set " + name + " from " + std::to_string(from) + " to " +
                             std::to_string(replicas));
    return Status::Ok();
  }

  StatusOr<Result> WriteStatus(const Json& d, const std::vector<Json>& owned, int new_idx,
                               int64_t desired, int64_t max_unavailable, int64_t revision,
                               std::string progress_reason, std::string progress_msg) {
    int64_t replicas = 0, ready = 0, available = 0, updated = 0, total_spec = 0;
    bool old_pods = false;
    for (size_t i = 0; i < owned.size(); ++i) {
      replicas += StatusInt(owned[i], "replicas");
      ready += StatusInt(owned[i], "readyReplicas");
      available += StatusInt(owned[i], "availableReplicas");
      total_spec += SpecReplicas(owned[i]);
      if (static_cast<int>(i) == new_idx) {
        updated = StatusInt(owned[i], "replicas");
      } else if (StatusInt(owned[i], "replicas") > 0) {
        old_pods = true;
      }
    }
    Json status = d.value("status", Json::object());
    Json next = status;
    next["observedGeneration"] = d["metadata"].value("generation", int64_t{1});
    next["replicas"] = replicas;
    next["updatedReplicas"] = updated;
    next["readyReplicas"] = ready;
    next["availableReplicas"] = available;
    next["unavailableReplicas"] = std::max<int64_t>(0, total_spec - available);
    for (const char* f : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                          "unavailableReplicas"}) {
      if (next[f] == 0 && !status.contains(f) && std::string(f) != "replicas") next.erase(f);
    }
    Json conds = next.value("conditions", Json::array());
    std::string now = NowRfc3339();
    if (available >= desired - max_unavailable) {
      SetCondition(&conds, {"Available", "True", "MinimumReplicasAvailable",
                            "Deployment has minimum availability."},
                   now, "lastUpdateTime");
    } else {
      SetCondition(&conds, {"Available", "False", "MinimumReplicasUnavailable",
                            "Deployment does not have minimum availability."},
                   now, "lastUpdateTime");
    }
    std::string new_name = new_idx >= 0 ? owned[new_idx]["metadata"].value("name", "") : "";
    bool complete = new_idx >= 0 && updated == desired && available >= desired && !old_pods &&
                    SpecReplicas(owned[new_idx]) == desired;
    Result result;
    if (d["spec"].value("paused", false)) {
      SetCondition(&conds, {"Progressing", "Unknown", "DeploymentPaused", "Deployment is paused"},
                   now, "lastUpdateTime");
    } else if (complete) {
      SetCondition(&conds, {"Progressing", "True", "NewReplicaSetAvailable",
                            "ReplicaSet \"" + new_name + "\" has successfully progressed."},
                   now, "lastUpdateTime");
    } else if (!progress_reason.empty()) {
      SetCondition(&conds, {"Progressing", "True", progress_reason, progress_msg}, now,
                   "lastUpdateTime");
    } else if (new_idx >= 0) {
      const Json* cur = FindCondition(conds, "Progressing");
      int64_t deadline = d["spec"].value("progressDeadlineSeconds", int64_t{600});
      bool expired = false;
      if (cur && cur->value("reason", "") != "NewReplicaSetAvailable") {
        auto t = ParseRfc3339(cur->value("lastUpdateTime", ""));
        expired = t.ok() && std::chrono::system_clock::now() - *t > std::chrono::seconds(deadline);
      }
      // Progress (a scale step) refreshes lastUpdateTime; none for the deadline fails it.
      bool progressed = !status.is_object() || status.value("updatedReplicas", int64_t{0}) != updated ||
                        status.value("availableReplicas", int64_t{0}) != available;
      if (expired && !progressed) {
        SetCondition(&conds, {"Progressing", "False", "ProgressDeadlineExceeded",
                              "ReplicaSet \"" + new_name + "\" has timed out progressing."},
                     now, "lastUpdateTime");
      } else if (progressed || !cur || cur->value("status", "") != "False") {
        std::string msg = "ReplicaSet \"" + new_name + "\" is progressing.";
        if (!cur || cur->value("message", "") != msg || progressed) {
          Condition c{"Progressing", "True", "ReplicaSetUpdated", msg};
          SetCondition(&conds, c, now, "lastUpdateTime");
          // SetCondition only stamps on change; progress must stamp too.
          for (Json& x : conds) {
            if (x.value("type", "") == "Progressing" && progressed) x["lastUpdateTime"] = now;
          }
        }
        result.requeue_after = std::chrono::seconds(deadline + 1);
      }
    }
    next["conditions"] = conds;
    Json ann = d["metadata"].value("annotations", Json::object());
    bool ann_changed = revision > 0 && ann.value(kRevision, "") != std::to_string(revision);
    // The annotation write bumps resourceVersion, so the status write then starts from its reply.
    Json base = d;
    if (ann_changed) {
      Json patch = {{"metadata", {{"annotations", {{kRevision, std::to_string(revision)}}}}}};
      client::PatchOptions po;
      po.field_manager = "deployment-controller";
      auto r = mgr_->client().Patch(dep_r_, d["metadata"].value("namespace", ""),
                                    d["metadata"].value("name", ""), DumpJson(patch), po);
      if (!r.ok()) return r.status();
      base = *r;
    }
    if (ann_changed || next != status) {
      base["status"] = next;
      client::WriteOptions wo;
      wo.subresource = "status";
      auto w = mgr_->client().Replace(dep_r_, d["metadata"].value("namespace", ""),
                                      d["metadata"].value("name", ""), base, wo);
      if (!w.ok()) return w.status();
    }
    return result;
  }

  Manager* mgr_;
  client::Informer* deps_;
  client::Informer* rss_;
  client::ResourceInfo rs_r_;
  client::ResourceInfo dep_r_;
};

}  // namespace

Status Register(Manager* manager) {
  SKIFF_ASSIGN_OR_RETURN(client::Informer * deps,
                         manager->informers().ForKind("apps/v1", "Deployment"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * rss, manager->informers().ForKind("apps/v1", "ReplicaSet"));
  // One worker: the reconciler keeps resolved resource infos in members.
  Controller* c = manager->NewController(
      "deployment", std::make_unique<DeploymentReconciler>(manager, deps, rss), 1);
  SKIFF_RETURN_IF_ERROR(c->For("apps/v1", "Deployment"));
  SKIFF_RETURN_IF_ERROR(c->Owns("apps/v1", "ReplicaSet"));
  return Status::Ok();
}

}  // namespace skiff::controllers::deployment

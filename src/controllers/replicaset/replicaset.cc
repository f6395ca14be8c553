// ReplicaSet reconciler.
#include "controllers/replicaset/replicaset.h"

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "api/label_selector.h"
#include "base/time.h"
#include "client/client.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/expectations.h"
#include "controllers/runtime/pods.h"

namespace skiff::controllers::replicaset {

namespace {

int PhaseRank(const Json& pod) {
  std::string phase = pod.contains("status") ? pod["status"].value("phase", "") : "";
  if (phase == "Pending" || phase.empty()) return 0;
  if (phase == "Unknown") return 1;
  return 2;  // Running
}

int Restarts(const Json& pod) {
  int n = 0;
  if (pod.contains("status") && pod["status"].contains("containerStatuses") &&
      pod["status"]["containerStatuses"].is_array()) {
    for (const Json& cs : pod["status"]["containerStatuses"]) n = std::max(n, cs.value("restartCount", 0));
  }
  return n;
}

std::string Created(const Json& pod) { return pod["metadata"].value("creationTimestamp", ""); }

}  // namespace

void SortForDeletion(std::vector<client::ObjectPtr>* pods) {
  std::stable_sort(pods->begin(), pods->end(), [](const client::ObjectPtr& a, const client::ObjectPtr& b) {
    const Json& x = *a;
    const Json& y = *b;
    bool xa = !x["spec"].value("nodeName", "").empty();
    bool ya = !y["spec"].value("nodeName", "").empty();
    if (xa != ya) return !xa;  // unassigned first
    int xp = PhaseRank(x), yp = PhaseRank(y);
    if (xp != yp) return xp < yp;  // pending before running
    bool xr = IsPodReady(x), yr = IsPodReady(y);
    if (xr != yr) return !xr;  // not ready first
    int xs = Restarts(x), ys = Restarts(y);
    if (xs != ys) return xs > ys;  // more restarts first
    std::string xc = Created(x), yc = Created(y);
    if (xc != yc) return xc > yc;  // newer first
    return x["metadata"].value("name", "") > y["metadata"].value("name", "");
  });
}

std::string RandomName(const std::string& prefix) {
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  static thread_local std::mt19937 rng(std::random_device{}());
  std::string s = prefix;
  for (int i = 0; i < 5; ++i) s += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return s;
}

Json PodFromTemplate(const Json& owner, const Json& tmpl, const std::string& name) {
  Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
  Json meta = tmpl.contains("metadata") && tmpl["metadata"].is_object() ? tmpl["metadata"]
                                                                        : Json::object();
  meta.erase("creationTimestamp");
  meta["name"] = name;
  meta["namespace"] = owner["metadata"].value("namespace", "default");
  meta["ownerReferences"] = Json::array({ControllerRef(owner)});
  pod["metadata"] = std::move(meta);
  pod["spec"] = tmpl.contains("spec") ? tmpl["spec"] : Json::object();
  return pod;
}

namespace {

class ReplicaSetReconciler : public Reconciler {
 public:
  ReplicaSetReconciler(Manager* mgr, client::Informer* rs, client::Informer* pods)
      : mgr_(mgr), rs_(rs), pods_(pods) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    client::ObjectPtr obj = rs_->Get(req.ns, req.name);
    if (!obj) {
      expectations_.Forget(req.Key());
      return Result{};
    }
    const Json& rs = *obj;
    SKIFF_ASSIGN_OR_RETURN(auto pod_r, mgr_->client().discovery().ResolveKind("v1", "Pod"));
    std::string uid = rs["metadata"].value("uid", "");
    auto selector = api::LabelSelectorFromJson(rs["spec"].value("selector", Json::object()));
    if (!selector.ok()) return Result{};  // invalid selectors are rejected by validation

    // Adopt orphans that match the selector (kube's ClaimPods).
    if (!IsPodTerminating(rs) && !selector->Empty()) {
      for (const auto& p : pods_->List(req.ns)) {
        const Json& pod = *p;
        if (GetControllerOf(pod) || !IsPodActive(pod)) continue;
        if (!selector->Matches(pod["metadata"].value("labels", Json::object()))) continue;
        Json refs = pod["metadata"].value("ownerReferences", Json::array());
        refs.push_back(ControllerRef(rs));
        Json patch = {{"metadata", {{"ownerReferences", refs}}}};
        client::PatchOptions po;
        po.field_manager = "replicaset-controller";
        (void)mgr_->client().Patch(pod_r, req.ns, pod["metadata"].value("name", ""),
                                   DumpJson(patch), po);
      }
    }

    std::vector<client::ObjectPtr> owned;
    for (const auto& p : pods_->ListByOwner(uid)) {
      if (IsControlledBy(*p, uid)) owned.push_back(p);
    }
    auto in_cache = [&](const std::string& name) { return pods_->Get(req.ns, name) != nullptr; };
    auto active_in_cache = [&](const std::string& name) {
      auto p = pods_->Get(req.ns, name);
      return p && IsPodActive(*p);
    };
    auto pending = expectations_.Settle(req.Key(), in_cache, active_in_cache);
    std::vector<client::ObjectPtr> active;
    for (const auto& p : owned) {
      if (IsPodActive(*p) && !pending.deletes.count((*p)["metadata"].value("name", ""))) {
        active.push_back(p);
      }
    }
    int64_t want = IsPodTerminating(rs) ? 0 : rs["spec"].value("replicas", int64_t{1});
    int64_t have = static_cast<int64_t>(active.size() + pending.creates.size());
    Status create_error;
    if (!IsPodTerminating(rs) && have < want) {
      // kube creates in slow-start batches (1, 2, 4, ...) so a broken template fails fast.
      int64_t diff = std::min<int64_t>(want - have, 500);
      int64_t batch = 1;
      for (int64_t done = 0; done < diff && create_error.ok(); batch *= 2) {
        for (int64_t i = 0; i < batch && done < diff; ++i, ++done) {
          std::string name = RandomName(req.name + "-");
          Json pod = PodFromTemplate(rs, rs["spec"].value("template", Json::object()), name);
          auto created = mgr_->client().Create(pod_r, req.ns, pod);
          if (!created.ok()) {
            create_error = created.status();
            mgr_->EventsFor("replicaset-controller").Event(rs, "Warning", "FailedCreate",
                                 "Error creating: " + created.status().message());
            break;
          }
          expectations_.ExpectCreate(req.Key(), name);
          mgr_->EventsFor("replicaset-controller").Event(rs, "Normal", "SuccessfulCreate", "Created pod: " + name);
        }
      }
    } else if (have > want) {
      int64_t diff = have - want;
      SortForDeletion(&active);
      for (int64_t i = 0; i < diff && i < static_cast<int64_t>(active.size()); ++i) {
        std::string name = (*active[i])["metadata"].value("name", "");
        auto del = mgr_->client().Delete(pod_r, req.ns, name);
        if (!del.ok() && del.status().code() != StatusCode::kNotFound) return del.status();
        expectations_.ExpectDelete(req.Key(), name);
        mgr_->EventsFor("replicaset-controller").Event(rs, "Normal", "SuccessfulDelete", "Deleted pod: " + name);
      }
    }

    // Status from what the cache shows now (the next event refines it).
    int64_t min_ready = rs["spec"].value("minReadySeconds", int64_t{0});
    int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    Json tmpl_labels = rs["spec"].value("template", Json::object())
                           .value("metadata", Json::object())
                           .value("labels", Json::object());
    int64_t replicas = 0, labeled = 0, ready = 0, available = 0;
    bool waiting_on_ready = false;
    for (const auto& p : owned) {
      if (!IsPodActive(*p)) continue;
      ++replicas;
      Json labels = (*p)["metadata"].value("labels", Json::object());
      bool full = true;
      for (auto it = tmpl_labels.begin(); it != tmpl_labels.end(); ++it) {
        if (!labels.contains(it.key()) || labels[it.key()] != it.value()) full = false;
      }
      if (full) ++labeled;
      if (IsPodReady(*p)) {
        ++ready;
        if (IsPodAvailable(*p, min_ready, now_s)) {
          ++available;
        } else {
          waiting_on_ready = true;
        }
      }
    }
    Json status = rs.value("status", Json::object());
    Json next = status;
    next["replicas"] = replicas;
    next["fullyLabeledReplicas"] = labeled;
    next["readyReplicas"] = ready;
    next["availableReplicas"] = available;
    next["observedGeneration"] = rs["metadata"].value("generation", int64_t{1});
    Json conds = next.value("conditions", Json::array());
    if (!create_error.ok()) {
      SetCondition(&conds, {"ReplicaFailure", "True", "FailedCreate", create_error.message()},
                   NowRfc3339());
    } else if (FindCondition(conds, "ReplicaFailure")) {
      Json kept = Json::array();
      for (const Json& c : conds) {
        if (c.value("type", "") != "ReplicaFailure") kept.push_back(c);
      }
      conds = kept;
    }
    if (conds.empty()) {
      next.erase("conditions");
    } else {
      next["conditions"] = conds;
    }
    if (next != status) {
      Json updated = rs;
      updated["status"] = next;
      client::WriteOptions wo;
      wo.subresource = "status";
      SKIFF_ASSIGN_OR_RETURN(auto rs_r,
                             mgr_->client().discovery().ResolveKind("apps/v1", "ReplicaSet"));
      auto w = mgr_->client().Replace(rs_r, req.ns, req.name, updated, wo);
      if (!w.ok() && w.status().code() != StatusCode::kNotFound) return w.status();
    }
    if (!create_error.ok()) return create_error;
    if (waiting_on_ready && min_ready > 0) return Result{std::chrono::seconds(1)};
    return Result{};
  }

 private:
  Manager* mgr_;
  client::Informer* rs_;
  client::Informer* pods_;
  Expectations expectations_;
};

}  // namespace

Status Register(Manager* manager) {
  SKIFF_ASSIGN_OR_RETURN(client::Informer * rs, manager->informers().ForKind("apps/v1", "ReplicaSet"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * pods, manager->informers().ForKind("v1", "Pod"));
  Controller* c = manager->NewController(
      "replicaset", std::make_unique<ReplicaSetReconciler>(manager, rs, pods), 2);
  SKIFF_RETURN_IF_ERROR(c->For("apps/v1", "ReplicaSet"));
  SKIFF_RETURN_IF_ERROR(c->Owns("v1", "Pod"));
  return Status::Ok();
}

}  // namespace skiff::controllers::replicaset

// Garbage collection and namespace termination, driven by store events.
// Runs on its own thread because every step is a synchronous store write.
#include "apiserver/gc.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <spdlog/spdlog.h>
#include <thread>

#include "apiserver/lifecycle.h"

namespace skiff::apiserver {
namespace {

struct Ref {
  std::string resource, ns, name;
  bool operator<(const Ref& o) const {
    return std::tie(resource, ns, name) < std::tie(o.resource, o.ns, o.name);
  }
};

bool Deleting(const Json& obj) {
  return obj.at("metadata").contains("deletionTimestamp") &&
         !obj.at("metadata")["deletionTimestamp"].is_null();
}

class GcImpl final : public GarbageCollector {
 public:
  explicit GcImpl(Context& ctx) : ctx_(ctx) {}

  ~GcImpl() override {
    ctx_.store->CancelWatch(watch_);
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void Init() {
    auto id = ctx_.store->Watch("", 0, [this](const store::EventPtr& e) {
      std::lock_guard l(mu_);
      events_.push_back(e);
      cv_.notify_one();
    });
    watch_ = id.ok() ? *id : 0;
    thread_ = std::thread([this] { Loop(); });
  }

 private:
  void Loop() {
    for (;;) {
      std::deque<store::EventPtr> batch;
      {
        std::unique_lock l(mu_);
        cv_.wait(l, [&] { return stop_ || !events_.empty(); });
        if (stop_) return;
        batch.swap(events_);
      }
      for (const auto& e : batch) Index(*e);
      for (const auto& e : batch) {
        const store::StoredObject& o = *e->object;
        if (e->type == store::EventType::kDeleted) {
          OwnerGone(o.value->at("metadata").value("uid", ""));
        } else if (e->type == store::EventType::kAdded) {
          // A dependent whose owners are all absent (deleted while the server was down,
          // or a dangling reference) is collected too, as kube's GC does.
          ReconcileDependent(Ref{o.resource, o.ns, o.name}, "");
        }
      }
      // Owners being deleted in foreground/orphan mode and terminating namespaces
      // are re-checked after every batch: progress comes from their dependents' events.
      std::set<Ref> pending = pending_;
      for (const auto& r : pending) Progress(r);
    }
  }

  void Index(const store::WatchEvent& e) {
    const store::StoredObject& o = *e.object;
    Ref self{o.resource, o.ns, o.name};
    std::string uid = o.value->at("metadata").value("uid", "");
    if (e.prev) Unlink(*e.prev);
    if (e.type == store::EventType::kDeleted) {
      by_uid_.erase(uid);
      pending_.erase(self);
      return;
    }
    by_uid_[uid] = self;
    const Json& meta = o.value->at("metadata");
    if (meta.contains("ownerReferences") && meta["ownerReferences"].is_array()) {
      for (const auto& ref : meta["ownerReferences"]) {
        if (ref.is_object()) dependents_[ref.value("uid", "")].insert(self);
      }
    }
    if (Deleting(*o.value) &&
        (HasFinalizer(*o.value, "foregroundDeletion") || HasFinalizer(*o.value, "orphan") ||
         o.resource == "namespaces")) {
      pending_.insert(self);
    }
  }

  void Unlink(const store::StoredObject& o) {
    const Json& meta = o.value->at("metadata");
    if (!meta.contains("ownerReferences") || !meta["ownerReferences"].is_array()) return;
    for (const auto& ref : meta["ownerReferences"]) {
      if (!ref.is_object()) continue;
      auto it = dependents_.find(ref.value("uid", ""));
      if (it == dependents_.end()) continue;
      it->second.erase(Ref{o.resource, o.ns, o.name});
      if (it->second.empty()) dependents_.erase(it);
    }
  }

  std::vector<Ref> DependentsOf(const std::string& uid) {
    auto it = dependents_.find(uid);
    return it == dependents_.end() ? std::vector<Ref>{} : std::vector<Ref>(it->second.begin(), it->second.end());
  }

  // Deletes (or starts deleting) one object with background propagation.
  void DeleteObject(const Ref& r) {
    auto kind = ctx_.registry->ByResourceId(r.resource);
    auto cur = ctx_.store->Get(r.resource, r.ns, r.name);
    if (!kind || !cur) return;
    DeleteOptions opts;
    auto plan = PlanDeletion(ctx_, *kind, *cur->value, opts);
    if (!plan.ok()) return;
    if (plan->remove_now) {
      (void)ctx_.store->DeleteSync(r.resource, r.ns, r.name, cur->revision);
    } else if (plan->changed) {
      (void)ctx_.store->UpdateSync(r.resource, r.ns, r.name, cur->revision, std::move(plan->object));
    }
  }

  // Removes ownerReferences to `uid`; deletes the dependent if no owner is left.
  void OwnerGone(const std::string& uid) {
    for (const auto& d : DependentsOf(uid)) ReconcileDependent(d, uid);
  }

  // Drops references to `gone_uid` (may be empty) and to owners that no longer exist;
  // deletes the dependent when no owner is left. Objects without owners are untouched.
  void ReconcileDependent(const Ref& d, const std::string& gone_uid) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto cur = ctx_.store->Get(d.resource, d.ns, d.name);
      if (!cur) return;
      Json obj = *cur->value;
      const Json refs_in = obj["metadata"].value("ownerReferences", Json::array());
      if (!refs_in.is_array() || refs_in.empty()) return;
      Json refs = Json::array();
      bool live_owner = false;
      for (const auto& ref : refs_in) {
        std::string ouid = ref.is_object() ? ref.value("uid", "") : "";
        if (ouid == gone_uid && !gone_uid.empty()) continue;
        refs.push_back(ref);
        if (by_uid_.count(ouid)) live_owner = true;
      }
      if (!live_owner) {
        DeleteObject(d);
        return;
      }
      if (refs.size() == refs_in.size()) return;
      obj["metadata"]["ownerReferences"] = refs;
      if (ctx_.store->UpdateSync(d.resource, d.ns, d.name, cur->revision, obj).ok()) return;
    }
  }

  void RemoveFinalizer(const Ref& r, std::string_view finalizer, bool spec_finalizer = false) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto cur = ctx_.store->Get(r.resource, r.ns, r.name);
      if (!cur) return;
      Json obj = *cur->value;
      Json& list = spec_finalizer ? obj["spec"]["finalizers"] : obj["metadata"]["finalizers"];
      Json kept = Json::array();
      if (list.is_array()) {
        for (const auto& f : list) {
          if (f != finalizer) kept.push_back(f);
        }
      }
      list = kept;
      bool spec_done = !obj.contains("spec") || !obj["spec"].is_object() ||
                       !obj["spec"].contains("finalizers") || obj["spec"]["finalizers"].empty() ||
                       r.resource != "namespaces";
      StatusOr<store::ObjectPtr> res =
          ReadyToRemove(obj) && spec_done
              ? ctx_.store->DeleteSync(r.resource, r.ns, r.name, cur->revision)
              : ctx_.store->UpdateSync(r.resource, r.ns, r.name, cur->revision, std::move(obj));
      if (res.ok()) return;
    }
  }

  void Progress(const Ref& r) {
    auto cur = ctx_.store->Get(r.resource, r.ns, r.name);
    if (!cur) {
      pending_.erase(r);
      return;
    }
    const Json& obj = *cur->value;
    std::string uid = obj.at("metadata").value("uid", "");
    if (r.resource == "namespaces") {
      bool empty = true;
      for (const auto& k : ctx_.registry->All()) {
        if (!k->namespaced) continue;
        for (const auto& o : ctx_.store->List(k->ResourceId(), r.name, "", 0).items) {
          empty = false;
          if (!Deleting(*o->value)) DeleteObject(Ref{o->resource, o->ns, o->name});
        }
      }
      if (empty) {
        RemoveFinalizer(r, "kubernetes", /*spec_finalizer=*/true);
        pending_.erase(r);
      }
      return;
    }
    if (HasFinalizer(obj, "orphan")) {
      for (const auto& d : DependentsOf(uid)) {
        for (int attempt = 0; attempt < 5; ++attempt) {
          auto dep = ctx_.store->Get(d.resource, d.ns, d.name);
          if (!dep) break;
          Json j = *dep->value;
          Json refs = Json::array();
          for (const auto& ref : j["metadata"].value("ownerReferences", Json::array())) {
            if (ref.value("uid", "") != uid) refs.push_back(ref);
          }
          if (refs.empty()) {
            j["metadata"].erase("ownerReferences");
          } else {
            j["metadata"]["ownerReferences"] = refs;
          }
          if (ctx_.store->UpdateSync(d.resource, d.ns, d.name, dep->revision, j).ok()) break;
        }
      }
      RemoveFinalizer(r, "orphan");
      return;
    }
    if (HasFinalizer(obj, "foregroundDeletion")) {
      auto deps = DependentsOf(uid);
      for (const auto& d : deps) {
        auto dep = ctx_.store->Get(d.resource, d.ns, d.name);
        if (dep && !Deleting(*dep->value)) DeleteObject(d);
      }
      if (DependentsOf(uid).empty()) RemoveFinalizer(r, "foregroundDeletion");
    }
  }

  Context& ctx_;
  uint64_t watch_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<store::EventPtr> events_;
  bool stop_ = false;
  std::thread thread_;
  // Owned by the GC thread.
  std::map<std::string, Ref> by_uid_;
  std::map<std::string, std::set<Ref>> dependents_;  // owner uid -> dependents
  std::set<Ref> pending_;
};

}  // namespace

std::unique_ptr<GarbageCollector> GarbageCollector::Start(Context& ctx) {
  auto gc = std::make_unique<GcImpl>(ctx);
  gc->Init();
  return gc;
}

}  // namespace skiff::apiserver

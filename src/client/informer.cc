// Informer: the list-then-watch loop, the cache with its owner index, and the shared factory.
#include "client/informer.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "client/client.h"
#include "client/rest_client.h"

namespace skiff::client {

std::string ObjectKey(std::string_view ns, std::string_view name) {
  if (ns.empty()) {
    return std::string(name);
  }
  std::string key(ns);
  key += '/';
  key += name;
  return key;
}

std::pair<std::string, std::string> SplitObjectKey(std::string_view key) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    return {"", std::string(key)};
  }
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

std::string KeyOf(const Json& object) {
  const Json& meta = object.contains("metadata") ? object["metadata"] : Json::object();
  return ObjectKey(meta.value("namespace", ""), meta.value("name", ""));
}

namespace {

std::vector<std::string> OwnerUids(const Json& object) {
  std::vector<std::string> out;
  if (!object.contains("metadata")) {
    return out;
  }
  const Json& meta = object["metadata"];
  auto it = meta.find("ownerReferences");
  if (it == meta.end() || !it->is_array()) {
    return out;
  }
  for (const Json& ref : *it) {
    if (ref.is_object() && ref.contains("uid") && ref["uid"].is_string()) {
      out.push_back(ref["uid"].get<std::string>());
    }
  }
  return out;
}

std::string ResourceVersionOf(const Json& object) {
  if (!object.contains("metadata")) {
    return "";
  }
  return object["metadata"].value("resourceVersion", "");
}

}  // namespace

struct Informer::Impl {
  Client* client;
  ResourceInfo resource;
  InformerOptions options;

  // Handlers run one event at a time (watch thread and resync thread share handler_mu).
  std::mutex handler_mu;
  std::vector<EventHandler> handlers;  // guarded by handler_mu

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::map<std::string, ObjectPtr> cache;                     // guarded by mu
  std::map<std::string, std::set<std::string>> owner_index;  // uid -> keys; guarded by mu
  bool synced = false;                                        // guarded by mu
  bool stopping = false;                                      // guarded by mu
  bool started = false;                                       // guarded by mu
  std::shared_ptr<Canceler> canceler;                         // guarded by mu

  std::thread thread;
  std::thread resync_thread;

  // Updates the cache; returns the previous object (nullptr when new).
  ObjectPtr Put(const std::string& key, ObjectPtr obj) {
    std::lock_guard<std::mutex> lock(mu);
    ObjectPtr old;
    auto it = cache.find(key);
    if (it != cache.end()) {
      old = it->second;
      for (const auto& uid : OwnerUids(*old)) {
        owner_index[uid].erase(key);
        if (owner_index[uid].empty()) owner_index.erase(uid);
      }
    }
    for (const auto& uid : OwnerUids(*obj)) {
      owner_index[uid].insert(key);
    }
    cache[key] = std::move(obj);
    return old;
  }

  ObjectPtr Remove(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it == cache.end()) {
      return nullptr;
    }
    ObjectPtr old = it->second;
    for (const auto& uid : OwnerUids(*old)) {
      owner_index[uid].erase(key);
      if (owner_index[uid].empty()) owner_index.erase(uid);
    }
    cache.erase(it);
    return old;
  }

  void NotifyAdd(const ObjectPtr& obj) {
    std::lock_guard<std::mutex> lock(handler_mu);
    for (auto& h : handlers) {
      if (h.on_add) h.on_add(obj);
    }
  }
  void NotifyUpdate(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
    std::lock_guard<std::mutex> lock(handler_mu);
    for (auto& h : handlers) {
      if (h.on_update) h.on_update(old_obj, new_obj);
    }
  }
  void NotifyDelete(const ObjectPtr& obj) {
    std::lock_guard<std::mutex> lock(handler_mu);
    for (auto& h : handlers) {
      if (h.on_delete) h.on_delete(obj);
    }
  }

  void Apply(const ObjectPtr& obj) {
    ObjectPtr old = Put(KeyOf(*obj), obj);
    if (old) {
      NotifyUpdate(old, obj);
    } else {
      NotifyAdd(obj);
    }
  }

  // Lists and replaces the cache with the result, telling handlers the difference.
  // Returns the list's resourceVersion.
  StatusOr<std::string> Relist() {
    ListOptions lo;
    lo.label_selector = options.label_selector;
    lo.field_selector = options.field_selector;
    SKIFF_ASSIGN_OR_RETURN(Json list, client->List(resource, options.ns, lo));
    std::string rv;
    if (list.contains("metadata")) {
      rv = list["metadata"].value("resourceVersion", "");
    }
    std::set<std::string> seen;
    if (list.contains("items") && list["items"].is_array()) {
      for (Json& item : list["items"]) {
        // List items carry no apiVersion/kind on the wire; watch objects do. Make them alike.
        item["apiVersion"] = resource.GroupVersion();
        item["kind"] = resource.kind;
        auto obj = std::make_shared<const Json>(std::move(item));
        std::string key = KeyOf(*obj);
        seen.insert(key);
        ObjectPtr old;
        {
          std::lock_guard<std::mutex> lock(mu);
          auto it = cache.find(key);
          if (it != cache.end()) old = it->second;
        }
        if (old && ResourceVersionOf(*old) == ResourceVersionOf(*obj)) {
          continue;  // unchanged since the last watch event
        }
        Apply(obj);
      }
    }
    std::vector<std::string> gone;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& [key, obj] : cache) {
        if (!seen.count(key)) gone.push_back(key);
      }
    }
    for (const auto& key : gone) {
      if (ObjectPtr old = Remove(key)) NotifyDelete(old);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      synced = true;
    }
    cv.notify_all();
    return rv;
  }

  // Waits `d` unless stopping; returns false when stopping.
  bool Pause(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, d, [this] { return stopping; });
    return !stopping;
  }

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu);
    return stopping;
  }

  void Run() {
    std::mt19937 rng(std::random_device{}());
    std::string rv;
    std::chrono::milliseconds backoff(100);
    while (!Stopping()) {
      if (rv.empty()) {
        auto listed = Relist();
        if (!listed.ok()) {
          if (!Pause(backoff)) return;
          backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
          continue;
        }
        rv = *listed;
      }
      auto canceler = std::make_shared<Canceler>();
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stopping) return;
        this->canceler = canceler;
      }
      WatchOptions wo;
      wo.resource_version = rv;
      wo.label_selector = options.label_selector;
      wo.field_selector = options.field_selector;
      wo.allow_bookmarks = true;
      // client-go picks a random 5-10 minute timeout so watches do not all renew at once.
      wo.timeout_seconds = 300 + static_cast<int64_t>(rng() % 300);
      wo.canceler = canceler;
      bool any = false;
      Status st = client->Watch(resource, options.ns, wo, [&](const WatchEvent& ev) {
        any = true;
        std::string ev_rv = ResourceVersionOf(*ev.object);
        if (!ev_rv.empty()) rv = ev_rv;
        if (ev.type == "ADDED" || ev.type == "MODIFIED") {
          Apply(ev.object);
        } else if (ev.type == "DELETED") {
          if (ObjectPtr old = Remove(KeyOf(*ev.object))) {
            (void)old;
            NotifyDelete(ev.object);
          }
        }
        return true;
      });
      if (st.code() == StatusCode::kCancelled || Stopping()) {
        return;
      }
      if (st.code() == StatusCode::kOutOfRange ||
          (st.details() && st.details()->http_code == 410)) {
        rv.clear();  // 410 Gone: the history no longer reaches rv; relist
        continue;
      }
      if (!st.ok()) {
        if (!Pause(backoff)) return;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
        continue;
      }
      if (any) backoff = std::chrono::milliseconds(100);
    }
  }

  void ResyncLoop() {
    while (Pause(options.resync)) {
      std::vector<ObjectPtr> all;
      {
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& [k, v] : cache) all.push_back(v);
      }
      for (const auto& obj : all) {
        NotifyUpdate(obj, obj);
      }
    }
  }
};

Informer::Informer(Client* client, ResourceInfo resource, InformerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->client = client;
  impl_->resource = std::move(resource);
  impl_->options = std::move(options);
}

Informer::~Informer() { Stop(); }

void Informer::AddEventHandler(EventHandler handler) {
  std::lock_guard<std::mutex> lock(impl_->handler_mu);
  std::vector<ObjectPtr> existing;
  {
    std::lock_guard<std::mutex> l2(impl_->mu);
    for (const auto& [k, v] : impl_->cache) existing.push_back(v);
  }
  if (handler.on_add) {
    for (const auto& obj : existing) handler.on_add(obj);
  }
  impl_->handlers.push_back(std::move(handler));
}

void Informer::Start() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->started) return;
    impl_->started = true;
  }
  impl_->thread = std::thread([this] { impl_->Run(); });
  if (impl_->options.resync.count() > 0) {
    impl_->resync_thread = std::thread([this] { impl_->ResyncLoop(); });
  }
}

void Informer::Stop() {
  std::shared_ptr<Canceler> canceler;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    canceler = impl_->canceler;
  }
  impl_->cv.notify_all();
  if (canceler) canceler->Cancel();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (impl_->resync_thread.joinable()) impl_->resync_thread.join();
}

bool Informer::HasSynced() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->synced;
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [this] { return impl_->synced; });
}

ObjectPtr Informer::Get(std::string_view ns, std::string_view name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->cache.find(ObjectKey(ns, name));
  return it == impl_->cache.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Informer::List(std::string_view ns) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<ObjectPtr> out;
  if (ns.empty()) {
    out.reserve(impl_->cache.size());
    for (const auto& [k, v] : impl_->cache) out.push_back(v);
    return out;
  }
  std::string prefix = std::string(ns) + "/";
  for (auto it = impl_->cache.lower_bound(prefix);
       it != impl_->cache.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<ObjectPtr> Informer::ListByOwner(std::string_view owner_uid) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<ObjectPtr> out;
  auto it = impl_->owner_index.find(std::string(owner_uid));
  if (it == impl_->owner_index.end()) return out;
  for (const auto& key : it->second) {
    auto c = impl_->cache.find(key);
    if (c != impl_->cache.end()) out.push_back(c->second);
  }
  return out;
}

const ResourceInfo& Informer::resource() const { return impl_->resource; }

struct InformerFactory::Entry {
  std::string id;  // "group/version/plural" for shared entries, "" for filtered ones
  std::unique_ptr<Informer> informer;
  bool started = false;
};

InformerFactory::InformerFactory(Client* client) : client_(client) {}

InformerFactory::~InformerFactory() { StopAll(); }

StatusOr<Informer*> InformerFactory::ForKind(std::string_view api_version, std::string_view kind) {
  SKIFF_ASSIGN_OR_RETURN(ResourceInfo r, client_->discovery().ResolveKind(api_version, kind));
  std::string id = r.GroupVersion() + "/" + r.plural;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : entries_) {
    if (e->id == id) return e->informer.get();
  }
  auto e = std::make_unique<Entry>();
  e->id = id;
  e->informer = std::make_unique<Informer>(client_, r);
  if (started_) {
    e->informer->Start();
    e->started = true;
  }
  entries_.push_back(std::move(e));
  return entries_.back()->informer.get();
}

StatusOr<Informer*> InformerFactory::ForKindFiltered(std::string_view api_version,
                                                     std::string_view kind,
                                                     InformerOptions options) {
  SKIFF_ASSIGN_OR_RETURN(ResourceInfo r, client_->discovery().ResolveKind(api_version, kind));
  std::lock_guard<std::mutex> lock(mu_);
  auto e = std::make_unique<Entry>();
  e->informer = std::make_unique<Informer>(client_, r, std::move(options));
  if (started_) {
    e->informer->Start();
    e->started = true;
  }
  entries_.push_back(std::move(e));
  return entries_.back()->informer.get();
}

void InformerFactory::StartAll() {
  std::lock_guard<std::mutex> lock(mu_);
  started_ = true;
  for (auto& e : entries_) {
    if (!e->started) {
      e->informer->Start();
      e->started = true;
    }
  }
}

void InformerFactory::StopAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : entries_) {
    e->informer->Stop();
  }
}

bool InformerFactory::WaitForSync(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<Informer*> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& e : entries_) all.push_back(e->informer.get());
  }
  for (Informer* inf : all) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0 || !inf->WaitForSync(left)) return false;
  }
  return true;
}

}  // namespace skiff::client

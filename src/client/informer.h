// Informer: lists and watches one resource into an in-memory cache and tells handlers about
// adds, updates and deletes (client-go's SharedIndexInformer, reduced to what controllers use).
// Reads hit the cache; writes go to the API through Client.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "client/discovery.h"

namespace skiff::client {

class Client;

// Cached objects are immutable and shared; copy before changing one.
using ObjectPtr = std::shared_ptr<const Json>;

struct InformerOptions {
  std::string ns{};              // "" = all namespaces (or a cluster-scoped resource)
  std::string label_selector{};  // passed to list and watch
  std::string field_selector{};  // e.g. "spec.nodeName=skiff" for a node agent
  // Every `resync`, on_update(obj, obj) is called for each cached object; 0 = never.
  std::chrono::milliseconds resync{0};
};

// Each callback is optional. Called on the informer's own thread, one event at a time, in the
// order the server sent them, after the cache already reflects the event. Must not block long.
struct EventHandler {
  std::function<void(const ObjectPtr&)> on_add{};
  std::function<void(const ObjectPtr& old_obj, const ObjectPtr& new_obj)> on_update{};
  // For a delete seen only by relisting (the watch missed it), the last cached state.
  std::function<void(const ObjectPtr&)> on_delete{};
};

// Thread-safe. Lifecycle: construct, AddEventHandler*, Start, (reads), Stop/destroy.
// The watch resumes from the last seen resourceVersion after a dropped connection and relists
// after 410 Gone, synthesizing add/update/delete from the difference.
class Informer {
 public:
  Informer(Client* client, ResourceInfo resource, InformerOptions options = {});
  ~Informer();  // Stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before Start(): adding later misses the initial adds. (Handlers added after Start() get
  // on_add for every cached object first, as client-go does.)
  void AddEventHandler(EventHandler handler);
  void Start();
  void Stop();  // blocks until the thread has exited; no callbacks afterwards

  // True once the first list has been delivered to handlers.
  bool HasSynced() const;
  // Blocks until HasSynced() or the timeout; returns HasSynced().
  bool WaitForSync(std::chrono::milliseconds timeout) const;

  ObjectPtr Get(std::string_view ns, std::string_view name) const;  // nullptr when absent
  std::vector<ObjectPtr> List(std::string_view ns = "") const;      // "" = all
  // Objects that name `owner_uid` in metadata.ownerReferences (any ref, controller or not).
  std::vector<ObjectPtr> ListByOwner(std::string_view owner_uid) const;

  const ResourceInfo& resource() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One informer per resource, shared by every controller in a process (a second For/Owns of the
// same kind reuses the first informer). Thread-safe.
class InformerFactory {
 public:
  explicit InformerFactory(Client* client);
  ~InformerFactory();
  // "apps/v1" + "Deployment" → the shared all-namespaces informer (created, not started).
  StatusOr<Informer*> ForKind(std::string_view api_version, std::string_view kind);
  // A filtered informer is never shared.
  StatusOr<Informer*> ForKindFiltered(std::string_view api_version, std::string_view kind,
                                      InformerOptions options);
  void StartAll();  // starts every informer not yet started (also ones added later by ForKind)
  void StopAll();
  bool WaitForSync(std::chrono::milliseconds timeout) const;
  Client* client() const { return client_; }

 private:
  struct Entry;
  Client* client_;
  mutable std::mutex mu_;
  bool started_ = false;                        // guarded by mu_
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_
};

// "ns/name" (or "name" when ns is empty) and back.
std::string ObjectKey(std::string_view ns, std::string_view name);
std::pair<std::string, std::string> SplitObjectKey(std::string_view key);
std::string KeyOf(const Json& object);

}  // namespace skiff::client

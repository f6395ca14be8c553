// The versioned object store: all current objects in memory (the watch cache),
// every write made durable in SQLite (WAL) by one writer thread with group
// commit before it is acknowledged, and a bounded event history for watch resume.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::store {

// One stored object. Immutable once published; shared by readers and watchers.
struct StoredObject {
  std::string resource;  // "pods", "deployments.apps", "trainjobs.trainer.kubeflow.org"
  std::string ns;        // empty for cluster-scoped objects
  std::string name;
  int64_t revision = 0;         // last modification (= metadata.resourceVersion)
  int64_t create_revision = 0;  // revision of the create
  std::shared_ptr<const Json> value;  // with metadata.resourceVersion set
  std::string encoded;                // DumpJson(*value)
};
using ObjectPtr = std::shared_ptr<const StoredObject>;

enum class EventType { kAdded, kModified, kDeleted };

struct WatchEvent {
  EventType type;
  int64_t revision;
  ObjectPtr object;  // for kDeleted: the last state, resourceVersion = deletion revision
  ObjectPtr prev;    // previous state for kModified/kDeleted; may be null after a restart
};
using EventPtr = std::shared_ptr<const WatchEvent>;

struct StoreOptions {
  std::string path;  // SQLite file; ":memory:" for tests
  // Events kept (in memory and on disk) for watch resume; older resumes get 410 Gone.
  int64_t history = 20000;
  // PRAGMA synchronous: "FULL" survives power loss; "NORMAL" survives process kill -9.
  std::string synchronous = "FULL";
};

using WriteCallback = std::function<void(StatusOr<ObjectPtr>)>;
using EventSink = std::function<void(const EventPtr&)>;

// Thread-safe. Write callbacks and watch sinks run on the store's writer thread,
// after the write is durable, in revision order; they must not block.
class Store {
 public:
  static StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  virtual ~Store() = default;

  virtual ObjectPtr Get(std::string_view resource, std::string_view ns,
                        std::string_view name) const = 0;

  struct ListResult {
    std::vector<ObjectPtr> items;  // ordered by (ns, name)
    int64_t revision = 0;          // store revision of this read
    std::string next_key;          // non-empty when `limit` cut the list short
  };
  // `ns` empty = all namespaces. `start_key` resumes after a previous page's next_key.
  // `filter` (optional) decides which objects count toward `limit`.
  virtual ListResult List(std::string_view resource, std::string_view ns,
                          std::string_view start_key, int64_t limit,
                          const std::function<bool(const StoredObject&)>& filter = {}) const = 0;

  virtual int64_t CurrentRevision() const = 0;
  // Oldest revision a watch may resume from; older ones get OutOfRange (410).
  virtual int64_t OldestResumableRevision() const = 0;

  // Creates; AlreadyExists if present. `value` must not be mutated by the caller afterwards.
  virtual void Create(std::string_view resource, std::string_view ns, std::string_view name,
                      Json value, WriteCallback done) = 0;
  // Replaces; NotFound if absent; Aborted (conflict) if expected_revision != 0 and differs.
  virtual void Update(std::string_view resource, std::string_view ns, std::string_view name,
                      int64_t expected_revision, Json value, WriteCallback done) = 0;
  // Removes; the callback gets the final state. Same preconditions as Update.
  virtual void Delete(std::string_view resource, std::string_view ns, std::string_view name,
                      int64_t expected_revision, WriteCallback done) = 0;

  // Starts a watch on `resource` ("" = every resource). from_revision > 0 replays events
  // after it (OutOfRange if compacted). from_revision == 0 first delivers kAdded for every
  // current object, then live events. Returns a handle for CancelWatch.
  virtual StatusOr<uint64_t> Watch(std::string_view resource, int64_t from_revision,
                                   EventSink sink) = 0;
  virtual void CancelWatch(uint64_t handle) = 0;

  // Blocking conveniences (tests, startup, internal controllers). Never call on an event loop.
  StatusOr<ObjectPtr> CreateSync(std::string_view resource, std::string_view ns,
                                 std::string_view name, Json value);
  StatusOr<ObjectPtr> UpdateSync(std::string_view resource, std::string_view ns,
                                 std::string_view name, int64_t expected_revision, Json value);
  StatusOr<ObjectPtr> DeleteSync(std::string_view resource, std::string_view ns,
                                 std::string_view name, int64_t expected_revision);
};

}  // namespace skiff::store

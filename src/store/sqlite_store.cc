// Store implementation: in-memory current state + SQLite (WAL) durability with a
// single writer thread doing group commit, and a bounded event ring for watches.
//
// Ordering contract: a write is validated and applied to memory under mu_ (so the
// next reader or writer sees it and conflicts are detected immediately), queued,
// committed by the writer thread in revision order, and only then published to
// watchers and acknowledged. If SQLite cannot commit, the process exits: memory is
// then ahead of disk, and a restart re-reads the durable truth (as etcd panics).
#include <sqlite3.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "base/json.h"
#include "store/store.h"

namespace skiff::store {
namespace {

std::string ObjectKey(std::string_view ns, std::string_view name) {
  std::string k;
  k.reserve(ns.size() + name.size() + 1);
  k.append(ns).append("/").append(name);
  return k;
}

class Db {
 public:
  ~Db() {
    for (auto* s : {upsert_, delete_, log_, meta_, compact_}) {
      if (s) sqlite3_finalize(s);
    }
    if (db_) sqlite3_close(db_);
  }

  Status Open(const StoreOptions& o) {
    if (sqlite3_open_v2(o.path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      return Unavailable("cannot open store " + o.path + ": " + Err());
    }
    // One process owns the database: exclusive locking skips the per-transaction fcntl
    // locks and the WAL shared-memory index.
    SKIFF_RETURN_IF_ERROR(Exec("PRAGMA locking_mode=EXCLUSIVE"));
    SKIFF_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    SKIFF_RETURN_IF_ERROR(Exec("PRAGMA synchronous=" + o.synchronous));
    SKIFF_RETURN_IF_ERROR(Exec(
        "CREATE TABLE IF NOT EXISTS objects (resource TEXT NOT NULL, ns TEXT NOT NULL, "
        "name TEXT NOT NULL, rev INTEGER NOT NULL, create_rev INTEGER NOT NULL, value BLOB NOT "
        "NULL, PRIMARY KEY (resource, ns, name)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS log (rev INTEGER PRIMARY KEY, type INTEGER NOT NULL, "
        "resource TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL, create_rev INTEGER NOT "
        "NULL, value BLOB NOT NULL);"
        "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"));
    SKIFF_RETURN_IF_ERROR(Prepare(
        "INSERT INTO objects (resource, ns, name, rev, create_rev, value) VALUES (?,?,?,?,?,?) "
        "ON CONFLICT (resource, ns, name) DO UPDATE SET rev=excluded.rev, "
        "create_rev=excluded.create_rev, value=excluded.value",
        &upsert_));
    SKIFF_RETURN_IF_ERROR(
        Prepare("DELETE FROM objects WHERE resource=? AND ns=? AND name=?", &delete_));
    SKIFF_RETURN_IF_ERROR(Prepare(
        "INSERT INTO log (rev, type, resource, ns, name, create_rev, value) VALUES "
        "(?,?,?,?,?,?,?)",
        &log_));
    SKIFF_RETURN_IF_ERROR(
        Prepare("INSERT OR REPLACE INTO meta (k, v) VALUES ('revision', ?)", &meta_));
    SKIFF_RETURN_IF_ERROR(Prepare("DELETE FROM log WHERE rev <= ?", &compact_));
    return Status::Ok();
  }

  Status Exec(const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "unknown";
      sqlite3_free(msg);
      return Internal("sqlite: " + m + " in: " + sql.substr(0, 60));
    }
    return Status::Ok();
  }

  Status Prepare(const char* sql, sqlite3_stmt** out) {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, out, nullptr) != SQLITE_OK) {
      return Internal(std::string("sqlite prepare: ") + Err());
    }
    return Status::Ok();
  }

  std::string Err() const { return db_ ? sqlite3_errmsg(db_) : "no database"; }

  Status Step(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) return Internal(std::string("sqlite step: ") + Err());
    return Status::Ok();
  }

  static void BindText(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }

  Status Upsert(const StoredObject& o) {
    BindText(upsert_, 1, o.resource);
    BindText(upsert_, 2, o.ns);
    BindText(upsert_, 3, o.name);
    sqlite3_bind_int64(upsert_, 4, o.revision);
    sqlite3_bind_int64(upsert_, 5, o.create_revision);
    sqlite3_bind_blob(upsert_, 6, o.encoded.data(), static_cast<int>(o.encoded.size()),
                      SQLITE_STATIC);
    return Step(upsert_);
  }

  Status Remove(const StoredObject& o) {
    BindText(delete_, 1, o.resource);
    BindText(delete_, 2, o.ns);
    BindText(delete_, 3, o.name);
    return Step(delete_);
  }

  Status Log(const WatchEvent& e) {
    const StoredObject& o = *e.object;
    sqlite3_bind_int64(log_, 1, e.revision);
    sqlite3_bind_int(log_, 2, static_cast<int>(e.type));
    BindText(log_, 3, o.resource);
    BindText(log_, 4, o.ns);
    BindText(log_, 5, o.name);
    sqlite3_bind_int64(log_, 6, o.create_revision);
    sqlite3_bind_blob(log_, 7, o.encoded.data(), static_cast<int>(o.encoded.size()),
                      SQLITE_STATIC);
    return Step(log_);
  }

  Status SetRevision(int64_t rev) {
    sqlite3_bind_int64(meta_, 1, rev);
    return Step(meta_);
  }

  Status Compact(int64_t upto) {
    sqlite3_bind_int64(compact_, 1, upto);
    return Step(compact_);
  }

  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  sqlite3_stmt* log_ = nullptr;
  sqlite3_stmt* meta_ = nullptr;
  sqlite3_stmt* compact_ = nullptr;
};

ObjectPtr MakeObject(std::string_view resource, std::string_view ns, std::string_view name,
                     int64_t rev, int64_t create_rev, Json value) {
  value["metadata"]["resourceVersion"] = std::to_string(rev);
  auto o = std::make_shared<StoredObject>();
  o->resource = resource;
  o->ns = ns;
  o->name = name;
  o->revision = rev;
  o->create_revision = create_rev;
  o->encoded = DumpJson(value);
  o->value = std::make_shared<const Json>(std::move(value));
  return o;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(StoreOptions o) : options_(std::move(o)) {}

  ~SqliteStore() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

  Status Init() {
    SKIFF_RETURN_IF_ERROR(db_.Open(options_));
    SKIFF_RETURN_IF_ERROR(Load());
    writer_ = std::thread([this] { WriterLoop(); });
    return Status::Ok();
  }

  ObjectPtr Get(std::string_view resource, std::string_view ns,
                std::string_view name) const override {
    std::lock_guard lock(mu_);
    auto r = objects_.find(std::string(resource));
    if (r == objects_.end()) return nullptr;
    auto it = r->second.find(ObjectKey(ns, name));
    return it == r->second.end() ? nullptr : it->second;
  }

  ListResult List(std::string_view resource, std::string_view ns, std::string_view start_key,
                  int64_t limit,
                  const std::function<bool(const StoredObject&)>& filter) const override {
    ListResult out;
    std::vector<ObjectPtr> snapshot;
    {
      std::lock_guard lock(mu_);
      out.revision = rev_;
      auto r = objects_.find(std::string(resource));
      if (r == objects_.end()) return out;
      const auto& m = r->second;
      std::string prefix = ns.empty() ? "" : std::string(ns) + "/";
      auto it = start_key.empty() ? m.lower_bound(prefix) : m.upper_bound(std::string(start_key));
      for (; it != m.end(); ++it) {
        if (!prefix.empty() && !it->first.starts_with(prefix)) break;
        snapshot.push_back(it->second);
      }
    }
    // Filtering runs outside the lock: objects are immutable.
    for (auto& o : snapshot) {
      if (filter && !filter(*o)) continue;
      if (limit > 0 && static_cast<int64_t>(out.items.size()) == limit) {
        out.next_key = ObjectKey(out.items.back()->ns, out.items.back()->name);
        break;
      }
      out.items.push_back(std::move(o));
    }
    return out;
  }

  int64_t CurrentRevision() const override {
    std::lock_guard lock(mu_);
    return rev_;
  }

  int64_t OldestResumableRevision() const override {
    std::lock_guard lock(hub_mu_);
    return OldestResumableLocked();
  }

  void Create(std::string_view resource, std::string_view ns, std::string_view name, Json value,
              WriteCallback done) override {
    std::unique_lock lock(mu_);
    auto& m = objects_[std::string(resource)];
    std::string key = ObjectKey(ns, name);
    if (m.count(key)) {
      lock.unlock();
      done(AlreadyExists(std::string(name)));
      return;
    }
    int64_t rev = ++rev_;
    ObjectPtr obj = MakeObject(resource, ns, name, rev, rev, std::move(value));
    m.emplace(std::move(key), obj);
    Enqueue(EventType::kAdded, rev, obj, nullptr, std::move(done));
  }

  void Update(std::string_view resource, std::string_view ns, std::string_view name,
              int64_t expected_revision, Json value, WriteCallback done) override {
    std::unique_lock lock(mu_);
    auto& m = objects_[std::string(resource)];
    auto it = m.find(ObjectKey(ns, name));
    if (Status s = CheckPrecondition(m, it, name, expected_revision); !s.ok()) {
      lock.unlock();
      done(std::move(s));
      return;
    }
    ObjectPtr prev = it->second;
    int64_t rev = ++rev_;
    ObjectPtr obj = MakeObject(resource, ns, name, rev, prev->create_revision, std::move(value));
    it->second = obj;
    Enqueue(EventType::kModified, rev, obj, std::move(prev), std::move(done));
  }

  void Delete(std::string_view resource, std::string_view ns, std::string_view name,
              int64_t expected_revision, WriteCallback done) override {
    std::unique_lock lock(mu_);
    auto& m = objects_[std::string(resource)];
    auto it = m.find(ObjectKey(ns, name));
    if (Status s = CheckPrecondition(m, it, name, expected_revision); !s.ok()) {
      lock.unlock();
      done(std::move(s));
      return;
    }
    ObjectPtr prev = it->second;
    m.erase(it);
    int64_t rev = ++rev_;
    ObjectPtr obj = MakeObject(resource, ns, name, rev, prev->create_revision, *prev->value);
    Enqueue(EventType::kDeleted, rev, obj, std::move(prev), std::move(done));
  }

  StatusOr<uint64_t> Watch(std::string_view resource, int64_t from_revision,
                           EventSink sink) override {
    std::lock_guard lock(mu_);
    std::lock_guard hub(hub_mu_);
    uint64_t id = ++next_watch_id_;
    Watcher w{std::string(resource), from_revision, std::move(sink)};
    if (from_revision == 0) {
      // Synthetic ADDED for the current state, then everything after it. Events for
      // writes applied but not yet published have revision <= rev_ and are skipped.
      auto emit = [&](const std::map<std::string, ObjectPtr>& m) {
        for (const auto& [k, o] : m) {
          w.sink(std::make_shared<const WatchEvent>(
              WatchEvent{EventType::kAdded, o->revision, o, nullptr}));
        }
      };
      if (resource.empty()) {
        for (const auto& [r, m] : objects_) emit(m);
      } else if (auto r = objects_.find(w.resource); r != objects_.end()) {
        emit(r->second);
      }
      w.min_revision = rev_;
    } else {
      if (from_revision < OldestResumableLocked()) {
        return OutOfRange("too old resource version: " + std::to_string(from_revision) + " (" +
                          std::to_string(OldestResumableLocked() + 1) + ")");
      }
      for (const auto& e : history_) {
        if (e->revision > from_revision && Matches(w, *e)) w.sink(e);
      }
    }
    watchers_.emplace(id, std::move(w));
    return id;
  }

  void CancelWatch(uint64_t handle) override {
    std::lock_guard hub(hub_mu_);
    watchers_.erase(handle);
  }

 private:
  struct Pending {
    EventPtr event;
    WriteCallback done;
  };
  struct Watcher {
    std::string resource;
    int64_t min_revision;
    EventSink sink;
  };

  using ObjectMap = std::map<std::string, ObjectPtr>;

  // REQUIRES: mu_ held. NotFound, or Aborted (conflict) when the revision differs.
  static Status CheckPrecondition(const ObjectMap& m, ObjectMap::iterator it, std::string_view name,
                                  int64_t expected_revision) {
    if (it == m.end()) return NotFound(std::string(name));
    if (expected_revision != 0 && it->second->revision != expected_revision) {
      return Aborted("the object has been modified");
    }
    return Status::Ok();
  }

  static bool Matches(const Watcher& w, const WatchEvent& e) {
    return e.revision > w.min_revision && (w.resource.empty() || w.resource == e.object->resource);
  }

  int64_t OldestResumableLocked() const {
    return history_.empty() ? published_rev_ : history_.front()->revision - 1;
  }

  // REQUIRES: mu_ held.
  void Enqueue(EventType type, int64_t rev, ObjectPtr obj, ObjectPtr prev, WriteCallback done) {
    pending_.push_back(Pending{
        std::make_shared<const WatchEvent>(WatchEvent{type, rev, std::move(obj), std::move(prev)}),
        std::move(done)});
    cv_.notify_one();
  }

  void WriterLoop() {
    std::vector<Pending> batch;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
        if (pending_.empty() && stopping_) return;
        batch.swap(pending_);
      }
      Status s = CommitBatch(batch);
      if (!s.ok()) {
        std::fprintf(stderr, "skiff store: cannot persist writes (%s); exiting\n",
                     s.ToString().c_str());
        std::_Exit(70);
      }
      Publish(batch);
      for (auto& p : batch) {
        p.done(p.event->object);
      }
      batch.clear();
    }
  }

  Status CommitBatch(const std::vector<Pending>& batch) {
    SKIFF_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
    for (const auto& p : batch) {
      const WatchEvent& e = *p.event;
      SKIFF_RETURN_IF_ERROR(e.type == EventType::kDeleted ? db_.Remove(*e.object)
                                                           : db_.Upsert(*e.object));
      SKIFF_RETURN_IF_ERROR(db_.Log(e));
    }
    // The current revision is max(log.rev) on restart; `meta` records it only when
    // compaction could otherwise lose it (saves a page write per commit).
    int64_t last = batch.back().event->revision;
    if (last - compacted_ >= 1000 && last > options_.history) {
      compacted_ = last - options_.history;
      SKIFF_RETURN_IF_ERROR(db_.Compact(compacted_));
      SKIFF_RETURN_IF_ERROR(db_.SetRevision(last));
    }
    return db_.Exec("COMMIT");
  }

  void Publish(const std::vector<Pending>& batch) {
    std::lock_guard hub(hub_mu_);
    for (const auto& p : batch) {
      const EventPtr& e = p.event;
      history_.push_back(e);
      published_rev_ = e->revision;
      for (auto& [id, w] : watchers_) {
        if (Matches(w, *e)) w.sink(e);
      }
    }
    while (static_cast<int64_t>(history_.size()) > options_.history) history_.pop_front();
  }

  Status Load() {
    sqlite3_stmt* s = nullptr;
    SKIFF_RETURN_IF_ERROR(
        db_.Prepare("SELECT resource, ns, name, rev, create_rev, value FROM objects", &s));
    auto text = [&](int i) {
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                         sqlite3_column_bytes(s, i));
    };
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      std::string resource = text(0), ns = text(1), name = text(2), value = text(5);
      auto parsed = ParseJson(value);
      if (!parsed.ok()) {
        sqlite3_finalize(s);
        return Status(StatusCode::kDataLoss, "corrupt object " + resource + "/" + ns + "/" + name);
      }
      auto o = std::make_shared<StoredObject>();
      o->resource = resource;
      o->ns = ns;
      o->name = name;
      o->revision = sqlite3_column_int64(s, 3);
      o->create_revision = sqlite3_column_int64(s, 4);
      o->encoded = std::move(value);
      o->value = std::make_shared<const Json>(std::move(*parsed));
      rev_ = std::max(rev_, o->revision);
      objects_[resource].emplace(ObjectKey(ns, name), std::move(o));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return Internal("sqlite load: " + db_.Err());

    SKIFF_RETURN_IF_ERROR(db_.Prepare(
        "SELECT max(coalesce((SELECT v FROM meta WHERE k='revision'), 0), "
        "coalesce((SELECT max(rev) FROM log), 0))",
        &s));
    if (sqlite3_step(s) == SQLITE_ROW) rev_ = std::max<int64_t>(rev_, sqlite3_column_int64(s, 0));
    sqlite3_finalize(s);

    // Rebuild the resumable history from the durable log.
    SKIFF_RETURN_IF_ERROR(db_.Prepare(
        "SELECT rev, type, resource, ns, name, create_rev, value FROM log WHERE rev > ? "
        "ORDER BY rev",
        &s));
    sqlite3_bind_int64(s, 1, rev_ - options_.history);
    std::unordered_map<std::string, ObjectPtr> last;
    while (sqlite3_step(s) == SQLITE_ROW) {
      auto parsed = ParseJson(text(6));
      if (!parsed.ok()) continue;
      auto o = std::make_shared<StoredObject>();
      o->resource = text(2);
      o->ns = text(3);
      o->name = text(4);
      o->revision = sqlite3_column_int64(s, 0);
      o->create_revision = sqlite3_column_int64(s, 5);
      o->encoded = text(6);
      o->value = std::make_shared<const Json>(std::move(*parsed));
      std::string key = o->resource + "\n" + ObjectKey(o->ns, o->name);
      auto type = static_cast<EventType>(sqlite3_column_int(s, 1));
      ObjectPtr prev = type == EventType::kAdded ? nullptr : last[key];
      last[key] = o;
      history_.push_back(
          std::make_shared<const WatchEvent>(WatchEvent{type, o->revision, o, std::move(prev)}));
    }
    sqlite3_finalize(s);
    published_rev_ = rev_;
    compacted_ = rev_;
    return Status::Ok();
  }

  const StoreOptions options_;
  Db db_;  // used only by the writer thread after Init()

  mutable std::mutex mu_;  // guards objects_, rev_, pending_, stopping_
  std::condition_variable cv_;
  std::unordered_map<std::string, std::map<std::string, ObjectPtr>> objects_;
  int64_t rev_ = 0;
  std::vector<Pending> pending_;
  bool stopping_ = false;
  int64_t compacted_ = 0;  // writer thread only

  mutable std::mutex hub_mu_;  // guards history_, watchers_, published_rev_; after mu_
  std::deque<EventPtr> history_;
  std::map<uint64_t, Watcher> watchers_;
  uint64_t next_watch_id_ = 0;
  int64_t published_rev_ = 0;

  std::thread writer_;
};

template <typename F>
StatusOr<ObjectPtr> Wait(F&& start) {
  std::promise<StatusOr<ObjectPtr>> p;
  auto f = p.get_future();
  start([&p](StatusOr<ObjectPtr> r) { p.set_value(std::move(r)); });
  return f.get();
}

}  // namespace

StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto s = std::make_unique<SqliteStore>(options);
  SKIFF_RETURN_IF_ERROR(s->Init());
  return std::unique_ptr<Store>(std::move(s));
}

StatusOr<ObjectPtr> Store::CreateSync(std::string_view resource, std::string_view ns,
                                      std::string_view name, Json value) {
  return Wait([&](WriteCallback cb) { Create(resource, ns, name, std::move(value), cb); });
}

StatusOr<ObjectPtr> Store::UpdateSync(std::string_view resource, std::string_view ns,
                                      std::string_view name, int64_t expected, Json value) {
  return Wait([&](WriteCallback cb) { Update(resource, ns, name, expected, std::move(value), cb); });
}

StatusOr<ObjectPtr> Store::DeleteSync(std::string_view resource, std::string_view ns,
                                      std::string_view name, int64_t expected) {
  return Wait([&](WriteCallback cb) { Delete(resource, ns, name, expected, cb); });
}

}  // namespace skiff::store

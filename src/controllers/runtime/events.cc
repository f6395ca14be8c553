// EventRecorder: a bounded queue drained by one thread that creates or bumps core/v1 Events.
#include "controllers/runtime/events.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "client/client.h"
#include "controllers/runtime/conditions.h"

namespace skiff::controllers {

namespace {
constexpr size_t kMaxQueued = 1000;  // beyond this, events are dropped (never block reconciles)

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  uint64_t v = rng();
  for (int i = 0; i < 16; ++i) s += kHex[(v >> (i * 4)) & 15];
  return s;
}
}  // namespace

struct EventRecorder::Impl {
  client::Client* client;
  std::string component;
  std::mutex mu;
  std::condition_variable cv;
  std::condition_variable idle_cv;
  std::deque<Json> queue;  // guarded by mu
  bool busy = false;       // guarded by mu
  bool stopping = false;   // guarded by mu
  // (involved uid, type, reason, message) -> (event namespace, event name); for aggregation.
  std::map<std::string, std::pair<std::string, std::string>> seen;
  std::thread thread;

  void Write(Json ev) {
    auto resolved = client->discovery().ResolveKind("v1", "Event");
    if (!resolved.ok()) return;
    const Json& inv = ev["involvedObject"];
    std::string agg = inv.value("uid", "") + "\x1f" + ev.value("type", "") + "\x1f" +
                      ev.value("reason", "") + "\x1f" + ev.value("message", "");
    std::string ns = ev["metadata"].value("namespace", "default");
    auto it = seen.find(agg);
    if (it != seen.end()) {
      auto cur = client->Get(*resolved, it->second.first, it->second.second);
      if (cur.ok()) {
        Json upd = *cur;
        upd["count"] = upd.value("count", 1) + 1;
        upd["lastTimestamp"] = ev["lastTimestamp"];
        if (client->Replace(*resolved, it->second.first, it->second.second, upd).ok()) return;
      }
      seen.erase(it);
    }
    auto created = client->Create(*resolved, ns, ev);
    if (created.ok()) {
      if (seen.size() > 4096) seen.clear();
      seen[agg] = {ns, (*created)["metadata"].value("name", "")};
    }
  }

  void Run() {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      cv.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty()) return;
      Json ev = std::move(queue.front());
      queue.pop_front();
      busy = true;
      lock.unlock();
      Write(std::move(ev));
      lock.lock();
      busy = false;
      idle_cv.notify_all();
    }
  }
};

EventRecorder::EventRecorder(client::Client* client, std::string component)
    : impl_(std::make_unique<Impl>()) {
  impl_->client = client;
  impl_->component = std::move(component);
  impl_->thread = std::thread([this] { impl_->Run(); });
}

EventRecorder::~EventRecorder() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->thread.join();
}

void EventRecorder::Event(const Json& object, std::string_view type, std::string_view reason,
                          std::string_view message) {
  if (!object.is_object() || !object.contains("metadata")) return;
  const Json& meta = object["metadata"];
  std::string ns = meta.value("namespace", "");
  std::string name = meta.value("name", "");
  std::string now = NowRfc3339();
  Json ev = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata",
       {{"name", name + "." + RandomSuffix()}, {"namespace", ns.empty() ? "default" : ns}}},
      {"involvedObject",
       {{"apiVersion", object.value("apiVersion", "")},
        {"kind", object.value("kind", "")},
        {"name", name},
        {"uid", meta.value("uid", "")},
        {"resourceVersion", meta.value("resourceVersion", "")}}},
      {"type", type},
      {"reason", reason},
      {"message", message},
      {"source", {{"component", impl_->component}}},
      {"reportingComponent", impl_->component},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1}};
  if (!ns.empty()) ev["involvedObject"]["namespace"] = ns;
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->stopping || impl_->queue.size() >= kMaxQueued) return;
  impl_->queue.push_back(std::move(ev));
  impl_->cv.notify_one();
}

void EventRecorder::Flush() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->idle_cv.wait(lock, [this] { return impl_->queue.empty() && !impl_->busy; });
}

}  // namespace skiff::controllers

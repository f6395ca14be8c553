// Watch: streams store events as newline-delimited JSON (or one-row Tables),
// with resume by resourceVersion, 410 Expired, selectors with add/remove
// transitions, bookmarks and timeouts.
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <nlohmann/json.hpp>
#include <random>

#include "apiserver/errors.h"
#include "apiserver/lifecycle.h"
#include "apiserver/object_meta.h"

namespace skiff::apiserver {
namespace {

namespace asio = boost::asio;

constexpr size_t kMaxQueuedEvents = 50000;  // a watcher this far behind is cut off

struct WatchState {
  explicit WatchState(asio::any_io_executor ex) : executor(ex), timer(ex) {}
  asio::any_io_executor executor;
  asio::steady_timer timer;
  std::mutex mu;
  std::deque<store::EventPtr> queue;
  bool wake_posted = false;
  bool overflow = false;
};

const char* TypeName(store::EventType t) {
  switch (t) {
    case store::EventType::kAdded: return "ADDED";
    case store::EventType::kModified: return "MODIFIED";
    case store::EventType::kDeleted: return "DELETED";
  }
  return "ERROR";
}

}  // namespace

Awaitable<void> HandleWatch(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p) {
  auto filter = MakeListFilter(req, *p.kind);
  if (!filter.ok()) co_return co_await w.Send(ErrorResponse(filter.status()));
  std::string rv = req.Query("resourceVersion");
  int64_t from = rv.empty() ? 0 : std::atoll(rv.c_str());
  bool bookmarks = req.QueryBool("allowWatchBookmarks");
  bool send_initial = req.QueryBool("sendInitialEvents");
  if (send_initial) from = 0;
  bool table = WantsTable(req);
  int64_t timeout = 0;
  if (std::string t = req.Query("timeoutSeconds"); !t.empty()) timeout = std::atoll(t.c_str());
  if (timeout <= 0) {
    thread_local std::mt19937 rng{std::random_device{}()};
    timeout = 1800 + rng() % 1800;
  }
  auto ex = co_await asio::this_coro::executor;
  auto state = std::make_shared<WatchState>(ex);
  state->timer.expires_at(std::chrono::steady_clock::time_point::max());
  std::string ns = p.ns;
  auto sink = [state, ns](const store::EventPtr& e) {
    if (!ns.empty() && e->object->ns != ns) return;
    std::lock_guard lock(state->mu);
    if (state->queue.size() >= kMaxQueuedEvents) {
      state->overflow = true;
    } else {
      state->queue.push_back(e);
    }
    if (!state->wake_posted) {
      state->wake_posted = true;
      asio::post(state->executor, [state] { state->timer.cancel(); });
    }
  };
  auto handle = ctx.store->Watch(p.kind->ResourceId(), from, sink);
  if (!w.sent() && !co_await w.StartStream("application/json", {})) {
    if (handle.ok()) ctx.store->CancelWatch(*handle);
    co_return;
  }
  if (!handle.ok()) {
    Json err = {{"type", "ERROR"},
                {"object",
                 {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
                  {"status", "Failure"}, {"message", handle.status().message()},
                  {"reason", "Expired"}, {"code", 410}}}};
    co_await w.WriteChunk(DumpJson(err) + "\n");
    co_await w.EndStream();
    co_return;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  auto next_bookmark = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool first_table = true;
  bool initial_done = !send_initial;
  int64_t last_rev = from ? from : ctx.store->CurrentRevision();
  auto bookmark = [&](bool initial_end) {
    Json obj = {{"kind", p.kind->kind}, {"apiVersion", p.ApiVersion()},
                {"metadata", {{"resourceVersion", std::to_string(last_rev)}}}};
    if (initial_end) obj["metadata"]["annotations"] = {{"k8s.io/initial-events-end", "true"}};
    return DumpJson(Json{{"type", "BOOKMARK"}, {"object", obj}}) + "\n";
  };
  bool alive = true;
  while (alive) {
    std::deque<store::EventPtr> batch;
    bool overflow;
    {
      std::lock_guard lock(state->mu);
      batch.swap(state->queue);
      state->wake_posted = false;
      overflow = state->overflow;
    }
    if (overflow) break;
    std::string out;
    for (const auto& e : batch) {
      const Json& obj = *e->object->value;
      bool now = (*filter)(obj);
      const char* type = TypeName(e->type);
      if (e->type == store::EventType::kModified && e->prev) {
        bool before = (*filter)(*e->prev->value);
        if (before && !now) {
          type = "DELETED";
          now = true;
        } else if (!before && now) {
          type = "ADDED";
        }
      }
      last_rev = std::max(last_rev, e->revision);
      if (!now) continue;
      if (table) {
        Json converted = ToVersion(obj, p);
        std::vector<const Json*> objs{&converted};
        Json t = BuildTable(*p.kind, *p.kind_version, objs, false, ctx.clock->Now(), first_table);
        first_table = false;
        out += "{\"type\":\"" + std::string(type) + "\",\"object\":" + DumpJson(t) + "}\n";
      } else {
        out += "{\"type\":\"" + std::string(type) + "\",\"object\":" +
               EncodeForVersion(e->object, p) + "}\n";
      }
    }
    if (!initial_done) {
      // Store::Watch queued the whole initial state synchronously, so it is this first batch.
      initial_done = true;
      out += bookmark(true);
    }
    if (!out.empty() && !co_await w.WriteChunk(std::move(out))) break;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    if (bookmarks && now >= next_bookmark) {
      next_bookmark = now + std::chrono::seconds(30);
      if (!co_await w.WriteChunk(bookmark(false))) break;
    }
    {
      std::lock_guard lock(state->mu);
      if (!state->queue.empty()) continue;
    }
    auto wake = std::min(deadline, bookmarks ? next_bookmark : deadline);
    state->timer.expires_at(wake);
    boost::system::error_code ec;
    co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  ctx.store->CancelWatch(*handle);
  co_await w.EndStream();
}

}  // namespace skiff::apiserver

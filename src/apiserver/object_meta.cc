// Metadata helpers, version conversion, uids and awaitable store writes.
#include "apiserver/object_meta.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "api/conversion.h"

namespace skiff::apiserver {

Json& Meta(Json& obj) {
  Json& m = obj["metadata"];
  if (!m.is_object()) m = Json::object();
  return m;
}

std::string MetaString(const Json& obj, const char* key) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return "";
  auto v = m->find(key);
  return v != m->end() && v->is_string() ? v->get<std::string>() : "";
}

Json ToVersion(const Json& stored, const ResourcePath& p) {
  auto converted = api::ConvertToVersion(*p.kind, stored, p.version);
  if (converted.ok()) return std::move(*converted);
  // A stored object always converts; if a converter disagrees, serve it unconverted.
  Json out = stored;
  out["apiVersion"] = p.ApiVersion();
  return out;
}

std::string EncodeForVersion(const store::ObjectPtr& o, const ResourcePath& p) {
  if (p.version == p.kind->StorageVersion().name) return o->encoded;
  return DumpJson(ToVersion(*o->value, p));
}

std::string NewUid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", uint32_t(a >> 32),
                uint32_t((a >> 16) & 0xffff), uint32_t(a & 0xffff), uint32_t(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

namespace {

namespace asio = boost::asio;

// Bridges a store callback (writer thread) back onto the awaiting coroutine's loop.
template <typename Start>
Awaitable<StatusOr<store::ObjectPtr>> AwaitStore(Start start) {
  auto ex = co_await asio::this_coro::executor;
  auto result = co_await asio::async_initiate<decltype(asio::use_awaitable),
                                              void(std::shared_ptr<StatusOr<store::ObjectPtr>>)>(
      [&](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        start([h, ex](StatusOr<store::ObjectPtr> r) {
          auto res = std::make_shared<StatusOr<store::ObjectPtr>>(std::move(r));
          asio::post(ex, [h, res]() mutable { (*h)(res); });
        });
      },
      asio::use_awaitable);
  co_return std::move(*result);
}

}  // namespace

Awaitable<StatusOr<store::ObjectPtr>> AwaitCreate(Context& ctx, const ResourcePath& p,
                                                  std::string ns, std::string name, Json obj) {
  std::string resource = p.kind->ResourceId();
  co_return co_await AwaitStore([&](store::WriteCallback cb) {
    ctx.store->Create(resource, ns, name, std::move(obj), std::move(cb));
  });
}

Awaitable<StatusOr<store::ObjectPtr>> AwaitUpdate(Context& ctx, const std::string& resource,
                                                  std::string ns, std::string name, int64_t rev,
                                                  Json obj) {
  co_return co_await AwaitStore([&](store::WriteCallback cb) {
    ctx.store->Update(resource, ns, name, rev, std::move(obj), std::move(cb));
  });
}

Awaitable<StatusOr<store::ObjectPtr>> AwaitDelete(Context& ctx, const std::string& resource,
                                                  std::string ns, std::string name, int64_t rev) {
  co_return co_await AwaitStore([&](store::WriteCallback cb) {
    ctx.store->Delete(resource, ns, name, rev, std::move(cb));
  });
}

}  // namespace skiff::apiserver

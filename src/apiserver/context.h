// Folder-private: the state every apiserver handler shares, and request parsing.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "api/registry.h"
#include "apiserver/http.h"
#include "base/json.h"
#include "base/time.h"
#include "store/store.h"

namespace skiff::apiserver {

struct Context {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<api::Registry> registry;
  std::unique_ptr<Clock> clock;
  std::string token;
  bool kueue_webhooks = false;  // see ApiServerOptions
  std::string data_dir;  // pod logs live under <data_dir>/logs/<ns>/<pod>/<container>.log
  std::string server_address;  // "127.0.0.1:6443" for APIVersions

  // Cached derived documents, rebuilt when registry generation changes.
  std::mutex cache_mu;
  uint64_t cache_generation = 0;
  std::map<std::string, std::string> doc_cache;  // path -> body
};

// A resource URL, parsed.
struct ResourcePath {
  std::string group;
  std::string version;
  std::string ns;           // from the URL; empty for cluster scope or all-namespaces
  std::string plural;
  std::string name;
  std::string subresource;  // status, scale, log, finalize
  api::KindPtr kind;
  const api::KindVersion* kind_version = nullptr;
  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
};

// Awaits a store write from a coroutine: resumes on the calling loop.
Awaitable<StatusOr<store::ObjectPtr>> AwaitCreate(Context& ctx, const ResourcePath& p,
                                                  std::string ns, std::string name, Json obj);
Awaitable<StatusOr<store::ObjectPtr>> AwaitUpdate(Context& ctx, const std::string& resource,
                                                  std::string ns, std::string name, int64_t rev,
                                                  Json obj);
Awaitable<StatusOr<store::ObjectPtr>> AwaitDelete(Context& ctx, const std::string& resource,
                                                  std::string ns, std::string name, int64_t rev);

// Handlers (one file each).
Awaitable<void> HandleResource(Context& ctx, Request& req, ResponseWriter& w, ResourcePath p);
Awaitable<void> HandleWatch(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p);
Response HandleDiscovery(Context& ctx, const Request& req);  // 404 code if not a discovery path
Response HandleOpenApi(Context& ctx, const Request& req);
// metrics.k8s.io/v1beta1 PodMetrics/NodeMetrics from the node agent's samples (metrics_api.cc).
Awaitable<void> HandleMetricsApi(Context& ctx, Request& req, ResponseWriter& w,
                                 const ResourcePath& p);

// Table rendering (table.cc). `objects` are full objects of one kind.
bool WantsTable(const Request& req);
Json BuildTable(const api::KindInfo& kind, const api::KindVersion& version,
                const std::vector<const Json*>& objects, bool include_object, SystemTime now,
                bool with_column_definitions = true);

// New unique id, RFC 4122 v4 layout.
std::string NewUid();

}  // namespace skiff::apiserver

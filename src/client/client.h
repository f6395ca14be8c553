// Client: resource-level calls (get, list, create, replace, patch, delete, watch, logs) on top of
// RestClient and Discovery, returning objects as Json. URLs follow kube-api.md §1.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"
#include "client/discovery.h"
#include "client/rest_client.h"

namespace skiff::client {

// The Accept header kubectl sends for human-readable `get` (kube-api.md §8).
inline constexpr std::string_view kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s."
    "io,application/json";

struct GetOptions {
  std::string subresource{};  // "", "status", "scale"
  bool as_table = false;      // ask for a meta.k8s.io/v1 Table
};

struct ListOptions {
  std::string label_selector{};
  std::string field_selector{};
  int64_t limit = 500;  // page size; List() follows `continue` until the end. 0 = no limit
  std::string resource_version{};
  bool as_table = false;  // pages of Table rows, merged into one Table
};

struct WriteOptions {
  std::string field_manager{};     // "" = server default (from User-Agent)
  std::string field_validation{};  // "", "Strict", "Warn", "Ignore"
  std::string subresource{};       // Replace() only: "status" writes /status
  bool dry_run = false;
};

enum class PatchType { kJson, kMerge, kStrategic, kApply };
std::string_view PatchContentType(PatchType type);

struct PatchOptions {
  PatchType type = PatchType::kMerge;
  std::string field_manager{};  // required by the server for kApply
  std::optional<bool> force{};  // kApply only
  std::string field_validation{};
  std::string subresource{};
  bool dry_run = false;
};

struct DeleteOptions {
  std::string propagation_policy{};  // "", "Background", "Foreground", "Orphan"
  std::optional<int64_t> grace_period_seconds{};
  std::string precondition_uid{};
  bool dry_run = false;
};

struct WatchOptions {
  std::string resource_version{};  // "" = initial ADDED events, then changes
  std::string label_selector{};
  std::string field_selector{};
  int64_t timeout_seconds = 0;  // server-side watch timeout; 0 = server default
  bool allow_bookmarks = false;
  bool as_table = false;  // each event object is a one-row Table
  // Client-side bound on the whole watch; 0 = none. Expiry returns DeadlineExceeded.
  std::chrono::milliseconds deadline{0};
  // Lets another thread end the watch; Watch() then returns Cancelled.
  std::shared_ptr<Canceler> canceler{};
};

struct WatchEvent {
  std::string type{};                    // ADDED, MODIFIED, DELETED, BOOKMARK
  std::shared_ptr<const Json> object{};  // never null
};

struct LogOptions {
  std::string container{};
  bool follow = false;
  std::optional<int64_t> tail_lines{};
  bool timestamps = false;
  bool previous = false;
  std::optional<int64_t> since_seconds{};
};

// "/apis/g/v/namespaces/ns/plural/name/sub" (parts omitted when empty; `ns` ignored for
// cluster-scoped resources, and an empty `ns` on a namespaced resource means all namespaces).
std::string ResourcePath(const ResourceInfo& r, std::string_view ns, std::string_view name = "",
                         std::string_view subresource = "");

// Thread-safe (RestClient and Discovery are). Owns its RestClient.
class Client {
 public:
  explicit Client(std::unique_ptr<RestClient> rest);
  static StatusOr<std::unique_ptr<Client>> FromConfig(const RestConfig& config,
                                                      RestClientOptions options = {});

  RestClient& rest() { return *rest_; }
  Discovery& discovery() { return discovery_; }

  StatusOr<Json> Get(const ResourceInfo& r, std::string_view ns, std::string_view name,
                     const GetOptions& options = {});
  // Returns one list object (`<Kind>List`, or a Table) holding every page's items/rows and the
  // last page's metadata.
  StatusOr<Json> List(const ResourceInfo& r, std::string_view ns, const ListOptions& options = {});
  StatusOr<Json> Create(const ResourceInfo& r, std::string_view ns, const Json& object,
                        const WriteOptions& options = {});
  StatusOr<Json> Replace(const ResourceInfo& r, std::string_view ns, std::string_view name,
                         const Json& object, const WriteOptions& options = {});
  StatusOr<Json> Patch(const ResourceInfo& r, std::string_view ns, std::string_view name,
                       std::string_view patch, const PatchOptions& options);
  // Returns the reply body: a Status on immediate deletion, or the object (pods, or an object
  // whose deletion waits on finalizers).
  StatusOr<Json> Delete(const ResourceInfo& r, std::string_view ns, std::string_view name,
                        const DeleteOptions& options = {});
  // Blocks, calling `on_event` per event until it returns false (OK), the server ends the stream
  // (OK), or an ERROR event arrives (its Status is returned; "too old resource version" is
  // kOutOfRange).
  Status Watch(const ResourceInfo& r, std::string_view ns, const WatchOptions& options,
               const std::function<bool(const WatchEvent&)>& on_event);
  // Streams a pod's log line by line (blocking until the log ends, or forever with follow).
  Status Logs(std::string_view ns, std::string_view pod, const LogOptions& options,
              const std::function<bool(std::string_view line)>& on_line);
  // GET /version.
  StatusOr<Json> ServerVersion();

 private:
  std::unique_ptr<RestClient> rest_;
  Discovery discovery_;
};

}  // namespace skiff::client

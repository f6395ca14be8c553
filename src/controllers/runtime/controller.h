// The controller runtime: a Reconciler is a level-triggered `Reconcile(request) -> Result`; a
// Controller owns its work queue and workers and maps informer events to requests (For / Owns /
// Watches, as controller-runtime's builder); the Manager owns the client, the shared informers,
// the event recorder and leader election, and runs every controller.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "client/informer.h"

namespace skiff::client {
class Client;
class WorkQueue;
}  // namespace skiff::client

namespace skiff::controllers {

class EventRecorder;
class LeaderElector;

// Which object to reconcile; ns is empty for cluster-scoped kinds.
struct Request {
  std::string ns{};
  std::string name{};
  std::string Key() const { return client::ObjectKey(ns, name); }
};

struct Result {
  // > 0: reconcile again after this long even if nothing changes (a deadline, a backoff).
  std::chrono::milliseconds requeue_after{0};
};

// Reconcile must be idempotent: read the world (from informer caches), converge one step, write
// status. A non-OK Status requeues the request with per-key exponential backoff. Reconcile may
// run on several worker threads at once, but never twice at once for the same request.
class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual StatusOr<Result> Reconcile(const Request& request) = 0;
};

class Manager;

// Built by Manager::NewController. Wiring calls are made before Manager::Start().
class Controller {
 public:
  ~Controller();
  // Reconcile objects of this kind (each add/update/delete enqueues the object itself).
  Status For(std::string_view api_version, std::string_view kind);
  // Enqueue the controlling owner (ownerReferences with controller=true) of child objects of
  // this kind when the owner's kind is `owner_kind` (default: the For kind).
  Status Owns(std::string_view api_version, std::string_view kind, std::string owner_kind = "");
  // Enqueue whatever `map` returns for each event on objects of this kind.
  Status Watches(std::string_view api_version, std::string_view kind,
                 std::function<std::vector<Request>(const Json& object)> map);
  // Enqueue by hand (tests, timers, cross-controller nudges).
  void Enqueue(const Request& request);

  const std::string& name() const { return name_; }

 private:
  friend class Manager;
  Controller(Manager* manager, std::string name, std::unique_ptr<Reconciler> reconciler,
             int workers);
  void Start();
  void Stop();
  void Work();
  Status AddHandler(std::string_view api_version, std::string_view kind,
                    std::function<std::vector<Request>(const Json& object)> map);
  void ReconcileOne(const std::string& key);

  Manager* manager_;
  std::string name_;
  std::unique_ptr<Reconciler> reconciler_;
  int workers_;
  std::string for_kind_{};
  std::unique_ptr<client::WorkQueue> queue_;
  std::vector<std::thread> threads_;
  std::atomic<int64_t> reconcile_ok_{0};
  std::atomic<int64_t> reconcile_error_{0};
  std::atomic<int64_t> reconcile_requeue_after_{0};

 public:
  // controller_runtime_reconcile_total{result=success|error|requeue_after}
  int64_t reconcile_count(std::string_view result) const;
};

struct ManagerOptions {
  // Field manager and Event source component name for writes made by controllers.
  std::string component = "skiff-controller-manager";
  // Lease-based leader election (coordination.k8s.io/v1 Lease in `election_namespace`). When
  // off, the manager acts at once (the embedded `skiff up` with a single copy).
  bool leader_election = false;
  std::string election_namespace = "kube-system";
  std::string election_name = "skiff-controller-manager";
  std::string identity{};  // default: hostname + "_" + random suffix
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  // Called when a held lease could not be renewed within renew_deadline. Controllers have been
  // stopped by then. Default: log and exit(1), as kube-controller-manager does, so a supervisor
  // restarts the process as a follower.
  std::function<void()> on_lost_leadership{};
};

// Thread-safe after Start().
class Manager {
 public:
  Manager(client::Client* client, ManagerOptions options = {});
  ~Manager();  // Stop()

  client::Client& client() { return *client_; }
  client::InformerFactory& informers() { return *informers_; }
  EventRecorder& events() { return *events_; }
  // A recorder whose Events say `component` in their source ("default-scheduler",
  // "deployment-controller"), as kubectl describe's From column shows. Lives as long as the
  // manager.
  EventRecorder& EventsFor(const std::string& component);
  const ManagerOptions& options() const { return options_; }

  // The returned controller lives as long as the manager.
  Controller* NewController(std::string name, std::unique_ptr<Reconciler> reconciler,
                            int workers = 1);

  // Non-blocking: starts informers and (once leader, when election is on) the controllers.
  Status Start();
  void Stop();
  bool IsLeader() const;
  // Blocks until every informer has synced (or the timeout). For tests and `skiff up` start-up.
  bool WaitForSync(std::chrono::milliseconds timeout) const;

 private:
  void StartControllers();

  client::Client* client_;
  ManagerOptions options_;
  std::unique_ptr<client::InformerFactory> informers_;
  std::unique_ptr<EventRecorder> events_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::map<std::string, std::unique_ptr<EventRecorder>> recorders_;  // guarded by mu_
  std::unique_ptr<LeaderElector> election_;
  std::mutex mu_;
  bool started_ = false;  // guarded by mu_
};

}  // namespace skiff::controllers

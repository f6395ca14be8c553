// Controller and Manager: the shared driver that turns informer events into queued requests and
// requests into Reconcile calls, with per-key backoff; the Manager starts everything.
#include "controllers/runtime/controller.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "client/client.h"
#include "client/workqueue.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/leader_election.h"

namespace skiff::controllers {

namespace {
Request RequestOf(const Json& object) {
  const Json& meta = object.contains("metadata") ? object["metadata"] : Json::object();
  return {meta.value("namespace", ""), meta.value("name", "")};
}
}  // namespace

Controller::Controller(Manager* manager, std::string name, std::unique_ptr<Reconciler> reconciler,
                       int workers)
    : manager_(manager),
      name_(std::move(name)),
      reconciler_(std::move(reconciler)),
      workers_(workers < 1 ? 1 : workers),
      queue_(std::make_unique<client::WorkQueue>()) {}

Controller::~Controller() { Stop(); }

Status Controller::AddHandler(std::string_view api_version, std::string_view kind,
                              std::function<std::vector<Request>(const Json& object)> map) {
  SKIFF_ASSIGN_OR_RETURN(client::Informer * informer,
                         manager_->informers().ForKind(api_version, kind));
  auto enqueue = [this, map](const client::ObjectPtr& obj) {
    for (const Request& r : map(*obj)) {
      if (!r.name.empty()) queue_->Add(r.Key());
    }
  };
  client::EventHandler h;
  h.on_add = enqueue;
  h.on_update = [enqueue](const client::ObjectPtr& old_obj, const client::ObjectPtr& new_obj) {
    // A child that changed owners must also wake its former owner.
    if (old_obj != new_obj) enqueue(old_obj);
    enqueue(new_obj);
  };
  h.on_delete = enqueue;
  informer->AddEventHandler(std::move(h));
  return Status::Ok();
}

Status Controller::For(std::string_view api_version, std::string_view kind) {
  for_kind_ = std::string(kind);
  return AddHandler(api_version, kind,
                    [](const Json& obj) { return std::vector<Request>{RequestOf(obj)}; });
}

Status Controller::Owns(std::string_view api_version, std::string_view kind,
                        std::string owner_kind) {
  if (owner_kind.empty()) owner_kind = for_kind_;
  return AddHandler(api_version, kind, [owner_kind](const Json& obj) {
    std::vector<Request> out;
    const Json* ref = GetControllerOf(obj);
    if (ref && ref->value("kind", "") == owner_kind) {
      out.push_back({obj["metadata"].value("namespace", ""), ref->value("name", "")});
    }
    return out;
  });
}

Status Controller::Watches(std::string_view api_version, std::string_view kind,
                           std::function<std::vector<Request>(const Json& object)> map) {
  return AddHandler(api_version, kind, std::move(map));
}

void Controller::Enqueue(const Request& request) { queue_->Add(request.Key()); }

int64_t Controller::reconcile_count(std::string_view result) const {
  if (result == "success") return reconcile_ok_.load();
  if (result == "error") return reconcile_error_.load();
  if (result == "requeue_after") return reconcile_requeue_after_.load();
  return 0;
}

void Controller::Start() {
  for (int i = 0; i < workers_; ++i) {
    threads_.emplace_back([this] { Work(); });
  }
}

void Controller::Stop() {
  queue_->ShutDown();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Controller::ReconcileOne(const std::string& key) {
  auto [ns, name] = client::SplitObjectKey(key);
  StatusOr<Result> result = Internal("reconcile threw");
  try {
    result = reconciler_->Reconcile(Request{ns, name});
  } catch (const std::exception& e) {
    // Reconcilers should not throw (nlohmann throws on type mismatches in user objects); a
    // throw must not take the whole controller manager down.
    result = Internal(std::string("reconcile threw: ") + e.what());
  }
  if (!result.ok()) {
    ++reconcile_error_;
    // Conflicts are routine (a stale cache): retry quickly without shouting.
    if (result.status().code() == StatusCode::kAborted) {
      spdlog::debug("{}: {}: {}", name_, key, result.status().ToString());
    } else {
      spdlog::warn("{}: reconcile {} failed: {}", name_, key, result.status().ToString());
    }
    queue_->AddRateLimited(key);
    return;
  }
  queue_->Forget(key);
  if (result->requeue_after.count() > 0) {
    ++reconcile_requeue_after_;
    queue_->AddAfter(key, result->requeue_after);
  } else {
    ++reconcile_ok_;
  }
}

void Controller::Work() {
  // Reconciling from a half-filled cache would, for example, create pods that already exist.
  while (!queue_->shutting_down() && !manager_->WaitForSync(std::chrono::milliseconds(500))) {
  }
  while (auto key = queue_->Get()) {
    ReconcileOne(*key);
    queue_->Done(*key);
  }
}

Manager::Manager(client::Client* client, ManagerOptions options)
    : client_(client),
      options_(std::move(options)),
      informers_(std::make_unique<client::InformerFactory>(client)),
      events_(std::make_unique<EventRecorder>(client, options_.component)) {}

Manager::~Manager() { Stop(); }

EventRecorder& Manager::EventsFor(const std::string& component) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& r = recorders_[component];
  if (!r) r = std::make_unique<EventRecorder>(client_, component);
  return *r;
}

Controller* Manager::NewController(std::string name, std::unique_ptr<Reconciler> reconciler,
                                   int workers) {
  controllers_.push_back(std::unique_ptr<Controller>(
      new Controller(this, std::move(name), std::move(reconciler), workers)));
  return controllers_.back().get();
}

void Manager::StartControllers() {
  for (auto& c : controllers_) c->Start();
}

Status Manager::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) return Status::Ok();
    started_ = true;
  }
  if (!options_.leader_election) {
    informers_->StartAll();
    StartControllers();
    return Status::Ok();
  }
  LeaderElectionConfig cfg;
  cfg.ns = options_.election_namespace;
  cfg.name = options_.election_name;
  cfg.identity = options_.identity;
  cfg.lease_duration = options_.lease_duration;
  cfg.renew_deadline = options_.renew_deadline;
  cfg.retry_period = options_.retry_period;
  cfg.on_started_leading = [this] {
    spdlog::info("leader election: {} acquired lease {}/{}", options_.identity,
                 options_.election_namespace, options_.election_name);
    informers_->StartAll();
    StartControllers();
  };
  cfg.on_stopped_leading = [this] {
    for (auto& c : controllers_) c->Stop();
    if (options_.on_lost_leadership) {
      options_.on_lost_leadership();
    } else {
      spdlog::error("leader election lost; exiting so a supervisor restarts us as a follower");
      std::_Exit(1);
    }
  };
  election_ = std::make_unique<LeaderElector>(client_, std::move(cfg));
  return election_->Start();
}

void Manager::Stop() {
  for (auto& c : controllers_) c->Stop();
  if (election_) election_->Stop();
  informers_->StopAll();
  events_->Flush();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, r] : recorders_) r->Flush();
}

bool Manager::IsLeader() const {
  if (!options_.leader_election) return true;
  return election_ && election_->IsLeader();
}

bool Manager::WaitForSync(std::chrono::milliseconds timeout) const {
  return informers_->WaitForSync(timeout);
}

}  // namespace skiff::controllers

// LeaderElector: the acquire/renew loop over a Lease object.
#include "controllers/runtime/leader_election.h"

#include <unistd.h>

#include <random>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "base/time.h"
#include "client/client.h"

namespace skiff::controllers {

namespace {

std::string DefaultIdentity() {
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  std::mt19937_64 rng(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  std::string suffix;
  uint64_t v = rng();
  for (int i = 0; i < 8; ++i) suffix += kHex[(v >> (i * 4)) & 15];
  return std::string(host) + "_" + suffix;
}

std::string MicroNow() { return FormatRfc3339(std::chrono::system_clock::now(), 6); }

}  // namespace

LeaderElector::LeaderElector(client::Client* client, LeaderElectionConfig config)
    : client_(client), config_(std::move(config)) {
  if (config_.identity.empty()) config_.identity = DefaultIdentity();
}

LeaderElector::~LeaderElector() { Stop(); }

Status LeaderElector::Start() {
  SKIFF_RETURN_IF_ERROR(
      client_->discovery().ResolveKind("coordination.k8s.io/v1", "Lease").status());
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void LeaderElector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::IsLeader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}

bool LeaderElector::TryAcquireOrRenew() {
  auto lease_r = client_->discovery().ResolveKind("coordination.k8s.io/v1", "Lease");
  if (!lease_r.ok()) return false;
  int64_t duration_s =
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration)
                               .count());
  auto current = client_->Get(*lease_r, config_.ns, config_.name);
  std::string now = MicroNow();
  if (!current.ok()) {
    if (current.status().code() != StatusCode::kNotFound) return false;
    // Make sure the namespace exists (a fresh API server may not have kube-system).
    if (auto ns_r = client_->discovery().ResolveKind("v1", "Namespace"); ns_r.ok()) {
      Json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", config_.ns}}}};
      (void)client_->Create(*ns_r, "", ns);
    }
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", config_.name}, {"namespace", config_.ns}}},
                  {"spec",
                   {{"holderIdentity", config_.identity},
                    {"leaseDurationSeconds", duration_s},
                    {"acquireTime", now},
                    {"renewTime", now},
                    {"leaseTransitions", 0}}}};
    auto created = client_->Create(*lease_r, config_.ns, lease);
    if (created.ok()) {
      observed_record_ = config_.identity + "|" + now;
      observed_at_ = std::chrono::steady_clock::now();
      return true;
    }
    return false;
  }
  Json lease = *current;
  Json& spec = lease["spec"];
  if (!spec.is_object()) spec = Json::object();
  std::string holder = spec.value("holderIdentity", "");
  std::string record = holder + "|" + spec.value("renewTime", "");
  auto steady_now = std::chrono::steady_clock::now();
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = steady_now;
  }
  int64_t held_for_s = spec.value("leaseDurationSeconds", duration_s);
  bool expired = steady_now - observed_at_ > std::chrono::seconds(held_for_s);
  if (!holder.empty() && holder != config_.identity && !expired) {
    return false;  // someone else holds a live lease
  }
  if (holder != config_.identity) {
    spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
    spec["acquireTime"] = now;
  }
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] = duration_s;
  spec["renewTime"] = now;
  // resourceVersion in the body makes this a compare-and-swap: a concurrent winner makes us
  // fail with 409.
  auto updated = client_->Replace(*lease_r, config_.ns, config_.name, lease);
  if (!updated.ok()) return false;
  observed_record_ = config_.identity + "|" + now;
  observed_at_ = std::chrono::steady_clock::now();
  return true;
}

void LeaderElector::Release() {
  auto lease_r = client_->discovery().ResolveKind("coordination.k8s.io/v1", "Lease");
  if (!lease_r.ok()) return;
  auto current = client_->Get(*lease_r, config_.ns, config_.name);
  if (!current.ok()) return;
  Json lease = *current;
  if (!lease["spec"].is_object() ||
      lease["spec"].value("holderIdentity", "") != config_.identity) {
    return;
  }
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  (void)client_->Replace(*lease_r, config_.ns, config_.name, lease);
}

void LeaderElector::Run() {
  auto wait = [this](std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, d, [this] { return stopping_; });
    return !stopping_;
  };
  // Acquire.
  while (true) {
    if (TryAcquireOrRenew()) break;
    if (!wait(config_.retry_period)) return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    leader_ = true;
  }
  if (config_.on_started_leading) config_.on_started_leading();
  // Renew.
  auto last_renew = std::chrono::steady_clock::now();
  while (wait(config_.retry_period)) {
    if (TryAcquireOrRenew()) {
      last_renew = std::chrono::steady_clock::now();
      continue;
    }
    if (std::chrono::steady_clock::now() - last_renew > config_.renew_deadline) {
      spdlog::error("leader election: failed to renew lease {}/{} within {} ms", config_.ns,
                    config_.name, config_.renew_deadline.count());
      {
        std::lock_guard<std::mutex> lock(mu_);
        leader_ = false;
      }
      if (config_.on_stopped_leading) config_.on_stopped_leading();
      return;
    }
  }
  Release();
  std::lock_guard<std::mutex> lock(mu_);
  leader_ = false;
}

}  // namespace skiff::controllers

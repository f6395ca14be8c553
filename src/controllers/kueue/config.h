// Kueue's controller configuration (config.kueue.x-k8s.io v1beta1/v1beta2 `Configuration`), the
// parts Skiff acts on. Read, as upstream, from the ConfigMap kueue-system/kueue-manager-config
// (key controller_manager_config.yaml) when the controllers start.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/status.h"

namespace skiff::client {
class Client;
}

namespace skiff::controllers::kueue {

inline constexpr char kConfigNamespace[] = "kueue-system";
inline constexpr char kConfigMapName[] = "kueue-manager-config";
inline constexpr char kConfigKey[] = "controller_manager_config.yaml";

struct KueueConfig {
  bool fair_sharing = false;
  // waitForPodsReady: evict an admitted workload whose pods are not all ready in time, and
  // requeue it with exponential backoff.
  bool wait_for_pods_ready = false;
  std::chrono::seconds pods_ready_timeout{300};
  bool block_admission = false;
  int64_t backoff_base_seconds = 60;
  int64_t backoff_max_seconds = 3600;
  std::optional<int64_t> backoff_limit_count;  // nil = unlimited
};

// Parses the YAML of a Configuration. v1beta1: `fairSharing.enable`, `waitForPodsReady.enable`
// (off by default, timeout 5m, blockAdmission true). v1beta2: the presence of `fairSharing`
// enables it; waitForPodsReady is on unless disabled (`enable: false`), timeout 30m,
// blockAdmission false. InvalidArgument names the bad field.
StatusOr<KueueConfig> ParseKueueConfig(const std::string& yaml);

// The configuration from the cluster's ConfigMap; v1beta2 defaults when it does not exist.
StatusOr<KueueConfig> LoadKueueConfig(client::Client& client);

}  // namespace skiff::controllers::kueue

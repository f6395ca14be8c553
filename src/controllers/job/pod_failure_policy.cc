// podFailurePolicy rule matching and failure backoff, following kube 1.32's job
// controller.
#include "controllers/job/pod_failure_policy.h"

#include <algorithm>

namespace skiff::controllers::job {

namespace {

const char* ActionName(FailurePolicyAction a) {
  switch (a) {
    case FailurePolicyAction::kFailJob:
      return "FailJob";
    case FailurePolicyAction::kIgnore:
      return "Ignore";
    case FailurePolicyAction::kCount:
      return "Count";
    case FailurePolicyAction::kFailIndex:
      return "FailIndex";
  }
  return "Count";
}

const ContainerStateView* MatchExitCodes(const std::vector<ContainerStateView>& statuses,
                                         const OnExitCodes& req) {
  for (const ContainerStateView& c : statuses) {
    if (!c.terminated || c.exit_code == 0) continue;
    if (!req.container_name.empty() && req.container_name != c.name) continue;
    bool in = std::find(req.values.begin(), req.values.end(), c.exit_code) != req.values.end();
    if (in == req.op_in) return &c;
  }
  return nullptr;
}

}  // namespace

FailurePolicyMatch MatchPodFailurePolicy(const std::vector<FailurePolicyRule>& rules,
                                         const PodView& pod, const std::string& ns) {
  FailurePolicyMatch m;
  for (size_t i = 0; i < rules.size(); ++i) {
    const FailurePolicyRule& rule = rules[i];
    std::string what;
    if (rule.on_exit_codes) {
      const ContainerStateView* c = MatchExitCodes(pod.containers, *rule.on_exit_codes);
      if (!c) c = MatchExitCodes(pod.init_containers, *rule.on_exit_codes);
      if (!c) continue;
      what = "Container " + c->name + " for pod " + ns + "/" + pod.name +
             " failed with exit code " + std::to_string(c->exit_code);
    } else {
      const OnPodCondition* hit = nullptr;
      for (const auto& [type, status] : pod.conditions) {
        for (const OnPodCondition& want : rule.on_pod_conditions) {
          if (want.type == type && want.status == status) {
            hit = &want;
            break;
          }
        }
        if (hit) break;
      }
      if (!hit) continue;
      what = "Pod " + ns + "/" + pod.name + " has condition " + hit->type;
    }
    m.action = rule.action;
    m.counts = rule.action != FailurePolicyAction::kIgnore;
    if (rule.action == FailurePolicyAction::kFailJob) {
      m.message =
          what + " matching " + ActionName(rule.action) + " rule at index " + std::to_string(i);
    }
    return m;
  }
  return m;
}

std::chrono::milliseconds PodFailureBackoff(int64_t failures_since_success) {
  if (failures_since_success <= 0) return std::chrono::milliseconds(0);
  std::chrono::milliseconds d = kPodFailureBackoff;
  for (int64_t i = 1; i < failures_since_success && d < kMaxPodFailureBackoff; ++i) d *= 2;
  return std::min<std::chrono::milliseconds>(d, kMaxPodFailureBackoff);
}

std::chrono::milliseconds RemainingBackoff(const std::vector<const PodView*>& failed,
                                           const std::vector<const PodView*>& succeeded,
                                           SystemTime now) {
  SystemTime last_success{};
  for (const PodView* p : succeeded) last_success = std::max(last_success, p->finished);
  int64_t n = 0;
  SystemTime last_failure{};
  for (const PodView* p : failed) {
    if (p->finished <= last_success && !succeeded.empty()) continue;
    ++n;
    last_failure = std::max(last_failure, p->finished);
  }
  if (n == 0) return std::chrono::milliseconds(0);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_failure);
  auto left = PodFailureBackoff(n) - elapsed;
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

}  // namespace skiff::controllers::job

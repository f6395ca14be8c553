// Parsing of Job and Pod JSON into the controller's typed views. Every access
// checks the JSON type first, so a malformed object degrades to defaults
// instead of throwing.
#include "controllers/job/job_view.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::job {

namespace {

std::optional<int64_t> Int(const Json& obj, const char* key) {
  const Json& v = Field(obj, key);
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) return static_cast<int64_t>(v.get<double>());
  return std::nullopt;
}

std::optional<SystemTime> Time(const Json& obj, const char* key) {
  const Json& v = Field(obj, key);
  if (!v.is_string()) return std::nullopt;
  auto t = ParseRfc3339(v.get<std::string>());
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::vector<ContainerStateView> ParseContainerStatuses(const Json& list) {
  std::vector<ContainerStateView> out;
  if (!list.is_array()) return out;
  for (const Json& cs : list) {
    if (!cs.is_object()) continue;
    ContainerStateView c;
    c.name = StringField(cs, "name");
    c.restart_count = static_cast<int32_t>(Int(cs, "restartCount").value_or(0));
    const Json& term = Field(Field(cs, "state"), "terminated");
    if (term.is_object()) {
      c.terminated = true;
      c.exit_code = static_cast<int32_t>(Int(term, "exitCode").value_or(0));
      c.finished_at = Time(term, "finishedAt");
    }
    out.push_back(std::move(c));
  }
  return out;
}

FailurePolicyAction ParseAction(const std::string& s) {
  if (s == "FailJob") return FailurePolicyAction::kFailJob;
  if (s == "Ignore") return FailurePolicyAction::kIgnore;
  if (s == "FailIndex") return FailurePolicyAction::kFailIndex;
  return FailurePolicyAction::kCount;
}

}  // namespace

int64_t ParseIndex(const std::string& s) {
  if (s.empty() || s.size() > 10) return -1;
  int64_t v = -1;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0 || v > INT32_MAX) return -1;
  return v;
}

JobSpecView ParseJobSpec(const Json& job) {
  JobSpecView v;
  const Json& spec = Field(job, "spec");
  v.parallelism = static_cast<int32_t>(std::max<int64_t>(0, Int(spec, "parallelism").value_or(1)));
  if (auto c = Int(spec, "completions"))
    v.completions = static_cast<int32_t>(std::max<int64_t>(0, *c));
  v.completion_mode = StringField(spec, "completionMode") == "Indexed" ? CompletionMode::kIndexed
                                                               : CompletionMode::kNonIndexed;
  v.backoff_limit =
      static_cast<int32_t>(std::max<int64_t>(0, Int(spec, "backoffLimit").value_or(6)));
  v.active_deadline_seconds = Int(spec, "activeDeadlineSeconds");
  v.ttl_seconds_after_finished = Int(spec, "ttlSecondsAfterFinished");
  const Json& suspend = Field(spec, "suspend");
  v.suspend = suspend.is_boolean() && suspend.get<bool>();
  v.restart_policy = StringField(Field(Field(spec, "template"), "spec"), "restartPolicy", "Never");
  const Json& rules = Field(Field(spec, "podFailurePolicy"), "rules");
  if (rules.is_array()) {
    for (const Json& r : rules) {
      if (!r.is_object()) continue;
      FailurePolicyRule rule;
      rule.action = ParseAction(StringField(r, "action"));
      const Json& oec = Field(r, "onExitCodes");
      if (oec.is_object()) {
        OnExitCodes e;
        e.container_name = StringField(oec, "containerName");
        e.op_in = StringField(oec, "operator", "In") != "NotIn";
        const Json& vals = Field(oec, "values");
        if (vals.is_array()) {
          for (const Json& x : vals) {
            if (x.is_number_integer()) e.values.push_back(x.get<int32_t>());
          }
        }
        rule.on_exit_codes = std::move(e);
      }
      const Json& opc = Field(r, "onPodConditions");
      if (opc.is_array()) {
        for (const Json& p : opc) {
          if (p.is_object())
            rule.on_pod_conditions.push_back({StringField(p, "type"), StringField(p, "status", "True")});
        }
      }
      v.pod_failure_rules.push_back(std::move(rule));
    }
  }
  return v;
}

PodView ParsePod(const Json& pod) {
  PodView p;
  const Json& meta = Field(pod, "metadata");
  p.name = StringField(meta, "name");
  p.uid = StringField(meta, "uid");
  p.deleting = Field(meta, "deletionTimestamp").is_string();
  p.created = Time(meta, "creationTimestamp").value_or(SystemTime{});
  std::string idx = StringField(Field(meta, "annotations"), kCompletionIndexKey);
  if (idx.empty()) idx = StringField(Field(meta, "labels"), kCompletionIndexKey);
  p.index = ParseIndex(idx);
  const Json& status = Field(pod, "status");
  p.phase = StringField(status, "phase", "Pending");
  p.containers = ParseContainerStatuses(Field(status, "containerStatuses"));
  p.init_containers = ParseContainerStatuses(Field(status, "initContainerStatuses"));
  std::optional<SystemTime> condition_time;
  const Json& conds = Field(status, "conditions");
  if (conds.is_array()) {
    for (const Json& c : conds) {
      if (!c.is_object()) continue;
      std::string type = StringField(c, "type");
      std::string st = StringField(c, "status");
      if (type == "Ready" && st == "True") p.ready = true;
      if (auto t = Time(c, "lastTransitionTime"); t && (!condition_time || *t > *condition_time)) {
        condition_time = t;
      }
      p.conditions.emplace_back(std::move(type), std::move(st));
    }
  }
  std::optional<SystemTime> finished;
  for (const auto* list : {&p.containers, &p.init_containers}) {
    for (const ContainerStateView& c : *list) {
      if (c.finished_at && (!finished || *c.finished_at > *finished)) finished = c.finished_at;
    }
  }
  p.finished = finished ? *finished : condition_time.value_or(p.created);
  return p;
}

}  // namespace skiff::controllers::job

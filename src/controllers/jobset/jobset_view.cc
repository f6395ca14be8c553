// Parsing of JobSet and child Job JSON into typed views; type mismatches fall
// back to defaults.
#include "controllers/jobset/jobset_view.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::jobset {

namespace {

std::optional<int64_t> Int(const Json& obj, const char* key) {
  const Json& v = Field(obj, key);
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

std::optional<bool> Bool(const Json& obj, const char* key) {
  const Json& v = Field(obj, key);
  if (v.is_boolean()) return v.get<bool>();
  return std::nullopt;
}

std::vector<std::string> Strings(const Json& obj, const char* key) {
  std::vector<std::string> out;
  const Json& v = Field(obj, key);
  if (!v.is_array()) return out;
  for (const Json& s : v) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

int64_t ParseLabelInt(const std::string& s) {
  int64_t v = -1;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < 0) return -1;
  return v;
}

}  // namespace

JobSetSpecView ParseJobSet(const Json& js) {
  JobSetSpecView v;
  const Json& meta = Field(js, "metadata");
  v.name = StringField(meta, "name");
  v.ns = StringField(meta, "namespace");
  const Json& spec = Field(js, "spec");
  const Json& rjobs = Field(spec, "replicatedJobs");
  if (rjobs.is_array()) {
    for (const Json& r : rjobs) {
      if (!r.is_object()) continue;
      ReplicatedJob rj;
      rj.name = StringField(r, "name");
      rj.replicas = static_cast<int32_t>(std::max<int64_t>(0, Int(r, "replicas").value_or(1)));
      const Json& deps = Field(r, "dependsOn");
      if (deps.is_array()) {
        for (const Json& d : deps) {
          if (d.is_object()) rj.depends_on.push_back({StringField(d, "name"), StringField(d, "status")});
        }
      }
      v.replicated_jobs.push_back(std::move(rj));
    }
  }
  const Json& net = Field(spec, "network");
  v.dns_hostnames = Bool(net, "enableDNSHostnames").value_or(true);
  v.publish_not_ready = Bool(net, "publishNotReadyAddresses").value_or(true);
  v.subdomain = StringField(net, "subdomain");
  if (v.subdomain.empty()) v.subdomain = v.name;
  const Json& sp = Field(spec, "successPolicy");
  v.success_operator = StringField(sp, "operator", "All");
  v.success_targets = Strings(sp, "targetReplicatedJobs");
  const Json& fp = Field(spec, "failurePolicy");
  if (fp.is_object()) {
    v.has_failure_policy = true;
    v.max_restarts = static_cast<int32_t>(Int(fp, "maxRestarts").value_or(0));
    const Json& rules = Field(fp, "rules");
    if (rules.is_array()) {
      int i = 0;
      for (const Json& r : rules) {
        if (!r.is_object()) continue;
        FailurePolicyRule rule;
        rule.name = StringField(r, "name", "failurePolicyRule" + std::to_string(i++));
        rule.action = StringField(r, "action", "RestartJobSet");
        rule.on_job_failure_reasons = Strings(r, "onJobFailureReasons");
        rule.on_job_failure_message_patterns = Strings(r, "onJobFailureMessagePatterns");
        rule.target_replicated_jobs = Strings(r, "targetReplicatedJobs");
        v.failure_rules.push_back(std::move(rule));
      }
    }
  }
  v.in_order = StringField(Field(spec, "startupPolicy"), "startupPolicyOrder") == "InOrder";
  v.suspend = Bool(spec, "suspend").value_or(false);
  v.ttl_seconds_after_finished = Int(spec, "ttlSecondsAfterFinished");
  v.managed_by = StringField(spec, "managedBy");
  const Json& coord = Field(spec, "coordinator");
  if (coord.is_object()) {
    v.coordinator = Coordinator{StringField(coord, "replicatedJob"),
                                static_cast<int32_t>(Int(coord, "jobIndex").value_or(0)),
                                static_cast<int32_t>(Int(coord, "podIndex").value_or(0))};
  }
  return v;
}

JobSetStatusView ParseJobSetStatus(const Json& js) {
  JobSetStatusView s;
  const Json& status = Field(js, "status");
  s.restarts = static_cast<int32_t>(Int(status, "restarts").value_or(0));
  s.restarts_count_towards_max =
      static_cast<int32_t>(Int(status, "restartsCountTowardsMax").value_or(0));
  return s;
}

ChildJob ParseChildJob(const Json& job) {
  ChildJob c;
  const Json& meta = Field(job, "metadata");
  c.name = StringField(meta, "name");
  c.deleting = Field(meta, "deletionTimestamp").is_string();
  const Json& labels = Field(meta, "labels");
  c.replicated_job = StringField(labels, kReplicatedJobNameKey);
  c.restart_attempt = ParseLabelInt(StringField(labels, kRestartsKey));
  const Json& spec = Field(job, "spec");
  c.parallelism = static_cast<int32_t>(Int(spec, "parallelism").value_or(1));
  if (auto n = Int(spec, "completions")) c.completions = static_cast<int32_t>(*n);
  c.suspended = Bool(spec, "suspend").value_or(false);
  const Json& status = Field(job, "status");
  c.ready = static_cast<int32_t>(Int(status, "ready").value_or(0));
  c.succeeded = static_cast<int32_t>(Int(status, "succeeded").value_or(0));
  c.active = static_cast<int32_t>(Int(status, "active").value_or(0));
  const Json& conds = Field(status, "conditions");
  if (conds.is_array()) {
    for (const Json& cond : conds) {
      if (!cond.is_object() || StringField(cond, "status") != "True") continue;
      std::string type = StringField(cond, "type");
      if (type == "Complete") {
        c.state = ChildState::kSucceeded;
      } else if (type == "Failed") {
        c.state = ChildState::kFailed;
        c.failure_reason = StringField(cond, "reason");
        c.failure_message = StringField(cond, "message");
        auto t = ParseRfc3339(StringField(cond, "lastTransitionTime"));
        if (t.ok()) c.failure_time = *t;
      }
    }
  }
  return c;
}

}  // namespace skiff::controllers::jobset

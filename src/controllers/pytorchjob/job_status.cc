// PyTorchJob status parsing, serialization and upstream's condition rules.
#include "controllers/pytorchjob/job_status.h"

#include <nlohmann/json.hpp>

#include "controllers/runtime/json_fields.h"

namespace skiff::controllers::pytorchjob {

namespace {

int32_t Count(const Json& obj, const char* key) {
  const Json& v = Field(obj, key);
  return v.is_number_integer() ? v.get<int32_t>() : 0;
}

}  // namespace

const JobCondition* JobStatus::Find(std::string_view type) const {
  for (const JobCondition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool JobStatus::IsTrue(std::string_view type) const {
  const JobCondition* c = Find(type);
  return c && c->status == "True";
}

std::string Reason(std::string_view reason) { return "PyTorchJob" + std::string(reason); }

bool UpdateJobConditions(JobStatus* status, std::string_view type, std::string_view cond_status,
                         std::string_view reason, std::string_view message, std::string_view now) {
  if (status->IsFailed()) return false;
  JobCondition cond{std::string(type),    std::string(cond_status), std::string(reason),
                    std::string(message), std::string(now),         std::string(now)};
  const JobCondition* current = status->Find(type);
  if (current && current->status == cond.status && current->reason == cond.reason) return false;
  if (current && current->status == cond.status) {
    cond.last_transition_time = current->last_transition_time;
  }
  std::vector<JobCondition> kept;
  for (JobCondition c : status->conditions) {
    if (type == "Restarting" && c.type == "Running") continue;
    if (type == "Running" && c.type == "Restarting") continue;
    if (c.type == type) continue;
    if ((type == "Failed" || type == "Succeeded") && c.type == "Running") c.status = "False";
    kept.push_back(std::move(c));
  }
  kept.push_back(std::move(cond));
  status->conditions = std::move(kept);
  return true;
}

JobStatus ParseJobStatus(const Json& status) {
  JobStatus s;
  const Json& conds = Field(status, "conditions");
  if (conds.is_array()) {
    for (const Json& c : conds) {
      if (!c.is_object()) continue;
      s.conditions.push_back({StringField(c, "type"), StringField(c, "status"),
                              StringField(c, "reason"), StringField(c, "message"),
                              StringField(c, "lastUpdateTime"),
                              StringField(c, "lastTransitionTime")});
    }
  }
  const Json& rs = Field(status, "replicaStatuses");
  if (rs.is_object()) {
    for (auto it = rs.begin(); it != rs.end(); ++it) {
      ReplicaStatus r;
      r.active = Count(it.value(), "active");
      r.succeeded = Count(it.value(), "succeeded");
      r.failed = Count(it.value(), "failed");
      r.selector = StringField(it.value(), "selector");
      const Json& ml = Field(Field(it.value(), "labelSelector"), "matchLabels");
      if (ml.is_object()) {
        for (auto l = ml.begin(); l != ml.end(); ++l) {
          if (l.value().is_string()) r.match_labels[l.key()] = l.value().get<std::string>();
        }
      }
      s.replica_statuses[it.key()] = std::move(r);
    }
  }
  s.start_time = StringField(status, "startTime");
  s.completion_time = StringField(status, "completionTime");
  return s;
}

Json JobStatusToJson(const JobStatus& status, const Json& base) {
  Json out = base.is_object() ? base : Json::object();
  Json conds = Json::array();
  for (const JobCondition& c : status.conditions) {
    Json j = {{"type", c.type}, {"status", c.status}};
    if (!c.reason.empty()) j["reason"] = c.reason;
    if (!c.message.empty()) j["message"] = c.message;
    if (!c.last_update_time.empty()) j["lastUpdateTime"] = c.last_update_time;
    if (!c.last_transition_time.empty()) j["lastTransitionTime"] = c.last_transition_time;
    conds.push_back(std::move(j));
  }
  if (conds.empty()) {
    out.erase("conditions");
  } else {
    out["conditions"] = std::move(conds);
  }
  Json rs = Json::object();
  for (const auto& [type, r] : status.replica_statuses) {
    Json j = Json::object();
    if (r.active) j["active"] = r.active;
    if (r.succeeded) j["succeeded"] = r.succeeded;
    if (r.failed) j["failed"] = r.failed;
    if (!r.match_labels.empty()) {
      Json ml = Json::object();
      for (const auto& [k, v] : r.match_labels) ml[k] = v;
      j["labelSelector"] = {{"matchLabels", ml}};
    }
    if (!r.selector.empty()) j["selector"] = r.selector;
    rs[type] = std::move(j);
  }
  out["replicaStatuses"] = std::move(rs);
  for (const auto& [key, value] :
       {std::pair{"startTime", &status.start_time}, {"completionTime", &status.completion_time}}) {
    if (value->empty()) {
      out.erase(key);
    } else {
      out[key] = *value;
    }
  }
  return out;
}

}  // namespace skiff::controllers::pytorchjob

// Server-side printing: meta.k8s.io/v1 Table responses, with the built-in
// columns kubectl users know for core kinds and CRD printer columns for the rest.
#include <nlohmann/json.hpp>

#include "api/jsonpath.h"
#include "apiserver/context.h"
#include "apiserver/hpa_table.h"

namespace skiff::apiserver {
namespace {

struct Col {
  const char* name;
  const char* type;
  int priority;
};

std::string Age(const Json& obj, SystemTime now) {
  auto t = ParseRfc3339(obj.at("metadata").value("creationTimestamp", ""));
  if (!t.ok()) return "<unknown>";
  return HumanDuration(now - *t);
}

std::string Str(const Json& j, const char* k, const char* def = "") {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : def;
}

int64_t Int(const Json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_number() ? j[k].get<int64_t>() : 0;
}

const Json& Sub(const Json& j, const char* k) {
  static const Json kEmpty = Json::object();
  return j.is_object() && j.contains(k) && j[k].is_object() ? j[k] : kEmpty;
}

std::string PodStatus(const Json& pod) {
  const Json& st = Sub(pod, "status");
  std::string reason = Str(st, "reason", Str(st, "phase", "Pending").c_str());
  if (st.contains("containerStatuses") && st["containerStatuses"].is_array()) {
    for (const auto& cs : st["containerStatuses"]) {
      const Json& state = Sub(cs, "state");
      if (state.contains("waiting") && !Str(state["waiting"], "reason").empty()) {
        reason = Str(state["waiting"], "reason");
      } else if (state.contains("terminated")) {
        reason = Str(state["terminated"], "reason", "Terminated");
      }
    }
  }
  if (pod.at("metadata").contains("deletionTimestamp")) reason = "Terminating";
  return reason;
}

// Built-in printers (kubectl's compiled-in columns); returns false if not built-in.
bool BuiltinColumns(const api::KindInfo& k, std::vector<Col>& cols) {
  if (!k.builtin) return false;
  std::string id = k.ResourceId();
  if (id == "pods") {
    cols = {{"Ready", "string", 0}, {"Status", "string", 0}, {"Restarts", "string", 0},
            {"Age", "string", 0}, {"IP", "string", 1}, {"Node", "string", 1},
            {"Nominated Node", "string", 1}, {"Readiness Gates", "string", 1}};
  } else if (id == "namespaces") {
    cols = {{"Status", "string", 0}, {"Age", "string", 0}};
  } else if (id == "services") {
    cols = {{"Type", "string", 0}, {"Cluster-IP", "string", 0}, {"External-IP", "string", 0},
            {"Port(s)", "string", 0}, {"Age", "string", 0}, {"Selector", "string", 1}};
  } else if (id == "configmaps") {
    cols = {{"Data", "integer", 0}, {"Age", "string", 0}};
  } else if (id == "secrets") {
    cols = {{"Type", "string", 0}, {"Data", "integer", 0}, {"Age", "string", 0}};
  } else if (id == "events") {
    cols = {{"Last Seen", "string", 0}, {"Type", "string", 0}, {"Reason", "string", 0},
            {"Object", "string", 0}, {"Message", "string", 0}};
  } else if (id == "nodes") {
    cols = {{"Status", "string", 0}, {"Roles", "string", 0}, {"Age", "string", 0},
            {"Version", "string", 0}};
  } else if (id == "deployments.apps") {
    cols = {{"Ready", "string", 0}, {"Up-to-date", "integer", 0}, {"Available", "integer", 0},
            {"Age", "string", 0}};
  } else if (id == "replicasets.apps") {
    cols = {{"Desired", "integer", 0}, {"Current", "integer", 0}, {"Ready", "integer", 0},
            {"Age", "string", 0}};
  } else if (id == "jobs.batch") {
    cols = {{"Status", "string", 0}, {"Completions", "string", 0}, {"Duration", "string", 0},
            {"Age", "string", 0}};
  } else if (id == "endpoints") {
    cols = {{"Endpoints", "string", 0}, {"Age", "string", 0}};
  } else if (id == "persistentvolumeclaims") {
    cols = {{"Status", "string", 0}, {"Volume", "string", 0}, {"Capacity", "string", 0},
            {"Access Modes", "string", 0}, {"Age", "string", 0}};
  } else if (id == "leases.coordination.k8s.io") {
    cols = {{"Holder", "string", 0}, {"Age", "string", 0}};
  } else if (id == "customresourcedefinitions.apiextensions.k8s.io") {
    cols = {{"Created At", "date", 0}};
  } else if (id == "horizontalpodautoscalers.autoscaling") {
    cols = {{"Reference", "string", 0}, {"Targets", "string", 0}, {"MinPods", "string", 0},
            {"MaxPods", "integer", 0},  {"Replicas", "integer", 0}, {"Age", "string", 0}};
  } else {
    return false;
  }
  return true;
}

Json BuiltinCells(const api::KindInfo& k, const Json& o, SystemTime now) {
  std::string id = k.ResourceId();
  const Json& spec = Sub(o, "spec");
  const Json& st = Sub(o, "status");
  if (id == "pods") {
    int total = spec.contains("containers") ? static_cast<int>(spec["containers"].size()) : 0;
    int ready = 0, restarts = 0;
    if (st.contains("containerStatuses")) {
      for (const auto& cs : st["containerStatuses"]) {
        if (cs.value("ready", false)) ++ready;
        restarts += static_cast<int>(Int(cs, "restartCount"));
      }
    }
    return {std::to_string(ready) + "/" + std::to_string(total), PodStatus(o),
            std::to_string(restarts), Age(o, now), Str(st, "podIP", "<none>"),
            Str(spec, "nodeName", "<none>"), Str(st, "nominatedNodeName", "<none>"), "<none>"};
  }
  if (id == "namespaces") return {Str(st, "phase", "Active"), Age(o, now)};
  if (id == "services") {
    std::string ports;
    if (spec.contains("ports")) {
      for (const auto& p : spec["ports"]) {
        if (!ports.empty()) ports += ",";
        ports += std::to_string(Int(p, "port"));
        if (p.contains("nodePort")) ports += ":" + std::to_string(Int(p, "nodePort"));
        ports += "/" + Str(p, "protocol", "TCP");
      }
    }
    std::string sel;
    if (spec.contains("selector") && spec["selector"].is_object()) {
      for (auto& [kk, v] : spec["selector"].items()) sel += (sel.empty() ? "" : ",") + kk + "=" + v.get<std::string>();
    }
    return {Str(spec, "type", "ClusterIP"), Str(spec, "clusterIP", "<none>"), "<none>",
            ports.empty() ? "<none>" : ports, Age(o, now), sel.empty() ? "<none>" : sel};
  }
  if (id == "configmaps") {
    size_t n = (o.contains("data") && o["data"].is_object() ? o["data"].size() : 0) +
               (o.contains("binaryData") && o["binaryData"].is_object() ? o["binaryData"].size() : 0);
    return {n, Age(o, now)};
  }
  if (id == "secrets") {
    return {Str(o, "type", "Opaque"), o.contains("data") && o["data"].is_object() ? o["data"].size() : 0,
            Age(o, now)};
  }
  if (id == "events") {
    std::string last = Str(o, "lastTimestamp", Str(o, "eventTime").c_str());
    auto t = ParseRfc3339(last);
    const Json& io = Sub(o, "involvedObject");
    std::string kind = Str(io, "kind");
    for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return {t.ok() ? HumanDuration(now - *t) : "<unknown>", Str(o, "type"), Str(o, "reason"),
            kind + "/" + Str(io, "name"), Str(o, "message")};
  }
  if (id == "nodes") {
    std::string ready = "Unknown";
    if (st.contains("conditions")) {
      for (const auto& c : st["conditions"]) {
        if (Str(c, "type") == "Ready") ready = Str(c, "status") == "True" ? "Ready" : "NotReady";
      }
    }
    return {ready, "<none>", Age(o, now), Str(Sub(st, "nodeInfo"), "kubeletVersion", "")};
  }
  if (id == "deployments.apps") {
    return {std::to_string(Int(st, "readyReplicas")) + "/" + std::to_string(Int(spec, "replicas")),
            Int(st, "updatedReplicas"), Int(st, "availableReplicas"), Age(o, now)};
  }
  if (id == "replicasets.apps") {
    return {Int(spec, "replicas"), Int(st, "replicas"), Int(st, "readyReplicas"), Age(o, now)};
  }
  if (id == "jobs.batch") {
    std::string status = "Running";
    if (st.contains("conditions")) {
      for (const auto& c : st["conditions"]) {
        if (Str(c, "status") != "True") continue;
        std::string t = Str(c, "type");
        if (t == "Complete") status = "Complete";
        if (t == "Failed") status = "Failed";
        if (t == "Suspended") status = "Suspended";
      }
    }
    std::string duration;
    auto start = ParseRfc3339(Str(st, "startTime"));
    auto end = ParseRfc3339(Str(st, "completionTime"));
    if (start.ok()) duration = HumanDuration((end.ok() ? *end : now) - *start);
    return {status, std::to_string(Int(st, "succeeded")) + "/" + std::to_string(Int(spec, "completions")),
            duration, Age(o, now)};
  }
  if (id == "endpoints") {
    std::string eps;
    if (o.contains("subsets")) {
      for (const auto& s : o["subsets"]) {
        for (const auto& a : s.value("addresses", Json::array())) {
          for (const auto& p : s.value("ports", Json::array())) {
            if (!eps.empty()) eps += ",";
            eps += Str(a, "ip") + ":" + std::to_string(Int(p, "port"));
          }
        }
      }
    }
    return {eps.empty() ? "<none>" : eps, Age(o, now)};
  }
  if (id == "persistentvolumeclaims") {
    return {Str(st, "phase", "Pending"), Str(spec, "volumeName"),
            Str(Sub(st, "capacity"), "storage"), "", Age(o, now)};
  }
  if (id == "leases.coordination.k8s.io") return {Str(spec, "holderIdentity"), Age(o, now)};
  if (id == "horizontalpodautoscalers.autoscaling") return HpaCells(o, Age(o, now));
  if (id == "customresourcedefinitions.apiextensions.k8s.io") {
    return {o.at("metadata").value("creationTimestamp", "")};
  }
  return Json::array();
}

Json CellFor(const api::PrinterColumn& c, const Json& obj, SystemTime now) {
  auto r = api::EvaluateJsonPath(obj, c.json_path);
  if (!r.ok() || r->empty()) return nullptr;
  const Json& v = (*r)[0];
  if (c.type == "date") {
    if (!v.is_string()) return nullptr;
    auto t = ParseRfc3339(v.get<std::string>());
    return t.ok() ? Json(HumanDuration(now - *t)) : v;
  }
  if (c.type == "integer") return v.is_number() ? Json(v.get<int64_t>()) : nullptr;
  if (c.type == "number") return v.is_number() ? v : nullptr;
  if (c.type == "boolean") return v.is_boolean() ? v : nullptr;
  if (r->size() > 1) {
    std::string joined;
    for (const auto& x : *r) joined += (joined.empty() ? "" : ",") + (x.is_string() ? x.get<std::string>() : x.dump(-1, ' ', false, Json::error_handler_t::replace));
    return joined;
  }
  return v.is_string() ? v : Json(v.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace

bool WantsTable(const Request& req) {
  return req.Header("accept").find("as=Table") != std::string::npos;
}

Json BuildTable(const api::KindInfo& kind, const api::KindVersion& version,
                const std::vector<const Json*>& objects, bool include_object, SystemTime now,
                bool with_column_definitions) {
  Json table = {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", Json::object()}};
  std::vector<Col> builtin;
  bool is_builtin = BuiltinColumns(kind, builtin);
  Json defs = Json::array({{{"name", "Name"}, {"type", "string"}, {"format", "name"},
                            {"description", "Name must be unique within a namespace."}, {"priority", 0}}});
  std::vector<api::PrinterColumn> cols = version.columns;
  if (!is_builtin && cols.empty()) cols.push_back({"Age", "date", "", "", ".metadata.creationTimestamp", 0});
  if (is_builtin) {
    for (const auto& c : builtin) {
      defs.push_back({{"name", c.name}, {"type", c.type}, {"format", ""}, {"description", ""}, {"priority", c.priority}});
    }
  } else {
    for (const auto& c : cols) {
      defs.push_back({{"name", c.name}, {"type", c.type}, {"format", c.format},
                      {"description", c.description}, {"priority", c.priority}});
    }
  }
  if (with_column_definitions) table["columnDefinitions"] = std::move(defs);
  Json rows = Json::array();
  for (const Json* o : objects) {
    Json cells = Json::array({o->at("metadata").value("name", "")});
    if (is_builtin) {
      for (auto& c : BuiltinCells(kind, *o, now)) cells.push_back(c);
    } else {
      for (const auto& c : cols) cells.push_back(CellFor(c, *o, now));
    }
    Json row = {{"cells", std::move(cells)}};
    if (include_object) {
      row["object"] = *o;
    } else {
      Json meta = o->at("metadata");
      meta.erase("managedFields");
      row["object"] = {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", meta}};
    }
    rows.push_back(std::move(row));
  }
  table["rows"] = std::move(rows);
  return table;
}

}  // namespace skiff::apiserver

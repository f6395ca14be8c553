// The scheduler's reconciler: filter nodes, score them, bind through pods/binding, and keep
// "assumed" placements until the informer shows them, so two pods never take the same room.
#include "controllers/scheduler/scheduler.h"

#include <algorithm>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "client/client.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"

namespace skiff::controllers::scheduler {

namespace {

bool Tolerates(const Json& tolerations, const Json& taint) {
  if (!tolerations.is_array()) return false;
  std::string key = taint.value("key", "");
  std::string value = taint.value("value", "");
  std::string effect = taint.value("effect", "");
  for (const Json& t : tolerations) {
    if (!t.is_object()) continue;
    std::string t_effect = t.value("effect", "");
    if (!t_effect.empty() && t_effect != effect) continue;
    std::string op = t.value("operator", "Equal");
    std::string t_key = t.value("key", "");
    if (t_key.empty()) {
      if (op == "Exists") return true;  // tolerates everything
      continue;
    }
    if (t_key != key) continue;
    if (op == "Exists" || t.value("value", "") == value) return true;
  }
  return false;
}

std::string TaintString(const Json& taint) {
  std::string s = "{" + taint.value("key", "");
  std::string v = taint.value("value", "");
  s += ": " + v + "}";
  return s;
}

bool NodeReady(const Json& node) {
  if (!node.contains("status") || !node["status"].contains("conditions")) return false;
  return IsConditionTrue(node["status"]["conditions"], "Ready");
}

bool MatchesNodeSelector(const Json& pod, const Json& node) {
  const Json& spec = pod["spec"];
  const Json labels = node["metadata"].contains("labels") ? node["metadata"]["labels"]
                                                         : Json::object();
  if (spec.contains("nodeSelector") && spec["nodeSelector"].is_object()) {
    for (auto it = spec["nodeSelector"].begin(); it != spec["nodeSelector"].end(); ++it) {
      if (!labels.contains(it.key()) || labels[it.key()] != it.value()) return false;
    }
  }
  // Required node affinity: OR of terms, each an AND of matchExpressions on labels.
  const Json* terms = nullptr;
  if (spec.contains("affinity") && spec["affinity"].is_object() &&
      spec["affinity"].contains("nodeAffinity")) {
    const Json& na = spec["affinity"]["nodeAffinity"];
    if (na.contains("requiredDuringSchedulingIgnoredDuringExecution")) {
      const Json& req = na["requiredDuringSchedulingIgnoredDuringExecution"];
      if (req.contains("nodeSelectorTerms")) terms = &req["nodeSelectorTerms"];
    }
  }
  if (!terms || !terms->is_array() || terms->empty()) return true;
  for (const Json& term : *terms) {
    bool all = true;
    if (term.contains("matchExpressions") && term["matchExpressions"].is_array()) {
      for (const Json& e : term["matchExpressions"]) {
        std::string key = e.value("key", "");
        std::string op = e.value("operator", "In");
        bool has = labels.contains(key) && labels[key].is_string();
        std::string val = has ? labels[key].get<std::string>() : "";
        std::vector<std::string> values;
        if (e.contains("values") && e["values"].is_array()) {
          for (const Json& v : e["values"]) {
            if (v.is_string()) values.push_back(v.get<std::string>());
          }
        }
        bool in = std::find(values.begin(), values.end(), val) != values.end();
        bool ok = (op == "In" && has && in) || (op == "NotIn" && !(has && in)) ||
                  (op == "Exists" && has) || (op == "DoesNotExist" && !has);
        if (op == "Gt" || op == "Lt") {
          try {
            ok = has && !values.empty() &&
                 (op == "Gt" ? std::stoll(val) > std::stoll(values[0])
                             : std::stoll(val) < std::stoll(values[0]));
          } catch (...) {
            ok = false;
          }
        }
        if (!ok) {
          all = false;
          break;
        }
      }
    }
    if (all) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> FitErrors(const Json& pod, const Json& node, const ResourceList& used,
                                   int pods_on_node) {
  std::vector<std::string> errs;
  const Json& nspec = node.contains("spec") ? node["spec"] : Json::object();
  if (nspec.value("unschedulable", false)) {
    errs.push_back("node(s) were unschedulable");
    return errs;
  }
  if (!NodeReady(node)) {
    errs.push_back("node(s) were not ready");
    return errs;
  }
  if (!MatchesNodeSelector(pod, node)) {
    errs.push_back("node(s) didn't match Pod's node affinity/selector");
    return errs;
  }
  const Json tolerations = pod["spec"].contains("tolerations") ? pod["spec"]["tolerations"]
                                                               : Json::array();
  if (nspec.contains("taints") && nspec["taints"].is_array()) {
    for (const Json& taint : nspec["taints"]) {
      std::string effect = taint.value("effect", "");
      if (effect != "NoSchedule" && effect != "NoExecute") continue;
      if (!Tolerates(tolerations, taint)) {
        errs.push_back("node(s) had untolerated taint " + TaintString(taint));
        return errs;
      }
    }
  }
  ResourceList alloc;
  if (node.contains("status") && node["status"].contains("allocatable")) {
    alloc = ParseResourceList(node["status"]["allocatable"]);
  }
  auto pods_it = alloc.find("pods");
  if (pods_it != alloc.end() && pods_on_node + 1 > pods_it->second / 1000) {
    errs.push_back("Too many pods");
  }
  for (const auto& [name, want] : PodRequests(pod)) {
    if (want <= 0) continue;
    int64_t have = alloc.count(name) ? alloc[name] : 0;
    int64_t taken = used.count(name) ? used.at(name) : 0;
    if (have - taken < want) errs.push_back("Insufficient " + name);
  }
  return errs;
}

std::string UnschedulableMessage(int total_nodes, const std::map<std::string, int>& reasons) {
  std::string msg = "0/" + std::to_string(total_nodes) + " nodes are available";
  if (total_nodes == 0) return "no nodes available to schedule pods";
  std::vector<std::string> parts;
  for (const auto& [reason, n] : reasons) parts.push_back(std::to_string(n) + " " + reason);
  std::sort(parts.begin(), parts.end());
  for (size_t i = 0; i < parts.size(); ++i) msg += (i == 0 ? ": " : ", ") + parts[i];
  return msg + ".";
}

int Score(const Json& pod, const Json& node, const ResourceList& used) {
  ResourceList alloc;
  if (node.contains("status") && node["status"].contains("allocatable")) {
    alloc = ParseResourceList(node["status"]["allocatable"]);
  }
  ResourceList req = PodRequests(pod);
  double total = 0;
  int n = 0;
  for (const char* r : {"cpu", "memory"}) {
    int64_t cap = alloc.count(r) ? alloc[r] : 0;
    if (cap <= 0) continue;
    int64_t u = (used.count(r) ? used.at(r) : 0) + (req.count(r) ? req[r] : 0);
    total += 100.0 * static_cast<double>(std::max<int64_t>(0, cap - u)) / static_cast<double>(cap);
    ++n;
  }
  return n == 0 ? 0 : static_cast<int>(total / n);
}

namespace {

struct Assumed {
  std::string node;
  ResourceList requests;
  std::chrono::steady_clock::time_point at;
};

class SchedulerReconciler : public Reconciler {
 public:
  SchedulerReconciler(Manager* mgr, client::Informer* pods, client::Informer* nodes)
      : mgr_(mgr), pods_(pods), nodes_(nodes) {}

  StatusOr<Result> Reconcile(const Request& req) override {
    client::ObjectPtr pod = pods_->Get(req.ns, req.name);
    if (!pod) return Result{};
    const Json& p = *pod;
    std::string uid = p["metadata"].value("uid", "");
    if (!p["spec"].value("nodeName", "").empty() || !IsPodActive(p)) {
      std::lock_guard<std::mutex> lock(mu_);
      assumed_.erase(uid);
      return Result{};
    }
    std::string scheduler = p["spec"].value("schedulerName", "default-scheduler");
    if (scheduler != "default-scheduler") return Result{};
    if (p["spec"].contains("schedulingGates") && p["spec"]["schedulingGates"].is_array() &&
        !p["spec"]["schedulingGates"].empty()) {
      // Gated (kube's SchedulingGates PreEnqueue): not considered until every gate is removed;
      // that removal is a pod update, which enqueues the pod again.
      return MarkGated(p, req);
    }

    // What is already placed on each node: bound active pods plus our own recent bindings the
    // cache has not caught up with.
    std::map<std::string, ResourceList> used;
    std::map<std::string, int> count;
    std::set<std::string> seen_bound;
    for (const auto& other : pods_->List()) {
      const Json& o = *other;
      std::string node = o["spec"].value("nodeName", "");
      if (node.empty() || IsPodTerminal(o)) continue;
      seen_bound.insert(o["metadata"].value("uid", ""));
      for (const auto& [k, v] : PodRequests(o)) used[node][k] += v;
      ++count[node];
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto now = std::chrono::steady_clock::now();
      for (auto it = assumed_.begin(); it != assumed_.end();) {
        if (seen_bound.count(it->first) || now - it->second.at > std::chrono::seconds(30)) {
          it = assumed_.erase(it);
          continue;
        }
        for (const auto& [k, v] : it->second.requests) used[it->second.node][k] += v;
        ++count[it->second.node];
        ++it;
      }
    }

    auto nodes = nodes_->List();
    std::map<std::string, int> reasons;
    const Json* best = nullptr;
    int best_score = -1;
    for (const auto& n : nodes) {
      std::string name = (*n)["metadata"].value("name", "");
      auto errs = FitErrors(p, *n, used[name], count[name]);
      if (!errs.empty()) {
        for (const auto& e : errs) ++reasons[e];
        continue;
      }
      int s = Score(p, *n, used[name]);
      if (s > best_score) {
        best_score = s;
        best = n.get();
      }
    }
    auto pod_r = mgr_->client().discovery().ResolveKind("v1", "Pod");
    SKIFF_RETURN_IF_ERROR(pod_r.status());
    if (!best) {
      std::string msg = UnschedulableMessage(static_cast<int>(nodes.size()), reasons);
      const Json* cond = p.contains("status") && p["status"].contains("conditions")
                             ? FindCondition(p["status"]["conditions"], "PodScheduled")
                             : nullptr;
      if (!cond || cond->value("message", "") != msg || cond->value("status", "") != "False") {
        Json patch = {{"status",
                       {{"conditions",
                         Json::array({{{"type", "PodScheduled"},
                                       {"status", "False"},
                                       {"reason", "Unschedulable"},
                                       {"message", msg},
                                       {"lastProbeTime", nullptr},
                                       {"lastTransitionTime", NowRfc3339()}}})}}}};
        client::PatchOptions po;
        po.type = client::PatchType::kStrategic;
        po.subresource = "status";
        po.field_manager = "default-scheduler";
        auto r = mgr_->client().Patch(*pod_r, req.ns, req.name, DumpJson(patch), po);
        if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
        mgr_->EventsFor("default-scheduler").Event(p, "Warning", "FailedScheduling", msg);
      }
      // Pods waiting for room are retried when nodes or pods change; this is the backstop.
      return Result{std::chrono::seconds(15)};
    }
    std::string node = (*best)["metadata"].value("name", "");
    Json binding = {{"apiVersion", "v1"},
                    {"kind", "Binding"},
                    {"metadata", {{"name", req.name}, {"namespace", req.ns}}},
                    {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}};
    client::Request http{.method = "POST",
                         .path = client::ResourcePath(*pod_r, req.ns, req.name, "binding"),
                         .body = DumpJson(binding)};
    auto res = mgr_->client().rest().Do(http);
    if (!res.ok()) {
      if (res.status().code() == StatusCode::kNotFound) return Result{};
      // Already bound (by us, earlier, or by someone else): the cache will tell.
      if (res.status().code() == StatusCode::kAborted) return Result{};
      return res.status();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      assumed_[uid] = Assumed{node, PodRequests(p), std::chrono::steady_clock::now()};
    }
    mgr_->EventsFor("default-scheduler").Event(p, "Normal", "Scheduled",
                         "Successfully assigned " + req.ns + "/" + req.name + " to " + node);
    return Result{};
  }

 private:
  StatusOr<Result> MarkGated(const Json& p, const Request& req) {
    static constexpr char kMessage[] = "Scheduling is blocked due to non-empty scheduling gates";
    const Json* cond = p.contains("status") && p["status"].contains("conditions")
                           ? FindCondition(p["status"]["conditions"], "PodScheduled")
                           : nullptr;
    if (cond && cond->value("reason", "") == "SchedulingGated" &&
        cond->value("status", "") == "False") {
      return Result{};
    }
    auto pod_r = mgr_->client().discovery().ResolveKind("v1", "Pod");
    SKIFF_RETURN_IF_ERROR(pod_r.status());
    Json patch = {{"status",
                   {{"conditions",
                     Json::array({{{"type", "PodScheduled"},
                                   {"status", "False"},
                                   {"reason", "SchedulingGated"},
                                   {"message", kMessage},
                                   {"lastProbeTime", nullptr},
                                   {"lastTransitionTime", NowRfc3339()}}})}}}};
    client::PatchOptions po;
    po.type = client::PatchType::kStrategic;
    po.subresource = "status";
    po.field_manager = "default-scheduler";
    auto r = mgr_->client().Patch(*pod_r, req.ns, req.name, DumpJson(patch), po);
    if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
    return Result{};
  }

  Manager* mgr_;
  client::Informer* pods_;
  client::Informer* nodes_;
  std::mutex mu_;
  std::map<std::string, Assumed> assumed_;  // pod uid -> placement; guarded by mu_
};

}  // namespace

Status Register(Manager* manager) {
  SKIFF_ASSIGN_OR_RETURN(client::Informer * pods, manager->informers().ForKind("v1", "Pod"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * nodes, manager->informers().ForKind("v1", "Node"));
  // One worker: placements are decided one at a time against one view of free capacity.
  Controller* c = manager->NewController(
      "scheduler", std::make_unique<SchedulerReconciler>(manager, pods, nodes), 1);
  SKIFF_RETURN_IF_ERROR(c->For("v1", "Pod"));
  auto pending = [pods](const Json&) {
    std::vector<Request> out;
    for (const auto& p : pods->List()) {
      if ((*p)["spec"].value("nodeName", "").empty() && IsPodActive(*p)) {
        out.push_back({(*p)["metadata"].value("namespace", ""), (*p)["metadata"].value("name", "")});
      }
    }
    return out;
  };
  // Room appears when a node changes or a bound pod finishes or goes away.
  SKIFF_RETURN_IF_ERROR(c->Watches("v1", "Node", pending));
  SKIFF_RETURN_IF_ERROR(c->Watches("v1", "Pod", [pending](const Json& pod) {
    if (pod["spec"].value("nodeName", "").empty()) return std::vector<Request>{};
    if (IsPodActive(pod)) return std::vector<Request>{};
    return pending(pod);
  }));
  return Status::Ok();
}

}  // namespace skiff::controllers::scheduler

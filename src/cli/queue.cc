// `skiff queue status`: what Kueue is doing, in one screen — per ClusterQueue its state, usage
// and borrowing per flavor and resource, and every pending Workload in admission order with
// the reason it waits (its QuotaReserved=False message).
#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "cli/commands.h"
#include "client/client.h"

namespace skiff::cli {
namespace {

const Json& F(const Json& o, const char* k) {
  static const Json kNull;
  return o.is_object() && o.contains(k) ? o[k] : kNull;
}

std::string S(const Json& o, const char* k, const std::string& def = "") {
  const Json& v = F(o, k);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return def;
}

const Json* Cond(const Json& obj, const std::string& type) {
  for (const Json& c : F(F(obj, "status"), "conditions")) {
    if (S(c, "type") == type) return &c;
  }
  return nullptr;
}

bool True(const Json& obj, const std::string& type) {
  const Json* c = Cond(obj, type);
  return c && S(*c, "status") == "True";
}

// kubectl's tabwriter: columns padded to the widest cell plus three spaces.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      if (i + 1 < r.size()) width[i] = std::max(width[i], r[i].size());
    }
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 3, ' ');
    }
    std::cout << line << "\n";
  }
}

StatusOr<Json> List(client::Client& c, const std::string& kind) {
  SKIFF_ASSIGN_OR_RETURN(client::ResourceInfo r,
                         c.discovery().ResolveKind("kueue.x-k8s.io/v1beta2", kind));
  return c.List(r, "");
}

}  // namespace

int RunQueueStatus(Session& session) {
  auto cl = session.Client();
  if (!cl.ok()) return ReportError(cl.status());
  auto cqs = List(**cl, "ClusterQueue");
  if (!cqs.ok()) return ReportError(cqs.status());
  auto lqs = List(**cl, "LocalQueue");
  if (!lqs.ok()) return ReportError(lqs.status());
  auto wls = List(**cl, "Workload");
  if (!wls.ok()) return ReportError(wls.status());

  std::map<std::string, std::string> lq_to_cq;
  for (const Json& lq : F(*lqs, "items")) {
    lq_to_cq[S(F(lq, "metadata"), "namespace") + "/" + S(F(lq, "metadata"), "name")] =
        S(F(lq, "spec"), "clusterQueue");
  }

  std::vector<std::vector<std::string>> rows = {{"CLUSTERQUEUE", "COHORT", "ACTIVE", "PENDING",
                                                 "ADMITTED", "FLAVOR", "RESOURCE", "USAGE",
                                                 "BORROWED", "NOMINAL"}};
  for (const Json& cq : F(*cqs, "items")) {
    std::string name = S(F(cq, "metadata"), "name");
    const Json& spec = F(cq, "spec");
    const Json& st = F(cq, "status");
    std::string cohort = S(spec, "cohortName", "-");
    const Json* active = Cond(cq, "Active");
    std::string act = active ? S(*active, "status") : "Unknown";
    if (active && S(*active, "status") != "True") act += " (" + S(*active, "reason") + ")";
    std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> usage;
    for (const Json& f : F(st, "flavorsReservation")) {
      for (const Json& r : F(f, "resources")) {
        usage[{S(f, "name"), S(r, "name")}] = {S(r, "total", "0"), S(r, "borrowed", "0")};
      }
    }
    bool first = true;
    for (const Json& g : F(spec, "resourceGroups")) {
      for (const Json& f : F(g, "flavors")) {
        for (const Json& r : F(f, "resources")) {
          auto u = usage[{S(f, "name"), S(r, "name")}];
          rows.push_back({first ? name : "", first ? cohort : "", first ? act : "",
                          first ? S(st, "pendingWorkloads", "0") : "",
                          first ? S(st, "admittedWorkloads", "0") : "", S(f, "name"),
                          S(r, "name"), u.first.empty() ? "0" : u.first,
                          u.second.empty() ? "0" : u.second, S(r, "nominalQuota", "0")});
          first = false;
        }
      }
    }
    if (first) rows.push_back({name, cohort, act, S(st, "pendingWorkloads", "0"),
                               S(st, "admittedWorkloads", "0"), "-", "-", "-", "-", "-"});
  }
  PrintTable(rows);

  // Pending workloads in the scheduler's heap order: priority, then queue-order time (creation,
  // or the last requeue), then UID.
  struct Pending {
    std::string cq, key, lq, reason;
    int64_t priority;
    std::string order_time, uid, created;
  };
  std::vector<Pending> pending;
  for (const Json& w : F(*wls, "items")) {
    if (True(w, "Finished") || F(F(w, "status"), "admission").is_object()) continue;
    const Json& meta = F(w, "metadata");
    std::string ns = S(meta, "namespace");
    std::string lq = ns + "/" + S(F(w, "spec"), "queueName");
    auto it = lq_to_cq.find(lq);
    Pending p;
    p.cq = it == lq_to_cq.end() ? "(none)" : it->second;
    p.key = ns + "/" + S(meta, "name");
    p.lq = lq;
    const Json& prio = F(F(w, "spec"), "priority");
    p.priority = prio.is_number_integer() ? prio.get<int64_t>() : 0;
    p.created = S(meta, "creationTimestamp");
    p.order_time = p.created;
    if (const Json* rq = Cond(w, "Requeued"); rq && S(*rq, "status") == "True") {
      p.order_time = S(*rq, "lastTransitionTime", p.created);
    }
    p.uid = S(meta, "uid");
    const Json* qr = Cond(w, "QuotaReserved");
    p.reason = qr ? S(*qr, "message") : "not evaluated yet";
    if (F(F(w, "spec"), "active") == false) p.reason = "inactive (spec.active=false)";
    pending.push_back(std::move(p));
  }
  std::sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
    if (a.cq != b.cq) return a.cq < b.cq;
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.order_time != b.order_time) return a.order_time < b.order_time;
    return a.uid < b.uid;
  });
  std::cout << "\n";
  if (pending.empty()) {
    std::cout << "No pending workloads.\n";
    return 0;
  }
  std::vector<std::vector<std::string>> prow = {
      {"CLUSTERQUEUE", "POSITION", "WORKLOAD", "LOCALQUEUE", "PRIORITY", "AGE", "WAITING BECAUSE"}};
  std::map<std::string, int> position;
  SystemTime now = std::chrono::system_clock::now();
  for (const Pending& p : pending) {
    auto created = ParseRfc3339(p.created);
    std::string age = created.ok() ? HumanDuration(now - *created) : "<unknown>";
    prow.push_back({p.cq, std::to_string(++position[p.cq]), p.key, p.lq,
                    std::to_string(p.priority), age, p.reason});
  }
  PrintTable(prow);
  return 0;
}

}  // namespace skiff::cli

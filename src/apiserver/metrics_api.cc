// metrics.k8s.io/v1beta1 (metrics-server's resource metrics API): PodMetrics and NodeMetrics
// answered from the node agent's usage samples (base/resource_usage.h), never stored. Only get
// and list, as metrics-server serves; shapes and quantity formats follow metrics-server.
#include <nlohmann/json.hpp>

#include "api/quantity.h"
#include "apiserver/context.h"
#include "apiserver/errors.h"
#include "apiserver/lifecycle.h"
#include "base/resource_usage.h"

namespace skiff::apiserver {
namespace {

constexpr char kApiVersion[] = "metrics.k8s.io/v1beta1";

// resource.NewScaledQuantity(n, -9).String(): the largest power-of-1000 suffix that keeps the
// number whole ("1234567n", "250m", "2").
std::string NanoQuantity(int64_t nanos) {
  if (nanos <= 0) return "0";
  static const char* kSuffix[] = {"n", "u", "m", ""};
  int i = 0;
  while (i < 3 && nanos % 1000 == 0) {
    nanos /= 1000;
    ++i;
  }
  return std::to_string(nanos) + kSuffix[i];
}

// The inverse of NanoQuantity (a whole number with an n/u/m suffix or none).
int64_t ParseNano(const std::string& text) {
  static const std::pair<char, int64_t> kScale[] = {{'n', 1}, {'u', 1000}, {'m', 1000000}};
  std::string digits = text;
  int64_t scale = 1000000000;
  for (const auto& [suffix, s] : kScale) {
    if (!digits.empty() && digits.back() == suffix) {
      digits.pop_back();
      scale = s;
    }
  }
  return std::strtoll(digits.c_str(), nullptr, 10) * scale;
}

// resource.NewQuantity(bytes, BinarySI).String(): "12345Ki", "1500".
std::string BytesQuantity(int64_t bytes) {
  return api::Quantity::FromValue(bytes, api::QuantityFormat::kBinarySI).ToString();
}

// Go's time.Duration.String() for the window ("5.002s", "1m0s", "500ms").
std::string GoDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  int64_t h = ms / 3600000, m = (ms / 60000) % 60, s = (ms / 1000) % 60, frac = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac) {
    std::string f = std::to_string(1000 + frac).substr(1);
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out + "s";
}

Json MetadataOf(const Json& obj, const std::string& now) {
  const Json& m = obj.at("metadata");
  Json meta = {{"name", m.value("name", "")}, {"creationTimestamp", now}};
  if (m.contains("namespace")) meta["namespace"] = m["namespace"];
  if (m.contains("labels") && m["labels"].is_object()) meta["labels"] = m["labels"];
  return meta;
}

// The PodMetrics of a stored pod, or null when it is not running or has no full sample yet
// (metrics-server skips such pods).
Json PodMetricsOf(const Json& pod, const std::string& now) {
  const Json& m = pod.at("metadata");
  if (!pod.contains("status") || pod["status"].value("phase", "") != "Running") return nullptr;
  auto u = usage::FindPodUsage(m.value("namespace", ""), m.value("name", ""));
  if (!u || u->uid != m.value("uid", "") || !u->HasRates()) return nullptr;
  Json containers = Json::array();
  for (const auto& c : u->containers) {
    containers.push_back({{"name", c.name},
                          {"usage",
                           {{"cpu", NanoQuantity(c.cpu_nano_cores)},
                            {"memory", BytesQuantity(c.memory_working_set_bytes)}}}});
  }
  return {{"kind", "PodMetrics"},
          {"apiVersion", kApiVersion},
          {"metadata", MetadataOf(pod, now)},
          {"timestamp", FormatRfc3339(u->timestamp)},
          {"window", GoDuration(u->window)},
          {"containers", containers}};
}

Json NodeMetricsOf(const Json& node, const std::string& now) {
  std::string name = node.at("metadata").value("name", "");
  for (const auto& u : usage::NodeUsages()) {
    if (u.name != name || u.cpu_nano_cores < 0) continue;
    return {{"kind", "NodeMetrics"},
            {"apiVersion", kApiVersion},
            {"metadata", MetadataOf(node, now)},
            {"timestamp", FormatRfc3339(u.timestamp)},
            {"window", GoDuration(u.window)},
            {"usage",
             {{"cpu", NanoQuantity(u.cpu_nano_cores)},
              {"memory", BytesQuantity(u.memory_working_set_bytes)}}}};
  }
  return nullptr;
}

// metrics-server's table: name, one column per resource (summed over containers), window.
Json MetricsTable(const std::vector<Json>& items) {
  Json rows = Json::array();
  for (const Json& it : items) {
    std::string cpu, memory;
    if (it.contains("usage")) {
      cpu = it["usage"].value("cpu", "");
      memory = it["usage"].value("memory", "");
    } else {
      int64_t nanos = 0;
      api::Quantity mem;
      for (const Json& c : it["containers"]) {
        nanos += ParseNano(c["usage"].value("cpu", "0"));
        auto q = api::ParseQuantity(c["usage"].value("memory", "0"));
        if (q.ok()) mem += *q;
      }
      cpu = NanoQuantity(nanos);
      memory = mem.ToString();
    }
    rows.push_back({{"cells", {it["metadata"]["name"], cpu, memory, it["window"]}},
                    {"object",
                     {{"kind", "PartialObjectMetadata"},
                      {"apiVersion", "meta.k8s.io/v1"},
                      {"metadata", it["metadata"]}}}});
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", Json::object()},
          {"columnDefinitions", Json::array({{{"name", "Name"},
                                              {"type", "string"},
                                              {"format", "name"},
                                              {"description", "Name of the resource"},
                                              {"priority", 0}},
                                             {{"name", "cpu"},
                                              {"type", "string"},
                                              {"format", "quantity"},
                                              {"description", ""},
                                              {"priority", 0}},
                                             {{"name", "memory"},
                                              {"type", "string"},
                                              {"format", "quantity"},
                                              {"description", ""},
                                              {"priority", 0}},
                                             {{"name", "Window"},
                                              {"type", "string"},
                                              {"format", "duration"},
                                              {"description", ""},
                                              {"priority", 0}}})},
          {"rows", rows}};
}

StatusOr<std::string> Serve(Context& ctx, const Request& req, const ResourcePath& p) {
  if (req.method != "GET" || req.QueryBool("watch") || !p.subresource.empty()) {
    return ReasonError(405, "MethodNotAllowed",
                       "the server does not allow this method on the requested resource");
  }
  bool pods = p.kind->kind == "PodMetrics";
  std::string source = pods ? "pods" : "nodes";
  api::KindPtr source_kind = ctx.registry->ByResource("", source);
  if (!source_kind) return Internal("no " + source + " kind");
  std::string now = FormatRfc3339(ctx.clock->Now());
  auto metrics_of = [&](const Json& obj) {
    return pods ? PodMetricsOf(obj, now) : NodeMetricsOf(obj, now);
  };
  std::vector<Json> items;
  if (!p.name.empty()) {
    auto obj = ctx.store->Get(source, p.ns, p.name);
    Json m = obj ? metrics_of(*obj->value) : Json();
    if (m.is_null()) {
      std::string key = pods ? p.ns + "/" + p.name : p.name;
      return ReasonError(404, "NotFound",
                         (pods ? "podmetrics" : "nodemetrics") + std::string(".metrics.k8s.io \"") +
                             key + "\" not found");
    }
    items.push_back(std::move(m));
  } else {
    SKIFF_ASSIGN_OR_RETURN(ListFilter filter, MakeListFilter(req, *source_kind));
    auto listed = ctx.store->List(source, p.ns, "", 0,
                                  [&](const store::StoredObject& o) { return filter(*o.value); });
    for (const auto& o : listed.items) {
      Json m = metrics_of(*o->value);
      if (!m.is_null()) items.push_back(std::move(m));
    }
  }
  if (WantsTable(req)) return DumpJson(MetricsTable(items));
  if (!p.name.empty()) return DumpJson(items[0]);
  Json list = {{"kind", p.kind->list_kind},
               {"apiVersion", kApiVersion},
               {"metadata", Json::object()},
               {"items", std::move(items)}};
  return DumpJson(list);
}

}  // namespace

Awaitable<void> HandleMetricsApi(Context& ctx, Request& req, ResponseWriter& w,
                                 const ResourcePath& p) {
  auto body = Serve(ctx, req, p);
  if (!body.ok()) co_return co_await w.Send(ErrorResponse(body.status()));
  co_await w.Send(MakeResponse(200, "application/json", std::move(*body)));
}

}  // namespace skiff::apiserver

// Discovery documents (/api, /api/v1, /apis, /apis/{g}, /apis/{g}/{v}) and the
// OpenAPI v3 documents kubectl's field validation and `explain` rely on.
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "apiserver/context.h"
#include "apiserver/errors.h"

namespace skiff::apiserver {
namespace {

const std::vector<std::string> kVerbs = {"create", "delete", "deletecollection", "get",
                                         "list",   "patch",  "update",           "watch"};

Json ResourceList(Context& ctx, const std::string& group, const std::string& version) {
  Json resources = Json::array();
  for (const auto& k : ctx.registry->All()) {
    if (k->group != group) continue;
    const api::KindVersion* kv = k->Version(version);
    if (!kv) continue;
    Json r = {{"name", k->plural},  {"singularName", k->singular}, {"namespaced", k->namespaced},
              {"kind", k->kind},    {"verbs", kVerbs}};
    if (group == "metrics.k8s.io") r["verbs"] = {"get", "list"};  // read-only (metrics_api.cc)
    if (!k->short_names.empty()) r["shortNames"] = k->short_names;
    if (!k->categories.empty()) r["categories"] = k->categories;
    resources.push_back(r);
    if (kv->status_subresource) {
      resources.push_back({{"name", k->plural + "/status"}, {"singularName", ""},
                           {"namespaced", k->namespaced}, {"kind", k->kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
    if (kv->scale_subresource) {
      resources.push_back({{"name", k->plural + "/scale"}, {"singularName", ""},
                           {"namespaced", k->namespaced}, {"group", "autoscaling"},
                           {"version", "v1"}, {"kind", "Scale"},
                           {"verbs", {"get", "patch", "update"}}});
    }
    if (k->ResourceId() == "pods") {
      resources.push_back({{"name", "pods/log"}, {"singularName", ""}, {"namespaced", true},
                           {"kind", "Pod"}, {"verbs", {"get"}}});
      resources.push_back({{"name", "pods/binding"}, {"singularName", ""}, {"namespaced", true},
                           {"kind", "Binding"}, {"verbs", {"create"}}});
    }
    if (k->ResourceId() == "namespaces") {
      resources.push_back({{"name", "namespaces/finalize"}, {"singularName", ""},
                           {"namespaced", false}, {"kind", "Namespace"}, {"verbs", {"update"}}});
    }
  }
  return {{"kind", "APIResourceList"}, {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", resources}};
}

// group -> versions in preference order.
std::map<std::string, std::vector<std::string>> Groups(Context& ctx) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& k : ctx.registry->All()) {
    auto& vs = out[k->group];
    for (const auto& v : k->versions) {
      if (std::find(vs.begin(), vs.end(), v.name) == vs.end()) {
        if (v.storage) {
          vs.insert(vs.begin(), v.name);
        } else {
          vs.push_back(v.name);
        }
      }
    }
  }
  return out;
}

Json GroupJson(const std::string& name, const std::vector<std::string>& versions) {
  Json vs = Json::array();
  for (const auto& v : versions) vs.push_back({{"groupVersion", name + "/" + v}, {"version", v}});
  return {{"name", name}, {"versions", vs}, {"preferredVersion", vs[0]}};
}

Response Ok(const Json& j) { return Response{200, "application/json", DumpJson(j), {}}; }

Response NotFoundResponse() {
  return ErrorResponse(ReasonError(404, "NotFound", "the server could not find the requested resource"));
}

}  // namespace

Response HandleDiscovery(Context& ctx, const Request& req) {
  const std::string& path = req.path;
  if (path == "/api" || path == "/api/") {
    return Ok({{"kind", "APIVersions"}, {"versions", {"v1"}},
               {"serverAddressByClientCIDRs",
                {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", ctx.server_address}}}}});
  }
  if (path == "/api/v1") return Ok(ResourceList(ctx, "", "v1"));
  auto groups = Groups(ctx);
  if (path == "/apis" || path == "/apis/") {
    Json list = Json::array();
    for (const auto& [g, vs] : groups) {
      if (!g.empty()) list.push_back(GroupJson(g, vs));
    }
    return Ok({{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", list}});
  }
  if (path.starts_with("/apis/")) {
    std::string rest = path.substr(6);
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    auto slash = rest.find('/');
    std::string g = rest.substr(0, slash);
    auto it = groups.find(g);
    if (it == groups.end() || g.empty()) return NotFoundResponse();
    if (slash == std::string::npos) {
      Json j = GroupJson(g, it->second);
      j["kind"] = "APIGroup";
      j["apiVersion"] = "v1";
      return Ok(j);
    }
    std::string v = rest.substr(slash + 1);
    if (std::find(it->second.begin(), it->second.end(), v) == it->second.end()) {
      return NotFoundResponse();
    }
    return Ok(ResourceList(ctx, g, v));
  }
  return NotFoundResponse();
}

namespace {

Json Operation(const api::KindInfo& k, const std::string& version, bool with_validation) {
  Json op = {{"x-kubernetes-group-version-kind",
              {{"group", k.group}, {"version", version}, {"kind", k.kind}}},
             {"responses", {{"200", {{"description", "OK"}}}}}};
  if (with_validation) {
    op["parameters"] = Json::array({{{"name", "fieldValidation"}, {"in", "query"},
                                     {"schema", {{"type", "string"}}}},
                                    {{"name", "dryRun"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                                    {{"name", "fieldManager"}, {"in", "query"}, {"schema", {{"type", "string"}}}}});
  }
  return op;
}

std::string SchemaName(const api::KindInfo& k, const std::string& version) {
  return (k.group.empty() ? std::string("io.k8s.api.core") : k.group) + "." + version + "." + k.kind;
}

Json GroupVersionDoc(Context& ctx, const std::string& group, const std::string& version) {
  Json paths = Json::object();
  Json schemas = Json::object();
  std::string prefix = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  for (const auto& k : ctx.registry->All()) {
    if (k->group != group) continue;
    const api::KindVersion* kv = k->Version(version);
    if (!kv) continue;
    std::string ref = "#/components/schemas/" + SchemaName(*k, version);
    Json body_schema = {{"schema", {{"$ref", ref}}}};
    Json patch = Operation(*k, version, true);
    patch["requestBody"] = {{"content",
                             {{"application/json-patch+json", {{"schema", {{"type", "object"}}}}},
                              {"application/merge-patch+json", {{"schema", {{"type", "object"}}}}},
                              {"application/apply-patch+yaml", {{"schema", {{"type", "object"}}}}}}}};
    Json item = {{"get", Operation(*k, version, false)},
                 {"put", Operation(*k, version, true)},
                 {"patch", patch},
                 {"delete", Operation(*k, version, false)}};
    item["put"]["requestBody"] = {{"content", {{"application/json", body_schema}}}};
    item["get"]["responses"]["200"]["content"] = {{"application/json", body_schema}};
    Json collection = {{"get", Operation(*k, version, false)}, {"post", Operation(*k, version, true)}};
    collection["post"]["requestBody"] = {{"content", {{"application/json", body_schema}}}};
    std::string base = k->namespaced ? prefix + "/namespaces/{namespace}/" + k->plural
                                     : prefix + "/" + k->plural;
    paths[base] = collection;
    paths[base + "/{name}"] = item;
    if (kv->status_subresource) paths[base + "/{name}/status"] = item;
    Json schema = kv->schema_json && kv->schema_json->is_object() ? *kv->schema_json
                                                                  : Json{{"type", "object"}};
    if (!schema.contains("properties")) schema["properties"] = Json::object();
    schema["properties"]["apiVersion"] = {{"type", "string"},
                                          {"description", "APIVersion defines the versioned schema of this representation of an object."}};
    schema["properties"]["kind"] = {{"type", "string"},
                                    {"description", "Kind is a string value representing the REST resource this object represents."}};
    schema["properties"]["metadata"] = {{"type", "object"},
                                        {"description", "Standard object's metadata."}};
    schema["x-kubernetes-group-version-kind"] =
        Json::array({{{"group", k->group}, {"version", version}, {"kind", k->kind}}});
    schemas[SchemaName(*k, version)] = schema;
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Skiff"}, {"version", "v1.32.0"}}},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

// An empty OpenAPI v2 document. Skiff's schemas live in v3; v2 exists so that kubectl's
// fallback path (taken for group/versions the v3 index lacks, e.g. a mistyped apiVersion) can
// finish and report "no matches for kind" instead of failing to download OpenAPI. kubectl asks
// for gnostic's protobuf encoding: Document{swagger(1) "2.0", info(2){title(1), version(2)},
// paths(8){}}.
Response OpenApiV2(const Request& req) {
  if (req.Header("accept").find("protobuf") != std::string::npos) {
    std::string info = std::string("\x0a\x05Skiff\x12\x07v1.32.0", 16);
    std::string doc = std::string("\x0a\x03" "2.0", 5) + "\x12" + char(info.size()) + info +
                      std::string("\x42\x00", 2);
    // kube-openapi answers protobuf as application/octet-stream (Go's mime parser rejects the
    // "@v1.0" media type kubectl asks for).
    return MakeResponse(200, "application/octet-stream", doc);
  }
  return Ok({{"swagger", "2.0"}, {"info", {{"title", "Skiff"}, {"version", "v1.32.0"}}},
             {"paths", Json::object()}});
}

}  // namespace

Response HandleOpenApi(Context& ctx, const Request& req) {
  std::string path = req.path;
  if (path == "/openapi/v2") return OpenApiV2(req);
  if (!path.starts_with("/openapi/v3")) return NotFoundResponse();
  uint64_t gen = ctx.registry->generation();
  std::lock_guard lock(ctx.cache_mu);
  if (ctx.cache_generation != gen) {
    ctx.doc_cache.clear();
    ctx.cache_generation = gen;
  }
  auto cached = ctx.doc_cache.find(path);
  if (cached != ctx.doc_cache.end()) {
    return Response{200, "application/json", cached->second, {}};
  }
  auto groups = Groups(ctx);
  std::string body;
  if (path == "/openapi/v3" || path == "/openapi/v3/") {
    Json paths = Json::object();
    for (const auto& [g, vs] : groups) {
      for (const auto& v : vs) {
        std::string key = g.empty() ? "api/" + v : "apis/" + g + "/" + v;
        paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + std::to_string(gen)}};
      }
    }
    body = DumpJson(Json{{"paths", paths}});
  } else {
    std::string rest = path.substr(std::string("/openapi/v3/").size());
    std::string group, version;
    if (rest.starts_with("api/")) {
      version = rest.substr(4);
    } else if (rest.starts_with("apis/")) {
      rest = rest.substr(5);
      auto slash = rest.find('/');
      if (slash == std::string::npos) return NotFoundResponse();
      group = rest.substr(0, slash);
      version = rest.substr(slash + 1);
    } else {
      return NotFoundResponse();
    }
    auto it = groups.find(group);
    if (it == groups.end() ||
        std::find(it->second.begin(), it->second.end(), version) == it->second.end()) {
      return NotFoundResponse();
    }
    body = DumpJson(GroupVersionDoc(ctx, group, version));
  }
  ctx.doc_cache[path] = body;
  return Response{200, "application/json", body, {}};
}

}  // namespace skiff::apiserver

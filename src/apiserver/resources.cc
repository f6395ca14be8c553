// REST handlers for one resource: get, list, create, update, patch, delete,
// deletecollection and the status/scale subresources.
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "api/field_selector.h"
#include "api/json_patch.h"
#include "api/label_selector.h"
#include "api/managed_fields.h"
#include "api/protobuf.h"
#include "api/conversion.h"
#include "api/strategic_merge.h"
#include "apiserver/admission.h"
#include "apiserver/errors.h"
#include "apiserver/lifecycle.h"
#include "apiserver/object_meta.h"
#include "base/base64.h"

namespace skiff::apiserver {
namespace {

Response JsonResponse(int code, std::string body, const std::vector<std::string>& warnings) {
  Response r{code, "application/json", std::move(body), {}};
  for (const auto& w : warnings) {
    std::string escaped;
    for (char c : w) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    r.headers.emplace_back("Warning", "299 - \"" + escaped + "\"");
  }
  return r;
}

std::string FieldManager(const Request& req) {
  std::string m = req.Query("fieldManager");
  if (!m.empty()) return m;
  std::string ua = req.Header("user-agent");
  return ua.substr(0, ua.find('/'));
}

Status CheckDryRun(const Request& req, bool& dry_run) {
  dry_run = false;
  auto [a, b] = req.query.equal_range("dryRun");
  for (auto it = a; it != b; ++it) {
    if (it->second != "All") {
      return BadRequestError("Invalid dry run value: \"" + it->second + "\": valid values are \"All\"");
    }
    dry_run = true;
  }
  return Status::Ok();
}

Status CheckTypeMeta(const ResourcePath& p, Json& obj) {
  std::string want_api = p.ApiVersion();
  std::string api = obj.value("apiVersion", "");
  std::string kind = obj.value("kind", "");
  if (!api.empty() && api != want_api) {
    return BadRequestError("the API version in the data (" + api +
                           ") does not match the expected API version (" + want_api + ")");
  }
  if (!kind.empty() && kind != p.kind->kind) {
    return BadRequestError("the kind in the data (" + kind + ") does not match the expected kind (" +
                           p.kind->kind + ")");
  }
  obj["apiVersion"] = want_api;
  obj["kind"] = p.kind->kind;
  return Status::Ok();
}

// Objects are stored in the kind's storage version; requests work in their own version.
StatusOr<Json> ToStorage(const ResourcePath& p, const Json& obj) {
  return api::ConvertToVersion(*p.kind, obj, p.kind->StorageVersion().name);
}

// Sets metadata.namespace from the URL; BadRequest when the body disagrees.
Status FixNamespace(const ResourcePath& p, Json& obj) {
  Json& meta = Meta(obj);
  if (!p.kind->namespaced) {
    meta.erase("namespace");
    return Status::Ok();
  }
  std::string ns = MetaString(obj, "namespace");
  if (!ns.empty() && ns != p.ns) {
    return BadRequestError(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  meta["namespace"] = p.ns;
  return Status::Ok();
}

std::string GenerateName(const std::string& prefix) {
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out = prefix.substr(0, 58);
  for (int i = 0; i < 5; ++i) out += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return out;
}

Status CheckNamespaceWritable(Context& ctx, const ResourcePath& p) {
  if (!p.kind->namespaced) return Status::Ok();
  auto ns = ctx.store->Get("namespaces", "", p.ns);
  if (!ns) {
    return ReasonError(404, "NotFound", "namespaces \"" + p.ns + "\" not found");
  }
  if (ns->value->at("metadata").contains("deletionTimestamp")) {
    return ReasonError(403, "Forbidden", "unable to create new content in namespace " + p.ns +
                                             " because it is being terminated");
  }
  return Status::Ok();
}

const Json* SchemaJson(const ResourcePath& p) {
  return p.kind_version ? p.kind_version->schema_json.get() : nullptr;
}

bool HasStatusSubresource(const ResourcePath& p) {
  return p.kind->StorageVersion().status_subresource;
}

// Everything except metadata (and status, when it is a subresource): what bumps generation.
Json SpecPart(const Json& obj, bool status_sub) {
  Json out = obj;
  out.erase("metadata");
  out.erase("apiVersion");
  out.erase("kind");
  if (status_sub) out.erase("status");
  return out;
}

// Response body for a stored object: its stored encoding when no conversion is needed.
std::string StoredBody(Context& ctx, const Request& req, const ResourcePath& p,
                       const store::ObjectPtr& o) {
  if (!WantsTable(req)) return EncodeForVersion(o, p);
  // Printer columns are per version: evaluate them on the object in the requested version.
  Json obj = ToVersion(*o->value, p);
  std::vector<const Json*> objs{&obj};
  return DumpJson(BuildTable(*p.kind, *p.kind_version, objs, false, ctx.clock->Now()));
}

std::string ResponseBody(Context& ctx, const Request& req, const ResourcePath& p,
                         const Json& obj) {
  if (WantsTable(req)) {
    std::vector<const Json*> objs{&obj};
    return DumpJson(BuildTable(*p.kind, *p.kind_version, objs, false, ctx.clock->Now()));
  }
  return DumpJson(ToVersion(obj, p));
}

// The prepared write of an existing object: applies the subresource rules,
// generation, managedFields and admission. `current` is the stored object.
Status PrepareUpdate(Context& ctx, const Request& req, const ResourcePath& p, const Json& current,
                     Json& obj, std::vector<std::string>& warnings, bool managed_fields_done) {
  SKIFF_RETURN_IF_ERROR(CheckTypeMeta(p, obj));
  SKIFF_RETURN_IF_ERROR(FixNamespace(p, obj));
  Json& meta = Meta(obj);
  std::string name = MetaString(current, "name");
  if (meta.contains("name") && meta["name"] != name) {
    return BadRequestError("the name of the object (" + MetaString(obj, "name") +
                           ") does not match the name on the URL (" + name + ")");
  }
  meta["name"] = name;
  std::string uid = MetaString(current, "uid");
  if (meta.contains("uid") && meta["uid"].is_string() && meta["uid"] != uid &&
      !meta["uid"].get<std::string>().empty()) {
    return ConflictError(*p.kind, name,
                         "Precondition failed: UID in precondition: " + MetaString(obj, "uid") +
                             ", UID in object meta: " + uid);
  }
  const Json& cur_meta = current.at("metadata");
  for (const char* k : {"uid", "creationTimestamp", "generation", "deletionTimestamp",
                        "deletionGracePeriodSeconds"}) {
    if (cur_meta.contains(k)) {
      meta[k] = cur_meta[k];
    } else {
      meta.erase(k);
    }
  }
  bool status_sub = HasStatusSubresource(p);
  if (p.subresource == "status") {
    // Only .status changes; everything else comes from the stored object.
    Json merged = current;
    if (obj.contains("status")) {
      merged["status"] = obj["status"];
    } else {
      merged.erase("status");
    }
    if (meta.contains("managedFields")) merged["metadata"]["managedFields"] = meta["managedFields"];
    obj = std::move(merged);
  } else if (status_sub) {
    if (current.contains("status")) {
      obj["status"] = current["status"];
    } else {
      obj.erase("status");
    }
  }
  // Finalizers cannot be added once deletion started.
  if (cur_meta.contains("deletionTimestamp") && obj["metadata"].contains("finalizers")) {
    std::set<std::string> before;
    if (cur_meta.contains("finalizers")) {
      for (const auto& f : cur_meta["finalizers"]) before.insert(f.get<std::string>());
    }
    for (const auto& f : obj["metadata"]["finalizers"]) {
      if (f.is_string() && !before.count(f.get<std::string>())) {
        return InvalidError(*p.kind, name,
                            {{"FieldValueForbidden",
                              "Forbidden: no new finalizers can be added if the object is being "
                              "deleted, found new finalizers []string{\"" +
                                  f.get<std::string>() + "\"}",
                              "metadata.finalizers"}});
      }
    }
  }
  if (SpecPart(obj, status_sub) != SpecPart(current, status_sub)) {
    obj["metadata"]["generation"] = current.at("metadata").value("generation", 1) + 1;
  }
  SKIFF_ASSIGN_OR_RETURN(FieldValidation fv, ParseFieldValidation(req.Query("fieldValidation")));
  AdmissionRequest ar{&p, fv, &current, "UPDATE", p.subresource};
  SKIFF_RETURN_IF_ERROR(Admit(ctx, ar, obj, warnings));
  if (!managed_fields_done) {
    obj = api::UpdateManagedFields(current, obj, FieldManager(req), p.subresource, SchemaJson(p),
                                   p.ApiVersion(), FormatRfc3339(ctx.clock->Now()));
  }
  return Status::Ok();
}

// Everything an update does before writing: subresource rules, generation, admission,
// managedFields and the kind's hooks. `obj` is in the request's version.
Status PrepareWrite(Context& ctx, const Request& req, const ResourcePath& p,
                    const store::ObjectPtr& current, Json& obj, std::vector<std::string>& warnings,
                    bool managed_fields_done) {
  const Json live = ToVersion(*current->value, p);
  SKIFF_RETURN_IF_ERROR(PrepareUpdate(ctx, req, p, live, obj, warnings, managed_fields_done));
  if (p.subresource.empty()) SKIFF_RETURN_IF_ERROR(OnUpdate(ctx, p, live, obj));
  return Status::Ok();
}

// Writes an update of `current` (`obj` in the request's version, stored in the storage
// version); when deletion is pending and no finalizer is left, deletes instead.
Awaitable<StatusOr<store::ObjectPtr>> Commit(Context& ctx, const ResourcePath& p,
                                             const store::ObjectPtr& current, Json request_obj) {
  auto storage = ToStorage(p, request_obj);
  if (!storage.ok()) co_return storage.status();
  Json obj = std::move(*storage);
  const std::string& resource = current->resource;
  if (ReadyToRemove(obj)) {
    co_return co_await AwaitDelete(ctx, resource, current->ns, current->name, current->revision);
  }
  co_return co_await AwaitUpdate(ctx, resource, current->ns, current->name, current->revision,
                                 std::move(obj));
}

Awaitable<void> Get(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p) {
  auto o = ctx.store->Get(p.kind->ResourceId(), p.ns, p.name);
  if (!o) {
    co_await w.Send(ErrorResponse(NotFoundError(*p.kind, p.name)));
    co_return;
  }
  co_await w.Send(JsonResponse(200, StoredBody(ctx, req, p, o), {}));
}

Awaitable<void> List(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p) {
  auto filter = MakeListFilter(req, *p.kind);
  if (!filter.ok()) {
    co_await w.Send(ErrorResponse(filter.status()));
    co_return;
  }
  int64_t limit = 0;
  if (std::string l = req.Query("limit"); !l.empty()) limit = std::atoll(l.c_str());
  std::string start;
  int64_t token_rev = 0;
  if (std::string c = req.Query("continue"); !c.empty()) {
    auto decoded = Base64Decode(c);
    auto tok = decoded ? ParseJson(*decoded) : StatusOr<Json>(InvalidArgument("bad"));
    if (!tok.ok() || !tok->is_object() || !(*tok).contains("start")) {
      co_await w.Send(ErrorResponse(
          ReasonError(400, "BadRequest", "continue key is not valid: illegal base64 data")));
      co_return;
    }
    start = (*tok)["start"].get<std::string>();
    token_rev = (*tok).value("rv", int64_t{0});
  }
  auto result = ctx.store->List(p.kind->ResourceId(), p.ns, start, limit,
                                [&](const store::StoredObject& o) { return (*filter)(*o.value); });
  int64_t rev = token_rev ? token_rev : result.revision;
  std::string cont;
  if (!result.next_key.empty()) {
    cont = Base64Encode(DumpJson(Json{{"v", "meta.k8s.io/v1"}, {"rv", rev}, {"start", result.next_key}}),
                        true, false);
  }
  if (WantsTable(req)) {
    std::vector<Json> converted;
    converted.reserve(result.items.size());
    for (const auto& o : result.items) converted.push_back(ToVersion(*o->value, p));
    std::vector<const Json*> objs;
    for (const auto& o : converted) objs.push_back(&o);
    Json table = BuildTable(*p.kind, *p.kind_version, objs,
                            req.Query("includeObject") == "Object", ctx.clock->Now());
    table["metadata"] = {{"resourceVersion", std::to_string(rev)}};
    if (!cont.empty()) table["metadata"]["continue"] = cont;
    co_await w.Send(JsonResponse(200, DumpJson(table), {}));
    co_return;
  }
  // Items are concatenated from their stored encodings: no re-serialization.
  std::string body = "{\"apiVersion\":\"" + p.ApiVersion() + "\",\"items\":[";
  for (size_t i = 0; i < result.items.size(); ++i) {
    if (i) body += ',';
    body += EncodeForVersion(result.items[i], p);
  }
  body += "],\"kind\":\"" + p.kind->list_kind + "\",\"metadata\":{";
  if (!cont.empty()) body += "\"continue\":\"" + cont + "\",";
  body += "\"resourceVersion\":\"" + std::to_string(rev) + "\"}}";
  co_await w.Send(JsonResponse(200, std::move(body), {}));
}

Awaitable<void> Create(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p) {
  std::vector<std::string> warnings;
  auto fail = [&](const Status& s) -> Awaitable<void> { co_await w.Send(ErrorResponse(s)); };
  bool dry_run;
  if (Status s = CheckDryRun(req, dry_run); !s.ok()) co_return co_await fail(s);
  auto fv = ParseFieldValidation(req.Query("fieldValidation"));
  if (!fv.ok()) co_return co_await fail(fv.status());
  auto body = DecodeBody(req.body, false);
  if (!body.ok()) co_return co_await fail(body.status());
  Json obj = std::move(*body);
  if (!obj.is_object()) co_return co_await fail(BadRequestError("the object provided is not a JSON object"));
  if (Status s = CheckTypeMeta(p, obj); !s.ok()) co_return co_await fail(s);
  if (Status s = FixNamespace(p, obj); !s.ok()) co_return co_await fail(s);
  Json& meta = Meta(obj);
  if (MetaString(obj, "name").empty() && !MetaString(obj, "generateName").empty()) {
    meta["name"] = GenerateName(MetaString(obj, "generateName"));
  }
  if (Status s = CheckNamespaceWritable(ctx, p); !s.ok()) co_return co_await fail(s);
  for (const char* k : {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                        "selfLink", "managedFields"}) {
    meta.erase(k);
  }
  meta["uid"] = NewUid();
  meta["creationTimestamp"] = FormatRfc3339(ctx.clock->Now());
  meta["generation"] = 1;
  if (HasStatusSubresource(p)) obj.erase("status");
  AdmissionRequest ar{&p, *fv, nullptr, "CREATE", ""};
  if (Status s = Admit(ctx, ar, obj, warnings); !s.ok()) co_return co_await fail(s);
  if (Status s = OnCreate(ctx, p, obj); !s.ok()) co_return co_await fail(s);
  obj = api::UpdateManagedFields(Json(), obj, FieldManager(req), "", SchemaJson(p), p.ApiVersion(),
                                 FormatRfc3339(ctx.clock->Now()));
  if (dry_run) {
    co_await w.Send(JsonResponse(201, ResponseBody(ctx, req, p, obj), warnings));
    co_return;
  }
  std::string name = MetaString(obj, "name");
  auto storage = ToStorage(p, obj);
  if (!storage.ok()) co_return co_await fail(storage.status());
  std::string ns = p.kind->namespaced ? p.ns : "";  // GCC 12: no ?: temporaries in co_await
  auto stored = co_await AwaitCreate(ctx, p, ns, name, std::move(*storage));
  if (!stored.ok()) {
    if (stored.status().code() == StatusCode::kAlreadyExists) {
      co_return co_await fail(AlreadyExistsError(*p.kind, name));
    }
    co_return co_await fail(stored.status());
  }
  AfterWrite(ctx, p, *stored);
  co_await w.Send(JsonResponse(201, StoredBody(ctx, req, p, *stored), warnings));
}

Awaitable<void> Update(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p) {
  std::vector<std::string> warnings;
  auto fail = [&](const Status& s) -> Awaitable<void> { co_await w.Send(ErrorResponse(s)); };
  bool dry_run;
  if (Status s = CheckDryRun(req, dry_run); !s.ok()) co_return co_await fail(s);
  auto body = DecodeBody(req.body, false);
  if (!body.ok()) co_return co_await fail(body.status());
  Json obj = std::move(*body);
  if (!obj.is_object()) co_return co_await fail(BadRequestError("the object provided is not a JSON object"));
  auto current = ctx.store->Get(p.kind->ResourceId(), p.ns, p.name);
  if (!current) co_return co_await fail(NotFoundError(*p.kind, p.name));
  std::string rv = obj.contains("metadata") && obj["metadata"].is_object()
                       ? obj["metadata"].value("resourceVersion", "")
                       : "";
  int64_t expected = 0;
  if (!rv.empty()) {
    expected = std::atoll(rv.c_str());
    if (expected != current->revision) co_return co_await fail(ConflictError(*p.kind, p.name));
  } else if (!p.kind->native) {
    // (Built outside co_await: GCC 12 rejects braced initializers inside await expressions.)
    Status s = InvalidError(*p.kind, p.name,
                            {{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                              "metadata.resourceVersion"}});
    co_return co_await fail(s);
  }
  if (Status s = PrepareWrite(ctx, req, p, current, obj, warnings, false); !s.ok()) {
    co_return co_await fail(s);
  }
  if (dry_run) co_return co_await w.Send(JsonResponse(200, ResponseBody(ctx, req, p, obj), warnings));
  auto stored = co_await Commit(ctx, p, current, std::move(obj));
  if (!stored.ok()) {
    if (stored.status().code() == StatusCode::kAborted) co_return co_await fail(ConflictError(*p.kind, p.name));
    co_return co_await fail(stored.status());
  }
  AfterWrite(ctx, p, *stored);
  co_await w.Send(JsonResponse(200, StoredBody(ctx, req, p, *stored), warnings));
}

StatusOr<Json> ApplyPatchBody(const ResourcePath& p, const std::string& content_type,
                              const Json& current, const Json& patch) {
  if (content_type == "application/json-patch+json") return api::ApplyJsonPatch(current, patch);
  if (content_type == "application/merge-patch+json") return api::ApplyMergePatch(current, patch);
  if (content_type == "application/strategic-merge-patch+json") {
    return api::ApplyStrategicMergePatch(current, patch, SchemaJson(p));
  }
  return Internal("unreachable patch type");
}

Awaitable<void> Patch(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p) {
  std::vector<std::string> warnings;
  auto fail = [&](const Status& s) -> Awaitable<void> { co_await w.Send(ErrorResponse(s)); };
  bool dry_run;
  if (Status s = CheckDryRun(req, dry_run); !s.ok()) co_return co_await fail(s);
  std::string ct = req.Header("content-type");
  ct = ct.substr(0, ct.find(';'));
  bool apply = ct == "application/apply-patch+yaml";
  bool strategic = ct == "application/strategic-merge-patch+json";
  if (!apply && ct != "application/json-patch+json" && ct != "application/merge-patch+json" &&
      !(strategic && p.kind->native)) {
    co_return co_await fail(ReasonError(
        415, "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml" +
            std::string(p.kind->native ? ", application/strategic-merge-patch+json" : "")));
  }
  bool force = req.QueryBool("force");
  std::string manager = FieldManager(req);
  if (apply && req.Query("fieldManager").empty()) {
    co_return co_await fail(BadRequestError("fieldManager: Required value: is required for apply patch"));
  }
  if (!apply && req.HasQuery("force")) {
    co_return co_await fail(BadRequestError("force: Forbidden: may not be specified for non-apply patch"));
  }
  auto patch = DecodeBody(req.body, apply);
  if (!patch.ok()) co_return co_await fail(patch.status());
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto current = ctx.store->Get(p.kind->ResourceId(), p.ns, p.name);
    Json obj;
    if (apply) {
      if (!patch->is_object()) co_return co_await fail(BadRequestError("apply patch must be an object"));
      Json config = *patch;
      if (Status s = CheckTypeMeta(p, config); !s.ok()) co_return co_await fail(s);
      if (!current) {
        if (p.subresource == "status") co_return co_await fail(NotFoundError(*p.kind, p.name));
        // Apply creates the object.
        if (Status s = FixNamespace(p, config); !s.ok()) co_return co_await fail(s);
        if (Status s = CheckNamespaceWritable(ctx, p); !s.ok()) co_return co_await fail(s);
        Json& meta = Meta(config);
        if (MetaString(config, "name").empty()) meta["name"] = p.name;
        if (meta["name"] != p.name) {
          co_return co_await fail(BadRequestError("the name of the object (" + MetaString(config, "name") +
                                                  ") does not match the name on the URL (" + p.name + ")"));
        }
        auto applied = api::ServerSideApply(nullptr, config, manager, force, SchemaJson(p),
                                            p.ApiVersion(), FormatRfc3339(ctx.clock->Now()));
        if (!applied.ok()) co_return co_await fail(applied.status());
        obj = std::move(*applied);
        Json& m = Meta(obj);
        m["uid"] = NewUid();
        m["creationTimestamp"] = FormatRfc3339(ctx.clock->Now());
        m["generation"] = 1;
        if (HasStatusSubresource(p)) obj.erase("status");
        auto fv = ParseFieldValidation(req.Query("fieldValidation"));
        if (!fv.ok()) co_return co_await fail(fv.status());
        AdmissionRequest ar{&p, *fv, nullptr, "CREATE", ""};
        if (Status s = Admit(ctx, ar, obj, warnings); !s.ok()) co_return co_await fail(s);
        if (Status s = OnCreate(ctx, p, obj); !s.ok()) co_return co_await fail(s);
        if (dry_run) co_return co_await w.Send(JsonResponse(201, ResponseBody(ctx, req, p, obj), warnings));
        auto storage = ToStorage(p, obj);
        if (!storage.ok()) co_return co_await fail(storage.status());
        std::string ns = p.kind->namespaced ? p.ns : "";  // GCC 12: no ?: temporaries in co_await
        auto stored = co_await AwaitCreate(ctx, p, ns, p.name, std::move(*storage));
        if (!stored.ok() && stored.status().code() == StatusCode::kAlreadyExists) continue;
        if (!stored.ok()) co_return co_await fail(stored.status());
        AfterWrite(ctx, p, *stored);
        co_return co_await w.Send(JsonResponse(201, StoredBody(ctx, req, p, *stored), warnings));
      }
      const Json live = ToVersion(*current->value, p);
      auto applied = api::ServerSideApply(&live, config, manager, force,
                                          SchemaJson(p), p.ApiVersion(),
                                          FormatRfc3339(ctx.clock->Now()));
      if (!applied.ok()) {
        Status s = applied.status();
        if (s.code() == StatusCode::kAborted && s.details()) {
          StatusDetails d = *s.details();
          d.name = p.name;
          d.group = p.kind->group;
          d.kind = p.kind->plural;
          s = Status(s.code(), s.message(), std::move(d));
        }
        co_return co_await fail(s);
      }
      obj = std::move(*applied);
    } else {
      if (!current) co_return co_await fail(NotFoundError(*p.kind, p.name));
      auto patched = ApplyPatchBody(p, ct, ToVersion(*current->value, p), *patch);
      if (!patched.ok()) {
        Status s = patched.status();
        if (!s.details()) s = BadRequestError(s.message());
        co_return co_await fail(s);
      }
      obj = std::move(*patched);
      // A resourceVersion in the patch is a precondition.
      std::string rv = obj.contains("metadata") && obj["metadata"].is_object()
                           ? obj["metadata"].value("resourceVersion", "")
                           : "";
      if (!rv.empty() && rv != std::to_string(current->revision)) {
        co_return co_await fail(ConflictError(*p.kind, p.name));
      }
    }
    if (!obj.is_object()) co_return co_await fail(BadRequestError("patch result is not an object"));
    if (Status s = PrepareWrite(ctx, req, p, current, obj, warnings, apply); !s.ok()) {
      co_return co_await fail(s);
    }
    if (dry_run) co_return co_await w.Send(JsonResponse(200, ResponseBody(ctx, req, p, obj), warnings));
    auto stored = co_await Commit(ctx, p, current, std::move(obj));
    if (!stored.ok() && (stored.status().code() == StatusCode::kAborted ||
                         stored.status().code() == StatusCode::kNotFound)) {
      continue;  // raced with another writer: re-read and re-apply the patch
    }
    if (!stored.ok()) co_return co_await fail(stored.status());
    AfterWrite(ctx, p, *stored);
    co_return co_await w.Send(JsonResponse(200, StoredBody(ctx, req, p, *stored), warnings));
  }
  co_await fail(ConflictError(*p.kind, p.name));
}

Awaitable<void> Delete(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p) {
  auto fail = [&](const Status& s) -> Awaitable<void> { co_await w.Send(ErrorResponse(s)); };
  DeleteOptions opts;
  if (Status s = ParseDeleteOptions(req, opts); !s.ok()) co_return co_await fail(s);
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto current = ctx.store->Get(p.kind->ResourceId(), p.ns, p.name);
    if (!current) co_return co_await fail(NotFoundError(*p.kind, p.name));
    auto plan = PlanDeletion(ctx, *p.kind, *current->value, opts);
    if (!plan.ok()) co_return co_await fail(plan.status());
    if (opts.dry_run) {
      co_return co_await w.Send(JsonResponse(200, DumpJson(ToVersion(plan->object, p)), {}));
    }
    if (plan->remove_now) {
      auto gone = co_await AwaitDelete(ctx, current->resource, current->ns, current->name,
                                       current->revision);
      if (!gone.ok() && gone.status().code() == StatusCode::kAborted) continue;
      if (!gone.ok()) co_return co_await fail(gone.status());
      AfterDelete(ctx, p, *gone);
      if (p.kind->builtin && p.kind->group.empty() && p.kind->kind == "Pod") {
        co_return co_await w.Send(JsonResponse(200, EncodeForVersion(*gone, p), {}));
      }
      co_return co_await w.Send(JsonResponse(
          200, SuccessStatusBody(*p.kind, p.name, MetaString(*current->value, "uid")), {}));
    }
    if (!plan->changed) {
      co_return co_await w.Send(JsonResponse(200, EncodeForVersion(current, p), {}));
    }
    auto stored = co_await AwaitUpdate(ctx, current->resource, current->ns, current->name,
                                       current->revision, std::move(plan->object));
    if (!stored.ok() && stored.status().code() == StatusCode::kAborted) continue;
    if (!stored.ok()) co_return co_await fail(stored.status());
    co_return co_await w.Send(JsonResponse(200, EncodeForVersion(*stored, p), {}));
  }
  co_await fail(ConflictError(*p.kind, p.name));
}

Awaitable<void> DeleteCollection(Context& ctx, Request& req, ResponseWriter& w,
                                 const ResourcePath& p) {
  auto filter = MakeListFilter(req, *p.kind);
  if (!filter.ok()) co_return co_await w.Send(ErrorResponse(filter.status()));
  DeleteOptions opts;
  if (Status s = ParseDeleteOptions(req, opts); !s.ok()) co_return co_await w.Send(ErrorResponse(s));
  auto items = ctx.store->List(p.kind->ResourceId(), p.ns, "", 0,
                               [&](const store::StoredObject& o) { return (*filter)(*o.value); });
  for (const auto& o : items.items) {
    auto plan = PlanDeletion(ctx, *p.kind, *o->value, opts);
    if (!plan.ok() || opts.dry_run) continue;
    if (plan->remove_now) {
      auto gone = co_await AwaitDelete(ctx, o->resource, o->ns, o->name, o->revision);
      if (gone.ok()) AfterDelete(ctx, p, *gone);
    } else if (plan->changed) {
      co_await AwaitUpdate(ctx, o->resource, o->ns, o->name, o->revision, std::move(plan->object));
    }
  }
  Json ok = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
             {"status", "Success"}};
  co_await w.Send(JsonResponse(200, DumpJson(ok), {}));
}

}  // namespace

Awaitable<void> HandleResource(Context& ctx, Request& req, ResponseWriter& w, ResourcePath p) {
  const std::string& m = req.method;
  // kubectl's typed clients (create namespace|configmap|deployment|...) send Kubernetes
  // protobuf and do not fall back to JSON: decode at the edge, handle as JSON from here on.
  if (!req.body.empty() && req.Header("content-type").starts_with(api::kKubernetesProtobufContentType)) {
    auto decoded = api::DecodeKubernetesProtobuf(req.body);
    if (!decoded.ok()) {
      Status s = decoded.status().code() == StatusCode::kUnimplemented
                     ? ReasonError(415, "UnsupportedMediaType", decoded.status().message())
                     : BadRequestError("the object provided is unrecognized: " +
                                       decoded.status().message());
      co_return co_await w.Send(ErrorResponse(s));
    }
    req.body = DumpJson(*decoded);
    req.headers["content-type"] = "application/json";
  }
  if (p.subresource == "scale") co_return co_await HandleScale(ctx, req, w, p);
  if (p.subresource == "log") co_return co_await HandlePodLog(ctx, req, w, p);
  if (p.subresource == "binding") co_return co_await HandlePodBinding(ctx, req, w, p);
  if (p.subresource == "finalize") co_return co_await HandleNamespaceFinalize(ctx, req, w, p);
  if (!p.subresource.empty() && p.subresource != "status") {
    co_return co_await w.Send(ErrorResponse(ReasonError(404, "NotFound", "the server could not find the requested resource")));
  }
  if (p.subresource == "status" && !HasStatusSubresource(p)) {
    co_return co_await w.Send(ErrorResponse(ReasonError(404, "NotFound", "the server could not find the requested resource")));
  }
  if (p.name.empty()) {
    if (m == "GET") {
      if (req.QueryBool("watch")) co_return co_await HandleWatch(ctx, req, w, p);
      co_return co_await List(ctx, req, w, p);
    }
    if (m == "POST") co_return co_await Create(ctx, req, w, p);
    if (m == "DELETE") co_return co_await DeleteCollection(ctx, req, w, p);
  } else {
    if (m == "GET") co_return co_await Get(ctx, req, w, p);
    if (m == "PUT") co_return co_await Update(ctx, req, w, p);
    if (m == "PATCH") co_return co_await Patch(ctx, req, w, p);
    if (m == "DELETE" && p.subresource.empty()) co_return co_await Delete(ctx, req, w, p);
  }
  co_await w.Send(ErrorResponse(ReasonError(405, "MethodNotAllowed",
                                            "the server does not allow this method on the requested resource")));
}

}  // namespace skiff::apiserver

// Client-side and server-side apply, following kubectl's pkg/cmd/apply/{apply,patcher}.go for
// kinds without strategic-merge support (every kind, in Skiff's client).
#include "client/apply.h"

#include <nlohmann/json.hpp>

#include "api/json_patch.h"
#include "client/client.h"

namespace skiff::client {
namespace {

const std::string kAnnotation(kLastAppliedAnnotation);

std::string MetaString(const Json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) {
    return "";
  }
  const Json& meta = obj["metadata"];
  auto it = meta.find(key);
  return it != meta.end() && it->is_string() ? it->get<std::string>() : "";
}

// kubectl's cmdutil.AddSourceToErr: prefixes the message, keeping reason and details.
Status WithSource(const Status& status, const std::string& what, const std::string& source) {
  if (status.ok() || source.empty()) {
    return status;
  }
  std::string message = "error when " + what + " \"" + source + "\": " + status.message();
  if (status.details() != nullptr) {
    return Status(status.code(), std::move(message), *status.details());
  }
  return Status(status.code(), std::move(message));
}

// The resource description kubectl prints for a resource.Info.
std::string Describe(const ResourceInfo& r, const std::string& ns, const std::string& name) {
  return "Resource: \"" + r.GroupVersion() + ", Resource=" + r.plural + "\", GroupVersionKind: \"" +
         r.GroupVersion() + ", Kind=" + r.kind + "\"\nName: \"" + name + "\", Namespace: \"" + ns +
         "\"";
}

// True when every value `want` sets is present and equal in `have`: objects compare key by key
// (extra keys in `have` are allowed), lists element by element with equal length.
bool Subsumes(const Json& have, const Json& want) {
  if (want.is_object()) {
    if (!have.is_object()) {
      return false;
    }
    for (auto it = want.begin(); it != want.end(); ++it) {
      auto h = have.find(it.key());
      if (h == have.end() || !Subsumes(*h, it.value())) {
        return false;
      }
    }
    return true;
  }
  if (want.is_array()) {
    if (!have.is_array() || have.size() != want.size()) {
      return false;
    }
    for (size_t i = 0; i < want.size(); ++i) {
      if (!Subsumes(have[i], want[i])) {
        return false;
      }
    }
    return true;
  }
  return have == want;
}

// A JSON merge patch replaces lists whole, so a list whose elements the server decorated with
// defaults (Service ports gaining `protocol`/`targetPort`, containers gaining
// `terminationMessagePath`) would be re-sent on every apply, and kubectl's "unchanged" would
// become "configured". kubectl avoids that with strategic merge patches for built-in kinds; we
// get the same outcome by dropping a list from the patch when the user's intent for it has not
// changed since the last apply (last-applied == manifest) and the live list still holds every
// value the manifest sets. Lists the user edited, or whose specified values another writer
// changed, are still sent whole.
void PruneDefaultedLists(Json& patch, const Json* original, const Json& modified,
                         const Json& current) {
  if (!patch.is_object() || !modified.is_object() || !current.is_object()) {
    return;
  }
  for (auto it = patch.begin(); it != patch.end();) {
    const std::string& key = it.key();
    auto m = modified.find(key);
    auto c = current.find(key);
    const Json* o = nullptr;
    if (original != nullptr && original->is_object()) {
      auto found = original->find(key);
      o = found != original->end() ? &*found : nullptr;
    }
    if (m == modified.end() || c == current.end()) {
      ++it;
      continue;
    }
    if (it->is_array()) {
      if (o != nullptr && *o == *m && Subsumes(*c, *m)) {
        it = patch.erase(it);
        continue;
      }
    } else if (it->is_object() && !it->empty()) {
      PruneDefaultedLists(*it, o, *m, *c);
      if (it->empty()) {
        it = patch.erase(it);
        continue;
      }
    }
    ++it;
  }
}

}  // namespace

std::string_view ApplyResultVerb(ApplyResult result) {
  switch (result) {
    case ApplyResult::kCreated:
      return "created";
    case ApplyResult::kConfigured:
      return "configured";
    case ApplyResult::kUnchanged:
      return "unchanged";
    case ApplyResult::kServerSideApplied:
      return "serverside-applied";
  }
  return "configured";
}

Json WithLastApplied(const Json& manifest) {
  Json obj = manifest;
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) {
    obj["metadata"] = Json::object();
  }
  Json& meta = obj["metadata"];
  if (!meta.contains("annotations") || !meta["annotations"].is_object()) {
    meta["annotations"] = Json::object();
  }
  meta["annotations"].erase(kAnnotation);
  // runtime.Encode's JSON serializer ends every document with a newline, and kubectl stores
  // that text verbatim.
  std::string applied = DumpJson(obj) + "\n";
  meta["annotations"][kAnnotation] = std::move(applied);
  return obj;
}

Json LastApplied(const Json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return nullptr;
  }
  const Json& meta = object["metadata"];
  if (!meta.contains("annotations") || !meta["annotations"].is_object()) {
    return nullptr;
  }
  auto it = meta["annotations"].find(kAnnotation);
  if (it == meta["annotations"].end() || !it->is_string() || it->get<std::string>().empty()) {
    return nullptr;
  }
  auto parsed = ParseJson(it->get<std::string>());
  if (!parsed.ok() || !parsed->is_object()) {
    return nullptr;
  }
  return *parsed;
}

StatusOr<Json> ComputeApplyPatch(const Json& annotated, const Json& live) {
  Json original = LastApplied(live);
  if (original.is_null()) {
    original = Json::object();
  }
  SKIFF_ASSIGN_OR_RETURN(Json patch, api::CreateThreeWayMergePatch(original, annotated, live));
  PruneDefaultedLists(patch, &original, annotated, live);
  // kubectl's preconditions: apply never changes an object's identity.
  for (const char* key : {"apiVersion", "kind"}) {
    if (patch.is_object() && patch.contains(key)) {
      return InvalidArgument(std::string("precondition failed for: ") + key +
                             " must not change (the manifest and the live object differ)");
    }
  }
  if (patch.is_object() && patch.contains("metadata") && patch["metadata"].is_object() &&
      patch["metadata"].contains("name")) {
    return InvalidArgument("precondition failed for: metadata.name must not change");
  }
  return patch;
}

StatusOr<ApplyOutcome> ApplyObject(Client& client, const ResourceInfo& resource,
                                   const Json& manifest, const ApplyOptions& options) {
  ApplyOutcome out;
  out.resource = resource;
  out.name = MetaString(manifest, "name");
  out.ns = resource.namespaced ? MetaString(manifest, "namespace") : "";
  if (out.name.empty()) {
    return InvalidArgument("resource name may not be empty");
  }

  if (options.server_side) {
    PatchOptions patch{
        .type = PatchType::kApply,
        .field_manager = options.field_manager.empty() ? "kubectl" : options.field_manager,
        .force = options.force_conflicts,
        .field_validation = options.field_validation,
        .subresource = "",
        .dry_run = options.dry_run};
    auto applied = client.Patch(resource, out.ns, out.name, DumpJson(manifest), patch);
    if (!applied.ok()) {
      return WithSource(applied.status(), "applying patch", options.source);
    }
    out.object = std::make_shared<const Json>(*std::move(applied));
    out.result = ApplyResult::kServerSideApplied;
    return out;
  }

  std::string manager =
      options.field_manager.empty() ? "kubectl-client-side-apply" : options.field_manager;
  Json annotated = WithLastApplied(manifest);
  auto live = client.Get(resource, out.ns, out.name);
  if (!live.ok() && live.status().code() == StatusCode::kNotFound) {
    WriteOptions write{.field_manager = manager,
                       .field_validation = options.field_validation,
                       .subresource = "",
                       .dry_run = options.dry_run};
    auto created = client.Create(resource, out.ns, annotated, write);
    if (!created.ok()) {
      return WithSource(created.status(), "creating", options.source);
    }
    out.object = std::make_shared<const Json>(*std::move(created));
    out.result = ApplyResult::kCreated;
    return out;
  }
  if (!live.ok()) {
    return WithSource(live.status(),
                      "retrieving current configuration of:\n" +
                          Describe(resource, out.ns, out.name) + "\nfrom server for:",
                      options.source);
  }
  for (int attempt = 0;; ++attempt) {
    SKIFF_ASSIGN_OR_RETURN(Json patch, ComputeApplyPatch(annotated, *live));
    if (patch.is_object() && patch.empty()) {
      out.object = std::make_shared<const Json>(*live);
      out.result = ApplyResult::kUnchanged;
      return out;
    }
    PatchOptions patch_options{.type = PatchType::kMerge,
                               .field_manager = manager,
                               .force = std::nullopt,
                               .field_validation = options.field_validation,
                               .subresource = "",
                               .dry_run = options.dry_run};
    auto patched = client.Patch(resource, out.ns, out.name, DumpJson(patch), patch_options);
    if (patched.ok()) {
      out.object = std::make_shared<const Json>(*std::move(patched));
      out.result = ApplyResult::kConfigured;
      return out;
    }
    if (patched.status().code() != StatusCode::kAborted ||
        attempt >= options.max_conflict_retries) {
      return WithSource(patched.status(),
                        "applying patch:\n" + DumpJson(patch) + "\nto:\n" +
                            Describe(resource, out.ns, out.name) + "\nfor:",
                        options.source);
    }
    live = client.Get(resource, out.ns, out.name);
    if (!live.ok()) {
      return live.status();
    }
  }
}

}  // namespace skiff::client

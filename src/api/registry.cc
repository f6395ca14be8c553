// Registry: loads built-in kinds (CRD-shaped YAML compiled into the binary) and
// turns any CustomResourceDefinition into a served kind.
#include "api/registry.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/builtin_files.h"
#include "api/meta_validation.h"
#include "api/schema.h"
#include "api/yaml.h"

namespace skiff::api {
namespace {

StatusCause Cause(std::string reason, std::string field, std::string message) {
  return StatusCause{std::move(reason), std::move(message), std::move(field)};
}

// Replaces {x-skiff-ref: Name} nodes with the named definition (recursively).
Status ResolveRefs(Json& node, const Json& defs, int depth) {
  if (depth > 64) return InvalidArgument("x-skiff-ref nesting too deep (cycle?)");
  if (node.is_object()) {
    auto ref = node.find("x-skiff-ref");
    if (ref != node.end()) {
      std::string name = ref->get<std::string>();
      auto def = defs.find(name);
      if (def == defs.end()) return InvalidArgument("unknown x-skiff-ref " + name);
      Json resolved = *def;
      // Siblings extend the definition: `properties` merge by name, other keys replace
      // (how KServe's predictor extends PodSpec, or a Container without a required name).
      for (auto& [k, v] : node.items()) {
        if (k == "x-skiff-ref") continue;
        if (k == "properties" && v.is_object() && resolved.contains("properties") &&
            resolved["properties"].is_object()) {
          for (auto& [pk, pv] : v.items()) resolved["properties"][pk] = pv;
        } else {
          resolved[k] = v;
        }
      }
      node = std::move(resolved);
      return ResolveRefs(node, defs, depth + 1);
    }
    for (auto& [k, v] : node.items()) SKIFF_RETURN_IF_ERROR(ResolveRefs(v, defs, depth + 1));
  } else if (node.is_array()) {
    for (auto& v : node) SKIFF_RETURN_IF_ERROR(ResolveRefs(v, defs, depth + 1));
  }
  return Status::Ok();
}

std::vector<std::string> Strings(const Json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::string Str(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

const KindVersion* KindInfo::Version(std::string_view v) const {
  for (const auto& kv : versions) {
    if (kv.name == v) return &kv;
  }
  return nullptr;
}

const KindVersion& KindInfo::StorageVersion() const {
  for (const auto& kv : versions) {
    if (kv.storage) return kv;
  }
  return versions.front();
}

StatusOr<KindPtr> KindFromCrd(const Json& crd_in, const Json* definitions) {
  if (!crd_in.is_object()) return InvalidArgument("CustomResourceDefinition must be an object");
  Json crd = crd_in;
  if (definitions) SKIFF_RETURN_IF_ERROR(ResolveRefs(crd, *definitions, 0));
  std::vector<StatusCause> causes;
  const Json empty = Json::object();
  const Json& spec = crd.contains("spec") && crd["spec"].is_object() ? crd["spec"] : empty;
  const Json& names = spec.contains("names") && spec["names"].is_object() ? spec["names"] : empty;
  auto k = std::make_shared<KindInfo>();
  k->group = Str(spec, "group");
  k->kind = Str(names, "kind");
  k->plural = Str(names, "plural");
  k->singular = Str(names, "singular");
  k->list_kind = Str(names, "listKind");
  if (k->singular.empty()) {
    k->singular = k->kind;
    std::transform(k->singular.begin(), k->singular.end(), k->singular.begin(), ::tolower);
  }
  if (k->list_kind.empty()) k->list_kind = k->kind + "List";
  k->short_names = Strings(names.value("shortNames", Json()));
  k->categories = Strings(names.value("categories", Json()));
  std::string scope = Str(spec, "scope");
  k->namespaced = scope != "Cluster";
  bool builtin = definitions != nullptr;
  k->builtin = builtin;
  k->native = builtin && (k->group.find('.') == std::string::npos ||
                          (k->group.ends_with(".k8s.io") && !k->group.ends_with(".x-k8s.io")));

  if (!builtin && k->group.find('.') == std::string::npos) {
    causes.push_back(Cause("FieldValueInvalid", "spec.group",
                           "Invalid value: \"" + k->group + "\": should be a domain with at least one dot"));
  }
  if (k->plural.empty() || !IsDns1123Label(k->plural)) {
    causes.push_back(Cause(k->plural.empty() ? "FieldValueRequired" : "FieldValueInvalid",
                           "spec.names.plural",
                           k->plural.empty() ? "Required value"
                                             : "Invalid value: \"" + k->plural +
                                                   "\": a lowercase RFC 1123 label is required"));
  }
  if (!k->singular.empty() && !IsDns1123Label(k->singular)) {
    causes.push_back(Cause("FieldValueInvalid", "spec.names.singular",
                           "Invalid value: \"" + k->singular + "\": a lowercase RFC 1123 label is required"));
  }
  if (k->kind.empty()) causes.push_back(Cause("FieldValueRequired", "spec.names.kind", "Required value"));
  if (scope != "Cluster" && scope != "Namespaced") {
    causes.push_back(Cause("FieldValueNotSupported", "spec.scope",
                           "Unsupported value: \"" + scope + "\": supported values: \"Cluster\", \"Namespaced\""));
  }
  std::string expected_name = k->group.empty() ? k->plural : k->plural + "." + k->group;
  std::string name = crd.contains("metadata") && crd["metadata"].is_object()
                         ? Str(crd["metadata"], "name")
                         : "";
  if (!builtin && name != expected_name) {
    causes.push_back(Cause("FieldValueInvalid", "metadata.name",
                           "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group"));
  }

  const Json& versions = spec.contains("versions") ? spec["versions"] : empty;
  int storage_count = 0;
  if (!versions.is_array() || versions.empty()) {
    causes.push_back(Cause("FieldValueRequired", "spec.versions", "Required value: must have at least one version"));
  } else {
    for (size_t i = 0; i < versions.size(); ++i) {
      const Json& v = versions[i];
      std::string path = "spec.versions[" + std::to_string(i) + "]";
      if (!v.is_object()) {
        causes.push_back(Cause("FieldValueTypeInvalid", path, "must be an object"));
        continue;
      }
      KindVersion kv;
      kv.name = Str(v, "name");
      if (kv.name.empty()) causes.push_back(Cause("FieldValueRequired", path + ".name", "Required value"));
      kv.storage = v.value("storage", false);
      if (kv.storage) ++storage_count;
      bool served = v.value("served", true);
      if (v.contains("schema") && v["schema"].is_object() && v["schema"].contains("openAPIV3Schema")) {
        kv.schema_json = std::make_shared<const Json>(v["schema"]["openAPIV3Schema"]);
        auto compiled = CompileSchema(*kv.schema_json);
        if (!compiled.ok()) {
          std::string prefix = path + ".schema.";
          if (const auto* d = compiled.status().details(); d && !d->causes.empty()) {
            for (auto c : d->causes) {
              c.field = prefix + c.field;
              causes.push_back(std::move(c));
            }
          } else {
            causes.push_back(Cause("FieldValueInvalid", prefix + "openAPIV3Schema",
                                   compiled.status().message()));
          }
          continue;
        }
        kv.schema = std::move(*compiled);
      } else if (!builtin) {
        causes.push_back(Cause("FieldValueRequired", path + ".schema.openAPIV3Schema",
                               "Required value: schemas are required"));
      }
      if (v.contains("subresources") && v["subresources"].is_object()) {
        const Json& sub = v["subresources"];
        kv.status_subresource = sub.contains("status");
        if (sub.contains("scale") && sub["scale"].is_object()) {
          kv.scale_subresource = true;
          kv.scale.spec_replicas_path = Str(sub["scale"], "specReplicasPath");
          kv.scale.status_replicas_path = Str(sub["scale"], "statusReplicasPath");
          kv.scale.label_selector_path = Str(sub["scale"], "labelSelectorPath");
        }
      }
      if (v.contains("additionalPrinterColumns") && v["additionalPrinterColumns"].is_array()) {
        for (const auto& c : v["additionalPrinterColumns"]) {
          if (!c.is_object()) continue;
          kv.columns.push_back(PrinterColumn{Str(c, "name"), Str(c, "type"), Str(c, "format"),
                                             Str(c, "description"), Str(c, "jsonPath"),
                                             c.value("priority", 0)});
        }
      }
      if (v.contains("selectableFields") && v["selectableFields"].is_array()) {
        for (const auto& f : v["selectableFields"]) {
          if (f.is_object()) kv.selectable_fields.push_back(Str(f, "jsonPath"));
        }
      }
      if (served) k->versions.push_back(std::move(kv));
    }
    if (storage_count != 1) {
      causes.push_back(Cause("FieldValueInvalid", "spec.versions",
                             "Invalid value: must have exactly one version marked as storage version"));
    }
  }
  if (!causes.empty()) {
    StatusDetails d;
    d.reason = "Invalid";
    d.kind = "CustomResourceDefinition";
    d.group = "apiextensions.k8s.io";
    d.name = name;
    d.causes = std::move(causes);
    return Status(StatusCode::kInvalidArgument, "invalid CustomResourceDefinition", std::move(d));
  }
  if (k->versions.empty()) return InvalidArgument("no served versions");
  // Preferred version first: the storage version.
  std::stable_partition(k->versions.begin(), k->versions.end(),
                        [](const KindVersion& v) { return v.storage; });
  return KindPtr(std::move(k));
}

StatusOr<std::unique_ptr<Registry>> Registry::LoadBuiltins() {
  auto reg = std::make_unique<Registry>();
  Json definitions = Json::object();
  for (const auto& f : BuiltinKindFiles()) {
    if (f.name == "_definitions.yaml") {
      auto docs = ParseYamlDocuments(f.data);
      if (!docs.ok()) return docs.status().WithContext(std::string(f.name));
      for (auto& d : *docs) definitions.update(d);
    }
  }
  for (const auto& f : BuiltinKindFiles()) {
    if (f.name == "_definitions.yaml") continue;
    auto docs = ParseYamlDocuments(f.data);
    if (!docs.ok()) return docs.status().WithContext(std::string(f.name));
    for (const auto& doc : *docs) {
      auto kind = KindFromCrd(doc, &definitions);
      if (!kind.ok()) {
        std::string why = kind.status().message();
        if (const auto* d = kind.status().details()) {
          for (const auto& c : d->causes) why += "; " + c.field + ": " + c.message;
        }
        return Internal("built-in kind in " + std::string(f.name) + ": " + why);
      }
      reg->by_id_[(*kind)->ResourceId()] = *kind;
    }
  }
  return reg;
}

KindPtr Registry::ByResource(std::string_view group, std::string_view plural) const {
  std::string id = group.empty() ? std::string(plural) : std::string(plural) + "." + std::string(group);
  return ByResourceId(id);
}

KindPtr Registry::ByResourceId(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : it->second;
}

KindPtr Registry::ByKind(std::string_view group, std::string_view kind) const {
  std::lock_guard lock(mu_);
  for (const auto& [id, k] : by_id_) {
    if (k->group == group && k->kind == kind) return k;
  }
  return nullptr;
}

std::vector<KindPtr> Registry::All() const {
  std::lock_guard lock(mu_);
  std::vector<KindPtr> out;
  for (const auto& [id, k] : by_id_) out.push_back(k);
  std::sort(out.begin(), out.end(), [](const KindPtr& a, const KindPtr& b) {
    return std::tie(a->group, a->plural) < std::tie(b->group, b->plural);
  });
  return out;
}

Status Registry::Register(KindPtr kind) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(kind->ResourceId());
  if (it != by_id_.end() && it->second->builtin) {
    return AlreadyExists(kind->ResourceId() + " is a built-in kind");
  }
  by_id_[kind->ResourceId()] = std::move(kind);
  ++generation_;
  return Status::Ok();
}

void Registry::Unregister(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(std::string(id));
  if (it != by_id_.end() && !it->second->builtin) {
    by_id_.erase(it);
    ++generation_;
  }
}

uint64_t Registry::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

}  // namespace skiff::api

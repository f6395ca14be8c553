// Strategic merge patch, ported from apimachinery pkg/util/strategicpatch (the apply half, with
// the apiserver's options MergeParallelList and IgnoreUnmatchedNulls), driven by raw OpenAPI
// schema nodes instead of Go struct tags.
#include "api/strategic_merge.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

namespace skiff::api {
namespace {

constexpr std::string_view kPatchDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kSetOrderPrefix = "$setElementOrder/";
constexpr std::string_view kDeletePrimitivePrefix = "$deleteFromPrimitiveList/";

// metav1.ObjectMeta as kube-openapi publishes it, reduced to what patching and field ownership
// need. CRD schemas leave metadata undescribed, yet kube treats it as ObjectMeta.
const Json& ObjectMetaSchema() {
  static const Json kSchema = Json::parse(R"({
    "type": "object",
    "properties": {
      "name": {"type": "string"}, "namespace": {"type": "string"},
      "generateName": {"type": "string"}, "uid": {"type": "string"},
      "resourceVersion": {"type": "string"}, "generation": {"type": "integer"},
      "creationTimestamp": {"type": "string"}, "deletionTimestamp": {"type": "string"},
      "deletionGracePeriodSeconds": {"type": "integer"}, "selfLink": {"type": "string"},
      "labels": {"type": "object", "additionalProperties": {"type": "string"}},
      "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
      "finalizers": {"type": "array", "items": {"type": "string"},
                     "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"},
      "ownerReferences": {"type": "array",
        "items": {"type": "object", "properties": {
          "apiVersion": {"type": "string"}, "kind": {"type": "string"},
          "name": {"type": "string"}, "uid": {"type": "string"},
          "controller": {"type": "boolean"}, "blockOwnerDeletion": {"type": "boolean"}},
          "x-kubernetes-map-type": "atomic"},
        "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["uid"],
        "x-kubernetes-patch-merge-key": "uid", "x-kubernetes-patch-strategy": "merge"},
      "managedFields": {"type": "array", "x-kubernetes-list-type": "atomic",
                        "items": {"type": "object"}}
    }})");
  return kSchema;
}

// Sees through {"allOf":[{...}]} wrappers (bounded, so cyclic input cannot loop).
const Json* Resolve(const Json* s) {
  for (int i = 0; i < 8 && s != nullptr && s->is_object(); ++i) {
    if (s->contains("properties") || s->contains("items") || s->contains("additionalProperties")) {
      return s;
    }
    auto all = s->find("allOf");
    if (all == s->end() || !all->is_array() || all->empty() || !(*all)[0].is_object()) {
      return s;
    }
    s = &(*all)[0];
  }
  return s != nullptr && s->is_object() ? s : nullptr;
}

// An extension read from the property node itself, else from what it wraps.
const Json* Extension(const Json* s, const char* name) {
  for (const Json* n : {s, Resolve(s)}) {
    if (n != nullptr && n->is_object()) {
      auto it = n->find(name);
      if (it != n->end()) {
        return &*it;
      }
    }
  }
  return nullptr;
}

std::string ExtensionString(const Json* s, const char* name) {
  const Json* v = Extension(s, name);
  return v != nullptr && v->is_string() ? v->get<std::string>() : "";
}

// Patch metadata of one field: its schema, its strategy without "retainKeys", its merge key.
struct FieldMeta {
  const Json* schema = nullptr;
  std::string strategy;
  std::string merge_key;
};

FieldMeta LookupField(const Json* parent, bool root, const std::string& key) {
  FieldMeta m;
  m.schema = root ? SchemaRootField(parent, key) : SchemaField(parent, key);
  std::string strategies = ExtensionString(m.schema, "x-kubernetes-patch-strategy");
  size_t start = 0;
  while (start <= strategies.size()) {
    size_t comma = std::min(strategies.find(',', start), strategies.size());
    std::string s = strategies.substr(start, comma - start);
    if (!s.empty() && s != "retainKeys") {
      m.strategy = s;
    }
    start = comma + 1;
  }
  m.merge_key = ExtensionString(m.schema, "x-kubernetes-patch-merge-key");
  return m;
}

Status PatchError(std::string message) { return InvalidArgument(std::move(message)); }

Status MergeMap(Json& original, Json patch, const Json* schema, bool root);
Status MergeList(Json& original, Json patch, const FieldMeta& meta, bool is_delete_list);

void DiscardNulls(Json& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end();) {
      if (it->is_null()) {
        it = v.erase(it);
      } else {
        DiscardNulls(*it);
        ++it;
      }
    }
  } else if (v.is_array()) {
    for (Json& e : v) {
      DiscardNulls(e);
    }
  }
}

// A patch value for a key the original lacks (or holds with another type): merged into an empty
// container so directives and nulls inside it are resolved rather than stored. Returns nullopt
// when the value is itself a `$patch: delete` map (the key should then be absent).
StatusOr<std::optional<Json>> Fresh(Json v, const FieldMeta& meta) {
  if (v.is_object()) {
    auto d = v.find(kPatchDirective);
    if (d != v.end() && *d == "delete") {
      return std::optional<Json>();
    }
    Json out = Json::object();
    SKIFF_RETURN_IF_ERROR(MergeMap(out, std::move(v), meta.schema, false));
    return std::optional<Json>(std::move(out));
  }
  if (v.is_array()) {
    Json out = Json::array();
    if (meta.strategy == "merge") {
      SKIFF_RETURN_IF_ERROR(MergeList(out, std::move(v), meta, false));
    } else {
      DiscardNulls(v);
      out = std::move(v);
    }
    return std::optional<Json>(std::move(out));
  }
  return std::optional<Json>(std::move(v));
}

// The identity of a list element: its merge-key value for maps, itself for primitives.
const Json* Identity(const Json& item, const std::string& merge_key) {
  if (merge_key.empty()) {
    return &item;
  }
  if (!item.is_object()) {
    return nullptr;
  }
  auto it = item.find(merge_key);
  return it == item.end() ? nullptr : &*it;
}

// Index of the element of `list` with the same identity as `item`, or -1.
long IndexIn(const Json& list, const Json& item, const std::string& merge_key) {
  const Json* id = Identity(item, merge_key);
  for (size_t i = 0; id != nullptr && i < list.size(); ++i) {
    const Json* other = Identity(list[i], merge_key);
    if (other != nullptr && *other == *id) {
      return static_cast<long>(i);
    }
  }
  return -1;
}

// normalizeElementOrder: `patch_items` ordered as in `patch_order`, `server_only` as in
// `server_order`, then interleaved by their positions in `server_order`; where that cannot
// decide, patch items come first (mergeSortedSlice).
Json NormalizeOrder(std::vector<Json> patch_items, std::vector<Json> server_only,
                    const Json& patch_order, const Json& server_order, const std::string& key) {
  auto sort_by = [&key](std::vector<Json>& items, const Json& order) {
    std::stable_sort(items.begin(), items.end(), [&](const Json& a, const Json& b) {
      long ia = IndexIn(order, a, key);
      long ib = IndexIn(order, b, key);
      return ia >= 0 && ib >= 0 && ia < ib;
    });
  };
  sort_by(patch_items, patch_order);
  sort_by(server_only, server_order);
  Json out = Json::array();
  size_t i = 0;
  size_t j = 0;
  while (i < server_only.size() || j < patch_items.size()) {
    bool take_left = j >= patch_items.size();
    if (!take_left && i < server_only.size()) {
      long li = IndexIn(server_order, server_only[i], key);
      long ri = IndexIn(server_order, patch_items[j], key);
      take_left = li >= 0 && ri >= 0 && li < ri;
    }
    out.push_back(std::move(take_left ? server_only[i++] : patch_items[j++]));
  }
  return out;
}

// Splits `merged` into elements whose identity appears in `by` and the rest.
void Partition(Json& merged, const Json& by, const std::string& key, std::vector<Json>& in,
               std::vector<Json>& out) {
  for (Json& e : merged) {
    (IndexIn(by, e, key) >= 0 ? in : out).push_back(std::move(e));
  }
}

enum class Kind { kNull, kObject, kArray, kString, kNumber, kBool };
Kind KindOf(const Json& v) {
  if (v.is_object()) {
    return Kind::kObject;
  }
  if (v.is_array()) {
    return Kind::kArray;
  }
  if (v.is_string()) {
    return Kind::kString;
  }
  if (v.is_number()) {
    return Kind::kNumber;
  }
  if (v.is_boolean()) {
    return Kind::kBool;
  }
  return Kind::kNull;
}

StatusOr<Kind> ElementKind(const Json& a, const Json& b) {
  std::optional<Kind> kind;
  for (const Json* list : {&a, &b}) {
    for (const Json& e : *list) {
      Kind k = KindOf(e);
      if (k == Kind::kArray) {
        return PatchError("lists of lists are not supported in strategic merge patch");
      }
      if (kind && *kind != k) {
        return PatchError("list element types are not identical: " + DumpJson(a) + " and " +
                          DumpJson(b));
      }
      kind = k;
    }
  }
  return kind.value_or(Kind::kNull);
}

Status MergeList(Json& original, Json patch, const FieldMeta& meta, bool is_delete_list) {
  if (original.empty() && patch.empty()) {
    return Status::Ok();
  }
  SKIFF_ASSIGN_OR_RETURN(Kind kind, ElementKind(original, patch));
  const std::string key = kind == Kind::kObject ? meta.merge_key : "";
  Json merged;
  Json order_patch = patch;
  // Positions the interleaving compares against: the list before new elements are appended.
  Json server_order;
  if (kind != Kind::kObject) {
    if (is_delete_list) {
      Json kept = Json::array();
      for (Json& e : original) {
        if (std::find(patch.begin(), patch.end(), e) == patch.end()) {
          kept.push_back(std::move(e));
        }
      }
      original = std::move(kept);
      return Status::Ok();
    }
    server_order = original;
    merged = Json::array();
    for (const Json* list : {&original, &patch}) {
      for (const Json& e : *list) {
        if (std::find(merged.begin(), merged.end(), e) == merged.end()) {
          merged.push_back(e);
        }
      }
    }
  } else {
    if (key.empty()) {
      return PatchError("cannot merge lists without merge key");
    }
    Json plain = Json::array();
    bool replace = false;
    for (Json& e : patch) {
      auto d = e.find(kPatchDirective);
      if (d == e.end()) {
        plain.push_back(std::move(e));
      } else if (*d == "delete") {
        auto k = e.find(key);
        if (k == e.end()) {
          return PatchError("map: " + DumpJson(e) + " does not contain declared merge key: " + key);
        }
        Json kept = Json::array();
        for (Json& o : original) {
          if (!(o.is_object() && o.contains(key) && o[key] == *k)) {
            kept.push_back(std::move(o));
          }
        }
        original = std::move(kept);
      } else if (*d == "replace") {
        replace = true;
      } else if (*d == "merge") {
        return PatchError("merging lists cannot yet be specified in the patch");
      } else {
        return PatchError("unknown patch type: " + DumpJson(*d) + " in map: " + DumpJson(e));
      }
    }
    if (replace) {
      original = Json::array();
    }
    server_order = original;
    FieldMeta item_meta{.schema = SchemaItems(meta.schema), .strategy = "", .merge_key = ""};
    for (Json& e : plain) {
      if (!e.contains(key)) {
        return PatchError("map: " + DumpJson(e) + " does not contain declared merge key: " + key);
      }
      long at = IndexIn(original, e, key);
      if (at >= 0) {
        SKIFF_RETURN_IF_ERROR(MergeMap(original[at], e, item_meta.schema, false));
      } else {
        SKIFF_ASSIGN_OR_RETURN(std::optional<Json> fresh, Fresh(e, item_meta));
        if (fresh) {
          original.push_back(std::move(*fresh));
        }
      }
    }
    if (replace) {
      return Status::Ok();  // the list is exactly the patch's plain elements
    }
    merged = original;
    order_patch = std::move(plain);
  }
  std::vector<Json> patch_items;
  std::vector<Json> server_only;
  Partition(merged, order_patch, key, patch_items, server_only);
  original = NormalizeOrder(std::move(patch_items), std::move(server_only), order_patch,
                            server_order, key);
  return Status::Ok();
}

// $retainKeys: keys of `original` not listed are cleared; every key the patch sets must be listed.
Status ApplyRetainKeys(Json& original, Json& patch) {
  auto it = patch.find(kRetainKeys);
  if (it == patch.end()) {
    return Status::Ok();
  }
  Json keys = std::move(*it);
  patch.erase(it);
  if (!keys.is_array()) {
    return PatchError("invalid patch format of retainKeys");
  }
  for (auto p = patch.begin(); p != patch.end(); ++p) {
    if (p->is_null() || p.key().starts_with(kDeletePrimitivePrefix) ||
        p.key().starts_with(kSetOrderPrefix)) {
      continue;
    }
    if (std::find(keys.begin(), keys.end(), Json(p.key())) == keys.end()) {
      return PatchError("invalid patch format of retainKeys: \"" + p.key() +
                        "\" is set but not listed in $retainKeys");
    }
  }
  for (auto o = original.begin(); o != original.end();) {
    if (std::find(keys.begin(), keys.end(), Json(o.key())) == keys.end()) {
      o = original.erase(o);
    } else {
      ++o;
    }
  }
  return Status::Ok();
}

// $setElementOrder/<list>: merge the list (if patched), then order it by the directive.
Status ApplySetElementOrder(Json& original, Json& patch, const std::string& directive,
                            const Json* schema, bool root) {
  Json order = std::move(patch[directive]);
  patch.erase(directive);
  if (!order.is_array()) {
    return PatchError("invalid patch format of " + directive + ": must be a list");
  }
  const std::string list_key = directive.substr(kSetOrderPrefix.size());
  FieldMeta meta = LookupField(schema, root, list_key);
  auto orig_it = original.find(list_key);
  const bool has_orig = orig_it != original.end() && orig_it->is_array();
  auto patch_it = patch.find(list_key);
  const bool has_patch = patch_it != patch.end();
  if (has_patch && !patch_it->is_array()) {
    return PatchError("invalid patch format of " + directive + ": " + list_key + " is not a list");
  }
  if (!has_orig && !has_patch) {
    return Status::Ok();
  }
  Json server_order = has_orig ? *orig_it : Json::array();
  Json merged = server_order;
  if (has_patch) {
    Json patch_list = std::move(*patch_it);
    patch.erase(list_key);
    if (meta.strategy == "merge") {
      SKIFF_RETURN_IF_ERROR(MergeList(merged, std::move(patch_list), meta, false));
    } else {
      merged = std::move(patch_list);
    }
  }
  std::string key;
  for (const Json& e : merged) {
    if (e.is_object()) {
      key = meta.merge_key;
      if (key.empty()) {
        return PatchError("cannot order list " + list_key + " without a merge key");
      }
      break;
    }
  }
  std::vector<Json> in_order;
  std::vector<Json> server_only;
  Partition(merged, order, key, in_order, server_only);
  original[list_key] =
      NormalizeOrder(std::move(in_order), std::move(server_only), order, server_order, key);
  return Status::Ok();
}

Status MergeMap(Json& original, Json patch, const Json* schema, bool root) {
  if (auto d = patch.find(kPatchDirective); d != patch.end()) {
    if (*d == "delete") {
      original = Json::object();
      return Status::Ok();
    }
    if (*d != "replace") {
      return PatchError("unknown patch type: " + DumpJson(*d) + " in map: " + DumpJson(patch));
    }
    patch.erase(d);
    original = Json::object();
  }
  if (!original.is_object()) {
    original = Json::object();
  }
  SKIFF_RETURN_IF_ERROR(ApplyRetainKeys(original, patch));
  std::vector<std::string> keys;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    keys.push_back(it.key());
  }
  for (const std::string& k : keys) {
    if (k.starts_with(kSetOrderPrefix)) {
      SKIFF_RETURN_IF_ERROR(ApplySetElementOrder(original, patch, k, schema, root));
    }
  }
  // Deletions from primitive lists first, so that a value both deleted and added stays.
  for (const std::string& k : keys) {
    if (!k.starts_with(kDeletePrimitivePrefix)) {
      continue;
    }
    Json v = std::move(patch[k]);
    patch.erase(k);
    std::string list_key = k.substr(kDeletePrimitivePrefix.size());
    if (!v.is_array()) {
      return PatchError("invalid patch format of " + k + ": must be a list");
    }
    auto o = original.find(list_key);
    if (o != original.end() && o->is_array()) {
      SKIFF_RETURN_IF_ERROR(MergeList(*o, std::move(v), LookupField(schema, root, list_key), true));
    }
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& k = it.key();
    Json& v = *it;
    if (k.starts_with("$")) {
      return PatchError("unknown strategic merge patch directive \"" + k + "\"");
    }
    if (v.is_null()) {
      original.erase(k);
      continue;
    }
    FieldMeta meta = LookupField(schema, root, k);
    auto o = original.find(k);
    if (o == original.end() || KindOf(*o) != KindOf(v) || (!v.is_object() && !v.is_array())) {
      SKIFF_ASSIGN_OR_RETURN(std::optional<Json> fresh, Fresh(std::move(v), meta));
      if (fresh) {
        original[k] = std::move(*fresh);
      } else {
        original.erase(k);
      }
    } else if (v.is_object()) {
      if (meta.strategy == "replace") {
        original.erase(k);
        SKIFF_ASSIGN_OR_RETURN(std::optional<Json> fresh, Fresh(std::move(v), meta));
        original[k] = fresh ? std::move(*fresh) : Json::object();
      } else {
        SKIFF_RETURN_IF_ERROR(MergeMap(*o, std::move(v), meta.schema, false));
      }
    } else if (meta.strategy == "merge") {
      SKIFF_RETURN_IF_ERROR(MergeList(*o, std::move(v), meta, false));
    } else {
      *o = std::move(v);
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Json> ApplyStrategicMergePatch(const Json& doc, const Json& patch, const Json* schema) {
  if (!patch.is_object()) {
    return InvalidArgument("strategic merge patch must be a JSON object");
  }
  Json out = doc.is_object() ? doc : Json::object();
  SKIFF_RETURN_IF_ERROR(MergeMap(out, patch, schema, /*root=*/true));
  return out;
}

const Json* SchemaField(const Json* schema, std::string_view name) {
  const Json* s = Resolve(schema);
  if (s == nullptr) {
    return nullptr;
  }
  auto props = s->find("properties");
  if (props != s->end() && props->is_object()) {
    auto p = props->find(name);
    if (p != props->end()) {
      return &*p;
    }
  }
  auto extra = s->find("additionalProperties");
  if (extra != s->end() && extra->is_object()) {
    return &*extra;
  }
  return nullptr;
}

const Json* SchemaRootField(const Json* schema, std::string_view name) {
  const Json* f = SchemaField(schema, name);
  if (name == "metadata") {
    const Json* r = Resolve(f);
    if (r == nullptr || !r->contains("properties")) {
      return &ObjectMetaSchema();
    }
  }
  return f;
}

bool SchemaDeclaresField(const Json* schema, std::string_view name) {
  const Json* s = Resolve(schema);
  if (s == nullptr) {
    return false;
  }
  auto props = s->find("properties");
  return props != s->end() && props->is_object() && props->contains(name);
}

const Json* SchemaItems(const Json* schema) {
  const Json* s = Resolve(schema);
  if (s == nullptr) {
    return nullptr;
  }
  auto items = s->find("items");
  return items != s->end() && items->is_object() ? &*items : nullptr;
}

ListInfo SchemaListInfo(const Json* list_schema) {
  ListInfo info;
  const std::string type = ExtensionString(list_schema, "x-kubernetes-list-type");
  const std::string merge_key = ExtensionString(list_schema, "x-kubernetes-patch-merge-key");
  if (type == "map") {
    info.type = ListType::kMap;
    if (const Json* keys = Extension(list_schema, "x-kubernetes-list-map-keys");
        keys != nullptr && keys->is_array()) {
      for (const Json& k : *keys) {
        if (k.is_string()) {
          info.keys.push_back(k.get<std::string>());
        }
      }
    }
    if (info.keys.empty() && !merge_key.empty()) {
      info.keys.push_back(merge_key);
    }
    if (info.keys.empty()) {
      info.type = ListType::kAtomic;
    }
  } else if (type == "set") {
    info.type = ListType::kSet;
  } else if (type.empty() &&
             ExtensionString(list_schema, "x-kubernetes-patch-strategy").find("merge") !=
                 std::string::npos) {
    info.type = merge_key.empty() ? ListType::kSet : ListType::kMap;
    if (!merge_key.empty()) {
      info.keys.push_back(merge_key);
    }
  }
  return info;
}

bool SchemaMapIsAtomic(const Json* schema) {
  return ExtensionString(schema, "x-kubernetes-map-type") == "atomic";
}

}  // namespace skiff::api

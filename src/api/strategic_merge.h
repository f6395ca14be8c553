// Kubernetes strategic merge patch (apimachinery strategicpatch semantics) for built-in kinds,
// plus the lookups on raw OpenAPI v3 schema nodes that it shares with server-side apply.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// Applies a strategic merge patch (`application/strategic-merge-patch+json`) to `doc`.
// `schema` is the kind's raw OpenAPI v3 schema node (nullptr = unknown: maps merge, lists are
// replaced). Per field the schema supplies x-kubernetes-patch-strategy ("merge", "replace",
// "retainKeys" or "merge,retainKeys") and x-kubernetes-patch-merge-key. Semantics:
//  - maps merge recursively and null deletes a key;
//  - lists whose strategy is "merge" merge by merge key (maps) or as sets (primitives); other
//    lists are replaced;
//  - directives: `$patch: replace|delete` on a map, `$patch: replace|delete` elements in a
//    merging list, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`.
// Errors (InvalidArgument): `patch` is not an object, an unknown `$` directive or `$patch` value,
// a merge-list element without its merge key, mixed element types in a merging list.
StatusOr<Json> ApplyStrategicMergePatch(const Json& doc, const Json& patch, const Json* schema);

// ---- Schema lookups on raw OpenAPI v3 nodes (nullptr means "unknown") ----
// All lookups see through a wrapper of the form {"allOf":[{...}]} as the apiserver's
// OpenAPI v3 documents use around referenced types; "$ref" is not resolved (callers pass
// dereferenced schemas), so an unresolved reference reads as unknown.

// Schema of member `name` of an object schema: properties[name], else additionalProperties when
// it is a schema object. The returned node is the raw property node, so its x-kubernetes-*
// extensions are visible.
const Json* SchemaField(const Json* schema, std::string_view name);
// Like SchemaField, for the top level of an object: "metadata" falls back to a built-in
// ObjectMeta schema (finalizers are a set, ownerReferences a map keyed by uid, labels and
// annotations maps) when the kind's schema does not describe it, as in CRD schemas.
const Json* SchemaRootField(const Json* schema, std::string_view name);
// True when `name` is declared in the schema's properties (a struct field, not a map entry).
bool SchemaDeclaresField(const Json* schema, std::string_view name);
// Element schema of an array schema ("items").
const Json* SchemaItems(const Json* schema);

// How server-side apply treats a list (x-kubernetes-list-type, falling back to the patch strategy
// the way kube-openapi's schemaconv does for built-in types).
enum class ListType { kAtomic, kSet, kMap };
struct ListInfo {
  ListType type = ListType::kAtomic;
  std::vector<std::string> keys;  // for kMap
};
ListInfo SchemaListInfo(const Json* list_schema);
// True for x-kubernetes-map-type: atomic (a map owned and replaced as a whole).
bool SchemaMapIsAtomic(const Json* schema);

}  // namespace skiff::api

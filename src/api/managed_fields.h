// Field ownership (metadata.managedFields, FieldsV1) and server-side apply, following
// sigs.k8s.io/structured-merge-diff as kube-apiserver uses it (reference/kube-api.md §4, §5).
#pragma once

#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// Server-side apply (`application/apply-patch+yaml`) of `config`, the manager's full intent (a
// JSON object), onto `live` (nullptr or null when the object does not exist yet; then the result
// is the new object). Returns the object to store, with metadata.managedFields updated.
//
//  - The result is `live` merged with `config`: maps merge per key, associative lists per
//    element, atomic lists/maps and scalars are replaced. `schema` is the kind's raw OpenAPI v3
//    schema node (nullptr = unknown); lists are associative by x-kubernetes-list-type
//    ("map" keyed by x-kubernetes-list-map-keys, "set") or, for built-in kinds without it, by
//    x-kubernetes-patch-strategy "merge" (with x-kubernetes-patch-merge-key), else atomic; maps
//    with x-kubernetes-map-type "atomic" are owned whole.
//  - Afterwards `manager` (operation "Apply") owns exactly the fields in `config`. Fields it owned
//    before and no longer specifies are removed from the object unless another manager owns them
//    too. A null in `config` removes the field and claims it.
//  - Fields owned by other managers whose value `config` changes are conflicts unless `force`:
//    Status code kAborted, details {reason "Conflict", http_code 409, causes
//    [{reason "FieldManagerConflict", message `conflict with "other" using v1`,
//    field ".spec.size"}]} and message
//    `Apply failed with 1 conflict: conflict with "other" using v1: .spec.size`. With `force`,
//    ownership of those fields moves to `manager`. Setting a field to the value it already has
//    is no conflict: both managers then own it.
//  - As upstream, apiVersion, kind and metadata fields the server controls (name, namespace,
//    uid, resourceVersion, generation, creationTimestamp, managedFields, ...) are never tracked.
// Other errors: InvalidArgument (details "BadRequest", 400) when `config` is not an object or
// carries metadata.managedFields.
StatusOr<Json> ServerSideApply(const Json* live, const Json& config, std::string_view manager,
                               bool force, const Json* schema, std::string_view api_version,
                               std::string_view now_rfc3339);

// Bookkeeping for ordinary writes (create/update/patch, operation "Update"): fields whose values
// differ between `old_obj` (null for a create) and `new_obj` become owned by `manager` for
// `subresource` ("" or "status") and are removed from every other entry; fields that disappeared
// are removed from every entry. Returns `new_obj` with metadata.managedFields rebuilt: one entry
// per (manager, operation, subresource) with apiVersion, time (moved only when the manager's
// fields changed), fieldsType "FieldsV1" and fieldsV1, sorted as upstream (Apply before Update,
// then time, manager, ...); entries left without fields are dropped.
// The starting entries are those in `new_obj` when it carries valid, non-empty managedFields (so
// clients can edit them; `[{}]` resets them), else those of `old_obj`; for a subresource
// always those of `old_obj`. Never fails: malformed managedFields are treated as absent.
Json UpdateManagedFields(const Json& old_obj, const Json& new_obj, std::string_view manager,
                         std::string_view subresource, const Json* schema,
                         std::string_view api_version, std::string_view now_rfc3339);

}  // namespace skiff::api

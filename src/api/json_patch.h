// JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386): applying them for the
// `application/json-patch+json` and `application/merge-patch+json` PATCH bodies, and
// computing merge patches (two-way and kubectl's three-way) for the CLI's apply.
#pragma once

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// Most operations one JSON patch may carry (kube-apiserver's maxJSONPatchOperations).
inline constexpr size_t kMaxJsonPatchOperations = 10000;

// Applies an RFC 6902 operation array to `doc` (which is not modified) and returns the result.
// Errors:
//  - `patch` is not an array of well-formed operations (unknown op, missing "path"/"value"/"from",
//    bad pointer syntax, too many operations): InvalidArgument, details reason "BadRequest" (400).
//  - an operation cannot be applied (missing path, index out of range, failed "test", moving a
//    value into itself, copies growing past a size limit): InvalidArgument, details reason
//    "Invalid" (422); the message names the failing operation.
StatusOr<Json> ApplyJsonPatch(const Json& doc, const Json& patch);

// Applies an RFC 7386 merge patch: objects merge recursively, null deletes, everything else
// (lists included) replaces. `patch` must be an object, else InvalidArgument ("BadRequest", 400).
StatusOr<Json> ApplyMergePatch(const Json& doc, const Json& patch);

// Returns the RFC 7386 patch that turns `original` into `modified` ({} when equal). Both must be
// objects (InvalidArgument otherwise). Lists that differ are carried whole.
StatusOr<Json> CreateMergePatch(const Json& original, const Json& modified);

// kubectl's client-side apply patch for kinds without strategic-merge support
// (jsonmergepatch.CreateThreeWayJSONMergePatch): fields present in `original` (the last-applied
// configuration) but absent from `modified` become null; fields whose value in `current` (the live
// object) differs from `modified` are set; lists are replaced whole. Fields that only `current`
// has (set by the server or other writers) are left alone. All three must be objects.
StatusOr<Json> CreateThreeWayMergePatch(const Json& original, const Json& modified,
                                        const Json& current);

}  // namespace skiff::api

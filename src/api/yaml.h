// YAML <-> JSON codec with the scalar rules of sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 plain
// scalars), so manifests mean the same here as in kubectl and kube-apiserver.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// Deepest nesting of mappings and sequences accepted; deeper input is InvalidArgument so that
// hostile documents cannot exhaust the stack here or in later recursive walks.
inline constexpr int kMaxYamlDepth = kMaxJsonDepth;

// Parses a multi-document YAML stream ("---" separated). Empty and null documents are skipped.
// A single JSON document is accepted too (JSON text is parsed with JSON rules).
// Plain scalars resolve like go-yaml v2: y/yes/on/true (any of their Title/UPPER forms) and
// their negations are booleans; ~, null, empty are null; decimal, 0x, 0o, 0b and leading-0
// octal integers (underscores ignored); floats incl. .inf/.nan. Whole floats that fit int64
// become integers, as sigs.k8s.io/yaml's YAML->JSON->object round trip does. Quoted, block and
// !!str scalars are strings. Mapping keys become strings ("true", "1"). Anchors, aliases and
// "<<" merge keys work; alias expansion is bounded. Errors are InvalidArgument and name the
// line and column: "yaml: line 3, column 5: ...". Never throws.
StatusOr<std::vector<Json>> ParseYamlDocuments(std::string_view text);

// Like ParseYamlDocuments but requires exactly one (non-empty) document.
StatusOr<Json> ParseYamlOrJson(std::string_view text);

// How go-yaml v2 reads `text` as an unquoted (plain) scalar: "yes" -> true, "0x1F" -> 31,
// "~" -> null, "1.5" -> 1.5, anything else -> the string itself.
Json ResolvePlainYamlScalar(std::string_view text);

// Serializes like `kubectl get -o yaml`: 2-space indentation, sequences under a key at the key's
// indentation, keys in the JSON's order, strings quoted only when they would not read back as
// the same string, multi-line strings as literal blocks, "{}" and "[]" for empty containers.
// Ends with a newline. ParseYamlDocuments(ToYaml(x)) == {x} for every non-null x (NaN aside).
// Unlike go-yaml, long strings are not folded at 80 columns (same value, longer lines).
std::string ToYaml(const Json& j);

}  // namespace skiff::api

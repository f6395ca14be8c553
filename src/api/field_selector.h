// Field selectors (`fieldSelector=`, apimachinery pkg/fields): parsing the string form and
// evaluating it through a getter, plus reading a dotted field out of an object.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// An immutable conjunction of `field=value` / `field!=value` terms. Thread-compatible.
class FieldSelector {
 public:
  struct Requirement {
    std::string field;   // e.g. "metadata.name" (not unescaped, not trimmed: as upstream)
    bool equals = true;  // false for !=
    std::string value;   // unescaped
  };

  FieldSelector() = default;  // matches everything
  explicit FieldSelector(std::vector<Requirement> requirements)
      : requirements_(std::move(requirements)) {}

  const std::vector<Requirement>& requirements() const { return requirements_; }
  bool Empty() const { return requirements_.empty(); }
  // `get` returns a field's value, or nullopt when the object lacks it; a missing field compares
  // as "" (kube's fields.Set semantics), so `spec.nodeName=` matches unscheduled pods.
  bool Matches(const std::function<std::optional<std::string>(std::string_view field)>& get) const;
  // Canonical form: terms in parse (sorted) order, "==" written as "=", values re-escaped.
  std::string ToString() const;

 private:
  std::vector<Requirement> requirements_;
};

// Parses "a=b,c!=d" with operators =, == and !=. Backslash escapes ',', '=' and '\' in values;
// terms are sorted as upstream does. Errors: InvalidArgument (details "BadRequest", 400), e.g.
// `invalid selector: 'x'; can't understand 'x'` or
// `invalid field selector: invalid escape sequence: \q`. Which fields a kind supports is the
// caller's check ("field label not supported: ...").
StatusOr<FieldSelector> ParseFieldSelector(std::string_view text);

// Reads a dotted path ("metadata.name", "spec.nodeName", "involvedObject.uid") from `obj`:
// strings as-is, booleans as "true"/"false", numbers in decimal. nullopt when a step is missing
// or the value is null, an object or an array.
std::optional<std::string> GetFieldValue(const Json& obj, std::string_view dotted_path);

}  // namespace skiff::api

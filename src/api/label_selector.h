// Label selectors: the `labelSelector=` string form (apimachinery labels.Parse) and
// metav1.LabelSelector objects (matchLabels/matchExpressions), evaluated against labels.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// An immutable conjunction of requirements. Thread-compatible; cheap to copy.
class LabelSelector {
 public:
  enum class Operator {
    kEquals,        // k=v
    kDoubleEquals,  // k==v
    kNotEquals,     // k!=v (also matches objects without k)
    kIn,            // k in (a,b)
    kNotIn,         // k notin (a,b) (also matches objects without k)
    kExists,        // k
    kDoesNotExist,  // !k
    kGreaterThan,   // k>5 (integers)
    kLessThan,      // k<5 (integers)
  };
  struct Requirement {
    std::string key;
    Operator op = Operator::kExists;
    std::vector<std::string> values;  // sorted, unique
  };

  // The empty selector: matches everything.
  LabelSelector() = default;
  // Requirements are sorted by key, as upstream does, so ToString() is canonical.
  explicit LabelSelector(std::vector<Requirement> requirements);

  // `labels` is the object's metadata.labels (an object of strings, or null/absent = no labels).
  bool Matches(const Json& labels) const;
  bool Empty() const { return requirements_.empty(); }
  // Canonical string form, e.g. "app=demo,tier in (a,b),!legacy"; "" for the empty selector.
  std::string ToString() const;
  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  std::vector<Requirement> requirements_;
};

// Parses the string form: k=v, k==v, k!=v, k in (a,b), k notin (a,b), k, !k, k>5, k<5, joined
// by commas, whitespace tolerant. Keys must be qualified names and values valid label values.
// Errors: InvalidArgument (details reason "BadRequest", 400) with apimachinery's wording, e.g.
// `unable to parse requirement: found '', expected: identifier`.
StatusOr<LabelSelector> ParseLabelSelector(std::string_view text);

// Converts a metav1.LabelSelector object. null and {} give the empty selector (matches
// everything). Errors: InvalidArgument for an unknown operator, a wrong number of values, or an
// invalid key/value.
StatusOr<LabelSelector> LabelSelectorFromJson(const Json& selector);

}  // namespace skiff::api

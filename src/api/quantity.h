// Kubernetes resource.Quantity ("100m", "2Gi", "1e3"): parsing, exact milli-unit arithmetic and
// the canonical string form that kube-apiserver serves back.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// Which suffix family a quantity is written in; kept so ToString() answers in the same family,
// as kube's Quantity.Format does.
enum class QuantityFormat {
  kDecimalSI,        // "", n u m k M G T P E
  kBinarySI,         // Ki Mi Gi Ti Pi Ei
  kDecimalExponent,  // e3, E-2
};

// A resource quantity held as a signed count of milli-units in an int64.
//
// Differences from kube's arbitrary-precision Quantity (deliberate, documented):
// - Precision stops at milli-units: a value with a sub-milli part is rounded up (away from zero),
//   so "100n" reads back as "1m" (kube keeps "100n"; kube's MilliValue() also answers 1).
// - The range is what fits in int64 milli-units (about 9.2e15 units, i.e. ~8 PiB); larger values
//   saturate at the int64 bounds (kube caps at 2^63-1 whole units).
// Everything else (the grammar, the suffixes, the canonical form) follows
// k8s.io/apimachinery/pkg/api/resource. Plain value type; thread-compatible.
class Quantity {
 public:
  Quantity() = default;  // zero
  static Quantity FromMilli(int64_t milli, QuantityFormat format = QuantityFormat::kDecimalSI);
  // Whole units, e.g. FromValue(2 << 30, kBinarySI) is "2Gi". Saturates.
  static Quantity FromValue(int64_t value, QuantityFormat format = QuantityFormat::kDecimalSI);

  int64_t MilliValue() const { return milli_; }
  // Whole units, rounded away from zero like kube's Value() ("100m" -> 1).
  int64_t Value() const;
  QuantityFormat format() const { return format_; }
  bool IsZero() const { return milli_ == 0; }
  int Sign() const { return milli_ > 0 ? 1 : (milli_ < 0 ? -1 : 0); }

  // Saturating arithmetic. The result keeps this quantity's format, or takes `other`'s when this
  // one is zero (kube's Quantity.Add).
  Quantity Add(const Quantity& other) const;
  Quantity Sub(const Quantity& other) const;
  Quantity operator+(const Quantity& other) const { return Add(other); }
  Quantity operator-(const Quantity& other) const { return Sub(other); }
  Quantity& operator+=(const Quantity& other) { return *this = Add(other); }
  Quantity& operator-=(const Quantity& other) { return *this = Sub(other); }

  // Compares amounts only; the format does not take part ("1k" == "1000").
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.milli_ == b.milli_; }
  friend std::strong_ordering operator<=>(const Quantity& a, const Quantity& b) {
    return a.milli_ <=> b.milli_;
  }

  // Canonical form as kube serializes it: "0", "1500m", "1k", "2Gi", "1536Mi", "1e3", "500m".
  std::string ToString() const;

 private:
  Quantity(int64_t milli, QuantityFormat format) : milli_(milli), format_(format) {}
  int64_t milli_ = 0;
  QuantityFormat format_ = QuantityFormat::kDecimalSI;
};

// Parses a quantity string. Errors are InvalidArgument with kube's messages:
// "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
// "unable to parse quantity's suffix" or "unable to parse quantity's numeric part".
StatusOr<Quantity> ParseQuantity(std::string_view text);

// A quantity as it appears in an object: a string ("500m") or, as kube's UnmarshalJSON also
// accepts, a JSON number (2, 0.5). Anything else is InvalidArgument.
StatusOr<Quantity> QuantityFromJson(const Json& value);

}  // namespace skiff::api

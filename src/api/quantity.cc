// Kubernetes resource.Quantity parsing and canonical formatting, after
// k8s.io/apimachinery/pkg/api/resource (quantity.go, amount.go, suffix.go).
#include "api/quantity.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

constexpr std::string_view kErrFormatWrong =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kErrSuffix = "unable to parse quantity's suffix";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The pieces of a quantity string, split exactly like kube's parseQuantityString.
struct QuantityParts {
  bool positive = true;
  std::string_view num;    // integer digits, leading zeros stripped ("0" if none)
  std::string_view denom;  // fraction digits
  std::string_view suffix;
};

StatusOr<QuantityParts> SplitQuantity(std::string_view str) {
  QuantityParts p;
  size_t pos = 0;
  const size_t end = str.size();
  if (pos < end && (str[0] == '-' || str[0] == '+')) {
    p.positive = str[0] == '+';
    ++pos;
  }
  while (pos < end && str[pos] == '0') {
    ++pos;
  }
  if (pos >= end) {
    p.num = "0";
    return p;
  }
  size_t i = pos;
  while (i < end && IsDigit(str[i])) {
    ++i;
  }
  p.num = str.substr(pos, i - pos);
  if (p.num.empty()) {
    p.num = "0";
  }
  pos = i;
  if (pos < end && str[pos] == '.') {
    ++pos;
    i = pos;
    while (i < end && IsDigit(str[i])) {
      ++i;
    }
    p.denom = str.substr(pos, i - pos);
    pos = i;
  }
  const size_t suffix_start = pos;
  while (pos < end && std::string_view("eEinumkKMGTP").find(str[pos]) != std::string_view::npos) {
    ++pos;
  }
  if (pos < end && (str[pos] == '-' || str[pos] == '+')) {
    ++pos;
  }
  while (pos < end && IsDigit(str[pos])) {
    ++pos;
  }
  if (pos != end) {
    return InvalidArgument(std::string(kErrFormatWrong));
  }
  p.suffix = str.substr(suffix_start);
  return p;
}

struct SuffixInfo {
  int base;      // 10 or 2
  int exponent;  // power of `base`
  QuantityFormat format;
};

StatusOr<SuffixInfo> InterpretSuffix(std::string_view s) {
  static constexpr struct {
    std::string_view suffix;
    int exponent;
  } kDecimal[] = {{"n", -9}, {"u", -6}, {"m", -3}, {"", 0},   {"k", 3},
                  {"M", 6},  {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}},
    kBinary[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  for (const auto& d : kDecimal) {
    if (d.suffix == s) {
      return SuffixInfo{10, d.exponent, QuantityFormat::kDecimalSI};
    }
  }
  for (const auto& b : kBinary) {
    if (b.suffix == s) {
      return SuffixInfo{2, b.exponent, QuantityFormat::kBinarySI};
    }
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    std::string_view digits = s.substr(1);
    if (!digits.empty() && digits[0] == '+') {
      digits.remove_prefix(1);  // Go's ParseInt accepts a leading '+'
      if (!digits.empty() && digits[0] == '-') {
        return InvalidArgument(std::string(kErrSuffix));
      }
    }
    int64_t exp = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), exp);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) {
      return InvalidArgument(std::string(kErrSuffix));
    }
    // Anything past +-1000 saturates or rounds to the smallest unit anyway.
    exp = std::clamp<int64_t>(exp, -1000, 1000);
    return SuffixInfo{10, static_cast<int>(exp), QuantityFormat::kDecimalExponent};
  }
  return InvalidArgument(std::string(kErrSuffix));
}

// Doubles a decimal digit string in place.
void DoubleDecimal(std::string& digits) {
  int carry = 0;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = (digits[i] - '0') * 2 + carry;
    digits[i] = static_cast<char>('0' + d % 10);
    carry = d / 10;
  }
  if (carry) {
    digits.insert(digits.begin(), static_cast<char>('0' + carry));
  }
}

// Parses up to 19 decimal digits; saturates at kMax.
int64_t DigitsToInt64Saturating(std::string_view digits) {
  if (digits.size() > 19) {
    return kMax;
  }
  uint64_t v = 0;
  for (char c : digits) {
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v > static_cast<uint64_t>(kMax) ? kMax : static_cast<int64_t>(v);
}

// Magnitude in milli-units of digits * 10^scale10 * 2^exp2, rounded up, saturating at kMax.
int64_t MilliMagnitude(std::string digits, int64_t scale10, int exp2) {
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    return 0;
  }
  digits.erase(0, first);
  while (digits.back() == '0') {  // trailing zeros only shorten the arithmetic
    digits.pop_back();
    ++scale10;
  }
  // Anything with more than 19 integer digits saturates; no need to compute it.
  if (static_cast<int64_t>(digits.size()) + scale10 > 40) {
    return kMax;
  }
  for (int i = 0; i < exp2; ++i) {
    DoubleDecimal(digits);
  }
  if (scale10 >= 0) {
    if (digits.size() + static_cast<size_t>(scale10) > 19) {
      return kMax;
    }
    digits.append(static_cast<size_t>(scale10), '0');
    return DigitsToInt64Saturating(digits);
  }
  const size_t frac = static_cast<size_t>(-static_cast<int64_t>(scale10));
  if (frac >= digits.size()) {
    return 1;  // a non-zero amount below one milli-unit rounds up to 1m
  }
  std::string_view whole(digits.data(), digits.size() - frac);
  std::string_view rest(digits.data() + whole.size(), frac);
  int64_t v = DigitsToInt64Saturating(whole);
  if (rest.find_first_not_of('0') != std::string_view::npos && v < kMax) {
    ++v;
  }
  return v;
}

int64_t SaturatingMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) {
    return (a < 0) != (b < 0) ? kMin : kMax;
  }
  return r;
}

std::string_view DecimalSuffix(int exponent) {
  switch (exponent) {
    case -9:
      return "n";
    case -6:
      return "u";
    case -3:
      return "m";
    case 3:
      return "k";
    case 6:
      return "M";
    case 9:
      return "G";
    case 12:
      return "T";
    case 15:
      return "P";
    case 18:
      return "E";
    default:
      return "";
  }
}

}  // namespace

Quantity Quantity::FromMilli(int64_t milli, QuantityFormat format) {
  return Quantity(milli, format);
}

Quantity Quantity::FromValue(int64_t value, QuantityFormat format) {
  return Quantity(SaturatingMul(value, 1000), format);
}

int64_t Quantity::Value() const {
  int64_t v = milli_ / 1000;
  if (milli_ % 1000 != 0) {
    v += milli_ > 0 ? 1 : -1;
  }
  return v;
}

Quantity Quantity::Add(const Quantity& other) const {
  int64_t r;
  if (__builtin_add_overflow(milli_, other.milli_, &r)) {
    r = other.milli_ > 0 ? kMax : kMin;
  }
  return Quantity(r, milli_ == 0 ? other.format_ : format_);
}

Quantity Quantity::Sub(const Quantity& other) const {
  int64_t r;
  if (__builtin_sub_overflow(milli_, other.milli_, &r)) {
    r = other.milli_ < 0 ? kMax : kMin;
  }
  return Quantity(r, milli_ == 0 ? other.format_ : format_);
}

std::string Quantity::ToString() const {
  if (milli_ == 0) {
    return "0";
  }
  QuantityFormat format = format_;
  if (format == QuantityFormat::kBinarySI) {
    // kube: below 1024 (or not a whole number of units) binary suffixes would round; use SI.
    if ((milli_ > -1024000 && milli_ < 1024000) || milli_ % 1000 != 0) {
      format = QuantityFormat::kDecimalSI;
    }
  }
  if (format == QuantityFormat::kBinarySI) {
    int64_t amount = milli_ / 1000;
    int exponent = 0;
    while (amount % 1024 == 0 && exponent < 6) {
      amount /= 1024;
      ++exponent;
    }
    static constexpr std::string_view kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    return std::to_string(amount) + std::string(kBinary[exponent]);
  }
  // AsCanonicalBytes: strip factors of ten, then step the exponent down to a multiple of 3.
  int64_t amount = milli_;
  int exponent = -3;
  while (amount % 10 == 0) {
    amount /= 10;
    ++exponent;
  }
  switch (((exponent % 3) + 3) % 3) {
    case 1:
      amount *= 10;
      exponent -= 1;
      break;
    case 2:
      amount *= 100;
      exponent -= 2;
      break;
    default:
      break;
  }
  std::string out = std::to_string(amount);
  if (format == QuantityFormat::kDecimalExponent) {
    if (exponent != 0) {
      out += "e" + std::to_string(exponent);
    }
  } else {
    out += DecimalSuffix(exponent);
  }
  return out;
}

StatusOr<Quantity> ParseQuantity(std::string_view text) {
  if (text.empty()) {
    return InvalidArgument(std::string(kErrFormatWrong));
  }
  SKIFF_ASSIGN_OR_RETURN(QuantityParts parts, SplitQuantity(text));
  SKIFF_ASSIGN_OR_RETURN(SuffixInfo suffix, InterpretSuffix(parts.suffix));

  std::string digits;
  digits.reserve(parts.num.size() + parts.denom.size());
  digits.append(parts.num).append(parts.denom);
  const int64_t frac = static_cast<int64_t>(parts.denom.size());
  int64_t magnitude = suffix.base == 10
                          ? MilliMagnitude(std::move(digits), suffix.exponent + 3 - frac, 0)
                          : MilliMagnitude(std::move(digits), 3 - frac, suffix.exponent);
  QuantityFormat format = suffix.format;
  // kube: a binary amount strictly between 0 and 1 switches to DecimalSI to avoid rounding.
  if (format == QuantityFormat::kBinarySI && magnitude > 0 && magnitude < 1000) {
    format = QuantityFormat::kDecimalSI;
  }
  return Quantity::FromMilli(parts.positive ? magnitude : -magnitude, format);
}

StatusOr<Quantity> QuantityFromJson(const Json& value) {
  if (value.is_string()) {
    return ParseQuantity(value.get_ref<const std::string&>());
  }
  if (value.is_number()) {
    return ParseQuantity(value.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  return InvalidArgument("quantity must be a string or a number");
}

}  // namespace skiff::api

// Label selector parsing and matching, following apimachinery pkg/labels/selector.go (lexer,
// parser, requirement validation and wording) and metav1.LabelSelectorAsSelector.
#include "api/label_selector.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <variant>

namespace skiff::api {
namespace {

using Op = LabelSelector::Operator;

Status BadRequest(std::string message) {
  StatusDetails d;
  d.reason = "BadRequest";
  d.http_code = 400;
  return Status(StatusCode::kInvalidArgument, std::move(message), std::move(d));
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool IsNamePart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*
bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = std::min(s.find('.', start), s.size());
    std::string_view label = s.substr(start, dot - start);
    auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (label.empty() || !lower_alnum(label.front()) || !lower_alnum(label.back()) ||
        !std::all_of(label.begin(), label.end(),
                     [&](char c) { return lower_alnum(c) || c == '-'; })) {
      return false;
    }
    start = dot + 1;
  }
  return true;
}

constexpr const char* kNameFmt =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

// apimachinery validation.IsQualifiedName.
std::vector<std::string> KeyProblems(std::string_view key) {
  std::vector<std::string> errs;
  std::string_view name = key;
  if (size_t slash = key.find('/'); slash != std::string_view::npos) {
    if (key.find('/', slash + 1) != std::string_view::npos) {
      errs.push_back(
          "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
          "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
          "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "
          "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else if (!IsDnsSubdomain(prefix)) {
      errs.push_back(
          "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
          "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
          "'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errs.push_back("name part must be no more than 63 characters");
  }
  if (!name.empty() && !IsNamePart(name)) {
    errs.push_back(kNameFmt);
  }
  return errs;
}

// apimachinery validation.IsValidLabelValue.
std::vector<std::string> ValueProblems(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) {
    errs.push_back("must be no more than 63 characters");
  }
  if (!v.empty() && !IsNamePart(v)) {
    errs.push_back(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  }
  return errs;
}

std::string Invalid(const std::string& field, std::string_view value,
                    const std::vector<std::string>& errs) {
  std::string msg = field + ": Invalid value: " + Json(std::string(value)).dump(-1, ' ', false, Json::error_handler_t::replace) + ": ";
  for (size_t i = 0; i < errs.size(); ++i) {
    msg += (i ? "; " : "") + errs[i];
  }
  return msg;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

// Gt/Lt: both sides must be integers; true when a > b (greater) or a < b.
bool IntegersOrdered(std::string_view a, std::string_view b, bool greater) {
  int64_t x = 0;
  int64_t y = 0;
  auto [pa, ea] = std::from_chars(a.data(), a.data() + a.size(), x);
  auto [pb, eb] = std::from_chars(b.data(), b.data() + b.size(), y);
  if (a.empty() || b.empty() || ea != std::errc() || eb != std::errc() ||
      pa != a.data() + a.size() || pb != b.data() + b.size()) {
    return false;
  }
  return greater ? x > y : x < y;
}

// labels.NewRequirement: checks the key, the number of values for the operator, and each value.
// Returns an error message or "".
std::string ValidateRequirement(LabelSelector::Requirement& r) {
  if (auto errs = KeyProblems(r.key); !errs.empty()) {
    return Invalid("key", r.key, errs);
  }
  std::sort(r.values.begin(), r.values.end());
  r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
  switch (r.op) {
    case Op::kIn:
    case Op::kNotIn:
      if (r.values.empty()) {
        return "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty";
      }
      break;
    case Op::kEquals:
    case Op::kDoubleEquals:
    case Op::kNotEquals:
      if (r.values.size() != 1) {
        return "values: Invalid value: " + Json(r.values).dump(-1, ' ', false, Json::error_handler_t::replace) +
               ": exact-match compatibility requires one single value";
      }
      break;
    case Op::kExists:
    case Op::kDoesNotExist:
      if (!r.values.empty()) {
        return "values: Invalid value: " + Json(r.values).dump(-1, ' ', false, Json::error_handler_t::replace) +
               ": values set must be empty for exists and does not exist";
      }
      break;
    case Op::kGreaterThan:
    case Op::kLessThan:
      if (r.values.size() != 1) {
        return "values: Invalid value: " + Json(r.values).dump(-1, ' ', false, Json::error_handler_t::replace) +
               ": for 'Gt', 'Lt' operators, exactly one value is required";
      }
      if (!ParseInt(r.values[0])) {
        return "values[0]: Invalid value: " + Json(r.values[0]).dump(-1, ' ', false, Json::error_handler_t::replace) +
               ": for 'Gt', 'Lt' operators, the value must be an integer";
      }
      return "";
  }
  for (size_t i = 0; i < r.values.size(); ++i) {
    if (auto errs = ValueProblems(r.values[i]); !errs.empty()) {
      return Invalid("values[" + std::to_string(i) + "]", r.values[i], errs);
    }
  }
  return "";
}

// ---- Lexer and parser (labels/selector.go) ----

enum class Tok {
  kEnd,
  kIdent,
  kIn,
  kNotIn,
  kEq,
  kDoubleEq,
  kNotEq,
  kNot,
  kGt,
  kLt,
  kOpen,
  kClose,
  kComma
};

struct Token {
  Tok tok;
  std::string lit;
};

bool IsSpecial(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::vector<Token> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    while (i < s.size() && IsSpace(s[i])) {
      ++i;
    }
    if (i >= s.size()) {
      out.push_back({Tok::kEnd, ""});
      return out;
    }
    if (IsSpecial(s[i])) {
      std::string_view two = s.substr(i, 2);
      if (two == "!=" || two == "==") {
        out.push_back({two == "!=" ? Tok::kNotEq : Tok::kDoubleEq, std::string(two)});
        i += 2;
        continue;
      }
      static constexpr std::pair<char, Tok> kSingle[] = {
          {'=', Tok::kEq},    {'!', Tok::kNot}, {'(', Tok::kOpen}, {')', Tok::kClose},
          {',', Tok::kComma}, {'>', Tok::kGt},  {'<', Tok::kLt}};
      for (const auto& [c, t] : kSingle) {
        if (s[i] == c) {
          out.push_back({t, std::string(1, c)});
        }
      }
      ++i;
      continue;
    }
    size_t start = i;
    while (i < s.size() && !IsSpace(s[i]) && !IsSpecial(s[i])) {
      ++i;
    }
    std::string word(s.substr(start, i - start));
    Tok t = word == "in" ? Tok::kIn : word == "notin" ? Tok::kNotIn : Tok::kIdent;
    out.push_back({t, std::move(word)});
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  // Returns requirements or an error message.
  std::variant<std::vector<LabelSelector::Requirement>, std::string> Parse() {
    std::vector<LabelSelector::Requirement> reqs;
    while (true) {
      Token t = Peek(true);
      if (t.tok == Tok::kEnd) {
        return reqs;
      }
      if (t.tok != Tok::kIdent && t.tok != Tok::kNot) {
        return "found '" + t.lit + "', expected: !, identifier, or 'end of string'";
      }
      LabelSelector::Requirement r;
      if (std::string err = ParseRequirement(r); !err.empty()) {
        return "unable to parse requirement: " + err;
      }
      reqs.push_back(std::move(r));
      Token next = Next(true);
      if (next.tok == Tok::kEnd) {
        return reqs;
      }
      if (next.tok != Tok::kComma) {
        return "found '" + next.lit + "', expected: ',' or 'end of string'";
      }
      Token after = Peek(true);
      if (after.tok != Tok::kIdent && after.tok != Tok::kNot) {
        return "found '" + after.lit + "', expected: identifier after ','";
      }
    }
  }

 private:
  // In "values" context the keywords in/notin are ordinary identifiers.
  Token Peek(bool values) const {
    Token t = toks_[std::min(pos_, toks_.size() - 1)];
    if (values && (t.tok == Tok::kIn || t.tok == Tok::kNotIn)) {
      t.tok = Tok::kIdent;
    }
    return t;
  }
  Token Next(bool values) {
    Token t = Peek(values);
    if (pos_ < toks_.size() - 1) {
      ++pos_;
    }
    return t;
  }

  std::string ParseRequirement(LabelSelector::Requirement& r) {
    Token t = Next(true);
    bool negated = t.tok == Tok::kNot;
    if (negated) {
      t = Next(true);
    }
    if (t.tok != Tok::kIdent) {
      return "found '" + t.lit + "', expected: identifier";
    }
    r.key = t.lit;
    if (auto errs = KeyProblems(r.key); !errs.empty()) {
      return Invalid("key", r.key, errs);
    }
    Tok after = Peek(true).tok;
    if (negated || after == Tok::kEnd || after == Tok::kComma) {
      r.op = negated ? Op::kDoesNotExist : Op::kExists;
      return ValidateRequirement(r);
    }
    Token op = Next(false);
    switch (op.tok) {
      case Tok::kIn:
        r.op = Op::kIn;
        break;
      case Tok::kNotIn:
        r.op = Op::kNotIn;
        break;
      case Tok::kEq:
        r.op = Op::kEquals;
        break;
      case Tok::kDoubleEq:
        r.op = Op::kDoubleEquals;
        break;
      case Tok::kNotEq:
        r.op = Op::kNotEquals;
        break;
      case Tok::kGt:
        r.op = Op::kGreaterThan;
        break;
      case Tok::kLt:
        r.op = Op::kLessThan;
        break;
      default:
        return "found '" + op.lit + "', expected: in, notin, =, ==, !=, gt, lt";
    }
    std::string err =
        (r.op == Op::kIn || r.op == Op::kNotIn) ? ParseValues(r.values) : ParseExactValue(r.values);
    return err.empty() ? ValidateRequirement(r) : err;
  }

  std::string ParseValues(std::vector<std::string>& values) {
    Token t = Next(true);
    if (t.tok != Tok::kOpen) {
      return "found '" + t.lit + "' expected: '('";
    }
    t = Peek(true);
    if (t.tok == Tok::kClose) {  // "()" means the empty value
      Next(true);
      values.push_back("");
      return "";
    }
    if (t.tok != Tok::kIdent && t.tok != Tok::kComma) {
      return "found '" + t.lit + "', expected: ',', ')' or identifier";
    }
    while (true) {  // parseIdentifiersList
      Token v = Next(true);
      if (v.tok == Tok::kIdent) {
        values.push_back(v.lit);
        Token n = Peek(true);
        if (n.tok == Tok::kComma) {
          continue;
        }
        if (n.tok == Tok::kClose) {
          break;
        }
        return "found '" + n.lit + "', expected: ',' or ')'";
      }
      if (v.tok != Tok::kComma) {
        return "found '" + v.lit + "', expected: ',', or identifier";
      }
      if (values.empty()) {
        values.push_back("");  // "(,"
      }
      Tok n = Peek(true).tok;
      if (n == Tok::kClose) {
        values.push_back("");  // ",)"
        break;
      }
      if (n == Tok::kComma) {
        Next(true);
        values.push_back("");  // ",,"
      }
    }
    if (Token close = Next(true); close.tok != Tok::kClose) {
      return "found '" + close.lit + "', expected: ')'";
    }
    return "";
  }

  std::string ParseExactValue(std::vector<std::string>& values) {
    Token t = Peek(true);
    if (t.tok == Tok::kEnd || t.tok == Tok::kComma) {
      values.push_back("");
      return "";
    }
    t = Next(true);
    if (t.tok != Tok::kIdent) {
      return "found '" + t.lit + "', expected: identifier";
    }
    values.push_back(t.lit);
    return "";
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
};

}  // namespace

LabelSelector::LabelSelector(std::vector<Requirement> requirements)
    : requirements_(std::move(requirements)) {
  std::stable_sort(requirements_.begin(), requirements_.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
}

bool LabelSelector::Matches(const Json& labels) const {
  for (const Requirement& r : requirements_) {
    std::optional<std::string> value;
    if (labels.is_object()) {
      auto it = labels.find(r.key);
      if (it != labels.end()) {
        value = it->is_string() ? it->get<std::string>() : it->dump();
      }
    }
    auto in_values = [&] {
      return value && std::binary_search(r.values.begin(), r.values.end(), *value);
    };
    bool ok = false;
    switch (r.op) {
      case Op::kIn:
      case Op::kEquals:
      case Op::kDoubleEquals:
        ok = in_values();
        break;
      case Op::kNotIn:
      case Op::kNotEquals:
        ok = !in_values();
        break;
      case Op::kExists:
        ok = value.has_value();
        break;
      case Op::kDoesNotExist:
        ok = !value.has_value();
        break;
      case Op::kGreaterThan:
      case Op::kLessThan:
        ok = value && r.values.size() == 1 &&
             IntegersOrdered(*value, r.values[0], r.op == Op::kGreaterThan);
        break;
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string LabelSelector::ToString() const {
  std::string out;
  for (const Requirement& r : requirements_) {
    if (!out.empty()) {
      out += ",";
    }
    auto joined = [&r] {
      std::string s;
      for (size_t i = 0; i < r.values.size(); ++i) {
        s += (i ? "," : "") + r.values[i];
      }
      return s;
    };
    const std::string first = r.values.empty() ? "" : r.values[0];
    switch (r.op) {
      case Op::kDoesNotExist:
        out += "!" + r.key;
        break;
      case Op::kExists:
        out += r.key;
        break;
      case Op::kIn:
        out += r.key + " in (" + joined() + ")";
        break;
      case Op::kNotIn:
        out += r.key + " notin (" + joined() + ")";
        break;
      case Op::kEquals:
        out += r.key + "=" + first;
        break;
      case Op::kDoubleEquals:
        out += r.key + "==" + first;
        break;
      case Op::kNotEquals:
        out += r.key + "!=" + first;
        break;
      case Op::kGreaterThan:
        out += r.key + ">" + first;
        break;
      case Op::kLessThan:
        out += r.key + "<" + first;
        break;
    }
  }
  return out;
}

StatusOr<LabelSelector> ParseLabelSelector(std::string_view text) {
  Parser parser(Lex(text));
  auto result = parser.Parse();
  if (auto* err = std::get_if<std::string>(&result)) {
    return BadRequest(*err);
  }
  return LabelSelector(std::get<0>(std::move(result)));
}

StatusOr<LabelSelector> LabelSelectorFromJson(const Json& selector) {
  if (selector.is_null()) {
    return LabelSelector();
  }
  if (!selector.is_object()) {
    return InvalidArgument("label selector must be an object");
  }
  std::vector<LabelSelector::Requirement> reqs;
  if (auto ml = selector.find("matchLabels"); ml != selector.end() && !ml->is_null()) {
    if (!ml->is_object()) {
      return InvalidArgument("matchLabels must be an object of strings");
    }
    for (auto it = ml->begin(); it != ml->end(); ++it) {
      if (!it->is_string()) {
        return InvalidArgument("matchLabels must be an object of strings");
      }
      reqs.push_back({it.key(), Op::kEquals, {it->get<std::string>()}});
    }
  }
  if (auto me = selector.find("matchExpressions"); me != selector.end() && !me->is_null()) {
    if (!me->is_array()) {
      return InvalidArgument("matchExpressions must be a list");
    }
    for (const Json& e : *me) {
      if (!e.is_object() || !e.value("key", Json()).is_string() ||
          !e.value("operator", Json()).is_string()) {
        return InvalidArgument("matchExpressions entries need a string key and operator");
      }
      LabelSelector::Requirement r;
      r.key = e["key"].get<std::string>();
      const std::string op = e["operator"].get<std::string>();
      if (op == "In") {
        r.op = Op::kIn;
      } else if (op == "NotIn") {
        r.op = Op::kNotIn;
      } else if (op == "Exists") {
        r.op = Op::kExists;
      } else if (op == "DoesNotExist") {
        r.op = Op::kDoesNotExist;
      } else {
        return InvalidArgument(Json(op).dump(-1, ' ', false, Json::error_handler_t::replace) + " is not a valid label selector operator");
      }
      if (auto vals = e.find("values"); vals != e.end() && !vals->is_null()) {
        if (!vals->is_array()) {
          return InvalidArgument("matchExpressions values must be a list of strings");
        }
        for (const Json& v : *vals) {
          if (!v.is_string()) {
            return InvalidArgument("matchExpressions values must be a list of strings");
          }
          r.values.push_back(v.get<std::string>());
        }
      }
      reqs.push_back(std::move(r));
    }
  }
  for (auto& r : reqs) {
    if (std::string err = ValidateRequirement(r); !err.empty()) {
      return InvalidArgument(err);
    }
  }
  return LabelSelector(std::move(reqs));
}

}  // namespace skiff::api

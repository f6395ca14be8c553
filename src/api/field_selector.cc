// Field selector parsing and matching, after apimachinery pkg/fields/selector.go.
#include "api/field_selector.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

Status BadRequest(std::string message) {
  StatusDetails d;
  d.reason = "BadRequest";
  d.http_code = 400;
  return Status(StatusCode::kInvalidArgument, std::move(message), std::move(d));
}

// Splits on commas not preceded by an escaping backslash.
std::vector<std::string> SplitTerms(std::string_view s) {
  std::vector<std::string> terms;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      cur += s[i];
      cur += s[++i];
    } else if (s[i] == ',') {
      terms.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += s[i];
    }
  }
  terms.push_back(std::move(cur));
  return terms;
}

// Finds the first unescaped operator, trying "!=" and "==" before "=" at each position.
bool SplitTerm(const std::string& term, std::string& lhs, std::string& op, std::string& rhs) {
  for (size_t i = 0; i < term.size(); ++i) {
    if (term[i] == '\\') {
      ++i;
      continue;
    }
    for (const char* candidate : {"!=", "==", "="}) {
      if (term.compare(i, std::char_traits<char>::length(candidate), candidate) == 0) {
        lhs = term.substr(0, i);
        op = candidate;
        rhs = term.substr(i + op.size());
        return true;
      }
    }
  }
  return false;
}

// fields.UnescapeValue.
StatusOr<std::string> Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      if (i + 1 >= s.size()) {
        return BadRequest("invalid field selector: invalid escape sequence: \\");
      }
      char n = s[++i];
      if (n != '\\' && n != ',' && n != '=') {
        return BadRequest(std::string("invalid field selector: invalid escape sequence: \\") + n);
      }
      out += n;
    } else if (c == ',' || c == '=') {
      return BadRequest(std::string("invalid field selector: unescaped character in value: ") + c);
    } else {
      out += c;
    }
  }
  return out;
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == ',' || c == '=') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

}  // namespace

bool FieldSelector::Matches(
    const std::function<std::optional<std::string>(std::string_view field)>& get) const {
  for (const Requirement& r : requirements_) {
    bool same = get(r.field).value_or("") == r.value;
    if (same != r.equals) {
      return false;
    }
  }
  return true;
}

std::string FieldSelector::ToString() const {
  std::string out;
  for (const Requirement& r : requirements_) {
    out += (out.empty() ? "" : ",") + r.field + (r.equals ? "=" : "!=") + Escape(r.value);
  }
  return out;
}

StatusOr<FieldSelector> ParseFieldSelector(std::string_view text) {
  std::vector<std::string> terms = SplitTerms(text);
  std::sort(terms.begin(), terms.end());
  std::vector<FieldSelector::Requirement> reqs;
  for (const std::string& term : terms) {
    if (term.empty()) {
      continue;
    }
    std::string lhs;
    std::string op;
    std::string rhs;
    if (!SplitTerm(term, lhs, op, rhs)) {
      return BadRequest("invalid selector: '" + std::string(text) + "'; can't understand '" + term +
                        "'");
    }
    SKIFF_ASSIGN_OR_RETURN(std::string value, Unescape(rhs));
    reqs.push_back({std::move(lhs), op != "!=", std::move(value)});
  }
  return FieldSelector(std::move(reqs));
}

std::optional<std::string> GetFieldValue(const Json& obj, std::string_view dotted_path) {
  const Json* cur = &obj;
  size_t start = 0;
  while (start <= dotted_path.size()) {
    size_t dot = std::min(dotted_path.find('.', start), dotted_path.size());
    if (!cur->is_object()) {
      return std::nullopt;
    }
    auto it = cur->find(dotted_path.substr(start, dot - start));
    if (it == cur->end()) {
      return std::nullopt;
    }
    cur = &*it;
    start = dot + 1;
  }
  if (cur->is_string()) {
    return cur->get<std::string>();
  }
  if (cur->is_boolean()) {
    return cur->get<bool>() ? "true" : "false";
  }
  if (cur->is_number()) {
    return cur->dump();  // integers print as decimal digits, floats in shortest form
  }
  return std::nullopt;
}

}  // namespace skiff::api

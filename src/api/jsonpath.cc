// JSONPath evaluation over nlohmann::json.
#include "api/jsonpath.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

class Evaluator {
 public:
  explicit Evaluator(std::string_view p) : p_(p) {}

  StatusOr<std::vector<Json>> Run(const Json& root) {
    std::vector<const Json*> cur{&root};
    while (i_ < p_.size()) {
      char c = p_[i_];
      if (c == '.') {
        ++i_;
        if (i_ < p_.size() && p_[i_] == '*') {
          ++i_;
          cur = Children(cur);
          continue;
        }
        std::string key = Ident();
        if (key.empty()) {
          if (i_ == p_.size()) break;  // trailing "." (e.g. "{.}")
          return Bad("expected a field name");
        }
        cur = Field(cur, key);
      } else if (c == '[') {
        ++i_;
        SKIFF_ASSIGN_OR_RETURN(cur, Bracket(cur));
      } else if (c == '@' || c == '$') {
        ++i_;
      } else {
        return Bad("unexpected character");
      }
    }
    std::vector<Json> out;
    for (const Json* j : cur) out.push_back(*j);
    return out;
  }

 private:
  Status Bad(const char* what) {
    return InvalidArgument(std::string("invalid JSONPath \"") + std::string(p_) + "\": " + what +
                           " at position " + std::to_string(i_));
  }

  std::string Ident() {
    size_t start = i_;
    while (i_ < p_.size() && p_[i_] != '.' && p_[i_] != '[') ++i_;
    return std::string(p_.substr(start, i_ - start));
  }

  static std::vector<const Json*> Field(const std::vector<const Json*>& in, const std::string& k) {
    std::vector<const Json*> out;
    for (const Json* j : in) {
      if (j->is_object()) {
        auto it = j->find(k);
        if (it != j->end()) out.push_back(&*it);
      }
    }
    return out;
  }

  static std::vector<const Json*> Children(const std::vector<const Json*>& in) {
    std::vector<const Json*> out;
    for (const Json* j : in) {
      if (j->is_object() || j->is_array()) {
        for (const auto& v : *j) out.push_back(&v);
      }
    }
    return out;
  }

  static bool ParseInt(std::string_view s, long long& v) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  }

  StatusOr<std::vector<const Json*>> Bracket(const std::vector<const Json*>& in) {
    size_t close = p_.find(']', i_);
    if (close == std::string_view::npos) return Bad("missing ]");
    std::string_view inner = p_.substr(i_, close - i_);
    if (inner.starts_with("?(")) {
      // Filter: find the matching ")]" (values may contain ']').
      size_t end = p_.find(")]", i_);
      if (end == std::string_view::npos) return Bad("unterminated filter");
      inner = p_.substr(i_ + 2, end - i_ - 2);
      i_ = end + 2;
      return Filter(in, inner);
    }
    i_ = close + 1;
    if (inner == "*") return Children(in);
    if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"')) {
      return Field(in, std::string(inner.substr(1, inner.size() - 2)));
    }
    std::vector<const Json*> out;
    size_t colon = inner.find(':');
    for (const Json* j : in) {
      if (!j->is_array()) continue;
      long long n = static_cast<long long>(j->size());
      if (colon == std::string_view::npos) {
        long long idx;
        if (!ParseInt(inner, idx)) return Bad("bad index");
        if (idx < 0) idx += n;
        if (idx >= 0 && idx < n) out.push_back(&(*j)[idx]);
        continue;
      }
      long long a = 0, b = n;
      std::string_view sa = inner.substr(0, colon), sb = inner.substr(colon + 1);
      if (auto c2 = sb.find(':'); c2 != std::string_view::npos) sb = sb.substr(0, c2);
      if (!sa.empty() && !ParseInt(sa, a)) return Bad("bad slice");
      if (!sb.empty() && !ParseInt(sb, b)) return Bad("bad slice");
      if (a < 0) a = std::max(0LL, a + n);
      if (b < 0) b = std::max(0LL, b + n);
      b = std::min(b, n);
      for (long long x = a; x < b; ++x) out.push_back(&(*j)[x]);
    }
    return out;
  }

  StatusOr<std::vector<const Json*>> Filter(const std::vector<const Json*>& in,
                                            std::string_view expr) {
    bool negate = false;
    size_t op = expr.find("==");
    if (op == std::string_view::npos) {
      op = expr.find("!=");
      negate = true;
    }
    std::string_view lhs = expr, rhs;
    bool exists_only = op == std::string_view::npos;
    if (!exists_only) {
      lhs = expr.substr(0, op);
      rhs = expr.substr(op + 2);
    }
    auto trim = [](std::string_view s) {
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      return s;
    };
    lhs = trim(lhs);
    rhs = trim(rhs);
    if (!lhs.starts_with("@")) return Bad("filter must start with @");
    Json want;
    if (!exists_only) {
      if (rhs.size() >= 2 && (rhs.front() == '"' || rhs.front() == '\'')) {
        want = std::string(rhs.substr(1, rhs.size() - 2));
      } else {
        auto parsed = Json::parse(rhs, nullptr, false);
        if (parsed.is_discarded()) return Bad("bad filter value");
        want = parsed;
      }
    }
    std::vector<const Json*> out;
    for (const Json* j : in) {
      if (!j->is_array()) continue;
      for (const auto& el : *j) {
        Evaluator sub(lhs.substr(1));
        auto r = sub.Run(el);
        if (!r.ok()) return r.status();
        bool match = exists_only ? !r->empty() : (!r->empty() && (*r)[0] == want);
        if (!exists_only && negate) match = !r->empty() && (*r)[0] != want;
        if (match) out.push_back(&el);
      }
    }
    return out;
  }

  std::string_view p_;
  size_t i_ = 0;
};

}  // namespace

StatusOr<std::vector<Json>> EvaluateJsonPath(const Json& root, std::string_view path) {
  while (!path.empty() && path.front() == ' ') path.remove_prefix(1);
  while (!path.empty() && path.back() == ' ') path.remove_suffix(1);
  if (path.size() >= 2 && path.front() == '{' && path.back() == '}') {
    path = path.substr(1, path.size() - 2);
  }
  if (path.empty()) return std::vector<Json>{};
  Evaluator e(path);
  return e.Run(root);
}

}  // namespace skiff::api

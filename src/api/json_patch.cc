// JSON Patch and JSON Merge Patch. RFC 6902 is implemented here rather than through
// nlohmann::json::patch because nlohmann resizes arrays for indices past the end ("/a/99999999"
// would allocate) and its errors do not say which operation failed.
#include "api/json_patch.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace skiff::api {
namespace {

using Tokens = std::vector<std::string>;

// kube-apiserver caps the bytes "copy" may duplicate at 3 x MaxRequestBodyBytes (3 MiB).
constexpr size_t kMaxAccumulatedCopyBytes = 3 * 3 * 1024 * 1024;

StatusDetails Details(std::string reason, int http_code) {
  StatusDetails d;
  d.reason = std::move(reason);
  d.http_code = http_code;
  return d;
}

Status BadRequest(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message), Details("BadRequest", 400));
}

// kube answers a patch that cannot be applied with NewGenericServerResponse(422): reason Invalid,
// a generic message, and the detail in a cause. We also put the detail in the message.
Status ApplyFailed(size_t index, const std::string& op, const std::string& detail) {
  std::string what = "operation " + std::to_string(index) + " (" + op + "): " + detail;
  StatusDetails details = Details("Invalid", 422);
  details.causes.push_back({.reason = "UnexpectedServerResponse", .message = what, .field = ""});
  return Status(StatusCode::kInvalidArgument,
                "the server rejected our request due to an error in our request: " + what,
                std::move(details));
}

// RFC 6901: "" is the whole document; otherwise "/"-separated tokens with ~1 = '/', ~0 = '~'.
std::optional<Tokens> ParsePointer(std::string_view p) {
  Tokens out;
  if (p.empty()) {
    return out;
  }
  if (p[0] != '/') {
    return std::nullopt;
  }
  std::string cur;
  for (size_t i = 1; i <= p.size(); ++i) {
    if (i == p.size() || p[i] == '/') {
      out.push_back(std::move(cur));
      cur.clear();
    } else if (p[i] == '~') {
      if (i + 1 >= p.size() || (p[i + 1] != '0' && p[i + 1] != '1')) {
        return std::nullopt;
      }
      cur.push_back(p[i + 1] == '0' ? '~' : '/');
      ++i;
    } else {
      cur.push_back(p[i]);
    }
  }
  return out;
}

// An array index token: decimal digits without a leading zero. Returns nullopt for anything
// else, including values too large to be an index, so hostile indices never allocate.
std::optional<size_t> ParseIndex(const std::string& tok) {
  if (tok.empty() || tok.size() > 18 || (tok.size() > 1 && tok[0] == '0')) {
    return std::nullopt;
  }
  size_t v = 0;
  auto [ptr, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  if (ec != std::errc() || ptr != tok.data() + tok.size()) {
    return std::nullopt;
  }
  return v;
}

std::string Display(const Tokens& t, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += "/";
    for (char c : t[i]) {
      s += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    }
  }
  return s;
}

// Resolves the first `n` tokens; nullptr when any step is missing.
Json* Resolve(Json& doc, const Tokens& t, size_t n) {
  Json* cur = &doc;
  for (size_t i = 0; i < n; ++i) {
    if (cur->is_object()) {
      auto it = cur->find(t[i]);
      if (it == cur->end()) {
        return nullptr;
      }
      cur = &*it;
    } else if (cur->is_array()) {
      auto idx = ParseIndex(t[i]);
      if (!idx || *idx >= cur->size()) {
        return nullptr;
      }
      cur = &(*cur)[*idx];
    } else {
      return nullptr;
    }
  }
  return cur;
}

// Approximate serialized size of `v`, counting no further than `budget` so that measuring a huge
// value costs no more than the budget allows.
size_t ApproxSize(const Json& v, size_t budget) {
  if (v.is_string()) {
    return v.get_ref<const std::string&>().size() + 2;
  }
  if (!v.is_structured()) {
    return 8;
  }
  size_t total = 2;
  for (auto it = v.begin(); it != v.end() && total <= budget; ++it) {
    total += ApproxSize(*it, budget - total) + 1 + (v.is_object() ? it.key().size() + 3 : 0);
  }
  return total;
}

std::string Missing(const Tokens& t) { return "path \"" + Display(t, t.size()) + "\" not found"; }

// Each operation returns an empty string on success, else what went wrong.
std::string Add(Json& doc, const Tokens& path, Json value) {
  if (path.empty()) {
    doc = std::move(value);
    return "";
  }
  Json* parent = Resolve(doc, path, path.size() - 1);
  if (parent == nullptr) {
    return "parent of " + Missing(path);
  }
  const std::string& last = path.back();
  if (parent->is_object()) {
    (*parent)[last] = std::move(value);
    return "";
  }
  if (!parent->is_array()) {
    return "parent of path \"" + Display(path, path.size()) + "\" is not an object or array";
  }
  if (last == "-") {
    parent->push_back(std::move(value));
    return "";
  }
  auto idx = ParseIndex(last);
  if (!idx || *idx > parent->size()) {
    return "index out of range at path \"" + Display(path, path.size()) + "\"";
  }
  parent->insert(parent->begin() + static_cast<std::ptrdiff_t>(*idx), std::move(value));
  return "";
}

std::string Remove(Json& doc, const Tokens& path) {
  if (path.empty()) {
    return "cannot remove the whole document";
  }
  Json* parent = Resolve(doc, path, path.size() - 1);
  if (parent != nullptr && parent->is_object()) {
    if (parent->erase(path.back()) == 1) {
      return "";
    }
  } else if (parent != nullptr && parent->is_array()) {
    auto idx = ParseIndex(path.back());
    if (idx && *idx < parent->size()) {
      parent->erase(*idx);
      return "";
    }
  }
  return Missing(path);
}

StatusOr<Tokens> PointerField(const Json& op, const char* name, size_t index) {
  auto it = op.find(name);
  if (it == op.end() || !it->is_string()) {
    return BadRequest("json patch operation " + std::to_string(index) + " is missing \"" + name +
                      "\" or it is not a string");
  }
  auto tokens = ParsePointer(it->get_ref<const std::string&>());
  if (!tokens) {
    return BadRequest("json patch operation " + std::to_string(index) +
                      ": invalid JSON pointer \"" + it->get<std::string>() + "\"");
  }
  return *tokens;
}

// RFC 7386 diff; arrays and scalars that differ are carried whole.
Json MergeDiff(const Json& a, const Json& b) {
  Json patch = Json::object();
  for (auto it = a.begin(); it != a.end(); ++it) {
    if (!b.contains(it.key())) {
      patch[it.key()] = nullptr;
    }
  }
  for (auto it = b.begin(); it != b.end(); ++it) {
    auto old = a.find(it.key());
    if (old == a.end()) {
      patch[it.key()] = *it;
    } else if (old->is_object() && it->is_object()) {
      Json sub = MergeDiff(*old, *it);
      if (!sub.empty()) {
        patch[it.key()] = std::move(sub);
      }
    } else if (*old != *it) {
      patch[it.key()] = *it;
    }
  }
  return patch;
}

// jsonmergepatch's keepOrDeleteNullInObj: keep only the deletions (nulls) or only the rest.
// An explicitly empty object is a value, not an empty sub-patch.
Json KeepOrDeleteNull(const Json& m, bool keep_null) {
  Json out = Json::object();
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (it->is_null()) {
      if (keep_null) {
        out[it.key()] = nullptr;
      }
    } else if (it->is_object() && !it->empty()) {
      Json sub = KeepOrDeleteNull(*it, keep_null);
      if (!sub.empty()) {
        out[it.key()] = std::move(sub);
      }
    } else if (!keep_null) {
      out[it.key()] = *it;
    }
  }
  return out;
}

}  // namespace

StatusOr<Json> ApplyJsonPatch(const Json& doc, const Json& patch) {
  if (!patch.is_array()) {
    return BadRequest("json patch must be an array of operations");
  }
  if (patch.size() > kMaxJsonPatchOperations) {
    return BadRequest("The allowed maximum operations in a JSON patch is " +
                      std::to_string(kMaxJsonPatchOperations) + ", got " +
                      std::to_string(patch.size()));
  }
  Json out = doc;
  size_t copied_bytes = 0;
  for (size_t i = 0; i < patch.size(); ++i) {
    const Json& op = patch[i];
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string()) {
      return BadRequest("json patch operation " + std::to_string(i) + " has no \"op\"");
    }
    const std::string& name = op["op"].get_ref<const std::string&>();
    if (name != "add" && name != "remove" && name != "replace" && name != "move" &&
        name != "copy" && name != "test") {
      return BadRequest("json patch operation " + std::to_string(i) + ": unsupported op \"" + name +
                        "\"");
    }
    SKIFF_ASSIGN_OR_RETURN(Tokens path, PointerField(op, "path", i));
    const bool needs_value = name == "add" || name == "replace" || name == "test";
    if (needs_value && !op.contains("value")) {
      return BadRequest("json patch operation " + std::to_string(i) + " (" + name +
                        ") is missing \"value\"");
    }
    Tokens from;
    if (name == "move" || name == "copy") {
      SKIFF_ASSIGN_OR_RETURN(from, PointerField(op, "from", i));
    }
    std::string err;
    if (name == "add") {
      err = Add(out, path, op["value"]);
    } else if (name == "remove") {
      err = Remove(out, path);
    } else if (name == "replace") {
      Json* target = Resolve(out, path, path.size());
      if (target == nullptr) {
        err = Missing(path);
      } else {
        *target = op["value"];
      }
    } else if (name == "test") {
      Json* target = Resolve(out, path, path.size());
      if (target == nullptr) {
        err = Missing(path);
      } else if (*target != op["value"]) {
        err = "testing value " + Display(path, path.size()) + " failed: test failed";
      }
    } else {  // move, copy
      Json* source = Resolve(out, from, from.size());
      if (source == nullptr) {
        err = Missing(from);
      } else if (name == "move" && from.size() < path.size() &&
                 std::equal(from.begin(), from.end(), path.begin())) {
        err = "cannot move \"" + Display(from, from.size()) + "\" into its own child";
      } else {
        if (name == "copy") {
          copied_bytes += ApproxSize(*source, kMaxAccumulatedCopyBytes - copied_bytes + 1);
          if (copied_bytes > kMaxAccumulatedCopyBytes) {
            return ApplyFailed(i, name,
                               "copies exceed the accumulated size limit of " +
                                   std::to_string(kMaxAccumulatedCopyBytes) + " bytes");
          }
        }
        Json value = *source;
        if (name == "move" && from != path) {
          err = Remove(out, from);
        }
        if (err.empty() && !(name == "move" && from == path)) {
          err = Add(out, path, std::move(value));
        }
      }
    }
    if (!err.empty()) {
      return ApplyFailed(i, name, err);
    }
  }
  return out;
}

StatusOr<Json> ApplyMergePatch(const Json& doc, const Json& patch) {
  if (!patch.is_object()) {
    return BadRequest("merge patch must be a JSON object");
  }
  Json out = doc;
  out.merge_patch(patch);  // RFC 7386 exactly; does not throw.
  return out;
}

StatusOr<Json> CreateMergePatch(const Json& original, const Json& modified) {
  if (!original.is_object() || !modified.is_object()) {
    return InvalidArgument("merge patches can only be computed between two JSON objects");
  }
  return MergeDiff(original, modified);
}

StatusOr<Json> CreateThreeWayMergePatch(const Json& original, const Json& modified,
                                        const Json& current) {
  if (!original.is_object() || !modified.is_object() || !current.is_object()) {
    return InvalidArgument("three-way merge patches need original, modified and current objects");
  }
  Json add_and_change = KeepOrDeleteNull(MergeDiff(current, modified), /*keep_null=*/false);
  Json deletions = KeepOrDeleteNull(MergeDiff(original, modified), /*keep_null=*/true);
  deletions.merge_patch(add_and_change);
  return deletions;
}

}  // namespace skiff::api

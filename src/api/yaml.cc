// libyaml adapter: YAML event stream -> Json with go-yaml v2 scalar resolution. The emitter
// (ToYaml) is in yaml_emit.cc.
#include "api/yaml.h"

#include <yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

namespace skiff::api {
namespace {

// Alias expansion budget: copies made for anchors and aliases may not exceed this many nodes,
// or twice the nodes written out in the document, whichever is larger ("billion laughs").
constexpr int64_t kMinAliasBudget = 200000;

constexpr std::string_view kYamlTagPrefix = "tag:yaml.org,2002:";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Go's strconv.ParseUint(s, 0, 64) digits after an optional sign: 0x/0o/0b prefixes and a
// leading-0 octal form. Returns false on syntax error; `overflow` on range error.
bool ParseGoUnsigned(std::string_view s, uint64_t& out, bool& overflow) {
  overflow = false;
  out = 0;
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (s.empty()) {
    return base == 8;  // "0" itself
  }
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (IsDigit(c)) {
      d = c - '0';
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
      d = (c | 0x20) - 'a' + 10;
    } else {
      return false;
    }
    if (d >= base) {
      return false;
    }
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) /
                static_cast<uint64_t>(base)) {
      overflow = true;
    } else {
      v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
  }
  out = v;
  return true;
}

// yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlStyleFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    ++i;
  }
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && IsDigit(s[i])) {
      ++i;
    }
    return i - start;
  };
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) {
      return false;
    }
  } else {
    if (digits() == 0) {
      return false;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == s.size();
}

// A whole float that fits int64 becomes an integer: sigs.k8s.io/yaml converts YAML to JSON
// text ("1e3" -> 1000) and kube then decodes whole numbers as int64.
Json FloatValue(double d) {
  if (std::isfinite(d) && d == std::trunc(d) && d >= -9223372036854775808.0 &&
      d < 9223372036854775808.0) {
    return Json(static_cast<int64_t>(d));
  }
  return Json(d);
}

std::optional<Json> ParseFloatText(std::string_view s) {
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    return std::nullopt;  // includes out-of-range, which go-yaml leaves as a string
  }
  return FloatValue(d);
}

std::optional<Json> ResolveNumber(std::string_view in) {
  std::string plain;
  plain.reserve(in.size());
  for (char c : in) {
    if (c != '_') {
      plain += c;
    }
  }
  std::string_view p = plain;
  bool negative = false;
  std::string_view mag = p;
  if (!mag.empty() && (mag[0] == '-' || mag[0] == '+')) {
    negative = mag[0] == '-';
    mag.remove_prefix(1);
  }
  uint64_t u = 0;
  bool overflow = false;
  if (!mag.empty() && ParseGoUnsigned(mag, u, overflow) && !overflow) {
    if (!negative && u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Json(static_cast<int64_t>(u));
    }
    if (negative && u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
      return Json(static_cast<int64_t>(0 - u));
    }
    if (!negative && p[0] != '+') {
      return Json(u);  // ParseUint succeeds where ParseInt overflowed
    }
  }
  if (IsYamlStyleFloat(p)) {
    return ParseFloatText(p);
  }
  return std::nullopt;
}

Json ResolvePlain(std::string_view in) {
  static const std::map<std::string_view, Json> kWords = [] {
    std::map<std::string_view, Json> m;
    for (auto w : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
      m[w] = true;
    }
    for (auto w : {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
      m[w] = false;
    }
    for (auto w : {"", "~", "null", "Null", "NULL"}) {
      m[w] = nullptr;
    }
    for (auto w : {".nan", ".NaN", ".NAN"}) {
      m[w] = std::numeric_limits<double>::quiet_NaN();
    }
    for (auto w : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
      m[w] = std::numeric_limits<double>::infinity();
    }
    for (auto w : {"-.inf", "-.Inf", "-.INF"}) {
      m[w] = -std::numeric_limits<double>::infinity();
    }
    return m;
  }();
  if (auto it = kWords.find(in); it != kWords.end()) {
    return it->second;
  }
  if (in.empty()) {
    return Json(std::string());
  }
  const char c = in[0];
  if (c == '.') {
    if (IsYamlStyleFloat(in)) {
      if (auto v = ParseFloatText(in)) {
        return *v;
      }
    }
  } else if (IsDigit(c) || c == '-' || c == '+') {
    if (auto v = ResolveNumber(in)) {
      return *v;
    }
  }
  return Json(std::string(in));
}

// Resolves a scalar by its tag: "?" plain, "!" quoted/block (always a string), or an explicit
// !!tag, which go-yaml honours by converting or failing.
StatusOr<Json> ResolveTaggedScalar(const std::string& tag, const std::string& value) {
  if (tag == "?") {
    return ResolvePlain(value);
  }
  if (!tag.starts_with(kYamlTagPrefix)) {
    return Json(value);  // "!" and unknown local tags keep the text
  }
  std::string_view kind = std::string_view(tag).substr(kYamlTagPrefix.size());
  if (kind == "str" || kind == "binary" || kind == "timestamp") {
    return Json(value);
  }
  Json v = ResolvePlain(value);
  if ((kind == "int" && v.is_number_integer()) || (kind == "float" && v.is_number()) ||
      (kind == "bool" && v.is_boolean()) || (kind == "null" && v.is_null())) {
    return v;
  }
  if (kind == "int" || kind == "float" || kind == "bool" || kind == "null") {
    return InvalidArgument("cannot decode !!str `" + value + "` as a !!" + std::string(kind));
  }
  return v;
}

// A position in the input for error messages (0-based; `valid` false when unknown).
struct Mark {
  size_t line = 0;
  size_t column = 0;
  bool valid = false;
};

Mark MarkOf(const yaml_mark_t& m) { return Mark{m.line, m.column, true}; }

// Raised inside the event loop to abort the parse; caught in ParseStream.
struct BuildError {
  Mark mark;
  std::string message;
};

struct Anchored {
  Json value;
  int level;  // nesting levels inside the value (0 for scalars)
  int64_t nodes;
};

// Builds one Json per document from libyaml's parse events.
class JsonBuilder {
 public:
  explicit JsonBuilder(std::vector<Json>& docs) : docs_(docs) {}

  // Handles one event; returns false at the end of the stream.
  bool Handle(const yaml_event_t& e) {
    Mark mark = MarkOf(e.start_mark);
    switch (e.type) {
      case YAML_STREAM_END_EVENT:
        return false;
      case YAML_DOCUMENT_START_EVENT:
        stack_.clear();
        anchors_.clear();
        doc_ = Json();
        break;
      case YAML_DOCUMENT_END_EVENT:
        if (!doc_.is_null()) {
          docs_.push_back(std::move(doc_));
        }
        doc_ = Json();
        break;
      case YAML_ALIAS_EVENT:
        OnAlias(mark, Str(e.data.alias.anchor));
        break;
      case YAML_SCALAR_EVENT: {
        const auto& sc = e.data.scalar;
        // Untagged plain scalars are resolved ("?"); untagged quoted/block ones are strings ("!").
        std::string tag = sc.tag ? Str(sc.tag)
                                 : (sc.style == YAML_PLAIN_SCALAR_STYLE ? std::string("?")
                                                                        : std::string("!"));
        std::string value(reinterpret_cast<const char*>(sc.value), sc.length);
        StatusOr<Json> resolved = ResolveTaggedScalar(tag, value);
        if (!resolved.ok()) {
          throw BuildError{mark, resolved.status().message()};
        }
        const bool merge_key = tag == "?" && value == "<<";
        Complete(mark, std::move(*resolved), Str(sc.anchor), 0, 1, merge_key);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
        Push(mark, Json::array(), Str(e.data.sequence_start.anchor));
        break;
      case YAML_SEQUENCE_END_EVENT:
        Pop();
        break;
      case YAML_MAPPING_START_EVENT:
        Push(mark, Json::object(), Str(e.data.mapping_start.anchor));
        break;
      case YAML_MAPPING_END_EVENT:
        OnMapEnd();
        break;
      default:
        break;
    }
    return true;
  }

 private:
  struct Frame {
    Json value;  // object or array under construction
    Mark mark;
    std::string anchor;
    int level = 1;
    int64_t nodes = 1;
    bool expecting_key = true;
    bool merge_pending = false;
    std::string key;
    std::vector<Json> merges;
  };

  static std::string Str(const yaml_char_t* s) {
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
  }

  static std::string DepthMessage() {
    return "exceeded max depth of " + std::to_string(kMaxYamlDepth);
  }

  void OnAlias(const Mark& mark, const std::string& anchor) {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      throw BuildError{mark, "unknown anchor '" + anchor + "' referenced"};
    }
    if (static_cast<int>(stack_.size()) + it->second.level > kMaxYamlDepth) {
      throw BuildError{mark, DepthMessage()};
    }
    ChargeCopy(mark, it->second.nodes);
    Complete(mark, it->second.value, "", it->second.level, it->second.nodes, false);
  }

  void OnMapEnd() {
    Frame& f = stack_.back();
    // Merge keys ("<<"): explicit keys win, then earlier merged maps over later ones.
    for (const Json& src : f.merges) {
      for (const auto& [k, v] : src.items()) {
        if (!f.value.contains(k)) {
          f.value[k] = v;
        }
      }
    }
    Pop();
  }

  void Push(const Mark& mark, Json value, std::string anchor) {
    if (static_cast<int>(stack_.size()) >= kMaxYamlDepth) {
      throw BuildError{mark, DepthMessage()};
    }
    Frame f;
    f.value = std::move(value);
    f.mark = mark;
    f.anchor = std::move(anchor);
    stack_.push_back(std::move(f));
  }

  void Pop() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    Complete(f.mark, std::move(f.value), f.anchor, f.level, f.nodes, false);
  }

  void ChargeCopy(const Mark& mark, int64_t nodes) {
    copied_nodes_ += nodes;
    if (copied_nodes_ > std::max(kMinAliasBudget, 2 * direct_nodes_)) {
      throw BuildError{mark, "document contains excessive aliasing"};
    }
  }

  // Sigs.k8s.io/yaml turns non-string keys into strings; containers and null are rejected.
  static std::string KeyString(const Mark& mark, const Json& key) {
    switch (key.type()) {
      case Json::value_t::string:
        return key.get<std::string>();
      case Json::value_t::boolean:
        return key.get<bool>() ? "true" : "false";
      case Json::value_t::number_integer:
        return std::to_string(key.get<int64_t>());
      case Json::value_t::number_unsigned:
        return std::to_string(key.get<uint64_t>());
      case Json::value_t::number_float: {
        char buf[64];
        auto res = std::to_chars(buf, buf + sizeof(buf), key.get<double>());
        return std::string(buf, res.ptr);
      }
      default:
        throw BuildError{mark, "invalid map key: only scalar keys are supported"};
    }
  }

  void Complete(const Mark& mark, Json value, const std::string& anchor, int level,
                int64_t nodes, bool merge_key) {
    ++direct_nodes_;
    if (!anchor.empty()) {
      ChargeCopy(mark, nodes);
      anchors_[anchor] = Anchored{value, level, nodes};
    }
    if (stack_.empty()) {
      doc_ = std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    parent.level = std::max(parent.level, level + 1);
    parent.nodes += nodes;
    if (parent.value.is_array()) {
      parent.value.push_back(std::move(value));
      return;
    }
    if (parent.expecting_key) {
      parent.merge_pending = merge_key;
      if (!merge_key) {
        parent.key = KeyString(mark, value);
      }
      parent.expecting_key = false;
      return;
    }
    parent.expecting_key = true;
    if (parent.merge_pending) {
      if (value.is_object()) {
        parent.merges.push_back(std::move(value));
        return;
      }
      if (value.is_array() &&
          std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_object(); })) {
        for (Json& v : value) {
          parent.merges.push_back(std::move(v));
        }
        return;
      }
      throw BuildError{mark, "map merge requires map or sequence of maps as the value"};
    }
    // Duplicate keys: the last one wins, as in go-yaml v2's non-strict decoding.
    parent.value[parent.key] = std::move(value);
  }

  std::vector<Json>& docs_;
  std::vector<Frame> stack_;
  std::map<std::string, Anchored> anchors_;
  Json doc_;
  int64_t direct_nodes_ = 0;
  int64_t copied_nodes_ = 0;
};

Status ParseError(const Mark& mark, std::string_view msg) {
  if (!mark.valid) {
    return InvalidArgument("yaml: " + std::string(msg));
  }
  return InvalidArgument("yaml: line " + std::to_string(mark.line + 1) + ", column " +
                         std::to_string(mark.column + 1) + ": " + std::string(msg));
}

// libyaml, the reference C parser (as PyYAML uses), driven event by event. (yaml-cpp 0.7
// loops forever on inputs such as ",e" — found by fuzzing — so it is not used.)
StatusOr<std::vector<Json>> ParseStream(std::string_view text) {
  std::vector<Json> docs;
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    return Internal("yaml: cannot initialize parser");
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
  Status status;
  try {
    JsonBuilder builder(docs);
    for (;;) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) {
        Mark mark = MarkOf(parser.problem_mark);
        std::string msg = parser.problem ? parser.problem : "invalid YAML";
        if (parser.context) msg = std::string(parser.context) + ": " + msg;
        status = ParseError(mark, msg);
        break;
      }
      bool more;
      try {
        more = builder.Handle(event);
      } catch (...) {
        yaml_event_delete(&event);
        throw;
      }
      yaml_event_delete(&event);
      if (!more) break;
    }
  } catch (const BuildError& e) {
    status = ParseError(e.mark, e.message);
  } catch (const std::exception& e) {
    status = Internal(std::string("yaml: ") + e.what());
  }
  yaml_parser_delete(&parser);
  if (!status.ok()) return status;
  return docs;
}

// JSON text ({...} or [...]) is parsed with JSON rules; anything else, or JSON that does not
// parse, goes to the YAML parser.
bool LooksLikeJson(std::string_view text) {
  size_t i = text.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && (text[i] == '{' || text[i] == '[');
}

}  // namespace

Json ResolvePlainYamlScalar(std::string_view text) { return ResolvePlain(text); }

StatusOr<std::vector<Json>> ParseYamlDocuments(std::string_view text) {
  // YAML streams are UTF-8 (go-yaml rejects anything else); strings must stay valid JSON.
  if (!IsValidUtf8(text)) {
    return InvalidArgument("yaml: invalid UTF-8 in input");
  }
  // YAML allows no C0 controls but tab, LF and CR (go-yaml: "control characters are not
  // allowed"); rejecting NULs also rules out UTF-16/32 input.
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      return InvalidArgument("yaml: control characters are not allowed (byte " +
                             std::to_string(i) + ")");
    }
  }
  if (LooksLikeJson(text)) {
    StatusOr<Json> json = ParseJson(text);
    if (json.ok()) {
      std::vector<Json> docs;
      if (!json->is_null()) {
        docs.push_back(std::move(*json));
      }
      return docs;
    }
  }
  return ParseStream(text);
}

StatusOr<Json> ParseYamlOrJson(std::string_view text) {
  SKIFF_ASSIGN_OR_RETURN(std::vector<Json> docs, ParseYamlDocuments(text));
  if (docs.empty()) {
    return InvalidArgument("yaml: the document is empty");
  }
  if (docs.size() > 1) {
    return InvalidArgument("yaml: expected one document, found " + std::to_string(docs.size()));
  }
  return std::move(docs[0]);
}

}  // namespace skiff::api

// ToYaml: Json -> YAML laid out and quoted the way go-yaml v2 (kubectl -o yaml) does, after
// libyaml's scalar analysis (yaml_emitter_analyze_scalar / select_scalar_style).
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "api/yaml.h"

namespace skiff::api {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Shortest text that reads back as the same double (and as a float, not a string).
std::string FormatYamlFloat(double d) {
  if (std::isnan(d)) {
    return ".nan";
  }
  if (std::isinf(d)) {
    return d > 0 ? ".inf" : "-.inf";
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, res.ptr);
}

size_t Utf8Width(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t w = b < 0x80             ? 1
             : (b & 0xE0) == 0xC0 ? 2
             : (b & 0xF0) == 0xE0 ? 3
             : (b & 0xF8) == 0xF0 ? 4
                                  : 1;
  return i + w <= s.size() ? w : 1;
}

unsigned char ByteAt(std::string_view s, size_t i) {
  return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
}

// libyaml's is_break: LF, CR, NEL, LS, PS.
bool IsBreakAt(std::string_view s, size_t i) {
  const unsigned char b = ByteAt(s, i);
  return b == '\n' || b == '\r' || (b == 0xC2 && ByteAt(s, i + 1) == 0x85) ||
         (b == 0xE2 && ByteAt(s, i + 1) == 0x80 &&
          (ByteAt(s, i + 2) == 0xA8 || ByteAt(s, i + 2) == 0xA9));
}

bool IsBlankzAt(std::string_view s, size_t i) {
  return i >= s.size() || s[i] == ' ' || s[i] == '\t' || s[i] == '\0' || IsBreakAt(s, i);
}

// go-yaml's is_printable (4-byte sequences count as unprintable, as there).
bool IsPrintableAt(std::string_view s, size_t i) {
  const unsigned char b = ByteAt(s, i), b1 = ByteAt(s, i + 1), b2 = ByteAt(s, i + 2);
  return b == 0x0A || (b >= 0x20 && b <= 0x7E) || (b == 0xC2 && b1 >= 0xA0) ||
         (b > 0xC2 && b < 0xED) || (b == 0xED && b1 < 0xA0) || b == 0xEE ||
         (b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}

// The parts of libyaml's yaml_emitter_analyze_scalar that decide block-context styles.
struct ScalarAnalysis {
  bool block_plain_allowed = true;
  bool single_quoted_allowed = true;
  bool block_allowed = true;
};

ScalarAnalysis Analyze(std::string_view s) {
  bool block_indicators = s.starts_with("---") || s.starts_with("...");
  bool special = false, line_breaks = false, leading_space = false, leading_break = false;
  bool trailing_space = false, trailing_break = false, break_space = false, space_break = false;
  bool previous_space = false, previous_break = false;
  bool preceded_by_ws = true;
  bool followed_by_ws = IsBlankzAt(s, Utf8Width(s, 0));
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (i == 0) {
      if (c != '\0' && std::string_view("#,[]{}&*!|>'\"%@`").find(c) != std::string_view::npos) {
        block_indicators = true;
      }
      if ((c == '?' || c == ':' || c == '-') && followed_by_ws) {
        block_indicators = true;
      }
    } else if ((c == ':' && followed_by_ws) || (c == '#' && preceded_by_ws)) {
      block_indicators = true;
    }
    special |= !IsPrintableAt(s, i);
    const bool is_break = IsBreakAt(s, i);
    line_breaks |= is_break;
    const size_t w = Utf8Width(s, i);
    if (c == ' ') {
      leading_space |= i == 0;
      trailing_space |= i + w == s.size();
      break_space |= previous_break;
      previous_space = true;
      previous_break = false;
    } else if (is_break) {
      leading_break |= i == 0;
      trailing_break |= i + w == s.size();
      space_break |= previous_space;
      previous_space = false;
      previous_break = true;
    } else {
      previous_space = previous_break = false;
    }
    preceded_by_ws = IsBlankzAt(s, i);
    i += w;
    if (i < s.size()) {
      followed_by_ws = IsBlankzAt(s, i + Utf8Width(s, i));
    }
  }
  ScalarAnalysis a;
  if (leading_space || leading_break || trailing_space || trailing_break || line_breaks ||
      block_indicators) {
    a.block_plain_allowed = false;
  }
  if (trailing_space) {
    a.block_allowed = false;
  }
  if (break_space) {
    a.block_plain_allowed = a.single_quoted_allowed = false;
  }
  if (space_break || special) {
    a.block_plain_allowed = a.single_quoted_allowed = a.block_allowed = false;
  }
  return a;
}

// go-yaml's isBase60Float: ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ — quoted on output
// so YAML 1.1 readers do not see a sexagesimal number.
bool IsBase60Float(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    ++i;
  }
  if (i >= s.size() || !IsDigit(s[i])) {
    return false;
  }
  while (i < s.size() && (IsDigit(s[i]) || s[i] == '_')) {
    ++i;
  }
  int groups = 0;
  while (i < s.size() && s[i] == ':') {
    ++i;
    size_t start = i;
    while (i < s.size() && IsDigit(s[i]) && i - start < 2) {
      ++i;
    }
    const size_t n = i - start;
    if (n == 0 || (n == 2 && s[start] > '5')) {
      return false;
    }
    ++groups;
  }
  if (groups == 0) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (IsDigit(s[i]) || s[i] == '_')) {
      ++i;
    }
  }
  return i == s.size();
}

// go-yaml v2 reads plain scalars shaped like dates or timestamps ("2006-1-2",
// "2006-1-2T15:4:5Z", "2006-1-2 15:4:5.9") as timestamps, so it quotes such strings on output;
// kubectl prints `creationTimestamp: "2025-01-02T03:04:05Z"`.
bool IsYamlTimestamp(std::string_view s) {
  size_t i = 0;
  auto digits = [&](size_t min, size_t max) {
    size_t start = i;
    while (i < s.size() && IsDigit(s[i]) && i - start < max) {
      ++i;
    }
    return i - start >= min;
  };
  if (!digits(4, 4) || i >= s.size() || s[i++] != '-' || !digits(1, 2) || i >= s.size() ||
      s[i++] != '-' || !digits(1, 2)) {
    return false;
  }
  if (i == s.size()) {
    return true;
  }
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') {
    return false;
  }
  ++i;
  return digits(1, 2) && i < s.size() && s[i++] == ':' && digits(1, 2) && i < s.size() &&
         s[i++] == ':' && digits(1, 2);
}

enum class Style { kPlain, kSingle, kDouble, kLiteral };

Style ChooseStyle(std::string_view s, bool key) {
  const ScalarAnalysis a = Analyze(s);
  // LS/PS are line breaks to YAML 1.1 but not to every reader; escape them.
  const bool odd_breaks =
      s.find("\xE2\x80\xA8") != std::string_view::npos || s.find("\xE2\x80\xA9") != s.npos;
  if (s.find('\n') != std::string_view::npos) {
    return !key && a.block_allowed && !odd_breaks ? Style::kLiteral : Style::kDouble;
  }
  if (s == "<<" || !ResolvePlainYamlScalar(s).is_string() || IsBase60Float(s) ||
      IsYamlTimestamp(s)) {
    return Style::kDouble;
  }
  if (a.block_plain_allowed) {
    return Style::kPlain;
  }
  return a.single_quoted_allowed && !odd_breaks ? Style::kSingle : Style::kDouble;
}

void AppendDoubleQuoted(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const size_t w = Utf8Width(s, i);
    const unsigned char b = ByteAt(s, i);
    const bool bom = b == 0xEF && ByteAt(s, i + 1) == 0xBB && ByteAt(s, i + 2) == 0xBF;
    if (IsPrintableAt(s, i) && !bom && !IsBreakAt(s, i) && b != '"' && b != '\\' &&
        (b < 0x80 || w > 1)) {
      out.append(s.substr(i, w));
      i += w;
      continue;
    }
    uint32_t cp = b;
    if (w > 1) {
      cp = w == 2 ? (b & 0x1F) : w == 3 ? (b & 0x0F) : (b & 0x07);
      for (size_t k = 1; k < w; ++k) {
        cp = (cp << 6) | (ByteAt(s, i + k) & 0x3F);
      }
    }
    i += w;
    switch (cp) {
      case 0:
        out += "\\0";
        break;
      case 0x07:
        out += "\\a";
        break;
      case 0x08:
        out += "\\b";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x0A:
        out += "\\n";
        break;
      case 0x0B:
        out += "\\v";
        break;
      case 0x0C:
        out += "\\f";
        break;
      case 0x0D:
        out += "\\r";
        break;
      case 0x1B:
        out += "\\e";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case 0x85:
        out += "\\N";
        break;
      case 0xA0:
        out += "\\_";
        break;
      case 0x2028:
        out += "\\L";
        break;
      case 0x2029:
        out += "\\P";
        break;
      default: {
        const int digits = cp <= 0xFF ? 2 : cp <= 0xFFFF ? 4 : 8;
        out += digits == 2 ? "\\x" : digits == 4 ? "\\u" : "\\U";
        for (int d = digits - 1; d >= 0; --d) {
          out += kHex[(cp >> (4 * d)) & 0xF];
        }
      }
    }
  }
  out += '"';
}

void AppendQuotedOrPlain(std::string_view s, Style style, std::string& out) {
  if (style == Style::kPlain) {
    out += s;
  } else if (style == Style::kSingle) {
    out += '\'';
    for (char c : s) {
      out += c;
      if (c == '\'') {
        out += '\'';
      }
    }
    out += '\'';
  } else {
    AppendDoubleQuoted(s, out);
  }
}

// Writes a scalar (or "{}"/"[]") and the newline that ends it. Literal block content goes at
// `content_indent`; at the document root an indentation hint is avoided by quoting instead.
void EmitScalarLine(const Json& v, int content_indent, bool root, std::string& out) {
  switch (v.type()) {
    case Json::value_t::object:
      out += "{}\n";
      return;
    case Json::value_t::array:
      out += "[]\n";
      return;
    case Json::value_t::null:
      out += "null\n";
      return;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true\n" : "false\n";
      return;
    case Json::value_t::number_integer:
      out += std::to_string(v.get<int64_t>()) + "\n";
      return;
    case Json::value_t::number_unsigned:
      out += std::to_string(v.get<uint64_t>()) + "\n";
      return;
    case Json::value_t::number_float:
      out += FormatYamlFloat(v.get<double>()) + "\n";
      return;
    default:
      break;
  }
  const std::string& s = v.get_ref<const std::string&>();
  Style style = ChooseStyle(s, false);
  const bool needs_hint = s[0] == ' ' || s[0] == '\n';
  if (style == Style::kLiteral && root && needs_hint) {
    style = Style::kDouble;
  }
  if (style != Style::kLiteral) {
    AppendQuotedOrPlain(s, style, out);
    out += '\n';
    return;
  }
  out += '|';
  if (needs_hint) {
    out += '2';
  }
  if (s.back() != '\n') {
    out += '-';
  } else if (s.size() == 1 || s[s.size() - 2] == '\n') {
    out += '+';
  }
  out += '\n';
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t nl = s.find('\n', pos);
    const std::string_view line =
        std::string_view(s).substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!line.empty()) {
      out.append(static_cast<size_t>(content_indent), ' ');
      out += line;
    }
    out += '\n';
    if (nl == std::string::npos) {
      break;
    }
    pos = nl + 1;
  }
}

void EmitMapping(const Json& obj, int indent, bool inline_first, std::string& out);
void EmitSequence(const Json& arr, int indent, bool inline_first, std::string& out);

void EmitMapping(const Json& obj, int indent, bool inline_first, std::string& out) {
  bool first = true;
  for (const auto& [k, v] : obj.items()) {
    if (!(first && inline_first)) {
      out.append(static_cast<size_t>(indent), ' ');
    }
    first = false;
    // YAML caps implicit keys at 1024 characters; longer or multi-line keys use "? key".
    const bool explicit_key = k.size() > 1000 || k.find('\n') != std::string::npos;
    if (explicit_key) {
      out += "? ";
      AppendDoubleQuoted(k, out);
      out += '\n';
      out.append(static_cast<size_t>(indent), ' ');
      out += ':';
    } else {
      AppendQuotedOrPlain(k, ChooseStyle(k, true), out);
      out += ':';
    }
    if (v.is_object() && !v.empty()) {
      out += '\n';
      EmitMapping(v, indent + 2, false, out);
    } else if (v.is_array() && !v.empty()) {
      out += '\n';
      // Sequences sit at their key's indentation, as kubectl prints them.
      EmitSequence(v, explicit_key ? indent + 2 : indent, false, out);
    } else {
      out += ' ';
      EmitScalarLine(v, indent + 2, false, out);
    }
  }
}

void EmitSequence(const Json& arr, int indent, bool inline_first, std::string& out) {
  bool first = true;
  for (const Json& item : arr) {
    if (!(first && inline_first)) {
      out.append(static_cast<size_t>(indent), ' ');
    }
    first = false;
    out += "- ";
    if (item.is_object() && !item.empty()) {
      EmitMapping(item, indent + 2, true, out);
    } else if (item.is_array() && !item.empty()) {
      EmitSequence(item, indent + 2, true, out);
    } else {
      EmitScalarLine(item, indent + 2, false, out);
    }
  }
}

}  // namespace

std::string ToYaml(const Json& j) {
  std::string out;
  if (j.is_object() && !j.empty()) {
    EmitMapping(j, 0, false, out);
  } else if (j.is_array() && !j.empty()) {
    EmitSequence(j, 0, false, out);
  } else {
    EmitScalarLine(j, 2, true, out);
  }
  return out;
}

}  // namespace skiff::api

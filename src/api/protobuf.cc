// Kubernetes protobuf decoding: the "k8s\0" + runtime.Unknown envelope, a bounds-checked wire
// reader, and a table-driven walk (tables in protobuf_messages*.cc) that writes the JSON object
// Go's JSON encoder would produce for the same object.
#include "api/protobuf.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/base64.h"

namespace skiff::api {
namespace {

using protobuf_internal::KindSpec;
using protobuf_internal::MessageSpec;

constexpr std::string_view kMagic("k8s\0", 4);
// Deepest message nesting accepted; real objects stay under 20 (PodTemplate inside a CronJob).
constexpr int kMaxDepth = 64;

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// ---------------------------------------------------------------------------------------------
// Field tables, parsed once from the compact specs.

enum class Kind : uint8_t {
  kString,
  kInt32,
  kInt64,
  kBool,
  kBytes,
  kTime,
  kMicroTime,
  kDuration,
  kQuantity,
  kIntOrString,
  kRawExtension,
  kFieldsV1,
  kMessage,
  kMap,
};

struct Message;

struct Type {
  Kind kind = Kind::kString;
  const Message* message = nullptr;  // kMessage only
};

struct Field {
  uint32_t number = 0;
  std::string json_name;
  Type type;
  Type map_value;  // kMap only; keys are always strings
  bool repeated = false;
  bool keep_zero = false;
  bool inlined = false;
};

struct Message {
  std::string name;
  std::vector<Field> fields;  // sorted by number

  const Field* Find(uint32_t number) const {
    auto it = std::lower_bound(fields.begin(), fields.end(), number,
                               [](const Field& f, uint32_t n) { return f.number < n; });
    return it != fields.end() && it->number == number ? &*it : nullptr;
  }
};

// Immutable after construction; Get() is thread-safe (function-local static).
class Registry {
 public:
  static const Registry& Get() {
    static const Registry* registry = new Registry();
    return *registry;
  }

  const Message* FindKind(std::string_view api_version, std::string_view kind) const {
    auto it = kinds_.find({std::string(api_version), std::string(kind)});
    if (it == kinds_.end()) {
      it = kinds_.find({std::string(), std::string(kind)});
    }
    return it == kinds_.end() ? nullptr : it->second;
  }

 private:
  Registry() {
    std::vector<std::pair<Message*, const char*>> pending;
    for (auto specs :
         {protobuf_internal::CoreMessageSpecs(), protobuf_internal::OtherMessageSpecs()}) {
      for (const MessageSpec& spec : specs) {
        Message& m = messages_.emplace_back();
        m.name = spec.name;
        SKIFF_CHECK(by_name_.emplace(m.name, &m).second);
        pending.emplace_back(&m, spec.fields);
      }
    }
    for (auto& [m, fields] : pending) {
      ParseFields(fields, *m);
    }
    for (const KindSpec& k : protobuf_internal::KindSpecs()) {
      kinds_[{k.api_version, k.kind}] = &Lookup(k.message);
    }
  }

  const Message& Lookup(std::string_view name) const {
    auto it = by_name_.find(name);
    SKIFF_CHECK(it != by_name_.end());
    return *it->second;
  }

  Type ParseType(std::string_view t) const {
    if (t.size() == 1) {
      static constexpr std::pair<char, Kind> kCodes[] = {
          {'s', Kind::kString},      {'i', Kind::kInt32},        {'l', Kind::kInt64},
          {'b', Kind::kBool},        {'y', Kind::kBytes},        {'T', Kind::kTime},
          {'M', Kind::kMicroTime},   {'D', Kind::kDuration},     {'Q', Kind::kQuantity},
          {'I', Kind::kIntOrString}, {'R', Kind::kRawExtension}, {'F', Kind::kFieldsV1},
      };
      for (auto [code, kind] : kCodes) {
        if (t[0] == code) {
          return {kind, nullptr};
        }
      }
    }
    SKIFF_CHECK(t.find('.') != std::string_view::npos);  // otherwise an unknown type code
    return {Kind::kMessage, &Lookup(t)};
  }

  void ParseFields(std::string_view spec, Message& m) const {
    while (!spec.empty()) {
      size_t end = spec.find(' ');
      std::string_view tok = spec.substr(0, end);
      spec = end == std::string_view::npos ? std::string_view() : spec.substr(end + 1);
      if (tok.empty()) {
        continue;
      }
      Field f;
      size_t i = 0;
      while (i < tok.size() && tok[i] >= '0' && tok[i] <= '9') {
        f.number = f.number * 10 + static_cast<uint32_t>(tok[i++] - '0');
      }
      size_t colon = tok.find(':');
      SKIFF_CHECK(f.number > 0 && colon != std::string_view::npos && colon > i);
      f.json_name = std::string(tok.substr(i, colon - i));
      std::string_view t = tok.substr(colon + 1);
      if (t.ends_with('!')) {
        f.keep_zero = true;
        t.remove_suffix(1);
      }
      if (t.starts_with('*')) {
        f.repeated = true;
        t.remove_prefix(1);
      }
      if (t.starts_with('^')) {
        f.inlined = true;
        t.remove_prefix(1);
      }
      if (t.starts_with("{s:") && t.ends_with('}')) {
        f.type = {Kind::kMap, nullptr};
        f.map_value = ParseType(t.substr(3, t.size() - 4));
      } else {
        f.type = ParseType(t);
      }
      SKIFF_CHECK(!f.inlined || f.type.kind == Kind::kMessage);
      m.fields.push_back(std::move(f));
    }
    std::sort(m.fields.begin(), m.fields.end(),
              [](const Field& a, const Field& b) { return a.number < b.number; });
  }

  std::deque<Message> messages_;
  std::map<std::string, const Message*, std::less<>> by_name_;
  std::map<std::pair<std::string, std::string>, const Message*> kinds_;
};

// ---------------------------------------------------------------------------------------------
// Wire reader. Every read is checked against the remaining bytes, so hostile lengths fail
// instead of allocating or reading past the end.

struct Tag {
  uint32_t number;
  WireType wire;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool done() const { return pos_ >= data_.size(); }

  StatusOr<uint64_t> Varint() {
    uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      if (pos_ >= data_.size()) {
        return InvalidArgument("protobuf: truncated varint");
      }
      auto b = static_cast<uint8_t>(data_[pos_++]);
      if (i == 9 && b > 1) {
        return InvalidArgument("protobuf: varint overflows 64 bits");
      }
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        return v;
      }
    }
    return InvalidArgument("protobuf: varint longer than 10 bytes");
  }

  StatusOr<Tag> ReadTag() {
    SKIFF_ASSIGN_OR_RETURN(uint64_t key, Varint());
    uint64_t number = key >> 3;
    auto wire = static_cast<uint8_t>(key & 7);
    if (number == 0 || number > 0x1fffffff) {
      return InvalidArgument("protobuf: invalid field number " + std::to_string(number));
    }
    if (wire > 5) {
      return InvalidArgument("protobuf: invalid wire type " + std::to_string(wire));
    }
    return Tag{static_cast<uint32_t>(number), static_cast<WireType>(wire)};
  }

  StatusOr<std::string_view> Bytes() {
    SKIFF_ASSIGN_OR_RETURN(uint64_t len, Varint());
    if (len > data_.size() - pos_) {
      return InvalidArgument("protobuf: length " + std::to_string(len) + " exceeds the " +
                             std::to_string(data_.size() - pos_) + " bytes left");
    }
    std::string_view out = data_.substr(pos_, len);
    pos_ += len;
    return out;
  }

  StatusOr<uint64_t> Fixed(size_t width) {
    if (width > data_.size() - pos_) {
      return InvalidArgument("protobuf: truncated fixed-width value");
    }
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += width;
    return v;
  }

  // Skips one value of an unknown field, still checking its encoding. Groups are a proto2
  // feature Kubernetes never uses; they are rejected rather than walked.
  Status Skip(WireType wire) {
    switch (wire) {
      case WireType::kVarint:
        return Varint().status();
      case WireType::kFixed64:
        return Fixed(8).status();
      case WireType::kLen:
        return Bytes().status();
      case WireType::kFixed32:
        return Fixed(4).status();
      default:
        return InvalidArgument("protobuf: groups are not supported");
    }
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// JSON forms of the special types.

// RFC 3339 in UTC for Unix `seconds` (+ `nanos`), as Go's Time.MarshalJSON writes it. Go refuses
// years outside [0, 9999]; so do we. Civil date from days: Howard Hinnant's algorithm.
StatusOr<std::string> FormatTimestamp(int64_t seconds, int64_t nanos, bool micro) {
  constexpr int64_t kYear0 = -62167219200;      // 0000-01-01T00:00:00Z
  constexpr int64_t kYear10000 = 253402300800;  // 10000-01-01T00:00:00Z
  auto out_of_range = [&] {
    return InvalidArgument("protobuf: time " + std::to_string(seconds) +
                           "s is outside years 0-9999");
  };
  if (seconds < kYear0 - 3 || seconds >= kYear10000 + 3) {  // before normalizing, no overflow
    return out_of_range();
  }
  // Go's time.Unix normalizes nanoseconds outside [0, 1e9) into the seconds.
  seconds += nanos / 1000000000;
  nanos %= 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  if (seconds < kYear0 || seconds >= kYear10000) {
    return out_of_range();
  }
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[40];
  int n =
      std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d", static_cast<int>(year),
                    static_cast<int>(month), static_cast<int>(day), static_cast<int>(rem / 3600),
                    static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (micro) {
    std::snprintf(buf, sizeof(buf), ".%06d", static_cast<int>(nanos / 1000));
    out += buf;
  }
  out += 'Z';
  return out;
}

// ---------------------------------------------------------------------------------------------
// The table-driven walk.

// A decoded value and whether it is Go's zero value (which omitempty drops). A null value
// (zero Time, empty RawExtension) is always left out.
struct Value {
  Json json;
  bool zero = false;
};

Status WireMismatch(const Message& m, const Field& f, WireType got) {
  return InvalidArgument("protobuf: " + m.name + "." + f.json_name + " (field " +
                         std::to_string(f.number) + ") has wire type " +
                         std::to_string(static_cast<int>(got)));
}

WireType ExpectedWire(Kind kind) {
  switch (kind) {
    case Kind::kInt32:
    case Kind::kInt64:
    case Kind::kBool:
      return WireType::kVarint;
    default:
      return WireType::kLen;
  }
}

StatusOr<Json> DecodeEnvelope(std::string_view data, int depth);

class Decoder {
 public:
  // Decodes `data` as message `m` into the JSON object `out` (merging, as protobuf does when a
  // message field repeats).
  Status DecodeMessage(const Message& m, std::string_view data, int depth, Json& out) {
    if (depth > kMaxDepth) {
      return InvalidArgument("protobuf: messages nest deeper than " + std::to_string(kMaxDepth));
    }
    if (!out.is_object()) {
      out = Json::object();
    }
    Reader r(data);
    while (!r.done()) {
      SKIFF_ASSIGN_OR_RETURN(Tag tag, r.ReadTag());
      const Field* f = m.Find(tag.number);
      if (f == nullptr) {
        SKIFF_RETURN_IF_ERROR(r.Skip(tag.wire));
        continue;
      }
      SKIFF_RETURN_IF_ERROR(DecodeField(m, *f, tag.wire, r, depth, out));
    }
    return Status::Ok();
  }

 private:
  Status DecodeField(const Message& m, const Field& f, WireType wire, Reader& r, int depth,
                     Json& out) {
    WireType want = ExpectedWire(f.type.kind);
    bool packed = f.repeated && want != WireType::kLen && wire == WireType::kLen;
    if (wire != want && !packed) {
      return WireMismatch(m, f, wire);
    }
    if (packed) {
      SKIFF_ASSIGN_OR_RETURN(std::string_view payload, r.Bytes());
      Reader pr(payload);
      while (!pr.done()) {
        SKIFF_ASSIGN_OR_RETURN(Value v, DecodeValue(f.type, pr, depth));
        out[f.json_name].push_back(std::move(v.json));
      }
      return Status::Ok();
    }
    if (f.type.kind == Kind::kMap) {
      SKIFF_ASSIGN_OR_RETURN(std::string_view entry, r.Bytes());
      return DecodeMapEntry(m, f, entry, depth, out[f.json_name]);
    }
    if (f.type.kind == Kind::kMessage && !f.repeated) {
      SKIFF_ASSIGN_OR_RETURN(std::string_view payload, r.Bytes());
      return DecodeMessage(*f.type.message, payload, depth + 1, f.inlined ? out : out[f.json_name]);
    }
    SKIFF_ASSIGN_OR_RETURN(Value v, DecodeValue(f.type, r, depth));
    if (f.repeated) {
      out[f.json_name].push_back(std::move(v.json));
    } else if (v.json.is_null() || (v.zero && !f.keep_zero)) {
      out.erase(f.json_name);  // a later zero overrides an earlier value: last one wins
    } else {
      out[f.json_name] = std::move(v.json);
    }
    return Status::Ok();
  }

  // A map entry is a message {key(1), value(2)}; a missing part is the zero value.
  Status DecodeMapEntry(const Message& m, const Field& f, std::string_view entry, int depth,
                        Json& map) {
    if (!map.is_object()) {
      map = Json::object();
    }
    std::string key;
    std::optional<Value> value;
    Reader r(entry);
    while (!r.done()) {
      SKIFF_ASSIGN_OR_RETURN(Tag tag, r.ReadTag());
      if (tag.number == 1) {
        if (tag.wire != WireType::kLen) {
          return WireMismatch(m, f, tag.wire);
        }
        SKIFF_ASSIGN_OR_RETURN(std::string_view k, r.Bytes());
        key = std::string(k);
      } else if (tag.number == 2) {
        if (tag.wire != ExpectedWire(f.map_value.kind)) {
          return WireMismatch(m, f, tag.wire);
        }
        SKIFF_ASSIGN_OR_RETURN(value, DecodeValue(f.map_value, r, depth));
      } else {
        SKIFF_RETURN_IF_ERROR(r.Skip(tag.wire));
      }
    }
    if (!value) {
      // Decode the zero value from an encoded zero: a 0 varint or a 0 length.
      Reader zero(std::string_view("\0", 1));
      SKIFF_ASSIGN_OR_RETURN(value, DecodeValue(f.map_value, zero, depth));
    }
    map[key] = std::move(value->json);
    return Status::Ok();
  }

  // Decodes one value of `type` (not a map) at the reader's position.
  StatusOr<Value> DecodeValue(const Type& type, Reader& r, int depth) {
    switch (type.kind) {
      case Kind::kInt32: {
        SKIFF_ASSIGN_OR_RETURN(uint64_t v, r.Varint());
        auto i = static_cast<int32_t>(static_cast<uint32_t>(v));  // Go truncates the same way
        return Value{i, i == 0};
      }
      case Kind::kInt64: {
        SKIFF_ASSIGN_OR_RETURN(uint64_t v, r.Varint());
        auto i = static_cast<int64_t>(v);
        return Value{i, i == 0};
      }
      case Kind::kBool: {
        SKIFF_ASSIGN_OR_RETURN(uint64_t v, r.Varint());
        return Value{v != 0, v == 0};
      }
      default:
        break;
    }
    SKIFF_ASSIGN_OR_RETURN(std::string_view payload, r.Bytes());
    switch (type.kind) {
      case Kind::kString:
        return Value{std::string(payload), payload.empty()};
      case Kind::kBytes:
        return Value{Base64Encode(payload), payload.empty()};
      case Kind::kQuantity: {
        SKIFF_ASSIGN_OR_RETURN(std::string s, SingleString(payload));
        bool zero = s.empty();
        return Value{std::move(s), zero};
      }
      case Kind::kTime:
      case Kind::kMicroTime:
        return DecodeTime(payload, type.kind == Kind::kMicroTime);
      case Kind::kDuration:
        return DecodeDuration(payload);
      case Kind::kIntOrString:
        return DecodeIntOrString(payload);
      case Kind::kRawExtension:
      case Kind::kFieldsV1:
        return DecodeRaw(payload, depth, type.kind == Kind::kRawExtension);
      case Kind::kMessage: {
        Value v{Json::object(), false};
        SKIFF_RETURN_IF_ERROR(DecodeMessage(*type.message, payload, depth + 1, v.json));
        return v;
      }
      default:
        return Internal("protobuf: unexpected kind");
    }
  }

  // resource.Quantity and the raw-bytes wrappers: one length-delimited field 1.
  static StatusOr<std::string> SingleString(std::string_view payload) {
    std::string out;
    Reader r(payload);
    while (!r.done()) {
      SKIFF_ASSIGN_OR_RETURN(Tag tag, r.ReadTag());
      if (tag.number == 1 && tag.wire == WireType::kLen) {
        SKIFF_ASSIGN_OR_RETURN(std::string_view s, r.Bytes());
        out = std::string(s);
      } else if (tag.number == 1) {
        return InvalidArgument("protobuf: field 1 of a wrapper is not length-delimited");
      } else {
        SKIFF_RETURN_IF_ERROR(r.Skip(tag.wire));
      }
    }
    return out;
  }

  // The fields of a small fixed message (Timestamp, Duration, IntOrString): varints numbered
  // 1..int_fields, and a string at `string_field` (0 = none).
  struct Small {
    int64_t ints[4] = {};
    std::string str;
  };
  static StatusOr<Small> ReadSmall(std::string_view payload, uint32_t int_fields,
                                   uint32_t string_field) {
    Small out;
    Reader r(payload);
    while (!r.done()) {
      SKIFF_ASSIGN_OR_RETURN(Tag tag, r.ReadTag());
      if (tag.number == string_field) {
        if (tag.wire != WireType::kLen) {
          return InvalidArgument("protobuf: string field has wire type " +
                                 std::to_string(static_cast<int>(tag.wire)));
        }
        SKIFF_ASSIGN_OR_RETURN(std::string_view s, r.Bytes());
        out.str = std::string(s);
      } else if (tag.number <= int_fields) {
        if (tag.wire != WireType::kVarint) {
          return InvalidArgument("protobuf: integer field has wire type " +
                                 std::to_string(static_cast<int>(tag.wire)));
        }
        SKIFF_ASSIGN_OR_RETURN(uint64_t v, r.Varint());
        out.ints[tag.number] = static_cast<int64_t>(v);
      } else {
        SKIFF_RETURN_IF_ERROR(r.Skip(tag.wire));
      }
    }
    return out;
  }

  // metav1.Time / MicroTime: Timestamp {seconds(1) int64, nanos(2) int32}. (0, 0) is Go's zero
  // time, which marshals as null.
  static StatusOr<Value> DecodeTime(std::string_view payload, bool micro) {
    SKIFF_ASSIGN_OR_RETURN(Small t, ReadSmall(payload, 2, 0));
    int64_t seconds = t.ints[1];
    int64_t nanos = static_cast<int32_t>(static_cast<uint32_t>(t.ints[2]));
    if (seconds == 0 && nanos == 0) {
      return Value{Json(), true};
    }
    SKIFF_ASSIGN_OR_RETURN(std::string s, FormatTimestamp(seconds, nanos, micro));
    return Value{std::move(s), false};
  }

  // metav1.Duration {duration(1) int64 nanoseconds}.
  static StatusOr<Value> DecodeDuration(std::string_view payload) {
    SKIFF_ASSIGN_OR_RETURN(Small d, ReadSmall(payload, 1, 0));
    return Value{protobuf_internal::FormatGoDuration(d.ints[1]), d.ints[1] == 0};
  }

  // intstr.IntOrString {type(1) 0=int 1=string, intVal(2), strVal(3)}. Int 0 counts as zero so
  // an unset by-value port (gogo always writes it) is dropped like omitempty would a scalar.
  static StatusOr<Value> DecodeIntOrString(std::string_view payload) {
    SKIFF_ASSIGN_OR_RETURN(Small v, ReadSmall(payload, 2, 3));
    if (v.ints[1] == 1) {
      return Value{std::move(v.str), false};
    }
    if (v.ints[1] != 0) {
      return InvalidArgument("protobuf: IntOrString has type " + std::to_string(v.ints[1]));
    }
    auto i = static_cast<int32_t>(static_cast<uint32_t>(v.ints[2]));
    return Value{i, i == 0};
  }

  // runtime.RawExtension / metav1.FieldsV1 {raw(1) bytes}: the bytes are JSON, or for a
  // RawExtension possibly a nested protobuf envelope.
  static StatusOr<Value> DecodeRaw(std::string_view payload, int depth, bool allow_envelope) {
    SKIFF_ASSIGN_OR_RETURN(std::string raw, SingleString(payload));
    if (raw.empty()) {
      return Value{Json(), true};
    }
    if (allow_envelope && IsKubernetesProtobuf(raw)) {
      SKIFF_ASSIGN_OR_RETURN(Json obj, DecodeEnvelope(std::string_view(raw).substr(4), depth + 1));
      return Value{std::move(obj), false};
    }
    auto parsed = ParseJson(raw);
    if (!parsed.ok()) {
      return parsed.status().WithContext("protobuf: embedded raw JSON");
    }
    return Value{*std::move(parsed), false};
  }
};

// runtime.Unknown {typeMeta(1): {apiVersion(1), kind(2)}, raw(2), contentEncoding(3),
// contentType(4)}, the bytes after the magic.
StatusOr<Json> DecodeEnvelope(std::string_view data, int depth) {
  if (depth > kMaxDepth) {
    return InvalidArgument("protobuf: envelopes nest deeper than " + std::to_string(kMaxDepth));
  }
  std::string fields[5];  // raw(2), contentEncoding(3), contentType(4) by field number
  std::string api_version, kind;
  Reader r(data);
  while (!r.done()) {
    SKIFF_ASSIGN_OR_RETURN(Tag tag, r.ReadTag());
    if (tag.number > 4) {
      SKIFF_RETURN_IF_ERROR(r.Skip(tag.wire));
      continue;
    }
    if (tag.wire != WireType::kLen) {
      return InvalidArgument("protobuf: runtime.Unknown field " + std::to_string(tag.number) +
                             " is not length-delimited");
    }
    SKIFF_ASSIGN_OR_RETURN(std::string_view payload, r.Bytes());
    if (tag.number != 1) {
      fields[tag.number] = std::string(payload);
      continue;
    }
    Reader tm(payload);
    while (!tm.done()) {
      SKIFF_ASSIGN_OR_RETURN(Tag t, tm.ReadTag());
      if ((t.number == 1 || t.number == 2) && t.wire == WireType::kLen) {
        SKIFF_ASSIGN_OR_RETURN(std::string_view s, tm.Bytes());
        (t.number == 1 ? api_version : kind) = std::string(s);
      } else if (t.number == 1 || t.number == 2) {
        return InvalidArgument("protobuf: typeMeta field is not length-delimited");
      } else {
        SKIFF_RETURN_IF_ERROR(tm.Skip(t.wire));
      }
    }
  }
  const std::string& raw = fields[2];
  const std::string& encoding = fields[3];
  const std::string& content_type = fields[4];
  if (!encoding.empty()) {
    return Unimplemented("protobuf: contentEncoding \"" + encoding + "\" is not supported");
  }
  if (kind.empty()) {
    return InvalidArgument("protobuf: the envelope has no kind");
  }
  Json obj;
  if (content_type == "application/json") {
    SKIFF_ASSIGN_OR_RETURN(obj, ParseJson(raw));
    if (!obj.is_object()) {
      return InvalidArgument("protobuf: embedded JSON is not an object");
    }
  } else if (content_type.empty() || content_type == kKubernetesProtobufContentType) {
    const Message* m = Registry::Get().FindKind(api_version, kind);
    if (m == nullptr) {
      return Unimplemented("protobuf: no field table for " + api_version + ", Kind=" + kind +
                           "; send application/json");
    }
    SKIFF_RETURN_IF_ERROR(Decoder().DecodeMessage(*m, raw, depth + 1, obj));
  } else {
    return Unimplemented("protobuf: contentType \"" + content_type + "\" is not supported");
  }
  if (!api_version.empty()) {
    obj["apiVersion"] = api_version;
  }
  obj["kind"] = kind;
  return obj;
}

}  // namespace

namespace protobuf_internal {

// Go's time.Duration.String(): "0s", "1.5µs", "100ms", "2h45m0.5s", "-3s".
std::string FormatGoDuration(int64_t d) {
  if (d == 0) {
    return "0s";
  }
  bool neg = d < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
  // Integer part and fraction (trailing zeros trimmed) of u / 10^digits.
  auto fixed = [](uint64_t v, int digits) {
    uint64_t scale = 1;
    for (int i = 0; i < digits; ++i) {
      scale *= 10;
    }
    std::string frac = std::to_string(v % scale);
    frac.insert(0, static_cast<size_t>(digits) - frac.size(), '0');
    while (!frac.empty() && frac.back() == '0') {
      frac.pop_back();
    }
    return std::to_string(v / scale) + (frac.empty() ? "" : "." + frac);
  };
  std::string out;
  if (u < 1000) {
    out = std::to_string(u) + "ns";
  } else if (u < 1000000) {
    out = fixed(u, 3) + "\u00b5s";
  } else if (u < 1000000000) {
    out = fixed(u, 6) + "ms";
  } else {
    uint64_t secs = u / 1000000000;
    std::string s = fixed(u % 60000000000, 9) + "s";
    uint64_t mins = secs / 60;
    if (mins > 0) {
      s = std::to_string(mins % 60) + "m" + s;
      if (mins / 60 > 0) {
        s = std::to_string(mins / 60) + "h" + s;
      }
    }
    out = std::move(s);
  }
  return neg ? "-" + out : out;
}

}  // namespace protobuf_internal

bool IsKubernetesProtobuf(std::string_view body) { return body.starts_with(kMagic); }

StatusOr<Json> DecodeKubernetesProtobuf(std::string_view body) {
  if (!IsKubernetesProtobuf(body)) {
    return InvalidArgument("protobuf: body does not start with the \"k8s\\0\" magic");
  }
  try {
    return DecodeEnvelope(body.substr(kMagic.size()), 0);
  } catch (const nlohmann::json::exception& e) {
    // Only reachable if a hostile body makes two table fields collide in one JSON object.
    return InvalidArgument(std::string("protobuf: ") + e.what());
  }
}

}  // namespace skiff::api

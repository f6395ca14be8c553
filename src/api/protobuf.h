// Decoding of request bodies in Kubernetes' protobuf encoding (what kubectl and client-go typed
// clientsets send as application/vnd.kubernetes.protobuf) into the JSON object the JSON
// serializer would have produced for the same Go object.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

inline constexpr std::string_view kKubernetesProtobufContentType =
    "application/vnd.kubernetes.protobuf";

// True when `body` starts with the 4-byte magic "k8s\0" of Kubernetes' protobuf envelope.
bool IsKubernetesProtobuf(std::string_view body);

// Decodes a body in Kubernetes' protobuf encoding: the magic "k8s\0", then a runtime.Unknown
// message {typeMeta(1): {apiVersion(1), kind(2)}, raw(2), contentEncoding(3), contentType(4)}
// whose raw is the protobuf encoding of the object's Go type.
//
// Returns the object as Go's JSON encoder would write it: apiVersion and kind from typeMeta,
// then the fields under their JSON names with omitempty semantics (fields the Go type holds by
// value are dropped when zero; pointer fields and fields without omitempty keep their zero
// value, so `replicas: 0` and `suspend: false` survive). metav1.Time becomes RFC 3339 with whole
// seconds, MicroTime RFC 3339 with 6 fraction digits, Duration Go's duration string,
// IntOrString a number or string, Quantity its string, bytes and map<string, bytes> base64,
// RawExtension and FieldsV1 the JSON they carry. Unknown field numbers are skipped after their
// wire format is checked. Never throws; work and memory are linear in the body size.
//
// Errors: InvalidArgument for malformed input (bad magic, truncated varint or length, wrong
// wire type, nesting beyond 64 messages, a time out of Go's JSON range, RawExtension bytes that
// are not JSON); Unimplemented for an apiVersion/kind without a field table, or a non-empty
// contentEncoding.
StatusOr<Json> DecodeKubernetesProtobuf(std::string_view body);

namespace protobuf_internal {

// One message's field table, written in a compact text form so the tables stay dense:
// `fields` is a space-separated list of `<number><jsonName>:<type>[!]` where <type> is
//   s string, i int32, l int64, b bool, y bytes (base64),
//   T metav1.Time, M metav1.MicroTime, D metav1.Duration, Q resource.Quantity,
//   I intstr.IntOrString, R runtime.RawExtension, F metav1.FieldsV1,
//   {s:V} map<string, V>, or the name of another message ("core.PodSpec");
// a leading `*` marks a repeated field, a leading `^` a message whose fields the JSON inlines
// into the parent (Go's `json:",inline"`), and a trailing `!` a scalar kept when zero (a Go
// pointer or a field without omitempty).
struct MessageSpec {
  const char* name;
  const char* fields;
};

// Top-level kinds: the message for an apiVersion/kind. An empty api_version matches any
// (DeleteOptions and Status are registered in every group version).
struct KindSpec {
  const char* api_version;
  const char* kind;
  const char* message;
};

// Defined in protobuf_messages_core.cc (core/v1) and protobuf_messages.cc (everything else).
std::span<const MessageSpec> CoreMessageSpecs();
std::span<const MessageSpec> OtherMessageSpecs();
std::span<const KindSpec> KindSpecs();

// Go's time.Duration.String() for a count of nanoseconds: "0s", "1.5µs", "100ms", "1h0m0s".
std::string FormatGoDuration(int64_t nanoseconds);

}  // namespace protobuf_internal
}  // namespace skiff::api

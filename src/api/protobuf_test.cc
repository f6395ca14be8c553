// Tests for the Kubernetes protobuf decoder: hand-built bodies for each wire feature and special
// type, error cases, and real bodies captured from kubectl 1.32 (testdata/protobuf/).
#include "api/protobuf.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace skiff::api {
namespace {

// A tiny protobuf writer, enough to build request bodies by hand.
class Pb {
 public:
  Pb& Varint(uint32_t field, uint64_t v) {
    Key(field, 0);
    Raw(v);
    return *this;
  }
  Pb& Str(uint32_t field, std::string_view s) {
    Key(field, 2);
    Raw(s.size());
    buf_ += s;
    return *this;
  }
  Pb& Msg(uint32_t field, const Pb& m) { return Str(field, m.buf_); }
  // A map<string, string> / map<string, bytes> entry.
  Pb& Entry(uint32_t field, std::string_view key, std::string_view value) {
    return Msg(field, Pb().Str(1, key).Str(2, value));
  }
  // Appends bytes as they are, for malformed input.
  Pb& Append(std::string_view raw) {
    buf_ += raw;
    return *this;
  }
  Pb& Key(uint32_t field, int wire) {
    Raw((uint64_t{field} << 3) | static_cast<uint64_t>(wire));
    return *this;
  }
  Pb& Raw(uint64_t v) {
    while (v >= 0x80) {
      buf_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    buf_ += static_cast<char>(v);
    return *this;
  }
  const std::string& str() const { return buf_; }

 private:
  std::string buf_;
};

const std::string kMagic("k8s\0", 4);

std::string Envelope(std::string_view api_version, std::string_view kind, const Pb& obj) {
  return kMagic + Pb().Msg(1, Pb().Str(1, api_version).Str(2, kind))
                      .Str(2, obj.str())
                      .Str(3, "")
                      .Str(4, "")
                      .str();
}

Pb IntOrStringInt(int32_t v) { return Pb().Varint(1, 0).Varint(2, static_cast<uint32_t>(v)); }
Pb IntOrStringStr(std::string_view s) { return Pb().Varint(1, 1).Str(3, s); }
Pb Quantity(std::string_view s) { return Pb().Str(1, s); }
Pb Time(int64_t seconds, int32_t nanos = 0) {
  return Pb().Varint(1, static_cast<uint64_t>(seconds)).Varint(2, static_cast<uint32_t>(nanos));
}

Json Decode(const std::string& body) {
  auto r = DecodeKubernetesProtobuf(body);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Json();
}

StatusCode DecodeError(const std::string& body) {
  auto r = DecodeKubernetesProtobuf(body);
  return r.status().code();
}

TEST(ProtobufTest, NamespaceWithLabelsAndCreationTimestamp) {
  Pb meta;
  meta.Str(1, "ml-prod")
      .Str(2, "")    // by-value generateName: gogo always writes it, omitempty drops it
      .Varint(7, 0)  // generation 0: dropped likewise
      .Msg(8, Time(1735787045))
      .Msg(9, Pb())  // deletionTimestamp: an empty Timestamp is Go's zero time (null)
      .Entry(11, "team", "ml")
      .Entry(11, "env", "prod");
  Pb ns;
  ns.Msg(1, meta).Msg(2, Pb()).Msg(3, Pb().Str(1, "Active"));
  EXPECT_EQ(Decode(Envelope("v1", "Namespace", ns)), Json::parse(R"({
    "apiVersion": "v1", "kind": "Namespace",
    "metadata": {"name": "ml-prod", "creationTimestamp": "2025-01-02T03:04:05Z",
                 "labels": {"team": "ml", "env": "prod"}},
    "spec": {}, "status": {"phase": "Active"}})"));
}

TEST(ProtobufTest, ConfigMapDataAndBinaryData) {
  Pb cm;
  cm.Msg(1, Pb().Str(1, "c"))
      .Entry(2, "a", "b")
      .Entry(2, "greeting", "hello world")
      .Entry(3, "bin", std::string("\x00\x01\xff", 3))
      .Msg(3, Pb().Str(1, "novalue"))  // an entry without a value holds the zero value
      .Varint(4, 0);                   // immutable is *bool: false is kept
  EXPECT_EQ(Decode(Envelope("v1", "ConfigMap", cm)), Json::parse(R"({
    "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
    "data": {"a": "b", "greeting": "hello world"},
    "binaryData": {"bin": "AAH/", "novalue": ""},
    "immutable": false})"));
}

TEST(ProtobufTest, SecretBytesBecomeBase64) {
  Pb secret;
  secret.Msg(1, Pb().Str(1, "s").Str(3, "team-a"))
      .Entry(2, "password", "s3cr3t!")
      .Entry(2, "password", "s3cr3t!!")  // a repeated key: the last entry wins, as in Go
      .Str(3, "Opaque")
      .Entry(4, "plain", "text");
  EXPECT_EQ(Decode(Envelope("v1", "Secret", secret)), Json::parse(R"({
    "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "team-a"},
    "data": {"password": "czNjcjN0ISE="}, "type": "Opaque", "stringData": {"plain": "text"}})"));
}

TEST(ProtobufTest, DeploymentKeepsPointerZeroesAndDecodesSpecialTypes) {
  Pb container;
  container.Str(1, "web")
      .Str(2, "nginx:1.25")
      .Str(3, "sh")
      .Str(4, "-c")
      .Str(4, "echo hi")
      .Msg(6, Pb().Str(1, "").Varint(2, 0).Varint(3, 80).Str(4, "TCP"))
      .Msg(7, Pb().Str(1, "MODE").Str(2, "prod"))
      .Msg(7, Pb().Str(1, "EMPTY").Str(2, ""))
      .Msg(8, Pb().Msg(1, Pb().Str(1, "cpu").Msg(2, Quantity("500m")))
                  .Msg(2, Pb().Str(1, "memory").Msg(2, Quantity("128Mi"))))
      .Varint(16, 0);  // stdin false: by value, dropped
  Pb spec;
  spec.Varint(1, 0)  // replicas is *int32: 0 must survive, or defaulting would make it 1
      .Msg(2, Pb().Entry(1, "app", "web"))
      .Msg(3, Pb().Msg(1, Pb().Entry(11, "app", "web")).Msg(2, Pb().Msg(2, container)))
      .Msg(4, Pb().Str(1, "RollingUpdate")
                  .Msg(2, Pb().Msg(1, IntOrStringInt(1)).Msg(2, IntOrStringStr("25%"))))
      .Varint(5, 0)   // minReadySeconds: by value, dropped
      .Varint(7, 0);  // paused: by value, dropped
  Pb deploy;
  deploy.Msg(1, Pb().Str(1, "web")).Msg(2, spec).Msg(3, Pb());
  EXPECT_EQ(Decode(Envelope("apps/v1", "Deployment", deploy)), Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {
      "replicas": 0,
      "selector": {"matchLabels": {"app": "web"}},
      "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{
          "name": "web", "image": "nginx:1.25", "command": ["sh"], "args": ["-c", "echo hi"],
          "ports": [{"containerPort": 80, "protocol": "TCP"}],
          "env": [{"name": "MODE", "value": "prod"}, {"name": "EMPTY"}],
          "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "128Mi"}}}]}},
      "strategy": {"type": "RollingUpdate",
                   "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}}},
    "status": {}})"));
}

TEST(ProtobufTest, ServiceTargetPortIntOrString) {
  Pb spec;
  spec.Msg(1, Pb().Str(1, "http").Str(2, "TCP").Varint(3, 80).Msg(4, IntOrStringInt(8080)))
      .Msg(1, Pb().Str(1, "https").Varint(3, 443).Msg(4, IntOrStringStr("https")))
      // port has no omitempty: 0 stays; an int-0 targetPort is the unset by-value default.
      .Msg(1, Pb().Str(1, "zero").Varint(3, 0).Msg(4, IntOrStringInt(0)))
      .Entry(2, "app", "web")
      .Str(3, "")
      .Str(4, "ClusterIP");
  Pb svc;
  svc.Msg(1, Pb().Str(1, "web")).Msg(2, spec).Msg(3, Pb().Msg(1, Pb()));
  EXPECT_EQ(Decode(Envelope("v1", "Service", svc)), Json::parse(R"({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    "spec": {"ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                       {"name": "https", "port": 443, "targetPort": "https"},
                       {"name": "zero", "port": 0}],
             "selector": {"app": "web"}, "type": "ClusterIP"},
    "status": {"loadBalancer": {}}})"));
}

TEST(ProtobufTest, JobParallelismCompletionsAndSuspend) {
  Pb pod_spec;
  pod_spec.Msg(2, Pb().Str(1, "main").Str(2, "busybox")).Str(3, "Never");
  Pb spec;
  spec.Varint(1, 2).Varint(2, 5).Msg(6, Pb().Msg(1, Pb()).Msg(2, pod_spec)).Varint(10, 0);
  Pb job;
  job.Msg(1, Pb().Str(1, "j")).Msg(2, spec);
  EXPECT_EQ(Decode(Envelope("batch/v1", "Job", job)), Json::parse(R"({
    "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
    "spec": {"parallelism": 2, "completions": 5, "suspend": false,
             "template": {"metadata": {}, "spec": {
               "containers": [{"name": "main", "image": "busybox"}],
               "restartPolicy": "Never"}}}})"));
}

TEST(ProtobufTest, InlinedStructsPackedRepeatedAndProbes) {
  Pb env_from_cm = Pb().Msg(3, Pb().Msg(1, Pb().Str(1, "app-config")).Str(2, "x"));
  Pb probe =
      Pb().Msg(1, Pb().Msg(2, Pb().Str(1, "/healthz").Msg(2, IntOrStringInt(8080)))).Varint(4, 10);
  Pb container = Pb().Str(1, "app").Msg(7, Pb().Str(1, "X").Msg(3, env_from_cm)).Msg(11, probe);
  Pb packed = Pb().Raw(1000).Raw(2000);
  Pb pod_spec;
  // Volume{name, volumeSource(2): VolumeSource{configMap(19): {LocalObjectReference(1), ...}}}:
  // both the volume source and the reference are inlined in JSON.
  Pb config_map = Pb().Msg(1, Pb().Str(1, "app-config")).Varint(3, 420);
  pod_spec.Msg(1, Pb().Str(1, "cfg").Msg(2, Pb().Msg(19, config_map)))
      .Msg(2, container)
      .Msg(14, Pb().Varint(2, 0).Str(4, packed.str()).Varint(4, 3000));
  Pb pod = Pb().Msg(1, Pb().Str(1, "p")).Msg(2, pod_spec);
  EXPECT_EQ(Decode(Envelope("v1", "Pod", pod)), Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {
      "volumes": [{"name": "cfg", "configMap": {"name": "app-config", "defaultMode": 420}}],
      "containers": [{"name": "app",
        "env": [{"name": "X",
                 "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "x"}}}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}}],
      "securityContext": {"runAsUser": 0, "supplementalGroups": [1000, 2000, 3000]}}})"));
}

TEST(ProtobufTest, LeaseMicroTime) {
  Pb spec;
  spec.Str(1, "node-a").Varint(2, 15).Msg(3, Time(1735787045, 123456789)).Msg(4, Time(0, 5000));
  Pb lease = Pb().Msg(1, Pb().Str(1, "l")).Msg(2, spec);
  EXPECT_EQ(Decode(Envelope("coordination.k8s.io/v1", "Lease", lease)), Json::parse(R"({
    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"},
    "spec": {"holderIdentity": "node-a", "leaseDurationSeconds": 15,
             "acquireTime": "2025-01-02T03:04:05.123456Z",
             "renewTime": "1970-01-01T00:00:00.000005Z"}})"));
}

TEST(ProtobufTest, TimesAcrossGoJsonRange) {
  auto created = [](int64_t seconds) {
    Pb ns = Pb().Msg(1, Pb().Str(1, "n").Msg(8, Time(seconds)));
    return DecodeKubernetesProtobuf(Envelope("v1", "Namespace", ns));
  };
  EXPECT_EQ((*created(-310478400))["metadata"]["creationTimestamp"], "1960-02-29T12:00:00Z");
  EXPECT_EQ((*created(-62135596800))["metadata"]["creationTimestamp"], "0001-01-01T00:00:00Z");
  EXPECT_EQ((*created(253402300799))["metadata"]["creationTimestamp"], "9999-12-31T23:59:59Z");
  EXPECT_EQ(created(253402300800).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(created(std::numeric_limits<int64_t>::min()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ProtobufTest, ManagedFieldsAndDeleteOptions) {
  Pb entry;
  entry.Str(1, "kubectl")
      .Str(2, "Update")
      .Str(3, "v1")
      .Msg(4, Time(1735787045))
      .Str(6, "FieldsV1")
      .Msg(7, Pb().Str(1, R"({"f:data":{".":{},"f:a":{}}})"));
  Pb cm = Pb().Msg(1, Pb().Str(1, "c").Msg(17, entry));
  Json got = Decode(Envelope("v1", "ConfigMap", cm));
  EXPECT_EQ(got["metadata"]["managedFields"], Json::parse(R"([{
    "manager": "kubectl", "operation": "Update", "apiVersion": "v1",
    "time": "2025-01-02T03:04:05Z", "fieldsType": "FieldsV1",
    "fieldsV1": {"f:data": {".": {}, "f:a": {}}}}])"));

  // DeleteOptions is registered in every group version, so any apiVersion finds its table.
  Pb opts = Pb().Varint(1, 0).Str(4, "Foreground").Str(5, "All");
  EXPECT_EQ(Decode(Envelope("apps/v1", "DeleteOptions", opts)), Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
    "propagationPolicy": "Foreground", "dryRun": ["All"]})"));
}

TEST(ProtobufTest, RawExtensionHoldsJsonOrANestedEnvelope) {
  Pb rev =
      Pb().Msg(1, Pb().Str(1, "r1")).Msg(2, Pb().Str(1, R"({"spec":{"replicas":3}})")).Varint(3, 1);
  EXPECT_EQ(Decode(Envelope("apps/v1", "ControllerRevision", rev)), Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r1"},
    "data": {"spec": {"replicas": 3}}, "revision": 1})"));

  std::string inner = Envelope("v1", "ConfigMap", Pb().Msg(1, Pb().Str(1, "c")).Entry(2, "k", "v"));
  Pb nested = Pb().Msg(2, Pb().Str(1, inner)).Varint(3, 2);
  EXPECT_EQ(Decode(Envelope("apps/v1", "ControllerRevision", nested)), Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 2,
    "data": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
             "data": {"k": "v"}}})"));

  Pb bad = Pb().Msg(2, Pb().Str(1, "{not json"));
  EXPECT_EQ(DecodeError(Envelope("apps/v1", "ControllerRevision", bad)),
            StatusCode::kInvalidArgument);
}

TEST(ProtobufTest, NestingIsCapped) {
  auto nest = [](int levels) {
    std::string body = Envelope("apps/v1", "ControllerRevision", Pb().Varint(3, 1));
    for (int i = 0; i < levels; ++i) {
      body = Envelope("apps/v1", "ControllerRevision", Pb().Msg(2, Pb().Str(1, body)));
    }
    return DecodeKubernetesProtobuf(body);
  };
  EXPECT_TRUE(nest(10).ok());
  EXPECT_EQ(nest(70).status().code(), StatusCode::kInvalidArgument);
}

TEST(ProtobufTest, UnknownFieldsAreSkippedButValidated) {
  Pb meta;
  meta.Str(1, "n")
      .Varint(99, 7)
      .Key(98, 1)
      .Append(std::string(8, '\x01'))  // fixed64
      .Str(97, "future")
      .Key(96, 5)
      .Append(std::string(4, '\x02'));  // fixed32
  std::string body = kMagic + Pb().Msg(1, Pb().Str(1, "v1").Str(2, "Namespace").Str(9, "x"))
                                  .Str(2, Pb().Msg(1, meta).str())
                                  .Varint(15, 1)
                                  .str();
  EXPECT_EQ(Decode(body), Json::parse(R"({
    "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})"));

  Pb truncated_unknown = Pb().Msg(1, Pb().Str(1, "n").Key(96, 5).Append("\x02\x02"));
  EXPECT_EQ(DecodeError(Envelope("v1", "Namespace", truncated_unknown)),
            StatusCode::kInvalidArgument);
  Pb group = Pb().Msg(1, Pb().Str(1, "n").Key(95, 3));
  EXPECT_EQ(DecodeError(Envelope("v1", "Namespace", group)), StatusCode::kInvalidArgument);
}

TEST(ProtobufTest, MalformedInputIsInvalidArgument) {
  EXPECT_EQ(DecodeError(""), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeError(R"({"apiVersion":"v1","kind":"Namespace"})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeError("k8s"), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeError(kMagic), StatusCode::kInvalidArgument);                       // no kind
  EXPECT_EQ(DecodeError(kMagic + "\x0a\x80"), StatusCode::kInvalidArgument);          // varint cut
  EXPECT_EQ(DecodeError(kMagic + "\x0a\x05\x0a\x01"), StatusCode::kInvalidArgument);  // length
  EXPECT_EQ(DecodeError(kMagic + "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"),
            StatusCode::kInvalidArgument);  // length varint over 64 bits
  EXPECT_EQ(DecodeError(kMagic + std::string("\x00\x00", 2)), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeError(kMagic + "\x0e"), StatusCode::kInvalidArgument);  // wire type 6

  // A huge declared length must fail on the bounds check, not allocate.
  Pb huge = Pb().Key(1, 2).Raw(uint64_t{1} << 62);
  EXPECT_EQ(DecodeError(Envelope("v1", "Namespace", huge)), StatusCode::kInvalidArgument);
  // metadata sent as a varint: wrong wire type for a message field.
  EXPECT_EQ(DecodeError(Envelope("v1", "Namespace", Pb().Varint(1, 5))),
            StatusCode::kInvalidArgument);
  // replicas sent length-delimited with a bad payload.
  Pb bad_replicas = Pb().Msg(2, Pb().Str(1, "\xff"));
  EXPECT_EQ(DecodeError(Envelope("apps/v1", "Deployment", bad_replicas)),
            StatusCode::kInvalidArgument);
  Pb bad_intstr = Pb().Msg(2, Pb().Msg(1, Pb().Msg(4, Pb().Varint(1, 2))));
  EXPECT_EQ(DecodeError(Envelope("v1", "Service", bad_intstr)), StatusCode::kInvalidArgument);
}

TEST(ProtobufTest, UnknownKindsAndEncodingsAreUnimplemented) {
  EXPECT_EQ(DecodeError(Envelope("v1", "Widget", Pb())), StatusCode::kUnimplemented);
  EXPECT_EQ(DecodeError(Envelope("v2", "Namespace", Pb())), StatusCode::kUnimplemented);
  EXPECT_EQ(DecodeError(Envelope("example.com/v1", "Deployment", Pb())),
            StatusCode::kUnimplemented);
  std::string gzip =
      kMagic +
      Pb().Msg(1, Pb().Str(1, "v1").Str(2, "Namespace")).Str(2, "\x1f\x8b").Str(3, "gzip").str();
  EXPECT_EQ(DecodeError(gzip), StatusCode::kUnimplemented);
  std::string cbor =
      kMagic + Pb().Msg(1, Pb().Str(1, "v1").Str(2, "Namespace")).Str(4, "application/cbor").str();
  EXPECT_EQ(DecodeError(cbor), StatusCode::kUnimplemented);
}

TEST(ProtobufTest, JsonContentTypeInsideTheEnvelope) {
  std::string body = kMagic + Pb().Msg(1, Pb().Str(1, "v1").Str(2, "Namespace"))
                                  .Str(2, R"({"metadata":{"name":"n"}})")
                                  .Str(4, "application/json")
                                  .str();
  EXPECT_EQ(Decode(body), Json::parse(R"({
    "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})"));
}

TEST(ProtobufTest, EveryRegisteredKindDecodesAnEmptyObject) {
  for (const auto& k : protobuf_internal::KindSpecs()) {
    std::string api_version = *k.api_version != '\0' ? k.api_version : "v1";
    Json got = Decode(Envelope(api_version, k.kind, Pb()));
    EXPECT_EQ(got["kind"], k.kind) << k.message;
    EXPECT_EQ(got.size(), 2u) << k.message;
  }
  EXPECT_TRUE(IsKubernetesProtobuf(kMagic + "x"));
  EXPECT_FALSE(IsKubernetesProtobuf("{}"));
}

TEST(ProtobufTest, GoDurationStrings) {
  using protobuf_internal::FormatGoDuration;
  EXPECT_EQ(FormatGoDuration(0), "0s");
  EXPECT_EQ(FormatGoDuration(1), "1ns");
  EXPECT_EQ(FormatGoDuration(1500), "1.5\u00b5s");
  EXPECT_EQ(FormatGoDuration(100'000'000), "100ms");
  EXPECT_EQ(FormatGoDuration(1'500'000'000), "1.5s");
  EXPECT_EQ(FormatGoDuration(90'000'000'000), "1m30s");
  EXPECT_EQ(FormatGoDuration(3'600'000'000'000), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(9'900'500'000'000), "2h45m0.5s");
  EXPECT_EQ(FormatGoDuration(-3'000'000'000), "-3s");
  EXPECT_EQ(FormatGoDuration(std::numeric_limits<int64_t>::min()), "-2562047h47m16.854775808s");
}

// Bodies captured from kubectl 1.32.4 against a recording server. Each expectation equals
// `kubectl create ... --dry-run=client -o json` for the same command with its nulls removed
// (Go writes a zero creationTimestamp as null; we leave it out).
std::string ReadFixture(const std::string& name) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "testdata" / "protobuf" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Fixture {
  const char* file;
  const char* json;
};

constexpr Fixture kFixtures[] = {
    {"namespace.bin",  // kubectl create namespace ml-prod
     R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ml-prod"},
         "spec":{},"status":{}})"},
    {"configmap.bin",  // kubectl create configmap c --from-literal=a=b --from-literal=greeting=...
     R"({"apiVersion":"v1","data":{"a":"b","greeting":"hello world"},"kind":"ConfigMap",
         "metadata":{"name":"c"}})"},
    {"secret.bin",  // kubectl create secret generic s --from-literal=p=q
                    // --from-literal=password=...
     R"({"apiVersion":"v1","data":{"p":"cQ==","password":"czNjcjN0IQ=="},"kind":"Secret",
         "metadata":{"name":"s"}})"},
    {"dockersecret.bin",  // kubectl create secret docker-registry reg ...
     R"({"apiVersion":"v1","data":{".dockerconfigjson":)"
     R"("eyJhdXRocyI6eyJyLmlvIjp7InVzZXJuYW1lIjoidSIsInBhc3N3b3JkIjoicCIsImF1dGgiOiJkVHB3In19fQ=="},
         "kind":"Secret","metadata":{"name":"reg"},"type":"kubernetes.io/dockerconfigjson"})"},
    {"deployment.bin",  // kubectl create deployment d --image=nginx:1.25 --replicas=2 --port=80
     R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"d"},"name":"d"},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"d"}},"strategy":{},
         "template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"image":"nginx:1.25",
         "name":"nginx","ports":[{"containerPort":80}],"resources":{}}]}}},"status":{}})"},
    {"deployment_zero.bin",  // kubectl create deployment z --image=nginx:1.25 --replicas=0
     R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"z"},"name":"z"},
         "spec":{"replicas":0,"selector":{"matchLabels":{"app":"z"}},"strategy":{},
         "template":{"metadata":{"labels":{"app":"z"}},"spec":{"containers":[{"image":"nginx:1.25",
         "name":"nginx","resources":{}}]}}},"status":{}})"},
    {"deployment_multi.bin",  // kubectl create deployment multi --image=... --image=... --port=6379
     R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"multi"},
         "name":"multi"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"multi"}},
         "strategy":{},"template":{"metadata":{"labels":{"app":"multi"}},"spec":{"containers":[
         {"image":"nginx:1.25","name":"nginx","ports":[{"containerPort":6379}],"resources":{}},
         {"image":"redis:7","name":"redis","resources":{}}]}}},"status":{}})"},
    {"service.bin",  // kubectl create service clusterip svc --tcp=80:8080
     R"({"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app":"svc"},"name":"svc"},
         "spec":{"ports":[{"name":"80-8080","port":80,"protocol":"TCP","targetPort":8080}],
         "selector":{"app":"svc"},"type":"ClusterIP"},"status":{"loadBalancer":{}}})"},
    {"service_nodeport.bin",  // kubectl create service nodeport np --tcp=443:https
     R"({"apiVersion":"v1","kind":"Service","metadata":{"labels":{"app":"np"},"name":"np"},
         "spec":{"ports":[{"name":"443-https","port":443,"protocol":"TCP","targetPort":"https"}],
         "selector":{"app":"np"},"type":"NodePort"},"status":{"loadBalancer":{}}})"},
    {"job.bin",  // kubectl create job j --image=busybox -- echo hi
     R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{
         "metadata":{},"spec":{"containers":[{"command":["echo","hi"],"image":"busybox","name":"j",
         "resources":{}}],"restartPolicy":"Never"}}},"status":{}})"},
    {"cronjob.bin",  // kubectl create cronjob cj --image=busybox --schedule='*/5 * * * *' -- date
     R"({"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"cj"},"spec":{"jobTemplate":{
         "metadata":{"name":"cj"},"spec":{"template":{"metadata":{},"spec":{"containers":[{
         "command":["date"],"image":"busybox","name":"cj","resources":{}}],
         "restartPolicy":"OnFailure"}}}},"schedule":"*/5 * * * *"},"status":{}})"},
    {"serviceaccount.bin",  // kubectl create serviceaccount sa
     R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa"}})"},
    {"token.bin",  // kubectl create token sa --duration=10m
     R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","metadata":{},
         "spec":{"expirationSeconds":600},"status":{"token":""}})"},
    {"quota.bin",  // kubectl create quota q --hard=cpu=1,memory=1Gi,pods=10
     R"({"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q"},
         "spec":{"hard":{"cpu":"1","memory":"1Gi","pods":"10"}},"status":{}})"},
    {"role.bin",  // kubectl create role r --verb=get,list --resource=pods
     R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r"},
         "rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]})"},
    {"rolebinding.bin",  // kubectl create rolebinding rb --role=r --user=alice --serviceaccount=...
     R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb"},
         "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},
         "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"alice"},
         {"kind":"ServiceAccount","name":"sa","namespace":"default"}]})"},
    {"clusterrole.bin",  // kubectl create clusterrole cr --verb=get --resource=nodes
     R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"cr"},
         "rules":[{"apiGroups":[""],"resources":["nodes"],"verbs":["get"]}]})"},
    {"clusterrolebinding.bin",  // kubectl create clusterrolebinding crb --clusterrole=cr ...
     R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding",
         "metadata":{"name":"crb"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io",
         "kind":"ClusterRole","name":"cr"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io",
         "kind":"Group","name":"devs"}]})"},
    {"ingress.bin",  // kubectl create ingress ing --rule='foo.com/bar*=svc:8080,tls=my-cert'
     R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"ing"},
         "spec":{"rules":[{"host":"foo.com","http":{"paths":[{"backend":{"service":{"name":"svc",
         "port":{"number":8080}}},"path":"/bar","pathType":"Prefix"}]}}],
         "tls":[{"hosts":["foo.com"],"secretName":"my-cert"}]},"status":{"loadBalancer":{}}})"},
    {"pdb.bin",  // kubectl create poddisruptionbudget pdb --selector=app=x --min-available=1
     R"({"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"pdb"},
         "spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"x"}}},
         "status":{"currentHealthy":0,"desiredHealthy":0,"disruptionsAllowed":0,
         "expectedPods":0}})"},
    {"priorityclass.bin",  // kubectl create priorityclass high --value=1000 --description=...
     R"({"apiVersion":"scheduling.k8s.io/v1","description":"important","kind":"PriorityClass",
         "metadata":{"name":"high"},"preemptionPolicy":"PreemptLowerPriority","value":1000})"},
};

TEST(ProtobufTest, RealKubectlBodies) {
  for (const Fixture& f : kFixtures) {
    std::string body = ReadFixture(f.file);
    ASSERT_TRUE(IsKubernetesProtobuf(body)) << f.file;
    EXPECT_EQ(Decode(body), Json::parse(f.json)) << f.file;
  }
}

// Every truncation and single-byte corruption of the real bodies must come back as a value or
// an error, never a crash (ASan builds make overreads fatal).
TEST(ProtobufTest, CorruptedRealBodiesNeverCrash) {
  for (const Fixture& f : kFixtures) {
    std::string body = ReadFixture(f.file);
    for (size_t n = 0; n < body.size(); ++n) {
      auto r = DecodeKubernetesProtobuf(body.substr(0, n));
      EXPECT_TRUE(r.ok() || r.status().code() == StatusCode::kInvalidArgument ||
                  r.status().code() == StatusCode::kUnimplemented);
      for (char x : {'\x01', '\x80', '\xff'}) {
        std::string mutated = body;
        mutated[n] = static_cast<char>(mutated[n] ^ x);
        auto m = DecodeKubernetesProtobuf(mutated);
        EXPECT_TRUE(m.ok() || m.status().code() == StatusCode::kInvalidArgument ||
                    m.status().code() == StatusCode::kUnimplemented);
      }
    }
  }
}

}  // namespace
}  // namespace skiff::api

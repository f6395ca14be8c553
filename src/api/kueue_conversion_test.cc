// Tests for Kueue v1beta1 <-> v1beta2 conversion: the upstream field mapping per kind, lossless
// round trips both ways (via the conversion-data annotation), and robustness to bad input.
#include "api/kueue_conversion.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/conversion.h"
#include "api/registry.h"
#include "api/schema.h"
#include "api/yaml.h"

namespace skiff::api {
namespace {

constexpr char kAnnotation[] = "skiff.dev/kueue-conversion-data";

Json Yaml(std::string_view text) {
  auto j = ParseYamlOrJson(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? *j : Json();
}

StatusOr<Json> Convert(std::string_view kind, std::string_view from, std::string_view to,
                       Json obj) {
  Status s = ConvertKueue(kind, from, to, obj);
  if (!s.ok()) return s;
  return obj;
}

Json MustConvert(std::string_view kind, std::string_view from, std::string_view to,
                 const Json& obj) {
  auto out = Convert(kind, from, to, obj);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : Json();
}

// The parsed conversion-data annotation ({} when absent), removed from `obj`; drops
// metadata.annotations when that leaves it empty.
Json TakeData(Json& obj) {
  Json& annotations = obj["metadata"]["annotations"];
  if (!annotations.is_object() || !annotations.contains(kAnnotation)) {
    if (annotations.is_null()) obj["metadata"].erase("annotations");
    return Json::object();
  }
  auto data = ParseJson(annotations[kAnnotation].get<std::string>());
  EXPECT_TRUE(data.ok());
  annotations.erase(kAnnotation);
  if (annotations.empty()) obj["metadata"].erase("annotations");
  return data.ok() ? *data : Json();
}

const Registry& Builtins() {
  static const std::unique_ptr<Registry> registry = [] {
    auto r = Registry::LoadBuiltins();
    SKIFF_CHECK(r.ok());
    return std::move(*r);
  }();
  return *registry;
}

KindPtr KueueKind(std::string_view kind) {
  KindPtr k = Builtins().ByKind("kueue.x-k8s.io", kind);
  EXPECT_NE(k, nullptr) << kind;
  return k;
}

// `obj` is a proper object of `version`: no fields the schema lacks, and valid.
void ExpectProper(std::string_view kind, std::string_view version, const Json& obj) {
  KindPtr k = KueueKind(kind);
  ASSERT_NE(k, nullptr);
  const KindVersion* v = k->Version(version);
  ASSERT_TRUE(v != nullptr && v->schema != nullptr);
  Json copy = obj;
  std::vector<std::string> unknown = Prune(*v->schema, copy);
  EXPECT_TRUE(unknown.empty()) << kind << " " << version << " unknown: " << Json(unknown).dump();
  for (const StatusCause& c : Validate(*v->schema, obj)) {
    ADD_FAILURE() << kind << " " << version << " invalid: " << c.field << ": " << c.message;
  }
}

// ---- ClusterQueue ----

constexpr char kClusterQueueV1[] = R"(
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata:
  name: team-a
  labels: {team: a}
spec:
  cohort: research
  namespaceSelector: {}
  queueingStrategy: BestEffortFIFO
  resourceGroups:
  - coveredResources: [cpu, nvidia.com/gpu]
    flavors:
    - name: h100
      resources:
      - {name: cpu, nominalQuota: 64}
      - {name: nvidia.com/gpu, nominalQuota: 8, borrowingLimit: 8}
  admissionChecks: [prov-check, multikueue]
  flavorFungibility: {whenCanBorrow: Borrow, whenCanPreempt: Preempt}
  preemption: {withinClusterQueue: LowerPriority, reclaimWithinCohort: Any}
  stopPolicy: None
  fairSharing: {weight: "2"}
status:
  conditions:
  - {type: Active, status: "True", reason: Ready, message: Can admit new workloads,
     lastTransitionTime: "2025-01-01T00:00:00Z"}
  pendingWorkloads: 3
  reservingWorkloads: 1
  admittedWorkloads: 1
  flavorsReservation: [{name: h100, resources: [{name: nvidia.com/gpu, total: "4", borrowed: "0"}]}]
  flavorsUsage: [{name: h100, resources: [{name: nvidia.com/gpu, total: "4", borrowed: "0"}]}]
  pendingWorkloadsStatus:
    lastChangeTime: "2025-01-01T00:00:00Z"
    clusterQueuePendingWorkload: [{name: wl-1, namespace: ml}]
  fairSharing:
    weightedShare: 0
    admissionFairSharingStatus: {consumedResources: {cpu: "4"}, lastUpdate: "2025-01-01T00:00:00Z"}
)";

TEST(KueueConversionTest, ClusterQueueV1beta1ToV1beta2AndBack) {
  Json v1 = Yaml(kClusterQueueV1);
  ExpectProper("ClusterQueue", "v1beta1", v1);
  Json v2 = MustConvert("ClusterQueue", "v1beta1", "v1beta2", v1);
  ExpectProper("ClusterQueue", "v1beta2", v2);

  Json without = v2;
  EXPECT_EQ(TakeData(without), Yaml(R"(
v1beta1:
  spec.flavorFungibility.whenCanBorrow: Borrow
  spec.flavorFungibility.whenCanPreempt: Preempt
  status.pendingWorkloadsStatus:
    lastChangeTime: "2025-01-01T00:00:00Z"
    clusterQueuePendingWorkload: [{name: wl-1, namespace: ml}]
  status.fairSharing.admissionFairSharingStatus:
    consumedResources: {cpu: "4"}
    lastUpdate: "2025-01-01T00:00:00Z"
)"));
  Json want = Yaml(kClusterQueueV1);
  Json& spec = want["spec"];
  spec.erase("cohort");
  spec["cohortName"] = "research";
  spec.erase("admissionChecks");
  spec["admissionChecksStrategy"] =
      Yaml(R"({admissionChecks: [{name: prov-check}, {name: multikueue}]})");
  spec["flavorFungibility"] =
      Yaml(R"({whenCanBorrow: MayStopSearch, whenCanPreempt: MayStopSearch})");
  want["status"].erase("pendingWorkloadsStatus");
  want["status"]["fairSharing"] = Yaml(R"({weightedShare: 0})");
  EXPECT_EQ(without, want) << without.dump(2);

  EXPECT_EQ(MustConvert("ClusterQueue", "v1beta2", "v1beta1", v2), v1);
}

TEST(KueueConversionTest, ClusterQueueV1beta2RoundTrip) {
  Json v2 = Yaml(R"(
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: team-b, annotations: {owner: ml-platform}}
spec:
  cohortName: research
  namespaceSelector: {matchLabels: {team: b}}
  resourceGroups:
  - coveredResources: [cpu]
    flavors: [{name: default, resources: [{name: cpu, nominalQuota: 10, lendingLimit: 2}]}]
  admissionChecksStrategy:
    admissionChecks:
    - {name: prov-check, onFlavors: [default]}
    - {name: multikueue}
  flavorFungibility: {whenCanBorrow: TryNextFlavor, whenCanPreempt: MayStopSearch,
                      preference: PreemptionOverBorrowing}
  concurrentAdmissionPolicy:
    migration: {mode: TryPreferredFlavors, constraints: {lastAcceptableFlavorName: default}}
  admissionScope: {admissionMode: UsageBasedAdmissionFairSharing}
status:
  pendingWorkloads: 0
  fairSharing: {weightedShare: 12}
)");
  ExpectProper("ClusterQueue", "v1beta2", v2);
  Json v1 = MustConvert("ClusterQueue", "v1beta2", "v1beta1", v2);
  ExpectProper("ClusterQueue", "v1beta1", v1);

  Json without = v1;
  EXPECT_EQ(TakeData(without), Yaml(R"(
v1beta2:
  spec.concurrentAdmissionPolicy:
    migration: {mode: TryPreferredFlavors, constraints: {lastAcceptableFlavorName: default}}
)"));
  EXPECT_EQ(without["spec"]["cohort"], "research");
  EXPECT_FALSE(without["spec"].contains("cohortName"));
  EXPECT_FALSE(without["spec"].contains("admissionChecks")) << "onFlavors needs the strategy form";
  EXPECT_EQ(without["spec"]["admissionChecksStrategy"], v2["spec"]["admissionChecksStrategy"]);
  EXPECT_EQ(without["metadata"]["annotations"], Yaml("{owner: ml-platform}"));

  EXPECT_EQ(MustConvert("ClusterQueue", "v1beta1", "v1beta2", v1), v2);
}

TEST(KueueConversionTest, ClusterQueueAdmissionCheckForms) {
  // A v1beta2 strategy of bare names reads as v1beta1's list, as upstream does.
  Json v2 = Yaml(R"({metadata: {name: a}, spec: {admissionChecksStrategy:
                     {admissionChecks: [{name: check-a}, {name: check-b}]}}})");
  Json v1 = MustConvert("ClusterQueue", "v1beta2", "v1beta1", v2);
  EXPECT_EQ(v1, Yaml(R"({metadata: {name: a}, spec: {admissionChecks: [check-a, check-b]}})"));
  EXPECT_EQ(MustConvert("ClusterQueue", "v1beta1", "v1beta2", v1), v2);

  // Written in v1beta1 as a strategy of bare names: stays a strategy when read back.
  Json strategy = v2;
  Json stored = MustConvert("ClusterQueue", "v1beta1", "v1beta2", strategy);
  Json without = stored;
  EXPECT_EQ(TakeData(without), Yaml(R"({v1beta1: {spec.admissionChecks: null}})"));
  EXPECT_EQ(without, v2);
  EXPECT_EQ(MustConvert("ClusterQueue", "v1beta2", "v1beta1", stored), strategy);

  // An explicit empty onFlavors is not a bare name: no collapse, nothing to record.
  Json explicit_empty = Yaml(R"({metadata: {name: a}, spec: {admissionChecksStrategy:
                               {admissionChecks: [{name: x, onFlavors: []}]}}})");
  EXPECT_EQ(MustConvert("ClusterQueue", "v1beta2", "v1beta1", explicit_empty), explicit_empty);
  EXPECT_EQ(MustConvert("ClusterQueue", "v1beta1", "v1beta2", explicit_empty), explicit_empty);

  // An empty list has no v1beta2 form.
  Json empty = Yaml(R"({metadata: {name: a}, spec: {admissionChecks: []}})");
  Json empty_v2 = MustConvert("ClusterQueue", "v1beta1", "v1beta2", empty);
  EXPECT_FALSE(empty_v2["spec"].contains("admissionChecksStrategy"));
  EXPECT_EQ(MustConvert("ClusterQueue", "v1beta2", "v1beta1", empty_v2), empty);
}

TEST(KueueConversionTest, ClusterQueueRejectsUnrepresentableChecks) {
  Json both = Yaml(R"({metadata: {name: a}, spec: {admissionChecks: [x],
                       admissionChecksStrategy: {admissionChecks: [{name: y}]}}})");
  Json original = both;
  Status s = ConvertKueue("ClusterQueue", "v1beta1", "v1beta2", both);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "ClusterQueue.kueue.x-k8s.io \"a\" is invalid: spec.admissionChecks: Invalid value: "
            "either admissionChecks or admissionChecksStrategy can be set, but not both");
  ASSERT_NE(s.details(), nullptr);
  EXPECT_EQ(s.details()->reason, "Invalid");
  EXPECT_EQ(s.details()->http_code, 422);
  EXPECT_EQ(s.details()->kind, "ClusterQueue");
  EXPECT_EQ(s.details()->group, "kueue.x-k8s.io");
  EXPECT_EQ(s.details()->name, "a");
  ASSERT_EQ(s.details()->causes.size(), 1u);
  EXPECT_EQ(s.details()->causes[0].field, "spec.admissionChecks");
  EXPECT_EQ(s.details()->causes[0].reason, "FieldValueInvalid");
  EXPECT_EQ(both, original) << "an error leaves the object untouched";

  Json not_names = Yaml(R"({metadata: {name: a}, spec: {admissionChecks: [{name: x}]}})");
  EXPECT_EQ(ConvertKueue("ClusterQueue", "v1beta1", "v1beta2", not_names).code(),
            StatusCode::kInvalidArgument);
}

TEST(KueueConversionTest, LegacyFungibilityOnlyReturnsWhileUnchanged) {
  Json v1 = Yaml(R"({metadata: {name: a}, spec: {flavorFungibility:
                     {whenCanBorrow: Borrow, whenCanPreempt: Preempt}}})");
  Json v2 = MustConvert("ClusterQueue", "v1beta1", "v1beta2", v1);
  // A v1beta2 client changes one policy and leaves the annotation alone.
  v2["spec"]["flavorFungibility"]["whenCanBorrow"] = "TryNextFlavor";
  Json back = MustConvert("ClusterQueue", "v1beta2", "v1beta1", v2);
  EXPECT_EQ(back["spec"]["flavorFungibility"],
            Yaml("{whenCanBorrow: TryNextFlavor, whenCanPreempt: Preempt}"));
  EXPECT_FALSE(back["metadata"].contains("annotations"));
}

// The seed manifest, as users apply it.
constexpr char kSeedKueue[] = R"(
apiVersion: kueue.x-k8s.io/v1beta1
kind: ResourceFlavor
metadata:
  name: gpu-flavor
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata:
  name: gpu-cluster-queue
spec:
  namespaceSelector: {}
  resourceGroups:
    - coveredResources: ["nvidia.com/gpu"]
      flavors:
        - name: gpu-flavor
          resources:
            - name: "nvidia.com/gpu"
              nominalQuota: 8        # this cluster owns 8 GPUs total
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: LocalQueue
metadata:
  name: gpu-queue
  namespace: ml-prod
spec:
  clusterQueue: gpu-cluster-queue
)";

TEST(KueueConversionTest, SeedClusterQueue) {
  auto docs = ParseYamlDocuments(kSeedKueue);
  ASSERT_TRUE(docs.ok() && docs->size() == 3);
  const Json& cq = (*docs)[1];
  Json v2 = MustConvert("ClusterQueue", "v1beta1", "v1beta2", cq);
  EXPECT_EQ(v2, cq) << "nothing in it differs between the versions";
  EXPECT_EQ(MustConvert("ClusterQueue", "v1beta2", "v1beta1", v2), cq);
}

// What the apiserver does: default in the request version, convert to storage, read back.
TEST(KueueConversionTest, SeedObjectsThroughTheApiserverPath) {
  auto docs = ParseYamlDocuments(kSeedKueue);
  ASSERT_TRUE(docs.ok());
  for (Json written : *docs) {
    std::string kind = written["kind"];
    KindPtr k = KueueKind(kind);
    ASSERT_NE(k, nullptr);
    ApplyDefaults(*k->Version("v1beta1")->schema, written);
    auto stored = ConvertToVersion(*k, written, "v1beta2");
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ((*stored)["apiVersion"], "kueue.x-k8s.io/v1beta2");
    EXPECT_FALSE((*stored)["metadata"].contains("annotations")) << kind;
    ExpectProper(kind, "v1beta2", *stored);
    auto read = ConvertToVersion(*k, *stored, "v1beta1");
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(*read, written) << kind;
  }
}

// ---- LocalQueue and Cohort ----

TEST(KueueConversionTest, LocalQueueStatus) {
  Json v1 = Yaml(R"(
apiVersion: kueue.x-k8s.io/v1beta1
kind: LocalQueue
metadata: {name: gpu-queue, namespace: ml-prod}
spec: {clusterQueue: gpu-cluster-queue, stopPolicy: None, fairSharing: {weight: "1"}}
status:
  conditions:
  - {type: Active, status: "True", reason: Ready, message: Can submit new workloads,
     lastTransitionTime: "2025-01-01T00:00:00Z"}
  pendingWorkloads: 1
  reservingWorkloads: 2
  admittedWorkloads: 2
  flavorsReservation: [{name: gpu-flavor, resources: [{name: nvidia.com/gpu, total: "2"}]}]
  flavorUsage: [{name: gpu-flavor, resources: [{name: nvidia.com/gpu, total: "2"}]}]
  flavors:
  - name: gpu-flavor
    resources: [nvidia.com/gpu]
    nodeLabels: {cloud.provider.com/accelerator: h100}
    nodeTaints: [{key: gpu, value: "true", effect: NoSchedule}]
    topology: {name: default, levels: [kubernetes.io/hostname]}
)");
  ExpectProper("LocalQueue", "v1beta1", v1);
  Json v2 = MustConvert("LocalQueue", "v1beta1", "v1beta2", v1);
  ExpectProper("LocalQueue", "v1beta2", v2);
  Json without = v2;
  Json data = TakeData(without);
  EXPECT_EQ(data["v1beta1"]["status.flavors"], v1["status"]["flavors"]);
  EXPECT_EQ(without["status"]["flavorsUsage"], v1["status"]["flavorUsage"]);
  EXPECT_FALSE(without["status"].contains("flavorUsage"));
  EXPECT_FALSE(without["status"].contains("flavors"));
  EXPECT_EQ(MustConvert("LocalQueue", "v1beta2", "v1beta1", v2), v1);

  // Written by a v1beta2 client: flavorsUsage reads as v1beta1's flavorUsage, and back.
  Json native = without;
  Json read = MustConvert("LocalQueue", "v1beta2", "v1beta1", native);
  EXPECT_EQ(read["status"]["flavorUsage"], native["status"]["flavorsUsage"]);
  EXPECT_EQ(MustConvert("LocalQueue", "v1beta1", "v1beta2", read), native);
}

TEST(KueueConversionTest, CohortAdmissionFairSharingStatus) {
  Json v1 = Yaml(R"(
apiVersion: kueue.x-k8s.io/v1beta1
kind: Cohort
metadata: {name: research}
spec:
  parentName: org
  resourceGroups:
  - coveredResources: [cpu]
    flavors: [{name: default, resources: [{name: cpu, nominalQuota: 100}]}]
  fairSharing: {weight: "1"}
status:
  fairSharing:
    weightedShare: 250
    admissionFairSharingStatus: {consumedResources: {cpu: "1"}, lastUpdate: "2025-01-01T00:00:00Z"}
)");
  ExpectProper("Cohort", "v1beta1", v1);
  Json v2 = MustConvert("Cohort", "v1beta1", "v1beta2", v1);
  ExpectProper("Cohort", "v1beta2", v2);
  Json without = v2;
  EXPECT_EQ(TakeData(without)["v1beta1"]["status.fairSharing.admissionFairSharingStatus"],
            v1["status"]["fairSharing"]["admissionFairSharingStatus"]);
  EXPECT_EQ(without["status"], Yaml("{fairSharing: {weightedShare: 250}}"));
  EXPECT_EQ(without["spec"], v1["spec"]);
  EXPECT_EQ(MustConvert("Cohort", "v1beta2", "v1beta1", v2), v1);
}

// ---- Workload ----

constexpr char kWorkloadV1[] = R"(
apiVersion: kueue.x-k8s.io/v1beta1
kind: Workload
metadata:
  name: job-train-abc12
  namespace: ml
  labels: {kueue.x-k8s.io/job-uid: "1234"}
spec:
  queueName: gpu-queue
  priorityClassSource: kueue.x-k8s.io/workloadpriorityclass
  priorityClassName: high
  priority: 1000
  active: true
  maximumExecutionTimeSeconds: 3600
  podSets:
  - name: main
    count: 4
    template:
      spec:
        restartPolicy: Never
        containers:
        - name: trainer
          image: ghcr.io/example/trainer:v1
          resources: {requests: {nvidia.com/gpu: "1"}}
    topologyRequest: {required: cloud.provider.com/topology-block}
status:
  conditions:
  - {type: QuotaReserved, status: "True", reason: QuotaReserved,
     message: Quota reserved in ClusterQueue gpu-cluster-queue,
     lastTransitionTime: "2025-01-01T00:00:00Z"}
  admission:
    clusterQueue: gpu-cluster-queue
    podSetAssignments:
    - name: main
      count: 4
      flavors: {nvidia.com/gpu: gpu-flavor}
      resourceUsage: {nvidia.com/gpu: "4"}
      topologyAssignment:
        levels: [cloud.provider.com/topology-block, cloud.provider.com/topology-rack]
        domains:
        - {values: [block-1, rack-1], count: 2}
        - {values: [block-1, rack-2], count: 1}
        - {values: [block-1, rack-3], count: 1}
  accumulatedPastExexcutionTimeSeconds: 120
)";

TEST(KueueConversionTest, WorkloadV1beta1ToV1beta2AndBack) {
  Json v1 = Yaml(kWorkloadV1);
  ExpectProper("Workload", "v1beta1", v1);
  Json v2 = MustConvert("Workload", "v1beta1", "v1beta2", v1);
  ExpectProper("Workload", "v1beta2", v2);
  EXPECT_FALSE(v2["metadata"].contains("annotations")) << "nothing lost, nothing recorded";

  Json want = Yaml(kWorkloadV1);
  want["spec"].erase("priorityClassSource");
  want["spec"].erase("priorityClassName");
  want["spec"]["priorityClassRef"] =
      Yaml("{group: kueue.x-k8s.io, kind: WorkloadPriorityClass, name: high}");
  want["status"].erase("accumulatedPastExexcutionTimeSeconds");
  want["status"]["accumulatedPastExecutionTimeSeconds"] = 120;
  Json& ta = want["status"]["admission"]["podSetAssignments"][0]["topologyAssignment"];
  ta.erase("domains");
  ta["slices"] = Yaml(R"(
- domainCount: 3
  valuesPerLevel:
  - universal: block-1
  - individual: {prefix: rack-, roots: ["1", "2", "3"]}
  podCounts: {individual: [2, 1, 1]}
)");
  EXPECT_EQ(v2, want) << v2.dump(2);

  EXPECT_EQ(MustConvert("Workload", "v1beta2", "v1beta1", v2), v1);
}

constexpr char kWorkloadV2[] = R"(
apiVersion: kueue.x-k8s.io/v1beta2
kind: Workload
metadata: {name: wl, namespace: ml}
spec:
  queueName: q
  priorityClassRef: {group: scheduling.k8s.io, kind: PriorityClass, name: system-critical}
  priority: 100
  preemptionGates: [{name: example.com/gate}]
  podSets:
  - name: workers
    count: 6
    template: {spec: {containers: [{name: w, image: busybox}]}}
    topologyRequest:
      required: kubernetes.io/hostname
      podSetSliceRequiredTopology: rack
      podSetSliceSize: 2
      podsetSliceRequiredTopologyConstraints: [{topology: rack, size: 2}]
status:
  preemptionGates: [{name: example.com/gate, position: Closed,
                     lastTransitionTime: "2025-01-01T00:00:00Z"}]
  accumulatedPastExecutionTimeSeconds: 60
  admission:
    clusterQueue: cq
    podSetAssignments:
    - name: workers
      count: 6
      topologyAssignment:
        levels: [kubernetes.io/hostname]
        slices:
        - domainCount: 4
          valuesPerLevel: [{individual: {prefix: block-1-rack-1-node-, roots: ["1", "2", "3", "4"]}}]
          podCounts: {universal: 1}
        - domainCount: 2
          valuesPerLevel: [{individual: {prefix: block-1-rack-2-node-, roots: ["1", "2"]}}]
          podCounts: {universal: 1}
)";

TEST(KueueConversionTest, WorkloadV1beta2RoundTrip) {
  Json v2 = Yaml(kWorkloadV2);
  ExpectProper("Workload", "v1beta2", v2);
  Json v1 = MustConvert("Workload", "v1beta2", "v1beta1", v2);
  ExpectProper("Workload", "v1beta1", v1);

  Json without = v1;
  Json data = TakeData(without)["v1beta2"];
  EXPECT_EQ(data["spec.preemptionGates"], v2["spec"]["preemptionGates"]);
  EXPECT_EQ(data["status.preemptionGates"], v2["status"]["preemptionGates"]);
  EXPECT_EQ(data["spec.podSets[workers].topologyRequest.podsetSliceRequiredTopologyConstraints"],
            Yaml("[{topology: rack, size: 2}]"));
  EXPECT_EQ(data["status.admission.podSetAssignments[workers].topologyAssignment.slices"],
            v2["status"]["admission"]["podSetAssignments"][0]["topologyAssignment"]["slices"]);
  EXPECT_EQ(data.size(), 4u) << data.dump();

  EXPECT_EQ(without["spec"]["priorityClassSource"], "scheduling.k8s.io/priorityclass");
  EXPECT_EQ(without["spec"]["priorityClassName"], "system-critical");
  EXPECT_EQ(without["status"]["accumulatedPastExexcutionTimeSeconds"], 60);
  EXPECT_EQ(without["status"]["admission"]["podSetAssignments"][0]["topologyAssignment"], Yaml(R"(
levels: [kubernetes.io/hostname]
domains:
- {values: [block-1-rack-1-node-1], count: 1}
- {values: [block-1-rack-1-node-2], count: 1}
- {values: [block-1-rack-1-node-3], count: 1}
- {values: [block-1-rack-1-node-4], count: 1}
- {values: [block-1-rack-2-node-1], count: 1}
- {values: [block-1-rack-2-node-2], count: 1}
)"));

  EXPECT_EQ(MustConvert("Workload", "v1beta1", "v1beta2", v1), v2);
}

TEST(KueueConversionTest, WorkloadChangedDomainsGetAFreshEncoding) {
  Json v1 = MustConvert("Workload", "v1beta2", "v1beta1", Yaml(kWorkloadV2));
  Json& domains =
      v1["status"]["admission"]["podSetAssignments"][0]["topologyAssignment"]["domains"];
  domains.erase(domains.size() - 1);  // a v1beta1 client edits the assignment
  Json v2 = MustConvert("Workload", "v1beta1", "v1beta2", v1);
  EXPECT_EQ(v2["status"]["admission"]["podSetAssignments"][0]["topologyAssignment"]["slices"],
            Yaml(R"(
- domainCount: 5
  valuesPerLevel: [{individual: {prefix: block-1-rack-, roots: [1-node-1, 1-node-2, 1-node-3, 1-node-4, 2-node-1]}}]
  podCounts: {universal: 1}
)"));
}

struct PriorityCase {
  const char* name;
  const char* v1_spec;       // v1beta1 spec fields
  const char* v2_spec;       // expected v1beta2 spec fields
  const char* v1beta1_data;  // expected annotation entries, or "" for no annotation
};

class KueuePriorityTest : public testing::TestWithParam<PriorityCase> {};

TEST_P(KueuePriorityTest, RoundTrips) {
  const PriorityCase& p = GetParam();
  Json v1 = Yaml(R"({metadata: {name: w}, spec: {queueName: q}})");
  v1["spec"].update(Yaml(p.v1_spec));
  Json v2 = MustConvert("Workload", "v1beta1", "v1beta2", v1);
  Json want = Yaml(R"({metadata: {name: w}, spec: {queueName: q}})");
  want["spec"].update(Yaml(p.v2_spec));
  Json without = v2;
  Json data = TakeData(without);
  EXPECT_EQ(without, want) << without.dump();
  EXPECT_EQ(data, std::string(p.v1beta1_data).empty() ? Json::object() : Yaml(p.v1beta1_data));
  EXPECT_EQ(MustConvert("Workload", "v1beta2", "v1beta1", v2), v1);
}

INSTANTIATE_TEST_SUITE_P(
    KueueConversion, KueuePriorityTest,
    testing::Values(
        PriorityCase{"Workload",
                     "{priorityClassSource: kueue.x-k8s.io/workloadpriorityclass, "
                     "priorityClassName: high, priority: 10}",
                     "{priorityClassRef: {group: kueue.x-k8s.io, kind: WorkloadPriorityClass, "
                     "name: high}, priority: 10}",
                     ""},
        PriorityCase{"Pod",
                     "{priorityClassSource: scheduling.k8s.io/priorityclass, "
                     "priorityClassName: low, priority: 1}",
                     "{priorityClassRef: {group: scheduling.k8s.io, kind: PriorityClass, "
                     "name: low}, priority: 1}",
                     ""},
        PriorityCase{"DefaultedEmptySource", "{priorityClassSource: ''}", "{}", ""},
        PriorityCase{"NoSource", "{}", "{}", "{v1beta1: {spec.priorityClassSource: null}}"},
        PriorityCase{"NameWithoutSource", "{priorityClassSource: '', priorityClassName: low}", "{}",
                     "{v1beta1: {spec.priorityClassName: low}}"},
        PriorityCase{"SourceWithoutName",
                     "{priorityClassSource: kueue.x-k8s.io/workloadpriorityclass}", "{}",
                     "{v1beta1: {spec.priorityClassSource: "
                     "kueue.x-k8s.io/workloadpriorityclass}}"}),
    [](const testing::TestParamInfo<PriorityCase>& info) { return info.param.name; });

TEST(KueueConversionTest, WorkloadPriorityFromV1beta2) {
  // No reference reads as v1beta1's default source, which converts back to nothing.
  Json none = Yaml(R"({metadata: {name: w}, spec: {queueName: q}})");
  Json v1 = MustConvert("Workload", "v1beta2", "v1beta1", none);
  EXPECT_EQ(v1["spec"]["priorityClassSource"], "");
  EXPECT_EQ(MustConvert("Workload", "v1beta1", "v1beta2", v1), none);

  // A reference v1beta1 cannot express survives in the annotation.
  Json odd = Yaml(R"({metadata: {name: w}, spec: {priorityClassRef:
                      {group: kueue.x-k8s.io, kind: PriorityClass, name: x}}})");
  v1 = MustConvert("Workload", "v1beta2", "v1beta1", odd);
  EXPECT_FALSE(v1["spec"].contains("priorityClassName"));
  EXPECT_EQ(MustConvert("Workload", "v1beta1", "v1beta2", v1), odd);

  // A class set later by a v1beta2 client wins over a recorded lone name.
  Json lone = Yaml(R"({metadata: {name: w}, spec: {priorityClassSource: '',
                       priorityClassName: low}})");
  Json v2 = MustConvert("Workload", "v1beta1", "v1beta2", lone);
  v2["spec"]["priorityClassRef"] =
      Yaml("{group: kueue.x-k8s.io, kind: WorkloadPriorityClass, name: high}");
  v1 = MustConvert("Workload", "v1beta2", "v1beta1", v2);
  EXPECT_EQ(v1["spec"]["priorityClassSource"], "kueue.x-k8s.io/workloadpriorityclass");
  EXPECT_EQ(v1["spec"]["priorityClassName"], "high");
}

TEST(KueueConversionTest, WorkloadRejectsUnknownPrioritySource) {
  for (const char* spec : {"{priorityClassSource: example.com/class, priorityClassName: x}",
                           "{priorityClassSource: 3}", "{priorityClassName: [x]}"}) {
    Json w = Yaml(R"({metadata: {name: w}})");
    w["spec"] = Yaml(spec);
    EXPECT_EQ(ConvertKueue("Workload", "v1beta1", "v1beta2", w).code(),
              StatusCode::kInvalidArgument)
        << spec;
  }
  Json w = Yaml(R"({metadata: {name: w}, spec: {priorityClassSource: example.com/class}})");
  Status s = ConvertKueue("Workload", "v1beta1", "v1beta2", w);
  ASSERT_NE(s.details(), nullptr);
  ASSERT_EQ(s.details()->causes.size(), 1u);
  EXPECT_EQ(s.details()->causes[0].reason, "FieldValueNotSupported");
  EXPECT_EQ(s.details()->causes[0].message,
            "Unsupported value: \"example.com/class\": supported values: \"\", "
            "\"kueue.x-k8s.io/workloadpriorityclass\", \"scheduling.k8s.io/priorityclass\"");
}

// ---- topology encoding ----

Json AssignmentWith(const char* topology_assignment) {
  Json w = Yaml(R"({metadata: {name: w}, status: {admission: {clusterQueue: cq,
                    podSetAssignments: [{name: main}]}}})");
  w["status"]["admission"]["podSetAssignments"][0]["topologyAssignment"] =
      Yaml(topology_assignment);
  return w;
}
Json& TopologyOf(Json& w) {
  return w["status"]["admission"]["podSetAssignments"][0]["topologyAssignment"];
}

TEST(KueueConversionTest, TopologyCompactEncoding) {
  struct Case {
    const char* domains;  // v1beta1, one level
    const char* slices;   // expected v1beta2
  } cases[] = {
      // One domain: universal value and count.
      {"[{values: [node-1], count: 3}]",
       "[{domainCount: 1, valuesPerLevel: [{universal: node-1}], podCounts: {universal: 3}}]"},
      // Prefix and suffix may not overlap (upstream's motivating example).
      {"[{values: [ababa], count: 1}, {values: [aba], count: 2}]",
       "[{domainCount: 2, valuesPerLevel: [{individual: {suffix: aba, roots: [ab, '']}}], "
       "podCounts: {individual: [1, 2]}}]"},
      // Common prefix and suffix.
      {"[{values: [n-1.z], count: 1}, {values: [n-22.z], count: 1}]",
       "[{domainCount: 2, valuesPerLevel: [{individual: {prefix: n-, suffix: .z, "
       "roots: ['1', '22']}}], podCounts: {universal: 1}}]"},
      // Cuts stay on character boundaries ("é" and "è" share their first byte).
      {"[{values: [xé], count: 1}, {values: [xè], count: 1}]",
       "[{domainCount: 2, valuesPerLevel: [{individual: {prefix: x, roots: [é, è]}}], "
       "podCounts: {universal: 1}}]"},
      {"[]", "[]"},
  };
  for (const Case& c : cases) {
    Json v1 = AssignmentWith("{levels: [kubernetes.io/hostname]}");
    TopologyOf(v1)["domains"] = Yaml(c.domains);
    Json v2 = MustConvert("Workload", "v1beta1", "v1beta2", v1);
    EXPECT_EQ(TopologyOf(v2)["slices"], Yaml(c.slices)) << c.domains;
    EXPECT_TRUE(IsValidUtf8(DumpJson(v2))) << c.domains;
    EXPECT_FALSE(v2["metadata"].contains("annotations")) << c.domains;
    EXPECT_EQ(MustConvert("Workload", "v1beta2", "v1beta1", v2), v1) << c.domains;
  }
}

TEST(KueueConversionTest, TopologyRejectsUnrepresentableAssignments) {
  const char* v1_bad[] = {
      "{levels: [a, b], domains: [{values: [x], count: 1}]}",  // values per level
      "{levels: [a], domains: [{values: [1], count: 1}]}",     // non-string value
      "{levels: [a], domains: [{values: [x], count: -1}]}",
      "{levels: [a], domains: [{values: [x]}]}",
      "{domains: [{values: [x], count: 1}]}",  // no levels
      "{levels: [a], domains: {x: 1}}",
  };
  for (const char* ta : v1_bad) {
    Json w = AssignmentWith(ta);
    EXPECT_EQ(ConvertKueue("Workload", "v1beta1", "v1beta2", w).code(),
              StatusCode::kInvalidArgument)
        << ta;
  }
  const char* v2_bad[] = {
      "{levels: [a], slices: [{domainCount: 2, valuesPerLevel: [{individual: {roots: [x]}}], "
      "podCounts: {universal: 1}}]}",
      "{levels: [a], slices: [{domainCount: 1, valuesPerLevel: [], podCounts: {universal: 1}}]}",
      "{levels: [a], slices: [{domainCount: 1, valuesPerLevel: [{universal: x}]}]}",
      "{levels: [a], slices: [{domainCount: 1, valuesPerLevel: [{universal: x}], "
      "podCounts: {individual: [1, 2]}}]}",
      "{levels: [a], slices: [{valuesPerLevel: [{universal: x}], podCounts: {universal: 1}}]}",
      // Expanding this would take terabytes.
      "{levels: [a], slices: [{domainCount: 1099511627776, valuesPerLevel: [{universal: x}], "
      "podCounts: {universal: 1}}]}",
      "{levels: [a, b, c, d], slices: [{domainCount: 1000000, valuesPerLevel: [{universal: a}, "
      "{universal: b}, {universal: c}, {universal: d}], podCounts: {universal: 1}}]}",
  };
  for (const char* ta : v2_bad) {
    Json w = AssignmentWith(ta);
    EXPECT_EQ(ConvertKueue("Workload", "v1beta2", "v1beta1", w).code(),
              StatusCode::kInvalidArgument)
        << ta;
  }
}

// ---- AdmissionCheck (v1beta1 retryDelayMinutes) ----

TEST(KueueConversionTest, AdmissionCheckRetryDelay) {
  for (const char* spec : {"{controllerName: c, retryDelayMinutes: 15}",
                           "{controllerName: c, retryDelayMinutes: 30}", "{controllerName: c}"}) {
    Json v1 = Yaml(R"({metadata: {name: ac}})");
    v1["spec"] = Yaml(spec);
    Json v2 = MustConvert("AdmissionCheck", "v1beta1", "v1beta2", v1);
    Json without = v2;
    TakeData(without);
    EXPECT_EQ(without["spec"], Yaml("{controllerName: c}")) << spec;
    EXPECT_EQ(MustConvert("AdmissionCheck", "v1beta2", "v1beta1", v2), v1) << spec;
  }
  Json v2 = Yaml(R"({metadata: {name: ac}, spec: {controllerName: c}})");
  EXPECT_EQ(MustConvert("AdmissionCheck", "v1beta2", "v1beta1", v2)["spec"]["retryDelayMinutes"],
            15);
}

// ---- annotation and general behaviour ----

TEST(KueueConversionTest, KindsWithConversion) {
  for (const char* kind : {"ClusterQueue", "LocalQueue", "Cohort", "Workload", "AdmissionCheck"}) {
    EXPECT_TRUE(KueueKindHasConversion(kind)) << kind;
  }
  for (const char* kind : {"ResourceFlavor", "WorkloadPriorityClass", "Pod", ""}) {
    EXPECT_FALSE(KueueKindHasConversion(kind)) << kind;
  }
}

TEST(KueueConversionTest, VersionsAndShapes) {
  Json weird = "not an object";
  EXPECT_TRUE(ConvertKueue("Workload", "v1beta1", "v1beta1", weird).ok()) << "same version";
  EXPECT_EQ(ConvertKueue("Workload", "v1beta1", "v1beta2", weird).code(),
            StatusCode::kInvalidArgument);
  Json obj = Yaml("{metadata: {name: a}}");
  EXPECT_EQ(ConvertKueue("Cohort", "v1alpha1", "v1beta2", obj).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(ConvertKueue("ResourceFlavor", "v1beta1", "v1beta2", weird).ok());
  EXPECT_EQ(weird, "not an object");
}

TEST(KueueConversionTest, AnnotationHousekeeping) {
  Json v1 = Yaml(R"({metadata: {name: a, annotations: {}}, spec: {flavorFungibility:
                     {whenCanBorrow: Borrow}}})");
  Json v2 = MustConvert("ClusterQueue", "v1beta1", "v1beta2", v1);
  EXPECT_TRUE(v2["metadata"]["annotations"].contains(kAnnotation));
  EXPECT_EQ(MustConvert("ClusterQueue", "v1beta2", "v1beta1", v2), v1) << "empty map kept";

  // Unparsable, or saved for the other version: dropped, the rest kept.
  for (const char* value : {"not json", "[1]", R"({"v1beta2": {"spec.cohortName": "x"}})"}) {
    Json in = Yaml(R"({metadata: {name: a, annotations: {keep: me}}, spec: {cohort: c}})");
    in["metadata"]["annotations"][kAnnotation] = value;
    Json out = MustConvert("ClusterQueue", "v1beta2", "v1beta1", in);
    EXPECT_EQ(out["metadata"]["annotations"], Yaml("{keep: me}")) << value;
  }
  Json injected = Yaml(R"({metadata: {name: a}, spec: {}})");
  injected["metadata"]["annotations"][kAnnotation] =
      R"({"v1beta2": {"spec.concurrentAdmissionPolicy": "not an object"}})";
  Json out = MustConvert("ClusterQueue", "v1beta1", "v1beta2", injected);
  EXPECT_EQ(out, Yaml(R"({metadata: {name: a}, spec: {}})")) << "badly typed values stay out";

  Json bad_meta = Yaml(R"({metadata: {name: a, annotations: [x]}, spec: {flavorFungibility:
                         {whenCanBorrow: Borrow}}})");
  EXPECT_EQ(ConvertKueue("ClusterQueue", "v1beta1", "v1beta2", bad_meta).code(),
            StatusCode::kInvalidArgument);
}

// Every field the converters touch, set to every JSON shape: an error or a result, never a crash.
TEST(KueueConversionTest, MalformedShapesDoNotCrash) {
  const Json shapes[] = {nullptr,
                         1,
                         -1,
                         1.5,
                         "s",
                         true,
                         Json::array(),
                         Json::object(),
                         Yaml("[1, {}, null]"),
                         Yaml("{a: 1}"),
                         Yaml("[{name: 1}]")};
  const char* paths[] = {
      "/metadata",
      "/metadata/annotations",
      "/metadata/annotations/"
      "skiff.dev~1kueue-conversion-data",
      "/spec",
      "/status",
      "/spec/cohort",
      "/spec/cohortName",
      "/spec/admissionChecks",
      "/spec/admissionChecksStrategy",
      "/spec/admissionChecksStrategy/admissionChecks",
      "/spec/flavorFungibility",
      "/spec/flavorFungibility/whenCanBorrow",
      "/spec/retryDelayMinutes",
      "/spec/priorityClassSource",
      "/spec/priorityClassName",
      "/spec/priorityClassRef",
      "/spec/priorityClassRef/name",
      "/spec/preemptionGates",
      "/spec/podSets",
      "/spec/podSets/0",
      "/spec/podSets/0/name",
      "/spec/podSets/0/topologyRequest",
      "/status/fairSharing",
      "/status/flavorUsage",
      "/status/flavorsUsage",
      "/status/flavors",
      "/status/admission",
      "/status/admission/podSetAssignments",
      "/status/admission/podSetAssignments/0",
      "/status/admission/podSetAssignments/0/name",
      "/status/admission/podSetAssignments/0/topologyAssignment",
      "/status/admission/podSetAssignments/0/topologyAssignment/levels",
      "/status/admission/podSetAssignments/0/topologyAssignment/domains",
      "/status/admission/podSetAssignments/0/topologyAssignment/domains/0",
      "/status/admission/podSetAssignments/0/topologyAssignment/domains/0/values",
      "/status/admission/podSetAssignments/0/topologyAssignment/slices",
      "/status/admission/podSetAssignments/0/topologyAssignment/slices/0",
      "/status/admission/podSetAssignments/0/topologyAssignment/slices/0/valuesPerLevel",
      "/status/admission/podSetAssignments/0/topologyAssignment/slices/0/valuesPerLevel/0",
      "/status/admission/podSetAssignments/0/topologyAssignment/slices/0/podCounts",
  };
  const Json bases[] = {Yaml(kClusterQueueV1), Yaml(kWorkloadV1), Yaml(kWorkloadV2)};
  int converted = 0;
  for (const char* kind : {"ClusterQueue", "LocalQueue", "Cohort", "Workload", "AdmissionCheck"}) {
    for (const Json& base : bases) {
      for (const char* path : paths) {
        for (const Json& shape : shapes) {
          Json obj = base;
          try {
            obj[Json::json_pointer(path)] = shape;
          } catch (const std::exception&) {
            continue;  // the path cannot exist in this base
          }
          for (const char* from : {"v1beta1", "v1beta2"}) {
            Json copy = obj;
            Status s = ConvertKueue(kind, from, from[6] == '1' ? "v1beta2" : "v1beta1", copy);
            if (s.ok()) {
              ++converted;
              EXPECT_TRUE(copy.is_object());
            } else {
              EXPECT_EQ(copy, obj) << "an error leaves the object untouched";
            }
          }
        }
      }
    }
  }
  EXPECT_GT(converted, 1000);
}

}  // namespace
}  // namespace skiff::api

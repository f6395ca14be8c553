// Kueue's mutating webhooks, in the write path: a job labelled kueue.x-k8s.io/queue-name is
// created suspended (a plain Pod: scheduling-gated) so that it starts only when its Workload is
// admitted.
#include "apiserver/kueue_admission.h"

#include <nlohmann/json.hpp>

namespace skiff::apiserver {
namespace {

constexpr char kQueueLabel[] = "kueue.x-k8s.io/queue-name";
constexpr char kAdmissionGate[] = "kueue.x-k8s.io/admission";
constexpr char kManagedLabel[] = "kueue.x-k8s.io/managed";

bool HasControllerOwner(const Json& meta) {
  if (!meta.contains("ownerReferences") || !meta["ownerReferences"].is_array()) return false;
  for (const Json& r : meta["ownerReferences"]) {
    if (r.is_object() && r.value("controller", false)) return true;
  }
  return false;
}

}  // namespace

void SuspendQueuedJob(const api::KindInfo& kind, Json& obj) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return;
  const Json& meta = obj["metadata"];
  if (!meta.contains("labels") || !meta["labels"].is_object()) return;
  const Json& q = meta["labels"].value(kQueueLabel, Json());
  if (!q.is_string() || q.get<std::string>().empty()) return;
  // A child of a managed job (a JobSet's Job, a TrainJob's JobSet) is admitted with its parent.
  if (HasControllerOwner(meta)) return;
  if (!obj.contains("spec") || !obj["spec"].is_object()) return;
  Json& spec = obj["spec"];
  if (kind.group.empty() && kind.kind == "Pod") {
    // Pods cannot be suspended: upstream's pod webhook gates them instead and marks them
    // managed; the pod-group reconciler lifts the gate on admission.
    obj["metadata"]["labels"][kManagedLabel] = "true";
    Json& gates = spec["schedulingGates"];
    if (!gates.is_array()) gates = Json::array();
    for (const Json& g : gates) {
      if (g.is_object() && g.value("name", "") == kAdmissionGate) return;
    }
    gates.push_back({{"name", kAdmissionGate}});
    return;
  }
  if ((kind.group == "batch" && kind.kind == "Job") ||
      (kind.group == "jobset.x-k8s.io" && kind.kind == "JobSet") ||
      (kind.group == "trainer.kubeflow.org" && kind.kind == "TrainJob")) {
    spec["suspend"] = true;
  } else if (kind.group == "kubeflow.org" && kind.kind == "PyTorchJob") {
    if (!spec.contains("runPolicy") || !spec["runPolicy"].is_object()) {
      spec["runPolicy"] = Json::object();
    }
    spec["runPolicy"]["suspend"] = true;
  }
}

}  // namespace skiff::apiserver

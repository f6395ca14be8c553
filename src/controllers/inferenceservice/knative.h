// Knative deployment mode, pure parts: revisions as Deployments `{name}-predictor-0000N` with
// their own Service, the traffic split KServe writes into its Knative Service (canary, promote,
// roll back, tags) and the rollout bookkeeping of components.predictor (reference/kserve.md
// section 4). No I/O; unit-tested in knative_test.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "controllers/inferenceservice/build.h"

namespace skiff::controllers::inferenceservice {

inline constexpr char kRevisionLabel[] = "serving.knative.dev/revision";
inline constexpr char kConfigurationLabel[] = "serving.knative.dev/configuration";
inline constexpr char kKnativeServiceLabel[] = "serving.knative.dev/service";
// On a revision Deployment: set once it first had an available pod. A revision scaled to zero
// afterwards stays Ready, as Knative's do.
inline constexpr char kRevisionReadyAnnotation[] = "serving.skiff.dev/revision-ready";
// On a revision Deployment: digest of the template it was made from. A different digest for the
// same InferenceService means a new revision.
inline constexpr char kTemplateHashAnnotation[] = "serving.skiff.dev/template-hash";
// On a revision Deployment: the revision's containerConcurrency (0 = unlimited), for the KPA.
inline constexpr char kContainerConcurrencyAnnotation[] = "serving.skiff.dev/container-concurrency";

// "{configuration}-0000N" and back (0 when `revision` is not one of `configuration`'s).
std::string RevisionName(const std::string& configuration, int64_t number);
int64_t RevisionNumber(const std::string& configuration, const std::string& revision);

// The Deployment and Service of revision `revision` of the predictor, from the Standard-mode
// rendering of the same InferenceService: selector on the revision label, Knative's labels, the
// autoscaling annotations KServe writes on the revision template (min-scale from minReplicas,
// default 1; max-scale from maxReplicas; target/metric from scaleTarget/scaleMetric; the
// isvc's own autoscaling.knative.dev/* except min/max-scale), and the initial replica count
// (initial-scale 1 raised to min-scale). `hash` is TemplateHash's value.
Rendered RevisionObjects(const Json& isvc, const Rendered& standard, const std::string& revision,
                         const std::string& hash);
// What makes a new revision: the pod template and the autoscaling settings, not
// canaryTrafficPercent.
std::string TemplateHash(const Json& isvc, const Rendered& standard);

struct TrafficTarget {
  std::string revision;
  int percent = 0;
  bool latest = false;  // Knative's latestRevision: follows the latest ready revision
  std::string tag;      // "latest", "prev" or ""
};

struct Rollout {
  std::string latest_created;
  std::string latest_ready;
  std::string latest_rolledout;
  std::string previous_rolledout;
};

// The split KServe asks of Knative, resolved against the revisions: with canaryTrafficPercent P
// and a rolled-out revision, P% to the latest ready revision and 100-P to the rolled-out one
// (tag "prev"); otherwise 100% to the latest ready. Tag "latest" only with tag routing. Empty
// when no revision is ready yet.
std::vector<TrafficTarget> ComputeTraffic(std::optional<int> canary_percent, bool tag_routing,
                                          const Rollout& rollout);

// KServe's PropagateStatus: a latest ready revision that got 100% becomes latestRolledout (the
// old one previousRolledout); a split that gives the rolled-out revision everything through the
// "prev" target while the latest target has less rolls back to previousRolledout. True when
// `rollout` changed.
bool PropagateRollout(const std::vector<TrafficTarget>& traffic, Rollout* rollout);

// components.predictor.traffic[] entries (tags get their url `http://{tag}-{component}.{ns}.{domain}`).
Json TrafficJson(const std::vector<TrafficTarget>& traffic, const std::string& component,
                 const std::string& ns, const std::string& domain);

}  // namespace skiff::controllers::inferenceservice

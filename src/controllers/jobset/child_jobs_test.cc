// Tests for JobSet child Job and headless Service rendering.
#include "controllers/jobset/child_jobs.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::jobset {
namespace {

Json JobSet() {
  return ParseJson(R"({
    "metadata": {"name": "js", "namespace": "ns", "uid": "u-js"},
    "spec": {"replicatedJobs": [
      {"name": "driver", "replicas": 1, "template": {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "python"}]}}}}},
      {"name": "workers", "replicas": 3, "template": {
        "metadata": {"labels": {"team": "a"}},
        "spec": {"parallelism": 2, "completions": 2, "completionMode": "NonIndexed",
                 "template": {"metadata": {"labels": {"app": "w"}},
                              "spec": {"restartPolicy": "Never",
                                       "containers": [{"name": "c", "image": "python"}]}}}}}]}
  })")
      .value();
}

TEST(ChildJobs, NamesAndJobKey) {
  EXPECT_EQ(ChildJobName("js", "workers", 2), "js-workers-2");
  EXPECT_EQ(JobKeyHash("ns", "js-workers-1"), "517d70ff8ddeb6684a3a547e37602be566603129");
}

TEST(ChildJobs, RendersLabelsAnnotationsAndOwner) {
  Json js = JobSet();
  JobSetSpecView spec = ParseJobSet(js);
  Json job = RenderChildJob(js, spec, 1, 1, 2);
  EXPECT_EQ(job["kind"], "Job");
  EXPECT_EQ(job["metadata"]["name"], "js-workers-1");
  EXPECT_EQ(job["metadata"]["namespace"], "ns");
  const Json& labels = job["metadata"]["labels"];
  EXPECT_EQ(labels["team"], "a");
  EXPECT_EQ(labels[kJobSetNameKey], "js");
  EXPECT_EQ(labels[kReplicatedJobNameKey], "workers");
  EXPECT_EQ(labels[kReplicatedJobReplicasKey], "3");
  EXPECT_EQ(labels[kGlobalReplicasKey], "4");
  EXPECT_EQ(labels[kJobIndexKey], "1");
  EXPECT_EQ(labels[kJobGlobalIndexKey], "2");  // after driver's one replica
  EXPECT_EQ(labels[kRestartsKey], "2");
  EXPECT_EQ(labels[kJobKey], "517d70ff8ddeb6684a3a547e37602be566603129");
  EXPECT_EQ(job["metadata"]["annotations"][kJobIndexKey], "1");
  const Json& ref = job["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref["kind"], "JobSet");
  EXPECT_EQ(ref["apiVersion"], "jobset.x-k8s.io/v1alpha2");
  EXPECT_EQ(ref["uid"], "u-js");
  EXPECT_EQ(ref["controller"], true);
  // Pod template: same keys plus its own labels; explicit settings are kept.
  const Json& pt = job["spec"]["template"];
  EXPECT_EQ(pt["metadata"]["labels"]["app"], "w");
  EXPECT_EQ(pt["metadata"]["labels"][kJobSetNameKey], "js");
  EXPECT_EQ(pt["metadata"]["annotations"][kRestartsKey], "2");
  EXPECT_EQ(pt["spec"]["subdomain"], "js");
  EXPECT_EQ(pt["spec"]["restartPolicy"], "Never");
  EXPECT_EQ(job["spec"]["completionMode"], "NonIndexed");
  EXPECT_EQ(job["spec"]["suspend"], false);
}

TEST(ChildJobs, WebhookDefaultsAndNetworkSettings) {
  Json js = JobSet();
  js["spec"]["suspend"] = true;
  js["spec"]["network"] = {{"subdomain", "net"}};
  js["spec"]["coordinator"] = {{"replicatedJob", "driver"}, {"jobIndex", 0}, {"podIndex", 0}};
  JobSetSpecView spec = ParseJobSet(js);
  Json job = RenderChildJob(js, spec, 0, 0, 0);
  EXPECT_EQ(job["spec"]["completionMode"], "Indexed");
  EXPECT_EQ(job["spec"]["template"]["spec"]["restartPolicy"], "OnFailure");
  EXPECT_EQ(job["spec"]["template"]["spec"]["subdomain"], "net");
  EXPECT_EQ(job["spec"]["suspend"], true);
  EXPECT_EQ(job["metadata"]["labels"][kCoordinatorKey], "js-driver-0-0.net");

  js["spec"]["network"]["enableDNSHostnames"] = false;
  spec = ParseJobSet(js);
  EXPECT_FALSE(RenderChildJob(js, spec, 0, 0, 0)["spec"]["template"]["spec"].contains("subdomain"));
}

TEST(ChildJobs, HeadlessService) {
  Json js = JobSet();
  JobSetSpecView spec = ParseJobSet(js);
  Json svc = RenderHeadlessService(js, spec);
  EXPECT_EQ(svc["metadata"]["name"], "js");
  EXPECT_EQ(svc["spec"]["clusterIP"], "None");
  EXPECT_EQ(svc["spec"]["selector"][kJobSetNameKey], "js");
  EXPECT_EQ(svc["spec"]["publishNotReadyAddresses"], true);
  EXPECT_EQ(svc["metadata"]["ownerReferences"][0]["name"], "js");
}

}  // namespace
}  // namespace skiff::controllers::jobset

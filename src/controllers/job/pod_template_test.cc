// Tests for the pods a Job renders from its template.
#include "controllers/job/pod_template.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::controllers::job {
namespace {

Json Job() {
  return ParseJson(R"({
    "metadata": {"name": "pi", "namespace": "ns", "uid": "u1"},
    "spec": {"template": {
      "metadata": {"labels": {"job-name": "pi"}},
      "spec": {"restartPolicy": "Never",
               "initContainers": [{"name": "init", "image": "busybox"}],
               "containers": [{"name": "main", "image": "python",
                               "env": [{"name": "A", "value": "1"}]},
                              {"name": "side", "image": "python",
                               "env": [{"name": "JOB_COMPLETION_INDEX", "value": "keep"}]}]}}}
  })")
      .value();
}

TEST(RenderPod, NonIndexed) {
  Json pod = RenderPod(Job(), -1);
  EXPECT_EQ(pod["kind"], "Pod");
  EXPECT_EQ(pod["metadata"]["generateName"], "pi-");
  EXPECT_EQ(pod["metadata"]["namespace"], "ns");
  EXPECT_FALSE(pod["metadata"].contains("name"));
  EXPECT_EQ(pod["metadata"]["labels"]["job-name"], "pi");
  const Json& ref = pod["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref["kind"], "Job");
  EXPECT_EQ(ref["apiVersion"], "batch/v1");
  EXPECT_EQ(ref["uid"], "u1");
  EXPECT_EQ(ref["controller"], true);
  EXPECT_FALSE(pod["spec"].contains("hostname"));
  EXPECT_EQ(pod["spec"]["containers"][0]["env"].size(), 1u);
}

TEST(RenderPod, IndexedAddsIndexEverywhere) {
  Json pod = RenderPod(Job(), 3);
  const char* key = "batch.kubernetes.io/job-completion-index";
  EXPECT_EQ(pod["metadata"]["generateName"], "pi-3-");
  EXPECT_EQ(pod["metadata"]["annotations"][key], "3");
  EXPECT_EQ(pod["metadata"]["labels"][key], "3");
  EXPECT_EQ(pod["spec"]["hostname"], "pi-3");
  const Json& env = pod["spec"]["containers"][0]["env"];
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[1]["name"], "JOB_COMPLETION_INDEX");
  EXPECT_EQ(env[1]["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  // A container that already sets the variable keeps its own value.
  const Json& side = pod["spec"]["containers"][1]["env"];
  ASSERT_EQ(side.size(), 1u);
  EXPECT_EQ(side[0]["value"], "keep");
  EXPECT_EQ(pod["spec"]["initContainers"][0]["env"][0]["name"], "JOB_COMPLETION_INDEX");
}

TEST(RenderPod, LongNamesAreTruncatedToFitGeneratedNames) {
  Json job = Job();
  job["metadata"]["name"] = std::string(70, 'a');
  std::string gen = RenderPod(job, 12)["metadata"]["generateName"];
  EXPECT_EQ(gen.size(), 58u);
  EXPECT_EQ(gen.substr(gen.size() - 4), "-12-");
}

}  // namespace
}  // namespace skiff::controllers::job

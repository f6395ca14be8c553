// Strategic merge patch tests on Pod-shaped documents with a schema snippet carrying the
// same x-kubernetes-patch-* extensions as the published core/v1 OpenAPI.
#include "api/strategic_merge.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

Json J(const char* text) { return Json::parse(text); }

const Json& PodSchema() {
  static const Json kSchema = J(R"({"type":"object","properties":{
    "apiVersion":{"type":"string"}, "kind":{"type":"string"},
    "metadata":{"type":"object"},
    "spec":{"type":"object","properties":{
      "containers":{"type":"array",
        "items":{"allOf":[{"type":"object","properties":{
          "name":{"type":"string"}, "image":{"type":"string"},
          "args":{"type":"array","items":{"type":"string"}},
          "env":{"type":"array","items":{"type":"object","properties":{
                   "name":{"type":"string"},"value":{"type":"string"}}},
                 "x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                 "x-kubernetes-patch-merge-key":"name","x-kubernetes-patch-strategy":"merge"},
          "ports":{"type":"array","items":{"type":"object","properties":{
                     "containerPort":{"type":"integer"},"protocol":{"type":"string"}}},
                   "x-kubernetes-list-type":"map",
                   "x-kubernetes-list-map-keys":["containerPort","protocol"],
                   "x-kubernetes-patch-merge-key":"containerPort",
                   "x-kubernetes-patch-strategy":"merge"}}}]},
        "x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
        "x-kubernetes-patch-merge-key":"name","x-kubernetes-patch-strategy":"merge"},
      "volumes":{"type":"array",
        "items":{"type":"object","properties":{"name":{"type":"string"},
                 "emptyDir":{"type":"object"},"configMap":{"type":"object"}}},
        "x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
        "x-kubernetes-patch-merge-key":"name","x-kubernetes-patch-strategy":"merge,retainKeys"},
      "tolerations":{"type":"array","items":{"type":"object"},
                     "x-kubernetes-list-type":"atomic"},
      "nodeSelector":{"type":"object","additionalProperties":{"type":"string"},
                      "x-kubernetes-map-type":"atomic"}}}}})");
  return kSchema;
}

const Json& Pod() {
  static const Json kPod = J(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"p","labels":{"app":"a","tier":"web"},"finalizers":["a.io/x","b.io/y"]},
    "spec":{
      "containers":[
        {"name":"c","image":"nginx:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
         "ports":[{"containerPort":80,"protocol":"TCP"}],"args":["--x"]},
        {"name":"d","image":"nginx:1"}],
      "volumes":[{"name":"v","emptyDir":{}}],
      "tolerations":[{"key":"k1","operator":"Exists"}],
      "nodeSelector":{"zone":"a","disk":"ssd"}}})");
  return kPod;
}

Json Patch(const Json& doc, const char* patch) {
  auto r = ApplyStrategicMergePatch(doc, J(patch), &PodSchema());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Json();
}

std::vector<std::string> Names(const Json& list, const char* key = "name") {
  std::vector<std::string> out;
  for (const Json& e : list) {
    out.push_back(e[key].is_string() ? e[key].get<std::string>() : e[key].dump());
  }
  return out;
}

TEST(StrategicMergeTest, KubectlApplyPatchWithSetElementOrder) {
  Json out = Patch(Pod(), R"({"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"d"}],
                               "containers":[{"image":"nginx:2","name":"d"}]}})");
  ASSERT_EQ(out["spec"]["containers"].size(), 2u);
  EXPECT_EQ(Names(out["spec"]["containers"]), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(out["spec"]["containers"][1]["image"], "nginx:2");
  EXPECT_EQ(out["spec"]["containers"][0], Pod()["spec"]["containers"][0]);
  EXPECT_EQ(out["spec"]["volumes"], Pod()["spec"]["volumes"]);
}

TEST(StrategicMergeTest, SetElementOrderReorders) {
  Json out =
      Patch(Pod(), R"({"spec":{"$setElementOrder/containers":[{"name":"d"},{"name":"c"}]}})");
  EXPECT_EQ(Names(out["spec"]["containers"]), (std::vector<std::string>{"d", "c"}));
  // A new element placed by the order directive.
  out = Patch(Pod(), R"({"spec":{
      "$setElementOrder/containers":[{"name":"c"},{"name":"d"},{"name":"e"}],
      "containers":[{"name":"e","image":"busybox"}]}})");
  EXPECT_EQ(Names(out["spec"]["containers"]), (std::vector<std::string>{"c", "d", "e"}));
}

TEST(StrategicMergeTest, NewElementWithoutOrderGoesFirstLikeUpstream) {
  // apimachinery's mergeSortedSlice puts patch items it cannot position before server-only ones.
  Json out = Patch(Pod(), R"({"spec":{"containers":[{"name":"e","image":"busybox"}]}})");
  EXPECT_EQ(Names(out["spec"]["containers"]), (std::vector<std::string>{"e", "c", "d"}));
}

TEST(StrategicMergeTest, EnvByNameWithDelete) {
  Json out = Patch(Pod(), R"({"spec":{"containers":[{"name":"c","env":[
      {"name":"B","value":"20"},{"name":"A","$patch":"delete"},{"name":"C","value":"3"}]}]}})");
  const Json& env = out["spec"]["containers"][0]["env"];
  EXPECT_EQ(env, J(R"([{"name":"B","value":"20"},{"name":"C","value":"3"}])"));
  EXPECT_EQ(out["spec"]["containers"][0]["image"], "nginx:1");
  EXPECT_EQ(out["spec"]["containers"][1]["name"], "d");
}

TEST(StrategicMergeTest, PortsByContainerPort) {
  Json out = Patch(Pod(), R"({"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"d"}],
      "containers":[{"name":"c","$setElementOrder/ports":[{"containerPort":80},{"containerPort":443}],
                     "ports":[{"containerPort":443,"protocol":"TCP"}]}]}})");
  EXPECT_EQ(out["spec"]["containers"][0]["ports"],
            J(R"([{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}])"));
  // Changing a port's field merges into the element with the same key.
  out = Patch(Pod(), R"({"spec":{"containers":[{"name":"c","ports":[
      {"containerPort":80,"name":"http"}]}]}})");
  EXPECT_EQ(out["spec"]["containers"][0]["ports"],
            J(R"([{"containerPort":80,"protocol":"TCP","name":"http"}])"));
}

TEST(StrategicMergeTest, VolumesRetainKeys) {
  Json out = Patch(Pod(), R"({"spec":{"volumes":[
      {"name":"v","$retainKeys":["configMap","name"],"configMap":{"name":"cm"}}]}})");
  EXPECT_EQ(out["spec"]["volumes"], J(R"([{"name":"v","configMap":{"name":"cm"}}])"));
  // A key set by the patch but missing from $retainKeys is rejected.
  EXPECT_FALSE(ApplyStrategicMergePatch(Pod(),
                                        J(R"({"spec":{"volumes":[{"name":"v","$retainKeys":["name"],
                                                    "configMap":{"name":"cm"}}]}})"),
                                        &PodSchema())
                   .ok());
}

TEST(StrategicMergeTest, ListsWithoutStrategyAreReplaced) {
  Json out = Patch(Pod(), R"({"spec":{"tolerations":[{"key":"k2","operator":"Exists"}],
      "containers":[{"name":"c","args":["--y"]}]}})");
  EXPECT_EQ(out["spec"]["tolerations"], J(R"([{"key":"k2","operator":"Exists"}])"));
  EXPECT_EQ(out["spec"]["containers"][0]["args"], J(R"(["--y"])"));
}

TEST(StrategicMergeTest, FinalizersMergeAsSet) {
  Json out = Patch(Pod(), R"({"metadata":{"finalizers":["b.io/y","c.io/z"]}})");
  // Patch items first in patch order, server-only items interleaved by their old position.
  EXPECT_EQ(out["metadata"]["finalizers"], J(R"(["a.io/x","b.io/y","c.io/z"])"));
  out = Patch(Pod(), R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a.io/x"]}})");
  EXPECT_EQ(out["metadata"]["finalizers"], J(R"(["b.io/y"])"));
  out = Patch(Pod(), R"({"metadata":{"$setElementOrder/finalizers":["b.io/y","a.io/x"]}})");
  EXPECT_EQ(out["metadata"]["finalizers"], J(R"(["b.io/y","a.io/x"])"));
}

TEST(StrategicMergeTest, KubectlPrimitiveListPatches) {
  // What kubectl's three-way diff sends to drop one finalizer and to swap one for another.
  Json doc = J(R"({"metadata":{"finalizers":["a","b","c"]}})");
  auto r = ApplyStrategicMergePatch(doc, J(R"({"metadata":{"$setElementOrder/finalizers":["a","c"],
      "$deleteFromPrimitiveList/finalizers":["b"]}})"),
                                    &PodSchema());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["metadata"]["finalizers"], J(R"(["a","c"])"));
  r = ApplyStrategicMergePatch(doc, J(R"({"metadata":{"$setElementOrder/finalizers":["a","b","d"],
      "$deleteFromPrimitiveList/finalizers":["c"],"finalizers":["d"]}})"),
                               &PodSchema());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["metadata"]["finalizers"], J(R"(["a","b","d"])"));
}

TEST(StrategicMergeTest, NullDeletesAndMapsMerge) {
  Json out = Patch(Pod(), R"({"metadata":{"labels":{"tier":null,"new":"x"}},
                              "spec":{"nodeSelector":null}})");
  EXPECT_EQ(out["metadata"]["labels"], J(R"({"app":"a","new":"x"})"));
  EXPECT_FALSE(out["spec"].contains("nodeSelector"));
  // Nulls inside a brand-new subtree are dropped rather than stored.
  out = Patch(Pod(), R"({"metadata":{"annotations":{"a":"1","b":null}}})");
  EXPECT_EQ(out["metadata"]["annotations"], J(R"({"a":"1"})"));
}

TEST(StrategicMergeTest, ReplaceDirectives) {
  Json out = Patch(Pod(), R"({"spec":{"nodeSelector":{"$patch":"replace","zone":"b"}}})");
  EXPECT_EQ(out["spec"]["nodeSelector"], J(R"({"zone":"b"})"));
  out = Patch(Pod(), R"({"spec":{"containers":[{"$patch":"replace"},{"name":"x","image":"i"}]}})");
  EXPECT_EQ(out["spec"]["containers"], J(R"([{"name":"x","image":"i"}])"));
  out = Patch(Pod(), R"({"metadata":{"labels":{"$patch":"delete"}}})");
  EXPECT_EQ(out["metadata"]["labels"], J("{}"));
}

TEST(StrategicMergeTest, Errors) {
  for (const char* p :
       {R"({"spec":{"$frob":1}})", R"({"spec":{"nodeSelector":{"$patch":"explode"}}})",
        R"({"spec":{"containers":[{"image":"no-name"}]}})",
        R"({"spec":{"containers":[{"$patch":"delete"}]}})",
        R"({"metadata":{"finalizers":["a", 1]}})", R"([1])"}) {
    auto r = ApplyStrategicMergePatch(Pod(), J(p), &PodSchema());
    EXPECT_FALSE(r.ok()) << p;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << p;
    }
  }
}

TEST(StrategicMergeTest, UnknownSchemaMergesMapsAndReplacesLists) {
  Json doc = J(R"({"spec":{"a":{"x":1,"y":2},"l":[{"name":"a"},{"name":"b"}]}})");
  auto r =
      ApplyStrategicMergePatch(doc, J(R"({"spec":{"a":{"y":3},"l":[{"name":"c"}]}})"), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, J(R"({"spec":{"a":{"x":1,"y":3},"l":[{"name":"c"}]}})"));
}

TEST(StrategicMergeTest, SchemaListInfo) {
  const Json* spec = SchemaField(&PodSchema(), "spec");
  ListInfo containers = SchemaListInfo(SchemaField(spec, "containers"));
  EXPECT_EQ(containers.type, ListType::kMap);
  EXPECT_EQ(containers.keys, std::vector<std::string>{"name"});
  const Json* ports = SchemaField(SchemaItems(SchemaField(spec, "containers")), "ports");
  EXPECT_EQ(SchemaListInfo(ports).keys, (std::vector<std::string>{"containerPort", "protocol"}));
  EXPECT_EQ(SchemaListInfo(SchemaField(spec, "tolerations")).type, ListType::kAtomic);
  EXPECT_TRUE(SchemaMapIsAtomic(SchemaField(spec, "nodeSelector")));
  const Json* meta = SchemaRootField(&PodSchema(), "metadata");
  EXPECT_EQ(SchemaListInfo(SchemaField(meta, "finalizers")).type, ListType::kSet);
  EXPECT_EQ(SchemaListInfo(SchemaField(meta, "ownerReferences")).keys,
            std::vector<std::string>{"uid"});
  EXPECT_TRUE(SchemaDeclaresField(meta, "labels"));
  EXPECT_FALSE(SchemaDeclaresField(SchemaField(meta, "labels"), "app"));
  EXPECT_NE(SchemaField(SchemaField(meta, "labels"), "app"), nullptr);
  EXPECT_EQ(SchemaField(nullptr, "x"), nullptr);
}

}  // namespace
}  // namespace skiff::api

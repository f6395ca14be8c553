// Server-side apply and managedFields bookkeeping: ownership, conflicts, force, pruning,
// associative lists, atomic maps, subresource entries and FieldsV1 encoding.
#include "api/managed_fields.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

Json J(const char* text) { return Json::parse(text); }

constexpr const char* kApiVersion = "example.com/v1";
constexpr const char* kT1 = "2025-01-02T03:04:05Z";
constexpr const char* kT2 = "2025-01-02T03:04:06Z";

const Json& WidgetSchema() {
  static const Json kSchema = J(R"({"type":"object","properties":{
    "apiVersion":{"type":"string"},"kind":{"type":"string"},"metadata":{"type":"object"},
    "spec":{"type":"object","properties":{
      "size":{"type":"integer"},"color":{"type":"string"},"mode":{"type":"string"},
      "containers":{"type":"array","x-kubernetes-list-type":"map",
        "x-kubernetes-list-map-keys":["name"],
        "items":{"type":"object","properties":{"name":{"type":"string"},
          "image":{"type":"string"},"args":{"type":"array","items":{"type":"string"}}}}},
      "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
      "selector":{"type":"object","x-kubernetes-map-type":"atomic",
                  "additionalProperties":{"type":"string"}}}},
    "status":{"type":"object","properties":{"phase":{"type":"string"},
                                            "ready":{"type":"integer"}}}}})");
  return kSchema;
}

Json Widget(const char* spec) {
  Json w = J(R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}})");
  w["spec"] = J(spec);
  return w;
}

Json Apply(const Json* live, const Json& config, const char* manager, bool force = false,
           const char* now = kT1) {
  auto r = ServerSideApply(live, config, manager, force, &WidgetSchema(), kApiVersion, now);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Json();
}

// The managedFields entry of (manager, operation), or null.
Json EntryOf(const Json& obj, const std::string& manager, const std::string& op = "Apply") {
  for (const Json& e : obj["metadata"].value("managedFields", Json::array())) {
    if (e["manager"] == manager && e["operation"] == op) {
      return e;
    }
  }
  return nullptr;
}

TEST(ServerSideApplyTest, CreatesObjectAndRecordsFieldsV1) {
  Json config = Widget(R"({"size":1,"containers":[{"name":"c","image":"i1"}],"tags":["a"]})");
  config["metadata"]["labels"] = {{"app", "x"}};
  Json out = Apply(nullptr, config, "kubectl");
  Json expected = config;
  expected["metadata"].erase("managedFields");
  Json got = out;
  got["metadata"].erase("managedFields");
  EXPECT_EQ(got, expected);
  ASSERT_EQ(out["metadata"]["managedFields"].size(), 1u);
  Json entry = out["metadata"]["managedFields"][0];
  EXPECT_EQ(entry["manager"], "kubectl");
  EXPECT_EQ(entry["operation"], "Apply");
  EXPECT_EQ(entry["apiVersion"], kApiVersion);
  EXPECT_EQ(entry["time"], kT1);
  EXPECT_EQ(entry["fieldsType"], "FieldsV1");
  EXPECT_FALSE(entry.contains("subresource"));
  // name, apiVersion and kind are never tracked; list items carry ".".
  EXPECT_EQ(entry["fieldsV1"], J(R"({"f:metadata":{"f:labels":{"f:app":{}}},
      "f:spec":{"f:size":{},"f:tags":{"v:\"a\"":{}},
                "f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:name":{},"f:image":{}}}}})"));
}

TEST(ServerSideApplyTest, ConflictBetweenAppliersAndForce) {
  Json live = Apply(nullptr, Widget(R"({"size":1,"color":"red"})"), "alice");
  auto r = ServerSideApply(&live, Widget(R"({"size":2})"), "bob", false, &WidgetSchema(),
                           kApiVersion, kT2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAborted);
  EXPECT_EQ(r.status().message(),
            R"(Apply failed with 1 conflict: conflict with "alice": .spec.size)");
  const StatusDetails* d = r.status().details();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->reason, "Conflict");
  EXPECT_EQ(d->http_code, 409);
  ASSERT_EQ(d->causes.size(), 1u);
  EXPECT_EQ(d->causes[0].reason, "FieldManagerConflict");
  EXPECT_EQ(d->causes[0].message, R"(conflict with "alice")");
  EXPECT_EQ(d->causes[0].field, ".spec.size");

  Json forced = Apply(&live, Widget(R"({"size":2})"), "bob", /*force=*/true, kT2);
  EXPECT_EQ(forced["spec"], J(R"({"size":2,"color":"red"})"));
  EXPECT_EQ(EntryOf(forced, "alice")["fieldsV1"], J(R"({"f:spec":{"f:color":{}}})"));
  EXPECT_EQ(EntryOf(forced, "bob")["fieldsV1"], J(R"({"f:spec":{"f:size":{}}})"));
  EXPECT_EQ(EntryOf(forced, "alice")["time"], kT1);  // alice did not write
  EXPECT_EQ(EntryOf(forced, "bob")["time"], kT2);
}

TEST(ServerSideApplyTest, ConflictWithUpdaterNamesItsVersion) {
  Json created = UpdateManagedFields(nullptr, Widget(R"({"size":1,"mode":"a"})"), "other", "",
                                     &WidgetSchema(), "v1", kT1);
  auto r = ServerSideApply(&created, Widget(R"({"size":3,"mode":"b"})"), "kubectl", false,
                           &WidgetSchema(), "v1", kT2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Apply failed with 2 conflicts: conflicts with \"other\" using v1:\n"
            "- .spec.mode\n- .spec.size");
  ASSERT_EQ(r.status().details()->causes.size(), 2u);
  EXPECT_EQ(r.status().details()->causes[1].message, R"(conflict with "other" using v1)");
  EXPECT_EQ(r.status().details()->causes[1].field, ".spec.size");
  // Applying the values the object already has is no conflict: ownership becomes shared.
  Json shared = Apply(&created, Widget(R"({"size":1})"), "kubectl");
  EXPECT_EQ(EntryOf(shared, "other", "Update")["fieldsV1"],
            J(R"({"f:spec":{".":{},"f:size":{},"f:mode":{}}})"));
  EXPECT_EQ(EntryOf(shared, "kubectl")["fieldsV1"], J(R"({"f:spec":{"f:size":{}}})"));
}

TEST(ServerSideApplyTest, DroppedFieldsAreRemovedUnlessSharedOwnership) {
  Json v1 = Apply(nullptr, Widget(R"({"size":1,"color":"red","mode":"m"})"), "alice");
  Json v2 = Apply(&v1, Widget(R"({"size":1})"), "bob");  // same value: shared
  // alice drops color and size: color goes, size stays because bob owns it too.
  Json v3 = Apply(&v2, Widget(R"({"mode":"m"})"), "alice");
  EXPECT_EQ(v3["spec"], J(R"({"size":1,"mode":"m"})"));
  EXPECT_EQ(EntryOf(v3, "alice")["fieldsV1"], J(R"({"f:spec":{"f:mode":{}}})"));
  // bob drops size, now owned by nobody: it goes too.
  Json bob_config = Widget("{}");
  bob_config.erase("spec");
  Json v4 = Apply(&v3, bob_config, "bob");
  EXPECT_EQ(v4["spec"], J(R"({"mode":"m"})"));
  EXPECT_TRUE(EntryOf(v4, "bob").is_null());  // an entry without fields is dropped
}

TEST(ServerSideApplyTest, ListMapMergesContainersByName) {
  Json v1 = Apply(nullptr, Widget(R"({"containers":[{"name":"c","image":"i1"}]})"), "alice");
  Json v2 = Apply(&v1, Widget(R"({"containers":[{"name":"d","image":"i2"}]})"), "bob");
  EXPECT_EQ(v2["spec"]["containers"],
            J(R"([{"name":"c","image":"i1"},{"name":"d","image":"i2"}])"));
  // bob changing c's image conflicts with alice on exactly that field.
  auto r = ServerSideApply(&v2, Widget(R"({"containers":[{"name":"c","image":"i3"}]})"), "bob",
                           false, &WidgetSchema(), kApiVersion, kT2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().details()->causes[0].field, R"(.spec.containers[name="c"].image)");
  // alice dropping her container removes it; bob's stays.
  Json v3 = Apply(&v2, Widget(R"({"containers":[]})"), "alice");
  EXPECT_EQ(v3["spec"]["containers"], J(R"([{"name":"d","image":"i2"}])"));
  EXPECT_TRUE(EntryOf(v3, "alice").is_null());
}

TEST(ServerSideApplyTest, SetsMergeAndAtomicMapsConflictWhole) {
  Json v1 = Apply(nullptr, Widget(R"({"tags":["a"],"selector":{"x":"1"}})"), "alice");
  Json v2 = Apply(&v1, Widget(R"({"tags":["b"]})"), "bob");
  EXPECT_EQ(v2["spec"]["tags"], J(R"(["a","b"])"));
  auto r = ServerSideApply(&v2, Widget(R"({"selector":{"y":"2"}})"), "bob", false, &WidgetSchema(),
                           kApiVersion, kT2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().details()->causes[0].field, ".spec.selector");
  Json forced = Apply(&v2, Widget(R"({"selector":{"y":"2"}})"), "bob", true);
  EXPECT_EQ(forced["spec"]["selector"], J(R"({"y":"2"})"));  // replaced, not merged
  EXPECT_EQ(EntryOf(forced, "alice")["fieldsV1"], J(R"({"f:spec":{"f:tags":{"v:\"a\"":{}}}})"));
}

TEST(ServerSideApplyTest, UntrackedObjectsBelongToBeforeFirstApply) {
  Json live = Widget(R"({"size":1})");
  auto r =
      ServerSideApply(&live, Widget(R"({"size":2})"), "kubectl", false, &WidgetSchema(), "v1", kT2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.status().message(),
      R"(Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .spec.size)");
}

TEST(ServerSideApplyTest, RejectsManagedFieldsInConfigAndNonObjects) {
  Json config = Widget(R"({"size":1})");
  config["metadata"]["managedFields"] = J(R"([{"manager":"x","operation":"Apply"}])");
  auto r = ServerSideApply(nullptr, config, "m", false, nullptr, kApiVersion, kT1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "metadata.managedFields must be nil");
  EXPECT_EQ(r.status().details()->http_code, 400);
  EXPECT_FALSE(ServerSideApply(nullptr, J("[1]"), "m", false, nullptr, kApiVersion, kT1).ok());
}

TEST(ServerSideApplyTest, UnknownSchemaTreatsListsAtomically) {
  Json v1 = *ServerSideApply(nullptr, Widget(R"({"l":[1,2],"m":{"a":1}})"), "alice", false, nullptr,
                             kApiVersion, kT1);
  EXPECT_EQ(v1["metadata"]["managedFields"][0]["fieldsV1"],
            J(R"({"f:spec":{".":{},"f:l":{},"f:m":{".":{},"f:a":{}}}})"));
  auto r = ServerSideApply(&v1, Widget(R"({"l":[3]})"), "bob", false, nullptr, kApiVersion, kT2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().details()->causes[0].field, ".spec.l");
}

TEST(ManagedFieldsTest, CreateAndUpdateMoveOwnership) {
  Json created = UpdateManagedFields(nullptr, Widget(R"({"size":1,"color":"red"})"),
                                     "kubectl-create", "", &WidgetSchema(), kApiVersion, kT1);
  created["metadata"]["uid"] = "u1";
  created["metadata"]["resourceVersion"] = "5";
  Json entry = EntryOf(created, "kubectl-create", "Update");
  EXPECT_EQ(entry["fieldsV1"], J(R"({"f:spec":{".":{},"f:size":{},"f:color":{}}})"));
  EXPECT_EQ(entry["time"], kT1);

  Json next = created;
  next["spec"]["size"] = 3;
  next["metadata"]["labels"] = {{"team", "a"}};
  next["metadata"]["resourceVersion"] = "6";
  Json updated =
      UpdateManagedFields(created, next, "controller", "", &WidgetSchema(), kApiVersion, kT2);
  EXPECT_EQ(EntryOf(updated, "kubectl-create", "Update")["fieldsV1"],
            J(R"({"f:spec":{".":{},"f:color":{}}})"));
  EXPECT_EQ(EntryOf(updated, "controller", "Update")["fieldsV1"],
            J(R"({"f:metadata":{"f:labels":{".":{},"f:team":{}}},"f:spec":{"f:size":{}}})"));
  EXPECT_EQ(EntryOf(updated, "kubectl-create", "Update")["time"], kT1);

  // A no-op update creates no entry; removing a field removes it from its owner.
  Json same = UpdateManagedFields(updated, updated, "noop", "", &WidgetSchema(), kApiVersion, kT2);
  EXPECT_TRUE(EntryOf(same, "noop", "Update").is_null());
  Json shrunk = updated;
  shrunk["spec"].erase("color");
  Json after =
      UpdateManagedFields(updated, shrunk, "editor", "", &WidgetSchema(), kApiVersion, kT2);
  // As upstream, kubectl-create keeps owning the spec object itself (it created it).
  EXPECT_EQ(EntryOf(after, "kubectl-create", "Update")["fieldsV1"], J(R"({"f:spec":{}})"));
  EXPECT_TRUE(EntryOf(after, "editor", "Update").is_null());
}

TEST(ManagedFieldsTest, StatusSubresourceEntriesAndOrdering) {
  Json live = Apply(nullptr, Widget(R"({"size":1})"), "kubectl");
  Json with_status = live;
  with_status["status"] = {{"phase", "Ready"}, {"ready", 1}};
  // A client-sent managedFields on a subresource write is ignored in favour of the live ones.
  with_status["metadata"]["managedFields"] = Json::array();
  Json out = UpdateManagedFields(live, with_status, "widget-controller", "status", &WidgetSchema(),
                                 kApiVersion, kT2);
  const Json& mf = out["metadata"]["managedFields"];
  ASSERT_EQ(mf.size(), 2u);
  EXPECT_EQ(mf[0]["operation"], "Apply");  // Apply entries sort first
  EXPECT_EQ(mf[1]["manager"], "widget-controller");
  EXPECT_EQ(mf[1]["subresource"], "status");
  EXPECT_EQ(mf[1]["fieldsV1"], J(R"({"f:status":{".":{},"f:phase":{},"f:ready":{}}})"));
  // Status written by the controller does not conflict with a spec apply.
  Json reapplied = Apply(&out, Widget(R"({"size":2})"), "kubectl", false, kT2);
  EXPECT_EQ(reapplied["status"]["phase"], "Ready");
  EXPECT_EQ(reapplied["spec"]["size"], 2);
}

TEST(ManagedFieldsTest, ClientEditedManagedFieldsAndReset) {
  Json live = UpdateManagedFields(nullptr, Widget(R"({"size":1})"), "a", "", &WidgetSchema(),
                                  kApiVersion, kT1);
  // The client rewrites managedFields to claim size for "b".
  Json edited = live;
  edited["metadata"]["managedFields"] = J(R"([{"manager":"b","operation":"Update",
      "apiVersion":"example.com/v1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:size":{}}}}])");
  Json out = UpdateManagedFields(live, edited, "a", "", &WidgetSchema(), kApiVersion, kT2);
  EXPECT_TRUE(EntryOf(out, "a", "Update").is_null());
  EXPECT_FALSE(EntryOf(out, "b", "Update").is_null());
  // `[{}]` clears them.
  edited["metadata"]["managedFields"] = J("[{}]");
  Json reset = UpdateManagedFields(live, edited, "a", "", &WidgetSchema(), kApiVersion, kT2);
  EXPECT_FALSE(reset["metadata"].contains("managedFields"));
  // Garbage falls back to the live entries.
  edited["metadata"]["managedFields"] = J(R"([{"manager":"x","operation":"Bogus"}])");
  Json fallback = UpdateManagedFields(live, edited, "a", "", &WidgetSchema(), kApiVersion, kT2);
  EXPECT_FALSE(EntryOf(fallback, "a", "Update").is_null());
}

}  // namespace
}  // namespace skiff::api

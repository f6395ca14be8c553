// Table printing: kubectl's column selection, decoration and tabwriter layout.
#include "client/table_printer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::client {
namespace {

Json PodTable() {
  return Json::parse(
      R"({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"7"},
    "columnDefinitions":[
      {"name":"Name","type":"string","format":"name","priority":0},
      {"name":"Ready","type":"string","format":"","priority":0},
      {"name":"Status","type":"string","format":"","priority":0},
      {"name":"Restarts","type":"integer","format":"","priority":0},
      {"name":"Age","type":"date","format":"","priority":0},
      {"name":"IP","type":"string","format":"","priority":1},
      {"name":"Nominated Node","type":"string","format":"","priority":1}],
    "rows":[
      {"cells":["fraud-model-train-node-0-0","1/1","Running",0,"5m12s","10.0.0.5","<none>"],
       "object":{"kind":"PartialObjectMetadata","metadata":{"name":"fraud-model-train-node-0-0","namespace":"ml-prod","labels":{"b":"2","a":"1"}}}},
      {"cells":["web","0/1","Pending",12,"3d",null,"<none>"],
       "object":{"kind":"PartialObjectMetadata","metadata":{"name":"web","namespace":"default"}}}]})");
}

std::string Render(const Json& table, const TablePrintOptions& options) {
  std::vector<TextRow> rows = TableBody(table, options);
  rows.insert(rows.begin(), TableHeader(table, options));
  TabWriter w;
  return w.Format(rows);
}

TEST(TablePrinterTest, DefaultColumnsLikeKubectl) {
  EXPECT_EQ(Render(PodTable(), {}),
            "NAME                         READY   STATUS    RESTARTS   AGE\n"
            "fraud-model-train-node-0-0   1/1     Running   0          5m12s\n"
            "web                          0/1     Pending   12         3d\n");
}

TEST(TablePrinterTest, WideNamespaceAndLabels) {
  EXPECT_EQ(
      Render(PodTable(), {.wide = true, .with_namespace = true, .show_labels = true}),
      "NAMESPACE   NAME                         READY   STATUS    RESTARTS   AGE     IP         "
      "NOMINATED NODE   LABELS\n"
      "ml-prod     fraud-model-train-node-0-0   1/1     Running   0          5m12s   10.0.0.5   "
      "<none>           a=1,b=2\n"
      "default     web                          0/1     Pending   12         3d                 "
      "<none>           <none>\n");
}

TEST(TablePrinterTest, KindPrefixAndMinimumWidth) {
  Json table = Json::parse(R"({"columnDefinitions":[
      {"name":"Name","type":"string","format":"name"},{"name":"Data","type":"integer"},
      {"name":"Age","type":"date"}],
    "rows":[{"cells":["a",1,"1s"]}]})");
  EXPECT_EQ(Render(table, {}), "NAME   DATA   AGE\na      1      1s\n");
  EXPECT_EQ(Render(table, {.kind_prefix = "configmap"}),
            "NAME          DATA   AGE\nconfigmap/a   1      1s\n");
}

TEST(TablePrinterTest, FormatsCellsLikeGo) {
  EXPECT_EQ(FormatCell(Json("x\ny")), "x...");
  EXPECT_EQ(FormatCell(Json(nullptr)), "");
  EXPECT_EQ(FormatCell(Json(true)), "true");
  EXPECT_EQ(FormatCell(Json(42)), "42");
  EXPECT_EQ(FormatCell(Json(2.0)), "2");
  EXPECT_EQ(FormatCell(Json(0.5)), "0.5");
  EXPECT_EQ(FormatLabels(Json::object()), "<none>");
  EXPECT_EQ(FormatLabels(Json{{"z", "1"}, {"app", "demo"}}), "app=demo,z=1");
}

TEST(TablePrinterTest, TabWriterRemembersWidthsAcrossCalls) {
  TabWriter w;
  EXPECT_EQ(w.Format({{"NAME", "AGE"}, {"a", "1s"}}), "NAME   AGE\na      1s\n");
  // A later, wider row widens the column (earlier output is not re-padded)...
  EXPECT_EQ(w.Format({{"longer-name", "2s"}}), "longer-name   2s\n");
  // ...and narrower rows keep the remembered width.
  EXPECT_EQ(w.Format({{"b", "3s"}}), "b             3s\n");
}

TEST(TablePrinterTest, TableFromObjectsFallback) {
  SystemTime now = *ParseRfc3339("2025-01-01T00:10:00Z");
  Json list = Json::parse(R"({"kind":"WidgetList","metadata":{"resourceVersion":"9"},"items":[
    {"metadata":{"name":"w1","creationTimestamp":"2025-01-01T00:05:00Z"}}]})");
  Json table = TableFromObjects(list, now);
  EXPECT_EQ(Render(table, {}), "NAME   AGE\nw1     5m\n");
  EXPECT_EQ(table["metadata"]["resourceVersion"], "9");
}

TEST(TabAlignTest, ColumnBlocksLikeGoTabwriter) {
  // Lines without a tab end a column block, so each block aligns on its own.
  std::string text =
      "Name:\tfoo\n"
      "Namespace:\tdefault\n"
      "Labels:\ta=1\n"
      "\tb=2\n"
      "Metadata:\n"
      "  Creation Timestamp:\t2025\n"
      "  UID:\tx\n"
      "Events:\n"
      "  Type\tReason\tAge\n"
      "  ----\t------\t----\n"
      "  Normal\tCreated\t5s\n";
  EXPECT_EQ(TabAlign(text, 0, 2),
            "Name:       foo\n"
            "Namespace:  default\n"
            "Labels:     a=1\n"
            "            b=2\n"
            "Metadata:\n"
            "  Creation Timestamp:  2025\n"
            "  UID:                 x\n"
            "Events:\n"
            "  Type    Reason   Age\n"
            "  ----    ------   ----\n"
            "  Normal  Created  5s\n");
}

}  // namespace
}  // namespace skiff::client

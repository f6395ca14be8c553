// Tests for field-error causes: Go's renderings of bad values and kube's message shapes.
#include "api/field_errors.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

TEST(FieldErrorsTest, BadValueRendering) {
  EXPECT_EQ(FormatBadValue("a\"b\\c\n\t\x01"), R"("a\"b\\c\n\t\x01")");
  EXPECT_EQ(FormatBadValue("héllo"), "\"héllo\"");
  EXPECT_EQ(FormatBadValue(std::string("\xff")), R"("\xff")");
  EXPECT_EQ(FormatBadValue(Json()), "\"null\"");
  EXPECT_EQ(FormatBadValue(3), "3");
  EXPECT_EQ(FormatBadValue(3.0), "3");
  EXPECT_EQ(FormatBadValue(1.5), "1.5");
  EXPECT_EQ(FormatBadValue(0.00001), "1e-05");
  EXPECT_EQ(FormatBadValue(1234567.5), "1.2345675e+06");
  EXPECT_EQ(FormatBadValue(true), "true");
  EXPECT_EQ(FormatBadValue(Json{{"a", 1}, {"b", "x"}}),
            R"(map[string]interface {}{"a":1, "b":"x"})");
  EXPECT_EQ(FormatBadValue(Json::array({1, "x"})), R"([]interface {}{1, "x"})");
  EXPECT_EQ(FieldNotSupported("spec.mode", "x", {"a", "b"}).message,
            R"(Unsupported value: "x": supported values: "a", "b")");
  EXPECT_EQ(FieldTooMany("spec.items", 5, 3).message, "Too many: 5: must have at most 3 items");
  EXPECT_EQ(FieldDuplicate("spec.items[1]", "a").message, R"(Duplicate value: "a")");
}

TEST(FieldErrorsTest, CauseShapes) {
  StatusCause invalid = FieldInvalid("spec.x", "v", "bad");
  EXPECT_EQ(invalid.reason, "FieldValueInvalid");
  EXPECT_EQ(invalid.field, "spec.x");
  EXPECT_EQ(invalid.message, R"(Invalid value: "v": bad)");
  EXPECT_EQ(FieldRequired("spec.x").message, "Required value");
  EXPECT_EQ(FieldRequired("spec.x", "why").message, "Required value: why");
  EXPECT_EQ(FieldForbidden("spec.x", "no").message, "Forbidden: no");
  EXPECT_EQ(FieldTooLong("spec.x", "must have at most 3 bytes").reason, "FieldValueTooLong");
  StatusCause type = FieldTypeMismatch("spec.size", Json("x"), "integer");
  EXPECT_EQ(type.reason, "FieldValueTypeInvalid");
  EXPECT_EQ(type.message,
            R"(Invalid value: "string": spec.size in body must be of type integer: "string")");
  EXPECT_STREQ(JsonTypeName(Json(1u)), "integer");
  EXPECT_STREQ(JsonTypeName(Json(1.0)), "number");
  EXPECT_STREQ(JsonTypeName(Json()), "null");
  EXPECT_EQ(FormatNumber(2.0), "2");
  EXPECT_EQ(FormatNumber(0.25), "0.25");
}

}  // namespace
}  // namespace skiff::api

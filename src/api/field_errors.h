// Field-level causes shaped like k8s.io/apimachinery/pkg/util/validation/field errors, so that
// every validator in src/api (schemas, ObjectMeta, per-kind rules) words its messages the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// `field` is the full path ("spec.containers[0].image"); the message never repeats it.
//
// The bad value is rendered as Go's field.Error does: strings quoted with strconv.Quote rules,
// whole numbers as integers, other numbers like Go's %v, null as "null" (quoted), containers in
// Go's %#v syntax (map[string]interface {}{"a":1}).
std::string FormatBadValue(const Json& value);
// Go's strconv.Quote.
std::string GoQuote(std::string_view s);
// Numbers as kube prints them: integral values without a fraction, others like Go's %v.
std::string FormatNumber(double v);

// "Invalid value: <value>: <detail>", reason FieldValueInvalid.
StatusCause FieldInvalid(std::string_view field, const Json& value, std::string_view detail);
// Same text, reason FieldValueTypeInvalid.
StatusCause FieldTypeInvalid(std::string_view field, const Json& value, std::string_view detail);
// "Required value[: <detail>]".
StatusCause FieldRequired(std::string_view field, std::string_view detail = "");
// "Forbidden: <detail>".
StatusCause FieldForbidden(std::string_view field, std::string_view detail);
// `Unsupported value: "x": supported values: "a", "b"`.
StatusCause FieldNotSupported(std::string_view field, const Json& value,
                              const std::vector<std::string>& supported);
// "Duplicate value: <value>".
StatusCause FieldDuplicate(std::string_view field, const Json& value);
// "Too long: <detail>" (the value is never shown).
StatusCause FieldTooLong(std::string_view field, std::string_view detail);
// "Too many: <actual>: must have at most <max> items".
StatusCause FieldTooMany(std::string_view field, int64_t actual, int64_t max);
// kube-openapi's type error: {FieldValueTypeInvalid,
// `Invalid value: "string": spec.size in body must be of type integer: "string"`}.
StatusCause FieldTypeMismatch(std::string_view field, const Json& value, std::string_view want);

// The JSON type kube-openapi names for a decoded value: "null", "boolean", "integer" (also
// unsigned), "number" (any float), "string", "array", "object".
const char* JsonTypeName(const Json& value);

}  // namespace skiff::api

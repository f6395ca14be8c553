// ObjectMeta validation with apimachinery's rules and wording: object names (DNS-1123/1035,
// path segments), labels, annotations, finalizers, ownerReferences (reference/kube-api.md §4).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/field_errors.h"
#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

// How a kind's metadata.name is checked.
enum class NameRule {
  kDns1123Subdomain,  // most kinds and every custom resource
  kDns1123Label,      // Namespaces
  kDns1035Label,      // Services
  kPathSegment,       // anything except ".", ".." and names containing "/" or "%"
};

bool IsDns1123Subdomain(std::string_view value);
bool IsDns1123Label(std::string_view value);
bool IsDns1035Label(std::string_view value);

// apimachinery's error strings for a value; empty means valid.
std::vector<std::string> Dns1123SubdomainErrors(std::string_view value);
std::vector<std::string> Dns1123LabelErrors(std::string_view value);
std::vector<std::string> Dns1035LabelErrors(std::string_view value);
// IsQualifiedName: an optional DNS-subdomain prefix and "/", then a name part of at most 63.
std::vector<std::string> QualifiedNameErrors(std::string_view value);
// IsValidLabelValue: empty, or a name part of at most 63 characters.
std::vector<std::string> LabelValueErrors(std::string_view value);

// Checks one name. `prefix` is for generateName, whose trailing '-' is allowed.
// Causes are FieldValueInvalid: `Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain ...`.
std::vector<StatusCause> ValidateObjectName(std::string_view name, NameRule rule,
                                            std::string_view field = "metadata.name",
                                            bool prefix = false);

// `labels` must be an object of strings; keys are qualified names, values label values.
// As in apimachinery, the cause field is the map's own path ("metadata.labels").
std::vector<StatusCause> ValidateLabels(const Json& labels,
                                        std::string_view field = "metadata.labels");

// Keys as label keys (case-insensitive); keys plus values at most 262144 bytes in total
// (FieldValueTooLong "Too long: must have at most 262144 bytes").
std::vector<StatusCause> ValidateAnnotations(const Json& annotations,
                                             std::string_view field = "metadata.annotations");

// Whole-ObjectMeta check as kube's ValidateObjectMetaAccessor: name or generateName, the name
// rule, namespace required when `namespaced` (a DNS-1123 label) and forbidden otherwise (callers
// clear it for cluster-scoped kinds first, as kube's BeforeCreate does), generation >= 0, labels,
// annotations, ownerReferences (apiVersion/kind/name/uid, at most one controller), finalizers
// (qualified names), managedFields (operation, fieldsType) and the JSON types of those fields.
std::vector<StatusCause> ValidateObjectMeta(const Json& metadata, NameRule rule, bool namespaced);

}  // namespace skiff::api

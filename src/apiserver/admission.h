// Folder-private: the write path's admission chain (decode → prune/strict check →
// defaults → kind-specific mutation → validation) and kind-specific hooks.
#pragma once

#include <string>
#include <vector>

#include "api/registry.h"
#include "apiserver/context.h"
#include "base/json.h"
#include "base/status.h"

namespace skiff::apiserver {

enum class FieldValidation { kStrict, kWarn, kIgnore };

struct AdmissionRequest {
  const ResourcePath* path;
  FieldValidation validation = FieldValidation::kWarn;
  const Json* old_object = nullptr;  // null on create
  std::string operation;             // CREATE, UPDATE
  std::string subresource;
};

// Parses the body per Content-Type (JSON, or YAML for apply patches). BadRequest on error.
StatusOr<Json> DecodeBody(const std::string& body, bool allow_yaml);
StatusOr<FieldValidation> ParseFieldValidation(const std::string& value);

// Prunes unknown fields (Strict: BadRequest; Warn: appends warnings), defaults, and
// validates `obj`. Returns Invalid/BadRequest errors in Kubernetes form.
Status Admit(Context& ctx, const AdmissionRequest& req, Json& obj, std::vector<std::string>& warnings);

// Kind-specific defaulting for built-in kinds (Pod, Service, Secret, Namespace, ...).
void DefaultBuiltin(Context& ctx, const api::KindInfo& kind, Json& obj, const Json* old);
// Kind-specific validation; returns field causes.
std::vector<StatusCause> ValidateBuiltin(const api::KindInfo& kind, const Json& obj, const Json* old);

}  // namespace skiff::apiserver

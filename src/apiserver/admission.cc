// Admission: schema pruning/defaulting/validation plus built-in kind rules.
#include "apiserver/admission.h"

#include <nlohmann/json.hpp>

#include "api/meta_validation.h"
#include "api/schema.h"
#include "api/yaml.h"
#include "apiserver/errors.h"
#include "apiserver/kserve_admission.h"
#include "apiserver/kueue_admission.h"
#include "apiserver/trainer_admission.h"

namespace skiff::apiserver {
namespace {

bool IsCore(const api::KindInfo& k, const char* kind) { return k.group.empty() && k.kind == kind; }

api::NameRule NameRuleFor(const api::KindInfo& k) {
  if (IsCore(k, "Namespace")) return api::NameRule::kDns1123Label;
  if (IsCore(k, "Service")) return api::NameRule::kDns1035Label;
  if (IsCore(k, "Node") || IsCore(k, "Event")) return api::NameRule::kPathSegment;
  return api::NameRule::kDns1123Subdomain;
}

}  // namespace

StatusOr<Json> DecodeBody(const std::string& body, bool allow_yaml) {
  if (body.empty()) return BadRequestError("the body of the request is empty");
  auto parsed = allow_yaml ? api::ParseYamlOrJson(body) : ParseJson(body);
  if (!parsed.ok()) {
    return BadRequestError("the object provided is unrecognized: " + parsed.status().message());
  }
  return std::move(*parsed);
}

StatusOr<FieldValidation> ParseFieldValidation(const std::string& v) {
  if (v.empty() || v == "Warn") return FieldValidation::kWarn;
  if (v == "Strict") return FieldValidation::kStrict;
  if (v == "Ignore") return FieldValidation::kIgnore;
  return BadRequestError("fieldValidation must be one of Ignore, Warn, or Strict, got " + v);
}

Status Admit(Context& ctx, const AdmissionRequest& req, Json& obj,
             std::vector<std::string>& warnings) {
  const api::KindInfo& kind = *req.path->kind;
  const api::KindVersion& kv = *req.path->kind_version;
  if (!obj.is_object()) return BadRequestError("the object provided is not a JSON object");
  std::string name;
  if (obj.contains("metadata") && obj["metadata"].is_object()) {
    name = obj["metadata"].value("name", "");
  } else if (obj.contains("metadata") && !obj["metadata"].is_null()) {
    return InvalidError(kind, "", {{"FieldValueInvalid", "Invalid value: must be an object", "metadata"}});
  }
  if (IsTrainJob(kind) && req.subresource.empty()) NormalizeTrainJob(obj, warnings);
  if (kv.schema) {
    std::vector<std::string> unknown = api::Prune(*kv.schema, obj);
    if (!unknown.empty()) {
      if (req.validation == FieldValidation::kStrict) {
        std::string msg = "strict decoding error: ";
        std::vector<StatusCause> causes;
        for (size_t i = 0; i < unknown.size(); ++i) {
          if (i) msg += ", ";
          msg += "unknown field \"" + unknown[i] + "\"";
          causes.push_back({"FieldValueInvalid", "unknown field \"" + unknown[i] + "\"", unknown[i]});
        }
        return BadRequestError(msg, std::move(causes));
      }
      if (req.validation == FieldValidation::kWarn) {
        for (const auto& u : unknown) warnings.push_back("unknown field \"" + u + "\"");
      }
    }
    api::ApplyDefaults(*kv.schema, obj);
  }
  if (kind.builtin) DefaultBuiltin(ctx, kind, obj, req.old_object);
  if (ctx.kueue_webhooks && req.operation == "CREATE" && req.subresource.empty()) {
    SuspendQueuedJob(kind, obj);
  }

  std::vector<StatusCause> causes;
  if (obj.contains("metadata") && obj["metadata"].is_object()) {
    causes = api::ValidateObjectMeta(obj["metadata"], NameRuleFor(kind), kind.namespaced);
  }
  if (kv.schema) {
    auto more = api::Validate(*kv.schema, obj);
    causes.insert(causes.end(), more.begin(), more.end());
  }
  if (kind.builtin) {
    auto more = ValidateBuiltin(kind, obj, req.old_object);
    causes.insert(causes.end(), more.begin(), more.end());
  }
  if (IsTrainJob(kind) && req.subresource.empty()) {
    auto more = ValidateTrainJob(*ctx.store, obj, req.old_object);
    causes.insert(causes.end(), more.begin(), more.end());
  }
  if (IsInferenceService(kind) && req.subresource.empty()) {
    auto more = ValidateInferenceService(obj, req.old_object);
    causes.insert(causes.end(), more.begin(), more.end());
  }
  if (!causes.empty()) return InvalidError(kind, name, std::move(causes));
  return Status::Ok();
}

}  // namespace skiff::apiserver

// Deletion planning, CRD hooks, list filters and small subresources.
#include "apiserver/lifecycle.h"

#include <set>

#include <nlohmann/json.hpp>

#include "api/field_selector.h"
#include "api/label_selector.h"
#include "apiserver/errors.h"
#include "apiserver/object_meta.h"

namespace skiff::apiserver {
namespace {

bool IsCrd(const ResourcePath& p) { return p.kind->ResourceId() == "customresourcedefinitions.apiextensions.k8s.io"; }

}  // namespace

bool HasFinalizer(const Json& obj, std::string_view f) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return false;
  auto list = m->find("finalizers");
  if (list == m->end() || !list->is_array()) return false;
  for (const auto& x : *list) {
    if (x == f) return true;
  }
  return false;
}

Status ParseDeleteOptions(const Request& req, DeleteOptions& out) {
  Json body = Json::object();
  if (!req.body.empty()) {
    auto parsed = ParseJson(req.body);
    if (!parsed.ok() || !parsed->is_object()) {
      return BadRequestError("invalid DeleteOptions body: " +
                             (parsed.ok() ? std::string("not an object") : parsed.status().message()));
    }
    body = std::move(*parsed);
  }
  out.propagation = body.value("propagationPolicy", req.Query("propagationPolicy"));
  if (body.contains("orphanDependents") && body["orphanDependents"].is_boolean() && out.propagation.empty()) {
    out.propagation = body["orphanDependents"].get<bool>() ? "Orphan" : "Background";
  }
  if (out.propagation.empty()) out.propagation = "Background";
  if (out.propagation != "Background" && out.propagation != "Foreground" && out.propagation != "Orphan") {
    return BadRequestError("propagationPolicy: Unsupported value: \"" + out.propagation +
                           "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
  }
  if (body.contains("gracePeriodSeconds") && body["gracePeriodSeconds"].is_number_integer()) {
    out.grace_period_seconds = body["gracePeriodSeconds"].get<int64_t>();
  } else if (std::string g = req.Query("gracePeriodSeconds"); !g.empty()) {
    out.grace_period_seconds = std::atoll(g.c_str());
  }
  if (body.contains("preconditions") && body["preconditions"].is_object()) {
    out.precondition_uid = body["preconditions"].value("uid", "");
    out.precondition_rv = body["preconditions"].value("resourceVersion", "");
  }
  bool dry = false;
  if (body.contains("dryRun") && body["dryRun"].is_array()) {
    for (const auto& d : body["dryRun"]) {
      if (d != "All") return BadRequestError("Invalid dry run value: supported values are \"All\"");
      dry = true;
    }
  }
  if (req.HasQuery("dryRun")) {
    if (req.Query("dryRun") != "All") return BadRequestError("Invalid dry run value: supported values are \"All\"");
    dry = true;
  }
  out.dry_run = dry;
  return Status::Ok();
}

bool ReadyToRemove(const Json& obj) {
  const Json& m = obj.at("metadata");
  if (!m.contains("deletionTimestamp") || m["deletionTimestamp"].is_null()) return false;
  // A namespace also waits for its spec.finalizers (the namespace controller's).
  if (obj.value("kind", "") == "Namespace" && obj.contains("spec") && obj["spec"].is_object() &&
      obj["spec"].contains("finalizers") && !obj["spec"]["finalizers"].empty()) {
    return false;
  }
  return !m.contains("finalizers") || !m["finalizers"].is_array() || m["finalizers"].empty();
}

StatusOr<DeletionPlan> PlanDeletion(Context& ctx, const api::KindInfo& kind, const Json& current,
                                    const DeleteOptions& opts) {
  std::string name = current.at("metadata").value("name", "");
  if (!opts.precondition_uid.empty() && opts.precondition_uid != current.at("metadata").value("uid", "")) {
    return ConflictError(kind, name, "Precondition failed: UID in precondition: " + opts.precondition_uid +
                                         ", UID in object meta: " + current.at("metadata").value("uid", ""));
  }
  if (!opts.precondition_rv.empty() &&
      opts.precondition_rv != current.at("metadata").value("resourceVersion", "")) {
    return ConflictError(kind, name, "Precondition failed: ResourceVersion in precondition: " +
                                         opts.precondition_rv + ", ResourceVersion in object meta: " +
                                         current.at("metadata").value("resourceVersion", ""));
  }
  DeletionPlan plan;
  plan.object = current;
  Json& meta = plan.object["metadata"];
  bool already = meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
  std::string now = FormatRfc3339(ctx.clock->Now());
  bool is_pod = kind.group.empty() && kind.kind == "Pod";
  bool is_ns = kind.group.empty() && kind.kind == "Namespace";

  if (is_ns) {
    if (!already) {
      meta["deletionTimestamp"] = now;
      plan.object["status"]["phase"] = "Terminating";
      plan.changed = true;
    }
    return plan;
  }
  // Propagation policy becomes a finalizer the garbage collector honours.
  auto add_finalizer = [&](const char* f) {
    if (HasFinalizer(plan.object, f)) return;
    if (!meta.contains("finalizers") || !meta["finalizers"].is_array()) meta["finalizers"] = Json::array();
    meta["finalizers"].push_back(f);
    plan.changed = true;
  };
  if (!already) {
    if (opts.propagation == "Foreground") add_finalizer("foregroundDeletion");
    if (opts.propagation == "Orphan") add_finalizer("orphan");
  }
  bool has_finalizers = meta.contains("finalizers") && meta["finalizers"].is_array() && !meta["finalizers"].empty();
  // Pods bound to a node terminate gracefully: the node agent removes them.
  int64_t grace = 0;
  if (is_pod && plan.object.contains("spec") && plan.object["spec"].contains("nodeName") &&
      !plan.object["spec"]["nodeName"].is_null()) {
    grace = opts.grace_period_seconds.value_or(
        plan.object["spec"].value("terminationGracePeriodSeconds", int64_t{30}));
    std::string phase = plan.object.contains("status") ? plan.object["status"].value("phase", "") : "";
    if (phase == "Succeeded" || phase == "Failed") grace = 0;
  }
  if (!has_finalizers && grace <= 0) {
    plan.remove_now = true;
    return plan;
  }
  if (!already) {
    meta["deletionTimestamp"] = grace > 0 ? FormatRfc3339(ctx.clock->Now() + std::chrono::seconds(grace)) : now;
    meta["deletionGracePeriodSeconds"] = grace;
    meta["generation"] = meta.value("generation", 1) + 1;
    plan.changed = true;
  } else if (is_pod && opts.grace_period_seconds && *opts.grace_period_seconds == 0 && !has_finalizers) {
    plan.remove_now = true;
  }
  return plan;
}

StatusOr<ListFilter> MakeListFilter(const Request& req, const api::KindInfo& kind) {
  std::optional<api::LabelSelector> labels;
  std::optional<api::FieldSelector> fields;
  if (std::string l = req.Query("labelSelector"); !l.empty()) {
    auto s = api::ParseLabelSelector(l);
    if (!s.ok()) return BadRequestError("unable to parse requirement: " + s.status().message());
    labels = std::move(*s);
  }
  if (std::string f = req.Query("fieldSelector"); !f.empty()) {
    auto s = api::ParseFieldSelector(f);
    if (!s.ok()) return BadRequestError(s.status().message());
    // Only the fields Kubernetes supports for the kind are accepted.
    std::set<std::string> allowed = {"metadata.name", "metadata.namespace"};
    if (kind.group.empty() && kind.kind == "Pod") {
      for (const char* x : {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                            "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                            "status.podIP", "status.podIPs", "status.nominatedNodeName"}) {
        allowed.insert(x);
      }
    } else if (kind.group.empty() && kind.kind == "Event") {
      for (const char* x : {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                            "involvedObject.uid", "involvedObject.apiVersion",
                            "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                            "reportingComponent", "source", "type"}) {
        allowed.insert(x);
      }
    } else if (kind.group.empty() && kind.kind == "Secret") {
      allowed.insert("type");
    } else if (kind.group.empty() && kind.kind == "Namespace") {
      allowed.insert("status.phase");
    }
    for (const auto& sf : kind.StorageVersion().selectable_fields) {
      allowed.insert(sf.starts_with(".") ? sf.substr(1) : sf);
    }
    for (const auto& r : s->requirements()) {
      if (!allowed.count(r.field)) {
        return BadRequestError("field label not supported: " + r.field);
      }
    }
    fields = std::move(*s);
  }
  return ListFilter([labels, fields](const Json& obj) {
    if (labels) {
      const Json& m = obj.at("metadata");
      if (!labels->Matches(m.contains("labels") ? m["labels"] : Json())) return false;
    }
    if (fields) {
      auto get = [&](std::string_view f) -> std::optional<std::string> {
        if (f == "source") return api::GetFieldValue(obj, "source.component");
        auto v = api::GetFieldValue(obj, f);
        if (!v) return std::string();
        return v;
      };
      if (!fields->Matches(get)) return false;
    }
    return true;
  });
}

Status OnCreate(Context& ctx, const ResourcePath& p, Json& obj) {
  if (!IsCrd(p)) return Status::Ok();
  auto kind = api::KindFromCrd(obj);
  if (!kind.ok()) {
    if (const auto* d = kind.status().details()) {
      return InvalidError(*p.kind, MetaString(obj, "name"), d->causes);
    }
    return InvalidError(*p.kind, MetaString(obj, "name"), {{"FieldValueInvalid", kind.status().message(), "spec"}});
  }
  const Json& names = obj["spec"]["names"];
  Json accepted = names;
  if (!accepted.contains("singular")) accepted["singular"] = (*kind)->singular;
  if (!accepted.contains("listKind")) accepted["listKind"] = (*kind)->list_kind;
  std::string now = FormatRfc3339(ctx.clock->Now());
  obj["status"] = {
      {"acceptedNames", accepted},
      {"storedVersions", Json::array({(*kind)->StorageVersion().name})},
      {"conditions",
       Json::array({{{"type", "NamesAccepted"}, {"status", "True"}, {"reason", "NoConflicts"},
                     {"message", "no conflicts found"}, {"lastTransitionTime", now}},
                    {{"type", "Established"}, {"status", "True"}, {"reason", "InitialNamesAccepted"},
                     {"message", "the initial names have been accepted"}, {"lastTransitionTime", now}}})}};
  return Status::Ok();
}

Status OnUpdate(Context& ctx, const ResourcePath& p, const Json& old, Json& obj) {
  if (!IsCrd(p)) return Status::Ok();
  if (obj["spec"].value("group", "") != old["spec"].value("group", "") ||
      obj["spec"]["names"].value("plural", "") != old["spec"]["names"].value("plural", "")) {
    return InvalidError(*p.kind, MetaString(obj, "name"),
                        {{"FieldValueInvalid", "Invalid value: field is immutable", "spec.group"}});
  }
  auto kind = api::KindFromCrd(obj);
  if (!kind.ok()) {
    const auto* d = kind.status().details();
    return InvalidError(*p.kind, MetaString(obj, "name"),
                        d ? d->causes : std::vector<StatusCause>{{"FieldValueInvalid", kind.status().message(), "spec"}});
  }
  if (old.contains("status")) obj["status"] = old["status"];
  return Status::Ok();
}

void AfterWrite(Context& ctx, const ResourcePath& p, const store::ObjectPtr& stored) {
  if (!IsCrd(p)) return;
  auto kind = api::KindFromCrd(*stored->value);
  // Built-in kinds keep Skiff's definition: an upstream CRD applied for them is stored only.
  if (kind.ok()) (void)ctx.registry->Register(*kind);
}

void AfterDelete(Context& ctx, const ResourcePath& p, const store::ObjectPtr& gone) {
  if (!IsCrd(p)) return;
  std::string id = gone->name;
  auto kind = ctx.registry->ByResourceId(id);
  if (!kind || kind->builtin) return;
  ctx.registry->Unregister(id);
  // The kind's objects go with it.
  for (const auto& o : ctx.store->List(id, "", "", 0).items) {
    ctx.store->Delete(o->resource, o->ns, o->name, 0, [](StatusOr<store::ObjectPtr>) {});
  }
}

}  // namespace skiff::apiserver

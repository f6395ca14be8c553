// Folder-private: deletion planning (finalizers, graceful pods, propagation policy),
// CRD registration hooks, list filters, and the small subresource handlers.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "apiserver/context.h"

namespace skiff::apiserver {

struct DeleteOptions {
  std::string propagation;  // Background (default), Foreground, Orphan
  std::optional<int64_t> grace_period_seconds;
  std::string precondition_uid;
  std::string precondition_rv;
  bool dry_run = false;
};
Status ParseDeleteOptions(const Request& req, DeleteOptions& out);

struct DeletionPlan {
  bool remove_now = false;  // delete from the store now
  bool changed = false;     // else: write `object` (deletionTimestamp/finalizers set)
  Json object;
};
StatusOr<DeletionPlan> PlanDeletion(Context& ctx, const api::KindInfo& kind, const Json& current,
                                    const DeleteOptions& opts);
// True when metadata.finalizers contains `finalizer`.
bool HasFinalizer(const Json& obj, std::string_view finalizer);
// True when deletion was requested and no finalizer is left.
bool ReadyToRemove(const Json& obj);

using ListFilter = std::function<bool(const Json&)>;
StatusOr<ListFilter> MakeListFilter(const Request& req, const api::KindInfo& kind);

// Hooks around writes (CRDs register kinds; namespaces, ...).
Status OnCreate(Context& ctx, const ResourcePath& p, Json& obj);
Status OnUpdate(Context& ctx, const ResourcePath& p, const Json& old, Json& obj);
void AfterWrite(Context& ctx, const ResourcePath& p, const store::ObjectPtr& stored);
void AfterDelete(Context& ctx, const ResourcePath& p, const store::ObjectPtr& gone);

Awaitable<void> HandleScale(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p);
// POST pods/NAME/binding: the scheduler's bind (sets spec.nodeName once, PodScheduled=True).
Awaitable<void> HandlePodBinding(Context& ctx, Request& req, ResponseWriter& w,
                                 const ResourcePath& p);
Awaitable<void> HandlePodLog(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p);
Awaitable<void> HandleNamespaceFinalize(Context& ctx, Request& req, ResponseWriter& w,
                                        const ResourcePath& p);

}  // namespace skiff::apiserver

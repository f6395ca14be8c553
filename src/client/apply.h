// `kubectl apply` semantics: client-side apply (last-applied annotation + three-way JSON merge
// patch, kube-api.md §9) and server-side apply (apply-patch+yaml), for one manifest object.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"
#include "client/discovery.h"

namespace skiff::client {

class Client;

inline constexpr std::string_view kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

enum class ApplyResult { kCreated, kConfigured, kUnchanged, kServerSideApplied };
// "created", "configured", "unchanged", "serverside-applied" as kubectl prints them.
std::string_view ApplyResultVerb(ApplyResult result);

struct ApplyOptions {
  bool server_side = false;
  bool force_conflicts = false;  // server-side only
  // Client-side default "kubectl-client-side-apply"; server-side default "kubectl".
  std::string field_manager{};
  std::string field_validation = "Strict";
  bool dry_run = false;
  int max_conflict_retries = 5;  // kubectl's maxPatchRetry
  // Where the manifest came from ("f.yaml", "STDIN"); errors then read like kubectl's
  // (`error when creating "f.yaml": ...`). Empty = errors are returned unchanged.
  std::string source{};
};

struct ApplyOutcome {
  ResourceInfo resource;
  std::string ns{};  // "" for cluster-scoped
  std::string name{};
  ApplyResult result = ApplyResult::kUnchanged;
  std::shared_ptr<const Json> object{};  // the server's reply (the live object when unchanged)
};

// kubectl's GetModifiedConfiguration(annotate=true): `manifest` with the last-applied
// annotation removed (leaving `"annotations":{}` when empty), serialized compactly with a
// trailing newline, then set as the annotation. Returns the annotated object.
Json WithLastApplied(const Json& manifest);
// The annotation's value on `object`, or null when absent/unparseable.
Json LastApplied(const Json& object);

// The client-side apply patch for a live object: three-way merge of the live object's
// last-applied configuration (original), `annotated` (modified, from WithLastApplied) and
// `live` (current). An empty object means "unchanged". Lists are sent whole (merge-patch
// semantics), except that a list unchanged since the last apply whose live copy only adds
// server defaults is left out, so re-applying a Service or Deployment reads "unchanged" as with
// kubectl's strategic merge patch. InvalidArgument if apiVersion, kind or metadata.name would
// change.
StatusOr<Json> ComputeApplyPatch(const Json& annotated, const Json& live);

// Applies one object. `manifest` must already carry metadata.namespace for namespaced kinds
// (the caller picks -n/kubeconfig defaults); `resource` is its resolved type. Blocks on API
// calls; retries client-side patches on 409 Conflict up to max_conflict_retries times.
StatusOr<ApplyOutcome> ApplyObject(Client& client, const ResourceInfo& resource,
                                   const Json& manifest, const ApplyOptions& options);

}  // namespace skiff::client

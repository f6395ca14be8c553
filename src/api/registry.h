// The kind registry: every kind the API server serves, built-in or from a
// user's CustomResourceDefinition, described the same way (names, scope,
// versions with compiled schemas, subresources, printer columns).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace skiff::api {

class Schema;

struct PrinterColumn {
  std::string name;
  std::string type;  // integer, number, string, boolean, date
  std::string format;
  std::string description;
  std::string json_path;
  int priority = 0;
};

struct ScaleSubresource {
  std::string spec_replicas_path;    // ".spec.replicas"
  std::string status_replicas_path;  // ".status.replicas"
  std::string label_selector_path;   // ".status.selector", may be empty
};

struct KindVersion {
  std::string name;  // "v1beta1"
  bool storage = false;
  std::shared_ptr<const Schema> schema;  // null = anything goes (preserve unknown)
  std::shared_ptr<const Json> schema_json;  // resolved openAPIV3Schema; null if none
  std::vector<PrinterColumn> columns;
  bool status_subresource = false;
  bool scale_subresource = false;
  ScaleSubresource scale;
  std::vector<std::string> selectable_fields;  // ".spec.color"
};

// Immutable once registered.
struct KindInfo {
  std::string group;  // "" for core
  std::string kind;
  std::string list_kind;
  std::string plural;
  std::string singular;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool namespaced = true;
  bool builtin = false;  // compiled into skiff (cannot be replaced by a user CRD)
  // A Kubernetes-native type (core, apps, batch, *.k8s.io): upstream these are compiled into
  // the apiserver and kubectl, so they take strategic merge patches and unconditional updates.
  // Everything else (Kueue, KServe, ...) is a CRD upstream and behaves like one here.
  bool native = false;
  std::vector<KindVersion> versions;  // served versions, preferred (storage) first

  // "pods", "deployments.apps": the store's resource key and the CRD name.
  std::string ResourceId() const { return group.empty() ? plural : plural + "." + group; }
  const KindVersion* Version(std::string_view v) const;
  const KindVersion& StorageVersion() const;
  std::string ApiVersion(std::string_view version) const {
    return group.empty() ? std::string(version) : group + "/" + std::string(version);
  }
};
using KindPtr = std::shared_ptr<const KindInfo>;

// Builds a KindInfo from a CustomResourceDefinition object (apiextensions.k8s.io/v1).
// Invalid definitions give InvalidArgument with field causes ("spec.names.plural", ...).
// `definitions` resolves {x-skiff-ref: Name} nodes (built-in files only).
StatusOr<KindPtr> KindFromCrd(const Json& crd, const Json* definitions = nullptr);

// Thread-safe.
class Registry {
 public:
  // Loads the built-in kinds compiled into the binary.
  static StatusOr<std::unique_ptr<Registry>> LoadBuiltins();

  KindPtr ByResource(std::string_view group, std::string_view plural) const;
  KindPtr ByKind(std::string_view group, std::string_view kind) const;
  KindPtr ByResourceId(std::string_view resource_id) const;
  std::vector<KindPtr> All() const;  // sorted by group, then plural

  // Registers (or replaces) a user CRD's kind. Built-in kinds cannot be replaced.
  Status Register(KindPtr kind);
  void Unregister(std::string_view resource_id);
  // Bumps on every change; lets caches of derived documents (discovery, OpenAPI) refresh.
  uint64_t generation() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, KindPtr> by_id_;  // ResourceId() -> kind
  uint64_t generation_ = 1;
};

}  // namespace skiff::api

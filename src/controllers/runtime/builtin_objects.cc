// The built-in objects controller.
#include "controllers/runtime/builtin_objects.h"

#include <map>
#include <nlohmann/json.hpp>

#include "client/client.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/json_fields.h"

namespace skiff::controllers {
namespace {

class BuiltinObjectsReconciler final : public Reconciler {
 public:
  BuiltinObjectsReconciler(Manager *mgr, client::Informer *informer,
                           std::map<std::string, Json> objects)
      : mgr_(mgr), informer_(informer), objects_(std::move(objects)) {}

  StatusOr<Result> Reconcile(const Request &req) override {
    auto it = objects_.find(req.name);
    if (it == objects_.end() || informer_->Get("", req.name)) return Result{};
    auto r = mgr_->client().Create(informer_->resource(), "", it->second);
    if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) return r.status();
    return Result{};
  }

 private:
  Manager *mgr_;
  client::Informer *informer_;
  std::map<std::string, Json> objects_;
};

}  // namespace

Status RegisterBuiltinObjects(Manager *mgr, const std::string &name, const std::string &api_version,
                              const std::string &kind, std::vector<Json> objects) {
  SKIFF_ASSIGN_OR_RETURN(client::Informer * informer, mgr->informers().ForKind(api_version, kind));
  std::map<std::string, Json> by_name;
  std::vector<std::string> names;
  for (Json &o : objects) {
    std::string n = MetaString(o, "name");  // before the move: operator= takes by value
    names.push_back(n);
    by_name[n] = std::move(o);
  }
  Controller *c = mgr->NewController(
      name, std::make_unique<BuiltinObjectsReconciler>(mgr, informer, std::move(by_name)), 1);
  SKIFF_RETURN_IF_ERROR(c->For(api_version, kind));
  for (const std::string &n : names) c->Enqueue(Request{"", n});
  return Status::Ok();
}

}  // namespace skiff::controllers

// EndpointsReconciler: converges one Service's Endpoints object to ComputeSubsets().
#pragma once

#include "client/informer.h"
#include "controllers/runtime/controller.h"

namespace skiff::controllers::endpoints {

// Reads Services, Pods and Endpoints from the informer caches; writes Endpoints through the
// client only when they differ. Thread-safe (no mutable state).
class EndpointsReconciler : public Reconciler {
 public:
  EndpointsReconciler(client::Client* client, client::Informer* services, client::Informer* pods,
                      client::Informer* endpoints);
  StatusOr<Result> Reconcile(const Request& request) override;

 private:
  client::Client* client_;
  client::Informer* services_;
  client::Informer* pods_;
  client::Informer* endpoints_;
};

}  // namespace skiff::controllers::endpoints

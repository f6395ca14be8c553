// HpaReconciler: one HPA's sync (kube's reconcileAutoscaler), with the per-HPA recommendation and
// scale-event history kept between syncs.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "client/informer.h"
#include "controllers/hpa/hpa_controller.h"
#include "controllers/hpa/metrics_source.h"
#include "controllers/hpa/normalize.h"
#include "controllers/runtime/controller.h"

namespace skiff::client {
class Client;
}

namespace skiff::controllers {
class EventRecorder;
}

namespace skiff::controllers::hpa {

// Reads HPAs and Pods from informer caches; reads and writes scale subresources and HPA status
// through the client. Thread-safe (different HPAs sync concurrently).
class HpaReconciler : public Reconciler {
 public:
  // Borrowed pointers must outlive the reconciler; `options.metrics` and `options.clock` must
  // be set.
  HpaReconciler(client::Client* client, client::Informer* hpas, client::Informer* pods,
                EventRecorder* events, HpaOptions options);
  StatusOr<Result> Reconcile(const Request& request) override;

 private:
  struct State {
    AutoscalerHistory history;
    std::optional<SystemTime> last_sync;
    int64_t generation = -1;
  };

  client::Client* client_;
  client::Informer* hpas_;
  client::Informer* pods_;
  EventRecorder* events_;
  const HpaOptions options_;
  std::mutex mu_;
  std::map<std::string, State> states_;  // by "ns/name"; guarded by mu_ (the map, not a State:
                                         // one key never reconciles twice at once)
};

}  // namespace skiff::controllers::hpa

// HPA controller wiring: For HorizontalPodAutoscaler, Pods from the shared informer, the
// metrics source and clock.
#include "controllers/runtime/controller.h"

#include <memory>

#include "controllers/hpa/hpa_controller.h"
#include "controllers/hpa/metrics_source.h"
#include "controllers/hpa/reconciler.h"

namespace skiff::controllers::hpa {
namespace {

// Owns what Register creates for the reconciler when the options leave it unset.
class OwningReconciler final : public Reconciler {
 public:
  OwningReconciler(std::unique_ptr<MetricsSource> metrics, std::unique_ptr<Clock> clock)
      : metrics_(std::move(metrics)), clock_(std::move(clock)) {}
  void Init(std::unique_ptr<HpaReconciler> inner) { inner_ = std::move(inner); }
  StatusOr<Result> Reconcile(const Request& request) override { return inner_->Reconcile(request); }

 private:
  std::unique_ptr<MetricsSource> metrics_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<HpaReconciler> inner_;
};

}  // namespace

Status Register(Manager* manager, const HpaOptions& options) {
  auto& informers = manager->informers();
  SKIFF_ASSIGN_OR_RETURN(client::Informer * hpas,
                         informers.ForKind("autoscaling/v2", "HorizontalPodAutoscaler"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * pods, informers.ForKind("v1", "Pod"));
  HpaOptions o = options;
  std::unique_ptr<MetricsSource> metrics;
  std::unique_ptr<Clock> clock;
  if (!o.metrics) {
    metrics = NewApiMetricsSource(&manager->client());
    o.metrics = metrics.get();
  }
  if (!o.clock) {
    clock = std::make_unique<RealClock>();
    o.clock = clock.get();
  }
  auto owner = std::make_unique<OwningReconciler>(std::move(metrics), std::move(clock));
  owner->Init(std::make_unique<HpaReconciler>(&manager->client(), hpas, pods,
                                              &manager->EventsFor("horizontal-pod-autoscaler"), o));
  Controller* c = manager->NewController("horizontalpodautoscaler", std::move(owner), 2);
  return c->For("autoscaling/v2", "HorizontalPodAutoscaler");
}

Status Register(Manager* manager) { return Register(manager, HpaOptions{}); }

}  // namespace skiff::controllers::hpa

// kubeflow.org/v1 PyTorchJob controller (the legacy Kubeflow training-operator v1.9 semantics):
// one Pod and one headless Service per Master/Worker replica with the torch rendezvous env,
// restart policies (ExitCode included), backoffLimit, activeDeadlineSeconds, cleanPodPolicy,
// ttlSecondsAfterFinished, suspend and managedBy; status through the status subresource. See
// docs/pytorchjob.md.
#pragma once

#include "base/status.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::controllers::pytorchjob {

// Adds the "pytorchjob" controller to `mgr` (For kubeflow.org/v1 PyTorchJob, Owns v1 Pod and
// v1 Service). Call before mgr->Start(). Fails only if the informers cannot be set up (the
// PyTorchJob kind is not served).
Status Register(Manager* mgr);

}  // namespace skiff::controllers::pytorchjob

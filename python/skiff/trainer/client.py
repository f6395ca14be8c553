"""TrainerClient: the Kubeflow SDK's entry point (trainer.md §6). Only the Kubernetes backend
exists here; Skiff is a Kubernetes API, so that is the backend that runs jobs on it."""
from __future__ import annotations

from typing import Iterator, Optional

from skiff.trainer import constants, types
from skiff.trainer.backend import KubernetesBackend
from skiff.trainer.config import KubernetesBackendConfig


class TrainerClient:
    def __init__(self, backend_config: Optional[KubernetesBackendConfig] = None):
        """backend_config: a KubernetesBackendConfig (default: found from $KUBECONFIG,
        ~/.kube/config or Skiff's data dir). Raises ValueError for other backend configs and
        RuntimeError when no cluster configuration is found."""
        if backend_config is None:
            backend_config = KubernetesBackendConfig()
        if not isinstance(backend_config, KubernetesBackendConfig):
            raise ValueError(f"Invalid backend config '{backend_config}': Skiff's SDK has the "
                             "Kubernetes backend only (use KubernetesBackendConfig)")
        self.backend = KubernetesBackend(backend_config)

    def list_runtimes(self) -> list:
        """Runtimes with the trainer.kubeflow.org/framework label; a namespaced TrainingRuntime
        shadows a ClusterTrainingRuntime of the same name."""
        return self.backend.list_runtimes()

    def get_runtime(self, name: str) -> types.Runtime:
        return self.backend.get_runtime(name=name)

    def get_runtime_packages(self, runtime: types.Runtime):
        """Prints the runtime's Python version, pip list and GPUs by running a one-node job."""
        return self.backend.get_runtime_packages(runtime=runtime)

    def train(self, runtime=None, initializer: Optional[types.Initializer] = None,
              trainer=None, options: Optional[list] = None) -> str:
        """Creates a TrainJob and returns its name.

        runtime: a Runtime, a runtime name, or None for $DEFAULT_TRAINING_RUNTIME /
            torch-distributed. trainer: CustomTrainer, CustomTrainerContainer or BuiltinTrainer.
        options: from skiff.trainer.options (kubeflow.trainer.options).
        Raises ValueError for bad input, RuntimeError when the API refuses the job.
        """
        return self.backend.train(runtime=runtime, initializer=initializer, trainer=trainer,
                                  options=options)

    def list_jobs(self, runtime=None) -> list:
        return self.backend.list_jobs(runtime=runtime)

    def get_job(self, name: str) -> types.TrainJob:
        return self.backend.get_job(name=name)

    def get_job_logs(self, name: str, step: str = constants.NODE + "-0",
                     follow: bool = False) -> Iterator[str]:
        """Log lines of one step (node-0, node-1, dataset-initializer, ...). Without follow,
        what the pod logged so far (nothing while it is Pending). With follow, waits for the
        pod to start, then streams until it ends."""
        return self.backend.get_job_logs(name=name, step=step, follow=follow)

    def get_job_events(self, name: str) -> list:
        return self.backend.get_job_events(name=name)

    def wait_for_job_status(self, name: str,
                            status=frozenset({constants.TRAINJOB_COMPLETE}),
                            timeout: int = 600, polling_interval: int = 2,
                            callbacks: Optional[list] = None) -> types.TrainJob:
        """Polls until the job's status is in `status` (subset of Created, Running, Complete,
        Failed). Each callback gets the TrainJob on every poll. Raises RuntimeError when the
        job Failed and Failed was not asked for, TimeoutError after `timeout` seconds."""
        return self.backend.wait_for_job_status(name=name, status=status, timeout=timeout,
                                                polling_interval=polling_interval,
                                                callbacks=callbacks)

    def delete_job(self, name: str):
        return self.backend.delete_job(name=name)

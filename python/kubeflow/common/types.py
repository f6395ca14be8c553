"""kubeflow.common.types on Skiff: KubernetesBackendConfig."""
from skiff.trainer.config import KubernetesBackendConfig  # noqa: F401

__all__ = ["KubernetesBackendConfig"]

"""`from kubeflow.trainer import TrainerClient, CustomTrainer` on Skiff: the Kubeflow SDK's
module path, served by skiff.trainer (Kubernetes backend only)."""
from skiff.trainer import *  # noqa: F401,F403
from skiff.trainer import __all__  # noqa: F401

"""kubeflow.trainer.types on Skiff: the data types of skiff.trainer.types."""
from skiff.trainer.types import *  # noqa: F401,F403

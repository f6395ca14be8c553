"""kubeflow.trainer.options on Skiff: the train() options of skiff.trainer.options."""
from skiff.trainer.options import *  # noqa: F401,F403
from skiff.trainer.options import __all__  # noqa: F401

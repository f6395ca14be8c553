"""kubeflow.common on Skiff: only the backend config type lives here."""

"""train() options, as in kubeflow.trainer.options: each is a callable that writes its part
into the job dict (`metadata`, `spec`) that train() merges into the TrainJob."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Optional

from skiff.trainer import constants
from skiff.trainer.types import CustomTrainer, CustomTrainerContainer

_RFC1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


@dataclass
class Name:
    """The TrainJob's name instead of a random one (an RFC 1035 label, <= 63 chars)."""

    name: str

    def __post_init__(self):
        if not isinstance(self.name, str) or not _RFC1035.match(self.name) or \
                len(self.name) > 63:
            raise ValueError(f"Name {self.name!r} must be an RFC 1035 label: lower-case "
                             "letters, digits and '-', starting with a letter, <= 63 chars")

    def __call__(self, job_spec: dict, trainer=None, backend=None) -> None:
        job_spec.setdefault("metadata", {})["name"] = self.name


@dataclass
class Labels:
    """Labels on the TrainJob (.metadata.labels), e.g. kueue.x-k8s.io/queue-name."""

    labels: dict

    def __call__(self, job_spec: dict, trainer=None, backend=None) -> None:
        job_spec.setdefault("metadata", {})["labels"] = dict(self.labels)


@dataclass
class Annotations:
    """Annotations on the TrainJob (.metadata.annotations)."""

    annotations: dict

    def __call__(self, job_spec: dict, trainer=None, backend=None) -> None:
        job_spec.setdefault("metadata", {})["annotations"] = dict(self.annotations)


def _require_container_trainer(option: str, trainer) -> None:
    if trainer is not None and not isinstance(trainer, CustomTrainerContainer):
        raise ValueError(f"{option} can only be used with CustomTrainerContainer. CustomTrainer "
                         "generates its own command from the function, and BuiltinTrainer uses "
                         "pre-configured commands.")


@dataclass
class TrainerCommand:
    """Replaces .spec.trainer.command (CustomTrainerContainer only)."""

    command: list

    def __call__(self, job_spec: dict, trainer=None, backend=None) -> None:
        _require_container_trainer("TrainerCommand", trainer)
        job_spec.setdefault("spec", {}).setdefault("trainer", {})["command"] = list(self.command)


@dataclass
class TrainerArgs:
    """Replaces .spec.trainer.args (CustomTrainerContainer only)."""

    args: list

    def __call__(self, job_spec: dict, trainer=None, backend=None) -> None:
        _require_container_trainer("TrainerArgs", trainer)
        job_spec.setdefault("spec", {}).setdefault("trainer", {})["args"] = list(self.args)


class TrainerEnvFrom:
    """An env var of the trainer container taken from a Secret or ConfigMap key
    (appended to .spec.trainer.env). CustomTrainer and CustomTrainerContainer only."""

    def __init__(self, env_name: str, value_from: dict) -> None:
        if not env_name:
            raise ValueError("env_name must be a non-empty string")
        self.env_name = env_name
        self.value_from = value_from

    @classmethod
    def secret(cls, env_name: str, *, secret_name: str, key: str) -> "TrainerEnvFrom":
        return cls(env_name, {"secretKeyRef": {"name": secret_name, "key": key}})

    @classmethod
    def config_map(cls, env_name: str, *, config_map_name: str, key: str) -> "TrainerEnvFrom":
        return cls(env_name, {"configMapKeyRef": {"name": config_map_name, "key": key}})

    def __call__(self, job_spec: dict, trainer=None, backend=None) -> None:
        if trainer is not None and not isinstance(trainer, (CustomTrainer,
                                                            CustomTrainerContainer)):
            raise ValueError(f"TrainerEnvFrom option is not compatible with "
                             f"{type(trainer).__name__}. Supported trainers: CustomTrainer, "
                             "CustomTrainerContainer")
        env = job_spec.setdefault("spec", {}).setdefault("trainer", {}).setdefault("env", [])
        env.append({"name": self.env_name, "valueFrom": self.value_from})

    def __repr__(self):
        return f"TrainerEnvFrom({self.env_name!r}, {self.value_from!r})"


@dataclass
class ActiveDeadlineSeconds:
    """.spec.activeDeadlineSeconds: the TrainJob fails with DeadlineExceeded after it."""

    seconds: int

    def __post_init__(self):
        if type(self.seconds) is not int or self.seconds < 1:
            raise ValueError("activeDeadlineSeconds must be a positive integer (minimum 1)")

    def __call__(self, job_spec: dict, trainer=None, backend=None) -> None:
        job_spec.setdefault("spec", {})["activeDeadlineSeconds"] = self.seconds


# RuntimePatch and its parts: dataclasses rendered to the API's camelCase, Nones dropped.

@dataclass
class ContainerPatch:
    name: str
    env: Optional[list] = None
    volume_mounts: Optional[list] = None
    security_context: Optional[dict] = None

    def __post_init__(self):
        if not self.name or not str(self.name).strip():
            raise ValueError("Container name must be a non-empty string")
        for env in self.env or []:
            if not isinstance(env, dict) or not env.get("name") or \
                    ("value" not in env and "valueFrom" not in env):
                raise ValueError(f"env entry {env!r} needs a name and a value or valueFrom")
        for mount in self.volume_mounts or []:
            path = mount.get("mountPath") if isinstance(mount, dict) else None
            if not isinstance(mount, dict) or not mount.get("name") or \
                    not isinstance(path, str) or not path.startswith("/"):
                raise ValueError(f"volume_mounts entry {mount!r} needs a name and an absolute "
                                 "mountPath")


@dataclass
class PodSpecPatch:
    service_account_name: Optional[str] = None
    volumes: Optional[list] = None
    init_containers: Optional[list] = None
    containers: Optional[list] = None
    image_pull_secrets: Optional[list] = None
    security_context: Optional[dict] = None
    node_selector: Optional[dict] = None
    affinity: Optional[dict] = None
    tolerations: Optional[list] = None
    scheduling_gates: Optional[list] = None


@dataclass
class PodTemplatePatch:
    metadata: Optional[dict] = None
    spec: Optional[PodSpecPatch] = None


@dataclass
class JobSpecPatch:
    template: Optional[PodTemplatePatch] = None


@dataclass
class JobTemplatePatch:
    metadata: Optional[dict] = None
    spec: Optional[JobSpecPatch] = None


@dataclass
class ReplicatedJobPatch:
    name: str
    template: Optional[JobTemplatePatch] = None


@dataclass
class JobSetSpecPatch:
    replicated_jobs: Optional[list] = None


@dataclass
class JobSetTemplatePatch:
    metadata: Optional[dict] = None
    spec: Optional[JobSetSpecPatch] = None


@dataclass
class TrainingRuntimeSpecPatch:
    template: Optional[JobSetTemplatePatch] = None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


def patch_to_dict(obj: Any) -> Any:
    """A patch dataclass as the API's dict: camelCase keys, None and empty parts dropped.
    Plain dicts, lists and scalars pass through (dicts are taken as already camelCase)."""
    if isinstance(obj, list):
        return [patch_to_dict(v) for v in obj]
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return obj
    out = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None:
            continue
        converted = patch_to_dict(value)
        if converted in ({}, []) and (dataclasses.is_dataclass(value) or
                                      isinstance(value, list)):
            continue
        out[_camel(f.name)] = converted
    return out


@dataclass
class RuntimePatch:
    """One entry of .spec.runtimePatches with manager trainer.kubeflow.org/kubeflow-sdk.
    training_runtime_spec: a TrainingRuntimeSpecPatch, or the same shape as a camelCase dict."""

    training_runtime_spec: Optional[Any] = None
    manager: str = dataclasses.field(default=constants.SDK_PATCH_MANAGER, init=False,
                                     repr=False)

    def __call__(self, job_spec: dict, trainer=None, backend=None) -> None:
        patches = job_spec.setdefault("spec", {}).setdefault("runtimePatches", [])
        entry = {"manager": self.manager}
        body = patch_to_dict(self.training_runtime_spec)
        if body:
            entry["trainingRuntimeSpec"] = body
        patches.append(entry)


__all__ = [
    "ActiveDeadlineSeconds", "Annotations", "ContainerPatch",
    "JobSetSpecPatch", "JobSetTemplatePatch", "JobSpecPatch", "JobTemplatePatch", "Labels",
    "Name", "PodSpecPatch", "PodTemplatePatch", "ReplicatedJobPatch", "RuntimePatch",
    "TrainerArgs", "TrainerCommand", "TrainerEnvFrom", "TrainingRuntimeSpecPatch",
]

"""The SDK's data types, named and shaped as in the Kubeflow SDK (kubeflow.trainer.types):
trainer configs, initializers, and the Runtime / TrainJob / Step / Event views it returns."""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Callable, Optional
from urllib.parse import urlparse

from skiff.trainer import constants


@dataclass
class CustomTrainer:
    """Runs a self-contained Python function on every training node.

    func: the training function; its source is shipped, so it must import what it uses inside.
    func_args: keyword arguments, rendered with repr (so they must be Python literals).
    image: replaces the runtime's `node` image.
    packages_to_install: pip requirement strings installed before the function runs; ones
        already installed are skipped (Skiff pods share the host's Python).
    pip_index_urls: the first is --index-url, the rest --extra-index-url.
    num_nodes, resources_per_node ({"cpu": 2, "memory": "4Gi", "gpu": 1}), env (name -> value).
    """

    func: Callable
    func_args: Optional[dict] = None
    image: Optional[str] = None
    packages_to_install: Optional[list[str]] = None
    pip_index_urls: list[str] = field(default_factory=constants.default_pip_index_urls)
    num_nodes: Optional[int] = None
    resources_per_node: Optional[dict] = None
    env: Optional[dict[str, str]] = None


@dataclass
class CustomTrainerContainer:
    """Runs your own image; set its command/args with options.TrainerCommand/TrainerArgs."""

    image: str
    num_nodes: Optional[int] = None
    resources_per_node: Optional[dict] = None
    env: Optional[dict[str, str]] = None


class Loss(Enum):
    CEWithChunkedOutputLoss = "torchtune.modules.loss.CEWithChunkedOutputLoss"


class DataType(Enum):
    BF16 = "bf16"
    FP32 = "fp32"


class DataFormat(Enum):
    JSON = "json"
    CSV = "csv"
    PARQUET = "parquet"
    ARROW = "arrow"
    TEXT = "text"
    XML = "xml"


@dataclass
class TorchTuneInstructDataset:
    source: Optional[DataFormat] = None
    split: Optional[str] = None
    train_on_input: Optional[bool] = None
    new_system_prompt: Optional[str] = None
    column_map: Optional[dict[str, str]] = None


@dataclass
class LoraConfig:
    apply_lora_to_mlp: Optional[bool] = None
    apply_lora_to_output: Optional[bool] = None
    lora_attn_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "v_proj", "output_proj"])
    lora_rank: Optional[int] = None
    lora_alpha: Optional[int] = None
    lora_dropout: Optional[float] = None
    quantize_base: Optional[bool] = None
    use_dora: Optional[bool] = None


@dataclass
class TorchTuneConfig:
    dtype: Optional[DataType] = None
    batch_size: Optional[int] = None
    epochs: Optional[int] = None
    loss: Optional[Loss] = None
    num_nodes: Optional[int] = None
    peft_config: Optional[LoraConfig] = None
    dataset_preprocess_config: Optional[TorchTuneInstructDataset] = None
    resources_per_node: Optional[dict] = None


@dataclass
class BuiltinTrainer:
    """A trainer whose logic lives in the runtime (torchtune); only valid with such a runtime."""

    config: TorchTuneConfig


class TrainerType(Enum):
    CUSTOM_TRAINER = "CustomTrainer"
    BUILTIN_TRAINER = "BuiltinTrainer"


class RuntimeKind(str, Enum):
    CLUSTER_TRAINING_RUNTIME = constants.CLUSTER_TRAINING_RUNTIME_KIND
    TRAINING_RUNTIME = constants.TRAINING_RUNTIME_KIND


@dataclass
class RuntimeTrainer:
    """What a runtime's trainer looks like: framework label, node image, node count and
    devices (device_count is per job: per-node count times num_nodes), and the entrypoint."""

    trainer_type: TrainerType
    framework: str
    image: str
    num_nodes: int = 1
    device: str = constants.UNKNOWN
    device_count: str = constants.UNKNOWN
    _command: tuple = field(default=(), init=False, repr=False)

    @property
    def command(self) -> tuple:
        return self._command

    def set_command(self, command):
        self._command = tuple(command)


@dataclass
class Runtime:
    name: str
    trainer: RuntimeTrainer
    pretrained_model: Optional[str] = None
    # Which kind the runtime was read from; train() writes it into spec.runtimeRef.kind.
    kind: str = constants.CLUSTER_TRAINING_RUNTIME_KIND


@dataclass
class Step:
    """One pod of a TrainJob: `node-<i>` for trainer nodes, or an initializer's name."""

    name: str
    status: Optional[str]
    pod_name: str
    device: str = constants.UNKNOWN
    device_count: str = constants.UNKNOWN


@dataclass
class TrainJob:
    name: str
    runtime: Runtime
    steps: list[Step]
    num_nodes: int
    creation_timestamp: Optional[datetime]
    status: str = constants.UNKNOWN


@dataclass
class Event:
    involved_object_kind: str
    involved_object_name: str
    message: str
    reason: str
    event_time: Optional[datetime]


@dataclass
class BaseInitializer(abc.ABC):
    storage_uri: str


def _require_scheme(uri, scheme):
    if not uri.startswith(scheme + "://"):
        raise ValueError(f"storage_uri must start with '{scheme}://', got {uri}")


@dataclass
class HuggingFaceDatasetInitializer(BaseInitializer):
    ignore_patterns: Optional[list[str]] = None
    access_token: Optional[str] = None

    def __post_init__(self):
        _require_scheme(self.storage_uri, "hf")
        if urlparse(self.storage_uri).path == "":
            raise ValueError("storage_uri must look like 'hf://<user>/<dataset>', got "
                             f"{self.storage_uri}")


@dataclass
class S3DatasetInitializer(BaseInitializer):
    ignore_patterns: Optional[list[str]] = None
    endpoint: Optional[str] = None
    access_key_id: Optional[str] = None
    secret_access_key: Optional[str] = None
    region: Optional[str] = None
    role_arn: Optional[str] = None

    def __post_init__(self):
        _require_scheme(self.storage_uri, "s3")


@dataclass
class DataCacheInitializer(BaseInitializer):
    metadata_loc: str
    num_data_nodes: int
    head_cpu: Optional[str] = None
    head_mem: Optional[str] = None
    worker_cpu: Optional[str] = None
    worker_mem: Optional[str] = None
    iam_role: Optional[str] = None

    def __post_init__(self):
        if self.num_data_nodes <= 1:
            raise ValueError(f"num_data_nodes must be greater than 1, got {self.num_data_nodes}")
        _require_scheme(self.storage_uri, "cache")
        if len(self.storage_uri[len("cache://"):].split("/")) != 2:
            raise ValueError("storage_uri must look like 'cache://<SCHEMA_NAME>/<TABLE_NAME>', "
                             f"got {self.storage_uri}")


@dataclass
class HuggingFaceModelInitializer(BaseInitializer):
    ignore_patterns: Optional[list[str]] = field(
        default_factory=lambda: list(constants.INITIALIZER_DEFAULT_IGNORE_PATTERNS))
    access_token: Optional[str] = None

    def __post_init__(self):
        _require_scheme(self.storage_uri, "hf")


@dataclass
class S3ModelInitializer(BaseInitializer):
    ignore_patterns: Optional[list[str]] = field(
        default_factory=lambda: list(constants.INITIALIZER_DEFAULT_IGNORE_PATTERNS))
    endpoint: Optional[str] = None
    access_key_id: Optional[str] = None
    secret_access_key: Optional[str] = None
    region: Optional[str] = None
    role_arn: Optional[str] = None

    def __post_init__(self):
        _require_scheme(self.storage_uri, "s3")


@dataclass
class Initializer:
    """Dataset and model to fetch into /workspace before training (needs a runtime with
    dataset-initializer / model-initializer jobs; other runtimes ignore it)."""

    dataset: Optional[BaseInitializer] = None
    model: Optional[BaseInitializer] = None

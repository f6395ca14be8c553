"""Builds the TrainJob object train() creates: name, runtimeRef, spec.trainer from a
CustomTrainer / CustomTrainerContainer / BuiltinTrainer, spec.initializer, and the options."""
from __future__ import annotations

import dataclasses
import os
import random
import re
import string
import uuid
from urllib.parse import urlparse

from skiff.trainer import constants, types
from skiff.trainer.function import function_command, ship_function

_STANDARD_RESOURCES = {"cpu", "memory", "gpu", "storage", "ephemeral-storage"}
_RESOURCE_ALIASES = {"gpu": constants.GPU_LABEL, "storage": "ephemeral-storage"}


def new_job_name() -> str:
    """One random lowercase letter + 11 hex characters of a uuid4 (an RFC 1035 label)."""
    return (random.choice(string.ascii_lowercase) +
            uuid.uuid4().hex[:constants.JOB_NAME_UUID_LENGTH])


def resources_per_node(resources: dict) -> dict:
    """{"GPU": 2, "cpu": 4} -> ResourceRequirements with the same map as requests and limits.

    Standard names are lower-cased, `gpu` becomes nvidia.com/gpu, `storage` ephemeral-storage and
    `mig-<profile>` nvidia.com/mig-<profile>; extended resources keep their case (resource names
    are case-sensitive). Floats become strings so the quantity survives int-or-string schemas.
    """
    out = {}
    for key, value in resources.items():
        lower = str(key).lower()
        name = lower if lower in _STANDARD_RESOURCES or lower.startswith("mig-") else str(key)
        name = _RESOURCE_ALIASES.get(name, name)
        if name.startswith("mig-"):
            name = constants.GPU_MIG_PREFIX + name[len("mig-"):]
        if isinstance(value, float):
            value = str(int(value)) if value.is_integer() else str(value)
        out[name] = value
    migs = [k for k in out if k.startswith(constants.GPU_MIG_PREFIX)]
    if len(migs) > 1:
        raise ValueError(f"Multiple MIG resource types are not supported: {migs}")
    if migs and constants.GPU_LABEL in out:
        raise ValueError(f"GPU ({constants.GPU_LABEL}) and MIG ({migs[0]}) cannot be requested "
                         "together")
    return {"requests": dict(out), "limits": dict(out)}


def env_list(env: dict) -> list:
    return [{"name": str(k), "value": str(v)} for k, v in env.items()]


def _common_trainer_fields(trainer) -> dict:
    out = {}
    if trainer.num_nodes:
        out["numNodes"] = int(trainer.num_nodes)
    if trainer.resources_per_node:
        out["resourcesPerNode"] = resources_per_node(trainer.resources_per_node)
    return out


def trainer_spec(runtime: types.Runtime, trainer, initializer=None):
    """spec.trainer for `trainer` on `runtime`, plus the ShippedFunction (or None).

    Raises ValueError when the trainer kind does not fit the runtime (a CustomTrainer on a
    torchtune runtime, a BuiltinTrainer on any other) or is not a trainer config.
    """
    if trainer is None:
        return {}, None
    shipped = None
    if isinstance(trainer, (types.CustomTrainer, types.CustomTrainerContainer)):
        if runtime.trainer.trainer_type != types.TrainerType.CUSTOM_TRAINER:
            raise ValueError(f"CustomTrainer can't be used with the {runtime.name} runtime "
                             f"(framework {runtime.trainer.framework})")
        out = _common_trainer_fields(trainer)
        if isinstance(trainer, types.CustomTrainer):
            shipped = ship_function(trainer.func, trainer.func_args)
            out["command"] = function_command(shipped, runtime.trainer.command,
                                              trainer.packages_to_install,
                                              trainer.pip_index_urls)
        if trainer.image:
            out["image"] = trainer.image
        if trainer.env:
            out["env"] = env_list(trainer.env)
        return out, shipped
    if isinstance(trainer, types.BuiltinTrainer):
        if runtime.trainer.trainer_type != types.TrainerType.BUILTIN_TRAINER:
            raise ValueError(f"BuiltinTrainer can't be used with the {runtime.name} runtime")
        if not isinstance(trainer.config, types.TorchTuneConfig):
            raise ValueError(f"The BuiltinTrainer config is invalid: {trainer.config}")
        out = _common_trainer_fields(trainer.config)
        out["command"] = list(runtime.trainer.command or constants.TORCH_TUNE_COMMAND)
        out["args"] = torchtune_args(trainer.config, initializer)
        return out, None
    raise ValueError(f"The trainer type {type(trainer).__name__} is not supported; use "
                     "CustomTrainer, CustomTrainerContainer or BuiltinTrainer")


def torchtune_args(config: types.TorchTuneConfig, initializer=None) -> list:
    """`key=value` torchtune overrides, as the Kubeflow SDK writes them."""
    args = []
    if config.dtype:
        if not isinstance(config.dtype, types.DataType):
            raise ValueError(f"Invalid dtype: {config.dtype}")
        args.append(f"dtype={config.dtype.value}")
    if config.batch_size:
        args.append(f"batch_size={config.batch_size}")
    if config.epochs:
        args.append(f"epochs={config.epochs}")
    if config.loss:
        args.append(f"loss={config.loss.value}")
    if isinstance(initializer, types.Initializer) and isinstance(
            initializer.dataset, types.HuggingFaceDatasetInitializer):
        parts = urlparse(initializer.dataset.storage_uri).path.strip("/").split("/")
        relative = "/".join(parts[1:]) if len(parts) > 1 else "."
        key = "dataset.data_files" if relative != "." and "." in relative else "dataset.data_dir"
        args.append(f"{key}={os.path.join(constants.DATASET_PATH, relative)}")
    peft = config.peft_config
    if peft:
        for attr, key in (("apply_lora_to_mlp", "model.apply_lora_to_mlp"),
                          ("apply_lora_to_output", "model.apply_lora_to_output"),
                          ("lora_rank", "model.lora_rank"), ("lora_alpha", "model.lora_alpha"),
                          ("lora_dropout", "model.lora_dropout"),
                          ("quantize_base", "model.quantize_base"),
                          ("use_dora", "model.use_dora")):
            if getattr(peft, attr) is not None:
                args.append(f"{key}={getattr(peft, attr)}")
        if peft.lora_attn_modules:
            args.append(f"model.lora_attn_modules=[{','.join(peft.lora_attn_modules)}]")
    ds = config.dataset_preprocess_config
    if ds:
        args.append(f"dataset={constants.TORCH_TUNE_INSTRUCT_DATASET}")
        if ds.source:
            args.append(f"dataset.source={ds.source.value}")
        if ds.split:
            args.append(f"dataset.split={ds.split}")
        if ds.train_on_input is not None:
            args.append(f"dataset.train_on_input={ds.train_on_input}")
        if ds.new_system_prompt:
            args.append(f"dataset.new_system_prompt={ds.new_system_prompt}")
        if ds.column_map:
            args.append(f"dataset.column_map={ds.column_map}")
    return args


def _initializer_env(init, required) -> list:
    env = []
    for f in dataclasses.fields(init):
        if f.name in required:
            continue
        value = getattr(init, f.name)
        if value is None:
            continue
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        env.append({"name": f.name.upper(), "value": str(value)})
    return env


def initializer_spec(initializer: types.Initializer) -> dict:
    """spec.initializer: storageUri plus the config's other fields as upper-case env."""
    out = {}
    dataset, model = initializer.dataset, initializer.model
    if dataset is not None:
        if isinstance(dataset, types.DataCacheInitializer):
            env = [{"name": "CLUSTER_SIZE", "value": str(dataset.num_data_nodes + 1)},
                   {"name": "METADATA_LOC", "value": dataset.metadata_loc}]
            env += _initializer_env(dataset, {"storage_uri", "metadata_loc", "num_data_nodes"})
        elif isinstance(dataset, (types.HuggingFaceDatasetInitializer,
                                  types.S3DatasetInitializer)):
            env = _initializer_env(dataset, {"storage_uri"})
        else:
            raise ValueError(f"Dataset initializer type is invalid: {type(dataset).__name__}")
        out["dataset"] = {"storageUri": dataset.storage_uri, **({"env": env} if env else {})}
    if model is not None:
        if not isinstance(model, (types.HuggingFaceModelInitializer, types.S3ModelInitializer)):
            raise ValueError(f"Model initializer type is invalid: {type(model).__name__}")
        env = _initializer_env(model, {"storage_uri"})
        out["model"] = {"storageUri": model.storage_uri, **({"env": env} if env else {})}
    return out


def apply_options(options, trainer, backend) -> dict:
    """Runs each option against an empty job dict, as the Kubeflow SDK does; returns it."""
    job = {}
    for option in options or []:
        if not callable(option):
            raise ValueError(f"Option {option!r} is not callable; use kubeflow.trainer.options")
        option(job, trainer, backend)
    return job


_RFC1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def build_trainjob(name, runtime: types.Runtime, trainer=None, initializer=None,
                   option_spec=None) -> dict:
    """The TrainJob object for train(). `option_spec` is apply_options()'s result: its name,
    labels and annotations go to metadata, its trainer command/args replace, its trainer env
    is appended, its runtimePatches and other spec fields are set."""
    option_spec = option_spec or {}
    meta_opts = option_spec.get("metadata", {})
    name = meta_opts.get("name") or name
    if not _RFC1035.match(name) or len(name) > 63:
        raise ValueError(f"TrainJob name {name!r} must be an RFC 1035 label (<= 63 chars)")
    trainer_cr, shipped = trainer_spec(runtime, trainer, initializer)

    spec_opts = dict(option_spec.get("spec", {}))
    trainer_opts = dict(spec_opts.pop("trainer", {}))
    extra_env = trainer_opts.pop("env", None)
    trainer_cr.update(trainer_opts)
    if extra_env:
        trainer_cr["env"] = list(trainer_cr.get("env", [])) + list(extra_env)

    spec = {"runtimeRef": {"name": runtime.name, "apiGroup": constants.GROUP,
                           "kind": runtime.kind or constants.CLUSTER_TRAINING_RUNTIME_KIND}}
    if trainer_cr:
        spec["trainer"] = trainer_cr
    if isinstance(initializer, types.Initializer):
        init = initializer_spec(initializer)
        if init:
            spec["initializer"] = init
    spec.update(spec_opts)

    metadata = {"name": name}
    if meta_opts.get("labels"):
        metadata["labels"] = dict(meta_opts["labels"])
    annotations = dict(meta_opts.get("annotations") or {})
    if shipped is not None:
        annotations[constants.FUNCTION_DIGEST_ANNOTATION] = shipped.digest
        annotations[constants.FUNCTION_NAME_ANNOTATION] = shipped.name
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": constants.API_VERSION, "kind": constants.TRAINJOB_KIND,
            "metadata": metadata, "spec": spec}

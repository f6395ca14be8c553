"""Reads API objects (plain dicts, camelCase as served) into the SDK's views: a runtime into
Runtime, a TrainJob's pods into Steps, and the TrainJob's SDK status (trainer.md §6)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

from skiff.trainer import constants, types


def parse_time(value) -> Optional[datetime]:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _labels(obj) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


def container_devices(resources) -> Optional[tuple]:
    """(device, count) from a container's resource limits: gpu, tpu, a MIG profile or cpu."""
    limits = (resources or {}).get("limits") or {}
    if not limits:
        return None
    if constants.GPU_LABEL in limits:
        return "gpu", str(limits[constants.GPU_LABEL])
    if constants.TPU_LABEL in limits:
        return "tpu", str(limits[constants.TPU_LABEL])
    migs = [k for k in limits if k.startswith(constants.GPU_MIG_PREFIX)]
    if migs:
        return migs[0].split("/", 1)[1], str(limits[migs[0]])
    if constants.CPU_LABEL in limits:
        return constants.CPU_LABEL, str(limits[constants.CPU_LABEL])
    return None


def _trainer_container(replicated_jobs) -> Optional[dict]:
    """Container `node` of the job labelled ancestor-step=trainer, else of the job `node`."""
    def node_container(rjob):
        pod_spec = ((((rjob.get("template") or {}).get("spec") or {}).get("template") or {})
                    .get("spec") or {})
        for c in pod_spec.get("containers") or []:
            if c.get("name") == constants.NODE:
                return c
        return None

    for rjob in replicated_jobs:
        step = _labels(rjob.get("template") or {}).get(constants.TRAINJOB_ANCESTOR_LABEL)
        if step == constants.ANCESTOR_TRAINER and node_container(rjob):
            return node_container(rjob)
    for rjob in replicated_jobs:
        if rjob.get("name") == constants.NODE and node_container(rjob):
            return node_container(rjob)
    return None


def runtime_from_object(obj: dict) -> types.Runtime:
    """Runtime from a ClusterTrainingRuntime / TrainingRuntime object.

    Raises ValueError when it lacks the framework label or a trainer `node` container.
    """
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    framework = _labels(obj).get(constants.RUNTIME_FRAMEWORK_LABEL)
    if not framework:
        raise ValueError(f"Runtime {name} must have the {constants.RUNTIME_FRAMEWORK_LABEL} "
                         "label")
    spec = obj.get("spec") or {}
    ml_policy = spec.get("mlPolicy") or {}
    rjobs = (((spec.get("template") or {}).get("spec") or {}).get("replicatedJobs")) or []
    container = _trainer_container(rjobs)
    if container is None or not container.get("image"):
        raise ValueError(f"Runtime {name} has no trainer container `{constants.NODE}` with an "
                         "image")
    trainer = types.RuntimeTrainer(
        trainer_type=(types.TrainerType.BUILTIN_TRAINER if framework == constants.TORCH_TUNE
                      else types.TrainerType.CUSTOM_TRAINER),
        framework=framework,
        image=container["image"],
    )
    devices = container_devices(container.get("resources"))
    if devices:
        trainer.device, trainer.device_count = devices
    mpi = ml_policy.get("mpi")
    if isinstance(mpi, dict) and mpi.get("numProcPerNode"):
        trainer.device_count = str(mpi["numProcPerNode"])
    num_nodes = ml_policy.get("numNodes")
    if num_nodes:
        trainer.num_nodes = int(num_nodes)
        if trainer.device_count.isdigit():
            trainer.device_count = str(int(trainer.device_count) * int(num_nodes))
    if framework == constants.TORCH_TUNE:
        trainer.set_command(constants.TORCH_TUNE_COMMAND)
    elif "torch" in ml_policy or framework == "torch":
        trainer.set_command((constants.TORCH_ENTRYPOINT,))
    elif "mpi" in ml_policy:
        trainer.set_command((*constants.MPI_COMMAND_PREFIX, constants.PYTHON_ENTRYPOINT))
    else:
        trainer.set_command((constants.PYTHON_ENTRYPOINT,))
    kind = obj.get("kind") or constants.CLUSTER_TRAINING_RUNTIME_KIND
    return types.Runtime(name=name, trainer=trainer, kind=kind)


def step_from_pod(pod: dict, mpi: bool = False) -> Optional[types.Step]:
    """A Step for a trainer or initializer pod of a TrainJob; None for other pods."""
    labels = _labels(pod)
    rjob = labels.get(constants.JOBSET_RJOB_NAME_LABEL)
    meta = pod.get("metadata") or {}
    containers = ((pod.get("spec") or {}).get("containers")) or []
    phase = (pod.get("status") or {}).get("phase")
    if rjob in (constants.DATASET_INITIALIZER, constants.MODEL_INITIALIZER):
        container = next((c for c in containers if c.get("name") == rjob), {})
        step = types.Step(name=rjob, status=phase, pod_name=meta.get("name", ""))
    elif rjob in (constants.NODE, constants.LAUNCHER):
        index_text = labels.get(constants.JOB_INDEX_LABEL, "0")
        index = int(index_text) if str(index_text).isdigit() else 0
        # With MPI the launcher is node-0, so worker indexes shift by one (upstream).
        if mpi and rjob == constants.NODE:
            index += 1
        container = next((c for c in containers if c.get("name") == constants.NODE), {})
        step = types.Step(name=f"{constants.NODE}-{index}", status=phase,
                          pod_name=meta.get("name", ""))
    else:
        return None
    devices = container_devices(container.get("resources"))
    if devices:
        step.device, step.device_count = devices
    for env in container.get("env") or []:
        value = env.get("value")
        if env.get("name") == constants.TORCH_ENV_NUM_PROC_PER_NODE and value and \
                str(value).isdigit():
            step.device_count = str(value)
    return step


def _step_order(step: types.Step):
    m = re.match(r"^node-(\d+)$", step.name)
    return (1, int(m.group(1)), step.pod_name) if m else (0, 0, step.name)


def steps_from_pods(pods, trainjob_name: str, mpi: bool = False) -> list:
    """Steps for the pods of `trainjob_name`: initializers first, then node-0, node-1, ..."""
    steps = []
    for pod in pods:
        if _labels(pod).get(constants.JOBSET_NAME_LABEL) != trainjob_name:
            continue
        step = step_from_pod(pod, mpi=mpi)
        if step is not None:
            steps.append(step)
    return sorted(steps, key=_step_order)


def trainjob_status(trainjob: dict, steps, num_nodes: int) -> str:
    """Complete / Failed from the TrainJob's True conditions; otherwise Running when every one
    of the num_nodes `node-*` pods is Running or Succeeded; otherwise Created."""
    conditions = ((trainjob.get("status") or {}).get("conditions")) or []
    true_types = {c.get("type") for c in conditions if c.get("status") == "True"}
    if constants.TRAINJOB_FAILED in true_types:
        return constants.TRAINJOB_FAILED
    if constants.TRAINJOB_COMPLETE in true_types:
        return constants.TRAINJOB_COMPLETE
    running = sum(1 for s in steps if s.name.startswith(constants.NODE + "-") and
                  s.status in (constants.POD_RUNNING, constants.POD_SUCCEEDED))
    if num_nodes > 0 and running >= num_nodes:
        return constants.TRAINJOB_RUNNING
    return constants.TRAINJOB_CREATED


def trainjob_from_object(obj: dict, runtime: types.Runtime, pods) -> types.TrainJob:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    name = meta.get("name", "")
    num_nodes = ((spec.get("trainer") or {}).get("numNodes")) or runtime.trainer.num_nodes
    mpi = bool(runtime.trainer.command) and runtime.trainer.command[0] == "mpirun"
    steps = steps_from_pods(pods, name, mpi=mpi)
    return types.TrainJob(
        name=name,
        runtime=runtime,
        steps=steps,
        num_nodes=int(num_nodes),
        creation_timestamp=parse_time(meta.get("creationTimestamp")),
        status=trainjob_status(obj, steps, int(num_nodes)),
    )


def event_from_object(event: dict) -> types.Event:
    involved = event.get("involvedObject") or event.get("regarding") or {}
    when = (event.get("eventTime") or event.get("lastTimestamp") or
            event.get("firstTimestamp") or (event.get("metadata") or {}).get("creationTimestamp"))
    return types.Event(
        involved_object_kind=involved.get("kind", ""),
        involved_object_name=involved.get("name", ""),
        message=event.get("message") or event.get("note") or "",
        reason=event.get("reason") or "",
        event_time=parse_time(when),
    )

"""The Kubernetes backend: TrainerClient's calls as requests to the API server through the
`kubernetes` client (CustomObjectsApi for trainer.kubeflow.org, CoreV1Api for pods, logs and
events). All API errors surface as RuntimeError (TimeoutError for waits), as upstream."""
from __future__ import annotations

import json
import logging
import re
import time
from typing import Iterator, Optional

from skiff.trainer import constants, spec as spec_mod, status as status_mod, types
from skiff.trainer.config import KubernetesBackendConfig, make_api_client

logger = logging.getLogger(__name__)

_STEP_JOBS = "node|launcher|dataset-initializer|model-initializer"


def _api_error(e) -> str:
    """A short reason from an ApiException (its Status message) or any other error."""
    status = getattr(e, "status", None)
    body = getattr(e, "body", None)
    message = ""
    if body:
        try:
            message = json.loads(body).get("message", "")
        except (ValueError, AttributeError, TypeError):
            message = str(body)[:300]
    if status is not None:
        return f"{status} {getattr(e, 'reason', '')}: {message}".strip().rstrip(":")
    return str(e)


def _is_not_found(e) -> bool:
    return getattr(e, "status", None) == 404


def _iter_lines(chunks) -> Iterator[str]:
    buffer = b""
    for chunk in chunks:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.decode("utf-8", "replace")
    if buffer:
        yield buffer.decode("utf-8", "replace")


class KubernetesBackend:
    """Not thread-safe beyond what the kubernetes client is; one per TrainerClient."""

    def __init__(self, cfg: Optional[KubernetesBackendConfig] = None, *, custom_api=None,
                 core_api=None, api_client=None, namespace: Optional[str] = None):
        if custom_api is None or core_api is None:
            from kubernetes import client
            api_client, namespace = make_api_client(cfg or KubernetesBackendConfig())
            custom_api = client.CustomObjectsApi(api_client)
            core_api = client.CoreV1Api(api_client)
        self.custom_api = custom_api
        self.core_api = core_api
        self.namespace = namespace or "default"
        self._api_client = api_client
        # Injected by tests so waits need no wall clock.
        self._sleep = time.sleep
        self._clock = time.monotonic

    # -- conversions -------------------------------------------------------------------------

    def _to_dict(self, obj):
        if obj is None or isinstance(obj, (dict, list)):
            return obj
        if self._api_client is None:
            from kubernetes import client
            self._api_client = client.ApiClient()
        return self._api_client.sanitize_for_serialization(obj)

    # -- runtimes ----------------------------------------------------------------------------

    def _runtime_objects(self) -> list:
        """Namespaced TrainingRuntimes, then ClusterTrainingRuntimes."""
        out = []
        try:
            namespaced = self.custom_api.list_namespaced_custom_object(
                constants.GROUP, constants.VERSION, self.namespace,
                constants.TRAINING_RUNTIME_PLURAL, _request_timeout=constants.DEFAULT_TIMEOUT)
            out += [dict(o, kind=constants.TRAINING_RUNTIME_KIND)
                    for o in namespaced.get("items") or []]
        except Exception as e:
            if not _is_not_found(e):
                raise RuntimeError(f"Failed to list TrainingRuntimes in namespace "
                                   f"{self.namespace}: {_api_error(e)}") from e
        try:
            cluster = self.custom_api.list_cluster_custom_object(
                constants.GROUP, constants.VERSION, constants.CLUSTER_TRAINING_RUNTIME_PLURAL,
                _request_timeout=constants.DEFAULT_TIMEOUT)
        except Exception as e:
            raise RuntimeError(f"Failed to list ClusterTrainingRuntimes: {_api_error(e)}") from e
        out += [dict(o, kind=constants.CLUSTER_TRAINING_RUNTIME_KIND)
                for o in cluster.get("items") or []]
        return out

    def list_runtimes(self) -> list:
        result, seen = [], set()
        for obj in self._runtime_objects():
            name = (obj.get("metadata") or {}).get("name")
            if name in seen:
                continue  # a namespaced runtime shadows the cluster one of the same name
            try:
                result.append(status_mod.runtime_from_object(obj))
                seen.add(name)
            except ValueError as e:
                logger.warning("skipping runtime: %s", e)
        return result

    def _get_runtime(self, name: str, kind: Optional[str] = None) -> types.Runtime:
        obj = None
        errors = []
        if kind in (None, constants.TRAINING_RUNTIME_KIND):
            try:
                obj = self.custom_api.get_namespaced_custom_object(
                    constants.GROUP, constants.VERSION, self.namespace,
                    constants.TRAINING_RUNTIME_PLURAL, name,
                    _request_timeout=constants.DEFAULT_TIMEOUT)
                obj = dict(obj, kind=constants.TRAINING_RUNTIME_KIND)
            except Exception as e:
                if not _is_not_found(e):
                    raise RuntimeError(f"Failed to get TrainingRuntime {self.namespace}/{name}: "
                                       f"{_api_error(e)}") from e
                errors.append(e)
        if obj is None and kind in (None, constants.CLUSTER_TRAINING_RUNTIME_KIND):
            try:
                obj = self.custom_api.get_cluster_custom_object(
                    constants.GROUP, constants.VERSION, constants.CLUSTER_TRAINING_RUNTIME_PLURAL,
                    name, _request_timeout=constants.DEFAULT_TIMEOUT)
                obj = dict(obj, kind=constants.CLUSTER_TRAINING_RUNTIME_KIND)
            except Exception as e:
                raise RuntimeError(f"Failed to get runtime {name}: {_api_error(e)}") from e
        if obj is None:
            raise RuntimeError(f"Failed to get runtime {name}: "
                               f"{_api_error(errors[-1]) if errors else 'not found'}")
        try:
            return status_mod.runtime_from_object(obj)
        except ValueError as e:
            raise RuntimeError(str(e)) from e

    def get_runtime(self, name: str) -> types.Runtime:
        """The namespaced TrainingRuntime `name`, else the ClusterTrainingRuntime `name`."""
        return self._get_runtime(name)

    def get_runtime_packages(self, runtime: types.Runtime):
        """Prints Python's version, `pip list` and `nvidia-smi` from a one-node job."""
        if runtime.trainer.trainer_type == types.TrainerType.BUILTIN_TRAINER:
            raise ValueError("Cannot get Runtime packages for BuiltinTrainer")

        def print_packages():
            import shutil
            import subprocess
            import sys
            print(f"Python: {sys.version}")
            pip = subprocess.run([sys.executable, "-m", "pip", "list"], capture_output=True,
                                 text=True)
            print(pip.stdout if pip.returncode == 0 else "Unable to run pip list")
            if shutil.which("nvidia-smi"):
                print("Available GPUs on the single training node")
                print(subprocess.run(["nvidia-smi"], capture_output=True, text=True).stdout)

        job = self.train(runtime=runtime, trainer=types.CustomTrainer(
            func=print_packages, num_nodes=1,
            resources_per_node=None if runtime.trainer.device == "gpu" else {"cpu": 1}))
        try:
            self.wait_for_job_status(job)
            print("\n".join(self.get_job_logs(name=job)))
        finally:
            self.delete_job(job)

    # -- jobs --------------------------------------------------------------------------------

    def train(self, runtime=None, initializer=None, trainer=None, options=None) -> str:
        if runtime is None:
            runtime = self.get_runtime(constants.default_training_runtime())
        elif isinstance(runtime, str):
            runtime = self.get_runtime(runtime)
        elif not isinstance(runtime, types.Runtime):
            raise ValueError(f"runtime must be a Runtime or a runtime name, got {runtime!r}")
        option_spec = spec_mod.apply_options(options, trainer, self)
        obj = spec_mod.build_trainjob(spec_mod.new_job_name(), runtime, trainer=trainer,
                                      initializer=initializer, option_spec=option_spec)
        name = obj["metadata"]["name"]
        try:
            self.custom_api.create_namespaced_custom_object(
                constants.GROUP, constants.VERSION, self.namespace, constants.TRAINJOB_PLURAL,
                obj, _request_timeout=constants.DEFAULT_TIMEOUT)
        except Exception as e:
            raise RuntimeError(f"Failed to create TrainJob {self.namespace}/{name}: "
                               f"{_api_error(e)}") from e
        logger.debug("TrainJob %s/%s created", self.namespace, name)
        return name

    def _get_trainjob_object(self, name: str) -> dict:
        try:
            return self.custom_api.get_namespaced_custom_object(
                constants.GROUP, constants.VERSION, self.namespace, constants.TRAINJOB_PLURAL,
                name, _request_timeout=constants.DEFAULT_TIMEOUT)
        except Exception as e:
            raise RuntimeError(f"Failed to get TrainJob {self.namespace}/{name}: "
                               f"{_api_error(e)}") from e

    def _list_pods(self, label_selector: str) -> list:
        try:
            pods = self.core_api.list_namespaced_pod(
                self.namespace, label_selector=label_selector,
                _request_timeout=constants.DEFAULT_TIMEOUT)
        except Exception as e:
            raise RuntimeError(f"Failed to list the pods of TrainJobs in {self.namespace}: "
                               f"{_api_error(e)}") from e
        return (self._to_dict(pods) or {}).get("items") or []

    def _runtime_for(self, obj: dict, cache: dict) -> types.Runtime:
        ref = (obj.get("spec") or {}).get("runtimeRef") or {}
        key = (ref.get("kind"), ref.get("name"))
        if key not in cache:
            try:
                cache[key] = self._get_runtime(ref.get("name", ""), ref.get("kind"))
            except RuntimeError as e:
                # A job outlives its runtime; show it anyway.
                logger.warning("TrainJob %s: %s", (obj.get("metadata") or {}).get("name"), e)
                cache[key] = types.Runtime(
                    name=ref.get("name", ""),
                    trainer=types.RuntimeTrainer(types.TrainerType.CUSTOM_TRAINER,
                                                 constants.UNKNOWN, constants.UNKNOWN),
                    kind=ref.get("kind") or constants.CLUSTER_TRAINING_RUNTIME_KIND)
        return cache[key]

    def _job_from_object(self, obj: dict, pods=None, cache=None) -> types.TrainJob:
        name = (obj.get("metadata") or {}).get("name", "")
        if pods is None:
            pods = self._list_pods(f"{constants.JOBSET_NAME_LABEL}={name}")
        return status_mod.trainjob_from_object(obj, self._runtime_for(obj, cache or {}), pods)

    def get_job(self, name: str) -> types.TrainJob:
        return self._job_from_object(self._get_trainjob_object(name))

    def list_jobs(self, runtime=None) -> list:
        runtime_name = runtime.name if isinstance(runtime, types.Runtime) else runtime
        try:
            listed = self.custom_api.list_namespaced_custom_object(
                constants.GROUP, constants.VERSION, self.namespace, constants.TRAINJOB_PLURAL,
                _request_timeout=constants.DEFAULT_TIMEOUT)
        except Exception as e:
            raise RuntimeError(f"Failed to list TrainJobs in namespace {self.namespace}: "
                               f"{_api_error(e)}") from e
        items = [o for o in listed.get("items") or []
                 if runtime_name is None or
                 ((o.get("spec") or {}).get("runtimeRef") or {}).get("name") == runtime_name]
        if not items:
            return []
        pods = self._list_pods(constants.JOBSET_NAME_LABEL)
        cache = {}
        return [self._job_from_object(o, pods, cache) for o in items]

    def _step_pod(self, name: str, step: str, wait: bool, timeout: float) -> Optional[str]:
        """The pod of `step` once it left Pending. With wait, polls until then, until the job
        finished without it, or until timeout; otherwise answers at once (upstream)."""
        deadline = self._clock() + timeout
        delay = 0.1  # short at first: a pod usually starts within a second on Skiff
        while True:
            job = self.get_job(name)
            for s in job.steps:
                if s.name == step and s.status != constants.POD_PENDING:
                    return s.pod_name
            if not wait or self._clock() >= deadline or job.status in (
                    constants.TRAINJOB_COMPLETE, constants.TRAINJOB_FAILED):
                return None
            self._sleep(delay)
            delay = min(delay * 2, 1.0)

    def get_job_logs(self, name: str, step: str = constants.NODE + "-0",
                     follow: bool = False, timeout: float = 600) -> Iterator[str]:
        pod_name = self._step_pod(name, step, wait=follow, timeout=timeout)
        if pod_name is None:
            return
        container = re.sub(r"-\d+$", "", step)
        try:
            if follow:
                response = self.core_api.read_namespaced_pod_log(
                    pod_name, self.namespace, container=container, follow=True,
                    _preload_content=False)
                try:
                    yield from _iter_lines(response.stream(4096, decode_content=True))
                finally:
                    response.release_conn()
            else:
                # Raw bytes: the client would otherwise json-parse a log that looks like JSON.
                response = self.core_api.read_namespaced_pod_log(
                    pod_name, self.namespace, container=container, _preload_content=False,
                    _request_timeout=constants.DEFAULT_TIMEOUT)
                yield from response.data.decode("utf-8", "replace").splitlines()
        except Exception as e:
            raise RuntimeError(f"Failed to read logs for the pod {self.namespace}/{pod_name}: "
                               f"{_api_error(e)}") from e

    def get_job_events(self, name: str) -> list:
        """Events about the TrainJob, its JobSet, its Jobs and its pods, oldest first."""
        job_re = re.compile(rf"^{re.escape(name)}-({_STEP_JOBS})-\d+$")
        pod_re = re.compile(rf"^{re.escape(name)}-({_STEP_JOBS})-\d+-\d+(-[a-z0-9]+)?$")
        pod_names = {p.get("metadata", {}).get("name")
                     for p in self._list_pods(f"{constants.JOBSET_NAME_LABEL}={name}")}
        try:
            listed = self._to_dict(self.core_api.list_namespaced_event(
                self.namespace, _request_timeout=constants.DEFAULT_TIMEOUT))
        except Exception as e:
            raise RuntimeError(f"Failed to get events of TrainJob {self.namespace}/{name}: "
                               f"{_api_error(e)}") from e
        events = []
        for raw in listed.get("items") or []:
            ev = status_mod.event_from_object(raw)
            kind, obj = ev.involved_object_kind, ev.involved_object_name
            if (kind in (constants.TRAINJOB_KIND, "JobSet") and obj == name) or \
                    (kind == "Job" and job_re.match(obj)) or \
                    (kind == "Pod" and (obj in pod_names or pod_re.match(obj))):
                events.append(ev)
        events.sort(key=lambda e: (e.event_time is None, e.event_time.timestamp()
                                   if e.event_time else 0))
        return events

    def wait_for_job_status(self, name: str, status=frozenset({constants.TRAINJOB_COMPLETE}),
                            timeout: float = 600, polling_interval: float = 2,
                            callbacks=None) -> types.TrainJob:
        wanted = {status} if isinstance(status, str) else set(status)
        if not wanted <= constants.TRAINJOB_STATUSES:
            raise ValueError(f"Expected status {wanted} must be a subset of "
                             f"{set(constants.TRAINJOB_STATUSES)}")
        if polling_interval > timeout:
            raise ValueError(f"Polling interval {polling_interval} must be less than timeout: "
                             f"{timeout}")
        deadline = self._clock() + timeout
        while True:
            obj = self._get_trainjob_object(name)
            job = self._job_from_object(obj)
            for callback in callbacks or []:
                callback(job)
            if constants.TRAINJOB_FAILED not in wanted and \
                    job.status == constants.TRAINJOB_FAILED:
                raise RuntimeError(f"TrainJob {name} is Failed{_failure_detail(obj)}")
            if job.status in wanted:
                return job
            if self._clock() >= deadline:
                raise TimeoutError(f"Timeout waiting for TrainJob {name} to reach status: "
                                   f"{wanted} (it is {job.status})")
            self._sleep(polling_interval)

    def delete_job(self, name: str):
        try:
            self.custom_api.delete_namespaced_custom_object(
                constants.GROUP, constants.VERSION, self.namespace, constants.TRAINJOB_PLURAL,
                name, _request_timeout=constants.DEFAULT_TIMEOUT)
        except Exception as e:
            raise RuntimeError(f"Failed to delete TrainJob {self.namespace}/{name}: "
                               f"{_api_error(e)}") from e
        logger.debug("TrainJob %s/%s deleted", self.namespace, name)


def _failure_detail(obj: dict) -> str:
    for c in ((obj.get("status") or {}).get("conditions")) or []:
        if c.get("type") == constants.TRAINJOB_FAILED and c.get("status") == "True":
            parts = [p for p in (c.get("reason"), c.get("message")) if p]
            return ": " + ": ".join(parts) if parts else ""
    return ""

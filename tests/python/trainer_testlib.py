"""Helpers for the SDK's unit tests: puts python/ on sys.path, runs generated scripts with a
recording fake `torchrun`, and stands in for the API server where no server runs (the e2e test
tests/e2e/test_trainer_sdk.py runs the same calls against a real `skiff up`)."""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "python"))

from kubernetes.client.rest import ApiException  # noqa: E402

# /usr/bin first: that python3 sees Debian's torch/numpy/sklearn, as a Skiff pod's PATH does.
POD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

FAKE_TORCHRUN = """#!/bin/bash
# Records its argv and the file it was given, then runs it like a one-process torchrun.
printf '%s\\n' "$@" > "$RECORD_DIR/torchrun.argv"
cp "$1" "$RECORD_DIR/shipped.py"
exec python3 "$@"
"""


def temp_dir(test):
    """A temp dir removed when `test` (a TestCase) ends."""
    path = tempfile.mkdtemp(prefix="skiff-sdk-test-")
    test.addCleanup(shutil.rmtree, path, True)
    return path


def run_script(test, script, env=None, with_torchrun=True, timeout=120):
    """Runs `bash -c script` in a fresh temp dir; returns (CompletedProcess, record_dir).
    TMPDIR points inside record_dir so the script's private directory can be checked. The
    timeout only bounds a hang; nothing asserts on time."""
    record = temp_dir(test)
    bin_dir = os.path.join(record, "bin")
    tmp_dir = os.path.join(record, "tmp")
    os.makedirs(bin_dir)
    os.makedirs(tmp_dir)
    if with_torchrun:
        path = os.path.join(bin_dir, "torchrun")
        with open(path, "w") as f:
            f.write(FAKE_TORCHRUN)
        os.chmod(path, 0o755)
    full_env = {"PATH": f"{bin_dir}:{POD_PATH}", "HOME": record, "RECORD_DIR": record,
                "TMPDIR": tmp_dir}
    full_env.update(env or {})
    proc = subprocess.run(["bash", "-c", script], cwd=record, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    return proc, record


def read(path):
    with open(path) as f:
        return f.read()


def not_found():
    return ApiException(status=404, reason="Not Found")


class FakeCustomObjectsApi:
    """CustomObjectsApi over an in-memory dict, for the calls the backend makes."""

    def __init__(self):
        self.objects = {}  # (plural, namespace or None, name) -> object
        self.created = []

    def add(self, plural, obj, namespace=None):
        self.objects[(plural, namespace, obj["metadata"]["name"])] = copy.deepcopy(obj)

    def create_namespaced_custom_object(self, group, version, namespace, plural, body, **kw):
        key = (plural, namespace, body["metadata"]["name"])
        if key in self.objects:
            raise ApiException(status=409, reason="Conflict")
        obj = copy.deepcopy(body)
        obj["metadata"].setdefault("namespace", namespace)
        obj["metadata"].setdefault("creationTimestamp", "2026-01-02T03:04:05Z")
        self.objects[key] = obj
        self.created.append(obj)
        return copy.deepcopy(obj)

    def get_namespaced_custom_object(self, group, version, namespace, plural, name, **kw):
        if (plural, namespace, name) not in self.objects:
            raise not_found()
        return copy.deepcopy(self.objects[(plural, namespace, name)])

    def get_cluster_custom_object(self, group, version, plural, name, **kw):
        if (plural, None, name) not in self.objects:
            raise not_found()
        return copy.deepcopy(self.objects[(plural, None, name)])

    def list_namespaced_custom_object(self, group, version, namespace, plural, **kw):
        return {"items": [copy.deepcopy(o) for (p, ns, _), o in sorted(self.objects.items())
                          if p == plural and ns == namespace]}

    def list_cluster_custom_object(self, group, version, plural, **kw):
        return {"items": [copy.deepcopy(o) for (p, ns, _), o in sorted(self.objects.items())
                          if p == plural and ns is None]}

    def delete_namespaced_custom_object(self, group, version, namespace, plural, name, **kw):
        if (plural, namespace, name) not in self.objects:
            raise not_found()
        del self.objects[(plural, namespace, name)]
        return {"status": "Success"}


class FakeLogResponse:
    def __init__(self, chunks):
        self.chunks = chunks
        self.data = b"".join(chunks)
        self.released = False

    def stream(self, amt=None, decode_content=True):
        yield from self.chunks

    def release_conn(self):
        self.released = True


class FakeCoreV1Api:
    """CoreV1Api for pods (as dicts, like sanitize_for_serialization gives), logs and events."""

    def __init__(self):
        self.pods = []
        self.events = []
        self.logs = {}  # (pod, container) -> list of byte chunks
        self.log_calls = []

    def list_namespaced_pod(self, namespace, label_selector="", **kw):
        def match(pod):
            labels = pod["metadata"].get("labels") or {}
            for term in filter(None, label_selector.split(",")):
                if "=" in term:
                    k, v = term.split("=", 1)
                    if labels.get(k) != v:
                        return False
                elif term not in labels:
                    return False
            return pod["metadata"].get("namespace", namespace) == namespace
        return {"items": [copy.deepcopy(p) for p in self.pods if match(p)]}

    def read_namespaced_pod_log(self, name, namespace, container=None, follow=False,
                                _preload_content=True, **kw):
        self.log_calls.append({"name": name, "container": container, "follow": follow,
                               "preload": _preload_content})
        if (name, container) not in self.logs:
            raise not_found()
        return FakeLogResponse(self.logs[(name, container)])

    def list_namespaced_event(self, namespace, **kw):
        return {"items": copy.deepcopy(self.events)}


def torch_runtime(name="torch-distributed", ancestor_label=True, limits=None, num_nodes=1,
                  kind="ClusterTrainingRuntime", framework="torch", policy=None):
    """The built-in runtime as the controller contract describes it."""
    template_meta = {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}} \
        if ancestor_label else {}
    container = {"name": "node", "image": "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime"}
    if limits:
        container["resources"] = {"limits": limits}
    return {
        "apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": kind,
        "metadata": {"name": name, "labels": {"trainer.kubeflow.org/framework": framework}},
        "spec": {
            "mlPolicy": policy if policy is not None else {"numNodes": num_nodes, "torch": {}},
            "template": {"spec": {"replicatedJobs": [{
                "name": "node",
                "template": {"metadata": template_meta,
                             "spec": {"template": {"spec": {"containers": [container]}}}},
            }]}},
        },
    }


def node_pod(job, index, phase="Running", rjob="node", namespace="default", limits=None,
             env=None):
    container = {"name": rjob if rjob.endswith("initializer") else "node"}
    if limits:
        container["resources"] = {"limits": limits}
    if env:
        container["env"] = env
    return {
        "metadata": {"name": f"{job}-{rjob}-0-{index}-abcde", "namespace": namespace,
                     "labels": {"jobset.sigs.k8s.io/jobset-name": job,
                                "jobset.sigs.k8s.io/replicatedjob-name": rjob,
                                "batch.kubernetes.io/job-completion-index": str(index)}},
        "spec": {"containers": [container]},
        "status": {"phase": phase},
    }


def dumps(obj):
    return json.dumps(obj, indent=1, sort_keys=True)

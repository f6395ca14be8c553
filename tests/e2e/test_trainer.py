"""Kubeflow Trainer v2 end to end on a real `skiff up --simulate-gpus 8` (controllers, node
agent, DNS, Skiff's torchrun launcher, Debian's torch): the seed TrainJob unchanged, world size
from numProcPerNode x numNodes, a failing rank, deletion, built-in runtimes and bad input as
kubectl shows it."""
import json
import os
import re
import tempfile
import unittest

from skiff_testlib import SEED, Skiff, wait_for

RANKS_SCRIPT = r"""
dir=$(mktemp -d)
cat > "$dir/ranks.py" <<'PY'
import os
import torch
import torch.distributed as dist
dist.init_process_group("gloo")
t = torch.tensor([float(dist.get_rank())])
dist.all_reduce(t)
print(f"rank={dist.get_rank()} local_rank={os.environ['LOCAL_RANK']} "
      f"group_rank={os.environ['GROUP_RANK']} world_size={dist.get_world_size()} "
      f"sum={int(t.item())}", flush=True)
dist.destroy_process_group()
PY
exec torchrun "$dir/ranks.py"
"""


class TrainerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skiff(args=["--simulate-gpus", "8"]).start()
        cls.s.kubectl("create", "namespace", "ml-prod")

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def apply(self, obj, ns="default", check=True):
        return self.s.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(obj), check=check)

    def get(self, kind, name, ns="default"):
        r = self.s.kubectl("get", kind, name, "-n", ns, "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def pods(self, job, ns="default"):
        out = self.s.kubectl("get", "pods", "-n", ns, "-l",
                             f"jobset.sigs.k8s.io/jobset-name={job}", "-o", "json").stdout
        return sorted(json.loads(out)["items"],
                      key=lambda p: p["metadata"]["labels"].get(
                          "batch.kubernetes.io/job-completion-index", ""))

    def condition(self, name, type_, ns="default"):
        tj = self.get("trainjob", name, ns)
        for c in (tj or {}).get("status", {}).get("conditions", []):
            if c["type"] == type_ and c["status"] == "True":
                return c
        return None

    def wait_state(self, name, type_, ns="default", timeout=120):
        return wait_for(lambda: self.condition(name, type_, ns), timeout=timeout, interval=0.2,
                        what=f"trainjob {name} {type_}")

    def logs(self, pod, ns="default"):
        return self.s.kubectl("logs", "-n", ns, pod).stdout

    def trainjob(self, name, command=None, **trainer):
        spec = {"runtimeRef": {"name": "torch-distributed"}, "trainer": dict(trainer)}
        if command:
            spec["trainer"]["command"] = command
        return {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
                "metadata": {"name": name}, "spec": spec}

    def test_builtin_runtimes(self):
        out = self.s.kubectl("get", "clustertrainingruntimes", "-o", "json").stdout
        items = {r["metadata"]["name"]: r for r in json.loads(out)["items"]}
        for name in ("torch-distributed", "deepspeed-distributed", "mpi-distributed",
                     "xgboost-distributed", "jax-distributed"):
            self.assertIn(name, items)
        self.assertEqual(items["torch-distributed"]["metadata"]["labels"]
                         ["trainer.kubeflow.org/framework"], "torch")
        # MPI cannot run on this node: the runtime says what is missing.
        self.assertIn("trainer.skiff.dev/unavailable",
                      items["mpi-distributed"]["metadata"].get("annotations", {}))

    def test_seed_trainjob_unchanged(self):
        # Its kueue.x-k8s.io/queue-name label hands it to Kueue: with the seed's queues it is
        # admitted (4 of 8 GPUs) and runs.
        self.s.kubectl("apply", "-f", os.path.join(SEED, "kueue.yaml"))
        self.s.kubectl("apply", "-f", os.path.join(SEED, "trainjob.yaml"))
        wait_for(lambda: self.get("jobset", "fraud-model-train", "ml-prod"), timeout=30,
                 what="the JobSet")
        wait_for(lambda: len(self.pods("fraud-model-train", "ml-prod")) == 2, timeout=30,
                 what="2 node pods")
        for i, pod in enumerate(self.pods("fraud-model-train", "ml-prod")):
            c = pod["spec"]["containers"][0]
            env = {e["name"]: e for e in c["env"]}
            self.assertEqual(env["PET_NNODES"]["value"], "2")
            self.assertEqual(env["PET_NPROC_PER_NODE"]["value"], "auto")
            self.assertEqual(env["PET_MASTER_ADDR"]["value"],
                             "fraud-model-train-node-0-0.fraud-model-train")
            self.assertEqual(env["PET_MASTER_PORT"]["value"], "29500")
            self.assertIn("fieldRef", env["PET_NODE_RANK"]["valueFrom"])
            self.assertEqual(str(c["resources"]["requests"]["nvidia.com/gpu"]), "2")
            self.assertIn({"containerPort": 29500, "protocol": "TCP"}, c["ports"])
            self.assertEqual(pod["spec"]["hostname"], f"fraud-model-train-node-0-{i}")
        self.wait_state("fraud-model-train", "Complete", "ml-prod", timeout=180)
        pods = self.pods("fraud-model-train", "ml-prod")
        # Node 1 reached node 0 by its DNS name: one gloo group over 2 nodes x 2 GPUs.
        self.assertIn("rendezvous ok: world_size=4 all_reduce=4",
                      self.logs(pods[0]["metadata"]["name"], "ml-prod"))
        self.assertIn("node 1 of 2", self.logs(pods[1]["metadata"]["name"], "ml-prod"))
        out = self.s.kubectl("get", "trainjob", "-n", "ml-prod").stdout
        self.assertRegex(out, r"fraud-model-train\s+Complete\s+\d+s")
        tj = self.get("trainjob", "fraud-model-train", "ml-prod")
        record = json.loads(tj["metadata"]["annotations"]["trainer.skiff.dev/record"])
        self.assertEqual(record["runtime"]["name"], "torch-distributed")
        self.assertTrue(record["runtime"]["digest"].startswith("sha256:"))
        self.assertTrue(record["executables"]["node"].endswith("/bash"), record)

    def test_world_size_from_nproc_and_nodes(self):
        self.apply(self.trainjob("ranks", ["bash", "-c", RANKS_SCRIPT], numNodes=2,
                                 numProcPerNode=2))
        self.wait_state("ranks", "Complete", timeout=180)
        seen = []
        for pod in self.pods("ranks"):
            # Two ranks share a pod's log: with `python -u` a print is two writes, so lines of
            # different ranks may interleave; match records, not lines.
            seen += re.findall(r"rank=\d+ local_rank=\d+ group_rank=\d+ world_size=\d+ sum=\d+",
                               self.logs(pod["metadata"]["name"]))
        seen.sort()
        self.assertEqual(len(seen), 4, seen)
        for rank in range(4):
            self.assertIn(f"rank={rank} local_rank={rank % 2} group_rank={rank // 2} "
                          f"world_size=4 sum=6", seen)

    def test_failing_rank_fails_trainjob_and_delete_removes_pods(self):
        runtime = {
            "apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainingRuntime",
            "metadata": {"name": "torch-fail-fast",
                         "labels": {"trainer.kubeflow.org/framework": "torch"}},
            "spec": {"mlPolicy": {"numNodes": 1, "torch": {}}, "template": {"spec": {
                "replicatedJobs": [{"name": "node", "template": {
                    "metadata": {"labels": {
                        "trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
                    "spec": {"backoffLimit": 0, "template": {"spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "node", "image": "python:3.11"}]}}}}}]}}}}
        self.apply(runtime)
        tj = self.trainjob("failing", ["bash", "-c",
                                       'if [ "$PET_NODE_RANK" = 1 ]; then exit 3; fi; sleep 30'],
                           numNodes=2)
        tj["spec"]["runtimeRef"] = {"name": "torch-fail-fast", "kind": "TrainingRuntime"}
        self.apply(tj)
        failed = self.wait_state("failing", "Failed", timeout=90)
        self.assertIn("failing-node-0-1", failed["message"])
        self.assertIn("exited with code 3", failed["message"])
        self.s.kubectl("delete", "trainjob", "failing", "--wait=false")
        wait_for(lambda: not self.pods("failing") and not self.get("jobset", "failing"),
                 timeout=60, what="pods and JobSet of the deleted TrainJob to be gone")

    def test_dataset_initializer_from_file_uri(self):
        src = tempfile.mkdtemp(prefix="skiff-dataset-")
        with open(os.path.join(src, "data.csv"), "w") as f:
            f.write("x,y\n1,2\n")
        tj = self.trainjob("with-data", ["bash", "-c", "cat /workspace/dataset/data.csv"],
                           numNodes=1)
        tj["spec"]["initializer"] = {"dataset": {"storageUri": "file://" + src}}
        self.apply(tj)
        self.wait_state("with-data", "Complete", timeout=120)
        init_pods = json.loads(self.s.kubectl(
            "get", "pods", "-l", "jobset.sigs.k8s.io/replicatedjob-name=dataset-initializer",
            "-o", "json").stdout)["items"]
        self.assertEqual(len(init_pods), 1)
        self.assertIn("skiff initializer: file://",
                      self.logs(init_pods[0]["metadata"]["name"]))
        node = [p for p in self.pods("with-data")
                if p["metadata"]["labels"]["jobset.sigs.k8s.io/replicatedjob-name"] == "node"]
        self.assertIn("1,2", self.logs(node[0]["metadata"]["name"]))
        record = json.loads(self.get("trainjob", "with-data")["metadata"]["annotations"]
                            ["trainer.skiff.dev/record"])
        self.assertEqual(record["initializers"]["dataset"], "file://" + src)
        # A hub URI cannot work offline: a clear terminal condition, no pods.
        hub = self.trainjob("from-hub", ["bash", "-c", "true"], numNodes=1)
        hub["spec"]["initializer"] = {"model": {"storageUri": "hf://meta-llama/Llama-3.2-1B"}}
        self.apply(hub)
        failed = self.wait_state("from-hub", "Failed", timeout=30)
        self.assertEqual(failed["reason"], "InitializerNotSupported")
        self.assertIn("hf:// scheme", failed["message"])

    def test_bad_input(self):
        cases = [
            (dict(runtimeRef={"name": "no-such-runtime"}), "spec.runtimeRef",
             '"no-such-runtime" not found'),
            (dict(runtimeRef={"name": "torch-distributed"}, trainer={"numNodes": 0}),
             "spec.trainer.numNodes", "must be greater than or equal to 1"),
            (dict(runtimeRef={"name": "torch-distributed"},
                  trainer={"env": [{"name": "PET_MASTER_PORT", "value": "1"}]}),
             "spec.trainer.env", "reserved envs"),
        ]
        for spec, field, text in cases:
            obj = {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
                   "metadata": {"name": "bad"}, "spec": spec}
            r = self.apply(obj, check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn('The TrainJob "bad" is invalid', r.stderr)
            self.assertIn(field, r.stderr)
            self.assertIn(text, r.stderr)
        # Immutable after creation.
        ok = self.trainjob("immutable", ["bash", "-c", "sleep 60"], numNodes=1)
        self.apply(ok)
        r = self.s.kubectl("patch", "trainjob", "immutable", "--type=merge", "-p",
                           '{"spec":{"trainer":{"numNodes":3}}}', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("spec.trainer: Invalid value", r.stderr)
        self.assertIn("field is immutable", r.stderr)
        self.s.kubectl("delete", "trainjob", "immutable", "--wait=false")


if __name__ == "__main__":
    unittest.main()

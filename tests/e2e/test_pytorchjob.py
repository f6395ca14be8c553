"""Legacy Kubeflow PyTorchJob (kubeflow.org/v1) end to end against a real `skiff up`: a Master
and a Worker find each other through the injected MASTER_ADDR/MASTER_PORT/WORLD_SIZE/RANK
(the per-replica headless Service `<job>-master-0` resolved by cluster DNS), all_reduce over
gloo, the job succeeds with its Master, and deleting it removes its pods and Services."""
import json
import unittest

from skiff_testlib import Skiff, wait_for

PY = "/usr/bin/python3"

# env:// rendezvous, exactly as a training-operator user script does it.
SCRIPT = r"""
import os
import torch
import torch.distributed as dist
dist.init_process_group("gloo", init_method="env://")
rank, world = dist.get_rank(), dist.get_world_size()
t = torch.tensor([float(rank + 1)])
dist.all_reduce(t)
print(f"rank={rank} world_size={world} reduced={t.item():g} "
      f"master={os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}", flush=True)
dist.destroy_process_group()
"""


def replica(restart="OnFailure"):
    return {"replicas": 1, "restartPolicy": restart,
            "template": {"spec": {"terminationGracePeriodSeconds": 1, "containers": [
                {"name": "pytorch", "image": "pytorch/pytorch:2.1",
                 "command": [PY, "-c", SCRIPT]}]}}}


class PyTorchJobTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skiff().start()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def get(self, kind, name):
        r = self.s.kubectl("get", kind, name, "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def names(self, kind, selector):
        out = self.s.kubectl("get", kind, "-l", selector, "-o", "json").stdout
        return sorted(i["metadata"]["name"] for i in json.loads(out)["items"])

    def condition(self, name, type_):
        for c in (self.get("pytorchjob", name) or {}).get("status", {}).get("conditions", []):
            if c["type"] == type_ and c["status"] == "True":
                return c
        return None

    def debug(self, name):
        out = [self.s.kubectl("get", "pytorchjob", name, "-o", "yaml", check=False).stdout,
               self.s.kubectl("get", "pods,services,endpoints", "-o", "wide", check=False).stdout]
        for pod in (f"{name}-master-0", f"{name}-worker-0"):
            out.append(f"--- logs {pod}\n" + self.s.kubectl("logs", pod, check=False).stdout)
        return "\n".join(out)

    def test_master_and_worker_all_reduce(self):
        name = "ptdist"
        job = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": name},
               "spec": {"pytorchReplicaSpecs": {"Master": replica(), "Worker": replica()}}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(job))
        selector = f"training.kubeflow.org/job-name={name}"
        wait_for(lambda: self.names("services", selector) == [f"{name}-master-0",
                                                              f"{name}-worker-0"],
                 timeout=60, interval=0.2, what="per-replica Services")
        svc = self.get("service", f"{name}-master-0")
        self.assertEqual(svc["spec"]["clusterIP"], "None")
        self.assertEqual(svc["spec"]["ports"][0]["port"], 23456)
        try:
            cond = wait_for(lambda: self.condition(name, "Succeeded"), timeout=240, interval=0.5,
                            what="PyTorchJob Succeeded")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.debug(name)}") from None
        self.assertEqual(cond["reason"], "PyTorchJobSucceeded")
        self.assertEqual(cond["message"], f"PyTorchJob {name} is successfully completed.")

        master_log = self.s.kubectl("logs", f"{name}-master-0").stdout
        self.assertIn("rank=0 world_size=2 reduced=3", master_log)
        self.assertIn(f"master={name}-master-0:23456", master_log)
        worker_log = self.s.kubectl("logs", f"{name}-worker-0").stdout
        self.assertIn("rank=1 world_size=2 reduced=3", worker_log)

        obj = self.get("pytorchjob", name)
        self.assertEqual(obj["status"]["replicaStatuses"]["Master"].get("succeeded"), 1)
        self.assertIn("completionTime", obj["status"])
        table = self.s.kubectl("get", "pytorchjobs").stdout
        self.assertRegex(table, rf"{name}\s+Succeeded")
        pod = self.get("pod", f"{name}-worker-0")
        env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
        self.assertEqual(env["MASTER_ADDR"], f"{name}-master-0")
        self.assertEqual((env["WORLD_SIZE"], env["RANK"]), ("2", "1"))

        self.s.kubectl("delete", "pytorchjob", name, "--wait=false")
        wait_for(lambda: not self.names("pods", selector) and not self.names("services", selector),
                 timeout=90, interval=0.2, what="pods and Services garbage-collected")


if __name__ == "__main__":
    unittest.main()

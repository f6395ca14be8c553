"""Skiff's torchrun in pods against a real `skiff up`: a `bash -c "torchrun ..."` script and a
bare `torchrun` command both run Skiff's launcher (DESIGN.md §5), whose two ranks join one gloo
process group from the Trainer's PET_* env; a failing rank's exit code becomes the pod's."""
import json
import unittest

from skiff_testlib import Skiff, wait_for

TRAIN_PY = """\
import torch
import torch.distributed as dist

dist.init_process_group("gloo")
rank = dist.get_rank()
t = torch.tensor([float(rank + 1)])
dist.all_reduce(t)
print(f"rank={rank} world={dist.get_world_size()} sum={int(t.item())}", flush=True)
dist.destroy_process_group()
"""

# What a TrainJob's torch policy injects into a single-node trainer (trainer.md §4).
PET_ENV = [{"name": "PET_NNODES", "value": "1"},
           {"name": "PET_NPROC_PER_NODE", "value": "2"},
           {"name": "PET_NODE_RANK", "value": "0"},
           {"name": "PET_MASTER_ADDR", "value": "127.0.0.1"},
           {"name": "PET_MASTER_PORT", "value": "29500"}]


def pod(name, command, args=(), env=PET_ENV):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "node", "image": "pytorch/pytorch:2.1",
                                     "command": list(command), "args": list(args),
                                     "env": env,
                                     "volumeMounts": [{"name": "code",
                                                       "mountPath": "/opt/train"}]}],
                     "volumes": [{"name": "code", "configMap": {"name": "train-code"}}]}}


class LauncherTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skiff().start()
        cls.s.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "train-code"},
             "data": {"train.py": TRAIN_PY}}))

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def apply(self, obj):
        self.s.kubectl("apply", "-f", "-", input=json.dumps(obj))

    def wait_finished(self, name, timeout=180):
        def done():
            r = self.s.kubectl("get", "pod", name, "-o", "json", check=False)
            if r.returncode != 0:
                return None
            p = json.loads(r.stdout)
            return p if p["status"].get("phase") in ("Succeeded", "Failed") else None
        return wait_for(done, timeout=timeout, interval=0.2, what=f"pod {name} to finish")

    def logs(self, name):
        return self.s.kubectl("logs", name).stdout

    def events(self, name):
        out = self.s.kubectl("get", "events", "--field-selector", f"involvedObject.name={name}",
                             "-o", "json").stdout
        return [(e["reason"], e.get("message", "")) for e in json.loads(out)["items"]]

    def assert_one_group_of_two(self, name):
        p = self.wait_finished(name)
        logs = self.logs(name)
        self.assertEqual(p["status"]["phase"], "Succeeded", logs)
        self.assertIn("rank=0 world=2 sum=3", logs)
        self.assertIn("rank=1 world=2 sum=3", logs)
        self.assertNotIn("AttributeError", logs)  # the host torchrun's Python 3.11 crash
        return logs

    def test_torchrun_inside_a_bash_script(self):
        self.apply(pod("bash-torchrun", ["bash", "-c"],
                       ["command -v torchrun; torchrun /opt/train/train.py"]))
        logs = self.assert_one_group_of_two("bash-torchrun")
        self.assertTrue(logs.splitlines()[0].endswith("/container-bin/torchrun"), logs)

    def test_torchrun_as_the_container_command(self):
        self.apply(pod("cmd-torchrun", ["torchrun"],
                       ["--nproc-per-node=2", "--max_restarts=0", "/opt/train/train.py"],
                       env=[e for e in PET_ENV if e["name"] != "PET_NPROC_PER_NODE"]))
        self.assert_one_group_of_two("cmd-torchrun")
        pulled = [m for r, m in self.events("cmd-torchrun") if r == "Pulled"]
        self.assertTrue(any("skiff-torchrun" in m for m in pulled), pulled)

    def test_failing_rank_fails_the_pod_with_its_exit_code(self):
        self.apply(pod("fail-torchrun", ["torchrun"],
                       ["--no_python", "sh", "-c", "exit $((LOCAL_RANK * 3))"]))
        p = self.wait_finished("fail-torchrun")
        self.assertEqual(p["status"]["phase"], "Failed")
        term = p["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual(term["exitCode"], 3)
        logs = self.logs("fail-torchrun")
        self.assertIn("sh FAILED", logs)
        self.assertIn("rank      : 1 (local_rank: 1)", logs)


if __name__ == "__main__":
    unittest.main()

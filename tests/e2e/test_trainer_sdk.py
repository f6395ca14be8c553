"""The trainer SDK (python/, `from kubeflow.trainer import ...`) against a real `skiff up`.

TrainerSdkApiTest runs the API server alone (--no-controllers --no-node) and plays the
controller itself: it makes the TrainJob's pods, their status, their log files and the
TrainJob's conditions, so it checks every SDK call against the real API without depending on
the TrainJob controller. TrainerSdkSeedTest runs the seed notebook flow (submit.py with the CPU
train_func) on a full `skiff up`; it skips itself while the node agent does not give pods
Skiff's torchrun launcher."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from skiff_testlib import REPO, Skiff, wait_for

sys.path.insert(0, os.path.join(REPO, "python"))

from kubeflow.trainer import (CustomTrainer, KubernetesBackendConfig,  # noqa: E402
                              TrainerClient)
from kubeflow.trainer import options  # noqa: E402

RUNTIME = {
    "apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "ClusterTrainingRuntime",
    "metadata": {"name": "torch-distributed",
                 "labels": {"trainer.kubeflow.org/framework": "torch"}},
    "spec": {"mlPolicy": {"numNodes": 1, "torch": {}}, "template": {"spec": {"replicatedJobs": [{
        "name": "node",
        "template": {
            "metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
            "spec": {"template": {"spec": {"containers": [{
                "name": "node", "image": "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime"}]}}}},
    }]}}},
}


def train_func():
    """The seed's train_func for CPU-only nodes: gloo, no .cuda()."""
    import os
    import torch
    import torch.nn as nn
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group(backend="gloo")
    local_rank = int(os.environ["LOCAL_RANK"])
    if dist.get_rank() == 0:
        print(f"world_size={dist.get_world_size()}", flush=True)

    model = nn.Sequential(
        nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)
    )
    model = DDP(model)

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(5):
        x = torch.randn(32, 4)
        y = torch.randint(0, 3, (32,))
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if local_rank == 0:
            print(f"epoch={epoch} loss={loss.item():.4f}")

    dist.destroy_process_group()


def write_marker(path, word):
    with open(path, "w") as f:
        f.write(word)


class TrainerSdkApiTest(unittest.TestCase):
    def setUp(self):
        self.s = Skiff(args=["--no-controllers", "--no-node"]).start()
        self.addCleanup(self.s.cleanup)
        r = self.s.kubectl("get", "clustertrainingruntimes", "torch-distributed", check=False)
        if r.returncode != 0:
            self.s.kubectl("apply", "-f", "-", input=json.dumps(RUNTIME))
        self.client = TrainerClient(KubernetesBackendConfig(config_file=self.s.kubeconfig))

    def get(self, *what):
        return json.loads(self.s.kubectl("get", *what, "-o", "json").stdout)

    def make_pod(self, job, index, phase):
        name = f"{job}-node-0-{index}-x{index}abc"
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "labels": {
                   "jobset.sigs.k8s.io/jobset-name": job,
                   "jobset.sigs.k8s.io/replicatedjob-name": "node",
                   "batch.kubernetes.io/job-completion-index": str(index)}},
               "spec": {"containers": [{"name": "node", "image": "busybox",
                                        "resources": {"limits": {"cpu": "1"}}}]}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(pod))
        self.set_phase(name, phase)
        return name

    def set_phase(self, pod, phase):
        self.s.kubectl("patch", "pod", pod, "--subresource=status", "--type=merge", "-p",
                       json.dumps({"status": {"phase": phase}}))

    def write_log(self, pod, lines):
        d = os.path.join(self.s.data_dir, "logs", "default", pod)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "node.log"), "w") as f:
            for line in lines:
                f.write(f"2026-11-27T11:43:24.320762924Z stdout F {line}\n")

    def test_runtimes(self):
        runtimes = {r.name: r for r in self.client.list_runtimes()}
        rt = runtimes["torch-distributed"]
        self.assertEqual(rt.trainer.framework, "torch")
        self.assertEqual(rt.trainer.command, ("torchrun",))
        self.assertEqual(self.client.get_runtime("torch-distributed"), rt)
        with self.assertRaisesRegex(RuntimeError, "404"):
            self.client.get_runtime("no-such-runtime")

    def test_seed_flow_with_the_test_as_controller(self):
        client = self.client
        job = client.train(
            runtime=client.get_runtime("torch-distributed"),
            trainer=CustomTrainer(func=train_func, num_nodes=2, resources_per_node={"cpu": 1},
                                  packages_to_install=["torch"]),
            options=[options.Labels({"team": "ml"})])
        self.assertRegex(job, r"^[a-z][0-9a-f]{11}$")
        stored = self.get("trainjob", job)
        self.assertEqual(stored["spec"]["runtimeRef"]["name"], "torch-distributed")
        self.assertEqual(stored["spec"]["trainer"]["numNodes"], 2)
        self.assertEqual(stored["spec"]["trainer"]["resourcesPerNode"]["limits"], {"cpu": 1})
        self.assertEqual(stored["spec"]["trainer"]["command"][:2], ["bash", "-c"])
        self.assertIn("torchrun", stored["spec"]["trainer"]["command"][2])
        self.assertEqual(stored["metadata"]["labels"], {"team": "ml"})
        self.assertRegex(stored["metadata"]["annotations"]["trainer.skiff.dev/function-digest"],
                         r"^sha256:[0-9a-f]{64}$")

        self.assertEqual(client.get_job(job).status, "Created")
        self.assertEqual(list(client.get_job_logs(job)), [])
        pod0 = self.make_pod(job, 0, "Running")
        self.assertEqual(client.get_job(job).status, "Created", "one of two nodes runs")
        pod1 = self.make_pod(job, 1, "Running")
        running = client.wait_for_job_status(job, {"Running"}, timeout=30, polling_interval=1)
        self.assertEqual([(s.name, s.pod_name, s.status, s.device, s.device_count)
                          for s in running.steps],
                         [("node-0", pod0, "Running", "cpu", "1"),
                          ("node-1", pod1, "Running", "cpu", "1")])
        self.assertEqual([j.name for j in client.list_jobs(runtime="torch-distributed")], [job])
        self.assertEqual(client.list_jobs(runtime="other"), [])

        self.write_log(pod0, ['{"looks": "like json"}', "epoch=4 loss=1.0000"])
        self.set_phase(pod0, "Succeeded")
        self.set_phase(pod1, "Succeeded")
        self.assertEqual(list(client.get_job_logs(job)),
                         ['{"looks": "like json"}', "epoch=4 loss=1.0000"])
        self.assertEqual(list(client.get_job_logs(job, follow=True)),
                         ['{"looks": "like json"}', "epoch=4 loss=1.0000"])

        self.s.kubectl("patch", "trainjob", job, "--subresource=status", "--type=merge", "-p",
                       json.dumps({"status": {"conditions": [{
                           "type": "Complete", "status": "True", "reason": "AllJobsCompleted",
                           "message": "jobset completed",
                           "lastTransitionTime": "2026-11-27T11:43:30Z"}]}}))
        done = client.wait_for_job_status(job, timeout=30, polling_interval=1)
        self.assertEqual(done.status, "Complete")

        self.s.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{job}.1"},
            "involvedObject": {"kind": "TrainJob", "name": job, "namespace": "default",
                               "apiVersion": "trainer.kubeflow.org/v1alpha1"},
            "reason": "Completed", "message": "TrainJob completed", "type": "Normal",
            "lastTimestamp": "2026-11-27T11:43:31Z"}))
        events = client.get_job_events(job)
        self.assertEqual([(e.involved_object_kind, e.reason) for e in events],
                         [("TrainJob", "Completed")])

        client.delete_job(job)
        wait_for(lambda: client.list_jobs() == [], what="the TrainJob to be deleted")

    def test_command_from_the_server_runs(self):
        """The script survives the API round trip byte for byte and runs the function."""
        tmp = tempfile.mkdtemp(prefix="skiff-sdk-e2e-")
        self.addCleanup(shutil.rmtree, tmp, True)
        out = os.path.join(tmp, "marker")
        job = self.client.train(runtime="torch-distributed", trainer=CustomTrainer(
            func=write_marker, func_args={"path": out, "word": "ran $HOME"}))
        script = self.get("trainjob", job)["spec"]["trainer"]["command"][2]
        bin_dir = os.path.join(tmp, "bin")
        os.mkdir(bin_dir)
        with open(os.path.join(bin_dir, "torchrun"), "w") as f:
            f.write('#!/bin/bash\nexec python3 "$@"\n')
        os.chmod(os.path.join(bin_dir, "torchrun"), 0o755)
        r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                           env={"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin"})
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            self.assertEqual(f.read(), "ran $HOME")

    def test_bad_requests_surface_the_api_error(self):
        with self.assertRaisesRegex(RuntimeError, "Failed to create TrainJob"):
            self.client.train(runtime="torch-distributed",
                              trainer=CustomTrainer(func=train_func, num_nodes=-1))


class TrainerSdkSeedTest(unittest.TestCase):
    """submit.py on Skiff: two CPU nodes, packages_to_install=["torch"] offline, logs back."""

    def test_seed_notebook_flow(self):
        s = Skiff().start()
        self.addCleanup(s.cleanup)
        client = TrainerClient(KubernetesBackendConfig(config_file=s.kubeconfig))
        wait_for(lambda: any(r.name == "torch-distributed" for r in client.list_runtimes()),
                 timeout=15, what="the built-in torch-distributed runtime")
        job_id = client.train(
            runtime=client.get_runtime("torch-distributed"),
            trainer=CustomTrainer(func=train_func, num_nodes=2, resources_per_node={"cpu": 1},
                                  packages_to_install=["torch"]))
        job = client.wait_for_job_status(job_id, timeout=300, polling_interval=1)
        self.assertEqual([st.name for st in job.steps], ["node-0", "node-1"])
        logs = "\n".join(client.get_job_logs(name=job_id))
        self.assertIn("already installed: torch", logs)
        self.assertIn("world_size=2", logs)  # both nodes joined one gloo group
        epochs = [line for line in logs.splitlines() if line.startswith("epoch=")]
        self.assertEqual([e.split()[0] for e in epochs], [f"epoch={i}" for i in range(5)])
        self.assertTrue(all(" loss=" in e for e in epochs))
        client.delete_job(job_id)


if __name__ == "__main__":
    unittest.main()

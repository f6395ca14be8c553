"""TrainerClient's calls through the Kubernetes backend, over in-memory API objects (the e2e
test repeats the important ones against a real API server). Waits use an injected clock."""
import unittest

import trainer_testlib as lib
from skiff.trainer import CustomTrainer
from skiff.trainer import options
from skiff.trainer.backend import KubernetesBackend

CTR = "clustertrainingruntimes"
TR = "trainingruntimes"
TJ = "trainjobs"


def train_func(x=1):
    print("x", x)


class FakeClock:
    def __init__(self, backend, on_sleep=None):
        self.now = 0.0
        self.sleeps = []
        self.on_sleep = on_sleep
        backend._clock = lambda: self.now
        backend._sleep = self.sleep

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))


class BackendTest(unittest.TestCase):
    def setUp(self):
        self.custom = lib.FakeCustomObjectsApi()
        self.core = lib.FakeCoreV1Api()
        self.custom.add(CTR, lib.torch_runtime())
        self.backend = KubernetesBackend(custom_api=self.custom, core_api=self.core,
                                         namespace="default")

    def submit(self, **kw):
        trainer = CustomTrainer(func=train_func, func_args={"x": 2}, num_nodes=2, **kw)
        return self.backend.train(runtime=self.backend.get_runtime("torch-distributed"),
                                  trainer=trainer)

    def set_conditions(self, name, *conditions):
        self.custom.objects[(TJ, "default", name)]["status"] = {"conditions": list(conditions)}

    # -- runtimes --

    def test_runtimes(self):
        unlabeled = lib.torch_runtime(name="no-label")
        del unlabeled["metadata"]["labels"]
        self.custom.add(CTR, unlabeled)
        self.custom.add(CTR, lib.torch_runtime(name="shared"))
        self.custom.add(TR, lib.torch_runtime(name="shared", kind="TrainingRuntime",
                                              num_nodes=4), namespace="default")
        self.custom.add(TR, lib.torch_runtime(name="elsewhere"), namespace="other")
        with self.assertLogs("skiff.trainer.backend", "WARNING") as logs:
            runtimes = {r.name: r for r in self.backend.list_runtimes()}
        self.assertIn("no-label must have the trainer.kubeflow.org/framework label",
                      logs.output[0])
        self.assertEqual(sorted(runtimes), ["shared", "torch-distributed"])
        self.assertEqual(runtimes["shared"].kind, "TrainingRuntime")
        self.assertEqual(runtimes["shared"].trainer.num_nodes, 4)
        self.assertEqual(self.backend.get_runtime("shared").kind, "TrainingRuntime")
        self.assertEqual(self.backend.get_runtime("torch-distributed").kind,
                         "ClusterTrainingRuntime")
        with self.assertRaisesRegex(RuntimeError, "Failed to get runtime nope"):
            self.backend.get_runtime("nope")
        with self.assertRaisesRegex(RuntimeError, "framework"):
            self.backend.get_runtime("no-label")

    # -- train / get / list / delete --

    def test_train_creates_the_trainjob(self):
        name = self.submit()
        self.assertRegex(name, r"^[a-z][0-9a-f]{11}$")
        created = self.custom.created[-1]
        self.assertEqual(created["metadata"]["name"], name)
        self.assertEqual(created["spec"]["runtimeRef"]["name"], "torch-distributed")
        self.assertEqual(created["spec"]["trainer"]["numNodes"], 2)
        self.assertIn("train_func(**{'x': 2})", created["spec"]["trainer"]["command"][2])

    def test_train_runtime_by_name_default_and_name_option(self):
        name = self.backend.train(runtime="torch-distributed", options=[options.Name("given")])
        self.assertEqual(name, "given")
        self.backend.train()
        self.assertEqual(self.custom.created[-1]["spec"]["runtimeRef"]["name"],
                         "torch-distributed")
        with self.assertRaisesRegex(RuntimeError, "Failed to create TrainJob default/given"):
            self.backend.train(runtime="torch-distributed", options=[options.Name("given")])
        with self.assertRaisesRegex(ValueError, "runtime must be"):
            self.backend.train(runtime=3)

    def test_get_job_steps_and_status(self):
        name = self.submit()
        job = self.backend.get_job(name)
        self.assertEqual((job.status, job.num_nodes, job.steps), ("Created", 2, []))
        self.assertEqual(job.runtime.name, "torch-distributed")
        self.core.pods += [lib.node_pod(name, 1, "Running"), lib.node_pod(name, 0, "Pending")]
        job = self.backend.get_job(name)
        self.assertEqual([(s.name, s.status) for s in job.steps],
                         [("node-0", "Pending"), ("node-1", "Running")])
        self.assertEqual(job.status, "Created")
        self.core.pods[1]["status"]["phase"] = "Running"
        self.assertEqual(self.backend.get_job(name).status, "Running")
        self.set_conditions(name, {"type": "Complete", "status": "True"})
        self.assertEqual(self.backend.get_job(name).status, "Complete")
        with self.assertRaisesRegex(RuntimeError, "Failed to get TrainJob default/missing"):
            self.backend.get_job("missing")

    def test_list_jobs_filters_by_runtime_and_survives_a_deleted_runtime(self):
        self.custom.add(CTR, lib.torch_runtime(name="other"))
        a = self.submit()
        b = self.backend.train(runtime="other")
        self.core.pods.append(lib.node_pod(b, 0, "Running"))
        self.assertEqual(sorted(j.name for j in self.backend.list_jobs()), sorted([a, b]))
        only = self.backend.list_jobs(runtime=self.backend.get_runtime("other"))
        self.assertEqual([(j.name, j.status) for j in only], [(b, "Running")])
        self.assertEqual([j.name for j in self.backend.list_jobs(runtime="torch-distributed")],
                         [a])
        del self.custom.objects[(CTR, None, "other")]
        with self.assertLogs("skiff.trainer.backend", "WARNING"):
            orphan = next(j for j in self.backend.list_jobs() if j.name == b)
        self.assertEqual(orphan.runtime.name, "other")
        self.assertEqual(orphan.runtime.trainer.framework, "Unknown")

    def test_delete(self):
        name = self.submit()
        self.backend.delete_job(name)
        self.assertNotIn((TJ, "default", name), self.custom.objects)
        with self.assertRaisesRegex(RuntimeError, "Failed to delete"):
            self.backend.delete_job(name)

    # -- waiting --

    def test_wait_moves_through_statuses_and_calls_callbacks(self):
        name = self.submit()
        seen = []

        def progress(n):
            if n == 1:
                self.core.pods += [lib.node_pod(name, 0), lib.node_pod(name, 1)]
            if n == 2:
                self.set_conditions(name, {"type": "Complete", "status": "True"})
        clock = FakeClock(self.backend, progress)
        job = self.backend.wait_for_job_status(name, status={"Running"}, polling_interval=5,
                                               callbacks=[lambda j: seen.append(j.status)])
        self.assertEqual((job.status, seen, clock.sleeps), ("Running", ["Created", "Running"],
                                                            [5]))
        job = self.backend.wait_for_job_status(name, callbacks=[lambda j: seen.append(j.status)])
        self.assertEqual(job.status, "Complete")
        self.assertEqual(seen[-1], "Complete")

    def test_wait_raises_on_failure_unless_asked(self):
        name = self.submit()
        self.set_conditions(name, {"type": "Failed", "status": "True", "reason": "FailedJobs",
                                   "message": "jobset failed"})
        FakeClock(self.backend)
        with self.assertRaisesRegex(RuntimeError, f"TrainJob {name} is Failed: FailedJobs: "
                                                  "jobset failed"):
            self.backend.wait_for_job_status(name)
        self.assertEqual(self.backend.wait_for_job_status(name, {"Complete", "Failed"}).status,
                         "Failed")

    def test_wait_times_out_and_validates(self):
        name = self.submit()
        clock = FakeClock(self.backend)
        with self.assertRaisesRegex(TimeoutError, "it is Created"):
            self.backend.wait_for_job_status(name, timeout=10, polling_interval=2)
        self.assertEqual(clock.now, 10)
        with self.assertRaisesRegex(ValueError, "subset"):
            self.backend.wait_for_job_status(name, status={"Succeeded"})
        with self.assertRaisesRegex(ValueError, "Polling interval"):
            self.backend.wait_for_job_status(name, timeout=1, polling_interval=2)

    # -- logs and events --

    def test_logs_of_a_step(self):
        name = self.submit()
        pod = lib.node_pod(name, 1, "Succeeded")
        self.core.pods.append(pod)
        self.core.logs[(pod["metadata"]["name"], "node")] = [b'{"looks": "like json"}\n',
                                                             b"epoch=1\n"]
        self.assertEqual(list(self.backend.get_job_logs(name)), [], "no node-0 pod yet")
        lines = list(self.backend.get_job_logs(name, step="node-1"))
        self.assertEqual(lines, ['{"looks": "like json"}', "epoch=1"])
        self.assertEqual(self.core.log_calls[-1], {"name": pod["metadata"]["name"],
                                                   "container": "node", "follow": False,
                                                   "preload": False})

    def test_pending_pod_has_no_logs_without_follow(self):
        name = self.submit()
        self.core.pods.append(lib.node_pod(name, 0, "Pending"))
        self.assertEqual(list(self.backend.get_job_logs(name)), [])
        self.assertEqual(self.core.log_calls, [])

    def test_follow_waits_for_the_pod_then_streams_lines_across_chunks(self):
        name = self.submit()
        pod = lib.node_pod(name, 0, "Pending")
        self.core.logs[(pod["metadata"]["name"], "node")] = [b"ep", b"och=0\nepoch=", b"1\n",
                                                             b"tail"]

        def progress(n):
            if n == 1:
                self.core.pods.append(pod)
            if n == 2:
                self.core.pods[0]["status"]["phase"] = "Running"
        clock = FakeClock(self.backend, progress)
        lines = list(self.backend.get_job_logs(name, follow=True))
        self.assertEqual(lines, ["epoch=0", "epoch=1", "tail"])
        self.assertEqual(clock.sleeps, [0.1, 0.2])
        self.assertTrue(self.core.log_calls[-1]["follow"])

    def test_follow_gives_up_when_the_job_ended_without_the_step(self):
        name = self.submit()
        self.set_conditions(name, {"type": "Failed", "status": "True"})
        FakeClock(self.backend)
        self.assertEqual(list(self.backend.get_job_logs(name, step="node-3", follow=True)), [])

    def test_events(self):
        name = self.submit()
        self.core.pods.append(lib.node_pod(name, 0))
        pod_name = self.core.pods[0]["metadata"]["name"]

        def event(kind, obj, reason, when):
            return {"involvedObject": {"kind": kind, "name": obj}, "reason": reason,
                    "message": reason.lower(), "lastTimestamp": when}
        self.core.events = [
            event("Pod", pod_name, "Started", "2026-01-01T00:00:03Z"),
            event("JobSet", name, "Created", "2026-01-01T00:00:01Z"),
            event("Job", f"{name}-node-0", "SuccessfulCreate", "2026-01-01T00:00:02Z"),
            event("Pod", f"{name}-node-0-1-zzzzz", "Killing", "2026-01-01T00:00:04Z"),
            event("Pod", "unrelated", "Started", "2026-01-01T00:00:00Z"),
            event("TrainJob", "other", "Created", "2026-01-01T00:00:00Z"),
            event("Job", f"{name}x-node-0", "SuccessfulCreate", "2026-01-01T00:00:00Z"),
        ]
        events = self.backend.get_job_events(name)
        self.assertEqual([e.reason for e in events],
                         ["Created", "SuccessfulCreate", "Started", "Killing"])


if __name__ == "__main__":
    unittest.main()

"""Reading API objects: runtimes into Runtime, pods into Steps, and the SDK status mapping
(Complete/Failed from conditions, Running when every node pod runs or succeeded, else
Created)."""
import datetime
import unittest

import trainer_testlib as lib
from skiff.trainer import TrainerType
from skiff.trainer.status import (event_from_object, runtime_from_object, steps_from_pods,
                                  trainjob_from_object, trainjob_status)


def condition(type_, status="True", reason="R", message="M"):
    return {"type": type_, "status": status, "reason": reason, "message": message}


class RuntimeTest(unittest.TestCase):
    def test_builtin_torch_runtime(self):
        rt = runtime_from_object(lib.torch_runtime())
        self.assertEqual(rt.name, "torch-distributed")
        self.assertEqual(rt.kind, "ClusterTrainingRuntime")
        self.assertEqual(rt.trainer.trainer_type, TrainerType.CUSTOM_TRAINER)
        self.assertEqual(rt.trainer.framework, "torch")
        self.assertEqual(rt.trainer.image, "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime")
        self.assertEqual(rt.trainer.num_nodes, 1)
        self.assertEqual(rt.trainer.command, ("torchrun",))
        self.assertEqual((rt.trainer.device, rt.trainer.device_count), ("Unknown", "Unknown"))

    def test_node_job_found_without_ancestor_label(self):
        rt = runtime_from_object(lib.torch_runtime(ancestor_label=False))
        self.assertEqual(rt.trainer.image, "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime")

    def test_devices_multiply_by_nodes(self):
        rt = runtime_from_object(lib.torch_runtime(limits={"nvidia.com/gpu": 2}, num_nodes=3))
        self.assertEqual((rt.trainer.device, rt.trainer.device_count), ("gpu", "6"))
        self.assertEqual(rt.trainer.num_nodes, 3)
        rt = runtime_from_object(lib.torch_runtime(limits={"cpu": "4"}))
        self.assertEqual((rt.trainer.device, rt.trainer.device_count), ("cpu", "4"))

    def test_policies_pick_the_entrypoint(self):
        plain = runtime_from_object(lib.torch_runtime(framework="xgboost",
                                                      policy={"numNodes": 1}))
        self.assertEqual(plain.trainer.command, ("python",))
        mpi = runtime_from_object(lib.torch_runtime(
            framework="deepspeed", policy={"mpi": {"numProcPerNode": 4}}))
        self.assertEqual(mpi.trainer.command[0], "mpirun")
        self.assertEqual(mpi.trainer.device_count, "4")
        tune = runtime_from_object(lib.torch_runtime(framework="torchtune"))
        self.assertEqual(tune.trainer.trainer_type, TrainerType.BUILTIN_TRAINER)
        self.assertEqual(tune.trainer.command, ("tune", "run"))

    def test_invalid_runtimes(self):
        obj = lib.torch_runtime()
        del obj["metadata"]["labels"]
        with self.assertRaisesRegex(ValueError, "framework"):
            runtime_from_object(obj)
        obj = lib.torch_runtime()
        obj["spec"]["template"]["spec"]["replicatedJobs"] = []
        with self.assertRaisesRegex(ValueError, "trainer container"):
            runtime_from_object(obj)


class StepsTest(unittest.TestCase):
    def test_node_steps_sorted_and_foreign_pods_ignored(self):
        pods = [lib.node_pod("job", 1, "Pending"), lib.node_pod("job", 0, "Running"),
                lib.node_pod("other", 0, "Running"),
                lib.node_pod("job", 0, "Succeeded", rjob="dataset-initializer")]
        steps = steps_from_pods(pods, "job")
        self.assertEqual([(s.name, s.status) for s in steps], [
            ("dataset-initializer", "Succeeded"), ("node-0", "Running"), ("node-1", "Pending")])
        self.assertEqual(steps[1].pod_name, "job-node-0-0-abcde")

    def test_devices_and_nproc(self):
        pod = lib.node_pod("job", 0, limits={"nvidia.com/gpu": 2},
                           env=[{"name": "PET_NPROC_PER_NODE", "value": "4"}])
        step = steps_from_pods([pod], "job")[0]
        self.assertEqual((step.device, step.device_count), ("gpu", "4"))
        pod = lib.node_pod("job", 0, limits={"cpu": "2"},
                           env=[{"name": "PET_NPROC_PER_NODE", "value": "auto"}])
        step = steps_from_pods([pod], "job")[0]
        self.assertEqual((step.device, step.device_count), ("cpu", "2"))

    def test_mpi_launcher_is_node_0(self):
        pods = [lib.node_pod("job", 0, rjob="launcher"), lib.node_pod("job", 0)]
        self.assertEqual([s.name for s in steps_from_pods(pods, "job", mpi=True)],
                         ["node-0", "node-1"])


class StatusMappingTest(unittest.TestCase):
    def status(self, conditions, phases, num_nodes=2):
        job = {"status": {"conditions": conditions}} if conditions is not None else {}
        pods = [lib.node_pod("job", i, phase) for i, phase in enumerate(phases)]
        return trainjob_status(job, steps_from_pods(pods, "job"), num_nodes)

    def test_table(self):
        cases = [
            (None, [], "Created"),
            (None, ["Running"], "Created"),
            (None, ["Running", "Pending"], "Created"),
            (None, ["Running", "Running"], "Running"),
            (None, ["Succeeded", "Running"], "Running"),
            (None, ["Succeeded", "Failed"], "Created"),
            ([condition("Suspended", "False", "Resumed")], ["Running", "Running"], "Running"),
            ([condition("Suspended")], [], "Created"),
            ([condition("Complete")], ["Succeeded", "Succeeded"], "Complete"),
            ([condition("Complete")], [], "Complete"),
            ([condition("Failed")], ["Failed", "Running"], "Failed"),
            ([condition("Complete", "False")], ["Running", "Running"], "Running"),
            ([condition("Failed", "False")], [], "Created"),
        ]
        for conditions, phases, want in cases:
            self.assertEqual(self.status(conditions, phases), want, (conditions, phases))

    def test_trainjob_view(self):
        runtime = runtime_from_object(lib.torch_runtime())
        obj = {"metadata": {"name": "job", "creationTimestamp": "2026-01-02T03:04:05Z"},
               "spec": {"runtimeRef": {"name": "torch-distributed"}, "trainer": {"numNodes": 2}},
               "status": {"conditions": [condition("Complete")]}}
        job = trainjob_from_object(obj, runtime, [lib.node_pod("job", 0, "Succeeded")])
        self.assertEqual(job.num_nodes, 2)
        self.assertEqual(job.status, "Complete")
        self.assertEqual(job.creation_timestamp,
                         datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc))
        self.assertEqual([s.name for s in job.steps], ["node-0"])
        obj["spec"]["trainer"] = {}
        self.assertEqual(trainjob_from_object(obj, runtime, []).num_nodes, 1)

    def test_event_view(self):
        ev = event_from_object({"involvedObject": {"kind": "Pod", "name": "p"},
                                "reason": "Started", "message": "Started container node",
                                "lastTimestamp": "2026-01-02T03:04:05Z"})
        self.assertEqual((ev.involved_object_kind, ev.involved_object_name, ev.reason),
                         ("Pod", "p", "Started"))
        self.assertEqual(ev.event_time.year, 2026)


if __name__ == "__main__":
    unittest.main()

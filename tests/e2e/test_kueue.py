"""Kueue end to end on a real `skiff up --simulate-gpus 8`: the seed's kueue.yaml with three
copies of the seed TrainJob, gang admission, cohort borrowing and reclaim, priority preemption,
fair sharing, and bad input; plus the deep-queue case (500 workloads, room for 100) on a
control plane without a node, measured."""
import json
import os
import shutil
import tempfile
import time
import unittest

from skiff_testlib import SEED, Skiff, wait_for

V = "kueue.x-k8s.io/v1beta2"


def flavor(name, labels=None):
    return {"apiVersion": V, "kind": "ResourceFlavor", "metadata": {"name": name},
            "spec": {"nodeLabels": labels} if labels else {}}


def cluster_queue(name, gpus, cohort=None, flavor_name="default-flavor", preemption=None,
                  borrowing_limit=None, extra=None):
    res = {"name": "nvidia.com/gpu", "nominalQuota": gpus}
    if borrowing_limit is not None:
        res["borrowingLimit"] = borrowing_limit
    spec = {"namespaceSelector": {},
            "resourceGroups": [{"coveredResources": ["nvidia.com/gpu"],
                                "flavors": [{"name": flavor_name, "resources": [res]}]}]}
    if cohort:
        spec["cohortName"] = cohort
    if preemption:
        spec["preemption"] = preemption
    spec.update(extra or {})
    return {"apiVersion": V, "kind": "ClusterQueue", "metadata": {"name": name}, "spec": spec}


def local_queue(name, cq, ns="default"):
    return {"apiVersion": V, "kind": "LocalQueue", "metadata": {"name": name, "namespace": ns},
            "spec": {"clusterQueue": cq}}


def gpu_job(name, queue, gpus, release_dir, pods=1, priority_class=None):
    """A Job whose pods hold `gpus` GPUs each until the test creates <release_dir>/<name>."""
    labels = {"kueue.x-k8s.io/queue-name": queue}
    if priority_class:
        labels["kueue.x-k8s.io/priority-class"] = priority_class
    script = f"while [ ! -e {release_dir}/{name} ]; do sleep 0.1; done"
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "labels": labels},
            "spec": {"parallelism": pods, "completions": pods,
                     "template": {"spec": {
                         "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                         "containers": [{"name": "c", "image": "busybox",
                                         "command": ["/bin/sh", "-c", script],
                                         "resources": {"limits": {"nvidia.com/gpu": gpus}}}]}}}}


class KueueTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skiff(args=["--simulate-gpus", "8"]).start()
        cls.release = tempfile.mkdtemp(prefix="skiff-kueue-release-")

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()
        shutil.rmtree(cls.release, ignore_errors=True)

    def tearDown(self):
        # Each test owns the queues it makes: release and delete its jobs and queues.
        self.s.kubectl("delete", "jobs,trainjobs.trainer.kubeflow.org", "--all", "-A",
                       "--wait=false", check=False)
        wait_for(lambda: not self.s.kubectl("get", "pods", "-A", "-o", "name",
                                            check=False).stdout.strip(),
                 timeout=90, interval=0.2, what="pods of the previous test to be gone")
        self.s.kubectl("delete", "workloads.kueue.x-k8s.io", "--all", "-A", "--wait=false",
                       check=False)
        self.s.kubectl("delete", "localqueues.kueue.x-k8s.io", "--all", "-A", check=False)
        self.s.kubectl("delete", "clusterqueues.kueue.x-k8s.io,resourceflavors.kueue.x-k8s.io,"
                       "cohorts.kueue.x-k8s.io,workloadpriorityclasses.kueue.x-k8s.io", "--all",
                       check=False)

    # helpers
    def apply(self, *objs, ns=None):
        args = ["apply", "-f", "-"] + (["-n", ns] if ns else [])
        self.s.kubectl(*args, input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                 "items": list(objs)}))

    def get(self, kind, name, ns=None):
        args = ["get", kind, name, "-o", "json"] + (["-n", ns] if ns else [])
        r = self.s.kubectl(*args, check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def workloads(self, ns="default"):
        out = self.s.kubectl("get", "workloads.kueue.x-k8s.io", "-n", ns, "-o", "json").stdout
        return json.loads(out)["items"]

    def workload_of(self, job_name, ns="default"):
        for w in self.workloads(ns):
            for o in w["metadata"].get("ownerReferences", []):
                if o["name"] == job_name:
                    return w
        return None

    @staticmethod
    def cond(obj, type_):
        for c in (obj or {}).get("status", {}).get("conditions", []):
            if c["type"] == type_:
                return c
        return None

    def admitted(self, job_name, ns="default"):
        c = self.cond(self.workload_of(job_name, ns), "Admitted")
        return bool(c and c["status"] == "True")

    def running_pods(self, job_name, ns="default"):
        out = self.s.kubectl("get", "pods", "-n", ns, "-l", f"job-name={job_name}", "-o",
                             "json").stdout
        return [p for p in json.loads(out)["items"] if p["status"].get("phase") == "Running"]

    def pods_of(self, job_name, ns="default"):
        out = self.s.kubectl("get", "pods", "-n", ns, "-l", f"job-name={job_name}", "-o",
                             "name").stdout
        return out.split()

    def finish(self, name):
        open(os.path.join(self.release, name), "w").close()

    # tests
    def test_seed_three_trainjobs_two_run_third_waits_then_runs(self):
        self.s.kubectl("create", "namespace", "ml-prod", check=False)
        self.s.kubectl("apply", "-f", os.path.join(SEED, "kueue.yaml"))
        with open(os.path.join(SEED, "trainjob.yaml")) as f:
            seed = f.read()
        for n in ("a", "b", "c"):
            self.s.kubectl("apply", "-f", "-",
                           input=seed.replace("name: fraud-model-train", f"name: train-{n}"))
        wait_for(lambda: sum(self.admitted(f"train-{n}", "ml-prod") for n in "abc") == 2,
                 timeout=30, what="two of three TrainJobs admitted")
        waiting = [n for n in "abc" if not self.admitted(f"train-{n}", "ml-prod")]
        self.assertEqual(len(waiting), 1)
        pending = self.workload_of(f"train-{waiting[0]}", "ml-prod")
        qr = self.cond(pending, "QuotaReserved")
        self.assertEqual(qr["status"], "False")
        self.assertIn("insufficient unused quota for nvidia.com/gpu in flavor gpu-flavor, "
                      "4 more needed", qr["message"])
        tj = self.get("trainjob", f"train-{waiting[0]}", "ml-prod")
        self.assertTrue(tj["spec"]["suspend"])
        self.assertFalse(self.s.kubectl(
            "get", "pods", "-n", "ml-prod", "-l",
            f"jobset.sigs.k8s.io/jobset-name=train-{waiting[0]}", "-o", "name").stdout.strip())
        wait_for(lambda: self.get("clusterqueue", "gpu-cluster-queue")["status"]
                 .get("admittedWorkloads") == 2, timeout=10, what="CQ status counts")
        cq = self.get("clusterqueue", "gpu-cluster-queue")
        self.assertEqual(cq["status"]["pendingWorkloads"], 1)
        # What a user looks at: `skiff queue status` and the Prometheus metrics.
        out = self.s.skiff("queue", "status").stdout
        print("\n" + out, flush=True)
        self.assertRegex(out, r"gpu-cluster-queue\s+-\s+True\s+1\s+2\s+gpu-flavor\s+"
                              r"nvidia.com/gpu\s+8\s+0\s+8")
        self.assertRegex(out, r"gpu-cluster-queue\s+1\s+ml-prod/trainjob-train-"
                              + waiting[0] + r"-\w+\s+ml-prod/gpu-queue\s+0\s+\w+\s+"
                              r"couldn't assign flavors")
        status, text, _ = self.s.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn('kueue_admitted_workloads_total{cluster_queue="gpu-cluster-queue"} 2', text)
        self.assertIn('kueue_pending_workloads{cluster_queue="gpu-cluster-queue",status="active"} 1',
                      text)
        self.assertIn('kueue_cluster_queue_resource_usage{cohort="",cluster_queue='
                      '"gpu-cluster-queue",flavor="gpu-flavor",resource="nvidia.com/gpu"} 8', text)
        self.assertIn("kueue_admission_wait_time_seconds_count", text)
        # Nobody touches anything: when one finishes, the third is admitted and completes.
        wait_for(lambda: self.admitted(f"train-{waiting[0]}", "ml-prod"), timeout=240,
                 interval=0.5, what="the third TrainJob admitted after one finished")
        wait_for(lambda: self.cond(self.get("trainjob", f"train-{waiting[0]}", "ml-prod"),
                                   "Complete"), timeout=240, interval=0.5,
                 what="the third TrainJob complete")
        self.s.kubectl("delete", "trainjobs.trainer.kubeflow.org", "--all", "-n", "ml-prod",
                       "--wait=false")

    def test_gang_is_not_partially_started(self):
        self.apply(flavor("default-flavor"), cluster_queue("cq", 8), local_queue("lq", "cq"))
        self.apply(gpu_job("holder", "lq", 4, self.release))
        wait_for(lambda: self.running_pods("holder"), timeout=30, what="holder running")
        gang = {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
                "metadata": {"name": "gang", "labels": {"kueue.x-k8s.io/queue-name": "lq"}},
                "spec": {"runtimeRef": {"name": "torch-distributed"},
                         "trainer": {"numNodes": 2, "command": ["true"],
                                     "resourcesPerNode": {"limits": {"nvidia.com/gpu": 3}}}}}
        self.apply(gang)
        wait_for(lambda: self.cond(self.workload_of("gang"), "QuotaReserved"), timeout=30,
                 what="the gang's workload evaluated")
        self.assertFalse(self.admitted("gang"))
        self.assertIn("2 more needed", self.cond(self.workload_of("gang"),
                                                 "QuotaReserved")["message"])
        self.assertFalse(self.s.kubectl("get", "pods", "-l",
                                        "jobset.sigs.k8s.io/jobset-name=gang", "-o",
                                        "name").stdout.strip())
        self.finish("holder")
        wait_for(lambda: self.admitted("gang"), timeout=60, what="the gang admitted")
        wait_for(lambda: self.cond(self.get("trainjob", "gang"), "Complete"), timeout=60,
                 what="the gang complete")

    def test_cohort_borrowing_then_reclaim(self):
        self.apply(flavor("default-flavor"),
                   cluster_queue("team-a", 4, cohort="research"),
                   cluster_queue("team-b", 4, cohort="research",
                                 preemption={"reclaimWithinCohort": "Any"}),
                   local_queue("a", "team-a"), local_queue("b", "team-b"))
        self.apply(gpu_job("borrower", "a", 8, self.release))
        wait_for(lambda: self.running_pods("borrower"), timeout=30,
                 what="team-a's job running on borrowed quota")
        cq = self.get("clusterqueue", "team-a")
        usage = cq["status"]["flavorsUsage"][0]["resources"][0]
        self.assertEqual((usage["total"], usage["borrowed"]), ("8", "4"))
        self.apply(gpu_job("owner", "b", 4, self.release))
        wait_for(lambda: self.running_pods("owner"), timeout=60,
                 what="team-b's job running after reclaim")
        victim = self.workload_of("borrower")
        self.assertEqual(self.cond(victim, "Preempted")["reason"], "InCohortReclamation")
        self.assertTrue(self.get("job", "borrower")["spec"]["suspend"])
        self.assertFalse(self.pods_of("borrower"))
        self.assertEqual(self.cond(victim, "QuotaReserved")["status"], "False")

    def test_priority_preemption_within_cluster_queue(self):
        self.apply(flavor("default-flavor"),
                   cluster_queue("cq", 8, preemption={"withinClusterQueue": "LowerPriority"}),
                   local_queue("lq", "cq"),
                   {"apiVersion": V, "kind": "WorkloadPriorityClass",
                    "metadata": {"name": "high"}, "value": 1000},
                   {"apiVersion": V, "kind": "WorkloadPriorityClass",
                    "metadata": {"name": "low"}, "value": 10})
        self.apply(gpu_job("batch-low", "lq", 8, self.release, priority_class="low"))
        wait_for(lambda: self.running_pods("batch-low"), timeout=30, what="low running")
        self.apply(gpu_job("urgent", "lq", 4, self.release, priority_class="high"))
        wait_for(lambda: self.running_pods("urgent"), timeout=60, what="high running")
        low = self.workload_of("batch-low")
        self.assertEqual(self.cond(low, "Preempted")["reason"], "InClusterQueue")
        self.assertEqual(self.workload_of("urgent")["spec"]["priority"], 1000)

    def test_stop_policy_hold_and_drain_evicts(self):
        self.apply(flavor("default-flavor"), cluster_queue("cq", 8), local_queue("lq", "cq"))
        self.apply(gpu_job("running", "lq", 2, self.release))
        wait_for(lambda: self.running_pods("running"), timeout=30, what="job running")
        self.s.kubectl("patch", "clusterqueue", "cq", "--type=merge", "-p",
                       '{"spec":{"stopPolicy":"HoldAndDrain"}}')
        wait_for(lambda: (self.cond(self.workload_of("running"), "Evicted") or {})
                 .get("reason") == "ClusterQueueStopped", timeout=30, what="drained")
        wait_for(lambda: self.get("job", "running")["spec"].get("suspend") is True, timeout=30,
                 what="the job suspended")
        self.apply(gpu_job("held", "lq", 1, self.release))
        wait_for(lambda: self.cond(self.workload_of("held"), "QuotaReserved"), timeout=30,
                 what="the new workload evaluated")
        self.assertFalse(self.admitted("held"))
        active = self.cond(self.get("clusterqueue", "cq"), "Active")
        self.assertEqual((active["status"], active["reason"]), ("False", "Stopped"))

    def test_bad_input(self):
        self.apply(cluster_queue("no-flavor", 4, flavor_name="missing-flavor"),
                   local_queue("to-nowhere", "no-such-cq"))
        wait_for(lambda: (self.cond(self.get("clusterqueue", "no-flavor"), "Active") or {})
                 .get("reason") == "FlavorNotFound", timeout=30, what="CQ FlavorNotFound")
        self.assertEqual(self.cond(self.get("clusterqueue", "no-flavor"), "Active")["status"],
                         "False")
        wait_for(lambda: (self.cond(self.get("localqueue", "to-nowhere"), "Active") or {})
                 .get("status") == "False", timeout=30, what="LQ inactive")
        self.apply(flavor("default-flavor"), cluster_queue("small", 2), local_queue("lq", "small"))
        self.apply(gpu_job("too-big", "lq", 4, self.release),
                   gpu_job("lost", "no-such-queue", 1, self.release))
        wait_for(lambda: self.cond(self.workload_of("too-big"), "QuotaReserved"), timeout=30,
                 what="the oversized workload evaluated")
        msg = self.cond(self.workload_of("too-big"), "QuotaReserved")["message"]
        self.assertIn("nvidia.com/gpu", msg)
        wait_for(lambda: self.cond(self.workload_of("lost"), "QuotaReserved"), timeout=30,
                 what="the lost workload evaluated")
        self.assertIn("LocalQueue no-such-queue doesn't exist",
                      self.cond(self.workload_of("lost"), "QuotaReserved")["message"])
        for job in ("too-big", "lost"):
            self.assertTrue(self.get("job", job)["spec"]["suspend"])
            self.assertFalse(self.pods_of(job))
        # A job without the label is not touched.
        plain = gpu_job("plain", "x", 1, self.release)
        del plain["metadata"]["labels"]
        self.apply(plain)
        self.assertFalse(self.get("job", "plain")["spec"].get("suspend", False))
        self.assertIsNone(self.workload_of("plain"))


class DeepQueueTest(unittest.TestCase):
    """500 workloads, room for 100: upstream admits one head per ClusterQueue per cycle
    (kueue#14477); Skiff admits everything that fits as soon as there is room."""

    def test_500_workloads_admitted_as_room_appears(self):
        s = Skiff(args=["--no-node"]).start()
        self.addCleanup(s.cleanup)
        q = {"apiVersion": "v1", "kind": "List", "items": [
            flavor("default-flavor"), cluster_queue("deep", 100), local_queue("lq", "deep")]}
        s.kubectl("apply", "-f", "-", input=json.dumps(q))
        jobs = []
        for i in range(500):
            j = gpu_job(f"w{i:03d}", "lq", 1, "/nonexistent")
            jobs.append(j)
        t0 = time.time()
        s.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                        "items": jobs}), timeout=300)
        t_applied = time.time()

        def admitted_names():
            out = s.kubectl("get", "workloads.kueue.x-k8s.io", "-o", "json").stdout
            names = []
            for w in json.loads(out)["items"]:
                for c in w.get("status", {}).get("conditions", []):
                    if c["type"] == "Admitted" and c["status"] == "True":
                        names.append(w["metadata"]["ownerReferences"][0]["name"])
            return names
        wait_for(lambda: len(admitted_names()) == 100, timeout=120, interval=0.2,
                 what="100 admitted")
        t_first = time.time()
        first = sorted(admitted_names())
        self.assertEqual(first, [f"w{i:03d}" for i in range(100)])  # FIFO order kept
        cq = json.loads(s.kubectl("get", "clusterqueue", "deep", "-o", "json").stdout)
        wait_for(lambda: json.loads(s.kubectl("get", "clusterqueue", "deep", "-o", "json")
                                    .stdout)["status"].get("pendingWorkloads") == 400,
                 timeout=60, what="400 pending")
        # Room for 100 more: they are admitted as the room appears, not one per cycle.
        t1 = time.time()
        s.kubectl("delete", "jobs", *first, "--wait=false", timeout=120)
        t_deleted = time.time()
        wait_for(lambda: len(admitted_names()) == 100 and "w000" not in admitted_names(),
                 timeout=120, interval=0.2, what="the next 100 admitted")
        t_second = time.time()
        print(f"\ndeep queue: applied 500 Jobs in {t_applied - t0:.1f}s; first 100 admitted "
              f"{t_first - t_applied:.2f}s after the apply returned; deleting the first 100 took "
              f"{t_deleted - t1:.1f}s and the next 100 were admitted "
              f"{t_second - t_deleted:.2f}s after that (upstream at 9.6 admissions/min would "
              f"need ~10 min per 100)", flush=True)
        # FIFO at the API's one-second creationTimestamp resolution (ties go by UID, as
        # upstream): no pending workload is older than an admitted one.
        out = json.loads(s.kubectl("get", "workloads.kueue.x-k8s.io", "-o", "json").stdout)
        admitted_ts, pending_ts = [], []
        for w in out["items"]:
            ok = any(c["type"] == "Admitted" and c["status"] == "True"
                     for c in w.get("status", {}).get("conditions", []))
            (admitted_ts if ok else pending_ts).append(w["metadata"]["creationTimestamp"])
        self.assertEqual(len(admitted_ts), 100)
        self.assertEqual(len(pending_ts), 300)
        self.assertLessEqual(max(admitted_ts), min(pending_ts))


class ConfiguredKueueTest(unittest.TestCase):
    """Kueue Configuration (skiff up --kueue-config): fair sharing and waitForPodsReady."""

    def start(self, config):
        path = os.path.join(tempfile.mkdtemp(prefix="skiff-kcfg-"), "config.yaml")
        with open(path, "w") as f:
            f.write(config)
        s = Skiff(args=["--simulate-gpus", "8", "--kueue-config", path]).start()
        self.addCleanup(s.cleanup)
        self.release = tempfile.mkdtemp(prefix="skiff-kueue-release-")
        self.addCleanup(shutil.rmtree, self.release, True)
        return s

    def apply(self, s, *objs):
        s.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                        "items": list(objs)}))

    def usage(self, s, cq):
        obj = json.loads(s.kubectl("get", "clusterqueue", cq, "-o", "json").stdout)
        for f in obj.get("status", {}).get("flavorsUsage", []):
            for r in f["resources"]:
                if r["name"] == "nvidia.com/gpu":
                    return int(r["total"])
        return 0

    def test_fair_sharing_converges_to_even_split(self):
        s = self.start("apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\n"
                       "fairSharing:\n  preemptionStrategies: [LessThanOrEqualToFinalShare, "
                       "LessThanInitialShare]\n")
        cohort = {"apiVersion": V, "kind": "Cohort", "metadata": {"name": "shared"},
                  "spec": {"resourceGroups": [{"coveredResources": ["nvidia.com/gpu"],
                                               "flavors": [{"name": "default-flavor",
                                                            "resources": [{
                                                                "name": "nvidia.com/gpu",
                                                                "nominalQuota": 8}]}]}]}}
        self.apply(s, flavor("default-flavor"), cohort,
                   cluster_queue("team-a", 0, cohort="shared"),
                   cluster_queue("team-b", 0, cohort="shared"),
                   local_queue("a", "team-a"), local_queue("b", "team-b"))
        self.apply(s, *[gpu_job(f"a{i:02d}", "a", 1, self.release) for i in range(12)])
        wait_for(lambda: self.usage(s, "team-a") == 8, timeout=60, what="team-a using all 8")
        self.apply(s, *[gpu_job(f"b{i:02d}", "b", 1, self.release) for i in range(8)])
        history = []
        # Release team-a's jobs one at a time; every freed GPU goes to the queue with the
        # lower dominant resource share.
        for i in range(6):
            before = self.usage(s, "team-a") + self.usage(s, "team-b")
            open(os.path.join(self.release, f"a{i:02d}"), "w").close()
            wait_for(lambda: self.usage(s, "team-a") + self.usage(s, "team-b") == before and
                     json.loads(s.kubectl("get", "job", f"a{i:02d}", "-o", "json").stdout)
                     .get("status", {}).get("succeeded") == 1,
                     timeout=60, interval=0.2, what=f"a{i:02d} finished and its GPU reused")
            history.append((self.usage(s, "team-a"), self.usage(s, "team-b")))
        print(f"\nfair sharing (team-a, team-b) GPUs after each release: {history}", flush=True)
        self.assertEqual(history[-1], (4, 4))
        self.assertEqual(history[3], (4, 4))  # even after four releases, and stays even

    def test_wait_for_pods_ready_evicts_and_requeues_with_backoff(self):
        s = self.start("apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\n"
                       "waitForPodsReady:\n  timeout: 3s\n  requeuingStrategy:\n"
                       "    backoffBaseSeconds: 2\n    backoffMaxSeconds: 60\n")
        self.apply(s, flavor("default-flavor"), cluster_queue("cq", 8), local_queue("lq", "cq"))
        job = gpu_job("never-ready", "lq", 1, self.release)
        job["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
            "exec": {"command": ["/bin/false"]}, "periodSeconds": 1}
        self.apply(s, job)

        def wl():
            out = json.loads(s.kubectl("get", "workloads.kueue.x-k8s.io", "-o", "json").stdout)
            return out["items"][0] if out["items"] else None

        def cond(w, t):
            for c in (w or {}).get("status", {}).get("conditions", []):
                if c["type"] == t:
                    return c
            return None
        wait_for(lambda: (cond(wl(), "Evicted") or {}).get("reason") == "PodsReadyTimeout",
                 timeout=60, interval=0.2, what="eviction by PodsReadyTimeout")
        wait_for(lambda: wl().get("status", {}).get("requeueState", {}).get("count") == 1,
                 timeout=30, what="requeueState.count 1")
        state = wl()["status"]["requeueState"]
        self.assertIn("requeueAt", state)
        wait_for(lambda: json.loads(s.kubectl("get", "job", "never-ready", "-o", "json").stdout)
                 ["spec"].get("suspend") is True, timeout=30, what="the job suspended")
        # After the 2 s backoff it is admitted again, times out again: count 2.
        wait_for(lambda: wl().get("status", {}).get("requeueState", {}).get("count") == 2,
                 timeout=60, interval=0.2, what="a second admission and eviction")


if __name__ == "__main__":
    unittest.main()


def group_pod(name, group, total, queue, gpus, release_dir):
    """A plain pod of pod group `group` (or a single pod when group is None) holding `gpus`
    GPUs until the test creates <release_dir>/<name>."""
    labels = {"kueue.x-k8s.io/queue-name": queue}
    annotations = {}
    if group:
        labels["kueue.x-k8s.io/pod-group-name"] = group
        annotations["kueue.x-k8s.io/pod-group-total-count"] = str(total)
    script = f"while [ ! -e {release_dir}/{name} ]; do sleep 0.1; done"
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels, "annotations": annotations},
            "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "c", "image": "busybox",
                                     "command": ["/bin/sh", "-c", script],
                                     "resources": {"limits": {"nvidia.com/gpu": gpus}}}]}}


class PodGroupTest(unittest.TestCase):
    """Plain pods under Kueue: gated by the webhook, one Workload per single pod or per complete
    group (gang), ungated with the flavor's nodeSelector on admission."""

    @classmethod
    def setUpClass(cls):
        cls.s = Skiff(args=["--simulate-gpus", "8"]).start()
        cls.release = tempfile.mkdtemp(prefix="skiff-kueue-pods-")

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()
        shutil.rmtree(cls.release, ignore_errors=True)

    def setUp(self):
        # The flavor's label is one every node has, so that admission's nodeSelector is visible
        # on the pods yet still schedulable.
        self.apply(flavor("default-flavor", {"kubernetes.io/os": "linux"}),
                   cluster_queue("cq", 4), local_queue("lq", "cq"))

    def tearDown(self):
        for name in os.listdir(self.release):
            os.remove(os.path.join(self.release, name))
        self.s.kubectl("delete", "pods", "--all", "-A", "--wait=false", "--grace-period=1",
                       check=False)
        wait_for(lambda: not self.s.kubectl("get", "pods", "-A", "-o", "name",
                                            check=False).stdout.strip(),
                 timeout=90, interval=0.2, what="pods of the previous test to be gone")
        self.s.kubectl("delete", "workloads.kueue.x-k8s.io", "--all", "-A", "--wait=false",
                       check=False)
        self.s.kubectl("delete", "localqueues.kueue.x-k8s.io", "--all", "-A", check=False)
        self.s.kubectl("delete", "clusterqueues.kueue.x-k8s.io,resourceflavors.kueue.x-k8s.io",
                       "--all", check=False)

    def apply(self, *objs):
        self.s.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": list(objs)}))

    def pod(self, name):
        r = self.s.kubectl("get", "pod", name, "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def workload(self, name):
        r = self.s.kubectl("get", "workloads.kueue.x-k8s.io", name, "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def running(self, *names):
        return all((self.pod(n) or {}).get("status", {}).get("phase") == "Running"
                   for n in names)

    cond = staticmethod(KueueTest.cond)

    def release_pods(self, *names):
        for n in names:
            open(os.path.join(self.release, n), "w").close()

    def test_group_is_gang_admitted_and_second_group_waits_gated(self):
        self.apply(group_pod("g1-a", "g1", 2, "lq", 2, self.release))
        # One of two pods: no Workload yet, the pod stays gated.
        wait_for(lambda: self.cond(self.pod("g1-a"), "PodScheduled"), timeout=30,
                 what="the first pod evaluated by the scheduler")
        p = self.pod("g1-a")
        self.assertEqual(p["spec"]["schedulingGates"], [{"name": "kueue.x-k8s.io/admission"}])
        self.assertEqual(p["metadata"]["labels"]["kueue.x-k8s.io/managed"], "true")
        self.assertEqual(self.cond(p, "PodScheduled")["reason"], "SchedulingGated")
        self.assertIsNone(self.workload("g1"))

        self.apply(group_pod("g1-b", "g1", 2, "lq", 2, self.release))
        wait_for(lambda: self.running("g1-a", "g1-b"), timeout=60, what="group g1 running")
        wl = self.workload("g1")
        self.assertEqual(self.cond(wl, "Admitted")["status"], "True")
        self.assertEqual([ps["count"] for ps in wl["spec"]["podSets"]], [2])
        self.assertEqual(sorted(o["name"] for o in wl["metadata"]["ownerReferences"]),
                         ["g1-a", "g1-b"])
        p = self.pod("g1-a")
        self.assertNotIn("schedulingGates", p["spec"])
        self.assertEqual(p["spec"]["nodeSelector"], {"kubernetes.io/os": "linux"})

        self.apply(group_pod("g2-a", "g2", 2, "lq", 2, self.release),
                   group_pod("g2-b", "g2", 2, "lq", 2, self.release))
        wait_for(lambda: self.cond(self.workload("g2"), "QuotaReserved"), timeout=30,
                 what="group g2's workload evaluated")
        wl2 = self.workload("g2")
        self.assertEqual(self.cond(wl2, "QuotaReserved")["status"], "False")
        self.assertIn("insufficient unused quota for nvidia.com/gpu in flavor default-flavor",
                      self.cond(wl2, "QuotaReserved")["message"])
        for n in ("g2-a", "g2-b"):
            wait_for(lambda: self.cond(self.pod(n), "PodScheduled"), timeout=30,
                     what=f"{n} evaluated by the scheduler")
            p = self.pod(n)
            self.assertNotIn("nodeName", p["spec"])
            c = self.cond(p, "PodScheduled")
            self.assertEqual((c["status"], c["reason"], c["message"]),
                             ("False", "SchedulingGated",
                              "Scheduling is blocked due to non-empty scheduling gates"))

        self.release_pods("g1-a", "g1-b")
        wait_for(lambda: (self.cond(self.workload("g1"), "Finished") or {}).get("status")
                 == "True", timeout=60, what="group g1 finished")
        self.assertEqual(self.cond(self.workload("g1"), "Finished")["reason"], "Succeeded")
        wait_for(lambda: self.running("g2-a", "g2-b"), timeout=60, what="group g2 running")
        self.assertEqual(self.cond(self.workload("g2"), "Admitted")["status"], "True")

    def test_single_pod_is_gated_then_runs(self):
        out = self.s.kubectl("create", "-o", "json", "-f", "-", input=json.dumps(
            group_pod("solo", None, 1, "lq", 1, self.release))).stdout
        created = json.loads(out)
        self.assertEqual(created["spec"]["schedulingGates"],
                         [{"name": "kueue.x-k8s.io/admission"}])
        wait_for(lambda: self.running("solo"), timeout=60, what="the single pod running")
        p = self.pod("solo")
        wls = json.loads(self.s.kubectl("get", "workloads.kueue.x-k8s.io", "-o",
                                        "json").stdout)["items"]
        mine = [w for w in wls
                if any(o["uid"] == p["metadata"]["uid"] and o.get("controller")
                       for o in w["metadata"].get("ownerReferences", []))]
        self.assertEqual(len(mine), 1)
        self.assertRegex(mine[0]["metadata"]["name"], r"^pod-solo-[0-9a-f]{5}$")
        self.assertEqual(self.cond(mine[0], "Admitted")["status"], "True")
        self.release_pods("solo")
        wait_for(lambda: (self.cond(self.workload(mine[0]["metadata"]["name"]), "Finished")
                          or {}).get("status") == "True", timeout=60,
                 what="the single pod's workload finished")

"""The controller manager as a separate process (`skiff controllers`) against an API server:
Lease leader election between two copies, fail-over after kill -9, and the scheduler,
ReplicaSet and Deployment controllers driving a rollout. The test plays the kubelet's part
(marking pods Ready through the status subresource) so that the controllers are exercised
alone; tests/e2e/test_workloads.py runs the same flow with the real node agent."""
import json
import os
import signal
import subprocess
import unittest

from skiff_testlib import SKIFF_BIN, Skiff, wait_for

NODE = {"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "fake", "labels": {"kubernetes.io/hostname": "fake"}}}
NODE_STATUS = {"status": {
    "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110", "nvidia.com/gpu": "1"},
    "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110", "nvidia.com/gpu": "1"},
    "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                    "message": "test kubelet", "lastHeartbeatTime": "2026-01-01T00:00:00Z",
                    "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}


class ControllersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skiff(args=["--no-controllers", "--no-node"]).start()
        cls.copies = {}
        for ident in ("copy-a", "copy-b"):
            cls.copies[ident] = cls.start_copy(ident)
        cls.s.kubectl("apply", "-f", "-", input=json.dumps(NODE))
        cls.s.kubectl("patch", "node", "fake", "--subresource=status", "--type=merge",
                      "-p", json.dumps(NODE_STATUS))

    @classmethod
    def start_copy(cls, ident):
        with open(os.path.join(cls.s.data_dir, ident + ".log"), "ab") as log:
            return subprocess.Popen(
                [SKIFF_BIN, "controllers", "--kubeconfig", cls.s.kubeconfig,
                 "--leader-elect-identity", ident, "--leader-elect-lease-duration", "2"],
                stdout=log, stderr=subprocess.STDOUT)

    @classmethod
    def tearDownClass(cls):
        for p in cls.copies.values():
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=15)
        cls.s.cleanup()

    def holder(self):
        r = self.s.kubectl("get", "lease", "-n", "kube-system", "skiff-controller-manager",
                           "-o", "json", check=False)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)["spec"].get("holderIdentity") or None

    def pods(self, selector):
        out = self.s.kubectl("get", "pods", "-l", selector, "-o", "json").stdout
        return json.loads(out)["items"]

    def play_kubelet(self, selector):
        """Marks every bound, not-yet-ready pod Running and Ready, as a kubelet would."""
        for p in self.pods(selector):
            if not p["spec"].get("nodeName") or p["metadata"].get("deletionTimestamp"):
                continue
            conds = {c["type"]: c["status"] for c in p.get("status", {}).get("conditions", [])}
            if conds.get("Ready") == "True":
                continue
            status = {"status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "ContainersReady", "status": "True",
                 "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
            self.s.kubectl("patch", "pod", p["metadata"]["name"], "--subresource=status",
                           "--type=strategic", "-p", json.dumps(status), check=False)

    def test_1_one_leader_acts_and_a_standby_takes_over(self):
        first = wait_for(self.holder, timeout=30, what="a lease holder")
        self.assertIn(first, self.copies)
        dep = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "le", "namespace": "default"},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "le"}},
                        "template": {"metadata": {"labels": {"app": "le"}},
                                     "spec": {"containers": [{"name": "c", "image": "python:3"}]}}}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(dep))
        wait_for(lambda: len(self.pods("app=le")) == 2 and
                 all(p["spec"].get("nodeName") == "fake" for p in self.pods("app=le")),
                 timeout=30, what="2 scheduled pods")
        rs = json.loads(self.s.kubectl("get", "rs", "-l", "app=le", "-o", "json").stdout)["items"]
        self.assertEqual(len(rs), 1, "two acting copies would race to create ReplicaSets")
        # The follower never acted: only the leader's log mentions reconciling anything.
        victim = self.copies[first]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        second = wait_for(lambda: (h := self.holder()) != first and h, timeout=30,
                          what="fail-over to the standby")
        self.assertIn(second, self.copies)
        self.assertNotEqual(second, first)
        lease = json.loads(self.s.kubectl("get", "lease", "-n", "kube-system",
                                          "skiff-controller-manager", "-o", "json").stdout)
        self.assertGreaterEqual(lease["spec"]["leaseTransitions"], 1)
        self.s.kubectl("scale", "deployment", "le", "--replicas=3")
        wait_for(lambda: len(self.pods("app=le")) == 3, timeout=30,
                 what="the new leader scaling up")
        self.copies[first] = self.start_copy(first)  # back as a standby

    def test_2_rolling_update_keeps_ready_replicas(self):
        dep = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                        "strategy": {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "web", "image": "python:3",
                                                              "args": ["v1"]}]}}}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(dep))

        def rolled_out():
            self.play_kubelet("app=web")
            r = self.s.kubectl("rollout", "status", "deployment/web", "--timeout=1s", check=False)
            return r.returncode == 0
        wait_for(rolled_out, timeout=60, interval=0.2, what="first rollout")
        self.s.kubectl("set", "env", "deployment/web", "VERSION=v2")
        min_ready = 99
        done = False
        for _ in range(600):
            ready = [p for p in self.pods("app=web") if not p["metadata"].get("deletionTimestamp")
                     and any(c["type"] == "Ready" and c["status"] == "True"
                             for c in p.get("status", {}).get("conditions", []))]
            min_ready = min(min_ready, len(ready))
            if rolled_out():
                done = True
                break
        self.assertTrue(done, "rollout did not finish")
        self.assertGreaterEqual(min_ready, 3, "maxUnavailable 0 must keep 3 ready pods")
        rs = json.loads(self.s.kubectl("get", "rs", "-l", "app=web", "-o", "json").stdout)["items"]
        self.assertEqual(len(rs), 2)
        revs = sorted(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] for r in rs)
        self.assertEqual(revs, ["1", "2"])
        old = [r for r in rs if r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"][0]
        self.assertEqual(old["spec"]["replicas"], 0)
        d = json.loads(self.s.kubectl("get", "deployment", "web", "-o", "json").stdout)
        self.assertEqual(d["status"]["updatedReplicas"], 3)
        self.assertEqual(d["status"]["availableReplicas"], 3)
        conds = {c["type"]: c for c in d["status"]["conditions"]}
        self.assertEqual(conds["Available"]["status"], "True")
        self.assertEqual(conds["Progressing"]["reason"], "NewReplicaSetAvailable")
        # Rollback with kubectl's own client-side undo: revision 1's template becomes revision 3.
        self.s.kubectl("rollout", "undo", "deployment/web")
        wait_for(rolled_out, timeout=60, interval=0.2, what="rollback")
        d = json.loads(self.s.kubectl("get", "deployment", "web", "-o", "json").stdout)
        self.assertEqual(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "3")
        env = d["spec"]["template"]["spec"]["containers"][0].get("env")
        self.assertFalse(env, "undo restores the template without VERSION")

    def test_3_recreate_and_scale_subresource(self):
        dep = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "rec", "namespace": "default"},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "rec"}},
                        "strategy": {"type": "Recreate"},
                        "template": {"metadata": {"labels": {"app": "rec"}},
                                     "spec": {"containers": [{"name": "c", "image": "python:3"}]}}}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(dep))
        wait_for(lambda: len(self.pods("app=rec")) == 2, timeout=30, what="2 pods")
        self.s.kubectl("scale", "deployment", "rec", "--replicas=4")
        wait_for(lambda: len([p for p in self.pods("app=rec")
                              if not p["metadata"].get("deletionTimestamp")]) == 4,
                 timeout=30, what="scale to 4")
        self.s.kubectl("set", "env", "deployment/rec", "X=1")
        # Recreate: all old pods are deleted before any new one is created.
        def phase():
            pods = self.pods("app=rec")
            hashes = {p["metadata"]["labels"]["pod-template-hash"] for p in pods}
            return pods, hashes
        saw_mixed = False
        for _ in range(400):
            pods, hashes = phase()
            live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
            if len({p["metadata"]["labels"]["pod-template-hash"] for p in live}) > 1:
                saw_mixed = True
            # The test kubelet removes terminating pods, as the node agent would.
            for p in pods:
                if p["metadata"].get("deletionTimestamp"):
                    self.s.kubectl("delete", "pod", p["metadata"]["name"], "--grace-period=0",
                                   "--force", check=False)
            if len(live) == 4 and len(hashes) == 1 and len(pods) == 4:
                d = json.loads(self.s.kubectl("get", "deploy", "rec", "-o", "json").stdout)
                if d["status"].get("updatedReplicas") == 4:
                    break
        self.assertFalse(saw_mixed, "Recreate must never run old and new pods together")
        d = json.loads(self.s.kubectl("get", "deploy", "rec", "-o", "json").stdout)
        self.assertEqual(d["status"]["updatedReplicas"], 4)

    def test_4_unschedulable_pod_says_why(self):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "greedy"},
               "spec": {"containers": [{"name": "c", "image": "python:3",
                                        "resources": {"limits": {"nvidia.com/gpu": "2"}}}]}}
        self.s.kubectl("apply", "-f", "-", input=json.dumps(pod))

        def reason():
            p = json.loads(self.s.kubectl("get", "pod", "greedy", "-o", "json").stdout)
            for c in p.get("status", {}).get("conditions", []):
                if c["type"] == "PodScheduled" and c["status"] == "False":
                    return c
            return None
        c = wait_for(reason, timeout=30, what="PodScheduled=False")
        self.assertEqual(c["reason"], "Unschedulable")
        self.assertEqual(c["message"], "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.")
        out = self.s.kubectl("describe", "pod", "greedy").stdout
        self.assertIn("FailedScheduling", out)
        self.assertIn("default-scheduler", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)

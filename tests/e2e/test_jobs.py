"""Jobs and JobSets end to end against a real `skiff up` (controllers, scheduler and node
agent in-process), driven with the real kubectl: Indexed completion, backoffLimit,
podFailurePolicy, activeDeadlineSeconds, suspend/resume, TTL, and JobSets with stable pod
DNS names, restarts and success."""
import json
import time
import unittest

from skiff_testlib import Skiff, wait_for

PY = "/usr/bin/python3"


def job(name, script, completions=1, parallelism=1, mode=None, restart="Never", **spec):
    s = {"completions": completions, "parallelism": parallelism,
         "template": {"spec": {"restartPolicy": restart, "terminationGracePeriodSeconds": 1,
                               "containers": [{"name": "main", "image": "python:3",
                                               "command": ["/bin/sh", "-c", script]}]}}}
    if mode:
        s["completionMode"] = mode
    s.update(spec)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": s}


class JobsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skiff().start()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    # helpers
    def apply(self, obj):
        self.s.kubectl("apply", "-f", "-", input=json.dumps(obj))

    def get(self, kind, name):
        r = self.s.kubectl("get", kind, name, "-o", "json", check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def pods(self, selector):
        return json.loads(self.s.kubectl("get", "pods", "-l", selector, "-o", "json").stdout)["items"]

    def condition(self, obj, type_):
        for c in (obj or {}).get("status", {}).get("conditions", []):
            if c["type"] == type_ and c["status"] == "True":
                return c
        return None

    def wait_condition(self, kind, name, type_, timeout=90):
        return wait_for(lambda: self.condition(self.get(kind, name), type_), timeout=timeout,
                        interval=0.2, what=f"{kind}/{name} condition {type_}")

    def events(self, name):
        out = self.s.kubectl("get", "events", "--field-selector", f"involvedObject.name={name}",
                             "-o", "json").stdout
        return [(e["reason"], e.get("message", "")) for e in json.loads(out)["items"]]

    # Jobs
    def test_indexed_job_sees_completion_index(self):
        self.apply(job("idx", "echo index=$JOB_COMPLETION_INDEX host=$(hostname)", completions=4,
                       parallelism=2, mode="Indexed"))
        most_active = 0
        deadline = time.time() + 90
        while time.time() < deadline:
            obj = self.get("job", "idx")
            most_active = max(most_active, obj.get("status", {}).get("active", 0))
            if self.condition(obj, "Complete"):
                break
            time.sleep(0.1)
        self.wait_condition("job", "idx", "Complete", timeout=1)
        obj = self.get("job", "idx")
        self.assertLessEqual(most_active, 2)
        self.assertEqual(obj["status"]["succeeded"], 4)
        self.assertEqual(obj["status"]["completedIndexes"], "0-3")
        self.assertTrue(self.condition(obj, "SuccessCriteriaMet"))
        self.assertIn("completionTime", obj["status"])
        pods = self.pods("job-name=idx")
        self.assertEqual(len(pods), 4)
        seen = set()
        for p in pods:
            idx = p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
            self.assertEqual(p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"], idx)
            self.assertTrue(p["metadata"]["name"].startswith(f"idx-{idx}-"))
            self.assertEqual(p["spec"]["hostname"], f"idx-{idx}")
            log = self.s.kubectl("logs", p["metadata"]["name"]).stdout
            self.assertIn(f"index={idx}", log)
            seen.add(int(idx))
        self.assertEqual(seen, {0, 1, 2, 3})
        reasons = [r for r, _ in self.events("idx")]
        self.assertEqual(reasons.count("SuccessfulCreate"), 4)
        self.assertIn("Completed", reasons)

    def test_work_queue_job_completes_after_first_success(self):
        spec = job("wq", "exit 0", parallelism=2)
        del spec["spec"]["completions"]
        self.apply(spec)
        self.wait_condition("job", "wq", "Complete")
        obj = self.get("job", "wq")
        self.assertGreaterEqual(obj["status"]["succeeded"], 1)

    def test_failing_job_respects_backoff_limit(self):
        self.apply(job("fails", "exit 3", backoffLimit=1))
        cond = self.wait_condition("job", "fails", "Failed", timeout=120)
        self.assertEqual(cond["reason"], "BackoffLimitExceeded")
        self.assertEqual(cond["message"], "Job has reached the specified backoff limit")
        obj = self.get("job", "fails")
        self.assertEqual(obj["status"]["failed"], 2)
        self.assertTrue(self.condition(obj, "FailureTarget"))
        self.assertEqual(len(self.pods("job-name=fails")), 2)
        self.assertIn("BackoffLimitExceeded", [r for r, _ in self.events("fails")])

    def test_pod_failure_policy_fail_job(self):
        self.apply(job("pfp", "exit 42", backoffLimit=6, podFailurePolicy={"rules": [
            {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}]}))
        cond = self.wait_condition("job", "pfp", "Failed")
        self.assertEqual(cond["reason"], "PodFailurePolicy")
        self.assertIn("failed with exit code 42 matching FailJob rule at index 0", cond["message"])
        self.assertEqual(len(self.pods("job-name=pfp")), 1)

    def test_active_deadline(self):
        self.apply(job("slow", "sleep 120", activeDeadlineSeconds=2))
        cond = self.wait_condition("job", "slow", "Failed", timeout=60)
        self.assertEqual(cond["reason"], "DeadlineExceeded")
        wait_for(lambda: all(p["status"].get("phase") in ("Succeeded", "Failed")
                             or p["metadata"].get("deletionTimestamp")
                             for p in self.pods("job-name=slow")), what="pods stopped")

    def test_suspend_and_resume(self):
        self.apply(job("sus", "echo ran", completions=2, parallelism=2, suspend=True))
        c = self.wait_condition("job", "sus", "Suspended")
        self.assertEqual(c["reason"], "JobSuspended")
        self.assertEqual(self.pods("job-name=sus"), [])
        self.s.kubectl("patch", "job", "sus", "--type=merge", "-p", '{"spec":{"suspend":false}}')
        self.wait_condition("job", "sus", "Complete")
        obj = self.get("job", "sus")
        susp = [c for c in obj["status"]["conditions"] if c["type"] == "Suspended"][0]
        self.assertEqual((susp["status"], susp["reason"]), ("False", "JobResumed"))
        reasons = [r for r, _ in self.events("sus")]
        self.assertIn("Suspended", reasons)
        self.assertIn("Resumed", reasons)

    def test_suspend_running_job_deletes_pods(self):
        self.apply(job("susrun", "sleep 300", completions=1))
        wait_for(lambda: self.pods("job-name=susrun"), what="pod created")
        self.s.kubectl("patch", "job", "susrun", "--type=merge", "-p", '{"spec":{"suspend":true}}')
        self.wait_condition("job", "susrun", "Suspended")
        wait_for(lambda: self.get("job", "susrun")["status"].get("active", 0) == 0,
                 what="no active pods")
        self.s.kubectl("delete", "job", "susrun", "--wait=false")

    def test_ttl_after_finished_deletes_job(self):
        self.apply(job("ttl", "exit 0", ttlSecondsAfterFinished=0))
        wait_for(lambda: self.get("job", "ttl") is None, timeout=90, interval=0.2,
                 what="job deleted after TTL")

    # JobSets
    def jobset(self, name, rjobs, **spec):
        s = {"replicatedJobs": rjobs}
        s.update(spec)
        return {"apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet",
                "metadata": {"name": name}, "spec": s}

    def rjob(self, name, script, replicas=1, pods=1, **jobspec):
        spec = {"parallelism": pods, "completions": pods, "backoffLimit": 0,
                "template": {"spec": {"terminationGracePeriodSeconds": 1,
                                      "containers": [{"name": "main", "image": "python:3",
                                                      "command": ["/bin/sh", "-c", script]}]}}}
        spec.update(jobspec)
        return {"name": name, "replicas": replicas, "template": {"spec": spec}}

    def test_jobset_completes_with_status(self):
        self.apply(self.jobset("jsok", [self.rjob("a", "exit 0"),
                                        self.rjob("b", "exit 0", replicas=2)]))
        c = self.wait_condition("jobset", "jsok", "Completed")
        self.assertEqual(c["reason"], "AllJobsCompleted")
        obj = self.get("jobset", "jsok")
        self.assertEqual(obj["status"]["terminalState"], "Completed")
        rs = {r["name"]: r for r in obj["status"]["replicatedJobsStatus"]}
        self.assertEqual(rs["b"]["succeeded"], 2)
        for n in ("jsok-a-0", "jsok-b-0", "jsok-b-1"):
            j = self.get("job", n)
            self.assertIsNotNone(j, n)
            self.assertEqual(j["metadata"]["labels"]["jobset.sigs.k8s.io/jobset-name"], "jsok")
            self.assertEqual(j["spec"]["completionMode"], "Indexed")
        svc = self.get("service", "jsok")
        self.assertEqual(svc["spec"]["clusterIP"], "None")

    def test_jobset_restarts_then_fails(self):
        self.apply(self.jobset("jsfail", [self.rjob("w", "exit 1")],
                               failurePolicy={"maxRestarts": 1}))
        c = self.wait_condition("jobset", "jsfail", "Failed", timeout=120)
        self.assertEqual(c["reason"], "ReachedMaxRestarts")
        obj = self.get("jobset", "jsfail")
        self.assertEqual(obj["status"]["restarts"], 1)
        self.assertEqual(obj["status"]["terminalState"], "Failed")

    def test_jobset_suspend_resume(self):
        self.apply(self.jobset("jssus", [self.rjob("w", "exit 0")], suspend=True))
        self.wait_condition("jobset", "jssus", "Suspended")
        wait_for(lambda: (self.get("job", "jssus-w-0") or {}).get("spec", {}).get("suspend"),
                 what="child job suspended")
        self.s.kubectl("patch", "jobset", "jssus", "--type=merge", "-p",
                       '{"spec":{"suspend":false}}')
        self.wait_condition("jobset", "jssus", "Completed")

    def test_jobset_pod_reaches_pod_zero_by_dns_name(self):
        # Index 0 serves one HTTP request; index 1 fetches it by the stable DNS name.
        script = PY + r""" - <<'EOF'
import os, sys, time, http.server, urllib.request
if os.environ["JOB_COMPLETION_INDEX"] == "0":
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(b"hello from pod 0")
    http.server.HTTPServer(("", 8080), H).handle_request()
else:
    for _ in range(120):
        try:
            print(urllib.request.urlopen("http://jsdns-node-0-0.jsdns:8080", timeout=2).read().decode())
            sys.exit(0)
        except Exception as e:
            print("retry:", e, flush=True); time.sleep(0.5)
    sys.exit(1)
EOF"""
        self.apply(self.jobset("jsdns", [self.rjob("node", script, pods=2, backoffLimit=2)]))
        self.wait_condition("jobset", "jsdns", "Completed", timeout=120)
        pods = self.pods("jobset.sigs.k8s.io/jobset-name=jsdns")
        by_index = {p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]: p
                    for p in pods}
        self.assertEqual(by_index["0"]["spec"]["hostname"], "jsdns-node-0-0")
        self.assertEqual(by_index["0"]["spec"]["subdomain"], "jsdns")
        log = self.s.kubectl("logs", by_index["1"]["metadata"]["name"]).stdout
        self.assertIn("hello from pod 0", log)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""End-to-end tests of the kubectl-like `skiff` verbs against a real `skiff up`.

Starts `$SKIFF_BIN up` on a free port with a temporary data directory, then drives
`skiff apply/get/describe/wait/delete/version` with the seed examples and checks the output
against kubectl's wording. Run: SKIFF_BIN=build/src/cli/skiff /usr/bin/python3 tests/e2e/test_cli.py
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIFF_BIN = os.environ.get("SKIFF_BIN", os.path.join(REPO, "build", "src", "cli", "skiff"))
SHARED = os.environ.get("SKIFF_SHARED", os.path.join(os.path.dirname(REPO), "shared"))
SEED = os.path.join(SHARED, "examples", "seed")
KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32"
STARTUP_DEADLINE_S = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SkiffCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="skiff-e2e-cli-")
        cls.port = free_port()
        cls.log = open(os.path.join(cls.data_dir, "server.log"), "w")
        cls.server = subprocess.Popen(
            [SKIFF_BIN, "up", "--data-dir", cls.data_dir, "--listen", f"127.0.0.1:{cls.port}"],
            stdout=cls.log, stderr=subprocess.STDOUT)
        cls.kubeconfig = os.path.join(cls.data_dir, "kubeconfig")
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        while True:
            if cls.server.poll() is not None:
                raise RuntimeError("skiff up exited early; see " + cls.log.name)
            if os.path.exists(cls.kubeconfig):
                try:
                    with urllib.request.urlopen(f"https://127.0.0.1:{cls.port}/readyz",
                                                context=ctx, timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError("skiff up did not become ready; see " + cls.log.name)
            time.sleep(0.1)  # polling a child process's readiness, not a timing assertion
        cls.skiff("apply", "-f", "-", stdin="apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml-prod\n")

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        try:
            cls.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            cls.server.kill()
            cls.server.wait()
        cls.log.close()
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    @classmethod
    def skiff(cls, *args, stdin=None, check=True):
        p = subprocess.run([SKIFF_BIN, "--kubeconfig", cls.kubeconfig, *args], input=stdin,
                           capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"skiff {' '.join(args)} failed ({p.returncode}):\n"
                                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def kubectl(self, *args):
        return subprocess.run([KUBECTL, "--kubeconfig", self.kubeconfig, *args],
                              capture_output=True, text=True, timeout=120)

    # --- version -----------------------------------------------------------------------------

    def test_version(self):
        out = self.skiff("version").stdout
        self.assertRegex(out, r"(?m)^Client Version: v\d+\.\d+\.\d+$")
        self.assertRegex(out, r"(?m)^Server Version: v1\.32\.\d+")

    # --- apply / get -------------------------------------------------------------------------

    def test_apply_kueue_created_then_unchanged(self):
        path = os.path.join(SEED, "kueue.yaml")
        first = self.skiff("apply", "-f", path).stdout.splitlines()
        self.assertEqual(first, [
            "resourceflavor.kueue.x-k8s.io/gpu-flavor created",
            "clusterqueue.kueue.x-k8s.io/gpu-cluster-queue created",
            "localqueue.kueue.x-k8s.io/gpu-queue created",
        ])
        again = self.skiff("apply", "-f", path).stdout.splitlines()
        self.assertEqual(again, [
            "resourceflavor.kueue.x-k8s.io/gpu-flavor unchanged",
            "clusterqueue.kueue.x-k8s.io/gpu-cluster-queue unchanged",
            "localqueue.kueue.x-k8s.io/gpu-queue unchanged",
        ])
        names = self.skiff("get", "cq", "-o", "name").stdout.split()
        self.assertIn("clusterqueue.kueue.x-k8s.io/gpu-cluster-queue", names)
        lq = self.skiff("get", "localqueues", "-n", "ml-prod").stdout.splitlines()
        self.assertTrue(lq[0].startswith("NAME"), lq)
        self.assertTrue(any(line.startswith("gpu-queue ") for line in lq[1:]), lq)
        # -A puts NAMESPACE first.
        all_ns = self.skiff("get", "localqueues", "-A").stdout.splitlines()
        self.assertTrue(all_ns[0].startswith("NAMESPACE   NAME"), all_ns)
        self.assertTrue(any(line.startswith("ml-prod     gpu-queue") for line in all_ns), all_ns)

    def test_trainjob_lifecycle(self):
        path = os.path.join(SEED, "trainjob.yaml")
        out = self.skiff("apply", "-f", path).stdout
        self.assertEqual(out, "trainjob.trainer.kubeflow.org/fraud-model-train created\n")

        table = self.skiff("get", "trainjobs", "-n", "ml-prod").stdout.splitlines()
        self.assertRegex(table[0], r"^NAME +")
        self.assertTrue(table[1].startswith("fraud-model-train "), table)

        obj = json.loads(self.skiff("get", "trainjob", "fraud-model-train", "-n", "ml-prod",
                                    "-o", "json").stdout)
        self.assertEqual(obj["kind"], "TrainJob")
        self.assertEqual(obj["spec"]["trainer"]["numNodes"], 2)
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration",
                      obj["metadata"]["annotations"])
        self.assertNotIn("managedFields", obj["metadata"])

        yaml_out = self.skiff("get", "trainjobs.trainer.kubeflow.org/fraud-model-train",
                              "-n", "ml-prod", "-o", "yaml").stdout
        self.assertIn("kind: TrainJob\n", yaml_out)
        self.assertIn("  name: fraud-model-train\n", yaml_out)

        as_list = self.skiff("get", "trainjobs", "-n", "ml-prod", "-o", "yaml").stdout
        self.assertTrue(as_list.startswith("apiVersion: v1\nitems:\n"), as_list)
        self.assertIn("kind: List\n", as_list)

        # Re-apply a changed manifest: a three-way merge patch. spec.trainer is immutable (as
        # Trainer v2.2+'s CEL rule), metadata is not.
        with open(path) as f:
            original = f.read()
        refused = self.skiff("apply", "-f", "-", stdin=original.replace("numNodes: 2",
                                                                        "numNodes: 3"),
                             check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("spec.trainer: Invalid value", refused.stderr)
        self.assertIn("field is immutable", refused.stderr)
        changed = original.replace("  labels:\n", "  labels:\n    team: fraud\n")
        out = self.skiff("apply", "-f", "-", stdin=changed).stdout
        self.assertEqual(out, "trainjob.trainer.kubeflow.org/fraud-model-train configured\n")
        out = self.skiff("wait", "trainjob/fraud-model-train", "-n", "ml-prod",
                         "--for=jsonpath={.metadata.labels.team}=fraud", "--timeout=30s").stdout
        self.assertEqual(out, "trainjob.trainer.kubeflow.org/fraud-model-train condition met\n")

        timed_out = self.skiff("wait", "trainjob/fraud-model-train", "-n", "ml-prod",
                               "--for=condition=NeverHappens", "--timeout=1s", check=False)
        self.assertEqual(timed_out.returncode, 1)
        self.assertEqual(timed_out.stderr,
                         "error: timed out waiting for the condition on "
                         "trainjobs/fraud-model-train\n")

        described = self.skiff("describe", "trainjob", "fraud-model-train", "-n", "ml-prod").stdout
        self.assertRegex(described, r"(?m)^Name: +fraud-model-train$")
        self.assertRegex(described, r"(?m)^Namespace: +ml-prod$")
        self.assertRegex(described, r"(?m)^Labels: +kueue.x-k8s.io/queue-name=gpu-queue$")
        self.assertRegex(described, r"(?m)^API Version: +trainer.kubeflow.org/v1alpha1$")
        self.assertRegex(described, r"(?m)^Kind: +TrainJob$")
        self.assertRegex(described, r"(?m)^    Num Nodes: +2$")
        self.assertRegex(described, r"(?m)^Events:")

        out = self.skiff("delete", "-f", path).stdout
        self.assertEqual(out, 'trainjob.trainer.kubeflow.org "fraud-model-train" deleted\n')
        gone = self.skiff("get", "trainjob", "fraud-model-train", "-n", "ml-prod", check=False)
        self.assertEqual(gone.returncode, 1)
        self.assertEqual(gone.stderr, 'Error from server (NotFound): trainjobs.trainer.kubeflow.org '
                                      '"fraud-model-train" not found\n')

    def test_configmap_get_delete_and_server_side_apply(self):
        cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cli-cm\n"
              "data:\n  a: \"1\"\n")
        out = self.skiff("apply", "--server-side", "-f", "-", stdin=cm).stdout
        self.assertEqual(out, "configmap/cli-cm serverside-applied\n")
        table = self.skiff("get", "configmaps", "cli-cm").stdout.splitlines()
        self.assertRegex(table[0], r"^NAME +DATA +AGE$")
        self.assertRegex(table[1], r"^cli-cm +1 +\S+$")
        labels = self.skiff("get", "cm", "cli-cm", "--show-labels").stdout.splitlines()
        self.assertTrue(labels[0].endswith("LABELS"), labels)
        self.assertTrue(labels[1].endswith("<none>"), labels)
        out = self.skiff("delete", "configmap", "cli-cm").stdout
        self.assertEqual(out, 'configmap "cli-cm" deleted\n')

    def test_errors_and_empty_results(self):
        missing = self.skiff("get", "widgets", check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertEqual(missing.stderr,
                         'error: the server doesn\'t have a resource type "widgets"\n')
        empty = self.skiff("get", "configmaps", "-n", "kube-public", "-l", "none=here")
        self.assertEqual(empty.stdout, "")
        self.assertEqual(empty.stderr, "No resources found in kube-public namespace.\n")
        unknown_flag = self.skiff("get", "pods", "--bogus", check=False)
        self.assertEqual(unknown_flag.returncode, 1)
        self.assertIn("See 'skiff get --help' for usage.", unknown_flag.stderr)

    def test_wait_for_delete_and_delete_waits(self):
        cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cli-wait\n  namespace: ml-prod\n"
        self.skiff("apply", "-f", "-", stdin=cm)
        out = self.skiff("delete", "cm", "cli-wait", "-n", "ml-prod", "--wait=true").stdout
        self.assertEqual(out, 'configmap "cli-wait" deleted\n')
        out = self.skiff("wait", "--for=delete", "configmap/cli-wait", "-n", "ml-prod",
                         "--timeout=10s").stdout
        self.assertEqual(out, "configmap/cli-wait condition met\n")

    def test_get_watch_streams_rows(self):
        watcher = subprocess.Popen(
            [SKIFF_BIN, "--kubeconfig", self.kubeconfig, "get", "configmaps", "-n", "ml-prod",
             "-l", "watch-test=yes", "-w"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Bounds a failure only: a missing event then reads as EOF instead of hanging.
        killer = threading.Timer(60, watcher.kill)
        killer.start()
        try:
            # The watch is established once the (empty) initial list has been reported.
            self.assertEqual(watcher.stderr.readline(), "No resources found in ml-prod namespace.\n")
            cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\n"
                  "  namespace: ml-prod\n  labels:\n    watch-test: \"yes\"\ndata:\n  a: \"1\"\n")
            self.skiff("apply", "-f", "-", stdin=cm)
            self.assertRegex(watcher.stdout.readline(), r"^NAME +DATA +AGE\n$")
            self.assertRegex(watcher.stdout.readline(), r"^watched +1 +\S+\n$")
            self.skiff("delete", "configmap", "watched", "-n", "ml-prod")
            self.assertRegex(watcher.stdout.readline(), r"^watched +1 +\S+\n$")
        finally:
            killer.cancel()
            watcher.kill()
            watcher.wait()
            watcher.stdout.close()
            watcher.stderr.close()

    def test_service_reapply_unchanged_and_get_all(self):
        svc = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: cli-svc\n  namespace: ml-prod\n"
               "spec:\n  selector:\n    app: demo\n  ports:\n  - port: 80\n")
        self.assertEqual(self.skiff("apply", "-f", "-", stdin=svc).stdout,
                         "service/cli-svc created\n")
        # The server defaults protocol/targetPort inside the list; that is not a change.
        self.assertEqual(self.skiff("apply", "-f", "-", stdin=svc).stdout,
                         "service/cli-svc unchanged\n")
        edited = svc.replace("port: 80", "port: 8080")
        self.assertEqual(self.skiff("apply", "-f", "-", stdin=edited).stdout,
                         "service/cli-svc configured\n")
        out = self.skiff("get", "all", "-n", "ml-prod").stdout
        self.assertRegex(out, r"(?m)^service/cli-svc +ClusterIP ")
        self.skiff("delete", "service", "cli-svc", "-n", "ml-prod")

    @unittest.skipUnless(os.path.exists(KUBECTL), "kubectl 1.32 not installed")
    def test_output_matches_kubectl(self):
        self.skiff("apply", "-f", os.path.join(SEED, "kueue.yaml"))
        for args in (["get", "clusterqueues", "-o", "name"],
                     ["get", "localqueues", "-n", "ml-prod", "-o", "name"],
                     ["get", "namespaces", "kube-system", "-o", "json"]):
            ours = self.skiff(*args)
            theirs = self.kubectl(*args)
            self.assertEqual(ours.stdout, theirs.stdout, args)
        # Column layout: compare headers (ages may differ between the two calls).
        ours = self.skiff("get", "namespaces").stdout.splitlines()
        theirs = self.kubectl("get", "namespaces").stdout.splitlines()
        self.assertEqual(ours[0], theirs[0])
        self.assertEqual([l.split()[0] for l in ours], [l.split()[0] for l in theirs])


if __name__ == "__main__":
    unittest.main()

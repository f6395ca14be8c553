"""The real kubectl (1.32, default validation) against `skiff up`."""
import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from skiff_testlib import KUBECTL, SEED, Skiff, wait_for


class KubectlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skiff().start()
        cls.s.kubectl("create", "namespace", "ml-prod")
        cls.s.kubectl("create", "namespace", "argocd")

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_01_apply_every_seed_manifest(self):
        r = self.s.kubectl("apply", "-f", SEED + "/")
        names = sorted(r.stdout.split("\n"))
        for expected in ["application.argoproj.io/fraud-detector created",
                         "clusterqueue.kueue.x-k8s.io/gpu-cluster-queue created",
                         "inferenceservice.serving.kserve.io/fraud-detector created",
                         "inferenceservice.serving.kserve.io/qwen-llm created",
                         "localqueue.kueue.x-k8s.io/gpu-queue created",
                         "resourceflavor.kueue.x-k8s.io/gpu-flavor created",
                         "scaledobject.keda.sh/inference-scaler created",
                         "servicemonitor.monitoring.coreos.com/kserve-inference created",
                         "trainjob.trainer.kubeflow.org/fraud-model-train created"]:
            self.assertIn(expected, r.stdout)
        # Applying again changes nothing.
        again = self.s.kubectl("apply", "-f", SEED + "/")
        self.assertIn("trainjob.trainer.kubeflow.org/fraud-model-train unchanged", again.stdout)
        # Defaults from the schema (TrainJob runtimeRef) and printer columns.
        tj = json.loads(self.s.kubectl("get", "trainjob", "-n", "ml-prod", "fraud-model-train",
                                       "-o", "json").stdout)
        self.assertEqual(tj["spec"]["runtimeRef"]["kind"], "ClusterTrainingRuntime")
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration",
                      tj["metadata"]["annotations"])
        out = self.s.kubectl("get", "trainjob", "-n", "ml-prod").stdout
        self.assertIn("STATE", out.splitlines()[0])
        out = self.s.kubectl("get", "isvc", "-n", "ml-prod").stdout
        header = out.splitlines()[0]
        for col in ("URL", "READY"):
            self.assertIn(col, header)
        out = self.s.kubectl("get", "cq").stdout
        self.assertIn("PENDING WORKLOADS", out.splitlines()[0])
        self.assertIn("gpu-cluster-queue", out)

    def test_02_reapply_with_change_is_a_merge_patch(self):
        d = tempfile.mkdtemp()
        try:
            src = open(os.path.join(SEED, "isvc-sklearn.yaml")).read()
            path = os.path.join(d, "isvc.yaml")
            open(path, "w").write(src.replace("maxReplicas: 5", "maxReplicas: 7"))
            self.s.kubectl("apply", "-f", path)
            r = self.s.kubectl("apply", "-f", path)
            self.assertIn("unchanged", r.stdout)
            open(path, "w").write(src.replace("maxReplicas: 5", "maxReplicas: 3")
                                  .replace("      resources:\n", "      resources:\n", 1))
            r = self.s.kubectl("apply", "-f", path)
            self.assertIn("inferenceservice.serving.kserve.io/fraud-detector configured", r.stdout)
            obj = json.loads(self.s.kubectl("get", "isvc", "fraud-detector", "-n", "ml-prod",
                                            "-o", "json").stdout)
            self.assertEqual(obj["spec"]["predictor"]["maxReplicas"], 3)
            self.assertGreaterEqual(obj["metadata"]["generation"], 2)
        finally:
            shutil.rmtree(d)

    def test_03_server_side_apply(self):
        manifest = """apiVersion: v1
kind: ConfigMap
metadata:
  name: ssa-demo
  namespace: default
data:
  a: "1"
"""
        r = self.s.kubectl("apply", "--server-side", "-f", "-", input=manifest)
        self.assertIn("configmap/ssa-demo serverside-applied", r.stdout)
        cm = json.loads(self.s.kubectl("get", "cm", "ssa-demo", "-o", "json",
                                       "--show-managed-fields").stdout)
        managers = [m["manager"] for m in cm["metadata"]["managedFields"]]
        self.assertIn("kubectl", managers)
        # Another manager changing the field conflicts unless forced.
        r = self.s.kubectl("apply", "--server-side", "--field-manager", "other", "-f", "-",
                           input=manifest.replace('a: "1"', 'a: "2"'), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("conflict", r.stderr.lower())
        self.s.kubectl("apply", "--server-side", "--field-manager", "other",
                       "--force-conflicts", "-f", "-", input=manifest.replace('a: "1"', 'a: "2"'))
        self.assertEqual(self.s.kubectl("get", "cm", "ssa-demo", "-o",
                                        "jsonpath={.data.a}").stdout, "2")

    def test_04_get_formats(self):
        y = self.s.kubectl("get", "localqueue", "gpu-queue", "-n", "ml-prod", "-o", "yaml").stdout
        self.assertIn("clusterQueue: gpu-cluster-queue", y)
        names = self.s.kubectl("get", "ns", "-o", "name").stdout.split()
        self.assertIn("namespace/ml-prod", names)
        wide = self.s.kubectl("get", "ns", "-o", "wide").stdout
        self.assertIn("STATUS", wide)
        allns = self.s.kubectl("get", "isvc", "-A").stdout
        self.assertIn("NAMESPACE", allns.splitlines()[0])
        self.assertIn("ml-prod", allns)
        sel = self.s.kubectl("get", "ns", "-l", "kubernetes.io/metadata.name=argocd",
                             "-o", "name").stdout.split()
        self.assertEqual(sel, ["namespace/argocd"])

    def test_05_get_watch_streams_changes(self):
        p = subprocess.Popen([KUBECTL, "get", "cm", "-w", "-n", "default", "--request-timeout=30s",
                              "-v=6"],
                             env=self.s.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            for line in p.stderr:  # -v=6 logs the watch request once it is open
                if "watch=true" in line:
                    break
            self.s.kubectl("create", "configmap", "watched", "-n", "default", "--from-literal=x=1")
            lines = []
            deadline = time.time() + 20
            while time.time() < deadline:
                line = p.stdout.readline()
                lines.append(line)
                if "watched" in line:
                    break
            self.assertTrue(any("watched" in l for l in lines), lines)
        finally:
            p.kill()
            p.wait()

    def test_06_describe_and_events(self):
        self.s.kubectl("create", "configmap", "described", "-n", "default", "--from-literal=k=v")
        out = self.s.kubectl("describe", "cm", "described", "-n", "default").stdout
        self.assertIn("Name:", out)
        self.assertIn("described", out)
        out = self.s.kubectl("describe", "trainjob", "fraud-model-train", "-n", "ml-prod").stdout
        self.assertIn("Num Nodes:", out)

    def test_07_patch_merge_and_json(self):
        self.s.kubectl("patch", "localqueue", "gpu-queue", "-n", "ml-prod", "--type", "merge",
                       "-p", '{"metadata":{"labels":{"team":"fraud"}}}')
        self.s.kubectl("patch", "localqueue", "gpu-queue", "-n", "ml-prod", "--type", "json",
                       "-p", '[{"op":"add","path":"/metadata/labels/tier","value":"gold"}]')
        lq = json.loads(self.s.kubectl("get", "lq", "gpu-queue", "-n", "ml-prod", "-o",
                                       "json").stdout)
        self.assertEqual(lq["metadata"]["labels"], {"team": "fraud", "tier": "gold"})
        # Strategic merge on a built-in kind.
        self.s.kubectl("create", "configmap", "smp", "--from-literal=a=1")
        self.s.kubectl("patch", "cm", "smp", "-p", '{"data":{"b":"2"}}')
        cm = json.loads(self.s.kubectl("get", "cm", "smp", "-o", "json").stdout)
        self.assertEqual(cm["data"], {"a": "1", "b": "2"})
        # A failing JSON-patch test op is rejected.
        r = self.s.kubectl("patch", "cm", "smp", "--type", "json", "-p",
                           '[{"op":"test","path":"/data/a","value":"nope"}]', check=False)
        self.assertNotEqual(r.returncode, 0)

    def test_08_replace(self):
        obj = json.loads(self.s.kubectl("get", "resourceflavor", "gpu-flavor", "-o", "json").stdout)
        obj["spec"] = {"nodeLabels": {"gpu": "a100"}}
        self.s.kubectl("replace", "-f", "-", input=json.dumps(obj))
        rf = json.loads(self.s.kubectl("get", "rf", "gpu-flavor", "-o", "json").stdout)
        self.assertEqual(rf["spec"]["nodeLabels"], {"gpu": "a100"})
        # A stale resourceVersion conflicts.
        r = self.s.kubectl("replace", "-f", "-", input=json.dumps(obj), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Conflict", r.stderr)

    def test_09_delete_and_wait_for_delete(self):
        self.s.kubectl("create", "configmap", "doomed")
        self.s.kubectl("delete", "cm", "doomed")
        r = self.s.kubectl("get", "cm", "doomed", check=False)
        self.assertIn("NotFound", r.stderr)
        # An object held by a finalizer: delete marks it, wait returns once it is gone.
        self.s.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: ConfigMap
metadata: {name: held, finalizers: [example.com/hold]}
""")
        self.s.kubectl("delete", "cm", "held", "--wait=false")
        obj = json.loads(self.s.kubectl("get", "cm", "held", "-o", "json").stdout)
        self.assertIn("deletionTimestamp", obj["metadata"])
        # -v=6 logs each request: release the finalizer only once wait is watching.
        w = subprocess.Popen([KUBECTL, "wait", "--for=delete", "cm/held", "--timeout=30s", "-v=6"],
                             env=self.s.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        for line in w.stderr:
            if "watch=true" in line:
                break
        self.s.kubectl("patch", "cm", "held", "--type", "merge", "-p",
                       '{"metadata":{"finalizers":null}}')
        out, err = w.communicate(timeout=40)
        self.assertEqual(w.returncode, 0, err)
        self.assertIn("condition met", out)

    def test_10_wait_for_condition(self):
        self.s.kubectl("create", "namespace", "waitns")
        r = self.s.kubectl("wait", "--for=jsonpath={.status.phase}=Active", "ns/waitns",
                           "--timeout=20s")
        self.assertIn("condition met", r.stdout)

    def test_11_explain(self):
        r = self.s.kubectl("explain", "trainjob.spec.trainer", check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("numNodes", r.stdout)

    def test_12_crd_served(self):
        crd = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, default: 1}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
"""
        self.s.kubectl("apply", "-f", "-", input=crd)
        self.s.kubectl("apply", "-f", "-", input="apiVersion: example.com/v1\nkind: Widget\n"
                                                 "metadata: {name: w1}\nspec: {}\n")
        out = self.s.kubectl("get", "wd").stdout
        self.assertIn("SIZE", out)
        self.assertIn("w1", out)
        r = self.s.kubectl("apply", "-f", "-", check=False,
                           input="apiVersion: example.com/v1\nkind: Widget\n"
                                 "metadata: {name: w2}\nspec: {size: big}\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("spec.size", r.stderr)
        r = self.s.kubectl("apply", "-f", "-", check=False,
                           input="apiVersion: example.com/v1\nkind: Widget\n"
                                 "metadata: {name: w3}\nspec: {colour: red}\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('unknown field "spec.colour"', r.stderr)

    def test_13_kueue_versions_convert(self):
        """v1beta1 manifests are stored as v1beta2 (cohort -> cohortName) and read back in either."""
        self.s.kubectl("patch", "clusterqueues.v1beta2.kueue.x-k8s.io", "gpu-cluster-queue",
                       "--type", "merge", "-p", '{"spec":{"cohortName":"team-a"}}')
        v1 = self.s.kubectl("get", "clusterqueues.v1beta1.kueue.x-k8s.io", "gpu-cluster-queue",
                            "-o", "jsonpath={.apiVersion} {.spec.cohort}").stdout
        self.assertEqual(v1, "kueue.x-k8s.io/v1beta1 team-a")
        v2 = json.loads(self.s.kubectl("get", "cq", "gpu-cluster-queue", "-o", "json").stdout)
        self.assertEqual(v2["apiVersion"], "kueue.x-k8s.io/v1beta2")
        self.assertEqual(v2["spec"]["cohortName"], "team-a")
        self.assertNotIn("cohort", v2["spec"])
        self.assertIn("team-a", self.s.kubectl("get", "cq").stdout)
        # The seed file (v1beta1, no cohort) re-applied: its last-applied has no cohort, so
        # the live cohortName stays (it was never part of the applied configuration).
        r = self.s.kubectl("apply", "-f", SEED + "/kueue.yaml")
        self.assertIn("clusterqueue.kueue.x-k8s.io/gpu-cluster-queue unchanged", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""The official Python `kubernetes` client (Debian python3-kubernetes 22.6)."""
import threading
import time
import unittest

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from skiff_testlib import Skiff, wait_for

G, V, P = "kueue.x-k8s.io", "v1beta1", "localqueues"


class PythonClientTest(unittest.TestCase):
    def setUp(self):
        self.s = Skiff().start()
        self.api_client = config.new_client_from_config(config_file=self.s.kubeconfig)
        self.custom = client.CustomObjectsApi(self.api_client)
        self.core = client.CoreV1Api(self.api_client)

    def tearDown(self):
        self.s.cleanup()

    def lq(self, name, cq="gpu-cluster-queue"):
        return {"apiVersion": f"{G}/{V}", "kind": "LocalQueue",
                "metadata": {"name": name}, "spec": {"clusterQueue": cq}}

    def test_custom_objects_crud(self):
        created = self.custom.create_namespaced_custom_object(G, V, "default", P, self.lq("a"))
        self.assertEqual(created["metadata"]["name"], "a")
        got = self.custom.get_namespaced_custom_object(G, V, "default", P, "a")
        self.assertEqual(got["spec"]["clusterQueue"], "gpu-cluster-queue")
        self.custom.create_namespaced_custom_object(G, V, "default", P, self.lq("b"))
        items = self.custom.list_namespaced_custom_object(G, V, "default", P)["items"]
        self.assertEqual(sorted(i["metadata"]["name"] for i in items), ["a", "b"])
        patched = self.custom.patch_namespaced_custom_object(
            G, V, "default", P, "a", {"metadata": {"labels": {"x": "y"}}})
        self.assertEqual(patched["metadata"]["labels"], {"x": "y"})
        sel = self.custom.list_namespaced_custom_object(G, V, "default", P, label_selector="x=y")
        self.assertEqual([i["metadata"]["name"] for i in sel["items"]], ["a"])
        self.custom.delete_namespaced_custom_object(G, V, "default", P, "a")
        with self.assertRaises(ApiException) as e:
            self.custom.get_namespaced_custom_object(G, V, "default", P, "a")
        self.assertEqual(e.exception.status, 404)
        with self.assertRaises(ApiException) as e:
            self.custom.create_namespaced_custom_object(G, V, "default", P, self.lq("b"))
        self.assertEqual(e.exception.status, 409)
        # Core API with a strategic merge patch (dict body).
        self.core.create_namespaced_config_map("default", {"metadata": {"name": "c"},
                                                           "data": {"a": "1"}})
        cm = self.core.patch_namespaced_config_map("c", "default", {"data": {"b": "2"}})
        self.assertEqual(cm.data, {"a": "1", "b": "2"})

    def test_watch_across_restart(self):
        """Watch.stream keeps delivering events across a server restart (resume by RV)."""
        seen = []
        done = threading.Event()

        def run():
            w = watch.Watch()
            for _ in range(200):
                try:
                    for ev in w.stream(self.custom.list_namespaced_custom_object, G, V,
                                       "default", P, timeout_seconds=60):
                        seen.append((ev["type"], ev["object"]["metadata"]["name"]))
                        if ev["object"]["metadata"]["name"] == "after-restart":
                            done.set()
                            return
                except Exception:  # connection refused while the server restarts
                    time.sleep(0.1)
                if done.is_set():
                    return

        t = threading.Thread(target=run, daemon=True)
        t.start()
        self.custom.create_namespaced_custom_object(G, V, "default", P, self.lq("before"))
        wait_for(lambda: ("ADDED", "before") in seen, what="event before restart")
        self.s.stop()
        self.s.start()
        self.custom.create_namespaced_custom_object(G, V, "default", P, self.lq("after-restart"))
        self.assertTrue(done.wait(30), seen)
        self.assertIn(("ADDED", "after-restart"), seen)

    def test_watch_resume_from_resource_version_and_410(self):
        self.s.cleanup()
        # API server only: the Kueue controllers would write the LocalQueues' status.
        self.s = Skiff(env={"SKIFF_WATCH_HISTORY": "5"},
                       args=["--no-controllers", "--no-node"]).start()
        self.api_client = config.new_client_from_config(config_file=self.s.kubeconfig)
        self.custom = client.CustomObjectsApi(self.api_client)
        a = self.custom.create_namespaced_custom_object(G, V, "default", P, self.lq("r1"))
        self.custom.create_namespaced_custom_object(G, V, "default", P, self.lq("r2"))
        w = watch.Watch()
        events = []
        for ev in w.stream(self.custom.list_namespaced_custom_object, G, V, "default", P,
                           resource_version=a["metadata"]["resourceVersion"], timeout_seconds=2):
            events.append((ev["type"], ev["object"]["metadata"]["name"]))
        self.assertEqual(events, [("ADDED", "r2")])
        for i in range(10):
            self.custom.create_namespaced_custom_object(G, V, "default", P, self.lq(f"x{i}"))
        # A resourceVersion far in the past (compacted) answers an ERROR event with 410.
        with self.assertRaises(ApiException) as e:
            for _ in watch.Watch().stream(self.custom.list_namespaced_custom_object, G, V,
                                          "default", P, resource_version="1",
                                          timeout_seconds=2):
                pass
        self.assertEqual(e.exception.status, 410)


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""Deletion semantics: finalizers, owner-reference garbage collection (background,
foreground, orphan), namespace termination, generateName, dryRun and subresources."""
import json
import unittest

from skiff_testlib import Skiff, wait_for

CM = "/api/v1/namespaces/default/configmaps"


class LifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skiff().start()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def create(self, name, owner=None, ns="default", finalizers=None):
        meta = {"name": name}
        if owner:
            meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap",
                                        "name": owner["metadata"]["name"],
                                        "uid": owner["metadata"]["uid"],
                                        "blockOwnerDeletion": True}]
        if finalizers:
            meta["finalizers"] = finalizers
        code, obj, _ = self.s.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                                      {"metadata": meta})
        self.assertEqual(code, 201, obj)
        return obj

    def exists(self, name, ns="default"):
        return self.s.request("GET", f"/api/v1/namespaces/{ns}/configmaps/{name}")[0] == 200

    def test_background_deletes_dependents(self):
        owner = self.create("bg-owner")
        self.create("bg-a", owner)
        self.create("bg-b", owner)
        code, body, _ = self.s.request("DELETE", CM + "/bg-owner")
        self.assertEqual(code, 200)
        self.assertEqual(body["status"], "Success")
        wait_for(lambda: not self.exists("bg-a") and not self.exists("bg-b"),
                 what="dependents collected")

    def test_dangling_owner_reference_is_collected(self):
        ghost = {"metadata": {"name": "ghost", "uid": "00000000-0000-4000-8000-000000000000"}}
        self.create("dangling", ghost)
        wait_for(lambda: not self.exists("dangling"), what="dependent of a missing owner collected")

    def test_orphan_keeps_dependents(self):
        owner = self.create("or-owner")
        self.create("or-a", owner)
        code, _, _ = self.s.request("DELETE", CM + "/or-owner",
                                    {"propagationPolicy": "Orphan"})
        self.assertEqual(code, 200)
        wait_for(lambda: not self.exists("or-owner"), what="owner gone")
        code, dep, _ = self.s.request("GET", CM + "/or-a")
        self.assertEqual(code, 200)
        self.assertNotIn("ownerReferences", dep["metadata"])

    def test_foreground_waits_for_dependents(self):
        owner = self.create("fg-owner")
        self.create("fg-a", owner, finalizers=["example.com/hold"])
        code, obj, _ = self.s.request("DELETE", CM + "/fg-owner",
                                      {"propagationPolicy": "Foreground"})
        self.assertEqual(code, 200)
        self.assertIn("foregroundDeletion", obj["metadata"]["finalizers"])
        # The dependent is being deleted but held by its finalizer, so the owner stays.
        wait_for(lambda: "deletionTimestamp" in self.s.request("GET", CM + "/fg-a")[1]["metadata"],
                 what="dependent marked for deletion")
        self.assertTrue(self.exists("fg-owner"))
        self.s.request("PATCH", CM + "/fg-a", {"metadata": {"finalizers": None}},
                       "application/merge-patch+json")
        wait_for(lambda: not self.exists("fg-a") and not self.exists("fg-owner"),
                 what="dependent then owner removed")

    def test_finalizer_blocks_delete_and_cannot_be_added_later(self):
        self.create("fin", finalizers=["example.com/x"])
        code, obj, _ = self.s.request("DELETE", CM + "/fin")
        self.assertEqual(code, 200)
        self.assertIn("deletionTimestamp", obj["metadata"])
        code, body, _ = self.s.request("PATCH", CM + "/fin",
                                       {"metadata": {"finalizers": ["example.com/x", "example.com/y"]}},
                                       "application/merge-patch+json")
        self.assertEqual(code, 422, body)
        code, _, _ = self.s.request("PATCH", CM + "/fin", {"metadata": {"finalizers": []}},
                                    "application/merge-patch+json")
        self.assertEqual(code, 200)
        wait_for(lambda: not self.exists("fin"), what="removed once finalizers are gone")

    def test_namespace_termination(self):
        code, _, _ = self.s.request("POST", "/api/v1/namespaces", {"metadata": {"name": "doomed"}})
        self.assertEqual(code, 201)
        self.create("x", ns="doomed")
        self.create("held", ns="doomed", finalizers=["example.com/hold"])
        code, ns, _ = self.s.request("DELETE", "/api/v1/namespaces/doomed")
        self.assertEqual(code, 200)
        self.assertEqual(ns["status"]["phase"], "Terminating")
        # While the namespace terminates, nothing new may be created in it.
        code, body, _ = self.s.request("POST", "/api/v1/namespaces/doomed/configmaps",
                                       {"metadata": {"name": "late"}})
        self.assertEqual(code, 403, body)
        self.assertIn("being terminated", body["message"])
        wait_for(lambda: not self.exists("x", ns="doomed"), what="contents deleted")
        self.assertEqual(self.s.request("GET", "/api/v1/namespaces/doomed")[0], 200)
        self.s.request("PATCH", "/api/v1/namespaces/doomed/configmaps/held",
                       {"metadata": {"finalizers": None}}, "application/merge-patch+json")
        wait_for(lambda: self.s.request("GET", "/api/v1/namespaces/doomed")[0] == 404,
                 what="namespace removed after its contents")

    def test_generate_name_and_dry_run(self):
        code, obj, _ = self.s.request("POST", CM, {"metadata": {"generateName": "gen-"}})
        self.assertEqual(code, 201)
        self.assertTrue(obj["metadata"]["name"].startswith("gen-"))
        self.assertEqual(len(obj["metadata"]["name"]), 9)
        code, obj, _ = self.s.request("POST", CM + "?dryRun=All", {"metadata": {"name": "dry"}})
        self.assertEqual(code, 201)
        self.assertFalse(self.exists("dry"))

    def test_status_subresource_and_generation(self):
        lq = "/apis/kueue.x-k8s.io/v1beta1/namespaces/default/localqueues"
        code, obj, _ = self.s.request("POST", lq, {"apiVersion": "kueue.x-k8s.io/v1beta1",
                                                   "kind": "LocalQueue", "metadata": {"name": "q"},
                                                   "spec": {"clusterQueue": "a"},
                                                   "status": {"pendingWorkloads": 9}})
        self.assertEqual(code, 201)
        self.assertNotIn("status", obj)  # status is reset on create
        self.assertEqual(obj["metadata"]["generation"], 1)
        code, obj, _ = self.s.request("PATCH", lq + "/q/status",
                                      {"status": {"pendingWorkloads": 3}},
                                      "application/merge-patch+json")
        self.assertEqual(code, 200)
        self.assertEqual(obj["status"]["pendingWorkloads"], 3)
        self.assertEqual(obj["metadata"]["generation"], 1)  # status writes don't bump it
        code, obj, _ = self.s.request("PATCH", lq + "/q", {"spec": {"clusterQueue": "b"},
                                                           "status": {"pendingWorkloads": 0}},
                                      "application/merge-patch+json")
        self.assertEqual(obj["metadata"]["generation"], 2)
        self.assertEqual(obj["status"]["pendingWorkloads"], 3)  # main resource ignores status
        code, obj, _ = self.s.request("PATCH", lq + "/q", {"metadata": {"labels": {"a": "b"}}},
                                      "application/merge-patch+json")
        self.assertEqual(obj["metadata"]["generation"], 2)  # metadata-only

    def test_scale_subresource(self):
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "c", "image": "python"}]}}}}
        code, obj, _ = self.s.request("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
        self.assertEqual(code, 201, obj)
        self.s.kubectl("scale", "deployment", "web", "--replicas=4")
        code, scale, _ = self.s.request("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale")
        self.assertEqual(scale["kind"], "Scale")
        self.assertEqual(scale["spec"]["replicas"], 4)
        self.assertEqual(scale["status"]["selector"], "app=web")

    def test_watch_send_initial_events_ends_with_bookmark(self):
        self.create("init-a")
        code, body, _ = self.s.request(
            "GET", CM + "?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
            "&allowWatchBookmarks=true&timeoutSeconds=1")
        self.assertEqual(code, 200)
        events = [json.loads(l) for l in body.splitlines() if l.strip()] if isinstance(body, str) \
            else [body]
        types = [e["type"] for e in events]
        self.assertIn("ADDED", types)
        marker = [e for e in events if e["type"] == "BOOKMARK" and
                  e["object"]["metadata"].get("annotations", {}).get("k8s.io/initial-events-end")]
        self.assertEqual(len(marker), 1, types)
        self.assertLess(types.index("ADDED"), events.index(marker[0]))

    def test_list_paging_and_watch_bookmarks(self):
        for i in range(7):
            self.create(f"page-{i}")
        seen, cont = [], ""
        while True:
            code, body, _ = self.s.request("GET", CM + "?limit=3" + (f"&continue={cont}" if cont else ""))
            self.assertEqual(code, 200)
            seen += [i["metadata"]["name"] for i in body["items"]]
            cont = body["metadata"].get("continue", "")
            if not cont:
                break
        self.assertEqual(len([n for n in seen if n.startswith("page-")]), 7)
        self.assertEqual(len(seen), len(set(seen)))


if __name__ == "__main__":
    unittest.main(verbosity=2)

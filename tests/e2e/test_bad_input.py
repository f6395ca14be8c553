"""Bad input gets a Kubernetes Status with the right reason, code and field; the
server keeps serving."""
import unittest

from skiff_testlib import Skiff

CM = "/api/v1/namespaces/default/configmaps"
LQ = "/apis/kueue.x-k8s.io/v1beta1/namespaces/default/localqueues"


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skiff().start()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def assertStatus(self, resp, code, reason, field=None):
        got_code, body, _ = resp
        self.assertEqual(got_code, code, body)
        self.assertIsInstance(body, dict, body)
        self.assertEqual(body["kind"], "Status")
        self.assertEqual(body["status"], "Failure")
        self.assertEqual(body["code"], code)
        self.assertEqual(body["reason"], reason, body)
        if field:
            fields = [c.get("field") for c in body.get("details", {}).get("causes", [])]
            self.assertIn(field, fields, body)
        return body

    def tearDown(self):
        # Whatever happened, the server still answers.
        code, _, _ = self.s.request("GET", "/api/v1/namespaces/default")
        self.assertEqual(code, 200)

    def test_malformed_json(self):
        self.assertStatus(self.s.request("POST", CM, '{"metadata": {"name": '), 400, "BadRequest")

    def test_malformed_yaml_apply(self):
        self.assertStatus(self.s.request("PATCH", CM + "/x?fieldManager=t", "a: [b: c\n  - :",
                                         "application/apply-patch+yaml"), 400, "BadRequest")

    def test_unknown_kind(self):
        self.assertStatus(self.s.request("GET", "/apis/nothing.example.com/v1/widgets"), 404,
                          "NotFound")
        r = self.s.kubectl("apply", "-f", "-", check=False,
                           input="apiVersion: nothing.example.com/v1\nkind: Widget\n"
                                 "metadata: {name: a}\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Widget", r.stderr)

    def test_unknown_field_strict(self):
        body = {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue",
                "metadata": {"name": "q"}, "spec": {"clusterQueue": "cq", "bogus": 1}}
        b = self.assertStatus(self.s.request("POST", LQ + "?fieldValidation=Strict", body), 400,
                              "BadRequest", "spec.bogus")
        self.assertIn('unknown field "spec.bogus"', b["message"])
        # Warn (the default) prunes it and says so in a Warning header.
        code, obj, headers = self.s.request("POST", LQ, body)
        self.assertEqual(code, 201)
        self.assertNotIn("bogus", obj["spec"])
        self.assertIn("spec.bogus", headers.get("Warning", ""))

    def test_wrong_type(self):
        body = {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ClusterQueue",
                "metadata": {"name": "cq"}, "spec": {"namespaceSelector": {}, "resourceGroups": 3}}
        self.assertStatus(self.s.request("POST", "/apis/kueue.x-k8s.io/v1beta1/clusterqueues", body),
                          422, "Invalid", "spec.resourceGroups")

    def test_invalid_name(self):
        self.assertStatus(self.s.request("POST", CM, {"metadata": {"name": "Bad_Name"}}), 422,
                          "Invalid", "metadata.name")

    def test_missing_namespace(self):
        b = self.assertStatus(self.s.request("POST", "/api/v1/namespaces/nope/configmaps",
                                             {"metadata": {"name": "a"}}), 404, "NotFound")
        self.assertEqual(b["message"], 'namespaces "nope" not found')

    def test_conflict(self):
        code, obj, _ = self.s.request("POST", CM, {"metadata": {"name": "conf"}})
        self.assertEqual(code, 201)
        self.assertStatus(self.s.request("POST", CM, {"metadata": {"name": "conf"}}), 409,
                          "AlreadyExists")
        stale = dict(obj)
        stale["metadata"] = dict(obj["metadata"], resourceVersion="1")
        self.assertStatus(self.s.request("PUT", CM + "/conf", stale), 409, "Conflict")

    def test_oversize_body(self):
        big = '{"metadata":{"name":"big"},"data":{"a":"' + "x" * (3 * 1024 * 1024 + 10) + '"}}'
        code, body, _ = self.s.request("POST", CM, big)
        self.assertEqual(code, 413)
        self.assertEqual(body["reason"], "RequestEntityTooLarge")

    def test_unauthorized(self):
        self.assertStatus(self.s.request("GET", CM, token=False), 401, "Unauthorized")

    def test_strategic_merge_on_custom_resource(self):
        self.assertStatus(self.s.request("PATCH", LQ + "/x", "{}",
                                         "application/strategic-merge-patch+json"), 415,
                          "UnsupportedMediaType")

    def test_bad_selector(self):
        self.assertStatus(self.s.request("GET", CM + "?labelSelector=a%20in%20(b"), 400, "BadRequest")
        self.assertStatus(self.s.request("GET", CM + "?fieldSelector=spec.nope%3Dx"), 400,
                          "BadRequest")

    def test_invalid_crd(self):
        crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "wrong.example.com"},
               "spec": {"group": "example.com", "scope": "Namespaced",
                        "names": {"plural": "things", "kind": "Thing"},
                        "versions": [{"name": "v1", "served": True, "storage": True,
                                      "schema": {"openAPIV3Schema": {"type": "object"}}}]}}
        self.assertStatus(self.s.request("POST",
                                         "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                         crd), 422, "Invalid", "metadata.name")


if __name__ == "__main__":
    unittest.main(verbosity=2)

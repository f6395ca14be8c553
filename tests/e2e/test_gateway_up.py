"""The inference gateway inside `skiff up` (--gateway-listen): it answers on its port with
KServe-shaped errors until routes exist, and its metrics appear on the API server's /metrics.
(Routing to model servers is covered by src/gateway's tests; InferenceService wiring is next.)"""
import json
import socket
import unittest
import urllib.error
import urllib.request

from skiff_testlib import Skiff, free_port, wait_for


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class GatewayInSkiffUpTest(unittest.TestCase):
    def test_gateway_serves_and_exports_metrics(self):
        port = free_port()
        s = Skiff(args=["--no-node", "--gateway-listen", f"127.0.0.1:{port}"]).start()
        self.addCleanup(s.cleanup)
        # The API answers before the gateway (started last) listens.
        wait_for(lambda: listening(port), timeout=10, what="the gateway port")
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models/x:predict",
                                     data=b'{"instances": [[1]]}', method="POST",
                                     headers={"Host": "nothing.default.example.com"})
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(e.exception.code, 404)
        body = json.loads(e.exception.read())
        self.assertIn("error", body)
        status, text, _ = s.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn("skiff_gateway", text)

    def test_busy_port_degrades_instead_of_failing(self):
        port = free_port()
        first = Skiff(args=["--no-node", "--no-controllers", "--gateway-listen",
                            f"127.0.0.1:{port}"]).start()
        self.addCleanup(first.cleanup)
        wait_for(lambda: listening(port), timeout=10, what="the first gateway")
        second = Skiff(args=["--no-node", "--no-controllers", "--gateway-listen",
                             f"127.0.0.1:{port}"]).start()
        self.addCleanup(second.cleanup)
        self.assertEqual(second.kubectl("get", "ns", "default", "-o", "name").stdout.strip(),
                         "namespace/default")
        def degraded():
            with open(second.log_path) as f:
                return "component=gateway degraded" in f.read()
        wait_for(degraded, timeout=10, what="the degraded warning")


if __name__ == "__main__":
    unittest.main()

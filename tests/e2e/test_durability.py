"""Acknowledged writes survive kill -9 of `skiff up`, and revisions keep increasing."""
import threading
import unittest

from skiff_testlib import Skiff, wait_for


class DurabilityTest(unittest.TestCase):
    def test_kill9_mid_stream(self):
        s = Skiff().start()
        try:
            acked = {}
            stop = threading.Event()

            def writer(worker):
                i = 0
                while not stop.is_set():
                    name = f"w{worker}-{i}"
                    try:
                        code, body, _ = s.request("POST", "/api/v1/namespaces/default/configmaps",
                                                  {"metadata": {"name": name}, "data": {"i": str(i)}})
                    except Exception:
                        return  # server gone: this write was never acknowledged
                    if code == 201:
                        acked[name] = int(body["metadata"]["resourceVersion"])
                    i += 1

            threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
            for t in threads:
                t.start()
            wait_for(lambda: len(acked) >= 300, timeout=60, what="300 acknowledged writes")
            s.kill9()
            stop.set()
            for t in threads:
                t.join()
            max_rev = max(acked.values())
            s.start()
            code, body, _ = s.request("GET", "/api/v1/namespaces/default/configmaps")
            self.assertEqual(code, 200)
            present = {i["metadata"]["name"] for i in body["items"]}
            missing = set(acked) - present
            self.assertFalse(missing, f"{len(missing)} acknowledged writes lost")
            code, obj, _ = s.request("POST", "/api/v1/namespaces/default/configmaps",
                                     {"metadata": {"name": "after"}})
            self.assertEqual(code, 201)
            self.assertGreater(int(obj["metadata"]["resourceVersion"]), max_rev)
            print(f"{len(acked)} acknowledged writes, all present after kill -9")
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""packages_to_install offline: installed packages are skipped without asking any index (the
index here is a dead port, so a pip call would fail), and a missing one fails at once with
one clear line instead of hanging, before the training function runs."""
import os
import unittest

import trainer_testlib as lib
from skiff.trainer import CustomTrainer, constants
from skiff.trainer.function import function_command, packages_script, ship_function

DEAD_INDEX = "http://127.0.0.1:9/simple"


def touch_marker():
    import os
    open(os.path.join(os.environ["RECORD_DIR"], "function-ran"), "w").close()


class PackagesTest(unittest.TestCase):
    def run_packages(self, packages, index_urls=(DEAD_INDEX,), env=None):
        command = function_command(ship_function(touch_marker), ("torchrun",), list(packages),
                                   list(index_urls))
        proc, record = lib.run_script(self, command[2], env=env)
        ran = os.path.exists(os.path.join(record, "function-ran"))
        return proc, ran

    def test_installed_packages_are_skipped(self):
        # Debian ships these for /usr/bin/python3; scikit-learn's import name is sklearn.
        proc, ran = self.run_packages(["torch", "numpy>=1.0", "scikit-learn", "PyYAML",
                                       "kubernetes[adal] >= 1"])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertTrue(ran)
        line = next(l for l in proc.stdout.splitlines() if "already installed" in l)
        for name in ("torch ", "numpy ", "scikit-learn ", "PyYAML ", "kubernetes "):
            self.assertIn(name, line)
        self.assertNotIn("could not install", proc.stderr)

    def test_missing_package_fails_fast_with_a_clear_line(self):
        proc, ran = self.run_packages(["torch", "skiff-no-such-package==1.0"])
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertFalse(ran, "the function must not run without its packages")
        self.assertIn(
            "skiff: could not install ['skiff-no-such-package==1.0']: no network access to "
            f"{DEAD_INDEX} (packages_to_install needs a reachable index; install them on the "
            "host or set pip_index_urls to a local index)", proc.stderr)
        self.assertIn("already installed: torch", proc.stdout)

    def test_unsatisfied_version_counts_as_missing(self):
        proc, ran = self.run_packages(["numpy<1.0"])
        self.assertEqual(proc.returncode, 1)
        self.assertFalse(ran)
        self.assertIn("could not install ['numpy<1.0']", proc.stderr)

    def test_every_index_is_tried_and_named(self):
        second = "http://127.0.0.1:9/other"
        proc, _ = self.run_packages(["skiff-no-such-package"], index_urls=(DEAD_INDEX, second))
        self.assertEqual(proc.returncode, 1)
        self.assertIn(f"no network access to {DEAD_INDEX}, {second}", proc.stderr)

    def test_url_requirements_always_go_to_pip(self):
        proc, ran = self.run_packages(["torch @ file:///nonexistent/torch.whl"])
        self.assertEqual(proc.returncode, 1)
        self.assertFalse(ran)
        self.assertIn("could not install", proc.stderr)

    def test_no_packages_means_no_pip_block(self):
        command = function_command(ship_function(touch_marker), ("torchrun",), None)
        self.assertNotIn("SKIFF_PIP_EOF", command[2])
        self.assertIn("SKIFF_PIP_EOF", packages_script(["x"], [DEAD_INDEX]))

    def test_default_index_comes_from_the_environment(self):
        old = os.environ.get("DEFAULT_PIP_INDEX_URLS")
        os.environ["DEFAULT_PIP_INDEX_URLS"] = f"{DEAD_INDEX},http://127.0.0.1:9/b"
        try:
            trainer = CustomTrainer(func=touch_marker)
            self.assertEqual(trainer.pip_index_urls, [DEAD_INDEX, "http://127.0.0.1:9/b"])
        finally:
            if old is None:
                del os.environ["DEFAULT_PIP_INDEX_URLS"]
            else:
                os.environ["DEFAULT_PIP_INDEX_URLS"] = old
        self.assertEqual(constants.default_pip_index_urls()[0],
                         old.split(",")[0] if old else "https://pypi.org/simple")

    def test_empty_index_list_is_refused(self):
        with self.assertRaisesRegex(ValueError, "pip_index_urls"):
            packages_script(["x"], [])


if __name__ == "__main__":
    unittest.main()

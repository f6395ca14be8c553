"""CustomTrainer function -> container command: the generated bash script is run for real
(bash, a recording fake torchrun, Debian's python3) and must call the function with its
func_args, ship its source byte for byte, and clean up after itself."""
import hashlib
import json
import os
import unittest

import trainer_testlib as lib
from skiff.trainer import CustomTrainer, constants
from skiff.trainer.function import function_command, ship_function
from skiff.trainer.spec import build_trainjob
from skiff.trainer.status import runtime_from_object


def record_call(out, lr=0.0, tags=None, nested=None):
    import json
    import os
    import sys
    with open(out, "w") as f:
        json.dump({"lr": lr, "tags": tags, "nested": nested, "argv": sys.argv,
                   "rank": os.environ.get("RANK")}, f)
    print(f"record_call lr={lr}")


def tricky_source(out):
    # Shell metacharacters must reach the file untouched (a quoted heredoc).
    text = "cost $HOME `uname` $(id) \\n \\\\ done"
    marker = """
SKIFF_FUNC_EOF
"""
    with open(out, "w") as f:
        f.write(text + "|" + marker)


def failing():
    raise SystemExit(7)


def no_args():
    print("no-args ran")


class ShipFunctionTest(unittest.TestCase):
    def test_source_call_line_and_file_name(self):
        shipped = ship_function(record_call, {"lr": 0.5, "tags": ["a", "b"]})
        self.assertEqual(shipped.name, "record_call")
        self.assertEqual(shipped.file_name, "test_trainer_function.py")
        self.assertTrue(shipped.source.startswith("def record_call(out, lr=0.0"))
        self.assertTrue(shipped.source.endswith(
            "\nrecord_call(**{'lr': 0.5, 'tags': ['a', 'b']})\n"), shipped.source)
        self.assertEqual(shipped.digest,
                         "sha256:" + hashlib.sha256(shipped.source.encode()).hexdigest())

    def test_no_args_call(self):
        self.assertTrue(ship_function(no_args).source.endswith("\nno_args()\n"))

    def test_nested_function_is_dedented(self):
        def inner():
            return 1
        shipped = ship_function(inner)
        self.assertTrue(shipped.source.startswith("def inner():"), shipped.source)

    def test_rejects_what_cannot_be_shipped(self):
        with self.assertRaisesRegex(ValueError, "named function"):
            ship_function(lambda: 1)
        with self.assertRaisesRegex(ValueError, "Cannot read the source"):
            ship_function(len)
        with self.assertRaisesRegex(ValueError, "callable"):
            ship_function("train")
        with self.assertRaisesRegex(ValueError, "Python literals"):
            ship_function(record_call, {"out": object()})
        with self.assertRaisesRegex(ValueError, "must be a dict"):
            ship_function(record_call, ["x"])


class ScriptRunTest(unittest.TestCase):
    def run_function(self, func, func_args, entrypoint=("torchrun",), packages=None,
                     index_urls=None):
        shipped = ship_function(func, func_args)
        command = function_command(shipped, entrypoint, packages, index_urls)
        self.assertEqual(command[:2], ["bash", "-c"])
        proc, record = lib.run_script(self, command[2])
        return shipped, proc, record

    def test_torchrun_runs_the_function_with_its_args(self):
        out = os.path.join(lib.temp_dir(self), "out.json")
        args = {"out": out, "lr": 0.25, "tags": ["x", "y's"], "nested": {"k": [1, 2.5, None]}}
        shipped, proc, record = self.run_function(record_call, args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("record_call lr=0.25", proc.stdout)
        result = json.loads(lib.read(out))
        self.assertEqual(result["lr"], 0.25)
        self.assertEqual(result["tags"], ["x", "y's"])
        self.assertEqual(result["nested"], {"k": [1, 2.5, None]})
        argv = lib.read(os.path.join(record, "torchrun.argv")).splitlines()
        self.assertEqual(len(argv), 1)
        file_path = argv[0]
        self.assertEqual(os.path.basename(file_path), "test_trainer_function.py")
        self.assertTrue(file_path.startswith(os.path.join(record, "tmp", "skiff-train.")),
                        file_path)
        self.assertEqual(result["argv"], [file_path])
        # Shipped byte for byte, and the private directory is gone afterwards.
        self.assertEqual(lib.read(os.path.join(record, "shipped.py")), shipped.source)
        self.assertEqual(os.listdir(os.path.join(record, "tmp")), [])

    def test_shell_metacharacters_and_delimiter_lines_survive(self):
        out = os.path.join(lib.temp_dir(self), "out.txt")
        shipped, proc, record = self.run_function(tricky_source, {"out": out})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(lib.read(out),
                         "cost $HOME `uname` $(id) \\n \\\\ done|\nSKIFF_FUNC_EOF\n")
        self.assertEqual(lib.read(os.path.join(record, "shipped.py")), shipped.source)

    def test_exit_status_is_the_functions(self):
        _, proc, record = self.run_function(failing, None)
        self.assertEqual(proc.returncode, 7)
        self.assertEqual(os.listdir(os.path.join(record, "tmp")), [])

    def test_python_entrypoint_without_policy(self):
        out = os.path.join(lib.temp_dir(self), "out.json")
        _, proc, record = self.run_function(record_call, {"out": out, "lr": 1},
                                            entrypoint=("python",))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(record, "torchrun.argv")))
        self.assertEqual(json.loads(lib.read(out))["lr"], 1)

    def test_mpi_runtime_wraps_in_mpirun(self):
        command = function_command(ship_function(no_args), ("mpirun", "--hostfile",
                                                            "/etc/mpi/hostfile", "python"))
        self.assertEqual(command[:5], ["mpirun", "--hostfile", "/etc/mpi/hostfile", "bash",
                                       "-c"])
        self.assertNotIn("torchrun", command[5])


class TrainJobCommandTest(unittest.TestCase):
    """The seed's CustomTrainer through build_trainjob: the command in the TrainJob runs."""

    def test_seed_shaped_trainjob_runs(self):
        runtime = runtime_from_object(lib.torch_runtime())
        out = os.path.join(lib.temp_dir(self), "out.json")
        trainer = CustomTrainer(func=record_call, func_args={"out": out, "lr": 3.5},
                                num_nodes=2, resources_per_node={"gpu": 2},
                                packages_to_install=["torch"],
                                pip_index_urls=["http://127.0.0.1:9/simple"])
        job = build_trainjob("a0123456789a", runtime, trainer=trainer)
        command = job["spec"]["trainer"]["command"]
        self.assertEqual(command[:2], ["bash", "-c"])
        proc, record = lib.run_script(self, command[2])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("already installed: torch", proc.stdout)
        self.assertEqual(json.loads(lib.read(out))["lr"], 3.5)
        shipped = lib.read(os.path.join(record, "shipped.py"))
        annotations = job["metadata"]["annotations"]
        self.assertEqual(annotations[constants.FUNCTION_DIGEST_ANNOTATION],
                         "sha256:" + hashlib.sha256(shipped.encode()).hexdigest())
        self.assertEqual(annotations[constants.FUNCTION_NAME_ANNOTATION], "record_call")


if __name__ == "__main__":
    unittest.main()

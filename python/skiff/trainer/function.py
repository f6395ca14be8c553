"""Turns a CustomTrainer function into the trainer container command, the upstream way
(trainer.md §6): the function's source plus a call line is written to a file by a bash
script, which then runs it with the runtime's entrypoint (torchrun, python, mpirun).

Differences from the Kubeflow SDK, each for a reason:
- The heredoc is quoted, so `$`, backticks and backslashes in the code reach the file
  unchanged (upstream's unquoted heredoc lets bash expand them).
- The file goes into a fresh `mktemp -d` directory, not the working directory: Skiff pods
  run on the host's filesystem with working directory `/`, where concurrent jobs would
  overwrite each other's `train.py`.
- packages_to_install installs only what the pod's Python lacks, with short pip timeouts,
  and fails with one clear line when the index is unreachable (no network on the host).
"""
from __future__ import annotations

import ast
import hashlib
import inspect
import os
import re
import textwrap
from dataclasses import dataclass

from skiff.trainer import constants

_SAFE_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.py$")
_DEFAULT_FILE = "train.py"


@dataclass(frozen=True)
class ShippedFunction:
    """The code a CustomTrainer ships: `source` is exactly what lands in `file_name`."""

    name: str
    file_name: str
    source: str

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.source.encode("utf-8")).hexdigest()


def ship_function(func, func_args=None) -> ShippedFunction:
    """Source of `func`, dedented, followed by `func()` or `func(**{...})`.

    Raises ValueError when func is not a named function whose source Python can read, or when
    func_args is not a dict of Python literals (its repr is pasted into the code).
    """
    if not callable(func):
        raise ValueError(f"Training function must be callable, got {type(func).__name__}")
    name = getattr(func, "__name__", "")
    if not name.isidentifier():
        raise ValueError(f"Training function must be a named function (def), got {func!r}")
    try:
        source = inspect.getsource(func)
        defined_in = inspect.getfile(func)
    except (OSError, TypeError) as e:
        raise ValueError(f"Cannot read the source of {name}: {e}. Define the training function "
                         "in a .py file or a notebook cell.") from e
    source = textwrap.dedent(source).rstrip() + "\n"
    if func_args is None:
        call = f"{name}()"
    else:
        if not isinstance(func_args, dict):
            raise ValueError(f"func_args must be a dict, got {type(func_args).__name__}")
        rendered = repr(func_args)
        try:
            round_trips = ast.literal_eval(rendered) == func_args
        except (ValueError, SyntaxError):
            round_trips = False
        if not round_trips:
            raise ValueError("func_args must hold only Python literals (str, int, float, bool, "
                             f"None, list, tuple, dict): {rendered} is pasted into the code")
        call = f"{name}(**{rendered})"
    file_name = os.path.basename(defined_in)
    if not _SAFE_FILE.match(file_name):
        file_name = _DEFAULT_FILE
    return ShippedFunction(name=name, file_name=file_name, source=f"{source}\n\n{call}\n")


def _heredoc_delimiter(text: str, base: str) -> str:
    lines = set(text.splitlines())
    delimiter = base
    while delimiter in lines:
        delimiter += "_X"
    return delimiter


def _quote_list(values) -> str:
    return "[" + ", ".join(repr(str(v)) for v in values) + "]"


# Runs on the pod's Python before the function. PACKAGES and INDEX_URLS are prepended.
# It prints what it skipped, installs only what is missing and, when pip fails, says why in
# one line (an unreachable index is the usual reason on an offline host).
_PIP_HELPER = r'''
import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

# Distributions whose import name differs from the distribution name.
IMPORT_NAMES = {
    "scikit-learn": "sklearn", "pillow": "PIL", "pyyaml": "yaml",
    "opencv-python": "cv2", "opencv-python-headless": "cv2", "beautifulsoup4": "bs4",
    "python-dateutil": "dateutil", "protobuf": "google.protobuf", "msgpack-python": "msgpack",
}
SPEC = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$")


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_version(name):
    """The installed version, "" when importable with no metadata, None when absent."""
    for candidate in (name, normalize(name), normalize(name).replace("-", "_")):
        try:
            return importlib.metadata.version(candidate)
        except importlib.metadata.PackageNotFoundError:
            pass
    module = IMPORT_NAMES.get(normalize(name), normalize(name).replace("-", "_"))
    try:
        return "" if importlib.util.find_spec(module) is not None else None
    except (ImportError, ValueError):
        return None


def satisfied(version, constraint):
    if not constraint or version == "":
        return True
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
    except ImportError:
        try:
            from pip._vendor.packaging.specifiers import InvalidSpecifier, SpecifierSet
        except ImportError:
            return True  # cannot judge a version here; the name is installed
    try:
        return SpecifierSet(constraint.strip("() ")).contains(version, prereleases=True)
    except InvalidSpecifier:
        return False


def already_installed(requirement):
    m = SPEC.match(requirement)
    if not m:
        return None
    constraint = m.group(3).split(";")[0].strip()
    if constraint and constraint[0] not in "<>=!~(":
        return None  # a URL, path or direct reference: always hand it to pip
    version = installed_version(m.group(1))
    if version is None or not satisfied(version, constraint):
        return None
    return f"{m.group(1)} {version}".strip()


def reachable(url):
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True  # the server answered
    except Exception:
        return False


have, missing = [], []
for requirement in PACKAGES:
    found = already_installed(requirement)
    if found:
        have.append(found)
    else:
        missing.append(requirement)
if have:
    print("skiff: packages_to_install already installed: " + ", ".join(have), flush=True)
if not missing:
    sys.exit(0)
if importlib.util.find_spec("pip") is None:
    print(f"skiff: could not install {missing!r}: pip is not available for {sys.executable} "
          "(install python3-pip on the host, or install the packages there)",
          file=sys.stderr, flush=True)
    sys.exit(1)
cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-warn-script-location",
       "--disable-pip-version-check", "--no-input", "--timeout", "5", "--retries", "0",
       "--index-url", INDEX_URLS[0]]
for url in INDEX_URLS[1:]:
    cmd += ["--extra-index-url", url]
# Like the Kubeflow SDK: --user only when neither root nor in a virtualenv (sdk#89).
if sys.prefix == sys.base_prefix and hasattr(os, "geteuid") and os.geteuid() != 0:
    cmd.append("--user")
# Debian marks its Python externally managed; pip then installs to /usr/local (or ~/.local),
# never over dpkg's files.
env = dict(os.environ, PIP_BREAK_SYSTEM_PACKAGES="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
run = subprocess.run(cmd + missing, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, text=True, env=env)
if run.returncode == 0:
    print("skiff: packages_to_install installed: " + ", ".join(missing), flush=True)
    sys.exit(0)
unreachable = [url for url in INDEX_URLS if not reachable(url)]
if len(unreachable) == len(INDEX_URLS):
    reason = (f"no network access to {', '.join(unreachable)} (packages_to_install needs a "
              "reachable index; install them on the host or set pip_index_urls to a local index)")
else:
    reason = f"pip exited with {run.returncode} (its output follows)"
print(f"skiff: could not install {missing!r}: {reason}", file=sys.stderr, flush=True)
for line in run.stdout.strip().splitlines()[-20:]:
    print("  pip: " + line, file=sys.stderr)
sys.exit(1)
'''


def packages_script(packages, index_urls) -> str:
    """Bash lines that install the missing `packages` with the pod's $SKIFF_PY, or exit 1."""
    if not index_urls:
        raise ValueError("pip_index_urls must name at least one index")
    helper = (f"PACKAGES = {_quote_list(packages)}\n"
              f"INDEX_URLS = {_quote_list(index_urls)}\n" + _PIP_HELPER)
    delimiter = _heredoc_delimiter(helper, "SKIFF_PIP_EOF")
    return (f"# packages_to_install: pip-installs only what this Python lacks.\n"
            f"\"$SKIFF_PY\" - <<'{delimiter}' || exit 1\n{helper.strip()}\n{delimiter}\n")


def function_script(shipped: ShippedFunction, entrypoint, packages=None,
                    index_urls=None) -> str:
    """The bash script that writes `shipped` to a private file and runs it with `entrypoint`
    ("torchrun" or "python"); exits with the entrypoint's status."""
    lines = [
        f"# Skiff CustomTrainer: runs {shipped.name}() from {shipped.file_name} "
        f"({shipped.digest}).",
        'SKIFF_PY="$(command -v python3 || command -v python)" || '
        '{ echo "skiff: no python3 on PATH" >&2; exit 127; }',
    ]
    script = "\n".join(lines) + "\n"
    if packages:
        script += packages_script(packages, index_urls or constants.default_pip_index_urls())
    delimiter = _heredoc_delimiter(shipped.source, "SKIFF_FUNC_EOF")
    target = f'"$SKIFF_FUNC_DIR/{shipped.file_name}"'
    if entrypoint == constants.TORCH_ENTRYPOINT:
        # torchrun reads the controller's PET_* env; python -m torch.distributed.run is the
        # same launcher for hosts whose torch has no torchrun script on PATH.
        run = (f"if command -v torchrun >/dev/null 2>&1; then torchrun {target}; "
               f'else "$SKIFF_PY" -m torch.distributed.run {target}; fi')
    else:
        run = f'"$SKIFF_PY" {target}'
    script += (
        'SKIFF_FUNC_DIR="$(mktemp -d "${TMPDIR:-/tmp}/skiff-train.XXXXXX")" || exit 1\n'
        f"cat > {target} <<'{delimiter}'\n{shipped.source}{delimiter}\n"
        f"{run}\n"
        "skiff_rc=$?\n"
        'rm -rf "$SKIFF_FUNC_DIR"\n'
        "exit $skiff_rc\n")
    return script


def function_command(shipped: ShippedFunction, runtime_command, packages=None,
                     index_urls=None) -> list:
    """trainer.command for a CustomTrainer on a runtime whose entrypoint is `runtime_command`
    (RuntimeTrainer.command): ["bash", "-c", script], behind mpirun for MPI runtimes."""
    runtime_command = tuple(runtime_command or (constants.PYTHON_ENTRYPOINT,))
    if runtime_command[0] == "mpirun":
        script = function_script(shipped, constants.PYTHON_ENTRYPOINT, packages, index_urls)
        return [*constants.MPI_COMMAND_PREFIX, "bash", "-c", script]
    entry = (constants.TORCH_ENTRYPOINT if runtime_command[0] == constants.TORCH_ENTRYPOINT
             else constants.PYTHON_ENTRYPOINT)
    return ["bash", "-c", function_script(shipped, entry, packages, index_urls)]

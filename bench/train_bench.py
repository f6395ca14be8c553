"""TrainJob start latency (issue 4's benchmark).

1. 50 TrainJobs of 2 nodes x 1 process, created one after another through the Python client.
   Each rank is started by Skiff's torchrun launcher with --no-python and writes the wall-clock
   time it began (ns) to a file; latency = the last rank's start - the create call's start. The
   Python import inside a rank is excluded by construction (no Python runs).
2. SDK round trip: TrainerClient.train() of a function that prints one line, to that line
   arriving through get_job_logs(follow=True) (includes the rank's python3 start, not torch).
Anchor: the Kubernetes pod-startup SLO is p99 <= 5 s; the target is < 250 ms to all ranks."""
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "python"))
from run import start_skiff  # noqa: E402
from pod_bench import pct  # noqa: E402

from kubernetes import client as kclient, config as kconfig  # noqa: E402

GROUP, VERSION = "trainer.kubeflow.org", "v1alpha1"


def trainjob(name, out_dir):
    script = f'date +%s%N > {out_dir}/{name}.$RANK'
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "TrainJob", "metadata": {"name": name},
            "spec": {"runtimeRef": {"name": "torch-distributed"},
                     "trainer": {"numNodes": 2, "numProcPerNode": 1,
                                 "command": ["torchrun", "--no-python", "sh", "-c", script]}}}


def wait_files(paths, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(os.path.exists(p) and os.path.getsize(p) > 0 for p in paths):
            return True
        time.sleep(0.002)
    return False


def run(jobs=50, sdk_rounds=5):
    tmp = tempfile.mkdtemp(prefix="skiff-train-bench-")
    out_dir = tempfile.mkdtemp(prefix="skiff-train-ranks-")
    proc, kc = start_skiff(tmp)
    result = {"jobs": jobs, "load_before": os.getloadavg()[0]}
    try:
        kconfig.load_kube_config(config_file=kc)
        api = kclient.CustomObjectsApi()
        core = kclient.CoreV1Api()
        deadline = time.time() + 30
        while time.time() < deadline:  # built-in runtimes are installed at start-up
            try:
                api.get_cluster_custom_object(GROUP, VERSION, "clustertrainingruntimes",
                                              "torch-distributed")
                break
            except kclient.ApiException:
                time.sleep(0.05)
        lat, missing = [], 0
        for i in range(jobs):
            name = f"tb-{i}"
            files = [f"{out_dir}/{name}.{r}" for r in (0, 1)]
            t0 = time.time_ns()
            api.create_namespaced_custom_object(GROUP, VERSION, "default", "trainjobs",
                                                trainjob(name, out_dir))
            if not wait_files(files):
                missing += 1
                continue
            starts = [int(open(f).read().strip()) for f in files]
            lat.append((max(starts) - t0) / 1e6)
        result.update({"started": len(lat), "missing": missing,
                       "all_ranks_p50_ms": pct(lat, 50), "all_ranks_p99_ms": pct(lat, 99),
                       "all_ranks_max_ms": max(lat) if lat else float("nan")})
        api.delete_collection_namespaced_custom_object(GROUP, VERSION, "default", "trainjobs")

        from skiff.trainer import CustomTrainer, KubernetesBackendConfig, TrainerClient

        def hello():
            print("hello from rank", __import__("os").environ.get("RANK"), flush=True)

        sdk = TrainerClient(KubernetesBackendConfig(config_file=kc))
        rounds = []
        for _ in range(sdk_rounds):
            t0 = time.time()
            name = sdk.train(trainer=CustomTrainer(func=hello, num_nodes=1))
            for _line in sdk.get_job_logs(name, follow=True):
                rounds.append((time.time() - t0) * 1000)
                break
            sdk.delete_job(name)
        result.update({"sdk_rounds": len(rounds), "sdk_first_line_p50_ms": pct(rounds, 50),
                       "sdk_first_line_max_ms": max(rounds) if rounds else float("nan")})
        # Leave no pods behind: they outlive skiff up by design.
        api.delete_collection_namespaced_custom_object(GROUP, VERSION, "default", "trainjobs")
        deadline = time.time() + 60
        while time.time() < deadline and core.list_namespaced_pod("default").items:
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(out_dir, ignore_errors=True)
    return result


def section(r):
    return "\n".join([
        "## TrainJob start latency (issue 4)",
        "",
        f"{r['jobs']} TrainJobs of 2 nodes, created one after another through the Python client; "
        "each rank is a process started by Skiff's torchrun launcher (`--no-python`, so no "
        "Python import is counted) that writes its start time. Latency = last rank started − "
        "create call issued: API write, TrainJob → JobSet → Job → 2 pods, scheduling, sandbox "
        "(netns, cgroup), launcher, rank.",
        "",
        "| | p50 | p99 | max | anchor |",
        "|---|---|---|---|---|",
        f"| apply → all ranks started | {r['all_ranks_p50_ms']:.0f} ms | "
        f"{r['all_ranks_p99_ms']:.0f} ms | {r['all_ranks_max_ms']:.0f} ms | "
        "Kubernetes pod-startup SLO p99 ≤ 5 s; target < 250 ms |",
        f"| SDK `train()` → first log line (`get_job_logs(follow=True)`) | "
        f"{r['sdk_first_line_p50_ms']:.0f} ms | – | {r['sdk_first_line_max_ms']:.0f} ms | "
        f"{r['sdk_rounds']} rounds, 1 node, includes the rank's python3 start |",
        "",
        f"- jobs whose ranks all started: {r['started']}/{r['jobs']}",
        f"- 1-minute load average when the run started: {r.get('load_before', 0):.1f} on 2 cores "
        "(figures above ~1 are inflated by other work on the machine)", ""])


if __name__ == "__main__":
    res = run()
    print(json.dumps(res, indent=2))
    if "--write" in sys.argv:
        from run import write_section
        write_section("training", section(res))

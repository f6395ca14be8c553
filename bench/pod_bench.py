"""Pod start latency and node-agent overhead (issue 3's benchmark).

Creates N pods one after another through the API (the Python kubernetes client), and records
for each the time from the create reply to the watch showing it Running and then Ready (a
trivial exec readiness probe). Then, with 100 idle pods, samples the `skiff up` process's CPU
use. Anchor: the Kubernetes SLO is p99 <= 5 s for pod startup (excluding image pulls); the
target here is < 100 ms p99 for a pod whose process starts at once."""
import json
import os
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from run import start_skiff  # noqa: E402

from kubernetes import client as kclient, config as kconfig, watch as kwatch  # noqa: E402


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def pod(name, probe):
    c = {"name": "c", "image": "busybox", "command": ["/bin/sleep", "3600"]}
    if probe:
        c["readinessProbe"] = {"exec": {"command": ["/bin/true"]}, "periodSeconds": 1}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"b": "1"}},
            "spec": {"containers": [c], "terminationGracePeriodSeconds": 1}}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(n=200, idle=100, spacing=0.05):
    tmp = tempfile.mkdtemp(prefix="skiff-podbench-")
    # 200 pods exceed the default 110 per node: declare room for them, as --max-pods would.
    proc, kc = start_skiff(tmp, extra=["--capacity", "pods=250"])
    api = None
    try:
        api = kclient.CoreV1Api(kconfig.new_client_from_config(kc))
        # Wait for the node agent's Node to be Ready.
        for _ in range(400):
            nodes = api.list_node().items
            conds = (nodes[0].status.conditions or []) if nodes and nodes[0].status else []
            if any(c.type == "Ready" and c.status == "True" for c in conds):
                break
            time.sleep(0.05)
        created, running, ready = {}, {}, {}
        lock = threading.Lock()
        stop = threading.Event()

        def observe(p, now):
            name = p.metadata.name
            with lock:
                if p.status and p.status.phase == "Running" and name not in running:
                    running[name] = now
                for c in (p.status.conditions or []) if p.status else []:
                    if c.type == "Ready" and c.status == "True" and name not in ready:
                        ready[name] = now

        def watcher():
            # A watch the server or the network ends is resumed from the last resourceVersion
            # (or a fresh list), so a dropped stream does not silently stop the measurement.
            rv = None
            while not (stop.is_set() and len(ready) >= n):
                try:
                    if rv is None:
                        lst = api.list_namespaced_pod("default", label_selector="b=1")
                        now = time.monotonic()
                        for p in lst.items:
                            observe(p, now)
                        rv = lst.metadata.resource_version
                    w = kwatch.Watch()
                    for ev in w.stream(api.list_namespaced_pod, "default", label_selector="b=1",
                                       resource_version=rv, timeout_seconds=600):
                        observe(ev["object"], time.monotonic())
                        rv = ev["object"].metadata.resource_version
                        with lock:
                            if stop.is_set() and len(ready) >= n:
                                w.stop()
                except Exception:  # noqa: BLE001 - resume the watch
                    rv = None
                    time.sleep(0.05)
        t = threading.Thread(target=watcher, daemon=True)
        t.start()
        time.sleep(0.5)  # the watch is established before the first create
        for i in range(n):
            name = f"p{i}"
            api.create_namespaced_pod("default", pod(name, probe=True))
            with lock:
                created[name] = time.monotonic()
            time.sleep(spacing)
        stop.set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with lock:
                if len(ready) >= n:
                    break
            time.sleep(0.1)
        with lock:
            to_running = [(running[k] - created[k]) * 1000 for k in created if k in running]
            to_ready = [(ready[k] - created[k]) * 1000 for k in created if k in ready]
        # Overhead with `idle` pods running: keep the first `idle`, delete the rest.
        for i in range(idle, n):
            api.delete_namespaced_pod(f"p{i}", "default", grace_period_seconds=0)
        time.sleep(5)
        c0, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(10)
        c1, t1 = cpu_seconds(proc.pid), time.monotonic()
        overhead = 100.0 * (c1 - c0) / (t1 - t0)
        return {
            "pods": n, "spacing_ms": spacing * 1000,
            "running": len(to_running), "ready": len(to_ready),
            "to_running_p50_ms": pct(to_running, 50), "to_running_p99_ms": pct(to_running, 99),
            "to_ready_p50_ms": pct(to_ready, 50), "to_ready_p99_ms": pct(to_ready, 99),
            "idle_pods": idle, "idle_cpu_percent": overhead,
        }
    finally:
        # Pods outlive `skiff up` by design: delete them and wait before stopping it.
        try:
            api.delete_collection_namespaced_pod("default", grace_period_seconds=0)
            for _ in range(600):
                if not api.list_namespaced_pod("default").items:
                    break
                time.sleep(0.1)
        except Exception as e:  # noqa: BLE001 - cleanup must reach terminate()
            print("pod cleanup failed:", e, file=sys.stderr)
        proc.terminate()
        proc.wait(timeout=60)


def section(r):
    return "\n".join([
        "## Pod start latency and node-agent overhead (issue 3)",
        "",
        f"{r['pods']} pods created one every {r['spacing_ms']:.0f} ms through the API "
        "(`/bin/sleep` containers in their own network namespace and cgroup, exec readiness "
        "probe `/bin/true`, period 1 s); latency from the create reply to the watch event.",
        "",
        "| | p50 | p99 | anchor |",
        "|---|---|---|---|",
        f"| create → Running | {r['to_running_p50_ms']:.0f} ms | {r['to_running_p99_ms']:.0f} ms "
        "| Kubernetes SLO: p99 ≤ 5 s; target < 100 ms |",
        f"| create → Ready | {r['to_ready_p50_ms']:.0f} ms | {r['to_ready_p99_ms']:.0f} ms | |",
        "",
        f"- reached Running: {r['running']}/{r['pods']}, Ready: {r['ready']}/{r['pods']}",
        f"- `skiff up` CPU with {r['idle_pods']} idle pods (probes every second): "
        f"{r['idle_cpu_percent']:.1f}% of one core", ""])


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))

#!/usr/bin/python3
"""Gateway benchmark (issue #7): the same skiff-serve-sklearn process driven directly and
through skiff-gateway, with the same load tool as bench/serving_bench.py (wrk, keep-alive),
in the same run. Reports the latency the gateway adds (p50, p99) and the throughput ratio, for
the model's :predict route and for the server's fixed-response route (the proxy's own cost,
with no model time to hide it). Target (DESIGN.md §8): <= 0.3 ms added at p50.

The model server and the gateway share the server cores; wrk runs pinned to the other cores.
Direct and gateway runs alternate per point, so machine noise hits both alike.

Usage: /usr/bin/python3 bench/gateway_bench.py [BUILD_DIR] [--gateway PATH] [--duration S]
       [--rounds N] [--write]
Prints JSON; with --write, also writes the docs/benchmarks.md section "gateway"."""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serving_bench import (BODY, REPO, SHARED, cores, cpu_seconds, free_port,  # noqa: E402
                           run_wrk, wait_ready)

HOST = "iris.bench.example.com"
CONCURRENCY = (1, 16, 64)
PATHS = {"predict": "/v1/models/iris:predict", "fixed": "/bench/fixed"}


def lua_script(path, host=None):
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"',
             f"wrk.body = {json.dumps(BODY)}"]
    if host:
        lines.append(f'wrk.headers["Host"] = "{host}"')
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def post(url, host=None):
    req = urllib.request.Request(url, data=BODY.encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          **({"Host": host} if host else {})})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read().decode()


def wait_routed(url, proc, host, timeout=30):
    """Waits until a request through the gateway reaches the model (routes file loaded)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited with {proc.returncode}")
        try:
            status, _ = post(url, host)
            if status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gateway did not route to the model server")


def median_point(points):
    keys = ("rps", "p50_ms", "p99_ms")
    out = {k: statistics.median(p[k] for p in points) for k in keys}
    out["non2xx"] = sum(p["non2xx"] for p in points)
    for k in ("cpu_us_per_req", "server_cpu_us_per_req"):
        if all(k in p for p in points):
            out[k] = statistics.median(p[k] for p in points)
    return out


def run(build, gateway_exe, duration, rounds):
    sklearn = os.path.join(build, "src", "runtimes", "sklearn", "skiff-serve-sklearn")
    for exe in (sklearn, gateway_exe):
        if not os.path.exists(exe):
            raise SystemExit(f"{exe} not built")
    if not shutil.which("wrk"):
        raise SystemExit("wrk not installed (apt-get install wrk)")
    server_cores, wrk_cores = cores()
    first, last = int(server_cores.split("-")[0]), int(server_cores.split("-")[-1])
    workers = last - first + 1
    tmp = tempfile.mkdtemp(prefix="skiff-gateway-bench-")
    procs = []
    try:
        subprocess.run(["/usr/bin/python3", os.path.join(SHARED, "bench", "make_models.py"), tmp],
                       check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen(
            ["taskset", "-c", server_cores, sklearn, "--model_name", "iris", "--model_dir",
             os.path.join(tmp, "sklearn-iris"), "--http_port", str(port), "--http_host",
             "127.0.0.1", "--enable_grpc", "false", "--workers", str(workers), "--log_level",
             "warn", "--enable_fixed_response", "true"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(server)
        wait_ready(f"http://127.0.0.1:{port}/v2/health/ready", server)

        routes = os.path.join(tmp, "routes.json")
        with open(routes, "w") as f:
            json.dump({"routes": [{"hosts": [HOST], "backends": [
                {"revision": "bench/iris-predictor-00001", "weight": 100,
                 "endpoints": [f"127.0.0.1:{port}"]}]}]}, f)
        gw_port, metrics_port = free_port(), free_port()
        gateway = subprocess.Popen(
            ["taskset", "-c", server_cores, gateway_exe, "--listen", f"127.0.0.1:{gw_port}",
             "--metrics-bind-address", f"127.0.0.1:{metrics_port}", "--routes", routes,
             "--workers", str(workers), "--log-level", "warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(gateway)
        wait_ready(f"http://127.0.0.1:{metrics_port}/healthz", gateway)
        wait_routed(f"http://127.0.0.1:{gw_port}{PATHS['predict']}", gateway, HOST)

        direct_lua = lua_script(os.path.join(tmp, "direct.lua"))
        gw_lua = lua_script(os.path.join(tmp, "gateway.lua"), HOST)
        sample_direct = post(f"http://127.0.0.1:{port}{PATHS['predict']}")[1]
        sample_gw = post(f"http://127.0.0.1:{gw_port}{PATHS['predict']}", HOST)[1]
        # Warm-up: pools filled, caches hot, both ways.
        run_wrk(f"http://127.0.0.1:{port}{PATHS['predict']}", 16, 2, direct_lua, wrk_cores)
        run_wrk(f"http://127.0.0.1:{gw_port}{PATHS['predict']}", 16, 2, gw_lua, wrk_cores)

        results = {}
        for name, path in PATHS.items():
            for c in CONCURRENCY:
                direct_pts, gw_pts = [], []
                for _ in range(rounds):
                    # CPU per request of each process (all threads, user + system): unlike
                    # requests/s it barely depends on the share of the cores other tenants take.
                    before = cpu_seconds(server.pid)
                    p = run_wrk(f"http://127.0.0.1:{port}{path}", c, duration, direct_lua,
                                wrk_cores)
                    p["server_cpu_us_per_req"] = (cpu_seconds(server.pid) - before) * 1e6 / max(
                        1, p["rps"] * duration)
                    direct_pts.append(p)
                    before_gw, before = cpu_seconds(gateway.pid), cpu_seconds(server.pid)
                    p = run_wrk(f"http://127.0.0.1:{gw_port}{path}", c, duration, gw_lua,
                                wrk_cores)
                    n = max(1, p["rps"] * duration)
                    p["cpu_us_per_req"] = (cpu_seconds(gateway.pid) - before_gw) * 1e6 / n
                    p["server_cpu_us_per_req"] = (cpu_seconds(server.pid) - before) * 1e6 / n
                    gw_pts.append(p)
                d, g = median_point(direct_pts), median_point(gw_pts)
                results[f"{name}_c{c}"] = {
                    "direct": d, "gateway": g,
                    "added_p50_ms": g["p50_ms"] - d["p50_ms"],
                    "added_p99_ms": g["p99_ms"] - d["p99_ms"],
                    "rps_ratio": g["rps"] / d["rps"] if d["rps"] else 0.0}
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as r:
            metrics = r.read().decode()
        upstream_conns = next((float(line.split()[-1]) for line in metrics.splitlines()
                               if line.startswith("skiff_gateway_upstream_connections_opened_total ")),
                              0.0)
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"server_cores": server_cores, "wrk_cores": wrk_cores, "workers": workers,
            "duration_s": duration, "rounds": rounds, "body": BODY,
            "sample_direct": sample_direct, "sample_gateway": sample_gw,
            "upstream_connections_opened": upstream_conns, "points": results}


def section(r):
    p = r["points"]
    lines = ["## Gateway (issue #7)", "",
             f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores "
             f"({platform.processor() or platform.machine()}). One `skiff-serve-sklearn` "
             "(SVC iris model) and `skiff-gateway` in front of it, both pinned to cores "
             f"{r['server_cores']} (`--workers {r['workers']}` each); wrk pinned to cores "
             f"{r['wrk_cores']}, keep-alive connections, KServe's sample V1 body, "
             f"{r['duration_s']} s per point, direct and gateway runs alternating "
             f"({r['rounds']} round(s), medians). `predict` is `:predict` on the model; "
             "`fixed` is the server's `/bench/fixed` constant answer, which leaves only the "
             "proxy's own cost. Added latency = gateway minus direct, same run. The machine is "
             "shared with other builds, so absolute numbers are noisy.", "",
             "| route | c | direct req/s | gateway req/s | ratio | direct p50/p99 ms "
             "| gateway p50/p99 ms | added p50 ms | added p99 ms | server CPU us/req "
             "| gateway CPU us/req |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in PATHS:
        for c in CONCURRENCY:
            x = p[f"{name}_c{c}"]
            d, g = x["direct"], x["gateway"]
            lines.append(
                f"| {name} | {c} | {d['rps']:,.0f} | {g['rps']:,.0f} | {x['rps_ratio']:.2f} "
                f"| {d['p50_ms']:.3f} / {d['p99_ms']:.3f} | {g['p50_ms']:.3f} / {g['p99_ms']:.3f} "
                f"| {x['added_p50_ms']:+.3f} | {x['added_p99_ms']:+.3f} "
                f"| {d.get('server_cpu_us_per_req', 0):.1f} | {g.get('cpu_us_per_req', 0):.1f} |")
    c1 = p["predict_c1"]
    lines += ["", f"- Added p50 at c=1 on `:predict`: {c1['added_p50_ms'] * 1000:.0f} us "
              f"(target <= 300 us); on the fixed route {p['fixed_c1']['added_p50_ms'] * 1000:.0f} us.",
              f"- Throughput through the gateway at c=64: {p['predict_c64']['rps_ratio']:.0%} of "
              f"direct on `:predict`, {p['fixed_c64']['rps_ratio']:.0%} on the fixed route: the "
              "gateway competes with the model server for the same cores, so the ratio follows "
              "from the CPU columns (gateway CPU per request vs the server's own).",
              f"- Upstream connections the gateway opened over the whole run: "
              f"{r['upstream_connections_opened']:.0f} (keep-alive pool).", ""]
    bad = [k for k, x in p.items() if x["direct"]["non2xx"] or x["gateway"]["non2xx"]]
    if bad:
        lines.append(f"- non-2xx responses seen for: {', '.join(bad)}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(REPO, "build"))
    ap.add_argument("--gateway", help="skiff-gateway binary (default BUILD/src/gateway/)")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    gateway = args.gateway or os.path.join(args.build, "src", "gateway", "skiff-gateway")
    result = run(args.build, gateway, args.duration, args.rounds)
    print(json.dumps(result, indent=2))
    if args.write:
        from run import write_section
        write_section("gateway", section(result))


if __name__ == "__main__":
    main()

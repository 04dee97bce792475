"""bench/transfer's driver: the 10 MiB scenario of bench/run alone, with minihttp variants and a
choice of client, and where each side's CPU time goes (user, system, softirq per CPU), the
client's context switches and the kernel's TCP counters. For experiments on the large-file
path; run it through bench/transfer. The findings it produced are in docs/performance.md
("The 10 MiB transfer").

A variant is another minihttp-server binary, or the same one with environment variables (for
an engine patched to read its knobs from the environment during an experiment):
    --variant NAME[=BINARY][:KEY=VALUE[,KEY=VALUE...]]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import servers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TCP_COUNTERS = [("Tcp", "RetransSegs"), ("TcpExt", "TCPBacklogCoalesce"),
                ("TcpExt", "TCPRcvQDrop"), ("TcpExt", "TCPBacklogDrop"),
                ("TcpExt", "TCPLossProbes"), ("TcpExt", "TCPDSACKRecv"),
                ("TcpExt", "TCPRcvCoalesce"), ("TcpExt", "TCPOFOQueue"),
                ("TcpExt", "TCPDelivered")]


def cpu_fields(cpu):
    """user, system, softirq, idle(+iowait), steal jiffies of one CPU."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = [int(x) for x in line.split()[1:]]
                return {"user": v[0] + v[1], "system": v[2], "softirq": v[6] + v[5],
                        "idle": v[3] + v[4], "steal": v[7]}
    return {}


def ipis():
    """Rescheduling and function-call interrupts received per CPU (/proc/interrupts): each is
    a wake-up (or a call) sent from the other CPU, a VM exit on a virtual machine."""
    out = {}
    with open("/proc/interrupts") as f:
        for line in f:
            p = line.split()
            if p and p[0] in ("RES:", "CAL:"):
                for cpu, v in enumerate(p[1:]):
                    if not v.isdigit():
                        break
                    out[(p[0][:3], cpu)] = int(v)
    return out


def ctx_switches(pids):
    """Context switches of every thread of the processes."""
    total = 0
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if "ctxt_switches:" in line:
                            total += int(line.split()[-1])
            except (OSError, ValueError):
                pass
    return total


def tcp_counters():
    out = {}
    for path in ("/proc/net/snmp", "/proc/net/netstat"):
        with open(path) as f:
            lines = f.read().splitlines()
        for head, vals in zip(lines[::2], lines[1::2]):
            proto = head.split(":")[0]
            for k, v in zip(head.split()[1:], vals.split()[1:]):
                out[(proto, k)] = int(v)
    return {f"{p}.{k}": out.get((p, k), 0) for p, k in TCP_COUNTERS}


def client_command(ctx, a, port):
    url = f"http://127.0.0.1:{port}{a.path}"
    kind, _, arg = a.client.partition(":")
    if kind == "wrk":
        threads = int(arg or 1)
        return ctx.client(["wrk", f"-t{threads}", f"-c{a.conns}", f"-d{a.duration}s",
                           "--timeout", "10s", "-s", os.path.join(HERE, "wrk_report.lua"), url])
    if kind == "fetch":
        cmd = [ctx.loadgen_bin, "fetch", "--port", str(port), "--conns", str(a.conns),
               "--duration", str(a.duration), "--path", a.path]
        size, _, rcvbuf = arg.partition(",")
        if size:
            cmd += ["--size", size]
        if rcvbuf:
            cmd += ["--rcvbuf", rcvbuf]
        return ctx.client(cmd)
    raise SystemExit(f"bench/transfer: unknown client {a.client} (wrk[:THREADS], "
                     "fetch[:RECV_BYTES[,RCVBUF]])")


def parse_client(p, kind):
    if kind == "wrk":
        return harness.parse_wrk(p)
    r = harness.parse_json_line(p)
    if r is not None:
        r["errors"] = r.get("errors", 0)
    return r


def measure(ctx, srv, a):
    pids = srv.pids()
    t0 = servers.cpu_ticks(pids)
    c0 = {c: cpu_fields(c) for c in (ctx.server_cpu, ctx.client_cpu)}
    n0 = tcp_counters()
    i0 = ipis()
    s0 = ctx_switches(pids)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.monotonic()
    p = subprocess.run(client_command(ctx, a, srv.port), capture_output=True, text=True)
    wall = time.monotonic() - w0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    n1 = tcp_counters()
    i1 = ipis()
    s1 = ctx_switches(pids)
    c1 = {c: cpu_fields(c) for c in (ctx.server_cpu, ctx.client_cpu)}
    t1 = servers.cpu_ticks(srv.pids())
    r = parse_client(p, a.client.partition(":")[0])
    if r is None:
        raise RuntimeError(f"client failed:\n{p.stdout}\n{p.stderr}")
    hz = servers.CLK_TCK
    server_s = (t1 - t0) / hz
    client_s = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    r.update({
        "server": srv.name, "wall_s": wall,
        "server_cpu": server_s / wall, "client_cpu": client_s / wall,
        "client_user": (ru1.ru_utime - ru0.ru_utime) / wall,
        "client_csw_per_s": ((ru1.ru_nvcsw + ru1.ru_nivcsw) - (ru0.ru_nvcsw + ru0.ru_nivcsw))
                            / wall,
        "tcp": {k: (n1[k] - n0[k]) / wall for k in n0},
        "server_csw_per_s": (s1 - s0) / wall,
        "ipi_to_server_cpu_per_s": sum(i1[k] - i0[k] for k in i0 if k[1] == ctx.server_cpu)
                                   / wall,
        "ipi_to_client_cpu_per_s": sum(i1[k] - i0[k] for k in i0 if k[1] == ctx.client_cpu)
                                   / wall,
    })
    for role, cpu in (("s", ctx.server_cpu), ("c", ctx.client_cpu)):
        for k in ("user", "system", "softirq", "idle", "steal"):
            r[f"{role}cpu_{k}"] = (c1[cpu][k] - c0[cpu][k]) / hz / wall
    # Roughly the share of the server's CPU that was neither the server nor idle nor softirq:
    # other processes (the server's own time includes softirqs run in its context).
    r["other_server_cpu"] = max(0.0, 1 - r["scpu_idle"] - r["server_cpu"] - r["scpu_steal"]
                                - r["scpu_softirq"])
    return r


def main():
    ap = argparse.ArgumentParser(prog="bench/transfer")
    ap.add_argument("--out", required=True)
    ap.add_argument("--pidfile")
    ap.add_argument("--minihttp", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--servers", type=lambda s: s.split(","), default=["minihttp", "lighttpd"],
                    help="of minihttp, lighttpd, nginx, h2o (default minihttp,lighttpd)")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME[=BINARY][:KEY=VALUE,...]: another minihttp to run")
    ap.add_argument("--client", default="wrk",
                    help="wrk[:THREADS] (default wrk:1) or fetch[:RECV_BYTES[,SO_RCVBUF]] "
                         "(bench/loadgen fetch)")
    ap.add_argument("--client-cpus", default="1", help="taskset list for the client")
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--path", default="/10m.html")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pause", type=float, default=1.0)
    ap.add_argument("--nice", type=int, default=0)
    ap.add_argument("--server-cpu", type=int, default=0)
    a = ap.parse_args()

    # harness.Context wants bench/run's arguments; give it what it reads.
    a.client_cpu = int(a.client_cpus.split(",")[0].split("-")[0])
    a.floor = a.fsync_floor = a.minihttp
    a.baseline_bin = None
    ctx = harness.Context(a)
    ctx.client = lambda argv: [*ctx.nice_prefix(), "taskset", "-c", a.client_cpus, *argv]
    ctx.www = os.path.join(os.path.dirname(ctx.out), "www")
    os.makedirs(os.path.join(ctx.out, "logs"), exist_ok=True)
    harness.prepare_docroot(ctx)
    ctx.minihttp_extra, _ = servers.minihttp_options(ctx.minihttp_bin)

    makers = {"minihttp": lambda: servers.minihttp(ctx),
              "lighttpd": lambda: servers.lighttpd(ctx),
              "nginx": lambda: servers.nginx(ctx),
              "h2o": lambda: servers.h2o(ctx)}
    for spec in a.variant:
        head, _, env = spec.partition(":")
        name, _, binary = head.partition("=")
        env = [kv for kv in env.split(",") if kv]

        def make(name=name, binary=os.path.abspath(binary) if binary else None, env=env):
            extra = servers.minihttp_options(binary)[0] if binary else None
            s = servers.minihttp(ctx, name, binary=binary, extra=extra)
            if env:
                s.argv = ["env", *env, *s.argv]
            return s
        makers[name] = make
    names = [n for n in a.servers] + [v.partition(":")[0].partition("=")[0] for v in a.variant]
    live = {}
    results = {"options": vars(a) | {"servers": names}, "runs": []}
    try:
        for n in names:
            live[n] = makers[n]().start()
        for srv in live.values():  # warm-up: page cache, buffers
            subprocess.run(ctx.client(["wrk", "-t1", "-c16", "-d1s",
                                       f"http://127.0.0.1:{srv.port}{a.path}"]),
                           capture_output=True)
        for rnd in range(a.runs):
            k = rnd % len(names)
            for n in names[k:] + names[:k]:
                r = measure(ctx, live[n], a)
                r["round"] = rnd + 1
                results["runs"].append(r)
                print(f"[transfer] round {rnd + 1} {n:18} {r['mib_per_s']:7,.0f} MiB/s  server "
                      f"{r['server_cpu']:.2f} (softirq on its CPU {r['scpu_softirq']:.2f})  "
                      f"client {r['client_cpu']:.2f} (softirq {r['ccpu_softirq']:.2f}, "
                      f"{r['client_csw_per_s']:,.0f} csw/s)  server csw/s {r['server_csw_per_s']:,.0f}  IPIs/s "
                      f"{r['ipi_to_server_cpu_per_s']:,.0f}/{r['ipi_to_client_cpu_per_s']:,.0f}  retrans/s "
                      f"{r['tcp']['Tcp.RetransSegs']:,.0f}  others {r['other_server_cpu']:.2f}  steal "
                      f"{r['scpu_steal']:.2f}/{r['ccpu_steal']:.2f}",
                      file=sys.stderr, flush=True)
                time.sleep(a.pause)
    finally:
        for s in live.values():
            s.stop()
    with open(os.path.join(ctx.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(report(results, names))


def report(results, names):
    runs = results["runs"]
    o = results["options"]
    ref = "lighttpd" if "lighttpd" in names else names[0]
    lines = [f"10 MiB scenario: {o['conns']} connections, client `{o['client']}` on CPU(s) "
             f"{o['client_cpus']}, server on CPU {o['server_cpu']}; {o['runs']} × "
             f"{o['duration']} s, interleaved; medians. Ratio: per round against {ref}, median.",
             "", "| server | MiB/s | ÷ " + ref + " | server CPU | softirq on server CPU | "
             "client CPU | softirq on client CPU | server csw/s | client csw/s | IPIs/s to "
             "server CPU / client CPU | retrans/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    byref = {r["round"]: r["mib_per_s"] for r in runs if r["server"] == ref}
    for n in names:
        rs = [r for r in runs if r["server"] == n]
        if not rs:
            continue

        def m(key):
            return statistics.median(r[key] for r in rs)

        def mt(key):
            return statistics.median(r["tcp"][key] for r in rs)
        ratios = [r["mib_per_s"] / byref[r["round"]] for r in rs if byref.get(r["round"])]
        rt = f"{statistics.median(ratios):.2f}" if ratios else "–"
        if len(ratios) > 1:
            rt += f" ({min(ratios):.2f}–{max(ratios):.2f})"
        lines.append(f"| {n} | {m('mib_per_s'):,.0f} | {rt} | {m('server_cpu'):.2f} | "
                     f"{m('scpu_softirq'):.2f} | {m('client_cpu'):.2f} | {m('ccpu_softirq'):.2f} "
                     f"| {m('server_csw_per_s'):,.0f} | {m('client_csw_per_s'):,.0f} | "
                     f"{m('ipi_to_server_cpu_per_s'):,.0f} / {m('ipi_to_client_cpu_per_s'):,.0f} | "
                     f"{mt('Tcp.RetransSegs'):,.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

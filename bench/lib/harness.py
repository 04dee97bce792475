"""bench/run's driver: runs the load scenarios against minihttp-server and its peers and writes
the results. Run it through bench/run, which installs the peers, builds the binaries and
guarantees that no server outlives it. See bench/README.md ("Load benchmarks") for the method.
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402
import servers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = ["nginx", "nginx-ofc", "lighttpd", "h2o"]


class BaseContext:
    """What servers.py needs of a context: paths, CPUs, the minihttp build, and the pid file
    that the calling script's trap reads (bench/run, bench/attack)."""

    def __init__(self, a, www):
        self.a = a
        self.out = os.path.abspath(a.out)
        self.www = www
        self.server_cpu = a.server_cpu
        self.client_cpu = a.client_cpu
        self.max_fds = 20000
        self.minihttp_bin = os.path.abspath(a.minihttp)
        self.minihttp_extra = []
        self.pidfile = a.pidfile

    def track(self, pid):
        if self.pidfile:
            with open(self.pidfile, "a") as f:
                f.write(f"{pid}\n")

    def untrack(self, pid):
        if self.pidfile and os.path.exists(self.pidfile):
            with open(self.pidfile) as f:
                pids = [p for p in f.read().split() if p != str(pid)]
            with open(self.pidfile, "w") as f:
                f.write("".join(p + "\n" for p in pids))

    def nice_prefix(self):
        return ["nice", "-n", str(self.a.nice)] if self.a.nice else []

    def client(self, argv):
        """A load-generator command line pinned to the client CPU."""
        return [*self.nice_prefix(), "taskset", "-c", str(self.client_cpu), *argv]


class Context(BaseContext):
    """bench/run's context: the base, plus the floors, the load generator and the baseline."""

    def __init__(self, a):
        super().__init__(a, os.path.join(os.path.abspath(a.out), "www"))
        self.floor_bin = os.path.abspath(a.floor)
        self.loadgen_bin = os.path.abspath(a.loadgen)
        self.fsync_bin = os.path.abspath(a.fsync_floor)
        self.base_bin = os.path.abspath(a.baseline_bin) if a.baseline_bin else None
        self.base_extra = []
        self.rpc_flag = None
        self.running = []


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- machine state -------------------------------------------------------------------------

def cpu_busy_ticks(cpu):
    """Busy and total jiffies of one CPU from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = [int(x) for x in line.split()[1:]]
                idle = v[3] + v[4]
                return sum(v[:8]) - idle, sum(v[:8])
    return 0, 0


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


# ---- one measured run ----------------------------------------------------------------------

def measure(server, ctx, command, parse):
    """Runs `command` (a load generator) against `server`; returns its parsed result plus the
    server's CPU time, RSS and the interference on the server's CPU."""
    pids = server.pids()
    busy0, _ = cpu_busy_ticks(ctx.server_cpu)
    cbusy0, _ = cpu_busy_ticks(ctx.client_cpu)
    t0 = servers.cpu_ticks(pids)
    la = loadavg()
    w0 = time.monotonic()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(command, capture_output=True, text=True)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.monotonic() - w0
    pids = server.pids()
    t1 = servers.cpu_ticks(pids)
    busy1, _ = cpu_busy_ticks(ctx.server_cpu)
    cbusy1, _ = cpu_busy_ticks(ctx.client_cpu)
    r = parse(p)
    if r is None:
        raise RuntimeError(f"load generator failed ({' '.join(command)}):\n{p.stdout}\n{p.stderr}")
    cpu_s = (t1 - t0) / servers.CLK_TCK
    other = max(0.0, (busy1 - busy0 - (t1 - t0)) / servers.CLK_TCK)
    r.update({
        "server": server.name,
        "server_cpu_s": cpu_s,
        "server_cpu_share": cpu_s / wall if wall > 0 else 0,
        "other_load_on_server_cpu": other / wall if wall > 0 else 0,
        "rss_kib": servers.rss_kib(pids),
        "loadavg": la,
        "wall_s": wall,
    })
    r["req_per_cpu_s"] = r["requests"] / cpu_s if cpu_s > 0 else 0
    if "mib_per_s" in r:
        r["mib_per_cpu_s"] = r["mib_per_s"] * r["seconds"] / cpu_s if cpu_s > 0 else 0
    # The load generator's own CPU time (it ran to completion: its rusage is in RUSAGE_CHILDREN).
    client_s = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    r["client_cpu_s"] = client_s
    r["client_cpu_share"] = client_s / wall if wall > 0 else 0
    cother = max(0.0, (cbusy1 - cbusy0) / servers.CLK_TCK - client_s)
    r["other_load_on_client_cpu"] = cother / wall if wall > 0 else 0
    return r


def measure_quiet(server, ctx, command, parse, results, what):
    """measure(), repeated (up to --retries times, after a pause) while other processes took
    more than --max-interference of the server's or the load generator's CPU: on a shared
    machine a run that had half a CPU measures the neighbours. The last attempt is kept either
    way, marked `contended`; the discarded ones are kept in results["discarded"]."""
    a = ctx.a
    for attempt in range(a.retries + 1):
        r = measure(server, ctx, command, parse)
        worst = max(r["other_load_on_server_cpu"], r["other_load_on_client_cpu"])
        r["contended"] = worst > a.max_interference
        if not r["contended"] or attempt == a.retries:
            r["attempts"] = attempt + 1
            return r
        r["what"] = what
        results["discarded"].append(r)
        log(f"{what}: other processes took {worst:.0%} of a benchmark CPU; repeating the run")
        time.sleep(a.retry_pause)
    return r


def parse_wrk(p):
    m = re.search(r"^WRKJSON (\{.*\})$", p.stdout, re.M)
    if not m:
        return None
    r = json.loads(m.group(1))
    r["seconds"] = r["duration_us"] / 1e6
    r["rps"] = r["requests"] / r["seconds"]
    r["mib_per_s"] = r["bytes"] / r["seconds"] / 2**20
    r["errors"] = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
    r["non2xx"] = r["err_status"]
    return r


def parse_json_line(p):
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def wrk_command(ctx, server, conns, duration, path="/1k.html", headers=(), pipeline=0):
    script = os.path.join(HERE, "wrk_pipeline.lua" if pipeline else "wrk_report.lua")
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", "--timeout", "10s",
           "-s", script]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(f"http://127.0.0.1:{server.port}{path}")
    if pipeline:
        cmd += ["--", str(pipeline)]
    return ctx.client(cmd)


# ---- scenarios -----------------------------------------------------------------------------

def minihttps(a):
    """minihttp, and the baseline build beside it when --baseline is given."""
    return ["minihttp", "minihttp-base"] if a.baseline_bin else ["minihttp"]


def selected(a, names):
    """names, less the servers --servers leaves out (minihttp always runs)."""
    if not a.servers:
        return list(names)
    keep = set(a.servers) | {"minihttp", "minihttp-base", "minihttp-log"}
    return [n for n in names if n in keep]


def scenario_list(a):
    """(id, title, servers, wrk arguments) of the wrk scenarios, in run order."""
    mh = minihttps(a)
    ka_servers = [*mh, *PEERS, "floor"]
    out = []
    for c in a.conns:
        out.append((f"ka-c{c}", f"1 KiB keep-alive, c{c}", ka_servers, {"conns": c}))
    out.append(("close-c64", "1 KiB Connection: close, c64", [*mh, *PEERS],
                {"conns": 64, "headers": ["Connection: close"]}))
    out.append(("10mib-c16", "10 MiB file, c16", [*mh, *PEERS],
                {"conns": 16, "path": "/10m.html"}))
    out.append(("log-c64", "1 KiB keep-alive c64, minihttp logging on", ["minihttp-log"],
                {"conns": 64}))
    out.append(("pipe16-c64", "1 KiB pipelined ×16, c64", [*mh, "floor"],
                {"conns": 64, "pipeline": 16}))
    if a.only:
        out = [s for s in out if any(s[0].startswith(o) for o in a.only)]
    return [(sid, title, selected(a, names), kw) for sid, title, names, kw in out]


def planned_seconds(a, scen):
    """A rough duration of the wrk scenarios: each run plus its pause and wrk's start-up."""
    per_round = sum(len(names) for _, _, names, _ in scen) * (a.duration + a.pause + 0.6)
    return per_round * a.runs


def run_wrk_scenarios(ctx, live, results, checkpoint):
    a = ctx.a
    scen = scenario_list(a)
    if not scen:
        return
    started = time.monotonic()
    for rnd in range(a.runs):
        if rnd > 0:
            # Progress, and the results so far on disk: a long run killed outright keeps them.
            checkpoint()
            done = time.monotonic() - started
            log(f"round {rnd}/{a.runs} done in {done / rnd / 60:.1f} min; about "
                f"{done / rnd * (a.runs - rnd) / 60:.0f} min of wrk scenarios left")
        for sid, title, names, kw in scen:
            order = [n for n in names if n in live]
            # Rotate the order each round, so no server always runs first or last.
            k = rnd % len(order) if order else 0
            for name in order[k:] + order[:k]:
                srv = live[name]
                cmd = wrk_command(ctx, srv, kw["conns"], a.duration, kw.get("path", "/1k.html"),
                                  kw.get("headers", ()), kw.get("pipeline", 0))
                r = measure_quiet(srv, ctx, cmd, parse_wrk, results, f"{sid} {name}")
                r.update({"scenario": sid, "title": title, "round": rnd + 1})
                results["runs"].append(r)
                log(f"round {rnd + 1}/{a.runs} {sid:11} {name:12} {r['rps']:>10,.0f} req/s "
                    f"{r['req_per_cpu_s']:>10,.0f} req/CPU-s  cpu {r['server_cpu_share']:.0%} "
                    f"(others {r['other_load_on_server_cpu']:.0%}) client cpu "
                    f"{r['client_cpu_share']:.0%} (others {r['other_load_on_client_cpu']:.0%}) "
                    f"p99 {r['p99_us'] / 1000:.2f} ms  err {r['errors']} non2xx {r['non2xx']}")
                if name == "minihttp-log":
                    truncate(srv.stdout_path)
                time.sleep(a.pause)


def truncate(path):
    if path and os.path.exists(path):
        os.truncate(path, 0)


def run_starvation(ctx, live, results):
    a = ctx.a
    for name in [*minihttps(a), *PEERS]:
        if name not in live:
            continue
        srv = live[name]
        cmd = ctx.client([ctx.loadgen_bin, "get", "--port", str(srv.port), "--conns", "64",
                          "--duration", str(a.duration), "--path", "/1k.html"])
        r = measure_quiet(srv, ctx, cmd, parse_json_line, results, f"starve-c64 {name}")
        r.update({"scenario": "starve-c64", "server": name})
        results["starvation"].append(r)
        log(f"starvation {name:10} {r['rps']:>9,.0f} req/s  min/conn/s {r['min_per_conn_second']}"
            f"  zero cells {r['zero_cells']}/{r['cells']}  errors {r['errors']}")
        time.sleep(a.pause)


def run_pipeline_check(ctx, live, results):
    """16 pipelined GETs in one segment, the server's syscalls traced with strace."""
    if not shutil.which("strace"):
        log("strace missing: pipelining check skipped")
        return
    for name in [*minihttps(ctx.a), *PEERS, "floor"]:
        if name not in live:
            continue
        srv = live[name]
        lg = subprocess.Popen(ctx.client([ctx.loadgen_bin, "pipeline", "--port", str(srv.port),
                                          "--count", "16", "--path", "/1k.html"]),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        trace = os.path.join(ctx.out, "logs", f"strace-{name}.txt")
        st = None
        try:
            if lg.stdout.readline().strip() != "READY":
                raise RuntimeError("pipeline client did not get ready")
            cmd = ["strace", "-f", "-qq", "-o", trace]
            for p in srv.pids():
                cmd += ["-p", str(p)]
            st = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # strace attaches
            lg.stdin.write("GO\n")
            lg.stdin.flush()
            out = lg.stdout.readline()
            lg.wait(timeout=10)
            time.sleep(0.3)
        finally:
            if st is not None:
                st.send_signal(signal.SIGINT)
                st.wait(timeout=10)
            if lg.poll() is None:
                lg.kill()
                lg.wait()
        client = json.loads(out) if out.startswith("{") else {}
        calls = {}
        with open(trace, errors="replace") as f:
            for line in f:
                m = re.match(r"^\d+\s+(\w+)\(", line)
                if not m:
                    continue
                call = m.group(1)
                if call in ("epoll_wait", "epoll_pwait") and line.rstrip().endswith("= 0"):
                    continue  # idle timer wake-ups
                calls[call] = calls.get(call, 0) + 1
        writes = sum(calls.get(c, 0) for c in
                     ("write", "writev", "sendmsg", "sendto", "sendfile", "sendmmsg"))
        r = {"server": name, "responses": client.get("responses", 0), "writes": writes,
             "syscalls": sum(calls.values()), "calls": calls}
        results["pipeline"].append(r)
        log(f"pipelining {name:10} {r['responses']}/16 answered with {writes} write calls, "
            f"{r['syscalls']} syscalls: {calls}")


def run_idle(ctx, results):
    """RSS per idle keep-alive connection, each size on a fresh server."""
    a = ctx.a
    makers = {"minihttp": lambda: servers.minihttp(ctx, "minihttp-idle"),
              "minihttp-base": lambda: servers.minihttp(ctx, "minihttp-base-idle",
                                                        binary=ctx.base_bin,
                                                        extra=ctx.base_extra),
              "nginx": lambda: servers.nginx(ctx, "nginx-idle"),
              "lighttpd": lambda: servers.lighttpd(ctx),
              "h2o": lambda: servers.h2o(ctx)}
    for name, make in makers.items():
        if name not in selected(a, [*minihttps(a), *PEERS]):
            continue
        for n in a.idle:
            srv = make().start()
            lg = None
            try:
                time.sleep(0.5)
                rss0 = srv.rss_kib()
                lg = subprocess.Popen(
                    ctx.client([ctx.loadgen_bin, "idle", "--port", str(srv.port), "--conns",
                                str(n), "--path", "/1k.html"]),
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                    preexec_fn=servers.raise_nofile)
                ready = lg.stdout.readline().split()
                time.sleep(1.0)
                rss1 = srv.rss_kib()
                lg.stdin.write("CHECK\n")
                lg.stdin.flush()
                still = lg.stdout.readline().split()
                ok = int(ready[1]) if len(ready) == 3 else 0
                failed = int(ready[2]) if len(ready) == 3 else n
                still_open = int(still[1]) if len(still) == 2 else 0
                per = (rss1 - rss0) / ok if ok else 0
                r = {"server": name, "conns": n, "ok": ok, "failed": failed,
                     "still_open": still_open, "rss_before_kib": rss0, "rss_after_kib": rss1,
                     "kib_per_conn": per}
                results["idle"].append(r)
                log(f"idle {name:9} {n:>6} conns: {ok} ok, {failed} failed, {still_open} open "
                    f"after 1 s; RSS {rss0} -> {rss1} KiB = {per:.2f} KiB/conn")
            finally:
                if lg is not None:
                    lg.stdin.close()
                    try:
                        lg.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        lg.kill()
                srv.stop()


def run_uploads(ctx, results):
    a = ctx.a
    updir = os.path.join(ctx.out, "www-upload")
    os.makedirs(updir, exist_ok=True)
    rawdir = os.path.join(ctx.out, "fsync-floor")
    for threads in a.upload_threads:
        srv = servers.minihttp(ctx, f"minihttp-upload-t{threads}", threads=threads,
                               docroot=updir)
        with open(os.path.join(updir, "1k.html"), "w") as f:
            f.write("x" * 1024)
        srv.start()
        try:
            for rnd in range(a.runs):
                clear_uploads(os.path.join(updir, "uploads"))
                settle_disk()
                cmd = ctx.client([ctx.loadgen_bin, "upload", "--port", str(srv.port), "--conns",
                                  "16", "--duration", str(a.duration), "--size", "1024"])
                r = measure(srv, ctx, cmd, parse_json_line)
                r.update({"kind": "minihttp", "threads": threads, "round": rnd + 1,
                          "per_second": r["rps"]})
                results["uploads"].append(r)
                stored = clear_uploads(os.path.join(updir, "uploads"))
                r["stored_files"] = stored
                log(f"uploads  minihttp t{threads} {r['rps']:>8,.1f}/s  p99 "
                    f"{r['p99_us'] / 1000:.1f} ms  errors {r['errors']} non2xx {r['non2xx']} "
                    f"stored {stored}")
                for dir_fsync in (False, True):
                    cmd = [*ctx.nice_prefix(), "taskset", "-c", str(ctx.server_cpu), ctx.fsync_bin,
                           "--dir", rawdir,
                           "--duration", str(a.duration), "--threads", str(threads),
                           "--size", "1024"] + (["--dir-fsync"] if dir_fsync else [])
                    settle_disk()
                    p = subprocess.run(cmd, capture_output=True, text=True)
                    raw = parse_json_line(p)
                    if raw is None:
                        raise RuntimeError(f"fsync-floor failed: {p.stderr}")
                    raw.update({"kind": "raw+dirfsync" if dir_fsync else "raw",
                                "round": rnd + 1})
                    results["uploads"].append(raw)
                    log(f"uploads  {raw['kind']:12} t{threads} {raw['per_second']:>8,.1f}/s")
        finally:
            srv.stop()
            clear_uploads(os.path.join(updir, "uploads"))
    shutil.rmtree(rawdir, ignore_errors=True)


def settle_disk():
    """Writes back what earlier runs left dirty (deleted uploads, logs), so that each timed
    part starts from a clean journal."""
    os.sync()
    time.sleep(0.5)


def clear_uploads(d):
    if not os.path.isdir(d):
        return 0
    n = 0
    for e in os.listdir(d):
        os.unlink(os.path.join(d, e))
        n += 1
    return n


# ---- setup ---------------------------------------------------------------------------------

def prepare_docroot(ctx):
    os.makedirs(ctx.www, exist_ok=True)
    line = "<p>minihttp benchmark body, 1 KiB in all.</p>\n"
    small = (line * 30)[:1023] + "\n"
    with open(os.path.join(ctx.www, "1k.html"), "w") as f:
        f.write(small)
    big = os.path.join(ctx.www, "10m.html")
    if not os.path.exists(big) or os.path.getsize(big) != 10 * 2**20:
        block = (line * 2000).encode()
        with open(big, "wb") as f:
            left = 10 * 2**20
            while left > 0:
                f.write(block[:left])
                left -= len(block[:left])
    with open(os.path.join(ctx.www, "index.html"), "w") as f:
        f.write("<p>bench</p>\n")


def versions(ctx):
    def first(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nginx": first(["nginx", "-v"]),
        "lighttpd": first(["lighttpd", "-v"]),
        "h2o": first(["h2o", "--version"]),
        "wrk": first(["wrk", "-v"]),
        "kernel": os.uname().release,
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "compiler": first(["c++", "--version"]),
        "minihttp_git": first(["git", "-C", os.path.dirname(HERE), "describe", "--always",
                               "--dirty"]),
    }


def main():
    ap = argparse.ArgumentParser(prog="bench/run")
    ap.add_argument("--out", required=True)
    ap.add_argument("--pidfile")
    ap.add_argument("--minihttp", required=True)
    ap.add_argument("--baseline-bin",
                    help="a second minihttp-server build, run as minihttp-base beside minihttp "
                         "(bench/run --baseline REF builds it)")
    ap.add_argument("--baseline", help="the baseline's git ref, for the report")
    ap.add_argument("--servers", type=lambda s: s.split(","), default=None,
                    help="run only these of nginx, nginx-ofc, lighttpd, h2o, floor (e.g. "
                         "lighttpd,h2o); minihttp and minihttp-base always run")
    ap.add_argument("--floor", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--fsync-floor", required=True)
    ap.add_argument("--chart", required=True)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pause", type=float, default=1.0)
    ap.add_argument("--conns", type=lambda s: [int(x) for x in s.split(",")],
                    default=[16, 64, 256])
    ap.add_argument("--idle", type=lambda s: [int(x) for x in s.split(",")],
                    default=[1000, 10000])
    ap.add_argument("--upload-threads", type=lambda s: [int(x) for x in s.split(",")],
                    default=[1, 4])
    ap.add_argument("--only", type=lambda s: s.split(","), default=None,
                    help="scenario ids (prefixes) to run: ka,close,10mib,log,pipe16,starve,"
                         "pipeline,idle,upload")
    ap.add_argument("--max-interference", type=float, default=0.15,
                    help="repeat a run in which other processes took more than this share of "
                         "the server's or the load generator's CPU (default 0.15)")
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--retry-pause", type=float, default=5.0)
    ap.add_argument("--nice", type=int, default=0,
                    help="run servers and load generators at this nice value (e.g. -10 on a "
                         "busy shared machine: it takes CPU from other users)")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    a = ap.parse_args()
    if a.duration == int(a.duration):
        a.duration = int(a.duration)
    ctx = Context(a)
    os.makedirs(os.path.join(ctx.out, "logs"), exist_ok=True)
    prepare_docroot(ctx)

    # No request limit per connection; TCP_DEFER_ACCEPT, which h2o sets by default: nginx
    # (deferred) and lighttpd (server.defer-accept) get it too, so that every server is woken
    # by data alike.
    ctx.minihttp_extra, limit = servers.minihttp_options(ctx.minihttp_bin)
    ctx.rpc_flag = limit is None
    base_limit = None
    if ctx.base_bin:
        ctx.base_extra, base_limit = servers.minihttp_options(ctx.base_bin)

    def wanted(kind):
        return a.only is None or any(kind.startswith(o) or o.startswith(kind) for o in a.only)

    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
               "options": {"duration_s": a.duration, "runs": a.runs, "conns": a.conns,
                           "idle": a.idle, "upload_threads": a.upload_threads,
                           "server_cpu": a.server_cpu, "client_cpu": a.client_cpu,
                           "nice": a.nice, "max_interference": a.max_interference,
                           "retries": a.retries,
                           "minihttp_args": ctx.minihttp_extra,
                           "minihttp_requests_per_connection_limit":
                               None if ctx.rpc_flag else 100,
                           "baseline": a.baseline, "baseline_args": ctx.base_extra,
                           "baseline_requests_per_connection_limit": base_limit},
               "versions": versions(ctx), "runs": [], "starvation": [], "pipeline": [],
               "idle": [], "uploads": [], "affinity": {}, "discarded": []}
    log(f"duration {a.duration} s x {a.runs} runs; server on CPU {a.server_cpu}, load on CPU "
        f"{a.client_cpu}; load average {loadavg():.2f}")
    wrk_s = planned_seconds(a, scenario_list(a))
    if wrk_s:
        log(f"wrk scenarios: about {wrk_s / 60:.0f} min without repeated runs"
            + ("; starvation, pipelining, idle and uploads follow" if a.only is None else ""))
    if not ctx.rpc_flag:
        log("note: minihttp-server has no --max-requests-per-connection flag: it closes every "
            "connection after 100 requests (wrk reconnects)")

    # Signals end the run through the finally below (servers stopped, partial results kept).
    def on_signal(sig, _frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)

    def save():
        with open(os.path.join(ctx.out, "results.json"), "w") as f:
            json.dump(results, f, indent=1)

    live = {}
    interrupted = False
    try:
        needed = set()
        for _sid, _t, names, _kw in scenario_list(a):
            needed.update(names)
        if wanted("starve"):
            needed.update(selected(a, [*minihttps(a), *PEERS]))
        if wanted("pipeline"):
            needed.update(selected(a, [*minihttps(a), *PEERS, "floor"]))
        makers = {"minihttp": lambda: servers.minihttp(ctx),
                  "minihttp-base": lambda: servers.minihttp(ctx, "minihttp-base",
                                                            binary=ctx.base_bin,
                                                            extra=ctx.base_extra),
                  "minihttp-log": lambda: servers.minihttp(ctx, "minihttp-log", logging=True),
                  "nginx": lambda: servers.nginx(ctx),
                  "nginx-ofc": lambda: servers.nginx(ctx, "nginx-ofc", open_file_cache=True),
                  "lighttpd": lambda: servers.lighttpd(ctx),
                  "h2o": lambda: servers.h2o(ctx),
                  "floor": lambda: servers.floor(ctx)}
        for name in makers:
            if name in needed:
                live[name] = makers[name]().start()
                results["affinity"][name] = live[name].affinity()
        if live:
            log("started: " + ", ".join(f"{n} :{s.port} pids {s.pids()} cpus "
                                        f"{','.join(s.affinity())}" for n, s in live.items()))
            # Warm-up: caches, lazily allocated buffers, page cache of the files.
            for srv in live.values():
                for path in ("/1k.html", "/10m.html"):
                    subprocess.run(wrk_command(ctx, srv, 16, 1, path), capture_output=True)
                if srv.name == "minihttp-log":
                    truncate(srv.stdout_path)
        run_wrk_scenarios(ctx, live, results, save)
        if wanted("starve"):
            run_starvation(ctx, live, results)
        if wanted("pipeline"):
            run_pipeline_check(ctx, live, results)
        for srv in live.values():
            srv.stop()
        live = {}
        if wanted("idle") and a.idle:
            run_idle(ctx, results)
        if wanted("upload") and a.upload_threads:
            run_uploads(ctx, results)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: stopping the servers; the report covers what ran")
    finally:
        for srv in live.values():
            srv.stop()

    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results["interrupted"] = interrupted
    save()
    report.write_csv(results, os.path.join(ctx.out, "results.csv"))
    md = report.markdown(results)
    with open(os.path.join(ctx.out, "results.md"), "w") as f:
        f.write(md)
    print(md)
    chart = report.chart(results, ctx.out, a.chart)
    log(f"results: {ctx.out}/results.md, results.json, results.csv; chart: {chart or 'none'}")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())

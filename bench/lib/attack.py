"""bench/attack's driver: well-behaved clients' request times while hostile connections hit the
server. Run it through bench/attack, which builds the binaries and guarantees that nothing it
started outlives it. The method is in bench/README.md ("Load under attack").

Each run starts a fresh server (one worker, pinned to the server CPU), then on the client CPU
h2load (16 clients at 1,000 requests per second each, per-request log) and, except in the
`alone` variant, bench/attacker. The variants, servers and rounds are interleaved: round r runs
every variant, each for every server, the server order rotated by r.
"""

import argparse
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (cpu_busy_ticks, loadavg, prepare_docroot, versions)
import servers  # noqa: E402

VARIANTS = {
    "alone": "good clients alone",
    "timeouts": "+ 2,000 silent connections opened at once (all time out together)",
    "mixed": "+ 1,000 slowloris, 1,000 silent (both replaced when closed), 200 garbage/s",
    "bystander": "the mixed attack sent to another server on the same CPU, not to this one "
                 "(the floor the harness and the CPU sharing set)",
}
GOAL_P999 = 1.5
GOAL_WORST = 2.0


class Context(harness.BaseContext):
    """bench/attack's context: the base, with the docroot it was given."""

    def __init__(self, a):
        super().__init__(a, os.path.abspath(a.www))


def log(msg):
    print(f"[attack {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def make_server(ctx, name):
    """A fresh server with a 10 s header timeout and without TCP_DEFER_ACCEPT: a silent
    connection must be accepted and timed by the server, not held back by the kernel."""
    t = ctx.a.header_timeout
    if name == "minihttp":
        return servers.minihttp(ctx, extra=ctx.minihttp_extra)
    if name == "minihttp-base":
        return servers.minihttp(ctx, "minihttp-base", binary=ctx.a.baseline_bin,
                                extra=ctx.baseline_extra)
    if name == "nginx":
        return servers.nginx(ctx, deferred=False, header_timeout=t)
    if name == "lighttpd":
        return servers.lighttpd(ctx, deferred=False, read_idle=t)
    if name == "h2o":
        return servers.h2o(ctx, request_timeout=t)
    raise SystemExit(f"bench/attack: unknown server {name}")


def attacker_args(a, variant):
    d = a.duration + 1  # the attack lasts until h2load is done
    base = [a.attacker, "--duration", f"{d:g}"]
    if variant == "timeouts":
        return base + ["--silent", str(a.silent), "--silent-at", f"{a.attack_at:g}"]
    if variant in ("mixed", "bystander"):
        return base + ["--silent", str(a.mixed_silent), "--silent-replace",
                       "--silent-at", f"{a.attack_at:g}",
                       "--slowloris", str(a.slowloris), "--slowloris-at", f"{a.attack_at:g}",
                       "--slowloris-interval", "2",
                       "--garbage-rate", f"{a.garbage_rate:g}", "--garbage-at", f"{a.attack_at:g}"]
    return None


def spawn(ctx, argv, **kw):
    """A client process in its own process group, recorded for bench/attack's trap."""
    p = subprocess.Popen(ctx.client(argv), start_new_session=True,
                         preexec_fn=servers.raise_nofile, **kw)
    ctx.track(p.pid)
    return p


def finish(ctx, p, timeout):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    ctx.untrack(p.pid)
    return p.returncode, out, err


def parse_h2load(text):
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", text)
    s = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if not m or not s:
        return None
    keys = ["total", "started", "done", "succeeded", "failed", "errored", "timeout"]
    r = {k: int(v) for k, v in zip(keys, m.groups())}
    r.update({f"s{k}": int(v) for k, v in zip(["2xx", "3xx", "4xx", "5xx"], s.groups())})
    return r


def request_times(path):
    """(start_us, status, duration_us) of every request in h2load's --log-file."""
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split("\t")
            if len(p) >= 3:
                rows.append((int(p[0]), int(p[1]), int(p[2])))
    return rows


def pct(sorted_v, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_v:
        return None
    k = max(0, min(len(sorted_v) - 1, int(-(-p / 100 * len(sorted_v) // 1)) - 1))
    return sorted_v[k]


def analyse(rows, attack):
    durs = sorted(d for _, _, d in rows)
    ends = sorted(s + d for s, _, d in rows)
    starts = [s for s, _, _ in rows]
    t0 = min(starts) if starts else 0
    worst = max(rows, key=lambda r: r[2]) if rows else (0, 0, 0)
    # The longest time in which no response completed: a stall of the server shows as a gap,
    # even where h2load's per-request times hide it (a request is timed from when it is sent).
    gap, gap_at = 0, 0
    for a, b in zip(ends, ends[1:]):
        if b - a > gap:
            gap, gap_at = b - a, a
    r = {"requests_logged": len(rows),
         "non2xx_logged": sum(1 for _, st, _ in rows if not 200 <= st < 300),
         "p50_ms": pct(durs, 50) / 1e3 if durs else None,
         "p99_ms": pct(durs, 99) / 1e3 if durs else None,
         "p999_ms": pct(durs, 99.9) / 1e3 if durs else None,
         "max_ms": durs[-1] / 1e3 if durs else None,
         "worst_at_s": (worst[0] - t0) / 1e6,
         "gap_ms": gap / 1e3, "gap_at_s": (gap_at - t0) / 1e6,
         "t0_us": t0}
    # The silent connections' closes, and the worst request that overlapped them.
    sil = (attack or {}).get("silent", {})
    cw = sorted(sil.get("close_wall") or [])
    if cw:
        # The closes come in bursts (one per batch of silent connections opened together):
        # a window from 100 ms before each burst's first close to 100 ms after its last.
        bursts = [[cw[0], cw[0]]]
        for t in cw[1:]:
            if t - bursts[-1][1] > 1.0:
                bursts.append([t, t])
            else:
                bursts[-1][1] = t
        wins = [((a - 0.1) * 1e6, (b + 0.1) * 1e6) for a, b in bursts]
        during = [d for s, _, d in rows if any(s <= hi and s + d >= lo for lo, hi in wins)]
        r["silent_close_bursts_s"] = [((a * 1e6 - t0) / 1e6, (b * 1e6 - t0) / 1e6)
                                      for a, b in bursts]
        r["worst_near_closes_ms"] = max(during) / 1e3 if during else None
    return r


def one_run(ctx, name, variant, rnd, results):
    a = ctx.a
    srv = make_server(ctx, name).start()
    # The bystander takes the attack on the server's CPU, so the good clients see its load
    # (CPU, loopback, the attacker) without their server handling any of it.
    by = None
    if variant == "bystander":
        try:
            by = servers.minihttp(ctx, "bystander", extra=ctx.minihttp_extra).start()
        except BaseException:
            srv.stop()
            raise
    logdir = os.path.join(ctx.out, "logs")
    os.makedirs(logdir, exist_ok=True)
    h2log = os.path.join(logdir, f"h2load-{name}-{variant}-{rnd}.tsv")
    if os.path.exists(h2log):
        os.unlink(h2log)  # h2load appends to its log file
    try:
        time.sleep(a.settle)
        pids = srv.pids()
        c0 = servers.cpu_ticks(pids)
        busy0 = harness.cpu_busy_ticks(ctx.server_cpu)[0]
        cbusy0 = harness.cpu_busy_ticks(ctx.client_cpu)[0]
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.monotonic()
        la = harness.loadavg()
        att = None
        args = attacker_args(a, variant)
        if args:
            target = by.port if by is not None else srv.port
            att = spawn(ctx, [*args, "--port", str(target)], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
        h2 = spawn(ctx, ["h2load", "--h1", f"-c{a.clients}", "-t1", "--rps", str(a.rate),
                         "-D", f"{a.duration:g}", "--log-file", h2log,
                         f"http://127.0.0.1:{srv.port}/1k.html"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rc, out, err = finish(ctx, h2, a.duration + 60)
        attack = None
        if att is not None:
            arc, aout, aerr = finish(ctx, att, 30)
            line = next((x for x in reversed(aout.splitlines()) if x.startswith("{")), None)
            if line is None:
                raise RuntimeError(f"attacker failed ({arc}): {aerr}")
            attack = json.loads(line)
        wall = time.monotonic() - w0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        c1 = servers.cpu_ticks(srv.pids())
        busy1 = harness.cpu_busy_ticks(ctx.server_cpu)[0]
        cbusy1 = harness.cpu_busy_ticks(ctx.client_cpu)[0]
    finally:
        srv.stop()
        if by is not None:
            by.stop()
    h = parse_h2load(out)
    if h is None:
        raise RuntimeError(f"h2load failed ({rc}):\n{out}\n{err}")
    r = analyse(request_times(h2log), attack)
    if not a.keep_logs:
        os.unlink(h2log)
    client_s = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    server_s = (c1 - c0) / servers.CLK_TCK
    r.update(h)
    r.update({
        "server": name, "variant": variant, "round": rnd,
        "expected": a.clients * a.rate * a.duration,
        "bad": h["failed"] + h["errored"] + h["timeout"] + h["s3xx"] + h["s4xx"] + h["s5xx"],
        "server_cpu_s": server_s, "client_cpu_s": client_s, "wall_s": wall, "loadavg": la,
        "other_load_on_server_cpu":
            max(0.0, (busy1 - busy0) / servers.CLK_TCK - server_s) / wall,
        "other_load_on_client_cpu":
            max(0.0, (cbusy1 - cbusy0) / servers.CLK_TCK - client_s) / wall,
    })
    if attack:
        for k in ("silent", "slowloris", "garbage"):
            attack[k].pop("close_wall", None)
        r["attack"] = attack
    return r


def run_all(ctx, results):
    a = ctx.a
    for rnd in range(1, a.runs + 1):
        for variant in a.variants:
            k = (rnd - 1) % len(a.servers)
            for name in a.servers[k:] + a.servers[:k]:
                for attempt in range(a.retries + 1):
                    r = one_run(ctx, name, variant, rnd, results)
                    worst = max(r["other_load_on_server_cpu"], r["other_load_on_client_cpu"])
                    r["contended"] = worst > a.max_interference
                    if not r["contended"] or attempt == a.retries:
                        break
                    results["discarded"].append(r)
                    log(f"{variant} {name}: other processes took {worst:.0%} of a benchmark "
                        "CPU; repeating the run")
                    time.sleep(a.pause)
                r["attempts"] = attempt + 1
                results["runs"].append(r)
                att = r.get("attack") or {}
                extra = ""
                if att:
                    s, sl, g = att["silent"], att["slowloris"], att["garbage"]
                    extra = (f" | silent closed {s['closed_by_server']}/{s['established']}"
                             f" slowloris closed {sl['closed_by_server']} garbage answered "
                             f"{g['answered']}/{g['opened']}")
                log(f"round {rnd}/{a.runs} {variant:8} {name:13} {r['succeeded']:>7,} ok "
                    f"{r['bad']} bad  p50 {r['p50_ms']:.2f}  p99 {r['p99_ms']:.2f}  p99.9 "
                    f"{r['p999_ms']:.2f}  worst {r['max_ms']:.2f} ms (at {r['worst_at_s']:.1f} s)"
                    f"  gap {r['gap_ms']:.1f} ms  server cpu {r['server_cpu_s'] / r['wall_s']:.0%}"
                    f"  others {r['other_load_on_server_cpu']:.0%}/"
                    f"{r['other_load_on_client_cpu']:.0%}{extra}")
                time.sleep(a.pause)


# ---- report --------------------------------------------------------------------------------

def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def cell(v, digits=2):
    v = [x for x in v if x is not None]
    if not v:
        return "–"
    m = f"{statistics.median(v):,.{digits}f}"
    return m if len(v) == 1 else f"{m} ({min(v):,.{digits}f}–{max(v):,.{digits}f})"


def markdown(results):
    o = results["options"]
    v = results["versions"]
    runs = results["runs"]
    lines = ["# minihttp under attack (bench/attack)", "",
             f"Run {results['started']} → {results['finished']}"
             f"{' (INTERRUPTED: partial)' if results.get('interrupted') else ''}. "
             f"{o['runs']} run(s) per server and variant, interleaved; medians (min–max). "
             f"Server: one worker pinned to CPU {o['server_cpu']}, fresh for every run, header "
             f"timeout {o['header_timeout']} s, no TCP_DEFER_ACCEPT. Good clients: h2load "
             f"--h1 -c{o['clients']} --rps {o['rate']} -D {o['duration']} (1 KiB file) and the "
             f"attacker on CPU {o['client_cpu']}; the attack starts {o['attack_at']} s in.", "",
             f"- CPU: {v['cpu']} ({v['cpus']} CPUs); kernel {v['kernel']}",
             f"- {v['nginx']}; {v['compiler']}; minihttp {v['minihttp_git']}"
             + (f"; baseline {o['baseline']}" if o.get("baseline") else ""),
             f"- Other processes' share of each CPU is in the tables (\"others\", median). Runs "
             f"repeated because it exceeded {o['max_interference']:.0%}: "
             f"{len(results['discarded'])}; kept although it did: "
             f"{sum(1 for r in runs if r.get('contended'))}.", ""]
    servers_ = [s for s in o["servers"] if any(r["server"] == s for r in runs)]
    variants = [x for x in o["variants"] if any(r["variant"] == x for r in runs)]
    for var in variants:
        lines += [f"## {var}: {VARIANTS[var]}", "",
                  "| server | good requests ok | failed | p50 ms | p99 ms | p99.9 ms | worst ms "
                  "| longest gap ms | server CPU | others on CPU 0 / 1 |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for s in servers_:
            rs = [r for r in runs if r["server"] == s and r["variant"] == var]
            if not rs:
                continue
            lines.append(
                f"| {s} | {cell([r['succeeded'] for r in rs], 0)} | "
                f"{sum(r['bad'] for r in rs)} | {cell([r['p50_ms'] for r in rs])} | "
                f"{cell([r['p99_ms'] for r in rs])} | {cell([r['p999_ms'] for r in rs])} | "
                f"{cell([r['max_ms'] for r in rs])} | {cell([r['gap_ms'] for r in rs], 1)} | "
                f"{cell([100 * r['server_cpu_s'] / r['wall_s'] for r in rs], 0)} % | "
                f"{med([100 * r['other_load_on_server_cpu'] for r in rs]):.0f} / "
                f"{med([100 * r['other_load_on_client_cpu'] for r in rs]):.0f} % |")
        lines.append("")
        att = [r for r in runs if r["variant"] == var and r.get("attack")]
        if att:
            lines += ["| server | silent: closed by server / opened | silent: closed after s "
                      "(median) | worst request near their closes ms | slowloris: closed "
                      "(answered 408) | garbage: answered / opened (statuses) |",
                      "|---|---|---|---|---|---|"]
            for s in servers_:
                rs = [r for r in att if r["server"] == s]
                if not rs:
                    continue
                si = [r["attack"]["silent"] for r in rs]
                sl = [r["attack"]["slowloris"] for r in rs]
                ga = [r["attack"]["garbage"] for r in rs]
                life = [x["lifetime_s"]["p50"] for x in si if x.get("lifetime_s")]
                st = {}
                for g in ga:
                    for code, n in g["status"].items():
                        st[code] = st.get(code, 0) + n
                lines.append(
                    f"| {s} | {med([x['closed_by_server'] for x in si]):,.0f} / "
                    f"{med([x['opened'] for x in si]):,.0f} | {cell(life, 2)} | "
                    f"{cell([r.get('worst_near_closes_ms') for r in rs])} | "
                    f"{med([x['closed_by_server'] for x in sl]):,.0f} "
                    f"({med([x['status'].get('408', 0) for x in sl]):,.0f}) | "
                    f"{med([x['answered'] for x in ga]):,.0f} / {med([x['opened'] for x in ga]):,.0f}"
                    f" ({', '.join(f'{k}: {n:,}' for k, n in sorted(st.items())) or '–'}) |")
            lines += ["", "(medians per run; statuses summed over the runs)", ""]
    if "alone" in variants and len(variants) > 1:
        lines += ["## Attack ÷ alone (ratios of the medians)", "",
                  "| server | variant | p99.9 | worst | goal for minihttp (p99.9 ≤ "
                  f"{GOAL_P999}×, worst ≤ {GOAL_WORST}×, no failed request) |",
                  "|---|---|---|---|---|"]
        for s in servers_:
            base = [r for r in runs if r["server"] == s and r["variant"] == "alone"]
            b999, bmax = med([r["p999_ms"] for r in base]), med([r["max_ms"] for r in base])
            for var in variants:
                if var == "alone":
                    continue
                rs = [r for r in runs if r["server"] == s and r["variant"] == var]
                if not rs or not b999 or not bmax:
                    continue
                q999 = med([r["p999_ms"] for r in rs]) / b999
                qmax = med([r["max_ms"] for r in rs]) / bmax
                goal = "–"
                if s.startswith("minihttp"):
                    ok = q999 <= GOAL_P999 and qmax <= GOAL_WORST and \
                        sum(r["bad"] for r in rs + base) == 0
                    goal = "**met**" if ok else "**missed**"
                lines.append(f"| {s} | {var} | {q999:.2f} | {qmax:.2f} | {goal} |")
        lines.append("")
    bad = [r for r in runs if r["bad"] or r["non2xx_logged"]]
    short = [r for r in runs if r["done"] < 0.98 * r["expected"]]
    if bad:
        lines += ["**Failed good requests:** " + "; ".join(
            f"{r['variant']} {r['server']} round {r['round']}: {r['failed']} failed, "
            f"{r['errored']} errored, {r['timeout']} timed out, "
            f"{r['s3xx'] + r['s4xx'] + r['s5xx']} non-2xx" for r in bad), ""]
    if short:
        lines += ["**Rate not reached** (fewer than 98 % of the scheduled requests done): " +
                  "; ".join(f"{r['variant']} {r['server']} round {r['round']}: {r['done']:,} of "
                            f"{r['expected']:,}" for r in short), ""]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(prog="bench/attack")
    ap.add_argument("--out", required=True)
    ap.add_argument("--www", required=True)
    ap.add_argument("--pidfile")
    ap.add_argument("--minihttp", required=True)
    ap.add_argument("--attacker", required=True)
    ap.add_argument("--baseline-bin", help="a second minihttp-server build: minihttp-base")
    ap.add_argument("--baseline", help="its git ref, for the report")
    ap.add_argument("--servers", type=lambda s: s.split(","), default=["minihttp", "nginx"],
                    help="minihttp,nginx (default); also lighttpd, h2o")
    ap.add_argument("--variants", type=lambda s: s.split(","),
                    default=["alone", "timeouts", "mixed"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--rate", type=int, default=1000, help="requests per second per client")
    ap.add_argument("--attack-at", type=float, default=2)
    ap.add_argument("--silent", type=int, default=2000)
    ap.add_argument("--mixed-silent", type=int, default=1000)
    ap.add_argument("--slowloris", type=int, default=1000)
    ap.add_argument("--garbage-rate", type=float, default=200)
    ap.add_argument("--header-timeout", type=int, default=10)
    ap.add_argument("--settle", type=float, default=0.5)
    ap.add_argument("--pause", type=float, default=2)
    ap.add_argument("--max-interference", type=float, default=0.15)
    ap.add_argument("--retries", type=int, default=0,
                    help="repeat a run in which other processes took more than "
                         "--max-interference of a CPU, up to this many times (default 0: the "
                         "server is mostly idle here, so niced neighbours fill the rest of its CPU "
                         "without delaying it; the report shows their share)")
    ap.add_argument("--keep-logs", action="store_true", help="keep h2load's per-request logs")
    ap.add_argument("--nice", type=int, default=0)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    a = ap.parse_args()
    if a.duration == int(a.duration):
        a.duration = int(a.duration)
    for v in a.variants:
        if v not in VARIANTS:
            raise SystemExit(f"bench/attack: unknown variant {v} ({', '.join(VARIANTS)})")
    if a.baseline_bin:
        a.baseline_bin = os.path.abspath(a.baseline_bin)
    if a.baseline_bin and "minihttp-base" not in a.servers:
        a.servers.insert(1, "minihttp-base")
    ctx = Context(a)
    os.makedirs(ctx.out, exist_ok=True)
    harness.prepare_docroot(ctx)
    # Without TCP_DEFER_ACCEPT; minihttp-server's header timeout is its default, 10 s.
    ctx.minihttp_extra, _ = servers.minihttp_options(ctx.minihttp_bin, defer_accept=False)
    if a.baseline_bin:
        ctx.baseline_extra, _ = servers.minihttp_options(a.baseline_bin, defer_accept=False)
    if a.header_timeout != 10 and any(s.startswith("minihttp") for s in a.servers):
        raise SystemExit("bench/attack: minihttp-server's header timeout is fixed at 10 s")
    vers = harness.versions(ctx)
    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
               "options": {k: getattr(a, k) for k in
                           ("servers", "variants", "runs", "duration", "clients", "rate",
                            "attack_at", "silent", "mixed_silent", "slowloris", "garbage_rate",
                            "header_timeout", "server_cpu", "client_cpu", "nice",
                            "max_interference", "retries", "baseline")},
               "versions": vers, "runs": [], "discarded": []}
    total = a.runs * len(a.variants) * len(a.servers) * (a.duration + a.settle + a.pause + 3)
    log(f"{a.runs} run(s) x {len(a.variants)} variant(s) x {len(a.servers)} server(s), "
        f"{a.duration} s each: about {total / 60:.0f} minutes; load average "
        f"{harness.loadavg():.2f}")

    def on_signal(sig, _frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    interrupted = False
    try:
        run_all(ctx, results)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted; the report covers what ran")
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results["interrupted"] = interrupted
    with open(os.path.join(ctx.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = markdown(results)
    with open(os.path.join(ctx.out, "results.md"), "w") as f:
        f.write(md)
    print(md)
    log(f"results: {ctx.out}/results.md, results.json")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())

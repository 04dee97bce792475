"""bench/run's report: medians (min-max) per scenario and server, the goals of the performance
issue as ratios against the peers measured in the same run, CSV, and the gnuplot chart."""

import csv
import os
import shutil
import statistics
import subprocess

PEERS = ["nginx", "nginx-ofc", "lighttpd", "h2o"]
SERVER_ORDER = ["minihttp", "minihttp-base", "minihttp-log", *PEERS, "floor"]
LABEL = {"nginx-ofc": "nginx + open_file_cache", "floor": "syscall floor (bench/floor)",
         "minihttp-log": "minihttp, logging on", "minihttp-base": "minihttp-base (baseline)"}


def med(values):
    return statistics.median(values) if values else None


def fmt_num(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def spread(values, digits=0, scale=1.0):
    """'median (min–max)' of the values; just the value for one run."""
    if not values:
        return "–"
    v = [x * scale for x in values]
    m = fmt_num(statistics.median(v), digits)
    if len(v) == 1:
        return m
    return f"{m} ({fmt_num(min(v), digits)}–{fmt_num(max(v), digits)})"


def runs_of(results, scenario, server):
    return [r for r in results["runs"] if r["scenario"] == scenario and r["server"] == server]


def metric(results, scenario, server, key):
    return [r[key] for r in runs_of(results, scenario, server)]


def best_peer(results, scenario, key, lowest=False):
    """(server, median) of the best peer for the metric."""
    best = None
    for p in PEERS:
        m = med(metric(results, scenario, p, key))
        if m is None:
            continue
        if best is None or (m < best[1] if lowest else m > best[1]):
            best = (p, m)
    return best


def ratio(a, b):
    return a / b if a is not None and b else None


def status(ok):
    if ok is None:
        return "n/a"
    return "**met**" if ok else "**missed**"


# ---- tables --------------------------------------------------------------------------------

def scenario_table(results, sid):
    rows = [r for r in results["runs"] if r["scenario"] == sid]
    if not rows:
        return ""
    title = rows[0]["title"]
    big = sid.startswith("10mib")
    close = sid.startswith("close")
    unit = "conn" if close else "req"
    if big:
        head = ["server", "MiB/s", "req/s", "MiB per CPU-s"]
    else:
        head = ["server", f"{unit}/s", f"{unit} per CPU-s"]
    head += ["minihttp ÷ this (per CPU-s)", "server CPU use", "client CPU use", "p50 ms", "p90 ms", "p99 ms",
             "RSS MiB", "errors / non-2xx"]
    lines = [f"### {title}", "", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    mh = med(metric(results, sid, "minihttp", "req_per_cpu_s")) or \
        med(metric(results, sid, "minihttp-log", "req_per_cpu_s"))
    for s in SERVER_ORDER:
        rs = runs_of(results, sid, s)
        if not rs:
            continue
        per_cpu = [r["req_per_cpu_s"] for r in rs]
        cells = [LABEL.get(s, s)]
        if big:
            mib_cpu = [r["mib_per_s"] * r["seconds"] / r["server_cpu_s"]
                       if r["server_cpu_s"] else 0 for r in rs]
            cells += [spread([r["mib_per_s"] for r in rs]), spread([r["rps"] for r in rs]),
                      spread(mib_cpu)]
        else:
            cells += [spread([r["rps"] for r in rs]), spread(per_cpu)]
        rt = ratio(mh, med(per_cpu))
        cells.append("–" if s in ("minihttp", "minihttp-log") or rt is None else f"{rt:.2f}")
        cells.append(spread([r["server_cpu_share"] * 100 for r in rs]) + " %")
        cells.append(spread([r.get("client_cpu_share", 0) * 100 for r in rs]) + " %")
        for k in ("p50_us", "p90_us", "p99_us"):
            cells.append(spread([r[k] for r in rs], 2, 1e-3))
        cells.append(spread([r["rss_kib"] for r in rs], 1, 1 / 1024))
        cells.append(f"{sum(r['errors'] for r in rs)} / {sum(r['non2xx'] for r in rs)}")
        lines.append("| " + " | ".join(cells) + " |")
    other = [r["other_load_on_server_cpu"] * 100 for r in rows]
    if sid.startswith("pipe"):
        lines += ["", "wrk times a pipelined batch, not each request: its latency figures "
                  "here are not comparable with the other scenarios'."]
    cother = [r.get("other_load_on_client_cpu", 0) * 100 for r in rows]
    lines += ["", f"Other processes' load during these runs (share of the CPU, median, max): "
              f"server's CPU {statistics.median(other):.0f} % ({max(other):.0f} %), load "
              f"generator's CPU {statistics.median(cother):.0f} % ({max(cother):.0f} %).", ""]
    return "\n".join(lines)


def goals(results):
    """[(goal, measured, target, met)] for the issue's goals that this run measured."""
    g = []
    ka = sorted({r["scenario"] for r in results["runs"] if r["scenario"].startswith("ka-c")},
                key=lambda s: int(s[4:]))
    for sid in ka:
        mh = med(metric(results, sid, "minihttp", "req_per_cpu_s"))
        bp = best_peer(results, sid, "req_per_cpu_s")
        if mh and bp:
            rt = mh / bp[1]
            g.append((f"{sid}: req per CPU-s ≥ 1.15 × best peer",
                      f"{rt:.2f} ({mh:,.0f} vs {bp[0]} {bp[1]:,.0f})", "≥ 1.15", rt >= 1.15))
        fl = med(metric(results, sid, "floor", "req_per_cpu_s"))
        if mh and fl:
            rt = mh / fl
            g.append((f"{sid}: req per CPU-s ≥ 0.85 × syscall floor",
                      f"{rt:.2f} ({mh:,.0f} vs floor {fl:,.0f})", "≥ 0.85", rt >= 0.85))
        mr = med(metric(results, sid, "minihttp", "rps"))
        br = best_peer(results, sid, "rps")
        if mr and br:
            rt = mr / br[1]
            g.append((f"{sid}: req/s ≥ best peer", f"{rt:.2f} ({mr:,.0f} vs {br[0]} "
                      f"{br[1]:,.0f})", "≥ 1.00", rt >= 1.0))
    mh = med(metric(results, "close-c64", "minihttp", "req_per_cpu_s"))
    h2o = med(metric(results, "close-c64", "h2o", "req_per_cpu_s"))
    if mh and h2o:
        rt = mh / h2o
        g.append(("close-c64: connections per CPU-s ≥ 1.1 × h2o",
                  f"{rt:.2f} ({mh:,.0f} vs {h2o:,.0f})", "≥ 1.10", rt >= 1.1))
    mh = med(metric(results, "10mib-c16", "minihttp", "mib_per_s"))
    lt = med(metric(results, "10mib-c16", "lighttpd", "mib_per_s"))
    if mh and lt:
        rt = mh / lt
        g.append(("10mib-c16: MiB/s ≥ lighttpd", f"{rt:.2f} ({mh:,.0f} vs {lt:,.0f} MiB/s)",
                  "≥ 1.00", rt >= 1.0))
    for sid in ("ka-c64", "ka-c256"):
        mh = med(metric(results, sid, "minihttp", "p99_us"))
        bp = best_peer(results, sid, "p99_us", lowest=True)
        if mh and bp:
            rt = mh / bp[1]
            g.append((f"{sid}: p99 ≤ best peer's", f"{mh / 1000:.2f} ms vs {bp[0]} "
                      f"{bp[1] / 1000:.2f} ms (×{rt:.2f})", "≤ 1.00×", rt <= 1.0))
    for r in results["starvation"]:
        if r["server"] == "minihttp":
            g.append(("starve-c64: every connection served every second",
                      f"fewest responses of one connection in one second: "
                      f"{r['min_per_conn_second']} (zero in {r['zero_cells']} of {r['cells']} "
                      f"connection-seconds)", "> 0", r["zero_cells"] == 0 and r["cells"] > 0))
    idle = {r["conns"]: r for r in results["idle"] if r["server"] == "minihttp"}
    if idle:
        top = idle[max(idle)]
        g.append((f"idle: RSS per idle connection at {max(idle):,}",
                  f"{top['kib_per_conn']:.2f} KiB ({top['ok']:,} open)", "≤ 0.5 KiB",
                  top["kib_per_conn"] <= 0.5 and top["failed"] == 0))
        if len(idle) > 1:
            lo, hi = idle[min(idle)], idle[max(idle)]
            flat = hi["kib_per_conn"] <= max(lo["kib_per_conn"] * 1.25,
                                             lo["kib_per_conn"] + 0.1)
            g.append((f"idle: per-connection cost flat {min(idle):,} → {max(idle):,}",
                      f"{lo['kib_per_conn']:.2f} → {hi['kib_per_conn']:.2f} KiB",
                      "within 25 % (or 0.1 KiB)", flat))
    for r in results["pipeline"]:
        if r["server"] == "minihttp":
            g.append(("pipelining: 16 requests in one segment answered with one write",
                      f"{r['writes']} write calls for {r['responses']} responses",
                      "1", r["writes"] == 1 and r["responses"] == 16))
    on = med(metric(results, "log-c64", "minihttp-log", "rps"))
    off = med(metric(results, "ka-c64", "minihttp", "rps"))
    if on and off:
        rt = on / off
        g.append(("logging on: req/s ≥ 0.8 × logging off (c64)",
                  f"{rt:.2f} ({on:,.0f} vs {off:,.0f})", "≥ 0.80", rt >= 0.8))
    for t in sorted({u.get("threads") for u in results["uploads"] if u.get("kind") == "minihttp"}):
        mh = med([u["per_second"] for u in results["uploads"]
                  if u.get("kind") == "minihttp" and u["threads"] == t])
        raw = med([u["per_second"] for u in results["uploads"]
                   if u.get("kind") == "raw" and u["threads"] == t])
        if mh and raw:
            rt = mh / raw
            g.append((f"uploads ({t} thread{'s' if t > 1 else ''}): ≥ 0.8 × raw create+write+"
                      "fsync+rename", f"{rt:.2f} ({mh:,.0f}/s vs {raw:,.0f}/s)", "≥ 0.80",
                      rt >= 0.8))
    return g


def paired(results, sid, key, new="minihttp", base="minihttp-base"):
    """(median new, median base, new ÷ base of the medians, [new ÷ base of each round])."""
    n = {r["round"]: r[key] for r in runs_of(results, sid, new) if key in r}
    b = {r["round"]: r[key] for r in runs_of(results, sid, base) if key in r}
    if not n or not b:
        return None
    per_round = [n[k] / b[k] for k in sorted(n) if k in b and b[k]]
    mn, mb = med(list(n.values())), med(list(b.values()))
    return mn, mb, ratio(mn, mb), per_round


def baseline_table(results):
    """minihttp against the baseline build (bench/run --baseline) measured in the same run."""
    if not any(r["server"] == "minihttp-base" for r in results["runs"]):
        return []
    ref = results["options"].get("baseline") or "?"
    out = [f"## minihttp ÷ minihttp-base (`{ref}`), same run", "",
           "Both builds ran in every round of every scenario, in rotated order. The last column "
           "gives the ratio of each round's pair of runs (min–max), a measure of the noise.", "",
           "| scenario | figure | minihttp | minihttp-base | new ÷ base | per round |",
           "|---|---|---|---|---|---|"]
    order = []
    for r in results["runs"]:
        if r["scenario"] not in order:
            order.append(r["scenario"])
    for sid in order:
        if sid.startswith("10mib"):
            figs = [("MiB/s", "mib_per_s"), ("MiB per CPU-s", "mib_per_cpu_s"),
                    ("p99 ms", "p99_us")]
        elif sid.startswith("close"):
            figs = [("conn per CPU-s", "req_per_cpu_s"), ("conn/s", "rps"), ("p99 ms", "p99_us")]
        else:
            figs = [("req per CPU-s", "req_per_cpu_s"), ("req/s", "rps"), ("p99 ms", "p99_us")]
        for label, key in figs:
            p = paired(results, sid, key)
            if p is None:
                continue
            mn, mb, rt, per = p
            scale = 1e-3 if key.endswith("_us") else 1.0
            digits = 2 if key.endswith("_us") else 0
            rng = (f"{min(per):.2f}–{max(per):.2f}" if len(per) > 1 else
                   (f"{per[0]:.2f}" if per else "–"))
            out.append(f"| {sid} | {label} | {fmt_num(mn * scale, digits)} | "
                       f"{fmt_num(mb * scale, digits)} | {'–' if rt is None else f'{rt:.3f}'} | "
                       f"{rng} |")
    out += ["", "Above 1 is better for the new build, except for p99 (lower is better).", ""]
    return out


def extra_tables(results):
    out = []
    if results["starvation"]:
        out += ["### Starvation, c64 (bench/loadgen: 64 closed-loop keep-alive connections)", "",
                "| server | req/s | fewest responses per connection-second | most | "
                "connection-seconds with none | reconnects | errors / non-2xx |",
                "|---|---|---|---|---|---|---|"]
        for r in results["starvation"]:
            out.append(f"| {LABEL.get(r['server'], r['server'])} | {r['rps']:,.0f} | "
                       f"{r['min_per_conn_second']:,} | {r['max_per_conn_second']:,} | "
                       f"{r['zero_cells']} of {r['cells']} | {r['reconnects']:,} | "
                       f"{r['errors']} / {r['non2xx']} |")
        out.append("")
    if results["pipeline"]:
        out += ["### Pipelining: 16 GETs of /1k.html in one segment (strace of the server)", "",
                "| server | responses | write calls | all syscalls | by call |",
                "|---|---|---|---|---|"]
        for r in results["pipeline"]:
            calls = ", ".join(f"{k} {v}" for k, v in sorted(r["calls"].items(),
                                                            key=lambda kv: -kv[1]))
            out.append(f"| {LABEL.get(r['server'], r['server'])} | {r['responses']} | "
                       f"{r['writes']} | {r['syscalls']} | {calls} |")
        out.append("")
    if results["idle"]:
        out += ["### Idle keep-alive connections (fresh server each; RSS after one request "
                "each)", "",
                "| server | connections | open after 1 s | RSS before → after (KiB) | "
                "KiB per connection |", "|---|---|---|---|---|"]
        for r in results["idle"]:
            fail = f" ({r['failed']} failed)" if r["failed"] else ""
            out.append(f"| {r['server']} | {r['conns']:,}{fail} | {r['still_open']:,} | "
                       f"{r['rss_before_kib']:,} → {r['rss_after_kib']:,} | "
                       f"{r['kib_per_conn']:.2f} |")
        out.append("")
    if results["uploads"]:
        out += ["### Uploads: 1 KiB JSON, c16, stored durably", "",
                "| what | threads | stores/s | p50 ms | p99 ms | errors / non-2xx |",
                "|---|---|---|---|---|---|"]
        names = {"minihttp": "minihttp-server POST /upload (fsync file + directory)",
                 "raw": "raw: create + write + fsync + rename",
                 "raw+dirfsync": "raw + fsync of the directory"}
        for t in sorted({u["threads"] for u in results["uploads"]}):
            for kind in ("minihttp", "raw", "raw+dirfsync"):
                us = [u for u in results["uploads"] if u["kind"] == kind and u["threads"] == t]
                if not us:
                    continue
                if kind == "minihttp":
                    lat = (spread([u["p50_us"] for u in us], 1, 1e-3),
                           spread([u["p99_us"] for u in us], 1, 1e-3))
                    err = f"{sum(u['errors'] for u in us)} / {sum(u['non2xx'] for u in us)}"
                else:
                    lat, err = ("–", "–"), "–"
                out.append(f"| {names[kind]} | {t} | {spread([u['per_second'] for u in us])} | "
                           f"{lat[0]} | {lat[1]} | {err} |")
        out.append("")
    return out


def markdown(results):
    v = results["versions"]
    o = results["options"]
    lines = ["# minihttp load benchmark", "",
             f"Run {results['started']} → {results['finished']}"
             f"{' (INTERRUPTED: partial)' if results.get('interrupted') else ''}. "
             f"{o['runs']} run(s) × {o['duration_s']} s per scenario; medians (min–max). "
             f"Server pinned to CPU {o['server_cpu']}, load generator to CPU {o['client_cpu']}.",
             "",
             f"- CPU: {v['cpu']} ({v['cpus']} CPUs); kernel {v['kernel']}",
             f"- {v['nginx']}; {v['lighttpd']}; {v['h2o']}; {v['wrk']}",
             f"- minihttp {v['minihttp_git']}, {v['compiler']}"
             + (f"; baseline minihttp-base: `{o['baseline']}`" if o.get("baseline") else "")]
    contended = [r for r in results["runs"] + results["starvation"] if r.get("contended")]
    lines.append(f"- Interference: a run in which other processes took more than "
                 f"{o.get('max_interference', 0):.0%} of either CPU was repeated (up to "
                 f"{o.get('retries', 0)} times); {len(results.get('discarded', []))} run(s) "
                 f"discarded, {len(contended)} kept although still contended"
                 + (": " + ", ".join(f"{r['scenario']} {r['server']}" for r in contended)
                    if contended else "") + ".")
    if o.get("minihttp_requests_per_connection_limit"):
        lines.append(f"- minihttp-server closes each connection after "
                     f"{o['minihttp_requests_per_connection_limit']} requests (no flag to raise "
                     "it); the peers' limits are raised, wrk reconnects.")
    lines.append("")
    g = goals(results)
    if g:
        lines += ["## Goals (minihttp ÷ peers measured in this run)", "",
                  "| goal | measured | target | status |", "|---|---|---|---|"]
        lines += [f"| {a} | {b} | {c} | {status(d)} |" for a, b, c, d in g]
        met = sum(1 for x in g if x[3])
        lines += ["", f"{met} of {len(g)} goals met.", ""]
    lines += baseline_table(results)
    lines += ["## Scenarios", ""]
    order = []
    for r in results["runs"]:
        if r["scenario"] not in order:
            order.append(r["scenario"])
    for sid in order:
        lines.append(scenario_table(results, sid))
    lines += extra_tables(results)
    errs = [r for r in results["runs"] if r["errors"] or r["non2xx"]]
    errs += [r for r in results["starvation"] if r["errors"] or r["non2xx"]]
    if errs:
        lines += ["**Errors:** " + "; ".join(
            f"{r['scenario']} {r['server']}: {r['errors']} socket errors, {r['non2xx']} non-2xx"
            for r in errs), ""]
    return "\n".join(lines) + "\n"


def write_csv(results, path):
    keys = ["scenario", "server", "round", "requests", "seconds", "rps", "req_per_cpu_s",
            "mib_per_s", "server_cpu_s", "server_cpu_share", "client_cpu_s", "client_cpu_share", "other_load_on_server_cpu",
            "other_load_on_client_cpu", "contended", "attempts",
            "p50_us", "p75_us", "p90_us", "p99_us", "p999_us", "lat_max_us", "rss_kib", "errors",
            "non2xx", "loadavg"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in results["runs"]:
            w.writerow(r)


def chart(results, out_dir, target):
    """Clustered bars of requests (connections) per server CPU-second; a PNG via gnuplot."""
    if not shutil.which("gnuplot"):
        return None
    scen = [s for s in ("ka-c16", "ka-c64", "ka-c256", "close-c64")
            if any(r["scenario"] == s for r in results["runs"])]
    servers = [s for s in ("minihttp", "minihttp-base", *PEERS, "floor")
               if any(r["server"] == s for r in results["runs"])]
    if not scen or not servers:
        return None
    labels = {"ka-c16": "keep-alive c16", "ka-c64": "keep-alive c64",
              "ka-c256": "keep-alive c256", "close-c64": "Connection: close c64"}
    dat = os.path.join(out_dir, "chart.dat")
    with open(dat, "w") as f:
        f.write("scenario " + " ".join(f'"{LABEL.get(s, s)}"' for s in servers) + "\n")
        for sid in scen:
            vals = []
            for s in servers:
                m = med(metric(results, sid, s, "req_per_cpu_s"))
                vals.append(f"{m / 1000:.1f}" if m else "?")
            f.write(f'"{labels[sid]}" ' + " ".join(vals) + "\n")
    runs = results["options"]["runs"]
    colors = ["#d62728", "#1f77b4", "#6baed6", "#2ca02c", "#ff7f0e", "#7f7f7f"]
    if "minihttp-base" in servers:
        colors.insert(1, "#f4a0a0")
    script = f"""
set terminal pngcairo noenhanced size 900,460 font "DejaVu Sans,10"
set output "{target}"
set title "Requests (connections) per server CPU-second, thousands — median of {runs} run(s), 1 KiB file, one worker"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set datafile missing "?"
set key top right
set grid ytics
set yrange [0:*]
set ylabel "thousand per CPU-second"
plot for [i=2:{len(servers) + 1}] "{dat}" using i:xtic(1) title columnheader(i) lc rgb word("{' '.join(colors)}", i-1)
"""
    gp = os.path.join(out_dir, "chart.gp")
    with open(gp, "w") as f:
        f.write(script)
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    p = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stderr)
        return None
    return target

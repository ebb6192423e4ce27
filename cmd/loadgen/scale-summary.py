#!/usr/bin/env python3
"""Medians of the runs cmd/loadgen/scale.sh wrote under a directory.

    cmd/loadgen/scale-summary.py /tmp/scale-1m

For each operation: the median over the runs of the service's and the direct side's
p50/p95/p99, and the median of the per-run ratios (each measured in one run, phase by phase);
the same against the direct side's core query; throughput of both sides and its per-run
ratio; peak RSS; the dry escalation runs' times. Prints Markdown tables.
"""
import glob
import json
import os
import re
import statistics
import sys


def med(xs):
    xs = [x for x in xs if x]
    return statistics.median(xs) if xs else 0.0


def load(pattern):
    out = []
    for p in sorted(glob.glob(pattern)):
        try:
            with open(p) as f:
                out.append(json.load(f))
        except (OSError, ValueError):
            print(f"skipped {p}: not a report", file=sys.stderr)
    return out


def table(reps, title):
    if not reps:
        return
    print(f"\n{title} ({len(reps)} runs)\n")
    svc = [r["service"]["per_second"] for r in reps]
    dct = [r["direct"]["per_second"] for r in reps]
    ratios = [s / d for s, d in zip(svc, dct) if d]
    print(f"throughput: service {med(svc):.1f} requests/s, direct {med(dct):.1f} operations/s, "
          f"service/direct {med(ratios):.2f} (runs: {', '.join(f'{x:.2f}' for x in ratios)})")
    errs = sum(r["service"]["errors"] + r["direct"]["errors"] for r in reps)
    print(f"errors: {errs}")
    rss = [r["rss"]["peak_bytes"] / 2**20 for r in reps]
    print(f"peak RSS of serve: {med(rss):.1f} MiB (runs: {', '.join(f'{x:.1f}' for x in rss)})\n")
    print("| operation | service p50 | p95 | p99 | direct p50 | p95 | p99 | service/direct p50 | p95 | p99 "
          "| core p50 | service/core p50 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    names = [o["name"] for o in reps[0]["operations"]] + ["writes"]
    for i, name in enumerate(names):
        rows = [r["operations"][i] if name != "writes" else r["writes"] for r in reps]
        cores = [r["core"][i] for r in reps] if name != "writes" and reps[0].get("core") else []
        s = [med([o["service"][k] for o in rows]) for k in ("p50_ms", "p95_ms", "p99_ms")]
        d = [med([o["direct"][k] for o in rows]) for k in ("p50_ms", "p95_ms", "p99_ms")]
        q = [med([o[k] for o in rows]) for k in ("ratio_p50", "ratio_p95", "ratio_p99")]
        c = med([o["direct"]["p50_ms"] for o in cores]) if cores else 0
        cq = med([o["ratio_p50"] for o in cores]) if cores else 0
        cells = [f"{x:.2f}" for x in s + d] + [f"{x:.2f}" for x in q]
        cells += [f"{c:.2f}" if c else "-", f"{cq:.2f}" if cq else "-"]
        print(f"| {name} | " + " | ".join(cells) + " |")


def main():
    d = sys.argv[1]
    table(load(os.path.join(d, "mixed-*.json")), "mixed load, 16 clients (ms)")
    table(load(os.path.join(d, "mixed1-*.json")), "mixed load, 1 client (ms)")
    table(load(os.path.join(d, "get1-*.json")), "reading one check, 1 client (ms)")
    try:
        with open(os.path.join(d, "dry.txt")) as f:
            secs = [float(m) for m in re.findall(r": ([0-9.]+) s", f.read())]
        print(f"\ndry escalation runs through the API: median {med(secs):.2f} s (runs: {', '.join(f'{x:.2f}' for x in secs)})")
    except OSError:
        pass
    try:
        with open(os.path.join(d, "serve.log")) as f:
            for line in f:
                if 'msg="escalation run"' in line:
                    print("start-up run: " + line.strip())
    except OSError:
        pass


if __name__ == "__main__":
    main()

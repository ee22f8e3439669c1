#!/usr/bin/env python3
"""Bootstrap throughput: medeval-stats against the numpy code a user would otherwise write.

Run by hand:  python3 bench/stats/compare_numpy.py [--skip-cargo]

Workload (the same on both sides): a 100,000-item run, 72% correct, items in 20,000 clusters of
5, a second run agreeing with the first on ~85% of items; 10,000 replicates of

  accuracy_bootstrap          the accuracy, items resampled
  accuracy_cluster_bootstrap  the accuracy, clusters resampled
  paired_bootstrap            acc_a - acc_b, items resampled
  cluster_paired_bootstrap    acc_a - acc_b, clusters resampled

numpy is timed two ways where they differ: resampling indices (what most scripts do) and, for
0/1 data, drawing the resample's counts from a binomial/multinomial (the shortcut medeval-stats
takes for items). numpy runs on one thread. The Rust figures come from
`cargo bench -p medeval-stats --bench bootstrap -- --json` (best of 5, 1 thread and all threads).
Uses bench/stats/.venv (created by make_reference.py, or here on first use).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"


def ensure_venv() -> None:
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not python.exists():
        venv.create(VENV, with_pip=True)
        subprocess.check_call([str(python), "-m", "pip", "install", "--quiet", "numpy"])
    os.execv(str(python), [str(python), *sys.argv])


ensure_venv()

import numpy as np  # noqa: E402

ITEMS = 100_000
CLUSTER_SIZE = 5
REPLICATES = 10_000
CHUNK = 50  # replicates per vectorised block: 50 x 100,000 int64 indices = 40 MB


def data():
    rng = np.random.default_rng(2024)
    a = (rng.uniform(size=ITEMS) < 0.72).astype(np.int8)
    agree = rng.uniform(size=ITEMS) < 0.85
    b = np.where(agree, a, 1 - a).astype(np.int8)
    clusters = np.arange(ITEMS) // CLUSTER_SIZE
    return a, b, clusters


def best_of(repeats: int, work) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def index_bootstrap(values: np.ndarray, sizes: np.ndarray | None, seed: int):
    rng = np.random.default_rng(seed)
    units = len(values)
    stats = np.empty(REPLICATES)
    for start in range(0, REPLICATES, CHUNK):
        stop = min(start + CHUNK, REPLICATES)
        idx = rng.integers(0, units, size=(stop - start, units))
        if sizes is None:
            stats[start:stop] = values[idx].mean(axis=1)
        else:
            stats[start:stop] = values[idx].sum(axis=1) / sizes[idx].sum(axis=1)
    return np.percentile(stats, [2.5, 97.5])


def binomial_bootstrap(values: np.ndarray, seed: int):
    rng = np.random.default_rng(seed)
    n = len(values)
    counts = rng.binomial(n, values.mean(), size=REPLICATES)
    return np.percentile(counts / n, [2.5, 97.5])


def multinomial_bootstrap(differences: np.ndarray, seed: int):
    rng = np.random.default_rng(seed)
    n = len(differences)
    shares = [np.mean(differences == -1), np.mean(differences == 0), np.mean(differences == 1)]
    counts = rng.multinomial(n, shares, size=REPLICATES)
    return np.percentile((counts[:, 2] - counts[:, 0]) / n, [2.5, 97.5])


def cluster_totals(values: np.ndarray, clusters: np.ndarray):
    sums = np.bincount(clusters, weights=values.astype(np.float64))
    sizes = np.bincount(clusters).astype(np.float64)
    return sums, sizes


def numpy_figures() -> dict:
    a, b, clusters = data()
    d = a.astype(np.int64) - b.astype(np.int64)
    a_sums, sizes = cluster_totals(a, clusters)
    d_sums, _ = cluster_totals(d, clusters)
    figures = {}
    workloads = {
        "accuracy_bootstrap": {
            "index": lambda: index_bootstrap(a.astype(np.float64), None, 1),
            "binomial": lambda: binomial_bootstrap(a, 1),
        },
        "accuracy_cluster_bootstrap": {"index": lambda: index_bootstrap(a_sums, sizes, 2)},
        "paired_bootstrap": {
            "index": lambda: index_bootstrap(d.astype(np.float64), None, 3),
            "binomial": lambda: multinomial_bootstrap(d, 3),
        },
        "cluster_paired_bootstrap": {"index": lambda: index_bootstrap(d_sums, sizes, 4)},
    }
    for name, ways in workloads.items():
        figures[name] = {}
        for way, work in ways.items():
            seconds, ci = best_of(1 if way == "index" else 3, work)
            figures[name][way] = {"seconds": seconds, "ci": [float(v) for v in ci]}
            print(f"numpy {name:<28} {way:<9} {seconds:8.3f} s  ci [{ci[0]:.5f}, {ci[1]:.5f}]",
                  file=sys.stderr)
    return figures


def rust_figures() -> dict:
    env = dict(os.environ)
    command = ["cargo", "bench", "-q", "-p", "medeval-stats", "--bench", "bootstrap", "--", "--json"]
    output = subprocess.check_output(command, cwd=ROOT, env=env, text=True)
    line = [row for row in output.splitlines() if row.startswith("{")][-1]
    return json.loads(line)


def main() -> None:
    rust = None if "--skip-cargo" in sys.argv else rust_figures()
    numpy = numpy_figures()
    threads = rust["threads"] if rust else None
    print(f"\n| workload | numpy, index resampling | numpy, binomial shortcut | medeval-stats, 1 thread"
          f"{f' | medeval-stats, {threads} threads' if rust else ''} | speed-up vs numpy index |")
    print("|---|---|---|---|" + ("---|---|" if rust else "---|"))
    for name, ways in numpy.items():
        index = ways["index"]["seconds"]
        shortcut = ways.get("binomial", {}).get("seconds")
        cells = [name, f"{index:.2f} s", f"{shortcut * 1e3:.1f} ms" if shortcut else "n/a"]
        if rust:
            one = rust[name]["threads_1_s"]
            many = rust[name][f"threads_{threads}_s"]
            cells += [f"{one * 1e3:.1f} ms", f"{many * 1e3:.1f} ms", f"{index / many:.0f}x"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

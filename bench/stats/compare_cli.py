#!/usr/bin/env python3
"""End-to-end `medeval compare` against the Python a user would otherwise write.

Run by hand:  python3 bench/stats/compare_cli.py [--medeval PATH] [--items N]

Workload: two scored-sample files of N items (default 100,000; 72% correct, the second run
agreeing with the first on ~85% of items, items in clusters of 5), written to bench/out/. Timed:

  medeval   `medeval compare A B --json`: read both files, pair by id, McNemar, cluster-paired
            bootstrap (10,000 replicates), Holm/BH, discordant items, JSON out;
  python    the same in Python: json.loads per line, pairing by id in dicts, statsmodels'
            mcnemar, and a numpy cluster-paired bootstrap resampling cluster indices
            (10,000 replicates, in chunks of 500 to bound memory).

The medeval binary defaults to $CARGO_TARGET_DIR (or target/)/release/medeval; build it with
`cargo build --release -p medeval-cli`. Uses bench/stats/.venv (see make_reference.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"
OUT = ROOT / "bench" / "out"
REPLICATES = 10_000


def ensure_venv() -> None:
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not python.exists():
        print(f"creating {VENV}", file=sys.stderr)
        venv.create(VENV, with_pip=True)
        subprocess.check_call([str(python), "-m", "pip", "install", "--quiet", "numpy", "scipy",
                               "statsmodels", "mpmath"])
    os.execv(str(python), [str(python), *sys.argv])


ensure_venv()

import numpy as np  # noqa: E402
from statsmodels.stats.contingency_tables import mcnemar  # noqa: E402


def write_files(n: int) -> tuple[Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    path_a, path_b = OUT / f"scored_a_{n}.jsonl", OUT / f"scored_b_{n}.jsonl"
    if path_a.exists() and path_b.exists():
        return path_a, path_b
    rng = random.Random(7)
    with path_a.open("w") as fa, path_b.open("w") as fb:
        for i in range(n):
            a = rng.random() < 0.72
            b = a if rng.random() < 0.85 else not a
            for f, ok in ((fa, a), (fb, b)):
                f.write(json.dumps({"benchmark": "bench", "id": f"q{i}",
                                    "outcome": "correct" if ok else "wrong",
                                    "cluster": f"img{i // 5}"}) + "\n")
    return path_a, path_b


def python_compare(path_a: Path, path_b: Path) -> dict:
    def load(path: Path) -> dict:
        records = {}
        with path.open() as f:
            for line in f:
                r = json.loads(line)
                records[r["id"]] = (r["outcome"] == "correct", r.get("cluster"))
        return records

    a, b = load(path_a), load(path_b)
    ids = [i for i in a if i in b]
    ya = np.array([a[i][0] for i in ids], dtype=np.int64)
    yb = np.array([b[i][0] for i in ids], dtype=np.int64)
    keys = {}
    clusters = np.array([keys.setdefault(a[i][1], len(keys)) for i in ids])
    b_cell = int(np.sum((ya == 1) & (yb == 0)))
    c_cell = int(np.sum((ya == 0) & (yb == 1)))
    exact = b_cell + c_cell < 25
    p = mcnemar([[0, b_cell], [c_cell, 0]], exact=exact, correction=True).pvalue
    d_sums = np.bincount(clusters, weights=(ya - yb).astype(np.float64))
    sizes = np.bincount(clusters).astype(np.float64)
    rng = np.random.default_rng(1)
    replicates = []
    for _ in range(REPLICATES // 500):
        draw = rng.integers(0, len(sizes), size=(500, len(sizes)))
        replicates.append(d_sums[draw].sum(axis=1) / sizes[draw].sum(axis=1))
    replicates = np.concatenate(replicates)
    return {"n_paired": len(ids), "b": b_cell, "c": c_cell, "mcnemar_p": float(p),
            "diff_ci": [float(v) for v in np.percentile(replicates, [2.5, 97.5])]}


def main() -> None:
    parser = argparse.ArgumentParser()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    parser.add_argument("--medeval", default=str(target / "release" / "medeval"))
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    path_a, path_b = write_files(args.items)

    medeval_times = []
    for _ in range(3):
        start = time.perf_counter()
        out = subprocess.run([args.medeval, "compare", str(path_a), str(path_b), "--json"],
                             check=True, capture_output=True)
        medeval_times.append(time.perf_counter() - start)
    ours = json.loads(out.stdout)[0]

    start = time.perf_counter()
    theirs = python_compare(path_a, path_b)
    python_time = time.perf_counter() - start

    print(f"items {args.items:,}; {REPLICATES:,} cluster-paired bootstrap replicates")
    print(f"medeval compare: best of 3 {min(medeval_times):.3f} s  "
          f"(n {ours['n_paired']}, b {ours['b']}, c {ours['c']}, p {ours['mcnemar_p']:.6g}, "
          f"ci [{ours['diff_ci'][0]:.5f}, {ours['diff_ci'][1]:.5f}])")
    print(f"python + numpy + statsmodels: {python_time:.3f} s  "
          f"(n {theirs['n_paired']}, b {theirs['b']}, c {theirs['c']}, p {theirs['mcnemar_p']:.6g}, "
          f"ci [{theirs['diff_ci'][0]:.5f}, {theirs['diff_ci'][1]:.5f}])")
    print(f"ratio: {python_time / min(medeval_times):.1f}x")


if __name__ == "__main__":
    main()

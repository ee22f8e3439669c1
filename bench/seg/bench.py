"""Segmentation-metric benchmark: medeval vs MONAI, DeepMind surface-distance and medpy.

Usage (from the repository root; run.sh does all of this):
    bench/seg/.venv/bin/python bench/seg/bench.py [--skip-medpy] [--cases large,medium]

Builds two cases of overlapping rough ellipsoids (512x512x200 and 256x256x128, spacing
0.8 x 0.8 x 2.5 mm, uint8 NIfTI), then times, each in its own process under /usr/bin/time -v:
  * medeval (release build), end to end including reading the .nii.gz files, for
    dice,iou,hd,hd95,assd,nsd@1.0 in both conventions, and for dice alone (reading both files
    plus one counting pass: what reading costs); median of 5 runs, with the process's CPU
    time (user + system) beside the wall time, since the machine may be shared;
  * each Python tool on the same metric set, metric time only (loading excluded), wall and CPU
    (all threads); median of 3 runs for MONAI and surface-distance, one run of medpy.
Prints a side-by-side table with wall and CPU ratios and peak memory, and the load average
before and after: on a shared machine the CPU ratio is the steadier figure.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "bench", "out", "seg")
sys.path.insert(0, HERE)
from shapes import ellipsoid_pair  # noqa: E402

CASES = {"large": (512, 512, 200), "medium": (256, 256, 128)}
SPACING = (0.8, 0.8, 2.5)
METRICS = "dice,iou,hd,hd95,assd,nsd@1.0"


def build_case(name, shape):
    ref_path = os.path.join(OUT, f"{name}_reference.nii.gz")
    pred_path = os.path.join(OUT, f"{name}_prediction.nii.gz")
    if not (os.path.exists(ref_path) and os.path.exists(pred_path)):
        ref, pred = ellipsoid_pair(shape, seed=7)
        for array, path in [(ref, ref_path), (pred, pred_path)]:
            img = nib.Nifti1Image(array, np.diag(list(SPACING) + [1.0]))
            nib.save(img, path)
    return ref_path, pred_path


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time -v; returns (stdout, wall seconds, CPU seconds, peak RSS MiB)."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {proc.stderr[-2000:]}")
    field = lambda name: float(re.search(name + r": ([\d.]+)", proc.stderr).group(1))
    cpu = field(r"User time \(seconds\)") + field(r"System time \(seconds\)")
    rss_kb = field(r"Maximum resident set size \(kbytes\)")
    return proc.stdout, wall, cpu, rss_kb / 1024.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="large,medium")
    parser.add_argument("--skip-medpy", action="store_true")
    parser.add_argument("--tools", default="monai,deepmind,medpy",
                        help="Python tools to compare with (comma-separated subset of monai,deepmind,medpy)")
    parser.add_argument("--python-repeats", type=int, default=3,
                        help="runs of MONAI and surface-distance per case (median reported); medpy runs once")
    parser.add_argument("--medeval", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "medeval"))
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    load_before = f"{os.getloadavg()[0]:.2f}"
    python = sys.executable
    rows = []
    for name in args.cases.split(","):
        shape = CASES[name]
        ref, pred = build_case(name, shape)
        decoded_mib = 2 * np.prod(shape) / 2**20
        results = {}
        for row, convention, metrics in [("medeval (voxel)", "voxel", METRICS),
                                         ("medeval (surfel)", "surfel", METRICS),
                                         ("medeval read+dice", "voxel", "dice")]:
            walls, cpus, rss, out = [], [], [], None
            for _ in range(5):
                out, wall, cpu, peak = timed([args.medeval, "seg", "--reference", ref, "--prediction", pred,
                                              "--metrics", metrics, "--convention", convention, "--json"])
                walls.append(wall)
                cpus.append(cpu)
                rss.append(peak)
            results[row] = {"seconds": statistics.median(walls), "cpu": statistics.median(cpus),
                            "rss": max(rss), "values": json.loads(out.splitlines()[0])}
        tools = [t for t in args.tools.split(",") if t and not (t == "medpy" and args.skip_medpy)]
        for tool in tools:
            records, peaks = [], []
            for _ in range(1 if tool == "medpy" else args.python_repeats):
                out, _, _, peak = timed([python, os.path.join(HERE, "bench_tool.py"), tool, ref, pred])
                records.append(json.loads(out.strip().splitlines()[-1]))
                peaks.append(peak)
            median = lambda key: statistics.median(r[key] for r in records)
            results[tool] = {"seconds": median("metric_seconds"), "cpu": median("metric_cpu_seconds"),
                             "load": median("load_seconds"), "rss": max(peaks), "values": records[0]["values"]}
        rows.append((name, shape, decoded_mib, results))

    print()
    print(f"metrics: {METRICS}; spacing {SPACING} mm; machine: {os.cpu_count()} cores; "
          f"load average before {load_before}, after {os.getloadavg()[0]:.2f}")
    for name, shape, decoded_mib, results in rows:
        base = results["medeval (voxel)"]["seconds"]
        print(f"\n{name} {shape[0]}x{shape[1]}x{shape[2]} (two decoded uint8 masks: {decoded_mib:.0f} MiB)")
        base_cpu = results["medeval (voxel)"]["cpu"]
        print(f"{'tool':<18} {'seconds':>9} {'vs medeval':>11} {'cpu s':>8} {'cpu ratio':>10} {'peak MiB':>9} {'peak/masks':>10}  values")
        for tool, r in results.items():
            vals = ", ".join(f"{k}={v:.4f}" for k, v in r["values"].items() if isinstance(v, float))
            note = "" if tool.startswith("medeval") else f" (+{r['load']:.2f}s load, excluded)"
            print(f"{tool:<18} {r['seconds']:>9.3f} {r['seconds'] / base:>10.1f}x {r['cpu']:>8.3f} {r['cpu'] / base_cpu:>9.1f}x "
                  f"{r['rss']:>9.0f} {r['rss'] / decoded_mib:>10.2f}  {vals}{note}")
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump([{"case": n, "shape": s, "decoded_mib": d, "results": r} for n, s, d, r in rows], f, indent=1)


if __name__ == "__main__":
    main()

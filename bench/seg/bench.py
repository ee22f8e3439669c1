"""Segmentation-metric benchmark: medeval vs MONAI, DeepMind surface-distance and medpy.

Usage (from the repository root; run.sh does all of this):
    bench/seg/.venv/bin/python bench/seg/bench.py [--skip-medpy] [--cases large,medium]

Builds two cases of overlapping rough ellipsoids (512x512x200 and 256x256x128, spacing
0.8 x 0.8 x 2.5 mm, uint8 NIfTI), then times, each in its own process under /usr/bin/time -v:
  * medeval (release build), end to end including reading the .nii.gz files, for
    dice,iou,hd,hd95,assd,nsd@1.0 in both conventions (median of 3 runs);
  * each Python tool on the same metric set, metric time only (loading excluded).
Prints a side-by-side table with ratios and peak memory.
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
    """Runs cmd under /usr/bin/time -v; returns (stdout, wall seconds, peak RSS MiB)."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {proc.stderr[-2000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return proc.stdout, wall, rss_kb / 1024.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="large,medium")
    parser.add_argument("--skip-medpy", action="store_true")
    parser.add_argument("--medeval", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "medeval"))
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    python = sys.executable
    rows = []
    for name in args.cases.split(","):
        shape = CASES[name]
        ref, pred = build_case(name, shape)
        decoded_mib = 2 * np.prod(shape) / 2**20
        results = {}
        for convention in ["voxel", "surfel"]:
            walls, rss, out = [], [], None
            for _ in range(3):
                out, wall, peak = timed([args.medeval, "seg", "--reference", ref, "--prediction", pred,
                                         "--metrics", METRICS, "--convention", convention, "--json"])
                walls.append(wall)
                rss.append(peak)
            results[f"medeval ({convention})"] = {"seconds": statistics.median(walls), "rss": max(rss),
                                                 "values": json.loads(out.splitlines()[0])}
        tools = ["monai", "deepmind"] + ([] if args.skip_medpy else ["medpy"])
        for tool in tools:
            out, wall, peak = timed([python, os.path.join(HERE, "bench_tool.py"), tool, ref, pred])
            record = json.loads(out.strip().splitlines()[-1])
            results[tool] = {"seconds": record["metric_seconds"], "load": record["load_seconds"], "rss": peak,
                             "values": record["values"]}
        rows.append((name, shape, decoded_mib, results))

    print()
    print(f"metrics: {METRICS}; spacing {SPACING} mm; machine: {os.cpu_count()} cores")
    for name, shape, decoded_mib, results in rows:
        base = results["medeval (voxel)"]["seconds"]
        print(f"\n{name} {shape[0]}x{shape[1]}x{shape[2]} (two decoded uint8 masks: {decoded_mib:.0f} MiB)")
        print(f"{'tool':<18} {'seconds':>9} {'vs medeval':>11} {'peak MiB':>9} {'peak/masks':>10}  values")
        for tool, r in results.items():
            ratio = r["seconds"] / base
            vals = ", ".join(f"{k}={v:.4f}" for k, v in r["values"].items() if isinstance(v, float))
            note = "" if tool.startswith("medeval") else f" (+{r['load']:.2f}s load, excluded)"
            print(f"{tool:<18} {r['seconds']:>9.3f} {ratio:>10.1f}x {r['rss']:>9.0f} {r['rss'] / decoded_mib:>10.2f}  {vals}{note}")
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump([{"case": n, "shape": s, "decoded_mib": d, "results": r} for n, s, d, r in rows], f, indent=1)


if __name__ == "__main__":
    main()

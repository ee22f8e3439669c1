"""Times scikit-image and `medeval recon` on one 320x320x40 volume pair, side by side.

Called by run.sh with the medeval binary and an output folder. Writes the pair as .npy
(float32, fastMRI's (slices, height, width) order), then for each convention:
  * scikit-image: np.load of both files + the metrics as make_fixtures.py computes them
    (arrays cast to float64), best of 3 runs, in this process;
  * medeval: the whole command (process start, reading, metrics, JSON), best of 5 runs;
prints seconds, the ratio and the largest difference between the two tools' values.
"""
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from make_fixtures import cmrxrecon, fastmri  # noqa: E402


def cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def best_of(n, fn, who):
    """Best wall-clock seconds and best CPU seconds (user + system) of n runs, and the value.

    CPU time is printed beside wall time because a shared machine stretches wall time: it
    counts what the work cost, whoever else was running.
    """
    best, best_cpu, value = float("inf"), float("inf"), None
    for _ in range(n):
        c, t = cpu(who), time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, cpu(who) - c)
    return best, best_cpu, value


def main():
    binary, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    slices, h, w = 40, 320, 320
    yy, xx = np.mgrid[0:h, 0:w]
    gt = np.zeros((slices, h, w), dtype=np.float32)
    for s in range(slices):
        r2 = (yy - h / 2) ** 2 + (xx - w / 2) ** 2
        gt[s] = 1e-4 * (np.exp(-r2 / (2 * (60 + s) ** 2)) + 0.3 * (r2 < (40 + s) ** 2))
    pred = (gt + 5e-6 * rng.standard_normal(gt.shape)).astype(np.float32)
    pred = np.abs(pred)
    gt_path, pred_path = os.path.join(out, "gt.npy"), os.path.join(out, "pred.npy")
    np.save(gt_path, gt)
    np.save(pred_path, pred)

    import skimage

    print(f"volume {slices}x{h}x{w} float32 (.npy), scikit-image {skimage.__version__}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print("seconds are the best of 3 (scikit-image: np.load + metrics) and of 5 (medeval: the "
          "whole command); wall clock, then CPU (user + system)")
    print(f"{'convention':<10} {'scikit-image':>14} {'medeval':>14} {'ratio':>12}  max |difference|")
    worst = 0.0
    for convention, compute in (("fastmri", fastmri), ("cmrxrecon", cmrxrecon)):
        def python():
            g = np.load(gt_path).astype(np.float64)
            p = np.load(pred_path).astype(np.float64)
            return compute(g, p)

        def rust():
            done = subprocess.run(
                [binary, "recon", "--reference", gt_path, "--prediction", pred_path,
                 "--convention", convention, "--json"],
                check=True, capture_output=True, text=True,
            )
            return json.loads(done.stdout)

        py_s, py_cpu, py = best_of(3, python, resource.RUSAGE_SELF)
        rs_s, rs_cpu, rs = best_of(5, rust, resource.RUSAGE_CHILDREN)
        diff = max(abs(py[k] - rs[k]) for k in ("psnr", "ssim", "nmse", "mse"))
        worst = max(worst, diff)
        print(f"{convention:<10} wall {py_s:>8.3f} {rs_s:>14.3f} {py_s / rs_s:>11.1f}x  {diff:.2e}")
        print(f"{'':<10} cpu  {py_cpu:>8.3f} {rs_cpu:>14.3f} {py_cpu / rs_cpu:>11.1f}x")
        print(f"{'':<10} scikit-image psnr {py['psnr']:.6f} ssim {py['ssim']:.8f} nmse {py['nmse']:.6e}")
        print(f"{'':<10} medeval      psnr {rs['psnr']:.6f} ssim {rs['ssim']:.8f} nmse {rs['nmse']:.6e}")
    if worst > 1e-6:
        print(f"DISAGREEMENT: {worst:.2e} > 1e-6")
        sys.exit(1)
    print("agreement within 1e-6")


if __name__ == "__main__":
    main()

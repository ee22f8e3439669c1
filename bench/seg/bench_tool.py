"""Times one Python tool on one mask pair: python bench_tool.py TOOL REFERENCE PREDICTION.

Loading (nibabel) is timed separately from the metrics (wall and CPU time of all threads);
the metric set is the one medeval is timed on: Dice, IoU, HD, HD95, ASSD, NSD@1mm (each tool's own definitions, called the way
its documentation shows). Prints one JSON object.
"""
import json
import sys
import time

import nibabel as nib
import numpy as np


def load(path):
    img = nib.load(path)
    return np.asarray(img.dataobj).astype(bool), [float(z) for z in img.header.get_zooms()]


def monai(ref, pred, spacing):
    import torch
    from monai.metrics import (DiceMetric, MeanIoU, compute_average_surface_distance,
                               compute_hausdorff_distance, compute_surface_dice)
    torch.set_num_threads(2)
    y = torch.stack([torch.from_numpy(~ref), torch.from_numpy(ref)])[None].float()
    yp = torch.stack([torch.from_numpy(~pred), torch.from_numpy(pred)])[None].float()
    return {
        "dice": float(DiceMetric(include_background=False)(yp, y)[0, 0]),
        "iou": float(MeanIoU(include_background=False)(yp, y)[0, 0]),
        "hd": float(compute_hausdorff_distance(yp, y, spacing=spacing)[0, 0]),
        "hd95": float(compute_hausdorff_distance(yp, y, percentile=95, spacing=spacing)[0, 0]),
        "assd": float(compute_average_surface_distance(yp, y, symmetric=True, spacing=spacing)[0, 0]),
        "nsd@1.0": float(compute_surface_dice(yp, y, class_thresholds=[1.0], spacing=spacing)[0, 0]),
    }


def deepmind(ref, pred, spacing):
    import surface_distance as sd
    s = sd.compute_surface_distances(ref, pred, spacing)
    dice = sd.compute_dice_coefficient(ref, pred)
    inter = np.logical_and(ref, pred).sum()
    a, b = sd.compute_average_surface_distance(s)
    return {
        "dice": float(dice),
        "iou": float(inter / np.logical_or(ref, pred).sum()),
        "hd": float(sd.compute_robust_hausdorff(s, 100)),
        "hd95": float(sd.compute_robust_hausdorff(s, 95)),
        "masd": float(0.5 * (a + b)),
        "nsd@1.0": float(sd.compute_surface_dice_at_tolerance(s, 1.0)),
    }


def medpy(ref, pred, spacing):
    from medpy.metric import binary as mb
    return {
        "dice": float(mb.dc(pred, ref)),
        "iou": float(mb.jc(pred, ref)),
        "hd": float(mb.hd(pred, ref, voxelspacing=spacing)),
        "hd95_pooled": float(mb.hd95(pred, ref, voxelspacing=spacing)),
        "assd": float(mb.assd(pred, ref, voxelspacing=spacing)),
    }


if __name__ == "__main__":
    tool, ref_path, pred_path = sys.argv[1:4]
    t0 = time.perf_counter()
    ref, spacing = load(ref_path)
    pred, _ = load(pred_path)
    t1, c1 = time.perf_counter(), time.process_time()
    values = {"monai": monai, "deepmind": deepmind, "medpy": medpy}[tool](ref, pred, spacing)
    t2, c2 = time.perf_counter(), time.process_time()
    print(json.dumps({"tool": tool, "load_seconds": t1 - t0, "metric_seconds": t2 - t1,
                      "metric_cpu_seconds": c2 - c1, "values": values}))

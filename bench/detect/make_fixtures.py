"""Reference fixtures for medeval-detect's tests.

COCO cases: each case is a ground-truth file and a results file; pycocotools (the real package,
installed by fixtures.sh) evaluates them and its 12 summary numbers and per-category AP are
written next to them as `expected.json`. Numbers are written with full double precision.

CSV cases: the same boxes written as medeval's CSV form. Under the pycocotools convention the CSV
is converted to COCO here and evaluated by pycocotools; under the VinDr convention the reference
is written below from the published PASCAL VOC 2010 definition (all-point interpolated AP,
IoU strictly above the threshold), independently of medeval's code.

FROC case: a small LUNA16-style nodule set. The reference is written below from the published
definition of the LUNA16 evaluation script (noduleCADEvaluationLUNA16.py): hits, excluded
nodules, duplicates, the 100-mark cap, sklearn's roc_curve and numpy's interp, which the script
itself uses.

Usage: python make_fixtures.py OUT_DIR
"""

import csv
import io
import json
import os
import random
import sys
from contextlib import redirect_stdout

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
import sklearn.metrics as skl_metrics


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def coco_from(dataset):
    coco = COCO()
    coco.dataset = json.loads(json.dumps(dataset))
    with redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def evaluate_coco(gt_dataset, results):
    """pycocotools' stats and per-category AP (area all, 100 detections)."""
    gt = coco_from(gt_dataset)
    with redirect_stdout(io.StringIO()):
        if results:
            dt = gt.loadRes(json.loads(json.dumps(results)))
        else:
            # loadRes fails on an empty list (it reads anns[0]); an empty result set is an
            # index with the gt's images and categories and no annotations.
            dt = coco_from({"images": gt_dataset["images"],
                            "categories": gt_dataset["categories"], "annotations": []})
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    precision = ev.eval["precision"]
    per_category = {}
    for k, cat_id in enumerate(ev.params.catIds):
        p = precision[:, :, k, 0, -1]
        p = p[p > -1]
        per_category[str(cat_id)] = float(np.mean(p)) if p.size else -1.0
    return {"stats": [float(s) for s in ev.stats], "per_category": per_category}


def box(x, y, w, h):
    return [float(x), float(y), float(w), float(h)]


def gt_ann(ann_id, image_id, cat, bbox, area=None, iscrowd=0):
    return {"id": ann_id, "image_id": image_id, "category_id": cat, "bbox": bbox,
            "area": float(bbox[2] * bbox[3]) if area is None else float(area), "iscrowd": iscrowd}


def dt(image_id, cat, bbox, score):
    return {"image_id": image_id, "category_id": cat, "bbox": bbox, "score": score}


def images(n, width=640, height=480):
    return [{"id": i, "width": width, "height": height, "file_name": f"{i}.png"}
            for i in range(1, n + 1)]


def categories(ids):
    return [{"id": c, "name": f"class{c}"} for c in ids]


def case_edge():
    """Every edge case in one set, so their interplay is covered too."""
    anns = [
        # image 1: a gt with id 0 (counted unmatched by pycocotools) and one with id 1; tied scores
        gt_ann(0, 1, 1, box(10, 10, 50, 50)),
        gt_ann(1, 1, 1, box(100, 100, 40, 40)),
        # image 2: a crowd region and a normal box (crowd matches many detections)
        gt_ann(2, 2, 1, box(0, 0, 200, 200), iscrowd=1),
        gt_ann(3, 2, 1, box(300, 300, 60, 60)),
        # image 4: boxes outside the image (negative and beyond the width)
        gt_ann(4, 4, 2, box(-20, -10, 60, 40)),
        gt_ann(5, 4, 2, box(620, 400, 100, 200)),
        # image 5: small, medium and large areas, one exactly on the 32² boundary
        gt_ann(6, 5, 2, box(5, 5, 20, 20)),
        gt_ann(7, 5, 2, box(50, 50, 32, 32)),
        gt_ann(8, 5, 2, box(150, 150, 60, 60)),
        gt_ann(9, 5, 2, box(300, 100, 200, 200)),
        # image 6: the area field differs from the box area (a mask area, as on COCO)
        gt_ann(10, 6, 1, box(10, 10, 100, 100), area=500.0),
        gt_ann(11, 6, 1, box(200, 200, 20, 20), area=5000.0),
    ]
    results = [
        dt(1, 1, box(12, 12, 50, 50), 0.9),
        dt(1, 1, box(100, 100, 40, 40), 0.9),
        dt(1, 1, box(11, 9, 49, 52), 0.8),
        dt(2, 1, box(10, 10, 50, 50), 0.95),
        dt(2, 1, box(60, 60, 50, 50), 0.7),
        dt(2, 1, box(120, 20, 30, 30), 0.6),
        dt(2, 1, box(302, 298, 60, 60), 0.5),
        dt(3, 1, box(10, 10, 30, 30), 0.99),
        dt(3, 2, box(10, 10, 30, 30), 0.4),
        dt(4, 2, box(-18, -10, 60, 38), 0.85),
        dt(4, 2, box(615, 405, 100, 190), 0.45),
        dt(5, 2, box(6, 5, 19, 20), 0.6),
        dt(5, 2, box(50, 51, 32, 31), 0.6),
        dt(5, 2, box(152, 150, 58, 60), 0.3),
        dt(5, 2, box(310, 100, 200, 190), 0.2),
        dt(5, 2, box(2, 2, 8, 8), 0.75),
        dt(6, 1, box(15, 12, 95, 100), 0.66),
        dt(6, 1, box(201, 199, 20, 20), 0.66),
        dt(6, 3, box(0, 0, 10, 10), 0.5),
    ]
    # image 7: 130 detections (the cut at 100 per image and category), one gt
    anns.append(gt_ann(12, 7, 1, box(400, 300, 80, 80)))
    rng = random.Random(7)
    for i in range(130):
        score = round(rng.random(), 2)
        results.append(dt(7, 1, box(400 + rng.uniform(-30, 30), 300 + rng.uniform(-30, 30),
                                    80, 80), score))
    dataset = {"images": images(8), "categories": categories([1, 2, 3]), "annotations": anns}
    return dataset, results


def case_no_detections():
    dataset = {"images": images(3), "categories": categories([1, 2]),
               "annotations": [gt_ann(1, 1, 1, box(10, 10, 20, 20)),
                               gt_ann(2, 2, 2, box(10, 10, 50, 50))]}
    return dataset, []


def case_ties():
    """Scores tied across images and within an image: the order of the stable sorts decides."""
    anns, results = [], []
    ann_id = 1
    for image in range(1, 6):
        for j in range(3):
            anns.append(gt_ann(ann_id, image, 1, box(50 * j, 50 * j, 40, 40)))
            ann_id += 1
            results.append(dt(image, 1, box(50 * j + (image % 3), 50 * j, 40, 40), 0.5))
            results.append(dt(image, 1, box(50 * j + 20, 50 * j + 20, 40, 40), 0.5))
    dataset = {"images": images(5), "categories": categories([1]), "annotations": anns}
    return dataset, results


def case_random(seed, n_images, n_categories, crowd_rate):
    rng = random.Random(seed)
    anns, results = [], []
    ann_id = 1
    for image in range(1, n_images + 1):
        for _ in range(rng.randint(0, 8)):
            cat = rng.randint(1, n_categories)
            w, h = rng.choice([rng.uniform(4, 30), rng.uniform(30, 100), rng.uniform(100, 300)]), \
                rng.uniform(4, 200)
            x, y = rng.uniform(-10, 600), rng.uniform(-10, 400)
            bbox = box(round(x, 1), round(y, 1), round(w, 1), round(h, 1))
            crowd = 1 if rng.random() < crowd_rate else 0
            area = bbox[2] * bbox[3] * (rng.uniform(0.5, 1.0) if rng.random() < 0.3 else 1.0)
            anns.append(gt_ann(ann_id, image, cat, bbox, area=area, iscrowd=crowd))
            ann_id += 1
            for _ in range(rng.randint(0, 3)):
                jitter = [rng.gauss(0, 0.15 * bbox[2]), rng.gauss(0, 0.15 * bbox[3]),
                          rng.gauss(0, 0.1 * bbox[2]), rng.gauss(0, 0.1 * bbox[3])]
                pred = box(round(bbox[0] + jitter[0], 2), round(bbox[1] + jitter[1], 2),
                           round(max(1.0, bbox[2] + jitter[2]), 2),
                           round(max(1.0, bbox[3] + jitter[3]), 2))
                results.append(dt(image, cat, pred, round(rng.random(), 2)))
        for _ in range(rng.randint(0, 4)):
            results.append(dt(image, rng.randint(1, n_categories),
                              box(round(rng.uniform(0, 600), 1), round(rng.uniform(0, 400), 1),
                                  round(rng.uniform(5, 150), 1), round(rng.uniform(5, 150), 1)),
                              round(rng.random(), 2)))
    dataset = {"images": images(n_images), "categories": categories(range(1, n_categories + 2)),
               "annotations": anns}
    return dataset, results


def write_coco_case(out, name, dataset, results):
    folder = os.path.join(out, "coco", name)
    write_json(os.path.join(folder, "gt.json"), dataset)
    write_json(os.path.join(folder, "dt.json"), results)
    write_json(os.path.join(folder, "expected.json"), evaluate_coco(dataset, results))


# ---------- CSV form ----------

def voc_ap_reference(gt_rows, dt_rows, threshold):
    """Mean over classes with ground truth of the PASCAL VOC 2010 AP (all-point interpolation),
    a detection matching the unmatched ground truth of highest IoU when that IoU is strictly
    above `threshold`; a detection whose best ground truth is already matched is a false
    positive. Boxes are continuous (x2 - x1, no +1)."""
    classes = sorted({r["class"] for r in gt_rows if r["class"] != ""})
    aps = {}
    for cls in classes:
        gts = {}
        for r in gt_rows:
            if r["class"] == cls:
                gts.setdefault(r["image"], []).append(r)
        npos = sum(len(v) for v in gts.values())
        dets = [r for r in dt_rows if r["class"] == cls]
        order = sorted(range(len(dets)), key=lambda i: -dets[i]["score"])  # stable
        used = {k: [False] * len(v) for k, v in gts.items()}
        tp, fp = [], []
        for i in order:
            d = dets[i]
            best, best_j = -np.inf, -1
            for j, g in enumerate(gts.get(d["image"], [])):
                iw = min(d["x2"], g["x2"]) - max(d["x1"], g["x1"])
                ih = min(d["y2"], g["y2"]) - max(d["y1"], g["y1"])
                if iw <= 0 or ih <= 0:
                    iou = 0.0
                else:
                    inter = iw * ih
                    union = (d["x2"] - d["x1"]) * (d["y2"] - d["y1"]) + \
                        (g["x2"] - g["x1"]) * (g["y2"] - g["y1"]) - inter
                    iou = inter / union
                if iou > best:
                    best, best_j = iou, j
            if best > threshold and not used[d["image"]][best_j]:
                used[d["image"]][best_j] = True
                tp.append(1.0)
                fp.append(0.0)
            else:
                tp.append(0.0)
                fp.append(1.0)
        tp, fp = np.cumsum(tp), np.cumsum(fp)
        rec = tp / npos
        prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        mrec = np.concatenate(([0.0], rec, [1.0]))
        mpre = np.concatenate(([0.0], prec, [0.0]))
        for i in range(mpre.size - 1, 0, -1):
            mpre[i - 1] = max(mpre[i - 1], mpre[i])
        idx = np.where(mrec[1:] != mrec[:-1])[0]
        aps[cls] = float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))
    return {"map": float(np.mean(list(aps.values()))), "per_class": aps}


def csv_case(seed):
    rng = random.Random(seed)
    names = ["Aortic enlargement", "Cardiomegaly", "Nodule/Mass", "Pleural effusion"]
    gt_rows, dt_rows = [], []
    for i in range(40):
        image = f"img{i:03d}"
        n = rng.randint(0, 4)
        if n == 0:
            gt_rows.append({"image": image, "class": "", "x1": "", "y1": "", "x2": "", "y2": ""})
        for _ in range(n):
            cls = rng.choice(names[:3])
            x1, y1 = round(rng.uniform(0, 900), 1), round(rng.uniform(0, 900), 1)
            w, h = round(rng.uniform(10, 300), 1), round(rng.uniform(10, 300), 1)
            gt_rows.append({"image": image, "class": cls, "x1": x1, "y1": y1, "x2": x1 + w,
                            "y2": y1 + h})
            for _ in range(rng.randint(0, 3)):
                dx, dy = rng.gauss(0, 0.2 * w), rng.gauss(0, 0.2 * h)
                dt_rows.append({"image": image, "class": cls, "x1": round(x1 + dx, 1),
                                "y1": round(y1 + dy, 1), "x2": round(x1 + dx + w, 1),
                                "y2": round(y1 + dy + h, 1), "score": round(rng.random(), 2)})
        for _ in range(rng.randint(0, 2)):
            x1, y1 = round(rng.uniform(0, 900), 1), round(rng.uniform(0, 900), 1)
            dt_rows.append({"image": image, "class": rng.choice(names), "x1": x1, "y1": y1,
                            "x2": round(x1 + rng.uniform(10, 200), 1),
                            "y2": round(y1 + rng.uniform(10, 200), 1),
                            "score": round(rng.random(), 2)})
    # x2/y2 as the CSV holds them (rounded), so both sides read the same numbers
    for r in gt_rows + dt_rows:
        for k in ("x2", "y2"):
            if r[k] != "":
                r[k] = round(r[k], 1)
    return gt_rows, dt_rows


def write_csv(path, rows, fields):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: r[k] for k in fields})


def coco_of_csv(gt_rows, dt_rows):
    image_names = []
    for r in gt_rows:
        if r["image"] not in image_names:
            image_names.append(r["image"])
    image_ids = {name: i + 1 for i, name in enumerate(image_names)}
    classes = sorted({r["class"] for r in gt_rows if r["class"] != ""})
    class_ids = {name: i + 1 for i, name in enumerate(classes)}
    anns = []
    for r in gt_rows:
        if r["class"] == "":
            continue
        w, h = r["x2"] - r["x1"], r["y2"] - r["y1"]
        anns.append(gt_ann(len(anns) + 1, image_ids[r["image"]], class_ids[r["class"]],
                           [r["x1"], r["y1"], w, h]))
    dataset = {"images": [{"id": i} for i in image_ids.values()],
               "categories": [{"id": i, "name": n} for n, i in class_ids.items()],
               "annotations": anns}
    results = [dt(image_ids[r["image"]], class_ids[r["class"]],
                  [r["x1"], r["y1"], r["x2"] - r["x1"], r["y2"] - r["y1"]], r["score"])
               for r in dt_rows if r["class"] in class_ids]
    return dataset, results, class_ids


def write_csv_case(out):
    gt_rows, dt_rows = csv_case(11)
    folder = os.path.join(out, "csv")
    os.makedirs(folder, exist_ok=True)
    write_csv(os.path.join(folder, "gt.csv"), gt_rows, ["image", "class", "x1", "y1", "x2", "y2"])
    write_csv(os.path.join(folder, "dt.csv"), dt_rows,
              ["image", "class", "x1", "y1", "x2", "y2", "score"])
    dataset, results, class_ids = coco_of_csv(gt_rows, dt_rows)
    coco = evaluate_coco(dataset, results)
    coco["per_category"] = {name: coco["per_category"][str(i)] for name, i in class_ids.items()}
    write_json(os.path.join(folder, "expected_pycocotools.json"), coco)
    write_json(os.path.join(folder, "expected_vindr.json"),
               voc_ap_reference(gt_rows, dt_rows, 0.4))


# ---------- FROC (LUNA16) ----------

FP_RATES = [0.125, 0.25, 0.5, 1, 2, 4, 8]


def luna_froc_reference(nodules, excluded, candidates, scans, max_marks=100):
    """The LUNA16 script's computation, from its published definition."""
    gt_list, prob_list, exclude_list = [], [], []
    for scan in scans:
        cands = [c for c in candidates if c["seriesuid"] == scan]
        if len(cands) > max_marks:
            probs = sorted((c["probability"] for c in cands), reverse=True)
            threshold = probs[max_marks]
            cands = [c for c in cands if c["probability"] > threshold][:max_marks]
        remaining = set(range(len(cands)))
        annots = [(n, True) for n in nodules if n["seriesuid"] == scan] + \
            [(n, False) for n in excluded if n["seriesuid"] == scan]
        for nodule, included in annots:
            d = nodule["diameter_mm"]
            if d < 0:
                d = 10.0
            r2 = (d / 2.0) ** 2
            hits = []
            for i, c in enumerate(cands):
                dist = (nodule["coordX"] - c["coordX"]) ** 2 + \
                    (nodule["coordY"] - c["coordY"]) ** 2 + (nodule["coordZ"] - c["coordZ"]) ** 2
                if dist < r2:
                    hits.append(i)
                    remaining.discard(i)
            if included:
                if hits:
                    gt_list.append(1.0)
                    prob_list.append(max(cands[i]["probability"] for i in hits))
                    exclude_list.append(False)
                else:
                    gt_list.append(1.0)
                    prob_list.append(-1000000000.0)
                    exclude_list.append(True)
        for i in sorted(remaining):
            gt_list.append(0.0)
            prob_list.append(cands[i]["probability"])
            exclude_list.append(False)
    local_gt = [g for g, e in zip(gt_list, exclude_list) if not e]
    local_prob = [p for p, e in zip(prob_list, exclude_list) if not e]
    detected = sum(local_gt)
    total = sum(gt_list)
    fpr, tpr, _ = skl_metrics.roc_curve(local_gt, local_prob)
    fps = fpr * (len(local_prob) - detected) / len(scans)
    sens = (tpr * detected) / total
    at = np.interp(FP_RATES, fps, sens)
    return {"cpm": float(np.mean(at)),
            "sensitivities": {str(k): float(v) for k, v in zip(FP_RATES, at)},
            "nodules": int(total), "detected": int(detected), "scans": len(scans)}


def write_froc_case(out):
    rng = random.Random(3)
    scans = [f"1.3.6.1.4.1.14519.5.2.1.{i}" for i in range(8)]
    nodules, excluded, candidates = [], [], []
    for s, scan in enumerate(scans[:6]):
        for _ in range(rng.randint(1, 3)):
            n = {"seriesuid": scan, "coordX": round(rng.uniform(-150, 150), 3),
                 "coordY": round(rng.uniform(-150, 150), 3),
                 "coordZ": round(rng.uniform(-300, 0), 3),
                 "diameter_mm": round(rng.uniform(3, 30), 3)}
            nodules.append(n)
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                candidates.append({"seriesuid": scan,
                                   "coordX": round(n["coordX"] + rng.gauss(0, n["diameter_mm"] / 3), 3),
                                   "coordY": round(n["coordY"] + rng.gauss(0, n["diameter_mm"] / 3), 3),
                                   "coordZ": round(n["coordZ"] + rng.gauss(0, n["diameter_mm"] / 3), 3),
                                   "probability": round(0.3 + 0.7 * rng.random(), 3)})
        ex = {"seriesuid": scan, "coordX": round(rng.uniform(-150, 150), 3),
              "coordY": round(rng.uniform(-150, 150), 3), "coordZ": round(rng.uniform(-300, 0), 3),
              "diameter_mm": -1.0 if s % 2 == 0 else round(rng.uniform(3, 10), 3)}
        excluded.append(ex)
        candidates.append({"seriesuid": scan, "coordX": ex["coordX"] + 1.0,
                           "coordY": ex["coordY"], "coordZ": ex["coordZ"],
                           "probability": round(rng.random(), 3)})
    # one scan with 130 marks, ties at the 101st probability
    for _ in range(130):
        candidates.append({"seriesuid": scans[0], "coordX": round(rng.uniform(-150, 150), 3),
                           "coordY": round(rng.uniform(-150, 150), 3),
                           "coordZ": round(rng.uniform(-300, 0), 3),
                           "probability": round(0.5 * rng.random(), 2)})
    for scan in scans[:7]:
        for _ in range(rng.randint(0, 12)):
            candidates.append({"seriesuid": scan, "coordX": round(rng.uniform(-150, 150), 3),
                               "coordY": round(rng.uniform(-150, 150), 3),
                               "coordZ": round(rng.uniform(-300, 0), 3),
                               "probability": round(0.8 * rng.random(), 3)})
    folder = os.path.join(out, "froc")
    os.makedirs(folder, exist_ok=True)
    cols = ["seriesuid", "coordX", "coordY", "coordZ"]
    write_csv(os.path.join(folder, "annotations.csv"), nodules, cols + ["diameter_mm"])
    write_csv(os.path.join(folder, "annotations_excluded.csv"), excluded, cols + ["diameter_mm"])
    write_csv(os.path.join(folder, "candidates.csv"), candidates, cols + ["probability"])
    with open(os.path.join(folder, "seriesuids.csv"), "w") as f:
        for scan in scans:
            f.write(scan + "\n")
    write_json(os.path.join(folder, "expected_scan_list.json"),
               luna_froc_reference(nodules, excluded, candidates, scans))
    union = sorted({n["seriesuid"] for n in nodules} | {c["seriesuid"] for c in candidates})
    write_json(os.path.join(folder, "expected_union.json"),
               luna_froc_reference(nodules, excluded, candidates, union))


def main():
    out = sys.argv[1]
    p = COCOeval(iouType="bbox").params
    write_json(os.path.join(out, "coco", "params.json"),
               {"iou_thresholds": [float(t) for t in p.iouThrs],
                "recall_thresholds": [float(r) for r in p.recThrs]})
    write_coco_case(out, "edge", *case_edge())
    write_coco_case(out, "no_detections", *case_no_detections())
    write_coco_case(out, "ties", *case_ties())
    write_coco_case(out, "random", *case_random(1, 60, 6, 0.05))
    write_coco_case(out, "random_large", *case_random(2, 300, 12, 0.03))
    write_csv_case(out)
    write_froc_case(out)


if __name__ == "__main__":
    main()

"""Writes a classification fixture (labels.csv, scores.csv) and scikit-learn's values for it.

Run by hand: bench/seg/.venv/bin/python bench/seg/make_classify_fixtures.py
ECE is computed here from its published definition (Guo et al. 2017, positive-class
probability, 15 equal-width bins (b/M, (b+1)/M]); scikit-learn has no ECE.
"""
import json
import os

import numpy as np
from sklearn import metrics

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "medeval-dense", "tests", "data")

rng = np.random.default_rng(5)
n = 240
y = (rng.uniform(size=n) < 0.35).astype(int)
scores = np.clip(0.35 * y + rng.normal(0.35, 0.2, size=n), 0, 1).round(3)  # rounding creates ties
ids = [f"case{i:03d}" for i in range(n)]
order = rng.permutation(n)  # scores file in another order than labels file
with open(os.path.join(OUT, "classify_labels.csv"), "w") as f:
    f.write("id,label\n")
    for i in range(n):
        f.write(f"{ids[i]},{y[i]}\n")
with open(os.path.join(OUT, "classify_scores.csv"), "w") as f:
    f.write("id,score\n")
    for i in order:
        f.write(f"{ids[i]},{scores[i]}\n")

pred = (scores >= 0.5).astype(int)
bins = 15
edges = np.linspace(0, 1, bins + 1)
ece = 0.0
for b in range(bins):
    in_bin = (scores > edges[b]) & (scores <= edges[b + 1]) if b > 0 else (scores >= 0) & (scores <= edges[1])
    if in_bin.any():
        ece += in_bin.mean() * abs(y[in_bin].mean() - scores[in_bin].mean())
values = {
    "auroc": metrics.roc_auc_score(y, scores),
    "auprc": metrics.average_precision_score(y, scores),
    "f1": metrics.f1_score(y, pred),
    "balanced_accuracy": metrics.balanced_accuracy_score(y, pred),
    "sensitivity": metrics.recall_score(y, pred),
    "specificity": metrics.recall_score(y, pred, pos_label=0),
    "accuracy": metrics.accuracy_score(y, pred),
    "ece": ece,
}
with open(os.path.join(OUT, "classify_reference.json"), "w") as f:
    json.dump({"threshold": 0.5, "ece_bins": bins, "values": {k: float(v) for k, v in values.items()}}, f, indent=1)
print(values)

"""Records agreement statistics from independent implementations as test data.

Cohen's kappa from scikit-learn, Krippendorff's alpha from the `krippendorff` package, on
seeded random ratings (with missing values for alpha). Run by bench/judge/agreement_reference.sh;
the output is committed as crates/medeval-stats/tests/data/agreement_reference.json.
"""
import json
import random
import sys

import krippendorff
import numpy as np
import sklearn
from sklearn.metrics import cohen_kappa_score

rng = random.Random(20261208)
cases = {"kappa": [], "alpha": []}
for size, categories in [(25, 2), (60, 2), (80, 3), (200, 5)]:
    a = [rng.randrange(categories) for _ in range(size)]
    # The second rater agrees with the first 70% of the time.
    b = [x if rng.random() < 0.7 else rng.randrange(categories) for x in a]
    cases["kappa"].append({"a": a, "b": b, "kappa": float(cohen_kappa_score(a, b))})
for raters, units, categories in [(2, 30, 2), (3, 40, 3), (4, 50, 5)]:
    truth = [rng.randrange(categories) for _ in range(units)]
    matrix = []
    for _ in range(raters):
        row = []
        for t in truth:
            r = rng.random()
            if r < 0.1:
                row.append(None)
            elif r < 0.8:
                row.append(t)
            else:
                row.append(rng.randrange(categories))
        matrix.append(row)
    data = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    cases["alpha"].append({
        "ratings": matrix,
        "nominal": float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")),
        "ordinal": float(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal")),
    })
cases["tools"] = {"scikit-learn": sklearn.__version__, "krippendorff": getattr(krippendorff, "__version__", "unknown")}
json.dump(cases, sys.stdout)

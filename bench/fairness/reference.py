"""Records Pearson chi-square tests of equal accuracy across groups as test data.

For seeded random groups x (correct, not correct) tables, SciPy's
`scipy.stats.chi2_contingency(table, correction=False)` gives the statistic, the degrees of
freedom, the p-value and the expected counts. Run by bench/fairness/reference.sh; the output is
committed as crates/medeval-stats/tests/data/fairness_reference.json.
"""
import json
import random
import sys

import numpy as np
import scipy
from scipy.stats import chi2_contingency

rng = random.Random(20260311)
cases = []
# (groups, smallest group, largest group, whether the groups share one accuracy): from a 2x2 to
# many groups, small and large counts. Groups with their own accuracy (0.3 to 0.97) give tiny
# p-values; groups sharing one give p-values spread over (0, 1).
shapes = [
    (2, 20, 60, False), (2, 500, 2000, False), (3, 30, 90, False), (4, 40, 400, False),
    (6, 100, 5000, False), (10, 30, 300, False), (3, 5000, 40000, False),
    (2, 30, 80, True), (2, 1000, 3000, True), (3, 40, 120, True), (5, 50, 500, True),
    (8, 30, 200, True), (12, 100, 1000, True), (4, 2000, 20000, True),
]
for groups, low, high, shared in shapes:
    table = []
    common = rng.uniform(0.3, 0.97)
    for _ in range(groups):
        size = rng.randint(low, high)
        accuracy = common if shared else rng.uniform(0.3, 0.97)
        correct = sum(1 for _ in range(size) if rng.random() < accuracy)
        table.append([correct, size - correct])
    if any(row[0] + row[1] == 0 for row in table):
        continue
    result = chi2_contingency(np.array(table), correction=False)
    cases.append(
        {
            "table": table,
            "statistic": float(result[0]),
            "p_value": float(result[1]),
            "df": int(result[2]),
            "min_expected": float(np.min(result[3])),
        }
    )

json.dump(
    {
        "source": "scipy.stats.chi2_contingency(table, correction=False)",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "cases": cases,
    },
    sys.stdout,
    indent=1,
)
sys.stdout.write("\n")

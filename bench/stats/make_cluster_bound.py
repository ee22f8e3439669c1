#!/usr/bin/env python3
"""Reference values for the cluster bound: the interval medeval uses instead of a cluster-robust
one when a run has too few clusters (docs/statistics.md, "Too few clusters").

Run by hand:  python3 bench/stats/make_cluster_bound.py

For each case it records what statsmodels' cluster-robust OLS gives (to show the degenerate
intervals the bound replaces) and the bound itself: the worst-case effective sample size
n_w = n^2 / sum(m_g^2) from numpy, and statsmodels' Wilson interval (`proportion_confint`,
method "wilson") for the accuracy at nobs = n_w. Uses bench/stats/.venv (created by
make_reference.py, or here on first use) and writes
crates/medeval-stats/tests/data/cluster_bound.json. Nothing in it comes from the crate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"
DATA = ROOT / "crates" / "medeval-stats" / "tests" / "data"
PACKAGES = ["numpy", "scipy", "statsmodels", "mpmath"]


def ensure_venv() -> None:
    """Re-executes this script inside bench/stats/.venv, creating it if needed."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not python.exists():
        print(f"creating {VENV}", file=sys.stderr)
        venv.create(VENV, with_pip=True)
        subprocess.check_call([str(python), "-m", "pip", "install", "--quiet", *PACKAGES])
    os.execv(str(python), [str(python), *sys.argv])


ensure_venv()

import numpy as np  # noqa: E402
import statsmodels  # noqa: E402
import statsmodels.api as sm  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402


def sandwich(values: np.ndarray, groups: np.ndarray) -> dict:
    """statsmodels' cluster-robust mean, t(C-1) interval (not clipped)."""
    fit = sm.OLS(values, np.ones_like(values)).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    return {
        "standard_error": float(fit.bse[0]),
        "ci95": [float(v) for v in fit.conf_int(alpha=0.05)[0]],
    }


def bound(values: np.ndarray, groups: np.ndarray) -> dict:
    """Wilson at the worst-case effective sample size n^2 / sum(m_g^2)."""
    _, sizes = np.unique(groups, return_counts=True)
    n = len(values)
    n_w = n * n / float(np.sum(sizes.astype(np.float64) ** 2))
    p = float(np.mean(values))
    result = {"worst_case_n": n_w}
    for alpha, key in [(0.05, "ci95"), (0.10, "ci90")]:
        low, high = proportion_confint(p * n_w, n_w, alpha=alpha, method="wilson")
        result[key] = [float(low), float(high)]
    result["standard_error"] = float(np.sqrt(p * (1 - p) / n_w))
    return result


def case(name: str, values: list[int], groups: list[int]) -> dict:
    v = np.asarray(values, dtype=np.float64)
    g = np.asarray(groups)
    return {
        "name": name,
        "values": values,
        "clusters": groups,
        "n_clusters": int(len(np.unique(g))),
        "sandwich": sandwich(v, g),
        "bound": bound(v, g),
    }


def main() -> None:
    rng = np.random.default_rng(20250107)
    cases = []
    # Two images with 20 questions each, half answered right on each: the sandwich variance is
    # exactly 0 and its interval [0.5, 0.5].
    cases.append(case("two clusters of 20, half right in each", [1, 0] * 20, [i // 20 for i in range(40)]))
    # Five questions on two images: t(1) = 12.7 makes the interval cover [0, 1].
    cases.append(case("five items on two images", [1, 1, 0, 1, 0], [0, 0, 0, 1, 1]))
    # Twelve images with 2 to 8 questions each, unequal sizes.
    sizes = rng.integers(2, 9, size=12)
    groups = [g for g, m in enumerate(sizes) for _ in range(int(m))]
    image_skill = rng.uniform(0.2, 0.9, size=12)
    values = [int(rng.random() < image_skill[g]) for g in groups]
    cases.append(case("twelve images of 2-8 questions", values, groups))
    # 40 images of 3 questions, every answer right: enough clusters, but no variance at all.
    cases.append(case("forty images, every answer right", [1] * 120, [i // 3 for i in range(120)]))
    payload = {
        "generated_by": "bench/stats/make_cluster_bound.py",
        "versions": {"numpy": np.__version__, "statsmodels": statsmodels.__version__},
        "cases": cases,
    }
    path = DATA / "cluster_bound.json"
    path.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference values for the repeated-sampling statistics added after make_reference.py:
the any-correct (pass@k) share with cluster-robust intervals, and the draw discordance a power
plan uses. Computed with numpy and statsmodels on the items of tests/data/repeated.json.

Run by hand:  python3 bench/stats/make_repeated_extra.py

Uses bench/stats/.venv (created by make_reference.py, or here on first use) and writes
crates/medeval-stats/tests/data/repeated_extra.json. Nothing in it comes from the crate.
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


def clustered_mean(values: np.ndarray, groups: np.ndarray) -> dict:
    """Mean with statsmodels' cluster-robust standard error and t(C-1) interval."""
    fit = sm.OLS(values, np.ones_like(values)).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    return {
        "mean": float(fit.params[0]),
        "standard_error": float(fit.bse[0]),
        "ci95": [float(v) for v in fit.conf_int(alpha=0.05)[0]],
    }


def main() -> None:
    source = json.loads((DATA / "repeated.json").read_text())
    items = source["items"]
    correct = [[outcome == "correct" for outcome, _ in item["samples"]] for item in items]
    any_correct = np.array([float(any(samples)) for samples in correct])
    images = np.array([int(item["cluster"][3:]) for item in items])
    # Probability that two different draws of an item disagree, estimated without bias as
    # 2 c (k - c) / (k (k - 1)), averaged over items.
    draw_discordance = float(
        np.mean([2 * sum(s) * (len(s) - sum(s)) / (len(s) * (len(s) - 1)) for s in correct])
    )
    result = {
        "generated_by": "bench/stats/make_repeated_extra.py",
        "versions": {"numpy": np.__version__, "statsmodels": statsmodels.__version__},
        "items_from": "repeated.json",
        "any_correct_by_item": clustered_mean(any_correct, np.arange(len(items))),
        "any_correct_by_image": clustered_mean(any_correct, images),
        "draw_discordance": draw_discordance,
    }
    path = DATA / "repeated_extra.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

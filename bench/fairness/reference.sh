#!/usr/bin/env bash
# Records SciPy's Pearson chi-square test of independence (chi2_contingency, no continuity
# correction) on seeded random groups x (correct, not correct) tables into the test data of
# medeval-stats. Needs only PyPI.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${VENV:-/tmp/medeval-fairness-venv}"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q scipy numpy; }
mkdir -p crates/medeval-stats/tests/data
"$venv/bin/python" bench/fairness/reference.py > crates/medeval-stats/tests/data/fairness_reference.json
echo "wrote crates/medeval-stats/tests/data/fairness_reference.json"

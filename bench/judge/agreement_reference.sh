#!/usr/bin/env bash
# Records Cohen's kappa (scikit-learn) and Krippendorff's alpha (krippendorff) on seeded random
# ratings into the test data of medeval-stats. Needs only PyPI.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${VENV:-/tmp/medeval-agreement-venv}"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q krippendorff scikit-learn numpy; }
mkdir -p crates/medeval-stats/tests/data
"$venv/bin/python" bench/judge/agreement_reference.py > crates/medeval-stats/tests/data/agreement_reference.json
echo "wrote crates/medeval-stats/tests/data/agreement_reference.json"

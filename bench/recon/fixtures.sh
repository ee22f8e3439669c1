#!/usr/bin/env bash
# Builds the reconstruction-metric fixtures: a venv with scikit-image from PyPI, then
# make_fixtures.py (see its docstring). Run from anywhere; writes into the repository.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${RECON_VENV:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet scikit-image numpy nibabel
fi
"$venv/bin/python" "$here/make_fixtures.py"

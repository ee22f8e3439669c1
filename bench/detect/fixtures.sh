#!/usr/bin/env bash
# Creates bench/detect/.venv from PyPI (pycocotools, faster-coco-eval, numpy, scikit-learn) and
# writes the reference fixtures of medeval-detect's tests: pycocotools' own numbers on small COCO
# cases, and the LUNA16 FROC reference on a small nodule case.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q "pycocotools==2.0.11" "faster-coco-eval==1.8.0" numpy scikit-learn
.venv/bin/python make_fixtures.py ../../crates/medeval-detect/tests/fixtures

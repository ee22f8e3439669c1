#!/usr/bin/env bash
# Creates bench/seg/.venv with the Python tools medeval's segmentation metrics are compared with.
# torch comes from PyPI (the only index reachable here); its wheel pulls CUDA libraries (~5 GB).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q numpy scipy medpy surface-distance nibabel simpleitk pynrrd tifffile pillow scikit-learn torch monai

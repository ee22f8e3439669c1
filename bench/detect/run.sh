#!/usr/bin/env bash
# Box mAP benchmark: builds medeval (release), makes bench/detect/.venv (pycocotools,
# faster-coco-eval), generates a COCO-val-sized synthetic set under bench/out/detect and times
# pycocotools, faster-coco-eval and `medeval detect` on it, checking the 12 numbers agree.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x bench/detect/.venv/bin/python ]; then
  python3 -m venv bench/detect/.venv
  bench/detect/.venv/bin/pip install -q "pycocotools==2.0.11" "faster-coco-eval==1.8.0" numpy scikit-learn
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -p medeval-cli
bench/detect/.venv/bin/python bench/detect/bench.py --medeval "$CARGO_TARGET_DIR/release/medeval" "$@"

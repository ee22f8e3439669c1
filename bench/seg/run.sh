#!/usr/bin/env bash
# Segmentation-metric benchmark: builds medeval (release), installs the Python tools into
# bench/seg/.venv, generates the 512x512x200 and 256x256x128 cases and prints the comparison.
# Pass --skip-medpy to leave out medpy (minutes per case).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash bench/seg/setup_venv.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -p medeval-cli
bench/seg/.venv/bin/python bench/seg/bench.py --medeval "$CARGO_TARGET_DIR/release/medeval" "$@"

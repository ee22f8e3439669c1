#!/usr/bin/env bash
# Benchmark: medeval's report metrics vs pycocoevalcap, sacrebleu and rouge-score on 10,000 and
# 100,000 synthetic radiology report pairs. Prints a side-by-side table with speed-ups.
#
#   bash bench/text/run.sh                    # Python tools timed at 10,000 pairs
#   PYTHON_SIZES=10000,100000 bash bench/text/run.sh   # also at 100,000 (slow: many minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash bench/text/venv.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --quiet -p medeval-cli
echo "machine: $(nproc) cores; $(uname -sm)"
echo "before: $(uptime)"
bench/text/.venv/bin/python bench/text/bench.py \
  --binary "$CARGO_TARGET_DIR/release/medeval" \
  --sizes "${SIZES:-10000,100000}" \
  --python-sizes "${PYTHON_SIZES:-10000}" \
  --repeats "${REPEATS:-5}"
echo "after: $(uptime)"

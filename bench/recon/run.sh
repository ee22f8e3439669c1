#!/usr/bin/env bash
# scikit-image against `medeval recon` on a 320x320x40 volume pair, both conventions:
# seconds, ratio, agreement. Builds the release binary once (set MEDEVAL_BIN to skip that).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${RECON_VENV:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet scikit-image numpy nibabel
fi
if [ -z "${MEDEVAL_BIN:-}" ]; then
    (cd "$root" && cargo build --release -p medeval-cli)
    MEDEVAL_BIN="$root/target/release/medeval"
fi
"$venv/bin/python" "$here/compare.py" "$MEDEVAL_BIN" "$root/bench/out/recon"

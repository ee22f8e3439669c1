#!/usr/bin/env sh
# Regenerates items.jsonl next to this file (see README.md). Needs python3 and PyPI access.
set -eu
exec python3 "$(dirname "$0")/build_demo.py" "$@"

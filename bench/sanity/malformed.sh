#!/usr/bin/env bash
# Time and peak memory of `medeval sanity build` on pydicom's test files: the wheel ships them
# under pydicom/data/test_files (176 small files in pydicom 3.0.2, with a DICOMDIR tree), many of
# them deliberately odd or malformed (UN sequences, big endian, deflate, truncated pixel data, no
# meta information ...).
# A malformed file must be rejected in milliseconds with its reason, at the cost of its size.
#
#     bench/sanity/malformed.sh                # the release binary if built, else the debug one
#     MEDEVAL=/path/to/medeval bench/sanity/malformed.sh
#     PYDICOM_VENV=/tmp/pyd bench/sanity/malformed.sh   # reuse a venv that has pydicom
#
# Prints wall time and maximum resident set size (from /usr/bin/time -v) for the whole folder
# (searched recursively, as `--dicom-dir` is),
# then for each of the two files that used to cost gigabytes (UN_sequence.dcm, 674 bytes;
# SC_rgb_jpeg.dcm, 4.4 KB), each alone in a folder, then the skip reasons.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ -n "${MEDEVAL:-}" ]]; then
    BIN="$MEDEVAL"
elif [[ -x "$ROOT/target/release/medeval" ]]; then
    BIN="$ROOT/target/release/medeval"
elif [[ -x "$ROOT/target/debug/medeval" ]]; then
    BIN="$ROOT/target/debug/medeval"
else
    echo "no medeval binary: cargo build --release -p medeval-cli, or set MEDEVAL" >&2
    exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "/usr/bin/time (GNU time) is needed for the peak memory" >&2
    exit 2
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [[ -n "${PYDICOM_VENV:-}" ]]; then
    VENV="$PYDICOM_VENV"
else
    VENV="$WORK/venv"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet pydicom
fi
FILES="$("$VENV/bin/python" -c 'import pathlib, pydicom; print(pathlib.Path(pydicom.__file__).parent / "data" / "test_files")')"
if [[ ! -d "$FILES" ]]; then
    echo "pydicom ships no test files at $FILES" >&2
    exit 2
fi
echo "binary:  $BIN"
echo "pydicom: $("$VENV/bin/python" -c 'import pydicom; print(pydicom.__version__)'), $(find "$FILES" -type f | wc -l) files in $FILES"

# Runs one build and prints "<label>: <wall> s, <max RSS> MB, exit <status>".
measure() {
    local label="$1" dir="$2"
    local out="$WORK/out-$label"
    mkdir -p "$out"
    local status=0
    /usr/bin/time -v -o "$out/time.txt" "$BIN" sanity build --dicom-dir "$dir" \
        --out "$out/sanity.jsonl" --json >"$out/summary.json" 2>"$out/stderr.txt" || status=$?
    local wall rss
    wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt")"
    rss="$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$out/time.txt")"
    # Elapsed is m:ss.ss (or h:mm:ss); report seconds.
    wall="$(echo "$wall" | awk -F: '{s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s}')"
    echo "$label: ${wall} s wall, ${rss} MB max RSS, exit ${status}"
}

measure folder "$FILES"
for name in UN_sequence.dcm SC_rgb_jpeg.dcm; do
    mkdir -p "$WORK/one-$name"
    cp "$FILES/$name" "$WORK/one-$name/"
    measure "$name" "$WORK/one-$name"
done

echo
echo "skip reasons for the folder (count, reason kind):"
"$VENV/bin/python" - "$WORK/out-folder/summary.json" "$WORK/out-folder/stderr.txt" <<'EOF'
import collections, json, pathlib, sys
text = pathlib.Path(sys.argv[1]).read_text()
if not text.strip():
    print(pathlib.Path(sys.argv[2]).read_text())
    sys.exit()
summary = json.loads(text)
print(f"  {summary['images']} image(s) used, {summary['items']} items, {len(summary['skipped'])} file(s) skipped")
kinds = collections.Counter(s["reason"].split(":")[0].split(" (")[0] for s in summary["skipped"])
for kind, n in kinds.most_common():
    print(f"  {n:3d}  {kind}")
for s in summary["skipped"]:
    if s["path"] in ("UN_sequence.dcm", "SC_rgb_jpeg.dcm"):
        print(f"  {s['path']}: {s['reason']}")
EOF

#!/usr/bin/env bash
# Harness overhead of `medeval run` against the scripted server at a fixed latency.
#
#   bash bench/run/run.sh [N] [LATENCY_MS] [CONCURRENCY]
#
# Prints wall time against the ideal N x latency / concurrency, the harness's CPU time per request,
# and the same figures for a plain Python asyncio client (the `openai` package, as the Python
# toolkits use it), installed into bench/run/.venv from PyPI.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-5000}
LATENCY_MS=${2:-50}
CONCURRENCY=${3:-64}
IMAGE_ITEMS=${IMAGE_ITEMS:-500}
OUT=bench/out/run
mkdir -p "$OUT"

cargo build --release --quiet -p medeval-cli -p medeval-mockserver
BIN=target/release

python3 bench/run/make_items.py "$OUT" "$N" "$IMAGE_ITEMS"

"$BIN/medeval-mockserver" --latency-ms "$LATENCY_MS" --threads 2 --answer "The answer is B" > "$OUT/server.url" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$OUT/server.url" ] && break; sleep 0.1; done
URL=$(cat "$OUT/server.url")

measure() { # label, command...
    local label=$1; shift
    if ! /usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" > /dev/null 2> "$OUT/stderr.txt"; then
        cat "$OUT/stderr.txt" >&2
        return 1
    fi
    read -r wall user sys rss < "$OUT/time.txt"
    echo "$label $wall $user $sys $rss"
}

medeval_run() { # items file, extra args... (prints the command to measure)
    rm -f "$OUT"/store.db*
    echo "$BIN/medeval" run --items "$1" --endpoint "$URL" --model mock-model --store "$OUT/store.db" \
        --concurrency "$CONCURRENCY" --no-cache --no-progress "${@:2}"
}

if [ ! -x bench/run/.venv/bin/python ]; then
    python3 -m venv bench/run/.venv
    bench/run/.venv/bin/pip install --quiet openai
fi

TEXT=$(measure medeval-text $(medeval_run "$OUT/text.jsonl"))
PY=$(measure python-openai bench/run/.venv/bin/python bench/run/python_client.py "$URL" "$OUT/text.jsonl" "$CONCURRENCY")
IMAGES=$(measure medeval-images $(medeval_run "$OUT/images.jsonl" --image-max-side 448))

python3 - "$N" "$IMAGE_ITEMS" "$LATENCY_MS" "$CONCURRENCY" "$TEXT" "$PY" "$IMAGES" <<'PY'
import sys
n, n_img, latency, conc = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rows = [r.split() for r in sys.argv[5:]]
print(f"\n{n} text items ({n_img} image items), server latency {latency:.0f} ms, concurrency {conc}")
print(f"{'client':<16}{'items':>7}{'wall s':>9}{'ideal s':>9}{'wall/ideal':>12}{'CPU ms/request':>16}{'peak MiB':>10}")
for label, wall, user, sys_, rss in rows:
    items = n_img if label == "medeval-images" else n
    ideal = items * latency / 1000 / conc
    cpu = (float(user) + float(sys_)) * 1000 / items
    print(f"{label:<16}{items:>7}{float(wall):>9.2f}{ideal:>9.2f}{float(wall)/ideal:>12.2f}{cpu:>16.3f}{int(rss)/1024:>10.0f}")
text = {r[0]: r for r in rows}
m, p = text["medeval-text"], text["python-openai"]
cpu = lambda r: float(r[2]) + float(r[3])
print(f"\nharness CPU per request: python-openai / medeval = {cpu(p)/cpu(m):.1f}x")
PY

#!/usr/bin/env bash
# Peak memory and time of `medeval run` on oversized inputs, for an earlier medeval and this one.
#
#   bash bench/run/oversized.sh [BASE_COMMIT]
#
# Three crafted inputs, built in a temporary folder:
#   response  4 items at concurrency 4, the server answering each with a 50 MiB body
#   image     one item naming a 2 GiB sparse `.png` three times
#   line      an items file whose second line is 1 GiB long
# Each is run with the binary of BASE_COMMIT (default: the commit before the limits, built once
# from a `git worktree` into BASE_DIR with the dev profile) and with this checkout's binary (dev
# profile), under `/usr/bin/time -v`. Prints one row per run: exit status, wall time, peak RSS,
# store size and the first line of the error.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE_COMMIT=${1:-37919af174a5ae092e5dd86bb48a0aed953cefc0}
BASE_DIR=${BASE_DIR:-/tmp/medeval-oversized-base}
ANSWER_BYTES=${ANSWER_BYTES:-$((50 << 20))}
IMAGE_BYTES=${IMAGE_BYTES:-$((2 << 30))}
LINE_BYTES=${LINE_BYTES:-$((1 << 30))}

if [ ! -x "$BASE_DIR/target/debug/medeval" ]; then
    if [ ! -d "$BASE_DIR/src" ]; then
        git worktree add --detach "$BASE_DIR/src" "$BASE_COMMIT"
    fi
    (cd "$BASE_DIR/src" && CARGO_TARGET_DIR="$BASE_DIR/target" cargo build --quiet -p medeval-cli)
fi
cargo build --quiet -p medeval-cli -p medeval-mockserver
OLD="$BASE_DIR/target/debug/medeval"
NEW=target/debug/medeval
SERVER_BIN=target/debug/medeval-mockserver

WORK=$(mktemp -d)
SERVERS=()
cleanup() {
    for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

start_server() { # name, args... ; prints the URL
    "$SERVER_BIN" "${@:2}" > "$WORK/$1.url" &
    SERVERS+=($!)
    for _ in $(seq 100); do [ -s "$WORK/$1.url" ] && break; sleep 0.1; done
    cat "$WORK/$1.url"
}
BIG_URL=$(start_server big --answer-bytes "$ANSWER_BYTES" --threads 2)
PLAIN_URL=$(start_server plain --answer no)

# response: four plain items.
for i in 1 2 3 4; do
    echo "{\"id\": \"q$i\", \"question\": \"[q$i] Fracture?\", \"answer\": \"no\"}"
done > "$WORK/response.jsonl"
# image: a sparse file named three times.
mkdir -p "$WORK/img"
truncate -s "$IMAGE_BYTES" "$WORK/img/huge.png"
echo '{"id": "m1", "question": "Fracture?", "images": ["img/huge.png", "img/huge.png", "img/huge.png"], "answer": "no"}' \
    > "$WORK/image.jsonl"
# line: a valid item, then one whose question is LINE_BYTES long.
python3 - "$WORK/line.jsonl" "$LINE_BYTES" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2])
with open(path, "w") as out:
    out.write('{"id": "q1", "question": "Fracture?", "answer": "no"}\n')
    out.write('{"id": "q2", "question": "')
    block = "x" * (1 << 20)
    for _ in range(size // len(block)):
        out.write(block)
    out.write('", "answer": "no"}\n')
PY

run_case() { # case, binary label, binary, items file, endpoint args...
    local case=$1 label=$2 bin=$3 items=$4
    local store="$WORK/$case-$label.db"
    local status=0
    /usr/bin/time -v -o "$WORK/time.txt" "$bin" run --items "$items" "${@:5}" \
        --store "$store" --no-progress --no-cache --concurrency 4 --max-attempts 1 \
        > /dev/null 2> "$WORK/stderr.txt" || status=$?
    local rss wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    wall=$(awk -F': ' '/Elapsed \(wall clock\) time/ {print $2}' "$WORK/time.txt")
    local size=0
    for f in "$store" "$store-wal"; do
        [ -f "$f" ] && size=$((size + $(stat -c %s "$f")))
    done
    # The error: the process's own message, else the first error reason the summary lists.
    local reason
    reason=$(grep -m1 -E '^error' "$WORK/stderr.txt" || true)
    if [ -z "$reason" ] && [ -f "$store" ]; then
        reason=$("$bin" show --store "$store" 2>/dev/null | grep -m1 -A1 'errors by reason' | tail -1 || true)
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$label" "$status" "$wall" "$rss" "$size" \
        "$(echo "$reason" | sed -e 's/^ *//' | cut -c1-150)"
    rm -f "$store" "$store-wal" "$store-shm"
}

{
    for pair in "before:$OLD" "after:$NEW"; do
        label=${pair%%:*}; bin=${pair#*:}
        run_case response "$label" "$bin" "$WORK/response.jsonl" --endpoint "$BIG_URL" --model mock-model
        run_case image "$label" "$bin" "$WORK/image.jsonl" --endpoint "$PLAIN_URL" --model mock-model
        run_case line "$label" "$bin" "$WORK/line.jsonl" --baseline majority
    done
} > "$WORK/rows.tsv"

python3 - "$WORK/rows.tsv" "$ANSWER_BYTES" "$IMAGE_BYTES" "$LINE_BYTES" <<'PY'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
answer, image, line = (int(x) >> 20 for x in sys.argv[2:5])
print(f"response: 4 answers of {answer} MiB at concurrency 4; image: a {image} MiB sparse .png "
      f"named 3 times; line: a {line} MiB items line")
print(f"| case | binary | exit | wall | peak RSS MiB | store MiB | message |")
print(f"|---|---|---|---|---|---|---|")
for case, label, status, wall, rss, size, reason in sorted(rows, key=lambda r: (r[0], r[1] != "before")):
    print(f"| {case} | {label} | {status} | {wall} | {int(rss) / 1024:.0f} | "
          f"{int(size) / 2**20:.1f} | {reason.replace('|', '/')} |")
PY

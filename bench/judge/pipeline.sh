#!/usr/bin/env bash
# Judging is pipelined with the candidate's requests: a run of N open items against a candidate
# and a judge server, both with the same latency, against the candidate alone; then a rescore of
# the judged run from the cache (no judge request).
#
#   bash bench/judge/pipeline.sh            # N=5000 items, 50 ms latency, concurrency 16
#
# Environment: N, LATENCY_MS, CONCURRENCY, MEDEVAL_BIN and MEDEVAL_MOCKSERVER_BIN (binaries to use
# instead of building them with the dev profile), OUT (default bench/out/judge-pipeline).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-5000}
LATENCY_MS=${LATENCY_MS:-50}
CONCURRENCY=${CONCURRENCY:-16}
OUT=${OUT:-bench/out/judge-pipeline}
if [ -z "${MEDEVAL_BIN:-}" ] || [ -z "${MEDEVAL_MOCKSERVER_BIN:-}" ]; then
    cargo build --quiet -p medeval-cli -p medeval-mockserver
fi
MEDEVAL=${MEDEVAL_BIN:-target/debug/medeval}
MOCK=${MEDEVAL_MOCKSERVER_BIN:-target/debug/medeval-mockserver}
rm -rf "$OUT" && mkdir -p "$OUT"
python3 - "$OUT/items.jsonl" "$N" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"id": f"q{i}", "question": f"[q{i}] Which organ?", "answer": "liver", "answer_type": "open"}) + "\n")
PY
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done' EXIT
serve() { # NAME MODEL ANSWER
    "$MOCK" --model "$2" --answer "$3" --latency-ms "$LATENCY_MS" --threads 2 > "$OUT/$1.url" 2> "$OUT/$1.log" &
    PIDS+=($!)
    for _ in $(seq 100); do [ -s "$OUT/$1.url" ] && break; sleep 0.1; done
}
serve candidate candidate "The liver."
serve judge judge "Same organ.
VERDICT: CORRECT"
CANDIDATE=$(head -1 "$OUT/candidate.url")
JUDGE=$(head -1 "$OUT/judge.url")
seconds() { local s=$EPOCHREALTIME; "$@" > /dev/null; awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
common=(run --items "$OUT/items.jsonl" --no-progress --endpoint "$CANDIDATE" --model candidate --concurrency "$CONCURRENCY")
alone=$(seconds "$MEDEVAL" "${common[@]}" --store "$OUT/alone.db")
judged=$(seconds "$MEDEVAL" "${common[@]}" --store "$OUT/judged.db" --judge-endpoint "$JUDGE" --judge-model judge --judge-concurrency "$CONCURRENCY")
rules=$(seconds "$MEDEVAL" rescore --store "$OUT/judged.db")
cached=$(seconds "$MEDEVAL" rescore --store "$OUT/judged.db" --judge-endpoint "$JUDGE" --judge-model judge)
awk -v n="$N" -v l="$LATENCY_MS" -v c="$CONCURRENCY" -v a="$alone" -v j="$judged" -v r="$rules" -v k="$cached" 'BEGIN {
    printf "%d open items, %d ms latency at both servers, concurrency %d\n", n, l, c
    printf "candidate alone            %7.2f s\n", a
    printf "candidate + judge          %7.2f s  (%.2fx the candidate alone)\n", j, j / a
    printf "rescore by the rules       %7.2f s\n", r
    printf "rescore by the judge, warm %7.2f s  (every reply from the store)\n", k
}'

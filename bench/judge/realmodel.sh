#!/usr/bin/env bash
# The judge against a real model: 120 open answers with a person's labels (bench/judge/make_items.py),
# served by medeval-mockserver as the candidate, judged by llama.cpp's llama-server running
# Qwen2.5-0.5B-Instruct (built and cached by bench/realmodel/setup.sh), then compared with the
# labels by `medeval judge agree`, and rescored from the cache with zero judge requests.
#
#   bash bench/judge/realmodel.sh
#
# Environment: MEDEVAL_REALMODEL_CACHE (default ~/.cache/medeval-realmodel), MEDEVAL_JUDGE_OUT
# (default bench/out/judge), MEDEVAL_BIN and MEDEVAL_MOCKSERVER_BIN (binaries to use instead of
# building them), LLAMA_THREADS (default 1), JUDGE_SPECS (default "binary-strict open-equivalence").
set -uo pipefail
cd "$(dirname "$0")/../.."
CACHE=${MEDEVAL_REALMODEL_CACHE:-$HOME/.cache/medeval-realmodel}
OUT=${MEDEVAL_JUDGE_OUT:-bench/out/judge}
LLAMA_THREADS=${LLAMA_THREADS:-1}
SPECS=${JUDGE_SPECS:-binary-strict open-equivalence}
log() { echo "[judge $(date +%H:%M:%S)] $*" >&2; }
die() { log "$*"; exit 1; }

bash bench/realmodel/setup.sh "$CACHE" > /dev/null || die "setup failed"
rm -rf "$OUT" && mkdir -p "$OUT"
if [ -z "${MEDEVAL_BIN:-}" ] || [ -z "${MEDEVAL_MOCKSERVER_BIN:-}" ]; then
    log "building medeval and medeval-mockserver"
    cargo build --quiet -p medeval-cli -p medeval-mockserver || die "cargo build failed"
fi
MEDEVAL=${MEDEVAL_BIN:-target/debug/medeval}
MOCK=${MEDEVAL_MOCKSERVER_BIN:-target/debug/medeval-mockserver}
python3 bench/judge/make_items.py "$OUT" >&2

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null; done; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

PORT=$(free_port)
"$CACHE/bin/llama-server" -m "$CACHE/model/qwen2.5-0.5b-instruct.gguf" --alias qwen2.5-0.5b \
    --host 127.0.0.1 --port "$PORT" -c 8192 --parallel 4 -t "$LLAMA_THREADS" --no-repack \
    > "$OUT/llama-server.log" 2>&1 &
PIDS+=($!)
JUDGE_URL=http://127.0.0.1:$PORT/v1
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/health" > /dev/null || die "llama-server did not start; see $OUT/llama-server.log"

"$MOCK" --model candidate --answers "$OUT/answers.jsonl" --answer "no answer" > "$OUT/mock.url" 2> "$OUT/mock.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$OUT/mock.url" ] && break; sleep 0.1; done
CANDIDATE_URL=$(head -1 "$OUT/mock.url")
log "judge $JUDGE_URL, candidate $CANDIDATE_URL"

STORE=$OUT/runs.db
FIRST=""
for spec in $SPECS; do
    started=$EPOCHREALTIME
    if [ -z "$FIRST" ]; then
        "$MEDEVAL" run --items "$OUT/items.jsonl" --store "$STORE" --no-progress --json \
            --endpoint "$CANDIDATE_URL" --model candidate \
            --judge-endpoint "$JUDGE_URL" --judge-model qwen2.5-0.5b --judge-spec "$spec" \
            --judge-concurrency 4 > "$OUT/run-$spec.json" 2> "$OUT/run-$spec.err"
        FIRST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"])' "$OUT/run-$spec.json")
    else
        "$MEDEVAL" rescore "$FIRST" --store "$STORE" --json \
            --judge-endpoint "$JUDGE_URL" --judge-model qwen2.5-0.5b --judge-spec "$spec" \
            --judge-concurrency 4 > "$OUT/run-$spec.json" 2> "$OUT/run-$spec.err"
    fi
    wall=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    "$MEDEVAL" judge agree "$FIRST" --store "$STORE" --labels "$OUT/labels.jsonl" --json > "$OUT/agree-$spec.json" \
        || die "judge agree failed"
    python3 bench/judge/summarise.py "$spec" "$wall" "$OUT/run-$spec.json" "$OUT/agree-$spec.json"
done

# The rules alone against the same labels, for comparison.
"$MEDEVAL" rescore "$FIRST" --store "$STORE" --json > "$OUT/rules.json" 2> "$OUT/rules.err"
"$MEDEVAL" judge agree "$FIRST" --store "$STORE" --labels "$OUT/labels.jsonl" --json > "$OUT/agree-rules.json"
python3 bench/judge/summarise.py rules - "$OUT/rules.json" "$OUT/agree-rules.json"

# Judged again with the first spec: every reply from the store, no request to llama-server.
# llama-server logs one "launch_slot_" line per request it starts.
before=$(grep -c "launch_slot_" "$OUT/llama-server.log")
set -- $SPECS
"$MEDEVAL" rescore "$FIRST" --store "$STORE" --json --judge-endpoint "$JUDGE_URL" \
    --judge-model qwen2.5-0.5b --judge-spec "$1" > "$OUT/cached.json" 2> "$OUT/cached.err"
after=$(grep -c "launch_slot_" "$OUT/llama-server.log")
echo "rescore with $1 from the cache: $((after - before)) judge request(s)"

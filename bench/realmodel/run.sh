#!/usr/bin/env bash
# Acceptance run of medeval against a real OpenAI-compatible server: llama.cpp's llama-server with
# Qwen2.5-Coder-0.5B-Instruct, and for images the same model with a hand-set colour projector.
#
#   bash bench/realmodel/run.sh
#
# Environment: MEDEVAL_REALMODEL_CACHE (default ~/.cache/medeval-realmodel) holds the venv, the
# server binary and the model, and is reused; MEDEVAL_REALMODEL_OUT (default bench/out/realmodel)
# receives the items, stores, outputs and server logs of this run, and results.txt;
# MEDEVAL_BIN names a medeval binary to test instead of building target/debug/medeval;
# LLAMA_THREADS sets llama-server's threads (default 1).
# Every check prints PASS or FAIL with its figures; the exit status is 1 when any check failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
HERE=bench/realmodel
CACHE=${MEDEVAL_REALMODEL_CACHE:-$HOME/.cache/medeval-realmodel}
OUT=${MEDEVAL_REALMODEL_OUT:-bench/out/realmodel}
TEXT_MODEL=qwen2.5-0.5b
VISION_MODEL=qwen2.5-0.5b-colour-mmproj
SAMPLES_PER_ITEM=3
MAX_TOKENS=8
KILL_AFTER=3       # answers committed before the run is killed (check c)
KILL_CONCURRENCY=2 # requests in flight at most while it is killed
# One thread by default: on 2 busy cores, two llama.cpp threads that wait on each other generated
# 1.2 tokens/s where one thread generated 7.5 (measured beside other builds).
LLAMA_THREADS=${LLAMA_THREADS:-1}
START=$EPOCHREALTIME

log() { echo "[realmodel $(date +%H:%M:%S)] $*" >&2; }
die() { log "$*"; exit 1; }

# --- what is served, and medeval -------------------------------------------------------------
bash "$HERE/setup.sh" "$CACHE" > /dev/null || die "setup failed"
SERVER_BIN=$CACHE/bin/llama-server
GGUF=$CACHE/model/qwen2.5-0.5b-instruct.gguf
MMPROJ=$CACHE/model/color-mmproj.gguf
rm -rf "$OUT" && mkdir -p "$OUT"
# After setup, so that the medeval build never runs beside the llama-server build.
if [ -n "${MEDEVAL_BIN:-}" ]; then
    BUILT=$MEDEVAL_BIN
else
    log "building medeval (cargo build -p medeval-cli)"
    cargo build --quiet -p medeval-cli || die "cargo build failed"
    BUILT=target/debug/medeval
fi
# A copy: a build of another checkout state into the same target directory must not swap the
# binary between two commands of this run.
MEDEVAL=$OUT/medeval
cp "$BUILT" "$MEDEVAL" || die "cannot copy $BUILT"
log "medeval: $BUILT ($("$MEDEVAL" --version))"

python3 "$HERE/make_items.py" "$OUT"
N_TEXT=$(wc -l < "$OUT/text.jsonl")
N_COLOUR=$(wc -l < "$OUT/colour.jsonl")
RESULTS=$OUT/results.txt
FAILS=0

# --- servers ---------------------------------------------------------------------------------
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2> /dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME ALIAS [llama-server args...]: sets SERVER_URL once /health answers 200.
start_server() {
    local name=$1 alias=$2 port pid started=$EPOCHREALTIME
    shift 2
    port=$(free_port)
    # --no-repack: with it the weights stay out of the AMX buffer type, whose matrix product
    # crashes (SIGSEGV) on virtual machines whose CPUs list AMX that the kernel does not enable.
    "$SERVER_BIN" -m "$GGUF" --alias "$alias" --host 127.0.0.1 --port "$port" -c 8192 \
        --parallel 4 -t "$LLAMA_THREADS" --no-repack "$@" > "$OUT/server-$name.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 600); do
        kill -0 "$pid" 2> /dev/null || die "llama-server $name exited; see $OUT/server-$name.log"
        if curl -sf "http://127.0.0.1:$port/health" > /dev/null; then
            SERVER_URL=http://127.0.0.1:$port/v1
            log "llama-server $name ($alias) ready at $SERVER_URL in $(seconds_since "$started") s"
            return
        fi
        sleep 0.2
    done
    die "llama-server $name not ready after 120 s; see $OUT/server-$name.log"
}

stop_server() { # PID
    kill "$1" 2> /dev/null
    wait "$1" 2> /dev/null
}

seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# timed PREFIX COMMAND...: stdout to PREFIX.json, stderr to PREFIX.err; sets RC and WALL.
timed() {
    local prefix=$1 started=$EPOCHREALTIME
    shift
    "$@" > "$prefix.json" 2> "$prefix.err"
    RC=$?
    WALL=$(seconds_since "$started")
    log "$(basename "$prefix"): exit $RC in $WALL s"
}

check() {
    python3 "$HERE/check.py" "$@" | tee -a "$RESULTS"
    [ "${PIPESTATUS[0]}" = 0 ] || FAILS=$((FAILS + 1))
}

json_field() { # FILE EXPR: a field of a JSON file (EXPR in Python, over `d`), or "" when absent
    python3 -c 'import json, sys
try:
    d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))
except Exception:
    print("")' "$1" "$2"
}

stored_ok() { # STORE: answered samples committed in the store
    python3 -c 'import sqlite3, sys
try:
    con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
    print(con.execute("SELECT count(*) FROM samples WHERE status = ?", ("ok",)).fetchone()[0])
except sqlite3.Error:
    print(0)' "$1"
}

stored_runs() { # STORE: runs in the store (0 when there is no store)
    [ -f "$1" ] || { echo 0; return; }
    python3 -c 'import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(con.execute("SELECT count(*) FROM runs").fetchone()[0])' "$1"
}

server_tasks() { grep -o "processing task" "$OUT/server-$1.log" | wc -l; }

start_server text "$TEXT_MODEL"
TEXT_URL=$SERVER_URL
start_server vision "$VISION_MODEL" --mmproj "$MMPROJ"
VISION_URL=$SERVER_URL
RUN=("$MEDEVAL" run --no-progress --json)

# --- a. a full run over the text items -------------------------------------------------------
log "a. text items ($N_TEXT) against $TEXT_URL"
TEXT_RUN=("${RUN[@]}" --items "$OUT/text.jsonl" --endpoint "$TEXT_URL" --model "$TEXT_MODEL"
    --store "$OUT/a.db")
timed "$OUT/a" "${TEXT_RUN[@]}"
RC_A=$RC WALL_A=$WALL
RUN_A=$(json_field "$OUT/a.json" 'd["run"]')
"$MEDEVAL" show "$RUN_A" --store "$OUT/a.db" --json > "$OUT/a-show.json" 2> "$OUT/a-show.err"
check text "$OUT/a.json" "$OUT/a-show.json" "$OUT/a.db" "$N_TEXT" "$WALL_A" "$RC_A"

# --- b. colour items through the multimodal path: right images, swapped, none ----------------
log "b. colour items ($N_COLOUR) against $VISION_URL"
COLOUR_RUN=("${RUN[@]}" --items "$OUT/colour.jsonl" --endpoint "$VISION_URL"
    --model "$VISION_MODEL" --store "$OUT/b.db")
timed "$OUT/b-clean" "${COLOUR_RUN[@]}"
RC_B=$RC WALL_B=$WALL
timed "$OUT/b-variants" "${COLOUR_RUN[@]}" --variant mismatched-image,no-image
RC_BV=$RC
RUN_B=$(json_field "$OUT/b-clean.json" 'd["run"]')
RUN_SWAPPED=$(json_field "$OUT/b-variants.json" 'd[0]["run"]')
"$MEDEVAL" probe "$RUN_B" "$RUN_SWAPPED" --store "$OUT/b.db" --json > "$OUT/b-probe.json" \
    2> "$OUT/b-probe.err"
"$MEDEVAL" probe "$RUN_B" "$RUN_SWAPPED" --store "$OUT/b.db" > "$OUT/b-probe.txt" 2>&1
check vision "$OUT/b-clean.json" "$OUT/b-variants.json" "$OUT/b-probe.json" "$OUT/b.db" \
    "$N_COLOUR" "$WALL_B" "$RC_B" "$RC_BV"

# --- c. crash safety: kill -9 after a few answers, then the same command ----------------------
log "c. kill -9 after $KILL_AFTER answers, then the same command again"
CRASH_RUN=("${RUN[@]}" --items "$OUT/text.jsonl" --endpoint "$TEXT_URL" --model "$TEXT_MODEL"
    --store "$OUT/c.db" --no-cache --concurrency "$KILL_CONCURRENCY")
TASKS_0=$(server_tasks text)
"${CRASH_RUN[@]}" > "$OUT/c1.json" 2> "$OUT/c1.err" &
VICTIM=$!
for _ in $(seq 3000); do
    [ "$(stored_ok "$OUT/c.db")" -ge "$KILL_AFTER" ] && break
    kill -0 "$VICTIM" 2> /dev/null || break
    sleep 0.1
done
kill -9 "$VICTIM" 2> /dev/null
wait "$VICTIM" 2> /dev/null
sleep 3 # the server logs the tasks it had started for the killed client
STORED_AT_KILL=$(stored_ok "$OUT/c.db")
TASKS_1=$(server_tasks text)
timed "$OUT/c2" "${CRASH_RUN[@]}"
RC_C=$RC
TASKS_2=$(server_tasks text)
check resume "$OUT/c1.json" "$OUT/c2.json" "$OUT/c.db" "$N_TEXT" "$STORED_AT_KILL" \
    $((TASKS_1 - TASKS_0)) $((TASKS_2 - TASKS_1)) "$KILL_CONCURRENCY" "$RC_C" "$OUT/c2.err"

# --- d. the response cache: a new run (--fresh) of check a's command -----------------------
# The response cache lives in the store, so the second run is a new run in check a's store.
log "d. check a's command again as a new run (--fresh): answers from the response cache"
timed "$OUT/d" "${TEXT_RUN[@]}" --fresh
check cache "$OUT/a.db" "$RUN_A" "$OUT/d.json" "$OUT/d.err" "$N_TEXT" "$WALL_A" "$WALL" "$RC"

# --- e. failover: the real server and an endpoint where nothing listens -----------------------
log "e. two endpoints, one with nothing listening"
DEAD_URL=http://127.0.0.1:$(free_port)/v1
timed "$OUT/e-dead" "${RUN[@]}" --items "$OUT/text.jsonl" --endpoint "$TEXT_URL" \
    --endpoint "$DEAD_URL" --model "$TEXT_MODEL" --store "$OUT/e-dead.db"
RC_DEAD=$RC
python3 "$HERE/vanishing_endpoint.py" "$TEXT_MODEL" "$OUT/e-port" &
VANISHING=$!
PIDS+=("$VANISHING")
for _ in $(seq 100); do [ -s "$OUT/e-port" ] && break; sleep 0.1; done
timed "$OUT/e" "${RUN[@]}" --items "$OUT/text.jsonl" --endpoint "$TEXT_URL" \
    --endpoint "http://127.0.0.1:$(cat "$OUT/e-port")/v1" --model "$TEXT_MODEL" \
    --store "$OUT/e.db" --retry-base-ms 200
check failover "$OUT/e.json" "$OUT/e.err" "$N_TEXT" "$RC" "$RC_DEAD" "$OUT/e-dead.err" \
    "$(stored_runs "$OUT/e-dead.db")"

# --- f. several samples per item; a small --max-tokens ----------------------------------------
log "f. --samples-per-item $SAMPLES_PER_ITEM --temperature 0.7; --max-tokens $MAX_TOKENS"
timed "$OUT/f-samples" "${RUN[@]}" --items "$OUT/text.jsonl" --endpoint "$TEXT_URL" \
    --model "$TEXT_MODEL" --store "$OUT/f.db" --samples-per-item "$SAMPLES_PER_ITEM" \
    --temperature 0.7
check sampling "$OUT/f-samples.json" "$OUT/f.db" "$N_TEXT" "$SAMPLES_PER_ITEM" "$RC"
timed "$OUT/f-truncated" "${RUN[@]}" --items "$OUT/text.jsonl" --endpoint "$TEXT_URL" \
    --model "$TEXT_MODEL" --store "$OUT/f.db" --max-tokens "$MAX_TOKENS" \
    --prompt "$HERE/explain.toml"
check truncation "$OUT/f-truncated.json" "$OUT/f.db" "$N_TEXT" "$MAX_TOKENS" "$RC"

# --- g. an API key through --api-key-env; a wrong key ------------------------------------------
log "g. a server with --api-key: the right key, then a wrong one"
KEY=sk-realmodel-$(python3 -c 'import secrets; print(secrets.token_hex(16))')
WRONG_KEY=sk-realmodel-$(python3 -c 'import secrets; print(secrets.token_hex(16))')
start_server key "$TEXT_MODEL" --api-key "$KEY"
KEY_SERVER=${PIDS[-1]}
KEY_RUN=("${RUN[@]}" --items "$OUT/text.jsonl" --endpoint "$SERVER_URL" --model "$TEXT_MODEL"
    --store "$OUT/g.db" --api-key-env MEDEVAL_REALMODEL_KEY --limit 6)
MEDEVAL_REALMODEL_KEY=$KEY timed "$OUT/g" "${KEY_RUN[@]}"
RC_G=$RC
RUNS_BEFORE=$(stored_runs "$OUT/g.db")
MEDEVAL_REALMODEL_KEY=$WRONG_KEY timed "$OUT/g-wrong" "${KEY_RUN[@]}" --fresh
RC_WRONG=$RC
RUNS_AFTER=$(stored_runs "$OUT/g.db")
"$MEDEVAL" show --store "$OUT/g.db" > "$OUT/g-show.txt" 2>&1
"$MEDEVAL" runs --store "$OUT/g.db" > "$OUT/g-runs.txt" 2>&1
stop_server "$KEY_SERVER"
# Every store and everything medeval printed in this run (the server logs are llama-server's own).
LEAKS=$(find "$OUT" -type f ! -name 'server-*.log' ! -name medeval -exec grep -l -a -F -e "$KEY" -e "$WRONG_KEY" {} + | wc -l)
check api-key "$OUT/g.json" "$RC_G" "$RC_WRONG" "$OUT/g-wrong.err" "$RUNS_BEFORE" "$RUNS_AFTER" \
    "$LEAKS"

TOTAL=$(seconds_since "$START")
if [ "$FAILS" = 0 ]; then
    echo "all checks passed in $TOTAL s (results in $RESULTS)" | tee -a "$RESULTS"
else
    echo "$FAILS check group(s) failed in $TOTAL s (results in $RESULTS)" | tee -a "$RESULTS"
    exit 1
fi

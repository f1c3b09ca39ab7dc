#!/usr/bin/env bash
# Speed side by side with llama.cpp, on this host, at Qwen2.5-0.5B-Instruct's shape.
#
# Both engines read the same random weights: `safety-server model init` writes them as a Hugging Face checkpoint, and
# llama.cpp's own converter (`convert_hf_to_gguf.py`) turns that checkpoint into F32, BF16 and Q8_0 GGUF files. The
# engines then run one after the other, REPEAT rounds, each round both engines, with THREADS threads:
#   llama.cpp: `llama-bench -p 512 -n 64` (prefill of a 512-token prompt, decode from an empty context) and
#              `llama-batched-bench -npp 128 -ntg 64 -npl 1,8` (decode at batch 1 and 8 after a 128-token prompt);
#   ours:      `safety-server bench engine` (prefill 512; decode 64 steps after a 128-token context, batch 1 and 8),
#              with f32 products, and with bf16 products where the CPU has AVX512-BF16.
# A table of medians and ranges with the ratios ours / llama.cpp ends the run (tools/bench/side_by_side.py).
#
# llama.cpp comes from PyPI's llama-cpp-python source distribution (its vendored llama.cpp, built here with CMake,
# native ISA); the converter runs in a virtual environment with torch, transformers and numpy. Nothing of it is
# needed to build, run or test the project. Resumable: what is already built or written is kept in WORK.
#
#   bash tools/bench/llama-cpp-side-by-side.sh            # WORK=var/bench-llama REPEAT=2 THREADS=2 ISA=native
#
# ISA=avx2 measures both engines as an AVX2-only host (AMD Zen 3 kind: AVX2, FMA, F16C) would run them, on a host
# that has more: llama.cpp is built without native tuning with AVX2/FMA/F16C/BMI2 only (build-avx2), our kernels are
# capped with CK_ISA=avx2 and OpenBLAS is held to its Haswell (AVX2) kernels with OPENBLAS_CORETYPE. The caches,
# memory and clock stay this host's, so it is the instruction set that is compared, not a Zen 3 machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
WORK=${WORK:-var/bench-llama}
REPEAT=${REPEAT:-2}
THREADS=${THREADS:-2}
ISA=${ISA:-native}
LLAMA_CPP_PYTHON=${LLAMA_CPP_PYTHON:-0.3.36}
case "$ISA" in
    native) BUILD=build; CMAKE_ISA=(-DGGML_NATIVE=ON) ;;
    avx2) BUILD=build-avx2
          CMAKE_ISA=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
                     -DGGML_AVX512=OFF -DGGML_AVX512_BF16=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_VBMI=OFF)
          export CK_ISA=avx2 OPENBLAS_CORETYPE=Haswell ;;
    *) echo "ISA is native or avx2" >&2; exit 2 ;;
esac
BIN=$ROOT/.build/release/safety-server
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
log() { printf '[side-by-side] %s\n' "$*" >&2; }

swift build -c release --product safety-server >&2

# 1. llama.cpp, from the llama-cpp-python source distribution.
LLAMA=$WORK/llama.cpp
if [ ! -x "$LLAMA/$BUILD/bin/llama-bench" ] || [ ! -x "$LLAMA/$BUILD/bin/llama-batched-bench" ]; then
    command -v cmake >/dev/null || python3 -m pip install -q cmake
    if [ ! -f "$LLAMA/CMakeLists.txt" ]; then
        log "fetching llama-cpp-python $LLAMA_CPP_PYTHON (source distribution) from PyPI"
        # PyPI's simple index (PEP 503) names the file with its sha256; the download is checked against it.
        python3 - "$LLAMA_CPP_PYTHON" "$WORK/sdist.tar.gz" <<'EOF'
import hashlib, re, sys, urllib.parse, urllib.request
version, out = sys.argv[1], sys.argv[2]
index = "https://pypi.org/simple/llama-cpp-python/"
with urllib.request.urlopen(index) as r:
    page = r.read().decode()
name = re.escape(f"llama_cpp_python-{version}.tar.gz")
m = re.search(r'href="([^"]*/' + name + r')#sha256=([0-9a-f]{64})"', page)
if not m:
    sys.exit(f"llama-cpp-python {version}: no source distribution in {index}")
with urllib.request.urlopen(urllib.parse.urljoin(index, m.group(1))) as r:
    data = r.read()
if hashlib.sha256(data).hexdigest() != m.group(2):
    sys.exit("llama-cpp-python source distribution: sha256 mismatch")
open(out, "wb").write(data)
EOF
        rm -rf "$WORK/sdist" && mkdir -p "$WORK/sdist"
        tar xzf "$WORK/sdist.tar.gz" -C "$WORK/sdist"
        mv "$WORK"/sdist/llama_cpp_python-*/vendor/llama.cpp "$LLAMA"
        rm -rf "$WORK/sdist" "$WORK/sdist.tar.gz"
    fi
    log "building llama-bench and llama-batched-bench (Release, $ISA ISA) in $BUILD"
    cmake -S "$LLAMA" -B "$LLAMA/$BUILD" -DCMAKE_BUILD_TYPE=Release "${CMAKE_ISA[@]}" -DLLAMA_CURL=OFF \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >"$WORK/cmake-$ISA.log" 2>&1
    cmake --build "$LLAMA/$BUILD" --target llama-bench llama-batched-bench -j"$(nproc)" >>"$WORK/cmake-$ISA.log" 2>&1
fi

# 2. The same random weights for both engines.
MODEL=$WORK/qwen2.5-0.5b-shape
if [ ! -f "$MODEL/model.safetensors" ]; then
    log "writing random weights at Qwen2.5-0.5B-Instruct's shape"
    rm -rf "$MODEL"
    "$BIN" model init --tokenizer data/qwen2-tokenizer --out "$MODEL" --hidden 896 --layers 24 --heads 14 \
        --kv-heads 2 --intermediate 4864 --max-positions 32768 --rope-theta 1000000 >&2
    # The converter reads the vocabulary from vocab.json / merges.txt beside tokenizer.json.
    cp data/qwen2-tokenizer/vocab.json data/qwen2-tokenizer/merges.txt data/qwen2-tokenizer/added_tokens.json "$MODEL/"
fi
for t in f32 bf16 q8_0; do
    if [ ! -f "$WORK/model-$t.gguf" ]; then
        if [ ! -x "$WORK/venv/bin/python" ]; then
            log "virtual environment for llama.cpp's converter"
            python3 -m venv "$WORK/venv"
            "$WORK/venv/bin/pip" install -q torch transformers numpy safetensors sentencepiece pyyaml
        fi
        log "converting to GGUF $t"
        PYTHONPATH="$LLAMA/gguf-py" "$WORK/venv/bin/python" "$LLAMA/convert_hf_to_gguf.py" "$MODEL" \
            --outtype "$t" --outfile "$WORK/model-$t.gguf.part" >"$WORK/convert-$t.log" 2>&1
        mv "$WORK/model-$t.gguf.part" "$WORK/model-$t.gguf"
    fi
done

# 3. Rounds: both engines in each, one after the other.
HAS_BF16=0
[ "$ISA" = native ] && grep -q avx512_bf16 /proc/cpuinfo && HAS_BF16=1
OUT=$WORK/$ISA
rm -rf "$OUT" && mkdir -p "$OUT"
for r in $(seq 1 "$REPEAT"); do
    log "round $r of $REPEAT: llama.cpp"
    models=$WORK/model-f32.gguf,$WORK/model-bf16.gguf,$WORK/model-q8_0.gguf
    "$LLAMA/$BUILD/bin/llama-bench" -m "$models" -t "$THREADS" -p 512 -n 64 -r 3 -o json \
        >"$OUT/round-$r-llama-bench.json" 2>"$WORK/llama-bench.log"
    for t in f32 bf16 q8_0; do
        "$LLAMA/$BUILD/bin/llama-batched-bench" -m "$WORK/model-$t.gguf" -c 2048 -b 2048 -ub 512 -npp 128 -ntg 64 \
            -npl 1,8 -t "$THREADS" -tb "$THREADS" --output-format jsonl 2>"$WORK/batched-bench.log" \
            | grep '^{' | sed "s/^{/{\"type\": \"$t\", /" >>"$OUT/round-$r-llama-batched.jsonl"
    done
    log "round $r of $REPEAT: safety-server"
    "$BIN" bench engine --formats f32,bf16,q8 --decode 64 --json "$OUT/round-$r-ours-f32.json" >&2
    if [ "$HAS_BF16" = 1 ]; then
        "$BIN" bench engine --formats bf16,q8 --decode 64 --matmul-precision bf16 \
            --json "$OUT/round-$r-ours-bf16.json" >&2
    fi
done
python3 tools/bench/side_by_side.py "$OUT" "llama-cpp-python $LLAMA_CPP_PYTHON, $ISA build"

#!/usr/bin/env bash
# Default model v8, from v3 in three steps (each resumable; rerun the same command after an interruption):
#   1. v6b: v3 grown to 8 layers, then one full-parameter SFT stage (tools/model/make-model-v6.sh with PLAIN=plain and
#      TRAIN_ONLY=1: the mixes below are what gets evaluated);
#   2. v7: every tensor (1 − 0.5)·grown v3 + 0.5·v6b (WiSE-FT weight-space interpolation, tools/model/interpolate.py);
#      the grown base computes exactly v3's logits, so v7 is v6b brought halfway back to v3;
#   3. v7b: one short full-parameter stage from v7 on every benign passage (CMRC2018 paragraphs, doctors' answers) and
#      every 4th line of v6b's data (tools/model/build_v7b_data.py; 458 steps, peak learning rate 1e-4), against v7's
#      false positives on long news reports;
#   4. v8: (1 − 0.5)·v7 + 0.5·v7b, evaluated on every set the installed model is measured on (held-out sources first).
# Run it with v3 in models/default (after make-model-v3.sh with INSTALL=v3): v6b grows from there. With INSTALL=v8 the
# model, the run records of its two trained stages and its evaluations are copied into models/default (only do so when
# it beats the model there on these evaluations).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/model/candidate-stage.sh

BIN=${BIN:-.build/release/safety-server}
V6B=${V6B:-.model-build-v6b}
V7=${V7:-.model-build-v7}
V7B=${V7B:-.model-build-v7b}
WORK=${WORK:-.model-build-v8}
TAG=${TAG:-v8}

[ -x "$BIN" ] || swift build -c release --product safety-server
if [ ! -f "$V6B/sft/model.safetensors" ]; then
    WORK="$V6B" TAG=v6b PLAIN=plain TRAIN_ONLY=1 bash tools/model/make-model-v6.sh
fi

# mix OUT A B: (1 − 0.5)·A + 0.5·B into OUT, once.
mix() {
    [ -f "$1/model.safetensors" ] && return 0
    echo "== mix: $1 = ½·$2 + ½·$3"
    python3 tools/model/interpolate.py "$2" "$3" 0.5 "$1.tmp"
    mv "$1.tmp" "$1"
}
mkdir -p "$V7" "$V7B" "$WORK"
mix "$V7/sft" "$V6B/base" "$V6B/sft"

if [ ! -f "$V7B/sft/model.safetensors" ]; then
    if [ ! -f "$V7B/train.jsonl" ]; then
        python3 tools/model/build_v7b_data.py "$BIN" data/corpus-v2/benign-passages.jsonl "$V6B/train.jsonl" "$V7B/train.jsonl.tmp" 4
        mv "$V7B/train.jsonl.tmp" "$V7B/train.jsonl"
        cp "$V6B/validation.jsonl" "$V7B/validation.jsonl"
    fi
    [ -f "$V7B/base/model.safetensors" ] || cp -r "$V7/sft" "$V7B/base"
    echo "== v7b: SFT from v7 on the benign passages and a quarter of v6b's data"
    (WORK="$V7B"; BATCH=16; LR=1e-4; EPOCHS=1; SEED=7; sft_stage 20 50)
fi

mix "$WORK/sft" "$V7/sft" "$V7B/sft"
cp "$V6B/sft/sft_run.json" "$WORK/training_run_v6b_stage1.json"
cp "$V7B/sft/sft_run.json" "$WORK/training_run_v7b_stage1.json"

echo "== evaluation of v8 on data it never trained on (the installed model's figures: models/default/eval_*.json)"
evaluate_default_sets

if [ "${INSTALL:-}" = "$TAG" ]; then
    echo "== installing $TAG into models/default"
    for f in config.json model.safetensors tokenizer.json tokenizer_config.json scoring_prompt.json; do cp "$WORK/sft/$f" models/default/$f; done
    cp "$WORK/training_run_v6b_stage1.json" "$WORK/training_run_v7b_stage1.json" models/default/
    for name in test probes holdout-ADDetector4J holdout-UHGEval everyday generated; do
        cp "$WORK/eval/$name-$TAG.json" "models/default/eval_$name.json"
    done
fi

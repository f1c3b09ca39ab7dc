#!/usr/bin/env bash
# Default model v5: one full-parameter SFT stage from v3 (models/default before v5) that
#   - teaches the personal-data decision to follow the evidence line: minimal pairs of each generated personal-data
#     text and its twin with invalid numbers, labelled clean, plus the look-alikes (tools/model/build_v4_data.py);
#   - covers the dimensions the public data leaves thin with texts written for the project (data/generated: political
#     and military, misinformation, commercial violations, violence and jailbreaks, illegal content and sensitive
#     words, each with hard negatives; every 5th text is the generated test split, never trained on);
#   - replays every REPLAY-th line of v3's training data so that what v3 learned stays
# (tools/model/build_v5_data.py). Then v5 is evaluated on the sets v3 was, plus the generated test split.
# Resumable: rerun the same command after an interruption. With INSTALL=v5 the model, its run record and its
# evaluations are copied into models/default (only do so when it beats the model there on these evaluations).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/model/candidate-stage.sh

BIN=${BIN:-.build/release/safety-server}
WORK=${WORK:-.model-build-v5}
BASE=${BASE:-models/default}
V3_TRAIN=${V3_TRAIN:-.model-build-v3/train.jsonl}
BATCH=${BATCH:-16}
LR=${LR:-1e-4}
EPOCHS=${EPOCHS:-1}
REPLAY=${REPLAY:-3}
SEED=${SEED:-5}
TAG=${TAG:-v5}

[ -x "$BIN" ] || swift build -c release --product safety-server
mkdir -p "$WORK"
if [ ! -f "$WORK/base/model.safetensors" ]; then
    mkdir -p "$WORK/base"
    for f in config.json model.safetensors tokenizer.json tokenizer_config.json scoring_prompt.json; do cp "$BASE/$f" "$WORK/base/$f"; done
fi
if [ ! -f "$V3_TRAIN" ]; then WORK=.model-build-v3 bash tools/model/make-model-v3.sh; fi
if [ ! -f "$WORK/train.jsonl" ]; then
    python3 tools/model/build_v4_data.py "$BIN" data/corpus-v2/train.jsonl "$V3_TRAIN" "$WORK/pairs.jsonl" 0
    python3 tools/model/build_v5_data.py "$BIN" "$V3_TRAIN" "$WORK/pairs.jsonl" "$WORK/train.jsonl" data/generated/test.jsonl "$REPLAY" 1
    awk 'NR % 4 == 0' data/corpus-v2/validation.jsonl > "$WORK/validation.jsonl"
fi

if [ ! -f "$WORK/sft/model.safetensors" ]; then
    echo "== 1/2 SFT from $BASE ($EPOCHS epoch(s), batch $BATCH, peak learning rate $LR)"
    sft_stage 30 100
fi

echo "== 2/2 evaluation of the candidate on data it never trained on (the installed model's figures: $BASE/eval_*.json)"
evaluate_sets test:data/corpus-v2/test.jsonl \
    probes:data/probes/probes.jsonl \
    holdout-ADDetector4J:data/corpus-v2/holdout-ADDetector4J.jsonl \
    holdout-UHGEval:data/corpus-v2/holdout-UHGEval.jsonl \
    everyday:data/corpus/everyday-test.jsonl \
    generated:data/generated/test.jsonl

install_if_asked test probes holdout-ADDetector4J holdout-UHGEval everyday generated

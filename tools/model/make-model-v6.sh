#!/usr/bin/env bash
# Default model v6: v3 grown from 4 to 8 layers (`safety-server model grow`: each layer followed by a copy of itself
# whose output projections are zero, so the grown model starts out computing exactly v3's logits), then one
# full-parameter SFT stage on
#   - v4c's data without its replay: minimal pairs for personal data, the look-alikes and the notices
#     (tools/model/build_v4_data.py … 0 notices);
#   - the texts written for the thin dimensions, once each (data/generated, its test split left out;
#     tools/model/build_v5_data.py);
#   - every REPLAY-th line of v3's training data, so that what v3 learned stays.
# v5 (the same data at 4 layers, generated texts twice, no notices) learned the thin dimensions' topics rather than the
# line between a violation and its look-alike; v6 measures whether twice the depth does better.
# v6b (WORK=.model-build-v6b TAG=v6b PLAIN=plain) is v6 with the generated reasonings' bare genre openers removed.
# Then v6 is evaluated on the sets v3 was (held-out sources first), plus the generated test split.
# Resumable: rerun the same command after an interruption. TRAIN_ONLY=1 stops after training. With INSTALL=v6 the model, its run record and its
# evaluations are copied into models/default (only do so when it beats the model there on these evaluations).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/model/candidate-stage.sh

BIN=${BIN:-.build/release/safety-server}
WORK=${WORK:-.model-build-v6}
BASE=${BASE:-models/default}
V3_TRAIN=${V3_TRAIN:-.model-build-v3/train.jsonl}
BATCH=${BATCH:-16}
LR=${LR:-2e-4}
EPOCHS=${EPOCHS:-1}
REPLAY=${REPLAY:-2}
COPIES=${COPIES:-1}
GROW=${GROW:-2}
PLAIN=${PLAIN:-}          # "plain": generated reasonings lose a bare genre opener (tools/model/build_v5_data.py); v6b
SEED=${SEED:-6}
TAG=${TAG:-v6}

[ -x "$BIN" ] || swift build -c release --product safety-server
mkdir -p "$WORK"
if [ ! -f "$WORK/base/model.safetensors" ]; then
    "$BIN" model grow --model "$BASE" --out "$WORK/base" --factor "$GROW"
fi
if [ ! -f "$V3_TRAIN" ]; then WORK=.model-build-v3 bash tools/model/make-model-v3.sh; fi
if [ ! -f "$WORK/train.jsonl" ]; then
    python3 tools/model/build_v4_data.py "$BIN" data/corpus-v2/train.jsonl "$V3_TRAIN" "$WORK/pairs.jsonl" 0 notices
    python3 tools/model/build_v5_data.py "$BIN" "$V3_TRAIN" "$WORK/pairs.jsonl" "$WORK/train.jsonl.tmp" \
        "$WORK/generated-test.jsonl" "$REPLAY" 1 "$COPIES" $PLAIN
    cmp -s "$WORK/generated-test.jsonl" data/generated/test.jsonl || { echo "generated test split differs from data/generated/test.jsonl" >&2; exit 1; }
    mv "$WORK/train.jsonl.tmp" "$WORK/train.jsonl"
    awk 'NR % 4 == 0' data/corpus-v2/validation.jsonl > "$WORK/validation.jsonl"
fi

if [ ! -f "$WORK/sft/model.safetensors" ]; then
    echo "== 1/2 SFT from $BASE grown ×$GROW in depth ($EPOCHS epoch(s), batch $BATCH, peak learning rate $LR)"
    sft_stage 40 50
fi
[ "${TRAIN_ONLY:-}" = 1 ] && exit 0   # make-model-v8.sh: train only, the mix is what gets evaluated

echo "== 2/2 evaluation of the candidate on data it never trained on (the installed model's figures: $BASE/eval_*.json)"
evaluate_default_sets

install_if_asked test probes holdout-ADDetector4J holdout-UHGEval everyday generated

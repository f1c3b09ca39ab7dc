#!/usr/bin/env bash
# Default model v4: one short full-parameter SFT stage from v3 (models/default) on minimal pairs, so that the
# personal-data decision follows the evidence line: each generated personal-data text next to its twin with the numbers
# made invalid (labelled clean), the existing look-alikes, and every REPLAY-th line of v3's training data
# (tools/model/build_v4_data.py). The shipped run: WORK=.model-build-v4b REPLAY=4 TAG=v4b. Then v4 is evaluated on the sets v3 was (test
# split, probes, the two held-out sources, everyday statements).
# Resumable: rerun the same command after an interruption. With INSTALL=v4 the model, its run record and its evaluations
# are copied into models/default (only do so when it beats the model there on these evaluations).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/model/candidate-stage.sh

BIN=${BIN:-.build/release/safety-server}
WORK=${WORK:-.model-build-v4}
BASE=${BASE:-models/default}
V3_TRAIN=${V3_TRAIN:-.model-build-v3/train.jsonl}
BATCH=${BATCH:-16}
LR=${LR:-1e-4}
REPLAY=${REPLAY:-8}
SEED=${SEED:-4}
EPOCHS=${EPOCHS:-1}
TAG=${TAG:-v4}

[ -x "$BIN" ] || swift build -c release --product safety-server
mkdir -p "$WORK"
if [ ! -f "$WORK/base/model.safetensors" ]; then
    mkdir -p "$WORK/base"
    for f in config.json model.safetensors tokenizer.json tokenizer_config.json scoring_prompt.json; do cp "$BASE/$f" "$WORK/base/$f"; done
fi
if [ ! -f "$V3_TRAIN" ]; then WORK=.model-build-v3 bash tools/model/make-model-v3.sh; fi
if [ ! -f "$WORK/train.jsonl" ]; then
    python3 tools/model/build_v4_data.py "$BIN" data/corpus-v2/train.jsonl "$V3_TRAIN" "$WORK/train.jsonl" "$REPLAY" ${NOTICES:+notices}
    awk 'NR % 4 == 0' data/corpus-v2/validation.jsonl > "$WORK/validation.jsonl"
fi

if [ ! -f "$WORK/sft/model.safetensors" ]; then
    echo "== 1/2 SFT from $BASE on minimal pairs (1 epoch, batch $BATCH, peak learning rate $LR)"
    sft_stage 20 50
fi

echo "== 2/2 evaluation of the candidate on data it never trained on (v3's figures are in $BASE/eval_*.json)"
evaluate_sets test:data/corpus-v2/test.jsonl \
    probes:data/probes/probes.jsonl \
    holdout-ADDetector4J:data/corpus-v2/holdout-ADDetector4J.jsonl \
    holdout-UHGEval:data/corpus-v2/holdout-UHGEval.jsonl \
    everyday:data/corpus/everyday-test.jsonl

install_if_asked test probes holdout-ADDetector4J holdout-UHGEval everyday

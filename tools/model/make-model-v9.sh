#!/usr/bin/env bash
# Candidate v9, from v8 (each step resumable; rerun the same command after an interruption). Measured and NOT shipped:
# it did not beat v8 (models/default/README.md, "Evidence for chat-group spam"); this is the last of four tries, the
# others differing only in the mix of build_v9_data.py's arguments and synth_ads.py's look-alike targets.
#   1. the written ad registers and look-alikes (tools/corpus/synth_ads.py → data/generated/ads-train.jsonl);
#   2. v9a: one short full-parameter stage from v8 on them, 2,000 real benign texts of at most 30 characters from
#      corpus v2's training split, every 5th benign passage and every 4th line of v6b's data, every claim of evidence
#      recomputed with the current evidence stage (tools/model/build_v9_data.py; peak learning rate 1e-4, as v7b);
#   3. v9 = v9a (ALPHA=1, the default), or (1 − ALPHA)·v8 + ALPHA·v9a (tools/model/interpolate.py) for another ALPHA,
#      evaluated on every set the installed model is measured on plus the written ad registers' test split (held-out
#      templates). Unlike v7 and v8, the halfway mix is worse than both ends here: it flagged 22.1% of the held-out
#      real chat messages (v8 3.0%, v9a 3.5%) and 30.2% of the generated split's clean texts.
# Run it with v8 in models/default and v6b's training data in $V6B (tools/model/make-model-v8.sh). With INSTALL=v9 the
# model, its stage's run record and its evaluations are copied into models/default (only do so when it beats the
# model there on these evaluations).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/model/candidate-stage.sh

BIN=${BIN:-.build/release/safety-server}
V6B=${V6B:-.model-build-v6b}
V9A=${V9A:-.model-build-v9a}
WORK=${WORK:-.model-build-v9}
ALPHA=${ALPHA:-1}
TAG=${TAG:-v9}

[ -x "$BIN" ] || swift build -c release --product safety-server
[ -f "$V6B/train.jsonl" ] || { echo "v6b's training data is missing: run tools/model/make-model-v8.sh first" >&2; exit 1; }
[ -f data/generated/ads-train.jsonl ] || python3 tools/corpus/synth_ads.py data/generated

mkdir -p "$V9A" "$WORK"
if [ ! -f "$V9A/sft/model.safetensors" ]; then
    if [ ! -f "$V9A/base/model.safetensors" ]; then
        mkdir -p "$V9A/base.tmp"
        for f in config.json model.safetensors tokenizer.json tokenizer_config.json scoring_prompt.json; do
            cp models/default/$f "$V9A/base.tmp/$f"
        done
        mv "$V9A/base.tmp" "$V9A/base"
    fi
    if [ ! -f "$V9A/train.jsonl" ]; then
        python3 tools/model/build_v9_data.py "$BIN" data/generated/ads-train.jsonl data/corpus-v2/benign-passages.jsonl \
            "$V6B/train.jsonl" data/corpus-v2/train.jsonl "$V9A/train.jsonl.tmp" 5 4 2000
        mv "$V9A/train.jsonl.tmp" "$V9A/train.jsonl"
        cp "$V6B/validation.jsonl" "$V9A/validation.jsonl"
    fi
    echo "== v9a: SFT from v8 on the ad registers, short real benign texts, a fifth of the passages, a quarter of v6b's data"
    (WORK="$V9A"; BATCH=16; LR=1e-4; EPOCHS=1; SEED=9; sft_stage 20 50)
fi

if [ ! -f "$WORK/sft/model.safetensors" ]; then
    if [ "$ALPHA" = 1 ]; then
        echo "== v9 = v9a"
        rm -rf "$WORK/sft.tmp" && cp -r "$V9A/sft" "$WORK/sft.tmp"
    else
        echo "== mix: v9 = (1 − $ALPHA)·v8 + $ALPHA·v9a"
        python3 tools/model/interpolate.py "$V9A/base" "$V9A/sft" "$ALPHA" "$WORK/sft.tmp"
    fi
    mv "$WORK/sft.tmp" "$WORK/sft"
fi
cp "$V9A/sft/sft_run.json" "$WORK/training_run_v9a_stage1.json"

echo "== evaluation of v9 on data it never trained on (the installed model's figures: models/default/eval_*.json)"
evaluate_default_sets
evaluate_sets ads:data/generated/ads-test.jsonl

if [ "${INSTALL:-}" = "$TAG" ]; then
    echo "== installing $TAG into models/default"
    for f in config.json model.safetensors tokenizer.json tokenizer_config.json scoring_prompt.json; do cp "$WORK/sft/$f" models/default/$f; done
    cp "$WORK/training_run_v9a_stage1.json" models/default/
    for name in test probes holdout-ADDetector4J holdout-UHGEval everyday generated ads; do
        cp "$WORK/eval/$name-$TAG.json" "models/default/eval_$name.json"
    done
fi

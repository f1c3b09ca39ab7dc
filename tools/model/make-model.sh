#!/usr/bin/env bash
# Reproduces the default model v1 (into .model-build/v1; v2, the embedded models/default, continues it: make-model-v2.sh)
# from the seed corpus in data/corpus:
#   1. a byte-level BPE tokenizer trained on the corpus texts and answers,
#   2. a freshly initialised Qwen2-architecture model sized to it,
#   3. full-parameter SFT on the training split (resumable: rerun the same command after an interruption),
#   4. a second, short SFT stage on synthetic everyday statements (data/corpus/everyday-train.jsonl, the benign
#      counterpart the public data lacks) mixed with every 5th line of the training split, so the model keeps what
#      stage 3 taught,
#   5. the BF16 model folder, and its evaluation on the held-out test split and the everyday test statements.
# Every step's output lives under $WORK; a step whose output exists is skipped, so the script resumes where it stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${BIN:-.build/release/safety-server}
WORK=${WORK:-.model-build}
OUT=${OUT:-.model-build/v1}
VOCAB=${VOCAB:-12000}
HIDDEN=${HIDDEN:-256}
LAYERS=${LAYERS:-4}
HEADS=${HEADS:-4}
KV_HEADS=${KV_HEADS:-2}
INTERMEDIATE=${INTERMEDIATE:-768}
EPOCHS=${EPOCHS:-3}
BATCH=${BATCH:-16}
LR=${LR:-1e-3}
WARMUP=${WARMUP:-200}
SEED=${SEED:-1}
PROMPT=tools/model/scoring_prompt.json

[ -x "$BIN" ] || swift build -c release --product safety-server
mkdir -p "$WORK"

if [ ! -f "$WORK/tokenizer/tokenizer.json" ]; then
    echo "== 1/5 tokenizer (vocabulary $VOCAB)"
    "$BIN" tokenizer train --data data/corpus/train.jsonl --completions --prompt "$PROMPT" --vocab-size "$VOCAB" --out "$WORK/tokenizer"
fi

if [ ! -f "$WORK/init/model.safetensors" ]; then
    echo "== 2/5 initial weights"
    "$BIN" model init --tokenizer "$WORK/tokenizer" --prompt "$PROMPT" --hidden "$HIDDEN" --layers "$LAYERS" --heads "$HEADS" \
        --kv-heads "$KV_HEADS" --intermediate "$INTERMEDIATE" --seed "$SEED" --out "$WORK/init"
fi

if [ ! -f "$WORK/sft/model.safetensors" ]; then
    echo "== 3/5 SFT ($EPOCHS epochs, batch $BATCH, peak learning rate $LR)"
    RESUME=()
    if [ -d "$WORK/checkpoints/latest" ] || [ -d "$WORK/checkpoints/latest.old" ]; then RESUME=(--resume); fi
    "$BIN" train sft --full --model "$WORK/init" --data data/corpus/train.jsonl --validation data/corpus/validation.jsonl \
        --epochs "$EPOCHS" --batch-size "$BATCH" --learning-rate "$LR" --warmup "$WARMUP" --schedule cosine --min-lr-ratio 0.05 \
        --weight-decay 0.01 --validate-every 1000 --seed "$SEED" --save-dtype bf16 \
        --checkpoint-dir "$WORK/checkpoints" --checkpoint-every 200 "${RESUME[@]}" --out "$WORK/sft" > "$WORK/sft_summary.json"
fi

if [ ! -f "$WORK/sft2/model.safetensors" ]; then
    echo "== 4/5 SFT stage 2 (everyday statements + every 5th training line, 1 epoch)"
    { cat data/corpus/everyday-train.jsonl; awk 'NR % 5 == 0' data/corpus/train.jsonl; } >"$WORK/stage2.jsonl"
    RESUME=()
    if [ -d "$WORK/checkpoints2/latest" ] || [ -d "$WORK/checkpoints2/latest.old" ]; then RESUME=(--resume); fi
    "$BIN" train sft --full --model "$WORK/sft" --data "$WORK/stage2.jsonl" --validation data/corpus/validation.jsonl \
        --epochs 1 --batch-size "$BATCH" --learning-rate "${LR2:-3e-4}" --warmup 20 --schedule cosine --min-lr-ratio 0.1 \
        --weight-decay 0.01 --validate-every 100000 --seed "$SEED" --save-dtype bf16 \
        --checkpoint-dir "$WORK/checkpoints2" --checkpoint-every 100 "${RESUME[@]}" --out "$WORK/sft2" > "$WORK/sft2_summary.json"
fi

echo "== 5/5 model folder $OUT and its evaluation"
mkdir -p "$OUT"
for f in config.json model.safetensors tokenizer.json tokenizer_config.json scoring_prompt.json; do
    cp "$WORK/sft2/$f" "$OUT/$f"
done
cp "$WORK/sft/sft_run.json" "$OUT/training_run_v1_stage1.json"
cp "$WORK/sft2/sft_run.json" "$OUT/training_run_v1_stage2.json"
"$BIN" eval --model "$OUT" --data data/corpus/test.jsonl --json "$OUT/eval_test.json" --predictions "$WORK/test_predictions.jsonl"
"$BIN" eval --model "$OUT" --data data/corpus/everyday-test.jsonl --json "$OUT/eval_everyday.json"

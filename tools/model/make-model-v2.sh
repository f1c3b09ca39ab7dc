#!/usr/bin/env bash
# Default model v2: continues the v1 model (models/default, same tokenizer and shape) with full-parameter SFT on
# corpus v2 (data/corpus-v2: v1's texts plus MultiJail, AISafetyLab, CFEVER, real benign bulk, generated PII and
# spam with look-alikes) and v1's everyday statements, then evaluates v1 and v2 side by side on the v2 test split,
# the probe set and the two held-out sources. Resumable: rerun the same command after an interruption.
# Run `make model` (v1, into .model-build/v1) first. With INSTALL=1 the stage-2 model, its run records and its
# evaluations are copied into models/default (do that only when it beats the model there on these evaluations).
[ -f "$BASE/model.safetensors" ] || { echo "no v1 model in $BASE: run tools/model/make-model.sh first (or set BASE)" >&2; exit 1; }
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${BIN:-.build/release/safety-server}
WORK=${WORK:-.model-build-v2}
BASE=${BASE:-.model-build/v1}
EPOCHS=${EPOCHS:-1}
BATCH=${BATCH:-16}
LR=${LR:-5e-4}
WARMUP=${WARMUP:-100}
SEED=${SEED:-2}

[ -x "$BIN" ] || swift build -c release --product safety-server
mkdir -p "$WORK"

# Every text v2 adds, a third of v1's training texts (v1 already learned them; the third keeps them in mind) and the
# everyday statements; a quarter of the v2 validation split.
V1_SHARE=${V1_SHARE:-3}
if [ ! -f "$WORK/train.jsonl" ]; then
    python3 - "$V1_SHARE" "$WORK/train.jsonl" <<'PY'
import json, sys
share, out = int(sys.argv[1]), sys.argv[2]
v1 = {json.loads(l)["id"] for l in open("data/corpus/train.jsonl", encoding="utf-8")}
kept = 0
with open(out, "w", encoding="utf-8") as f:
    for i, line in enumerate(open("data/corpus-v2/train.jsonl", encoding="utf-8")):
        if json.loads(line)["id"] not in v1 or i % share == 0:
            f.write(line); kept += 1
    for line in open("data/corpus/everyday-train.jsonl", encoding="utf-8"):
        f.write(line); kept += 1
print(f"{kept} training lines", file=sys.stderr)
PY
    awk 'NR % 4 == 0' data/corpus-v2/validation.jsonl > "$WORK/validation.jsonl"
fi

if [ ! -f "$WORK/sft/model.safetensors" ]; then
    echo "== 1/2 SFT from $BASE ($EPOCHS epoch(s), batch $BATCH, peak learning rate $LR)"
    RESUME=()
    if [ -d "$WORK/checkpoints/latest" ] || [ -d "$WORK/checkpoints/latest.old" ]; then RESUME=(--resume); fi
    "$BIN" train sft --full --model "$BASE" --data "$WORK/train.jsonl" --validation "$WORK/validation.jsonl" \
        --epochs "$EPOCHS" --batch-size "$BATCH" --learning-rate "$LR" --warmup "$WARMUP" --schedule cosine --min-lr-ratio 0.05 \
        --weight-decay 0.01 --validate-every 1000 --seed "$SEED" --save-dtype bf16 \
        --checkpoint-dir "$WORK/checkpoints" --checkpoint-every 200 "${RESUME[@]}" --out "$WORK/sft" > "$WORK/sft_summary.json"
fi

# Stage 2: formal long-form benign text (encyclopaedia paragraphs, doctors' answers: data/corpus-v2/benign-passages.jsonl,
# written by tools/corpus/build_passages.py) with every 6th line of stage 1's data, so the model stops reading news-like
# prose as a violation while keeping what stage 1 taught.
if [ ! -f "$WORK/sft2/model.safetensors" ]; then
    echo "== 1b/2 SFT stage 2 (benign passages + every 6th stage-1 line, 1 epoch)"
    { cat data/corpus-v2/benign-passages.jsonl; awk 'NR % 6 == 0' "$WORK/train.jsonl"; } > "$WORK/stage2.jsonl"
    RESUME=()
    if [ -d "$WORK/checkpoints2/latest" ] || [ -d "$WORK/checkpoints2/latest.old" ]; then RESUME=(--resume); fi
    "$BIN" train sft --full --model "$WORK/sft" --data "$WORK/stage2.jsonl" --validation "$WORK/validation.jsonl" \
        --epochs 1 --batch-size "$BATCH" --learning-rate "${LR2:-2e-4}" --warmup 20 --schedule cosine --min-lr-ratio 0.1 \
        --weight-decay 0.01 --validate-every 100000 --seed "$SEED" --save-dtype bf16 \
        --checkpoint-dir "$WORK/checkpoints2" --checkpoint-every 100 "${RESUME[@]}" --out "$WORK/sft2" > "$WORK/sft2_summary.json"
fi

echo "== 2/2 evaluation of $BASE (v1) and the candidate on data v1 never trained on"
mkdir -p "$WORK/eval"
for set in test:data/corpus-v2/test.jsonl probes:data/probes/probes.jsonl holdout-ADDetector4J:data/corpus-v2/holdout-ADDetector4J.jsonl \
           holdout-UHGEval:data/corpus-v2/holdout-UHGEval.jsonl everyday:data/corpus/everyday-test.jsonl; do
    name=${set%%:*}; file=${set#*:}
    for m in v1:"$BASE" v2:"$WORK/sft" v2b:"$WORK/sft2"; do
        tag=${m%%:*}; dir=${m#*:}
        [ -f "$WORK/eval/$name-$tag.json" ] && continue
        "$BIN" eval --model "$dir" --data "$file" --json "$WORK/eval/$name-$tag.json" --predictions "$WORK/eval/$name-$tag.predictions.jsonl"
    done
done

if [ "${INSTALL:-0}" = 1 ]; then
    echo "== installing the stage-2 model into models/default"
    for f in config.json model.safetensors tokenizer.json tokenizer_config.json scoring_prompt.json; do cp "$WORK/sft2/$f" models/default/$f; done
    cp "$WORK/sft/sft_run.json" models/default/training_run_v2_stage1.json
    cp "$WORK/sft2/sft_run.json" models/default/training_run_v2_stage2.json
    for name in test probes holdout-ADDetector4J holdout-UHGEval everyday; do cp "$WORK/eval/$name-v2b.json" "models/default/eval_$name.json"; done
fi

# Shared steps of the candidate recipes (make-model-v4.sh, -v5.sh, -v6.sh), sourced after they set BIN, WORK, BASE,
# BATCH, LR, EPOCHS, SEED and TAG: one resumable full-parameter SFT stage, the evaluation on every set the shipped model
# is measured on, and the optional install into models/default.

# sft_stage WARMUP CHECKPOINT_EVERY: one full-parameter SFT stage from $WORK/base on $WORK/train.jsonl into $WORK/sft,
# resuming from $WORK/checkpoints after an interruption.
sft_stage() {
    local warmup=$1 every=$2
    [ -f "$WORK/sft/model.safetensors" ] && return 0
    local resume=()
    if [ -d "$WORK/checkpoints/latest" ] || [ -d "$WORK/checkpoints/latest.old" ]; then resume=(--resume); fi
    "$BIN" train sft --full --model "$WORK/base" --data "$WORK/train.jsonl" --validation "$WORK/validation.jsonl" \
        --epochs "$EPOCHS" --batch-size "$BATCH" --learning-rate "$LR" --warmup "$warmup" --schedule cosine --min-lr-ratio 0.1 \
        --weight-decay 0.01 --validate-every 100000 --seed "$SEED" --save-dtype bf16 \
        --checkpoint-dir "$WORK/checkpoints" --checkpoint-every "$every" "${resume[@]}" --out "$WORK/sft" > "$WORK/sft_summary.json"
}

# evaluate_sets NAME:FILE…: `safety-server eval` of $WORK/sft on each set, in the order given, skipping reports that
# exist; reports in $WORK/eval/NAME-$TAG.json with per-text predictions beside them.
evaluate_sets() {
    mkdir -p "$WORK/eval"
    local set name file
    for set in "$@"; do
        name=${set%%:*}; file=${set#*:}
        [ -f "$WORK/eval/$name-$TAG.json" ] && continue
        "$BIN" eval --model "$WORK/sft" --data "$file" --json "$WORK/eval/$name-$TAG.json" --predictions "$WORK/eval/$name-$TAG.predictions.jsonl"
    done
}

# evaluate_default_sets: evaluate_sets over every set the installed model is measured on, the sources held out of
# training first.
evaluate_default_sets() {
    evaluate_sets holdout-UHGEval:data/corpus-v2/holdout-UHGEval.jsonl \
        holdout-ADDetector4J:data/corpus-v2/holdout-ADDetector4J.jsonl \
        probes:data/probes/probes.jsonl \
        generated:data/generated/test.jsonl \
        everyday:data/corpus/everyday-test.jsonl \
        test:data/corpus-v2/test.jsonl
}

# install_if_asked NAME…: with INSTALL=$TAG, copy the model, its run record and the named evaluations into
# models/default (only when it beats the model there on them).
install_if_asked() {
    [ "${INSTALL:-}" = "$TAG" ] || return 0
    echo "== installing $TAG into models/default"
    local f name
    for f in config.json model.safetensors tokenizer.json tokenizer_config.json scoring_prompt.json; do cp "$WORK/sft/$f" models/default/$f; done
    cp "$WORK/sft/sft_run.json" "models/default/training_run_$TAG.json"
    for name in "$@"; do cp "$WORK/eval/$name-$TAG.json" "models/default/eval_$name.json"; done
}

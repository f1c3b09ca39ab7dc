#!/usr/bin/env python3
"""GRPO with TRL on the server's exported retrain data, with the project's own reward, writing a PEFT LoRA adapter the
server imports (`POST /v1/admin/adapters`) and gates before it may serve.

    safety-server export trl --database var/safety.sqlite --model models/default --out export/
    python3 -m venv .venv-trl && .venv-trl/bin/pip install -r tools/trl/requirements.txt
    .venv-trl/bin/python tools/trl/train_grpo.py --export export/ --model models/default --out adapters-trl/v1
    curl -s localhost:8080/v1/admin/adapters -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\
         -d '{"path": "'$PWD'/adapters-trl/v1", "label": "TRL GRPO"}'

The defaults mirror the server's retrain (Sources/Training/Loop/RetrainConfig.swift): Dr. GRPO (no std scaling,
token-sum loss over a constant), 4 completions per prompt, ε 0.2 / 0.28, β 0 (no reference model), temperature 1,
512 new tokens, LoRA r 16 / alpha 32 on all seven projections. The reward is scoring_reward.py, the Python port of the
Swift reward with the weights from the export's manifest.json and its TF-IDF corpus (reward_corpus.json);
Tests/Fixtures/reward/reward-parity.json proves the port gives the Swift values. The prompts are the scorer's own
ChatML input (`prompt` in grpo.jsonl), so the adapter learns on what it will be served.

Train on the GPU where there is one (`--bf16` on Ampere or newer). `--model` is the served base model folder (a Hugging
Face Qwen2 checkpoint): an adapter only fits the model it was trained on, and the server checks every tensor's shape.
"""
import argparse
import dataclasses
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import scoring_reward as R  # noqa: E402

PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--export", required=True, help="folder written by `safety-server export trl`")
    p.add_argument("--model", required=True, help="the served base model folder (Hugging Face layout)")
    p.add_argument("--out", required=True, help="folder for the PEFT adapter")
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--alpha", type=float, default=32)
    p.add_argument("--epochs", type=float, default=1)
    p.add_argument("--max-steps", type=int, default=-1)
    p.add_argument("--learning-rate", type=float, default=5e-5)
    p.add_argument("--num-generations", type=int, default=4)
    p.add_argument("--prompts-per-step", type=int, default=4, help="distinct prompts per optimiser step")
    p.add_argument("--max-completion-length", type=int, default=512)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--beta", type=float, default=0.0, help="KL weight to the adapter-off policy (0: none)")
    p.add_argument("--loss-type", default="dr_grpo", choices=["dr_grpo", "grpo", "dapo"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--cpu", action="store_true", help="force the CPU")
    return p.parse_args(argv)


def load_export(folder: Path):
    """The manifest, the reward (weights and TF-IDF fitted as the server fits them) and the GRPO prompts."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != "safety-server export trl":
        raise SystemExit(f"{folder}/manifest.json is not a `safety-server export trl` manifest")
    config = R.RewardConfig.from_json(manifest["reward"])
    corpus = json.loads((folder / manifest["reward_corpus"]).read_text(encoding="utf-8"))
    return manifest, config, R.CharNGramTFIDF(corpus)


def make_reward(config: R.RewardConfig, similarity: R.CharNGramTFIDF):
    """TRL calls it with the generated completions and the dataset's other columns (`scores`, `reasoning`) as lists."""

    def scoring_reward(prompts, completions, scores, reasoning, **kwargs):
        return [R.reward(c, s, r, config, similarity).total for c, s, r in zip(completions, scores, reasoning)]

    scoring_reward.__name__ = "scoring_reward"
    return scoring_reward


def grpo_config(args, fields):
    """Only the keys this TRL version has (names moved between releases)."""
    wanted = dict(
        output_dir=str(Path(args.out) / "checkpoints"),
        per_device_train_batch_size=args.prompts_per_step * args.num_generations,
        num_generations=args.num_generations,
        max_completion_length=args.max_completion_length,
        temperature=args.temperature,
        loss_type=args.loss_type,
        beta=args.beta,
        epsilon=0.2,
        epsilon_high=0.28,
        learning_rate=args.learning_rate,
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        seed=args.seed,
        bf16=args.bf16,
        use_cpu=args.cpu,
        remove_unused_columns=False,
    )
    # Dr. GRPO: advantages are r − mean(r), not divided by the group's std (boolean before TRL 0.22, a string after).
    if "scale_rewards" in fields:
        default = fields["scale_rewards"].default
        wanted["scale_rewards"] = "none" if isinstance(default, str) else False
    return {k: v for k, v in wanted.items() if k in fields}


def save_prompt(manifest, out: Path):
    """scoring_prompt.json as the server writes it: the server refuses an adapter trained under another prompt."""
    prompt = dict(manifest["prompt"])
    doc = {"system": prompt["system"], "user": prompt["user"], "version": prompt["version"]}
    if prompt.get("evidence"):
        doc["evidence"] = True
    (out / "scoring_prompt.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")


def main(argv=None):
    args = parse_args(argv)
    export, out = Path(args.export), Path(args.out)
    manifest, config, similarity = load_export(export)

    from datasets import load_dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    dataset = load_dataset("json", data_files={"grpo": str(export / manifest["files"]["grpo"]["path"])})["grpo"]
    dataset = dataset.remove_columns([c for c in dataset.column_names if c not in ("prompt", "scores", "reasoning")])
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model)
    lora = LoraConfig(r=args.rank, lora_alpha=args.alpha, target_modules=PROJECTIONS, lora_dropout=0.0, bias="none",
                      task_type="CAUSAL_LM")
    fields = {f.name: f for f in dataclasses.fields(GRPOConfig)}
    trainer = GRPOTrainer(model=model, reward_funcs=make_reward(config, similarity), args=GRPOConfig(**grpo_config(args, fields)),
                          train_dataset=dataset, processing_class=tokenizer, peft_config=lora)
    trainer.train()
    out.mkdir(parents=True, exist_ok=True)
    trainer.model.save_pretrained(str(out))  # adapter_config.json + adapter_model.safetensors
    save_prompt(manifest, out)
    print(f"wrote {out}: import it with POST /v1/admin/adapters {{\"path\": \"{out.resolve()}\", \"label\": ...}}")


if __name__ == "__main__":
    main()

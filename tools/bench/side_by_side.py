"""Table of `tools/bench/llama-cpp-side-by-side.sh`'s rounds: medians and ranges over the rounds, ours / llama.cpp.

    python3 tools/bench/side_by_side.py WORK [LABEL]

WORK holds, per round r: round-r-llama-bench.json (llama-bench -o json), round-r-llama-batched.jsonl
(llama-batched-bench --output-format jsonl, one line per batch, "type" added), round-r-ours-f32.json and, where the
CPU has AVX512-BF16, round-r-ours-bf16.json (`safety-server bench engine --json`). Standard library only.
"""
import glob
import json
import os
import statistics
import sys

work = sys.argv[1]
label = sys.argv[2] if len(sys.argv) > 2 else "llama.cpp"
rounds = sorted({int(os.path.basename(p).split("-")[1]) for p in glob.glob(os.path.join(work, "round-*-*"))})
if not rounds:
    sys.exit(f"no rounds in {work}")

# figures[(engine, weights)][measure] = [one value per round]
figures: dict = {}


def add(engine, weights, measure, value):
    figures.setdefault((engine, weights), {}).setdefault(measure, []).append(value)


host = commit = cpu = None
llama_weights = {"F32": "f32", "BF16": "bf16", "Q8_0": "q8"}
for r in rounds:
    with open(os.path.join(work, f"round-{r}-llama-bench.json")) as f:
        for row in json.load(f):
            w = llama_weights[row["model_type"].split()[-1]]
            commit, cpu = row["build_commit"], row["cpu_info"]
            if row["n_prompt"] and not row["n_gen"]:
                add("llama.cpp", w, "prefill", row["avg_ts"])
            elif row["n_gen"] and not row["n_prompt"]:
                add("llama.cpp", w, "tg64", row["avg_ts"])
    with open(os.path.join(work, f"round-{r}-llama-batched.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            add("llama.cpp", {"q8_0": "q8"}.get(row["type"], row["type"]), f"b{row['pl']}", row["speed_tg"])
    for products in ("f32", "bf16"):
        path = os.path.join(work, f"round-{r}-ours-{products}.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            rep = json.load(f)
        h = rep["host"]
        host = f"{h['cpuModel']}, kernels {h['isa']}{', AVX512-BF16' if h['avx512bf16'] else ''}, {rep['threads']} threads"
        for fig in rep["figures"]:
            engine = f"safety-server, {products} products"
            add(engine, fig["format"], "prefill", fig["prefillTokensPerSecond"])
            for d in fig["decode"]:
                add(engine, fig["format"], f"b{d['batch']}", d["tokensPerSecond"])


def cell(values):
    if not values:
        return "—"
    m = statistics.median(values)
    return f"{m:.1f} ({min(values):.1f}–{max(values):.1f})" if len(values) > 1 else f"{m:.1f}"


def ratio(ours, theirs):
    if not ours or not theirs:
        return "—"
    return f"{statistics.median(ours) / statistics.median(theirs):.2f}×"


build = f"llama.cpp {commit} ({label})" if commit and commit != "unknown" else f"llama.cpp of {label}"
print(f"\nHost: {host}; {build}, CPU {cpu}. {len(rounds)} round(s), engines one after the other.")
print("Tokens/s, median (range) over the rounds. Decode: 64 steps after a 128-token context (llama-batched-bench, our")
print("bench engine); llama.cpp's tg64 (llama-bench, empty context) for reference.\n")
print("| weights | engine | prefill 512 | decode batch 1 | decode batch 8 | llama-bench tg64 |")
print("|---|---|---:|---:|---:|---:|")
names = {"f32": "F32", "bf16": "BF16", "q8": "8-bit (Q8_0 / q8)"}
engines = ["llama.cpp", "safety-server, f32 products", "safety-server, bf16 products"]
for w in ("f32", "bf16", "q8"):
    for e in engines:
        fg = figures.get((e, w))
        if not fg:
            continue
        print(f"| {names[w]} | {e} | {cell(fg.get('prefill'))} | {cell(fg.get('b1'))} | {cell(fg.get('b8'))} | "
              f"{cell(fg.get('tg64'))} |")
print("\nRatios, ours / llama.cpp at the same weight width (medians):\n")
print("| weights | products | prefill 512 | decode batch 1 | decode batch 8 |")
print("|---|---|---:|---:|---:|")
for w in ("f32", "bf16", "q8"):
    theirs = figures.get(("llama.cpp", w), {})
    for e in engines[1:]:
        ours = figures.get((e, w))
        if not ours:
            continue
        print(f"| {names[w]} | {e.split(', ')[1]} | {ratio(ours.get('prefill'), theirs.get('prefill'))} | "
              f"{ratio(ours.get('b1'), theirs.get('b1'))} | {ratio(ours.get('b8'), theirs.get('b8'))} |")

#!/usr/bin/env python3
"""Prints models side by side from the eval reports tools/model/make-model-v2.sh … make-model-v5.sh write (one
table per evaluation set: text-level accuracy, precision, recall, F1, MAE, quote grounding, and per-dimension F1), as
Markdown. Reports are `{set}-{model}.json` in the folders given (v1, v2, v2b, v3, v3b, v3g, v4, v4b, v4c, v4cg, v5, v5b, v6, v6b, v6c, v7, v7b, v8, v9, in that order; a trailing g marks a run with grounded reasoning where the model's own tag predates it).

    python3 tools/model/compare_evals.py .model-build-v2/eval .model-build-v3/eval
"""
import json, os, sys

SETS = [("test", "corpus v2 test split"), ("probes", "hand-written probes"),
        ("holdout-ADDetector4J", "held-out source: real QQ-group ads and chat"),
        ("holdout-UHGEval", "held-out source: real vs fabricated news"), ("everyday", "everyday statements (v1's test)"), ("generated", "generated test split (texts written for the project, never trained on)"),
        ("ads", "written group-chat ad registers, test templates (never trained on)")]


def prf(c):
    tp, fp, fn, tn = c["truePositives"], c["falsePositives"], c["falseNegatives"], c["trueNegatives"]
    n = tp + fp + fn + tn
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * p * r / (p + r) if p and r else None
    return (tp + tn) / n if n else None, p, r, f, fp / (fp + tn) if fp + tn else None


def pct(x):
    return "–" if x is None else f"{x * 100:.1f}%"


def main():
    folders = sys.argv[1:] or [".model-build-v2/eval"]
    for name, title in SETS:
        rows = {}
        for m in ("v1", "v2", "v2b", "v3", "v3b", "v3g", "v4", "v4b", "v4c", "v4cg", "v5", "v5b", "v6", "v6b", "v6c", "v7", "v7b", "v8", "v9"):
            for folder in folders:
                path = os.path.join(folder, f"{name}-{m}.json")
                if os.path.exists(path):
                    rows[m] = json.load(open(path, encoding="utf-8"))
        if not rows:
            continue
        n = next(iter(rows.values()))["items"]
        print(f"\n**{title}** (`{name}`, {n} texts)\n")
        print("| model | accuracy | precision | recall | F1 | false-positive rate | MAE | quotes grounded |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for m, r in rows.items():
            o = r["overall"]
            acc, p, rec, f, fpr = prf(o["anyViolation"])
            g = r.get("quoteGrounding") or {}
            print(f"| {m} | {pct(acc)} | {pct(p)} | {pct(rec)} | {pct(f)} | {pct(fpr)} | {o['mae']:.2f} | {pct(g.get('share'))} |")
        dims = [d["dimension"] for d in next(iter(rows.values()))["overall"]["dimensions"]]
        print("\n| dimension | " + " | ".join(f"{m} P / R / F1 (positives)" for m in rows) + " |")
        print("|---|" + "---|" * len(rows))
        for i, d in enumerate(dims):
            cells = []
            for m, r in rows.items():
                c = r["overall"]["dimensions"][i]["confusion"]
                _, p, rec, f, _ = prf(c)
                cells.append(f"{pct(p)} / {pct(rec)} / {pct(f)} ({c['truePositives'] + c['falseNegatives']})")
            print(f"| {d} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The issue's focused figures from `safety-server eval --predictions` files, per model, as Markdown:

- personal data: recall on the split's generated personal-data texts (flagged on 敏感数据泄露 below the threshold)
  and false positives on their look-alikes (order numbers, wrong check digits, hotlines, company registrations:
  flagged on any dimension);
- spam, fraud, gambling and porn solicitation (synthetic-spam): recall on the label's own dimension, and false
  positives on the benign look-alikes (a shop's promotion, a job ad, an anti-fraud warning);
- every source: text-level accuracy (any score below the threshold = violation);
- an everyday-statements set: the share flagged.

    python3 tools/model/focus_report.py data/corpus-v2/test.jsonl v2=PRED.jsonl v3=PRED.jsonl
"""
import collections
import json
import sys

THRESHOLD = 60


def load(path):
    return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]


def flagged(scores, dim=None):
    if scores is None:
        return False
    if dim:
        return scores.get(dim, 100) < THRESHOLD
    return any(v < THRESHOLD for v in scores.values())


def pct(a, b):
    return f"{100 * a / b:.1f}% ({a}/{b})" if b else "–"


def main():
    data = load(sys.argv[1])
    models = [a.split("=", 1) for a in sys.argv[2:]]
    rows = collections.OrderedDict()
    for name, path in models:
        preds = load(path)
        assert len(preds) == len(data), f"{path}: {len(preds)} predictions for {len(data)} texts"
        r = collections.Counter()
        src_ok, src_n = collections.Counter(), collections.Counter()
        for d, p in zip(data, preds):
            scores = (p.get("prediction") or {}).get("scores")
            ref_violation = any(v < THRESHOLD for v in d["scores"].values())
            src = d.get("source", "?")
            src_n[src] += 1
            src_ok[src] += flagged(scores) == ref_violation
            dim = d.get("dimension")
            if src == "synthetic-pii":
                if dim == "敏感数据泄露":
                    r["pii_n"] += 1; r["pii_hit"] += flagged(scores, "敏感数据泄露")
                elif not ref_violation:
                    r["pii_neg"] += 1; r["pii_fp"] += flagged(scores)
            if src == "synthetic-spam":
                if ref_violation:
                    r["spam_n"] += 1; r["spam_hit"] += flagged(scores, dim) if dim in d["scores"] else flagged(scores)
                else:
                    r["spam_neg"] += 1; r["spam_fp"] += flagged(scores)
            if src.startswith("synthetic-everyday") or d.get("id", "").startswith("everyday"):
                r["every_n"] += 1; r["every_fp"] += flagged(scores)
        rows[name] = (r, src_ok, src_n)
    names = [n for n, _ in models]
    print("| figure | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for label, hit, n in [("personal data: recall on 敏感数据泄露", "pii_hit", "pii_n"),
                          ("personal data look-alikes flagged", "pii_fp", "pii_neg"),
                          ("spam/fraud/gambling/porn: recall on the label's dimension", "spam_hit", "spam_n"),
                          ("spam look-alikes flagged", "spam_fp", "spam_neg"),
                          ("everyday statements flagged", "every_fp", "every_n")]:
        if any(rows[m][0][n] for m in names):
            print(f"| {label} | " + " | ".join(pct(rows[m][0][hit], rows[m][0][n]) for m in names) + " |")
    sources = sorted(rows[names[0]][2])
    for s in sources:
        print(f"| accuracy, {s} | " + " | ".join(pct(rows[m][1][s], rows[m][2][s]) for m in names) + " |")


if __name__ == "__main__":
    main()

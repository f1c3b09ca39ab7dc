#!/usr/bin/env python3
"""Violations inside benign context, for the default model's third v2 stage (standard library only, deterministic).

A long text is scored in windows of a few hundred characters, so a violation usually sits among ordinary sentences;
the corpus teaches single short items. Each line here takes a violating text of corpus v2's *training* split and puts
it at a sentence boundary inside 80–220 characters of benign passages (data/corpus-v2/benign-passages.jsonl), with
the violating text's own scores and reasoning (its quotes stay in the text). Test, validation and hold-out texts are
never used.

Measured once and not shipped: a third stage on these 3,000 lines with only an eighth as many benign passages
taught the shortcut "long prose means a violation" (real news texts were flagged on six dimensions). A next attempt
needs as many benign passage windows as buried ones.

    python3 tools/corpus/build_buried.py [--count 3000]
"""
import argparse, hashlib, json, re


def sentences(text):
    return [s for s in re.findall(r"[^。！？!?；;\n]*[。！？!?；;\n]", text) if s.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--out", default="data/corpus-v2/buried-train.jsonl")
    args = ap.parse_args()
    train = [json.loads(l) for l in open("data/corpus-v2/train.jsonl", encoding="utf-8")]
    bad = [t for t in train if t["dimension"] != "clean" and len(t["text"]) <= 120]
    bad.sort(key=lambda t: hashlib.sha256(t["id"].encode()).hexdigest())
    pool = [s for p in open("data/corpus-v2/benign-passages.jsonl", encoding="utf-8") for s in sentences(json.loads(p)["text"])]
    out = []
    for i, t in enumerate(bad[: args.count]):
        h = int(hashlib.sha256(t["id"].encode()).hexdigest(), 16)
        start = h % len(pool)
        target = 80 + (h >> 8) % 141
        context = []
        j = start
        while sum(map(len, context)) < target:
            context.append(pool[j % len(pool)]); j += 1
        at = (h >> 16) % (len(context) + 1)
        body = t["text"] if re.search(r"[。！？!?；;]$", t["text"]) else t["text"] + "。"
        text = "".join(context[:at]) + body + "".join(context[at:])
        out.append({**t, "id": f"buried-{t['id']}", "source": "buried:" + t["source"], "text": text,
                    "label": f"{t['label']}; inside benign passages"})
    with open(args.out, "w", encoding="utf-8") as f:
        for line in out:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{len(out)} buried violations -> {args.out}")


if __name__ == "__main__":
    main()

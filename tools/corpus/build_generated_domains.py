#!/usr/bin/env python3
"""Two more domains for the learning-loop protocol (`scripts/loop-protocol.sh`), on dimensions the default model
practically never flags because public data for them is missing: the texts written for the project in
data/generated/political.jsonl (政治&&军事敏感问题 and hard negatives) and data/generated/misinformation.jsonl
(虚假信息: rumours and hard negatives). The default model never trained on these files (see data/generated/README.md).
Each line is written in the corpus format with source `generated-political` or `generated-misinformation`.

Usage: python3 tools/corpus/build_generated_domains.py   (writes data/loop-domains/generated.jsonl)
"""
import json
import os

DIMS = ["商业违规", "对抗性检测", "带有偏见、仇恨、歧视或侮辱", "恐怖主义&&带有暴力倾向", "政治&&军事敏感问题",
        "敏感数据泄露", "敏感词", "虚假信息", "诱导&&违法不良信息"]
root = os.path.join(os.path.dirname(__file__), "..", "..")
out = os.path.join(root, "data", "loop-domains", "generated.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for name in ("political", "misinformation"):
        for i, line in enumerate(open(os.path.join(root, "data", "generated", f"{name}.jsonl"), encoding="utf-8")):
            row = json.loads(line)
            scores = {d: row["scores"].get(d, 100) for d in DIMS}
            worst = min(row["scores"], key=row["scores"].get) if row["scores"] else "clean"
            f.write(json.dumps({"id": f"generated-{name}-{i:04d}", "source": f"generated-{name}", "text": row["text"],
                                "scores": scores, "reasoning": row["reasoning"], "dimension": worst,
                                "label": row.get("topic", "")}, ensure_ascii=False) + "\n")
print(f"wrote {out}")

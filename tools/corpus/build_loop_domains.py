#!/usr/bin/env python3
"""Domains for the learning-loop protocol (`scripts/loop-protocol.sh`): labelled texts from sources the default model
never trained on, one line each in the corpus format (id, source, text, scores, reasoning, dimension, label).

- Flames (AIFlames/Flames, Apache-2.0): 1,000 adversarial prompts written by people, in five categories. Neither
  corpus v1 nor v2 uses it. Each category used here is mapped onto the one TC260 dimension it violates, as a reviewer
  of this service would correct it, with a one-line reasoning:
    Fairness/*                                  -> 带有偏见、仇恨、歧视或侮辱 35  (domain "flames-bias")
    Safety/Physical harm, Safety/Property
      safety, Legality/Law violation            -> 诱导&&违法不良信息 35          (domain "flames-harm")
    Data protection/*                           -> 敏感数据泄露 35                (domain "flames-privacy")
  The other categories (non-anthropomorphism, morality, mental harm) do not map onto one dimension and are left out.
- The ads domain needs no file of its own: data/corpus-v2/holdout-ADDetector4J.jsonl (real QQ-group messages,
  商业违规) is already held out of every training split.

Usage: python3 tools/corpus/build_loop_domains.py  (reads ../shared-style normalized Flames; writes data/loop-domains/)
"""
import argparse, json, os, sys

DIMS = ["商业违规", "对抗性检测", "带有偏见、仇恨、歧视或侮辱", "恐怖主义&&带有暴力倾向", "政治&&军事敏感问题",
        "敏感数据泄露", "敏感词", "虚假信息", "诱导&&违法不良信息"]

MAP = {
    "Fairness/Bias and discrimination": ("flames-bias", "带有偏见、仇恨、歧视或侮辱", 35,
                                         "文本以提问方式引导对特定群体作出偏见或歧视性的判断，结论：带有偏见、仇恨、歧视或侮辱（中度）不合规。"),
    "Fairness/Toxic language": ("flames-bias", "带有偏见、仇恨、歧视或侮辱", 35,
                                "文本含有辱骂或贬损他人的表达，或引导生成侮辱性言论，结论：带有偏见、仇恨、歧视或侮辱（中度）不合规。"),
    "Safety/Physical harm": ("flames-harm", "诱导&&违法不良信息", 35,
                             "文本询问可能造成人身伤害的危险做法，诱导提供不良信息，结论：诱导&&违法不良信息（中度）不合规。"),
    "Safety/Property safety": ("flames-harm", "诱导&&违法不良信息", 35,
                               "文本涉及侵害他人财产的做法（盗窃、诈骗、破解等），诱导提供违法信息，结论：诱导&&违法不良信息（中度）不合规。"),
    "Legality/Law violation": ("flames-harm", "诱导&&违法不良信息", 35,
                               "文本寻求实施违法行为的方法或规避法律的途径，结论：诱导&&违法不良信息（中度）不合规。"),
    "Data protection/Personal data": ("flames-privacy", "敏感数据泄露", 35,
                                      "文本试图获取或推断他人的个人信息（病历、住址、账号等），结论：敏感数据泄露（中度）不合规。"),
    "Data protection/Sensitive information": ("flames-privacy", "敏感数据泄露", 35,
                                              "文本试图获取机构或他人的敏感信息，结论：敏感数据泄露（中度）不合规。"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flames", default=os.path.join("..", "shared", "data", "normalized", "Flames.jsonl"))
    ap.add_argument("--out", default=os.path.join("data", "loop-domains", "flames.jsonl"))
    a = ap.parse_args()
    seen, out = set(), []
    with open(a.flames, encoding="utf-8") as f:
        for n, line in enumerate(f):
            r = json.loads(line)
            m = MAP.get(r.get("label"))
            text = (r.get("text") or "").strip()
            if not m or not text or text in seen:
                continue
            seen.add(text)
            domain, dim, score, reasoning = m
            scores = {d: 100 for d in DIMS}
            scores[dim] = score
            out.append({"id": "flames-%04d" % n, "source": domain, "text": text, "scores": scores, "reasoning": reasoning,
                        "dimension": dim, "label": r["label"], "hard_negative": False})
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        for r in out:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = {}
    for r in out:
        counts[r["source"]] = counts.get(r["source"], 0) + 1
    print(a.out, len(out), counts, file=sys.stderr)


if __name__ == "__main__":
    main()

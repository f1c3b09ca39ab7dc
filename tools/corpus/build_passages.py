#!/usr/bin/env python3
"""Benign long-form passages for the default model's second v2 stage (standard library only, deterministic).

Corpus v2's real benign text is short (questions, chat turns, sentences): the model flagged formal long text (news,
encyclopaedia paragraphs) it had never seen. This writes `data/corpus-v2/benign-passages.jsonl`: CMRC2018 passages
(Wikipedia paragraphs; CC BY-SA 4.0, share-alike: the lines say so) and doctors' answers from the
Chinese-medical-dialogue data (MIT), cut on sentence ends into pieces of 80–300 characters, every score 100. Neither
source is a hold-out source (UHGEval and ADDetector4J stay out of training).

    python3 tools/corpus/build_passages.py --shared ../shared/data
"""
import argparse, hashlib, json, os, re

DIMS = ["商业违规", "对抗性检测", "带有偏见、仇恨、歧视或侮辱", "恐怖主义&&带有暴力倾向", "政治&&军事敏感问题",
        "敏感数据泄露", "敏感词", "虚假信息", "诱导&&违法不良信息"]
REASONS = {
    "CMRC2018": ["这是一段百科式的说明文字，客观介绍相关知识，未发现违规内容。",
                 "文本为知识性介绍，陈述客观事实，不涉及任何违规维度，判定为合规。",
                 "一段百科条目的正文，内容中立客观，没有冒犯、违法或敏感信息。"],
    "Chinese-medical-dialogue": ["这是医生对健康问题的解答，提供常规医疗建议，未发现违规内容。",
                                 "文本为医疗咨询的回复，内容正常，不涉及任何违规维度，判定为合规。"],
}


def pieces(text, lo=80, hi=300):
    sentences = re.findall(r"[^。！？!?；;\n]*[。！？!?；;\n]?", text)
    out, cur = [], ""
    for s in sentences:
        s = s.strip()
        if not s:
            continue
        if len(cur) + len(s) > hi and len(cur) >= lo:
            out.append(cur); cur = ""
        cur += s
        if len(cur) > hi:
            out.append(cur[:hi]); cur = ""
    if len(cur) >= lo:
        out.append(cur)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared/data")
    ap.add_argument("--out", default="data/corpus-v2/benign-passages.jsonl")
    ap.add_argument("--medical", type=int, default=1200)
    args = ap.parse_args()
    raw = os.path.join(args.shared, "raw")
    lines, seen = [], set()

    def add(source, text, label, i):
        key = hashlib.sha256(text.encode()).hexdigest()
        if key in seen:
            return
        seen.add(key)
        reasons = REASONS[source]
        lines.append({"id": f"passage-{source.lower()}-{i:05d}", "source": source, "text": text,
                      "scores": {d: 100 for d in DIMS}, "reasoning": reasons[int(key, 16) % len(reasons)],
                      "dimension": "clean", "label": label, "hard_negative": False})

    n = 0
    for name in ("cmrc2018_dev.json", "cmrc2018_trial.json"):
        path = os.path.join(raw, "CMRC2018", "data", name)
        if not os.path.exists(path):
            continue
        for doc in json.load(open(path, encoding="utf-8")):
            for p in pieces(doc["context_text"]):
                add("CMRC2018", p, f"passage of {doc['context_id']}; CC BY-SA 4.0", n); n += 1
    med_dir = os.path.join(raw, "Chinese-medical-dialogue", "Data_数据")
    answers = []
    # Records of "title,question" on one line, the doctor's answer on the next, a blank line between records.
    for root, _, files in os.walk(med_dir):
        for f in sorted(files):
            if f.endswith(".txt"):
                with open(os.path.join(root, f), encoding="gb18030", errors="replace") as fh:
                    for record in fh.read().split("\n\n"):
                        parts = [x.strip() for x in record.strip().split("\n") if x.strip()]
                        if len(parts) == 2 and 80 <= len(parts[1]) <= 300:
                            answers.append(parts[1])
    answers.sort(key=lambda a: hashlib.sha256(a.encode()).hexdigest())
    for i, a in enumerate(answers[: args.medical]):
        add("Chinese-medical-dialogue", a, "doctor's answer; MIT", i)
    with open(args.out, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{len(lines)} passages ({n} CMRC2018 pieces, {min(len(answers), args.medical)} medical answers) -> {args.out}")


if __name__ == "__main__":
    main()

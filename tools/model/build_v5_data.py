"""Stage-5 training data for default model v5: the dimensions the public data leaves thin.

Corpus v2 holds about twenty labelled texts for 政治&&军事敏感问题 and teaches 商业违规 only as spam, 虚假信息 only as
claims refuted against Wikipedia and 对抗性检测 only as JailBench/AISafetyLab wrappers. `data/generated/*.jsonl` are
texts written for the project (no permissive labelled data exists for these; see data/generated/README.md): for each
thin dimension, violations in many registers next to hard negatives that share their words. Every 5th line of each
file is the generated test split (`data/generated/test.jsonl`, never trained on); the rest is trained on twice.

Also written, so that what v3/v4 learned stays: every REPLAY-th line of the previous stage's training data, and every
PAIRS-th line of v4's data. Each text's evidence is found by the server's own evidence stage and a reasoning whose text
has evidence starts by naming it, as in v3's data.

    python3 tools/model/build_v5_data.py BIN PREV_TRAIN V4_TRAIN OUT TEST_OUT REPLAY PAIRS [COPIES [plain]]

COPIES (default 2, v5's setting) is how many times each generated training text is written. With `plain`, a generated
reasoning that opens with nothing but a genre (这是一条帖子，… / 这是一条评论，…) loses that opener: in the generated
texts 137 of 160 "帖子" reasonings are violations, and a model trained on them (v6) called real group-chat messages
帖子 and went on to 编造 → 虚假信息 (120 of its 189 false positives on ADDetector4J). Without the opener the reasoning
starts with what the text says.
"""
import glob
import json
import random
import re
import sys

from evidence_lines import cited, evidence as find_evidence, read

binary, prev_train, v4_train, out, test_out, replay, pairs = sys.argv[1:8]
replay, pairs = int(replay), int(pairs)
copies = int(sys.argv[8]) if len(sys.argv) > 8 else 2
plain = len(sys.argv) > 9 and sys.argv[9] == "plain"
GENRE_OPENER = re.compile(r"^(这是|此为|这为)(一条|一段|一则|一篇)?(帖子|评论|微博|转发|消息|留言|群聊消息|朋友圈|短视频文案|弹幕)[，,]")
rng = random.Random(5)
DIMS = ["商业违规", "对抗性检测", "带有偏见、仇恨、歧视或侮辱", "恐怖主义&&带有暴力倾向", "政治&&军事敏感问题", "敏感数据泄露",
        "敏感词", "虚假信息", "诱导&&违法不良信息"]





def grams(text, n):
    t = "".join(text.split())
    return {t[i:i + n] for i in range(len(t) - n + 1)}


def evaluation_grams():
    """8-grams of the probes and 12-grams of the test split and the held-out sources: a generated text that shares one
    (the same well-known rumour or slogan written twice) is left out of training and of the generated test split, so
    that no figure on those sets counts a text the model saw in another writer's words."""
    probes = set()
    for row in read("data/probes/probes.jsonl"):
        probes |= grams(row["text"], 8)
    tests = set()
    for path in ["data/corpus-v2/test.jsonl"] + sorted(glob.glob("data/corpus-v2/holdout-*.jsonl")):
        for row in read(path):
            tests |= grams(row["text"], 12)
    return probes, tests


def main():
    probes, tests = evaluation_grams()
    dropped = 0
    train, test = [], []
    for path in sorted(glob.glob("data/generated/*.jsonl")):
        if path.endswith("/test.jsonl"):
            continue
        name = path.rsplit("/", 1)[1][:-len(".jsonl")]
        for i, row in enumerate(read(path)):
            if grams(row["text"], 8) & probes or grams(row["text"], 12) & tests:
                dropped += 1
                continue
            scores = {d: 100 for d in DIMS}
            scores.update(row["scores"])
            worst = min(row["scores"], key=row["scores"].get) if row["scores"] else "clean"
            reasoning = GENRE_OPENER.sub("", row["reasoning"]) if plain and i % 5 != 4 else row["reasoning"]
            item = {"id": f"generated-{name}-{i:04d}", "source": f"generated-{name}", "text": row["text"],
                    "scores": scores, "reasoning": reasoning, "dimension": worst, "label": row.get("topic", "")}
            (test if i % 5 == 4 else train).append(item)
    with open(test_out, "w", encoding="utf-8") as f:
        for row in test:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    found = find_evidence(binary, [r["text"] for r in train])
    lines = []
    for row, items in zip(train, found):
        line = {"text": row["text"], "scores": row["scores"], "reasoning": cited(row["reasoning"], items)}
        lines += [line] * copies
    replayed = read(prev_train)[::replay]
    kept_pairs = read(v4_train)[::pairs]
    lines += replayed + kept_pairs
    rng.shuffle(lines)
    with open(out, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    print(f"{len(lines)} lines: {len(train)} generated texts × {copies}, {len(replayed)} replayed from the previous stage, "
          f"{len(kept_pairs)} from v4's data; {len(test)} generated texts in the test split; {dropped} left out for "
          "sharing an 8-gram with a probe or a 12-gram with the test split or a held-out source", file=sys.stderr)


main()

"""Stage-2 training data for v7b: long-form benign prose against the v7 mix's remaining false positives on news.

v7 (v6b mixed halfway with v3) flags about 1.3% of real news reports (the held-out UHGEval source), mostly long
reports it calls a model's reply giving harmful steps (诱导&&违法不良信息). v2's second stage fixed the same kind of
false positive with the benign passages (CMRC2018 paragraphs, doctors' answers), of which v3's and v6b's data kept only
a third and a sixth. This writes every benign passage once, with its evidence cited as in v3's data, and every
REPLAY-th line of v6b's training data so that what v6b learned stays.

    python3 tools/model/build_v7b_data.py BIN PASSAGES V6B_TRAIN OUT REPLAY
"""
import json
import random
import sys

from evidence_lines import cited, evidence, read

binary, passages_path, v6b_train, out, replay = sys.argv[1:6]
replay = int(replay)
passages = read(passages_path)
found = evidence(binary, [p["text"] for p in passages])
lines = [{"text": p["text"], "scores": p["scores"], "reasoning": cited(p["reasoning"], items)}
         for p, items in zip(passages, found)]
lines += read(v6b_train)[::replay]
random.Random(7).shuffle(lines)
with open(out, "w", encoding="utf-8") as f:
    for row in lines:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
print(f"{len(lines)} lines: {len(passages)} passages, every {replay}th line of {v6b_train}", file=sys.stderr)

"""Training data for v9's stage: the casual registers of group-chat and forum spam, against v8 missing real ads.

v8's spam is long, formal template advertising (`tools/corpus/synth_v2.py`); ads in chat groups are short trade posts,
shopping-app share codes, cheat and service sales with a bare QQ number or a disguised link. This writes every line of
the written ad registers and their benign look-alikes in the same register (`tools/corpus/synth_ads.py`), every
PASSAGE_EVERY-th benign passage, every REPLAY-th line of v6b's training data (as v7b did, so that what v8 learned
stays) and SHORT_N real benign texts of at most 30 characters from corpus v2's training split (chat turns, comments,
sentences: KdConv, COLDataset, CrossWOZ, SWSR, Tatoeba). Without those a first try (ads, look-alikes, passages and
replay only) learned that any short casual message is an ad: it flagged a quarter of real chat. Every reasoning's
claim of evidence (`线索提示…；`) is recomputed with the server's current evidence stage, which now also finds share
codes, contact words and disguised links.

    python3 tools/model/build_v9_data.py BIN ADS_TRAIN PASSAGES V6B_TRAIN CORPUS_TRAIN OUT PASSAGE_EVERY REPLAY SHORT_N
"""
import json
import random
import re
import sys

from evidence_lines import cited, evidence, read

binary, ads_path, passages_path, v6b_train, corpus_train, out, passage_every, replay, short_n = sys.argv[1:10]
SHORT_SOURCES = {"KdConv", "COLDataset", "CrossWOZ", "SWSR", "Tatoeba-cmn"}
CLAIM = re.compile(r"^线索提示[^；]*；")

rows = [{"text": r["text"], "scores": r["scores"], "reasoning": CLAIM.sub("", r["reasoning"])} for r in read(ads_path)]
n_ads = len(rows)
rows += [{"text": p["text"], "scores": p["scores"], "reasoning": CLAIM.sub("", p["reasoning"])}
         for p in read(passages_path)[::int(passage_every)]]
n_passages = len(rows) - n_ads
short = [r for r in read(corpus_train)
         if r["source"] in SHORT_SOURCES and len(r["text"]) <= 30 and min(r["scores"].values()) >= 60]
random.Random(90).shuffle(short)
short = short[:int(short_n)]
rows += [{"text": r["text"], "scores": r["scores"], "reasoning": CLAIM.sub("", r["reasoning"])} for r in short]
rows += [{"text": r["text"], "scores": r["scores"], "reasoning": CLAIM.sub("", r["reasoning"])}
         for r in read(v6b_train)[::int(replay)]]
found = evidence(binary, [r["text"] for r in rows])
lines = [dict(r, reasoning=cited(r["reasoning"], items)) for r, items in zip(rows, found)]
random.Random(9).shuffle(lines)
with open(out, "w", encoding="utf-8") as f:
    for row in lines:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
print(f"{len(lines)} lines: {n_ads} ad-register lines, {n_passages} passages, {len(short)} short benign texts, every "
      f"{replay}th line of {v6b_train}", file=sys.stderr)

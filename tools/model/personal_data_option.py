#!/usr/bin/env python3
"""What `verdict_personal_data_needs_evidence` changes on an evaluation set (docs/COMPLIANCE.md): from the per-text
predictions `safety-server eval --predictions P` writes and the evidence `safety-server evidence` finds, counts the
texts blocked on 敏感数据泄露 alone (its score below the block threshold, every other score at or above it; confidence
not applied), and how many of them stay blocked or go to review with the option on, split by the reference label.

    python3 tools/model/personal_data_option.py BIN DATA PREDICTIONS [BLOCK_BELOW]
"""
import json
import subprocess
import sys

binary, data_path, predictions_path = sys.argv[1:4]
block_below = int(sys.argv[4]) if len(sys.argv) > 4 else 50
KEY = "敏感数据泄露"
PERSONAL = {"id_card", "mobile", "bank_card", "email", "address", "contact_handle"}

rows = [json.loads(l) for l in open(data_path, encoding="utf-8") if l.strip()]
texts = "".join(json.dumps(r["text"], ensure_ascii=False) + "\n" for r in rows)
found = subprocess.run([binary, "evidence"], input=texts.encode("utf-8"), capture_output=True, check=True)
evidence = [json.loads(l)["evidence"] for l in found.stdout.decode("utf-8").splitlines()]
assert len(evidence) == len(rows), "one evidence line per text"

counts = {(truth, stays): 0 for truth in (True, False) for stays in (True, False)}
for line in open(predictions_path, encoding="utf-8"):
    p = json.loads(line)
    scores = p["prediction"].get("scores")
    if not scores or scores.get(KEY, 100) >= block_below:
        continue
    if any(v < block_below for k, v in scores.items() if k != KEY):
        continue  # blocked on another dimension too: the option does not change the verdict
    i = p["index"]
    truth = rows[i]["scores"].get(KEY, 100) < block_below
    stays = any(item["type"] in PERSONAL for item in evidence[i])
    counts[(truth, stays)] += 1

blocked = sum(counts.values())
print(f"blocked on {KEY} alone: {blocked}")
print(f"  labelled a block on it: {counts[(True, True)] + counts[(True, False)]} "
      f"(with the option: {counts[(True, True)]} stay blocked, {counts[(True, False)]} go to review)")
print(f"  labelled otherwise:     {counts[(False, True)] + counts[(False, False)]} "
      f"(with the option: {counts[(False, True)]} stay blocked, {counts[(False, False)]} go to review)")

"""Stage-3 training data for default model v3: the model learns to read the evidence line.

Reads corpus v2's training split and finds each text's evidence with `safety-server evidence` (the server's own
evidence stage, so training sees exactly the facts serving shows the model). Writes:
- every line whose text has evidence, twice (these teach what the line means: the validated personal data, contact
  handles and lexicon words of the violations next to the same kinds of fact in benign text: a company's registered
  address, an anti-fraud warning naming 刷单);
- every SHARE-th other line (they teach that `线索：无` changes nothing, and keep what v2 learned);
- every 3rd benign passage and every everyday statement (v2's stage 2 lesson: formal prose and ordinary statements
  are not violations).
A reasoning whose text has evidence starts by naming it (`线索提示身份证号、手机号；…`), so the model cites what it
used; the rest of the reasoning is the corpus's own.
"""
import json
import subprocess
import sys

binary, corpus, passages, everyday, out, share = sys.argv[1:7]
share = int(share)
# Stage 2 ("focus"): the generated look-alikes twice (order numbers, wrong check digits, hotlines, a company's
# registration, a bank's genuine notice: stage 1 saw a quarter of them and still flagged half), every 3rd generated
# personal-data and spam violation, every SHARE-th other line.
focus = len(sys.argv) > 7 and sys.argv[7] == "focus"


def read(path):
    return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]


def evidence(rows):
    lines = "".join(json.dumps(r["text"], ensure_ascii=False) + "\n" for r in rows)
    res = subprocess.run([binary, "evidence"], input=lines.encode("utf-8"), capture_output=True, check=True)
    found = [json.loads(l) for l in res.stdout.decode("utf-8").splitlines()]
    assert len(found) == len(rows), "one evidence line per text"
    return [f["evidence"] for f in found]


rows = read(corpus)
found = evidence(rows)

NAMES = {"id_card": "身份证号", "mobile": "手机号", "bank_card": "银行卡号", "email": "邮箱", "address": "地址",
         "contact_handle": "联系账号", "url": "链接", "qr_code": "二维码", "share_code": "口令",
         "lexicon": "敏感词"}


def cited(row, items):
    if not items:
        return row
    kinds = []
    for item in items:
        name = NAMES[item["type"]]
        if name not in kinds:
            kinds.append(name)
    row = dict(row)
    row["reasoning"] = "线索提示" + "、".join(kinds) + "；" + row["reasoning"]
    return row


def slim(row):
    return {"text": row["text"], "scores": row["scores"], "reasoning": row["reasoning"]}


written = with_evidence = 0
if focus:
    with open(out, "w", encoding="utf-8") as f:
        for i, (row, items) in enumerate(zip(rows, found)):
            generated = row.get("source") in ("synthetic-pii", "synthetic-spam")
            lookalike = generated and row.get("dimension") == "clean"
            copies = 2 if lookalike else 1 if (generated and i % 3 == 0) or (not generated and i % share == 0) else 0
            for _ in range(copies):
                f.write(json.dumps(slim(cited(row, items)), ensure_ascii=False) + "\n"); written += 1
    print(f"{written} focus lines", file=sys.stderr)
    sys.exit(0)
written = with_evidence = 0
with open(out, "w", encoding="utf-8") as f:
    for i, (row, items) in enumerate(zip(rows, found)):
        if items:
            line = json.dumps(slim(cited(row, items)), ensure_ascii=False)
            f.write(line + "\n"); f.write(line + "\n")
            written += 2; with_evidence += 1
        elif i % share == 0:
            f.write(json.dumps(slim(row), ensure_ascii=False) + "\n"); written += 1
    extra = read(passages)[::3] + read(everyday)
    for row, items in zip(extra, evidence(extra)):
        f.write(json.dumps(slim(cited(row, items)), ensure_ascii=False) + "\n"); written += 1
print(f"{written} training lines ({with_evidence} texts with evidence, twice each)", file=sys.stderr)

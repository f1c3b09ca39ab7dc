"""Stage-4 training data for default model v4: the personal-data decision follows the evidence line, not the words.

v3 recalls 98% of the test split's personal data but flags about half of the look-alikes whose templates it never
saw (a system message quoting an ID number with a wrong check digit, a bank's warning naming 银行卡密码): it learned
"身份证号 + a long digit run" rather than "the evidence line names validated personal data". This stage gives it
minimal pairs: every generated personal-data text of corpus v2's training split whose evidence is only ID-card, bank-card
and mobile numbers (with no other digits that could be a number the stage missed), next to its twin with each of those
numbers made invalid (a wrong GB 11643 check character, a broken Luhn digit, an unallocated 12x mobile prefix). The twin is the same sentence; the evidence stage (the server's
own, run here) finds nothing in it, and it is labelled clean with a reasoning that says why. Only twins in which the
evidence stage finds nothing at all are kept.

Also written: the split's existing look-alikes, every REPLAY-th line of v3's training data (none with REPLAY 0) so that
the rest of what v3 learned is kept, and with `notices` 192 notices that name personal-data words without giving any
(written here: service notices, forms, safety advice, questions).

    python3 tools/model/build_v4_data.py BIN data/corpus-v2/train.jsonl V3_TRAIN OUT REPLAY [notices]
"""
import json
import random
import sys

from evidence_lines import cited, evidence as find_evidence, read

binary, corpus, v3_train, out, replay = sys.argv[1:6]
replay = int(replay)
with_notices = len(sys.argv) > 6 and sys.argv[6] == "notices"
rng = random.Random(4)

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"




CLEAN = {"商业违规": 100, "对抗性检测": 100, "带有偏见、仇恨、歧视或侮辱": 100, "恐怖主义&&带有暴力倾向": 100,
         "政治&&军事敏感问题": 100, "敏感数据泄露": 100, "敏感词": 100, "虚假信息": 100, "诱导&&违法不良信息": 100}



def invalid_id(s):
    body = s[:17]
    right = ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS)) % 11]
    wrong = rng.choice([c for c in "0123456789X" if c != right and c != s[17:]] or ["0"])
    return body + wrong


def invalid_card(s):
    digits = [c for c in s if c.isdigit()]
    last = int(digits[-1])
    new = str((last + rng.randint(1, 9)) % 10)  # any one-digit change breaks the Luhn sum
    i = max(k for k, c in enumerate(s) if c.isdigit())
    return s[:i] + new + s[i + 1:]


def invalid_mobile(s):
    i = [k for k, c in enumerate(s) if c.isdigit()]
    return s[:i[1]] + "2" + s[i[1] + 1:]  # 12x is no allocated mobile prefix


WHAT = {"id_card": "身份证号校验位不对", "bank_card": "银行卡号校验不通过", "mobile": "手机号号段不存在"}
# The twin's reasoning keeps the original's opening clause (what kind of text it is: 这是一条快递信息, 此为口语消息) and
# says why the numbers identify no one.
TWIN_TAILS = [
    "其中{what}，没有经校验的个人信息，不能识别到具体个人，九个维度均无问题。",
    "但{what}，并非可识别个人的信息，判定为合规文本。",
    "出现的号码{what}，不指向具体个人，无隐私泄露，无需扣分。",
    "虽有号码但{what}，没有有效的个人信息，各项均合规。",
]

# Notices that name personal data without giving any (a bank's, an office's, a shop's, a school's; forms; questions),
# each kind with its own reasoning. Their reasoning quotes nothing and does not say 线索为无: a first run whose three
# generic notice reasonings quoted the subject word had the model give them to unrelated texts (quote grounding on
# the probes fell from 61% to 16%).
NOTICE_SUBJECTS = ["身份证", "身份证号码", "银行卡", "银行卡号", "手机号码", "验证码", "支付密码", "家庭住址",
                   "社保卡", "护照", "户口本", "联系电话"]
NOTICE_TEMPLATES = [
    ("办理业务时请携带本人{s}原件，复印件需本人签字确认。", "办事须知"),
    ("为了您的账户安全，{s}只需本人保管，任何人索要都请提高警惕。", "安全提醒"),
    ("{s}遗失后请及时挂失并到就近网点补办。", "挂失提示"),
    ("填写表格时{s}一栏请如实填写，信息仅用于本次登记。", "填表说明"),
    ("温馨提示：接到自称客服的电话要求提供{s}时，请先挂断并拨打官方电话核实。", "防骗提醒"),
    ("本平台不会通过短信或私信向您索取{s}，请勿轻信。", "平台声明"),
    ("请核对快递面单上的姓名和{s}是否与本人一致。", "核对提示"),
    ("学校提醒：家长不要在群里公开孩子的{s}等信息。", "家校提醒"),
    ("请问更换{s}需要带哪些材料？", "办事咨询"),
    ("我的{s}好像过期了，去哪里可以重新办理？", "办事咨询"),
    ("忘记了{s}怎么办，能在手机银行上重置吗？", "求助提问"),
    ("新版APP支持在设置里修改绑定的{s}。", "功能说明"),
    ("防诈骗小知识：{s}是重要的个人信息，不要拍照发给陌生人。", "防诈科普"),
    ("根据个人信息保护法，收集{s}应当取得本人同意。", "法律常识"),
    ("单位人事要求入职时提交{s}复印件，这合理吗？", "职场提问"),
    ("小区物业登记住户信息时，{s}可以不填吗？", "生活提问"),
]
NOTICE_REASONS = [
    "这是一条{kind}，只提到个人信息的类别，没有出现任何具体号码或可识别个人的信息，九个维度均无问题。",
    "此为{kind}，谈的是如何保管或办理个人证件信息，本身不含具体个人信息，判定为合规文本。",
    "这条{kind}没有给出具体的号码、姓名或住址，不涉及隐私泄露，各项均合规。",
]


def main():
    rows = read(corpus)
    pii = [r for r in rows if r.get("source") == "synthetic-pii"]
    found = find_evidence(binary, [r["text"] for r in pii])
    pairs, lookalikes = [], []
    for row, items in zip(pii, found):
        if row.get("dimension") == "clean":
            if not items:
                lookalikes.append({"text": row["text"], "scores": row["scores"], "reasoning": row["reasoning"]})
            continue
        if row.get("dimension") != "敏感数据泄露" or not items:
            continue
        if any(i["type"] not in WHAT for i in items):
            continue
        outside = list(row["text"])
        for i in items:
            outside[i["start"]:i["end"]] = [""] * (i["end"] - i["start"])
        if sum(c.isdigit() for c in outside) > 4:  # a number the evidence stage missed (a phone split by commas)
            continue
        text = row["text"]
        for item in sorted(items, key=lambda i: -i["start"]):  # right to left keeps the offsets valid
            span = text[item["start"]:item["end"]]
            new = {"id_card": invalid_id, "bank_card": invalid_card, "mobile": invalid_mobile}[item["type"]](span)
            text = text[:item["start"]] + new + text[item["end"]:]
        kinds = []
        for i in items:
            if WHAT[i["type"]] not in kinds:
                kinds.append(WHAT[i["type"]])
        opening = row["reasoning"].split("，", 1)[0]
        reason = opening + "，" + rng.choice(TWIN_TAILS).format(what="、".join(kinds))
        pos = {"text": row["text"], "scores": row["scores"], "reasoning": cited(row["reasoning"], items)}
        pairs.append((pos, {"text": text, "scores": dict(CLEAN), "reasoning": reason}))
    twin_found = find_evidence(binary, [neg["text"] for _, neg in pairs])
    kept = [(p, n) for (p, n), items in zip(pairs, twin_found) if not items]
    notices = []
    if with_notices:
        for template, kind in NOTICE_TEMPLATES:
            for subject in NOTICE_SUBJECTS:
                notices.append({"text": template.format(s=subject), "scores": dict(CLEAN),
                                "reasoning": rng.choice(NOTICE_REASONS).format(kind=kind)})
        notice_found = find_evidence(binary, [n["text"] for n in notices])
        notices = [n for n, items in zip(notices, notice_found) if not items]
    replayed = read(v3_train)[::replay] if replay > 0 else []
    lines = [l for p in kept for l in p] + lookalikes + notices + replayed
    rng.shuffle(lines)
    with open(out, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    print(f"{len(lines)} lines: {len(kept)} minimal pairs (of {len(pairs)}), {len(lookalikes)} look-alikes, "
          f"{len(notices)} notices, {len(replayed)} replayed from v3", file=sys.stderr)


main()

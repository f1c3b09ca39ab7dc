"""Helpers the training-data builders share: JSON Lines in, the server's own evidence stage (`safety-server evidence`)
over many texts at once, and the `线索提示…；` opening a reasoning gets when its text has evidence."""
import json
import subprocess

NAMES = {"id_card": "身份证号", "mobile": "手机号", "bank_card": "银行卡号", "email": "邮箱", "address": "地址",
         "contact_handle": "联系账号", "url": "链接", "qr_code": "二维码", "share_code": "口令",
         "lexicon": "敏感词"}


def read(path):
    return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]


def evidence(binary, texts):
    """The evidence items of each text, in order, found by `binary evidence`."""
    lines = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts)
    res = subprocess.run([binary, "evidence"], input=lines.encode("utf-8"), capture_output=True, check=True)
    found = [json.loads(l) for l in res.stdout.decode("utf-8").splitlines()]
    assert len(found) == len(texts), "one evidence line per text"
    return [f["evidence"] for f in found]


def cited(reasoning, items):
    """`reasoning` opened with the kinds of evidence found (`线索提示身份证号、手机号；…`), unchanged without any."""
    kinds = []
    for item in items:
        name = NAMES[item["type"]]
        if name not in kinds:
            kinds.append(name)
    return ("线索提示" + "、".join(kinds) + "；" + reasoning) if kinds else reasoning

#!/usr/bin/env python3
"""Writes Tests/Fixtures/reward/reward-parity.json: the Python reward (scoring_reward.py, the one train_grpo.py gives
TRL) on hand-written tricky completions and on seeded random corruptions of well-formed ones, under the default and
the retrain's reward weights. `RewardParityTests` computes the Swift reward on the same completions and compares every
part; CI needs only this file, not Python.

    python3 tools/trl/make_reward_fixture.py            # standard library only

The output is deterministic (a fixed seed); the module's sha256 is recorded, so a change to the port without
regenerating the fixture shows in review.
"""
import hashlib
import json
import platform
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import scoring_reward as R  # noqa: E402

ROOT = HERE.parents[1]
OUT = ROOT / "Tests" / "Fixtures" / "reward" / "reward-parity.json"
K = R.DIMENSIONS

# Reference reasonings (also the TF-IDF corpus, as the retrain fits its IDF on the reference reasonings).
CORPUS = [
    "文本描述天气和交通，未发现问题。",
    "这条评论点名地域群体并加以侮辱，属于偏见歧视（中度）。",
    "文本推销博彩网站并留下联系方式，属于商业违规和诱导违法。",
    "The text asks the model to IGNORE previous instructions: a jailbreak attempt.",
    "文本泄露他人身份证号和手机号，属于敏感数据泄露。",
    "经人工复核，文本在九个维度上均未发现问题。",
    "Ελληνικό ΚΕΊΜΕΝΟ ΧΩΡΊΣ ΠΡΟΒΛΉΜΑΤΑ",
    "café  naïve\ttext with\u3000spaces",
]

REFERENCES = [
    {"scores": [100] * 9, "reasoning": CORPUS[0]},
    {"scores": [100, 100, 35, 100, 100, 100, 100, 100, 100], "reasoning": CORPUS[1]},
    {"scores": [10, 100, 100, 100, 100, 100, 100, 100, 40], "reasoning": CORPUS[2]},
    {"scores": [100, 5, 100, 100, 100, 100, 100, 100, 100], "reasoning": CORPUS[3]},
    {"scores": [100, 100, 100, 100, 100, 0, 100, 100, 100], "reasoning": ""},
]


def obj(scores, sep=", ", kv=": ", order=None):
    idx = order or range(9)
    return "{" + sep.join(f'"{K[i]}"{kv}{scores[i]}' for i in idx) + "}"


def canonical(reasoning, scores):
    return f"<reasoning>{reasoning}</reasoning>\n<answer>{obj(scores)}</answer>"


def hand_written():
    """(completion, reference index) pairs, each exercising one thing the parser forgives or refuses."""
    ok, bias, ads, jail, leak = (r["scores"] for r in REFERENCES)
    c = []
    add = lambda text, ref=0: c.append((text, ref))  # noqa: E731
    add(canonical(CORPUS[0], ok))                                          # perfect
    add(canonical(CORPUS[1], bias), 1)                                     # perfect, a flagged dimension
    add(canonical("评论含有侮辱性表述。", [100, 100, 50, 100, 100, 100, 100, 100, 100]), 1)  # 15 points off
    add(canonical(CORPUS[0], ok), 1)                                       # wrong reasoning and score
    add(canonical("", ok))                                                 # empty reasoning
    add(canonical(CORPUS[4], leak), 4)                                     # reference without a reasoning
    add("<reasoning>未发现问题。</reasoning><answer>" + obj(ok, order=[8, 7, 6, 5, 4, 3, 2, 1, 0]) + "</answer>")  # key order
    add("<reasoning>缺少键。</reasoning><answer>" + obj(ok, order=[0, 1, 2, 3, 4]) + "</answer>")  # missing keys
    add("<reasoning>多余的键。</reasoning><answer>" + obj(ok)[:-1] + ', "其他": 100, "commercial": 0}</answer>')  # extra keys
    add("<reasoning>越界。</reasoning><answer>" + obj([150, -5, 100, 101, 100, 100, 100, 100, 100]) + "</answer>")  # out of range
    add("<reasoning>字符串分数。</reasoning><answer>{" + ", ".join(f'"{k}": "{v}"' for k, v in zip(K, ["85", " 90 ", "0x50", "8_0", "inf", "nan", "1e2", "", "5\\u0000x"])) + "}</answer>", 2)
    add("<reasoning>小数。</reasoning><answer>" + obj([85.5, 84.5, 99.49999999999999, 0.5, -0.4, 1e2, 100.0, 7e1, "1E+2"]) + "</answer>", 2)
    add("前言 <reasoning>带前后文字。</reasoning>\n<answer>" + obj(ok) + "</answer> 后记")   # text outside the tags
    add("<reasoning>答案前有文字。</reasoning><answer>结果如下：" + obj(ads) + "</answer>", 2)
    add("<reasoning>代码块。</reasoning>\n<answer>```json\n" + obj(ads) + "\n```</answer>", 2)
    add("<reasoning>代码块 CRLF。</reasoning>\n<answer>```json\r\n" + obj(ads) + "\r\n```</answer>", 2)
    add("<reasoning>全角。</reasoning><answer>｛" + "，".join(f"“{k}”：{v}" for k, v in zip(K, bias)) + "｝</answer>", 1)
    add("<reasoning>单引号和裸键。</reasoning><answer>{'" + K[0] + "': 10, " + K[1] + ": 100, '" + K[2] + "': 100,}</answer>", 2)
    add("<reasoning>截断。</reasoning><answer>{" + ", ".join(f'"{k}": 100' for k in K[:8]) + f', "{K[8]}": 10')  # cut off
    add("<reasoning>截断在字符串中。</reasoning><answer>{" + f'"{K[0]}": 100, "{K[1]}": "10')
    add("<reasoning>没有结束标签。</reasoning><answer>" + obj(ok))                               # no </answer>
    add("<reasoning>没有答案标签。</reasoning>\n" + obj(ok))                                     # no <answer>
    add(obj(ok))                                                                                   # no tags at all
    add("<reasoning>只有推理，没有答案。</reasoning>")                                           # unparseable
    add("文本没有任何格式。")                                                                     # unparseable
    add("")                                                                                        # empty
    add("<reasoning>重复标签</reasoning><reasoning>第二次</reasoning><answer>" + obj(ok) + "</answer>")
    add("<answer>" + obj(ok) + "</answer><reasoning>顺序颠倒。</reasoning>")
    add("<reasoning>重复键，最后一个无效。</reasoning><answer>{" + f'"{K[0]}": 100, "{K[0]}": "abc", ' + obj(ok)[1:].split(", ", 1)[1] + "</answer>")
    add("<reasoning>重复键，最后一个有效。</reasoning><answer>{" + f'"{K[0]}": 200, ' + obj(ok)[1:] + "</answer>")
    add("<reasoning>嵌套。</reasoning><answer>{" + f'"{K[0]}": [1, 2], "{K[1]}": {{"a": 1}}, "{K[2]}": null, "{K[3]}": true, "{K[4]}": 100' + "}</answer>")
    add("<reasoning>转义键。</reasoning><answer>{" + ", ".join('"' + "".join(f"\\u{ord(ch):04x}" for ch in k) + f'": 100' for k in K) + "}</answer>")
    add("<reasoning>代理对 \\ud83d\\ude00。</reasoning><answer>{" + f'"\\ud83d\\ude00": 1, "\\ud83dx": 2, "\\udc00": 3, "{K[0]}\\u": 4, ' + obj(ok)[1:] + "</answer>")
    add("<reasoning>键有空格。</reasoning><answer>{" + ", ".join(f'" {k}\u3000": 100' for k in K) + "}</answer>")
    add("<reasoning>非 JSON 空白。</reasoning><answer>{\u3000" + obj(ok, sep=",\u00a0", kv=":\u2003")[1:] + "</answer>")
    add("<reasoning>缺冒号和逗号。</reasoning><answer>{" + f'"{K[0]}" 100 "{K[1]}": 100,, "{K[2]}": +100, "{K[3]}": -0, "{K[4]}": 1.0e2, "{K[5]}": .5e2, "{K[6]}": 01' + "}</answer>")
    # Unicode in the reasoning: emoji, CJK Extension B, Greek capital sigma at a word's end, combining marks,
    # whitespace the trim removes (NBSP, ideographic space, tab) or keeps (zero-width space, U+180E, U+001C).
    add(canonical("文本包含表情😀👍🏽和生僻字𠀀𠮷，未发现问题。", ok))
    add(canonical("ΕΛΛΗΝΙΚΌ ΚΕΊΜΕΝΟ ΧΩΡΊΣ ΠΡΟΒΛΉΜΑΤΑ ΟΔΟΣ", ok))
    add(canonical("cafe\u0301  nai\u0308ve text", ok))
    add("<reasoning>\u00a0\u3000\t文本描述天气和交通，未发现问题。\u3000\n</reasoning><answer>" + obj(ok) + "</answer>")
    add("<reasoning>\u200b文本描述天气，未发现问题。\u180e</reasoning><answer>" + obj(ok) + "</answer>")
    add("<reasoning>\x1c文本描述天气和交通，未发现问题。\x1f</reasoning><answer>" + obj(ok) + "</answer>")
    add(canonical("The TEXT asks the model to ignore   previous\n\ninstructions.", jail), 3)
    add(canonical("文本描述天气和交通，未发现问题。", ok).replace("商业违规", "商业违规\u0301"))  # a key with a combining mark
    add(canonical("文本描述天气和交通，未发现问题。", ok).replace("诱导", "\uf900"))             # a compatibility ideograph in a key
    return c


ALPHABET = list('{}[]:,"\'<>/\\ \n\t0123456789-+.eE') + ["<reasoning>", "</reasoning>", "<answer>", "</answer>", "100", "```",
    "：", "，", "“", "”", "｛", "｝", "\u3000", "\u00a0", "😀", "𠀀", "Σ", "e\u0301", "null", "\\u00", K[0], K[5]]


def corruptions(n, rng):
    out = []
    for _ in range(n):
        ref = rng.randrange(len(REFERENCES))
        scores = [s if rng.random() < 0.7 else rng.choice([0, 5, 35, 60, 99, 100]) for s in REFERENCES[ref]["scores"]]
        reasoning = rng.choice(CORPUS + ["未发现问题。", ""])
        text = list(canonical(reasoning, scores))
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            pos = rng.randrange(len(text) + 1)
            if op < 0.4 and text:
                del text[min(pos, len(text) - 1)]
            elif op < 0.8:
                text.insert(pos, rng.choice(ALPHABET))
            elif text:
                del text[pos:]  # truncation
        out.append(("".join(text), ref))
    return out


def main():
    rng = random.Random(20261206)
    cases = [("hand", c, r) for c, r in hand_written()] + [("random", c, r) for c, r in corruptions(400, rng)]
    sim = R.CharNGramTFIDF(CORPUS)
    configs = {"default": R.RewardConfig(), "retrain": R.RETRAIN_REWARD}
    rows = []
    for kind, completion, ref in cases:
        row = {"kind": kind, "completion": completion, "reference": ref, "rewards": {}}
        for name, cfg in configs.items():
            b = R.reward(completion, REFERENCES[ref]["scores"], REFERENCES[ref]["reasoning"], cfg, sim)
            row["rewards"][name] = {"format": b.format, "keys": b.keys, "scores": b.scores, "reasoning": b.reasoning,
                                    "parseable": b.parseable, "total": b.total}
        rows.append(row)
    doc = {
        "note": "The Python port of the scoring reward (tools/trl/scoring_reward.py) on these completions; "
                "RewardParityTests compares the Swift reward (Reward.score with CharNGramTFIDF fitted on `corpus`).",
        "generator": "tools/trl/make_reward_fixture.py",
        "python": platform.python_version(),
        "module_sha256": hashlib.sha256((HERE / "scoring_reward.py").read_bytes()).hexdigest(),
        "dimensions": K,
        "configs": {name: cfg.__dict__ for name, cfg in configs.items()},
        "corpus": CORPUS,
        "references": REFERENCES,
        "cases": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(rows)} completions, {sum(1 for r in rows if not r['rewards']['default']['parseable'])} unparseable")


if __name__ == "__main__":
    main()

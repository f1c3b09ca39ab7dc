#!/usr/bin/env python3
"""Builds corpus v2: every v1 text (same id, same split), the second group of public datasets, real benign text in
bulk, and generated personal-data and spam sets; two whole sources are held out for generalisation tests.

    python3 tools/corpus/build_corpus_v2.py                 # reads ../shared/data (relative to the repository root)
    SHARED_DATA=/path/to/data python3 tools/corpus/build_corpus_v2.py
    python3 tools/corpus/build_corpus_v2.py --shared /path/to/data [--out data] [--benign-scale 1.0]

Writes data/corpus-v2/{train,validation,test}.jsonl, data/corpus-v2/holdout-<source>.jsonl, data/CARD-v2.md and the
new sources' licences in data/licenses/<Dataset>/. Standard library only; deterministic. v1's records come from
build_corpus.build() and are checked line for line against data/corpus/ (the v1 files in the repository), so the
v1 test split stays exactly what it was.
"""
import argparse
import csv
import io
import json
import os
import re
import shutil
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_corpus as v1  # noqa: E402
import synth_v2  # noqa: E402
from build_corpus import (ADV, ALIAS, BIAS, BIZ, CLEAN, DATA, DIMS, FAKE, ILL, LEVELS, MAX_CHARS, MILD,  # noqa: E402
                          MIN_CHARS, MODERATE, POL, SEVERE, SPAN_PROF, TERR, WORD, UnionFind, compose, dedup_key, h,
                          md_table, normalise, pct, pick, primary_dimension, profanity_in, public_line, record,
                          score_signature, severity_key, violated, length_stats)

ROOT = v1.ROOT
SPLITS = ["train", "validation", "test"]
SPLIT_FRACTIONS = v1.SPLIT_FRACTIONS
GROUP_UNION_MIN_CHARS = 12  # a duplicate shorter than this (好的，谢谢。) does not tie its dialogues together

NEW_SOURCES = {
    # name: (licence, link, licence file in raw/<name>/, role)
    "MultiJail": ("MIT", "https://github.com/DAMO-NLP-SG/multilingual-safety-for-LLMs", "LICENSE", "risky prompts"),
    "AISafetyLab-ICL": ("MIT", "https://github.com/thu-coai/AISafetyLab", "LICENSE",
                        "harmful queries, unsafe answers, persuasion wrappers"),
    "CFEVER": ("Apache-2.0", "https://github.com/IKMLab/CFEVER-data", "LICENSE", "claims (refuted / supported)"),
    "KdConv": ("Apache-2.0", "https://github.com/thu-coai/KdConv", "LICENSE", "benign dialogue utterances"),
    "CrossWOZ": ("Apache-2.0", "https://github.com/thu-coai/CrossWOZ", "LICENSE", "benign user turns"),
    "Chinese-medical-dialogue": ("MIT", "https://github.com/Toyhom/Chinese-medical-dialogue-data", "LICENSE",
                                 "benign patient questions"),
    "Tatoeba-cmn": ("CC BY 2.0 FR", "https://tatoeba.org (cmn.txt via manythings.org)", None,
                    "benign everyday sentences"),
    "CMRC2018": ("CC BY-SA 4.0", "https://github.com/ymcui/cmrc2018", "LICENCE", "benign reading-comprehension questions"),
    "ADDetector4J": ("MIT", "https://github.com/siuank/ADDetector4J", "LICENSE", "HOLD-OUT: real QQ-group ads and chat"),
    "UHGEval": ("Apache-2.0", "https://github.com/IAAR-Shanghai/UHGEval", "LICENSE",
                "HOLD-OUT: news with real vs fabricated continuation"),
}
HOLDOUT = ["ADDetector4J", "UHGEval"]
GEN_SOURCES = ["synthetic-pii", "synthetic-spam"]
BENIGN = ["KdConv", "CrossWOZ", "Chinese-medical-dialogue", "Tatoeba-cmn", "CMRC2018"]
# texts drawn from each benign source (before deduplication); --benign-scale multiplies them
BENIGN_CAP = {"KdConv": 5700, "CrossWOZ": 4200, "Chinese-medical-dialogue": 3700, "Tatoeba-cmn": 5000,
              "CMRC2018": 3800}
BENIGN_MIN_CHARS = 4
CORPUS_SOURCES = v1.TEXT_SOURCES + ["MultiJail", "AISafetyLab-ICL", "CFEVER"] + BENIGN + GEN_SOURCES

MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def near_key(text):
    """Punctuation, spaces, emoji and case removed: texts that differ only in these are one text."""
    return re.sub(r"[\W_]+", "", text.lower())


# --- MultiJail ---------------------------------------------------------------------------------------------------------

MJ_TAG = {
    "Violence & incitement": (TERR, "暴力煽动"), "Discrimination & injustice": (BIAS, "歧视"),
    "Hate speech & offensive language": (BIAS, "仇恨或冒犯言论"), "Theft": (ILL, "偷窃"),
    "Non-violent unethical behavior (e.g. lying, cheating, etc.)": (ILL, "欺骗等不道德行为"),
    "Conspiracy theories & misinformation": (FAKE, "阴谋论或不实信息"), "Animal abuse": (ILL, "虐待动物"),
    "Substance abuse & banned substances": (ILL, "滥用违禁药物"), "Bullying & harassment": (BIAS, "霸凌骚扰"),
    "Weapons": (TERR, "武器"), "Adult content": (ILL, "色情内容"), "Property crime & vandalism": (ILL, "破坏财物"),
    "Fraud & deception": (ILL, "欺诈"), "Soliciting personally identifiable information": (DATA, "索取个人信息"),
    "Terrorism & organized crime": (TERR, "恐怖主义或有组织犯罪"), "Self-harm": (ILL, "自我伤害"),
    "Sexual exploitation & human trafficking": (ILL, "性剥削或拐卖人口"), "Child abuse": (ILL, "虐待儿童"),
}
# tags whose first dimension is only mild: unethical but not illegal
MJ_MILD = {"Non-violent unethical behavior (e.g. lying, cheating, etc.)"}


def load_multijail(raw, st):
    out = []
    rows = v1.read_csv(raw / "MultiJail" / "data" / "MultiJail.csv")
    for r in rows:
        st.read["MultiJail"] += 1
        tags = [t.strip().strip("'\"") for t in r["tags"].strip("[]").split("',")]
        tags = [t.strip().strip("'\"") for t in tags if t.strip()]
        tags = [t for t in tags if t in MJ_TAG]
        if not tags or not r["zh"].strip():
            st.skipped[("MultiJail", "no known tag or no zh text")] += 1
            continue
        marks = []
        for i, t in enumerate(tags):
            d, _ = MJ_TAG[t]
            lvl = MILD if (t in MJ_MILD or i > 0) else MODERATE
            marks.append((d, lvl))
        names = "、".join(dict.fromkeys(MJ_TAG[t][1] for t in tags))
        rid = f"multijail-{int(r['id']):03d}"
        out.append(record(rid, "MultiJail", r["zh"], marks, f"tags={'|'.join(tags)}", group=rid,
                          mapkey=f"prompt tagged {tags[0]}", rmeta={"fam": "mj", "what": names}))
    return out


# --- AISafetyLab ICL -------------------------------------------------------------------------------------------------

# first match wins: (regex on the query, marks for a question, topic named in the reasoning)
ICL_RULES = [
    (r"儿童色情|虐待和操控儿童|冒充未成年人", [(ILL, MODERATE)], "涉及儿童的性剥削"),
    (r"恐怖|炸弹|爆炸物|引爆|暗杀|谋杀|毒害|下毒|暴力犯罪|人身攻击|煽动暴力|伤害|枪支|武器",
     [(TERR, MODERATE), (ILL, MILD)], "暴力或恐怖袭击"),
    (r"种族|仇恨|少数群体|特定群体|特定人群", [(BIAS, MODERATE)], "仇恨与歧视"),
    (r"政治候选人", [(FAKE, MODERATE), (POL, MILD)], "针对政治候选人的虚假信息"),
    (r"假新闻|虚假新闻|虚假信息|错误信息|假消息|阴谋论|谣言|虚假评论|假信息|虚假指控|虚假的抗议",
     [(FAKE, MODERATE)], "制造和传播虚假信息"),
    (r"内幕交易|操纵金融|操纵股票|操作股价|操纵.{0,4}市场|盗版|假冒商品|操纵客户评级|财务数据|财经数据",
     [(BIZ, MODERATE)], "内幕交易、操纵市场或侵权"),
    (r"垃圾信息|垃圾邮件|未经请求的消息|不需要的", [(BIZ, MODERATE)], "发送垃圾信息"),
    (r"霸凌|欺凌|骚扰|挑衅性评论", [(ILL, MODERATE), (BIAS, MILD)], "网络霸凌和骚扰"),
    (r"个人信息|敏感信息|隐私|跟踪|监视|个人数据|信用卡信息|登录凭|身份盗|身份盗用|身份盗窃|窃取身份|邮箱账",
     [(DATA, MODERATE), (ILL, MILD)], "窃取个人信息"),
    (r"病毒|恶意软件|勒索软件|僵尸网络|入侵|黑入|破解|侵入|漏洞|DDoS|劫持|渗透|崩溃",
     [(ILL, MODERATE)], "网络入侵和恶意软件"),
    (r"毒品|药物|违禁品|自我伤害|厌食|酒后驾驶", [(ILL, MODERATE)], "毒品或自我伤害"),
    (r".", [(ILL, MODERATE)], "欺诈、盗窃等违法行为"),
]


def icl_rule(q):
    for pat, marks, topic in ICL_RULES:
        if re.search(pat, q):
            return marks, topic
    raise AssertionError(q)


def harden(marks):
    """A text that provides the harmful content: each level one step more severe (35 → 10, 60 → 35)."""
    step = {MODERATE: SEVERE, MILD: MODERATE, SEVERE: SEVERE}
    return [(d, step[l]) for d, l in marks]


def load_icl(raw, st):
    out = []
    data = json.loads((raw / "AISafetyLab-ICL" / "aisafetylab" / "attack" / "attackers" / "data" / "icl" /
                       "data_zh.json").read_text(encoding="utf-8"))
    for i, e in enumerate(data):
        st.read["AISafetyLab-ICL"] += 3
        q = e["query"].strip().lstrip("，,")
        marks, topic = icl_rule(q)
        g = f"icl-q-{h('icl', q) % 10**8:08d}"  # one group per distinct query: its answers and wrappers go with it
        base = f"icl-{i:03d}"
        out.append(record(base + "-q", "AISafetyLab-ICL", q, marks, "query", group=g,
                          mapkey=f"query: {topic}", rmeta={"fam": "icl_q", "topic": topic}))
        out.append(record(base + "-a", "AISafetyLab-ICL", e["unsafe_response"], harden(marks), "unsafe_response",
                          group=g, mapkey=f"unsafe answer: {topic}", rmeta={"fam": "icl_a", "topic": topic}))
        out.append(record(base + "-w", "AISafetyLab-ICL", e["jb_prompt"], [(ADV, SEVERE)] + marks, "jb_prompt",
                          group=g, mapkey=f"persuasion wrapper: {topic}", rmeta={"fam": "icl_w", "topic": topic}))
    return out


# --- CFEVER ----------------------------------------------------------------------------------------------------------

def load_cfever(raw, st):
    out = []
    for line in (raw / "CFEVER" / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        e = json.loads(line)
        st.read["CFEVER"] += 1
        lab = e["label"]
        if lab == "NOT ENOUGH INFO":
            st.skipped[("CFEVER", "NOT ENOUGH INFO (neither verified nor refuted)")] += 1
            continue
        pages = [ev[2] for evs in e["evidence"] for ev in evs if isinstance(ev, list) and len(ev) > 2 and ev[2]]
        page = pages[0] if pages else f"claim{e['id']}"
        rid = f"cfever-{int(e['id']):05d}"
        meta = {"fam": "cfever", "domain": e.get("domain", ""), "page": page}
        if lab == "refutes":
            out.append(record(rid, "CFEVER", e["claim"], [(FAKE, MILD)], "refutes", group=f"cfever-page-{page}",
                              mapkey="refutes", rmeta=meta))
        else:
            out.append(record(rid, "CFEVER", e["claim"], [], "supports", group=f"cfever-page-{page}",
                              mapkey="supports", rmeta=meta))
    return out


# --- benign bulk ------------------------------------------------------------------------------------------------------

def benign_candidates(raw, st):
    """{source: [(rid, text, label, group)]} of every usable benign text, before the cap."""
    c = defaultdict(list)
    for dom in ("film", "music", "travel"):
        for part in ("dev", "test"):
            for di, d in enumerate(json.loads((raw / "KdConv" / "data" / dom / f"{part}.json").read_text("utf-8"))):
                for ti, m in enumerate(d["messages"]):
                    c["KdConv"].append((f"kdconv-{dom}-{part}-{di:03d}-{ti:02d}", m["message"], f"{dom}/{part}",
                                        f"kdconv-{dom}-{part}-{di}"))
    for part in ("val", "test"):
        z = zipfile.ZipFile(raw / "CrossWOZ" / "data" / "crosswoz" / f"{part}.json.zip")
        dialogues = json.loads(z.read(f"{part}.json"))
        for did in sorted(dialogues, key=lambda x: int(x) if x.isdigit() else x):
            for ti, m in enumerate(dialogues[did]["messages"]):
                if m.get("role") == "usr":
                    c["CrossWOZ"].append((f"crosswoz-{part}-{did}-{ti:02d}", m["content"], f"{part};usr",
                                          f"crosswoz-{part}-{did}"))
    text = (raw / "Chinese-medical-dialogue" / "样例_内科5000-6000.csv").read_bytes().decode("gb18030")
    csv.field_size_limit(10 ** 8)
    for i, r in enumerate(csv.DictReader(io.StringIO(text))):
        ask = (r.get("ask") or "").strip()
        if len(ask) < 6 or ask in ("无", "无。"):
            ask = (r.get("title") or "").strip()
        c["Chinese-medical-dialogue"].append((f"meddia-{i:05d}", ask, f"department={r.get('department', '')}",
                                              f"meddia-{i}"))
    for i, line in enumerate((raw / "Tatoeba-cmn" / "cmn.txt").read_text(encoding="utf-8-sig").splitlines()):
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        m = re.search(r"#(\d+)", parts[2])
        c["Tatoeba-cmn"].append((f"tatoeba-{i:05d}", parts[1], parts[2].strip(),
                                 f"tatoeba-en-{m.group(1) if m else i}"))
    for fname in ("cmrc2018_dev.json", "cmrc2018_trial.json"):
        for ctx in json.loads((raw / "CMRC2018" / "data" / fname).read_text(encoding="utf-8")):
            for qa in ctx["qas"]:
                c["CMRC2018"].append((f"cmrc-{qa['query_id']}", qa["query_text"], f"{ctx['context_id']};CC BY-SA 4.0",
                                      f"cmrc-{ctx['context_id']}"))
    return c


BENIGN_KIND = {"KdConv": "对话", "CrossWOZ": "用户提问", "Chinese-medical-dialogue": "医疗咨询", "Tatoeba-cmn": "日常句子",
               "CMRC2018": "阅读理解问题"}
BENIGN_ACT = {
    "KdConv": ["围绕电影、音乐或旅游的闲聊", "普通的知识性对话", "就影视音乐话题交流信息"],
    "CrossWOZ": ["询问景点、餐馆或酒店信息", "出行规划中的普通提问", "查询旅游服务信息"],
    "Chinese-medical-dialogue": ["描述病情并寻求医疗建议", "普通的健康咨询", "就身体不适向医生提问"],
    "Tatoeba-cmn": ["日常生活中的普通表达", "一句平常的生活用语", "普通的日常陈述"],
    "CMRC2018": ["针对百科文章的事实性提问", "普通的知识问答", "就文章内容提出问题"],
}


def load_benign(raw, st, scale):
    out = []
    for src, items in benign_candidates(raw, st).items():
        st.read[src] += len(items)
        usable = []
        seen = set()
        for rid, text, label, group in items:
            t = normalise(text or "")
            if len(t) < BENIGN_MIN_CHARS:
                st.skipped[(src, f"shorter than {BENIGN_MIN_CHARS} characters")] += 1
                continue
            if MOBILE_RE.search(t) or ID_RE.search(t):
                st.skipped[(src, "contains a phone or ID-like number")] += 1
                continue
            k = near_key(t)
            if k in seen:
                st.skipped[(src, "repeated inside the source")] += 1
                continue
            seen.add(k)
            usable.append((rid, t, label, group))
        cap = round(BENIGN_CAP[src] * scale)
        usable.sort(key=lambda x: (h("benign", src, x[0]), x[0]))
        if len(usable) > cap:
            st.skipped[(src, f"not drawn (cap {cap}, drawn by hash)")] += len(usable) - cap
        for rid, t, label, group in usable[:cap]:
            out.append(record(rid, src, t, [], label, group=group, mapkey="benign text",
                              rmeta={"fam": "benign", "src": src}))
    return out


# --- generated ------------------------------------------------------------------------------------------------------

def load_generated(st):
    out = []
    n = Counter()
    for g in synth_v2.generate():
        src = g["source"]
        st.read[src] += 1
        rid = f"{src}-{g['tpl']}-{n[g['tpl']]:03d}"
        n[g["tpl"]] += 1
        out.append(record(rid, src, g["text"], g["marks"], g["label"], group=f"gen-{g['tpl']}",
                          hard_negative=g["hard_negative"], mapkey=g["mapkey"], rmeta=g["facts"]))
    return out


# --- hold-out sources ------------------------------------------------------------------------------------------------

AD_ILLEGAL = re.compile(r"外挂|绕过|防封|注入|黑卡|killaura|kill aura|vape|ddos|udp|syn\d|cc可破|破解|查绑|梯子|翻墙|vpn|"
                        r"开端|反作弊", re.I)


def load_addetector(raw, st):
    out = []
    lines = (raw / "ADDetector4J" / "mc_qq_group.txt").read_text(encoding="utf-8-sig").splitlines()
    for i, line in enumerate(lines):
        st.read["ADDetector4J"] += 1
        line = line.rstrip("\r")
        if "==" not in line or line.rsplit("==", 1)[1] not in ("0", "1"):
            st.skipped[("ADDetector4J", "line without a 0/1 label")] += 1
            continue
        text, lab = line.rsplit("==", 1)
        rid = f"addetector-{i:04d}"
        if lab == "1":
            marks = [(BIZ, MODERATE)]
            illegal = bool(AD_ILLEGAL.search(text))
            if illegal:
                marks.append((ILL, MILD))
            out.append(record(rid, "ADDetector4J", text, marks, "ad (==1)", group=rid,
                              mapkey="ad (==1)" + (", cheat/attack tool or VPN term" if illegal else ""),
                              rmeta={"fam": "ad", "illegal": illegal}))
        else:
            out.append(record(rid, "ADDetector4J", text, [], "normal (==0)", group=rid, mapkey="normal (==0)",
                              rmeta={"fam": "ad"}))
    return out


def uhg_text(begin, cont):
    begin, cont = normalise(begin), normalise(cont)
    budget = MAX_CHARS - len(cont) - 1
    if len(begin) > budget:
        tail = begin[-budget:]
        j = tail.find("。")
        begin = tail[j + 1:] if 0 <= j < len(tail) - 1 else tail
    return (begin + "\n" + cont).strip()


def load_uhgeval(raw, st):
    out = []
    path = raw / "UHGEval" / "src" / "eval_suite" / "benchs" / "uhgeval" / "dataset_uhgeval_concise.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        e = json.loads(line)
        st.read["UHGEval"] += 2
        g = f"uhg-{e['id']}"
        wrong = [a.split("<sep>")[0] for a in e.get("annotations", []) if "<sep>不合理" in a]
        fake = uhg_text(e["newsBeginning"], e["hallucinatedContinuation"])
        cont = normalise(e["hallucinatedContinuation"])
        span = next((w for w in wrong if w and w in cont and w in fake and len(w) <= 12), None)
        if wrong:
            out.append(record(f"{g}-fabricated", "UHGEval", fake, [(FAKE, MILD)], "hallucinated continuation",
                              group=g, mapkey="fabricated continuation (annotated as conflicting with facts)",
                              rmeta={"fam": "uhg", "span": span}))
        else:
            st.skipped[("UHGEval", "hallucinated continuation without an unreasonable annotation")] += 1
        out.append(record(f"{g}-real", "UHGEval", uhg_text(e["newsBeginning"], e["realContinuation"]), [],
                          "real continuation", group=g, mapkey="real continuation", rmeta={"fam": "uhg"}))
    return out


# --- reasoning ---------------------------------------------------------------------------------------------------------

SPAN_NAME = ["点名“{w}”，", "涉及“{w}”，"]


def reasoning_v2(r):
    rid, s, m = r["id"], r["scores"], r["_r"]
    fam = m["fam"]
    prof = profanity_in(r["text"]) if s[WORD] < CLEAN else None
    pspan = (prof, SPAN_PROF) if prof else (None, None)
    if fam == "mj":
        act = pick(["请求涉及{w}的帮助", "含有涉及{w}的不当问题", "提出涉及{w}的有害问题"], rid, "act").format(w=m["what"])
        return compose(rid, s, "提问", act, None, *pspan)
    if fam == "icl_q":
        act = pick(["要求提供{t}的具体方法", "直接请求{t}相关指导", "索要{t}的操作步骤"], rid, "act").format(t=m["topic"])
        return compose(rid, s, "请求", act, None, *pspan)
    if fam == "icl_a":
        act = pick(["直接给出{t}的操作步骤", "未拒绝并详细提供{t}方法", "协助完成{t}请求"], rid, "act").format(t=m["topic"])
        return compose(rid, s, pick(["模型回复", "回答"], rid, "kind"), act, None, *pspan)
    if fam == "icl_w":
        act = pick(["借研究或教育名义包装{t}请求，试图绕过限制", "以正当理由掩护{t}请求", "用说服性话术诱导模型提供{t}方法"],
                   rid, "act").format(t=m["topic"])
        return compose(rid, s, pick(["越狱提示", "提示词"], rid, "kind"), act, None, *pspan)
    if fam == "cfever":
        page = m["page"] if m["page"] in r["text"] and len(m["page"]) <= 8 else None
        if violated(s):
            act = pick(["所述内容与维基百科记载相悖", "陈述了与已知事实不符的说法", "给出的事实经核查为错误"], rid, "act")
        else:
            act = pick(["所述内容与维基百科记载一致", "是可被核实的事实陈述", "陈述的事实有据可查"], rid, "act")
        return compose(rid, s, "陈述", act, m["domain"] or None, page, SPAN_NAME)
    if fam == "benign":
        return compose(rid, s, BENIGN_KIND[m["src"]], pick(BENIGN_ACT[m["src"]], rid, "act"))
    if fam == "pii":
        kinds = "、".join(synth_v2.PII_NAME[k] for k in m["kinds"])
        act = pick(["公开了他人的{k}", "包含可识别个人的{k}", "直接暴露{k}"], rid, "act").format(k=kinds)
        if m["note"]:
            act += "，并" + m["note"]
        return compose(rid, s, m["reg"], act)
    if fam == "pii_neg":
        act = pick(["其中的数字是{w}，不涉及个人敏感信息", "出现的是{w}，并非可识别个人的信息", "仅含{w}，无隐私泄露"],
                   rid, "act").format(w=m["what"])
        return compose(rid, s, m["reg"], act)
    if fam == "spam":
        act = synth_v2.SPAM_WHAT[m["cat"]]
        if m["style"] != "plain":
            style = synth_v2.OBF_NAME[m["style"]]
            span = next((x for x in m["spans"] if x in r["text"] and len(x) <= 8 and "”" not in x), None)
            if span is None:
                act += "，并以" + style + "变形关键词"
            bank = [f"以{style}写法“{{w}}”规避审核，", f"用{style}变形词“{{w}}”，"]
            return compose(rid, s, pick(["广告", "推广信息", "帖子"], rid, "kind"), act, None, span, bank)
        return compose(rid, s, pick(["广告", "推广信息", "帖子"], rid, "kind"), act + "并留下联系方式")
    if fam == "look":
        act = {"店铺促销": "正规商家的促销信息，无引流或欺诈", "招聘启事": "正常的招聘信息，条件明确无诱导",
               "银行通知": "银行的正常业务通知，无欺诈内容", "反诈宣传": "提醒防范诈骗，本身不含违规招揽",
               "新闻报道": "客观报道相关事件，不含招揽内容", "日常对话": "日常交流，虽有相关字眼但无违规"}[m["cat"]]
        return compose(rid, s, m["cat"], act)
    if fam == "ad":
        if violated(s):
            act = "在群聊中推销商品或服务并引流"
            if m.get("illegal"):
                act = "在群聊中推销外挂、攻击工具或翻墙等服务"
            return compose(rid, s, "群聊消息", act, None, *pspan)
        return compose(rid, s, "群聊消息", pick(["普通的群内闲聊", "日常群聊，无推销内容", "群友间的正常交流"], rid, "act"))
    if fam == "uhg":
        if violated(s):
            return compose(rid, s, "新闻续写", "续写部分含与事实不符的内容", None, m.get("span"),
                           ["如“{w}”有误，", "其中“{w}”与事实冲突，"])
        return compose(rid, s, "新闻", pick(["新闻报道与其真实后续，内容属实", "如实报道新闻事件"], rid, "act"))
    raise ValueError(rid)


# --- pipeline --------------------------------------------------------------------------------------------------------

def prepare(recs, st):
    """normalise, truncate, drop too short, add 敏感词 60 on violating texts with a curated profanity (v1's rule)."""
    kept = []
    for r in recs:
        t = normalise(r["text"])
        if len(t) > MAX_CHARS:
            t = t[:MAX_CHARS].rstrip()
            st.truncated[r["source"]] += 1
        if len(t) < MIN_CHARS:
            st.too_short[r["source"]] += 1
            continue
        r["text"] = t
        if violated(r["scores"]) and r["scores"][WORD] == CLEAN and profanity_in(t):
            r["scores"][WORD] = MILD
            st.profanity_added[r["source"]] += 1
        kept.append(r)
    return kept


def finish(r, st):
    if violated(r["scores"]):
        r["hard_negative"] = False
    r["dimension"] = primary_dimension(r["scores"])
    r["reasoning"] = reasoning_v2(r)
    st.mapping[(r["source"], r["_mapkey"])][score_signature(r["scores"])] += 1


def build_v2(shared, st, benign_scale):
    raw = shared / "raw"
    st1 = v1.Stats()
    old = v1.build(shared, st1)
    v1.check(old)
    verify_v1(old)
    new = []
    new += load_multijail(raw, st)
    new += load_icl(raw, st)
    new += load_cfever(raw, st)
    new += load_benign(raw, st, benign_scale)
    new += load_generated(st)
    new = prepare(new, st)

    # duplicates: against v1 (v1 wins, v1 is frozen), then among the new texts (the more severe one wins)
    uf = UnionFind()
    exact_v1 = {dedup_key(r["text"]): r for r in old}
    near_v1 = {near_key(r["text"]): r for r in old}
    for r in old:
        uf.find(("v1", r["_group"]))
    first = {}
    kept = []
    for r in new:
        g = ("new", r["_group"])
        uf.find(g)
        k, nk = dedup_key(r["text"]), near_key(r["text"])
        hit = exact_v1.get(k) or near_v1.get(nk)
        if hit is not None:
            st.dup_same[("v1: " + hit["source"], r["source"])] += 1
            if len(r["text"]) >= GROUP_UNION_MIN_CHARS:
                uf.union(g, ("v1", hit["_group"]))
            continue
        a = first.get(nk)
        if a is None:
            first[nk] = r
            kept.append(r)
            continue
        same = a["scores"] == r["scores"]
        keep, drop = (r, a) if severity_key(r["scores"]) < severity_key(a["scores"]) else (a, r)
        (st.dup_same if same else st.dup_conflict)[(keep["source"], drop["source"])] += 1
        if len(r["text"]) >= GROUP_UNION_MIN_CHARS:
            uf.union(("new", a["_group"]), g)
        first[nk] = keep
        drop["_dropped"] = True
        if keep is r:
            kept.append(r)
    new = [r for r in kept if not r.get("_dropped")]
    for r in new:
        finish(r, st)

    # splits: a new group tied to a v1 group takes v1's split; the rest are stratified like v1
    v1_split = {}
    order = {"train": 0, "validation": 1, "test": 2}
    for r in old:
        root = uf.find(("v1", r["_group"]))
        if root not in v1_split or order[r["split"]] > order[v1_split[root]]:
            v1_split[root] = r["split"]
    groups = defaultdict(list)
    for r in new:
        root = uf.find(("new", r["_group"]))
        r["_root"] = root
        if root in v1_split:
            r["split"] = v1_split[root]
            st.skipped[("(split)", f"{r['source']}: split inherited from a v1 near-duplicate")] += 1
        else:
            groups[root].append(r)
    strata = defaultdict(list)
    for g, members in groups.items():
        lead = members[0]
        strata[(lead["source"], lead["dimension"])].append(g)
    for key in sorted(strata):
        gs = sorted(strata[key], key=lambda g: (h("split-v2", g), str(g)))
        total = sum(len(groups[g]) for g in gs)
        done = 0
        for g in gs:
            frac = done / total
            split = "train" if frac < SPLIT_FRACTIONS[0] else "validation" if frac < SPLIT_FRACTIONS[1] else "test"
            for r in groups[g]:
                r["split"] = split
            done += len(groups[g])
    for r in old:
        st.mapping[(r["source"], r["_mapkey"])][score_signature(r["scores"])] += 1
    return old, new


def build_holdout(shared, st, corpus):
    raw = shared / "raw"
    exact = {dedup_key(r["text"]) for r in corpus}
    near = {near_key(r["text"]) for r in corpus}
    out = {}
    for name, loader in (("ADDetector4J", load_addetector), ("UHGEval", load_uhgeval)):
        recs = prepare(loader(raw, st), st)
        seen = {}
        kept = []
        for r in recs:
            if dedup_key(r["text"]) in exact or near_key(r["text"]) in near:
                st.skipped[(name, "text also in the corpus (left out of the hold-out file)")] += 1
                continue
            nk = near_key(r["text"])
            if nk in seen:
                a = seen[nk]
                if severity_key(r["scores"]) < severity_key(a["scores"]):
                    kept[kept.index(a)] = r
                    seen[nk] = r
                    st.dup_conflict[(name, name)] += a["scores"] != r["scores"]
                    st.dup_same[(name, name)] += a["scores"] == r["scores"]
                else:
                    st.dup_conflict[(name, name)] += a["scores"] != r["scores"]
                    st.dup_same[(name, name)] += a["scores"] == r["scores"]
                continue
            seen[nk] = r
            kept.append(r)
        for r in kept:
            finish(r, st)
            r["split"] = "holdout"
        out[name] = kept
    return out


def verify_v1(old):
    """v1's records, rebuilt by build_corpus.build(), must equal data/corpus/*.jsonl line for line."""
    for sp in SPLITS:
        path = ROOT / "data" / "corpus" / f"{sp}.jsonl"
        want = path.read_text(encoding="utf-8").splitlines()
        got = [public_line(r) for r in sorted((r for r in old if r["split"] == sp), key=lambda r: r["id"])]
        if want != got:
            sys.exit(f"v1 rebuild differs from {path.relative_to(ROOT)}: run build_corpus.py first or check the data")


def check_v2(recs):
    v1.check(recs)
    for r in recs:
        if r["source"] in GEN_SOURCES or r["source"] in BENIGN:
            assert r["scores"] == v1.make_scores([]) or violated(r["scores"]), r["id"]


# --- card ------------------------------------------------------------------------------------------------------------

CARD_HEAD = """# Corpus v2 card

Chinese texts scored on the nine TC260-003 dimensions (0–100, higher = more compliant, 100 = no problem found). Written
by `tools/corpus/build_corpus_v2.py`; every number below is computed by that script from the files it writes.
Regenerate rather than edit. Same line format as v1 (`data/CARD.md`): `id`, `source`, `text`, `scores` (nine keys,
canonical order), `reasoning` (Chinese, 15–70 characters), `dimension`, `label`, `hard_negative`.

Files: `corpus-v2/train.jsonl`, `corpus-v2/validation.jsonl`, `corpus-v2/test.jsonl`, and the hold-out files
`corpus-v2/holdout-ADDetector4J.jsonl`, `corpus-v2/holdout-UHGEval.jsonl` (same format, never in any split).
The project's own probe set is `probes/probes.jsonl` (hand-written, not in the corpus; see below).

**Content warning.** The corpus contains offensive, discriminatory and harmful texts, quoted from the sources, and
generated spam and solicitation, for the purpose of training a safety classifier. They do not represent anyone's
views. The personal data in `synthetic-pii` is generated: names, ID-card, phone and card numbers are fictitious
(structurally valid, drawn at random), and any match with a real person is accidental.

**Licence of derived texts.** Texts taken from CMRC2018 are CC BY-SA 4.0 and stay so (share-alike): their `label`
says `CC BY-SA 4.0`. Tatoeba sentences are CC BY 2.0 FR; each line's `label` keeps the sentence ids and authors
(the attribution the licence asks for). The other sources are MIT or Apache-2.0 (`licenses/<Dataset>/`)."""

CARD_V1 = """## v1 texts

All 34,546 v1 texts are included unchanged, with their v1 id and split: the script rebuilds them with
`build_corpus.build()` and stops unless the rebuilt lines equal `data/corpus/*.jsonl` byte for byte. v1's test split
therefore stays unseen by anything trained on v1 or v2 train. A new text that duplicates a v1 text is dropped; a new
group tied to a v1 group by a near-duplicate (12 characters or more) takes the v1 group's split. The synthetic
everyday statements (`corpus/everyday-*.jsonl`, built by `build_everyday.py` for the default model's second stage)
are not part of v1's splits and are not included: v2's real benign bulk plays their role."""

CARD_MAPPING_PROSE = """## What was taken from each new source, and how it is scored

Levels as in v1: **100** clean, **60** mild, **35** moderate, **10** severe. Asking for harmful content is 35,
providing it is 10, secondary dimensions one level milder; a jailbreak wrapper is 10 on 对抗性检测 plus its payload's
dimensions.

- **MultiJail** (315 human-translated red-team prompts, `zh` column) — each harm tag maps to one dimension:
  Violence & incitement, Weapons, Terrorism & organized crime → 恐怖主义&&带有暴力倾向; Discrimination & injustice,
  Hate speech & offensive language, Bullying & harassment → 带有偏见、仇恨、歧视或侮辱; Conspiracy theories &
  misinformation → 虚假信息; Soliciting PII → 敏感数据泄露; Theft, Property crime, Fraud, Substance abuse, Adult
  content, Sexual exploitation & trafficking, Child abuse, Self-harm, Animal abuse → 诱导&&违法不良信息; Non-violent
  unethical behaviour (lying, cheating) → 诱导&&违法不良信息 60. The first tag is 35 (asking), further tags 60.
  Known noise: some Anthropic red-team prompts are mild or ambiguous on their face; they keep the tag's score.
- **AISafetyLab-ICL** (323 rows, 246 distinct queries; machine-made) — the query is scored by content with the keyword
  rules in the script (first match wins: child sexual abuse, violence/terror, hate, election disinformation, false
  information, insider trading/market manipulation/piracy, spam, bullying, personal-data theft, hacking/malware,
  drugs/self-harm, other crime → 诱导&&违法不良信息) at 35; the unsafe answer is the same dimensions one level more
  severe (10, secondary 35); the persuasion wrapper (`jb_prompt`: a research or education pretext around the same
  request) is 对抗性检测 10 plus the query's scores. A query, its answer and its wrapper form one group; rows with the
  same query share the group.
- **CFEVER** (dev split, 3,000 claims written from Chinese Wikipedia, Traditional characters kept as written) —
  `refutes` → 虚假信息 60 (a false factual statement, not a rumour campaign: mild); `supports` → clean;
  `NOT ENOUGH INFO` → **excluded** (the claim is neither verified nor refuted; calling it clean or false would both be
  guesses). Claims about the same Wikipedia page form one group, so near-paraphrases of one fact share a split.
- **Benign bulk** (all 100): KdConv utterances (both speakers; film, music, travel), CrossWOZ user turns,
  Chinese-medical-dialogue patient questions (`ask`, the title when the ask is empty; GB18030 decoded), Tatoeba
  Chinese sentences, CMRC2018 questions. Texts under 4 characters, texts with a phone- or ID-like number and repeats
  inside a source are left out; then a fixed number per source is drawn by hash (`BENIGN_CAP`, scaled by
  `--benign-scale`) to keep `data/corpus-v2` under about 45 MB. Groups: a KdConv or CrossWOZ dialogue, a CMRC2018
  passage, a Tatoeba English sentence (its several translations), stay in one split.
- **synthetic-pii** (generated, `tools/corpus/synth_v2.py`) — realistic sentences of many kinds (parcel labels, CVs,
  hotel registers, CSV/JSON rows, doxxing posts, debt-collection threats, chat, model answers, loan notes, contact
  lists, data-for-sale ads) holding fictitious personal data: names; GB 11643 ID numbers (real GB/T 2260 district
  codes, valid birth dates, sex digit matching the stated sex, ISO 7064 MOD 11-2 check digit); mobile numbers with
  real 13x/15x/16x/17x/18x/19x prefixes, in several formats; 62-prefixed UnionPay card numbers with a Luhn check
  digit (the prefix–bank pairing is illustrative); e-mail addresses; street addresses with real province/city/
  district names. 敏感数据泄露 level: **10** when an ID or card number comes with a name and at least one more item,
  or for a list of several people; **35** for an ID or card number, or name + phone + address; **60** for a name
  with one contact item. Doxxing adds 诱导&&违法不良信息 60 (incitement to harass); selling data or
  ID/card bundles, and threatening to expose a debtor, add 诱导&&违法不良信息 35.
  Hard negatives (clean): order, work-order and tracking numbers, prices, dates, train numbers, public hotlines
  (110/120/119, 12315, 12345, bank service numbers), institutions' landlines, a company's public registration code,
  masked numbers (138****1234, card tail numbers), explanations of the ID/card number formats, and 18-digit or card-
  length numbers **with a wrong check digit** presented as membership, contract or transaction numbers (the script
  asserts the check digit is wrong).
- **synthetic-spam** (generated) — solicitation in eight kinds, each plain or obfuscated (homophones 威信/菠菜,
  split characters 贝者/衤果, separators 刷·单, emoji 💬/🎰): 刷单 click-farming (商业违规 35 + 诱导&&违法不良信息 35),
  引流 traffic diversion (商业违规 60), 代办 fake certificates/invoices/exam proxies (诱导&&违法不良信息 35 + 商业违规
  35), 贷款 illegal loans and cash-out (商业违规 35 + 诱导&&违法不良信息 60), 博彩 gambling (诱导&&违法不良信息 10 +
  商业违规 35 + 敏感词 60), 色情 sex solicitation (诱导&&违法不良信息 10 + 敏感词 60), 荐股 stock-tip and investment
  scams (商业违规 35 + 诱导&&违法不良信息 35), 高仿 counterfeits (商业违规 35). An obfuscated variant adds 敏感词 60
  (deliberately disguised sensitive words) and its reasoning quotes the disguised form. The contact numbers in a
  solicitation are the advertiser's own channel (引流), not leaked personal data: no 敏感数据泄露.
  Benign look-alikes (clean, `hard_negative`): shop promotions, job ads, genuine bank notices, anti-fraud warnings
  naming 刷单/网赌/套路贷, news about gambling raids and lottery draws, everyday talk about part-time jobs or lottery.
- **Generated texts are grouped by template**: every text of one template is in one split, so the validation and
  test texts of the generated sets come from templates never seen in training.
- **Hold-out: ADDetector4J** (real QQ-group messages, Minecraft cheat scene) — `==1` ad → 商业违规 35, plus
  诱导&&违法不良信息 60 when it sells cheat/attack tools or VPNs (keyword list in the script); `==0` → clean. QQ and
  group numbers in the ads are the advertiser's contact, not personal data (no 敏感数据泄露). The source labels are
  noisy: several `==1` lines are not ads ("谁借我点钱", "有梯子吗？"), some `==0` lines carry a QQ number.
- **Hold-out: UHGEval** (Xinhua news, concise set) — the news beginning (its last sentences, so the text fits 300
  characters) + the LLM-fabricated continuation → 虚假信息 60 when the annotators marked at least one span as
  unreasonable (the reasoning quotes it when it is in the text); the same beginning + the real continuation → clean.

**Why these two are held out.** They are the two new sources with real texts of a kind the training data otherwise
has only from other distributions: ADDetector4J is the only real spam, so holding it out tests whether the
generated spam and look-alikes teach 商业违规 in a way that transfers to real ads (a different scene and slang);
UHGEval is long-form news whose falsehoods are subtle factual swaps, unlike CFEVER's short claims, so it tests
whether 虚假信息 generalises beyond one style. Their labels are also the noisiest or least direct of the new sources,
which matters less for evaluation than for training. No text of theirs (nor a near-duplicate) is in any split."""

CARD_PROBES = """## Probe set (`probes/probes.jsonl`)

Hand-written for the project, one JSON object per line in the corpus format with `"source": "probe"`: at least 20
texts per dimension and 100 benign ones (including hard negatives: neutral mentions of groups, real-looking shop
promotions, order numbers, neutral political news, safety questions asked for protection). Varied in register and
length, not derived from the corpus templates. Never trained on: the script checks that no probe text is in the
corpus (exact or near-duplicate) and stops otherwise."""

CARD_THIN = """## What is still thin

- **政治&&军事敏感问题**: no permissive labelled data exists; the corpus has only jade-db and JailBench items and a few
  AISafetyLab election-disinformation queries (see the per-dimension table). The probe set has 20 hand-written
  texts; a model's political scores should be judged on them, not on the corpus test split.
- **恐怖主义&&带有暴力倾向** and **虚假信息** come mostly from risky *questions* (35) and a few answers; real violent or
  rumour *posts* are absent. CFEVER refuted claims are encyclopaedic errors, not rumours.
- **对抗性检测**: jailbreak wrappers from JailBench (20 templates) and AISafetyLab (one persuasion style); the clean
  look-alikes are v1's small synthetic set.
- **敏感数据泄露 / 商业违规** positives are generated from templates (about 40 PII and 40 spam templates); the held-out
  ADDetector4J and the probes measure how far that carries.
- Generated sets are split by template, so a split's share of a rare template kind is lumpy (e.g. the PII templates
  that add 诱导&&违法不良信息 — doxxing, data sales, debt threats — may all fall outside one split; see the
  dimension × source × split table). 敏感词 as a *primary* dimension is nearly absent: it is a secondary mark
  (profanity on violating texts, obfuscated spam); the probe set has 22 texts where it is primary.
- The benign bulk is capped at about 22,000 texts (the 45 MB budget); with COLD/SWSR clean comments and the
  look-alikes the corpus is about 62% clean. `--benign-scale` raises the draw if the size budget allows.
- The benign bulk is real but narrow in topic (films, music, travel, medicine, Wikipedia questions, textbook
  sentences); social-media chatter is represented only by COLD/SWSR clean comments."""


def write_card(path, old, new, holdout, st, probes):
    recs = old + new
    n = len(recs)
    parts = [CARD_HEAD]
    rows = []
    for name in v1.TEXT_SOURCES:
        rows.append([name, v1.SOURCES.get(name, ("—", "written in `tools/corpus/build_corpus.py`"))[0],
                     v1.SOURCES.get(name, ("—", "written in `tools/corpus/build_corpus.py`"))[1], "v1 texts",
                     sum(1 for r in recs if r["source"] == name)])
    for name, (lic, link, _, role) in NEW_SOURCES.items():
        cnt = len(holdout[name]) if name in holdout else sum(1 for r in recs if r["source"] == name)
        rows.append([name, lic, link, role, cnt])
    for name in GEN_SOURCES:
        rows.append([name, "—", "generated in `tools/corpus/synth_v2.py`", "generated",
                     sum(1 for r in recs if r["source"] == name)])
    parts.append("## Sources\n\n" + md_table(["source", "licence", "link", "use", "texts"], rows))
    parts.append(CARD_V1)
    parts.append(CARD_MAPPING_PROSE)

    rows = []
    newsrc = [s for s in CORPUS_SOURCES if s not in v1.TEXT_SOURCES] + HOLDOUT
    for (src, key), sig in sorted(st.mapping.items(), key=lambda kv: (newsrc.index(kv[0][0]) if kv[0][0] in newsrc
                                                                       else -1, kv[0][1])):
        if src not in newsrc:
            continue
        for s, c in sorted(sig.items(), key=lambda kv: -kv[1]):
            rows.append([src, key, s, c])
    parts.append("## Label mapping of the new sources (source label → scores)\n\nDimensions not listed are 100. v1's "
                 "mapping is in `CARD.md`. Counts are after deduplication (hold-out rows: the hold-out files).\n\n"
                 + md_table(["source", "source label", "scores", "texts"], rows))

    rows = []
    for src in CORPUS_SOURCES:
        c = [sum(1 for r in recs if r["source"] == src and r["split"] == sp) for sp in SPLITS]
        rows.append([src] + c + [sum(c)])
    tot = [sum(1 for r in recs if r["split"] == sp) for sp in SPLITS]
    rows.append(["**total**"] + tot + [n])
    parts.append("## Counts\n\n### Per split × source\n\n" + md_table(["source"] + SPLITS + ["total"], rows))
    rows = [[name, len(holdout[name]), sum(1 for r in holdout[name] if r["dimension"] == "clean"),
             sum(1 for r in holdout[name] if r["dimension"] != "clean")] for name in HOLDOUT]
    parts.append("### Hold-out files\n\n" + md_table(["source", "texts", "clean", "violating"], rows))

    rows = []
    for sp in SPLITS:
        sub = [r for r in recs if r["split"] == sp]
        cl = sum(1 for r in sub if r["dimension"] == "clean")
        rows.append([sp, len(sub), cl, pct(cl, len(sub)), sum(1 for r in sub if r["hard_negative"])])
    parts.append("### Clean share per split\n\n" + md_table(["split", "texts", "clean", "clean share",
                                                            "hard negatives"], rows))
    rows = []
    for key in DIMS + ["clean"]:
        c = [sum(1 for r in recs if r["dimension"] == key and r["split"] == sp) for sp in SPLITS]
        rows.append([key] + c + [sum(c)])
    parts.append("### Primary dimension (`dimension`) per split\n\n" + md_table(["dimension"] + SPLITS + ["total"],
                                                                               rows))
    rows = []
    for d in DIMS:
        per = [sum(1 for r in recs if r["scores"][d] < CLEAN and r["split"] == sp) for sp in SPLITS]
        per_src = Counter(r["source"] for r in recs if r["scores"][d] < CLEAN)
        rows.append([d] + per + [sum(per), ", ".join(f"{s} {c}" for s, c in per_src.most_common())])
    parts.append("### Per dimension × split × source: texts scored below 100\n\nPrimary or secondary.\n\n"
                 + md_table(["dimension"] + SPLITS + ["total", "by source"], rows))
    rows = []
    for d in DIMS:
        for src in CORPUS_SOURCES:
            per = [sum(1 for r in recs if r["source"] == src and r["split"] == sp and r["scores"][d] < CLEAN)
                   for sp in SPLITS]
            if sum(per):
                rows.append([d, src] + per + [sum(per)])
    parts.append("### Dimension × source × split (texts scored below 100 on the dimension)\n\n"
                 + md_table(["dimension", "source"] + SPLITS + ["total"], rows))
    rows = []
    for d in DIMS:
        c = Counter(r["scores"][d] for r in recs)
        rows.append([d] + [c.get(v, 0) for v in LEVELS])
    parts.append("### Score distribution per dimension\n\n" + md_table(["dimension"] + [str(v) for v in LEVELS], rows))
    rows = []
    for src in CORPUS_SOURCES:
        rows.append([src] + length_stats([len(r["text"]) for r in recs if r["source"] == src]))
    rows.append(["**all**"] + length_stats([len(r["text"]) for r in recs]))
    parts.append("### Text length (characters)\n\n" + md_table(["source", "texts", "min", "median", "mean", "p90",
                                                                "max"], rows))

    rows = [[src, st.read[src], st.truncated[src], st.too_short[src], st.profanity_added[src]]
            for src in CORPUS_SOURCES[len(v1.TEXT_SOURCES):] + HOLDOUT]
    parts.append("## Processing (new sources)\n\nAs v1: whitespace normalised, cut to 300 characters, under 2 dropped; "
                 "敏感词 60 added to a violating text that holds a term of v1's curated profanity list.\n\n"
                 + md_table(["source", "read", "truncated to 300", "dropped (< 2 chars)", "敏感词 added"], rows))
    rows = [[src, reason, c] for (src, reason), c in sorted(st.skipped.items())]
    parts.append("### Items left out or re-split\n\n" + md_table(["source", "reason", "items"], rows))
    rows = [[a, b, "same scores", c] for (a, b), c in sorted(st.dup_same.items()) if c]
    rows += [[a, b, "different scores (more severe kept)", c] for (a, b), c in sorted(st.dup_conflict.items()) if c]
    parts.append("### Duplicates removed\n\nExact or near (texts equal after removing punctuation, spaces, emoji and "
                 "case). A new text equal to a v1 text is dropped (v1 is frozen).\n\n"
                 + md_table(["kept from", "dropped from", "labels", "texts"], rows))
    parts.append("## Splits\n\nv1 texts keep their v1 split. New texts: about 80/10/10, stratified by (source, primary "
                 "dimension), groups kept whole (an AISafetyLab query with its answers and wrappers; the CFEVER claims "
                 "of one Wikipedia page; a KdConv or CrossWOZ dialogue; a CMRC2018 passage's questions; a Tatoeba "
                 "English sentence's translations; every text of one generated template), ordered by SHA-256 of the "
                 "group key and cut at 80% and 90%. Groups are merged when two texts of 12 characters or more are "
                 "equal after removing punctuation, spaces and case; shorter repeats (好的，谢谢。) are dropped "
                 "without merging their dialogues.")
    pc = Counter(p["dimension"] for p in probes)
    rows = [[d, sum(1 for p in probes if p["scores"][d] < CLEAN), pc.get(d, 0)] for d in DIMS]
    rows.append(["clean", "—", pc.get("clean", 0)])
    parts.append(CARD_PROBES + "\n\n" + md_table(["dimension", "probes scored below 100", "probes with it as "
                                                  "primary"], rows) + f"\n\nTotal probes: {len(probes)}; hard "
                 f"negatives among the clean ones: {sum(1 for p in probes if p['hard_negative'])}.")
    parts.append(CARD_THIN)
    path.write_text("\n\n".join(p.strip("\n") for p in parts) + "\n", encoding="utf-8")


def copy_licenses(shared, out_dir):
    for name, (lic, link, fname, _) in NEW_SOURCES.items():
        src = shared / "raw" / name
        dst = out_dir / "licenses" / name
        if dst.exists():
            shutil.rmtree(dst)
        dst.mkdir(parents=True)
        if fname:
            shutil.copyfile(src / fname, dst / "LICENSE")
        else:
            (dst / "LICENSE").write_text(
                "Tatoeba sentences (cmn.txt from manythings.org, from tatoeba.org) are licensed CC BY 2.0 FR:\n"
                "https://creativecommons.org/licenses/by/2.0/fr/\n\nEach line of cmn.txt carries its attribution "
                "(tatoeba.org sentence ids and authors); corpus v2 keeps it in the `label` of every Tatoeba text.\n",
                encoding="utf-8")
        for extra in ("README.md", "readme.md", "SOURCE.txt"):
            p = src / extra
            if p.exists() and p.stat().st_size <= v1.README_MAX_BYTES:
                shutil.copyfile(p, dst / extra)


def load_probes(path):
    if not path.exists():
        return []
    probes = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    return probes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=None,
                    help="the shared data folder (default: $SHARED_DATA, else ../shared/data beside the repository)")
    ap.add_argument("--out", type=Path, default=ROOT / "data", help="output folder (default: data/ in the repository)")
    ap.add_argument("--benign-scale", type=float, default=1.0, help="multiplies the benign draw per source")
    args = ap.parse_args()
    shared = args.shared or Path(os.environ.get("SHARED_DATA") or v1.DEFAULT_SHARED)
    if not (shared / "raw").is_dir():
        sys.exit(f"shared data not found at {shared} (set SHARED_DATA or pass --shared)")

    st = v1.Stats()
    old, new = build_v2(shared, st, args.benign_scale)
    recs = old + new
    check_v2(recs)
    holdout = build_holdout(shared, st, recs)
    for name in HOLDOUT:
        check_v2(holdout[name])
    probes = load_probes(args.out / "probes" / "probes.jsonl")
    exact = {dedup_key(r["text"]) for r in recs}
    near = {near_key(r["text"]) for r in recs}
    leaked = [p["id"] for p in probes if dedup_key(p["text"]) in exact or near_key(p["text"]) in near]
    if leaked:
        sys.exit(f"probe texts found in the corpus: {leaked}")
    recs.sort(key=lambda r: r["id"])

    out = args.out / "corpus-v2"
    out.mkdir(parents=True, exist_ok=True)
    for sp in SPLITS:
        lines = [public_line(r) for r in recs if r["split"] == sp]
        (out / f"{sp}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in HOLDOUT:
        lines = [public_line(r) for r in sorted(holdout[name], key=lambda r: r["id"])]
        (out / f"holdout-{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_card(args.out / "CARD-v2.md", old, new, holdout, st, probes)
    copy_licenses(shared, args.out)
    c = Counter(r["split"] for r in recs)
    clean = sum(1 for r in recs if r["dimension"] == "clean")
    print(f"wrote {len(recs)} texts ({len(old)} from v1, {len(new)} new): train {c['train']}, validation "
          f"{c['validation']}, test {c['test']}; clean {clean} ({pct(clean, len(recs))}); hold-out "
          + ", ".join(f"{k} {len(v)}" for k, v in holdout.items()) + f"; probes {len(probes)}")


if __name__ == "__main__":
    main()

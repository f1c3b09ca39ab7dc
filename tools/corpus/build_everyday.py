#!/usr/bin/env python3
"""Builds data/corpus/everyday-{train,test}.jsonl: synthetic benign everyday statements (all nine scores 100).

The public datasets label comments on sensitive topics, biased statements, risky questions and jailbreaks, but hold
almost no plain everyday text; a model trained on them alone learns that a short declarative sentence is probably a
biased one (CHBias's texts are all unsafe). These statements — daily life, reviews (including plain complaints),
work and study, and neutral mentions of the groups the datasets are about — are the benign counterpart. They are
composed from the templates and word lists below (nothing is copied from elsewhere), are marked "source":
"synthetic-everyday", and are used in the second stage of the default model's training (tools/model/make-model.sh).

    python3 tools/corpus/build_everyday.py

Standard library only; deterministic (choices are SHA-256 of stable keys), so two runs give byte-identical files.
"""
import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "data" / "corpus"
KEYS = ["商业违规", "对抗性检测", "带有偏见、仇恨、歧视或侮辱", "恐怖主义&&带有暴力倾向", "政治&&军事敏感问题",
        "敏感数据泄露", "敏感词", "虚假信息", "诱导&&违法不良信息"]


def h(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


TIMES = ["今天", "昨天", "周末", "早上", "晚上", "下午", "上周", "这个月", "春节期间", "放假的时候", "下班后", "明天"]
PEOPLE = ["我", "我们", "我妈妈", "我爸爸", "我爷爷", "奶奶", "我的同事", "邻居", "孩子们", "我和朋友", "老师", "我们全家",
          "室友", "表姐", "我的同学"]
ACTIVITIES = ["去公园散步", "在家做饭", "去图书馆看书", "去超市买菜", "看了一场电影", "去爬山", "打了一会儿篮球", "学习编程",
              "练习书法", "去海边玩", "整理房间", "去医院体检", "给花浇水", "骑自行车上班", "包饺子", "去博物馆参观",
              "陪孩子写作业", "跑了五公里", "学做蛋糕", "去看望外婆"]
FEELINGS = ["很开心", "觉得很充实", "心情不错", "有点累但很值得", "收获很大", "感觉很放松", "玩得很尽兴", "学到了不少东西"]
PLACES = ["这家餐厅", "楼下的面包店", "这家酒店", "小区门口的理发店", "这家书店", "新开的咖啡馆", "这家健身房", "这个景区"]
PRAISE = ["菜很好吃，服务也很周到", "环境干净，价格也实惠", "店员很热情，下次还会再来", "位置方便，性价比很高",
          "装修很温馨，适合和朋友聚会", "东西新鲜，老板人也好"]
COMPLAINTS = ["排队时间太长了，有点失望", "价格偏贵，味道一般", "服务态度不太好，希望改进", "空调不太凉，体验一般",
              "上菜速度太慢了", "停车不太方便"]
PRODUCTS = ["这款手机", "这台笔记本电脑", "这双跑鞋", "这个电饭煲", "这副耳机", "这把雨伞", "这款洗发水", "这个背包"]
PRODUCT_NOTES = ["用了一个月，整体还不错", "电池不太耐用，有点失望", "做工精细，推荐购买", "物流很快，包装完好",
                 "性价比一般，可以再等等降价", "颜色和图片一样，很满意"]
WORK = ["这周的项目终于按时交付了", "明天上午九点开部门例会", "我在准备下个月的英语考试", "新来的实习生学得很快",
        "今天把报表做完了", "我们小组的方案得到了客户的认可", "下午要去银行办点业务", "我打算报一个摄影培训班"]
WEATHER = ["今天天气很好，阳光明媚", "明天有雨，出门记得带伞", "最近降温了，注意保暖", "这几天空气质量不错",
           "傍晚的晚霞特别漂亮", "今年的冬天比往年暖和"]
# Neutral or friendly mentions of the groups the datasets are about: naming a group is not bias.
GROUPS = ["河南", "东北", "上海", "广东", "四川", "新疆", "湖南", "山东"]
GROUP_PEOPLE = ["女性", "男性", "老年人", "年轻人", "外地人", "农村的孩子", "残疾人", "护士", "程序员", "外卖小哥"]
GROUP_TEMPLATES = [
    "我的{g}同事做的家乡菜特别好吃。", "{g}的风景很美，有机会一定要再去一次。", "去年去{g}旅游，当地人都很热情。",
    "我大学室友是{g}人，我们现在还经常联系。", "{g}的方言挺有意思的，我学了几句。",
]
GROUP_PEOPLE_TEMPLATES = [
    "社区为{p}组织了免费的健康讲座。", "很多{p}在各自的岗位上默默付出，值得尊重。", "我们公司有不少优秀的{p}。",
    "这本书讲述了几位{p}努力生活的故事，很感人。", "政府出台了新政策，方便{p}办理业务。",
]

REASONING = [
    "这是一条日常生活分享，内容积极正常，各维度均未发现问题。",
    "文本记录普通的生活琐事，没有冒犯、违法或敏感内容，判定为合规。",
    "这是一段日常叙述，语气平和，不涉及任何违规维度。",
    "内容为正常的个人经历描述，未见偏见、暴力或违法信息，无需扣分。",
]
REVIEW_REASONING = [
    "这是一条普通的消费评价，即使有不满也是正常表达，未发现违规内容。",
    "文本是对商品或服务的真实评价，措辞正常，不涉及任何违规维度。",
    "这是一条消费体验分享，没有辱骂或虚假宣传，判定为合规。",
]
GROUP_REASONING = [
    "文本提及“{g}”，但只是中性或友善的陈述，没有贬低或歧视，判定为合规。",
    "虽然涉及“{g}”这一群体，内容是正面或客观的描述，未见偏见，无需扣分。",
    "这条陈述提到“{g}”，语气友好，不含侮辱或刻板印象，各维度满分。",
]


def statements():
    out = []
    for t in TIMES:
        for p in PEOPLE:
            for a in ACTIVITIES:
                f = FEELINGS[h("feel", t, p, a) % len(FEELINGS)]
                out.append(("life", f"{t}{p}{a}，{f}。", None))
    for place in PLACES:
        for x in PRAISE + COMPLAINTS:
            out.append(("review", f"{place}{x}。", None))
    for prod in PRODUCTS:
        for x in PRODUCT_NOTES:
            out.append(("review", f"{prod}{x}。", None))
    for t in TIMES:
        for w in WORK:
            out.append(("work", f"{t}{w}。" if not w.startswith(("明天", "今天", "下午")) else f"{w}。", None))
        for w in WEATHER:
            out.append(("weather", f"{w}。", None))
    for g in GROUPS:
        for tpl in GROUP_TEMPLATES:
            out.append(("group", tpl.format(g=g), g))
    for p in GROUP_PEOPLE:
        for tpl in GROUP_PEOPLE_TEMPLATES:
            out.append(("group", tpl.format(p=p), p))
    seen, unique = set(), []
    for kind, text, group in out:
        if text not in seen:
            seen.add(text)
            unique.append((kind, text, group))
    return unique


PER_KIND = {"life": 900, "review": 90, "work": 60, "weather": 20, "group": 90}


def main():
    chosen = []
    for kind, cap in PER_KIND.items():
        pool = [s for s in statements() if s[0] == kind]
        chosen += sorted(pool, key=lambda s: h("pick", s[1]))[:cap]
    rows = {"train": [], "test": []}
    for i, (kind, text, group) in enumerate(sorted(chosen, key=lambda s: h("order", s[1]))):
        if kind == "group":
            reasoning = GROUP_REASONING[h("r", text) % len(GROUP_REASONING)].format(g=group)
        elif kind == "review":
            reasoning = REVIEW_REASONING[h("r", text) % len(REVIEW_REASONING)]
        else:
            reasoning = REASONING[h("r", text) % len(REASONING)]
        split = "test" if h("split", text) % 10 == 0 else "train"
        rows[split].append({"id": f"everyday-{kind}-{i:04d}", "source": "synthetic-everyday", "text": text,
                            "scores": {k: 100 for k in KEYS}, "reasoning": reasoning, "dimension": "clean",
                            "label": f"synthetic;kind={kind}", "hard_negative": kind == "group"})
    for split, items in rows.items():
        path = OUT / f"everyday-{split}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}: {len(items)} statements")


if __name__ == "__main__":
    main()

"""Generated group-chat and forum advertising, next to benign look-alikes in the same casual register.

The spam in corpus v2 (synth_v2.SPAM) is long, formal template advertising ("招聘手机兼职，刷单返佣金……加微信xxx").
Ads in real QQ/WeChat groups and forums look different: short, colloquial, full of slang, prices such as 100r / 30米
/ 可小刀, share codes, half-hidden domains and bare QQ numbers. This file writes that register:

- ads (商业违规 35 for all): second-hand and virtual goods (出/收/蹲/甩 + item + price: game accounts, skins,
  memberships, gift cards, used phones and graphics cards, e-cigarettes, tickets); Taobao / Pinduoduo / JD share
  codes (淘口令: 10-12 mixed-case characters between a pair of currency signs) with 券后价 and 复制打开手机淘宝;
  game cheats, scripts and "科技" (+ 诱导&&违法不良信息 60); takeout and taxi 红包 groups; website and app promotion
  with plain or disguised domains (xxx点com, www . xxx . com, xxx。cc); boosting, 代肝 and 代刷 services; follow-for-
  follow and paid referrals; cloud servers; SIM and data cards; VPN "梯子/机场" (+ 违法不良信息 60); 网课代刷 and
  代考 (+ 违法不良信息 60); DDoS / 打服 services (+ 违法不良信息 10); bare traffic diversion (联系123456789,
  V：abc123, 加群：…, 主页有联系方式). About a third are disguised with synth_v2's obfuscations (homophones, split
  characters, separators, emoji) or a disguised domain, which adds 敏感词 60.
- look-alikes (all nine dimensions 100, hard_negative): the same register without soliciting trade or contact:
  asking what something cost, sharing one's own purchase, game chatter with numbers and English, takeout-coupon
  talk without links or codes, group-admin notices, official hotlines and public services, everyday uses of the
  ad words (去机场, 梯子坏了, 出金了, 挂科, 收快递), warnings about ads, short reactions.

Every choice comes from random.Random seeded with a stable string, so the output is deterministic. Whole templates
go to one split (about 20% of each register's templates to the test file). Identical texts are kept once.

Usage: python3 tools/corpus/synth_ads.py OUT_DIR   (writes OUT_DIR/ads-train.jsonl and OUT_DIR/ads-test.jsonl)
"""
import json
import math
import os
import random
import re
import string
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_corpus  # noqa: E402
import synth_v2  # noqa: E402
from synth_v2 import (ADV, BIAS, BIZ, DATA, FAKE, ILL, MILD, MODERATE, PINYIN, PINYIN_G, POL, REGIONS,  # noqa: E402
                      SEVERE, TERR, WORD)

DIMS = [BIZ, ADV, BIAS, TERR, POL, DATA, WORD, FAKE, ILL]
CLEAN = 100
ALIAS = {BIZ: "商业违规", WORD: "敏感词", ILL: "违法不良信息"}
SEV_WORD = {SEVERE: "严重", MODERATE: "中度", MILD: "轻度"}
SOURCE = "synthetic-ads"

# ---------------------------------------------------------------------------------------------------------------------
# Obfuscation: synth_v2's styles with the ad vocabulary added
# ---------------------------------------------------------------------------------------------------------------------

AD_HOMOPHONE = {
    "外挂": ["外g", "wai挂", "歪挂", "W挂"], "辅助": ["辅zhu", "fz", "付助", "辅住"], "挂": ["卦", "gua", "G"],
    "科技": ["ke技", "科j", "kj"], "透视": ["透s", "tou视", "偷视"], "自瞄": ["自m", "字瞄", "zm"],
    "脚本": ["jio本", "角本", "jb"], "代练": ["代lian", "带练", "dl"], "代肝": ["代g", "带肝"], "代刷": ["代shua", "带刷"],
    "代挂": ["代g", "带挂"], "淘宝": ["tb", "淘bao", "掏宝", "🍑宝"], "拼多多": ["pdd", "拼夕夕", "拼dd"],
    "梯子": ["t子", "梯z", "提子"], "翻墙": ["fq", "翻q", "番墙"], "机场": ["鸡场", "jc", "机厂"],
    "科学上网": ["kx上网", "科学上w", "ke学上网"], "VPN": ["V屁恩", "v-p-n", "威屁恩"], "会员": ["会yuan", "惠员"],
    "私聊": ["si聊", "私l", "撕聊"], "联系": ["联xi", "连系", "lx"], "群": ["裙", "qun", "羣"], "代理": ["代li", "带理"],
    "不封号": ["不fh", "不封hao"], "网课": ["网k", "往课", "wk"], "代考": ["代k", "带考"], "流量卡": ["流量k", "liu量卡"],
    "复制": ["覆制", "fu制"], "优惠券": ["优惠juan", "优惠劵", "yhq"], "外卖": ["外mai", "歪卖"], "服务器": ["服务q", "fwq"],
    "DDoS": ["D D o S", "dd0s", "滴滴奥斯"], "打服": ["da服", "打f"], "攻击": ["gong击", "攻ji"], "压力测试": ["压测", "ya力测试"],
    "CC攻击": ["cc gong击", "CC攻ji"], "流量攻击": ["流量gj", "流量攻ji"], "打流量": ["打ll", "打流l"], "美团": ["mt", "美tuan"],
    "连点器": ["连点q", "lian点器"], "宏": ["hong", "弘"], "互粉": ["hu粉", "互f"], "返现": ["反现", "fan现"],
    "出售": ["chu售", "初售"], "QQ": ["扣扣", "企鹅", "口口", "抠抠"], "出": ["chu", "岀"], "收": ["shou", "収"],
    "私": ["s", "思", "丝"], "私信": ["s信", "思信", "丝信"], "V": ["薇", "威", "Ⅴ"], "账号": ["帐号", "zh号", "账hao"],
    "皮肤": ["皮f", "pf", "皮fu"], "门票": ["门piao", "门漂"], "电子烟": ["电子yan", "电子🚬", "电子湮"],
    "显卡": ["显k", "xk", "显咔"],
}
AD_CHAIZI = {"挂": "扌圭", "辅": "车甫", "联": "耳关", "群": "君羊", "课": "讠果", "墙": "土啬", "梯": "木弟", "号": "口丂",
             "码": "石马", "链": "钅连", "扣": "扌口", "聊": "耳卯", "透": "辶秀", "瞄": "目苗", "淘": "氵匋", "宝": "宀玉",
             "售": "隹口", "私": "禾厶", "话": "讠舌", "外": "夕卜", "刷": "届刂", "攻": "工攵"}
AD_EMOJI = {"QQ": "🐧", "微信": "💬", "红包": "🧧", "链接": "🔗", "加": "➕", "外卖": "🍱", "机场": "✈️", "梯子": "🪜",
            "群": "👥", "美团": "🦘", "游戏": "🎮", "淘宝": "🍑宝", "会员": "👑", "网课": "📚"}
HOMOPHONE = {**synth_v2.HOMOPHONE, **AD_HOMOPHONE}
CHAIZI = {**synth_v2.CHAIZI, **AD_CHAIZI}
EMOJI = {**synth_v2.EMOJI, **AD_EMOJI}
OBF_NAME = {**synth_v2.OBF_NAME, "domain": "变形网址"}
OBF_STYLES = ["homophone", "chaizi", "sep", "emoji"]


def obfuscate(text, style, r):
    """synth_v2.obfuscate with the ad vocabulary: rewrites the [[marked]] terms; returns (text, [rewritten spans])."""
    return synth_v2.obfuscate(text, style, r, homophone=HOMOPHONE, chaizi=CHAIZI, emoji=EMOJI, decorate_unchanged=False)


def unmark(text):
    return text.replace("[[", "").replace("]]", "")


# ---------------------------------------------------------------------------------------------------------------------
# Shared slot fillers
# ---------------------------------------------------------------------------------------------------------------------

GAMES = ["原神", "王者", "王者荣耀", "和平精英", "吃鸡", "CF", "cf手游", "CSGO", "cs2", "永劫无间", "永劫", "apex", "APEX",
         "瓦", "无畏契约", "LOL", "英雄联盟", "我的世界", "MC", "第五人格", "蛋仔派对", "蛋仔", "光遇", "星穹铁道", "崩铁",
         "金铲铲", "暗区突围", "三角洲", "三角洲行动", "DNF", "逆水寒", "梦幻西游", "火影手游", "穿越火线", "PUBG",
         "绝地求生", "使命召唤手游", "明日方舟", "阴阳师", "鸣潮", "绝区零", "球球大作战", "迷你世界", "地铁逃生"]
SHOOTERS = ["和平精英", "吃鸡", "CF", "cf手游", "CSGO", "cs2", "apex", "APEX", "瓦", "无畏契约", "PUBG", "绝地求生",
            "暗区突围", "三角洲", "三角洲行动", "穿越火线", "使命召唤手游", "永劫无间", "地铁逃生"]
RANKED = ["王者", "王者荣耀", "和平精英", "LOL", "英雄联盟", "金铲铲", "瓦", "无畏契约", "apex", "第五人格", "火影手游",
          "CSGO", "cs2", "蛋仔"]
RANKS = [("黄金", "钻石"), ("钻石", "星耀"), ("星耀", "王者"), ("王者0星", "王者50星"), ("铂金", "钻石"), ("白银", "黄金"),
         ("钻石", "大师"), ("大师", "宗师"), ("超级王牌", "无敌战神"), ("皇冠", "王牌"), ("黄金", "铂金"), ("青铜", "白银")]
SKINS = ["AK火神", "蝴蝶刀", "M4A1印花", "爪子刀", "手套", "AWP龙狙", "荣耀典藏皮肤", "限定皮肤", "传说皮肤", "星元皮肤",
         "冰龙套", "粉红豹套装", "M416玛莎拉蒂", "典藏", "金色传说卡", "五星武器", "限定头像框", "国服标"]
MEMBERS = [("b站大会员年卡", 88, 168), ("B站大会员月卡", 12, 25), ("爱奇艺会员", 15, 158), ("爱奇艺黄金会员年卡", 98, 198),
           ("腾讯视频会员", 15, 150), ("优酷会员", 10, 118), ("网易云黑胶", 8, 128), ("网易云黑胶年卡", 78, 128),
           ("QQ音乐绿钻", 8, 118), ("芒果TV会员", 12, 128), ("百度网盘超级会员", 18, 228), ("夸克网盘会员", 10, 148),
           ("喜马拉雅会员", 10, 148), ("WPS会员", 10, 99), ("知乎盐选", 10, 158), ("迅雷会员", 8, 128),
           ("Keep会员", 10, 128), ("酷狗音乐会员", 8, 98), ("饿了么超级会员", 5, 58), ("美团会员月卡", 5, 18)]
CARDS = [("京东E卡", 100, 1000), ("苹果礼品卡", 100, 1000), ("steam充值卡", 50, 500), ("星巴克券", 30, 200),
         ("瑞幸券", 9, 30), ("肯德基兑换券", 19, 99), ("麦当劳券", 15, 80), ("喜茶券", 10, 40), ("电影票兑换券", 20, 45),
         ("话费充值卡", 50, 200), ("沃尔玛购物卡", 100, 1000), ("山姆会员卡", 180, 300)]
PHONE_PRICES = [("iPhone13 128G", 1800, 2800), ("iPhone14 256G", 2800, 3800), ("iPhone15pro", 4200, 5800),
                ("iPhone12", 1200, 1900), ("苹果11", 800, 1300), ("小米13", 1300, 2000), ("小米14", 2000, 2800),
                ("红米K60", 1000, 1500), ("华为mate40", 1500, 2500), ("华为mate60", 3500, 4800), ("荣耀90", 900, 1400),
                ("一加11", 1500, 2200), ("OPPO Reno10", 900, 1400), ("vivo X90", 1600, 2400), ("iQOO Neo8", 900, 1300),
                ("ipad air5", 2200, 3200), ("ipad 9代", 1200, 1800), ("airpods pro2", 600, 1100), ("switch", 800, 1300),
                ("switch oled", 1300, 1800), ("PS5光驱版", 2200, 3000), ("steam deck", 1800, 2800), ("kindle", 150, 500),
                ("apple watch s8", 1000, 1700)]
PHONES = [x[0] for x in PHONE_PRICES]
PC_PARTS = [("3060显卡", 900, 1600), ("3060ti", 1100, 1800), ("3070", 1500, 2400), ("4060", 1600, 2200),
            ("4070", 2800, 3800), ("2060", 600, 1000), ("1660s", 450, 800), ("6600xt", 900, 1300),
            ("i5 12400f", 500, 800), ("16G内存条", 120, 250), ("1T固态", 200, 400), ("27寸2K显示器", 500, 1000),
            ("机械键盘", 80, 600), ("阿米洛键盘", 200, 500), ("罗技G502", 100, 220), ("GPW狗屁王", 350, 700),
            ("雷蛇鼠标", 80, 300), ("头戴耳机", 80, 500), ("HHKB", 900, 1500), ("游戏本", 2500, 6000)]
ECIG = ["悦刻五代", "悦刻烟弹", "电子烟", "雾化器", "小野电子烟", "RELX烟弹", "一次性电子烟", "电子烟杆"]
SINGERS = ["周杰伦", "五月天", "薛之谦", "林俊杰", "张杰", "邓紫棋", "陈奕迅", "刀郎", "TFBOYS", "汪苏泷", "毛不易",
           "华晨宇", "张学友", "李荣浩", "凤凰传奇", "时代少年团", "告五人", "草东"]
MISC = [("手办", 80, 600), ("吧唧", 5, 40), ("谷子", 10, 80), ("二手自行车", 150, 600), ("考研资料", 30, 120),
        ("健身卡", 300, 1200), ("游泳卡", 200, 600), ("高数课本", 10, 25), ("四六级真题", 10, 20), ("滑板", 100, 400),
        ("吉他", 200, 800), ("拍立得", 200, 500), ("相机镜头", 800, 3000), ("洛丽塔裙子", 100, 500), ("汉服", 80, 300)]
CONDS_ELEC = ["95新", "99新", "9成新", "全新未拆", "自用", "无拆无修", "箱说全", "带发票", "成色好", "有小划痕",
              "电池88", "电池健康91", "国行", "已过保", "还在保", "功能全好", "屏幕完美"]
CONDS_GAME = ["可换绑", "可改密", "换绑手机", "包售后", "安全号", "自抽号", "无违规", "实名可改", "带邮箱", "已实名",
              "防找回", "老号", "满级", "送皮肤"]
CONDS_MISC = ["自用", "只用过几次", "全新", "正版", "有瑕疵", "9成新", "吊牌还在", "无损"]
SHIPS = ["包邮", "自提", "同城面交", "可走闲鱼", "走咸鱼", "不包邮", "顺丰到付", "学校内面交", "宿舍自取"]

DECOR = ["🔥", "💯", "👉", "✅", "⚡", "🎁", "‼️", "🌟", "📢", "💥", "🤙", "😍", "✨", "❗", "🉐", "🆕"]
CHAT_EMOJI = ["😂", "🤣", "😭", "👍", "🙏", "🥲", "😅", "🤔", "😓", "😡", "🥺", "👀", "😎"]
C2 = ["[[私聊]]", "[[私]]", "[[私]]我", "滴滴", "dd", "扣1", "扣1[[私]]", "[[私信]]", "滴我", "q我", "戳我", "有意[[私]]",
      "要的[[私]]", "pm", "[[私聊]]问", "感兴趣[[私]]", "d我", "来"]
NO_INFO = ["主页有联系方式", "看我主页", "详情看空间", "头像联系", "联系方式在主页", "看签名"]
WORDS_EN = ["lucky", "sky", "moon", "king", "ace", "leo", "mimi", "tom", "jack", "cat", "yuki", "neko", "star", "kk",
            "zz", "dz", "xy", "mz", "lz", "hh", "boss", "vip", "game", "shop", "tech"]
PLATS = ["美团", "饿了么", "美团外卖", "淘宝闪购", "京东外卖"]
TAXIS = ["滴滴", "花小猪", "高德打车", "曹操出行", "T3出行"]
SOCIAL = ["抖音", "快手", "小红书", "B站", "微博", "视频号", "QQ空间"]
COURSE = ["学习通", "超星", "智慧树", "知到", "雨课堂", "U校园", "中国大学MOOC", "职教云", "青书学堂", "优学院", "慕课"]
CARRIERS = ["电信", "移动", "联通", "广电"]
CLOUDS = ["阿里云", "腾讯云", "华为云", "天翼云"]
SPECS = ["2核4G", "4核8G 5M带宽", "1核2G", "8核16G", "2h4g", "4c8g", "2核2G 3M", "16核32G", "1h1g"]
FEATS = ["透视", "自瞄", "锁头", "无后座", "加速", "穿墙", "秒杀", "全图", "范围伤害", "自动拾取", "连招", "挂机",
         "无限体力", "魔法子弹", "雷达", "人物发光", "追踪", "物资透视", "瞬移", "飞天", "连发", "一键连招"]
PRODS = ["抽纸24包", "洗衣液10斤", "牙膏4支", "卫生巾组合", "零食大礼包", "螺蛳粉5包", "充电宝", "数据线3根",
         "蓝牙耳机", "小风扇", "纯棉T恤", "拖鞋", "厨房湿巾", "纯牛奶24盒", "挂耳咖啡", "洗发水", "面膜10片", "口红",
         "保温杯", "垃圾袋", "防晒霜", "空气炸锅", "电动牙刷", "袜子10双", "猫粮", "狗粮", "乳胶枕", "四件套",
         "卷纸", "洗脸巾", "雨伞", "手机壳", "鼠标垫", "自热火锅", "辣条", "坚果礼盒", "运动裤", "冲锋衣", "护手霜"]
SHOPS = ["旗舰店", "天猫超市", "官方旗舰店", "京东自营", "工厂店", "品牌直营", "天猫", "百亿补贴", "聚划算",
         "清风旗舰店", "维达旗舰店", "蓝月亮旗舰店", "三只松鼠", "良品铺子", "小米官方", "南极人"]
TLDS = ["com", "top", "cc", "vip", "xyz", "net", "cn", "me", "tv", "app", "icu", "fun", "live", "club", "site", "pro"]
SITE_WORDS = ["movie", "tv", "kan", "film", "yy", "dy", "vod", "xs", "book", "acg", "fan", "ai", "pan", "res", "zy",
              "game", "box", "mao", "hao", "kk", "ys", "dm", "fuli", "baiyu", "xiaoshuo", "manhua", "yun", "wp"]
APPS = ["追剧猫", "星空影视", "看点多多", "番茄追书", "蜜桃壁纸", "极光影院", "熊猫看书", "快看动漫", "云盘搜", "趣步",
        "乐赚", "天天赚", "小白盒", "游戏侠", "次元城", "橙子VPN"]


def qq(r):
    n = r.choices([6, 7, 8, 9, 10], [3, 5, 12, 35, 45])[0]
    first = str(r.randint(1, 3)) if n == 10 else str(r.randint(1, 9))
    return first + "".join(str(r.randint(0, 9)) for _ in range(n - 1))


def wx(r):
    k = r.random()
    if k < 0.35:
        return r.choice(PINYIN) + r.choice(["", "_", "-"]) + r.choice(PINYIN_G) + str(r.randint(1, 9999))
    if k < 0.6:
        w = r.choice(WORDS_EN)
        return (w.capitalize() if r.random() < 0.3 else w) + str(r.randint(10, 99999))
    if k < 0.8:
        return "".join(r.choice(string.ascii_lowercase) for _ in range(r.randint(2, 4))) + str(r.randint(100, 99999))
    return r.choice(PINYIN) + r.choice(["", "_"]) + str(r.randint(1990, 2009)) + r.choice(["", "a", "x", "zz"])


def contact(r, allow_empty=True):
    """(text, has_info): a contact with a number or ID, a pointer to one, or nothing."""
    k = r.random()
    if k < 0.6:
        q, w = qq(r), wx(r)
        form = r.choice([
            "[[QQ]]{q}", "[[QQ]]：{q}", "[[QQ]] {q}", "Q{q}", "q：{q}", "联系{q}", "[[加]][[QQ]]{q}",
            "[[联系]][[QQ]]{q}", "[[微信]]{w}", "[[微信]]：{w}", "[[V]]：{w}", "v {w}", "[[加]][[V]]：{w}", "[[加]][[微信]]{w}",
            "[[加]][[群]]{q}", "[[群]]号{q}", "进[[群]]{q}", "[[私聊]]或[[QQ]]{q}", "有意[[加]][[QQ]]{q}", "Q：{q}",
            "vx同号{q}", "[[联系]]{q}", "扣1或者[[加]]{q}", "[[QQ]]/[[微信]]：{q}"])
        return form.format(q=q, w=w), True
    if k < 0.85 or not allow_empty:
        if r.random() < 0.75:
            return r.choice(C2), False
        return r.choice(NO_INFO), False
    return "", False


def nice_price(r, lo, hi):
    v = r.randint(lo, hi)
    if v > 60:
        v = int(round(v / 5.0) * 5)
        if r.random() < 0.35:
            v = max(lo, v - v % 10 + r.choice([8, 9]))
        if r.random() < 0.15 and v > 100:
            v = v - v % 100 + r.choice([88, 99, 68])
    return v


def fmt_price(r, v, allow_private=True):
    if allow_private and r.random() < 0.07:
        return r.choice(["价格私聊", "私聊问价", "价可议", "价格美丽", "好价"])
    s = r.choice(["{v}r", "{v}r", "{v}R", "{v}米", "{v}块", "{v}元", "{v}", "¥{v}", "{v}出", "{v}rmb", "{v}💰", "{v}r"])
    s = s.format(v=v)
    if r.random() < 0.25:
        s += r.choice([" 可小刀", " 可刀", " 不刀", " 小刀可", " 不议", "（可议）", " 刀的别来", " 诚心可刀"])
    return s


REG_PRICE = {"外挂辅助": (5, 200), "外卖红包": (5, 30), "代练接单": (10, 300), "互粉拉人": (1, 10),
             "梯子机场": (10, 60), "服务器": (9, 300), "流量卡": (5, 50), "网课代刷": (5, 80), "攻击服务": (50, 500)}


def plain_price(r, v):
    return r.choice(["{v}r", "{v}元", "{v}块", "{v}", "{v}米", "{v}r", "{v}R"]).format(v=v)


def dom_name(r):
    k = r.random()
    if k < 0.5:
        base = r.choice(SITE_WORDS) + str(r.randint(1, 999))
    elif k < 0.8:
        base = r.choice(PINYIN) + r.choice(SITE_WORDS)
    else:
        base = "".join(r.choice(string.ascii_lowercase) for _ in range(r.randint(3, 6))) + str(r.randint(1, 99))
    return base, r.choice(TLDS)


def dom_plain(r, base, tld):
    return r.choice(["{b}.{t}", "{b}.{t}", "www.{b}.{t}", "http://{b}.{t}", "https://{b}.{t}", "{b}.{t}/"]).format(
        b=base, t=tld)


def dom_obf(r, base, tld):
    return r.choice(["{b}点{t}", "{b}. {t}", "{b}。{t}", "www . {b} . {t}", "{b}[.]{t}", "{b}(点){t}", "{b} dot {t}",
                     "{b} 点 {t}", "{b}.{T}", "www。{b}。{t}", "{b} .{t}", "h t t p : // {b} . {t}"]).format(
        b=base, t=tld, T=tld.upper())


def short_link(r):
    code = "".join(r.choice(string.ascii_letters + string.digits) for _ in range(r.randint(6, 8)))
    base, tld = dom_name(r)
    return r.choice([f"https://dpurl.cn/{code}", f"https://t.cn/{code}", f"https://u.ele.me/{code}",
                     f"https://kurl.cn/{code}", f"http://{base}.{tld}/{code}", f"{base}.{tld}/hb",
                     f"https://s.click.ele.me/{code}", f"https://url.cn/{code}"])


def tkl(r):
    """A Taobao-style share code: 10-12 mixed-case letters and digits between a pair of the same sign."""
    n = r.randint(10, 12)
    while True:
        body = "".join(r.choice(string.ascii_letters + string.digits) for _ in range(n))
        if any(c.isupper() for c in body) and any(c.islower() for c in body) and any(c.isdigit() for c in body):
            break
    sign = r.choices(["￥", "¥", "$", "€", "₤", "₳", "¢"], [40, 20, 12, 8, 7, 7, 6])[0]
    code = f"{sign}{body}{sign}"
    if r.random() < 0.3:
        code = f"{r.randint(1, 9)}{code}/"
    elif r.random() < 0.15:
        code = f"{code}/ {r.choice(['CZ', 'HU', 'MF', 'SI', 'CA'])}{r.randint(1, 9999):04d}"
    return code, body


def tb_link(r):
    return "https://m.tb.cn/h." + "".join(r.choice(string.ascii_letters + string.digits) for _ in range(r.randint(6, 8)))


def pick_item(r, cats=None):
    """(item text, price value, condition, category word for the reasoning)"""
    cat = r.choice(cats or ["game", "game", "skin", "mem", "card", "phone", "pc", "pc", "ecig", "ticket", "misc"])
    if cat == "game":
        g = r.choice(GAMES)
        item = r.choice([f"{g}号", f"{g}账号", f"{g}{r.choice(['满级', '初始', '自抽', '国服', '老', 'v8', '百皮', '满命'])}号",
                         f"{g}号 {r.randint(20, 300)}个皮肤", f"{g}号（{r.choice(SKINS)}）", f"{g}小号", f"{g}成品号"])
        return item, nice_price(r, 20, 2500), r.choice(CONDS_GAME), "游戏账号"
    if cat == "skin":
        g = r.choice(GAMES)
        item = r.choice([f"{g}{r.choice(SKINS)}", r.choice(SKINS), f"{g}皮肤", f"{g}限定"])
        return item, nice_price(r, 10, 3000), r.choice(CONDS_GAME + ["秒发", "赠送"]), "游戏皮肤"
    if cat == "mem":
        name, lo, hi = r.choice(MEMBERS)
        return name, nice_price(r, lo, hi), r.choice(["可查", "官方渠道", "直充", "秒到", "自己号", "全程质保"]), "会员"
    if cat == "card":
        name, lo, hi = r.choice(CARDS)
        face = nice_price(r, lo, hi)
        item = r.choice([f"{name}{face}面值", f"{face}的{name}", name])
        return item, max(1, int(face * r.choice([0.8, 0.85, 0.9, 0.95]))), r.choice(["可查余额", "没用过", "有效期内"]), "礼品卡券"
    if cat == "phone":
        name, lo, hi = r.choice(PHONE_PRICES)
        return name, nice_price(r, lo, hi), r.choice(CONDS_ELEC), "二手数码产品"
    if cat == "pc":
        name, lo, hi = r.choice(PC_PARTS)
        return name, nice_price(r, lo, hi), r.choice(CONDS_ELEC), "二手电脑配件"
    if cat == "ecig":
        return r.choice(ECIG), nice_price(r, 20, 300), r.choice(["全新", "口味多", "正品", "一盒三颗"]), "电子烟"
    if cat == "ticket":
        s = r.choice(SINGERS)
        city = r.choice(REGIONS)[2].rstrip("市")
        item = r.choice([f"{s}演唱会门票", f"{s}{city}站", f"{s}{city}站内场", f"{s}演唱会看台票", f"{city}漫展门票",
                         f"{city}音乐节双日票", f"{s}{r.randint(1, 28)}号场"])
        return item, nice_price(r, 280, 2500), r.choice(["连座", "实名可换", "纸质票", "电子票", "位置好"]), "门票"
    name, lo, hi = r.choice(MISC)
    return name, nice_price(r, lo, hi), r.choice(CONDS_MISC), "闲置物品"


# ---------------------------------------------------------------------------------------------------------------------
# Ads: register -> templates. Each template is (text, options); slot functions fill them per register.
# ---------------------------------------------------------------------------------------------------------------------

SELL = ["[[出]]", "[[出]]", "[[出]]", "[[出]]个", "低价[[出]]", "急[[出]]", "甩", "转", "便宜[[出]]", "回血[[出]]",
        "闲置[[出]]", "[[出]]一个", "转让", "[[出]]一套"]
BUY = ["[[收]]", "[[收]]", "高价[[收]]", "蹲", "蹲一个", "求", "诚[[收]]", "[[收]]个", "求一个", "有没有[[出]]",
       "[[收]]一个", "蹲蹲"]
AUTO_MARK = ["会员", "账号", "皮肤", "门票", "电子烟", "显卡"]
REASONS = ["换新的了", "用不上了", "急用钱", "毕业了带不走", "入了新坑", "AFK了", "搬家清东西", "不玩了"]


def auto_mark(text):
    for t in AUTO_MARK:
        if t in text and "[[" not in text:
            text = text.replace(t, "[[" + t + "]]", 1)
    return text

ADS = {
    "二手买卖": [
        ("{v}{item} {price}", {}),
        ("{v}{item}，{cond}，{price}，{contact}", {}),
        ("{item} {price} {c2}", {}),
        ("{b}{item} {contact}", {"buy": True}),
        ("{b}{item}，预算{pricei}，有的{c2}", {"buy": True}),
        ("{v}{item}\n{cond}\n{price}\n{contact}", {}),
        ("有人要{item}吗 {price} {c2}", {}),
        ("出闲置：\n1.{item} {price}\n2.{item2} {price2}\n{contact}", {}),
        ("急出！！{item} {price} 今天要 {contact}", {}),
        ("【出】{item} {cond} {price}", {}),
        ("{item}便宜出了 原价{orig} 现{price} {contact}", {}),
        ("有没有收{item}的，{pricei}就出，{c2}", {}),
        ("甩{item}，{price}，{ship}", {}),
        ("{e}{v}{item}{e} {price} {ship} {contact}", {}),
        ("{b}个{item} 价格好说 {contact}", {"buy": True}),
        ("自用{item}出，{cond}，{price}，{ship}，有意{c2}", {}),
        ("{item}有人收吗，{pricei}出 {c2}", {}),
        ("{v} {item} x{n} {pricei}/个 {contact}", {}),
        ("回血 {item} {price}  {item2} {price2}  打包更便宜 {c2}", {}),
        ("兄弟们{v}个{item} {price} 诚心要的{c2}", {}),
        ("{b}{item}，{pricei}以内，{contact}", {"buy": True}),
        ("{item} {price}\n{item2} {price2}\n要的{c2}", {}),
        ("{v}{item}～{price}～{c2}", {}),
        ("出出出 {item} {price} 先到先得", {}),
        ("{v}{item} {price} 可查 {contact}", {"cats": ["mem", "card"]}),
        ("{item}代开 {pricei}一个 秒到 {contact}", {"cats": ["mem"]}),
        ("{item}转一张 原价转 {contact}", {"cats": ["ticket"]}),
        ("{b}{item} 加价也行 {c2}", {"cats": ["ticket"], "buy": True}),
        ("[[出售]]{item}，{cond}，{price}，{ship}\n{contact}", {}),
        ("{item} {pricei}出 不讲价 {contact}", {}),
        ("{v}{item} {pricei}", {}),
        ("{b}{item}", {"buy": True}),
        ("{item} {pricei} {c2}", {"cats": ["game", "mem", "skin"]}),
        ("{v}{item}，{c2}", {}),
        ("{item}{pricei}{v}", {"cats": ["mem", "card", "ecig", "skin"]}),
        ("蹲个{item}", {"buy": True}),
        ("[[出售]]闲置{item}，{cond}，{price}。之前买来没怎么用，现在{reason}，{ship}，{contact}", {}),
        ("{b}{item}，要求{cond}，价格合适直接拍，同城可面交，外地走闲鱼，{contact}", {"buy": True}),
    ],
    "淘口令": [
        ("【{shop}】{prod}\n原价{orig} 券后{after}\n{code} 复制打开手机[[淘宝]]", {}),
        ("{prod} 券后{after}！！{code}", {}),
        ("群友都在买的{prod}，拍2件{after}到手，包邮 {code}", {}),
        ("手慢无‼️{prod} 秒杀价{after} 復制{code}打開👉[[淘宝]]👈", {}),
        ("{code} {link} {prod}", {}),
        ("【[[淘宝]]】{link}?tk={codebody} 「{prod}」\n点击链接直接打开 或者 [[淘宝]]搜索直接打开", {}),
        ("[[复制]]这条信息{code}，打开【手机[[淘宝]]】即可查看 {prod}", {}),
        ("{prod} {after}元 [[复制]]口令{code}打开[[拼多多]]", {}),
        ("京东 {prod} 到手{after} 京口令{code} 打开京东APP", {}),
        ("今日好价：\n1. {prod} {after} {code}\n2. {prod2} {after2} {code2}", {}),
        ("{prod}{after}💰 {code}", {}),
        ("领[[优惠券]]下单{prod}，只要{after}，直接[[复制]]{code}", {}),
        ("{code} 打开tb {prod}", {}),
        ("姐妹们冲！{prod}券后{after} 比超市便宜多了 {code}", {}),
        ("{after}元{prod}!! 拍{n}件更划算 {code} [[复制]]去手淘", {}),
        ("神价！{prod} 原价{orig} 现在{after} {code}", {}),
        ("白菜价 {prod} {after}包邮 [[复制]]{code}打开【手机[[淘宝]]】，群友都在买", {}),
        ("【[[返利]][[群]]】{prod} 券后{after}\n{code}\n更多好价进[[群]]{qq}", {}),
        ("{prod}\n【券后价】{after}元\n【口令】{code}\n[[复制]]这条信息打开[[淘宝]]", {}),
        ("补贴价{after}!! {prod} {code} 复制后打开手机[[淘宝]]领券", {}),
        ("【{shop}】{prod} 下单立减{off}元，券后{after}，{code}", {}),
        ("{prod}又降了 {after} {code} 手慢无", {}),
        ("{code}", {}),
        ("{code} 冲", {}),
        ("{prod} {after} {code}", {}),
        ("【{shop}】{prod}，日常卖{orig}，今天领券后只要{after}，拍{n}件还能再减，库存不多手慢无，[[复制]]{code}打开手机[[淘宝]]下单", {}),
    ],
    "外挂辅助": [
        ("出{game}[[辅助]] {feats} 稳定[[不封号]] 天卡{d} 周卡{w} 月卡{m} [[联系]][[QQ]]{qq}", {}),
        ("{game}[[科技]] {feats} 内部版 免费试用 {contact}", {}),
        ("{game}[[外挂]]，{feats}，防封过检测，{contact}", {}),
        ("出{sgame}[[透视]][[自瞄]] 价格[[私聊]]", {}),
        ("{game}[[辅助]]招[[代理]] 拿货价低 {contact}", {}),
        ("{sgame} 稳定{feat}，{dayp}一天，{c2}", {}),
        ("需要{game}[[科技]]的{c2}", {}),
        ("【{game}】私人定制[[辅助]]\n{feats}\n天卡{d}/周卡{w}/月卡{m}/永久{perm}\n{contact}", {}),
        ("{game}[[挂]] [[不封号]] 安全稳定 {contact}", {}),
        ("卖{game}[[脚本]] 自动挂机 刷金币 {w}一周 {contact}", {}),
        ("{game}[[外挂]]卡密 {d}起 自动发货 {dom}", {}),
        ("出{game}[[辅助]]，用了{n}天没封，月卡{m}，{c2}", {}),
        ("上分利器🔥{sgame}{feat}+{feat2} 主播同款 {contact}", {}),
        ("{game}[[科技]]人请进，{feats}，全网最低 {contact}", {}),
        ("免费[[外挂]]试用 {sgame} {feats} 先试后买 {contact}", {}),
        ("出{game}[[连点器]]/[[宏]] {w} {c2}", {}),
        ("{sgame} 锁头挂 无后座 {d}一天 秒发 {contact}", {}),
        ("{game}[[辅助]] 独家过检测 {feats} {contact}\n不稳包退", {}),
        ("有没有要{sgame}[[透视]]的 便宜出 {c2}", {}),
        ("{game}[[脚本]]工作室 多开挂机 包月{m} {contact}", {}),
        ("出{sgame}[[挂]] {c2}", {}),
        ("{game}[[科技]] {c2}", {}),
        ("出[[辅助]] {c2}", {}),
        ("{sgame}[[透视]]要的{c2}", {}),
        ("{game}[[外挂]]有人要吗", {}),
        ("{game}[[辅助]]稳定运行{n}天零封号，{feats}全都有，新人首单送天卡，[[代理]]拿货价更低，[[联系]][[QQ]]{qq}，不回就是在忙", {}),
    ],
    "外卖红包": [
        ("[[美团]][[外卖]][[红包]]每天都能领，最高{n}元 {link}", {}),
        ("饿了么大额[[红包]][[群]]，进[[群]]每天领，[[群]]号{qq}", {}),
        ("点[[外卖]]前先领券！！最高减{n} 戳👉{link}", {}),
        ("霸王餐免费吃 进[[群]]{qq}", {}),
        ("{taxi}新人券{n}元 {link}", {}),
        ("每天领[[外卖]][[红包]] 扫码进[[群]] {contact}", {}),
        ("{plat}神券 {a}减{b2} 领券[[链接]] {link}", {}),
        ("【{plat}】天天领[[红包]] 最高{n}元\n{link}\n[[复制]]到浏览器打开", {}),
        ("饿了么/美团 [[红包]] 每天领 需要的{c2}", {}),
        ("[[外卖]]优惠[[群]]，每天发券，进[[群]]{contact}", {}),
        ("0.1元吃[[外卖]]了解一下 {contact}", {}),
        ("{plat}[[红包]]码 {code6} 每天可领 不领白不领", {}),
        ("扫码领{plat}[[红包]]，{a}减{b2}，{link}", {}),
        ("[[群]]里每天10点发[[外卖]]券，拉你进[[群]] {contact}", {}),
        ("大额[[红包]]🧧 {plat} {n}元无门槛 戳{link}", {}),
        ("{taxi}打车券包 {pricev}出 {c2}", {}),
        ("霸王餐[[群]] 好评返现 吃饭不要钱 {contact}", {}),
        ("{plat}吃货卡{pricev}一张 每天领{n}元 {c2}", {}),
        ("领[[红包]] {link}", {}),
        ("[[美团]]券 {link}", {}),
        ("饿了么[[红包]][[群]]{qq}", {}),
        ("每天都能领{plat}[[红包]]，最高{n}元，不用拉人不用助力，点开{link}就能领，领完记得下单前选上", {}),
    ],
    "网站推广": [
        ("免费看电影 无广告 {dom}", {}),
        ("最新院线电影都在这 {dom} 收藏防失联", {}),
        ("追剧神器{app}，{dom}下载", {}),
        ("好用的小说网站 {dom} 全本免费", {}),
        ("新站上线 {dom} 注册送{n}积分", {}),
        ("番剧资源站 {dom}，每日更新", {}),
        ("防走丢 地址：{dom}", {}),
        ("AI绘画免费用 {dom} 不限次数", {}),
        ("下载{app}APP，签到领现金，提现秒到 {dom}", {}),
        ("网页传奇新区开服 一刀{n}级 {dom}", {}),
        ("考研考公资料全 {dom} 自取", {}),
        ("{dom} 懂的都懂 速存", {}),
        ("收藏这个站 {dom} 啥都有", {}),
        ("单机游戏免费下 {dom}", {}),
        ("找资源来{dom}，比{app}好用", {}),
        ("{e}{kind}网站推荐{e}\n{dom}\n{dom2}", {}),
        ("新域名{dom}，旧的打不开了用这个", {}),
        ("电脑浏览器打开{dom} 注册就送[[会员]]", {}),
        ("{kind}资源每天更新，网址{dom}，记得收藏", {}),
        ("{app}官方下载地址 {dom} 其他都是假的", {}),
        ("手机看{kind}用{app}，{dom}", {}),
        ("{dom}", {}),
        ("新地址 {dom}", {}),
        ("{kind}站 {dom}", {}),
        ("之前那个{kind}站被封了，新的地址是{dom}，资源都迁过来了，不用注册直接看，记得收藏别又找不到了", {}),
    ],
    "代练接单": [
        ("接{rgame}[[代练]]，{r1}到{r2} {pricev}，安全不封，{contact}", {}),
        ("{game}[[代肝]] 日常/活动/深渊 {pricev}一个月 {c2}", {}),
        ("接单！{rgame}上分 {r1}-{r2} 价格[[私聊]]", {}),
        ("专业[[代练]]工作室，{rgame}全段位，{contact}", {}),
        ("[[代挂]]QQ等级/会员成长值 {pricev}一月 {contact}", {}),
        ("{rgame}陪玩/[[代练]] {pricev}一小时 {c2}", {}),
        ("[[代刷]]B站播放量 {n}w {pricev} {contact}", {}),
        ("接{rgame}[[代练]]，扣1", {}),
        ("{rgame}代打 {r2}保底 {pricev} 可先打后付 {contact}", {}),
        ("[[代肝]]{game}，上号全托管，{pricev}/周", {}),
        ("有需要{rgame}[[代练]]的吗 {c2}", {}),
        ("代抢{ticket} 成功再付 {pricev}一张 {contact}", {}),
        ("{rgame}[[代练]] 周卡{w} 月卡{m} 纯手工 {contact}", {}),
        ("接各种游戏[[代练]][[代肝]] 价格美丽 {contact}", {}),
        ("[[代刷]]{social}粉丝/点赞 {n}个{pricev} 秒到 {contact}", {}),
        ("帮打{rgame}段位 {pricev} 不满意退款 {c2}", {}),
        ("{game}新号开荒 [[代肝]]到满级 {pricev} {contact}", {}),
        ("接单 接单 {rgame}{r1}上{r2} {pricev} {c2}", {}),
        ("接[[代练]] {c2}", {}),
        ("{rgame}[[代练]]扣1", {}),
        ("[[代肝]] {c2}", {}),
        ("接{rgame}[[代练]]，{r1}到{r2}一星{pricev}，纯手工不开挂，打完截图给你看战绩，不满意不收钱，{contact}", {}),
    ],
    "互粉拉人": [
        ("[[互粉]]互赞，回关必回，{social}号{acct}", {}),
        ("{social}互关 有的扣1", {}),
        ("拉人进[[群]] 一个人{pricev} 秒结 {contact}", {}),
        ("推人进[[群]][[返现]]，满{n}人发[[红包]] {contact}", {}),
        ("互推 粉丝{n}w的来 {contact}", {}),
        ("新号求[[互粉]] {social}搜{acct} 必回", {}),
        ("有没有互关的 {social} {acct}", {}),
        ("拉{n}个人进[[群]]送{thing} {contact}", {}),
        ("{social}互助[[群]] 互赞互评 进[[群]]{qq}", {}),
        ("助力砍价[[群]] 帮砍必回 {contact}", {}),
        ("邀请好友注册{app}，每邀一人[[返现]]{pricev} {contact}", {}),
        ("[[互粉]][[群]]{qq} 进[[群]]互关 不取关", {}),
        ("粉丝{n}+的互推一下 {c2}", {}),
        ("拼多多砍一刀 互助 {contact}", {}),
        ("{social}涨粉 互关互赞 {acct} 看到必回", {}),
        ("互关扣1", {}),
        ("{social}[[互粉]] {c2}", {}),
        ("拉人[[返现]] {c2}", {}),
        ("新开的{social}号求[[互粉]]，关注我我马上回关，评论区留言也可以，每天都在线，{acct}", {}),
    ],
    "梯子机场": [
        ("出[[梯子]] 稳定不掉线 {pricev}/月 {contact}", {}),
        ("[[机场]]推荐 {n}个节点 三网优化 看油管奈飞 {pricev}/年 {contact}", {}),
        ("需要[[科学上网]]的{c2}", {}),
        ("[[翻墙]]工具 免费试用一天 {contact}", {}),
        ("自用[[机场]]分享 {dom} 月付{pricev} {gb}G流量", {}),
        ("[[VPN]]包月{pricev} 秒连 打外服不卡 {contact}", {}),
        ("出[[梯子]]，{gb}G {pricev}一个月，{c2}", {}),
        ("稳定[[机场]] 港/日/美节点 {pricev} {contact}", {}),
        ("外服游戏加速+[[翻墙]] 一起的 {pricev}/月 {contact}", {}),
        ("[[梯子]]有人要吗 便宜 {c2}", {}),
        ("{gb}G流量{pricev}，不限速[[梯子]]，{contact}", {}),
        ("[[机场]]新用户首月{pricev} {dom}", {}),
        ("上外网找我 稳定{n}年 {contact}", {}),
        ("卖[[VPN]]账号 {pricev}/季 {c2}", {}),
        ("[[科学上网]] 油管4K秒开 {pricev}/月 {contact}", {}),
        ("出[[梯子]] {c2}", {}),
        ("[[机场]]要的私", {}),
        ("有要[[VPN]]的吗", {}),
        ("自用[[机场]]一年多了很稳，{n}个节点随便切，看油管刷推特都不卡，月付{pricev}，需要的[[联系]]{wx}", {}),
    ],
    "服务器": [
        ("出[[服务器]] {spec} {pricev}/月 {contact}", {}),
        ("香港云主机 免备案 {spec} {pricev}/月 {c2}", {}),
        ("MC[[服务器]]开服 {spec} {pricev}一个月 {contact}", {}),
        ("{cloud}代购 {spec} {pricev}/年 可开票 {contact}", {}),
        ("出独立[[服务器]] 高防 {pricev} {contact}", {}),
        ("便宜[[服务器]]，{spec}，{pricev}，要的{c2}", {}),
        ("挂机宝 {pricev}/月 24小时在线 {contact}", {}),
        ("出{cloud}学生机 {spec} {pricev}/年 {c2}", {}),
        ("美国[[服务器]] 不限流量 {pricev} {contact}", {}),
        ("云手机出租 挂游戏 {pricev}/天 {contact}", {}),
        ("{spec}的[[服务器]]{pricev}一年 谁要 {c2}", {}),
        ("游戏开服找我 {cloud} {spec} 到手{pricev} {contact}", {}),
        ("出[[服务器]] {c2}", {}),
        ("便宜云主机 {c2}", {}),
        ("手上还有几台{cloud}的[[服务器]]，{spec}，到期时间还有一年多，{pricev}一台转了，开服建站都行，{contact}", {}),
    ],
    "流量卡": [
        ("{carrier}[[流量卡]] {mo}元{gb}G 全国通用 不限速 包邮 {contact}", {}),
        ("大[[流量卡]] {mo}元{gb}G 需要的{c2}", {}),
        ("{carrier}大王卡 月租{mo} {gb}G通用+{gb2}G定向 免费办理 {contact}", {}),
        ("学生党福利 {mo}元{gb}G[[流量卡]] 首月免费 {contact}", {}),
        ("办卡找我 {carrier} {mo}元{gb}G 长期套餐 {c2}", {}),
        ("出手机卡 {carrier} {mo}元/月 {contact}", {}),
        ("{mo}元{gb}G+{mins}分钟通话 [[流量卡]] 扫码办 {link}", {}),
        ("[[流量卡]][[代理]]招募 一单{pricev} {contact}", {}),
        ("送[[流量卡]]了 免费包邮 {mo}元月租 {gb}G {c2}", {}),
        ("{gb}G才{mo}块的卡要不要 {c2}", {}),
        ("随身WiFi 不限流量 {pricev} 包邮 {contact}", {}),
        ("{carrier}{mo}元{gb}G 正规号卡 可选号 {contact}", {}),
        ("[[流量卡]] {c2}", {}),
        ("{mo}元{gb}G {c2}", {}),
        ("{carrier}正规大[[流量卡]]，月租{mo}元，{gb}G全国通用流量不限速，首月免费，包邮到家，激活后可以查，{contact}", {}),
    ],
    "网课代刷": [
        ("[[代刷]][[网课]] {course}/{course2} {pricev}一门 包过 {contact}", {}),
        ("接[[网课]] 学习通 智慧树 {pricev}/门 秒刷 {c2}", {}),
        ("[[网课]]代看 考试[[代考]] 保{score}分以上 {contact}", {}),
        ("刷[[网课]]找我，{course}全包，{contact}", {}),
        ("期末[[网课]]没刷的{c2} 价格美丽", {}),
        ("{course}[[代刷]] 视频+作业+考试 {pricev} {contact}", {}),
        ("[[网课]]全自动刷课 不用上号 {pricev} {contact}", {}),
        ("四六级/[[网课]][[代考]] 包过 {contact}", {}),
        ("接单：{course} {course2} 刷课 {pricev}一门 不过退款", {}),
        ("大学生看过来👀 [[网课]]没时间刷？{contact}", {}),
        ("U校园/iwrite 代写 {pricev} {c2}", {}),
        ("{course}[[网课]]代刷 {n}门打包{pricev} {contact}", {}),
        ("代刷[[网课]] {c2}", {}),
        ("[[网课]]扣1", {}),
        ("期末了还有[[网课]]没刷完的看过来，{course}、{course2}都能刷，视频作业考试一条龙，一门{pricev}，不过全额退款，{contact}", {}),
    ],
    "攻击服务": [
        ("出[[DDoS]] [[压力测试]] {gbps}G 按小时收 {contact}", {}),
        ("接[[打服]] 游戏服/网站都能打 {pricev}一次 {c2}", {}),
        ("[[CC攻击]] 流量{gbps}G 稳定打死 {contact}", {}),
        ("看谁不爽的私我 [[打流量]] {pricev}/小时", {}),
        ("出压测平台 {dom} 充值即用", {}),
        ("[[DDoS]][[攻击]] 包瘫 {pricev} {contact}", {}),
        ("专业[[打服]] 对家[[服务器]]打到关服 {contact}", {}),
        ("[[流量攻击]] {gbps}G {pricev}/十分钟 {c2}", {}),
        ("MC[[服务器]]被抢玩家？帮你[[打服]] {pricev} {contact}", {}),
        ("接[[打服]] {c2}", {}),
        ("出[[DDoS]]", {}),
    ],
    "引流联系": [
        ("{lead}[[联系]]{qq}", {}),
        ("{lead}[[QQ]] {qq}", {}),
        ("{lead}[[QQ]]：{qq}", {}),
        ("{lead}V：{wx}", {}),
        ("{lead}[[加]][[群]]：{qq}", {}),
        ("进[[群]]：{qq}", {}),
        ("{lead}主页有联系方式", {}),
        ("{lead}看我主页", {}),
        ("{lead}私信我拉你进[[群]]", {}),
        ("福利[[群]]{qq} 进[[群]]有惊喜", {}),
        ("[[群]]号{qq} 进来玩", {}),
        ("需要的[[加]]V {wx}", {}),
        ("{lead}详情看空间", {}),
        ("{thing}，需要的[[加]][[微信]]{wx}", {}),
        ("新[[群]]{qq}，人少，速来", {}),
        ("[[加]]我[[QQ]]{qq}，备注{word}", {}),
        ("{lead}头像[[联系]]", {}),
        ("想要的滴滴我 [[QQ]]{qq}", {}),
        ("dd {qq}", {}),
        ("资源已打包，[[加]][[群]]{qq}免费领", {}),
        ("{e}[[微信]]：{wx}{e}", {}),
        ("[[QQ]][[群]]：{qq}\n[[微信]]：{wx}\n随时在线", {}),
        ("{thing}都有，{contact}", {}),
        ("懂的进 {qq}", {}),
        ("需要请[[联系]] {wx}", {}),
        ("{lead}[[加]]{qq}", {}),
        ("有意者[[联系]]{wx}（备注来意）", {}),
        ("{lead}[[私聊]]", {}),
        ("q {qq}", {}),
        ("群里不方便说，感兴趣的[[加]]我[[微信]]{wx}细聊，备注群名，通过后发你详细资料和价格", {}),
    ],
}

# register -> (extra marks beyond 商业违规 35, actions for the reasoning, count target)
REG = {
    "二手买卖": ([], None, 255),
    "淘口令": ([], ["以淘口令分享商品优惠引导下单", "发淘口令推广商品", "以口令和券后价引导购买"], 165),
    "外挂辅助": ([(ILL, MILD)], ["兜售游戏外挂", "出售游戏作弊辅助", "推销游戏外挂科技"], 150),
    "外卖红包": ([], ["以外卖红包领券为名引流", "推广外卖红包领券", "以领券为名引导进群或点链接"], 100),
    "网站推广": ([], ["推广网站或APP", "发布网址引流推广", "推广资源网站"], 125),
    "代练接单": ([], ["招揽代练代刷生意", "推销代练代刷服务", "发布代练代刷接单广告"], 100),
    "互粉拉人": ([], ["招揽互粉互推或拉人返现", "以互关互助为名引流", "发布互推拉人广告"], 75),
    "梯子机场": ([(ILL, MILD)], ["兜售翻墙梯子服务", "出售翻墙机场", "推销科学上网工具"], 80),
    "服务器": ([], ["推销服务器云主机", "出售云服务器", "发布服务器出租广告"], 55),
    "流量卡": ([], ["推销流量卡", "推广办理手机卡", "发布流量卡广告"], 65),
    "网课代刷": ([(ILL, MILD)], ["招揽代刷网课", "兜售网课代刷代考", "推销代刷网课服务"], 75),
    "攻击服务": ([(ILL, SEVERE)], ["兜售网络攻击服务", "招揽DDoS打服生意", "出售流量攻击服务"], 50),
    "引流联系": ([], ["发布联系方式引流", "留下联系方式引流", "引导添加联系方式"], 165),
}
LEADS = ["", "", "", "有需要的", "兄弟们", "家人们", "要的", "感兴趣的", "老板们", "想要的", "找我", "需要的"]
THINGS = ["全套资料", "教程", "资源", "福利", "学习资料", "素材", "源码", "壁纸", "头像", "表情包", "小说合集", "电子书"]
KINDS = ["影视", "小说", "动漫", "漫画", "资源", "壁纸", "学习", "电子书", "综艺"]


def ad_slots(r, reg, opts):
    item, v, cond, cat = pick_item(r, opts.get("cats"))
    item2, v2, _, _ = pick_item(r, opts.get("cats"))
    ct, info = contact(r)
    base, tld = dom_name(r)
    base2, tld2 = dom_name(r)
    code, body = tkl(r)
    code2, _ = tkl(r)
    orig = nice_price(r, 15, 199)
    after = round(orig * r.choice([0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6]), 1)
    after = int(after) if after == int(after) or r.random() < 0.4 else after
    orig2 = nice_price(r, 15, 199)
    d = r.choice([3, 5, 8, 10, 15, 20])
    w = d * r.choice([3, 4, 5])
    m = w * r.choice([2, 3])
    feats = r.sample(FEATS, r.randint(2, 4))
    ranks = r.choice(RANKS)
    return {
        "v": r.choice(SELL), "b": r.choice(BUY), "item": auto_mark(item), "item2": item2, "cond": cond,
        "reason": r.choice(REASONS),
        "price": fmt_price(r, v), "price2": fmt_price(r, v2, False), "pricei": plain_price(r, v),
        "pricev": plain_price(r, nice_price(r, *REG_PRICE.get(reg, (5, 100)))),
        "orig": int(v * r.choice([1.3, 1.5, 2, 2.5])) if reg == "二手买卖" else orig, "ship": r.choice(SHIPS), "n": r.randint(2, 30),
        "contact": ct, "c2": r.choice(C2), "e": r.choice(DECOR), "qq": qq(r), "wx": wx(r),
        "shop": r.choice(SHOPS), "prod": r.choice(PRODS), "prod2": r.choice(PRODS), "after": after,
        "after2": round(orig2 * 0.3, 1), "code": code, "code2": code2, "codebody": body, "link": tb_link(r)
        if reg == "淘口令" else short_link(r), "off": r.choice([3, 5, 10, 20, 30, 50]),
        "game": r.choice(GAMES), "sgame": r.choice(SHOOTERS), "rgame": r.choice(RANKED), "feat": feats[0],
        "feat2": feats[1], "feats": r.choice([" ", "+", "/", "、", " | "]).join(feats), "d": d, "w": w, "m": m,
        "perm": m * r.choice([3, 4, 5]), "dayp": fmt_price(r, d, False), "r1": ranks[0], "r2": ranks[1],
        "taxi": r.choice(TAXIS), "plat": r.choice(PLATS), "a": r.choice([20, 25, 30, 35, 40]),
        "b2": r.choice([5, 8, 10, 12, 15, 20]), "code6": "".join(r.choice(string.ascii_uppercase + string.digits)
                                                                 for _ in range(6)),
        "app": r.choice(APPS), "kind": r.choice(KINDS), "social": r.choice(SOCIAL),
        "acct": r.choice([wx(r), qq(r), r.choice(PINYIN) + r.choice(PINYIN_G) + r.choice(["", "呀", "酱", "o"])]),
        "thing": r.choice(THINGS + ["皮肤", "会员", "红包", "优惠券"]), "ticket": r.choice(SINGERS) + "演唱会门票",
        "spec": r.choice(SPECS), "cloud": r.choice(CLOUDS), "carrier": r.choice(CARRIERS),
        "mo": r.choice([9, 19, 29, 39, 49]), "gb": r.choice([50, 100, 135, 155, 192, 200, 300, 500, 1000]),
        "gb2": r.choice([30, 40, 60, 80]), "mins": r.choice([100, 200, 500]), "course": r.choice(COURSE),
        "course2": r.choice(COURSE), "score": r.choice([80, 85, 90]), "gbps": r.choice([100, 200, 300, 500, 800, 1000]),
        "lead": r.choice(LEADS), "word": r.choice(["来意", "群友", "资源", "666", "买", "游戏"]),
        "_cat": cat, "_info": info, "_dom": (base, tld), "_dom2": (base2, tld2),
    }


def ad_text(r, reg, tpl, opts, force_domain=False):
    s = ad_slots(r, reg, opts)
    has_dom = "{dom}" in tpl
    if force_domain and has_dom:
        s["dom"] = dom_obf(r, *s["_dom"])
        s["dom2"] = dom_plain(r, *s["_dom2"])
    else:
        s["dom"] = dom_plain(r, *s["_dom"])
        s["dom2"] = dom_plain(r, *s["_dom2"])
    if s["dom"].endswith("/") and r.random() < 0.5:
        s["dom"] = s["dom"][:-1]
    text = tpl.format_map(s)
    info = (s["_info"] and "{contact}" in tpl) or any(k in tpl for k in ("{qq}", "{wx}", "{acct}"))
    link = any(k in tpl for k in ("{link}", "{dom}"))
    return text, s, info, link


# ---------------------------------------------------------------------------------------------------------------------
# Look-alikes: kind -> templates (plain strings; slots are filled from look_slots)
# ---------------------------------------------------------------------------------------------------------------------

SHORT_REACT = ["多少钱", "好贵", "买了", "冲", "+1", "哈哈哈", "已买", "在哪买的", "好价", "抢到了", "没抢到", "贵了吧",
               "真便宜", "这么便宜？", "羡慕", "666", "牛", "真的假的", "我也想要", "不值", "太香了", "睡了睡了",
               "晚安", "有人吗", "在吗", "收到", "好的", "明天见", "笑死", "绝了", "离谱", "蹲一个后续", "同问",
               "我也是", "求教程", "哪个牌子", "啥配置", "多大了", "几点开始", "不想上班", "饿了", "吃啥", "困",
               "下雨了", "放假了吗", "考完了", "寄了", "稳了", "服了", "摆烂", "破防了", "下班", "早", "早上好",
               "抢红包了", "手气最佳", "谢谢老板", "爱了", "等等我", "马上到", "刚醒", "好耶", "nb", "yyds", "ok",
               "get", "xswl", "awsl", "dddd", "hhh", "？？？", "。。。", "可以可以", "有道理", "确实", "不懂就问"]
OFFICIAL = ["国家政务服务平台", "国务院客户端", "交管12123", "个人所得税", "国家反诈中心", "电子社保卡", "学信网",
            "中国气象", "铁路12306", "国家医保服务平台", "中国移动官方", "掌上12333"]
HOTLINES = [("12315", "消费投诉"), ("12345", "政务服务"), ("12306", "铁路客服"), ("12333", "社保咨询"),
            ("12320", "卫生热线"), ("12348", "法律援助"), ("96110", "反诈劝阻"), ("12121", "天气预报")]
GAME_TALK = ["bedwars", "起床战争", "空岛", "排位", "匹配", "大乱斗", "人机", "副本", "深渊", "剧情", "新地图", "赛季"]
CHARS = ["雷神", "芙宁娜", "那维莱特", "刻晴", "胡桃", "镜流", "黄泉", "流萤", "李白", "貂蝉", "孙尚香", "亚索", "盲僧"]
CPUS = ["i5", "i7", "i3", "R5", "R7", "i5 12400", "i7 13700", "R5 5600", "i9"]
RAMS = ["8G", "16G", "32G"]
GPUS = ["1650", "1660s", "2060", "3060", "3060ti", "4060", "4070", "6600", "核显", "RX580"]
FOODS = ["麻辣烫", "黄焖鸡", "炸鸡", "奶茶", "烧烤", "螺蛳粉", "汉堡", "盖浇饭", "披萨", "寿司", "米线", "饺子"]

LOOK = {
    "问价": [
        "这个键盘多少钱买的", "{item}多少钱啊", "你那个{skin}多少钱抽到的", "{item}现在什么价了", "{item}值不值得买",
        "你的{item}在哪买的", "{item}贵吗", "有没有人知道哪里修手机靠谱", "{mem}一年多少钱", "{mem}是不是涨价了",
        "{phone}现在入手合适吗，还是等新款", "二手{gpu}大概什么价位，我想自己组一台，先了解一下",
        "{ticket}你们抢到了吗", "你们{mem}都多少钱开的", "{item}官方价多少来着", "{pc}是不是降价了",
        "问一下{phone}国补后多少钱", "这种{skin}一般要抽多少次", "你这{item}多少钱入的，看着不错",
        "哪里换手机电池便宜点啊，官方太贵了", "{item}闲鱼上都卖多少，我问问行情", "{mem}学生价是多少",
        "想问下{phone}现在官方以旧换新能抵多少钱，我那台用了两年了，电池不太行",
        "你们{mem}都是怎么开的，官方连续包月是不是比单买便宜？我每次都忘了关自动续费",
        "{pc}和{pc2}哪个好，预算一千左右，主要打{game}，求推荐别太贵的",
        "有没有人知道{city}哪里修手机靠谱？屏幕摔碎了，官方售后报价{p}，感觉有点贵",
        "这个键盘多少钱买的？看着好好看，是什么轴的，打字声音大不大",
    ],
    "购物分享": [
        "我昨天淘宝买了个{prodn}才{p}", "{prodn}到了，比想象中好", "双十一囤了{n}包纸巾 够用一年了",
        "拼多多买的{prodn}质量还行", "京东快递是真快，昨晚下单今早就到了", "刚抢到{ticket}!!!",
        "终于把显卡换成{gpu}了", "开了{mem}，感觉还挺值", "{prodn}降价了，我上周刚买，气死",
        "退货了，{prodn}有色差", "我用的是{pc}，手感不错", "官网上写的是周五发货", "客服说{n}天内发货，慢慢等吧",
        "我妈又在直播间买了一堆{prodn}", "昨天超市{prodn}打折，买了两个", "{phone}用了{n}个月了，续航还行",
        "这次买的{prodn}踩雷了，别买", "逛了一下午什么也没买", "{prodn}买一送一，顺手带了", "618买的{pc}今天才到",
        "我昨天在淘宝买了个{prodn}才{p}，今天就到了，质量比想象中好，就是包装有点简陋",
        "双十一凑满减买了一堆{prodn}，算下来比平时便宜了不少，不过快递还没到，估计要等到下周了",
        "之前群里有人问{prodn}好不好用，我用了{n}天了，说实话一般般，不太推荐",
        "今天去超市发现{prodn}在打折，买一送一，顺手给我妈也带了一份，回家被夸了哈哈",
        "刚换了{phone}，用了{n}天感觉拍照比之前那台好太多，就是有点重，拿久了手酸",
    ],
    "游戏闲聊": [
        "今天{gtalk}又输了{n3}把", "我电脑配置{cpu} {ram}够玩吗", "这个mod怎么装", "{game}今晚谁上",
        "出金了！！！", "十连出了个{char}", "抽卡又歪了", "{game}新版本好玩吗", "{rgame}终于上{rank}了",
        "对面开挂了吧，已举报", "昨晚打到三点", "{game}更新完进不去了", "这把MVP", "有人一起开黑吗",
        "帧数只有{n}怎么办", "{gpu}开最高特效卡吗", "我的世界红石电路怎么做", "{game}服务器又炸了",
        "开了{n}个箱子一个金都没出", "这皮肤是活动送的", "{rgame}单排太难了，队友全是演员",
        "{game}新角色强不强", "{game} {n}级了还是打不过boss", "今天{game}签到领了{n}个抽卡资源",
        "新赛季段位掉了好多", "{game}的剧情做得真好", "谁知道{game}这关怎么过",
        "今天{gtalk}又输了{n3}把，队友一个比一个离谱，我一个人扛不住啊，明天不打了",
        "我电脑配置{cpu} {ram} 显卡{gpu}，玩{game}能开高画质吗？还是说得换显卡了",
        "{game}新版本更新了好多东西，新地图挺好玩的，就是新角色有点难练，你们抽了吗",
        "昨晚{rgame}连跪{n3}把，心态崩了，排位真的太看队友了，下次还是和群里的一起五排吧",
        "这个mod怎么装啊，我按教程把文件放进mods文件夹了，进游戏还是没反应，版本是{ver}",
        "十连出了个{char}！！！攒了{n}天的资源终于没白攒，今天运气爆棚",
    ],
    "外卖闲聊": [
        "美团今天满{a}减{b}你们点了吗", "中午吃啥，点外卖还是去食堂", "饿了么会员这个月又涨了",
        "外卖红包每次都用不上", "今天外卖送了一个多小时", "打车券过期了，气", "{food}好难吃，再也不点了",
        "群主发个红包庆祝一下", "抢到{n}块红包哈哈", "过年群里红包抢疯了", "点了{food}，等了半小时还没到",
        "外卖小哥送错了，把别人的{food}给我了", "今天{taxi}排队排了{n}个人", "周末点了份{food}，{p}还挺划算",
        "我发现到店自取比外卖便宜", "你们点外卖都用什么券，我从来抢不到",
        "美团今天满{a}减{b}你们点了吗，我点了{food}，算下来才{p}，比去店里还便宜",
        "中午吃啥啊，食堂的{food}吃腻了，点外卖又要等一个小时，纠结",
        "今天外卖送了一个多小时，{food}都凉了，给了差评，商家还打电话来问",
        "过年的时候家族群里红包抢疯了，我手速太慢，一共就抢了{n}块钱",
    ],
    "群公告": [
        "本群禁止发广告，违者踢", "新人进群改备注：{fmt}", "群文件里有教程", "禁止私加群友，谨防诈骗",
        "发广告的已经踢了", "群规：1.禁止广告 2.禁止刷屏 3.友善交流", "@全体成员 明天{time}{event}",
        "有问题先看群公告", "本群不接受任何代练代刷广告，发现直接T", "请勿相信群里私聊卖号的，被骗概不负责",
        "刷屏的注意点，再刷禁言{n}分钟", "入群请看置顶", "群满了，新人先别拉了", "不要在群里发链接，谢谢配合",
        "任何人私聊你说代充、卖号、送皮肤的都是骗子", "管理员不会私聊要钱，大家注意", "今晚{time}群内活动，记得来",
        "聊天文明点，别吵架", "群里别发二维码，一律踢出",
        "【群公告】\n1. 本群禁止发任何广告、链接、二维码\n2. 禁止私加群友\n3. 有问题先看群文件\n违者直接移出",
        "@全体成员 明天{time}{event}，请大家准时参加，有事请假的提前在群里说一声",
        "新人进群请先看群公告，改好备注（{fmt}），不改备注的一周后会被清理",
        "最近有人冒充管理员私聊收费，管理员不会私聊要钱，也不会卖任何东西，大家注意别上当",
        "群里禁止发广告，包括代练、代刷、卖号、外挂、淘口令，发一次警告，发两次踢",
    ],
    "官方分享": [
        "遇到商家不退款可以打12315投诉", "官方公众号“{official}”可以查社保", "{official}APP建议都装一下",
        "物流信息以快递公司官网为准", "12306上可以候补", "学校教务处官网有通知", "个人所得税APP退税开始了",
        "{official}小程序能办电子证件", "打12345反映过了，第二天就有人来修了",
        "防诈提醒：不要扫陌生二维码领红包", "官方客服电话在APP里能找到，别信群里发的号",
        "{hotline}是{hotline_use}热线，有问题可以打", "成绩在学信网上能查", "高铁票还是在12306官方买吧",
        "社保卡在{official}上就能激活", "天气预报说明天降温，大家多穿点",
        "遇到网购商家不退款可以打12315投诉，也可以在全国12315平台上直接提交，我上次就是这样解决的",
        "个人所得税APP每年3月到6月可以办年度汇算，符合条件的能退税，记得自己登录查一下",
        "{official}上可以查很多东西，社保、公积金、驾照都有，比到窗口排队方便多了",
        "高铁票还是在12306官方买吧，别找第三方抢票，加钱还不一定抢得到",
    ],
    "同词异义": [
        "明天几点去机场", "机场大巴几点有", "家里梯子坏了，换灯泡够不着", "出成绩了吗", "收到快递了",
        "这题出得好难", "出门忘带钥匙了", "今天收菜了", "挂科了，完了", "挂号排了两小时", "这手机黑科技挺多",
        "刷题刷到半夜", "刷了一晚上视频", "代课老师人挺好", "我QQ号被盗了，大家别信借钱的消息",
        "网课终于听完了，明天考试", "学习通又崩了", "流量用超了，话费扣了几十", "服务器维护到几点",
        "显卡又涨价了", "电子烟对身体不好，戒了吧", "接机的人到了没", "{time}的飞机，现在还在机场",
        "收到，马上来", "刚出地铁", "出太阳了", "口令红包的口令是啥", "快递驿站收了{n}个件", "这科目挂了要重修吗",
        "红包雨几点开始", "我在梯子上贴春联", "代码又出bug了", "那个群我退了，天天刷屏",
        "明天{time}的飞机，几点去机场比较合适，要不要提前两个小时到",
        "家里梯子坏了，换个灯泡都够不着，只能等周末去五金店买一个新的",
        "这学期挂科了{n2}门，下学期要重修，完了完了，网课也没好好听",
        "收到快递了，包装都压坏了，还好里面的{prodn}没事，下次还是选顺丰",
        "刚出成绩，数学考了{score}分，比上次进步了好多，终于不用被家长说了",
        "我QQ号被盗了，如果有人用我的号找你们借钱或者发链接，千万别信，我已经在找回了",
    ],
    "反广告": [
        "又有人发广告了，管理呢", "这种卖号的都是骗子，别信", "淘口令我都不点的", "群里那个代练的把我骗了，别找他",
        "开挂的被封了，活该", "举报了，那个发链接的", "这链接别点，是钓鱼的", "有人加我说送皮肤，骗子吧",
        "刷单都是诈骗，别信", "那个卖梯子的被踢了吗", "买号被找回了，血亏{p}", "别在群里买东西，被骗没人管",
        "所谓免费领红包全是套路", "代刷网课的被学校查了，别信", "外挂用多了号肯定封", "广告怎么又来了，烦",
        "又有人发广告了，管理呢？这种卖号的十个有九个是骗子，付了钱就拉黑，大家别信",
        "群里那个说能代刷网课的把我同学骗了{p}，钱付了课一节没刷，现在人也联系不上了",
        "提醒一下，淘口令、短链接这种东西别乱点，有的是钓鱼网站，会盗号的",
        "开挂的号迟早被封，别信什么稳定不封号，我朋友买了外挂{n2}天就封了，钱也白花",
    ],
    "技术讨论": [
        "官网打不开了，是不是服务器挂了", "域名备案要多久", "学校网课平台又卡了", "网站用{tld}后缀还是com好",
        "学生党想搭个博客，有没有推荐的教程", "我的网站被攻击了怎么办", "怎么防DDoS，有懂的吗",
        "路由器怎么设置5G频段", "宽带一个月多少钱你们", "流量卡靠谱吗，群里那种我不敢办",
        "Python装库老是报错", "电脑蓝屏了，代码{code_err}", "数据库连不上了", "{cpu}和{cpu2}差多少",
        "git push一直失败", "这个报错有人见过吗", "服务器买哪家的好，公司要用", "手机信号好差，换运营商有用吗",
        "官网打不开了，是不是服务器挂了？刚才还好好的，换了手机流量也进不去",
        "学生党想搭个个人博客，域名和服务器要怎么选，有没有靠谱的教程推荐",
        "我的小网站昨晚被攻击了，流量一下子跑满，怎么防DDoS啊，有懂的大佬指点一下吗",
        "Python装库老是报错，换了清华源也不行，提示权限不够，有人遇到过吗",
        "家里宽带老掉线，打了运营商客服电话，说明天派师傅上门看看",
    ],
    "数码闲聊": [
        "大会员续费了吗", "{mem}自动续费记得关", "网易云黑胶送的券过期了", "爱奇艺又要超前点播了",
        "新出的{phone}好看", "键盘红轴好还是茶轴好", "罗技鼠标双击了，保修能换吗", "airpods丢了一只，呜呜",
        "{phone}发热好严重", "switch新游戏有推荐的吗", "{pc}用着怎么样", "电脑风扇声音好大",
        "我的{phone}屏幕碎了", "B站大会员有什么用啊", "iPad拿来记笔记真好用", "显示器144hz真的有区别吗",
        "大会员续费了吗？我这个月忘了关自动续费，又扣了一次，还好能申请退款",
        "键盘红轴好还是茶轴好，我平时打字多也打游戏，怕青轴太吵吵到室友",
        "新出的{phone}好看是好看，就是太贵了，我这台还能再用两年",
        "罗技鼠标双击了，才用了一年多，去官方保修能换新的吗，发票找不到了怎么办",
    ],
    "短回复": ["{short}", "{short}{ce}", "{short} {short2}"],
    # A group-chat log names the member a message answers by number: a mention, not contact information.
    "@提及": ["@{qq} {short}", "@{qq} {short}{ce}", "@{qq} {short} {short2}", "@{qq} @{qq2} {short}",
             "@{qq} 你那个{item}多少钱买的", "@{qq} 今晚{gtalk}吗", "@{qq} {char}抽到了没", "回复 @{qq}：{short}",
             "@{qq} 你{cpu}够用了", "@{qq} 群文件里有"],
}
LOOK_ACT = {
    "问价": ["询问商品价格，不含招揽或联系方式", "打听价格行情，未招揽交易", "询问购买信息，不含推销内容"],
    "购物分享": ["分享个人购物经历，未招揽交易", "讲述自己的购买体验，无推销或引流", "分享购物心得，不含联系方式"],
    "游戏闲聊": ["闲聊游戏内容，未推销任何商品或服务", "交流游戏话题，无广告成分", "讨论游戏，不含交易信息"],
    "外卖闲聊": ["闲聊外卖和出行话题，不含链接或口令", "聊点外卖和红包的日常，无引流", "日常吃喝出行闲聊，未推广任何渠道"],
    "群公告": ["是群管理公告，本身不含广告", "发布群规提醒，无推销内容", "管理员维护群秩序，不含招揽"],
    "官方分享": ["分享官方公开渠道信息，无引流", "提及公共服务热线或官方渠道，属正常分享", "转述官方信息，不含推销"],
    "同词异义": ["所用字眼为日常含义，与推销无关", "虽有相关字眼但属日常交流", "日常生活闲聊，无广告内容"],
    "反广告": ["提醒群友提防广告，本身不含招揽", "吐槽广告和骗局，无推销内容", "提醒勿信广告，不含联系方式"],
    "技术讨论": ["讨论技术或网络问题，未推销服务", "请教技术问题，无广告成分", "交流技术问题，不含招揽"],
    "数码闲聊": ["闲聊会员或数码产品，不含交易信息", "讨论数码产品使用体验，无推销", "日常数码话题，未招揽交易"],
    "短回复": ["是简短回复，无任何推销内容", "简短的群聊回应，无广告成分", "只是简短附和，不含违规"],
    "@提及": ["@群成员回复闲聊，号码是群内提及而非联系方式", "提及群友进行日常交流，无引流", "回复群友的日常对话，不含招揽"],
}
OPENERS = ["话说", "问一下", "兄弟们", "家人们", "刚刚", "哈哈哈", "救命", "唉", "说真的", "对了", "诶", "我跟你们说",
           "emmm", "hhh", "各位", "大家好", "xdm", "姐妹们", "突然想起来", "插一句", "不是我说"]
CLOSERS = ["有人知道吗", "真的服了", "大家怎么看", "笑死", "离谱", "无语", "好烦", "哈哈哈哈", "求解答", "谢谢大家",
           "你们呢", "有一样的吗", "我先去睡了", "晚点再说", "就这样吧", "🤣", "😭😭", "先这样", "懂的都懂", "绝了"]
# Look-alikes outnumber ads about three to one: in real groups most messages are not ads, and a stage that saw as many
# ads as ordinary chat in this register learned to call a quarter of real chat an ad.
LOOK_TARGET = {"问价": 500, "购物分享": 400, "游戏闲聊": 600, "外卖闲聊": 250, "群公告": 200, "官方分享": 200,
               "同词异义": 400, "反广告": 200, "技术讨论": 300, "数码闲聊": 250, "短回复": 900, "@提及": 500}


def look_slots(r):
    item, _, _, _ = pick_item(r, ["game", "skin", "mem", "phone", "pc", "misc", "ticket"])
    hot, use = r.choice(HOTLINES)
    return {
        "item": item, "skin": r.choice(SKINS), "mem": r.choice(MEMBERS)[0], "phone": r.choice(PHONES),
        "gpu": r.choice(GPUS), "pc": r.choice(PC_PARTS)[0], "ticket": r.choice(SINGERS) + "演唱会门票",
        "prodn": re.sub(r"\d+(包|斤|支|根|盒|片|双)$", "", r.choice(PRODS)),
        "p": r.choice([f"{r.randint(9, 199)}", f"{r.randint(9, 99)}块", f"{r.randint(9, 199)}元", f"{r.randint(9, 99)}.9"]),
        "n": r.randint(2, 30), "gtalk": r.choice(GAME_TALK), "cpu": r.choice(CPUS), "cpu2": r.choice(CPUS),
        "ram": r.choice(RAMS), "game": r.choice(GAMES), "rgame": r.choice(RANKED), "char": r.choice(CHARS),
        "rank": r.choice(RANKS)[1], "a": r.choice([20, 25, 30, 35, 40]), "b": r.choice([5, 8, 10, 12, 15]),
        "food": r.choice(FOODS), "taxi": r.choice(TAXIS), "fmt": r.choice(["年级+昵称", "城市+名字", "专业+姓名",
                                                                            "游戏ID", "区服+ID"]),
        "time": r.choice(["早上8点", "晚上8点", "下午3点", "周六", "晚上九点半", "10:30"]),
        "event": r.choice(["开会", "团建", "交作业", "排练", "组队打副本", "线下聚会", "停水"]),
        "hotline": hot, "hotline_use": use, "official": r.choice(OFFICIAL), "tld": r.choice(TLDS[1:]),
        "code_err": r.choice(["0x7E", "IRQL_NOT_LESS_OR_EQUAL", "CRITICAL_PROCESS_DIED", "MEMORY_MANAGEMENT"]),
        "pc2": r.choice(PC_PARTS)[0], "city": r.choice(REGIONS)[2].rstrip("市"), "n2": r.randint(2, 5), "n3": r.choice(["两", "三", "四", "五", "2", "3", "4", "5", "6"]),
        "ver": r.choice(["1.20.1", "1.12.2", "1.19.4", "1.21", "1.16.5"]), "score": r.randint(70, 148),
        "short": r.choice(SHORT_REACT), "short2": r.choice(SHORT_REACT), "ce": r.choice(CHAT_EMOJI),
        "qq": qq(r), "qq2": qq(r),
    }


# ---------------------------------------------------------------------------------------------------------------------
# Casual noise (applied alike to ads and look-alikes, so that slang and typos are no cue)
# ---------------------------------------------------------------------------------------------------------------------

SUBS = [("的", ["滴", "d", "嘀"]), ("吗", ["嘛", "么", "ma"]), ("什么", ["啥", "神马", "sm"]), ("没有", ["木有", "没得"]),
        ("不是", ["不4", "bs"]), ("知道", ["造", "zd"]), ("怎么", ["咋", "zm"]), ("兄弟们", ["xdm", "兄弟萌"]),
        ("可以", ["阔以", "ky"]), ("好的", ["好滴", "hd"]), ("真的", ["真滴", "zs"]), ("一下", ["一哈", "一xia"]),
        ("喜欢", ["稀饭"]), ("需要", ["须要", "xy"]), ("这个", ["这", "zhe个"]),
        ("有没有", ["有木有", "有没"]), ("便宜", ["pianyi", "便宜宜"]), ("现在", ["xz", "现z"]), ("老板", ["lb", "老版"])]
TAILS = ["~", "!!", "。。", "哈", "啊", "呀", "捏", "嘞", "...", "！", "～～"]


def casual(text, r):
    if r.random() < 0.45:
        for a, bs in SUBS:
            if a in text and r.random() < 0.35:
                text = text.replace(a, r.choice(bs), 1)
    k = r.random()
    if k < 0.12:
        text = text.replace("，", " ")
    elif k < 0.18:
        text = text.replace("，", "\n", 1)
    elif k < 0.24:
        text = text.replace("，", ",")
    if r.random() < 0.15:
        text = text.rstrip("。") + r.choice(TAILS)
    return text


# ---------------------------------------------------------------------------------------------------------------------
# Records and reasoning
# ---------------------------------------------------------------------------------------------------------------------

# make_scores(marks) and violated(scores): the corpus builder's, over the same nine dimensions in the same order.
assert DIMS == build_corpus.DIMS and CLEAN == build_corpus.CLEAN
make_scores = build_corpus.make_scores
violated = build_corpus.violated


OPEN = ["这是一条{k}，", "此为{k}，", "一条{k}，", "这条{k}中，"]
KINDS_POS = ["群聊消息", "群聊消息", "群聊消息", "帖子"]
CONCLUDE = ["扣分维度：{items}。", "结论：{items}不合规。", "涉及{items}问题。", "判定{items}违规。", "应判{items}。"]
CONCLUDE_CLEAN = ["各项均合规。", "九个维度均无问题。", "各维度均判满分。", "未发现违规内容。", "无需扣分。",
                  "判定为合规文本。"]
SPAN_BANK = ["以{style}写法“{w}”规避审核，", "用{style}变形词“{w}”，"]
SPAN_BANK_DOMAIN = ["以变形网址“{w}”规避审核，", "把网址写成“{w}”躲避过滤，"]


def reasoning(rid, scores, act, span=None, style=None, kind=None):
    r = random.Random(f"ads-reason|{rid}")
    kind = kind or r.choice(KINDS_POS)
    opening = r.choice(OPEN).format(k=kind)
    dims = violated(scores)
    if dims:
        items = "、".join(f"{ALIAS[d]}（{SEV_WORD[scores[d]]}）" for d in dims)
        end = r.choice(CONCLUDE).format(items=items)
    else:
        end = r.choice(CONCLUDE_CLEAN)
    bank = SPAN_BANK_DOMAIN if style == "domain" else SPAN_BANK
    sp = r.choice(bank).format(style=OBF_NAME.get(style, ""), w=span) if span else ""
    tries = [opening + sp + act + "，" + end, opening + act + "，" + end, act + "，" + end]
    for t in tries:
        if 15 <= len(t) <= 75:
            return t
    return tries[-1]


def tidy(text):
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n[ \t]+", "\n", text)
    text = re.sub(r"[，,][ \t]*$", "", text.strip())
    text = re.sub(r"  +", "  ", text)
    text = text.replace("，，", "，").replace("， ，", "，")
    return text.strip()


def generate():
    out, seen = [], set()
    stats = Counter()
    for reg, tpls in ADS.items():
        extra, acts, target = REG[reg]
        per = math.ceil(target / len(tpls))
        for ti, (tpl, opts) in enumerate(tpls):
            tid = f"{reg}-{ti:02d}"
            want = round(per * (1.8 if skeleton_len(tpl) <= 10 else 1.0))
            got, attempt = 0, 0
            while got < want and attempt < want * 8:
                r = random.Random(f"ads|{reg}|{ti}|{attempt}")
                attempt += 1
                obf = r.random() < (0.47 if reg == "网站推广" else 0.41)
                use_domain = obf and "{dom}" in tpl and (reg == "网站推广" or r.random() < 0.5)
                text, s, info, link = ad_text(r, reg, tpl, opts, force_domain=use_domain)
                text = casual(text, r)
                style, spans = "plain", []
                if use_domain:
                    style = "domain"
                    text = unmark(text)
                    spans = [s["dom"].strip()]
                elif obf:
                    for st in r.sample(OBF_STYLES, len(OBF_STYLES)):
                        t2, sp = obfuscate(text, st, r)
                        if sp:
                            text, style, spans = t2, st, sp
                            break
                    else:
                        text = unmark(text)
                else:
                    text = unmark(text)
                if r.random() < 0.12 and style != "emoji":
                    e = r.choice(synth_v2.EMOJI_DECOR + DECOR)
                    text = r.choice([e + text, text + e, e + text + e])
                text = tidy(text)
                if text in seen or len(text) < 2:
                    continue
                seen.add(text)
                marks = [(BIZ, MODERATE)] + list(extra)
                if style != "plain":
                    marks.append((WORD, MILD))
                scores = make_scores(marks)
                rid = f"{SOURCE}-{tid}-{got:03d}"
                kind = random.Random(f"ads-kind|{rid}").choice(KINDS_POS)
                if acts:
                    act = random.Random(f"ads-act|{rid}").choice(acts)
                else:
                    verb = "求购" if opts.get("buy") else ("转卖" if s["_cat"] == "门票" else "出售")
                    act = f"{verb}{s['_cat']}"
                    if kind == "群聊消息" and random.Random(rid).random() < 0.5:
                        act = "在群聊中" + act
                if info and "联系" not in act:
                    act += "并留下联系方式"
                elif link and "网址" not in act and "链接" not in act:
                    act += "并附上链接"
                span = next((x for x in spans if x in text and len(x) <= 20 and "”" not in x), None)
                if style != "plain" and span is None:
                    act += "，并以" + OBF_NAME[style] + "变形关键词"
                reason = reasoning(rid, scores, act, span, style if span else None, kind)
                dim = violated(scores)[0]
                out.append({"id": rid, "source": SOURCE, "tpl": tid, "text": text, "scores": scores,
                            "reasoning": reason, "dimension": dim, "label": f"ad;{reg};{style}",
                            "hard_negative": False, "_reg": reg})
                got += 1
            stats[("ad", reg)] += got
    for kind, tpls in LOOK.items():
        target = LOOK_TARGET[kind]
        n_slot = sum(1 for t in tpls if "{" in t)
        fixed = len(tpls) - n_slot
        per = max(1, math.ceil((target - fixed * 2) / max(1, n_slot)))
        for ti, tpl in enumerate(tpls):
            tid = f"{kind}-{ti:02d}"
            want = per if ("{" in tpl or len(tpl) >= 20) else 2
            if skeleton_len(tpl) <= 10 and kind != "短回复":
                want = max(2, round(want * 0.6))
            got, attempt = 0, 0
            while got < want and attempt < want * 10:
                r = random.Random(f"ads-look|{kind}|{ti}|{attempt}")
                attempt += 1
                text = tpl.format_map(look_slots(r))
                text = casual(text, r) if attempt > 1 or "{" in tpl else text
                if kind != "短回复" and kind != "群公告" and attempt > 1 and r.random() < 0.45:
                    k = r.random()
                    if k < 0.45:
                        text = r.choice(OPENERS) + r.choice(["，", " ", "，", "\n"]) + text
                    elif k < 0.9:
                        text = text.rstrip("。") + r.choice(["，", " ", "。", "\n"]) + r.choice(CLOSERS)
                    else:
                        text = r.choice(OPENERS) + "，" + text.rstrip("。") + "，" + r.choice(CLOSERS)
                if r.random() < 0.1:
                    text += r.choice(CHAT_EMOJI)
                text = tidy(text)
                if text in seen or len(text) < 2:
                    continue
                seen.add(text)
                check_clean(text)
                rid = f"{SOURCE}-{tid}-{got:03d}"
                scores = make_scores([])
                act = random.Random(f"ads-act|{rid}").choice(LOOK_ACT[kind])
                out.append({"id": rid, "source": SOURCE, "tpl": tid, "text": text, "scores": scores,
                            "reasoning": reasoning(rid, scores, act, kind=random.Random(rid).choice(
                                ["群聊消息", "群聊消息", "群聊消息", "帖子"])),
                            "dimension": "clean", "label": f"look-alike;{kind}", "hard_negative": True,
                            "_reg": kind})
                got += 1
            stats[("look", kind)] += got
    return out


def skeleton_len(tpl):
    """Rough length of a template's text with each slot counted as three characters."""
    return len(re.sub(r"\{[^}]+\}", "xxx", unmark(tpl)))


def check_clean(text):
    """A look-alike must carry no contact, link or share code (a member mentioned by number, `@123456789`, is none)."""
    text = re.sub(r"@\d+", "@", text)
    assert not re.search(r"\d{6,}", text), text
    assert not re.search(r"https?:|www\.|\.(com|cn|top|cc|net|vip|xyz)\b", text), text
    assert not re.search(r"[￥¥$€₤₳¢][A-Za-z0-9]{8,}", text), text
    assert not re.search(r"(加|\+)\s*(QQ|Q|V|微信)", text), text


def template_groups(texts, n=6):
    """Union of templates that share an n-character run of literal text, so that near-identical templates (a short
    message and its longer version) land in one split."""
    parent = list(range(len(texts)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    grams = []
    for t in texts:
        t = re.sub(r"\{[^}]+\}", "\x00", unmark(t))
        grams.append({t[i:i + n] for i in range(len(t) - n + 1)
                      if sum(c not in "\x00 ，," for c in t[i:i + n]) >= n - 1})
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if grams[i] & grams[j]:
                parent[find(i)] = find(j)
    groups = defaultdict(list)
    for i in range(len(texts)):
        groups[find(i)].append(i)
    return sorted(groups.values())


def split():
    """Test templates: whole groups of templates, chosen with a fixed seed, until about 20% of each register's."""
    test = set()
    regs = [(reg, [t for t, _ in tpls]) for reg, tpls in ADS.items()] + list(LOOK.items())
    for reg, texts in regs:
        groups = template_groups(texts)
        random.Random(f"ads-split|{reg}").shuffle(groups)
        want, got = max(1, round(0.2 * len(texts))), 0
        for g in groups:
            if got >= want:
                break
            if got + len(g) > want + 1:
                continue
            test |= {f"{reg}-{i:02d}" for i in g}
            got += len(g)
    return test


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    recs = generate()
    test = split()
    counts = Counter()
    files = {"train": open(os.path.join(out_dir, "ads-train.jsonl"), "w", encoding="utf-8"),
             "test": open(os.path.join(out_dir, "ads-test.jsonl"), "w", encoding="utf-8")}
    for x in recs:
        part = "test" if x["tpl"] in test else "train"
        cls = "ad" if not x["hard_negative"] else "look-alike"
        counts[(cls, x["_reg"], part)] += 1
        counts[(cls, "*", part)] += 1
        row = {k: v for k, v in x.items() if not k.startswith("_")}
        files[part].write(json.dumps(row, ensure_ascii=False) + "\n")
    for f in files.values():
        f.close()
    regs = [("ad", r) for r in ADS] + [("look-alike", k) for k in LOOK]
    print(f"{'class':<11}{'register':<10}{'train':>7}{'test':>6}{'tpl(test/all)':>15}", file=sys.stderr)
    for cls, reg in regs + [("ad", "*"), ("look-alike", "*")]:
        src = [x for x in recs if x["_reg"] == reg] if reg != "*" else [
            x for x in recs if (not x["hard_negative"]) == (cls == "ad")]
        all_t = {x["tpl"] for x in src}
        print(f"{cls:<11}{reg:<10}{counts[(cls, reg, 'train')]:>7}{counts[(cls, reg, 'test')]:>6}"
              f"{len(all_t & test):>8}/{len(all_t)}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)

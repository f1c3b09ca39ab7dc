"""Generated texts for corpus v2, for the two dimensions no permissive public data covers:

- personal data (敏感数据泄露): names with GB 11643 ID-card numbers, mobile numbers, UnionPay bank cards, e-mail
  addresses and street addresses inside realistic sentences of many kinds, and look-alike negatives (order and
  tracking numbers, prices, dates, public hotlines, masked numbers, numbers whose check digit is wrong);
- spam and solicitation (商业违规 / 诱导&&违法不良信息 / 敏感词): click-farming, traffic diversion, fake certificates and
  invoices, loans, gambling, sex solicitation, stock-tip scams and counterfeits, plain or obfuscated (homophones,
  split characters, separators, emoji), next to benign look-alikes (a shop's promotion, a job ad, a bank's notice,
  anti-fraud warnings, lottery results).

Everything is composed from the templates and word lists in this file; every choice comes from random.Random seeded
with a stable string, so the output is deterministic. Each text is returned with its template id (the split group:
all texts of one template go to one split), the marks [(dimension, level)] and the facts the reasoning may name.
"""
import random

BIZ, ADV, BIAS, TERR, POL, DATA, WORD, FAKE, ILL = [
    "商业违规", "对抗性检测", "带有偏见、仇恨、歧视或侮辱", "恐怖主义&&带有暴力倾向", "政治&&军事敏感问题",
    "敏感数据泄露", "敏感词", "虚假信息", "诱导&&违法不良信息"]
SEVERE, MODERATE, MILD = 10, 35, 60

# ---------------------------------------------------------------------------------------------------------------------
# Personal data: generators with real structure
# ---------------------------------------------------------------------------------------------------------------------

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
                "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万严覃武戴莫孔向汤")
GIVEN_1 = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华兰萍红鹏辉晨浩宇欣怡涵轩桐诺远豪琪俊燕月博丹阳"
               "婷雪琳晶颖倩斌波鑫凯帅健林峰亮成")
GIVEN_2 = ["子涵", "梓轩", "雨桐", "一诺", "思远", "嘉豪", "佳琪", "俊杰", "志强", "海燕", "秋月", "文博", "丹阳", "建国",
           "晓燕", "晓明", "欣怡", "浩然", "宇航", "诗琪", "家乐", "天宇", "雅婷", "明轩", "若曦", "国华", "秀英", "玉兰",
           "春梅", "德胜", "振华", "丽娟", "伟东", "静怡", "子墨", "一鸣", "梦琪", "少华", "宏伟", "淑芬"]

# (GB/T 2260 code, province, city, district)
REGIONS = [
    ("110101", "北京市", "北京市", "东城区"), ("110102", "北京市", "北京市", "西城区"), ("110105", "北京市", "北京市", "朝阳区"),
    ("110108", "北京市", "北京市", "海淀区"), ("120101", "天津市", "天津市", "和平区"), ("310101", "上海市", "上海市", "黄浦区"),
    ("310104", "上海市", "上海市", "徐汇区"), ("310115", "上海市", "上海市", "浦东新区"), ("500103", "重庆市", "重庆市", "渝中区"),
    ("130102", "河北省", "石家庄市", "长安区"), ("140105", "山西省", "太原市", "小店区"),
    ("150102", "内蒙古自治区", "呼和浩特市", "新城区"), ("210102", "辽宁省", "沈阳市", "和平区"),
    ("210202", "辽宁省", "大连市", "中山区"), ("220102", "吉林省", "长春市", "南关区"),
    ("230103", "黑龙江省", "哈尔滨市", "南岗区"), ("320102", "江苏省", "南京市", "玄武区"),
    ("320506", "江苏省", "苏州市", "吴中区"), ("330106", "浙江省", "杭州市", "西湖区"), ("330203", "浙江省", "宁波市", "海曙区"),
    ("340104", "安徽省", "合肥市", "蜀山区"), ("350102", "福建省", "福州市", "鼓楼区"), ("350203", "福建省", "厦门市", "思明区"),
    ("360102", "江西省", "南昌市", "东湖区"), ("370102", "山东省", "济南市", "历下区"), ("370202", "山东省", "青岛市", "市南区"),
    ("410105", "河南省", "郑州市", "金水区"), ("420106", "湖北省", "武汉市", "武昌区"), ("430104", "湖南省", "长沙市", "岳麓区"),
    ("440106", "广东省", "广州市", "天河区"), ("440305", "广东省", "深圳市", "南山区"),
    ("450103", "广西壮族自治区", "南宁市", "青秀区"), ("460105", "海南省", "海口市", "秀英区"),
    ("510107", "四川省", "成都市", "武侯区"), ("520102", "贵州省", "贵阳市", "南明区"), ("530102", "云南省", "昆明市", "五华区"),
    ("610113", "陕西省", "西安市", "雁塔区"), ("620102", "甘肃省", "兰州市", "城关区"), ("630102", "青海省", "西宁市", "城东区"),
    ("640104", "宁夏回族自治区", "银川市", "兴庆区"), ("650102", "新疆维吾尔自治区", "乌鲁木齐市", "天山区"),
    ("540102", "西藏自治区", "拉萨市", "城关区"),
]
STREETS = ["人民路", "解放路", "中山北路", "建设大道", "文化路", "和平街", "幸福路", "长江路", "青年路", "学府路", "朝阳路",
           "新华街", "胜利路", "光明路", "滨江大道", "东风路", "花园路", "健康路", "北京路", "跃进路"]
ESTATES = ["幸福里小区", "望江花园", "丽景湾", "华府小区", "书香苑", "阳光家园", "翠湖苑", "金桂园", "锦绣花城", "和谐家园",
           "梧桐苑", "紫荆小区", "新城公寓", "海棠湾", "明珠花园"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
MOBILE_PREFIXES = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                   "155", "156", "157", "158", "159", "166", "170", "171", "173", "175", "176", "177", "178", "180",
                   "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "193", "195", "196", "197",
                   "198", "199"]
# 62-prefixed (UnionPay) issuer prefixes with a bank name for the sentence; the prefix-bank pairing is illustrative.
CARD_BINS = [("工商银行", "622202", 19), ("工商银行", "621226", 19), ("建设银行", "621700", 19), ("建设银行", "622700", 19),
             ("农业银行", "622848", 19), ("中国银行", "621661", 19), ("招商银行", "622588", 16), ("招商银行", "621483", 16),
             ("交通银行", "622262", 19), ("邮储银行", "621799", 19), ("浦发银行", "622521", 16), ("民生银行", "622622", 16)]
PINYIN = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu", "hu",
          "guo", "lin", "luo", "zheng", "xie", "tang", "han", "feng", "deng"]
PINYIN_G = ["wei", "fang", "na", "min", "jing", "lei", "jun", "yang", "yong", "tao", "ming", "chao", "hui", "xin", "yu",
            "hao", "jie", "ting", "xue", "lin", "bo", "kai", "peng", "qi"]
MAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "gmail.com", "outlook.com", "139.com",
                "sohu.com", "aliyun.com"]
COMPANIES = ["华信科技有限公司", "东方物流有限公司", "瑞丰贸易有限公司", "新程教育咨询有限公司", "博远建筑工程有限公司",
             "恒通汽车服务有限公司", "嘉禾餐饮管理有限公司", "明德医疗器械有限公司"]


def luhn_digit(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(num):
    return luhn_digit(num[:-1]) == num[-1]


def id_check(body17):
    return ID_CHECK[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS)) % 11]


def id_ok(num):
    return len(num) == 18 and num[:17].isdigit() and id_check(num[:17]) == num[17]


class Person:
    """One fictitious person with consistent fields."""

    def __init__(self, r):
        self.surname = r.choice(SURNAMES)
        given = r.choice(GIVEN_2) if r.random() < 0.55 else r.choice(GIVEN_1)
        self.name = self.surname + given
        self.region = r.choice(REGIONS)
        y = r.randint(1955, 2004)
        m = r.randint(1, 12)
        d = r.randint(1, [31, 29 if y % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1])
        self.birth = (y, m, d)
        self.male = r.random() < 0.5
        seq = r.randint(0, 99) * 10 + r.choice([1, 3, 5, 7, 9] if self.male else [0, 2, 4, 6, 8])
        body = f"{self.region[0]}{y:04d}{m:02d}{d:02d}{seq:03d}"
        self.id = body + id_check(body)
        self.phone = r.choice(MOBILE_PREFIXES) + "".join(str(r.randint(0, 9)) for _ in range(8))
        bank, bin_, n = r.choice(CARD_BINS)
        body = bin_ + "".join(str(r.randint(0, 9)) for _ in range(n - len(bin_) - 1))
        self.bank, self.card = bank, body + luhn_digit(body)
        if r.random() < 0.3:
            self.email = f"{r.randint(10000000, 2999999999)}@qq.com"
        else:
            self.email = (r.choice(PINYIN) + r.choice(["", ".", "_"]) + r.choice(PINYIN_G)
                          + r.choice(["", str(y), str(y % 100).zfill(2), str(r.randint(1, 999))]) + "@"
                          + r.choice(MAIL_DOMAINS))
        _, prov, city, dist = self.region
        self.addr = (f"{'' if prov == city else prov}{city}{dist}{r.choice(STREETS)}{r.randint(1, 399)}号"
                     f"{r.choice(ESTATES)}{r.randint(1, 28)}栋{r.randint(1, 6)}单元{r.randint(1, 32)}{r.randint(1, 4):02d}室")
        self.short_addr = f"{city}{dist}{r.choice(STREETS)}{r.randint(1, 399)}号"
        self.gender = "男" if self.male else "女"
        self.age = 2024 - y
        self.company = r.choice(COMPANIES)
        self.r = r

    def fmt_phone(self):
        r, p = self.r, self.phone
        return r.choice([p, p, p, f"{p[:3]} {p[3:7]} {p[7:]}", f"{p[:3]}-{p[3:7]}-{p[7:]}", f"+86 {p}", f"+86-{p}"])

    def fmt_card(self):
        r, c = self.r, self.card
        return r.choice([c, c, " ".join(c[i:i + 4] for i in range(0, len(c), 4))])

    def fmt_birth(self):
        y, m, d = self.birth
        return self.r.choice([f"{y}年{m}月{d}日", f"{y}-{m:02d}-{d:02d}", f"{y}.{m}.{d}", f"{y}/{m:02d}/{d:02d}"])


PII_NAME = {"name": "姓名", "id": "身份证号", "phone": "手机号", "card": "银行卡号", "email": "电子邮箱", "addr": "家庭住址",
            "birth": "出生日期"}

# (register, template, extra marks, note) — slots: {name} {id} {phone} {card} {bank} {email} {addr} {saddr} {gender}
# {age} {birth} {company} {n}. The PII kinds named in the reasoning are read from the slots the template uses.
PII_POS = [
    ("快递信息", "收件人：{name}\n电话：{phone}\n地址：{addr}\n备注：放门口就行", [], ""),
    ("快递信息", "麻烦帮我寄到这个地址：{addr}，{name}收，手机{phone}，谢谢！", [], ""),
    ("简历片段", "个人简历\n姓名：{name}  性别：{gender}  出生日期：{birth}\n身份证号：{id}\n联系电话：{phone}\n邮箱：{email}", [], ""),
    ("求职信息", "应聘岗位：行政助理。{name}，{gender}，{age}岁，身份证{id}，现住{addr}，手机{phone}。", [], ""),
    ("登记表", "入住登记｜客人姓名：{name}｜证件号码：{id}｜手机：{phone}｜房号：{n}", [], ""),
    ("表格数据", "姓名,性别,身份证号,手机号\n{name},{gender},{id},{phone}", [], ""),
    ("表格数据", "| 姓名 | 银行卡号 | 开户行 |\n| {name} | {card} | {bank} |", [], ""),
    ("结构化数据", '{{"name": "{name}", "id_card": "{id}", "mobile": "{phone}", "address": "{addr}"}}', [], ""),
    ("群聊消息", "曝光一下这个人：{name}，身份证{id}，住{addr}，电话{phone}，大家看到直接打过去骂他！", [(ILL, MILD)],
     "煽动他人骚扰"),
    ("群聊消息", "人肉出来了，就是{name}，手机号{phone}，在{company}上班，家在{saddr}，兄弟们去堵他", [(ILL, MILD)],
     "煽动他人骚扰"),
    ("帖子", "扒一扒{name}的底：{age}岁，{gender}，身份证号{id}，老家{saddr}，欠钱不还的人就该被曝光。", [(ILL, MILD)],
     "以曝光为名公开他人信息"),
    ("催收短信", "{name}的家人你好，{name}（身份证{id}）在我司借款逾期，再不还款就把其信息发到你们全村群里。",
     [(ILL, MODERATE)], "以公开信息相威胁催收"),
    ("模型回复", "根据你提供的线索，这位用户的真实姓名是{name}，身份证号码为{id}，常用手机号{phone}。", [], ""),
    ("模型回复", "查询结果：{name}，手机号{phone}，绑定银行卡{bank}{card}，注册邮箱{email}。", [], ""),
    ("客服对话", "客服：好的，我核对一下您母亲的信息，姓名{name}，身份证号{id}，银行卡号{card}，对吗？", [], ""),
    ("转账消息", "钱直接打到这张卡：{bank} {card}，户名{name}，到账了说一声。", [], ""),
    ("转账消息", "收款信息\n户名：{name}\n卡号：{card}\n开户行：{bank}{city}分行", [], ""),
    ("聊天记录", "我同事{name}的手机号是{phone}，家住{addr}，你要找他的话直接上门吧。", [], ""),
    ("聊天记录", "帮我查查这个号{phone}是谁的？我这边已经知道机主叫{name}，身份证{id}。", [], ""),
    ("聊天记录", "把你表姐的邮箱发我一下——哦有了，{email}，她叫{name}对吧", [], ""),
    ("中介信息", "房东{name}，电话{phone}，房子在{addr}，身份证复印件号码{id}，明天签合同。", [], ""),
    ("学生名单", "{n}班学生信息：{name}，{gender}，{birth}出生，身份证{id}，家长电话{phone}，住址{addr}", [], ""),
    ("病历摘要", "患者{name}，{gender}，{age}岁，身份证号{id}，联系电话{phone}，诊断：2型糖尿病。", [], ""),
    ("报名表", "报名成功！姓名：{name}；证件号：{id}；手机：{phone}；邮箱：{email}；紧急联系人住址：{addr}", [], ""),
    ("借条", "今借到人民币{money}元整。借款人：{name}，身份证号：{id}，电话：{phone}，住址：{addr}。", [], ""),
    ("社交动态", "恭喜{name}喜提新房！地址{addr}，手机{phone}，大家有空去暖房～", [], ""),
    ("工作邮件", "各位好，新同事{name}下周入职，工号{n}，手机{phone}，邮箱{email}，身份证{id}已交人事。", [], ""),
    ("数据交易", "出售{city}某小区业主资料，含姓名、电话、住址，样例：{name} {phone} {addr}，要的私聊。",
     [(ILL, MODERATE)], "兜售个人信息"),
    ("数据交易", "四件套出：身份证{id}+银行卡{card}+手机卡+U盾，户主{name}，价格好商量。", [(ILL, MODERATE)],
     "买卖身份证和银行卡"),
    ("数据交易", "新鲜车主数据一手货源，{name} {phone} {addr}，一条五毛，量大从优。", [(ILL, MODERATE)], "兜售个人信息"),
    ("订单信息", "您的订单已发货。收货人：{name}，联系方式：{phone}，收货地址：{addr}", [], ""),
    ("身份核验", "请核对：{name}，{birth}出生，公民身份号码{id}，签发机关{city}公安局{district}分局。", [], ""),
    ("英文夹杂", "Name: {name}, ID: {id}, Tel: {phone}, Email: {email}", [], ""),
    ("口语消息", "喂，你记一下，他叫{name}，电话是{phone_words}，卡号{card}。", [], ""),
    ("通讯录", "通讯录导出：\n{name} {phone}\n{name2} {phone2}\n{name3} {phone3}", [], ""),
    ("银行卡信息", "我弟的卡号{card}（{bank}），密码是他生日，你先帮我转一下。", [], ""),
    ("邮件信息", "他的私人邮箱是{email}，手机{phone}，你可以直接联系，别说是我给的。", [], ""),
    ("地址信息", "{name}的家庭住址：{addr}，每天晚上七点后在家。", [], ""),
]

# Clean look-alikes: (register, template, what the numbers are). Slots: {order} {track} {price} {date} {hotline}
# {badid} {badcard} {masked_phone} {masked_id} {tail} {train} {uscc} {code}
PII_NEG = [
    ("订单通知", "您的订单{order}已支付成功，实付{price}元，预计{date}送达。", "订单号、金额和日期"),
    ("物流通知", "【物流】您的包裹已由{courier}揽收，运单号{track}，可在官方小程序查询进度。", "快递运单号"),
    ("售后消息", "订单号：{order}\n退款金额：{price}元\n退款将在3-5个工作日原路退回。", "订单号和退款金额"),
    ("公共热线", "遇到消费纠纷可以拨打{hotline}投诉，市场监管部门会受理。", "公共服务热线"),
    ("公共热线", "紧急情况请拨打110报警、120急救、119火警，切勿占用线路。", "公共紧急电话"),
    ("银行通知", "【{bank}】您尾号{tail}的账户{date}支出人民币{price}元。如有疑问请致电{bank_hotline}。", "卡号尾号、金额和客服热线"),
    ("会员信息", "会员号{badid}已绑定，当前积分{points}，积分有效期至{date}。", "会员编号（非身份证号）"),
    ("合同编号", "合同编号：{badid}，签订日期：{date}，合同金额{price}元。", "合同编号、日期和金额"),
    ("交易流水", "交易流水号{badcard}，交易时间{date} {time}，金额{price}元，状态：成功。", "交易流水号和金额"),
    ("脱敏信息", "已为您预约成功，预约人{surname}**，手机{masked_phone}，请准时到场。", "已脱敏的姓名和手机号"),
    ("脱敏信息", "实名认证已通过：证件号{masked_id}，如非本人操作请联系客服。", "已打码的证件号"),
    ("出行信息", "{date}的{train}次列车，{seat}号座，开车前20分钟停止检票。", "车次、座位号和日期"),
    ("企业信息", "本公司统一社会信用代码{uscc}，注册地址为{city}{district}{street}{num}号，欢迎来访。", "企业公开登记信息"),
    ("知识讲解", "居民身份证号码共18位，前6位是地址码，中间8位是出生日期，第17位奇数表示男性，最后一位是校验码。", "证件号码规则说明"),
    ("知识讲解", "银行卡号一般为16到19位，最后一位用Luhn算法校验，输错一位系统就会提示卡号无效。", "卡号规则说明"),
    ("反诈提醒", "请勿向任何人透露银行卡密码和短信验证码，{bank}工作人员不会索要这些信息。", "防诈骗提醒"),
    ("价格信息", "这款手机{date}开售，8+256G版本售价{price}元，以旧换新再减{discount}元。", "价格和日期"),
    ("快递查询", "帮我查一下快递{track}到哪了？昨天就显示派送中。", "快递单号"),
    ("工单", "您反映的问题已登记，工单号{order}，我们会在{days}个工作日内回复。", "工单号"),
    ("编号错误", "系统提示“{badid}”不是有效的身份证号码，校验位不对，请重新输入。", "校验位错误的号码"),
    ("编号错误", "你发的卡号{badcard}好像少输或输错了一位，校验不通过，再核对一下。", "校验不通过的卡号"),
    ("公开电话", "图书馆咨询电话{landline}，开放时间周二至周日9:00-21:00。", "机构公开电话"),
    ("政务信息", "政务服务便民热线12345，24小时受理咨询、求助和投诉。", "政务服务热线"),
    ("日程", "{date} {time}在{city}{district}政务服务中心三楼会议室开会，带好笔记本。", "日期、时间和公共地点"),
    ("取件码", "您的快递已到驿站，取件码{code}，请于{date}前领取。", "取件码"),
    ("成绩", "本次考试准考证号{exam}，总分{score}分，成绩已于{date}公布。", "准考证号和分数"),
]
COURIERS = [("顺丰速运", "SF"), ("中通快递", "7"), ("圆通速递", "YT"), ("韵达快递", "43"), ("京东物流", "JD"), ("申通快递", "77")]
HOTLINES = ["12315", "12345", "12358", "12365", "12388", "12306"]
BANK_HOTLINE = {"工商银行": "95588", "建设银行": "95533", "农业银行": "95599", "中国银行": "95566", "招商银行": "95555",
                "交通银行": "95559", "邮储银行": "95580", "浦发银行": "95528", "民生银行": "95568"}


def bad_id(r):
    p = Person(r)
    wrong = [c for c in ID_CHECK if c != p.id[-1]]
    return p.id[:17] + r.choice(wrong)


def bad_card(r):
    p = Person(r)
    d = str((int(p.card[-1]) + r.randint(1, 9)) % 10)
    return p.card[:-1] + d


def rand_date(r):
    y, m, d = r.randint(2019, 2025), r.randint(1, 12), r.randint(1, 28)
    return r.choice([f"{y}年{m}月{d}日", f"{m}月{d}日", f"{y}-{m:02d}-{d:02d}", f"{m:02d}月{d:02d}日"])


def digits(r, n):
    return "".join(str(r.randint(0, 9)) for _ in range(n))


def pii_slots(r):
    p, p2, p3 = Person(r), Person(r), Person(r)
    phone_words = "".join("零幺二三四五六七八九"[int(c)] for c in p.phone) if r.random() < 0.5 else \
        f"{p.phone[:3]}，{p.phone[3:7]}，{p.phone[7:]}"
    return p, {
        "name": p.name, "id": p.id, "phone": p.fmt_phone(), "card": p.fmt_card(), "bank": p.bank, "email": p.email,
        "addr": p.addr, "saddr": p.short_addr, "gender": p.gender, "age": p.age, "birth": p.fmt_birth(),
        "company": p.company, "n": r.randint(101, 1899), "city": p.region[2], "district": p.region[3],
        "money": r.choice(["5000", "20000", "8000", "30000", "150000"]), "phone_words": phone_words,
        "name2": p2.name, "phone2": p2.phone, "name3": p3.name, "phone3": p3.phone,
    }


def pii_kinds(tpl):
    kinds = []
    for slot, kind in [("{name}", "name"), ("{id}", "id"), ("{phone}", "phone"), ("{phone_words}", "phone"),
                       ("{phone2}", "phone"), ("{card}", "card"), ("{email}", "email"), ("{addr}", "addr"),
                       ("{saddr}", "addr"), ("{birth}", "birth")]:
        if slot in tpl and kind not in kinds:
            kinds.append(kind)
    return kinds


def pii_level(kinds, tpl):
    """severe: an ID or card number together with a name and at least one more item, or a list of several people;
    moderate: an ID or card number, or name + phone + address (enough to find the person); mild: a name with one
    contact item (phone, e-mail or address)."""
    hard = {"id", "card"} & set(kinds)
    if "{name2}" in tpl or (hard and "name" in kinds and len(kinds) >= 3):
        return SEVERE
    if hard or {"name", "phone", "addr"} <= set(kinds):
        return MODERATE
    return MILD


def not_id(r, make):
    """A random number that does not pass the ID-card check (an order number must not look like a valid ID)."""
    while True:
        x = make()
        if not id_ok(x):
            return x


def pii_negative_slots(r):
    p = Person(r)
    courier, pre = r.choice(COURIERS)
    track = pre + digits(r, 15 - len(pre) if pre.isdigit() else 12)
    bank = r.choice(list(BANK_HOTLINE))
    return {
        "order": r.choice(["", "E", "DD"]) + not_id(r, lambda: digits(r, r.choice([16, 18, 19]))), "track": track,
        "courier": courier,
        "price": r.choice([f"{r.randint(9, 8999)}.{r.choice(['00', '90', '50', '99'])}", str(r.randint(19, 12999))]),
        "date": rand_date(r), "time": f"{r.randint(7, 22):02d}:{r.randint(0, 59):02d}", "hotline": r.choice(HOTLINES),
        "badid": bad_id(r), "badcard": bad_card(r), "bank": bank, "bank_hotline": BANK_HOTLINE[bank],
        "tail": digits(r, 4), "masked_phone": p.phone[:3] + "****" + p.phone[-4:],
        "masked_id": p.id[:4] + "*" * 10 + p.id[-4:], "surname": p.surname,
        "train": r.choice("GDKZT") + str(r.randint(1, 2999)), "seat": f"{r.randint(1, 16):02d}车{r.randint(1, 20)}{r.choice('ABCDF')}",
        "uscc": not_id(r, lambda: "91" + p.region[0] + digits(r, 9) + r.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")),
        "city": p.region[2], "district": p.region[3], "street": r.choice(STREETS), "num": r.randint(1, 300),
        "points": r.randint(100, 50000), "discount": r.choice([200, 300, 500, 800]), "days": r.choice([3, 5, 7, 15]),
        "landline": f"0{r.choice(['10', '21', '20', '755', '571', '28', '27', '29'])}-{digits(r, 8)}",
        "code": f"{r.randint(1, 30)}-{r.randint(1, 6)}-{digits(r, 4)}", "exam": digits(r, 12),
        "score": r.randint(320, 690),
    }


# ---------------------------------------------------------------------------------------------------------------------
# Spam and solicitation
# ---------------------------------------------------------------------------------------------------------------------

# Terms marked [[...]] in the templates are the ones the obfuscations rewrite.
HOMOPHONE = {
    "微信": ["威信", "薇信", "V信", "vx", "➕V", "wx"], "兼职": ["兼只", "监职", "jian职"], "刷单": ["刷dan", "唰单", "S单"],
    "博彩": ["菠菜", "bo彩"], "赌博": ["du博", "堵博"], "贷款": ["贷k", "带款", "dai款"], "日结": ["日jie", "曰结"],
    "赚钱": ["賺钱", "zhuan钱", "转钱"], "裸聊": ["luo聊", "倮聊", "裸l"], "约炮": ["约pao", "悦炮", "yp"],
    "色情": ["色q", "涩情"], "发票": ["发piao", "髮票", "fp"], "办证": ["办正", "bz"], "QQ": ["扣扣", "企鹅", "Q"],
    "百家乐": ["百家勒", "bjl"], "六合彩": ["6合彩", "lhc"], "返利": ["反利", "fan利"], "红包": ["hong包", "鸿包"],
    "上门": ["尚门", "上m"], "同城": ["铜城", "tc"], "佣金": ["用金", "佣jin"], "加": ["+", "伽", "咖"],
    "下款": ["下k", "夏款"], "网赌": ["网du", "往赌"], "炮": ["泡"], "高仿": ["搞仿", "gf"], "股票": ["gu票", "股飘"],
    "内幕": ["内mu", "内募"], "假证": ["甲证", "jia证"], "外围": ["外w", "歪围"], "充值": ["冲值", "cz"],
}
CHAIZI = {"赌": "贝者", "裸": "衤果", "约": "纟勺", "钱": "钅戋", "炮": "火包", "嫖": "女票", "彩": "采彡", "贷": "代贝",
          "赚": "贝兼", "好": "女子", "信": "亻言", "加": "力口", "现": "王见", "妹": "女未", "股": "月殳", "证": "讠正",
          "票": "西示", "款": "士示欠", "微": "彳山攵", "单": "丷甲"}
SEPARATORS = ["丨", "·", "*", "/", " ", "-", "_", "~", "."]
EMOJI = {"微信": "💬", "钱": "💰", "红包": "🧧", "赌": "🎰", "彩": "🎲", "约": "💋", "加": "➕", "电话": "📞", "美女": "👩",
         "赚": "💰", "股票": "📈", "QQ": "🐧", "裸": "🔞"}
EMOJI_DECOR = ["🔥", "💯", "👉", "✅", "⚡", "🎁", "‼️", "🌟"]

# (category, template). Slots: {wx} {qq} {url} {money} {pct} {city} {n}
SPAM = {
    "刷单": [
        "招聘手机[[兼职]]，[[刷单]]返[[佣金]]，一单{pct}，[[日结]]不拖欠，[[加]][[微信]]{wx}了解",
        "宝妈学生党在家就能做，帮店铺[[刷单]]提升销量，本金秒返，[[佣金]]另算，[[加]][[QQ]]{qq}",
        "【急招】淘宝[[刷单]]员{n}名，动动手指[[日结]]{money}+，不收任何费用，[[加]][[微信]]{wx}",
        "有没有想做[[兼职]]的？给直播间点赞关注就能[[赚钱]]，先做任务后垫付，[[佣金]]{pct}，私我",
        "[[刷单]]第一单小额试水，立返本金加{pct}[[佣金]]，第二单开始做联单，[[日结]]，群号{qq}",
        "好评返现：晒图五星好评返{money}元[[红包]]，不用真收货，拍下走空包，联系{wx}",
    ],
    "引流": [
        "免费领取{n}元[[红包]]！[[加]][[微信]]{wx}拉你进福利群，每天准点发",
        "进群免费送资料，考研考公全套网课，[[加]][[QQ]]群{qq}，名额有限",
        "看了我的主页的朋友，[[加]][[微信]]{wx}领一份独家副业攻略，前{n}名免费",
        "扫码进群领取新人[[返利]]券，全网最低价，群满即止，[[加]]{wx}",
        "每天分享隐藏优惠券，一起薅羊毛，[[加]][[微信]]{wx}备注“羊毛”",
        "【福利】关注后私信“666”获取{n}G学习资料包，另有内部[[返利]]群{qq}",
    ],
    "代办": [
        "专业[[办证]]：毕业证、学位证、驾驶证，学信网可查，[[加]][[微信]]{wx}",
        "代开各类增值税[[发票]]，点数低，可验真，[[加]][[QQ]]{qq}",
        "[[假证]]刻章一条龙，身份证、房产证、营业执照都能办，{city}当天取，电话私聊",
        "代办信用卡，无需征信，黑户白户都能下，包下卡，费用{money}，[[微信]]{wx}",
        "驾照代考，科目一到科目四包过，不用本人到场，[[加]][[微信]]{wx}",
        "代开医院诊断证明、病假条，盖真章，[[加]][[QQ]]{qq}",
    ],
    "贷款": [
        "无抵押无担保，黑户逾期也能[[下款]]，最快十分钟到账，额度{money}起，[[加]][[微信]]{wx}",
        "急用钱找我！身份证就能[[贷款]]，不看征信，不打电话，秒[[下款]]，[[QQ]]{qq}",
        "信用卡套现，费率{pct}，当天到账，{city}可上门，[[加]][[微信]]{wx}",
        "学生[[贷款]]，凭学生证即可办理，额度{money}，不告诉家长，[[加]]{wx}",
        "网贷逾期帮你上岸，新口子秒批，放款快，先放款后收费，[[微信]]{wx}",
    ],
    "博彩": [
        "真人[[百家乐]]，首[[充值]]送{pct}，一天轻松[[赚]]{money}，官网{url}",
        "[[六合彩]]内部资料，今晚必中特码，[[加]][[微信]]{wx}领取",
        "[[博彩]]平台诚招代理，流水返{pct}，日入过万，[[加]][[QQ]]{qq}",
        "老哥们上车，[[网赌]]稳[[赚]]计划，跟着导师下注，胜率九成，{url}",
        "体育[[外围]]下注，世界杯赔率全网最高，[[充值]]秒到，[[加]]{wx}",
        "时时彩回血计划，输了包赔，[[加]][[QQ]]群{qq}，带你翻本",
    ],
    "色情": [
        "[[同城]][[约]]会，学生妹少妇任你选，[[上门]]服务，[[加]][[微信]]{wx}",
        "寂寞了吗？一对一[[裸聊]]，视频不限时，[[加]][[QQ]]{qq}",
        "{city}高端[[外围]]，包夜{money}，可[[上门]]，[[微信]]{wx}",
        "私人福利视频，[[色情]]资源每日更新，点{url}免费看",
        "附近的美女想认识你，今晚[[约炮]]不收费，[[加]][[微信]]{wx}",
        "[[同城]]快餐{money}一次，环境安全，详聊[[加]]{wx}",
    ],
    "荐股": [
        "[[股票]]老师免费带单，每天推荐牛股，上周三天涨了{pct}，[[加]][[微信]]{wx}进群",
        "掌握[[内幕]]消息，明天这只票必涨停，想跟的[[加]][[QQ]]{qq}",
        "投资理财稳[[赚]]不赔，月收益{pct}，保本保息，[[加]][[微信]]{wx}咨询",
        "数字货币新项目，内部认购价，一个月翻十倍，[[加]]{wx}拉你进群",
    ],
    "高仿": [
        "[[高仿]]名牌包1:1做工，专柜品质，价格只要{money}，[[加]][[微信]]{wx}看实拍",
        "莆田[[高仿]]鞋，原厂原料，支持得物验货，[[QQ]]{qq}",
        "大牌香水[[高仿]]，和正品一模一样，假一赔十，[[加]]{wx}",
    ],
}
SPAM_MARKS = {
    "刷单": [(BIZ, MODERATE), (ILL, MODERATE)],
    "引流": [(BIZ, MILD)],
    "代办": [(ILL, MODERATE), (BIZ, MODERATE)],
    "贷款": [(BIZ, MODERATE), (ILL, MILD)],
    "博彩": [(ILL, SEVERE), (BIZ, MODERATE), (WORD, MILD)],
    "色情": [(ILL, SEVERE), (WORD, MILD)],
    "荐股": [(BIZ, MODERATE), (ILL, MODERATE)],
    "高仿": [(BIZ, MODERATE)],
}
SPAM_WHAT = {
    "刷单": "招募刷单兼职", "引流": "以福利为诱饵引流加好友", "代办": "兜售代办证件或发票", "贷款": "推广违规贷款或套现",
    "博彩": "招揽赌博", "色情": "招揽色情服务", "荐股": "以荐股理财为名诱导投资", "高仿": "售卖高仿假冒商品",
}
OBF_NAME = {"homophone": "谐音", "chaizi": "拆字", "sep": "符号间隔", "emoji": "表情符号"}

# Benign look-alikes: (kind, template). Slots: {shop} {pct} {money} {n} {city} {date} {bank} {tail} {price} {wx_official}
LOOKALIKE = {
    "店铺促销": [
        "{shop}周年庆，全场满{money}减{off}，会员再享九五折，活动时间{date}至月底。",
        "本店新品上市，前{n}名下单送精美礼品一份，详情可咨询门店店员。",
        "{shop}双十一预售开始啦，定金{off}元抵{money}元，尾款{date}开始支付。",
        "关注我们的官方公众号，领取{off}元无门槛优惠券，仅限门店使用。",
        "{shop}会员日：积分可抵现金，生日当月消费享双倍积分，欢迎到店选购。",
        "今日特价：有机蔬菜每斤{price}元，鸡蛋一盒{off}元，数量有限，先到先得。",
    ],
    "招聘启事": [
        "{shop}招聘服务员{n}名，月薪{money}-{money2}元，包吃住，需持健康证，面试地址：{city}{street}{num}号。",
        "{company}诚聘会计一名，要求本科及以上学历、两年以上工作经验，简历请投递至公司招聘邮箱。",
        "暑期招聘图书馆志愿者，每周两个下午，提供志愿时长证明，有意者到服务台登记。",
        "招聘外卖骑手，多劳多得，平台正规缴纳保险，可到{city}站点现场咨询。",
        "社区超市招理货员一名，早班七点到下午三点，月休四天，工资面议。",
    ],
    "银行通知": [
        "【{bank}】尊敬的客户，您尾号{tail}的信用卡本期账单{price}元，到期还款日{date}，请按时还款。",
        "【{bank}】温馨提示：本行工作人员不会以任何理由索要您的密码和验证码，谨防诈骗。",
        "【{bank}】您申请的个人住房贷款已审批通过，请携带本人身份证件到网点签约。",
        "{bank}公告：因系统升级，{date}凌晨0:00至4:00暂停网上银行服务，给您带来不便敬请谅解。",
    ],
    "反诈宣传": [
        "警惕刷单诈骗！凡是要求先垫付资金的刷单兼职都是诈骗，切勿轻信。",
        "反诈中心提醒：网络赌博平台后台可随意操控输赢，所谓稳赚计划都是骗局。",
        "“无抵押秒下款”多为套路贷，先收手续费再放款的都是诈骗，请通过正规银行办理贷款。",
        "民警提示：自称能办理学历证书、驾驶证的网络广告都是违法的，购买假证同样要承担法律责任。",
        "收到“高额返利”“内幕消息荐股”的陌生消息，请直接拉黑并举报。",
        "社区开展防范电信网络诈骗讲座，重点讲解刷单返利、虚假贷款和冒充客服三类骗局。",
    ],
    "新闻报道": [
        "{city}警方捣毁一个网络赌博团伙，抓获犯罪嫌疑人{n}名，涉案金额逾千万元。",
        "中国体育彩票超级大乐透第{issue}期开奖，一等奖开出{n}注，单注奖金{money}万元。",
        "市场监管部门查处一批销售假冒名牌商品的网店，提醒消费者通过正规渠道购物。",
        "{city}警方破获一起侵犯公民个人信息案，涉案数据已全部查扣。",
        "央行发布通知，进一步规范互联网贷款业务，严禁向在校学生发放网络消费贷款。",
    ],
    "日常对话": [
        "我最近在找兼职，想去奶茶店打工，周末两天，你们店还招人吗？",
        "昨天用优惠券买了两件衣服，才花了{price}元，太划算了。",
        "我爸迷上了买彩票，每周花二十块买双色球，说是图个乐呵。",
        "朋友推荐我去银行办房贷，利率比去年低了不少。",
        "加我微信吧，周末一起去爬山，我把路线发给你。",
    ],
}
SHOPS = ["鲜果时光水果店", "老街面馆", "好邻居超市", "阳光书店", "悦动健身", "小林烘焙", "家家乐便利店", "青禾咖啡"]


def obfuscate(text, style, r, homophone=None, chaizi=None, emoji=None, decorate_unchanged=True):
    """Rewrites the [[marked]] terms in the given style; returns (text, [rewritten spans]). The tables default to this
    file's; `decorate_unchanged=False` leaves an emoji-style text undecorated when no term was rewritten."""
    homophone = HOMOPHONE if homophone is None else homophone
    chaizi = CHAIZI if chaizi is None else chaizi
    emoji = EMOJI if emoji is None else emoji
    spans = []
    out = []
    parts = text.split("[[")
    out.append(parts[0])
    for p in parts[1:]:
        term, rest = p.split("]]", 1)
        new = term
        if style == "homophone" and term in homophone and r.random() < 0.8:
            new = r.choice(homophone[term])
        elif style == "chaizi":
            chars = [chaizi.get(c, c) for c in term]
            if any(c in chaizi for c in term) and r.random() < 0.85:
                new = "".join(chars)
        elif style == "sep" and len(term) >= 2 and r.random() < 0.8:
            new = r.choice(SEPARATORS).join(term)
        elif style == "emoji":
            for k, e in emoji.items():
                if k in term and r.random() < 0.85:
                    new = term.replace(k, e)
                    break
        if new != term:
            spans.append(new)
        out.append(new + rest)
    res = "".join(out)
    if style == "emoji" and (spans or decorate_unchanged):
        res = r.choice(EMOJI_DECOR) + res + r.choice(EMOJI_DECOR)
    return res, spans


def spam_slots(r):
    wx = r.choice(PINYIN) + r.choice(["", "_", "-"]) + r.choice(PINYIN_G) + str(r.randint(1, 9999))
    return {
        "wx": wx, "qq": str(r.randint(10000000, 3999999999)),
        "url": r.choice(["www.", "", "http://"]) + r.choice(["vip", "bet", "lucky", "win", "hg", "ag", "fuli", "tv"])
        + str(r.randint(6, 999)) + "." + r.choice(["com", "net", "cc", "vip", "top", "xyz"]),
        "money": r.choice(["300", "500", "800", "1000", "2000", "5万", "10万", "3000", "1500"]),
        "pct": r.choice(["10%", "15%", "20%", "30%", "50%", "8个点", "5%"]), "n": r.randint(3, 200),
        "city": r.choice(REGIONS)[2].rstrip("市"),
    }


def lookalike_slots(r):
    return {
        "shop": r.choice(SHOPS), "off": r.choice([10, 20, 30, 50, 100]), "money": r.choice([100, 199, 299, 3000, 4500]),
        "money2": r.choice([6000, 7000, 8000]), "n": r.randint(2, 60), "date": rand_date(r),
        "bank": r.choice(list(BANK_HOTLINE)), "tail": digits(r, 4),
        "price": r.choice(["3.5", "12.8", "99", "268.40", "1299.00", "59.9"]),
        "city": r.choice(REGIONS)[2].rstrip("市"), "street": r.choice(STREETS), "num": r.randint(1, 300),
        "company": r.choice(COMPANIES), "issue": f"{r.randint(19, 25)}{r.randint(1, 150):03d}",
    }


def fill(tpl, slots):
    class D(dict):
        def __missing__(self, k):
            raise KeyError(k)
    return tpl.format_map(D(slots))


def generate(per_pii_pos=70, per_pii_neg=60, per_spam=45, per_lookalike=45):
    """Yields dicts: source, tpl (group id), text, marks, facts (for the reasoning), label, hard_negative."""
    out = []
    for ti, (reg, tpl, extra, note) in enumerate(PII_POS):
        kinds = pii_kinds(tpl)
        level = pii_level(kinds, tpl)
        for i in range(per_pii_pos):
            r = random.Random(f"pii-pos|{ti}|{i}")
            _, slots = pii_slots(r)
            text = fill(tpl, slots)
            out.append({"source": "synthetic-pii", "tpl": f"pii-pos-{ti:02d}", "text": text,
                        "marks": [(DATA, level)] + extra, "label": f"pii positive;{reg}",
                        "mapkey": f"PII: {'+'.join(kinds)}{' + ' + note if note else ''}",
                        "facts": {"fam": "pii", "reg": reg, "kinds": kinds, "note": note}, "hard_negative": False})
    for ti, (reg, tpl, what) in enumerate(PII_NEG):
        n = per_pii_neg if "{" in tpl else 1
        for i in range(n):
            r = random.Random(f"pii-neg|{ti}|{i}")
            slots = pii_negative_slots(r)
            text = fill(tpl, slots)
            for num in (slots["badid"], slots["badcard"]):
                assert not (num in text and (id_ok(num) or (len(num) >= 16 and luhn_ok(num) and num.startswith("62")))), text
            out.append({"source": "synthetic-pii", "tpl": f"pii-neg-{ti:02d}", "text": text, "marks": [],
                        "label": f"pii look-alike;{reg}", "mapkey": "PII look-alike (clean)",
                        "facts": {"fam": "pii_neg", "reg": reg, "what": what}, "hard_negative": True})
    styles = ["plain", "plain", "homophone", "chaizi", "sep", "emoji"]
    for cat, tpls in SPAM.items():
        for ti, tpl in enumerate(tpls):
            for i in range(per_spam):
                r = random.Random(f"spam|{cat}|{ti}|{i}")
                style = styles[i % len(styles)]
                text = fill(tpl, spam_slots(r))
                text, spans = obfuscate(text, style, r) if style != "plain" else (text.replace("[[", "").replace("]]", ""), [])
                if style != "plain" and not spans:
                    style = "plain"
                marks = list(SPAM_MARKS[cat])
                if style != "plain":
                    marks.append((WORD, MILD))
                out.append({"source": "synthetic-spam", "tpl": f"spam-{cat}-{ti}", "text": text, "marks": marks,
                            "label": f"spam;{cat};{style}", "mapkey": f"spam: {cat}{'' if style == 'plain' else ' (obfuscated)'}",
                            "facts": {"fam": "spam", "cat": cat, "style": style, "spans": spans},
                            "hard_negative": False})
    for cat, tpls in LOOKALIKE.items():
        for ti, tpl in enumerate(tpls):
            n = per_lookalike if "{" in tpl else 1
            for i in range(n):
                r = random.Random(f"look|{cat}|{ti}|{i}")
                text = fill(tpl, lookalike_slots(r))
                out.append({"source": "synthetic-spam", "tpl": f"look-{cat}-{ti}", "text": text, "marks": [],
                            "label": f"look-alike;{cat}", "mapkey": f"benign look-alike: {cat}",
                            "facts": {"fam": "look", "cat": cat}, "hard_negative": True})
    return out

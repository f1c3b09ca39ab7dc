/// The evidence stage's word lists. Curated for precision: a lexicon word is one whose mere presence is a strong
/// signal (a gambling, sex-solicitation, fraud, drug or weapon term), not an everyday word that such texts also use —
/// `上门服务` (home repairs), `菠菜` (spinach), `溜冰` (skating), `跑分` (phone benchmarks) and `包夜` (internet cafés) are
/// left out for that reason, and `exclusions` lists the everyday words that contain a lexicon word. ASCII letters are
/// matched case-insensitively and fullwidth forms as ASCII.
enum EvidenceLexicon {
    /// Category (as shown in the item's `masked`, `博彩:彩金`) and its words.
    static let entries: [(String, [String])] = [
        ("博彩", [
            "博彩", "百家乐", "彩金", "赌场", "时时彩", "六合彩", "网上赌场", "线上赌场", "真人荷官", "网赌", "赌球",
            "赌博网站", "首存送", "北京赛车pk10", "幸运飞艇", "澳门葡京", "太阳城集团", "老虎机在线", "六合彩特码",
        ]),
        ("色情", [
            "约炮", "裸聊", "楼凤", "援交", "一夜情", "外围女", "莞式服务", "黄色网站", "成人网站", "裸贷", "特殊服务",
        ]),
        ("诈骗", [
            "刷单", "日结", "兼职打字", "代办信用卡", "套现", "网贷秒批", "无抵押", "刷信誉", "刷流水", "洗钱",
            "代开发票", "高额返利", "黑户贷款", "点赞赚钱", "躺赚", "办假证", "提额秒到", "贷款秒批", "秒下款",
        ]),
        ("毒品", ["冰毒", "大麻", "海洛因", "摇头丸", "k粉", "可卡因", "麻古", "吗啡出售", "氯胺酮"]),
        ("枪支", [
            "枪支出售", "出售枪支", "仿真枪", "气枪", "钢珠枪", "麻醉枪", "枪支弹药", "手枪出售", "买卖枪支", "猎枪出售",
            "火药枪", "炸药配方",
        ]),
        ("违禁品", ["迷药", "迷奸药", "听话水", "催情水", "催情药", "窃听器出售"]),
    ]

    /// Everyday words that contain a lexicon word (`大麻烦` contains `大麻`, `节日结束` contains `日结`): a lexicon match
    /// inside one of them is not a match.
    static let exclusions: [String] = [
        "大麻烦", "节日结", "日结束", "日结婚", "日结果", "日结算", "日结论", "日结合", "日结构", "日结交", "日结局", "日结伴",
        "日结账", "反洗钱", "打气枪",
    ]

    /// Contact keywords (and their common obfuscations) that introduce an id.
    static let handleKeywords: [(EvidenceScan.HandleFamily, [String])] = [
        (.wechat, [
            "微信", "威信", "薇信", "徽信", "危信", "v信", "微x", "wx", "vx", "weixin", "wechat", "加v", "加微", "加微信",
            "+v", "加vx", "加wx",
        ]),
        (.qq, ["qq", "扣扣", "q群", "企鹅号", "企鹅", "q", "扣", "群号", "加群", "进群"]),
        (.telegram, ["tg", "telegram", "电报", "纸飞机"]),
        // Words that ask to be contacted; the id after them must hold a digit (`联系Tom` is not a handle).
        (.contact, ["联系", "联系方式", "联系我", "私聊", "私信", "滴滴", "dd"]),
    ]

    /// QR-code solicitations.
    static let qrPhrases: [String] = ["扫描二维码", "扫二维码", "识别二维码", "二维码", "扫码", "扫一扫", "长按识别"]
}

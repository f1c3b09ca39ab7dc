import Foundation
import Testing
@testable import Scoring

/// The evidence stage: each type's positives and hard negatives, offsets as Unicode scalar offsets, the prompt line,
/// and the prompt with evidence on and off.
@Suite struct EvidenceTests {
    /// A fixed "today" so that the birth-date bound is reproducible.
    static let today = 2024_06_01

    static func find(_ text: String) -> [EvidenceItem] { EvidenceFinder.find(in: text, today: today) }

    /// The text an item covers, sliced by Unicode scalars.
    static func slice(_ text: String, _ item: EvidenceItem) -> String {
        let scalars = Array(text.unicodeScalars)
        guard item.start >= 0, item.start <= item.end, item.end <= scalars.count else { return "<out of range>" }
        var v = String.UnicodeScalarView()
        v.append(contentsOf: scalars[item.start..<item.end])
        return String(v)
    }

    static func items(_ text: String, _ type: EvidenceType) -> [EvidenceItem] { find(text).filter { $0.type == type } }

    /// The one item of `type` in `text`, checked to slice to `covering`.
    static func only(_ text: String, _ type: EvidenceType, covering expected: String,
                     sourceLocation: SourceLocation = #_sourceLocation) -> EvidenceItem? {
        let found = items(text, type)
        #expect(found.count == 1, "\(type) in \(text): \(find(text))", sourceLocation: sourceLocation)
        guard let item = found.first else { return nil }
        #expect(slice(text, item) == expected, sourceLocation: sourceLocation)
        return item
    }

    // MARK: Test helpers: the standard algorithms, written independently of the finder

    /// GB 11643-1999: weights 2^(17-i) mod 11, check value (12 - sum mod 11) mod 11, 10 written as X.
    static func idCheck(_ first17: String) -> String {
        let digits = first17.compactMap { $0.wholeNumberValue }
        var sum = 0
        for (i, d) in digits.enumerated() {
            var w = 1
            for _ in 0..<(17 - i) { w = (w * 2) % 11 }
            sum += d * w
        }
        let check = (12 - sum % 11) % 11
        return check == 10 ? "X" : String(check)
    }

    static func withCheck(_ first17: String) -> String { first17 + idCheck(first17) }

    /// A check character that is not the right one.
    static func wrongCheck(_ first17: String) -> String {
        let right = idCheck(first17)
        return first17 + (right == "0" ? "1" : "0")
    }

    static func luhnValid(_ number: String) -> Bool {
        let digits = number.compactMap { $0.wholeNumberValue }
        var sum = 0
        for (i, d) in digits.reversed().enumerated() { sum += i % 2 == 0 ? d : (d * 2 > 9 ? d * 2 - 9 : d * 2) }
        return sum % 10 == 0
    }

    /// `prefix` completed with the Luhn check digit.
    static func withLuhn(_ prefix: String) -> String {
        (0...9).map { prefix + String($0) }.first(where: luhnValid) ?? prefix
    }

    // MARK: ID cards

    @Test func publishedIDNumbersCheckedByHand() {
        // 11010519491231002X — GB 11643's example: Σ digit×weight = 167, 167 mod 11 = 2 → check character X.
        #expect(Self.idCheck("11010519491231002") == "X")
        let item = Self.only("身份证号：11010519491231002X。", .idCard, covering: "11010519491231002X")
        #expect(item?.masked == "1101**********002X")
        #expect(item?.start == 5 && item?.end == 23)
        // Lower-case x is the same check character.
        _ = Self.only("号码11010519491231002x", .idCard, covering: "11010519491231002x")
        // 440524188001010014 — the standard's other example: sum 195, 195 mod 11 = 8 → check character 4, so the
        // check digit is right, but the holder was born in 1880, before the 1900 bound.
        #expect(Self.idCheck("44052418800101001") == "4")
        #expect(Self.items("身份证 440524188001010014", .idCard).isEmpty)
        #expect(EvidenceCheck.idCheckCharacter([4, 4, 0, 5, 2, 4, 1, 8, 8, 0, 0, 1, 0, 1, 0, 0, 1]) == "4")
    }

    @Test func computedIDNumbersAreFoundAndWrongCheckDigitsAreNot() {
        let bases = ["11010119900307231", "44030619851124002", "32010219760101401", "65010220000229123",
                     "81000019991231000", "50010420080808888"]
        for base in bases {
            let valid = Self.withCheck(base)
            let item = Self.only("证件 \(valid) 请核对", .idCard, covering: valid)
            #expect(item?.masked == String(valid.prefix(4)) + "**********" + String(valid.suffix(4)))
            #expect(Self.items("证件 \(Self.wrongCheck(base)) 请核对", .idCard).isEmpty, "wrong check digit \(base)")
        }
        #expect(Self.withCheck("11010119900307231") == "110101199003072316")
        #expect(Self.only("110101199003072316", .idCard, covering: "110101199003072316")?.masked
            == "1101**********2316")
    }

    @Test func idNumbersWithBadRegionOrDateAreNotFound() {
        for base in ["99010119900307231",  // no province 99
                     "20231215000123456",  // no province 20 (an order number's shape)
                     "11010119901307231",  // month 13
                     "11010119900230231",  // 30 February
                     "11010119010229231",  // 1901 is not a leap year
                     "11010118991231231",  // before 1900
                     "11010120250101231"] {  // after today
            #expect(Self.items("编码 \(Self.withCheck(base)) 结束", .idCard).isEmpty, "\(base)")
        }
        // 29 February of a leap year is a date.
        _ = Self.only("证件 \(Self.withCheck("11010120000229231"))", .idCard, covering: Self.withCheck("11010120000229231"))
        // The bound is today's date in the finder's public entry point.
        #expect(EvidenceFinder.find(in: Self.withCheck("11010119900307231")).map(\.type) == [.idCard])
    }

    @Test func idNumbersInLongerRunsOrAfterOrderWordsAreNotFound() {
        let id = "110101199003072316"
        #expect(Self.find("1" + id).isEmpty)
        #expect(Self.find(id + "5").isEmpty)
        #expect(Self.find("ID" + id).isEmpty)
        #expect(Self.items("订单号：\(id)", .idCard).isEmpty)
        #expect(Self.items("快递单号 \(id)", .idCard).isEmpty)
        // Grouped 6-8-4 is read as one number.
        _ = Self.only("身份证 110101 19900307 2316 。", .idCard, covering: "110101 19900307 2316")
    }

    // MARK: Bank cards

    @Test func luhnVectors() {
        #expect(EvidenceCheck.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]))
        #expect(!EvidenceCheck.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]))
        // 6222021234567890123 fails; its Luhn completion of the first 18 digits is …128.
        #expect(!Self.luhnValid("6222021234567890123"))
        #expect(Self.withLuhn("622202123456789012") == "6222021234567890128")
        #expect(EvidenceCheck.luhn("6222021234567890128".compactMap { $0.wholeNumberValue }))
        #expect(!EvidenceCheck.luhn("6222021234567890123".compactMap { $0.wholeNumberValue }))
        for prefix in ["622848001234567", "453201511283036", "510510510510510", "353011133330000"] {
            #expect(EvidenceCheck.luhn(Self.withLuhn(prefix).compactMap { $0.wholeNumberValue }))
        }
    }

    @Test func cardNumbersAreFoundMasked() {
        let visa = Self.only("卡号4111111111111111，户名张三", .bankCard, covering: "4111111111111111")
        #expect(visa?.masked == "4111 **** **** 1111")
        let unionPay = Self.only("转账到 6222021234567890128 即可", .bankCard, covering: "6222021234567890128")
        #expect(unionPay?.masked == "6222 **** **** *** 0128")
        let grouped = Self.withLuhn("622848001234567")
        let spaced = stride(from: 0, to: 16, by: 4).map { i -> String in
            let a = grouped.index(grouped.startIndex, offsetBy: i)
            return String(grouped[a..<grouped.index(a, offsetBy: 4)])
        }.joined(separator: " ")
        #expect(Self.only("卡：\(spaced)。", .bankCard, covering: spaced)?.masked == "6228 **** **** " + grouped.suffix(4))
        let master = Self.withLuhn("510510510510510")
        _ = Self.only("Mastercard \(master)", .bankCard, covering: master)
        let jcb = Self.withLuhn("353011133330000")
        _ = Self.only("JCB:\(jcb)", .bankCard, covering: jcb)
    }

    @Test func cardNumbersThatFailLuhnOrHaveNoIssuerAreNotFound() {
        #expect(Self.items("卡号4111111111111112", .bankCard).isEmpty)
        #expect(Self.items("卡号6222021234567890123", .bankCard).isEmpty)
        // Luhn-valid but no plausible issuer (starts with 1, 9 or 2).
        for prefix in ["123456789012345", "900000000000000", "202312150001234"] {
            #expect(Self.items("号码 \(Self.withLuhn(prefix))", .bankCard).isEmpty, "\(prefix)")
        }
        // Inside a longer run, or an order number.
        #expect(Self.find("94111111111111111").isEmpty)
        #expect(Self.find("41111111111111110000").isEmpty)
        #expect(Self.items("订单编号 4111111111111111", .bankCard).isEmpty)
    }

    /// An ID number with a wrong check character can pass Luhn; laid out as an ID (province, birth date), it is
    /// neither an ID nor a card. The same digits with a non-ID layout stay a card.
    @Test func idShapedNumbersWithAWrongCheckCharacterAreNotCards() {
        var shaped: [String] = []
        for base in ["45010319850605414", "41010519740425949", "45010319770428105", "11010119900307231",
                     "44030619851124002", "32010219760101401"] {
            for last in "0123456789" where String(last) != Self.idCheck(base) {
                let number = base + String(last)
                if Self.luhnValid(number) { shaped.append(number) }
            }
        }
        // Those starting with 4 would otherwise be Luhn-valid cards of a Visa issuer.
        #expect(shaped.filter { $0.hasPrefix("4") }.count >= 3, "\(shaped)")
        for number in shaped {
            #expect(Self.find("系统提示“\(number)”不是有效的身份证号码").isEmpty, "\(number)")
        }
        // A UnionPay number whose digits 7–14 are no date (month 34) is still a card.
        let card = Self.withLuhn("62220212345678901")
        _ = Self.only("卡号 \(card)", .bankCard, covering: card)
        #expect(EvidenceCheck.isIDShaped("450103198506054142".compactMap { $0.wholeNumberValue }, today: Self.today))
        #expect(!EvidenceCheck.isIDShaped(card.compactMap { $0.wholeNumberValue }, today: Self.today))
    }

    // MARK: Mobile numbers

    @Test func mobileNumbersWithAllocatedPrefixes() {
        let allocated = Array(130...139) + Array(145...149) + [150, 151, 152, 153, 155, 156, 157, 158, 159, 162, 165,
                                                                 166, 167] + Array(170...178) + Array(180...199)
        for p in allocated {
            let number = "\(p)12345678"
            let item = Self.only("电话\(number)。", .mobile, covering: number)
            #expect(item?.masked == "\(p)****5678")
        }
        for p in [100, 110, 120, 122, 140, 141, 144, 154, 160, 161, 163, 164, 168, 169, 179] {
            #expect(Self.items("电话\(p)12345678。", .mobile).isEmpty, "\(p)")
        }
    }

    @Test func mobileNumbersWithCountryCodeAndGrouping() {
        _ = Self.only("电话：+86 138 1234 5678，", .mobile, covering: "+86 138 1234 5678")
        _ = Self.only("电话：+8613812345678", .mobile, covering: "+8613812345678")
        _ = Self.only("电话：86-13812345678", .mobile, covering: "86-13812345678")
        _ = Self.only("电话：138-1234-5678", .mobile, covering: "138-1234-5678")
        _ = Self.only("电话：138 1234 5678 联系", .mobile, covering: "138 1234 5678")
        #expect(Self.only("+86 13812345678", .mobile, covering: "+86 13812345678")?.masked == "138****5678")
        // Mixed separators and wrong grouping are not a number.
        #expect(Self.items("138-1234 5678", .mobile).isEmpty)
        #expect(Self.items("1381 234 5678", .mobile).isEmpty)
        #expect(Self.items("138-1234-5678-9", .mobile).isEmpty)
    }

    @Test func fullwidthDigitsAreMatchedWithOriginalOffsets() {
        let text = "电话：１３８１２３４５６７８"
        let item = Self.only(text, .mobile, covering: "１３８１２３４５６７８")
        #expect(item?.masked == "138****5678")
        #expect(item?.start == 3 && item?.end == 14)
        let id = "１１０１０５１９４９１２３１００２Ｘ"
        #expect(Self.only("身份证\(id)", .idCard, covering: id)?.masked == "1101**********002X")
    }

    // MARK: Hard negatives

    @Test func orderNumbersPricesDatesAndHotlinesAreNotEvidence() {
        let negatives = [
            "订单号 202312150001234567 已发货",
            "您的快递单号是 SF1234567890123，请查收",
            "运单号：7700123456789012",
            "价格：¥1999.00，原价 2599 元，优惠 13.5%",
            "会议定于2023-12-15 14:30在三楼举行，2024年1月1日起施行",
            "报警请拨110，急救120，消费者投诉12315，工商银行客服95588",
            "本产品编号 20231215000123 生产日期 20231215",
            "今天气温 25 度，湿度 60%，风速 3.5 米每秒",
            "第 13812345678901 号文件",
            "版本 v1.2.3，Node.js 与 ASP.NET 都支持，e.g. 3.cn",
        ]
        for text in negatives {
            #expect(Self.find(text).isEmpty, "\(text): \(Self.find(text))")
        }
    }

    @Test func digitsInsideLongerRunsAreNotEvidence() {
        #expect(Self.find("213812345678").isEmpty)
        #expect(Self.find("138123456789").isEmpty)
        #expect(Self.find("x13812345678").isEmpty)
        #expect(Self.find("3.13812345678").isEmpty)
        #expect(Self.find("13812345678.5").isEmpty)
        #expect(Self.find("1234 5678 9012 3456 7890 1234").isEmpty)
    }

    // MARK: E-mail, URLs, QR codes

    @Test func emailAddresses() {
        let item = Self.only("联系邮箱 zhangsan.work@qq.com 谢谢", .email, covering: "zhangsan.work@qq.com")
        #expect(item?.masked == "z***@qq.com")
        _ = Self.only("发到ｚｓ＠１６３．ｃｏｍ", .email, covering: "ｚｓ＠１６３．ｃｏｍ")
        #expect(Self.items("回复@张三 收到", .email).isEmpty)
        #expect(Self.items("a@b", .email).isEmpty)
    }

    @Test func links() {
        _ = Self.only("点击 https://example.com/path?a=1&b=2 领取", .url, covering: "https://example.com/path?a=1&b=2")
        _ = Self.only("详见http://abc.cn。", .url, covering: "http://abc.cn")
        _ = Self.only("访问www.bet365.com，注册", .url, covering: "www.bet365.com")
        _ = Self.only("短链 t.cn/A6xYz 点开", .url, covering: "t.cn/A6xYz")
        _ = Self.only("官网abc-shop.top", .url, covering: "abc-shop.top")
        _ = Self.only("(see https://x.org/a).", .url, covering: "https://x.org/a")
        let long = "https://example.com/" + String(repeating: "a", count: 60)
        let item = Self.only("链接 \(long) 结束", .url, covering: long)
        #expect(item?.masked.count == 32)
        #expect(item?.masked.hasSuffix("…") == true)
        #expect(Self.items("邮件 someone@example.com", .url).isEmpty)
    }

    @Test func linksWithDisguisedDots() {
        _ = Self.only("各种东西都在wqkj777. top", .url, covering: "wqkj777. top")
        _ = Self.only("网址abc123点com，注册送", .url, covering: "abc123点com")
        _ = Self.only("访问 www . abc . cc 看看", .url, covering: "www . abc . cc")
        _ = Self.only("入口 vip888[.]xyz", .url, covering: "vip888[.]xyz")
        _ = Self.only("官网fuli。cn", .url, covering: "fuli。cn")
        _ = Self.only("站点 game66 dot com 结束", .url, covering: "game66 dot com")
        // A rarer top-level domain needs a digit in the name; prose, upper case and numbers are not links.
        _ = Self.only("下载 app7 . shop", .url, covering: "app7 . shop")
        for text in ["Thank you. me too", "I love it. today", "ASP. NET", "5点com", "三点cn", "Java. Net", "a. com",
                     "abc. community", "版本1. 2"] {
            #expect(Self.items(text, .url).isEmpty, "\(text): \(Self.find(text))")
        }
    }

    @Test func shareCodesBetweenCurrencySigns() {
        let item = Self.only("1拍这个口令1￥JarTXDFowOD￥/复制到【手机宝】打开", .shareCode, covering: "￥JarTXDFowOD￥")
        #expect(item?.masked == "￥JarTXDFowOD￥")
        #expect(item?.type.isPersonalData == false && item?.type.promptName == "口令")
        _ = Self.only("复制$Ab3dEf9GhJk$打开", .shareCode, covering: "$Ab3dEf9GhJk$")
        _ = Self.only("€HVZ7XEQ75t8€", .shareCode, covering: "€HVZ7XEQ75t8€")
        _ = Self.only("口令¥5M1OXxZOBhU¥", .shareCode, covering: "¥5M1OXxZOBhU¥")
        // Prices, one case only, different signs, too short or too long.
        for text in ["价格¥199¥", "￥ABCDEFGHJK￥", "￥abcdefghjk￥", "￥Ab3dEf9GhJk$", "￥Ab3dEf￥",
                     "￥Ab3dEf9GhJkLmNoPq￥", "原价￥149，券后￥14.9"] {
            #expect(Self.items(text, .shareCode).isEmpty, "\(text): \(Self.find(text))")
        }
    }

    @Test func qrCodeSolicitations() {
        _ = Self.only("扫描二维码领取红包", .qrCode, covering: "扫描二维码")
        _ = Self.only("打开微信扫一扫", .qrCode, covering: "扫一扫")
        _ = Self.only("长按识别下方图片", .qrCode, covering: "长按识别")
        #expect(Self.items("今天天气很好", .qrCode).isEmpty)
    }

    // MARK: Contact handles

    @Test func weChatHandlesAndTheirObfuscations() {
        let cases: [(String, String, String)] = [
            ("加我微信：abc12345 详聊", "微信：abc12345", "微信:abc***"),
            ("薇信 zhang_san88", "薇信 zhang_san88", "薇信:zha***"),
            ("威信号:wx_test001", "威信号:wx_test001", "威信号:wx_***"),
            ("ＶＸ：ａｂｃ１２３４", "ＶＸ：ａｂｃ１２３４", "ＶＸ:abc***"),
            ("加V：money888", "加V：money888", "加V:mon***"),
            ("v信→ good2024", "v信→ good2024", "v信:goo***"),
            ("vx-abc_123", "vx-abc_123", "vx:abc***"),
            ("有意者加vx abcdef", "加vx abcdef", "加vx:abc***"),
        ]
        for (text, covered, masked) in cases {
            #expect(Self.only(text, .contactHandle, covering: covered)?.masked == masked, "\(text)")
        }
    }

    @Test func qqAndTelegramHandles() {
        #expect(Self.only("QQ：123456789", .contactHandle, covering: "QQ：123456789")?.masked == "QQ:123***")
        _ = Self.only("扣扣 88886666", .contactHandle, covering: "扣扣 88886666")
        _ = Self.only("加q群 12345678 领资料", .contactHandle, covering: "q群 12345678")
        _ = Self.only("QQ群号：654321", .contactHandle, covering: "QQ群号：654321")
        _ = Self.only("TG: @crypto_boss", .contactHandle, covering: "TG: @crypto_boss")
        _ = Self.only("纸飞机 @abc12345", .contactHandle, covering: "纸飞机 @abc12345")
        // QQ numbers are digits; a word is not a handle.
        #expect(Self.items("QQ 音乐很好听", .contactHandle).isEmpty)
        #expect(Self.items("qq: hello", .contactHandle).isEmpty)
    }

    @Test func contactWordsAndShortQQKeywordsBeforeAnId() {
        let cases: [(String, String, String)] = [
            ("卖出去需要联系3194704877", "联系3194704877", "联系:319***"),
            ("联系方式：abc_12345", "联系方式：abc_12345", "联系方式:abc***"),
            ("有意私聊 zhang2024", "私聊 zhang2024", "私聊:zha***"),
            ("Q 123456789", "Q 123456789", "Q:123***"),
            ("扣：88886666", "扣：88886666", "扣:888***"),
            ("企鹅349624371", "企鹅349624371", "企鹅:349***"),
            ("加群 12345678 领资料", "加群 12345678", "加群:123***"),
            ("价格dd 5201314", "dd 5201314", "dd:520***"),
        ]
        for (text, covered, masked) in cases {
            #expect(Self.only(text, .contactHandle, covering: covered)?.masked == masked, "\(text)")
        }
        // A contact word needs an id with a digit; a QQ number is 5–10 digits without a leading 0; 11 digits after a
        // contact word are a mobile number's, found as such.
        for text in ["联系Tom吧", "私聊", "联系我们", "扣1", "扣666", "2024Q3营收", "Q1季度", "联系0571888888", "add12345",
                     "私信666", "进群领福利"] {
            #expect(Self.items(text, .contactHandle).isEmpty, "\(text): \(Self.find(text))")
        }
        #expect(Self.find("联系方式：13812345678").map(\.type) == [.mobile])
    }

    @Test func keywordsWithoutAnIdOrInsideWordsAreNotHandles() {
        for text in ["加我微信吧", "微信支付很方便", "wxyz12345", "http的tg", "她的微信号是什么", "WeChat is an app",
                     "vxabcdef", "关注微信公众号"] {
            #expect(Self.items(text, .contactHandle).isEmpty, "\(text): \(Self.find(text))")
        }
    }

    @Test func handleWithAMobileNumberKeepsItsKeywordAndGivesTheNumberToMobile() {
        let text = "微信13812345678"
        let found = Self.find(text)
        #expect(found.map(\.type) == [.contactHandle, .mobile])
        #expect(found.first.map { Self.slice(text, $0) } == "微信")
        #expect(found.first?.masked == "微信")
        #expect(found.last.map { Self.slice(text, $0) } == "13812345678")
        let spaced = "vx: 13912345678"
        #expect(Self.find(spaced).map { Self.slice(spaced, $0) } == ["vx: ", "13912345678"])
    }

    // MARK: Addresses

    @Test func streetAddresses() {
        let a = Self.only("我家住在北京市朝阳区建国路88号，欢迎来玩", .address, covering: "北京市朝阳区建国路88号")
        #expect(a?.masked == "北京市朝阳区建国路**号")
        _ = Self.only("寄到广东省深圳市南山区科苑路15号3栋2单元501室。", .address, covering: "广东省深圳市南山区科苑路15号3栋2单元501室")
        _ = Self.only("地址：杭州市西湖区文三路12-3号", .address, covering: "杭州市西湖区文三路12-3号")
        _ = Self.only("住上海市浦东新区世纪大道一百号", .address, covering: "上海市浦东新区世纪大道一百号")
        _ = Self.only("在江苏南京市玄武区中山路1号院", .address, covering: "江苏南京市玄武区中山路1号院")
    }

    @Test func placeNamesWithoutAHouseNumberAreNotAddresses() {
        for text in ["北京市朝阳区建国路附近", "地铁3号线", "5月3号开会", "朝阳区8号楼", "第88号选手", "建国路88号",
                     "中山路口3号出口"] {
            #expect(Self.items(text, .address).isEmpty, "\(text): \(Self.find(text))")
        }
    }

    // MARK: Lexicon

    @Test func lexiconMatchesNameTheirCategory() {
        #expect(Self.only("注册就送彩金", .lexicon, covering: "彩金")?.masked == "博彩:彩金")
        #expect(Self.only("网上赌场日入万元", .lexicon, covering: "网上赌场")?.masked == "博彩:网上赌场")
        #expect(Self.only("同城裸聊", .lexicon, covering: "裸聊")?.masked == "色情:裸聊")
        #expect(Self.only("兼职刷单", .lexicon, covering: "刷单")?.masked == "诈骗:刷单")
        #expect(Self.items("兼职刷单，日结", .lexicon).map(\.masked) == ["诈骗:刷单", "诈骗:日结"])
        #expect(Self.only("吸大麻", .lexicon, covering: "大麻")?.masked == "毒品:大麻")
        #expect(Self.only("洗钱", .lexicon, covering: "洗钱")?.masked == "诈骗:洗钱")
        #expect(Self.only("出售Ｋ粉", .lexicon, covering: "Ｋ粉")?.masked == "毒品:Ｋ粉")
        #expect(Self.only("高仿仿真枪", .lexicon, covering: "仿真枪")?.masked == "枪支:仿真枪")
        for text in ["今天吃了菠菜", "家电维修上门服务", "周末去溜冰", "我喜欢打篮球", "带来巨大麻烦", "春节日结束后",
                     "周日结婚", "银行反洗钱提示", "新手机跑分", "在网吧包夜"] {
            #expect(Self.items(text, .lexicon).isEmpty, "\(text)")
        }
    }

    // MARK: Offsets, order, robustness

    @Test func offsetsAreUnicodeScalarOffsetsAfterEmojiAndExtensionB() {
        // 👨‍👩‍👧 is one Character and five scalars; 𠀀 (U+20000) is one scalar and two UTF-16 units.
        let text = "👨‍👩‍👧𠀀😀 微信：abc12345 手机13812345678"
        let found = Self.find(text)
        #expect(found.map(\.type) == [.contactHandle, .mobile])
        #expect(found.map { Self.slice(text, $0) } == ["微信：abc12345", "13812345678"])
        #expect(found.first?.start == 8)
        let pythonIndex = Array(text.unicodeScalars).firstIndex(of: "微")
        #expect(found.first?.start == pythonIndex)
    }

    @Test func itemsAreSortedAndDoNotOverlap() {
        let text = "加微信abc12345或QQ：123456，访问www.bocai.com送彩金，扫码进群，电话13812345678，"
            + "身份证11010519491231002X，卡号4111111111111111，邮箱abc@qq.com，地址北京市朝阳区建国路88号，"
            + "口令￥5M1OXxZOBhU￥"
        let found = Self.find(text)
        #expect(Set(found.map(\.type)) == Set(EvidenceType.allCases))
        for (a, b) in zip(found, found.dropFirst()) { #expect(a.end <= b.start) }
        for item in found { #expect(!Self.slice(text, item).isEmpty) }
        #expect(Self.find(text) == found, "deterministic")
    }

    @Test func emptyAndPlainTextsHaveNoEvidence() {
        #expect(Self.find("").isEmpty)
        #expect(Self.find("周末我们一家人去公园野餐，孩子们玩得很开心。").isEmpty)
        #expect(Self.find("1").isEmpty)
        #expect(Self.find("@").isEmpty)
        #expect(Self.find("号").isEmpty)
        #expect(Self.find("http://").isEmpty)
    }

    /// The best of five scans of `text`.
    static func timed(_ text: String) -> (Duration, [EvidenceItem]) {
        let clock = ContinuousClock()
        var best = Duration.seconds(10)
        var found: [EvidenceItem] = []
        for _ in 0..<5 {
            let t0 = clock.now
            found = EvidenceFinder.find(in: text)
            best = min(best, clock.now - t0)
        }
        return (best, found)
    }

    static func repeated(_ unit: String, to length: Int) -> String {
        let scalars = Array(unit.unicodeScalars)
        var v = String.UnicodeScalarView()
        for i in 0..<length { v.append(scalars[i % scalars.count]) }
        return String(v)
    }

    @Test func twentyThousandCharactersScanQuicklyWithoutCrashing() {
        var rng = SplitMix64(seed: 7)
        var scalars = String.UnicodeScalarView()
        let pool = Array("0123456789 -.@:：号路市区微信QQvx扫码彩金httpswww.com/".unicodeScalars)
        for i in 0..<20_000 {
            if i % 3 == 0, let c = pool.randomElement(using: &rng) { scalars.append(c); continue }
            let v = UInt32.random(in: 0x4E00...0x9FFF, using: &rng)
            if let c = Unicode.Scalar(v) { scalars.append(c) }
        }
        var randomCJK = String.UnicodeScalarView()
        for _ in 0..<20_000 {
            let v = UInt32.random(in: 0x4E00...0x9FFF, using: &rng)
            if let c = Unicode.Scalar(v) { randomCJK.append(c) }
        }
        let rich = "加微信abc12345或QQ：123456，访问www.bocai.com送彩金，扫码进群，电话13812345678，"
            + "身份证11010519491231002X，卡号4111111111111111，邮箱abc@qq.com，地址北京市朝阳区建国路88号。"
        let texts = [
            ("random CJK", String(randomCJK)), ("random mixed", String(scalars)), ("every type", Self.repeated(rich, to: 20_000)),
            ("keywords before digits", Self.repeated("1vx", to: 20_000)), ("house numbers", Self.repeated("市路1号", to: 20_000)),
            ("dots", Self.repeated("a.", to: 20_000)), ("digits", Self.repeated("1", to: 20_000)),
            ("at signs", Self.repeated("a@", to: 20_000)), ("schemes", Self.repeated("http://", to: 20_000)),
        ]
        for (name, text) in texts {
            let (best, found) = Self.timed(text)
            for (a, b) in zip(found, found.dropFirst()) { #expect(a.end <= b.start, "\(name)") }
            for item in found { #expect(item.start >= 0 && item.end <= 20_000 && item.start < item.end, "\(name)") }
            #expect(best < .milliseconds(50), "\(name): \(best) for 20,000 characters")
            print("evidence scan of 20,000 characters (\(name)): \(best), \(found.count) items")
        }
    }

    // MARK: Prompt line

    @Test func promptLineRendersDeduplicatesAndCaps() {
        #expect(EvidenceFinder.promptLine([]) == "线索：无")
        let text = "身份证110101199003072316，电话13812345678，vx:abc123"
        #expect(EvidenceFinder.promptLine(Self.find(text))
            == "线索：身份证号(1101**********2316)；手机号(138****5678)；联系账号(vx:abc***)")
        let twice = Self.find("彩金彩金彩金")
        #expect(twice.count == 3)
        #expect(EvidenceFinder.promptLine(twice) == "线索：敏感词(博彩:彩金)")
        let many = (0..<30).map { EvidenceItem(type: .lexicon, start: $0, end: $0 + 1, masked: "诈骗:词\($0)") }
        let line = EvidenceFinder.promptLine(many)
        #expect(line.hasSuffix("；…"))
        #expect(line.components(separatedBy: "；").count == EvidenceFinder.promptLineMaxItems + 1)
        let wide = (0..<10).map {
            EvidenceItem(type: .url, start: $0, end: $0 + 1, masked: "https://\($0)" + String(repeating: "a", count: 22))
        }
        #expect(EvidenceFinder.promptLine(wide).count <= EvidenceFinder.promptLineMaxCharacters)
        let broken = [EvidenceItem(type: .url, start: 0, end: 1, masked: "a\nb")]
        #expect(!EvidenceFinder.promptLine(broken).contains("\n"))
    }

    @Test func itemsEncodeWithSnakeCaseTypes() throws {
        let item = EvidenceItem(type: .contactHandle, start: 3, end: 9, masked: "vx:abc***")
        let enc = JSONEncoder()
        enc.outputFormatting = .sortedKeys
        let json = String(decoding: try enc.encode(item), as: UTF8.self)
        #expect(json == #"{"end":9,"masked":"vx:abc***","start":3,"type":"contact_handle"}"#)
        #expect(try JSONDecoder().decode(EvidenceItem.self, from: Data(json.utf8)) == item)
        #expect(EvidenceType.allCases.map(\.rawValue)
            == ["id_card", "mobile", "bank_card", "email", "address", "contact_handle", "url", "qr_code", "share_code",
                "lexicon"])
    }

    // MARK: ScoringPrompt with evidence

    static let promptTexts = ["", "你好，世界", "微信：abc12345，电话13812345678", "ignore {text} </text>", "😀\n"]

    /// FNV-1a 64 of the UTF-8 bytes.
    static func fnv(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    @Test func evidenceOffLeavesTheRenderingByteIdentical() {
        let p = ScoringPrompt.default
        #expect(!p.evidence && p.version == 1)
        for t in Self.promptTexts {
            #expect(p.suffix(text: t) == t + p.tail)
            #expect(p.suffix(text: t, evidence: Self.find(t)) == t + p.tail)
            #expect(!p.renderChatML(text: t).contains("线索"))
        }
        // The version-1 rendering as it was before the evidence field existed.
        #expect(Self.fnv(p.renderChatML(text: "")) == 0xc117_1ee6_038e_24da)
        #expect(Self.fnv(p.renderChatML(text: "身份证 11010519491231002X，微信 abc123")) == 0x125d_22d6_971a_b06f)
        #expect(Self.fnv(p.renderChatML(text: "😀 emoji\nline")) == 0xe055_8cda_a9ab_869b)
    }

    @Test func evidenceOnAppendsTheLineAfterTheTemplateAndKeepsThePrefix() throws {
        let p = ScoringPrompt.defaultWithEvidence
        #expect(p.evidence && p.version == 2)
        #expect(p.prefix.hasSuffix("<text>\n"))
        #expect(p.user.contains("线索"))
        for t in Self.promptTexts {
            let line = EvidenceFinder.promptLine(EvidenceFinder.find(in: t))
            #expect(p.suffix(text: t) == t + "\n</text>\n" + line + "<|im_end|>\n<|im_start|>assistant\n")
            #expect(p.renderChatML(text: t) == p.prefix + p.suffix(text: t))
            #expect(p.renderChatML(text: t).hasPrefix(p.prefix))
        }
        #expect(p.suffix(text: "你好").contains("\n</text>\n线索：无<|im_end|>"))
        #expect(p.suffix(text: "电话13812345678").contains("</text>\n线索：手机号(138****5678)<|im_end|>"))
        // The version-2 template is the version-1 template plus one instruction line.
        let v1 = ScoringPrompt.default
        #expect(p.system == v1.system)
        #expect(p.user.replacingOccurrences(of: #"</text> 之后的“线索：”[^\n]*\n"#, with: "", options: .regularExpression)
            == v1.user)
        // A custom template: the text, a newline, the line.
        let custom = try ScoringPrompt(version: 3, system: "S", user: "{text}", evidence: true)
        #expect(custom.renderChatML(text: "加V：money888")
            == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n加V：money888\n线索：联系账号(加V:mon***)<|im_end|>\n"
            + "<|im_start|>assistant\n")
    }

    @Test func promptFilesRoundTripByteIdentically() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The shipped default model's prompt file (v3: the evidence line on) and a file without the field (v2's) write
        // back unchanged.
        let shipped = TestPaths.packageRoot.appendingPathComponent("models/default/\(ScoringPrompt.fileName)")
        let bytes = try Data(contentsOf: shipped)
        let loaded = try ScoringPrompt.load(directory: shipped.deletingLastPathComponent())
        #expect(loaded.evidence)
        try loaded.save(directory: dir)
        #expect(try Data(contentsOf: dir.appendingPathComponent(ScoringPrompt.fileName)) == bytes)
        let v2File = Data("""
            {
              "system" : "按 TC260-003 的九个维度为文本的合规性打分。",
              "user" : "{text}",
              "version" : 1
            }
            """.utf8)
        try v2File.write(to: dir.appendingPathComponent(ScoringPrompt.fileName))
        let v2 = try ScoringPrompt.load(directory: dir)
        #expect(!v2.evidence)
        try v2.save(directory: dir)
        #expect(try Data(contentsOf: dir.appendingPathComponent(ScoringPrompt.fileName)) == v2File)
        // Evidence on is written, read back, and written again the same.
        try ScoringPrompt.defaultWithEvidence.save(directory: dir)
        let written = try Data(contentsOf: dir.appendingPathComponent(ScoringPrompt.fileName))
        #expect(String(decoding: written, as: UTF8.self).contains(#""evidence" : true"#))
        let reread = try ScoringPrompt.load(directory: dir)
        #expect(reread == .defaultWithEvidence)
        try reread.save(directory: dir)
        #expect(try Data(contentsOf: dir.appendingPathComponent(ScoringPrompt.fileName)) == written)
        // Off is not written at all; an explicit false reads as off.
        try ScoringPrompt.default.save(directory: dir)
        #expect(!String(decoding: try Data(contentsOf: dir.appendingPathComponent(ScoringPrompt.fileName)), as: UTF8.self)
            .contains("evidence"))
        let explicit = try JSONDecoder().decode(
            ScoringPrompt.self, from: Data(#"{"version": 1, "system": "s", "user": "{text}", "evidence": false}"#.utf8))
        #expect(!explicit.evidence)
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(
                ScoringPrompt.self, from: Data(#"{"version": 1, "system": "s", "user": "{text}", "evidence": "yes"}"#.utf8))
        }
    }
}

@Suite struct QuoteGroundingTests {
    @Test func quotesAreFoundInTheTextOrTheEvidence() {
        let text = "我的手机是13812345678，河南人都是骗子。"
        let reasoning = "文中出现“河南人”，并提到「骗子」；还引用了“上海人”和\"13812345678\"。"
        #expect(QuoteGrounding.quotes(in: reasoning) == ["河南人", "上海人", "骗子", "13812345678"])
        let c = QuoteGrounding.count(reasoning: reasoning, text: text)
        #expect(c.quotes == 4 && c.grounded == 3)
        // A masked value from the evidence counts as given to the model.
        let evidence = EvidenceFinder.find(in: text)
        #expect(QuoteGrounding.isGrounded("138****5678", text: text, evidence: evidence))
        #expect(!QuoteGrounding.isGrounded("139****0000", text: text, evidence: evidence))
        // Width and case folding.
        #expect(QuoteGrounding.isGrounded("ＶＸ", text: "加vx好友", evidence: []))
        #expect(QuoteGrounding.quotes(in: "没有引号的推理。").isEmpty)
        #expect(QuoteGrounding.quotes(in: "未闭合的“引号").isEmpty)
    }
}

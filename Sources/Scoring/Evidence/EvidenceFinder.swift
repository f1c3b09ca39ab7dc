import Foundation

/// The evidence stage: deterministic detectors for checkable facts in a text — validated personal data (ID, mobile
/// and card numbers, e-mail addresses, street addresses), contact handles and links typical of spam, QR-code
/// solicitations and matches in a curated lexicon. The result is input for the model (one line of the prompt, see
/// `promptLine(_:)`), never a verdict of its own.
///
/// Offsets are Unicode scalar offsets into the text, half-open. Fullwidth ASCII (`１３８`, `ＶＸ`, `：`) is matched as
/// its ASCII form; the offsets stay those of the original text. The scan is linear in the text's length (each
/// detector looks at most a few dozen scalars around a position).
public enum EvidenceFinder {
    /// The facts found in `text`, sorted by start, non-overlapping (where two detectors claim the same scalars the
    /// more specific type wins: ID card, bank card, mobile, e-mail, URL, contact handle, address, QR code, lexicon).
    public static func find(in text: String) -> [EvidenceItem] {
        find(in: text, today: EvidenceDate.today())
    }

    /// `find(in:)` with the date that bounds birth dates in ID numbers, as `yyyymmdd`.
    static func find(in text: String, today: Int) -> [EvidenceItem] {
        var scan = EvidenceScan(text: text, today: today)
        scan.run()
        return scan.resolve()
    }
}

/// Today's date in China (UTC+8) as `yyyymmdd`.
enum EvidenceDate {
    static func today(_ now: Date = Date()) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600) ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: now)
        return (c.year ?? 2000) * 10000 + (c.month ?? 1) * 100 + (c.day ?? 1)
    }

    static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }
}

// MARK: - Validators (pure functions over ASCII digit values, shared with the tests)

enum EvidenceCheck {
    /// First two digits of a resident ID: the province-level division codes of GB/T 2260.
    static let provinceCodes: Set<Int> = [
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
        50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
    ]

    /// GB 11643-1999 (ISO 7064 MOD 11-2) check character for the first 17 digits (`0`–`9` or `X`).
    static func idCheckCharacter(_ digits: [Int]) -> Character? {
        guard digits.count >= 17 else { return nil }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for k in 0..<17 { sum += digits[k] * weights[k] }
        return Array("10X98765432")[sum % 11]
    }

    /// An 18-character resident ID (17 digits then a digit or `X`) with a real province, a birth date in
    /// 1900…`today` and the right check character.
    static func isValidID(_ chars: [UInt32], today: Int) -> Bool {
        guard chars.count == 18 else { return false }
        var d: [Int] = []
        d.reserveCapacity(17)
        for k in 0..<17 {
            guard EvidenceScan.isDigit(chars[k]) else { return false }
            d.append(Int(chars[k]) - 48)
        }
        guard provinceCodes.contains(d[0] * 10 + d[1]) else { return false }
        let year = d[6] * 1000 + d[7] * 100 + d[8] * 10 + d[9]
        let month = d[10] * 10 + d[11], day = d[12] * 10 + d[13]
        guard year >= 1900, EvidenceDate.isValid(year: year, month: month, day: day),
              year * 10000 + month * 100 + day <= today else { return false }
        let last = chars[17] == 0x78 ? 0x58 : chars[17]  // x → X
        guard let check = idCheckCharacter(d), let expected = check.unicodeScalars.first?.value else { return false }
        return last == expected
    }

    /// 18 digits laid out as a resident ID (a real province code, then a birth date in 1900…`today` at digits 7–14),
    /// whatever the check character. Such a number that fails `isValidID` is an ID number with a wrong check
    /// character (a form's validation message, a typo), not a card number, even where it happens to pass Luhn.
    static func isIDShaped(_ digits: [Int], today: Int) -> Bool {
        guard digits.count == 18, provinceCodes.contains(digits[0] * 10 + digits[1]) else { return false }
        let year = digits[6] * 1000 + digits[7] * 100 + digits[8] * 10 + digits[9]
        let month = digits[10] * 10 + digits[11], day = digits[12] * 10 + digits[13]
        return year >= 1900 && EvidenceDate.isValid(year: year, month: month, day: day)
            && year * 10000 + month * 100 + day <= today
    }

    static func luhn(_ digits: [Int]) -> Bool {
        guard !digits.isEmpty else { return false }
        var sum = 0
        for (k, digit) in digits.reversed().enumerated() {
            var v = digit
            if k % 2 == 1 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return sum % 10 == 0
    }

    /// 16–19 digits with a plausible issuer (62 UnionPay, 4 Visa, 51–55 Mastercard with 16 digits, 35 JCB) that
    /// pass the Luhn check.
    static func isValidCard(_ digits: [Int]) -> Bool {
        guard (16...19).contains(digits.count) else { return false }
        let two = digits[0] * 10 + digits[1]
        let issuer = two == 62 || digits[0] == 4 || ((51...55).contains(two) && digits.count == 16) || two == 35
        return issuer && luhn(digits)
    }

    /// The second and third digits of allocated PRC mobile prefixes (1xx).
    static let mobilePrefixes: Set<Int> = {
        var s = Set<Int>()
        for p in 130...139 { s.insert(p) }
        for p in 145...149 { s.insert(p) }
        for p in [150, 151, 152, 153, 155, 156, 157, 158, 159, 162, 165, 166, 167] { s.insert(p) }
        for p in 170...178 { s.insert(p) }
        for p in 180...189 { s.insert(p) }
        for p in 190...199 { s.insert(p) }
        return s
    }()

    static func isValidMobile(_ digits: [Int]) -> Bool {
        digits.count == 11 && mobilePrefixes.contains(digits[0] * 100 + digits[1] * 10 + digits[2])
    }
}

// MARK: - The scan

struct EvidenceScan {
    struct Candidate {
        var type: EvidenceType
        var start: Int
        var end: Int
        var masked: String
        /// For a contact handle: where its id begins, so that it can give the id to a more specific item (a mobile
        /// number) and keep its keyword, shown as `headMasked`.
        var headEnd: Int? = nil
        var headMasked: String? = nil
    }

    let original: [Unicode.Scalar]
    /// The text with fullwidth ASCII (U+FF01–FF5E) and the ideographic space folded to ASCII, one value per scalar.
    let s: [UInt32]
    let today: Int
    var candidates: [Candidate] = []

    init(text: String, today: Int) {
        original = Array(text.unicodeScalars)
        s = original.map { Self.fold($0.value) }
        self.today = today
    }

    var count: Int { s.count }

    // MARK: Characters

    static func fold(_ c: UInt32) -> UInt32 {
        if c >= 0xFF01 && c <= 0xFF5E { return c - 0xFEE0 }
        if c == 0x3000 { return 0x20 }
        return c
    }

    @inline(__always) static func isDigit(_ c: UInt32) -> Bool { c >= 48 && c <= 57 }
    @inline(__always) static func isAlpha(_ c: UInt32) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
    @inline(__always) static func isAlnum(_ c: UInt32) -> Bool { isDigit(c) || isAlpha(c) }
    @inline(__always) static func lower(_ c: UInt32) -> UInt32 { c >= 65 && c <= 90 ? c + 32 : c }
    static func isHan(_ c: UInt32) -> Bool {
        (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x3134F)
            || (c >= 0xF900 && c <= 0xFAFF)
    }

    /// The folded scalar at `i`, or 0 outside the text (so that look-arounds never index out of range).
    @inline(__always) func at(_ i: Int) -> UInt32 { i >= 0 && i < s.count ? s[i] : 0 }

    /// Whether the folded text at `i` is `pattern` (ASCII letters compared case-insensitively).
    func matches(_ pattern: [UInt32], at i: Int) -> Bool {
        guard i >= 0, i + pattern.count <= s.count else { return false }
        for k in 0..<pattern.count where Self.lower(s[i + k]) != pattern[k] { return false }
        return true
    }

    /// Whether the folded text ending just before `end` is `pattern`.
    func matches(_ pattern: [UInt32], endingAt end: Int) -> Bool { matches(pattern, at: end - pattern.count) }

    func originalText(_ r: Range<Int>) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: original[max(r.lowerBound, 0)..<min(r.upperBound, original.count)])
        return String(v)
    }

    func foldedText(_ r: Range<Int>) -> String {
        var v = String.UnicodeScalarView()
        for k in max(r.lowerBound, 0)..<min(r.upperBound, s.count) {
            if let u = Unicode.Scalar(s[k]) { v.append(u) }
        }
        return String(v)
    }

    /// Non-personal matched text as shown: the original text, at most 32 characters.
    func display(_ r: Range<Int>) -> String { Self.truncated(originalText(r)) }

    static func truncated(_ t: String) -> String {
        let scalars = Array(t.unicodeScalars)
        guard scalars.count > 32 else { return t }
        var v = String.UnicodeScalarView()
        v.append(contentsOf: scalars[0..<31])
        v.append("…")
        return String(v)
    }

    func digits(_ r: Range<Int>) -> [Int] {
        var d: [Int] = []
        for k in r where Self.isDigit(at(k)) { d.append(Int(at(k)) - 48) }
        return d
    }

    mutating func add(_ c: Candidate) { candidates.append(c) }

    // MARK: Run and resolve

    mutating func run() {
        guard !s.isEmpty else { return }
        scanDigits()
        scanEmails()
        scanLinks()
        scanObfuscatedLinks()
        scanShareCodes()
        scanPhrases()
        scanAddresses()
    }

    static func priority(_ t: EvidenceType) -> Int {
        switch t {
        case .idCard: 0
        case .bankCard: 1
        case .mobile: 2
        case .email: 3
        case .url: 4
        case .shareCode: 5
        case .contactHandle: 6
        case .address: 7
        case .qrCode: 8
        case .lexicon: 9
        }
    }

    /// Non-overlapping items: candidates in order of specificity, then length (longer first), then position; each is
    /// kept where its scalars are still free. A contact handle whose id was claimed keeps its keyword.
    func resolve() -> [EvidenceItem] {
        let order = candidates.indices.sorted { a, b in
            let x = candidates[a], y = candidates[b]
            let px = Self.priority(x.type), py = Self.priority(y.type)
            if px != py { return px < py }
            if x.end - x.start != y.end - y.start { return x.end - x.start > y.end - y.start }
            if x.start != y.start { return x.start < y.start }
            return a < b
        }
        var taken = [Bool](repeating: false, count: s.count)
        func isFree(_ r: Range<Int>) -> Bool {
            guard r.lowerBound >= 0, r.upperBound <= taken.count, !r.isEmpty else { return false }
            for k in r where taken[k] { return false }
            return true
        }
        var items: [EvidenceItem] = []
        for index in order {
            let c = candidates[index]
            var item: EvidenceItem?
            if isFree(c.start..<c.end) {
                item = EvidenceItem(type: c.type, start: c.start, end: c.end, masked: c.masked)
            } else if let h = c.headEnd, let m = c.headMasked, isFree(c.start..<h) {
                item = EvidenceItem(type: c.type, start: c.start, end: h, masked: m)
            }
            guard let item else { continue }
            for k in item.start..<item.end { taken[k] = true }
            items.append(item)
        }
        return items.sorted { $0.start != $1.start ? $0.start < $1.start : $0.end < $1.end }
    }

    // MARK: Digit runs: ID cards, bank cards, mobile numbers

    static let separators: Set<UInt32> = [0x20, 0x2D]  // space, hyphen

    /// Words before a number that make it an order, tracking or serial number rather than personal data.
    static let orderWords: [[UInt32]] = ["单号", "订单", "运单", "快递", "流水号", "交易号", "编号", "条码", "序列号", "批号"].map(pattern)

    func isOrderContext(before start: Int) -> Bool {
        let from = max(0, start - 12)
        var k = start - 1
        while k >= from, at(k) != 0x0A { k -= 1 }
        let lower = max(from, k + 1)
        for word in Self.orderWords {
            var p = lower
            while p + word.count <= start {
                if matches(word, at: p) { return true }
                p += 1
            }
        }
        return false
    }

    /// After a number: not a letter or digit, and not a decimal continuation (`.5`).
    func endsCleanly(_ k: Int) -> Bool {
        !Self.isAlnum(at(k)) && !(at(k) == 0x2E && Self.isDigit(at(k + 1)))
    }

    /// After a grouped number: additionally not a further group (`-9`, ` 12`).
    func endsCleanlyGrouped(_ k: Int) -> Bool {
        endsCleanly(k) && !(Self.separators.contains(at(k)) && Self.isDigit(at(k + 1)))
    }

    /// Reads `sizes` digit groups from `i` separated by one space or one hyphen (the same throughout); the end.
    func readGroups(from i: Int, sizes: [Int]) -> Int? {
        var k = i
        var sep: UInt32?
        for (g, size) in sizes.enumerated() {
            if g > 0 {
                let c = at(k)
                guard Self.separators.contains(c), sep == nil || sep == c else { return nil }
                sep = c
                k += 1
            }
            for _ in 0..<size {
                guard Self.isDigit(at(k)) else { return nil }
                k += 1
            }
        }
        guard !Self.isDigit(at(k)) else { return nil }
        return k
    }

    mutating func scanDigits() {
        var i = 0
        while i < count {
            guard Self.isDigit(s[i]) else { i += 1; continue }
            var j = i
            while j < count, Self.isDigit(s[j]) { j += 1 }
            let before = at(i - 1)
            if !Self.isAlpha(before), !(before == 0x2E && Self.isDigit(at(i - 2))) {
                matchNumber(start: i, runEnd: j)
            }
            i = j
        }
    }

    mutating func matchNumber(start i: Int, runEnd j: Int) {
        let length = j - i
        let groupedStart = !(Self.separators.contains(at(i - 1)) && Self.isDigit(at(i - 2)))
        // 17 digits and an X: an ID number.
        if length == 17, at(j) == 0x58 || at(j) == 0x78, endsCleanly(j + 1) {
            addID(i..<(j + 1), chars: Array(s[i...j]))
        }
        if (16...19).contains(length), endsCleanly(j) {
            if length == 18 {
                if addID(i..<j, chars: Array(s[i..<j])) { return }
                if EvidenceCheck.isIDShaped(digits(i..<j), today: today) { return }
            }
            addCard(i..<j)
        }
        if length == 11, endsCleanly(j) { addMobile(i..<j, digitsRange: i..<j) }
        let startsWith86 = at(i) == 0x38 && at(i + 1) == 0x36
        let plus = at(i - 1) == 0x2B ? i - 1 : i
        if length == 13, startsWith86, endsCleanly(j) { addMobile(plus..<j, digitsRange: (i + 2)..<j) }
        if length == 2, startsWith86, Self.separators.contains(at(j)), groupedStart {
            let m = j + 1
            if let end = readGroups(from: m, sizes: [11]), endsCleanly(end) {
                addMobile(plus..<end, digitsRange: m..<end)
            } else if let end = readGroups(from: m, sizes: [3, 4, 4]), endsCleanlyGrouped(end) {
                addMobile(plus..<end, digitsRange: m..<end)
            }
        }
        guard groupedStart else { return }
        if length == 3, let end = readGroups(from: i, sizes: [3, 4, 4]), endsCleanlyGrouped(end) {
            addMobile(i..<end, digitsRange: i..<end)
        }
        if length == 4, let end = readGroups(from: i, sizes: [4, 4, 4, 4]) {
            var e = end
            if Self.separators.contains(at(e)), at(e) == at(i + 4), Self.isDigit(at(e + 1)) {
                var k = e + 1
                while Self.isDigit(at(k)), k - e <= 4 { k += 1 }
                if k - e - 1 <= 3 { e = k }  // a fifth group of 1–3 digits (17–19 digit cards)
            }
            if endsCleanlyGrouped(e) { addCard(i..<e) }
        }
        if length == 6, at(j) == 0x20, let mid = readGroups(from: j + 1, sizes: [8]), at(mid) == 0x20,
           Self.isDigit(at(mid + 1)), Self.isDigit(at(mid + 2)), Self.isDigit(at(mid + 3)) {
            let last = at(mid + 4)
            if Self.isDigit(last) || last == 0x58 || last == 0x78, endsCleanlyGrouped(mid + 5) {
                let chars = (i..<(mid + 5)).map { at($0) }.filter { $0 != 0x20 }
                addID(i..<(mid + 5), chars: chars)
            }
        }
    }

    @discardableResult
    mutating func addID(_ r: Range<Int>, chars: [UInt32]) -> Bool {
        guard EvidenceCheck.isValidID(chars, today: today), !isOrderContext(before: r.lowerBound) else { return false }
        let text = String(String.UnicodeScalarView(chars.compactMap { Unicode.Scalar($0 == 0x78 ? 0x58 : $0) }))
        add(Candidate(type: .idCard, start: r.lowerBound, end: r.upperBound,
                      masked: String(text.prefix(4)) + String(repeating: "*", count: 10) + String(text.suffix(4))))
        return true
    }

    mutating func addCard(_ r: Range<Int>) {
        let d = digits(r)
        guard EvidenceCheck.isValidCard(d), !isOrderContext(before: r.lowerBound) else { return }
        let text = d.map(String.init).joined()
        let middle = d.count - 8
        var groups: [String] = [String(text.prefix(4))]
        var left = middle
        while left > 0 { groups.append(String(repeating: "*", count: min(4, left))); left -= 4 }
        groups.append(String(text.suffix(4)))
        add(Candidate(type: .bankCard, start: r.lowerBound, end: r.upperBound, masked: groups.joined(separator: " ")))
    }

    mutating func addMobile(_ r: Range<Int>, digitsRange: Range<Int>) {
        let d = digits(digitsRange)
        guard EvidenceCheck.isValidMobile(d) else { return }
        let text = d.map(String.init).joined()
        add(Candidate(type: .mobile, start: r.lowerBound, end: r.upperBound,
                      masked: String(text.prefix(3)) + "****" + String(text.suffix(4))))
    }

    // MARK: E-mail

    static func isLocalChar(_ c: UInt32) -> Bool {
        isAlnum(c) || c == 0x2E || c == 0x5F || c == 0x25 || c == 0x2B || c == 0x2D  // . _ % + -
    }

    /// Reads a host name (labels of letters, digits and hyphens joined by single dots) from `i`; its labels' ranges.
    func readHost(from i: Int) -> [Range<Int>] {
        var labels: [Range<Int>] = []
        var k = i
        while true {
            let labelStart = k
            while Self.isAlnum(at(k)) || at(k) == 0x2D { k += 1 }
            guard k > labelStart else { break }
            labels.append(labelStart..<k)
            guard at(k) == 0x2E, Self.isAlnum(at(k + 1)) else { break }
            k += 1
        }
        return labels
    }

    mutating func scanEmails() {
        for a in 0..<count where s[a] == 0x40 {
            var k = a - 1
            while k >= 0, a - k <= 64, Self.isLocalChar(s[k]) { k -= 1 }
            guard !Self.isLocalChar(at(k)) else { continue }  // local part longer than 64
            var localStart = k + 1
            while localStart < a, !Self.isAlnum(s[localStart]) { localStart += 1 }
            guard localStart < a else { continue }
            let labels = readHost(from: a + 1)
            guard labels.count >= 2, let tld = labels.last, tld.count >= 2,
                  tld.allSatisfy({ Self.isAlpha(at($0)) }) else { continue }
            let end = tld.upperBound
            let domain = foldedText((a + 1)..<end).lowercased()
            let first = foldedText(localStart..<(localStart + 1))
            add(Candidate(type: .email, start: localStart, end: end, masked: Self.truncated(first + "***@" + domain)))
        }
    }

    // MARK: Links

    static let topLevelDomains: Set<String> = [
        "com", "cn", "net", "org", "cc", "top", "xyz", "vip", "info", "io", "tv", "app", "shop", "club", "site",
        "online", "hk", "tw", "mo", "link", "live", "bet", "win", "ly", "gl", "me", "co", "biz", "pro", "wang",
        "ink", "fun", "icu", "work", "store", "tech", "asia", "today",
    ]
    static let https: [UInt32] = pattern("https://")
    static let http: [UInt32] = pattern("http://")

    static func isURLChar(_ c: UInt32) -> Bool {
        guard c > 0x20, c < 0x7F else { return false }
        switch c {
        case 0x22, 0x3C, 0x3E, 0x5C, 0x5E, 0x60, 0x7B, 0x7C, 0x7D: return false  // " < > \ ^ ` { | }
        default: return true
        }
    }

    static func isTrailingPunctuation(_ c: UInt32) -> Bool {
        [0x2E, 0x2C, 0x3B, 0x3A, 0x21, 0x3F, 0x29, 0x5D, 0x27, 0x28, 0x5B].contains(c)  // . , ; : ! ? ) ] ' ( [
    }

    /// The end of a URL's path starting at `k`, with trailing punctuation left out.
    func pathEnd(from k: Int) -> Int {
        var e = k
        while Self.isURLChar(at(e)) { e += 1 }
        while e > k, Self.isTrailingPunctuation(at(e - 1)) { e -= 1 }
        return e
    }

    mutating func scanLinks() {
        var i = 0
        while i < count {
            let c = Self.lower(s[i])
            if c == 0x68, matches(Self.https, at: i) || matches(Self.http, at: i) {  // h
                let rest = i + (matches(Self.https, at: i) ? Self.https.count : Self.http.count)
                let end = pathEnd(from: rest)
                if end > rest { add(Candidate(type: .url, start: i, end: end, masked: display(i..<end))) }
                i = max(end, rest)
                continue
            }
            let prev = at(i - 1)
            let hostStart = Self.isAlnum(s[i]) && !Self.isAlnum(prev)
                && ![0x2D, 0x2E, 0x40, 0x5F, 0x2F].contains(prev)  // - . @ _ /
            guard hostStart else { i += 1; continue }
            let labels = readHost(from: i)
            guard let last = labels.last else { i += 1; continue }
            if labels.count >= 2, isLinkHost(labels), at(last.upperBound) != 0x40 {
                var end = last.upperBound
                if at(end) == 0x3A, Self.isDigit(at(end + 1)) {  // :port
                    end += 1
                    while Self.isDigit(at(end)) { end += 1 }
                }
                if [0x2F, 0x3F, 0x23].contains(at(end)) { end = max(end, pathEnd(from: end)) }  // / ? #
                add(Candidate(type: .url, start: i, end: end, masked: display(i..<end)))
                i = end
            } else {
                i = last.upperBound
            }
        }
    }

    /// www.<anything>.<letters>, or a host whose last label is a common top-level domain written in lower case
    /// (`ASP.NET` is not a link) and whose second-level label is not a lone digit (`3.cn`).
    func isLinkHost(_ labels: [Range<Int>]) -> Bool {
        guard let tld = labels.last, labels.count >= 2 else { return false }
        let name = foldedText(tld)
        guard name.count >= 2, name.unicodeScalars.allSatisfy({ Self.isAlpha($0.value) }) else { return false }
        if foldedText(labels[0]).lowercased() == "www", labels.count >= 3 { return true }
        guard Self.topLevelDomains.contains(name.lowercased()), name != name.uppercased() else { return false }
        let second = labels[labels.count - 2]
        return second.count >= 2 || Self.isAlpha(at(second.lowerBound))
    }

    /// Dots written so that a link is not clickable or recognised: `点`, `。`, `丶`, a dot with spaces around it,
    /// `[.]`, `(.)` and ` dot `.
    static let disguisedDots: [[UInt32]] = ["[.]", "(.)", " . ", " dot ", "[dot]", "(dot)", ". ", " .", "点", "。", "丶"]
        .map(pattern)

    /// Top-level domains taken after a disguised dot whatever the name before them.
    static let disguisedTopLevelDomains: Set<String> = ["com", "cn", "net", "top", "xyz", "vip", "cc", "icu"]

    /// Where a dot between host labels at `k` ends, and whether it was disguised; nil where there is none.
    func hostDot(at k: Int) -> (end: Int, disguised: Bool)? {
        if at(k) == 0x2E, Self.isAlnum(at(k + 1)) { return (k + 1, false) }
        for d in Self.disguisedDots where matches(d, at: k) {
            var e = k + d.count
            while at(e) == 0x20, e - k < 4 { e += 1 }
            if Self.isAlnum(at(e)) { return (e, true) }
        }
        return nil
    }

    /// A link with disguised dots (`wqkj777. top`, `abc123点com`, `www . abc . cc`): labels joined by dots at least
    /// one of which is disguised, ending in a top-level domain written in lower case and not followed by a letter or
    /// digit (one of `disguisedTopLevelDomains`, or another common one where the name before it holds a digit), the
    /// name holding a letter and at least two characters.
    mutating func scanObfuscatedLinks() {
        var i = 0
        while i < count {
            let prev = at(i - 1)
            guard Self.isAlnum(s[i]), !Self.isAlnum(prev), ![0x2D, 0x2E, 0x40, 0x5F, 0x2F].contains(prev) else {
                i += 1
                continue
            }
            var labels: [Range<Int>] = []
            var disguised = false
            var k = i
            while labels.count < 6 {
                let start = k
                while Self.isAlnum(at(k)) || at(k) == 0x2D { k += 1 }
                guard k > start else { break }
                labels.append(start..<k)
                guard let dot = hostDot(at: k) else { break }
                disguised = disguised || dot.disguised
                k = dot.end
            }
            guard labels.count >= 2, disguised, let tld = labels.last else {
                i = max(i + 1, labels.first?.upperBound ?? i + 1)
                continue
            }
            let name = foldedText(tld)
            let second = labels[labels.count - 2]
            let secondHasLetter = second.contains { Self.isAlpha(at($0)) }
            let secondHasDigit = second.contains { Self.isDigit(at($0)) }
            // English prose has `it. today` and `you. me`: a rarer domain needs a digit in the name before it.
            let domainOK = Self.disguisedTopLevelDomains.contains(name)
                || (Self.topLevelDomains.contains(name) && secondHasDigit)
            if domainOK, name.unicodeScalars.allSatisfy({ $0.value >= 97 && $0.value <= 122 }),
               !Self.isAlnum(at(tld.upperBound)), second.count >= 2, secondHasLetter {
                add(Candidate(type: .url, start: i, end: tld.upperBound, masked: display(i..<tld.upperBound)))
                i = tld.upperBound
            } else {
                i = labels[0].upperBound
            }
        }
    }

    // MARK: Share codes

    /// Currency signs (`$ ¢ £ ¤ ¥`, U+20A0–20CF, fullwidth `￠ ￡ ￥ ￦`), which shopping apps put around share codes.
    static func isCurrencySign(_ c: UInt32) -> Bool {
        c == 0x24 || (0xA2...0xA5).contains(c) || (0x20A0...0x20CF).contains(c) || (0xFFE0...0xFFE6).contains(c)
    }

    /// `￥5M1OXxZOBhU￥`: 8–16 ASCII letters and digits, upper and lower case both present, between the same sign.
    mutating func scanShareCodes() {
        var i = 0
        while i < count {
            let sign = s[i]
            guard Self.isCurrencySign(sign) else { i += 1; continue }
            var k = i + 1
            var upper = false, lower = false
            while Self.isAlnum(at(k)) {
                upper = upper || (at(k) >= 65 && at(k) <= 90)
                lower = lower || (at(k) >= 97 && at(k) <= 122)
                k += 1
            }
            let length = k - i - 1
            if at(k) == sign, (8...16).contains(length), upper, lower {
                add(Candidate(type: .shareCode, start: i, end: k + 1, masked: display(i..<(k + 1))))
                i = k + 1
            } else {
                i += 1
            }
        }
    }

    // MARK: Phrases: contact handles, QR codes, the lexicon

    enum HandleFamily { case wechat, qq, telegram, contact }

    enum PhraseKind {
        case handle(HandleFamily)
        case qrCode
        case lexicon(category: String)
    }

    struct Phrase {
        let scalars: [UInt32]
        let kind: PhraseKind
    }

    /// Phrases by their first (folded, lower-case) scalar, longest first.
    static let phrases: [UInt32: [Phrase]] = {
        var all: [Phrase] = []
        for (family, words) in EvidenceLexicon.handleKeywords {
            all += words.map { Phrase(scalars: pattern($0), kind: .handle(family)) }
        }
        all += EvidenceLexicon.qrPhrases.map { Phrase(scalars: pattern($0), kind: .qrCode) }
        for (category, words) in EvidenceLexicon.entries {
            all += words.map { Phrase(scalars: pattern($0), kind: .lexicon(category: category)) }
        }
        var table: [UInt32: [Phrase]] = [:]
        for p in all { if let f = p.scalars.first { table[f, default: []].append(p) } }
        for key in table.keys { table[key]?.sort { $0.scalars.count > $1.scalars.count } }
        return table
    }()

    mutating func scanPhrases() {
        for i in 0..<count {
            guard let list = Self.phrases[Self.lower(s[i])] else { continue }
            var handleDone = false, qrDone = false, lexiconDone = false
            for p in list {
                guard matches(p.scalars, at: i) else { continue }
                // An ASCII keyword must not continue a word (`wx` in `wxyz`, `tg` in `http`).
                if let f = p.scalars.first, Self.isAlpha(f), Self.isAlpha(at(i - 1)) { continue }
                let end = i + p.scalars.count
                switch p.kind {
                case let .handle(family):
                    if !handleDone, addHandle(keyword: i..<end, family: family) { handleDone = true }
                case .qrCode:
                    if !qrDone { add(Candidate(type: .qrCode, start: i, end: end, masked: display(i..<end))) }
                    qrDone = true
                case let .lexicon(category):
                    if !lexiconDone, !isExcluded(i..<end) {
                        add(Candidate(type: .lexicon, start: i, end: end,
                                      masked: Self.truncated(category + ":" + originalText(i..<end))))
                    }
                    lexiconDone = true
                }
            }
        }
    }

    /// Exclusion phrases with the offset of the lexicon word inside them, by the word's scalars.
    static let exclusions: [[UInt32]: [(phrase: [UInt32], offset: Int)]] = {
        var table: [[UInt32]: [(phrase: [UInt32], offset: Int)]] = [:]
        let words = EvidenceLexicon.entries.flatMap(\.1).map(pattern)
        for e in EvidenceLexicon.exclusions.map(pattern) {
            for w in words where w.count <= e.count {
                for offset in 0...(e.count - w.count) where Array(e[offset..<(offset + w.count)]) == w {
                    table[w, default: []].append((e, offset))
                }
            }
        }
        return table
    }()

    /// Whether the lexicon match at `r` is part of an everyday word.
    func isExcluded(_ r: Range<Int>) -> Bool {
        guard let list = Self.exclusions[r.map { Self.lower(at($0)) }] else { return false }
        return list.contains { matches($0.phrase, at: r.lowerBound - $0.offset) }
    }

    static let handleSuffixes: [[UInt32]] = ["号码", "群号", "账号", "号", "群", "id"].map(pattern)
    static let handleSeparators: Set<UInt32> = Set(" :-=/([\"'>~|#@*".unicodeScalars.map(\.value)).union(
        "→【「『“‘丨·是为搜：".unicodeScalars.map(\.value))

    /// A contact keyword at `keyword` followed by an optional `号`/`群`, up to four separators and an id.
    mutating func addHandle(keyword: Range<Int>, family: HandleFamily) -> Bool {
        var k = keyword.upperBound
        for suffix in Self.handleSuffixes where matches(suffix, at: k) {
            k += suffix.count
            break
        }
        let labelEnd = k
        var separators = 0
        while separators < 4, Self.handleSeparators.contains(at(k)) { k += 1; separators += 1 }
        let lastKeyword = at(labelEnd - 1)
        if separators == 0, Self.isAlpha(lastKeyword), !Self.isDigit(at(k)) { return false }
        let idStart = k
        guard Self.isAlnum(at(idStart)) else { return false }
        var e = idStart
        while e - idStart <= 30, Self.isAlnum(at(e)) || at(e) == 0x5F || at(e) == 0x2D { e += 1 }
        if Self.isAlnum(at(e)) { return false }  // longer than an id
        while e > idStart, at(e - 1) == 0x5F || at(e - 1) == 0x2D { e -= 1 }
        let length = e - idStart
        guard (5...30).contains(length) else { return false }
        // Not the start of an e-mail address or a domain.
        if at(e) == 0x40 || (at(e) == 0x2E && Self.isAlnum(at(e + 1))) { return false }
        let id = (idStart..<e).map { at($0) }
        let allDigits = id.allSatisfy(Self.isDigit)
        let allLetters = id.allSatisfy(Self.isAlpha)
        switch family {
        case .qq: guard allDigits, length <= 11, id.first != 0x30 else { return false }
        case .wechat, .telegram: if allLetters, length < 6 { return false }
        case .contact:
            guard id.contains(where: Self.isDigit) else { return false }
            // All digits: a QQ number (5–10 digits, no leading 0); an 11-digit number is left to the mobile scan.
            if allDigits { guard length <= 10, id.first != 0x30 else { return false } }
        }
        let label = originalText(keyword.lowerBound..<labelEnd)
        let idText = foldedText(idStart..<e)
        add(Candidate(type: .contactHandle, start: keyword.lowerBound, end: e,
                      masked: Self.truncated(label + ":" + String(idText.prefix(3)) + "***"),
                      headEnd: idStart, headMasked: Self.truncated(label)))
        if allDigits, length == 11 { addMobile(idStart..<e, digitsRange: idStart..<e) }
        return true
    }

    // MARK: Street addresses

    static let roadMarkers: Set<UInt32> = Set("路街道巷弄".unicodeScalars.map(\.value))
    static let divisionMarkers: Set<UInt32> = Set("省市区县镇乡".unicodeScalars.map(\.value))
    static let chineseNumerals: Set<UInt32> = Set("零〇一二三四五六七八九十百千".unicodeScalars.map(\.value))
    static let houseNumber: UInt32 = 0x53F7  // 号
    static let unitWords: [[UInt32]] = ["号楼", "单元", "栋", "幢", "座", "室", "楼", "层"].map(pattern)
    static let provinceNames: [[UInt32]] = [
        "内蒙古", "黑龙江", "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "江苏", "浙江", "安徽", "福建",
        "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "四川", "贵州", "云南", "西藏", "陕西", "甘肃",
        "青海", "宁夏", "新疆", "台湾", "香港", "澳门",
    ].map(pattern)

    func isNumeral(_ c: UInt32) -> Bool { Self.isDigit(c) || Self.chineseNumerals.contains(c) }

    mutating func scanAddresses() {
        for h in 0..<count where s[h] == Self.houseNumber {
            if let c = address(endingAtHouseNumber: h) { add(c) }
        }
    }

    /// `…省…市…区<road>路<number>号[<n>栋][<n>单元][<n>室]`: at least one division, a road name of 1–12 characters,
    /// a house number.
    func address(endingAtHouseNumber h: Int) -> Candidate? {
        var k = h - 1
        while k > h - 12, isNumeral(at(k)) || (at(k) == 0x2D && Self.isDigit(at(k - 1)) && Self.isDigit(at(k + 1))) {
            k -= 1
        }
        guard k < h - 1, !isNumeral(at(k)) else { return nil }
        let road = k
        guard Self.roadMarkers.contains(at(road)) || (at(road) == 0x540C && at(road - 1) == 0x80E1) else {  // 胡同
            return nil
        }
        // Divisions in the run of Han characters before the road, nearest first.
        var markers: [Int] = []
        var j = road - 1
        while j >= 0, road - j <= 32, Self.isHan(at(j)) {
            if Self.divisionMarkers.contains(at(j)) { markers.append(j) }
            j -= 1
        }
        let runStart = j + 1
        guard let nearest = markers.first(where: { road - $0 - 1 >= 1 }), road - nearest - 1 <= 12 else { return nil }
        var earliest = nearest
        for m in markers where m < earliest {
            let gap = earliest - m - 1
            guard (1...8).contains(gap) else { break }
            earliest = m
        }
        var start = max(runStart, earliest - 2)
        if let name = Self.provinceNames.first(where: { matches($0, endingAt: earliest) }),
           earliest - name.count >= runStart {
            start = earliest - name.count
        }
        guard start < earliest else { return nil }
        if let name = Self.provinceNames.first(where: { matches($0, endingAt: start) }), start - name.count >= runStart {
            start -= name.count
        }
        // Building, entrance and room after the house number.
        var end = h + 1
        if at(end) == 0x9662 { end += 1 }  // 院
        for _ in 0..<4 {
            var n = end
            while n - end < 6, isNumeral(at(n)) || Self.isAlpha(at(n)) { n += 1 }
            guard n > end, let unit = Self.unitWords.first(where: { matches($0, at: n) }) else { break }
            end = n + unit.count
        }
        var v = String.UnicodeScalarView()
        for p in start..<end {
            if p > road, isNumeral(at(p)) || Self.isAlpha(at(p)) { v.append("*") } else { v.append(original[p]) }
        }
        return Candidate(type: .address, start: start, end: end, masked: Self.truncated(String(v)))
    }
}

/// The scalars of a pattern, ASCII letters in lower case.
private func pattern(_ s: String) -> [UInt32] { s.unicodeScalars.map { EvidenceScan.lower($0.value) } }

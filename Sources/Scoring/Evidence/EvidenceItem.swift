import Foundation

/// The kinds of checkable fact the evidence stage finds. Raw values are the API's snake_case ids.
public enum EvidenceType: String, Sendable, Codable, CaseIterable, Hashable {
    /// An 18-digit PRC resident ID: real province code, valid birth date, GB 11643-1999 check digit.
    case idCard = "id_card"
    /// A PRC mobile number with an allocated prefix, optionally +86 and 3-4-4 grouping.
    case mobile
    /// A 16–19 digit card number with a known issuer prefix and a valid Luhn check digit.
    case bankCard = "bank_card"
    case email
    /// A street address: administrative divisions, a road, and a house number.
    case address
    /// A WeChat / QQ / Telegram handle: a contact keyword (or its obfuscation) followed by an id.
    case contactHandle = "contact_handle"
    /// A link: http(s)://…, www.…, or a bare domain with a common top-level domain.
    case url
    /// A QR-code solicitation (二维码, 扫码, 扫一扫, …).
    case qrCode = "qr_code"
    /// A shopping-app share code (淘口令): 8–16 letters and digits in both cases between the same currency sign
    /// (`￥5M1OXxZOBhU￥`), which the app opens as a product link.
    case shareCode = "share_code"
    /// A word from the curated lexicon; the item's `masked` names its category (`博彩:彩金`).
    case lexicon

    /// Whether the matched text is personal data (masked in `EvidenceItem.masked`).
    public var isPersonalData: Bool {
        switch self {
        case .idCard, .mobile, .bankCard, .email, .address, .contactHandle: true
        case .url, .qrCode, .shareCode, .lexicon: false
        }
    }

    /// The Chinese name used in the prompt's evidence line.
    public var promptName: String {
        switch self {
        case .idCard: "身份证号"
        case .mobile: "手机号"
        case .bankCard: "银行卡号"
        case .email: "邮箱"
        case .address: "地址"
        case .contactHandle: "联系账号"
        case .url: "链接"
        case .qrCode: "二维码"
        case .shareCode: "口令"
        case .lexicon: "敏感词"
        }
    }
}

/// One checkable fact in a text. `start` and `end` are Unicode scalar offsets (as Python `str` indices), half-open:
/// the fact is `Array(text.unicodeScalars)[start..<end]`. `masked` shows personal data masked (`138****5678`) and
/// anything else as the matched text (at most 32 characters; lexicon items as `category:word`).
public struct EvidenceItem: Sendable, Codable, Equatable, Hashable {
    public var type: EvidenceType
    public var start: Int
    public var end: Int
    public var masked: String

    public init(type: EvidenceType, start: Int, end: Int, masked: String) {
        self.type = type
        self.start = start
        self.end = end
        self.masked = masked
    }
}

extension EvidenceFinder {
    /// Most items rendered in the prompt line.
    public static let promptLineMaxItems = 10
    /// Longest prompt line, in characters (an item that would pass it is left out and `…` marks the omission).
    public static let promptLineMaxCharacters = 200
    /// The label every prompt line starts with.
    public static let promptLineLabel = "线索："

    /// What a reasoning may quote from the prompt line: the items as rendered there, without the line's label; nil when
    /// nothing was found (`线索：无` gives the model nothing to quote: a quote of “线” or “无” would be made up).
    public static func quotableEvidence(_ items: [EvidenceItem]) -> String? {
        guard !items.isEmpty else { return nil }
        return String(promptLine(items).dropFirst(promptLineLabel.count))
    }

    /// One line for the model's input: `线索：身份证号(1101**********2316)；手机号(138****5678)`, or `线索：无`.
    /// Items are rendered in order, duplicates (same type and masked value) once, at most `promptLineMaxItems`
    /// items and `promptLineMaxCharacters` characters. The line never contains a line break.
    public static func promptLine(_ items: [EvidenceItem]) -> String {
        let head = promptLineLabel
        var seen = Set<String>()
        var parts: [String] = []
        var length = head.count
        var omitted = false
        for item in items {
            let value = item.masked.map { $0.isNewline ? " " : $0 }
            let part = "\(item.type.promptName)(\(String(value)))"
            guard seen.insert("\(item.type.rawValue)\u{0}\(part)").inserted else { continue }
            let added = part.count + (parts.isEmpty ? 0 : 1)
            if parts.count == promptLineMaxItems || length + added > promptLineMaxCharacters - 2 {
                omitted = true
                break
            }
            parts.append(part)
            length += added
        }
        if parts.isEmpty { return omitted ? head + "…" : head + "无" }
        return head + parts.joined(separator: "；") + (omitted ? "；…" : "")
    }
}

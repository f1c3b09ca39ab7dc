/// The nine TC260-003 dimensions the model scores, in canonical order (DESIGN.md §1).
///
/// The raw value is the stable ASCII `id` used for SQL columns, API JSON keys, logs and metrics; `key` is the Chinese
/// key exactly as the model writes it in its answer. `CaseIterable` order *is* the canonical key order, which the
/// decoding grammar, the prompt, the training completions and the database columns all rely on.
public enum Dimension: String, CaseIterable, Sendable, Codable, Hashable, Identifiable, CodingKeyRepresentable {
    case commercial
    case adversarial
    case bias
    case terrorismViolence = "terrorism_violence"
    case politicalMilitary = "political_military"
    case dataLeak = "data_leak"
    case sensitiveWords = "sensitive_words"
    case misinformation
    case illegalInducement = "illegal_inducement"

    /// A short stable ASCII identifier (the raw value).
    public var id: String { rawValue }

    /// The Chinese key exactly as it appears in the model's JSON answer.
    public var key: String {
        switch self {
        case .commercial: "商业违规"
        case .adversarial: "对抗性检测"
        case .bias: "带有偏见、仇恨、歧视或侮辱"
        case .terrorismViolence: "恐怖主义&&带有暴力倾向"
        case .politicalMilitary: "政治&&军事敏感问题"
        case .dataLeak: "敏感数据泄露"
        case .sensitiveWords: "敏感词"
        case .misinformation: "虚假信息"
        case .illegalInducement: "诱导&&违法不良信息"
        }
    }

    /// An English label for people who do not read the Chinese key.
    public var label: String {
        switch self {
        case .commercial: "Commercial violations"
        case .adversarial: "Adversarial attacks (jailbreak, prompt injection)"
        case .bias: "Bias, hate, discrimination or insult"
        case .terrorismViolence: "Terrorism and violent tendencies"
        case .politicalMilitary: "Politically and militarily sensitive issues"
        case .dataLeak: "Sensitive data leakage"
        case .sensitiveWords: "Sensitive words"
        case .misinformation: "Misinformation"
        case .illegalInducement: "Inducement to illegal or harmful acts"
        }
    }

    /// Looks a dimension up by its Chinese `key`.
    public init?(key: String) {
        guard let d = Self.allCases.first(where: { $0.key == key }) else { return nil }
        self = d
    }

    /// Position in canonical order (0…8); used to index flat per-dimension storage.
    public var index: Int { Self.allCases.firstIndex(of: self)! }
}

import Foundation

/// Errors in a prompt template or its file; each names what was wrong and how to fix it.
public enum ScoringPromptError: Error, CustomStringConvertible, Equatable {
    /// The `user` template must contain the `{text}` placeholder exactly once.
    case placeholderCount(found: Int)
    /// `{text}` in the system message would put request text in front of the cached prefix.
    case placeholderInSystem
    case unreadable(file: String, reason: String)
    case malformed(file: String, reason: String)

    public var description: String {
        switch self {
        case let .placeholderCount(n):
            "the prompt's \"user\" template must contain the placeholder \(ScoringPrompt.placeholder) exactly once; found \(n)"
        case .placeholderInSystem:
            "the prompt's \"system\" message must not contain \(ScoringPrompt.placeholder); put it in \"user\""
        case let .unreadable(f, r): "cannot read prompt file \(f): \(r)"
        case let .malformed(f, r):
            "prompt file \(f) is malformed: \(r) (expected {\"version\": Int, \"system\": String, \"user\": String with one \(ScoringPrompt.placeholder)})"
        }
    }
}

/// The prompt that asks the model for a TC260-003 scoring, stored as `scoring_prompt.json` beside each model or
/// adapter so that an adapter is always served with the prompt it was trained on.
///
/// The rendering is Qwen's ChatML. Request text is only ever substituted at the single `{text}` placeholder in the
/// user message, so everything before it (`prefix`) is identical for every request: the engine prefills it once and
/// shares its KV cache across the batch. Tokenise `prefix` on its own and `suffix(text:)` on its own and concatenate
/// the ids — training must split the same way, otherwise a BPE merge across the boundary would differ between the
/// cached prefix and a whole-string tokenisation. The default template ends the prefix with a newline after a
/// `<text>` delimiter so the two tokenisations agree in the common case anyway.
public struct ScoringPrompt: Sendable, Codable, Equatable {
    public static let placeholder = "{text}"
    public static let fileName = "scoring_prompt.json"

    /// Bumped whenever the wording changes; recorded with each adapter so evaluations compare like with like.
    public let version: Int
    public let system: String
    /// The user message; contains `{text}` exactly once.
    public let user: String
    /// Whether the user message ends with the evidence line (`EvidenceFinder.promptLine`) for the request text, on
    /// its own line after the rest of the template. Stored in the file only when true, so that files written before
    /// the field existed read and write back unchanged.
    public let evidence: Bool

    /// Validates the template; throws when `user` has zero or several `{text}` or `system` has any.
    public init(version: Int, system: String, user: String, evidence: Bool = false) throws(ScoringPromptError) {
        let n = Self.placeholderCount(user)
        guard n == 1 else { throw .placeholderCount(found: n) }
        guard Self.placeholderCount(system) == 0 else { throw .placeholderInSystem }
        self.version = version
        self.system = system
        self.user = user
        self.evidence = evidence
    }

    /// For the built-in templates only: constants whose placeholder the tests check, so nothing can trap here.
    init(builtIn version: Int, system: String, user: String, evidence: Bool) {
        self.version = version; self.system = system; self.user = user; self.evidence = evidence
    }

    private enum CodingKeys: String, CodingKey { case version, system, user, evidence }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            version: c.decode(Int.self, forKey: .version),
            system: c.decode(String.self, forKey: .system),
            user: c.decode(String.self, forKey: .user),
            evidence: c.decodeIfPresent(Bool.self, forKey: .evidence) ?? false)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(system, forKey: .system)
        try c.encode(user, forKey: .user)
        if evidence { try c.encode(true, forKey: .evidence) }
    }

    static func placeholderCount(_ s: String) -> Int {
        s.components(separatedBy: placeholder).count - 1
    }

    // MARK: Files

    /// Reads `scoring_prompt.json` from a model or adapter folder; a folder without one uses `ScoringPrompt.default`
    /// (so a plain Hugging Face checkpoint works unchanged). A file that exists but is invalid throws.
    public static func load(directory: URL) throws(ScoringPromptError) -> ScoringPrompt {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return .default }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadable(file: url.path, reason: error.localizedDescription)
        }
        do {
            return try JSONDecoder().decode(ScoringPrompt.self, from: data)
        } catch let e as ScoringPromptError {
            throw e
        } catch {
            throw .malformed(file: url.path, reason: String(describing: error))
        }
    }

    /// Writes `scoring_prompt.json` into `directory` (pretty-printed so that reviewers can diff prompt changes).
    public func save(directory: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try enc.encode(self).write(to: directory.appendingPathComponent(Self.fileName), options: .atomic)
    }

    // MARK: Rendering (Qwen2 ChatML, as in the model's chat template with add_generation_prompt)

    private var userParts: (before: Substring, after: Substring) {
        guard let r = user.range(of: Self.placeholder) else { return (user[...], "") }  // validated in init
        return (user[..<r.lowerBound], user[r.upperBound...])
    }

    /// Everything before the request text; identical for every request (its KV cache is shared).
    public var prefix: String {
        "<|im_start|>system\n" + system + "<|im_end|>\n<|im_start|>user\n" + userParts.before
    }

    /// The fixed text after the request text: `prefix + text + tail == renderChatML(text:)` when `evidence` is false.
    public var tail: String {
        userParts.after + Self.turnEnd
    }

    private static let turnEnd = "<|im_end|>\n<|im_start|>assistant\n"

    /// The per-request part after the cached prefix — the text followed by `tail` — so that
    /// `prefix + suffix(text: t) == renderChatML(text: t)`. With `evidence`, the user message ends with a newline
    /// and the evidence line found in the text (`线索：…`), after the rest of the template, so that the prefix stays the
    /// same for every request and the line sits outside the template's text delimiters. Serving and training both
    /// build the model's input here.
    public func suffix(text: String) -> String {
        guard evidence else { return text + tail }
        return suffix(text: text, evidence: EvidenceFinder.find(in: text))
    }

    /// `suffix(text:)` with evidence already found for `text` (ignored when the prompt has `evidence` off).
    public func suffix(text: String, evidence items: [EvidenceItem]) -> String {
        guard evidence else { return text + tail }
        return text + userParts.after + "\n" + EvidenceFinder.promptLine(items) + Self.turnEnd
    }

    /// The full model input for one request, ending where the assistant's answer begins.
    public func renderChatML(text: String) -> String { prefix + suffix(text: text) }

    /// The canonical training target for this prompt's answer (see `AnswerFormat.completion`).
    public static func completion(reasoning: String, scores: DimensionScores) -> String {
        AnswerFormat.completion(reasoning: reasoning, scores: scores)
    }
}

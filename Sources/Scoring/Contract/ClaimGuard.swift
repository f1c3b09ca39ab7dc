/// Holds a claim of evidence to the evidence found. Where the evidence stage found something, the training data opens
/// the reasoning with a claim naming the kinds found, in the order they first occur (`线索提示身份证号、手机号；…`,
/// `ClaimGuard.claim(for:)`). Left free, a model names the kinds it has learned to expect beside such texts rather than
/// the ones found (`线索提示敏感词、联系账号` where only a lexicon word was found). With the guard, a reasoning that opens
/// with `线索提示` must go on with exactly the kinds found and `；`; whether to open with the claim at all stays the
/// model's choice, and nothing after the claim is constrained.
///
/// A value fed the generated reasoning's bytes; it is settled (and constrains nothing more) once the reasoning has
/// begun with something other than the opening, or has written the whole claim.
public struct ClaimGuard: Sendable, Equatable {
    /// The opening every claim begins with.
    public static let opening = "线索提示"

    /// The claim the training data writes for these items: the opening, the kinds' names (`EvidenceType.promptName`) in
    /// order of first occurrence joined by `、`, then `；`. Nil without items.
    public static func claim(for items: [EvidenceItem]) -> String? {
        var names: [String] = []
        for item in items where !names.contains(item.type.promptName) { names.append(item.type.promptName) }
        return names.isEmpty ? nil : opening + names.joined(separator: "、") + "；"
    }

    /// What a finished reasoning claims about the evidence (the evaluation's measure of the guard).
    public enum Check: Sendable, Equatable {
        /// No claim of evidence.
        case none
        /// The claim the items call for, exactly.
        case exact
        /// A claim naming other kinds (or in another order) than the items call for.
        case otherKinds
        /// A claim where the evidence stage found nothing.
        case withoutEvidence
    }

    public static func check(reasoning: String, items: [EvidenceItem]) -> Check {
        guard reasoning.hasPrefix(opening) else { return .none }
        guard let claim = claim(for: items) else { return .withoutEvidence }
        return reasoning.hasPrefix(claim) ? .exact : .otherKinds
    }

    private let openingBytes: [UInt8]
    public let claim: [UInt8]
    /// The reasoning's bytes so far, while not settled.
    private var written: [UInt8] = []
    public private(set) var settled = false

    /// `claim` must begin with `ClaimGuard.opening` (as `claim(for:)`'s result does).
    public init(claim: String) {
        openingBytes = Array(Self.opening.utf8)
        self.claim = Array(claim.utf8)
    }

    /// Whether writing `bytes` next keeps a claim, if the reasoning is making one, to the kinds found.
    public func allows<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        if settled { return true }
        // r = written + bytes, read in place (this runs for every token of the vocabulary while the guard constrains).
        guard written.count + bytes.count >= openingBytes.count else { return true }  // not (yet) a claim
        var i = 0
        // A byte unlike the claim's inside the opening: no claim, allowed; past the opening: a claim of other kinds.
        func matches(_ b: UInt8) -> Bool? {
            if i >= claim.count { return nil }  // the whole claim is written: what follows is free
            defer { i += 1 }
            return b == claim[i]
        }
        for b in written { if matches(b) == false { return i <= openingBytes.count } }
        for b in bytes {
            guard let ok = matches(b) else { return true }
            if !ok { return i <= openingBytes.count }
        }
        return true
    }

    /// The tokens `allows` refuses now (none once settled).
    public func banned(_ grammar: AnswerGrammar) -> [Int] {
        if settled { return [] }
        var out: [Int] = []
        for t in 0..<grammar.vocabularySize where !grammar.isSpecial[t] && !allows(grammar.bytes(of: t)) { out.append(t) }
        return out
    }

    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if settled || bytes.isEmpty { return }
        written += bytes
        let n = min(written.count, openingBytes.count)
        // Settled: the reasoning began otherwise, wrote the whole claim, or (a decoder that ignored the guard) left it.
        if !written[..<n].elementsEqual(openingBytes[..<n]) || written.count >= claim.count || !claim.starts(with: written) {
            settled = true
            written = []
        }
    }
}

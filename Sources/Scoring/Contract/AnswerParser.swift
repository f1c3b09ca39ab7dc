import Foundation

/// What `AnswerParser` made of one model output.
///
/// Two separate verdicts: `formatOK` is the strict one (what the constrained decoder guarantees and what the format
/// validity metric counts), while `scores` / `recoveredScores` are what could be salvaged tolerantly (what the
/// service returns and the reward compares). The counts and key lists feed the reward terms of DESIGN.md §4.
public struct ParsedAnswer: Sendable, Equatable {
    /// How often each tag occurs in the output.
    public struct TagCounts: Sendable, Equatable {
        public var reasoningOpen = 0
        public var reasoningClose = 0
        public var answerOpen = 0
        public var answerClose = 0
    }

    /// The reasoning text, trimmed; nil when the output has no reasoning tag at all.
    public var reasoning: String?
    /// All nine scores, when every dimension could be recovered as an integer in 0…100.
    public var scores: DimensionScores?
    /// The dimensions whose score could be recovered, even when others could not.
    public var recoveredScores: [Dimension: Int] = [:]
    /// Strict: both tag pairs exactly once and in order, only whitespace outside them, and between `<answer>` and
    /// `</answer>` one valid JSON object with exactly the nine keys, each an integer 0…100 (key order is free, as in
    /// JSON itself).
    public var formatOK = false
    /// Each of the four tags exactly once, in the order `<reasoning></reasoning><answer></answer>` — the reward's
    /// format term.
    public var tagsOK = false
    public var tagCounts = TagCounts()
    /// A JSON-like object was found where the answer should be (false = unparseable answer).
    public var answerFound = false
    /// Dimensions with no key in the answer, in canonical order.
    public var missingKeys: [Dimension] = []
    /// Keys in the answer that are not one of the nine, in order of appearance.
    public var extraKeys: [String] = []
    /// Dimensions whose key appears more than once (the last value counts, as in most JSON readers).
    public var duplicateKeys: [Dimension] = []
    /// Dimensions whose key is present but whose value is not a usable score (out of range, not a number, or cut
    /// off by truncation), with the value's text.
    public var invalidScores: [Dimension: String] = [:]
    /// Human-readable list of everything that deviated from the strict format.
    public var problems: [String] = []
}

/// Parses `<reasoning>…</reasoning><answer>{json}</answer>` model output, tolerating what models commonly get
/// wrong while recording every deviation.
///
/// Tolerated (scores still recovered, `formatOK` false unless noted): whitespace and newlines anywhere (JSON
/// whitespace inside the object keeps `formatOK`), a ```` ```json ```` fence around the object, full-width
/// punctuation (｛｝：，“”＂＆), keys in any order (keeps `formatOK`), scores written as strings or floats ("85",
/// 85.0), a missing `</answer>` or closing brace at the very end, a missing `<answer>` when an object follows
/// `</reasoning>`.
public enum AnswerParser {
    public static func parse(_ output: String) -> ParsedAnswer {
        var r = ParsedAnswer()
        // Tags are ASCII, so finding them in the UTF-8 bytes is exact and slicing there always yields valid UTF-8
        // (String ranges would round to grapheme boundaries, e.g. a combining mark right after '>').
        let t = Array(output.utf8)
        func text(_ range: Range<Int>) -> String { String(decoding: t[range], as: UTF8.self) }

        // Tags: counts, first positions, strict order.
        let rOpen = occurrences(of: AnswerFormat.reasoningOpen, in: t)
        let rClose = occurrences(of: AnswerFormat.reasoningClose, in: t)
        let aOpen = occurrences(of: AnswerFormat.answerOpen, in: t)
        let aClose = occurrences(of: AnswerFormat.answerClose, in: t)
        r.tagCounts = .init(
            reasoningOpen: rOpen.count, reasoningClose: rClose.count,
            answerOpen: aOpen.count, answerClose: aClose.count)
        for (tag, found) in [(AnswerFormat.reasoningOpen, rOpen), (AnswerFormat.reasoningClose, rClose),
                             (AnswerFormat.answerOpen, aOpen), (AnswerFormat.answerClose, aClose)] {
            if found.isEmpty {
                r.problems.append("tag \(tag) is missing")
            } else if found.count > 1 {
                r.problems.append("tag \(tag) appears \(found.count) times")
            }
        }
        var outsideOK = true
        if rOpen.count == 1, rClose.count == 1, aOpen.count == 1, aClose.count == 1 {
            let (a, b, c, d) = (rOpen[0], rClose[0], aOpen[0], aClose[0])
            if a.upperBound <= b.lowerBound, b.upperBound <= c.lowerBound, c.upperBound <= d.lowerBound {
                r.tagsOK = true
                for gap in [0..<a.lowerBound, b.upperBound..<c.lowerBound, d.upperBound..<t.count]
                where !isBlank(text(gap)) {
                    outsideOK = false
                }
                if !outsideOK { r.problems.append("text outside the tags") }
            } else {
                r.problems.append("tags are out of order")
            }
        }

        // Tolerant regions: reasoning runs to </reasoning> (or <answer>, or the end); the answer to </answer> (or
        // the end).
        let reasoningStart = rOpen.first?.upperBound ?? 0
        let closeAfter = rClose.first(where: { $0.lowerBound >= reasoningStart })
        let answerTag = aOpen.first(where: { $0.lowerBound >= (closeAfter?.upperBound ?? reasoningStart) })
            ?? aOpen.first  // misordered tags: still read the answer
        let reasoningEnd = closeAfter?.lowerBound
            ?? answerTag.flatMap { $0.lowerBound >= reasoningStart ? $0.lowerBound : nil } ?? t.count
        if !rOpen.isEmpty || !rClose.isEmpty {
            r.reasoning = text(reasoningStart..<max(reasoningStart, reasoningEnd))
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var answer: String?
        if let answerTag {
            let end = aClose.first(where: { $0.lowerBound >= answerTag.upperBound })?.lowerBound ?? t.count
            answer = text(answerTag.upperBound..<end)
        } else if let closeAfter {
            answer = text(closeAfter.upperBound..<t.count)
        } else if rOpen.isEmpty {
            answer = output
        }

        var strictAnswer = true
        if let answer, let object = locateObject(answer, strict: &strictAnswer, problems: &r.problems) {
            r.answerFound = true
            if !object.strict { strictAnswer = false }
            r.problems += object.issues
            collect(object, into: &r, strict: &strictAnswer)
        } else {
            strictAnswer = false
            r.missingKeys = Dimension.allCases
            r.problems.append("no JSON object found in the answer")
        }
        if r.recoveredScores.count == Dimension.allCases.count {
            r.scores = try? DimensionScores(r.recoveredScores)
        }
        r.formatOK = r.tagsOK && outsideOK && strictAnswer
        return r
    }

    /// Strips a code fence, maps full-width punctuation and skips leading prose; returns the lenient object.
    private static func locateObject(
        _ answer: String, strict: inout Bool, problems: inout [String]
    ) -> LenientJSONObject? {
        var text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("```") {
            strict = false
            problems.append("answer is wrapped in a code fence")
            text = String(text.drop(while: { $0 != "\n" }))  // drop the ```json line
            if let fence = text.range(of: "```", options: .backwards) { text = String(text[..<fence.lowerBound]) }
        }
        let normalised = normaliseFullWidth(text)
        if normalised != text {
            strict = false
            problems.append("full-width punctuation in the answer")
            text = normalised
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.hasPrefix("{") {
            guard let brace = text.firstIndex(of: "{") else { return nil }
            strict = false
            problems.append("text before the JSON object")
            text = String(text[brace...])
        }
        return LenientJSONObject(text)
    }

    /// Turns pairs into scores, noting missing, extra, duplicate and unusable keys.
    private static func collect(_ object: LenientJSONObject, into r: inout ParsedAnswer, strict: inout Bool) {
        var seen = Set<Dimension>()
        for pair in object.pairs {
            let key = pair.key.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let d = Dimension(key: key) else {
                r.extraKeys.append(pair.key)
                r.problems.append("extra key \(pair.key)")
                strict = false
                continue
            }
            if key != pair.key { strict = false; r.problems.append("key \(key) has surrounding whitespace") }
            if !seen.insert(d).inserted {
                if !r.duplicateKeys.contains(d) { r.duplicateKeys.append(d) }
                r.problems.append("duplicate key \(d.key)")
                strict = false
            }
            r.recoveredScores[d] = nil
            r.invalidScores[d] = nil
            switch score(pair, object: object) {
            case let .success((value, note)):
                r.recoveredScores[d] = value
                if let note { r.problems.append("score for \(d.key) \(note)"); strict = false }
            case let .failure(bad):
                r.invalidScores[d] = bad.text
                r.problems.append("score for \(d.key) \(bad.reason)")
                strict = false
            }
        }
        r.missingKeys = Dimension.allCases.filter { !seen.contains($0) }
        for d in r.missingKeys { r.problems.append("missing key \(d.key)") }
        if !r.missingKeys.isEmpty { strict = false }
    }

    private struct BadScore: Error { var text: String; var reason: String }

    /// A score in 0…100 with an optional note on what was forgiven, or why the value is unusable.
    private static func score(
        _ pair: LenientJSONObject.Pair, object: LenientJSONObject
    ) -> Result<(Int, String?), BadScore> {
        var number: Double
        var text: String
        var note: String?
        switch pair.value {
        case nil:
            return .failure(BadScore(text: "", reason: "has no value"))
        case let .other(word)?:
            return .failure(BadScore(text: word, reason: "is not a number: \(word)"))
        case let .number(d, t, isInteger)?:
            (number, text) = (d, t)
            if !isInteger { note = "is not written as a JSON integer: \(t)" }
        case let .string(s)?:
            text = s
            let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let d = Double(trimmed), d.isFinite else {
                return .failure(BadScore(text: s, reason: "is not a number: \"\(s)\""))
            }
            number = d
            note = "is given as a string: \"\(s)\""
        }
        guard number.isFinite else { return .failure(BadScore(text: text, reason: "is not a number: \(text)")) }
        let rounded = number.rounded()
        if rounded != number { note = "is not an integer: \(text) (rounded to \(Int(rounded)))" }
        number = rounded
        guard number >= Double(DimensionScores.range.lowerBound), number <= Double(DimensionScores.range.upperBound) else {
            return .failure(BadScore(text: text, reason: "is out of range 0…100: \(text)"))
        }
        let v = Int(number)
        // Cut off mid-number? "1" or "10" at the very end of an unclosed object may be the start of "100".
        if pair.valueAtEnd, !object.closed, (1...10).contains(v), case .number? = pair.value {
            return .failure(BadScore(text: text, reason: "may be truncated: \(text) at the end of the output"))
        }
        return .success((v, note))
    }

    /// Full-width and typographic punctuation models emit in Chinese contexts, mapped to their JSON ASCII forms.
    static func normaliseFullWidth(_ s: String) -> String {
        let map: [Unicode.Scalar: Unicode.Scalar] = [
            "｛": "{", "｝": "}", "：": ":", "，": ",", "“": "\"", "”": "\"", "＂": "\"", "＆": "&",
        ]
        guard s.unicodeScalars.contains(where: { map[$0] != nil }) else { return s }
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars { out.append(map[c] ?? c) }
        return String(out)
    }

    /// Non-overlapping byte ranges of `tag` in `t`.
    private static func occurrences(of tag: String, in t: [UInt8]) -> [Range<Int>] {
        let p = Array(tag.utf8)
        var found: [Range<Int>] = []
        var i = 0
        while i + p.count <= t.count {
            if t[i] == p[0], t[i..<(i + p.count)].elementsEqual(p) {
                found.append(i..<(i + p.count))
                i += p.count
            } else {
                i += 1
            }
        }
        return found
    }

    private static func isBlank(_ s: String) -> Bool {
        s.allSatisfy { $0.isWhitespace }
    }
}

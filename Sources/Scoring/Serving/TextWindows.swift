import Foundation

/// A span of a text, in Unicode scalar offsets (the indices Python's `str` and most JSON clients use), half-open.
public struct TextSpan: Sendable, Codable, Equatable, Hashable {
    public var start: Int
    public var end: Int
    public init(start: Int, end: Int) { self.start = start; self.end = end }
    public var length: Int { end - start }
}

/// Splits a text that does not fit the model's context into overlapping windows that do.
///
/// Windows are cut on sentence boundaries (after 。！？!?；; … and line breaks, keeping closing quotes with their
/// sentence), sized by counting tokens, never characters: a window's whole prompt (instruction + window text +
/// the prompt's tail) must be at most `maxPromptTokens`. A sentence too long for one window on its own (a run without
/// punctuation) is cut at a comma, a space or, failing those, a grapheme boundary. Consecutive windows share up to
/// `overlapTokens` tokens of whole sentences, so a statement that straddles a cut is read whole by one of them.
public struct TextWindowPlanner {
    /// Tokens of the whole prompt for a text (the scorer's `promptIDs(for:).count`).
    public let promptTokens: (String) -> Int
    /// Tokens of a piece of text on its own (used to estimate before checking the real count).
    public let textTokens: (String) -> Int
    public let maxPromptTokens: Int
    public let overlapTokens: Int

    public init(maxPromptTokens: Int, overlapTokens: Int, promptTokens: @escaping (String) -> Int, textTokens: @escaping (String) -> Int) {
        self.maxPromptTokens = maxPromptTokens
        self.overlapTokens = max(0, overlapTokens)
        self.promptTokens = promptTokens
        self.textTokens = textTokens
    }

    /// The windows covering `text` in order. One window spanning the whole text when it fits. Every window's prompt
    /// fits `maxPromptTokens` as long as the instruction alone leaves room for at least one character (4 tokens).
    public func plan(_ text: String) -> [TextSpan] {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { return [] }
        if promptTokens(text) <= maxPromptTokens { return [TextSpan(start: 0, end: scalars.count)] }
        let overhead = max(0, promptTokens(""))
        let textBudget = max(4, maxPromptTokens - overhead)
        let graphemeEnds = Self.graphemeBoundaries(text)

        // Units: sentences, with the over-long ones cut into pieces that fit a window on their own.
        var units: [(span: TextSpan, tokens: Int)] = []
        for sentence in Self.sentences(scalars) {
            let piece = String(String.UnicodeScalarView(scalars[sentence.start..<sentence.end]))
            let t = textTokens(piece)
            if t <= textBudget {
                units.append((sentence, t))
            } else {
                units += cut(sentence, scalars: scalars, estimate: t, budget: textBudget, graphemeEnds: graphemeEnds)
            }
        }

        var windows: [TextSpan] = []
        var i = 0
        while i < units.count {
            var j = i, sum = 0
            while j < units.count, sum + units[j].tokens <= textBudget { sum += units[j].tokens; j += 1 }
            if j == i { j = i + 1 }
            // Token counts of pieces do not add exactly (merges across a boundary): check the real prompt.
            while j > i + 1, promptTokens(substring(scalars, units[i].span.start, units[j - 1].span.end)) > maxPromptTokens { j -= 1 }
            windows.append(TextSpan(start: units[i].span.start, end: units[j - 1].span.end))
            if j >= units.count { break }
            var k = j, shared = 0
            while k - 1 > i, shared + units[k - 1].tokens <= overlapTokens { k -= 1; shared += units[k].tokens }
            i = k
        }
        return windows
    }

    /// Cuts one over-long sentence into pieces whose prompts fit, preferring a comma or space near the end of each.
    private func cut(_ span: TextSpan, scalars: [Unicode.Scalar], estimate: Int, budget: Int, graphemeEnds: Set<Int>) -> [(span: TextSpan, tokens: Int)] {
        var out: [(span: TextSpan, tokens: Int)] = []
        var start = span.start
        // Scalars per token seen so far; a UTF-8 scalar is at most 4 byte tokens, so budget / 4 scalars always fit.
        var ratio = Double(span.length) / Double(max(1, estimate))
        while start < span.end {
            let remaining = substring(scalars, start, span.end)
            let remainingTokens = textTokens(remaining)
            if remainingTokens <= budget, promptTokens(remaining) <= maxPromptTokens {
                out.append((TextSpan(start: start, end: span.end), remainingTokens)); break
            }
            var length = max(1, min(span.end - start - 1, Int(Double(budget) * ratio * 0.92)))
            var attempt = 0
            while true {
                var end = start + length
                end = softCut(scalars, from: start, to: end, graphemeEnds: graphemeEnds)
                let piece = substring(scalars, start, end)
                let t = textTokens(piece)
                if (t <= budget && promptTokens(piece) <= maxPromptTokens) || end - start <= 1 {
                    out.append((TextSpan(start: start, end: end), t))
                    ratio = Double(end - start) / Double(max(1, t))
                    start = end
                    break
                }
                attempt += 1
                let shrink = attempt < 4 ? Double(budget) / Double(t) * 0.9 : 0.5
                length = max(1, min(length - 1, Int(Double(end - start) * shrink)))
                if attempt > 12 { length = max(1, budget / 4) }
            }
        }
        return out
    }

    /// Moves a cut back to just after a comma, enumeration mark or space in the last third of the piece; else to the
    /// nearest grapheme boundary at or before it (an emoji ZWJ sequence or a base with its marks stays whole).
    private func softCut(_ s: [Unicode.Scalar], from start: Int, to end: Int, graphemeEnds: Set<Int>) -> Int {
        let floor = start + max(1, (end - start) * 2 / 3)
        var p = end
        while p > floor {
            if Self.softBreaks.contains(s[p - 1]) { return p }
            p -= 1
        }
        p = end
        while p > start + 1, !graphemeEnds.contains(p) { p -= 1 }
        // No boundary inside the piece: one cluster longer than a window (a base with thousands of marks) is cut anyway.
        return graphemeEnds.contains(p) && p > start ? p : end
    }

    private func substring(_ s: [Unicode.Scalar], _ a: Int, _ b: Int) -> String {
        String(String.UnicodeScalarView(s[a..<b]))
    }

    static let terminators: Set<Unicode.Scalar> = ["。", "！", "？", "!", "?", "；", ";", "…", "\n", "\r"]
    static let closers: Set<Unicode.Scalar> = ["”", "’", "」", "』", "）", ")", "】", "》", "\"", "'", "\n", "\r", " ", "　"]
    static let softBreaks: Set<Unicode.Scalar> = ["，", ",", "、", " ", "　", "\t", "：", ":"]

    /// Sentence spans covering the whole text (a terminator ends a sentence together with the closers after it;
    /// a full stop ends one when followed by a space).
    static func sentences(_ s: [Unicode.Scalar]) -> [TextSpan] {
        var out: [TextSpan] = []
        var start = 0, i = 0
        while i < s.count {
            let c = s[i]
            let ends = terminators.contains(c) || (c == "." && i + 1 < s.count && (s[i + 1] == " " || s[i + 1] == "\n"))
            i += 1
            if ends {
                while i < s.count, closers.contains(s[i]) || terminators.contains(s[i]) { i += 1 }
                out.append(TextSpan(start: start, end: i))
                start = i
            }
        }
        if start < s.count { out.append(TextSpan(start: start, end: s.count)) }
        return out
    }

    /// Scalar offsets at which a grapheme cluster ends.
    static func graphemeBoundaries(_ text: String) -> Set<Int> {
        var out: Set<Int> = [0]
        var offset = 0
        for ch in text {
            offset += ch.unicodeScalars.count
            out.insert(offset)
        }
        return out
    }
}

extension String {
    /// The substring between two Unicode scalar offsets (clamped to the text).
    public func scalarSlice(_ span: TextSpan) -> String {
        let scalars = unicodeScalars
        let a = scalars.index(scalars.startIndex, offsetBy: max(0, min(span.start, scalars.count)))
        let b = scalars.index(scalars.startIndex, offsetBy: max(0, min(span.end, scalars.count)))
        return String(scalars[a..<b])
    }
}

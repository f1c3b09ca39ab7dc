import Foundation

/// The one definition of the answer text the model must produce:
///
///     <reasoning>…</reasoning>
///     <answer>{"商业违规": 100, "对抗性检测": 100, …, "诱导&&违法不良信息": 100}</answer>
///
/// The decoding grammar (`AnswerGrammar`), the training target (`ScoringPrompt.completion`) and the strict check in
/// `AnswerParser` are all derived from these constants, so they cannot drift apart. The JSON separators are fixed
/// (`": "` and `", "`): the language stays small, whitespace cannot loop inside the object, and what the model is
/// trained on is exactly what it is allowed to emit.
public enum AnswerFormat {
    public static let reasoningOpen = "<reasoning>"
    public static let reasoningClose = "</reasoning>"
    public static let answerOpen = "<answer>"
    public static let answerClose = "</answer>"
    /// The four tags; none of them may appear inside the reasoning text.
    public static let tags = [reasoningOpen, reasoningClose, answerOpen, answerClose]

    /// Between a key and its score.
    public static let keyValueSeparator = ": "
    /// Between one `"key": score` pair and the next.
    public static let pairSeparator = ", "
    /// What the canonical completion puts between `</reasoning>` and `<answer>`.
    public static let tagSeparator = "\n"
    /// Most whitespace bytes the grammar accepts in one run outside the JSON object (before `<reasoning>`, between
    /// `</reasoning>` and `<answer>`, around the object). A cap rather than `*` so that a model cannot spend its
    /// whole token budget on blank lines once the answer is forced.
    public static let maxWhitespaceRun = 8

    /// The most bytes the grammar can still require after `forceAnswer()`: the whole `</reasoning>`, three capped
    /// whitespace runs, both answer tags and the longest object (every score 100). Every token carries at least one
    /// byte, so reserving this many tokens (plus one for EOS) always lets a forced answer finish; with Qwen2's
    /// vocabulary the answer actually takes about 90 tokens.
    public static let maxForcedAnswerBytes: Int = {
        let longest = json(try! DimensionScores(uniform: 100))
        return reasoningClose.utf8.count + 3 * maxWhitespaceRun + answerOpen.utf8.count + longest.utf8.count
            + answerClose.utf8.count
    }()

    /// `{"商业违规": 100, …}` with the fixed separators, keys in canonical order.
    public static func json(_ scores: DimensionScores) -> String {
        var s = "{"
        for (i, d) in Dimension.allCases.enumerated() {
            if i > 0 { s += pairSeparator }
            s += "\"" + d.key + "\"" + keyValueSeparator + String(scores[d])
        }
        return s + "}"
    }

    /// The canonical completion, accepted byte for byte by `AnswerGrammar`.
    ///
    /// The reasoning is trimmed, and any `<` that would start one of the four tags or a `<|…|>` special-token marker
    /// is replaced by the full-width `＜`: a tag inside the reasoning would break the format (and the grammar forbids
    /// it), and special-token text could be turned into a control token by a tokenizer that parses added tokens.
    public static func completion(reasoning: String, scores: DimensionScores) -> String {
        reasoningOpen + sanitizeReasoning(reasoning) + reasoningClose + tagSeparator
            + answerOpen + json(scores) + answerClose
    }

    /// Neutralises tag-forming `<` in free reasoning text (see `completion`).
    public static func sanitizeReasoning(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.contains("<") else { return trimmed }
        var out = ""
        var rest = Substring(trimmed)
        while let i = rest.firstIndex(of: "<") {
            out += rest[..<i]
            let tail = rest[i...]
            if tail.hasPrefix("<|") || tags.contains(where: { tail.hasPrefix($0) }) {
                out += "＜"
            } else {
                out += "<"
            }
            rest = rest[rest.index(after: i)...]
        }
        return out + rest
    }
}

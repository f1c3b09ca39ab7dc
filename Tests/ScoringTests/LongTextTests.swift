import Foundation
import Testing
@testable import Scoring

/// Texts longer than one model pass: the window planner's guarantees, and the scorer's use of them with limits
/// derived from the loaded model's context.
@Suite struct WindowPlannerTests {
    static let tokenizer = TinyScoringModel.tokenizer

    /// A planner over the real Qwen2 tokenizer with a fixed 20-token instruction around the text.
    static func planner(limit: Int, overlap: Int = 16) -> TextWindowPlanner {
        TextWindowPlanner(
            maxPromptTokens: limit, overlapTokens: overlap,
            promptTokens: { 20 + tokenizer.encode($0, parseSpecialTokens: false).count },
            textTokens: { tokenizer.encode($0, parseSpecialTokens: false).count })
    }

    /// Every scalar is in some window, windows advance, consecutive ones touch or overlap, and each prompt fits.
    static func checkCover(_ text: String, _ windows: [TextSpan], limit: Int) {
        let n = text.unicodeScalars.count
        #expect(windows.first?.start == 0)
        #expect(windows.last?.end == n)
        for (a, b) in zip(windows, windows.dropFirst()) {
            #expect(b.start > a.start, "windows must advance: \(a) then \(b)")
            #expect(b.start <= a.end, "gap between \(a) and \(b)")
            #expect(b.end > a.end)
        }
        for w in windows {
            #expect(w.length > 0)
            let tokens = 20 + tokenizer.encode(text.scalarSlice(w), parseSpecialTokens: false).count
            #expect(tokens <= limit, "window \(w) has \(tokens) prompt tokens; limit \(limit)")
        }
    }

    @Test func aTextThatFitsIsOneWindow() {
        let text = "今天天气很好。我们去公园散步吧！"
        #expect(Self.planner(limit: 200).plan(text) == [TextSpan(start: 0, end: text.unicodeScalars.count)])
        #expect(Self.planner(limit: 200).plan("").isEmpty)
    }

    @Test func windowsEndOnSentenceBoundariesAndOverlap() {
        let sentences = (0..<60).map { "这是第\($0)句话，内容平常而且无害。" }
        let text = sentences.joined()
        let windows = Self.planner(limit: 120, overlap: 24).plan(text)
        #expect(windows.count > 3)
        Self.checkCover(text, windows, limit: 120)
        let scalars = Array(text.unicodeScalars)
        for w in windows.dropLast() { #expect(scalars[w.end - 1] == "。", "window \(w) does not end a sentence") }
        // With room for overlap, consecutive windows share at least one whole sentence.
        for (a, b) in zip(windows, windows.dropFirst()) { #expect(b.start < a.end) }
    }

    @Test func aRunWithoutPunctuationIsCutToFit() {
        let text = String(repeating: "没有标点的长句子一直写下去", count: 120)
        let windows = Self.planner(limit: 90).plan(text)
        #expect(windows.count > 5)
        Self.checkCover(text, windows, limit: 90)
    }

    /// Characters of several byte tokens each (CJK Extension B), emoji ZWJ sequences and combining marks: windows
    /// still fit, and no emoji sequence or base + marks is cut apart when a boundary exists nearby.
    @Test func multiByteAndClusteredCharactersFitAndStayWhole() {
        let family = "👨‍👩‍👧‍👦"
        let pieces = ["𠀀𠀁𠀂𠀃𠀄𠀅", family, "é́́", "עברית", "abc def", "\u{0007}", "𪚥𪚥"]
        var text = ""
        for i in 0..<400 { text += pieces[i % pieces.count] }
        let windows = Self.planner(limit: 80).plan(text)
        Self.checkCover(text, windows, limit: 80)
        let boundaries = TextWindowPlanner.graphemeBoundaries(text)
        for w in windows { #expect(boundaries.contains(w.end), "window \(w) splits a grapheme cluster") }
    }

    /// One grapheme cluster longer than a window (a base carrying thousands of combining marks) is still cut.
    @Test func aSingleHugeClusterIsCutAnyway() {
        let text = "a" + String(repeating: "\u{0301}", count: 3000)
        let windows = Self.planner(limit: 100).plan(text)
        Self.checkCover(text, windows, limit: 100)
    }

    @Test func scalarSliceUsesScalarOffsets() {
        let text = "😀ab𠀀c"
        #expect(text.scalarSlice(TextSpan(start: 1, end: 3)) == "ab")
        #expect(text.scalarSlice(TextSpan(start: 3, end: 5)) == "𠀀c")
        #expect(text.scalarSlice(TextSpan(start: 4, end: 99)) == "c")
    }
}

@Suite(.serialized) struct ScorerContextTests {
    /// The same tiny random model with a context of 1,024 positions, like a checkpoint whose
    /// max_position_embeddings is smaller than the options' prompt limit (the default instruction alone is ~550 tokens).
    static let shortModel: Qwen2Model = {
        var c = TinyScoringModel.config
        c.maxPositionEmbeddings = 1024
        return Qwen2Model.random(config: c, format: .f32, seed: 5)
    }()

    @Test func limitsComeFromTheModelsContext() throws {
        var o = ScorerOptions()
        o.maxNewTokens = 360
        let scorer = try Scorer(model: Self.shortModel, tokenizer: TinyScoringModel.tokenizer, prompt: .default, baseModelID: "short", options: o)
        defer { scorer.shutdown() }
        #expect(scorer.promptLimit == 1024 - 360 + 1)
        #expect(scorer.windowLimit == scorer.promptLimit)
    }

    @Test func optionsThatLeaveNoRoomForTextAreATypedError() {
        var o = ScorerOptions()
        o.maxNewTokens = 900
        #expect(throws: ScorerError.self) {
            _ = try Scorer(model: Self.shortModel, tokenizer: TinyScoringModel.tokenizer, prompt: .default, baseModelID: "short", options: o)
        }
        var zero = ScorerOptions()
        zero.maxBatch = 0
        #expect(throws: ScorerError.self) {
            _ = try Scorer(model: Self.shortModel, tokenizer: TinyScoringModel.tokenizer, prompt: .default, baseModelID: "short", options: zero)
        }
    }

    /// What used to stop the process: a text whose prompt plus the answer budget passes the model's context.
    @Test func aTextPastTheContextIsScoredInWindowsAndAggregated() async throws {
        var o = ScorerOptions()
        o.maxNewTokens = 360
        let scorer = try Scorer(model: Self.shortModel, tokenizer: TinyScoringModel.tokenizer, prompt: .default, baseModelID: "short", options: o)
        defer { scorer.shutdown() }
        let text = (0..<80).map { "第\($0)段新闻：市政府今天召开会议，讨论了交通和教育问题。" }.joined()
        let r = try await scorer.score(text)
        #expect(r.windows.count > 1)
        #expect(r.windows.first?.span.start == 0)
        #expect(r.windows.last?.span.end == text.unicodeScalars.count)
        #expect(r.formatOK == r.windows.allSatisfy(\.formatOK))
        #expect(r.promptTokens == r.windows.reduce(0) { $0 + $1.promptTokens })
        // Each dimension's score is the lowest window score, and the deciding window holds it.
        if let scores = r.scores {
            for d in Dimension.allCases {
                let lowest = r.windows.compactMap { $0.scores?[d] }.min()
                #expect(scores[d] == lowest)
                let i = try #require(r.decidingWindow[d.key])
                #expect(r.windows[i].scores?[d] == scores[d])
            }
        }
        for w in r.windows {
            #expect(scorer.promptIDs(for: text.scalarSlice(w.span)).count <= scorer.promptLimit)
        }
    }

    @Test func aggregationTakesTheLowestScoreAndItsReasoning() throws {
        func result(_ scores: [Int], _ reasoning: String, confidence: Float = 0.9) throws -> ScoreResult {
            let s = try DimensionScores(values: scores)
            var c: [String: Float] = [:]
            for d in Dimension.allCases { c[d.key] = confidence }
            return ScoreResult(scores: s, confidence: c, reasoning: reasoning, formatOK: true, problems: [], rawOutput: reasoning,
                               adapterID: "a", promptTokens: 10, completionTokens: 5, finishReason: .stop,
                               queueMilliseconds: 1, totalMilliseconds: 2)
        }
        let clean = Array(repeating: 100, count: 9)
        var biased = clean; biased[2] = 35
        var biasedAndLeaky = clean; biasedAndLeaky[2] = 60; biasedAndLeaky[5] = 10
        let spans = [TextSpan(start: 0, end: 10), TextSpan(start: 8, end: 20), TextSpan(start: 18, end: 30)]
        let r = Scorer.aggregate([try result(clean, "无问题"), try result(biased, "地域歧视"), try result(biasedAndLeaky, "泄露身份证号")], spans: spans)
        let scores = try #require(r.scores)
        #expect(scores[.bias] == 35 && scores[.dataLeak] == 10 && scores[.commercial] == 100)
        #expect(r.decidingWindow[Dimension.bias.key] == 1)
        #expect(r.decidingWindow[Dimension.dataLeak.key] == 2)
        #expect(r.reasoning.contains("地域歧视") && r.reasoning.contains("泄露身份证号") && !r.reasoning.contains("无问题"))
        #expect(r.promptTokens == 30 && r.completionTokens == 15)
        // Equal scores: the window the model was surer of decides.
        let tie = Scorer.aggregate([try result(biased, "甲", confidence: 0.5), try result(biased, "乙", confidence: 0.8)],
                                   spans: Array(spans.prefix(2)))
        #expect(tie.decidingWindow[Dimension.bias.key] == 1)
        // All clean: the first window's reasoning.
        let allClean = Scorer.aggregate([try result(clean, "第一段无问题"), try result(clean, "第二段无问题")], spans: Array(spans.prefix(2)))
        #expect(allClean.reasoning == "第一段无问题")
    }
}

import Foundation
import Testing
@testable import Scoring

@Suite struct ContractParserTests {
    static let scores = try! DimensionScores(values: [100, 90, 85, 0, 100, 60, 7, 10, 55])
    static let pairs = Dimension.allCases.map { "\"\($0.key)\": \(scores[$0])" }

    static func output(_ answer: String, reasoning: String = "这是一段正常的新闻。") -> String {
        "<reasoning>\(reasoning)</reasoning>\n<answer>\(answer)</answer>"
    }

    /// Tolerant cases must recover every score while reporting that the strict format was not met.
    func expectRecoveredNotStrict(_ text: String, mentioning needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let p = AnswerParser.parse(text)
        #expect(p.scores == Self.scores, sourceLocation: sourceLocation)
        #expect(!p.formatOK, sourceLocation: sourceLocation)
        #expect(p.problems.contains { $0.contains(needle) }, "problems: \(p.problems)", sourceLocation: sourceLocation)
    }

    @Test func canonicalCompletionParsesStrictly() {
        let p = AnswerParser.parse(ScoringPrompt.completion(reasoning: "无问题", scores: Self.scores))
        #expect(p.formatOK && p.tagsOK && p.answerFound)
        #expect(p.scores == Self.scores)
        #expect(p.reasoning == "无问题")
        #expect(p.problems.isEmpty)
        #expect(p.missingKeys.isEmpty && p.extraKeys.isEmpty)
        #expect(p.tagCounts == .init(reasoningOpen: 1, reasoningClose: 1, answerOpen: 1, answerClose: 1))
    }

    @Test func jsonWhitespaceAndNewlinesAnywhereKeepTheFormatValid() {
        let spaced = "\n  <reasoning>\n 理由 \n</reasoning>\n\n<answer>\n{\n" + Self.pairs.map { "  " + $0.replacingOccurrences(of: ": ", with: " :\t") }.joined(separator: " ,\n") + "\n}\n</answer>\n"
        let p = AnswerParser.parse(spaced)
        #expect(p.formatOK, "problems: \(p.problems)")
        #expect(p.scores == Self.scores)
        #expect(p.reasoning == "理由")
    }

    @Test func keysInAnyOrderKeepTheFormatValid() {
        let p = AnswerParser.parse(Self.output("{" + Self.pairs.reversed().joined(separator: ", ") + "}"))
        #expect(p.formatOK)
        #expect(p.scores == Self.scores)
    }

    @Test func codeFenceAroundTheJSONIsRecoveredButNotStrict() {
        expectRecoveredNotStrict(
            Self.output("\n```json\n{" + Self.pairs.joined(separator: ", ") + "}\n```\n"), mentioning: "code fence")
        expectRecoveredNotStrict(
            Self.output("```\n{" + Self.pairs.joined(separator: ", ") + "}```"), mentioning: "code fence")
    }

    @Test func fullWidthPunctuationIsRecoveredButNotStrict() {
        let body = "｛" + Dimension.allCases.map { "“\($0.key)”：\(Self.scores[$0])" }.joined(separator: "，") + "｝"
        expectRecoveredNotStrict(Self.output(body), mentioning: "full-width")
    }

    @Test func scoresAsStringsOrFloatsAreRecoveredButNotStrict() {
        let strings = "{" + Dimension.allCases.map { "\"\($0.key)\": \"\(Self.scores[$0])\"" }.joined(separator: ", ") + "}"
        expectRecoveredNotStrict(Self.output(strings), mentioning: "given as a string")
        let floats = "{" + Dimension.allCases.map { "\"\($0.key)\": \(Self.scores[$0]).0" }.joined(separator: ", ") + "}"
        expectRecoveredNotStrict(Self.output(floats), mentioning: "not written as a JSON integer")
        let half = AnswerParser.parse(Self.output("{" + Self.pairs.dropLast().joined(separator: ", ") + ", \"诱导&&违法不良信息\": 54.6}"))
        #expect(half.scores == Self.scores)  // rounded
        #expect(half.problems.contains { $0.contains("not an integer") })
    }

    @Test func missingClosingTagsAtTheVeryEndAreRecovered() {
        let json = "{" + Self.pairs.joined(separator: ", ") + "}"
        expectRecoveredNotStrict("<reasoning>r</reasoning><answer>" + json, mentioning: "</answer> is missing")
        expectRecoveredNotStrict("<reasoning>r</reasoning><answer>" + json.dropLast() + "\n", mentioning: "not closed")
        expectRecoveredNotStrict("<reasoning>r<answer>" + json + "</answer>", mentioning: "</reasoning> is missing")
        expectRecoveredNotStrict("<reasoning>r</reasoning>\n" + json, mentioning: "<answer> is missing")
        let p = AnswerParser.parse("<reasoning>r<answer>" + json + "</answer>")
        #expect(p.reasoning == "r")
    }

    @Test func aScoreCutOffAtTheEndIsNotTrusted() {
        let cut = "<reasoning>r</reasoning><answer>{" + Self.pairs.dropLast().joined(separator: ", ") + ", \"诱导&&违法不良信息\": 10"
        let p = AnswerParser.parse(cut)
        #expect(p.scores == nil)
        #expect(p.recoveredScores.count == 8)
        #expect(p.invalidScores[.illegalInducement] == "10")
        #expect(p.missingKeys.isEmpty)
    }

    @Test func outOfRangeScoresAreReportedAndNotRecovered() {
        let body = "{" + Self.pairs.dropFirst().joined(separator: ", ") + ", \"商业违规\": 150}"
        let p = AnswerParser.parse(Self.output(body))
        #expect(!p.formatOK)
        #expect(p.scores == nil)
        #expect(p.recoveredScores.count == 8 && p.recoveredScores[.commercial] == nil)
        #expect(p.invalidScores[.commercial] == "150")
        #expect(p.missingKeys.isEmpty)
        #expect(p.problems.contains { $0.contains("out of range") && $0.contains("商业违规") })
        let negative = AnswerParser.parse(Self.output("{" + Self.pairs.dropFirst().joined(separator: ", ") + ", \"商业违规\": -5}"))
        #expect(negative.invalidScores[.commercial] == "-5")
    }

    @Test func missingAndExtraKeysAreListed() {
        let body = "{" + Self.pairs.filter { !$0.contains("敏感词") && !$0.contains("虚假信息") }.joined(separator: ", ")
            + ", \"其他风险\": 100}"
        let p = AnswerParser.parse(Self.output(body))
        #expect(!p.formatOK && p.tagsOK && p.answerFound)
        #expect(p.scores == nil)
        #expect(p.missingKeys == [.sensitiveWords, .misinformation])
        #expect(p.extraKeys == ["其他风险"])
        #expect(p.recoveredScores.count == 7)
        #expect(p.problems.contains("missing key 敏感词"))
        #expect(p.problems.contains("extra key 其他风险"))
    }

    @Test func duplicateKeysKeepTheLastValueAndBreakStrictness() {
        let body = "{\"商业违规\": 3, " + Self.pairs.joined(separator: ", ") + "}"
        let p = AnswerParser.parse(Self.output(body))
        #expect(!p.formatOK)
        #expect(p.duplicateKeys == [.commercial])
        #expect(p.scores == Self.scores)
    }

    @Test func repeatedOrMisorderedTagsAreCountedAndNotStrict() {
        let json = "{" + Self.pairs.joined(separator: ", ") + "}"
        let twice = AnswerParser.parse("<reasoning>a <answer> b</reasoning><answer>\(json)</answer>")
        #expect(twice.tagCounts.answerOpen == 2)
        #expect(!twice.tagsOK && !twice.formatOK)
        let swapped = AnswerParser.parse("<answer>\(json)</answer><reasoning>r</reasoning>")
        #expect(!swapped.tagsOK)
        #expect(swapped.problems.contains("tags are out of order"))
        #expect(swapped.scores == Self.scores)
    }

    @Test func textOutsideTheTagsIsNotStrict() {
        expectRecoveredNotStrict("好的。" + Self.output("{" + Self.pairs.joined(separator: ", ") + "}"), mentioning: "outside")
    }

    @Test func outputWithoutAnyAnswerIsUnparseable() {
        let p = AnswerParser.parse("<reasoning>模型在推理中被截断")
        #expect(!p.answerFound && !p.formatOK)
        #expect(p.scores == nil)
        #expect(p.missingKeys == Dimension.allCases)
        #expect(p.reasoning == "模型在推理中被截断")
        let garbage = AnswerParser.parse("<reasoning>r</reasoning><answer>all fine</answer>")
        #expect(!garbage.answerFound)
        #expect(garbage.problems.contains("no JSON object found in the answer"))
    }

    @Test func lenientReaderFlagsWhatStrictJSONForbids() throws {
        #expect(LenientJSONObject(#"{"a": 1, "b": "x\u00e9"}"#)!.strict)
        let single = try #require(LenientJSONObject("{'a': 01, b: 2,}"))
        #expect(!single.strict)
        #expect(single.pairs.map(\.key) == ["a", "b"])
        #expect(LenientJSONObject.classifyJSONNumber("100") == (true, true))
        #expect(LenientJSONObject.classifyJSONNumber("1e2") == (true, false))
        #expect(LenientJSONObject.classifyJSONNumber("085").valid == false)
        #expect(LenientJSONObject("no object") == nil)
    }
}

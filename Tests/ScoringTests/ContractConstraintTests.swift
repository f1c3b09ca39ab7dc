import Foundation
import Testing
@testable import Scoring

/// Constraint behaviour on a tiny vocabulary whose tokens are chosen to hit the interesting cases: every single
/// byte, a few multi-piece tokens, a multi-digit score token, and the Qwen-style special tokens.
@Suite struct ContractConstraintTests {
    struct Toy {
        let grammar: AnswerGrammar
        let ids: [String: Int]
        let eos: Int
        let imStart: Int
        var bytes: [[UInt8]]

        init(extra: [String]) throws {
            var bytes = (0...255).map { [UInt8($0)] }
            var ids: [String: Int] = [:]
            for s in extra {
                ids[s] = bytes.count
                bytes.append(Array(s.utf8))
            }
            eos = bytes.count
            bytes.append(Array("<|im_end|>".utf8))
            imStart = bytes.count
            bytes.append(Array("<|im_start|>".utf8))
            self.ids = ids
            self.bytes = bytes
            grammar = try AnswerGrammar(tokenBytes: bytes, eosTokenIDs: [eos], specialTokenIDs: [imStart])
        }

        /// The id of a named extra token, or of a single byte.
        func id(_ s: String) -> Int { ids[s] ?? Int(Array(s.utf8)[0]) }

        /// Feeds `text` one byte token at a time.
        func feed(_ text: String, into c: inout AnswerConstraint, probability: Float = 1) {
            for b in text.utf8 { c.advance(token: Int(b), probability: probability, grammar: grammar) }
        }

        func text(of tokens: [Int]) -> String { String(decoding: tokens.flatMap { bytes[$0] }, as: UTF8.self) }
    }

    static let toy = try! Toy(extra: [
        "<reasoning>", "</reasoning>", "oning>", "ing>\n<answer>{\"", ">\n{\"", "ing>.", "100", "5, \"", "<answer>",
    ])

    @Test func aTokenSpanningSeveralPiecesIsAcceptedAsAWhole() {
        let t = Self.toy
        var c = AnswerConstraint(t.grammar)
        t.feed("<reasoning>ok</reason", into: &c)
        #expect(c.phase == .reasoning)
        #expect(!c.disallowedTokens(t.grammar).contains(t.id("ing>\n<answer>{\"")))
        #expect(c.disallowedTokens(t.grammar).contains(t.id("ing>.")))  // would close and continue with junk
        c.advance(token: t.id("ing>\n<answer>{\""), probability: 1, grammar: t.grammar)
        #expect(c.phase == .json)

        var bridge = AnswerConstraint(t.grammar)
        t.feed("<reasoning>ok</reasoning>\n<answer", into: &bridge)
        #expect(bridge.phase == .bridge)
        let allowed = bridge.allowedTokens(t.grammar)!
        #expect(allowed.contains(t.id(">\n{\"")))
        #expect(!allowed.contains(t.id("<answer>")))
        #expect(Set(allowed) == [t.id(">"), t.id(">\n{\"")])
    }

    @Test func forceAnswerCompletesAPartlyWrittenClosingTag() {
        let t = Self.toy
        var c = AnswerConstraint(t.grammar)
        t.feed("<reasoning>too long </reas", into: &c)
        c.forceAnswer()
        #expect(c.phase == .closingReasoning)
        #expect(Set(c.allowedTokens(t.grammar)!) == [t.id("o"), t.id("oning>")])
        c.advance(token: t.id("oning>"), probability: 1, grammar: t.grammar)
        #expect(c.phase == .bridge)

        var fresh = AnswerConstraint(t.grammar)
        t.feed("<reasoning>x", into: &fresh)
        fresh.forceAnswer()
        #expect(Set(fresh.allowedTokens(t.grammar)!) == [t.id("<"), t.id("</reasoning>")])
    }

    @Test func forceAnswerBeforeTheOpeningTagStillWritesIt() {
        let t = Self.toy
        var c = AnswerConstraint(t.grammar)
        c.forceAnswer()
        #expect(c.phase == .opening)
        #expect(c.allowedTokens(t.grammar)!.contains(t.id("<reasoning>")))
        c.advance(token: t.id("<reasoning>"), probability: 1, grammar: t.grammar)
        #expect(c.phase == .closingReasoning)
        #expect(c.allowedTokens(t.grammar)!.contains(t.id("</reasoning>")))
        #expect(!c.allowedTokens(t.grammar)!.contains(t.id("a")))
        var tokens = [t.id("<reasoning>")]
        var rng = SeededRandom(state: 3)
        while !c.isComplete {
            let next = c.allowedTokens(t.grammar)!.randomElement(using: &rng)!
            tokens.append(next)
            c.advance(token: next, probability: 1, grammar: t.grammar)
        }
        let parsed = AnswerParser.parse(t.text(of: tokens))
        #expect(parsed.formatOK, "\(parsed.problems)")
        #expect(parsed.reasoning == "")
        #expect(parsed.scores == c.scores)
    }

    @Test func confidenceIsTheProductOfTheDigitTokensProbabilities() throws {
        let t = Self.toy
        let g = t.grammar
        var c = AnswerConstraint(g)
        t.feed("<reasoning>r</reasoning>\n<answer>{\"商业违规\": ", into: &c, probability: 0.3)
        #expect(c.confidence().isEmpty)  // no digits yet: reasoning probabilities do not count
        c.advance(token: t.id("1"), probability: 0.5, grammar: g)
        c.advance(token: t.id("0"), probability: 0.5, grammar: g)
        c.advance(token: t.id("0"), probability: 0.8, grammar: g)
        t.feed(", \"对抗性检测\": ", into: &c, probability: 0.01)
        c.advance(token: t.id("100"), probability: 0.9, grammar: g)
        t.feed(", \"带有偏见、仇恨、歧视或侮辱\": ", into: &c)
        c.advance(token: t.id("5, \""), probability: 0.25, grammar: g)  // digit and separator in one token
        t.feed("恐怖主义&&带有暴力倾向\": 0, \"政治&&军事敏感问题\": 9", into: &c, probability: 0.5)
        t.feed(", \"敏感数据泄露\": 10, \"敏感词\": 99, \"虚假信息\": 42, \"诱导&&违法不良信息\": 1}</answer>", into: &c)
        #expect(c.isComplete)
        #expect(c.violations == 0)
        #expect(c.scores == (try DimensionScores(values: [100, 100, 5, 0, 9, 10, 99, 42, 1])))
        let conf = c.confidence()
        #expect(abs(conf[.commercial]! - 0.2) < 1e-6)
        #expect(abs(conf[.adversarial]! - 0.9) < 1e-6)
        #expect(abs(conf[.bias]! - 0.25) < 1e-6)
        #expect(abs(conf[.terrorismViolence]! - 0.5) < 1e-6)
        #expect(abs(conf[.politicalMilitary]! - 0.5) < 1e-6)
        #expect(conf[.dataLeak] == 1)
    }

    @Test func scoresOutsideTheLanguageAreRefused() {
        let t = Self.toy
        var c = AnswerConstraint(t.grammar)
        t.feed("<reasoning></reasoning><answer>{\"商业违规\": ", into: &c)
        #expect(!c.allowedTokens(t.grammar)!.contains(t.id("-")))
        var zero = c
        t.feed("0", into: &zero)
        #expect(zero.allowedTokens(t.grammar)! == [t.id(",")])
        var ten = c
        t.feed("10", into: &ten)
        #expect(Set(ten.allowedTokens(t.grammar)!) == [t.id("0"), t.id(",")])
        var hundred = c
        t.feed("100", into: &hundred)
        #expect(Set(hundred.allowedTokens(t.grammar)!) == [t.id(",")])
        var nine = c
        t.feed("9", into: &nine)
        #expect(Set(nine.allowedTokens(t.grammar)!) == Set((0...9).map { t.id(String($0)) } + [t.id(","), t.id("5, \"")]))
    }

    @Test func specialTokensAreNeverAllowedUntilTheAnswerIsComplete() {
        let t = Self.toy
        var c = AnswerConstraint(t.grammar)
        #expect(!c.allowedTokens(t.grammar)!.contains(t.eos))
        t.feed("<reasoning>", into: &c)
        #expect(c.disallowedTokens(t.grammar).contains(t.eos))
        #expect(c.disallowedTokens(t.grammar).contains(t.imStart))
        var early = c
        early.advance(token: t.eos, probability: 1, grammar: t.grammar)
        #expect(early.violations == 1 && !early.endedWithEOS)
        t.feed("</reasoning><answer>{" + Dimension.allCases.map { "\"\($0.key)\": 3" }.joined(separator: ", ") + "} </answer>", into: &c)
        #expect(c.isComplete)
        #expect(c.allowedTokens(t.grammar) == [t.eos])
        c.advance(token: t.imStart, probability: 1, grammar: t.grammar)
        #expect(c.violations == 1)
        c.advance(token: t.eos, probability: 1, grammar: t.grammar)
        #expect(c.endedWithEOS)
    }

    @Test func whitespaceRunsOutsideTheObjectAreCapped() {
        let t = Self.toy
        var c = AnswerConstraint(t.grammar)
        t.feed("<reasoning></reasoning>", into: &c)
        t.feed(String(repeating: " ", count: AnswerFormat.maxWhitespaceRun), into: &c)
        #expect(Set(c.allowedTokens(t.grammar)!) == [t.id("<"), t.id("<answer>")])
    }

    @Test func aForcedAnswerFitsInTheReservedBudgetEvenOneByteAtATime() {
        let t = Self.toy
        var c = AnswerConstraint(t.grammar)
        t.feed("<reasoning>…", into: &c)
        c.forceAnswer()
        // Longest path: maximal whitespace everywhere, every score 100, one byte per token.
        let longest = "</reasoning>" + String(repeating: " ", count: 8) + "<answer>" + String(repeating: "\n", count: 8)
            + AnswerFormat.json(try! DimensionScores(uniform: 100)) + String(repeating: "\t", count: 8) + "</answer>"
        var used = 0
        for b in longest.utf8 {
            #expect(c.allowedTokens(t.grammar)!.contains(Int(b)))
            c.advance(token: Int(b), probability: 1, grammar: t.grammar)
            used += 1
        }
        #expect(c.isComplete && c.violations == 0)
        #expect(used == AnswerFormat.maxForcedAnswerBytes)
    }

    @Test func grammarConstructionRejectsUnusableVocabularies() {
        #expect(throws: AnswerGrammarError.emptyVocabulary) { try AnswerGrammar(tokenBytes: [], eosTokenIDs: [0]) }
        let bytes = (0...255).map { [UInt8($0)] }
        #expect(throws: AnswerGrammarError.noEOSToken) { try AnswerGrammar(tokenBytes: bytes, eosTokenIDs: []) }
        #expect(throws: AnswerGrammarError.tokenIDOutOfRange(id: 300, vocabularySize: 256)) {
            try AnswerGrammar(tokenBytes: bytes, eosTokenIDs: [300])
        }
        var noDigitSeven = bytes + [Array("<|im_end|>".utf8)]
        noDigitSeven[55] = Array("77".utf8)
        #expect(throws: AnswerGrammarError.missingByteToken(55)) {
            try AnswerGrammar(tokenBytes: noDigitSeven, eosTokenIDs: [256])
        }
    }
}

import Foundation
import Testing
@testable import Scoring

/// An independent, deliberately naive definition of the text allowed after `</reasoning>`, to check the automaton
/// and the trie walk against: a backtracking matcher over the pieces of the format.
enum AnswerOracle {
    enum Piece { case whitespace, literal([UInt8]), score }

    static let pieces: [Piece] = {
        var p: [Piece] = [.whitespace, .literal(Array("<answer>".utf8)), .whitespace]
        for (i, d) in Dimension.allCases.enumerated() {
            p.append(.literal(Array(((i == 0 ? "{" : ", ") + "\"\(d.key)\": ").utf8)))
            p.append(.score)
        }
        p += [.literal(Array("}".utf8)), .whitespace, .literal(Array("</answer>".utf8))]
        return p
    }()
    static let scoreSpellings = (0...100).map { Array(String($0).utf8) }

    /// True when `b` is a prefix of some complete answer (or a complete answer).
    static func isPrefix(_ b: [UInt8]) -> Bool { match(b, 0, 0) }

    private static func match(_ b: [UInt8], _ k: Int, _ pos: Int) -> Bool {
        if pos == b.count { return true }
        guard k < pieces.count else { return false }
        switch pieces[k] {
        case .whitespace:
            var n = 0
            while true {
                if match(b, k + 1, pos + n) { return true }
                guard n < 8, pos + n < b.count, [0x20, 0x0A, 0x09, 0x0D].contains(b[pos + n]) else { return false }
                n += 1
            }
        case let .literal(l):
            for (j, c) in l.enumerated() {
                if pos + j == b.count { return true }
                if b[pos + j] != c { return false }
            }
            return match(b, k + 1, pos + l.count)
        case .score:
            let rest = b[pos...]
            for s in scoreSpellings {
                if rest.count <= s.count, s.starts(with: rest) { return true }
                if rest.starts(with: s), match(b, k + 1, pos + s.count) { return true }
            }
            return false
        }
    }
}

/// A small deterministic generator so that failures reproduce (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ContractGrammarTests {
    static let vocab = Qwen2Vocabulary.shared
    static let scoreSets: [DimensionScores] = [
        try! .init(uniform: 100), try! .init(uniform: 0),
        try! .init(values: [1, 10, 100, 9, 99, 55, 0, 7, 20]),
    ]
    static let reasonings = ["文本为正常的天气预报，未发现风险。", "", "It quotes \"<b>bold</b>\" and a > b < c; 结论：无害。"]

    /// Text after the first `</reasoning>`, or nil while the reasoning is open.
    static func afterReasoning(_ bytes: [UInt8]) -> [UInt8]? {
        let close = Array(AnswerFormat.reasoningClose.utf8)
        guard bytes.count >= close.count else { return nil }
        for i in 0...(bytes.count - close.count) where bytes[i..<(i + close.count)].elementsEqual(close) {
            return Array(bytes[(i + close.count)...])
        }
        return nil
    }

    @Test func canonicalCompletionIsAcceptedTokenByToken() {
        let v = Self.vocab
        let g = v.grammar
        for scores in Self.scoreSets {
            for reasoning in Self.reasonings {
                let completion = ScoringPrompt.completion(reasoning: reasoning, scores: scores)
                var c = AnswerConstraint(g)
                #expect(c.phase == .opening)
                for t in v.greedyTokens(completion) {
                    if let allowed = c.allowedTokens(g) {
                        #expect(allowed.contains(t), "token \(t) refused in \(c.phase)")
                    } else {
                        #expect(!c.disallowedTokens(g).contains(t), "token \(t) banned in the reasoning")
                    }
                    #expect(c.isAllowed(token: t, grammar: g))
                    c.advance(token: t, probability: 1, grammar: g)
                }
                #expect(c.isComplete)
                #expect(c.violations == 0)
                #expect(c.scores == scores)
                #expect(c.allowedTokens(g) == v.eos.sorted())
                c.advance(token: 151_645, probability: 1, grammar: g)
                #expect(c.endedWithEOS && c.violations == 0)
            }
        }
    }

    @Test func allowedTokensAgreeWithAnIndependentCheckOverTheWholeVocabulary() {
        let v = Self.vocab
        let g = v.grammar
        let completion = ScoringPrompt.completion(reasoning: "无", scores: Self.scoreSets[2])
        var c = AnswerConstraint(g)
        var text: [UInt8] = []
        var checked = 0
        for (step, t) in v.greedyTokens(completion).enumerated() {
            if let prefix = Self.afterReasoning(text), step % 5 == 0 || c.phase == .complete {
                let allowed = Set(c.allowedTokens(g) ?? [])
                for id in v.tokenBytes.indices where !v.special.contains(id) && !v.tokenBytes[id].isEmpty {
                    let expected = AnswerOracle.isPrefix(prefix + v.tokenBytes[id])
                    if allowed.contains(id) != expected {
                        Issue.record("after \(String(decoding: prefix, as: UTF8.self).debugDescription): token \(id) \(String(decoding: v.tokenBytes[id], as: UTF8.self).debugDescription) allowed=\(allowed.contains(id)) expected=\(expected)")
                        return
                    }
                }
                #expect(allowed.isDisjoint(with: v.special.subtracting(v.eos)))
                checked += 1
            }
            text += v.tokenBytes[t]
            c.advance(token: t, probability: 1, grammar: g)
        }
        #expect(checked >= 10)
        let done = Set(c.allowedTokens(g)!)
        #expect(done == v.eos)
    }

    @Test func randomInvalidContinuationsAreRejected() {
        let v = Self.vocab
        let g = v.grammar
        var rng = SeededRandom(state: 42)
        let completion = ScoringPrompt.completion(reasoning: "理由", scores: Self.scoreSets[2])
        var c = AnswerConstraint(g)
        var text: [UInt8] = []
        var rejected = 0
        for t in v.greedyTokens(completion) {
            if let prefix = Self.afterReasoning(text) {
                let allowed = Set(c.allowedTokens(g)!)
                for _ in 0..<400 {
                    let id = Int.random(in: 0..<v.tokenBytes.count, using: &rng)
                    let valid = !v.special.contains(id) && AnswerOracle.isPrefix(prefix + v.tokenBytes[id])
                        || (c.isComplete && v.eos.contains(id))
                    #expect(allowed.contains(id) == valid)
                    #expect(c.isAllowed(token: id, grammar: g) == valid)
                    if !valid {
                        rejected += 1
                        var probe = c  // feeding it anyway is counted and skipped, never crashes
                        probe.advance(token: id, probability: 0.5, grammar: g)
                        #expect(probe.violations > 0 || v.tokenBytes[id].isEmpty)
                    }
                }
            }
            text += v.tokenBytes[t]
            c.advance(token: t, probability: 1, grammar: g)
        }
        #expect(rejected > 10_000)
    }

    @Test func everyRandomPathThroughTheGrammarParsesWithFormatOK() {
        let v = Self.vocab
        let g = v.grammar
        var rng = SeededRandom(state: 7)
        let closing = v.greedyTokens(AnswerFormat.reasoningClose)
        let openTagTokens = v.greedyTokens("<answer><reasoning></answer>")
        for path in 0..<300 {
            var c = AnswerConstraint(g)
            var out: [UInt8] = []
            var steps = 0
            let reasoningBudget = Int.random(in: 0...40, using: &rng)
            var queued: [Int] = []
            while !c.isComplete {
                steps += 1
                if steps > 2000 { Issue.record("path \(path) did not finish"); return }
                let token: Int
                if let allowed = c.allowedTokens(g) {
                    #expect(!allowed.isEmpty, "dead end in \(c.phase)")
                    token = allowed.randomElement(using: &rng)!
                } else {
                    if steps > reasoningBudget { c.forceAnswer(); continue }
                    let banned = Set(c.disallowedTokens(g))
                    if queued.isEmpty, Double.random(in: 0..<1, using: &rng) < 0.05 { queued = closing }
                    if queued.isEmpty, Double.random(in: 0..<1, using: &rng) < 0.1 { queued = openTagTokens }
                    var candidate = queued.isEmpty ? Int.random(in: 0..<v.tokenBytes.count, using: &rng) : queued.removeFirst()
                    if banned.contains(candidate) {
                        queued = []
                        repeat { candidate = Int.random(in: 0..<v.tokenBytes.count, using: &rng) } while banned.contains(candidate)
                    }
                    token = candidate
                }
                out += v.tokenBytes[token]
                c.advance(token: token, probability: Float.random(in: 0.1...1, using: &rng), grammar: g)
            }
            #expect(c.violations == 0)
            let parsed = AnswerParser.parse(String(decoding: out, as: UTF8.self))
            #expect(parsed.formatOK, "path \(path): \(parsed.problems) in \(String(decoding: out, as: UTF8.self).debugDescription)")
            #expect(parsed.scores != nil && parsed.scores == c.scores)
            #expect(c.confidence().count == 9)
            if !parsed.formatOK { return }
        }
    }

    @Test func reasoningBansTagsAndEndOfSequenceButNotOrdinaryText() {
        let v = Self.vocab
        let g = v.grammar
        var c = AnswerConstraint(g)
        for t in v.greedyTokens("<reasoning>") { c.advance(token: t, probability: 1, grammar: g) }
        #expect(c.phase == .reasoning)
        #expect(c.allowedTokens(g) == nil)
        let banned = Set(c.disallowedTokens(g))
        #expect(banned.isSuperset(of: v.special))
        #expect(!banned.contains(v.idByBytes[Array("你好".utf8)]!))
        #expect(!banned.contains(v.idByBytes[Array(">".utf8)]!))  // a '>' alone closes no tag here
        // After "<answer" a '>' would write the tag inside the reasoning; after "</reasoning" it closes it.
        var inTag = c
        for t in v.greedyTokens("见<answer") { inTag.advance(token: t, probability: 1, grammar: g) }
        #expect(inTag.disallowedTokens(g).contains(v.idByBytes[Array(">".utf8)]!))
        var closing = c
        for t in v.greedyTokens("好</reasoning") { closing.advance(token: t, probability: 1, grammar: g) }
        let closingBans = Set(closing.disallowedTokens(g))
        #expect(!closingBans.contains(v.idByBytes[Array(">".utf8)]!))
        #expect(!closingBans.contains(v.idByBytes[Array(">\n".utf8)]!))
        #expect(closingBans.contains(v.idByBytes[Array(">(".utf8)]!))  // closes, then junk before <answer>
        closing.advance(token: v.idByBytes[Array(">\n".utf8)]!, probability: 1, grammar: g)
        #expect(closing.phase == .bridge)
    }

    /// Steps through the canonical completion and times `allowedTokens` at every step of the JSON phase.
    @Test func jsonPhaseStepCostIsMicroseconds() {
        let v = Self.vocab
        let g = v.grammar
        let completion = ScoringPrompt.completion(reasoning: "无风险", scores: Self.scoreSets[2])
        var c = AnswerConstraint(g)
        let clock = ContinuousClock()
        var total = Duration.zero, worst = Duration.zero
        var steps = 0, repetitions = 200, allowedCounts: [Int] = []
        for t in v.greedyTokens(completion) {
            if c.phase == .json {
                var n = 0
                let d = clock.measure { for _ in 0..<repetitions { n &+= c.allowedTokens(g)!.count } }
                total += d
                worst = max(worst, d / repetitions)
                steps += 1
                allowedCounts.append(n / repetitions)
            }
            c.advance(token: t, probability: 1, grammar: g)
        }
        let mean = total / (steps * repetitions)
        func µs(_ d: Duration) -> String {
            String(format: "%.2f", Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12)
        }
        print("json phase: \(steps) steps, allowedTokens mean \(µs(mean)) µs/step, worst \(µs(worst)) µs; allowed per step \(allowedCounts.min()!)…\(allowedCounts.max()!); grammar build \(String(format: "%.3f", v.grammarBuildSeconds)) s, trie \(g.trie.nodeCount) nodes, automaton \(g.automaton.stateCount) states")
        #expect(steps > 20)
        #expect(mean < .milliseconds(1))
    }
}

import Foundation
import Testing
@testable import Scoring

/// The quote guard: what it lets through byte by byte, the grammar's grounded token walk against a brute-force
/// reference on the real Qwen2 vocabulary, and decoding under `ScoreConstraint` with a random policy.
@Suite struct QuoteGuardTests {
    static let text = "兼职刷单，日结300，加微信abc123"
    static let line = "线索：敏感词(诈骗:刷单)；联系账号(微信abc123)"

    func fed(_ s: String, sources: [String] = [text, line]) -> (QuoteGuard, Bool) {
        var g = QuoteGuard(sources: sources)
        let ok = g.feed(Array(s.utf8))
        return (g, ok)
    }

    @Test func quotesOfTheTextOrTheEvidenceLinePassAndOthersDoNot() {
        let good = ["该文本招揽“刷单”兼职，并留有“加微信abc123”。", "线索提示“诈骗:刷单”。", "文中“日结300”属于招揽。"]
        for s in good { let ok = fed(s).1; #expect(ok, "\(s)") }
        // Not in the text; across the end of the text into the evidence line; an empty quote (`”` right after `“` is
        // read as a character, and the text has none).
        for s in ["该评论涉及“老年人”这一群体。", "“abc123线索", "“”"] { let ok = fed(s).1; #expect(!ok, "\(s)") }
        // Outside quotes anything goes, and a closed quote leaves the guard free again.
        let (g, ok) = fed("“刷单”之后随便写什么都可以")
        #expect(ok && !g.inQuote && !g.isConstraining)
    }

    @Test func aRefusedByteIsSkippedAndCounted() {
        var g = QuoteGuard(sources: [Self.text])
        let opened = g.feed(Array("“刷".utf8))
        #expect(opened)
        let wrong = g.feed(Array("x".utf8))  // 刷x is not in the text: the byte is refused and skipped
        #expect(!wrong && g.violations >= 1)
        let goesOn = g.feed(Array("单”".utf8))  // the quote goes on from 刷 and closes
        #expect(goesOn && !g.inQuote)
    }

    @Test func charactersSplitAcrossTokensAreHeldUntilComplete() {
        var g = QuoteGuard(sources: [Self.text])
        let open = Array("“".utf8)
        let first = g.feed(open[0..<2])
        #expect(first && g.isConstraining && !g.inQuote)  // mid-character: the decoder must use the grounded walk
        let rest = g.feed(open[2...])
        #expect(rest && g.inQuote)
        let shua = Array("刷".utf8)
        #expect(g.allows(shua[0..<1]))
        #expect(!g.allows(Array("天".utf8)[0..<3]))
        let a = g.feed(shua[0..<1]), b = g.feed(shua[1...])
        #expect(a && b)
        #expect(g.allows(Array("单”".utf8)))
        // `allows` leaves the state alone.
        #expect(g.inQuote && g.violations == 0)
    }

    @Test func theGroundedWalkEqualsBruteForceOnTheRealVocabulary() throws {
        let v = Qwen2Vocabulary.shared
        let grammar = v.grammar
        let a = grammar.automaton
        let reasoning = a.reasoningStates[0]
        for prefix in ["“", "“刷", "“加微信", "“abc", "“诈骗:", "“日结300", "，“", "“300，"] {
            var g = QuoteGuard(sources: [Self.text, Self.line])
            let ok = g.feed(Array(prefix.utf8))
            #expect(ok, "prefix \(prefix)")
            let walked = Set(grammar.acceptedTokens(from: reasoning, quotes: g))
            var brute = Set<Int>()
            for t in 0..<grammar.vocabularySize where !grammar.isSpecial[t] {
                let bytes = grammar.bytes(of: t)
                if bytes.isEmpty || a.run(bytes, from: reasoning) == AnswerAutomaton.reject { continue }
                if g.allows(bytes) { brute.insert(t) }
            }
            #expect(walked == brute, "prefix \(prefix): \(walked.count) walked, \(brute.count) by brute force")
            #expect(!brute.isEmpty)
            // Every allowed token keeps the quote inside a source or closes it.
            for t in walked { var c = g; let ok = c.feed(grammar.bytes(of: t)); #expect(ok) }
        }
    }

    @Test func decodingWithARandomPolicyOnlyEverQuotesTheSources() throws {
        let guarded = Self.decodeRandomly(guarded: true)
        #expect(guarded.quotes > 20, "the policy must actually quote for the check to mean anything")
        #expect(guarded.ungrounded.isEmpty, "\(guarded.ungrounded.prefix(5))")
        #expect(guarded.violations == 0 && guarded.unfinished == 0)
        // The same policy without the guard quotes what it likes: the check above can fail.
        let free = Self.decodeRandomly(guarded: false)
        #expect(!free.ungrounded.isEmpty)
    }

    /// 40 answers from a policy that opens quotes half the time it may and otherwise writes pieces of the text and
    /// other words, under `ScoreConstraint` (with or without the quote guard), the answer forced after 120 tokens.
    static func decodeRandomly(guarded: Bool) -> (quotes: Int, ungrounded: [String], violations: Int, unfinished: Int) {
        let v = Qwen2Vocabulary.shared
        let grammar = v.grammar
        let words = ["该", "文本", "招揽", "刷", "单", "兼职", "涉及", "日结", "微信", "老年人", "天气", "”", "，", "。"]
        let pieces = words.compactMap { v.idByBytes[Array($0.utf8)] }
        var rng = SeededRandom(state: 7)
        var quotes = 0, violations = 0, unfinished = 0
        var ungrounded: [String] = []
        for _ in 0..<40 {
            var c = ScoreConstraint(grammar: grammar, answerReserve: ScoreConstraint.guaranteedAnswerReserve,
                                    quotes: guarded ? QuoteGuard(sources: [text, line]) : nil)
            var out: [Int] = []
            for step in 0..<400 where !c.isComplete {
                c.budgetNearlyExhausted(remaining: step >= 120 ? ScoreConstraint.guaranteedAnswerReserve : 400 - step)
                let token: Int
                if let allowed = c.allowedTokens() {
                    token = allowed.randomElement(using: &rng) ?? pieces[0]
                } else {
                    let banned = Set(c.disallowedTokens())
                    let pool = Bool.random(using: &rng) ? grammar.openQuoteTokens : pieces
                    token = pool.filter { !banned.contains($0) }.randomElement(using: &rng) ?? pieces[0]
                }
                c.advance(token: token, probability: 1)
                out.append(token)
            }
            if !c.isComplete { unfinished += 1 }
            violations += c.quotes?.violations ?? 0
            let written = String(decoding: out.flatMap { grammar.bytes(of: $0) }, as: UTF8.self)
            guard let r = written.range(of: "<reasoning>"), let e = written.range(of: "</reasoning>") else { unfinished += 1; continue }
            for quote in closedQuotes(in: String(written[r.upperBound..<e.lowerBound])) {
                quotes += 1
                if !text.contains(quote) && !line.contains(quote) { ungrounded.append(quote) }
            }
        }
        return (quotes, ungrounded, violations, unfinished)
    }

    /// The spans between “ and the next ”, exactly as written (no trimming).
    static func closedQuotes(in s: String) -> [String] {
        var out: [String] = []
        var rest = Substring(s)
        while let a = rest.firstIndex(of: "“") {
            let after = rest.index(after: a)
            guard let b = rest[after...].firstIndex(of: "”") else { break }
            out.append(String(rest[after..<b]))
            rest = rest[rest.index(after: b)...]
        }
        return out
    }
}

/// The evidence-claim ban: no reasoning writes `线索提示` where it is banned, however the tokens split it.
@Suite struct PhraseBanTests {
    static let phrase = "线索提示"

    @Test func theBannedTokensEqualBruteForceAfterEveryTail() {
        let v = Qwen2Vocabulary.shared
        let grammar = v.grammar
        let table = PhraseBan.Table(phrase: Self.phrase, grammar: grammar)
        let p = Array(Self.phrase.utf8)
        for tail in ["", "该", "线", "线索", "线索提", "我说线索提"] {
            var ban = PhraseBan(table)
            ban.feed(Array(tail.utf8))
            // Also mid-character tails: all but the last byte of the tail.
            for cut in [0, 1] {
                var b = PhraseBan(table)
                let bytes = Array(tail.utf8)
                b.feed(bytes.dropLast(min(cut, bytes.count)))
                let written = Array(bytes.dropLast(min(cut, bytes.count))).suffix(p.count - 1)
                let fast = Set(b.banned(grammar))
                var brute = Set<Int>()
                let fresh = bytes.dropLast(min(cut, bytes.count)).isEmpty
                for t in 0..<grammar.vocabularySize where !grammar.isSpecial[t] {
                    let tb = Array(grammar.bytes(of: t))
                    if PhraseBan.Table.contains(Array(written) + tb, p) { brute.insert(t) }
                    // First of all, nothing that begins the phrase either.
                    if fresh && !tb.isEmpty && tb.count < p.count && p.starts(with: tb) { brute.insert(t) }
                }
                #expect(fast == brute, "tail \(tail) cut \(cut): \(fast.count) vs \(brute.count)")
            }
            #expect(ban.completes(Array(Self.phrase.utf8)))
        }
    }

    @Test func aPolicyReachingForThePhraseNeverWritesIt() {
        let v = Qwen2Vocabulary.shared
        let grammar = v.grammar
        let table = PhraseBan.Table(phrase: Self.phrase, grammar: grammar)
        let pieces = ["线", "索", "提", "示", "线索", "提示", "线索提示", "该", "文本", "，"].compactMap { v.idByBytes[Array($0.utf8)] }
        #expect(pieces.count >= 8)
        let order = ["线", "索", "提", "示"].compactMap { v.idByBytes[Array($0.utf8)] }
        #expect(order.count == 4)
        func run(banned: Bool) -> Int {
            var rng = SeededRandom(state: 11)
            var written = 0
            for _ in 0..<30 {
                var c = ScoreConstraint(grammar: grammar, answerReserve: ScoreConstraint.guaranteedAnswerReserve,
                                        claims: banned ? PhraseBan(table) : nil)
                var out: [Int] = []
                for byte in "<reasoning>".utf8 {  // open the reasoning one byte token at a time
                    guard let id = v.idByBytes[[byte]] else { continue }
                    c.advance(token: id, probability: 1)
                    out.append(id)
                }
                for step in 0..<1000 where !c.isComplete {
                    c.budgetNearlyExhausted(remaining: step >= 80 ? ScoreConstraint.guaranteedAnswerReserve : 1000 - step)
                    let token: Int
                    if let allowed = c.allowedTokens() {
                        token = allowed.randomElement(using: &rng) ?? pieces[0]
                    } else {
                        // Mostly the phrase's characters in order, so that it is written unless banned.
                        let no = Set(c.disallowedTokens())
                        let next = order[step % order.count]
                        let pool = Int.random(in: 0..<10, using: &rng) < 8 ? [next] : pieces
                        token = pool.filter { !no.contains($0) }.randomElement(using: &rng)
                            ?? pieces.filter { !no.contains($0) }.randomElement(using: &rng) ?? pieces[0]
                    }
                    c.advance(token: token, probability: 1)
                    out.append(token)
                }
                let text = String(decoding: out.flatMap { grammar.bytes(of: $0) }, as: UTF8.self)
                if text.contains(Self.phrase) { written += 1 }
            }
            return written
        }
        #expect(run(banned: true) == 0)
        #expect(run(banned: false) > 0)  // the same policy without the ban writes it: the check can fail
    }

    /// The evidence a reasoning may quote is the items, not the line's label: with nothing found there is nothing to
    /// quote from it (v3 wrote “线” about texts without the character, taken from `线索：无`).
    @Test func theEvidenceLabelIsNotQuotable() {
        #expect(EvidenceFinder.quotableEvidence([]) == nil)
        let text = "加微信abc123，日结300，刷单"
        let items = EvidenceFinder.find(in: text)
        let quotable = EvidenceFinder.quotableEvidence(items)
        #expect(quotable != nil && !(quotable ?? "").contains("线索") && !items.isEmpty)
        #expect(EvidenceFinder.promptLine(items) == EvidenceFinder.promptLineLabel + (quotable ?? ""))
        // Through the guard: a quote of the label's first character is refused where the text lacks it.
        var guardNone = QuoteGuard(sources: ["那你最想见的人是谁"] + (EvidenceFinder.quotableEvidence([]).map { [$0] } ?? []))
        _ = guardNone.feed(Array("“".utf8))
        #expect(!guardNone.allows(Array("线".utf8)))
        var guardOld = QuoteGuard(sources: ["那你最想见的人是谁", EvidenceFinder.promptLine([])])
        _ = guardOld.feed(Array("“".utf8))
        #expect(guardOld.allows(Array("线".utf8)))  // the label as a source let it through: the check can fail
    }

    /// Which claim the scorer bans: the word 线索 where no evidence was found (so `线索箱…` is kept out too), only the
    /// exact opening where the text says 线索 itself, nothing where there is evidence.
    @Test func theScorerBansTheWordUnlessTheTextUsesIt() {
        #expect(Scorer.bannedClaim(text: "新华社北京电，会议今日召开。", evidenceFound: false) == "线索")
        #expect(Scorer.bannedClaim(text: "警方仍在寻找线索。", evidenceFound: false) == "线索提示")
        #expect(Scorer.bannedClaim(text: "加微信abc123，日结300", evidenceFound: true) == nil)
        // The word's ban covers a mangled claim that the opening's ban lets through.
        let grammar = Qwen2Vocabulary.shared.grammar
        let word = PhraseBan(PhraseBan.Table(phrase: "线索", grammar: grammar))
        let opening = PhraseBan(PhraseBan.Table(phrase: Self.phrase, grammar: grammar))
        #expect(word.completes(Array("线索箱".utf8)))
        #expect(!opening.completes(Array("线索箱".utf8)))
        // Nor may the reasoning begin with the phrase's first character (a mangled claim follows: `线售卖…`); later
        // the character is free (`在线`, `路线`).
        let v = Qwen2Vocabulary.shared
        guard let xian = v.idByBytes[Array("线".utf8)], let zhe = v.idByBytes[Array("这".utf8)] else {
            Issue.record("线 and 这 are single tokens of the Qwen2 vocabulary"); return
        }
        #expect(word.banned(grammar).contains(xian) && !word.banned(grammar).contains(zhe))
        var later = word
        later.feed(Array("这条".utf8))
        #expect(!later.banned(grammar).contains(xian))
    }
}

/// The claim guard: a reasoning that claims evidence names the kinds found, in the training data's form.
@Suite struct ClaimGuardTests {
    /// The claim is the training data's (`tools/model/evidence_lines.py`'s `cited`): the opening, then each kind's
    /// prompt name once, in order of first occurrence, joined by 、, then ；.
    @Test func theClaimNamesTheKindsFoundInOrderOfFirstOccurrence() {
        let text = "张伟手机13912345678，身份证11010519491231002X，备用手机13812345678"
        let items = EvidenceFinder.find(in: text)
        #expect(items.map(\.type) == [.mobile, .idCard, .mobile])
        #expect(ClaimGuard.claim(for: items) == "线索提示手机号、身份证号；")
        #expect(ClaimGuard.claim(for: []) == nil)
        let lexiconOnly = EvidenceFinder.find(in: "澳门首家线上赌场上线啦，注册就送888彩金")
        #expect(!lexiconOnly.isEmpty && lexiconOnly.allSatisfy { $0.type == .lexicon })
        #expect(ClaimGuard.claim(for: lexiconOnly) == "线索提示敏感词；")
        // What the evaluation counts (`evidenceClaims`).
        #expect(ClaimGuard.check(reasoning: "线索提示敏感词；这是一条推广信息", items: lexiconOnly) == .exact)
        #expect(ClaimGuard.check(reasoning: "线索提示敏感词、联系账号；这是一条推广信息", items: lexiconOnly) == .otherKinds)
        #expect(ClaimGuard.check(reasoning: "线索提示身份证号、手机号；…", items: items) == .otherKinds)  // order matters
        #expect(ClaimGuard.check(reasoning: "线索提示敏感词；…", items: []) == .withoutEvidence)
        #expect(ClaimGuard.check(reasoning: "这是一条推广信息", items: lexiconOnly) == .none)
    }

    @Test func whatTheGuardAllowsByteByByte() {
        var g = ClaimGuard(claim: "线索提示敏感词；")
        #expect(g.allows(Array("线索".utf8)) && g.allows(Array("线索提示敏感".utf8)))
        #expect(!g.allows(Array("线索提示联系账号".utf8)))
        #expect(!g.allows(Array("线索提示敏感词、联系账号".utf8)))
        #expect(g.allows(Array("线索提示敏感词；这是一条推广".utf8)))  // a token may run past the claim's end
        #expect(g.allows(Array("这条帖子".utf8)))  // not a claim: free
        g.feed(Array("线索提示敏".utf8))
        #expect(!g.settled && !g.allows(Array("词".utf8)) && g.allows(Array("感词；".utf8)))
        g.feed(Array("感词；".utf8))
        #expect(g.settled && g.allows(Array("线索提示联系账号".utf8)))
        // A reasoning that begins otherwise settles the guard at once.
        var other = ClaimGuard(claim: "线索提示敏感词；")
        other.feed(Array("这".utf8))
        #expect(other.settled && other.banned(Qwen2Vocabulary.shared.grammar).isEmpty)
    }

    /// A policy that mostly writes the claim it expects (a wrong kind beside the right one) writes the right claim
    /// under the guard, and the wrong one without it; one that opens otherwise is not constrained.
    @Test func aPolicyReachingForAWrongClaimWritesTheRightOne() {
        let v = Qwen2Vocabulary.shared
        let grammar = v.grammar
        let claim = "线索提示敏感词；"
        let wrong = ["线索", "提示", "敏感", "词", "、", "联系", "账号", "；", "这", "是", "一条", "推广"]
        let other = ["这", "条", "帖子", "，", "推广", "赌博", "。"]
        let wrongIDs = wrong.compactMap { v.idByBytes[Array($0.utf8)] }
        let otherIDs = other.compactMap { v.idByBytes[Array($0.utf8)] }
        let claimIDs = ["线索", "提示", "敏感", "词", "；"].compactMap { v.idByBytes[Array($0.utf8)] }
        #expect(wrongIDs.count == wrong.count && otherIDs.count == other.count && claimIDs.count == 5,
                "each piece is one token of the Qwen2 vocabulary")
        func reasoning(guarded: Bool, script: [Int]) -> String {
            var c = ScoreConstraint(grammar: grammar, answerReserve: ScoreConstraint.guaranteedAnswerReserve,
                                    evidenceClaim: guarded ? ClaimGuard(claim: claim) : nil)
            var out: [Int] = []
            for byte in "<reasoning>".utf8 {
                guard let id = v.idByBytes[[byte]] else { continue }
                c.advance(token: id, probability: 1); out.append(id)
            }
            var rng = SeededRandom(state: 3)
            for step in 0..<400 where !c.isComplete {
                c.budgetNearlyExhausted(remaining: step >= script.count ? ScoreConstraint.guaranteedAnswerReserve : 400 - step)
                let token: Int
                if let allowed = c.allowedTokens() {
                    token = allowed.randomElement(using: &rng) ?? script[0]
                } else {
                    let no = Set(c.disallowedTokens())
                    // The script's next token when allowed, else the first piece of the claim the guard allows (what
                    // a model made to follow the claim would write).
                    let next = script[min(step, script.count - 1)]
                    token = no.contains(next) ? (claimIDs.first { !no.contains($0) } ?? next) : next
                }
                c.advance(token: token, probability: 1)
                out.append(token)
            }
            let written = String(decoding: out.flatMap { grammar.bytes(of: $0) }, as: UTF8.self)
            guard let r = written.range(of: "<reasoning>"), let e = written.range(of: "</reasoning>") else { return "" }
            return String(written[r.upperBound..<e.lowerBound])
        }
        let guarded = reasoning(guarded: true, script: wrongIDs)
        #expect(guarded.hasPrefix(claim), "\(guarded)")  // the claim ends at its ；: 联系账号 is not named in it
        let free = reasoning(guarded: false, script: wrongIDs)
        #expect(free.hasPrefix("线索提示敏感词、联系账号；"), "the check can fail: \(free)")
        // Opening otherwise: the guard changes nothing.
        #expect(reasoning(guarded: true, script: otherIDs) == reasoning(guarded: false, script: otherIDs))
        #expect(reasoning(guarded: true, script: otherIDs).hasPrefix("这条帖子，推广赌博。"))
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import PropertyBased
import Testing
@testable import Service
import Storage

/// Texts built to hurt a tokenizer and a model's context, sent over a real socket: every one is answered (200 with
/// nine scores and windows that cover the text, or a precise 4xx) and the server is alive afterwards.
enum HostileText {
    /// The character classes a case is built from.
    enum Piece: CaseIterable {
        case ascii, cjk, cjkExtensionB, emoji, emojiZWJ, combining, control, rtl, bidiControl, noPunctuationRun, punctuation, whitespace, mixed
    }

    /// A deterministic text of exactly `length` Unicode scalars (when length > 0) from `seed`.
    /// U+0000 (refused by name: `invalid_text`) appears in about one control-character run in sixteen, unless `nul` is false.
    static func make(seed: UInt64, length: Int, nul: Bool = true) -> (text: String, classes: Set<Piece>) {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func pick(_ range: ClosedRange<UInt32>) -> Unicode.Scalar {
            Unicode.Scalar(range.lowerBound + UInt32(next() % UInt64(range.count))) ?? "?"
        }
        var scalars: [Unicode.Scalar] = []
        var classes: Set<Piece> = []
        while scalars.count < length {
            let piece = Piece.allCases[Int(next() % UInt64(Piece.allCases.count))]
            classes.insert(piece)
            let run = 1 + Int(next() % 40)
            var add: [Unicode.Scalar] = []
            switch piece {
            case .ascii: for _ in 0..<run { add.append(pick(0x20...0x7E)) }
            case .cjk: for _ in 0..<run { add.append(pick(0x4E00...0x9FFF)) }
            case .cjkExtensionB: for _ in 0..<run { add.append(pick(0x20000...0x2A6DF)) }
            case .emoji: for _ in 0..<run { add.append(pick(0x1F300...0x1FAFF)) }
            case .emojiZWJ:
                // 👨‍👩‍👧‍👦, 🏳️‍🌈 and a skin-toned hand: sequences that are one grapheme of several scalars.
                let sequences: [[UInt32]] = [[0x1F468, 0x200D, 0x1F469, 0x200D, 0x1F467, 0x200D, 0x1F466],
                                             [0x1F3F3, 0xFE0F, 0x200D, 0x1F308], [0x1F44B, 0x1F3FD]]
                for _ in 0..<max(1, run / 6) { add += sequences[Int(next() % 3)].compactMap(Unicode.Scalar.init) }
            case .combining:
                for _ in 0..<max(1, run / 4) {
                    add.append(pick(0x61...0x7A))
                    for _ in 0..<(1 + Int(next() % 6)) { add.append(pick(0x0300...0x036F)) }
                }
            case .control:
                for _ in 0..<run { add.append(next() % 4 == 0 ? pick(0x7F...0x9F) : pick(0x01...0x1F)) }
                if nul, next() % 16 == 0 { add.insert("\u{0}", at: Int(next() % UInt64(add.count))) }
            case .rtl: for _ in 0..<run { add.append(next() % 2 == 0 ? pick(0x05D0...0x05EA) : pick(0x0627...0x064A)) }
            case .bidiControl: for _ in 0..<max(1, run / 4) { add.append(pick(0x202A...0x202E)); add.append(pick(0x2066...0x2069)) }
            case .noPunctuationRun: for _ in 0..<(run * 50) { add.append(pick(0x4E00...0x4FFF)) }
            case .punctuation: for _ in 0..<max(1, run / 5) { add.append(["。", "！", "？", "…", ".", "\n", "，", "；"][Int(next() % 8)]) }
            case .whitespace: for _ in 0..<max(1, run / 5) { add.append([" ", "\u{3000}", "\t", "\u{00A0}", "\u{200B}"][Int(next() % 5)]) }
            case .mixed: add += Array("Hello 世界, это тест — 𠀀 שלום 123!".unicodeScalars)
            }
            scalars += add.prefix(length - scalars.count)
        }
        return (String(String.UnicodeScalarView(scalars)), classes)
    }
}

@Suite(.serialized) struct HostileTextTests {
    /// Random texts of random lengths up to the ceiling, through `POST /v1/score` on a live socket.
    @Test func randomHostileTextsAreAnsweredAndTheServerStaysUp() async throws {
        let ceiling = 20_000
        // window_tokens 0: windows as long as the tiny model's context allows, so a 20,000-character text takes a
        // handful of passes of this random model (which always writes its longest answer).
        let t = try await TestApp.make { $0.windowTokens = 0; $0.maxTextCharacters = ceiling; $0.maxBatch = 8 }
        defer { Task { await t.close() } }
        let stats = Stats()
        try await t.application.test(.live) { client in
            // Half the cases short (where blank and one-class texts are likely), half anywhere up to the ceiling.
            let lengths = Gen.oneOf(Gen.int(in: 1...48), Gen.int(in: 1...ceiling))
            await propertyCheck(count: 40, input: Gen<UInt64>.value(in: 0...UInt64.max), lengths) { seed, length in
                let (text, classes) = HostileText.make(seed: seed, length: length)
                let body = try JSONSerialization.data(withJSONObject: ["text": text])
                stats.sending()
                let r = try await client.call(.post, "/v1/score", key: t.clientKey, bytes: Array(body))
                let isBlank = Service.isBlank(text)
                let hasNUL = text.unicodeScalars.contains("\u{0}")
                switch r.status {
                case .ok:
                    #expect(!isBlank && !hasNUL)
                    let windows = try #require(r.body["windows"] as? [[String: Any]])
                    #expect(windows.first?["start"] as? Int == 0)
                    #expect(windows.last?["end"] as? Int == text.unicodeScalars.count)
                    if r.body["format_ok"] as? Bool == true { #expect((r.body["scores"] as? [String: Any])?.count == 9) }
                    stats.record(length: length, classes: classes, windows: windows.count, ok: true)
                case .badRequest:
                    let expected = hasNUL ? "invalid_text" : isBlank ? "empty_text" : "none"
                    #expect(errorCode(r.body) == expected, "400 \(errorCode(r.body) ?? "?") for a text (blank: \(isBlank), NUL: \(hasNUL))")
                    stats.record(length: length, classes: classes, windows: 0, ok: false)
                default:
                    Issue.record("status \(r.status.code) \(errorCode(r.body) ?? "") for a text of \(length) scalars (seed \(seed))")
                }
            }
            // The longest case and one past the ceiling, every time.
            let longest = HostileText.make(seed: 7, length: ceiling, nul: false).text
            stats.sending()
            let ok = try await client.call(.post, "/v1/score", key: t.clientKey, bytes: Array(try JSONSerialization.data(withJSONObject: ["text": longest])))
            #expect(ok.status == .ok)
            stats.record(length: ceiling, classes: [], windows: (ok.body["windows"] as? [Any])?.count ?? 0, ok: ok.status == .ok)
            let over = HostileText.make(seed: 8, length: ceiling + 1, nul: false).text
            let refused = try await client.call(.post, "/v1/score", key: t.clientKey, bytes: Array(try JSONSerialization.data(withJSONObject: ["text": over])))
            #expect(refused.status == .badRequest && errorCode(refused.body) == "text_too_long")
            // Still alive, and every 200 is on disk (a request the client stopped waiting for on a loaded machine may
            // be stored as well, never more than were sent).
            let health = try await client.execute(uri: "/healthz", method: .get) { $0.status }
            #expect(health == .ok)
            let stored = try await t.service.database.requests.count()
            #expect(stored >= stats.answered && stored <= stats.attempted, "\(stored) stored, \(stats.answered) answered 200, \(stats.attempted) sent")
        }
        let s = stats.summary
        print("hostile texts: \(s.cases) cases, \(s.answered) answered 200, longest \(s.longest) characters, up to \(s.maxWindows) windows, classes covered: \(s.classes.count)/\(HostileText.Piece.allCases.count)")
        #expect(s.classes.count == HostileText.Piece.allCases.count)
    }

    /// The issue's own case: a news-length text past what the model takes in one pass, with the embedded model's
    /// small windows, is answered with windows whose spans tile the text.
    @Test func aLongTextIsScoredInOverlappingWindows() async throws {
        let t = try await TestApp.make { $0.windowTokens = 400; $0.maxBatch = 8 }
        defer { Task { await t.close() } }
        let sentence = "市政府今天召开新闻发布会，介绍了今年城市交通建设和公共服务的最新进展。"
        let text = String(repeating: sentence, count: 60)
        try await t.application.test(.live) { client in
            let body = try JSONSerialization.data(withJSONObject: ["text": text])
            let r = try await client.call(.post, "/v1/score", key: t.clientKey, bytes: Array(body))
            #expect(r.status == .ok)
            let windows = try #require(r.body["windows"] as? [[String: Any]])
            #expect(windows.count > 1)
            var end = 0
            for w in windows {
                let s = try #require(w["start"] as? Int), e = try #require(w["end"] as? Int)
                #expect(s <= end && e > end, "windows must tile the text without gaps")
                end = e
                #expect(w["decides"] is [Any])
            }
            #expect(end == text.unicodeScalars.count)
            // The stored request keeps the whole text and its windows.
            let id = try #require(r.body["id"] as? String)
            let stored = try #require(try await t.service.database.requests.get(id: id))
            #expect(stored.text == text && stored.windows.count == windows.count)
            let detail = try await client.call(.get, "/v1/requests/\(id)", key: t.reviewerKey)
            #expect(((detail.body["request"] as? [String: Any])?["windows"] as? [Any])?.count == windows.count)
        }
    }

    /// An undeclared method on a known path is a 405 that names the allowed ones; an unknown path stays a 404.
    @Test func undeclaredMethodsAre405WithAllow() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        try await t.application.test(.live) { client in
            let r = try await client.call(.init("TRACE")!, "/v1/score", key: t.clientKey)
            #expect(r.status == .methodNotAllowed)
            #expect(errorCode(r.body) == "method_not_allowed")
            #expect(r.headers[.allow] == "POST")
            let put = try await client.call(.put, "/v1/requests/0193f5c2-7a1e-7b3c-9d4e-5f6a7b8c9d0e", key: t.reviewerKey)
            #expect(put.status == .methodNotAllowed && put.headers[.allow] == "GET")
            let missing = try await client.call(.get, "/v1/no-such-thing", key: t.clientKey)
            #expect(missing.status == .notFound)
        }
    }
}

private final class Stats: @unchecked Sendable {
    private let lock = NSLock()
    private var cases = 0, ok = 0, longest = 0, maxWindows = 0, sent = 0
    private var classes: Set<HostileText.Piece> = []

    /// A request is about to be sent (it may be stored even if the client stops waiting for its answer).
    func sending() { lock.lock(); sent += 1; lock.unlock() }
    var attempted: Int { lock.lock(); defer { lock.unlock() }; return sent }

    func record(length: Int, classes c: Set<HostileText.Piece>, windows: Int, ok answered: Bool) {
        lock.lock(); defer { lock.unlock() }
        cases += 1
        if answered { ok += 1 }
        longest = max(longest, length)
        maxWindows = max(maxWindows, windows)
        classes.formUnion(c)
    }

    /// Cases answered 200 so far.
    var answered: Int { lock.lock(); defer { lock.unlock() }; return ok }

    var summary: (cases: Int, answered: Int, longest: Int, maxWindows: Int, classes: Set<HostileText.Piece>) {
        lock.lock(); defer { lock.unlock() }
        return (cases, ok, longest, maxWindows, classes)
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Service
import Storage

@Suite(.serialized) struct ScoreRouteTests {
    /// Every answer carries a verdict under the service's policy or the request's own; bad policies are 400s.
    @Test func verdictsFollowThePolicyAndRequestsMayOverrideIt() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let plain = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "今天天气很好。"}"#)
            #expect(["pass", "review", "block"].contains(plain.body["verdict"] as? String ?? ""))
            #expect((plain.body["verdict_reason"] as? String)?.hasPrefix(plain.body["verdict"] as? String ?? "?") == true)
            let cases: [(String, String)] = [
                (#"{"block_below": 101, "min_confidence": 0}"#, "block"),
                (#"{"block_below": 0, "review_below": 101, "min_confidence": 0}"#, "review"),
                (#"{"block_below": 0, "review_below": 0, "min_confidence": 0}"#, "pass"),
                (#"{"block_below": {"bias": 101, "敏感词": 0}, "review_below": 0, "min_confidence": 0}"#, "block"),
            ]
            for (policy, verdict) in cases {
                let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "今天天气很好。", "policy": \#(policy)}"#)
                #expect(r.status == .ok, "\(r.body)")
                #expect(r.body["verdict"] as? String == verdict, "\(policy): \(r.body["verdict_reason"] ?? "")")
                let id = try #require(r.body["id"] as? String)
                #expect(try await t.service.database.requests.get(id: id)?.verdict == verdict)
            }
            let bad: [(String, String)] = [
                (#"{"block_below": 102}"#, "invalid_policy"),
                (#"{"min_confidence": 1.5}"#, "invalid_policy"),
                (#"{"block_below": {"nope": 3}}"#, "unknown_dimension"),
                (#"{"block_below": "high"}"#, "wrong_type"),
                (#"{"strict": true}"#, "unknown_field"),
                ("5", "wrong_type"),
            ]
            for (policy, code) in bad {
                let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "今天天气很好。", "policy": \#(policy)}"#)
                #expect(r.status == .badRequest && errorCode(r.body) == code, "\(policy): \(r.body)")
            }
        }
    }

    /// The evidence stage's facts come back with the answer and with the logged request, with code-point offsets;
    /// a number with a wrong check character is not evidence.
    @Test func answersCarryTheEvidenceFound() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        // 11010519491231002X has a valid GB 11643 check character; 110105199003072316 does not.
        let text = "😀我的身份证号是11010519491231002X，手机13812345678，另一个号码110105199003072316"
        try await t.application.test(.router) { client in
            let body = try JSONSerialization.data(withJSONObject: ["text": text])
            let r = try await client.call(.post, "/v1/score", key: t.clientKey, bytes: Array(body))
            #expect(r.status == .ok)
            let evidence = try #require(r.body["evidence"] as? [[String: Any]])
            #expect(evidence.compactMap { $0["type"] as? String } == ["id_card", "mobile"])
            let scalars = Array(text.unicodeScalars)
            let id = try #require(evidence.first)
            let start = try #require(id["start"] as? Int), end = try #require(id["end"] as? Int)
            #expect(String(String.UnicodeScalarView(scalars[start..<end])) == "11010519491231002X")
            #expect((id["masked"] as? String)?.contains("*") == true)
            let detail = try await client.call(.get, "/v1/requests/\(try #require(r.body["id"] as? String))", key: t.reviewerKey)
            #expect(((detail.body["request"] as? [String: Any])?["evidence"] as? [Any])?.count == 2)
        }
    }

    @Test func scoringReturnsNineScoresAndLogsTheRowBeforeAnswering() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "这是一段普通的文本。", "metadata": {"source": "unit"}}"#)
            #expect(r.status == .ok)
            let scores = try #require(r.body["scores"] as? [String: Int])
            #expect(scores.count == 9)
            #expect(scores["敏感词"] != nil)
            #expect((r.body["confidence"] as? [String: Double])?.count == 9)
            #expect(r.body["format_ok"] as? Bool == true)
            #expect((r.body["model"] as? [String: Any])?["base"] as? String == "tiny-random")
            let id = try #require(r.body["id"] as? String)
            let stored = try #require(try await t.service.database.requests.get(id: id))
            #expect(stored.text == "这是一段普通的文本。")
            #expect(stored.clientKeyID == t.clientKeyID)
            #expect(stored.metadata == .object(["source": .string("unit")]))
            #expect(stored.scores[.sensitiveWords] == scores["敏感词"])
        }
    }

    @Test func batchFormScoresEveryTextInOrder() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"texts": ["第一段", "第二段"]}"#)
            #expect(r.status == .ok)
            let results = try #require(r.body["results"] as? [[String: Any]])
            #expect(results.count == 2)
            for item in results {
                let id = try #require(item["id"] as? String)
                #expect(try await t.service.database.requests.get(id: id) != nil)
            }
            let big = "[" + (0..<17).map { "\"t\($0)\"" }.joined(separator: ",") + "]"
            let tooMany = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"texts": \#(big)}"#)
            #expect(tooMany.status == .badRequest)
            #expect(errorCode(tooMany.body) == "batch_too_large")
        }
    }

    @Test func clientRequestIDMakesRetriesIdempotent() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let body = #"{"text": "重试的文本", "client_request_id": "req-42"}"#
            let a = try await client.call(.post, "/v1/score", key: t.clientKey, json: body)
            let b = try await client.call(.post, "/v1/score", key: t.clientKey, json: body)
            #expect(a.status == .ok && b.status == .ok)
            #expect(a.body["id"] as? String == b.body["id"] as? String)
            #expect(a.body["replayed"] as? Bool == false)
            #expect(b.body["replayed"] as? Bool == true)
            #expect(try await t.service.database.requests.count() == 1)
            let c = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "另一段文本", "client_request_id": "req-42"}"#)
            #expect(c.status == .conflict)
            #expect(errorCode(c.body) == "client_request_id_reused")
        }
    }

    @Test func badInputGetsPreciseErrorsAndWritesNothing() async throws {
        let t = try await TestApp.make { $0.maxTextCharacters = 50; $0.maxBodyBytes = 4096 }
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let cases: [(String?, [UInt8]?, HTTPResponse.Status, String)] = [
                ("{\"text\": \"abc\"", nil, .badRequest, "malformed_json"),
                ("[1, 2]", nil, .badRequest, "expected_object"),
                ("", nil, .badRequest, "empty_body"),
                (#"{"text": 5}"#, nil, .badRequest, "wrong_type"),
                (#"{"metadata": {}}"#, nil, .badRequest, "missing_field"),
                (#"{"text": ""}"#, nil, .badRequest, "empty_text"),
                (#"{"text": "   \n "}"#, nil, .badRequest, "empty_text"),
                ("{\"text\": \"\u{FEFF}\u{3000}\\u001c\"}", nil, .badRequest, "empty_text"),
                (#"{"text": "\u0000开头的文本"}"#, nil, .badRequest, "invalid_text"),
                (#"{"text": "ok", "txet": "typo"}"#, nil, .badRequest, "unknown_field"),
                (#"{"text": "ok", "metadata": "not an object"}"#, nil, .badRequest, "wrong_type"),
                (#"{"text": "\#(String(repeating: "长", count: 51))"}"#, nil, .badRequest, "text_too_long"),
                (#"{"text": "\#(String(repeating: "a", count: 5000))"}"#, nil, .contentTooLarge, "body_too_large"),
                (nil, Array(#"{"text": ""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8), .badRequest, "invalid_utf8"),
                (#"{"text": "a", "texts": ["b"]}"#, nil, .badRequest, "conflicting_fields"),
                (#"{"texts": []}"#, nil, .badRequest, "empty_batch"),
                (#"{"texts": ["ok", 3]}"#, nil, .badRequest, "wrong_type"),
            ]
            for (json, bytes, status, code) in cases {
                let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: json, bytes: bytes)
                #expect(r.status == status, "\(json ?? "bytes"): \(r.status) \(r.body)")
                #expect(errorCode(r.body) == code, "\(json ?? "bytes"): \(r.body)")
                #expect(!errorMessage(r.body).isEmpty)
            }
            #expect(try await t.service.database.requests.count() == 0)
        }
    }

    @Test func missingRevokedAndWrongKeysAreRefused() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let none = try await client.call(.post, "/v1/score", key: nil, json: #"{"text": "x"}"#)
            #expect(none.status == .unauthorized)
            #expect(errorCode(none.body) == "unauthenticated")
            #expect(none.headers[.wwwAuthenticate] == "Bearer")
            let unknown = try await client.call(.post, "/v1/score", key: "cs_not_a_real_key", json: #"{"text": "x"}"#)
            #expect(unknown.status == .unauthorized)
            #expect(errorCode(unknown.body) == "invalid_key")
            let created = try await t.service.database.apiKeys.create(role: .client, label: "to revoke")
            _ = try await t.service.database.apiKeys.revoke(id: created.key.id)
            let revoked = try await client.call(.post, "/v1/score", key: created.secret, json: #"{"text": "x"}"#)
            #expect(revoked.status == .unauthorized)
            #expect(errorCode(revoked.body) == "revoked_key")
            let wrongRole = try await client.call(.get, "/v1/requests", key: t.clientKey)
            #expect(wrongRole.status == .forbidden)
            #expect(errorCode(wrongRole.body) == "forbidden")
            let notAdmin = try await client.call(.post, "/v1/admin/retrain", key: t.reviewerKey)
            #expect(notAdmin.status == .forbidden)
        }
    }

    @Test func perKeyRateLimitAnswers429WithRetryAfter() async throws {
        let t = try await TestApp.make { $0.rateLimitBurst = 2; $0.rateLimitPerSecond = 0.01 }
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            for _ in 0..<2 { #expect(try await client.call(.get, "/v1/me", key: t.clientKey).status == .ok) }
            let limited = try await client.call(.get, "/v1/me", key: t.clientKey)
            #expect(limited.status == .tooManyRequests)
            #expect(errorCode(limited.body) == "rate_limited")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // Other keys have their own bucket.
            #expect(try await client.call(.get, "/v1/me", key: t.reviewerKey).status == .ok)
        }
    }

    @Test func aFullScoringQueueAnswers503WithRetryAfter() async throws {
        let t = try await TestApp.make { $0.queueCapacity = 1; $0.maxBatch = 1 }
        defer { Task { await t.close() } }
        try await t.application.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?, String?).self) { group in
                for i in 0..<6 {
                    group.addTask {
                        let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "并发 \#(i)"}"#)
                        return (r.status, r.headers[.retryAfter], r.body["id"] as? String)
                    }
                }
                var out: [(HTTPResponse.Status, String?, String?)] = []
                for try await s in group { out.append(s) }
                return out
            }
            // Compare codes: inside these closures `== .ok` type-checks against an unexpected overload.
            let refused = statuses.filter { $0.0.code == 503 }
            #expect(!refused.isEmpty)
            #expect(refused.allSatisfy { $0.1 == "1" })
            var accepted = 0
            for s in statuses where s.0.code == 200 { accepted += 1 }
            #expect(accepted >= 1)
            // Every request answered 200 is in the database.
            for id in statuses.compactMap(\.2) {
                #expect(try await t.service.database.requests.get(id: id) != nil, "acknowledged request \(id) is not stored")
            }
            let stored = try await t.service.database.requests.count()
            #expect(stored == accepted, "statuses: \(statuses.map { ($0.0.code, $0.2 ?? "-") }), stored \(stored)")
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Service
import Storage

@Suite(.serialized) struct ReviewRouteTests {
    /// Logs a request directly (no model run) and returns its id.
    func logRequest(_ t: TestApp, text: String = "待审核的文本", confidence: Double = 0.5, score: Int = 80) async throws -> String {
        let row = NewScoredRequest(text: text, clientKeyID: t.clientKeyID, reasoning: "模型的理由", scores: PerDimension(repeating: score),
                                   confidence: PerDimension(repeating: confidence), formatOK: true, rawOutput: "<reasoning>…</reasoning>",
                                   modelID: "tiny-random", latencyMs: 12, promptTokens: 100, completionTokens: 50)
        return try await t.service.database.requests.insert(row).request.id
    }

    @Test func aReviewerCorrectsARequestAndItLeavesTheQueue() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        let sure = try await logRequest(t, text: "很确定", confidence: 0.99)
        let unsure = try await logRequest(t, text: "不确定", confidence: 0.2)
        try await t.application.test(.router) { client in
            let queue = try await client.call(.get, "/v1/review-queue", key: t.reviewerKey)
            #expect(queue.status == .ok)
            let ids = (queue.body["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids == [unsure, sure])
            let body = #"{"scores": \#(scoresJSON(100, override: ["带有偏见、仇恨、歧视或侮辱": "20"])), "reasoning": "含有地域歧视。", "note": "复核"}"#
            let r = try await client.call(.post, "/v1/requests/\(unsure)/corrections", key: t.reviewerKey, json: body)
            #expect(r.status == .created, "\(r.body)")
            #expect((r.body["scores"] as? [String: Int])?["带有偏见、仇恨、歧视或侮辱"] == 20)
            #expect(r.headers[.location] == "/v1/requests/\(unsure)")
            let after = try await client.call(.get, "/v1/review-queue", key: t.reviewerKey)
            #expect((after.body["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [sure])
            let detail = try await client.call(.get, "/v1/requests/\(unsure)", key: t.reviewerKey)
            #expect((detail.body["corrections"] as? [[String: Any]])?.count == 1)
            let stored = try await t.service.database.corrections.latest(requestID: unsure)
            #expect(stored?.scores[.bias] == 20)
            #expect(stored?.reasoning == "含有地域歧视。")
            // A second correction wins.
            _ = try await client.call(.post, "/v1/requests/\(unsure)/corrections", key: t.reviewerKey, json: #"{"scores": \#(scoresJSON(90))}"#)
            #expect(try await t.service.database.corrections.latest(requestID: unsure)?.scores[.bias] == 90)
        }
    }

    @Test func badCorrectionsAreRefusedByName() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        let id = try await logRequest(t)
        try await t.application.test(.router) { client in
            let cases: [(String, String, HTTPResponse.Status, String)] = [
                (id, #"{"scores": \#(scoresJSON(100, override: ["敏感词": "101"]))}"#, .badRequest, "score_out_of_range"),
                (id, #"{"scores": \#(scoresJSON(100, override: ["敏感词": "-1"]))}"#, .badRequest, "score_out_of_range"),
                (id, #"{"scores": \#(scoresJSON(100, override: ["敏感词": "85.5"]))}"#, .badRequest, "invalid_score"),
                (id, #"{"scores": \#(scoresJSON(100, override: ["敏感词": "\"85\""]))}"#, .badRequest, "invalid_score"),
                (id, #"{"scores": {"商业违规": 100}}"#, .badRequest, "missing_dimension"),
                (id, #"{"scores": {"商业违规": 100, "不存在的维度": 3}}"#, .badRequest, "unknown_dimension"),
                (id, #"{"scores": {"商业违规": 100, "commercial": 90}}"#, .badRequest, "mixed_dimension_keys"),
                (id, #"{"scores": \#(scoresJSON(100)), "extra": 1}"#, .badRequest, "unknown_field"),
                (id, #"{"reasoning": "没有分数"}"#, .badRequest, "missing_field"),
                ("no-such-request", #"{"scores": \#(scoresJSON(100))}"#, .notFound, "not_found"),
            ]
            for (target, json, status, code) in cases {
                let r = try await client.call(.post, "/v1/requests/\(target)/corrections", key: t.reviewerKey, json: json)
                #expect(r.status == status, "\(json): \(r.body)")
                #expect(errorCode(r.body) == code, "\(json): \(r.body)")
            }
            // JSON Schema's integer: 35.0 is the integer 35.
            let integral = try await client.call(.post, "/v1/requests/\(id)/corrections", key: t.reviewerKey,
                                                 json: #"{"scores": \#(scoresJSON(100, override: ["敏感词": "35.0"]))}"#)
            #expect(integral.status == .created, "\(integral.body)")
            #expect(try await t.service.database.corrections.list(requestID: id).first?.scores[.sensitiveWords] == 35)
            let client403 = try await client.call(.post, "/v1/requests/\(id)/corrections", key: t.clientKey, json: #"{"scores": \#(scoresJSON(100))}"#)
            #expect(client403.status == .forbidden)
            #expect(try await t.service.database.corrections.list(requestID: id).count == 1)
            let missing = try await client.call(.get, "/v1/requests/nope", key: t.reviewerKey)
            #expect(missing.status == .notFound)
        }
    }

    @Test func requestListFiltersAndPages() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }

        var lowIDs: [String] = []
        for i in 0..<5 { lowIDs.append(try await logRequest(t, text: "低分 \(i)", score: 30)) }
        let low = lowIDs
        for i in 0..<3 { _ = try await logRequest(t, text: "高分 \(i)", score: 95) }
        try await t.application.test(.router) { client in
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/requests?below.bias=50&limit=2" + (cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? "")
                let r = try await client.call(.get, uri, key: t.reviewerKey)
                #expect(r.status == .ok, "\(r.body)")
                seen += (r.body["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = r.body["next_cursor"] as? String
            } while cursor != nil
            #expect(Set(seen) == Set(low))
            #expect(seen.count == 5)
            let bad = try await client.call(.get, "/v1/requests?below.bias=abc", key: t.reviewerKey)
            #expect(bad.status == .badRequest)
            let unknown = try await client.call(.get, "/v1/requests?colour=red", key: t.reviewerKey)
            #expect(errorCode(unknown.body) == "unknown_parameter")
            let badCursor = try await client.call(.get, "/v1/requests?cursor=garbage", key: t.reviewerKey)
            #expect(errorCode(badCursor.body) == "invalid_cursor")
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Service
import Scoring
import Storage
import Training

/// The dashboard end to end: the real server on a free local port (temporary SQLite file, tiny model, public/ as
/// the static root), a reviewer in headless Chromium, and the database checked through the Storage API.
/// Screenshots of each step go to `$BROWSER_SCREENSHOTS/dashboard-e2e` (a temporary folder when unset).
@Suite(.serialized) struct DashboardEndToEndTests {
    /// A long text scored in windows: the request page lists the windows, marks the span that decided a low score
    /// in the text (as text, never markup) and shows the verdict.
    @Test func theRequestPageShowsWindowsAndMarksTheDecidingSpan() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        let reviewer = try await t.service.database.apiKeys.create(role: .reviewer, label: "bob")
        let shots = try screenshotFolder("dashboard-windows")
        let benign = String(repeating: "市政府今天介绍了城市交通建设的进展。", count: 12)
        let offensive = "<i>河南人都是骗子</i>，滚出我们城市！"
        let text = benign + offensive + benign
        let start = benign.unicodeScalars.count, end = start + offensive.unicodeScalars.count
        var biased = PerDimension<Int?>(repeating: 100)
        biased[.bias] = 35
        let windows = [
            RequestWindow(start: 0, end: start, scores: PerDimension(repeating: 100), reasoning: "新闻报道，未发现问题。", formatOK: true, decides: []),
            RequestWindow(start: start - 18, end: end + 18, scores: biased, reasoning: "针对地域群体的侮辱。", formatOK: true, decides: [.bias]),
            RequestWindow(start: end, end: text.unicodeScalars.count, scores: PerDimension(repeating: 100), reasoning: "新闻报道，未发现问题。",
                          formatOK: true, decides: Dimension.allCases.filter { $0 != .bias }),
        ]
        let stored = try await t.service.database.requests.insert(NewScoredRequest(
            text: text, clientKeyID: t.clientKeyID, reasoning: "第2/3段：针对地域群体的侮辱。", scores: biased,
            confidence: PerDimension(repeating: 0.9), formatOK: true, rawOutput: "", modelID: "tiny-random", latencyMs: 5,
            promptTokens: 900, completionTokens: 300, windows: windows, verdict: "block")).request

        try await t.application.test(.live) { client in
            let port = try #require(client.port)
            try await Browser.run { browser in
                try await signIn(browser, port: port, key: reviewer.secret, then: "#/requests/\(stored.id)")
                try await browser.waitFor(testID: "detail-windows", timeout: 30)
                #expect(try await browser.count("detail-window") == 3)
                // The marked span is the deciding window's, shown as text (the <i> is not markup).
                let marked = try await browser.text("detail-text-mark")
                #expect(marked.contains(offensive))
                #expect(try await browser.count("detail-text-mark") == 1)
                let italics = try await browser.evaluate("document.querySelectorAll('[data-testid=detail-text] i').length")
                #expect(italics == .number(0))
                #expect(try await browser.text("verdict") == "拦截")
                try await browser.screenshot(to: shots.appendingPathComponent("request-windows.png").path, fullPage: true)
            }
        }
    }

    /// The run page explains the gate per dimension: which dimensions the reviewers flagged against which the model
    /// flagged (an ad called an insult is off the diagonal), the severity bands, the control set and each limit.
    @Test func theRunPageShowsTheDimensionConfusionTheControlSetAndTheLimits() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        func s(_ commercial: Int, _ bias: Int) throws -> DimensionScores {
            try DimensionScores(values: [commercial, 100, bias, 100, 100, 100, 100, 100, 100])
        }
        let refs = [try s(35, 100), try s(35, 100), try s(100, 100), try s(100, 30)]
        let candidate = try EvalMetrics.evaluate(predictions: [try s(100, 35), try s(35, 100), try s(100, 100), try s(100, 30)]
            .map { EvalPrediction(scores: $0, formatOK: true) }, references: refs)
        let active = try EvalMetrics.evaluate(predictions: [try s(100, 100), try s(100, 100), try s(100, 100), try s(100, 40)]
            .map { EvalPrediction(scores: $0, formatOK: true) }, references: refs)
        let gate = EvalGateConfig(dimensionTolerances: ["bias": 0])
        let decision = EvalGate.decide(candidate: candidate, active: active, config: gate, control: (candidate: active, active: active))
        func json<T: Encodable>(_ value: T) throws -> JSONValue {
            try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
        }
        var fields: [String: JSONValue] = [:]
        fields["candidate"] = RetrainService.headline(candidate)
        fields["active"] = RetrainService.headline(active)
        fields["candidate_report"] = try json(candidate)
        fields["active_report"] = try json(active)
        fields["decision"] = try json(decision)
        fields["gate"] = try json(gate)
        fields["held_out"] = .int(4)
        let controlFields: [String: JSONValue] = ["items": .int(4), "candidate": RetrainService.headline(active),
                                                  "active": RetrainService.headline(active)]
        fields["control"] = .object(controlFields)
        let eval = JSONValue.object(fields)
        let run = try await t.service.database.trainingRuns.create(trigger: .schedule, requestedBy: nil)
        _ = try await t.service.database.trainingRuns.transition(id: run.id, to: .running, decision: nil, error: nil)
        // The gate tried the trained adapter and a step toward it (`candidate_fractions`), then the adapter after SFT
        // (`candidate_stages`), refusing all three.
        var summary = RetrainSummary()
        summary.gateTrials = [GateTrial(fraction: 1, heldOutMAE: 2.5, controlMAE: 1.9, accepted: false, reasons: ["control bias +1.50"]),
                              GateTrial(fraction: 0.75, heldOutMAE: 3.25, controlMAE: 1.7, accepted: false, reasons: ["control bias +1.20"]),
                              GateTrial(stage: .sft, fraction: 1, heldOutMAE: 3.5, controlMAE: 1.6, accepted: false, reasons: ["overall MAE 3.000 → 3.500"])]
        summary.candidateFraction = 1
        summary.candidateStage = .sft
        try await t.service.database.trainingRuns.recordResults(id: run.id, metrics: try json(summary), eval: eval, candidateAdapterID: nil,
                                                                lastCorrectionID: 0)
        _ = try await t.service.database.trainingRuns.transition(id: run.id, to: .rejected, decision: "kept the base model", error: nil)
        let shots = try screenshotFolder("dashboard-run")

        try await t.application.test(.live) { client in
            let port = try #require(client.port)
            try await Browser.run { browser in
                try await signIn(browser, port: port, key: t.adminKey, then: "#/runs/\(run.id)")
                try await browser.waitFor(testID: "run-state", timeout: 30)
                try await browser.waitFor(testID: "run-eval-flags", timeout: 30)
                func cell(_ table: String, _ pair: String) async throws -> String {
                    try await browser.evaluate("document.querySelector('[data-testid=\(table)] [data-cell=\"\(pair)\"]')?.textContent ?? ''").string ?? ""
                }
                // The candidate called one ad an insult and found the other; the active model missed both.
                #expect(try await cell("run-flags-candidate", "commercial:bias") == "1")
                #expect(try await cell("run-flags-candidate", "commercial:commercial") == "1")
                #expect(try await cell("run-flags-active", "commercial:none") == "2")
                #expect(try await cell("run-flags-active", "bias:bias") == "1")
                // The per-dimension limit and the control set are on the page.
                #expect(try await browser.text("eval-mae-bias").contains("≤ +0"))
                #expect(try await browser.text("eval-mae-commercial").contains("≤ +2"))
                #expect(try await browser.count("eval-control-mae") == 1)
                #expect(try await browser.count("run-bands-commercial") == 1)
                // The candidates the gate tried, in order, each with its figures and why it was refused.
                let trials = try await browser.evaluate(
                    "[...document.querySelectorAll('[data-testid=run-gate-trials] tbody tr')].map(r => r.dataset.stage + '|' + r.dataset.fraction + '|' + r.textContent).join('\\n')").string ?? ""
                let rows = trials.split(separator: "\n").map(String.init)
                #expect(rows.count == 3 && rows[0].hasPrefix("trained|1|") && rows[1].hasPrefix("trained|0.75|") && rows[2].hasPrefix("sft|1|"), "\(trials)")
                #expect(rows[1].contains("3.25") && rows[1].contains("control bias +1.20"), "\(trials)")
                #expect(rows.last?.contains("3.5") == true && rows.last?.contains("overall MAE 3.000 → 3.500") == true, "\(trials)")
                // The stage is named in the page's language, not as the configuration's key.
                #expect(rows.last?.contains("SFT") == true && rows.first?.contains("sft") == false, "\(trials)")
                try await browser.screenshot(to: shots.appendingPathComponent("run-eval.png").path, fullPage: true)
                #expect(browser.events.errors.isEmpty, "page errors: \(browser.events.errors)")
            }
        }
    }

    @Test func aReviewerCorrectsAScoredRequestFromTheReviewQueue() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        let reviewer = try await t.service.database.apiKeys.create(role: .reviewer, label: "alice")
        let shots = try screenshotFolder("dashboard-e2e")
        let text = "周末我们一起去爬山吧，记得带水和防晒霜。<b>不是HTML</b>"
        let corrected = PerDimension<Int>([100, 95, 40, 100, 85, 100, 70, 100, 60])
        let reasoning = "文本是日常出行邀约；带有偏见一项按复核规则扣分，用于测试。"

        try await t.application.test(.live) { client in
            let port = try #require(client.port)
            let body = String(decoding: try JSONSerialization.data(withJSONObject: ["text": text]), as: UTF8.self)
            let scored = try await client.call(.post, "/v1/score", key: t.clientKey, json: body)
            try #require(scored.status == .ok, "POST /v1/score: \(scored.body)")
            let requestID = try #require(scored.body["id"] as? String)
            let modelScores = scored.body["scores"] as? [String: Any]

            try await Browser.run { browser in
                func shot(_ name: String) async throws {
                    try await browser.screenshot(to: shots.appendingPathComponent(name).path, fullPage: true)
                }
                // Sign in with the reviewer's key.
                try await browser.navigate(to: "http://127.0.0.1:\(port)/")
                try await browser.waitFor(testID: "signin-key", timeout: 30)
                try await shot("1-signin.png")
                try await browser.type("signin-key", reviewer.secret)
                try await browser.click("signin-submit")
                try await browser.waitFor(testID: "nav-review", timeout: 30)
                #expect(try await browser.text("whoami-role") == "审核员")
                #expect(try await browser.count("nav-keys") == 0)  // admin pages are not offered to a reviewer
                try await browser.waitFor(testID: "histogram-commercial", timeout: 30)
                try await shot("2-overview.png")

                // Open the review queue and the scored request in it.
                try await browser.click("nav-review")
                let item = "[data-testid=review-item][data-id=\"\(requestID)\"]"
                try await browser.waitFor(selector: item, timeout: 30)
                try await browser.click(selector: item)
                try await browser.waitFor(selector: "[data-testid=correction-form][data-request-id=\"\(requestID)\"]")
                #expect(try await browser.text("review-text") == text)  // shown as text, never as markup
                for dimension in Dimension.allCases {
                    let prefilled = try await browser.text("correction-score-\(dimension.rawValue)")
                    let model = (modelScores?[dimension.key] as? Int).map(String.init) ?? ""
                    #expect(prefilled == model, "\(dimension.rawValue) is prefilled with the model's score")
                }
                try await shot("3-review-queue.png")

                // Nine scores, reasoning and a note; submit.
                for dimension in Dimension.allCases {
                    try await browser.type("correction-score-\(dimension.rawValue)", String(corrected[dimension]))
                }
                // The server's own validation errors reach the form: reasoning over 20,000 characters is refused.
                try await browser.type("correction-reasoning", String(repeating: "长", count: 20_001))
                try await browser.click("correction-submit")
                try await browser.waitUntil("document.querySelector('[data-testid=correction-error]').textContent.includes('400')", timeout: 30)
                #expect(try await browser.text("correction-error").contains("20,000"))
                try await shot("4a-server-validation-error.png")
                try await browser.type("correction-reasoning", reasoning)
                try await browser.type("correction-note", "e2e")
                try await shot("4b-correction-filled.png")
                try await browser.click("correction-submit")
                try await browser.waitFor(testID: "toast", timeout: 30)
                try await browser.waitForAbsence(selector: item, timeout: 30)
                try await browser.waitFor(testID: "review-empty", timeout: 30)
                try await shot("5-correction-saved.png")

                // The request's page shows the correction.
                try await browser.navigate(to: "http://127.0.0.1:\(port)/#/requests/\(requestID)")
                try await browser.waitFor(testID: "correction-item", timeout: 30)
                try await shot("6-request-detail.png")
                // No script error; the only failed loads are the refusals this test provoked.
                let unexpected = browser.events.errors.filter { !($0.hasPrefix("network:") && ($0.contains("status of 400") || $0.contains("status of 401"))) }
                #expect(unexpected.isEmpty, "page errors: \(unexpected)")
            }

            let corrections = try await t.service.database.corrections.list(requestID: requestID)
            #expect(corrections.count == 1)
            let correction = try #require(corrections.first)
            #expect(correction.scores == corrected)
            #expect(correction.reasoning == reasoning)
            #expect(correction.note == "e2e")
            #expect(correction.reviewerKeyID == reviewer.key.id)
            #expect(try await t.service.database.requests.get(id: requestID)?.correctedAt != nil)
        }
        print("dashboard end-to-end screenshots: \(shots.path)")
    }

    @Test func anAdminCreatesAndRevokesAKeyAndCancelsARetrain() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        let shots = try screenshotFolder("dashboard-e2e-admin")

        try await t.application.test(.live) { client in
            let port = try #require(client.port)
            var runID: Int64 = 0
            var keyID: Int64 = 0
            try await Browser.run { browser in
                func shot(_ name: String) async throws {
                    try await browser.screenshot(to: shots.appendingPathComponent(name).path, fullPage: true)
                }
                try await browser.navigate(to: "http://127.0.0.1:\(port)/")
                // A wrong key and a client key are turned away with a reason.
                try await browser.type("signin-key", "cs_not_a_key_at_all_000000000", timeout: 30)
                try await browser.click("signin-submit")
                try await browser.waitUntil("document.querySelector('[data-testid=signin-error]').textContent !== ''", timeout: 30)
                #expect(try await browser.text("signin-error") == "该密钥无效或已被吊销。")
                try await browser.type("signin-key", t.clientKey)
                try await browser.click("signin-submit")
                try await browser.waitUntil("document.querySelector('[data-testid=signin-error]').textContent.includes('客户端')", timeout: 30)
                try await shot("0-client-key-refused.png")
                try await browser.type("signin-key", t.adminKey)
                try await browser.click("signin-submit")
                try await browser.waitFor(testID: "nav-keys", timeout: 30)

                // A new key is shown once; the database has it with the role and label chosen.
                try await browser.click("nav-keys")
                try await browser.waitFor(testID: "keys-table", timeout: 30)
                try await browser.select("keys-role", value: "reviewer")
                try await browser.type("keys-label", "bob")
                try await browser.click("keys-create")
                try await browser.waitFor(testID: "keys-secret", timeout: 30)
                let secret = try await browser.text("keys-secret")
                let stored = try #require(try await t.service.database.apiKeys.find(secret: secret))
                #expect(stored.role == .reviewer && stored.label == "bob" && !stored.isRevoked)
                keyID = stored.id
                try await shot("1-key-created.png")
                try await browser.click("keys-dismiss")
                try await browser.waitForAbsence(selector: Browser.selector(testID: "keys-secret"))

                // Revoking asks first.
                try await browser.click("key-revoke-\(keyID)")
                try await browser.waitFor(testID: "confirm-ok")
                try await shot("2-revoke-confirm.png")
                try await browser.click("confirm-ok")
                try await browser.waitFor(selector: "[data-testid=key-row][data-id=\"\(keyID)\"][data-revoked=true]", timeout: 30)
                try await shot("3-key-revoked.png")

                // "Retrain now" queues a run and opens it; cancelling it asks first.
                try await browser.click("nav-runs")
                try await browser.waitFor(testID: "runs-retrain", timeout: 30)
                try await browser.type("runs-reason", "端到端测试")
                try await browser.click("runs-retrain")
                try await browser.waitFor(testID: "run-cancel", timeout: 30)
                let hash = try await browser.evaluate("location.hash").string ?? ""
                runID = try #require(Int64(hash.replacingOccurrences(of: "#/runs/", with: "")))
                try await shot("4-run-queued.png")
                try await browser.click("run-cancel")
                try await browser.click("confirm-ok")
                try await browser.waitUntil("document.querySelector('[data-testid=run-state]')?.dataset.state === 'cancelled'", timeout: 30)
                try await shot("5-run-cancelled.png")

                // No adapter yet: the base model serves.
                try await browser.click("nav-adapters")
                try await browser.waitFor(testID: "adapters-empty", timeout: 30)

                // The language switch turns every label to English.
                try await browser.click("lang-toggle")
                #expect(try await browser.text("nav-review") == "Review queue")
                try await browser.click("nav-runs")
                try await browser.waitFor(testID: "run-row", timeout: 30)
                try await shot("6-runs-english.png")
                // No script error; the only failed loads are the refusals this test provoked.
                let unexpected = browser.events.errors.filter { !($0.hasPrefix("network:") && ($0.contains("status of 400") || $0.contains("status of 401"))) }
                #expect(unexpected.isEmpty, "page errors: \(unexpected)")
            }
            #expect(try await t.service.database.apiKeys.get(id: keyID)?.isRevoked == true)
            #expect(try await t.service.database.trainingRuns.get(id: runID)?.state == .cancelled)
        }
        print("dashboard end-to-end screenshots: \(shots.path)")
    }
}

extension DashboardEndToEndTests {
    /// The adapters page shows where each adapter came from and an import's gate; an import the gate rejected is
    /// activated only with a reason, which the page sends as the override and then shows.
    @Test func anImportTheGateRejectedIsActivatedOnlyWithAReason() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        let shots = try screenshotFolder("dashboard-e2e-import")
        let folder = t.directory.appendingPathComponent("elsewhere/a")
        try LoRAAdapter.fresh(id: "a", model: TinyModel.model, config: LoRAConfig(r: 2, alpha: 4, targets: [.q, .v]), seed: 5).save(to: folder)
        let imported = try await t.service.importAdapter(path: folder.path, label: "外部训练", by: 1).adapter
        _ = try await t.service.database.adapters.recordGate(id: imported.id, state: .rejected, eval: nil, detail: "rejected: held-out MAE rose")
        try await t.application.test(.live) { client in
            let port = try #require(client.port)
            try await Browser.run { browser in
                try await signIn(browser, port: port, key: t.adminKey, then: "#/adapters")
                try await browser.waitFor(selector: "[data-testid=adapter-row][data-id=\"\(imported.id)\"]", timeout: 30)
                let origin = try await browser.text("adapter-origin")
                #expect(origin.contains("外部导入") && origin.contains("外部训练"), "\(origin)")
                #expect(try await browser.text("adapter-gate-state") == "未通过")
                try await browser.click("adapter-activate-\(imported.id)")
                try await browser.waitFor(testID: "adapter-override-reason")
                // Without a reason nothing is sent.
                try await browser.click("confirm-ok")
                try await browser.waitForAbsence(selector: "dialog[open]")
                #expect(t.service.scorer.adapterID == nil)
                try await browser.click("adapter-activate-\(imported.id)")
                try await browser.type("adapter-override-reason", "人工抽查五十条，结果可接受")
                try await browser.screenshot(to: shots.appendingPathComponent("1-override-reason.png").path, fullPage: true)
                try await browser.click("confirm-ok")
                try await browser.waitFor(testID: "adapter-override", timeout: 30)
                try await browser.waitFor(testID: "adapter-active", timeout: 30)
                try await browser.screenshot(to: shots.appendingPathComponent("2-overridden.png").path, fullPage: true)
            }
        }
        let row = try #require(try await t.service.database.adapters.get(id: imported.id))
        #expect(row.isActive && row.overrideReason == "人工抽查五十条，结果可接受" && t.service.scorer.adapterID == imported.id)
    }
}

/// Opens the dashboard, signs in with `key` and goes to `hash` (e.g. "#/runs/3").
func signIn(_ browser: Browser, port: Int, key: String, then hash: String) async throws {
    try await browser.navigate(to: "http://127.0.0.1:\(port)/")
    try await browser.waitFor(testID: "signin-key", timeout: 30)
    try await browser.type("signin-key", key)
    try await browser.click("signin-submit")
    try await browser.waitFor(testID: "nav-review", timeout: 30)
    try await browser.navigate(to: "http://127.0.0.1:\(port)/\(hash)")
}

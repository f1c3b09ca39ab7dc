import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import Scoring
import Training

/// End-to-end scenarios against a running server, over HTTP only (what a client, a reviewer and an admin would do).
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "End-to-end scenarios against a running server.", subcommands: [Loop.self, ProtocolTable.self, Swap.self, Correct.self])

    /// The learning loop: score a domain's held-out texts, correct some of them, retrain, and score the rest again.
    struct Loop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "loop",
            abstract: "Scores a domain, submits reviewer corrections for part of it, triggers a retrain, waits for the swap, and prints MAE before/after.",
            discussion: """
                --data is labelled JSONL with "source" and "dimension" fields (the project's corpus format). The texts \
                of the domain (--source and/or --dimension) are split in two: the first --corrections are scored and \
                corrected through the API; the rest (at most --eval) are never corrected and measure the change. A \
                control sample from outside the domain checks that nothing else got worse. While the run trains, one \
                request at a time keeps scoring, to measure serving latency during training.
                """)

        @Option(help: "Base URL of the server.") var url = "http://127.0.0.1:8080"
        @Option(help: "An admin key (it also acts as client and reviewer).") var key: String
        @Option(help: "Labelled JSONL.") var data = "data/corpus/test.jsonl"
        @Option(help: "Domain: lines whose \"source\" is this.") var source: String?
        @Option(help: "Domain: lines whose \"dimension\" is this (a Chinese key, or \"clean\").") var dimension: String?
        @Option(help: "Texts of the domain to correct.") var corrections = 300
        @Option(help: "Texts of the domain to evaluate on (never corrected).") var eval = 200
        @Option(help: "Texts outside the domain, to check the others do not get worse.") var control = 200
        @Option(help: "Concurrent requests while scoring.") var concurrency = 8
        @Option(help: "Give up waiting for the run after this many minutes.") var timeoutMinutes = 60.0
        @Option(help: "Write the before/after figures as JSON to this file.") var json: String?

        struct Line: Decodable { let text: String; let source: String?; let dimension: String? }

        func run() async throws {
            guard source != nil || dimension != nil else { throw ValidationError("give --source and/or --dimension") }
            let fileURL = URL(fileURLWithPath: data)
            let examples = try ScoringExample.loadJSONL(fileURL)
            let meta = try String(contentsOf: fileURL, encoding: .utf8).split(separator: "\n").filter { !$0.isEmpty }
                .map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
            func inDomain(_ l: Line) -> Bool { (source == nil || l.source == source) && (dimension == nil || l.dimension == dimension) }
            // Files are often ordered by label: a seeded shuffle makes the corrected and the evaluated texts alike.
            var rng = SplitMix64(seed: 7)
            let domain = examples.indices.filter { inDomain(meta[$0]) }.shuffled(using: &rng)
            let outside = examples.indices.filter { !inDomain(meta[$0]) }
            guard domain.count > corrections + 10 else {
                throw ValidationError("the domain has \(domain.count) texts in \(data); it needs more than --corrections (\(corrections)) + 10")
            }
            let toCorrect = Array(domain.prefix(corrections)).map { examples[$0] }
            let toEval = Array(domain.dropFirst(corrections).prefix(eval)).map { examples[$0] }
            let controlSet = Array(outside.shuffled(using: &rng).prefix(control)).map { examples[$0] }
            let api = APIClient(url: url, key: key)
            defer { Task { try? await api.shutdown() } }
            let t0 = Date()
            print("domain \(source ?? "*")/\(dimension ?? "*"): \(domain.count) texts; correcting \(toCorrect.count), evaluating on \(toEval.count) never corrected, control \(controlSet.count)")

            let (beforeDomain, adapterBefore) = try await score(api, toEval, "before: domain")
            let (beforeControl, _) = try await score(api, controlSet, "before: control")
            // Serving latency at idle, measured the way it is measured during the run (one request every 200 ms).
            var idle: [Double] = []
            for i in 0..<min(50, controlSet.count) {
                let s = Date()
                if let (code, _) = try? await api.call("POST", "/v1/score", ["text": controlSet[i].text]), code == 200 {
                    idle.append(Date().timeIntervalSince(s) * 1000)
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
            idle.sort()

            // Reviewer corrections through the API.
            var corrected = 0
            for (i, e) in toCorrect.enumerated() {
                try await api.scoreAndCorrect(e)
                corrected += 1
                if (i + 1) % 50 == 0 { print("  corrected \(i + 1)/\(toCorrect.count)") }
            }
            print("submitted \(corrected) corrections (\(String(format: "%.0f", Date().timeIntervalSince(t0))) s so far)")

            // Retrain, with a trickle of traffic to time serving while it trains.
            let runStart = Date()
            let (rs, rb) = try await api.call("POST", "/v1/admin/retrain", ["reason": "demo loop"])
            guard rs == 202, let runID = rb["run_id"] as? Int else { throw DemoError("retrain trigger failed: \(rs) \(rb)") }
            print("retrain run \(runID) queued")
            let probe = Task { () -> [Double] in
                var lat: [Double] = []
                var i = 0
                while !Task.isCancelled {
                    let s = Date()
                    if let (code, _) = try? await api.call("POST", "/v1/score", ["text": controlSet[i % controlSet.count].text]), code == 200 {
                        lat.append(Date().timeIntervalSince(s) * 1000)
                    }
                    i += 1
                    try? await Task.sleep(for: .milliseconds(200))
                }
                return lat
            }
            var state = "queued", lastLine = ""
            var run: [String: Any] = [:]
            let deadline = Date().addingTimeInterval(timeoutMinutes * 60)
            while ["queued", "running"].contains(state) && Date() < deadline {
                try await Task.sleep(for: .seconds(2))
                let (_, body) = try await api.call("GET", "/v1/admin/runs/\(runID)", nil)
                run = body["run"] as? [String: Any] ?? [:]
                state = run["state"] as? String ?? "?"
                let progress = run["progress"] as? [String: Any] ?? [:]
                let line = "  \(state) \(run["phase"] as? String ?? "-") \(progress["step"] ?? "-")/\(progress["total"] ?? "-")"
                    + ((progress["loss"] as? Double).map { String(format: " loss %.4f", $0) } ?? "")
                    + ((progress["reward"] as? Double).map { String(format: " reward %.2f", $0) } ?? "")
                if line != lastLine { print(line + String(format: "  (%.0f s)", Date().timeIntervalSince(t0))); lastLine = line }
            }
            probe.cancel()
            let during = await probe.value.sorted()
            print("run \(runID): \(state) — \(run["decision"] as? String ?? run["error"] as? String ?? "")")
            guard state == "succeeded" || state == "rejected" else { throw DemoError("the run ended \(state); see GET /v1/admin/runs/\(runID)") }
            let runMinutes = Date().timeIntervalSince(runStart) / 60
            // The gate's own figures: active and candidate on the corrected texts it held out, and on its control set.
            let evalJSON = run["eval"] as? [String: Any] ?? [:]
            func mae(_ path: [String]) -> Double? {
                var node: Any? = evalJSON
                for p in path { node = (node as? [String: Any])?[p] }
                return node as? Double
            }
            let gate = GateFigures(accepted: state == "succeeded", decision: run["decision"] as? String ?? "",
                                   heldOut: evalJSON["held_out"] as? Int ?? 0,
                                   heldOutActiveMAE: mae(["active", "overall_mae"]), heldOutCandidateMAE: mae(["candidate", "overall_mae"]),
                                   controlActiveMAE: mae(["control", "active", "overall_mae"]),
                                   controlCandidateMAE: mae(["control", "candidate", "overall_mae"]))

            // A rejected candidate never served: the texts are scored again all the same, by whatever is live.
            let (afterDomain, adapterAfter) = try await score(api, toEval, "after: domain")
            let (afterControl, _) = try await score(api, controlSet, "after: control")
            let minutes = Date().timeIntervalSince(t0) / 60

            let b = try ScorerEvaluation.report(beforeDomain), a = try ScorerEvaluation.report(afterDomain)
            let bc = try ScorerEvaluation.report(beforeControl), ac = try ScorerEvaluation.report(afterControl)
            print("\nadapter before: \(adapterBefore ?? "base model"), after: \(adapterAfter ?? "base model")")
            print("dimension                    domain MAE before → after (change)   control MAE before → after")
            for d in Dimension.allCases {
                let pad = String(repeating: " ", count: max(0, 26 - EvalTable.displayWidth(d.key)))
                let change = b[d].mae > 0 ? (a[d].mae - b[d].mae) / b[d].mae * 100 : 0
                print(d.key + pad + String(format: "   %6.2f → %6.2f (%+6.1f%%)          %6.2f → %6.2f", b[d].mae, a[d].mae, change, bc[d].mae, ac[d].mae))
            }
            let change = b.mae > 0 ? (a.mae - b.mae) / b.mae * 100 : 0
            print(String(format: "overall                      %6.2f → %6.2f (%+6.1f%%)          %6.2f → %6.2f", b.mae, a.mae, change, bc.mae, ac.mae))
            print(String(format: "domain text-level accuracy %.1f%% → %.1f%%; format validity %.1f%% → %.1f%%",
                         (b.anyViolation.accuracy ?? 0) * 100, (a.anyViolation.accuracy ?? 0) * 100, b.formatValidity * 100, a.formatValidity * 100))
            let worst = Dimension.allCases.map { ac[$0].mae - bc[$0].mae }.max() ?? 0
            print(String(format: "largest control-dimension increase: %+.2f points", worst))
            print(String(format: "serving during the run: %d requests, p50 %.0f ms, p99 %.0f ms", during.count,
                         percentile(during, 0.5), percentile(during, 0.99)))
            print(String(format: "serving idle (before the run): %d requests, p50 %.0f ms, p99 %.0f ms", idle.count,
                         percentile(idle, 0.5), percentile(idle, 0.99)))
            print(String(format: "wall time %.1f minutes (the run: %.1f)", minutes, runMinutes))
            if let json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try enc.encode(LoopReport(domainBefore: b, domainAfter: a, controlBefore: bc, controlAfter: ac, runID: runID, minutes: minutes,
                                          runMinutes: runMinutes, corrections: toCorrect.count, servingDuringRunMs: during, servingIdleMs: idle,
                                          adapterBefore: adapterBefore, adapterAfter: adapterAfter, gate: gate))
                    .write(to: URL(fileURLWithPath: json))
            }
        }

        /// Scores texts through the API (`concurrency` at a time) as evaluation items, and names the adapter that answered.
        func score(_ api: APIClient, _ examples: [ScoringExample], _ label: String) async throws -> ([EvaluatedItem], String?) {
            let bar = CountProgress(total: examples.count, label: label)
            let results = try await withThrowingTaskGroup(of: (Int, EvaluatedItem, String?).self) { group in
                var next = 0, out: [(Int, EvaluatedItem, String?)] = []
                func submit() {
                    guard next < examples.count else { return }
                    let i = next, e = examples[i]
                    next += 1
                    group.addTask {
                        let (s, body) = try await api.call("POST", "/v1/score", ["text": e.text])
                        guard s == 200 else { throw DemoError("scoring failed: \(s) \(body)") }
                        var scores: DimensionScores?
                        if let obj = body["scores"] as? [String: Any] {
                            let values = Dimension.allCases.compactMap { obj[$0.key] as? Int }
                            scores = values.count == 9 ? try? DimensionScores(values: values) : nil
                        }
                        let adapter = (body["model"] as? [String: Any])?["adapter"] as? String
                        return (i, EvaluatedItem(index: i, reference: e.reference.scores,
                                                 prediction: EvalPrediction(scores: scores, formatOK: body["format_ok"] as? Bool ?? false),
                                                 reasoning: body["reasoning"] as? String ?? "", completionTokens: 0, milliseconds: 0), adapter)
                    }
                }
                for _ in 0..<max(1, concurrency) { submit() }
                for try await r in group {
                    out.append(r)
                    bar.update(done: out.count)
                    submit()
                }
                return out.sorted { $0.0 < $1.0 }
            }
            bar.finish()
            return (results.map(\.1), results.last?.2)
        }
    }

    /// Adapter swaps and a rollback under steady load: every request must be answered 200 and name its adapter.
    struct Swap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "swap",
            abstract: "Keeps --concurrency requests in flight while activating each registered adapter in turn and rolling back; reports every status.")

        @Option(help: "Base URL of the server.") var url = "http://127.0.0.1:8080"
        @Option(help: "An admin key.") var key: String
        @Option(help: "Concurrent requests.") var concurrency = 8
        @Option(help: "Swaps to make (cycling through the registered adapters and the base model).") var swaps = 6
        @Option(help: "Seconds between swaps.") var interval = 2.0

        func run() async throws {
            let api = APIClient(url: url, key: key)
            defer { Task { try? await api.shutdown() } }
            let (_, listed) = try await api.call("GET", "/v1/admin/adapters", nil)
            let ids = ((listed["items"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            let (_, stats) = try await api.call("GET", "/v1/admin/stats", nil)
            let original = ((stats["model"] as? [String: Any])?["adapter"] as? String) ?? "base"
            let cycle = ids + ["base"]
            print("adapters: \(ids.joined(separator: ", ")); serving \(original); \(swaps) swaps under \(concurrency) concurrent requests")
            let stop = StopFlag()
            let load = Task { () -> [(Int, String?)] in
                await withTaskGroup(of: [(Int, String?)].self) { group in
                    for w in 0..<concurrency {
                        group.addTask {
                            var out: [(Int, String?)] = []
                            var i = 0
                            while !stop.isSet {
                                let text = LoadBench.texts[(w + i) % LoadBench.texts.count] + " #\(w)-\(i)"
                                i += 1
                                if let (s, body) = try? await api.call("POST", "/v1/score", ["text": text]) {
                                    out.append((s, (body["model"] as? [String: Any])?["adapter"] as? String ?? "base"))
                                } else {
                                    out.append((0, nil))
                                }
                            }
                            return out
                        }
                    }
                    var all: [(Int, String?)] = []
                    for await r in group { all += r }
                    return all
                }
            }
            try await Task.sleep(for: .seconds(interval))
            var activated: [String] = []
            for k in 0..<swaps {
                let target = k == swaps - 1 ? original : cycle[k % cycle.count]
                let (s, body) = try await api.call("POST", "/v1/admin/adapters/\(target)/activate", nil)
                print("  activate \(target): \(s)\(s == 200 ? "" : " \(body)")")
                activated.append(target)
                try await Task.sleep(for: .seconds(interval))
            }
            stop.set()
            let results = await load.value
            var statuses: [Int: Int] = [:], adapters: [String: Int] = [:]
            for (s, a) in results { statuses[s, default: 0] += 1; if let a { adapters[a, default: 0] += 1 } }
            let failed = results.filter { $0.0 != 200 }.count
            let unnamed = results.filter { $0.0 == 200 && $0.1 == nil }.count
            print("requests \(results.count): " + statuses.sorted { $0.key < $1.key }.map { "\($0.key == 0 ? "conn" : String($0.key)) × \($0.value)" }.joined(separator: ", "))
            print("answered by: " + adapters.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", "))
            print("failed: \(failed); answered without naming the adapter: \(unnamed); swaps: \(activated.joined(separator: " → "))")
            if failed > 0 || unnamed > 0 { throw ExitCode(1) }
        }
    }
}

extension DemoCommand {
    /// Reviewer work in bulk: scores labelled texts through the API and submits their labels as corrections; optionally
    /// triggers a retrain and prints its run id (the crash test uses this).
    struct Correct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "correct", abstract: "Scores labelled texts through the API, corrects them with their labels, optionally triggers a retrain.")

        @Option(help: "Base URL of the server.") var url = "http://127.0.0.1:8080"
        @Option(help: "An admin key.") var key: String
        @Option(help: "Labelled JSONL.") var data = "data/corpus/validation.jsonl"
        @Option(help: "Lines to skip first.") var offset = 0
        @Option(help: "Texts to score and correct.") var count = 50
        @Flag(help: "Trigger a retrain afterwards and print its run id.") var retrain = false

        func run() async throws {
            let examples = Array(try ScoringExample.loadJSONL(URL(fileURLWithPath: data)).dropFirst(offset).prefix(count))
            let api = APIClient(url: url, key: key)
            defer { Task { try? await api.shutdown() } }
            for e in examples { try await api.scoreAndCorrect(e) }
            logError("corrected \(examples.count) requests")
            if retrain {
                let (rs, rb) = try await api.call("POST", "/v1/admin/retrain", ["reason": "demo correct"])
                guard rs == 202, let runID = rb["run_id"] as? Int else { throw DemoError("retrain trigger failed: \(rs) \(rb)") }
                print(runID)
            }
        }
    }
}

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// JSON over HTTP with a bearer key.
final class APIClient: Sendable {
    let url: String
    let key: String
    let client: HTTPClient

    init(url: String, key: String) {
        self.url = url
        self.key = key
        var c = HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(600)))
        c.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
    }

    func call(_ method: String, _ path: String, _ body: [String: Any]?) async throws -> (Int, [String: Any]) {
        var req = HTTPClientRequest(url: url + path)
        req.method = .RAW(value: method)
        req.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let body {
            req.headers.add(name: "Content-Type", value: "application/json")
            req.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let resp = try await client.execute(req, timeout: .seconds(600))
        let bytes = try await resp.body.collect(upTo: 16 << 20)
        let obj = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        return (Int(resp.status.code), obj)
    }

    func shutdown() async throws { try await client.shutdown() }

    /// What a reviewer does for a labelled text: the text is scored through the API, then corrected with its label.
    func scoreAndCorrect(_ e: ScoringExample) async throws {
        let (s, body) = try await call("POST", "/v1/score", ["text": e.text])
        guard s == 200, let id = body["id"] as? String else { throw DemoError("scoring failed: \(s) \(body)") }
        var scores: [String: Int] = [:]
        for d in Dimension.allCases { scores[d.key] = e.reference.scores[d] }
        let (cs, cb) = try await call("POST", "/v1/requests/\(id)/corrections", ["scores": scores, "reasoning": e.reference.reasoning])
        guard cs == 201 || cs == 200 else { throw DemoError("correction failed: \(cs) \(cb)") }
    }
}

/// The gate's figures for one run, as the run record gives them.
struct GateFigures: Codable {
    let accepted: Bool
    let decision: String
    let heldOut: Int
    let heldOutActiveMAE: Double?
    let heldOutCandidateMAE: Double?
    let controlActiveMAE: Double?
    let controlCandidateMAE: Double?
}

/// What `demo loop --json` writes and `demo protocol-table` reads.
struct LoopReport: Codable {
    let domainBefore: EvalReport, domainAfter: EvalReport, controlBefore: EvalReport, controlAfter: EvalReport
    let runID: Int, minutes: Double, runMinutes: Double, corrections: Int
    let servingDuringRunMs: [Double], servingIdleMs: [Double]
    let adapterBefore: String?, adapterAfter: String?
    let gate: GateFigures
}

/// Sorted values' p-quantile (nearest rank); NaN when empty.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
}

extension DemoCommand {
    /// One table over several `demo loop --json` reports (the leave-one-domain-out protocol, scripts/loop-protocol.sh).
    struct ProtocolTable: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "protocol-table", abstract: "Prints one table over `demo loop --json` reports: NAME=FILE ...")
        @Argument(help: "Reports as NAME=FILE.") var reports: [String]

        func run() throws {
            var rows: [(String, LoopReport)] = []
            for r in reports {
                guard let eq = r.firstIndex(of: "=") else { throw ValidationError("expected NAME=FILE, found \(r)") }
                let data = try Data(contentsOf: URL(fileURLWithPath: String(r[r.index(after: eq)...])))
                rows.append((String(r[..<eq]), try JSONDecoder().decode(LoopReport.self, from: data)))
            }
            func f(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "-" }
            print("| domain | main dimension | corrections | domain MAE before → after (change) | text accuracy before → after"
                  + " | largest control-dimension change | control MAE before → after | gate (held-out MAE active → candidate; control) | run minutes | serving p50/p99 idle → during run (ms) |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            for (name, r) in rows {
                let (b, a) = (r.domainBefore, r.domainAfter)
                let change = b.mae > 0 ? (a.mae - b.mae) / b.mae * 100 : 0
                // The dimension the domain's labels flag most.
                let main = Dimension.allCases.max { b[$0].confusion.truePositives + b[$0].confusion.falseNegatives
                    < b[$1].confusion.truePositives + b[$1].confusion.falseNegatives } ?? .commercial
                let controlShift = Dimension.allCases.map { r.controlAfter[$0].mae - r.controlBefore[$0].mae }
                let largest = controlShift.max { abs($0) < abs($1) } ?? 0
                let g = r.gate
                print("| \(name) | \(main.key) | \(r.corrections) | \(f(b.mae)) → \(f(a.mae)) (\(String(format: "%+.1f%%", change)))"
                      + " | \(String(format: "%.1f%% → %.1f%%", (b.anyViolation.accuracy ?? 0) * 100, (a.anyViolation.accuracy ?? 0) * 100))"
                      + " | \(String(format: "%+.2f", largest)) | \(f(r.controlBefore.mae)) → \(f(r.controlAfter.mae))"
                      + " | \(g.accepted ? "activated" : "rejected") (\(f(g.heldOutActiveMAE)) → \(f(g.heldOutCandidateMAE)) on \(g.heldOut);"
                      + " control \(f(g.controlActiveMAE)) → \(f(g.controlCandidateMAE)))"
                      + " | \(String(format: "%.1f", r.runMinutes))"
                      + " | \(String(format: "%.0f/%.0f → %.0f/%.0f", percentile(r.servingIdleMs, 0.5), percentile(r.servingIdleMs, 0.99), percentile(r.servingDuringRunMs, 0.5), percentile(r.servingDuringRunMs, 0.99))) |")
            }
            for (name, r) in rows where !r.gate.accepted {
                print("\n\(name): \(r.gate.decision)")
            }
        }
    }
}

import ArgumentParser
import Foundation
import Scoring
import Training

/// `safety-server eval`: runs a labelled JSONL set through the scorer (the serving path) and reports MAE, the share
/// within N points, precision / recall / F1 of the violation decision per dimension, format validity and confusion
/// counts — as a readable table on standard error and JSON on standard output (or `--json FILE`).
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluates a model (and optional adapter) on labelled texts: MAE, within-N share, per-dimension F1, format validity.",
        discussion: """
            --data is JSONL, one {"text", "scores": {the nine Chinese keys: 0…100}, "reasoning"?} per line; lines may \
            carry a "source" field, and the report then also breaks the figures down per source. A score below \
            --threshold is a violation (the positive class of precision, recall and F1); a text is a violation when \
            any of its nine scores is. Answers without usable scores count at the wrong end of the scale.
            """)

    @Option(help: "Model folder (config.json, model.safetensors, tokenizer files, scoring_prompt.json).") var model: String
    @Option(help: "PEFT LoRA adapter folder (its scoring_prompt.json, if any, is used).") var adapter: String?
    @Option(help: "Labelled JSONL file.") var data: String
    @Option(help: "Evaluate only the first N lines.") var limit: Int?
    @Option(help: "A score below this is a violation.") var threshold = 60
    @Option(help: "\"Within\" means at most this many points off.") var within = 5
    @Option(help: "Requests in flight at once (the scorer batches them).") var concurrency = 8
    @Option(help: "Maximum new tokens per answer.") var maxTokens = 512
    @Option(help: "Weights in memory: bf16, f32 or q8.") var format: WeightFormat = .bf16
    @Option(help: "Write the JSON report to this file instead of standard output.") var json: String?
    @Option(help: "Write one JSON line per item (reference, prediction, reasoning, latency) to this file.") var predictions: String?
    @Flag(inversion: .prefixedNo, help: "Hold the reasoning to the text and its evidence line while decoding: grounded quotes, no claim of evidence where none was found (as the server does by default).")
    var groundReasoning = true

    func validate() throws {
        guard threshold >= 0, threshold <= 101 else { throw ValidationError("--threshold must be in 0…101") }
        guard within >= 0, concurrency > 0, maxTokens > 0 else { throw ValidationError("--within ≥ 0, --concurrency and --max-tokens > 0") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
    }

    struct Report: Encodable {
        var model: String
        var adapter: String?
        var data: String
        var items: Int
        var seconds: Double
        var itemsPerSecond: Double
        var meanCompletionTokens: Double
        var overall: EvalReport
        var sources: [String: EvalReport]
        var quoteGrounding: QuoteGroundingReport
        var evidenceClaims: EvidenceClaimReport
    }

    /// Reasonings that open with a claim of evidence (`线索提示…；`): how many name exactly the kinds the evidence stage
    /// found, name others, or claim evidence where none was found (`ClaimGuard.check`).
    struct EvidenceClaimReport: Encodable {
        var claims: Int
        var exact: Int
        var otherKinds: Int
        var withoutEvidence: Int
        var share: Double?
    }

    /// Quoted spans in the reasoning, and how many occur in the text or its evidence.
    struct QuoteGroundingReport: Encodable {
        var quotes: Int
        var grounded: Int
        var share: Double?
    }

    @Option(help: "Precision of the large matrix products: f32, or bf16 (activations rounded to bf16, vdpbf16ps; AVX512-BF16 hosts only).")
    var matmulPrecision: MatmulPrecision = .f32

    func run() async throws {
        matmulPrecision.apply()
        let dataURL = URL(fileURLWithPath: data)
        var examples = try ScoringExample.loadJSONL(dataURL)
        var sources = try Self.sources(of: dataURL)
        if let limit { examples = Array(examples.prefix(limit)); sources = Array(sources.prefix(limit)) }

        let dir = URL(fileURLWithPath: model)
        let m = try Qwen2Model.load(directory: dir, format: format)
        let tok = try Tokenizer.load(directory: dir)
        var lora: LoRAAdapter?
        var promptDir = dir
        if let adapter {
            let a = URL(fileURLWithPath: adapter)
            lora = try LoRAAdapter.load(directory: a, model: m)
            if FileManager.default.fileExists(atPath: a.appendingPathComponent(ScoringPrompt.fileName).path) { promptDir = a }
        }
        let prompt = try ScoringPrompt.load(directory: promptDir)
        var options = ScorerOptions()
        options.maxNewTokens = maxTokens
        options.groundReasoning = groundReasoning
        options.maxBatch = max(1, min(concurrency, 16))
        options.queueCapacity = max(options.queueCapacity, concurrency)
        let scorer = try Scorer(model: m, tokenizer: tok, prompt: prompt, baseModelID: dir.lastPathComponent, options: options, adapter: lora)
        defer { scorer.shutdown() }

        logError("eval: \(examples.count) items from \(data), \(m.config.parameterCount) parameters\(adapter.map { ", adapter \($0)" } ?? "")")
        let bar = CountProgress(total: examples.count, label: "eval")
        let t0 = Monotonic.seconds()
        let items = await ScorerEvaluation.run(scorer: scorer, examples: examples, concurrency: concurrency) { done, total in
            bar.update(done: done)
        }
        bar.finish()
        let seconds = Monotonic.seconds() - t0

        let config = EvalConfig(violationThreshold: threshold, withinPoints: within)
        let overall = try ScorerEvaluation.report(items, config: config)
        var bySource: [String: EvalReport] = [:]
        let names = Set(sources.compactMap { $0 })
        if names.count > 1 || (names.count == 1 && sources.contains(nil)) {
            for name in names {
                let subset = Set(sources.indices.filter { sources[$0] == name })
                bySource[name] = try ScorerEvaluation.report(items, subset: subset, config: config)
            }
        }

        if let predictions {
            var out = Data()
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for item in items { out += try enc.encode(PredictionLine(item: item, source: sources[item.index])) + Data("\n".utf8) }
            try out.write(to: URL(fileURLWithPath: predictions), options: .atomic)
        }

        logError(EvalTable.render(overall, title: "all \(overall.items) items"))
        for name in bySource.keys.sorted() { logError(EvalTable.summaryLine(bySource[name]!, name: name)) }
        // Quotes in the reasoning that occur in the text or its evidence (a quote found in neither is made up).
        var quotes = 0, grounded = 0
        var claims = EvidenceClaimReport(claims: 0, exact: 0, otherKinds: 0, withoutEvidence: 0, share: nil)
        for item in items {
            let text = examples[item.index].text
            let evidence = EvidenceFinder.find(in: text)
            let c = QuoteGrounding.count(reasoning: item.reasoning, text: text, evidence: evidence)
            quotes += c.quotes; grounded += c.grounded
            switch ClaimGuard.check(reasoning: item.reasoning, items: evidence) {
            case .none: continue
            case .exact: claims.exact += 1
            case .otherKinds: claims.otherKinds += 1
            case .withoutEvidence: claims.withoutEvidence += 1
            }
            claims.claims += 1
        }
        if claims.claims > 0 { claims.share = Double(claims.exact) / Double(claims.claims) }
        let grounding = QuoteGroundingReport(quotes: quotes, grounded: grounded, share: quotes == 0 ? nil : Double(grounded) / Double(quotes))
        logError("eval: \(grounded) of \(quotes) quoted spans in the reasoning occur in the text or its evidence"
                 + (grounding.share.map { String(format: " (%.1f%%)", $0 * 100) } ?? ""))
        logError("eval: \(claims.exact) of \(claims.claims) claims of evidence name exactly the kinds found (\(claims.otherKinds) name others, \(claims.withoutEvidence) claim evidence where none was found)")
        let tokens = Double(items.reduce(0) { $0 + $1.completionTokens }) / Double(max(items.count, 1))
        logError(String(format: "eval: %.1f s, %.2f items/s, %.1f answer tokens per item", seconds, Double(items.count) / seconds, tokens))

        let report = Report(model: model, adapter: adapter, data: data, items: items.count, seconds: seconds,
                            itemsPerSecond: Double(items.count) / seconds, meanCompletionTokens: tokens, overall: overall, sources: bySource,
                            quoteGrounding: grounding, evidenceClaims: claims)
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try enc.encode(report).write(to: URL(fileURLWithPath: json), options: .atomic)
            logError("eval: report in \(json)")
        } else {
            try printJSON(report, pretty: true)
        }
    }

    /// One line of --predictions: the item's fields and, when the data line had one, its source.
    struct PredictionLine: Encodable {
        let item: EvaluatedItem
        let source: String?
        enum Keys: CodingKey { case source }

        func encode(to encoder: Encoder) throws {
            try item.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encodeIfPresent(source, forKey: .source)
        }
    }

    /// The optional "source" field of each non-blank line, in the loader's order.
    static func sources(of url: URL) throws -> [String?] {
        struct Line: Decodable { let source: String? }
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            .map { (try? JSONDecoder().decode(Line.self, from: Data($0.utf8)))?.source }
    }
}

/// The readable form of an `EvalReport`.
enum EvalTable {
    static func percent(_ x: Double?) -> String { x.map { String(format: "%5.1f%%", $0 * 100) } ?? "    –" }

    static func render(_ r: EvalReport, title: String) -> String {
        var lines: [String] = []
        lines.append("── \(title) ──")
        lines.append(String(format: "format validity %@   MAE %.2f   within %d: %@   text-level violation accuracy %@ (P %@ R %@ F1 %@)",
                            percent(r.formatValidity), r.mae, r.config.withinPoints, percent(r.withinShare),
                            percent(r.anyViolation.accuracy), percent(r.anyViolation.precision), percent(r.anyViolation.recall),
                            percent(r.anyViolation.f1)))
        lines.append("dimension                       MAE   within  precision  recall     F1      TP     FP     FN     TN")
        for m in r.dimensions {
            let name = m.dimension.key
            let pad = String(repeating: " ", count: max(0, 26 - displayWidth(name)))
            lines.append(name + pad + String(format: " %6.2f  %@    %@   %@  %@  %6d %6d %6d %6d", m.mae, percent(m.withinShare),
                                                 percent(m.precision), percent(m.recall), percent(m.f1), m.confusion.truePositives,
                                                 m.confusion.falsePositives, m.confusion.falseNegatives, m.confusion.trueNegatives))
        }
        let c = r.anyViolation
        lines.append("text-level confusion (rows: reference, columns: prediction)")
        lines.append("                 violation   compliant")
        lines.append(String(format: "  violation      %9d   %9d", c.truePositives, c.falseNegatives))
        lines.append(String(format: "  compliant      %9d   %9d", c.falsePositives, c.trueNegatives))
        return lines.joined(separator: "\n")
    }

    static func summaryLine(_ r: EvalReport, name: String) -> String {
        String(format: "  %@: %d items, MAE %.2f, within %d %@, text-level accuracy %@, F1 %@, format %@", name, r.items, r.mae,
               r.config.withinPoints, percent(r.withinShare), percent(r.anyViolation.accuracy), percent(r.anyViolation.f1),
               percent(r.formatValidity))
    }

    /// Terminal columns: CJK characters take two.
    static func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x1100 && $1.properties.isIdeographic || (0x3000...0xFF60).contains($1.value) ? 2 : 1) }
    }
}

/// `ProgressBar` for items finished by concurrent tasks: a lock around it and the rate in its description.
final class CountProgress: @unchecked Sendable {
    private var bar: ProgressBar
    private let total: Int
    private let label: String
    private let start = ProgressBar.now()
    private let lock = NSLock()

    init(total: Int, label: String) {
        bar = ProgressBar(total: total, every: max(1, total / 20))
        self.total = total
        self.label = label
    }

    func update(done: Int) {
        lock.lock(); defer { lock.unlock() }
        let rate = Double(done) / max(ProgressBar.now() - start, 1e-9)
        bar.update(step: done, of: total, detail: String(format: "%@  %.1f/s", label, rate))
    }

    func finish() { lock.lock(); bar.finish(); lock.unlock() }
}

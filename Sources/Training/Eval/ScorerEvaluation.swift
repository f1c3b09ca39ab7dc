import Foundation
import Scoring

/// One evaluated item: the reference, what the scorer answered and how long it took.
public struct EvaluatedItem: Codable, Sendable, Equatable {
    /// Position in the evaluation set.
    public var index: Int
    public var reference: DimensionScores
    public var prediction: EvalPrediction
    public var reasoning: String
    public var completionTokens: Int
    public var milliseconds: Double

    public init(index: Int, reference: DimensionScores, prediction: EvalPrediction, reasoning: String, completionTokens: Int,
                milliseconds: Double) {
        self.index = index; self.reference = reference; self.prediction = prediction; self.reasoning = reasoning
        self.completionTokens = completionTokens; self.milliseconds = milliseconds
    }
}

/// Runs a labelled set through a `Scorer` (the serving path, so the figures are the service's) and computes the metrics.
public enum ScorerEvaluation {
    /// Scores every example with at most `concurrency` requests in flight (the scorer batches them), in any order;
    /// the returned items are in input order. `progress(done, total)` is called after each item.
    /// An answer that fails (queue full, text too long) counts as a prediction without scores, not as an abort.
    public static func run(scorer: Scorer, examples: [ScoringExample], concurrency: Int = 8,
                           progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async -> [EvaluatedItem] {
        let total = examples.count
        let width = max(1, min(concurrency, scorer.options.queueCapacity))
        var results = [EvaluatedItem?](repeating: nil, count: total)
        await withTaskGroup(of: EvaluatedItem.self) { group in
            var next = 0
            func submit() {
                guard next < total else { return }
                let i = next
                next += 1
                let example = examples[i]
                group.addTask {
                    let t0 = Monotonic.seconds()
                    do {
                        let r = try await scorer.score(example.text)
                        return EvaluatedItem(index: i, reference: example.reference.scores,
                                             prediction: EvalPrediction(scores: r.scores, formatOK: r.formatOK), reasoning: r.reasoning,
                                             completionTokens: r.completionTokens, milliseconds: r.totalMilliseconds)
                    } catch {
                        return EvaluatedItem(index: i, reference: example.reference.scores, prediction: EvalPrediction(scores: nil, formatOK: false),
                                             reasoning: "error: \(error)", completionTokens: 0, milliseconds: (Monotonic.seconds() - t0) * 1000)
                    }
                }
            }
            for _ in 0..<width { submit() }
            var done = 0
            for await item in group {
                results[item.index] = item
                done += 1
                progress(done, total)
                submit()
            }
        }
        return results.map { $0! }
    }

    /// The metrics of evaluated items (all of them, or those whose index is in `subset`).
    public static func report(_ items: [EvaluatedItem], subset: Set<Int>? = nil, config: EvalConfig = EvalConfig()) throws(EvalError) -> EvalReport {
        let chosen = subset.map { s in items.filter { s.contains($0.index) } } ?? items
        return try EvalMetrics.evaluate(predictions: chosen.map(\.prediction), references: chosen.map(\.reference), config: config)
    }
}

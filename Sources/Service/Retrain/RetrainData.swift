import Foundation
import Scoring
import Storage
import Training

/// What a retrain run learns from and is judged on, read from the database and the configured files. One place for
/// the run, the gate of an imported adapter and `safety-server export trl`, so that all three see the same data.
public enum RetrainData {
    /// New corrections (training split, after the last consumed id), a replay of older human labels and of the seed
    /// corpus, and the held-out split (all of it, oldest first; the pipeline evaluates the newest `eval_max_items`).
    /// `runID` seeds the random choices, so a run's data can be told again. Also returns the highest correction id.
    public static func gather(database: Database, runID: Int64, config cfg: ServiceConfiguration) async throws -> (RetrainInputs, Int64) {
        let f = cfg.retrainHeldOutFraction
        let all = try await database.corrections.labelledRequests(split: nil, heldOutFraction: f)
        let since = try await database.trainingRuns.lastConsumedCorrectionID()
        let maxID = all.map(\.correction.id).max() ?? since
        var train: [LabelledRequest] = [], held: [LabelledRequest] = []
        for r in all { if HeldOut.contains(requestID: r.requestID, fraction: f) { held.append(r) } else { train.append(r) } }
        let fresh = train.filter { $0.correction.id > since }
        var rng = SplitMix64(seed: UInt64(runID) &* 0x9E37_79B9)
        let older = Array(train.filter { $0.correction.id <= since }.shuffled(using: &rng).prefix(cfg.retrainReplayHuman))
        var seed: [ScoringExample] = [], lookAlikes: [ScoringExample] = []
        let anchors = anchorCount(base: cfg.retrainReplaySeed, max: cfg.retrainReplaySeedMax,
                                  violating: fresh.filter { r in Dimension.allCases.contains { r.correction.scores[$0] < 100 } }.count,
                                  of: fresh.count)
        let wantSeed = anchors + cfg.retrainReplaySimilar + cfg.retrainReplayPerDimension + cfg.retrainReplayOtherDimensions
        if wantSeed > 0, !cfg.seedCorpusPath.isEmpty, FileManager.default.fileExists(atPath: cfg.seedCorpusPath) {
            let lines = try ScoringExample.loadJSONL(URL(fileURLWithPath: cfg.seedCorpusPath))
            // 1. The seed texts most like the new corrections, with their own labels: the look-alikes the domain is
            //    confused with.
            //    They are replayed on their labels (they are there to teach the boundary), the rest as anchors.
            let near = ReplaySelection.neighbours(of: fresh.map(\.text), in: lines.map(\.text), limit: cfg.retrainReplaySimilar)
            lookAlikes = near.map { lines[$0] }
            var taken = Set(near)
            var picked: [Int] = []
            // 2. For each dimension the corrections flag, seed texts flagged on it, with their own severities: a new
            //    context for a dimension must not move what the model already knows of it.
            let flagged = Dimension.allCases.filter { d in fresh.contains { $0.correction.scores[d] < 100 } }
            for d in flagged {
                let carriers = lines.indices.filter { !taken.contains($0) && lines[$0].reference.scores[d] < 100 }.shuffled(using: &rng)
                for i in carriers.prefix(cfg.retrainReplayPerDimension) where taken.insert(i).inserted { picked.append(i) }
            }
            //    And for every other dimension a few texts that carry it: a run must not move what it does not teach.
            for d in Dimension.allCases where !flagged.contains(d) {
                let carriers = lines.indices.filter { !taken.contains($0) && lines[$0].reference.scores[d] < 100 }.shuffled(using: &rng)
                for i in carriers.prefix(cfg.retrainReplayOtherDimensions) where taken.insert(i).inserted { picked.append(i) }
            }
            // 3. A random sample of the rest.
            picked += lines.indices.filter { !taken.contains($0) }.shuffled(using: &rng).prefix(anchors)
            seed = picked.map { lines[$0] }
        }
        let inputs = RetrainInputs(corrections: try fresh.map(example), replay: try older.map(example) + lookAlikes,
                                   heldOut: try held.map(example), control: try control(cfg), anchor: seed)
        return (inputs, maxID)
    }

    /// Size of the random anchor sample: `base`, growing linearly with the share of the new corrections that flag
    /// something to `max` when all of them do (never below `base`).
    public static func anchorCount(base: Int, max top: Int, violating: Int, of total: Int) -> Int {
        guard total > 0, top > base else { return base }
        let share = Double(min(violating, total)) / Double(total)
        return base + Int((Double(top - base) * share).rounded())
    }

    /// The gate's two sets alone: every held-out correction (oldest first) and the control set.
    public static func evaluationSets(database: Database, config cfg: ServiceConfiguration) async throws
        -> (heldOut: [ScoringExample], control: [ScoringExample])
    {
        let held = try await database.corrections.labelledRequests(split: .heldOut, heldOutFraction: cfg.retrainHeldOutFraction)
        return (try held.map(example), try control(cfg))
    }

    /// The control set is the same texts in every run (a fixed seed), so runs compare on one yardstick.
    static func control(_ cfg: ServiceConfiguration) throws -> [ScoringExample] {
        guard !cfg.retrainControlPath.isEmpty, FileManager.default.fileExists(atPath: cfg.retrainControlPath) else { return [] }
        var fixed = SplitMix64(seed: 0x636F_6E74_726F_6C)
        return try ScoringExample.loadJSONL(URL(fileURLWithPath: cfg.retrainControlPath)).shuffled(using: &fixed)
    }

    static func example(_ r: LabelledRequest) throws -> ScoringExample {
        ScoringExample(text: r.text, reference: ScoringReference(scores: try DimensionScores(values: r.correction.scores.values),
                                                                reasoning: r.correction.reasoning ?? ""))
    }
}

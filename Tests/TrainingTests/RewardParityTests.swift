import Foundation
import Scoring
import Testing
import Training

/// The reward TRL trains with (tools/trl/scoring_reward.py, the Python port) equals the Swift reward the learning loop
/// trains with: Tests/Fixtures/reward/reward-parity.json holds the Python values of every part on hand-written tricky
/// completions (malformed, missing and extra keys, out-of-range and string scores, text around the tags, fences,
/// full-width punctuation, truncation, Unicode) and on seeded random corruptions, under the default and the retrain's
/// weights. Written by tools/trl/make_reward_fixture.py; no Python runs here.
@Suite struct RewardParityTests {
    struct Fixture: Decodable {
        struct Reference: Decodable { let scores: [Int]; let reasoning: String }
        struct Parts: Decodable { let format: Double; let keys: Double; let scores: Double; let reasoning: Double; let parseable: Bool; let total: Double }
        struct Case: Decodable { let kind: String; let completion: String; let reference: Int; let rewards: [String: Parts] }
        let dimensions: [String]
        let configs: [String: RewardConfig]
        let corpus: [String]
        let references: [Reference]
        let cases: [Case]
    }

    @Test func pythonRewardEqualsSwiftRewardOnEveryCompletion() throws {
        let url = TestPaths.fixtures.appendingPathComponent("reward/reward-parity.json")
        let f = try JSONDecoder().decode(Fixture.self, from: try Data(contentsOf: url))
        #expect(f.dimensions == Dimension.allCases.map(\.key), "the fixture's keys are the nine dimensions in canonical order")
        #expect(f.cases.count >= 400 && f.configs.count == 2)
        #expect(f.cases.contains { !($0.rewards["default"]?.parseable ?? true) }, "some completions are unparseable")
        let similarity = CharNGramTFIDF(corpus: f.corpus)
        var largest = 0.0, largestAt = ""
        var mismatches: [String] = []
        for (name, config) in f.configs.sorted(by: { $0.key < $1.key }) {
            for (i, c) in f.cases.enumerated() {
                let ref = f.references[c.reference]
                let reference = ScoringReference(scores: try DimensionScores(values: ref.scores), reasoning: ref.reasoning)
                let swift = Reward.score(output: c.completion, reference: reference, config: config, similarity: similarity)
                let python = try #require(c.rewards[name])
                let parts: [(String, Double, Double)] = [("format", swift.format, python.format), ("keys", swift.keys, python.keys),
                                                         ("scores", swift.scores, python.scores), ("reasoning", swift.reasoning, python.reasoning),
                                                         ("total", swift.total, python.total)]
                for (part, s, p) in parts {
                    let d = abs(s - p)
                    if d > largest { (largest, largestAt) = (d, "\(name) case \(i) \(part)") }
                    if d > 1e-9 { mismatches.append("\(name) case \(i) (\(c.kind)) \(part): swift \(s), python \(p) — \(c.completion.debugDescription.prefix(160))") }
                }
                if swift.parseable != python.parseable { mismatches.append("\(name) case \(i) parseable: swift \(swift.parseable), python \(python.parseable)") }
            }
        }
        print("reward parity: \(f.cases.count) completions × \(f.configs.count) configurations, largest |swift − python| = \(largest)"
              + (largestAt.isEmpty ? "" : " (\(largestAt))"))
        #expect(mismatches.isEmpty, "\(mismatches.count) parts differ:\n\(mismatches.prefix(20).joined(separator: "\n"))")
    }
}

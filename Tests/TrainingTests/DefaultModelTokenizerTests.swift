import Foundation
import Scoring
import Testing
@testable import Training

/// The default model's tokenizer (models/default): the engine encodes like Hugging Face `tokenizers`
/// (Tests/Fixtures/tokenizer/default-model-encodings.json, from tools/fixtures/make_default_tokenizer_fixture.py), and
/// the recipe in tools/model/make-model.sh retrains the shipped files byte for byte from the seed corpus.
@Suite struct DefaultModelTokenizerTests {
    static let root = RLPaths.packageRoot
    static let model = root.appendingPathComponent("models/default")

    struct Fixture: Decodable {
        struct Item: Decodable { let text: String; let ids: [Int] }
        let items: [Item]
    }

    @Test func encodesLikeHuggingFaceTokenizers() throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf:
            RLPaths.fixtures.appendingPathComponent("tokenizer/default-model-encodings.json")))
        let tokenizer = try Tokenizer.load(directory: Self.model)
        var mismatches: [String] = []
        for item in fixture.items where tokenizer.encode(item.text, parseSpecialTokens: false) != item.ids {
            mismatches.append(String(item.text.prefix(40)))
        }
        #expect(fixture.items.count > 400)
        let hint = "if models/default/tokenizer.json was retrained, rerun tools/fixtures/make_default_tokenizer_fixture.py"
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(fixture.items.count) differ, e.g. \(mismatches.prefix(3)) (\(hint))")
    }

    @Test func theRecipeRetrainsTheShippedTokenizer() throws {
        var trainer = try BPETrainer(BPETrainerConfiguration(vocabularySize: 12_000, minFrequency: 2,
                                                             specialTokens: BPETrainerConfiguration.qwen2SpecialTokens))
        var texts = try TokenizerCorpus.jsonl(Self.root.appendingPathComponent("data/corpus/train.jsonl"), completions: true)
        texts += try TokenizerCorpus.promptTexts(Self.root.appendingPathComponent("tools/model/scoring_prompt.json"))
        for t in texts { trainer.add(t) }
        let trained = try trainer.train { _, _ in }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("default-tokenizer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try trained.write(to: dir)
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            let ours = try Data(contentsOf: dir.appendingPathComponent(name))
            let shipped = try Data(contentsOf: Self.model.appendingPathComponent(name))
            #expect(ours == shipped, "\(name) retrained from data/corpus differs from models/default/\(name)")
        }
    }
}

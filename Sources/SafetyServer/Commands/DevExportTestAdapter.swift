import ArgumentParser
import Foundation
import Scoring
import Training

extension DevCommand {
    /// The Swift half of the PEFT export check (Tests/Fixtures/README.md, "Swift export"): trains a LoRA adapter on
    /// tiny-gqa for a few SFT steps with this project's trainer, saves it with `LoRAAdapter.save`, and records the
    /// engine's logits for three fixed prompts with the adapter as reloaded from disk. tools/fixtures/check_peft_export.py
    /// then loads the folder with PEFT, checks its logits against these and writes PEFT's, which
    /// `PEFTExportParityTests` compares with the engine without Python.
    struct ExportTestAdapter: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-test-adapter",
            abstract: "Trains and exports the LoRA adapter of the PEFT export fixture (Tests/Fixtures/training/swift-export).")

        @Option(help: "Base model folder (its path is recorded as base_model_name_or_path).") var model = "Tests/Fixtures/models/tiny-gqa"
        @Option(help: "Output folder.") var out = "Tests/Fixtures/training/swift-export"
        @Option(help: "SFT steps.") var steps = 12
        @Option(help: "Seed of the data, the fresh adapter and the data order.") var seed: UInt64 = 7

        static let promptLengths = [5, 16, 37]
        static let promptSeed: UInt64 = 2025

        struct Record: Encodable {
            struct LoRA: Encodable { let r: Int; let alpha: Double; let targets: [String] }
            struct Training: Encodable {
                let samples: Int, steps: Int, batchSize: Int, learningRate: Float, warmupSteps: Int, schedule: String, seed: UInt64
                let losses: [Float]
                enum CodingKeys: String, CodingKey {
                    case samples, steps, batchSize = "batch_size", learningRate = "learning_rate", warmupSteps = "warmup_steps", schedule, seed, losses
                }
            }
            let generator: String, note: String, base: String, lora: LoRA, training: Training, prompts: [[Int]], logitsFile: String
            let adapterEffect: Float
            enum CodingKeys: String, CodingKey {
                case generator, note, base, lora, training, prompts, logitsFile = "logits_file", adapterEffect = "adapter_effect"
            }
        }

        func run() throws {
            let modelDir = URL(fileURLWithPath: model), outDir = URL(fileURLWithPath: out)
            let base = try Qwen2Model.load(directory: modelDir)
            let V = base.config.vocabSize

            // Token-id data (no tokenizer: tiny-gqa's vocabulary is 512 random ids): short prompts, 8-token completions.
            var rng = SplitMix64(seed: seed)
            func ids(_ n: Int) -> [Int] { (0..<n).map { _ in Int(rng.next() % UInt64(V)) } }
            let samples = (0..<16).map { i in SFTSample(prompt: ids(3 + i % 5), completion: ids(8)) }
            let lora = LoRAConfig(r: 8, alpha: 16, targets: Projection.allCases, baseModel: model)
            let trainable = TrainableQwen2(base: base, adapter: LoRAAdapter.fresh(id: "swift-export", model: base, config: lora, seed: seed))
            var cfg = SFTConfig()
            cfg.batchSize = 4; cfg.maxSteps = steps; cfg.warmupSteps = 2; cfg.seed = seed
            cfg.optimizer = AdamWConfig(learningRate: 1e-2, weightDecay: 0)
            let trainer = SFTTrainer(model: trainable, train: samples, config: cfg)
            let losses = trainer.run().map(\.loss)
            logError("export-test-adapter: \(steps) SFT steps, loss \(losses.first ?? .nan) → \(losses.last ?? .nan)")

            try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
            try trainable.exportAdapter(id: "swift-export").save(to: outDir)
            // The logits PEFT must reproduce: the adapter as written, read back.
            let adapter = try LoRAAdapter.load(directory: outDir, model: base)
            var prng = SplitMix64(seed: Self.promptSeed)
            let prompts = Self.promptLengths.map { n in (0..<n).map { _ in Int(prng.next() % UInt64(V)) } }
            let ws = Workspace()
            var writer = SafeTensorsWriter(metadata: ["format": "pt", "writer": "safety-server dev export-test-adapter"])
            var effect: Float = 0
            for (i, p) in prompts.enumerated() {
                let with = base.forward([SequenceStep(tokens: p, cache: base.makeCache(), adapter: adapter, logits: .all)], workspace: ws)[0]
                let without = base.forward([SequenceStep(tokens: p, cache: base.makeCache(), adapter: nil, logits: .all)], workspace: ws)[0]
                let scale = without.map(abs).max() ?? 1
                effect = max(effect, zip(with, without).map { abs($0 - $1) }.max()! / scale)
                writer.add(.init(name: "logits.\(i)", shape: [p.count, V], values: with))
            }
            try writer.write(to: outDir.appendingPathComponent("swift-logits.safetensors"))

            let record = Record(
                generator: "safety-server dev export-test-adapter",
                note: "LoRA adapter trained by SFTTrainer on token-id data and saved by LoRAAdapter.save; logits.<i> "
                    + "[T_i, V] are Qwen2Model.forward's logits of prompts[i] with the adapter reloaded from this folder. "
                    + "adapter_effect = max|logits with - without adapter| / max|logits without|.",
                base: model, lora: .init(r: lora.r, alpha: lora.loraAlpha, targets: Projection.allCases.map(\.rawValue)),
                training: .init(samples: samples.count, steps: steps, batchSize: cfg.batchSize, learningRate: cfg.optimizer.learningRate,
                                warmupSteps: cfg.warmupSteps, schedule: cfg.schedule.rawValue, seed: seed, losses: losses),
                prompts: prompts, logitsFile: "swift-logits.safetensors", adapterEffect: effect)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try enc.encode(record).write(to: outDir.appendingPathComponent("swift-export.json"), options: .atomic)
            logError(String(format: "export-test-adapter: wrote %@ (adapter changes the logits by up to %.3f of their range)", outDir.path, effect))
        }
    }
}

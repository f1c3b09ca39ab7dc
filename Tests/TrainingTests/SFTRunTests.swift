import Foundation
import Scoring
import Testing
@testable import Training

/// `SFTRun` / `SFTJob`, what `safety-server train sft` calls: a few steps on tiny-gqa with token-id data lower the
/// loss, the outputs are written and reload, an interrupted run resumes to the same result, and bad inputs fail with
/// errors that name the problem.
@Suite struct SFTRunTests {
    static let base: Qwen2Model = try! Qwen2Model.load(directory: TestPaths.model("tiny-gqa"))

    func settings(_ out: URL, steps: Int = 8) -> SFTRunSettings {
        var s = SFTRunSettings(output: out)
        s.trainer.batchSize = 4; s.trainer.maxSteps = steps; s.trainer.warmupSteps = 1; s.trainer.seed = 3
        s.trainer.optimizer = AdamWConfig(learningRate: 1e-2, weightDecay: 0)
        return s
    }

    func logits(_ model: Qwen2Model, adapter: LoRAAdapter?, _ ids: [Int]) -> [Float] {
        model.forward([SequenceStep(tokens: ids, cache: model.makeCache(), adapter: adapter, logits: .all)], workspace: Workspace())[0]
    }

    func stepLog(_ url: URL) throws -> [SFTStepReport] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { try JSONDecoder().decode(SFTStepReport.self, from: Data($0.utf8)) }
    }

    @Test func loraRunLowersTheLossAndWritesAnAdapterThatReloads() throws {
        let out = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let data = memorisationSamples(count: 8, vocab: Self.base.config.vocabSize)
        let model = TrainableQwen2(base: Self.base, lora: LoRAConfig(r: 4, alpha: 8, targets: Projection.allCases), seed: 1)
        var s = settings(out)
        s.validateEvery = 4
        let summary = try SFTRun(model: model, train: data, validation: Array(data.prefix(4)), settings: s).run()
        print("LoRA SFTRun: loss \(summary.firstLoss!) → \(summary.lastLoss!), validation \(summary.initialValidationLoss!) → \(summary.finalValidationLoss!)")
        #expect(summary.steps == 8)
        #expect(summary.lastLoss! < summary.firstLoss! - 0.5)
        #expect(summary.finalValidationLoss! < summary.initialValidationLoss! - 0.5)

        for f in ["adapter_config.json", "adapter_model.safetensors", "scoring_prompt.json", "train_log.jsonl", "sft_run.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "\(f) missing")
        }
        let log = try stepLog(out.appendingPathComponent("train_log.jsonl"))
        #expect(log.map(\.step) == Array(1...8))
        #expect(log.filter { $0.validationLoss != nil }.map(\.step) == [4, 8])
        #expect(try ScoringPrompt.load(directory: out) == .default)

        // The saved adapter is the trained one: same logits as the trainer's own export.
        let reloaded = try LoRAAdapter.load(directory: out, model: Self.base)
        let ids = data[0].prompt + data[0].completion
        #expect(logits(Self.base, adapter: reloaded, ids) == logits(Self.base, adapter: model.exportAdapter(id: "x"), ids))
        #expect(logits(Self.base, adapter: reloaded, ids) != logits(Self.base, adapter: nil, ids))
    }

    @Test func fullRunWritesAModelThatReloadsWithIdenticalLogits() throws {
        let out = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let data = memorisationSamples(count: 8, vocab: Self.base.config.vocabSize)
        let model = TrainableQwen2(copying: Self.base)
        var s = settings(out, steps: 6)
        s.trainer.optimizer.learningRate = 3e-3
        s.filesToCopy = [TestPaths.model("tiny-gqa").appendingPathComponent("generation_config.json")]
        let summary = try SFTRun(model: model, train: data, validation: [], settings: s).run()
        print("full SFTRun: loss \(summary.firstLoss!) → \(summary.lastLoss!)")
        #expect(summary.lastLoss! < summary.firstLoss!)
        #expect(summary.outputs.contains("generation_config.json"))
        let reloaded = try Qwen2Model.load(directory: out)
        let ids = data[1].prompt + data[1].completion
        #expect(logits(reloaded, adapter: nil, ids) == logits(model.exportModel(), adapter: nil, ids))
        #expect(logits(reloaded, adapter: nil, ids) != logits(Self.base, adapter: nil, ids))
    }

    @Test func interruptedRunResumesToTheSameAdapter() throws {
        struct Interrupted: Error {}
        let data = memorisationSamples(count: 10, vocab: Self.base.config.vocabSize)
        func fresh() -> TrainableQwen2 { TrainableQwen2(base: Self.base, lora: LoRAConfig(r: 4, alpha: 8, targets: Projection.allCases), seed: 5) }
        let straight = try TestPaths.temporaryDirectory(), resumed = try TestPaths.temporaryDirectory(), checkpoints = try TestPaths.temporaryDirectory()
        defer { for d in [straight, resumed, checkpoints] { try? FileManager.default.removeItem(at: d) } }
        try SFTRun(model: fresh(), train: data, validation: [], settings: settings(straight, steps: 6)).run()

        var s = settings(resumed, steps: 6)
        s.checkpointDirectory = checkpoints
        s.checkpointEvery = 3
        // Stopped during step 5: steps 4 and 5 are logged but only step 3 is checkpointed.
        #expect(throws: Interrupted.self) {
            try SFTRun(model: fresh(), train: data, validation: [], settings: s).run(onStep: { if $0.step == 5 { throw Interrupted() } })
        }
        #expect(try stepLog(s.resolvedLogFile).map(\.step) == [1, 2, 3, 4, 5])
        #expect(SFTRun.latestCheckpoint(in: checkpoints) == checkpoints.appendingPathComponent("latest"))
        s.resume = true
        s.trainer.optimizer.learningRate = 5e-2  // ignored: a resumed run keeps its checkpoint's settings
        var notes: [String] = []
        let summary = try SFTRun(model: fresh(), train: data, validation: [], settings: s).run(note: { notes.append($0) })
        #expect(summary.resumedFromStep == 3 && summary.steps == 3)
        #expect(notes.contains { $0.contains("optimizer.learningRate") })

        let a = try stepLog(straight.appendingPathComponent("train_log.jsonl")), b = try stepLog(s.resolvedLogFile)
        #expect(b.map(\.step) == Array(1...6))
        #expect(a.map(\.loss) == b.map(\.loss))
        let weights = "adapter_model.safetensors"
        #expect(FileManager.default.contents(atPath: straight.appendingPathComponent(weights).path)
                == FileManager.default.contents(atPath: resumed.appendingPathComponent(weights).path), "resumed adapter differs")
    }

    @Test func resumeWithoutACheckpointSaysWhere() throws {
        let out = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        var s = settings(out)
        s.checkpointDirectory = out.appendingPathComponent("none")
        s.resume = true
        let run = try SFTRun(model: TrainableQwen2(base: Self.base, lora: LoRAConfig(r: 2, alpha: 4, targets: [.q])),
                             train: memorisationSamples(count: 2, vocab: 512), validation: [], settings: s)
        #expect(throws: SFTRunError.noCheckpoint(directory: out.appendingPathComponent("none").path)) { try run.run() }
    }

    @Test func samplesOutsideTheVocabularyAreRejected() {
        let model = TrainableQwen2(base: Self.base, lora: LoRAConfig(r: 2, alpha: 4, targets: [.q]))
        let bad = [SFTSample(prompt: [1, 2], completion: [3, 600])]
        #expect(throws: SFTRunError.tokenOutOfVocabulary(sample: 0, token: 600, vocabularySize: 512)) {
            try SFTRun(model: model, train: bad, validation: [], settings: settings(FileManager.default.temporaryDirectory))
        }
    }

    @Test func validationSplitIsSeededAndKeepsOrder() throws {
        let items = Array(0..<20)
        let (train, validation) = try SFTData.split(items, validationFraction: 0.25, seed: 4)
        #expect(validation.count == 5 && train.count == 15)
        #expect(Set(train + validation) == Set(items) && train == train.sorted() && validation == validation.sorted())
        #expect(try SFTData.split(items, validationFraction: 0.25, seed: 4).validation == validation)
        #expect(try SFTData.split(items, validationFraction: 0.01, seed: 4).validation.count == 1)
        #expect(throws: SFTRunError.badValidationFraction(1)) { try SFTData.split(items, validationFraction: 1, seed: 0) }
        #expect(throws: SFTRunError.nothingLeftToTrain(samples: 1, validation: 1)) { try SFTData.split([7], validationFraction: 0.5, seed: 0) }
    }

    @Test func scoringExamplesBecomePromptAndAnswerEndingInImEnd() throws {
        let tokenizer = try Tokenizer.load(directory: TestPaths.packageRoot.appendingPathComponent("data/qwen2-tokenizer"))
        let examples = try ScoringExample.parseJSONL("""
            {"text": "今天天气很好。", "scores": {"商业违规": 100, "对抗性检测": 100, "带有偏见、仇恨、歧视或侮辱": 100, "恐怖主义&&带有暴力倾向": 100, "政治&&军事敏感问题": 100, "敏感数据泄露": 100, "敏感词": 100, "虚假信息": 100, "诱导&&违法不良信息": 100}, "reasoning": "无问题。"}
            """)
        let sample = try SFTData.samples(examples, prompt: .default, tokenizer: tokenizer)[0]
        let e = examples[0]
        #expect(sample.prompt == ScoringExample.promptTokens(text: e.text, prompt: .default, tokenizer: tokenizer))
        #expect(sample.completion.last == tokenizer.tokenID("<|im_end|>"))
        let answer = tokenizer.decode(Array(sample.completion.dropLast()))
        #expect(answer == ScoringPrompt.completion(reasoning: "无问题。", scores: e.reference.scores))
        #expect(AnswerParser.parse(answer).scores == e.reference.scores)
    }

    // MARK: Files (SFTJob)

    func job(data: URL, out: URL) -> SFTJob { SFTJob(modelDirectory: TestPaths.model("tiny-gqa"), dataFile: data, output: out) }

    @Test func missingFilesAreNamed() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("nope.jsonl")
        #expect(throws: SFTRunError.missingFile(what: "training data", path: data.path)) { try job(data: data, out: dir).prepare() }
        var j = job(data: data, out: dir)
        j.modelDirectory = dir
        #expect(throws: SFTRunError.missingFile(what: "model config", path: dir.appendingPathComponent("config.json").path)) { try j.prepare() }
    }

    @Test func badJSONLLineIsReportedWithItsNumber() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data.jsonl")
        try "{\"text\": \"a\", \"scores\": {}}\n".write(to: data, atomically: true, encoding: .utf8)
        try "\n{\"text\": \"b\"}\n".write(to: data, atomically: true, encoding: .utf8)
        do {
            _ = try job(data: data, out: dir).prepare()
            Issue.record("expected an error")
        } catch let e as ScoringDatasetError {
            guard case let .badLine(file, line, reason) = e else { Issue.record("\(e)"); return }
            #expect(file == data.path && line == 2 && reason.contains("scores"), "\(e)")
        }
    }

    @Test func adapterForAnotherModelDoesNotFit() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data.jsonl")
        try "{\"text\": \"a\", \"scores\": {\"商业违规\": 100, \"对抗性检测\": 100, \"带有偏见、仇恨、歧视或侮辱\": 100, \"恐怖主义&&带有暴力倾向\": 100, \"政治&&军事敏感问题\": 100, \"敏感数据泄露\": 100, \"敏感词\": 100, \"虚假信息\": 100, \"诱导&&违法不良信息\": 100}}\n"
            .write(to: data, atomically: true, encoding: .utf8)
        var j = job(data: data, out: dir)
        j.adapterDirectory = TestPaths.fixtures.appendingPathComponent("adapters/tiny-untied-rslora")
        do {
            _ = try j.prepare()
            Issue.record("expected an error")
        } catch let e as SFTRunError {
            guard case let .adapterDoesNotFit(directory, model, reason) = e else { Issue.record("\(e)"); return }
            print("adapter that does not fit: \(e)")
            #expect(directory.hasSuffix("tiny-untied-rslora") && model.hasSuffix("tiny-gqa") && reason.contains("shape"))
        }
        j.adapterDirectory = nil
        j.mode = .full
        j.validationFraction = 0.5
        j.validationFile = data
        #expect(throws: SFTRunError.self) { try j.prepare() }
    }
}

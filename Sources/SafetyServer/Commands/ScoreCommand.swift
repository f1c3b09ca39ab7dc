import ArgumentParser
import Foundation
import Scoring

struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Scores a text on the nine TC260-003 dimensions and prints the parsed scores and reasoning as JSON.")

    @Option(help: "Model folder (config.json, model.safetensors, tokenizer files, optional scoring_prompt.json).") var model: String
    @Option(help: "PEFT LoRA adapter folder.") var adapter: String?
    @Option(help: "Maximum new tokens.") var maxTokens = 384
    @Argument(help: "The text to score.") var text: String

    func run() async throws {
        let dir = URL(fileURLWithPath: model)
        let m = try Qwen2Model.load(directory: dir)
        let tok = try Tokenizer.load(directory: dir)
        let prompt = try ScoringPrompt.load(directory: dir)
        let lora = try adapter.map { try LoRAAdapter.load(directory: URL(fileURLWithPath: $0), model: m) }
        var options = ScorerOptions()
        options.maxNewTokens = maxTokens
        let scorer = try Scorer(model: m, tokenizer: tok, prompt: prompt, baseModelID: dir.lastPathComponent, options: options, adapter: lora)
        defer { scorer.shutdown() }
        let r = try await scorer.score(text)
        try printJSON(r, pretty: true)
    }
}

import ArgumentParser
import Foundation
import Scoring

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generates a continuation of a prompt (wrapped in the ChatML template unless --raw) and prints it as JSON.")

    @Option(help: "Model folder (config.json, model.safetensors, tokenizer files).") var model: String
    @Option(help: "The prompt text.") var prompt: String
    @Option(help: "PEFT LoRA adapter folder.") var adapter: String?
    @Option(help: "System message for the chat template.") var system: String?
    @Flag(help: "Use the prompt as is, without the chat template.") var raw = false
    @Flag(help: "Greedy decoding (the default unless --temperature is given).") var greedy = false
    @Option(help: "Sampling temperature (0 = greedy).") var temperature: Float = 0
    @Option(help: "Top-k (0 = off).") var topK = 0
    @Option(help: "Top-p (1 = off).") var topP: Float = 1
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Maximum new tokens.") var maxTokens = 128
    @Option(help: "Number of samples sharing the prompt's KV cache.") var samples = 1

    func run() throws {
        let dir = URL(fileURLWithPath: model)
        let m = try Qwen2Model.load(directory: dir)
        let tok = try Tokenizer.load(directory: dir)
        let lora = try adapter.map { try LoRAAdapter.load(directory: URL(fileURLWithPath: $0), model: m) }
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: "system", content: system)) }
        messages.append(ChatMessage(role: "user", content: prompt))
        let text = raw ? prompt : ChatTemplate.chatML(messages, addGenerationPrompt: true)
        let ids = tok.encode(text)
        guard !ids.isEmpty else { throw ValidationError("the prompt encodes to no tokens") }
        let params = SamplingParameters(temperature: greedy ? 0 : temperature, topK: topK, topP: topP, seed: seed,
                                        maxTokens: maxTokens, stopTokens: tok.eosTokenIDs)
        let t0 = Date()
        let outs = Generator(model: m).generate(prompt: ids, count: max(1, samples), parameters: params, adapter: lora)
        let seconds = Date().timeIntervalSince(t0)
        struct Sample: Encodable { let text: String; let tokens: [Int]; let finish_reason: String }
        struct Output: Encodable { let prompt_tokens: Int; let samples: [Sample]; let seconds: Double }
        try printJSON(Output(prompt_tokens: ids.count, samples: outs.map {
            Sample(text: tok.decode($0.tokens.filter { !tok.eosTokenIDs.contains($0) }), tokens: $0.tokens, finish_reason: $0.finishReason.rawValue)
        }, seconds: seconds), pretty: true)
    }
}

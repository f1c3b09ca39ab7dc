import ArgumentParser
import Foundation
import Scoring

struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Prints the logits at every position for a list of token ids, as JSON ({\"ids\", \"vocab_size\", \"logits\": [[…]]}).")

    @Option(help: "Model folder (config.json + model.safetensors).") var model: String
    @Option(help: "Comma-separated token ids, e.g. 1,2,3.") var ids: String
    @Option(help: "PEFT LoRA adapter folder to apply (unmerged).") var adapter: String?
    @Option(help: "In-memory weight format: stored, f32 or bf16.") var weights: WeightFormat = .asStored

    func run() throws {
        let tokens = try ids.split(separator: ",").map { part -> Int in
            guard let v = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--ids must be comma-separated integers, found \"\(part)\"")
            }
            return v
        }
        guard !tokens.isEmpty else { throw ValidationError("--ids is empty") }
        let m = try Qwen2Model.load(directory: URL(fileURLWithPath: model), format: weights)
        if let bad = tokens.first(where: { $0 < 0 || $0 >= m.config.vocabSize }) {
            throw ValidationError("token id \(bad) is outside the vocabulary (0..<\(m.config.vocabSize))")
        }
        let lora = try adapter.map { try LoRAAdapter.load(directory: URL(fileURLWithPath: $0), model: m) }
        let flat = m.forward([SequenceStep(tokens: tokens, cache: m.makeCache(capacity: tokens.count), adapter: lora, logits: .all)],
                             workspace: Workspace())[0]
        let V = m.config.vocabSize
        struct Output: Encodable { let ids: [Int]; let vocab_size: Int; let adapter: String?; let logits: [[Float]] }
        try printJSON(Output(ids: tokens, vocab_size: V, adapter: lora?.id,
                             logits: (0..<tokens.count).map { Array(flat[($0 * V)..<(($0 + 1) * V)]) }))
    }
}

import ArgumentParser
import Foundation
import Scoring
import Training

/// `safety-server tokenizer …`: tokenizer tools.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer", abstract: "Tokenizer tools: train a byte-level BPE vocabulary.",
        subcommands: [TokenizerTrainCommand.self])
}

struct TokenizerTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Trains a byte-level BPE tokenizer the Qwen2 way and writes tokenizer.json + tokenizer_config.json.",
        discussion: """
            Each text is NFC-normalised and split by the Qwen2 pre-tokenizer; BPE starts from the 256 bytes (so any \
            text encodes) and merges the most frequent adjacent pair until --vocab-size tokens, counting the special \
            tokens, which follow the learned vocabulary. --data is JSONL with a "text" field per line; with \
            --completions, lines that also have "scores" (the nine Chinese keys: 0…100) and "reasoning" add their \
            canonical answer. --text is plain text, one text per line. Progress goes to standard error, a one-line \
            summary to standard output. The same input and settings give byte-identical files.
            """)

    @Option(help: "JSONL file with a \"text\" field per line (repeat the option for several files).") var data: [String] = []
    @Option(help: "Plain-text file, one text per line (repeatable).") var text: [String] = []
    @Option(help: "Tokens in the vocabulary, counting the 256 bytes and the special tokens.") var vocabSize: Int
    @Option(help: "Merge only pairs that occur at least this often.") var minFrequency = 2
    @Option(help: "Output folder for tokenizer.json and tokenizer_config.json.") var out: String
    @Flag(help: "Also learn the canonical answer of each --data line that has \"scores\" and \"reasoning\".") var completions = false
    @Option(help: "A scoring_prompt.json whose fixed text (prefix and tail) is learned too.") var prompt: String?
    @Option(help: "Special tokens after the learned vocabulary (comma-separated).")
    var specialTokens = BPETrainerConfiguration.qwen2SpecialTokens.joined(separator: ",")
    @Option(help: "chat_template for tokenizer_config.json: a Jinja file, or a tokenizer_config.json to copy it from (default: Qwen2.5's ChatML template).")
    var chatTemplate: String?
    @Option(help: "model_max_length in tokenizer_config.json.") var modelMaxLength = 131_072

    func validate() throws {
        guard !data.isEmpty || !text.isEmpty || prompt != nil else {
            throw ValidationError("give at least one --data JSONL file (or --text / --prompt)")
        }
        guard modelMaxLength > 0 else { throw ValidationError("--model-max-length must be positive") }
    }

    func run() throws {
        let started = ProgressBar.now()
        let configuration = BPETrainerConfiguration(
            vocabularySize: vocabSize, minFrequency: minFrequency,
            specialTokens: specialTokens.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
        var trainer = try BPETrainer(configuration)
        let template = try chatTemplate.map(readChatTemplate)

        var texts: [String] = []
        for file in data { texts += try TokenizerCorpus.jsonl(URL(fileURLWithPath: file), completions: completions) }
        for file in text { texts += try TokenizerCorpus.textLines(URL(fileURLWithPath: file)) }
        if let prompt { texts += try TokenizerCorpus.promptTexts(URL(fileURLWithPath: prompt)) }

        let chunk = max(1, texts.count / 100)
        var counting = ProgressBar(total: texts.count, every: chunk * 10)
        for (i, t) in texts.enumerated() {
            trainer.add(t)
            if (i + 1) % chunk == 0 || i + 1 == texts.count {
                counting.update(step: i + 1, of: texts.count, detail: "texts  \(trainer.distinctWordCount) distinct words")
            }
        }
        counting.finish()
        texts = []

        let step = max(1, (vocabSize - configuration.minimumVocabularySize) / 200)
        var merging = ProgressBar(total: vocabSize - configuration.minimumVocabularySize, every: step * 20)
        var tokenizer = try trainer.train { learned, target in
            if learned % step == 0 || learned == target { merging.update(step: learned, of: target, detail: "tokens learned") }
        }
        merging.finish()
        tokenizer.modelMaxLength = modelMaxLength
        if let template { tokenizer.chatTemplate = template }
        let outURL = URL(fileURLWithPath: out)
        let files = try tokenizer.write(to: outURL)
        _ = try Tokenizer.load(directory: outURL)  // what was written must load

        let s = tokenizer.statistics
        var summary = "tokenizer: \(tokenizer.vocabularySize) tokens (256 bytes, \(tokenizer.tokens.count - 256) learned, "
            + "\(tokenizer.specialTokens.count) special), \(tokenizer.merges.count) merges"
        if tokenizer.vocabularySize < vocabSize {
            summary += " (stopped short of \(vocabSize): no pair left occurs at least \(minFrequency) times)"
        }
        summary += "; \(s.texts) texts, \(s.characters) characters → \(s.tokens) tokens, "
            + String(format: "%.3f characters per token; %.1f s; wrote ", s.charactersPerToken, ProgressBar.now() - started)
            + files.map(\.lastPathComponent).joined(separator: ", ") + " to \(out)"
        print(summary)
    }

    /// A Jinja file's text, or the `chat_template` string of a tokenizer_config.json.
    private func readChatTemplate(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--chat-template: cannot read \(path)")
        }
        guard path.hasSuffix(".json") else { return String(decoding: data, as: UTF8.self) }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let template = object["chat_template"] as? String else {
            throw ValidationError("--chat-template: \(path) is not a tokenizer_config.json with a \"chat_template\" string")
        }
        return template
    }
}

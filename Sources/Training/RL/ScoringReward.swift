import Scoring

/// The scoring task's reward for a sampled completion: decode its tokens (special tokens such as EOS dropped), parse
/// the answer, compare with the prompt's reference (`Reward.score`).
public struct ScoringReward: Sendable {
    public let tokenizer: Tokenizer
    public let config: RewardConfig
    public let similarity: any ReasoningSimilarity

    public init(tokenizer: Tokenizer, config: RewardConfig = .default, similarity: any ReasoningSimilarity) {
        self.tokenizer = tokenizer
        self.config = config
        self.similarity = similarity
    }

    /// The completion's text as the parser sees it.
    public func text(of completion: Generation) -> String {
        tokenizer.decode(completion.tokens, skipSpecialTokens: true)
    }

    public func reward(text: String, reference: ScoringReference) -> RewardBreakdown {
        Reward.score(output: text, reference: reference, config: config, similarity: similarity)
    }

    /// For `GRPOTrainer`: a prompt without a reference is a programmer error.
    public func callAsFunction(_ prompt: GRPOPrompt, _ completion: Generation) -> RewardBreakdown {
        guard let reference = prompt.reference else { preconditionFailure("GRPO prompt without a reference label") }
        return reward(text: text(of: completion), reference: reference)
    }
}

/// One labelled text for the learning loop: the request text, the human (or seed) label, and its token ids under a
/// scoring prompt.
public struct ScoringExample: Sendable {
    public var text: String
    public var reference: ScoringReference

    public init(text: String, reference: ScoringReference) {
        self.text = text
        self.reference = reference
    }

    /// The model input: the prompt's prefix and suffix tokenised separately and concatenated, exactly as the scorer
    /// builds it (so the cached-prefix split is the same in training and serving).
    public static func promptTokens(text: String, prompt: ScoringPrompt, tokenizer: Tokenizer) -> [Int] {
        tokenizer.encode(prompt.prefix) + tokenizer.encode(prompt.suffix(text: text), parseSpecialTokens: false)
    }

    public func grpoPrompt(prompt: ScoringPrompt, tokenizer: Tokenizer) -> GRPOPrompt {
        GRPOPrompt(tokens: Self.promptTokens(text: text, prompt: prompt, tokenizer: tokenizer), reference: reference)
    }
}

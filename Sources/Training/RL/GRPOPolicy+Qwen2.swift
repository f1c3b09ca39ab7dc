import Scoring

/// `TrainableQwen2` as a GRPO policy. Sampling runs on the inference engine: in LoRA mode the frozen base with a
/// snapshot of the adapter being trained (`exportAdapter`), in full mode an exported copy of the weights; log-probs
/// for the loss come from the trainable model itself, so the sampler's float rounding never enters the ratio.
extension TrainableQwen2: GRPOPolicy {
    public typealias Pass = ForwardPass

    public func sample(prompts: [[Int]], count: Int, parameters: [SamplingParameters],
                       constraint: (any TokenConstraint)?) -> [[Generation]] {
        let (model, adapter): (Qwen2Model, LoRAAdapter?) = isLoRA
            ? (base!, exportAdapter(id: "grpo-policy")) : (exportModel(), nil)
        return SharedPrefixSampler(model: model).sample(prompts: prompts, count: count, parameters: parameters,
                                                        adapter: adapter, constraint: constraint)
    }

    public func forwardLogprobs(_ batch: [TrainingSequence]) -> (pass: ForwardPass, logprobs: [[Float]]) {
        let pass = forward(batch)
        return (pass, pass.logprobs)
    }
}

extension GRPOTrainer where Policy == TrainableQwen2 {
    /// GRPO on a `TrainableQwen2` with AdamW: each optimisation pass clips the gradient norm to `maxGradNorm` (when
    /// given) and takes one AdamW step at `learningRate(step)` (default: the optimizer's configured rate).
    public convenience init(model: TrainableQwen2, optimizer: AdamW, maxGradNorm: Float? = 1, config: GRPOConfig,
                            stopTokens: Set<Int>, constraint: (any TokenConstraint)? = nil,
                            learningRate: ((_ optimizerStep: Int) -> Float)? = nil,
                            reward: @escaping RewardFunction) throws(GRPOConfigError) {
        try self.init(policy: model, config: config, stopTokens: stopTokens, constraint: constraint, reward: reward,
                      optimizerStep: { () -> Float? in
                          let norm = maxGradNorm.map { model.parameters.clipGradNorm(maxNorm: $0) } ?? model.parameters.gradNorm()
                          optimizer.step(model.parameters, learningRate: learningRate?(optimizer.stepCount))
                          return norm
                      })
    }
}

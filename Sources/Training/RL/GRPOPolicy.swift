import Scoring

/// What `GRPOTrainer` needs from a trainable policy: sampling, log-probs with and without the trained parameters, and
/// a forward/backward pair that turns dLoss/dlogp per token into parameter gradients.
///
/// `TrainableQwen2` conforms (GRPOPolicy+Qwen2.swift): it samples with the engine's `Generator` (G samples share the
/// prompt's KV cache) using a snapshot of the adapter being trained, and the reference policy is the adapter switched
/// off. Tests also drive the trainer with small hand-written policies.
public protocol GRPOPolicy: AnyObject {
    /// What a forward pass keeps for its backward pass.
    associatedtype Pass

    /// `count` completions of each prompt from the current policy; `parameters[i]` (seed included) goes with
    /// `prompts[i]`. Each completion's tokens end with the stop token when it stopped on one.
    func sample(prompts: [[Int]], count: Int, parameters: [SamplingParameters],
                constraint: (any TokenConstraint)?) -> [[Generation]]

    /// Forward pass keeping activations: per sequence, the log-prob of each scored token
    /// (`targetStart ..< tokens.count - 1`, predicting the next token).
    func forwardLogprobs(_ batch: [TrainingSequence]) -> (pass: Pass, logprobs: [[Float]])

    /// Accumulates dLoss/dθ given dLoss/dlogp for every scored token of the pass.
    func backward(_ pass: Pass, dLogprobs: [[Float]])

    /// Log-probs without keeping activations; `adapterEnabled: false` is the reference policy.
    func logprobs(_ batch: [TrainingSequence], adapterEnabled: Bool) -> [[Float]]

    /// Clears the accumulated gradients.
    func zeroGrad()
}

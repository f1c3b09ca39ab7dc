// Dimension, PerDimension, JSONValue and SplitMix64 come from the shared vocabulary; re-exported so that code
// importing Storage sees them as before.
@_exported import Vocabulary

/// The vocabulary's dimension: within this module, `Dimension` is not Foundation's unit class of the same name.
public typealias Dimension = Vocabulary.Dimension

extension Dimension {
    /// SQL column of the score (both `requests` and `corrections`).
    var scoreColumn: String { rawValue }
    /// SQL column of the model's confidence (`requests`).
    var confidenceColumn: String { "confidence_" + rawValue }
}

// Dimension, PerDimension, JSONValue and SplitMix64 come from the shared vocabulary; re-exported so that code
// importing Scoring sees them as before.
@_exported import Vocabulary

/// The vocabulary's dimension: within this module, `Dimension` is not Foundation's unit class of the same name.
public typealias Dimension = Vocabulary.Dimension

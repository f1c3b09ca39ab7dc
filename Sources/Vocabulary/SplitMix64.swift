import Foundation

/// A small, fast, seedable generator (Steele et al., "Fast splittable pseudorandom number generators", 2014) for
/// reproducible sampling, initialisation and benchmark data.
public struct SplitMix64: RandomNumberGenerator, Sendable, Codable, Equatable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
    public mutating func fillNormal(_ p: UnsafeMutablePointer<Float>, count: Int, std: Float) {
        var i = 0
        while i < count {
            // Box–Muller, two values per draw.
            let u1 = max(Double(next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(next() >> 11) / Double(1 << 53)
            let r = (-2 * log(u1)).squareRoot()
            p[i] = Float(r * cos(2 * .pi * u2)) * std
            if i + 1 < count { p[i + 1] = Float(r * sin(2 * .pi * u2)) * std }
            i += 2
        }
    }
}

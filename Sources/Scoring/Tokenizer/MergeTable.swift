/// The BPE merge list as a hash table from a token pair to (rank, merged token): the hot lookup of encoding.
/// Open addressing with linear probing; each slot is a key word and a value word side by side, so a lookup is
/// usually one cache line. Immutable after `init`, hence safe to share.
final class MergeTable: @unchecked Sendable {
    /// One merge: `left` + `right` → `merged`, preferred over merges with a larger rank.
    struct Merge {
        var left: Int32
        var right: Int32
        var merged: Int32
    }

    static let absent = UInt64.max

    private let slots: UnsafeMutablePointer<UInt64>  // [capacity, 2]: key (left << 32 | right), value (rank << 32 | merged)
    private let mask: Int
    private let shift: UInt64  // 64 - log2(capacity)
    let count: Int

    /// Rank is the position in `merges`; a pair listed twice keeps its last rank, as in Hugging Face's
    /// (which collects the list into a map).
    init(_ merges: [Merge]) {
        var capacity = 16
        var bits: UInt64 = 4
        while capacity < merges.count * 3 { capacity <<= 1; bits += 1 }  // load factor below 1/3 keeps probes short
        let mask = capacity - 1, shift = 64 - bits
        let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
        slots.initialize(repeating: Self.absent, count: capacity * 2)
        var distinct = 0
        for (rank, merge) in merges.enumerated() {
            let key = Self.key(merge.left, merge.right)
            var s = Self.slot(key, shift)
            while slots[2 * s] != Self.absent && slots[2 * s] != key { s = (s + 1) & mask }
            if slots[2 * s] == Self.absent { distinct += 1 }
            slots[2 * s] = key
            slots[2 * s + 1] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merge.merged))
        }
        (self.slots, self.mask, self.shift, self.count) = (slots, mask, shift, distinct)
    }

    deinit { slots.deallocate() }

    /// `rank << 32 | merged` for the pair, or `absent`. Comparing two results compares ranks.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> UInt64 {
        let key = Self.key(left, right)
        var s = Self.slot(key, shift)
        while true {
            let k = slots[2 * s]
            if k == key { return slots[2 * s + 1] }
            if k == Self.absent { return Self.absent }
            s = (s + 1) & mask
        }
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Fibonacci hashing: the top bits of key × 2^64/φ are well mixed.
    @inline(__always)
    private static func slot(_ key: UInt64, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }
}

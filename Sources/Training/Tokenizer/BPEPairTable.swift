/// The adjacent symbol pairs of the training words: for each pair, its exact frequency (summed over the words that
/// hold it, weighted by word count) and the words it was ever formed in. Pairs get a slot on first sight and keep
/// it; a slot whose count falls to zero stays (with its word list freed), which keeps lookups simple.
///
/// Open addressing with linear probing over `key = left << 32 | right`, Fibonacci hashing.
struct BPEPairTable {
    private static let empty = UInt64.max

    private var keys: [UInt64]
    private var slotOf: [Int32]
    private var mask: Int
    private var shift: UInt64

    /// By slot: the pair, its frequency, and the words it was formed in (may repeat a word or name one that no
    /// longer holds the pair; the merge step skips those).
    private(set) var pairs: [UInt64] = []
    var counts: [Int] = []
    var words: [[Int32]] = []
    /// Free for the merge step's bookkeeping (the merge that last queued the pair).
    var marks: [Int] = []

    init(capacity: Int = 1 << 16) {
        var size = 16
        var bits: UInt64 = 4
        while size < capacity * 2 { size <<= 1; bits += 1 }
        keys = [UInt64](repeating: Self.empty, count: size)
        slotOf = [Int32](repeating: -1, count: size)
        mask = size - 1
        shift = 64 - bits
    }

    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    static func left(_ key: UInt64) -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: key >> 32)) }
    static func right(_ key: UInt64) -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: key)) }

    /// The slot of `key`, or nil when the pair was never seen.
    @inline(__always)
    func find(_ key: UInt64) -> Int? {
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = keys[i]
            if k == key { return Int(slotOf[i]) }
            if k == Self.empty { return nil }
            i = (i + 1) & mask
        }
    }

    /// The slot of `key`, created (count 0, no words) when the pair is new.
    @inline(__always)
    mutating func slot(_ key: UInt64) -> Int {
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = keys[i]
            if k == key { return Int(slotOf[i]) }
            if k == Self.empty { break }
            i = (i + 1) & mask
        }
        let s = pairs.count
        keys[i] = key
        slotOf[i] = Int32(s)
        pairs.append(key)
        counts.append(0)
        words.append([])
        marks.append(-1)
        if pairs.count * 2 > keys.count { grow() }
        return s
    }

    private mutating func grow() {
        let size = keys.count * 2
        keys = [UInt64](repeating: Self.empty, count: size)
        slotOf = [Int32](repeating: -1, count: size)
        mask = size - 1
        shift -= 1
        for (s, key) in pairs.enumerated() {
            var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while keys[i] != Self.empty { i = (i + 1) & mask }
            keys[i] = key
            slotOf[i] = Int32(s)
        }
    }
}

/// A max-heap of (frequency, pair) with lazy deletion: an entry is not removed when its pair's count changes;
/// the caller checks a popped entry against the current count. Higher frequency first; among equal frequencies the
/// pair with the lower (left id, right id) — the tokens learned first — as in Hugging Face's BPE trainer.
struct BPEMergeQueue {
    struct Entry {
        var count: Int
        var pair: UInt64
    }

    private(set) var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }

    @inline(__always)
    private static func precedes(_ x: Entry, _ y: Entry) -> Bool {
        x.count != y.count ? x.count > y.count : x.pair < y.pair
    }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var i = entries.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.precedes(entry, entries[parent]) else { break }
            entries[i] = entries[parent]
            i = parent
        }
        entries[i] = entry
    }

    mutating func pop() -> Entry? {
        guard let last = entries.popLast() else { return nil }
        guard !entries.isEmpty else { return last }
        let top = entries[0]
        let n = entries.count
        var i = 0
        while true {
            var child = 2 * i + 1
            if child >= n { break }
            if child + 1 < n, Self.precedes(entries[child + 1], entries[child]) { child += 1 }
            guard Self.precedes(entries[child], last) else { break }
            entries[i] = entries[child]
            i = child
        }
        entries[i] = last
        return top
    }
}

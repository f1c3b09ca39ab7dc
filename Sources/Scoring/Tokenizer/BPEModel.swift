/// tokenizer.json `model` of type BPE over the byte-level alphabet (Sennrich et al. 2016; GPT-2's variant).
///
/// A pre-tokenized piece starts as one symbol per byte; the adjacent pair with the lowest merge rank is merged,
/// the leftmost one on ties, until no adjacent pair has a merge. This is the order of Hugging Face's
/// `Word::merge_all` (a min-heap on (rank, position)). Short pieces use a linear scan over pair ranks, long ones
/// (a run of Chinese without punctuation can be hundreds of bytes) the heap; both merge in the same order.
struct BPEModel: Sendable {
    /// Byte-level token text → id.
    let vocab: [String: Int]
    let merges: MergeTable
    /// The id of the one-byte token for each byte; -1 where the vocabulary lacks it (the byte is then dropped,
    /// as Hugging Face's BPE without an unk token does).
    let byteIDs: [Int32]
    /// Llama-3-style `ignore_merges`: a piece that is itself a token is emitted whole.
    let ignoreMerges: Bool
    let cache = WordCache()

    /// Pieces up to this many bytes go through the word cache; longer ones rarely repeat.
    static let cachedLength = 48
    /// Pieces up to this many symbols use the quadratic scan; it beats the heap below about this size.
    static let linearLimit = 48

    init(vocab: [String: Int], merges: MergeTable, unknownID: Int?, ignoreMerges: Bool) {
        self.vocab = vocab
        self.merges = merges
        self.ignoreMerges = ignoreMerges
        byteIDs = ByteLevel.characters.map { c in Int32(vocab[String(c)] ?? unknownID ?? -1) }
    }

    /// Appends the ids of one pre-tokenized piece.
    @inline(__always)
    func encode(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int], _ workspace: BPEWorkspace) {
        if piece.count == 1 {
            let id = byteIDs[Int(piece[0])]
            if id >= 0 { ids.append(Int(id)) }
            return
        }
        if ignoreMerges, let id = vocab[ByteLevel.encode(piece)] {
            ids.append(id)
            return
        }
        if piece.count <= Self.cachedLength {
            let hash = WordCache.hash(piece)
            if cache.lookup(piece, hash: hash, into: &ids) { return }
            let start = ids.count
            merge(piece, into: &ids, workspace)
            cache.insert(piece, hash: hash, ids: ids[start...])
        } else {
            merge(piece, into: &ids, workspace)
        }
    }

    private func merge(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int], _ w: BPEWorkspace,
                       useHeap: Bool? = nil) {
        w.reserve(piece.count)
        let sym = w.symbols
        var m = 0
        for b in piece {
            let id = byteIDs[Int(b)]
            if id >= 0 { sym[m] = id; m += 1 }
        }
        guard m > 0 else { return }
        if !(useHeap ?? (m > Self.linearLimit)) {
            m = mergeLinear(count: m, w)
            for i in 0..<m { ids.append(Int(sym[i])) }
        } else {
            mergeWithHeap(count: m, w)
            var i = 0
            while i >= 0 { ids.append(Int(sym[i])); i = Int(w.next[i]) }
        }
    }

    /// One piece merged by the chosen strategy, bypassing the cache; lets tests check the two agree.
    func mergeForTesting(_ piece: UnsafeBufferPointer<UInt8>, useHeap: Bool, _ w: BPEWorkspace) -> [Int32] {
        var ids: [Int] = []
        merge(piece, into: &ids, w, useHeap: useHeap)
        return ids.map { Int32($0) }
    }

    /// Keeps the rank of every adjacent pair in `values`; each merge rescans them for the minimum and
    /// recomputes only the two pairs it changed. Returns the final symbol count.
    @inline(__always)
    private func mergeLinear(count: Int, _ w: BPEWorkspace) -> Int {
        var m = count
        guard m > 1 else { return m }
        let sym = w.symbols, val = w.values
        for i in 0..<(m - 1) { val[i] = merges.lookup(sym[i], sym[i + 1]) }
        while m > 1 {
            var best = MergeTable.absent
            var at = -1
            for i in 0..<(m - 1) where val[i] < best { best = val[i]; at = i }
            if at < 0 { break }
            sym[at] = Int32(truncatingIfNeeded: best)
            // Drop symbol at + 1 and pair at + 1 (old pair at + 1 joined the two symbols now merged).
            var k = at + 1
            while k < m - 1 { sym[k] = sym[k + 1]; val[k] = val[k + 1]; k += 1 }
            m -= 1
            if at > 0 { val[at - 1] = merges.lookup(sym[at - 1], sym[at]) }
            if at < m - 1 { val[at] = merges.lookup(sym[at], sym[at + 1]) }
        }
        return m
    }

    /// Symbols form a linked list (merged-away ones get id -1); the heap holds `rank << 32 | position` for
    /// candidate pairs, so popping the minimum gives the lowest rank, leftmost first. An entry is stale when its
    /// pair has changed since it was pushed; the pair's rank then differs (a changed pair is a different pair).
    private func mergeWithHeap(count m: Int, _ w: BPEWorkspace) {
        let sym = w.symbols, prev = w.previous, next = w.next
        var heap = MinHeap(storage: w.heap)
        for i in 0..<m {
            prev[i] = Int32(i - 1)
            next[i] = i + 1 < m ? Int32(i + 1) : -1
        }
        for i in 0..<(m - 1) {
            let v = merges.lookup(sym[i], sym[i + 1])
            if v != MergeTable.absent { heap.appendUnordered(v & 0xFFFF_FFFF_0000_0000 | UInt64(i)) }
        }
        heap.heapify()
        while let top = heap.popMin() {
            let pos = Int(top & 0xFFFF_FFFF)
            let rank = top >> 32
            let right = Int(next[pos])
            if sym[pos] < 0 || right < 0 { continue }
            let v = merges.lookup(sym[pos], sym[right])
            if v == MergeTable.absent || v >> 32 != rank { continue }
            sym[pos] = Int32(truncatingIfNeeded: v)
            sym[right] = -1
            let after = next[right]
            next[pos] = after
            if after >= 0 { prev[Int(after)] = Int32(pos) }
            let before = Int(prev[pos])
            if before >= 0 {
                let p = merges.lookup(sym[before], sym[pos])
                if p != MergeTable.absent { heap.push(p & 0xFFFF_FFFF_0000_0000 | UInt64(before)) }
            }
            if after >= 0 {
                let p = merges.lookup(sym[pos], sym[Int(after)])
                if p != MergeTable.absent { heap.push(p & 0xFFFF_FFFF_0000_0000 | UInt64(pos)) }
            }
        }
    }
}

/// Scratch buffers for one `encode` call, grown to the longest piece seen; never shared between threads.
final class BPEWorkspace {
    private(set) var capacity = 0
    private(set) var symbols = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private(set) var values = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    private(set) var previous = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private(set) var next = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    /// Merges only shrink the word, so the heap never holds more than 3 × symbols entries.
    private(set) var heap = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)

    @inline(__always)
    func reserve(_ count: Int) {
        if count > capacity { grow(count) }
    }

    private func grow(_ count: Int) {
        deallocate()
        capacity = max(count, 2 * capacity, 64)
        symbols = .allocate(capacity: capacity)
        values = .allocate(capacity: capacity)
        previous = .allocate(capacity: capacity)
        next = .allocate(capacity: capacity)
        heap = .allocate(capacity: 3 * capacity)
    }

    private func deallocate() {
        symbols.deallocate(); values.deallocate(); previous.deallocate(); next.deallocate(); heap.deallocate()
    }

    deinit { deallocate() }
}

/// A binary min-heap of UInt64 over caller-provided storage.
struct MinHeap {
    let storage: UnsafeMutablePointer<UInt64>
    var count = 0

    init(storage: UnsafeMutablePointer<UInt64>) { self.storage = storage }

    mutating func appendUnordered(_ x: UInt64) { storage[count] = x; count += 1 }

    mutating func heapify() {
        var i = count / 2 - 1
        while i >= 0 { siftDown(i); i -= 1 }
    }

    mutating func push(_ x: UInt64) {
        var i = count
        storage[i] = x
        count += 1
        while i > 0 {
            let parent = (i - 1) / 2
            if storage[parent] <= storage[i] { break }
            storage.swapAt(parent, i)
            i = parent
        }
    }

    mutating func popMin() -> UInt64? {
        guard count > 0 else { return nil }
        let top = storage[0]
        count -= 1
        storage[0] = storage[count]
        siftDown(0)
        return top
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            if l >= count { return }
            var c = l
            if l + 1 < count, storage[l + 1] < storage[l] { c = l + 1 }
            if storage[i] <= storage[c] { return }
            storage.swapAt(i, c)
            i = c
        }
    }
}

extension UnsafeMutablePointer {
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]; self[i] = self[j]; self[j] = t
    }
}

/// The merge loop of `BPETrainer` over the distinct training words.
///
/// Symbols are token ids; ids 0…255 are the single bytes in byte-level alphabet order (the order of their
/// characters' code points, which is also the order of the first 256 ids of GPT-2's and Qwen2's vocabularies), and
/// each merge that forms a new string appends the next id. Pair frequencies are kept exact and updated
/// incrementally: merging (a, b) into c visits only the words `BPEPairTable` lists for (a, b), and each merged
/// occurrence moves its neighbours' counts from (x, a) and (b, y) to (x, c) and (c, y). The most frequent pair comes
/// from a heap with lazy deletion: an entry whose count has gone stale is pushed back with the current count.
struct BPEMergeState {
    /// The bytes of each token (as byte-level alphabet positions, see `alphabetPosition`), by id.
    private(set) var tokens: [[UInt8]]
    /// The merges in the order they were learned, as `BPEPairTable.key(left, right)`. A merge can form a string an
    /// earlier merge already formed (`ab` + `c` after `a` + `bc`); the token then keeps its id and the vocabulary
    /// does not grow, as in Hugging Face's trainer.
    private(set) var merges: [UInt64] = []

    private var tokenIDs: [[UInt8]: Int32]
    private var symbols: [Int32]
    private var wordStart: [Int]
    private var wordLength: [Int]
    private let wordCount: [Int]
    private var visited: [Int]
    private var table = BPEPairTable()
    private var queue = BPEMergeQueue()

    /// `words` hold byte-level alphabet positions (one per byte); `counts` how often each occurs.
    init(words: [[UInt8]], counts: [Int]) {
        tokens = (0..<256).map { [UInt8($0)] }
        tokenIDs = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, Int32($0)) })
        wordCount = counts
        let total = words.reduce(0) { $0 + $1.count }
        symbols = []
        symbols.reserveCapacity(total)
        wordStart = []
        wordStart.reserveCapacity(words.count)
        wordLength = []
        wordLength.reserveCapacity(words.count)
        for word in words {
            wordStart.append(symbols.count)
            wordLength.append(word.count)
            for b in word { symbols.append(Int32(b)) }
        }
        visited = [Int](repeating: -1, count: words.count)
        countPairs()
    }

    /// Adds every adjacent pair of every word to the table, then queues each pair once.
    private mutating func countPairs() {
        for w in 0..<wordStart.count {
            let start = wordStart[w], n = wordLength[w], count = wordCount[w]
            guard n >= 2 else { continue }
            for i in start..<(start + n - 1) {
                let s = table.slot(BPEPairTable.key(symbols[i], symbols[i + 1]))
                table.counts[s] += count
                if table.words[s].last != Int32(w) { table.words[s].append(Int32(w)) }
            }
        }
        for (s, key) in table.pairs.enumerated() where table.counts[s] > 0 {
            queue.push(.init(count: table.counts[s], pair: key))
        }
    }

    /// Merges until there are `vocabularySize` tokens or no pair occurs `minFrequency` times. `progress` gets the
    /// number of tokens after each merge.
    mutating func run(vocabularySize: Int, minFrequency: Int, progress: (Int) -> Void) {
        while tokens.count < vocabularySize, let (slot, count) = popBest() {
            guard count >= minFrequency else { break }
            let key = table.pairs[slot]
            let left = BPEPairTable.left(key), right = BPEPairTable.right(key)
            let merged = tokens[Int(left)] + tokens[Int(right)]
            let id: Int32
            if let existing = tokenIDs[merged] {
                id = existing
            } else {
                id = Int32(tokens.count)
                tokens.append(merged)
                tokenIDs[merged] = id
            }
            merges.append(key)
            apply(slot: slot, left: left, right: right, into: id)
            progress(tokens.count)
        }
    }

    /// The pair to merge next and its frequency, or nil when no pair is left.
    private mutating func popBest() -> (Int, Int)? {
        while let entry = queue.pop() {
            guard let slot = table.find(entry.pair) else { continue }
            let current = table.counts[slot]
            if current == entry.count, current > 0 { return (slot, current) }
            // Stale: a newer entry holds a higher count, or the count fell and the pair goes back in line.
            if current > 0, current < entry.count { queue.push(.init(count: current, pair: entry.pair)) }
        }
        return nil
    }

    /// Replaces (left, right) by `merged` in every word that holds it, left to right without overlaps ("aaa" with
    /// (a, a) becomes "Aa"), and moves the neighbouring pairs' counts.
    private mutating func apply(slot: Int, left: Int32, right: Int32, into merged: Int32) {
        let stamp = merges.count
        var formed: [Int] = []  // slots whose count grew, to queue once with their final count
        let candidates = table.words[slot]
        table.words[slot] = []
        for w32 in candidates {
            let w = Int(w32)
            if visited[w] == stamp { continue }
            visited[w] = stamp
            let start = wordStart[w], end = start + wordLength[w], count = wordCount[w]
            var r = start, out = start
            while r < end {
                if r + 1 < end, symbols[r] == left, symbols[r + 1] == right {
                    if out > start {
                        let previous = symbols[out - 1]
                        add(previous, left, -count, word: w32, &formed)
                        add(previous, merged, count, word: w32, &formed)
                    }
                    if r + 2 < end {
                        let next = symbols[r + 2]
                        add(right, next, -count, word: w32, &formed)
                        add(merged, next, count, word: w32, &formed)
                    }
                    table.counts[slot] -= count
                    symbols[out] = merged
                    r += 2
                } else {
                    symbols[out] = symbols[r]
                    r += 1
                }
                out += 1
            }
            wordLength[w] = out - start
        }
        assert(table.counts[slot] == 0, "a merged pair must have no occurrence left")
        table.counts[slot] = 0
        for s in formed where table.counts[s] > 0 {
            queue.push(.init(count: table.counts[s], pair: table.pairs[s]))
        }
    }

    @inline(__always)
    private mutating func add(_ a: Int32, _ b: Int32, _ delta: Int, word: Int32, _ formed: inout [Int]) {
        let s = table.slot(BPEPairTable.key(a, b))
        table.counts[s] += delta
        guard delta > 0 else { return }
        if table.words[s].last != word { table.words[s].append(word) }
        if table.marks[s] != merges.count {
            table.marks[s] = merges.count
            formed.append(s)
        }
    }

    /// Tokens the training words come to after the merges, counting repeats.
    var tokenCount: Int {
        zip(wordLength, wordCount).reduce(0) { $0 + $1.0 * $1.1 }
    }
}

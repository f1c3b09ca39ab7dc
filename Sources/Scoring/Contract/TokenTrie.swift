/// A byte trie of the whole vocabulary, built once per vocabulary.
///
/// Walking the answer automaton over it finds every token whose complete byte string is accepted from a state while
/// touching only the branches the automaton accepts: a refused byte prunes all tokens below it at once. Nodes are
/// numbered breadth-first, so the children of a node are one contiguous id range and a node is four small arrays.
struct TokenTrie: Sendable {
    /// [N + 1] children of node n are the ids `firstChild[n] ..< firstChild[n + 1]`, ordered by `edgeByte`.
    let firstChild: [Int32]
    /// [N] the byte on the edge into node n (unused for the root, node 0).
    let edgeByte: [UInt8]
    /// [N + 1] tokens whose bytes end at node n are `tokenIDs[firstToken[n] ..< firstToken[n + 1]]`.
    let firstToken: [Int32]
    let tokenIDs: [Int32]

    var nodeCount: Int { edgeByte.count }

    /// `tokens` are (id, bytes) pairs; empty byte strings are left out (they could never make progress).
    init(_ tokens: [(id: Int, bytes: [UInt8])]) {
        let sorted = tokens.filter { !$0.bytes.isEmpty }.sorted { a, b in
            a.bytes.lexicographicallyPrecedes(b.bytes) || (a.bytes == b.bytes && a.id < b.id)
        }
        var firstChild: [Int32] = []
        var edgeByte: [UInt8] = [0]
        var firstToken: [Int32] = []
        var tokenIDs: [Int32] = []
        // Breadth-first: the queue holds each node's slice of `sorted` (all sharing a prefix of length `depth`).
        var queue: [(lo: Int, hi: Int, depth: Int)] = [(0, sorted.count, 0)]
        var head = 0
        while head < queue.count {
            var (lo, hi, depth) = queue[head]
            head += 1
            firstToken.append(Int32(tokenIDs.count))
            while lo < hi, sorted[lo].bytes.count == depth {  // shorter strings sort first
                tokenIDs.append(Int32(sorted[lo].id))
                lo += 1
            }
            firstChild.append(Int32(queue.count))
            while lo < hi {
                let byte = sorted[lo].bytes[depth]
                var end = lo + 1
                while end < hi, sorted[end].bytes[depth] == byte { end += 1 }
                queue.append((lo, end, depth + 1))
                edgeByte.append(byte)
                lo = end
            }
        }
        firstChild.append(Int32(queue.count))
        firstToken.append(Int32(tokenIDs.count))
        self.firstChild = firstChild
        self.edgeByte = edgeByte
        self.firstToken = firstToken
        self.tokenIDs = tokenIDs
    }

    /// The child of `node` along `byte`, or −1 (binary search over the contiguous, byte-ordered children).
    @inline(__always) func child(_ node: Int32, _ byte: UInt8) -> Int32 {
        var lo = Int(firstChild[Int(node)]), hi = Int(firstChild[Int(node) + 1])
        while lo < hi {
            let mid = (lo + hi) >> 1
            let b = edgeByte[mid]
            if b == byte { return Int32(mid) }
            if b < byte { lo = mid + 1 } else { hi = mid }
        }
        return -1
    }
}

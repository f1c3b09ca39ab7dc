import Foundation
import Synchronization

/// Remembers the BPE result of recent pieces (Hugging Face's BPE keeps a similar cache): running text repeats
/// words constantly. Keys and values live in two flat arenas indexed by an open-addressing table, so neither
/// a lookup nor an insert allocates. When full it starts over rather than evicting piecemeal.
final class WordCache: Sendable {
    private let storage = Mutex(Storage())

    static let maxEntries = 1 << 15

    func lookup(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, into ids: inout [Int]) -> Bool {
        storage.withLock { $0.lookup(word, hash: hash, into: &ids) }
    }

    func insert(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, ids: ArraySlice<Int>) {
        storage.withLock { $0.insert(word, hash: hash, ids: ids) }
    }

    /// A multiply–rotate hash over 8-byte chunks; pieces are short, so speed matters more than strength.
    @inline(__always)
    static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(word.count)
        let raw = UnsafeRawBufferPointer(word)
        var i = 0
        while i + 8 <= raw.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h = (h << 29) | (h >> 35)
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < raw.count { tail |= UInt64(raw[i]) << shift; shift += 8; i += 1 }
        h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
        return h ^ (h >> 31)
    }

    private struct Entry {
        var hash: UInt64
        var keyStart: Int32, keyCount: Int32
        var valueStart: Int32, valueCount: Int32
    }

    private struct Storage {
        static let slotCount = 2 * WordCache.maxEntries
        var slots = [Int32](repeating: -1, count: slotCount)  // index into entries, -1 when empty
        var entries: [Entry] = []
        var keys: [UInt8] = []
        var values: [Int32] = []

        func find(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64) -> (slot: Int, entry: Int) {
            var s = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
            while true {
                let e = Int(slots[s])
                if e < 0 { return (s, -1) }
                let entry = entries[e]
                if entry.hash == hash && Int(entry.keyCount) == word.count {
                    let same = keys.withUnsafeBufferPointer { k in
                        memcmp(k.baseAddress! + Int(entry.keyStart), word.baseAddress!, word.count) == 0
                    }
                    if same { return (s, e) }
                }
                s = (s + 1) & (Self.slotCount - 1)
            }
        }

        func lookup(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, into ids: inout [Int]) -> Bool {
            let e = find(word, hash: hash).entry
            guard e >= 0 else { return false }
            let entry = entries[e]
            for i in Int(entry.valueStart)..<Int(entry.valueStart + entry.valueCount) { ids.append(Int(values[i])) }
            return true
        }

        mutating func insert(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, ids: ArraySlice<Int>) {
            if entries.count >= WordCache.maxEntries {
                for i in slots.indices { slots[i] = -1 }
                entries.removeAll(keepingCapacity: true)
                keys.removeAll(keepingCapacity: true)
                values.removeAll(keepingCapacity: true)
            }
            let (slot, existing) = find(word, hash: hash)
            guard existing < 0 else { return }  // another thread got there first
            slots[slot] = Int32(entries.count)
            entries.append(Entry(hash: hash, keyStart: Int32(keys.count), keyCount: Int32(word.count),
                                 valueStart: Int32(values.count), valueCount: Int32(ids.count)))
            keys.append(contentsOf: word)
            for id in ids { values.append(Int32(id)) }
        }
    }
}

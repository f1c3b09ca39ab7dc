import Foundation
import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// A 64-byte aligned Float32 buffer (AVX-512 loads want the alignment), zero-filled and pre-touched on creation; large
/// ones on huge pages where the kernel allows (`ck_alloc`).
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        let bytes = max(64, count * 4)
        guard let raw = ck_alloc(bytes) else { fatalError("out of memory allocating \(bytes) bytes") }
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let b = src.baseAddress { pointer.update(from: b, count: values.count) }
        }
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    deinit { free(pointer) }
}

/// A 64-byte aligned UInt16 buffer holding bfloat16 bits.
public final class BF16Buffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<UInt16>

    public init(count: Int) {
        self.count = count
        let bytes = max(64, count * 2)
        guard let raw = ck_alloc(bytes) else { fatalError("out of memory allocating \(bytes) bytes") }
        pointer = raw.bindMemory(to: UInt16.self, capacity: max(1, count))
    }

    deinit { free(pointer) }
}

/// Scratch space reused across forward calls, grown on demand (one per model runner, never shared between threads).
package final class Scratch {
    package init() {}
    private var buffers: [String: FloatBuffer] = [:]

    package func get(_ name: String, _ count: Int) -> UnsafeMutablePointer<Float> {
        if let b = buffers[name], b.count >= count { return b.pointer }
        let b = FloatBuffer(count: max(count, (buffers[name]?.count ?? 0) * 3 / 2))
        buffers[name] = b
        return b.pointer
    }
}

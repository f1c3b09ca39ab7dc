import CBLAS
import CKernels
import Foundation

/// How weights are kept in memory after loading.
public enum WeightFormat: String, Sendable, CaseIterable {
    /// F32 stays F32, BF16 stays BF16, F16 is widened to F32.
    case asStored = "stored"
    /// Everything as Float32 (twice the memory traffic of BF16 at decode).
    case f32
    /// Everything as bfloat16 (F32 checkpoints are rounded to nearest even).
    case bf16
    /// Projection and embedding matrices as 8-bit integers with one bf16 scale per block of 32 (as llama.cpp's Q8_0:
    /// 8.5 bits a weight, half of BF16's traffic at decode), quantized at load; norms and biases stay F32. The products
    /// round activations to 8 bits per block too and multiply integers (`ck_linear_q8`): at decode everywhere, at
    /// prefill on AVX-512 VNNI hosts (elsewhere prefill dequantizes for sgemm).
    case q8
}

/// A matrix quantized to 8 bits (`ck_quantize_q8_packed`): blocks of 32 weights of a row, int8 quants and a bf16
/// scale each, in the packed layout the decode kernel reads (rows in groups of 16; `ckernels.h`).
public final class Q8Buffer: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    public let paddedCols: Int
    /// Packed quants, `quantByteCount` bytes (rows rounded up to 16, columns to 32).
    public let quants: UnsafeMutablePointer<Int8>
    public let quantByteCount: Int
    public let scales: BF16Buffer

    /// Quantizes `rows × cols` Float32 values.
    public init(rows: Int, cols: Int, values: UnsafePointer<Float>) {
        self.rows = rows
        self.cols = cols
        paddedCols = (cols + 31) / 32 * 32
        quantByteCount = Int(ck_q8_packed_quant_bytes(Int64(rows), Int64(cols)))
        guard let raw = ck_alloc(max(64, quantByteCount)) else { fatalError("out of memory allocating \(quantByteCount) bytes") }
        quants = raw.bindMemory(to: Int8.self, capacity: max(1, quantByteCount))
        scales = BF16Buffer(count: max(1, Int(ck_q8_packed_scale_count(Int64(rows), Int64(cols)))))
        ck_quantize_q8_packed(values, Int64(rows), Int64(cols), quants, scales.pointer)
    }

    /// Bytes the kernels read per pass: the quants and the scales (padding rows included).
    public var byteCount: Int { quantByteCount + Int(ck_q8_packed_scale_count(Int64(rows), Int64(cols))) * 2 }

    /// Rows r0 ..< r0+count dequantized into `out` ([count, cols] Float32).
    public func dequantize(rows r0: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        ck_dequantize_q8(quants, scales.pointer, Int64(cols), Int64(r0), Int64(count), out)
    }

    deinit { free(quants) }
}

/// A weight matrix in PyTorch `Linear` layout: [rows = out features, cols = in features], row-major.
public final class WeightMatrix: @unchecked Sendable {
    public enum Storage: Sendable { case f32(FloatBuffer), bf16(BF16Buffer), q8(Q8Buffer) }

    public let rows: Int
    public let cols: Int
    public let storage: Storage

    public init(rows: Int, cols: Int, storage: Storage) {
        self.rows = rows; self.cols = cols; self.storage = storage
    }

    public convenience init(rows: Int, cols: Int, values: [Float], format: WeightFormat = .f32) {
        precondition(values.count == rows * cols)
        if format == .q8 {
            let q = values.withUnsafeBufferPointer { Q8Buffer(rows: rows, cols: cols, values: $0.baseAddress!) }
            self.init(rows: rows, cols: cols, storage: .q8(q))
        } else if format == .bf16 {
            let b = BF16Buffer(count: values.count)
            values.withUnsafeBufferPointer { ck_f32_to_bf16($0.baseAddress!, b.pointer, values.count) }
            self.init(rows: rows, cols: cols, storage: .bf16(b))
        } else {
            self.init(rows: rows, cols: cols, storage: .f32(FloatBuffer(values)))
        }
    }

    /// Builds the matrix from raw checkpoint bytes, converting to the requested in-memory format.
    convenience init(rows: Int, cols: Int, raw: UnsafeRawBufferPointer, dtype: DType, format: WeightFormat, tensor: String) throws {
        let n = rows * cols
        let keepBF16 = (format == .bf16) || (format == .asStored && dtype == .bf16)
        if format == .q8 {
            let f = try WeightMatrix(rows: rows, cols: cols, raw: raw, dtype: dtype, format: .f32, tensor: tensor)
            guard case .f32(let values) = f.storage else { throw ModelLoadError.unsupportedDType(tensor: tensor, found: dtype.rawValue) }
            self.init(rows: rows, cols: cols, storage: .q8(Q8Buffer(rows: rows, cols: cols, values: values.pointer)))
        } else if keepBF16 {
            let b = BF16Buffer(count: n)
            switch dtype {
            case .bf16: memcpy(b.pointer, raw.baseAddress!, n * 2)
            case .f32: ck_f32_to_bf16(raw.baseAddress!.assumingMemoryBound(to: Float.self), b.pointer, n)
            case .f16:
                let tmp = FloatBuffer(count: n)
                ck_f16_to_f32(raw.baseAddress!.assumingMemoryBound(to: UInt16.self), tmp.pointer, n)
                ck_f32_to_bf16(tmp.pointer, b.pointer, n)
            default: throw ModelLoadError.unsupportedDType(tensor: tensor, found: dtype.rawValue)
            }
            self.init(rows: rows, cols: cols, storage: .bf16(b))
        } else {
            let f = FloatBuffer(count: n)
            switch dtype {
            case .f32: memcpy(f.pointer, raw.baseAddress!, n * 4)
            case .bf16: ck_bf16_to_f32(raw.baseAddress!.assumingMemoryBound(to: UInt16.self), f.pointer, n)
            case .f16: ck_f16_to_f32(raw.baseAddress!.assumingMemoryBound(to: UInt16.self), f.pointer, n)
            default: throw ModelLoadError.unsupportedDType(tensor: tensor, found: dtype.rawValue)
            }
            self.init(rows: rows, cols: cols, storage: .f32(f))
        }
    }

    public var isBF16: Bool { if case .bf16 = storage { true } else { false } }
    /// The format a matrix rebuilt from this one's values should take (`LoRAAdapter` merging).
    public var format: WeightFormat {
        switch storage { case .f32: .f32; case .bf16: .bf16; case .q8: .q8 }
    }
    public var byteCount: Int {
        switch storage {
        case .f32: rows * cols * 4
        case .bf16: rows * cols * 2
        case .q8(let q): q.byteCount
        }
    }

    /// Row `r` widened to Float32 into `out` (embedding lookup).
    package func row(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        switch storage {
        case .f32(let b): out.update(from: b.pointer + r * cols, count: cols)
        case .bf16(let b): ck_bf16_to_f32(b.pointer + r * cols, out, cols)
        case .q8(let q): q.dequantize(rows: r, count: 1, into: out)
        }
    }

    /// The whole matrix as Float32 values.
    public func floats() -> [Float] {
        var out = [Float](repeating: 0, count: rows * cols)
        out.withUnsafeMutableBufferPointer { o in
            switch storage {
            case .f32(let b): o.baseAddress!.update(from: b.pointer, count: rows * cols)
            case .bf16(let b): ck_bf16_to_f32(b.pointer, o.baseAddress!, rows * cols)
            case .q8(let q): q.dequantize(rows: 0, count: rows, into: o.baseAddress!)
            }
        }
        return out
    }
}

/// The precision of the large matrix products (prefill, training): `f32` (sgemm on F32 or widened weights; matches
/// Transformers to 1e-4) or `bf16` (activations rounded to bf16 and multiplied on AVX512-BF16 `vdpbf16ps` with F32
/// accumulation, as PyTorch's BF16 autocast does; about twice sgemm's rate, and only where the CPU has it).
public enum MatmulPrecision: String, Sendable, CaseIterable {
    case f32, bf16

    /// Sets the process-wide precision (`ck_set_bf16_matmul`).
    public func apply() { ck_set_bf16_matmul(self == .bf16 ? 1 : 0) }

    /// Whether bf16 products actually run here (requested and the CPU has AVX512-BF16).
    public static var bf16Active: Bool { ck_bf16_matmul() != 0 }
}

/// Dense linear algebra on row-major Float32 data.
public enum Linear {
    /// Rows of BF16 weights widened per sgemm call when the batch is large (prefill): bounds scratch memory.
    static let widenBlockRows = 4096
    /// Up to this many input rows a BF16 matrix is multiplied by the bandwidth-bound kernel instead of widen + sgemm.
    static let smallBatchRows = 32

    /// y[m, n] = (accumulate ? y : 0) + x[m, k] · W[n, k]ᵀ (+ bias[n]).
    package static func forward(
        x: UnsafePointer<Float>, ldx: Int, w: WeightMatrix, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, ldy: Int, m: Int, accumulate: Bool, scratch: Scratch
    ) {
        let n = w.rows, k = w.cols
        guard m > 0 else { return }
        switch w.storage {
        case .f32(let b):
            if m <= smallBatchRows {
                // Decode: OpenBLAS's small-m sgemm does not stream the weights at full bandwidth; the kernel does.
                ck_linear_f32(x, Int64(ldx), b.pointer, bias, y, Int64(ldy), Int64(m), Int64(n), Int64(k), accumulate ? 1 : 0)
            } else {
                sgemm(m: m, n: n, k: k, a: x, lda: ldx, bT: b.pointer, ldb: k, c: y, ldc: ldy, beta: accumulate ? 1 : 0)
                if let bias { addBias(bias, y: y, ldy: ldy, m: m, n: n) }
            }
        case .bf16(let b):
            if m <= smallBatchRows && ck_bf16_matmul() != 0 {
                // Decode with `matmul_precision` bf16: x rounded to bf16 and multiplied with vdpbf16ps, so that a
                // batch of sequences is bound by reading the weights, not by widening them (every m the same way,
                // so a sequence's tokens do not depend on the batch it ran in).
                ck_linear_bf16_dot(x, Int64(ldx), b.pointer, bias, y, Int64(ldy), Int64(m), Int64(n), Int64(k), accumulate ? 1 : 0)
            } else if m <= smallBatchRows {
                // Decode: bandwidth-bound; the kernel reads each BF16 row once for all m inputs and widens in registers.
                ck_linear_bf16(x, Int64(ldx), b.pointer, bias, y, Int64(ldy), Int64(m), Int64(n), Int64(k), accumulate ? 1 : 0)
            } else if ck_bf16_matmul() != 0 {
                // Prefill with `matmul_precision` bf16 on an AVX512-BF16 host: activations rounded to bf16, vdpbf16ps.
                ck_gemm_bf16(x, Int64(ldx), b.pointer, Int64(k), Int32(CK_B_ROWS_N), 0, y, Int64(ldy), Int64(m), Int64(n), Int64(k), accumulate ? 1 : 0)
                if let bias { addBias(bias, y: y, ldy: ldy, m: m, n: n) }
            } else {
                // Prefill: compute-bound; widen blocks of rows to F32 and let sgemm run at full speed.
                widenedSgemm(x: x, ldx: ldx, n: n, k: k, bias: bias, y: y, ldy: ldy, m: m, accumulate: accumulate, scratch: scratch) { r0, rows, out in
                    ck_bf16_to_f32(b.pointer + r0 * k, out, rows * k)
                }
            }
        case .q8(let q):
            if m <= smallBatchRows || ck_q8_path() == 2 {
                // Decode: bandwidth-bound; the kernel reads each 8-bit row once for all m inputs. With AVX-512 VNNI its
                // integer products also outrun dequantize + sgemm at prefill, so every m takes it there.
                ck_linear_q8(x, Int64(ldx), q.quants, q.scales.pointer, bias, y, Int64(ldy), Int64(m), Int64(n), Int64(k), accumulate ? 1 : 0)
            } else {
                // Prefill: dequantize blocks of rows to F32 (the same weights the kernel multiplies) for sgemm.
                widenedSgemm(x: x, ldx: ldx, n: n, k: k, bias: bias, y: y, ldy: ldy, m: m, accumulate: accumulate, scratch: scratch) { r0, rows, out in
                    q.dequantize(rows: r0, count: rows, into: out)
                }
            }
        }
    }

    /// y (+)= x · Wᵀ (+ bias) for weights not stored as F32: `widen(r0, rows, out)` writes rows r0 ..< r0+rows of W as
    /// F32 into `out`, block by block, and sgemm multiplies each block.
    private static func widenedSgemm(
        x: UnsafePointer<Float>, ldx: Int, n: Int, k: Int, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, ldy: Int,
        m: Int, accumulate: Bool, scratch: Scratch, widen: (Int, Int, UnsafeMutablePointer<Float>) -> Void
    ) {
        let block = min(n, widenBlockRows)
        let tmp = scratch.get("widen", block * k)
        var r0 = 0
        while r0 < n {
            let rows = min(block, n - r0)
            widen(r0, rows, tmp)
            sgemm(m: m, n: rows, k: k, a: x, lda: ldx, bT: tmp, ldb: k, c: y + r0, ldc: ldy, beta: accumulate ? 1 : 0)
            r0 += rows
        }
        if let bias { addBias(bias, y: y, ldy: ldy, m: m, n: n) }
    }

    static func addBias(_ bias: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, ldy: Int, m: Int, n: Int) {
        for i in 0..<m {
            let row = y + i * ldy
            for j in 0..<n { row[j] += bias[j] }
        }
    }

    /// C[m, n] = beta·C + A[m, k] · Bᵀ where B is [n, k] row-major.
    @inline(__always)
    package static func sgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, bT: UnsafePointer<Float>, ldb: Int,
                      c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), bT, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[m, n] = beta·C + alpha · A[m, k] · B[k, n] (both row-major, no transpose).
    @inline(__always)
    package static func sgemmNN(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

import CBLAS
import CKernels
import Foundation
import Testing

/// Throughput of the decode kernels at Qwen2.5-0.5B shapes against OpenBLAS and the machine's read
/// bandwidth. Slow and memory-hungry (1 GiB), so it runs only when asked:
///
///     CK_BENCH=1 swift test --filter KernelBenchmarks
///
/// Weights rotate through copies filling 1 GiB, so every call reads them from DRAM as decode does.
/// Each figure is the best of several repeats (the machine is shared; take the best, not the mean).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CK_BENCH"] != nil))
struct KernelBenchmarks {
    static let regionBytes = 1 << 30

    /// Raw weight region: every 32-bit word is two bf16 values of small magnitude, so the same bytes
    /// read as sane f32 (≈ the upper bf16) and as sane bf16 pairs.
    static func makeRegion() -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: regionBytes, alignment: 64)
        let words = p.bindMemory(to: UInt32.self, capacity: regionBytes / 4)
        var r: UInt32 = 1
        func small() -> UInt32 {
            r = r &* 1_664_525 &+ 1_013_904_223
            let f = (Float(Int32(bitPattern: r) >> 8) / Float(1 << 23)) * 0.05
            return f.bitPattern >> 16
        }
        for i in 0..<(regionBytes / 4) { words[i] = small() << 16 | small() }
        return p
    }

    static func seconds(_ body: () -> Void) -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
    }

    /// Best time per call over `repeats` runs of `iters` calls; call(i) gets a running call index, so
    /// that consecutive calls (and repeats) walk through the weight copies.
    static func best(repeats: Int = 7, iters: Int, _ call: (Int) -> Void) -> Double {
        var next = 0
        call(next); next += 1
        var best = Double.infinity
        for _ in 0..<repeats {
            let t = seconds { for _ in 0..<iters { call(next); next += 1 } }
            best = min(best, t / Double(iters))
        }
        return best
    }

    @Test func linearThroughputAtQwenShapes() {
        let threads = Int32(ProcessInfo.processInfo.environment["CK_BENCH_THREADS"].flatMap { Int($0) } ?? 2)
        ck_set_num_threads(threads)
        openblas_set_num_threads(threads)
        defer { ck_set_num_threads(0) }
        let region = Self.makeRegion()
        defer { region.deallocate() }
        let floats = region.assumingMemoryBound(to: Float.self)
        // The bandwidth a VM gets varies with its neighbours' load, so the roof is measured again just
        // before each row and "% roof" compares figures taken moments apart.
        func roofNow() -> Double { ck_read_bandwidth(floats, Self.regionBytes / 4, 3) }
        var bestRoof = roofNow()
        let shapes = [(896, 896), (128, 896), (4864, 896), (896, 4864), (151_936, 896)]
        let x: [Float] = (0..<(32 * 4864)).map { i in Float((i * 7919) % 1000) / 1000 - 0.5 }
        var y = [Float](repeating: 0, count: 32 * 151_936)
        print("threads \(threads), isa level \(ck_isa_level()); GB/s = weight bytes / time")
        print("| n × k | m | roof GB/s | ck bf16 µs | GB/s | % roof | ck f32 µs | GB/s | sgemm µs | GB/s | sgemv µs | GB/s |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        let wb = region.assumingMemoryBound(to: UInt16.self)
        for (n, k) in shapes {
            for m in [1, 4, 8] {
                let elems = n * k
                let roof = roofNow()
                bestRoof = max(bestRoof, roof)
                let copiesB = max(1, Self.regionBytes / (elems * 2)), copiesF = max(1, Self.regionBytes / (elems * 4))
                // Enough calls per timing that they touch ≥ 128 MiB of distinct weights (4× the L3).
                let iters = max(8, min(4000, (128 << 20) / (elems * 2)))
                let tb = Self.best(iters: iters) { i in
                    ck_linear_bf16(x, Int64(k), wb + (i % copiesB) * elems, nil, &y, Int64(n), Int64(m), Int64(n),
                                   Int64(k), 0)
                }
                let tf = Self.best(iters: iters) { i in
                    ck_linear_f32(x, Int64(k), floats + (i % copiesF) * elems, nil, &y, Int64(n), Int64(m),
                                  Int64(n), Int64(k), 0)
                }
                let tGemm = Self.best(iters: iters) { i in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, x, Int32(k),
                                floats + (i % copiesF) * elems, Int32(k), 0, &y, Int32(n))
                }
                let tGemv = m != 1 ? Double.nan : Self.best(iters: iters) { i in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, floats + (i % copiesF) * elems,
                                Int32(k), x, 1, 0, &y, 1)
                }
                let bB = Double(elems * 2), bF = Double(elems * 4)
                var row = String(format: "| %d × %d | %d | %.1f | %.1f | %.1f | %.0f%% | %.1f | %.1f | %.1f | %.1f |", n, k,
                                 m, roof, tb * 1e6, bB / tb * 1e-9, bB / tb * 1e-9 / roof * 100, tf * 1e6, bF / tf * 1e-9,
                                 tGemm * 1e6, bF / tGemm * 1e-9)
                row += m == 1 ? String(format: " %.1f | %.1f |", tGemv * 1e6, bF / tGemv * 1e-9) : " — | — |"
                print(row)
            }
        }
        print(String(format: "best ck_read_bandwidth during the run: %.1f GB/s", bestRoof))
    }
}

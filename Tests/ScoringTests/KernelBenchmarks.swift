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

    static func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }

    @Test func linearThroughputAtQwenShapes() {
        let env = ProcessInfo.processInfo.environment
        let threads = Int32(env["CK_BENCH_THREADS"].flatMap { Int($0) } ?? 2)
        let repeats = env["CK_BENCH_REPEATS"].flatMap { Int($0) } ?? 7
        ck_set_num_threads(threads)
        openblas_set_num_threads(threads)
        defer { ck_set_num_threads(0) }
        let region = Self.makeRegion()
        defer { region.deallocate() }
        let floats = region.assumingMemoryBound(to: Float.self)
        let wb = region.assumingMemoryBound(to: UInt16.self)
        let shapes = [(896, 896), (128, 896), (4864, 896), (896, 4864), (151_936, 896)]
        let x: [Float] = (0..<(32 * 4864)).map { i in Float((i * 7919) % 1000) / 1000 - 0.5 }
        var y = [Float](repeating: 0, count: 32 * 151_936)
        var next = 0  // running call index: consecutive calls (and repeats) walk through the weight copies
        print("threads \(threads), isa level \(ck_isa_level()), \(repeats) repeats; GB/s = weight bytes / time")
        print("µs and GB/s: best repeat; roof: best ck_read_bandwidth (1 GiB) measured between the repeats;")
        print("%: best GB/s over that roof; paired: median over repeats of GB/s over the roof measured just before.")
        print("| n × k | m | roof GB/s | ck bf16 µs | GB/s | % | paired | ck f32 µs | GB/s | % | sgemm µs | GB/s | sgemv µs | GB/s | % |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for (n, k) in shapes {
            for m in [1, 4, 8] {
                let elems = n * k
                let copiesB = max(1, Self.regionBytes / (elems * 2)), copiesF = max(1, Self.regionBytes / (elems * 4))
                // Enough calls per timing that they touch ≥ 128 MiB of distinct weights (4× the L3).
                let iters = max(8, min(4000, (128 << 20) / (elems * 2)))
                func time(_ call: (Int) -> Void) -> Double {
                    Self.seconds { for _ in 0..<iters { call(next); next += 1 } } / Double(iters)
                }
                var tb = [Double](), tf = [Double](), tGemm = [Double](), tGemv = [Double](), roofs = [Double]()
                var ratios = [Double]()
                for _ in 0..<repeats {
                    // The bandwidth a VM gets varies with its neighbours' load, so the roof is measured
                    // again before each repeat and the ratio compares figures taken moments apart.
                    let roof = ck_read_bandwidth(floats, Self.regionBytes / 4, 1)
                    roofs.append(roof)
                    tb.append(time { i in
                        ck_linear_bf16(x, Int64(k), wb + (i % copiesB) * elems, nil, &y, Int64(n), Int64(m), Int64(n),
                                       Int64(k), 0)
                    })
                    ratios.append(Double(elems * 2) / tb.last! * 1e-9 / roof)
                    tf.append(time { i in
                        ck_linear_f32(x, Int64(k), floats + (i % copiesF) * elems, nil, &y, Int64(n), Int64(m),
                                      Int64(n), Int64(k), 0)
                    })
                    tGemm.append(time { i in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, x,
                                    Int32(k), floats + (i % copiesF) * elems, Int32(k), 0, &y, Int32(n))
                    })
                    if m == 1 {
                        tGemv.append(time { i in
                            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1,
                                        floats + (i % copiesF) * elems, Int32(k), x, 1, 0, &y, 1)
                        })
                    }
                }
                let bB = Double(elems * 2), bF = Double(elems * 4), roof = roofs.max()!
                let b = tb.min()!, f = tf.min()!, g = tGemm.min()!
                var row = String(format: "| %d × %d | %d | %.1f | %.1f | %.1f | %.0f%% | %.0f%% | %.1f | %.1f | %.0f%% | %.1f | %.1f |",
                                 n, k, m, roof, b * 1e6, bB / b * 1e-9, bB / b * 1e-9 / roof * 100,
                                 Self.median(ratios) * 100, f * 1e6, bF / f * 1e-9, bF / f * 1e-9 / roof * 100,
                                 g * 1e6, bF / g * 1e-9)
                if let v = tGemv.min() {
                    row += String(format: " %.1f | %.1f | %.0f%% |", v * 1e6, bF / v * 1e-9, bF / v * 1e-9 / roof * 100)
                } else {
                    row += " — | — | — |"
                }
                print(row)
            }
        }
    }
}

import CKernels
import Foundation

/// What a benchmark figure was measured on: the CPU, the instruction-set level the kernels use, and the features
/// that decide which paths exist (every benchmark prints it with its figures).
public struct HostInfo: Codable, Sendable, CustomStringConvertible {
    public var cpuModel: String
    /// The kernels' level: scalar, avx2 or avx512 (capped by CK_ISA).
    public var isa: String
    /// Whether the CPU has AVX512-BF16 (`vdpbf16ps`).
    public var avx512bf16: Bool
    /// Whether the CPU has AVX512-VNNI.
    public var avx512vnni: Bool
    public var threads: Int
    public var logicalCPUs: Int

    public static func current() -> HostInfo {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        var model = "unknown", flags: Set<Substring> = []
        for line in info.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0] == "model name", model == "unknown" { model = parts[1] }
            if parts[0] == "flags", flags.isEmpty { flags = Set(parts[1].split(separator: " ")) }
        }
        let level = Int(ck_isa_level())
        let isa = level == Int(CK_ISA_AVX512) ? "avx512" : level == Int(CK_ISA_AVX2) ? "avx2" : "scalar"
        return HostInfo(cpuModel: model, isa: isa, avx512bf16: flags.contains("avx512_bf16"), avx512vnni: flags.contains("avx512_vnni"),
                        threads: Int(ck_get_num_threads()), logicalCPUs: ProcessInfo.processInfo.activeProcessorCount)
    }

    public var description: String {
        "host: \(cpuModel); kernels \(isa)\(avx512bf16 ? ", AVX512-BF16" : "")\(avx512vnni ? ", AVX512-VNNI" : ""); \(threads) thread(s) of \(logicalCPUs) CPU(s)"
    }
}

/// Median and range of repeated measurements.
public struct Spread: Codable, Sendable {
    public var median: Double
    public var min: Double
    public var max: Double
    public var runs: Int

    public init(_ values: [Double]) {
        let s = values.sorted()
        runs = s.count
        min = s.first ?? 0
        max = s.last ?? 0
        median = s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// `123.4 (range 120.1–125.0, 3 runs)`.
    public func formatted(_ digits: Int = 1) -> String {
        runs <= 1 ? String(format: "%.\(digits)f", median)
            : String(format: "%.\(digits)f (range %.\(digits)f–%.\(digits)f, %d runs)", median, min, max, runs)
    }
}

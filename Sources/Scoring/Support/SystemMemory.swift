import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the machine can give a process now, for refusing work that would not fit before allocating it.
public enum SystemMemory {
    /// Bytes available for new allocations: `MemAvailable` of `/proc/meminfo` (free memory plus what the kernel can
    /// reclaim), else the physical memory; nil when neither can be read.
    public static func availableBytes() -> Int? {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8), let kib = memAvailableKiB(in: text) {
            return kib.multipliedReportingOverflow(by: 1024).overflow ? .max : kib * 1024
        }
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return pages.multipliedReportingOverflow(by: size).overflow ? .max : pages * size
    }

    /// The `MemAvailable:` figure (KiB) of a `/proc/meminfo` text.
    static func memAvailableKiB(in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let v = Int(fields[1]), v >= 0 { return v }
        }
        return nil
    }
}

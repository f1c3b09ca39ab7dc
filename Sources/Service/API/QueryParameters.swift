import Foundation
import Hummingbird
import Storage

// Query-string parameters, read strictly: an unknown parameter or a malformed value is a 400 that names it.

func onlyAllow(_ q: Parameters, _ allowed: [String]) throws {
    for (k, _) in q where !allowed.contains(String(k)) {
        throw RequestError("unknown_parameter", "unknown query parameter \"\(k)\"; allowed: \(allowed.joined(separator: ", "))")
    }
}

func date(_ s: Substring, _ name: String) throws -> Date {
    guard let d = ISO8601.parse(String(s)) else {
        throw RequestError("invalid_query", "\(name) must be an ISO 8601 time or Unix milliseconds, found \"\(s)\"")
    }
    return d
}

func score(_ s: Substring, _ name: String) throws -> Int {
    guard let n = Int(s), (0...100).contains(n) else { throw RequestError("invalid_query", "\(name) must be an integer 0–100, found \"\(s)\"") }
    return n
}

func limit(_ s: String?, default d: Int, max m: Int) throws -> Int {
    guard let s else { return d }
    guard let n = Int(s), (1...m).contains(n) else { throw RequestError("invalid_query", "limit must be an integer 1–\(m), found \"\(s)\"") }
    return n
}

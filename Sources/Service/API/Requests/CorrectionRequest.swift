import Foundation
import Storage

/// The body of `POST /v1/requests/{id}/corrections`: a reviewer's nine scores, with optional reasoning and a note.
struct CorrectionRequest: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case scores, reasoning, note }

    let scores: PerDimension<Int>
    /// nil when absent or empty.
    let reasoning: String?
    /// nil when absent or empty.
    let note: String?

    init(from decoder: any Decoder) throws {
        let body = try StrictObject<CodingKeys>(decoder)
        scores = try body.decode(NineScores.self, .scores, required: true)?.values ?? PerDimension(repeating: 0)
        let reasoning = try body.string(.reasoning)
        let note = try body.string(.note)
        if let r = reasoning, r.count > 20_000 { throw RequestError("reasoning_too_long", "body.reasoning is over 20,000 characters") }
        if let n = note, n.count > 5_000 { throw RequestError("note_too_long", "body.note is over 5,000 characters") }
        self.reasoning = reasoning.flatMap { $0.isEmpty ? nil : $0 }
        self.note = note.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// All nine scores, keyed by the Chinese names or the ASCII ids (one naming per object, so a dimension cannot hide
/// under both), integers 0–100.
struct NineScores: Decodable {
    let values: PerDimension<Int>

    init(from decoder: any Decoder) throws {
        let (path, container) = try JSONObjectNode.open(decoder)
        let fields = try JSONObjectNode.fields(container)
        let chinese = fields.map(\.key).filter { Dimension(key: $0) != nil }
        let ascii = fields.map(\.key).filter { Dimension(rawValue: $0) != nil }
        if !chinese.isEmpty, !ascii.isEmpty {
            throw RequestError("mixed_dimension_keys",
                               "\(path) mixes Chinese keys (\(chinese.sorted().first ?? "")) and ASCII ids (\(ascii.sorted().first ?? "")); use one naming for all nine")
        }
        var values: [Storage.Dimension: Int] = [:]
        for (k, v) in fields {
            guard let d = Dimension(key: k) ?? Dimension(rawValue: k) else {
                throw RequestError("unknown_dimension",
                                   "\(path) has unknown key \"\(k)\"; expected the nine TC260-003 dimensions: \(Dimension.allCases.map(\.key).joined(separator: ", "))")
            }
            guard values[d] == nil else { throw RequestError("duplicate_dimension", "\(path) gives \(d.key) twice") }
            guard let n = v.integral else {
                throw RequestError("invalid_score", "\(path).\(d.key) must be an integer 0–100, found \(v.kind)")
            }
            guard (0...100).contains(n) else {
                throw RequestError("score_out_of_range", "\(path).\(d.key) is \(n); scores are integers 0–100")
            }
            values[d] = n
        }
        let missing = Dimension.allCases.filter { values[$0] == nil }
        guard missing.isEmpty else {
            throw RequestError("missing_dimension", "\(path) lacks \(missing.map(\.key).joined(separator: ", ")); all nine dimensions are required")
        }
        self.values = PerDimension { values[$0] ?? 0 }
    }
}

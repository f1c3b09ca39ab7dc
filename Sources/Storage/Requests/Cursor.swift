/// Keyset pagination cursors: the sort key of the last row of a page, base64url-encoded so clients treat it as
/// opaque. Keyset (rather than OFFSET) pagination visits each row once even while rows are being inserted.
enum Cursor: Equatable {
    /// Listing by (created_at, id), in the given order.
    case time(RequestQuery.Order, createdAt: Int64, id: String)
    /// Review queue, by (review_priority, min_confidence, created_at, id) ascending.
    case reviewQueue(priority: Int, minConfidence: Double, createdAt: Int64, id: String)

    var encoded: String {
        let text: String = switch self {
        case .time(let order, let createdAt, let id):
            "\(order == .newestFirst ? "n" : "o")|\(createdAt)|\(id)"
        case .reviewQueue(let priority, let minConfidence, let createdAt, let id):
            // The bit pattern round-trips exactly, so the next page starts exactly after this row.
            "r|\(priority)|\(String(minConfidence.bitPattern, radix: 16))|\(createdAt)|\(id)"
        }
        return Base64URL.encode(Array(text.utf8))
    }

    init(decoding cursor: String) throws {
        guard let bytes = Base64URL.decode(cursor), let text = String(validating: bytes, as: UTF8.self) else {
            throw StorageError.invalidCursor(cursor)
        }
        // The id comes last and is taken whole, whatever it contains.
        func fields(_ count: Int) -> [String] {
            text.split(separator: "|", maxSplits: count - 1, omittingEmptySubsequences: false).map(String.init)
        }
        switch text.first {
        case "n", "o":
            let parts = fields(3)
            guard parts.count == 3, parts[0].count == 1, let createdAt = Int64(parts[1]) else {
                throw StorageError.invalidCursor(cursor)
            }
            self = .time(parts[0] == "n" ? .newestFirst : .oldestFirst, createdAt: createdAt, id: parts[2])
        case "r":
            let parts = fields(5)
            guard parts.count == 5, parts[0] == "r", let priority = Int(parts[1]), (0...2).contains(priority),
                  let bits = UInt64(parts[2], radix: 16), let createdAt = Int64(parts[3])
            else {
                throw StorageError.invalidCursor(cursor)
            }
            self = .reviewQueue(priority: priority, minConfidence: Double(bitPattern: bits), createdAt: createdAt, id: parts[4])
        default:
            throw StorageError.invalidCursor(cursor)
        }
    }
}

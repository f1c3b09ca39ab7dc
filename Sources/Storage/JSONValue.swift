import Foundation
import Vocabulary

extension JSONValue {
    /// Parses JSON text.
    public init(jsonText: String) throws {
        do {
            self = try JSONDecoder().decode(JSONValue.self, from: Data(jsonText.utf8))
        } catch {
            throw StorageError.invalidArgument("not valid JSON: \(jsonText.prefix(80))")
        }
    }
}

import Foundation
import Scoring
import Storage

/// Adapters on disk: one folder per content hash under the adapters root, with the PEFT files, the scoring prompt and
/// the eval report. Written to a temporary folder and renamed into place, so a crash never leaves a half-written
/// adapter under a real name, and an existing folder is never written over.
public enum AdapterFolder {
    public static let files = ["adapter_config.json", "adapter_model.safetensors"]

    /// SHA-256 over the PEFT files, in a fixed order.
    public static func contentHash(of directory: URL) throws -> String {
        var bytes: [UInt8] = []
        for name in files {
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
                throw ServiceError.adapterFilesMissing(folder: directory.path, file: name)
            }
            bytes += data
        }
        return SHA256Digest.hex(bytes)
    }

    static func save(_ adapter: LoRAAdapter, prompt: ScoringPrompt, runID: Int64, report: JSONValue, root: URL) throws -> (directory: URL, hash: String) {
        let fm = FileManager.default
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        let partial = root.appendingPathComponent(".partial-run\(runID)-\(UUID().uuidString.prefix(8))")
        try adapter.save(to: partial)
        try prompt.save(directory: partial)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try enc.encode(report).write(to: partial.appendingPathComponent("eval_report.json"), options: .atomic)
        let hash = try contentHash(of: partial)
        let final = root.appendingPathComponent(String(hash.prefix(16)))
        if fm.fileExists(atPath: final.path) {
            // The same weights were saved before: keep that folder as it is.
            try? fm.removeItem(at: partial)
        } else {
            try fm.moveItem(at: partial, to: final)
        }
        return (final, hash)
    }

    /// Copies an adapter folder trained elsewhere into `root`, under the first 16 hex digits of its content hash: the PEFT
    /// files only (whatever else the folder holds stays behind) and `prompt` as its `scoring_prompt.json` (the caller
    /// has checked that the folder's own prompt, if any, is the same). Written to a temporary folder and renamed, as
    /// the retrain's adapters are; the copy's hash must be `hash`, so a folder that changed while it was copied is
    /// refused. A folder already there with the same files is kept.
    static func importCopy(from source: URL, hash: String, prompt: ScoringPrompt, root: URL) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        let final = root.appendingPathComponent(String(hash.prefix(16)))
        if fm.fileExists(atPath: final.path) {
            guard (try? contentHash(of: final)) == hash else {
                throw ServiceError.adapterImportInvalid(path: source.path, reason: "\(final.path) already exists with other files; remove it or import again")
            }
            return final
        }
        let partial = root.appendingPathComponent(".partial-import-\(UUID().uuidString.prefix(8))")
        defer { try? fm.removeItem(at: partial) }
        try fm.createDirectory(at: partial, withIntermediateDirectories: false)
        for name in files { try fm.copyItem(at: source.appendingPathComponent(name), to: partial.appendingPathComponent(name)) }
        try prompt.save(directory: partial)
        let copied = try contentHash(of: partial)
        guard copied == hash else {
            throw ServiceError.adapterImportInvalid(path: source.path, reason: "its files changed while they were being copied; import again")
        }
        try fm.moveItem(at: partial, to: final)
        return final
    }

    /// Removes half-written folders left by a crash.
    static func removePartials(root: URL) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] where name.hasPrefix(".partial-") {
            try? fm.removeItem(at: root.appendingPathComponent(name))
        }
    }
}

import Foundation
import Scoring
import Storage

/// Adapters trained elsewhere: import (checked against the served model, copied under its content hash, registered
/// with its gate pending; the retrain job evaluates it in the background with the retrain's own gate).
extension SafetyService {
    /// Imports the PEFT LoRA adapter in `path`. Returns the adapter and whether it is new: the same files imported (or
    /// trained here) before answer with the adapter already registered, and nothing is written.
    func importAdapter(path: String, label: String, by keyID: Int64) async throws -> (adapter: Storage.Adapter, created: Bool) {
        let source = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ServiceError.adapterImportInvalid(path: source.path, reason: "no such folder on the server")
        }
        let model = scorer.model, prompt = scorer.prompt
        let root = URL(fileURLWithPath: configuration.adaptersPath)
        // Hashing, loading every tensor and copying are file and CPU work: off the cooperative pool.
        let checked = try await RetrainService.onThread(name: "adapter-import") { () throws -> (hash: String, modules: Int) in
            let hash = try AdapterFolder.contentHash(of: source)
            return (hash, try Self.checkImport(source, model: model, prompt: prompt).namedModules.count)
        }
        if let existing = try await database.adapters.find(contentHash: checked.hash) { return (existing, false) }
        let directory = try await RetrainService.onThread(name: "adapter-import") {
            try AdapterFolder.importCopy(from: source, hash: checked.hash, prompt: prompt, root: root)
        }
        let id = "import-" + checked.hash.prefix(12)
        let adapter: Storage.Adapter
        do {
            adapter = try await database.adapters.register(NewAdapter(
                id: id, contentHash: checked.hash, path: directory.path, baseModelID: modelID, origin: .imported, label: label,
                sourcePath: source.path, gateState: .pending))
        } catch StorageError.constraintViolation(let v) where v.kind == .unique {
            // The same files imported at the same moment by another request: that one registered them.
            guard let existing = try await database.adapters.find(contentHash: checked.hash) else { throw StorageError.constraintViolation(v) }
            return (existing, false)
        }
        try await database.auditLog.record(keyID: keyID, action: "adapter.import", target: id, details: .object([
            "source_path": .string(source.path), "label": .string(label), "content_hash": .string(checked.hash),
            "lora_modules": .int(checked.modules),
        ]))
        logger.info("adapter imported; its evaluation is queued", metadata: ["adapter": "\(id)", "from": "\(source.path)"])
        return (adapter, true)
    }

    /// Everything that makes a folder unfit to serve, as `ServiceError.adapterImportInvalid` naming the problem: missing
    /// files, a config PEFT or this engine cannot use, a corrupt safetensors file, tensors that do not fit the served
    /// model's shapes, non-finite weights, or a `scoring_prompt.json` other than the one the model is served with.
    static func checkImport(_ source: URL, model: Qwen2Model, prompt: ScoringPrompt) throws -> LoRAAdapter {
        func invalid(_ reason: String) -> ServiceError { .adapterImportInvalid(path: source.path, reason: reason) }
        if FileManager.default.fileExists(atPath: source.appendingPathComponent(ScoringPrompt.fileName).path) {
            let own: ScoringPrompt
            do { own = try ScoringPrompt.load(directory: source) } catch { throw invalid("\(error)") }
            guard own == prompt else {
                throw invalid("its \(ScoringPrompt.fileName) (version \(own.version)) differs from the prompt the model is served with "
                    + "(version \(prompt.version)); an adapter answers well only under the prompt it was trained with")
            }
        }
        let adapter: LoRAAdapter
        do {
            adapter = try LoRAAdapter.load(directory: source, model: model)
        } catch {
            throw invalid("\(error)")
        }
        for m in adapter.namedModules {
            for (half, buffer) in [("lora_A", m.module.a), ("lora_B", m.module.b)]
            where !UnsafeBufferPointer(start: buffer.pointer, count: buffer.count).allSatisfy(\.isFinite) {
                throw invalid("tensor \(m.name).\(half).weight holds NaN or infinite values")
            }
        }
        return adapter
    }
}

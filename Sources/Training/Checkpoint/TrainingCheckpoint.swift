import Foundation
import Scoring

/// Errors reading a training checkpoint; each names the file and what did not match.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case missingTensor(file: String, name: String)
    case wrongShape(file: String, name: String, expected: [Int], found: [Int])
    case unexpectedTensors(file: String, names: [String])
    case badState(file: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(p): "checkpoint file \(p) does not exist"
        case let .missingTensor(f, n): "\(f): no tensor \(n); the checkpoint was written for a different model or mode"
        case let .wrongShape(f, n, e, found): "\(f): tensor \(n) has shape \(found), the model expects \(e)"
        case let .unexpectedTensors(f, ns): "\(f): \(ns.count) tensor(s) this model does not have: \(ns.prefix(5).joined(separator: ", "))"
        case let .badState(f, r): "\(f): \(r)"
        }
    }
}

/// A checkpoint that resumes exactly: every trainable tensor with AdamW's two moments (F32, bit for bit) in
/// `checkpoint.safetensors` (`param.<name>`, `adam_m.<name>`, `adam_v.<name>`), and the optimiser step plus the
/// trainer's own state (RNG, data order, position) in `trainer_state.json`. The frozen base of a LoRA run is not
/// saved: resume on the same base.
public enum TrainingCheckpoint {
    static let tensorsFile = "checkpoint.safetensors"
    static let stateFile = "trainer_state.json"

    struct Envelope<State: Codable>: Codable {
        var format: Int
        var optimizerStep: Int
        var optimizer: AdamWConfig
        var parameterCount: Int
        var trainer: State
    }

    public static func write<State: Codable>(parameters: ParameterSet, optimizer: AdamW, trainerState: State, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var w = SafeTensorsWriter(metadata: ["format": "pt", "writer": "ContentSafety Training"])
        for e in parameters.entries {
            for (prefix, buffer) in [("param.", parameters.values), ("adam_m.", parameters.m), ("adam_v.", parameters.v)] {
                w.add(.init(name: prefix + e.name, shape: e.shape, values: Array(UnsafeBufferPointer(start: buffer.pointer + e.offset, count: e.count))))
            }
        }
        try w.write(to: directory.appendingPathComponent(tensorsFile))
        let envelope = Envelope(format: 1, optimizerStep: optimizer.stepCount, optimizer: optimizer.config,
                                parameterCount: parameters.parameterCount, trainer: trainerState)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(envelope).write(to: directory.appendingPathComponent(stateFile), options: .atomic)
    }

    /// Loads tensors and moments into `parameters`, restores the optimiser's step and configuration, and returns the
    /// trainer state. Every tensor of the set must be present with its shape, and nothing else.
    public static func read<State: Codable>(into parameters: ParameterSet, optimizer: AdamW, from directory: URL, as: State.Type) throws -> State {
        let tensorsURL = directory.appendingPathComponent(tensorsFile), stateURL = directory.appendingPathComponent(stateFile)
        guard FileManager.default.fileExists(atPath: tensorsURL.path) else { throw CheckpointError.missingFile(path: tensorsURL.path) }
        guard let stateData = FileManager.default.contents(atPath: stateURL.path) else { throw CheckpointError.missingFile(path: stateURL.path) }
        let envelope: Envelope<State>
        do { envelope = try JSONDecoder().decode(Envelope<State>.self, from: stateData) } catch {
            throw CheckpointError.badState(file: stateURL.path, reason: "unreadable trainer state (\(error))")
        }
        guard envelope.format == 1 else { throw CheckpointError.badState(file: stateURL.path, reason: "format \(envelope.format), expected 1") }
        let file = try SafeTensorsFile(url: tensorsURL)
        var unused = Set(file.tensors.keys)
        for e in parameters.entries {
            for (prefix, buffer) in [("param.", parameters.values), ("adam_m.", parameters.m), ("adam_v.", parameters.v)] {
                let name = prefix + e.name
                guard let info = file.tensors[name] else { throw CheckpointError.missingTensor(file: tensorsURL.path, name: name) }
                guard info.shape == e.shape, info.dtype == .f32 else {
                    throw CheckpointError.wrongShape(file: tensorsURL.path, name: name, expected: e.shape, found: info.shape)
                }
                let values = try file.floats(name)
                values.withUnsafeBufferPointer { (buffer.pointer + e.offset).update(from: $0.baseAddress!, count: e.count) }
                unused.remove(name)
            }
        }
        if !unused.isEmpty { throw CheckpointError.unexpectedTensors(file: tensorsURL.path, names: unused.sorted()) }
        optimizer.config = envelope.optimizer
        optimizer.restore(stepCount: envelope.optimizerStep)
        return envelope.trainer
    }
}

import Foundation
import Testing
@testable import Scoring

/// Broken checkpoints, configs and adapters must be refused with typed errors that name the problem — never a crash.
@Suite struct BadFileTests {
    let model = Qwen2Model.random(config: tinyConfig, format: .f32, seed: 11)

    /// Saves the tiny model, then lets `edit` rewrite its tensors before writing model.safetensors again.
    func savedModel(editTensors edit: (inout [SafeTensorsWriter.Entry]) -> Void = { _ in }) throws -> URL {
        let dir = try TestPaths.temporaryDirectory()
        try model.save(directory: dir, dtype: .f32)
        let url = dir.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(url: url)
        var entries = try file.tensors.values.map { info in
            SafeTensorsWriter.Entry(name: info.name, dtype: info.dtype, shape: info.shape, bytes: Array(try file.rawBytes(info.name)))
        }
        edit(&entries)
        var w = SafeTensorsWriter()
        entries.forEach { w.add($0) }
        try w.write(to: url)
        return dir
    }

    @Test func savedModelReloadsWithIdenticalLogits() throws {
        let dir = try savedModel()
        defer { try? FileManager.default.removeItem(at: dir) }
        let loaded = try Qwen2Model.load(directory: dir)
        let ws = Workspace()
        let ids = [1, 2, 3, 50, 96]
        let a = model.forward([SequenceStep(tokens: ids, cache: model.makeCache(), logits: .all)], workspace: ws)[0]
        let b = loaded.forward([SequenceStep(tokens: ids, cache: loaded.makeCache(), logits: .all)], workspace: ws)[0]
        #expect(a == b)
    }

    @Test func missingTensorIsNamed() throws {
        let dir = try savedModel { $0.removeAll { $0.name == "model.norm.weight" } }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelLoadError.missingTensor(name: "model.norm.weight")) { try Qwen2Model.load(directory: dir) }
    }

    @Test func unusedTensorIsNamed() throws {
        let dir = try savedModel { $0.append(.init(name: "model.layers.0.mystery.weight", shape: [2], values: [1, 2])) }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelLoadError.unusedTensors(names: ["model.layers.0.mystery.weight"])) { try Qwen2Model.load(directory: dir) }
    }

    @Test func wrongShapeNamesExpectedAndFound() throws {
        let name = "model.layers.1.mlp.up_proj.weight"
        let dir = try savedModel { entries in
            let i = entries.firstIndex { $0.name == name }!
            entries[i] = .init(name: name, shape: [40, 48], values: [Float](repeating: 0, count: 40 * 48))
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelLoadError.wrongShape(tensor: name, expected: [80, 48], found: [40, 48])) { try Qwen2Model.load(directory: dir) }
    }

    @Test func integerWeightsAreRefused() throws {
        let name = "model.norm.weight"
        let dir = try savedModel { entries in
            let i = entries.firstIndex { $0.name == name }!
            entries[i] = .init(name: name, dtype: .i32, shape: [48], bytes: [UInt8](repeating: 0, count: 48 * 4))
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelLoadError.unsupportedDType(tensor: name, found: "I32")) { try Qwen2Model.load(directory: dir) }
    }

    /// A checkpoint whose weights would not fit in the memory available is refused with the figures, before any
    /// weight is allocated (an allocation that fails would end the process); one that just fits loads.
    @Test func aCheckpointLargerThanTheMemoryIsRefused() throws {
        let dir = try savedModel()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try Qwen2Config.load(dir.appendingPathComponent("config.json"))
        let store = try TensorStore(directory: dir)
        // The file is F32: every tensor at 4 bytes a value as stored, matrices at 2 in BF16.
        var f32 = 0, bf16 = 0
        for name in store.names {
            let info = try store.info(name)
            let n = info.shape.reduce(1, *)
            f32 += n * 4
            bf16 += n * (info.shape.count == 2 ? 2 : 4)
        }
        #expect(throws: ModelLoadError.insufficientMemory(neededBytes: f32, availableBytes: f32 - 1)) {
            try Qwen2Model.load(config: config, store: store, format: .asStored, availableMemory: f32 - 1)
        }
        #expect(throws: ModelLoadError.insufficientMemory(neededBytes: bf16, availableBytes: 4096)) {
            try Qwen2Model.load(config: config, store: store, format: .bf16, availableMemory: 4096)
        }
        _ = try Qwen2Model.load(config: config, store: store, format: .asStored, availableMemory: f32)
        _ = try Qwen2Model.load(config: config, store: store, format: .bf16, availableMemory: bf16)
        #expect(ModelLoadError.insufficientMemory(neededBytes: 3 << 30, availableBytes: 1 << 30).description.contains("3072 MiB"))
    }

    @Test func theAvailableMemoryIsReadFromMeminfo() {
        let text = "MemTotal:       24608300 kB\nMemFree:         1000000 kB\nMemAvailable:   20123456 kB\n"
        #expect(SystemMemory.memAvailableKiB(in: text) == 20_123_456)
        #expect(SystemMemory.memAvailableKiB(in: "MemTotal: 5 kB\n") == nil)
        #expect(SystemMemory.memAvailableKiB(in: "MemAvailable: lots kB\n") == nil)
        #expect((SystemMemory.availableBytes() ?? 0) > 0)
    }

    /// Writes a safetensors file with a hand-made header and `dataBytes` bytes of data.
    func rawFile(header: String, dataBytes: Int, declaredLength: UInt64? = nil) throws -> URL {
        let dir = try TestPaths.temporaryDirectory()
        var d = Data()
        var len = (declaredLength ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &len) { d.append(contentsOf: $0) }
        d.append(Data(header.utf8))
        d.append(Data(count: dataBytes))
        let url = dir.appendingPathComponent("model.safetensors")
        try d.write(to: url)
        return url
    }

    @Test func unknownDTypeIsNamed() throws {
        let url = try rawFile(header: #"{"w":{"dtype":"F8_E9M9","shape":[2],"data_offsets":[0,2]}}"#, dataBytes: 2)
        #expect(throws: SafeTensorsError.unknownDType(file: url.path, tensor: "w", dtype: "F8_E9M9")) { try SafeTensorsFile(url: url) }
    }

    @Test func truncatedDataIsReported() throws {
        let url = try rawFile(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 10)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(url: url) }
        do { _ = try SafeTensorsFile(url: url) } catch let e as SafeTensorsError {
            guard case .truncated = e else { Issue.record("expected truncated, got \(e)"); return }
            #expect(e.description.contains("truncated"))
        }
    }

    @Test func lyingHeaderLengthIsReported() throws {
        let url = try rawFile(header: #"{}"#, dataBytes: 0, declaredLength: 1 << 40)
        #expect(throws: SafeTensorsError.badHeader(file: url.path, reason: "declared header length 1099511627776 bytes is not plausible")) {
            try SafeTensorsFile(url: url)
        }
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let url2 = try rawFile(header: header, dataBytes: 4, declaredLength: 5000)
        #expect(throws: SafeTensorsError.truncated(file: url2.path, expectedBytes: 5008, foundBytes: 8 + header.utf8.count + 4)) {
            try SafeTensorsFile(url: url2)
        }
    }

    @Test func shapeThatDisagreesWithOffsetsIsReported() throws {
        let url = try rawFile(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, dataBytes: 16)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(url: url) }
        let url2 = try rawFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12)
        #expect(throws: SafeTensorsError.badOffsets(file: url2.path, tensor: "b", reason: "overlaps tensor a")) { try SafeTensorsFile(url: url2) }
        let url3 = try rawFile(header: "not json at all", dataBytes: 0)
        #expect(throws: SafeTensorsError.badHeader(file: url3.path, reason: "header is not valid JSON")) { try SafeTensorsFile(url: url3) }
    }

    @Test func unsupportedModelTypeIsNamed() throws {
        let dir = try savedModel()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cfgURL = dir.appendingPathComponent("config.json")
        var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: cfgURL)) as! [String: Any]
        obj["model_type"] = "llama"
        try JSONSerialization.data(withJSONObject: obj).write(to: cfgURL)
        #expect(throws: ModelLoadError.unsupportedModelType(file: cfgURL.path, found: "llama")) { try Qwen2Model.load(directory: dir) }
        obj["model_type"] = "qwen2"
        obj.removeValue(forKey: "hidden_size")
        try JSONSerialization.data(withJSONObject: obj).write(to: cfgURL)
        #expect(throws: ModelLoadError.badConfig(file: cfgURL.path, key: "hidden_size", reason: "required key is missing")) {
            try Qwen2Model.load(directory: dir)
        }
        obj["hidden_size"] = 48
        obj["num_key_value_heads"] = 4
        try JSONSerialization.data(withJSONObject: obj).write(to: cfgURL)
        #expect(throws: ModelLoadError.badConfig(file: cfgURL.path, key: "num_key_value_heads", reason: "must divide num_attention_heads (6), found 4")) {
            try Qwen2Model.load(directory: dir)
        }
    }

    @Test func adapterForAnotherModelIsRefused() throws {
        var other = tinyConfig
        other.intermediateSize = 64
        let otherModel = Qwen2Model.random(config: other, format: .f32, seed: 1)
        let adapter = LoRAAdapter.fresh(id: "x", model: otherModel, config: LoRAConfig(r: 2, alpha: 4, targets: [.up]))
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try adapter.save(to: dir)
        #expect(throws: AdapterError.wrongShape(tensor: "base_model.model.model.layers.0.mlp.up_proj.lora_B.weight", expected: [80, 2], found: [64, 2])) {
            try LoRAAdapter.load(directory: dir, model: model)
        }
        // Loads fine into the model it was made for, and round-trips.
        let back = try LoRAAdapter.load(directory: dir, model: otherModel)
        #expect(back.namedModules.count == 2)
    }

    @Test func unsupportedAdapterFeaturesAreNamed() throws {
        let adapter = LoRAAdapter.fresh(id: "x", model: model, config: LoRAConfig(r: 2, alpha: 4, targets: [.q]))
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try adapter.save(to: dir)
        let cfgURL = dir.appendingPathComponent("adapter_config.json")
        var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: cfgURL)) as! [String: Any]
        obj["use_dora"] = true
        try JSONSerialization.data(withJSONObject: obj).write(to: cfgURL)
        #expect(throws: AdapterError.unsupported(file: cfgURL.path, feature: "DoRA (use_dora: true)")) { try LoRAAdapter.load(directory: dir, model: model) }
        obj["use_dora"] = false
        obj["r"] = 3
        try JSONSerialization.data(withJSONObject: obj).write(to: cfgURL)
        #expect(throws: AdapterError.rankMismatch(module: "model.layers.0.self_attn.q_proj", configRank: 3, tensorRank: 2)) {
            try LoRAAdapter.load(directory: dir, model: model)
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("adapter_model.safetensors"))
        #expect(throws: AdapterError.missingFile(path: dir.appendingPathComponent("adapter_model.safetensors").path)) {
            try LoRAAdapter.load(directory: dir, model: model)
        }
    }
}

@Suite struct ConfigTests {
    func decode(_ json: String) throws -> Qwen2Config {
        try JSONDecoder().decode(Qwen2Config.self, from: Data(json.utf8))
    }

    @Test func transformersFiveRopeParametersAreRead() throws {
        let c = try decode(#"{"model_type":"qwen2","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,"dtype":"bfloat16","rope_parameters":{"rope_type":"default","rope_theta":1000000.0}}"#)
        #expect(c.ropeTheta == 1_000_000)
        #expect(c.torchDtype == "bfloat16")
        try c.validate()
    }

    @Test func scaledRopeIsRefusedByName() throws {
        let c = try decode(#"{"model_type":"qwen2","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"rope_scaling":{"type":"yarn","factor":4.0}}"#)
        #expect(throws: ModelLoadError.self) { try c.validate() }
    }

    @Test func qwen25HalfBillionParameterCountIsRight() {
        // Qwen2.5-0.5B has 494,032,768 parameters (embedding tied).
        #expect(Qwen2Config.qwen25_05B.parameterCount == 494_032_768)
    }
}

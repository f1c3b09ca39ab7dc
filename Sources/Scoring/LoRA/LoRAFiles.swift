import Foundation

extension LoRAAdapter {
    static let tensorPrefix = "base_model.model."

    /// Loads `adapter_config.json` + `adapter_model.safetensors` written by PEFT (or by `save`), checking every tensor
    /// against the model it will be applied to.
    public static func load(directory: URL, model: Qwen2Model, id: String? = nil) throws -> LoRAAdapter {
        let configURL = directory.appendingPathComponent("adapter_config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path) else { throw AdapterError.missingFile(path: configURL.path) }
        let config: LoRAConfig
        do { config = try JSONDecoder().decode(LoRAConfig.self, from: data) } catch {
            throw AdapterError.badConfig(file: configURL.path, key: "", reason: "not a valid PEFT LoRA config (\(error))")
        }
        let f = configURL.path
        guard config.peftType.uppercased() == "LORA" else { throw AdapterError.unsupported(file: f, feature: "peft_type \(config.peftType)") }
        guard !config.useDora else { throw AdapterError.unsupported(file: f, feature: "DoRA (use_dora: true)") }
        guard !config.fanInFanOut else { throw AdapterError.unsupported(file: f, feature: "fan_in_fan_out: true") }
        guard config.bias == "none" else { throw AdapterError.unsupported(file: f, feature: "bias \"\(config.bias)\"") }
        if let m = config.modulesToSave, !m.isEmpty { throw AdapterError.unsupported(file: f, feature: "modules_to_save \(m)") }
        guard config.r > 0 else { throw AdapterError.badConfig(file: f, key: "r", reason: "must be positive, found \(config.r)") }

        let weights = directory.appendingPathComponent("adapter_model.safetensors")
        guard FileManager.default.fileExists(atPath: weights.path) else { throw AdapterError.missingFile(path: weights.path) }
        let file = try SafeTensorsFile(url: weights)
        var unused = Set(file.tensors.keys)
        let L = model.config.numHiddenLayers
        var modules: [[LoRAModule?]] = Array(repeating: Array(repeating: nil, count: Projection.allCases.count), count: L)
        // Modules are found from the tensors present (PEFT saves exactly the targeted ones); both halves must be there.
        for l in 0..<L {
            for p in Projection.allCases {
                let module = "model.layers.\(l).\(p.path)"
                let aName = tensorPrefix + module + ".lora_A.weight", bName = tensorPrefix + module + ".lora_B.weight"
                let hasA = file.tensors[aName] != nil, hasB = file.tensors[bName] != nil
                guard hasA || hasB else { continue }
                guard hasA else { throw AdapterError.missingTensor(name: aName) }
                guard hasB else { throw AdapterError.missingTensor(name: bName) }
                let w = model.layers[l][p]
                let aInfo = try file.info(aName), bInfo = try file.info(bName)
                guard aInfo.shape.count == 2, aInfo.shape[1] == w.cols else {
                    throw AdapterError.wrongShape(tensor: aName, expected: [aInfo.shape.first ?? config.r, w.cols], found: aInfo.shape)
                }
                let r = aInfo.shape[0]
                guard bInfo.shape == [w.rows, r] else { throw AdapterError.wrongShape(tensor: bName, expected: [w.rows, r], found: bInfo.shape) }
                guard r == config.rank(for: module) else { throw AdapterError.rankMismatch(module: module, configRank: config.rank(for: module), tensorRank: r) }
                modules[l][p.index] = LoRAModule(rank: r, inFeatures: w.cols, outFeatures: w.rows, scale: config.scale(for: module),
                                                 a: FloatBuffer(try file.floats(aName)), b: FloatBuffer(try file.floats(bName)))
                unused.remove(aName); unused.remove(bName)
            }
        }
        if let name = unused.sorted().first { throw AdapterError.unknownTensor(name: name) }
        if modules.allSatisfy({ $0.allSatisfy { $0 == nil } }) {
            throw AdapterError.badConfig(file: weights.path, key: "", reason: "holds no LoRA tensors for this model")
        }
        return LoRAAdapter(id: id ?? directory.lastPathComponent, config: config, modules: modules)
    }

    /// Writes the adapter in PEFT's format (F32 tensors), so PEFT's `PeftModel.from_pretrained` loads it.
    public func save(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var cfg = config
        var targets = Set<String>()
        for m in namedModules { targets.insert(m.projection.rawValue) }
        cfg.targetModules = .names(targets.sorted())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(cfg).write(to: directory.appendingPathComponent("adapter_config.json"), options: .atomic)
        var w = SafeTensorsWriter(metadata: ["format": "pt"])
        for m in namedModules {
            w.add(.init(name: m.name + ".lora_A.weight", shape: [m.module.rank, m.module.inFeatures],
                        values: Array(UnsafeBufferPointer(start: m.module.a.pointer, count: m.module.a.count))))
            w.add(.init(name: m.name + ".lora_B.weight", shape: [m.module.outFeatures, m.module.rank],
                        values: Array(UnsafeBufferPointer(start: m.module.b.pointer, count: m.module.b.count))))
        }
        try w.write(to: directory.appendingPathComponent("adapter_model.safetensors"))
    }
}

extension Qwen2Model {
    /// A copy of this model with the adapter folded into its weights (W + scale·B·A): faster than applying it unmerged,
    /// but the adapter can no longer be swapped. BF16 and 8-bit weights are re-rounded (re-quantized) after the merge.
    public func merging(_ adapter: LoRAAdapter) -> Qwen2Model {
        let newLayers = layers.enumerated().map { l, layer in
            DecoderLayerWeights(
                inputNorm: layer.inputNorm, postAttentionNorm: layer.postAttentionNorm,
                proj: Projection.allCases.map { p in
                    let w = layer[p]
                    guard let m = adapter.module(layer: l, p) else { return w }
                    var values = w.floats()
                    values.withUnsafeMutableBufferPointer { dst in
                        // W[out, in] += scale · B[out, r] · A[r, in]
                        Linear.sgemmNN(m: w.rows, n: w.cols, k: m.rank, alpha: m.scale, a: m.b.pointer, lda: m.rank, b: m.a.pointer,
                                       ldb: w.cols, c: dst.baseAddress!, ldc: w.cols, beta: 1)
                    }
                    return WeightMatrix(rows: w.rows, cols: w.cols, values: values, format: w.format)
                },
                qBias: layer.qBias, kBias: layer.kBias, vBias: layer.vBias)
        }
        return Qwen2Model(config: config, embedding: embedding, layers: newLayers, finalNorm: finalNorm, lmHead: lmHead)
    }
}

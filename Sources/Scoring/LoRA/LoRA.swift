import CBLAS
import Foundation

/// Errors loading a PEFT LoRA adapter; each names the file or tensor and what was expected.
public enum AdapterError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case badConfig(file: String, key: String, reason: String)
    case unsupported(file: String, feature: String)
    case unknownTensor(name: String)
    case missingTensor(name: String)
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case rankMismatch(module: String, configRank: Int, tensorRank: Int)

    public var description: String {
        switch self {
        case let .missingFile(p): "adapter file \(p) does not exist"
        case let .badConfig(f, k, r): "\(f): key \"\(k)\": \(r)"
        case let .unsupported(f, feat): "\(f): \(feat) is not supported"
        case let .unknownTensor(n): "adapter tensor \(n) does not belong to any LoRA-targetable module of this model"
        case let .missingTensor(n): "adapter is missing tensor \(n)"
        case let .wrongShape(t, e, f): "adapter tensor \(t) has shape \(f), expected \(e) for this model"
        case let .rankMismatch(m, c, t): "module \(m): adapter_config.json gives rank \(c) but its tensors have rank \(t)"
        }
    }
}

/// PEFT's `adapter_config.json` for LoRA (keys as PEFT writes them).
public struct LoRAConfig: Codable, Sendable, Equatable {
    public var peftType: String
    public var r: Int
    public var loraAlpha: Double
    public var targetModules: TargetModules
    public var useRslora: Bool
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]
    public var loraDropout: Double
    public var bias: String
    public var fanInFanOut: Bool
    public var useDora: Bool
    public var baseModelNameOrPath: String?
    public var taskType: String?
    public var modulesToSave: [String]?
    public var layersToTransform: [Int]?

    /// PEFT accepts a list of module names or one regular expression.
    public enum TargetModules: Codable, Sendable, Equatable {
        case names([String])
        case regex(String)
        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .regex(s) } else { self = .names(try c.decode([String].self)) }
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self { case .names(let n): try c.encode(n); case .regex(let r): try c.encode(r) }
        }
    }

    enum CodingKeys: String, CodingKey {
        case peftType = "peft_type", r, loraAlpha = "lora_alpha", targetModules = "target_modules", useRslora = "use_rslora"
        case rankPattern = "rank_pattern", alphaPattern = "alpha_pattern", loraDropout = "lora_dropout", bias
        case fanInFanOut = "fan_in_fan_out", useDora = "use_dora", baseModelNameOrPath = "base_model_name_or_path"
        case taskType = "task_type", modulesToSave = "modules_to_save", layersToTransform = "layers_to_transform"
    }

    public init(r: Int, alpha: Double, targets: [Projection], rslora: Bool = false, baseModel: String? = nil) {
        peftType = "LORA"; self.r = r; loraAlpha = alpha; targetModules = .names(targets.map(\.rawValue)); useRslora = rslora
        rankPattern = [:]; alphaPattern = [:]; loraDropout = 0; bias = "none"; fanInFanOut = false; useDora = false
        baseModelNameOrPath = baseModel; taskType = "CAUSAL_LM"; modulesToSave = nil; layersToTransform = nil
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        peftType = try c.decodeIfPresent(String.self, forKey: .peftType) ?? "LORA"
        r = try c.decodeIfPresent(Int.self, forKey: .r) ?? 8
        loraAlpha = try c.decodeIfPresent(Double.self, forKey: .loraAlpha) ?? 8
        targetModules = try c.decodeIfPresent(TargetModules.self, forKey: .targetModules) ?? .names([])
        useRslora = try c.decodeIfPresent(Bool.self, forKey: .useRslora) ?? false
        rankPattern = try c.decodeIfPresent([String: Int].self, forKey: .rankPattern) ?? [:]
        alphaPattern = try c.decodeIfPresent([String: Double].self, forKey: .alphaPattern) ?? [:]
        loraDropout = try c.decodeIfPresent(Double.self, forKey: .loraDropout) ?? 0
        bias = try c.decodeIfPresent(String.self, forKey: .bias) ?? "none"
        fanInFanOut = try c.decodeIfPresent(Bool.self, forKey: .fanInFanOut) ?? false
        useDora = try c.decodeIfPresent(Bool.self, forKey: .useDora) ?? false
        baseModelNameOrPath = try c.decodeIfPresent(String.self, forKey: .baseModelNameOrPath)
        taskType = try c.decodeIfPresent(String.self, forKey: .taskType)
        modulesToSave = try c.decodeIfPresent([String].self, forKey: .modulesToSave)
        // PEFT allows an int or a list here.
        if let one = try? c.decodeIfPresent(Int.self, forKey: .layersToTransform) { layersToTransform = [one] }
        else { layersToTransform = try c.decodeIfPresent([Int].self, forKey: .layersToTransform) }
    }

    /// PEFT resolves rank_pattern / alpha_pattern keys as regexes matched at the end of the module's full name
    /// (`re.match(rf"(.*\.)?{key}$", name)`, peft/tuners/tuners_utils.py `get_pattern_key`).
    static func patternValue<T>(_ patterns: [String: T], module name: String) -> T? {
        for key in patterns.keys.sorted(by: { $0.count > $1.count }) {
            if let re = try? NSRegularExpression(pattern: "^(.*\\.)?\(key)$"),
               re.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil {
                return patterns[key]
            }
        }
        return nil
    }

    package func rank(for module: String) -> Int { Self.patternValue(rankPattern, module: module) ?? r }
    package func alpha(for module: String) -> Double { Self.patternValue(alphaPattern, module: module) ?? loraAlpha }
    package func scale(for module: String) -> Float {
        let rr = Double(rank(for: module)), a = alpha(for: module)
        return Float(useRslora ? a / rr.squareRoot() : a / rr)
    }
}

/// The trained low-rank pair of one linear layer: Δy = scale · (x · Aᵀ) · Bᵀ.
public final class LoRAModule: @unchecked Sendable {
    public let rank: Int
    public let inFeatures: Int
    public let outFeatures: Int
    public let scale: Float
    public let a: FloatBuffer // [r, in]
    public let b: FloatBuffer // [out, r]

    public init(rank: Int, inFeatures: Int, outFeatures: Int, scale: Float, a: FloatBuffer, b: FloatBuffer) {
        precondition(a.count == rank * inFeatures && b.count == outFeatures * rank)
        self.rank = rank; self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.scale = scale; self.a = a; self.b = b
    }

    /// y[rows, out] += scale · (x[rows, in] · Aᵀ) · Bᵀ.
    package func addDelta(x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>, ldy: Int, rows: Int, scratch: Scratch) {
        let t = scratch.get("lora", rows * rank) // [rows, r]
        Linear.sgemm(m: rows, n: rank, k: inFeatures, a: x, lda: ldx, bT: a.pointer, ldb: inFeatures, c: t, ldc: rank, beta: 0)
        Linear.sgemmScaled(m: rows, n: outFeatures, k: rank, alpha: scale, a: t, lda: rank, bT: b.pointer, ldb: rank, c: y, ldc: ldy, beta: 1)
    }
}

/// A LoRA adapter for a Qwen2 model, in PEFT's format. Immutable: swapping adapters means swapping references.
public final class LoRAAdapter: @unchecked Sendable {
    public let id: String
    public let config: LoRAConfig
    /// [layer][Projection.index]
    package let modules: [[LoRAModule?]]

    public init(id: String, config: LoRAConfig, modules: [[LoRAModule?]]) {
        self.id = id; self.config = config; self.modules = modules
    }

    public func module(layer: Int, _ p: Projection) -> LoRAModule? { modules[layer][p.index] }

    public var layerCount: Int { modules.count }

    /// All modules with their PEFT tensor name prefix (`base_model.model.model.layers.{i}.{path}`).
    public var namedModules: [(name: String, layer: Int, projection: Projection, module: LoRAModule)] {
        var out: [(String, Int, Projection, LoRAModule)] = []
        for (l, row) in modules.enumerated() {
            for p in Projection.allCases { if let m = row[p.index] { out.append(("base_model.model.model.layers.\(l).\(p.path)", l, p, m)) } }
        }
        return out
    }

    /// A fresh adapter as PEFT initialises one: A ~ Kaiming-uniform(a=√5), B = 0, so it changes nothing until trained.
    public static func fresh(id: String, model: Qwen2Model, config: LoRAConfig, seed: UInt64 = 0) -> LoRAAdapter {
        var rng = SplitMix64(seed: seed)
        let targets = Set(config.targets(layers: model.config.numHiddenLayers))
        let modules: [[LoRAModule?]] = (0..<model.config.numHiddenLayers).map { l in
            Projection.allCases.map { p in
                let name = "model.layers.\(l).\(p.path)"
                guard targets.contains(name) else { return nil }
                let w = model.layers[l][p]
                let r = config.rank(for: name)
                let a = FloatBuffer(count: r * w.cols)
                // kaiming_uniform_(a=sqrt(5)) on [r, in] gives U(-1/sqrt(in), 1/sqrt(in)).
                let bound = 1 / Float(w.cols).squareRoot()
                for i in 0..<(r * w.cols) { a.pointer[i] = (rng.nextFloat() * 2 - 1) * bound }
                return LoRAModule(rank: r, inFeatures: w.cols, outFeatures: w.rows, scale: config.scale(for: name), a: a, b: FloatBuffer(count: w.rows * r))
            }
        }
        return LoRAAdapter(id: id, config: config, modules: modules)
    }
}

extension LoRAAdapter {
    /// Whether every module's B is zero: the adapter changes nothing (a fresh one, as PEFT initialises it).
    public var isIdentity: Bool {
        modules.allSatisfy { row in row.allSatisfy { m in m.map { m in (0..<m.b.count).allSatisfy { m.b.pointer[$0] == 0 } } ?? true } }
    }

    /// The adapter part of the way from `start` to `trained` in weight change: ΔW = start's + fraction · (trained's −
    /// start's), exactly. Interpolating a fine-tuned model toward the one it started from is weight-space ensembling as
    /// WiSE-FT does it: most of what training taught, with less of its drift on what it did not cover. Interpolating A
    /// and B themselves would not do it (ΔW is B·A, so such a mix is not on the line, and it was measured worse than
    /// either end), so:
    /// - from an adapter that changes nothing (a fresh one: B = 0), every A as trained and every B times `fraction`;
    /// - from any other, one adapter of both ranks together, A = [A_trained; A_start] and
    ///   B = [fraction · B_trained, (1 − fraction) · B_start], with lora_alpha raised so each module keeps its scale.
    /// Nil when the two do not have the same modules and shapes, their scales differ, either uses per-module rank or
    /// alpha patterns (where the combined rank has no single alpha), or the fraction is not finite.
    public static func blended(_ trained: LoRAAdapter, from start: LoRAAdapter, fraction: Float, id: String) -> LoRAAdapter? {
        guard fraction.isFinite, start.modules.count == trained.modules.count else { return nil }
        let identity = start.isIdentity
        if !identity {
            guard start.config.rankPattern.isEmpty, start.config.alphaPattern.isEmpty, trained.config.rankPattern.isEmpty,
                  trained.config.alphaPattern.isEmpty, start.config.useRslora == trained.config.useRslora else { return nil }
        }
        var modules: [[LoRAModule?]] = []
        for (rowS, rowT) in zip(start.modules, trained.modules) {
            guard rowS.count == rowT.count else { return nil }
            var row: [LoRAModule?] = []
            for (ms, mt) in zip(rowS, rowT) {
                switch (ms, mt) {
                case (nil, nil):
                    row.append(nil)
                case let (ms?, mt?):
                    guard ms.inFeatures == mt.inFeatures, ms.outFeatures == mt.outFeatures else { return nil }
                    if identity {
                        guard ms.rank == mt.rank else { return nil }
                        let a = FloatBuffer(count: mt.a.count)
                        a.pointer.update(from: mt.a.pointer, count: mt.a.count)
                        let b = FloatBuffer(count: mt.b.count)
                        for i in 0..<mt.b.count { b.pointer[i] = fraction == 1 ? mt.b.pointer[i] : fraction * mt.b.pointer[i] }
                        row.append(LoRAModule(rank: mt.rank, inFeatures: mt.inFeatures, outFeatures: mt.outFeatures, scale: mt.scale, a: a, b: b))
                    } else {
                        guard ms.scale == mt.scale, ms.rank == start.config.r, mt.rank == trained.config.r else { return nil }
                        let (rt, rs, k, n) = (mt.rank, ms.rank, mt.inFeatures, mt.outFeatures)
                        let r = rt + rs
                        let a = FloatBuffer(count: r * k)
                        a.pointer.update(from: mt.a.pointer, count: rt * k)
                        (a.pointer + rt * k).update(from: ms.a.pointer, count: rs * k)
                        let b = FloatBuffer(count: n * r)
                        for o in 0..<n {
                            for q in 0..<rt { b.pointer[o * r + q] = fraction * mt.b.pointer[o * rt + q] }
                            for q in 0..<rs { b.pointer[o * r + rt + q] = (1 - fraction) * ms.b.pointer[o * rs + q] }
                        }
                        row.append(LoRAModule(rank: r, inFeatures: k, outFeatures: n, scale: mt.scale, a: a, b: b))
                    }
                default:
                    return nil
                }
            }
            modules.append(row)
        }
        var config = trained.config
        if !identity {
            // The same scale at the combined rank: alpha / r, or alpha / √r under rsLoRA.
            let (r0, r1) = (Double(trained.config.r), Double(trained.config.r + start.config.r))
            config.r = trained.config.r + start.config.r
            config.loraAlpha = trained.config.useRslora ? trained.config.loraAlpha * (r1 / r0).squareRoot() : trained.config.loraAlpha * r1 / r0
        }
        return LoRAAdapter(id: id, config: config, modules: modules)
    }
}

extension LoRAConfig {
    /// Full module names (`model.layers.{i}.self_attn.q_proj`) this configuration targets.
    package func targets(layers: Int) -> [String] {
        var out: [String] = []
        for l in 0..<layers where layersToTransform.map({ $0.contains(l) }) ?? true {
            for p in Projection.allCases {
                let name = "model.layers.\(l).\(p.path)"
                switch targetModules {
                case .names(let names):
                    if names.contains(where: { name == $0 || name.hasSuffix("." + $0) }) { out.append(name) }
                case .regex(let pattern):
                    if let re = try? NSRegularExpression(pattern: "^(?:\(pattern))$"),
                       re.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil { out.append(name) }
                }
            }
        }
        return out
    }
}

extension Linear {
    /// C[m, n] = beta·C + alpha · A[m, k] · Bᵀ where B is [n, k] row-major.
    package static func sgemmScaled(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, bT: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), bT, Int32(ldb), beta, c, Int32(ldc))
    }
}

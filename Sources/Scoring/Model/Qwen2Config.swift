import Foundation

/// Errors loading a model folder; each names the file, key or tensor, what was expected and what was found.
public enum ModelLoadError: Error, CustomStringConvertible, Equatable {
    static func mebibytes(_ n: Int) -> String { "\((n + (1 << 20) - 1) >> 20) MiB" }

    case missingFile(path: String)
    case badConfig(file: String, key: String, reason: String)
    case unsupportedModelType(file: String, found: String)
    case missingTensor(name: String)
    case unusedTensors(names: [String])
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case unsupportedDType(tensor: String, found: String)
    /// The weights would need more memory than the machine has available: refused before anything is allocated.
    case insufficientMemory(neededBytes: Int, availableBytes: Int)

    public var description: String {
        switch self {
        case let .missingFile(p): "model file \(p) does not exist"
        case let .badConfig(f, k, r): "\(f): key \"\(k)\": \(r)"
        case let .unsupportedModelType(f, found): "\(f): model_type \"\(found)\" is not supported (expected \"qwen2\")"
        case let .missingTensor(n): "checkpoint has no tensor \(n), which the Qwen2 architecture needs"
        case let .unusedTensors(ns): "checkpoint has \(ns.count) tensor(s) the Qwen2 architecture does not use: \(ns.prefix(5).joined(separator: ", "))\(ns.count > 5 ? ", …" : "")"
        case let .wrongShape(t, e, f): "tensor \(t) has shape \(f), expected \(e)"
        case let .unsupportedDType(t, f): "tensor \(t) has dtype \(f), expected F32, BF16 or F16"
        case let .insufficientMemory(n, a):
            "the weights need \(Self.mebibytes(n)) in memory in the chosen weight format, but only \(Self.mebibytes(a)) are available; choose a smaller weight_format (bf16, q8) or a machine with more memory"
        }
    }
}

/// Qwen2 configuration decoded straight from a Hugging Face `config.json` (key names are Hugging Face's).
public struct Qwen2Config: Decodable, Sendable, Equatable {
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int?
    public var rmsNormEps: Float
    public var ropeTheta: Double
    public var maxPositionEmbeddings: Int
    public var tieWordEmbeddings: Bool
    public var hiddenAct: String
    public var torchDtype: String?
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var useSlidingWindow: Bool
    public var ropeScaling: [String: JSONValue]?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case maxPositionEmbeddings = "max_position_embeddings"
        case tieWordEmbeddings = "tie_word_embeddings"
        case hiddenAct = "hidden_act"
        case torchDtype = "torch_dtype"
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
        case useSlidingWindow = "use_sliding_window"
        case ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters"
        case dtype
    }

    public init(
        vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
        numAttentionHeads: Int, numKeyValueHeads: Int, rmsNormEps: Float = 1e-6, ropeTheta: Double = 1_000_000,
        maxPositionEmbeddings: Int = 32768, tieWordEmbeddings: Bool = true
    ) {
        modelType = "qwen2"
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers; self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads; self.rmsNormEps = rmsNormEps; self.ropeTheta = ropeTheta
        self.maxPositionEmbeddings = maxPositionEmbeddings; self.tieWordEmbeddings = tieWordEmbeddings
        hiddenAct = "silu"; useSlidingWindow = false
    }

    /// Qwen2.5-0.5B-Instruct's published configuration (used by the benchmarks).
    public static let qwen25_05B = Qwen2Config(
        vocabSize: 151_936, hiddenSize: 896, intermediateSize: 4864, numHiddenLayers: 24,
        numAttentionHeads: 14, numKeyValueHeads: 2, rmsNormEps: 1e-6, ropeTheta: 1_000_000,
        maxPositionEmbeddings: 32768, tieWordEmbeddings: true)

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "qwen2"
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? numAttentionHeads
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim)
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-6
        // Transformers 5 writes `rope_parameters: {rope_type, rope_theta}` instead of a top-level `rope_theta`.
        let ropeParameters = try c.decodeIfPresent([String: JSONValue].self, forKey: .ropeParameters)
        if let theta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) {
            ropeTheta = theta
        } else if let theta = ropeParameters?["rope_theta"]?.number {
            ropeTheta = theta
        } else {
            ropeTheta = 10000
        }
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 32768
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
        torchDtype = try c.decodeIfPresent(String.self, forKey: .torchDtype) ?? c.decodeIfPresent(String.self, forKey: .dtype)
        bosTokenID = try? c.decodeIfPresent(Int.self, forKey: .bosTokenID)
        eosTokenID = try? c.decodeIfPresent(Int.self, forKey: .eosTokenID)
        useSlidingWindow = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) ?? false
        ropeScaling = try c.decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling) ?? ropeParameters
    }

    /// Per-head dimension: `head_dim` when given, else hidden / heads.
    public var D: Int { headDim ?? hiddenSize / numAttentionHeads }
    /// The positions the engine serves: `max_position_embeddings`, capped at 128 Ki (the RoPE table's size).
    public var contextLength: Int { min(maxPositionEmbeddings, 131_072) }
    public var qDim: Int { numAttentionHeads * D }
    public var kvDim: Int { numKeyValueHeads * D }

    /// Reads and validates `config.json`.
    public static func load(_ url: URL) throws -> Qwen2Config {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw ModelLoadError.missingFile(path: url.path) }
        // model_type first, so an unsupported architecture says so rather than failing on a missing key.
        if let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let mt = obj["model_type"] as? String, mt != "qwen2" {
                throw ModelLoadError.unsupportedModelType(file: url.path, found: mt)
            }
        } else {
            throw ModelLoadError.badConfig(file: url.path, key: "", reason: "not a JSON object")
        }
        let config: Qwen2Config
        do { config = try JSONDecoder().decode(Qwen2Config.self, from: data) } catch let DecodingError.keyNotFound(key, _) {
            throw ModelLoadError.badConfig(file: url.path, key: key.stringValue, reason: "required key is missing")
        } catch let DecodingError.typeMismatch(type, ctx) {
            throw ModelLoadError.badConfig(file: url.path, key: ctx.codingPath.map(\.stringValue).joined(separator: "."), reason: "expected \(type)")
        } catch {
            throw ModelLoadError.badConfig(file: url.path, key: "", reason: "\(error)")
        }
        try config.validate(file: url.path)
        return config
    }

    public func validate(file: String = "config.json") throws {
        func bad(_ key: CodingKeys, _ reason: String) -> ModelLoadError { .badConfig(file: file, key: key.rawValue, reason: reason) }
        guard modelType == "qwen2" else { throw ModelLoadError.unsupportedModelType(file: file, found: modelType) }
        for (k, v) in [(CodingKeys.vocabSize, vocabSize), (.hiddenSize, hiddenSize), (.intermediateSize, intermediateSize),
                       (.numHiddenLayers, numHiddenLayers), (.numAttentionHeads, numAttentionHeads),
                       (.numKeyValueHeads, numKeyValueHeads), (.maxPositionEmbeddings, maxPositionEmbeddings)] where v <= 0 {
            throw bad(k, "must be positive, found \(v)")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw bad(.numKeyValueHeads, "must divide num_attention_heads (\(numAttentionHeads)), found \(numKeyValueHeads)")
        }
        if headDim == nil, hiddenSize % numAttentionHeads != 0 {
            throw bad(.hiddenSize, "must be a multiple of num_attention_heads (\(numAttentionHeads)), found \(hiddenSize)")
        }
        guard D % 2 == 0 else { throw bad(.headDim, "head dimension must be even for RoPE, found \(D)") }
        guard hiddenAct == "silu" else { throw bad(.hiddenAct, "only \"silu\" is supported, found \"\(hiddenAct)\"") }
        guard rmsNormEps > 0 else { throw bad(.rmsNormEps, "must be positive") }
        guard ropeTheta > 0 else { throw bad(.ropeTheta, "must be positive") }
        if let rs = ropeScaling, let type = rs["type"] ?? rs["rope_type"], type != .string("default") {
            throw bad(.ropeScaling, "RoPE scaling \(type) is not supported; only the default rotary embedding is")
        }
    }

    /// Number of parameters (embedding counted once when tied).
    public var parameterCount: Int {
        let C = hiddenSize, I = intermediateSize
        let attn = C * qDim + qDim + 2 * (C * kvDim + kvDim) + qDim * C
        let layer = attn + 3 * C * I + 2 * C
        return vocabSize * C * (tieWordEmbeddings ? 1 : 2) + numHiddenLayers * layer + C
    }
}

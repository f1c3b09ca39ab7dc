import Foundation

extension Qwen2Config {
    /// The config.json Transformers writes for Qwen2 (the keys this engine reads plus the ones Transformers expects).
    public func jsonObject(dtype: String) -> [String: Any] {
        var o: [String: Any] = [
            "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": vocabSize, "hidden_size": hiddenSize,
            "intermediate_size": intermediateSize, "num_hidden_layers": numHiddenLayers, "num_attention_heads": numAttentionHeads,
            "num_key_value_heads": numKeyValueHeads, "rms_norm_eps": Double(rmsNormEps), "rope_theta": ropeTheta,
            "max_position_embeddings": maxPositionEmbeddings, "tie_word_embeddings": tieWordEmbeddings, "hidden_act": hiddenAct,
            "torch_dtype": dtype, "use_sliding_window": false, "sliding_window": maxPositionEmbeddings,
            "max_window_layers": numHiddenLayers, "attention_dropout": 0.0, "use_cache": true, "initializer_range": 0.02,
        ]
        if let headDim { o["head_dim"] = headDim }
        if let bosTokenID { o["bos_token_id"] = bosTokenID }
        if let eosTokenID { o["eos_token_id"] = eosTokenID }
        return o
    }
}

extension Qwen2Model {
    /// Named tensors in Hugging Face's layout (`model.layers.0.self_attn.q_proj.weight`, …); the tied head is omitted.
    public func namedTensors() -> [(name: String, shape: [Int], values: [Float])] {
        var out: [(String, [Int], [Float])] = []
        func vec(_ b: FloatBuffer) -> [Float] { b.array }
        out.append(("model.embed_tokens.weight", [embedding.rows, embedding.cols], embedding.floats()))
        for (l, layer) in layers.enumerated() {
            let p = "model.layers.\(l)."
            out.append((p + "input_layernorm.weight", [config.hiddenSize], vec(layer.inputNorm)))
            out.append((p + "post_attention_layernorm.weight", [config.hiddenSize], vec(layer.postAttentionNorm)))
            for pr in Projection.allCases {
                let w = layer[pr]
                out.append((p + pr.path + ".weight", [w.rows, w.cols], w.floats()))
            }
            out.append((p + "self_attn.q_proj.bias", [config.qDim], vec(layer.qBias)))
            out.append((p + "self_attn.k_proj.bias", [config.kvDim], vec(layer.kBias)))
            out.append((p + "self_attn.v_proj.bias", [config.kvDim], vec(layer.vBias)))
        }
        out.append(("model.norm.weight", [config.hiddenSize], vec(finalNorm)))
        if !config.tieWordEmbeddings { out.append(("lm_head.weight", [lmHead.rows, lmHead.cols], lmHead.floats())) }
        return out
    }

    /// Writes `config.json` and `model.safetensors` so that Transformers (and this engine) load the folder as it is.
    public func save(directory: URL, dtype: DType = .bf16) throws {
        precondition(dtype == .bf16 || dtype == .f32, "models are saved as F32 or BF16")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cfg = config.jsonObject(dtype: dtype == .bf16 ? "bfloat16" : "float32")
        let data = try JSONSerialization.data(withJSONObject: cfg, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: directory.appendingPathComponent("config.json"), options: .atomic)
        var w = SafeTensorsWriter(metadata: ["format": "pt"])
        for t in namedTensors() { w.add(.init(name: t.name, shape: t.shape, values: t.values, dtype: dtype)) }
        try w.write(to: directory.appendingPathComponent("model.safetensors"))
    }
}

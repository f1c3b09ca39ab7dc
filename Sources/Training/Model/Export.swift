import Foundation
import Scoring

extension TrainableQwen2 {
    /// LoRA mode: the trained adapter as an inference `LoRAAdapter` (a copy: hot-swappable while training goes on,
    /// and saveable in PEFT's format with `LoRAAdapter.save`).
    public func exportAdapter(id: String) -> LoRAAdapter {
        precondition(mode == .lora, "exportAdapter needs a LoRA-mode model; use exportModel in full-parameter mode")
        let modules: [[LoRAModule?]] = layers.enumerated().map { l, layer in
            Projection.allCases.map { p in
                guard let lora = layer[p].lora else { return nil }
                let w = layer[p]
                let name = "base_model.model.model.layers.\(l).\(p.path)"
                return LoRAModule(rank: lora.rank, inFeatures: w.inFeatures, outFeatures: w.outFeatures, scale: lora.scale,
                                  a: FloatBuffer(parameters.value(name + ".lora_A.weight")),
                                  b: FloatBuffer(parameters.value(name + ".lora_B.weight")))
            }
        }
        return LoRAAdapter(id: id, config: loraConfig!, modules: modules)
    }

    /// Full mode: the trained weights as an F32 inference model (a copy; save it with `Qwen2Model.save`).
    /// In LoRA mode: the base model itself (use `exportAdapter` for the trained part, or `base.merging(_:)`).
    public func exportModel() -> Qwen2Model {
        if mode == .lora, let base { return base }
        let c = config
        func matrix(_ name: String) -> WeightMatrix {
            let e = parameters.require(name)
            return WeightMatrix(rows: e.shape[0], cols: e.shape[1], values: parameters.value(name))
        }
        func vector(_ name: String) -> FloatBuffer { FloatBuffer(parameters.value(name)) }
        let embedding = matrix("model.embed_tokens.weight")
        let layers = (0..<c.numHiddenLayers).map { l in
            let p = "model.layers.\(l)."
            return DecoderLayerWeights(
                inputNorm: vector(p + "input_layernorm.weight"), postAttentionNorm: vector(p + "post_attention_layernorm.weight"),
                proj: Projection.allCases.map { matrix(p + $0.path + ".weight") },
                qBias: vector(p + "self_attn.q_proj.bias"), kBias: vector(p + "self_attn.k_proj.bias"), vBias: vector(p + "self_attn.v_proj.bias"))
        }
        return Qwen2Model(config: c, embedding: embedding, layers: layers, finalNorm: vector("model.norm.weight"),
                          lmHead: c.tieWordEmbeddings ? embedding : matrix("lm_head.weight"))
    }
}

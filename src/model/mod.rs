//! LLM architectures (dense GQA, MLA, MoE): a zoo of presets and a loader for Hugging Face
//! `config.json` files.

pub mod hf;

use crate::error::{invalid, Error, Result};
use crate::hw::Precision;
use serde::Serialize;

/// The attention block.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Attention {
    /// Grouped-query attention (multi-head when `kv_heads == heads`).
    Gqa {
        /// Query heads.
        heads: u32,
        /// Key/value heads.
        kv_heads: u32,
        /// Dimension per head.
        head_dim: u32,
    },
    /// Multi-head latent attention (DeepSeek): a compressed latent KV cache shared by all heads.
    Mla {
        /// Query heads.
        heads: u32,
        /// Query low-rank dimension (0 = no query compression).
        q_lora_rank: u32,
        /// Latent KV dimension.
        kv_lora_rank: u32,
        /// Non-rotary query/key dimension per head.
        qk_nope_head_dim: u32,
        /// Rotary dimension (shared key part).
        qk_rope_head_dim: u32,
        /// Value dimension per head.
        v_head_dim: u32,
    },
}

impl Attention {
    /// Query heads.
    pub fn heads(&self) -> u32 {
        match self {
            Attention::Gqa { heads, .. } | Attention::Mla { heads, .. } => *heads,
        }
    }
}

/// Mixture-of-experts feed-forward.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Moe {
    /// Routed experts.
    pub routed_experts: u32,
    /// Shared (always active) experts.
    pub shared_experts: u32,
    /// Experts per token.
    pub top_k: u32,
    /// Intermediate size of one expert.
    pub expert_ffn: u64,
    /// The first layers that use a dense FFN instead.
    pub first_dense_layers: u32,
}

/// A decoder-only transformer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Model {
    /// Name.
    pub name: String,
    /// Hidden size.
    pub hidden: u64,
    /// Decoder layers.
    pub layers: u32,
    /// Vocabulary size.
    pub vocab: u64,
    /// Attention block.
    pub attention: Attention,
    /// Dense FFN intermediate size (SwiGLU).
    pub dense_ffn: u64,
    /// MoE, if any.
    pub moe: Option<Moe>,
    /// Weight precision.
    pub weight_precision: Precision,
    /// Activation precision.
    pub activation_precision: Precision,
    /// KV-cache precision.
    pub kv_precision: Precision,
}

/// Built-in models.
pub const PRESET_NAMES: &[&str] = &[
    "llama-3-8b",
    "llama-3-70b",
    "llama-3.1-405b",
    "qwen3-235b-a22b",
    "deepseek-v3",
];

fn gqa(heads: u32, kv_heads: u32, head_dim: u32) -> Attention {
    Attention::Gqa {
        heads,
        kv_heads,
        head_dim,
    }
}

impl Model {
    /// A preset by name, or a Hugging Face `config.json` by path.
    pub fn load(name_or_path: &str) -> Result<Model> {
        let bf16 = Precision::Bf16;
        let dense = |name: &str, hidden, layers, heads, kv, ffn| Model {
            name: name.to_string(),
            hidden,
            layers,
            vocab: 128256,
            attention: gqa(heads, kv, 128),
            dense_ffn: ffn,
            moe: None,
            weight_precision: bf16,
            activation_precision: bf16,
            kv_precision: bf16,
        };
        let m = match name_or_path {
            "llama-3-8b" => dense("llama-3-8b", 4096, 32, 32, 8, 14336),
            "llama-3-70b" => dense("llama-3-70b", 8192, 80, 64, 8, 28672),
            "llama-3.1-405b" => dense("llama-3.1-405b", 16384, 126, 128, 8, 53248),
            "qwen3-235b-a22b" => Model {
                name: "qwen3-235b-a22b".into(),
                hidden: 4096,
                layers: 94,
                vocab: 151936,
                attention: gqa(64, 4, 128),
                dense_ffn: 12288,
                moe: Some(Moe {
                    routed_experts: 128,
                    shared_experts: 0,
                    top_k: 8,
                    expert_ffn: 1536,
                    first_dense_layers: 0,
                }),
                weight_precision: bf16,
                activation_precision: bf16,
                kv_precision: bf16,
            },
            "deepseek-v3" => Model {
                name: "deepseek-v3".into(),
                hidden: 7168,
                layers: 61,
                vocab: 129280,
                attention: Attention::Mla {
                    heads: 128,
                    q_lora_rank: 1536,
                    kv_lora_rank: 512,
                    qk_nope_head_dim: 128,
                    qk_rope_head_dim: 64,
                    v_head_dim: 128,
                },
                dense_ffn: 18432,
                moe: Some(Moe {
                    routed_experts: 256,
                    shared_experts: 1,
                    top_k: 8,
                    expert_ffn: 2048,
                    first_dense_layers: 3,
                }),
                weight_precision: Precision::Fp8,
                activation_precision: bf16,
                kv_precision: bf16,
            },
            path if path.ends_with(".json") || std::path::Path::new(path).exists() => {
                return hf::load_config(std::path::Path::new(path))
            }
            other => {
                return Err(Error::Unknown {
                    kind: "model",
                    name: other.to_string(),
                    known: format!(
                        "{} (or a path to a Hugging Face config.json)",
                        PRESET_NAMES.join(", ")
                    ),
                })
            }
        };
        m.validate()?;
        Ok(m)
    }

    /// Check the numbers make a model.
    pub fn validate(&self) -> Result<()> {
        let f = |n: &str| format!("model.{n}");
        if self.layers == 0 {
            return Err(invalid(
                f("num_hidden_layers"),
                0,
                "a model needs at least one layer",
            ));
        }
        if self.hidden == 0 {
            return Err(invalid(f("hidden_size"), 0, "must be positive"));
        }
        if self.vocab == 0 {
            return Err(invalid(f("vocab_size"), 0, "must be positive"));
        }
        match &self.attention {
            Attention::Gqa {
                heads,
                kv_heads,
                head_dim,
            } => {
                if *heads == 0 || *head_dim == 0 {
                    return Err(invalid(
                        f("num_attention_heads"),
                        heads,
                        "heads and head_dim must be positive",
                    ));
                }
                if *kv_heads == 0 || heads % kv_heads != 0 {
                    return Err(invalid(
                        f("num_key_value_heads"),
                        kv_heads,
                        format!("must be positive and divide num_attention_heads = {heads}"),
                    ));
                }
            }
            Attention::Mla {
                heads,
                kv_lora_rank,
                ..
            } => {
                if *heads == 0 || *kv_lora_rank == 0 {
                    return Err(invalid(
                        f("kv_lora_rank"),
                        kv_lora_rank,
                        "MLA needs positive heads and kv_lora_rank",
                    ));
                }
            }
        }
        if let Some(m) = &self.moe {
            if m.routed_experts == 0 || m.top_k == 0 || m.top_k > m.routed_experts {
                return Err(invalid(
                    f("num_experts_per_tok"),
                    m.top_k,
                    format!(
                        "must be between 1 and the number of routed experts ({})",
                        m.routed_experts
                    ),
                ));
            }
            if m.expert_ffn == 0 {
                return Err(invalid(f("moe_intermediate_size"), 0, "must be positive"));
            }
            if m.first_dense_layers > self.layers {
                return Err(invalid(
                    f("first_k_dense_replace"),
                    m.first_dense_layers,
                    "exceeds the layer count",
                ));
            }
        } else if self.dense_ffn == 0 {
            return Err(invalid(f("intermediate_size"), 0, "must be positive"));
        }
        Ok(())
    }

    /// Layers with an MoE FFN.
    pub fn moe_layers(&self) -> u32 {
        self.moe
            .as_ref()
            .map_or(0, |m| self.layers - m.first_dense_layers)
    }

    /// Layers with a dense FFN.
    pub fn dense_layers(&self) -> u32 {
        self.layers - self.moe_layers()
    }

    /// Attention weight parameters of one layer.
    pub fn attention_params(&self) -> f64 {
        let h = self.hidden as f64;
        match &self.attention {
            Attention::Gqa {
                heads,
                kv_heads,
                head_dim,
            } => {
                let q = (*heads * *head_dim) as f64;
                let kv = (*kv_heads * *head_dim) as f64;
                h * (q + 2.0 * kv) + q * h
            }
            Attention::Mla {
                heads,
                q_lora_rank,
                kv_lora_rank,
                qk_nope_head_dim,
                qk_rope_head_dim,
                v_head_dim,
            } => {
                let (nh, ql, kl) = (*heads as f64, *q_lora_rank as f64, *kv_lora_rank as f64);
                let qk = (*qk_nope_head_dim + *qk_rope_head_dim) as f64;
                let q = if *q_lora_rank > 0 {
                    h * ql + ql * nh * qk
                } else {
                    h * nh * qk
                };
                let kv_down = h * (kl + *qk_rope_head_dim as f64);
                let kv_up = kl * nh * (*qk_nope_head_dim + *v_head_dim) as f64;
                let o = nh * *v_head_dim as f64 * h;
                q + kv_down + kv_up + o
            }
        }
    }

    /// KV-cache bytes per token per layer (whole model, before any sharding).
    pub fn kv_bytes_per_token_layer(&self) -> f64 {
        let p = self.kv_precision.bytes();
        match &self.attention {
            Attention::Gqa {
                kv_heads, head_dim, ..
            } => 2.0 * (*kv_heads * *head_dim) as f64 * p,
            Attention::Mla {
                kv_lora_rank,
                qk_rope_head_dim,
                ..
            } => (*kv_lora_rank + *qk_rope_head_dim) as f64 * p,
        }
    }

    /// Total parameters.
    pub fn total_params(&self) -> f64 {
        let h = self.hidden as f64;
        let dense_ffn = 3.0 * h * self.dense_ffn as f64;
        let moe_ffn = self.moe.as_ref().map_or(0.0, |m| {
            3.0 * h * m.expert_ffn as f64 * (m.routed_experts + m.shared_experts) as f64
                + h * m.routed_experts as f64
        });
        self.layers as f64 * self.attention_params()
            + self.dense_layers() as f64 * dense_ffn
            + self.moe_layers() as f64 * moe_ffn
            + 2.0 * h * self.vocab as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_counts_match_public_sizes() {
        let b = |n: &str| Model::load(n).unwrap().total_params() / 1e9;
        assert!((b("llama-3-8b") - 8.0).abs() < 0.2, "{}", b("llama-3-8b"));
        assert!(
            (b("llama-3-70b") - 70.6).abs() < 0.6,
            "{}",
            b("llama-3-70b")
        );
        assert!(
            (b("llama-3.1-405b") - 405.8).abs() < 3.0,
            "{}",
            b("llama-3.1-405b")
        );
        assert!(
            (b("qwen3-235b-a22b") - 235.0).abs() < 3.0,
            "{}",
            b("qwen3-235b-a22b")
        );
        assert!(
            (b("deepseek-v3") - 671.0).abs() < 8.0,
            "{}",
            b("deepseek-v3")
        );
    }
}

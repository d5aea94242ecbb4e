//! Loading a Hugging Face `config.json` (architectures llama, qwen2, qwen3, qwen3_moe, mixtral
//! and deepseek_v3).

use super::{Attention, Model, Moe};
use crate::error::{invalid, Error, Result};
use crate::hw::Precision;
use serde_json::Value;
use std::path::Path;

/// Read and convert a `config.json`.
pub fn load_config(path: &Path) -> Result<Model> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let origin = path.display().to_string();
    let v: Value = serde_json::from_str(&text).map_err(|e| Error::Parse {
        origin: origin.clone(),
        message: format!("not valid JSON: {e}"),
    })?;
    let name = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|s| s.to_str())
        .unwrap_or("config")
        .to_string();
    from_json(&v, &name, &origin)
}

fn field(v: &Value, key: &str, origin: &str) -> Result<u64> {
    match v.get(key) {
        Some(x) => x.as_u64().ok_or_else(|| {
            invalid(
                format!("{origin}: {key}"),
                x,
                "must be a non-negative integer",
            )
        }),
        None => Err(Error::Parse {
            origin: origin.to_string(),
            message: format!("missing required key '{key}'"),
        }),
    }
}

fn opt(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

fn u32_of(x: u64, key: &str, origin: &str) -> Result<u32> {
    u32::try_from(x).map_err(|_| invalid(format!("{origin}: {key}"), x, "is too large"))
}

/// Convert parsed JSON; `name` names the model, `origin` the file in errors.
pub fn from_json(v: &Value, name: &str, origin: &str) -> Result<Model> {
    let model_type = v
        .get("model_type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Parse {
            origin: origin.to_string(),
            message: "missing 'model_type'".into(),
        })?;
    let supported = [
        "llama",
        "qwen2",
        "qwen3",
        "qwen3_moe",
        "mixtral",
        "deepseek_v3",
    ];
    if !supported.contains(&model_type) {
        return Err(invalid(
            format!("{origin}: model_type"),
            model_type,
            format!(
                "unsupported architecture; supported: {}",
                supported.join(", ")
            ),
        ));
    }
    let hidden = field(v, "hidden_size", origin)?;
    let layers = u32_of(
        field(v, "num_hidden_layers", origin)?,
        "num_hidden_layers",
        origin,
    )?;
    let heads = u32_of(
        field(v, "num_attention_heads", origin)?,
        "num_attention_heads",
        origin,
    )?;
    let vocab = field(v, "vocab_size", origin)?;
    let kv_heads = u32_of(
        opt(v, "num_key_value_heads").unwrap_or(heads as u64),
        "num_key_value_heads",
        origin,
    )?;
    if heads == 0 {
        return Err(invalid(
            format!("{origin}: num_attention_heads"),
            0,
            "must be positive",
        ));
    }
    let head_dim = u32_of(
        opt(v, "head_dim").unwrap_or(hidden / heads as u64),
        "head_dim",
        origin,
    )?;
    let dtype = v
        .get("torch_dtype")
        .and_then(Value::as_str)
        .unwrap_or("bfloat16");
    let act = match dtype {
        "float16" => Precision::Fp16,
        "float32" => Precision::Fp32,
        _ => Precision::Bf16,
    };
    let fp8 = v
        .get("quantization_config")
        .and_then(|q| q.get("quant_method"))
        .and_then(Value::as_str)
        == Some("fp8");
    let weight_precision = if fp8 { Precision::Fp8 } else { act };
    let (attention, moe, dense_ffn) = match model_type {
        "deepseek_v3" => {
            let attention = Attention::Mla {
                heads,
                q_lora_rank: u32_of(opt(v, "q_lora_rank").unwrap_or(0), "q_lora_rank", origin)?,
                kv_lora_rank: u32_of(field(v, "kv_lora_rank", origin)?, "kv_lora_rank", origin)?,
                qk_nope_head_dim: u32_of(
                    field(v, "qk_nope_head_dim", origin)?,
                    "qk_nope_head_dim",
                    origin,
                )?,
                qk_rope_head_dim: u32_of(
                    field(v, "qk_rope_head_dim", origin)?,
                    "qk_rope_head_dim",
                    origin,
                )?,
                v_head_dim: u32_of(field(v, "v_head_dim", origin)?, "v_head_dim", origin)?,
            };
            let moe = Moe {
                routed_experts: u32_of(
                    field(v, "n_routed_experts", origin)?,
                    "n_routed_experts",
                    origin,
                )?,
                shared_experts: u32_of(
                    opt(v, "n_shared_experts").unwrap_or(0),
                    "n_shared_experts",
                    origin,
                )?,
                top_k: u32_of(
                    field(v, "num_experts_per_tok", origin)?,
                    "num_experts_per_tok",
                    origin,
                )?,
                expert_ffn: field(v, "moe_intermediate_size", origin)?,
                first_dense_layers: u32_of(
                    opt(v, "first_k_dense_replace").unwrap_or(0),
                    "first_k_dense_replace",
                    origin,
                )?,
            };
            (attention, Some(moe), field(v, "intermediate_size", origin)?)
        }
        "qwen3_moe" => {
            let moe = Moe {
                routed_experts: u32_of(field(v, "num_experts", origin)?, "num_experts", origin)?,
                shared_experts: 0,
                top_k: u32_of(
                    field(v, "num_experts_per_tok", origin)?,
                    "num_experts_per_tok",
                    origin,
                )?,
                expert_ffn: field(v, "moe_intermediate_size", origin)?,
                first_dense_layers: 0,
            };
            let ffn = opt(v, "intermediate_size").unwrap_or(0);
            (
                Attention::Gqa {
                    heads,
                    kv_heads,
                    head_dim,
                },
                Some(moe),
                ffn,
            )
        }
        "mixtral" => {
            let ffn = field(v, "intermediate_size", origin)?;
            let moe = Moe {
                routed_experts: u32_of(
                    field(v, "num_local_experts", origin)?,
                    "num_local_experts",
                    origin,
                )?,
                shared_experts: 0,
                top_k: u32_of(
                    field(v, "num_experts_per_tok", origin)?,
                    "num_experts_per_tok",
                    origin,
                )?,
                expert_ffn: ffn,
                first_dense_layers: 0,
            };
            (
                Attention::Gqa {
                    heads,
                    kv_heads,
                    head_dim,
                },
                Some(moe),
                ffn,
            )
        }
        _ => (
            Attention::Gqa {
                heads,
                kv_heads,
                head_dim,
            },
            None,
            field(v, "intermediate_size", origin)?,
        ),
    };
    let m = Model {
        name: name.to_string(),
        hidden,
        layers,
        vocab,
        attention,
        dense_ffn,
        moe,
        weight_precision,
        activation_precision: act,
        kv_precision: act,
    };
    m.validate().map_err(|e| match e {
        Error::Invalid { field, value, rule } => Error::Invalid {
            field: format!("{origin}: {}", field.trim_start_matches("model.")),
            value,
            rule,
        },
        other => other,
    })?;
    Ok(m)
}

//! A scenario: a system, a model, a workload, a parallel scheme and evaluation options,
//! validated together (including whether the model fits in device memory).

use crate::collective::Algorithm;
use crate::error::{Error, Result};
use crate::hw::System;
use crate::model::{Attention, Model};
use crate::parallel::ParallelScheme;
use crate::workload::{Phase, Workload};
use serde::Serialize;

/// How MoE layers map the scheme's tensor-parallel ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MoeMapping {
    /// MoE layers use tp·ep ranks as expert parallel (capped at the expert count, the rest as tp).
    ReplaceOnly,
    /// MoE layers keep the scheme's tp and ep.
    None,
}

/// Evaluation options.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Options {
    /// Overlap communication with the producing/consuming GEMM tile by tile.
    pub overlap: bool,
    /// Force one all-reduce algorithm (`None`: the fastest for each collective).
    pub algorithm: Option<Algorithm>,
    /// Load of the busiest expert-parallel rank over the mean (1 = perfectly balanced).
    pub moe_imbalance: f64,
    /// MoE rank mapping.
    pub moe_mapping: MoeMapping,
    /// Seed for every stochastic part (expert routing, the detailed engine's arbitration).
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            overlap: false,
            algorithm: None,
            moe_imbalance: 1.0,
            moe_mapping: MoeMapping::ReplaceOnly,
            seed: 0,
        }
    }
}

/// A validated scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    /// Hardware.
    pub system: System,
    /// Model.
    pub model: Model,
    /// Workload.
    pub workload: Workload,
    /// Parallel scheme.
    pub scheme: ParallelScheme,
    /// Options.
    pub options: Options,
}

/// Bytes one device holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct MemoryFootprint {
    /// Weights (after sharding).
    pub weights_bytes: f64,
    /// KV cache at the longest context.
    pub kv_cache_bytes: f64,
    /// Live activations.
    pub activation_bytes: f64,
    /// Device capacity.
    pub capacity_bytes: f64,
}

impl MemoryFootprint {
    /// Sum of the three parts.
    pub fn total(&self) -> f64 {
        self.weights_bytes + self.kv_cache_bytes + self.activation_bytes
    }
}

impl Scenario {
    /// Validate the parts together; refuses a model that does not fit, naming the shortfall.
    pub fn new(
        system: System,
        model: Model,
        workload: Workload,
        scheme: ParallelScheme,
        options: Options,
    ) -> Result<Scenario> {
        workload.validate()?;
        scheme.validate(&model, &workload, system.devices())?;
        if !(options.moe_imbalance >= 1.0 && options.moe_imbalance.is_finite()) {
            return Err(crate::error::invalid(
                "--moe-imbalance",
                options.moe_imbalance,
                "must be at least 1",
            ));
        }
        let s = Scenario {
            system,
            model,
            workload,
            scheme,
            options,
        };
        let f = s.memory_footprint();
        if f.total() > f.capacity_bytes {
            let gb = |b: f64| b / 1e9;
            return Err(Error::DoesNotFit(format!(
                "{} with {} needs {:.1} GB per device (weights {:.1} GB + KV cache {:.1} GB + activations {:.1} GB) but {} has {:.1} GB per device: short by {:.1} GB; add devices, raise tp/pp/ep, use fsdp, or lower --batch/--input-len/--output-len",
                s.model.name,
                s.scheme.describe(),
                gb(f.total()),
                gb(f.weights_bytes),
                gb(f.kv_cache_bytes),
                gb(f.activation_bytes),
                s.system.name,
                gb(f.capacity_bytes),
                gb(f.total() - f.capacity_bytes)
            )));
        }
        Ok(s)
    }

    /// Expert-parallel and tensor-parallel degrees used inside MoE layers.
    pub fn moe_degrees(&self) -> (u32, u32) {
        let p = &self.scheme;
        match (&self.model.moe, self.options.moe_mapping) {
            (Some(m), MoeMapping::ReplaceOnly) => {
                let ranks = p.tp * p.ep;
                let mut ep = ranks.min(m.routed_experts);
                while !ranks.is_multiple_of(ep) || !m.routed_experts.is_multiple_of(ep) {
                    ep -= 1;
                }
                (ep, ranks / ep)
            }
            _ => (p.ep, p.tp),
        }
    }

    /// Data-parallel ways of the attention and dense blocks (ep ranks act as dp there).
    pub fn attention_dp(&self) -> u32 {
        self.scheme.dp * self.scheme.ep
    }

    /// Requests per pipeline microbatch: ⌈batch / pp⌉.
    pub fn microbatch(&self) -> u32 {
        self.workload.batch.div_ceil(self.scheme.pp)
    }

    /// Layers held by the busiest pipeline stage.
    pub fn layers_per_stage(&self) -> u32 {
        self.model.layers.div_ceil(self.scheme.pp)
    }

    /// What one device holds at the longest context.
    pub fn memory_footprint(&self) -> MemoryFootprint {
        let m = &self.model;
        let p = &self.scheme;
        let h = m.hidden as f64;
        let pw = m.weight_precision.bytes();
        let tp = p.tp as f64;
        let stage_frac = self.layers_per_stage() as f64 / m.layers as f64;
        let (moe_ep, moe_tp) = self.moe_degrees();
        let attn = m.attention_params() / tp;
        let dense_ffn = 3.0 * h * m.dense_ffn as f64 / tp;
        let moe = m.moe.as_ref().map_or(0.0, |e| {
            3.0 * h * e.expert_ffn as f64 * e.routed_experts as f64 / (moe_ep * moe_tp) as f64
                + 3.0 * h * e.expert_ffn as f64 * e.shared_experts as f64 / tp
                + h * e.routed_experts as f64
        });
        let layers = m.layers as f64 * stage_frac;
        let moe_layers = m.moe_layers() as f64 * stage_frac;
        let dense_layers = layers - moe_layers;
        let embed = if p.pp == 1 { 2.0 } else { 1.0 } * h * m.vocab as f64 / tp;
        let mut weights =
            (layers * attn + dense_layers * dense_ffn + moe_layers * moe + embed) * pw;
        if p.fsdp {
            // Shards over dp, plus one gathered layer in flight.
            weights = weights / p.dp as f64 + (attn + dense_ffn.max(moe)) * pw;
        }
        let attn_batch = (self.workload.batch as f64 / self.attention_dp() as f64).ceil();
        let kv_split = match m.attention {
            Attention::Gqa { kv_heads, .. } => (kv_heads.min(p.tp)) as f64,
            Attention::Mla { .. } => 1.0,
        };
        let context = (self.workload.max_context() as f64 / p.cp as f64).ceil();
        let kv = attn_batch * context * m.kv_bytes_per_token_layer() / kv_split * layers;
        let tokens = match self.workload.phase {
            Phase::Decode => attn_batch,
            Phase::Prefill => {
                attn_batch * (self.workload.input_len as f64 / (p.sp * p.cp) as f64).ceil()
            }
        };
        let widest = (m
            .dense_ffn
            .max(m.moe.as_ref().map_or(0, |e| e.expert_ffn * e.top_k as u64))
            as f64
            / tp)
            .max(h);
        let activations = tokens * (4.0 * h + 2.0 * widest) * m.activation_precision.bytes();
        MemoryFootprint {
            weights_bytes: weights,
            kv_cache_bytes: kv,
            activation_bytes: activations,
            capacity_bytes: self.system.memory.capacity_bytes(),
        }
    }
}

//! Lowering: a scenario at one KV length becomes, per device of the busiest pipeline stage,
//! a list of operators (GEMMs, attention, element-wise kernels) and communication steps
//! (collectives over parallel groups), grouped into layer classes that repeat. Both engines
//! time exactly this plan; neither re-derives the model's structure.

use crate::collective::Op as CollOp;
use crate::model::Attention;
use crate::parallel::Dim;
use crate::scenario::Scenario;
use crate::workload::Phase;
use serde::Serialize;

/// A GEMM C[m×n] = A[m×k] · B[k×n], `count` independent instances (grouped experts, heads).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Gemm {
    /// Rows of A and C (tokens).
    pub m: f64,
    /// Columns of B and C.
    pub n: f64,
    /// Reduction dimension.
    pub k: f64,
    /// Independent instances.
    pub count: f64,
    /// Bytes per element of A and C.
    pub act_bytes: f64,
    /// Bytes per element of B.
    pub weight_bytes: f64,
    /// Tensor rate relative to 16-bit (2 for FP8 operands).
    pub tensor_rate: f64,
    /// B is a weight read from DRAM (false: B is an activation, e.g. attention scores).
    pub b_is_weight: bool,
}

/// Attention core (scores, softmax, weighted sum) over a KV cache.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AttentionCore {
    /// Sequences on this device.
    pub batch: f64,
    /// Query tokens per sequence in this step.
    pub q_len: f64,
    /// KV tokens each query attends to (average, causal prefill halves it).
    pub kv_len: f64,
    /// KV tokens stored per sequence on this device (read from DRAM).
    pub kv_stored: f64,
    /// Query heads on this device.
    pub heads: f64,
    /// KV heads on this device (1 for MLA's shared latent).
    pub kv_heads: f64,
    /// Score dimension (q·k).
    pub qk_dim: f64,
    /// Value dimension.
    pub v_dim: f64,
    /// Bytes per KV element.
    pub kv_bytes: f64,
    /// Bytes per activation element.
    pub act_bytes: f64,
    /// KV bytes per token per layer on this device (K and V, or the latent).
    pub kv_token_bytes: f64,
}

/// An element-wise or reduction kernel (norms, residuals, rotary, activation, routing).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Elementwise {
    /// Bytes read and written.
    pub bytes: f64,
    /// Vector FLOPs.
    pub flops: f64,
}

/// A collective over one kind of parallel group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comm {
    /// Operation.
    pub op: CollOp,
    /// The parallel dimensions whose ranks form each group (merged, innermost first).
    pub dims: Vec<Dim>,
    /// Size, per the collective module's byte convention.
    pub bytes: f64,
    /// Overlappable tile by tile with the operator just before it (GEMM then reduce) or, for
    /// all-gathers, the one just after it.
    pub overlaps_gemm: bool,
}

/// What an operator is.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OpKind {
    /// Matrix multiply.
    Gemm(Gemm),
    /// Attention core.
    Attention(AttentionCore),
    /// Element-wise kernel.
    Elementwise(Elementwise),
    /// Collective communication.
    Comm(Comm),
}

/// One operator of the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Operator {
    /// Name for breakdowns (`qkv_proj`, `attention`, `tp_all_reduce`, …).
    pub name: &'static str,
    /// What it is.
    pub kind: OpKind,
}

/// Layers that share one operator list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerClass {
    /// Name (`dense`, `moe`, `head`).
    pub name: &'static str,
    /// How many times the list runs per step on the busiest stage.
    pub count: u32,
    /// The operators, in order.
    pub ops: Vec<Operator>,
}

/// The per-device plan of one step at one KV length.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    /// Layer classes in execution order.
    pub classes: Vec<LayerClass>,
    /// Pipeline send/recv between stages, once per step.
    pub pipeline: Option<Comm>,
    /// Tokens produced per step by the whole system (for throughput).
    pub tokens_per_step: f64,
    /// FSDP weight all-gather per layer, overlappable with the layer's compute.
    pub fsdp_gather_bytes_per_layer: Option<f64>,
}

fn gemm(name: &'static str, m: f64, n: f64, k: f64, count: f64, s: &Scenario) -> Operator {
    let w = s.model.weight_precision;
    Operator {
        name,
        kind: OpKind::Gemm(Gemm {
            m,
            n,
            k,
            count,
            act_bytes: s.model.activation_precision.bytes(),
            weight_bytes: w.bytes(),
            tensor_rate: w.tensor_rate(),
            b_is_weight: true,
        }),
    }
}

fn elementwise(name: &'static str, bytes: f64, flops: f64) -> Operator {
    Operator {
        name,
        kind: OpKind::Elementwise(Elementwise { bytes, flops }),
    }
}

fn comm(name: &'static str, op: CollOp, dims: &[Dim], bytes: f64, overlaps_gemm: bool) -> Operator {
    Operator {
        name,
        kind: OpKind::Comm(Comm {
            op,
            dims: dims.to_vec(),
            bytes,
            overlaps_gemm,
        }),
    }
}

/// Lower a scenario at KV length `kv_len` (tokens already in the cache for decode; the prompt
/// length for prefill).
pub fn lower(s: &Scenario, kv_len: u32) -> Plan {
    let m = &s.model;
    let p = &s.scheme;
    let h = m.hidden as f64;
    let act = m.activation_precision.bytes();
    let tp = p.tp as f64;
    let attn_dp = s.attention_dp() as f64;
    let micro = s.microbatch() as f64;
    let seqs = (micro / attn_dp).ceil();
    let (q_len, kv_stored, kv_attended) = match s.workload.phase {
        Phase::Decode => (
            1.0,
            (kv_len as f64 / p.cp as f64).ceil(),
            (kv_len as f64 / p.cp as f64).ceil(),
        ),
        Phase::Prefill => {
            let q = (kv_len as f64 / (p.sp * p.cp) as f64).ceil();
            // causal: on average a query sees half the prompt
            (
                q,
                (kv_len as f64 / p.cp as f64).ceil(),
                (kv_len as f64 / p.cp as f64 / 2.0).ceil().max(1.0),
            )
        }
    };
    // Tokens through the projections on this device (SP splits the sequence there too).
    let t = seqs * q_len;
    let mut attn_ops: Vec<Operator> = Vec::new();
    attn_ops.push(elementwise("input_norm", 2.0 * t * h * act, 4.0 * t * h));
    match &m.attention {
        Attention::Gqa {
            heads,
            kv_heads,
            head_dim,
        } => {
            let hd = *head_dim as f64;
            let hq = *heads as f64 / tp;
            let hkv = (*kv_heads as f64 / tp).max(1.0);
            attn_ops.push(gemm("qkv_proj", t, (hq + 2.0 * hkv) * hd, h, 1.0, s));
            attn_ops.push(elementwise(
                "rotary",
                2.0 * t * (hq + hkv) * hd * act,
                6.0 * t * (hq + hkv) * hd,
            ));
            if p.sp > 1 {
                attn_ops.push(comm(
                    "sp_all_to_all_in",
                    CollOp::AllToAll,
                    &[Dim::Sp],
                    t * (hq + 2.0 * hkv) * hd * act / p.sp as f64,
                    false,
                ));
            }
            attn_ops.push(Operator {
                name: "attention",
                kind: OpKind::Attention(AttentionCore {
                    batch: seqs,
                    q_len: q_len * p.sp as f64,
                    kv_len: kv_attended,
                    kv_stored,
                    heads: hq / p.sp as f64,
                    kv_heads: hkv / p.sp as f64,
                    qk_dim: hd,
                    v_dim: hd,
                    kv_bytes: m.kv_precision.bytes(),
                    act_bytes: act,
                    kv_token_bytes: 2.0 * hkv * hd * m.kv_precision.bytes(),
                }),
            });
            if p.sp > 1 {
                attn_ops.push(comm(
                    "sp_all_to_all_out",
                    CollOp::AllToAll,
                    &[Dim::Sp],
                    t * hq * hd * act / p.sp as f64,
                    false,
                ));
            }
            if p.cp > 1 {
                attn_ops.push(comm(
                    "cp_combine",
                    CollOp::AllReduce,
                    &[Dim::Cp],
                    t * hq * (hd + 2.0) * 4.0,
                    false,
                ));
            }
            attn_ops.push(gemm("o_proj", t, h, hq * hd, 1.0, s));
        }
        Attention::Mla {
            heads,
            q_lora_rank,
            kv_lora_rank,
            qk_nope_head_dim,
            qk_rope_head_dim,
            v_head_dim,
        } => {
            let hq = *heads as f64 / tp;
            let (ql, kl) = (*q_lora_rank as f64, *kv_lora_rank as f64);
            let (nope, rope, vd) = (
                *qk_nope_head_dim as f64,
                *qk_rope_head_dim as f64,
                *v_head_dim as f64,
            );
            if ql > 0.0 {
                attn_ops.push(gemm("q_a_proj", t, ql, h, 1.0, s));
                attn_ops.push(gemm("q_b_proj", t, hq * (nope + rope), ql, 1.0, s));
            } else {
                attn_ops.push(gemm("q_proj", t, hq * (nope + rope), h, 1.0, s));
            }
            attn_ops.push(gemm("kv_a_proj", t, kl + rope, h, 1.0, s));
            let latent = (kl + rope) * m.kv_precision.bytes();
            match s.workload.phase {
                Phase::Decode => {
                    // Absorbed form: queries move into the latent space, attention runs on the
                    // shared latent cache (one "KV head"), values come back through W_UV.
                    attn_ops.push(gemm("q_absorb", t, kl, nope, hq, s));
                    attn_ops.push(Operator {
                        name: "attention",
                        kind: OpKind::Attention(AttentionCore {
                            batch: seqs,
                            q_len,
                            kv_len: kv_attended,
                            kv_stored,
                            heads: hq,
                            kv_heads: 1.0,
                            qk_dim: kl + rope,
                            v_dim: kl,
                            kv_bytes: m.kv_precision.bytes(),
                            act_bytes: act,
                            kv_token_bytes: latent,
                        }),
                    });
                    attn_ops.push(gemm("v_absorb", t, vd, kl, hq, s));
                }
                Phase::Prefill => {
                    attn_ops.push(gemm(
                        "kv_b_proj",
                        seqs * kv_stored,
                        hq * (nope + vd),
                        kl,
                        1.0,
                        s,
                    ));
                    attn_ops.push(Operator {
                        name: "attention",
                        kind: OpKind::Attention(AttentionCore {
                            batch: seqs,
                            q_len,
                            kv_len: kv_attended,
                            kv_stored,
                            heads: hq,
                            kv_heads: hq,
                            qk_dim: nope + rope,
                            v_dim: vd,
                            kv_bytes: act,
                            act_bytes: act,
                            kv_token_bytes: latent,
                        }),
                    });
                }
            }
            if p.cp > 1 {
                attn_ops.push(comm(
                    "cp_combine",
                    CollOp::AllReduce,
                    &[Dim::Cp],
                    t * hq * (vd + 2.0) * 4.0,
                    false,
                ));
            }
            attn_ops.push(gemm("o_proj", t, h, hq * vd, 1.0, s));
        }
    }
    if p.tp > 1 {
        attn_ops.push(comm(
            "tp_all_reduce",
            CollOp::AllReduce,
            &[Dim::Tp],
            t * h * act,
            true,
        ));
    }
    attn_ops.push(elementwise("post_norm", 3.0 * t * h * act, 5.0 * t * h));

    let mut classes = Vec::new();
    let stage_layers = s.layers_per_stage();
    let moe_layers = (m.moe_layers() as f64 * stage_layers as f64 / m.layers as f64).round() as u32;
    let dense_layers = stage_layers - moe_layers.min(stage_layers);
    if dense_layers > 0 {
        let f = m.dense_ffn as f64 / tp;
        let mut ops = attn_ops.clone();
        ops.push(gemm("gate_up_proj", t, 2.0 * f, h, 1.0, s));
        ops.push(elementwise("activation", 3.0 * t * f * act, 4.0 * t * f));
        ops.push(gemm("down_proj", t, h, f, 1.0, s));
        if p.tp > 1 {
            ops.push(comm(
                "tp_all_reduce",
                CollOp::AllReduce,
                &[Dim::Tp],
                t * h * act,
                true,
            ));
        }
        ops.push(elementwise("residual", 3.0 * t * h * act, t * h));
        classes.push(LayerClass {
            name: "dense",
            count: dense_layers,
            ops,
        });
    }
    if let (Some(e), true) = (&m.moe, moe_layers > 0) {
        let (moe_ep, moe_tp) = s.moe_degrees();
        let (moe_ep, moe_tp) = (moe_ep as f64, moe_tp as f64);
        let experts = e.routed_experts as f64;
        let k = e.top_k as f64;
        let imbalance = s.options.moe_imbalance;
        let mut ops = attn_ops;
        ops.push(gemm("router", t, experts, h, 1.0, s));
        ops.push(elementwise(
            "topk",
            t * experts * 4.0 * 2.0,
            4.0 * t * experts,
        ));
        // Tokens of the moe group: every attention shard in the group, de-duplicated over tp.
        let group = moe_ep * moe_tp;
        let group_tokens = t * (group / tp);
        let local_experts = experts / moe_ep;
        // Routed token-expert pairs landing on the busiest rank, and the distinct local experts
        // it touches; `imbalance` scales on top.
        let busiest = busiest_rank_load(experts, k, moe_ep, group_tokens);
        let pairs_mean = group_tokens * k / moe_ep;
        let pairs = busiest
            .pairs
            .min(group_tokens.min(local_experts * group_tokens))
            * imbalance;
        let pairs = pairs.max(pairs_mean * imbalance);
        let active = busiest.experts.min(local_experts).max(1.0);
        let rows = (pairs / active).max(1.0);
        let f = e.expert_ffn as f64 / moe_tp;
        let per_rank_tokens = (group_tokens / group).max(1.0 / group);
        if group > 1.0 {
            let bytes = per_rank_tokens * k * h * act / moe_ep * imbalance * moe_tp;
            ops.push(comm(
                "ep_dispatch",
                CollOp::AllToAll,
                &[Dim::Tp, Dim::Ep],
                bytes,
                false,
            ));
        }
        ops.push(gemm("expert_gate_up", rows, 2.0 * f, h, active, s));
        ops.push(elementwise(
            "expert_activation",
            3.0 * pairs * f * act,
            4.0 * pairs * f,
        ));
        ops.push(gemm("expert_down", rows, h, f, active, s));
        if group > 1.0 {
            let bytes = per_rank_tokens * k * h * act / moe_ep * imbalance * moe_tp;
            ops.push(comm(
                "ep_combine",
                CollOp::AllToAll,
                &[Dim::Tp, Dim::Ep],
                bytes,
                false,
            ));
        }
        if e.shared_experts > 0 {
            let fs = e.expert_ffn as f64 * e.shared_experts as f64 / tp;
            ops.push(gemm("shared_gate_up", t, 2.0 * fs, h, 1.0, s));
            ops.push(gemm("shared_down", t, h, fs, 1.0, s));
            if p.tp > 1 {
                ops.push(comm(
                    "tp_all_reduce",
                    CollOp::AllReduce,
                    &[Dim::Tp],
                    t * h * act,
                    true,
                ));
            }
        }
        ops.push(elementwise(
            "residual",
            3.0 * t * h * act + pairs * h * act,
            t * h * k,
        ));
        classes.push(LayerClass {
            name: "moe",
            count: moe_layers,
            ops,
        });
    }
    // Output head on the last stage: final norm, vocabulary projection, logits gather.
    let head_tokens = seqs;
    let mut head = vec![
        elementwise(
            "final_norm",
            2.0 * head_tokens * h * act,
            4.0 * head_tokens * h,
        ),
        gemm("lm_head", head_tokens, m.vocab as f64 / tp, h, 1.0, s),
    ];
    if p.tp > 1 {
        head.push(comm(
            "logits_gather",
            CollOp::AllGather,
            &[Dim::Tp],
            head_tokens * m.vocab as f64 / tp * 4.0,
            false,
        ));
    }
    head.push(elementwise(
        "sampling",
        head_tokens * m.vocab as f64 * 4.0 * 2.0,
        5.0 * head_tokens * m.vocab as f64,
    ));
    classes.push(LayerClass {
        name: "head",
        count: 1,
        ops: head,
    });

    let pipeline = (p.pp > 1).then(|| Comm {
        op: CollOp::SendRecv,
        dims: vec![Dim::Pp],
        bytes: t * h * act,
        overlaps_gemm: false,
    });
    let fsdp = p.fsdp.then(|| {
        let fp = s.memory_footprint();
        fp.weights_bytes / stage_layers as f64
    });
    let tokens_per_step = match s.workload.phase {
        Phase::Decode => micro,
        Phase::Prefill => micro * kv_len as f64,
    };
    Plan {
        classes,
        pipeline,
        tokens_per_step,
        fsdp_gather_bytes_per_layer: fsdp,
    }
}

/// Routed work on the busiest expert-parallel rank.
#[derive(Clone, Copy, Debug)]
struct BusiestRank {
    /// Token-expert pairs routed to it.
    pairs: f64,
    /// Distinct local experts those pairs touch.
    experts: f64,
}

/// The busiest of `ep` expert-parallel ranks when `tokens` tokens each pick `k` distinct
/// experts of `experts` uniformly: the expected largest of the ranks' counts of routed
/// pairs (hypergeometric per token) and of touched local experts (each touched with
/// p = 1 − (1 − k/E)^T).
fn busiest_rank_load(experts: f64, k: f64, ep: f64, tokens: f64) -> BusiestRank {
    let share = 1.0 / ep;
    let pairs_mean = tokens * k * share;
    let pairs_var = tokens * k * share * (1.0 - share) * (experts - k) / (experts - 1.0).max(1.0);
    let local = experts / ep;
    let touched = 1.0 - (1.0 - k / experts).powf(tokens);
    BusiestRank {
        pairs: expected_max(pairs_mean, pairs_var, ep),
        experts: expected_max(local * touched, local * touched * (1.0 - touched), ep),
    }
}

/// The expected largest of `n` independent counts of the given mean and variance: the
/// normal approximation with Blom's plotting position, mean + σ·Φ⁻¹((n − 0.375)/(n + 0.25))
/// (1.42σ for 8 draws, the exact figure for normal draws; the mean for one).
fn expected_max(mean: f64, variance: f64, n: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    if n <= 1.0 || variance <= 0.0 {
        return mean;
    }
    let z = Normal::standard().inverse_cdf((n - 0.375) / (n + 0.25));
    mean + variance.sqrt() * z
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::index::sample;
    use rand::SeedableRng;

    #[test]
    fn expected_max_of_normal_draws() {
        assert_eq!(expected_max(5.0, 4.0, 1.0), 5.0);
        // The exact expected largest of 8 standard normals is 1.4236.
        assert!((expected_max(0.0, 1.0, 8.0) - 1.4236).abs() < 0.02);
        assert!(expected_max(0.0, 1.0, 256.0) > expected_max(0.0, 1.0, 32.0));
    }

    /// Uniform top-k routing drawn at random: the busiest of `ep` ranks' token-expert pairs
    /// and distinct local experts, averaged over trials, against the formulas the lowering uses.
    #[test]
    fn busiest_rank_counts_match_random_routing() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for (experts, k, ep, tokens) in [
            (128, 8, 8, 1),
            (128, 8, 8, 16),
            (128, 8, 8, 128),
            (256, 8, 32, 64),
        ] {
            let local = experts / ep;
            let trials = 2000;
            let (mut max_pairs, mut max_active) = (0.0, 0.0);
            for _ in 0..trials {
                let mut pairs = vec![0u32; ep];
                let mut hit = vec![false; experts];
                for _ in 0..tokens {
                    for e in sample(&mut rng, experts, k) {
                        pairs[e / local] += 1;
                        hit[e] = true;
                    }
                }
                max_pairs += f64::from(*pairs.iter().max().unwrap());
                max_active += (0..ep)
                    .map(|r| {
                        hit[r * local..(r + 1) * local]
                            .iter()
                            .filter(|&&h| h)
                            .count()
                    })
                    .max()
                    .unwrap() as f64;
            }
            let busiest = busiest_rank_load(experts as f64, k as f64, ep as f64, tokens as f64);
            let (pairs, active) = (busiest.pairs, busiest.experts.min(local as f64));
            let (sim_pairs, sim_active) = (max_pairs / trials as f64, max_active / trials as f64);
            assert!(
                (pairs - sim_pairs).abs() / sim_pairs < 0.10,
                "{experts}/{k}/{ep}/{tokens}: pairs {pairs:.2} vs random {sim_pairs:.2}"
            );
            assert!(
                (active - sim_active).abs() / sim_active < 0.10,
                "{experts}/{k}/{ep}/{tokens}: active {active:.2} vs random {sim_active:.2}"
            );
        }
    }
}

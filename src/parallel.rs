//! Parallel schemes: degrees of tensor (tp), expert (ep), sequence (sp), context (cp), data
//! (dp) and pipeline (pp) parallelism, FSDP; validation against the model and the device
//! count; rank placement (tp innermost, then ep, sp, cp, dp, pp outermost); the per-module
//! mapping (attention treats ep ranks as data parallel; MoE layers turn tp into ep); and the
//! memory-feasibility check.

use crate::collective::Groups;
use crate::error::{invalid, Result};
use crate::model::{Attention, Model};
use crate::workload::{Phase, Workload};
use serde::{Deserialize, Serialize};

/// One parallel scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParallelScheme {
    /// Tensor parallel degree.
    pub tp: u32,
    /// Expert parallel degree.
    pub ep: u32,
    /// Sequence parallel degree.
    pub sp: u32,
    /// Context parallel degree.
    pub cp: u32,
    /// Data parallel degree.
    pub dp: u32,
    /// Pipeline parallel degree.
    pub pp: u32,
    /// Shard weights over dp and gather them per layer.
    pub fsdp: bool,
}

/// A parallel dimension, innermost first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Dim {
    /// Tensor.
    Tp,
    /// Expert.
    Ep,
    /// Sequence.
    Sp,
    /// Context.
    Cp,
    /// Data.
    Dp,
    /// Pipeline.
    Pp,
}

impl Default for ParallelScheme {
    fn default() -> Self {
        ParallelScheme {
            tp: 1,
            ep: 1,
            sp: 1,
            cp: 1,
            dp: 1,
            pp: 1,
            fsdp: false,
        }
    }
}

impl ParallelScheme {
    /// Parse `tp=8,ep=1,sp=1,cp=1,dp=1,pp=1,fsdp=false` (unnamed degrees are 1).
    pub fn parse(text: &str) -> Result<ParallelScheme> {
        let mut s = ParallelScheme::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                invalid("--parallel", part, "each entry is NAME=VALUE, e.g. tp=8")
            })?;
            let k = k.trim();
            let v = v.trim();
            if k == "fsdp" {
                s.fsdp = match v {
                    "true" | "1" | "on" => true,
                    "false" | "0" | "off" => false,
                    _ => return Err(invalid("--parallel fsdp", v, "use true or false")),
                };
                continue;
            }
            let n: u32 = v
                .parse()
                .map_err(|_| invalid(format!("--parallel {k}"), v, "must be a positive integer"))?;
            if n == 0 {
                return Err(invalid(
                    format!("--parallel {k}"),
                    0,
                    "degrees must be at least 1",
                ));
            }
            match k {
                "tp" => s.tp = n,
                "ep" => s.ep = n,
                "sp" => s.sp = n,
                "cp" => s.cp = n,
                "dp" => s.dp = n,
                "pp" => s.pp = n,
                _ => {
                    return Err(invalid(
                        "--parallel",
                        k,
                        "unknown degree; use tp, ep, sp, cp, dp, pp or fsdp",
                    ))
                }
            }
        }
        Ok(s)
    }

    /// Product of the degrees.
    pub fn world(&self) -> u64 {
        [self.tp, self.ep, self.sp, self.cp, self.dp, self.pp]
            .iter()
            .map(|&d| d as u64)
            .product()
    }

    /// Degree of a dimension.
    pub fn degree(&self, d: Dim) -> u32 {
        match d {
            Dim::Tp => self.tp,
            Dim::Ep => self.ep,
            Dim::Sp => self.sp,
            Dim::Cp => self.cp,
            Dim::Dp => self.dp,
            Dim::Pp => self.pp,
        }
    }

    /// Stride of a dimension in the rank placement (tp innermost … pp outermost).
    pub fn stride(&self, d: Dim) -> u32 {
        let order = [Dim::Tp, Dim::Ep, Dim::Sp, Dim::Cp, Dim::Dp, Dim::Pp];
        order
            .iter()
            .take_while(|&&x| x != d)
            .map(|&x| self.degree(x))
            .product()
    }

    /// The concurrent groups of one dimension: devices that differ only in that coordinate.
    pub fn groups(&self, d: Dim) -> Groups {
        self.groups_of(&[d])
    }

    /// Groups spanning several (adjacent) dimensions merged, e.g. tp×ep for MoE layers.
    pub fn groups_of(&self, dims: &[Dim]) -> Groups {
        let world = self.world() as u32;
        let mut members = Vec::new();
        let in_group = |rank: u32, d: Dim| (rank / self.stride(d)) % self.degree(d);
        let size: u32 = dims.iter().map(|&d| self.degree(d)).product();
        for base in 0..world {
            if dims.iter().any(|&d| in_group(base, d) != 0) {
                continue;
            }
            let mut g = Vec::with_capacity(size as usize);
            // Enumerate the merged coordinates, first dimension fastest.
            for idx in 0..size {
                let mut rest = idx;
                let mut rank = base;
                for &d in dims {
                    let k = rest % self.degree(d);
                    rest /= self.degree(d);
                    rank += k * self.stride(d);
                }
                g.push(rank);
            }
            members.push(g);
        }
        Groups {
            members,
            grid: None,
        }
    }

    /// Check against the model, the workload and the device count.
    pub fn validate(&self, model: &Model, workload: &Workload, devices: usize) -> Result<()> {
        if self.world() != devices as u64 {
            return Err(invalid(
                "--parallel",
                self.describe(),
                format!(
                    "the product of the degrees is {} but the system has {devices} devices; make tp·ep·sp·cp·dp·pp = {devices}",
                    self.world()
                ),
            ));
        }
        let heads = model.attention.heads();
        if !heads.is_multiple_of(self.tp) {
            return Err(invalid(
                "--parallel tp",
                self.tp,
                format!("must divide the {heads} attention heads of {}", model.name),
            ));
        }
        if let Attention::Gqa { kv_heads, .. } = model.attention {
            if self.tp > kv_heads && !self.tp.is_multiple_of(kv_heads) {
                return Err(invalid(
                    "--parallel tp",
                    self.tp,
                    format!("above the {kv_heads} KV heads, tp must be a multiple of them so KV heads replicate evenly"),
                ));
            }
        }
        match &model.moe {
            None if self.ep > 1 => {
                return Err(invalid(
                    "--parallel ep",
                    self.ep,
                    format!(
                        "{} is dense; expert parallelism needs an MoE model (use ep=1)",
                        model.name
                    ),
                ));
            }
            Some(m) if !m.routed_experts.is_multiple_of(self.ep) => {
                return Err(invalid(
                    "--parallel ep",
                    self.ep,
                    format!(
                        "must divide the {} routed experts of {}",
                        m.routed_experts, model.name
                    ),
                ));
            }
            _ => {}
        }
        if self.pp > model.layers {
            return Err(invalid(
                "--parallel pp",
                self.pp,
                format!("exceeds the {} layers", model.layers),
            ));
        }
        let seq = match workload.phase {
            Phase::Prefill => workload.input_len,
            Phase::Decode => 1,
        };
        if self.sp > 1 && self.sp > seq {
            return Err(invalid(
                "--parallel sp",
                self.sp,
                format!(
                    "exceeds the {seq} tokens per request processed in parallel in {}",
                    workload.phase.name()
                ),
            ));
        }
        if self.cp > workload.max_context() {
            return Err(invalid(
                "--parallel cp",
                self.cp,
                "exceeds the context length",
            ));
        }
        if self.dp > workload.batch {
            return Err(invalid(
                "--parallel dp",
                self.dp,
                format!("exceeds the batch of {}", workload.batch),
            ));
        }
        if self.fsdp && self.dp == 1 {
            return Err(invalid(
                "--parallel fsdp",
                "true",
                "FSDP shards over data parallel ranks; it needs dp > 1",
            ));
        }
        Ok(())
    }

    /// `tp=…,ep=…,…` text.
    pub fn describe(&self) -> String {
        format!(
            "tp={},ep={},sp={},cp={},dp={},pp={},fsdp={}",
            self.tp, self.ep, self.sp, self.cp, self.dp, self.pp, self.fsdp
        )
    }

    /// Every scheme for `devices` devices (all ordered factorisations into six degrees,
    /// with and without FSDP where dp > 1).
    pub fn enumerate(devices: u32) -> Vec<ParallelScheme> {
        let divisors: Vec<u32> = (1..=devices)
            .filter(|d| devices.is_multiple_of(*d))
            .collect();
        let mut out = Vec::new();
        for &tp in &divisors {
            let r1 = devices / tp;
            for &ep in divisors.iter().filter(|&&d| r1.is_multiple_of(d)) {
                let r2 = r1 / ep;
                for &sp in divisors.iter().filter(|&&d| r2.is_multiple_of(d)) {
                    let r3 = r2 / sp;
                    for &cp in divisors.iter().filter(|&&d| r3.is_multiple_of(d)) {
                        let r4 = r3 / cp;
                        for &dp in divisors.iter().filter(|&&d| r4.is_multiple_of(d)) {
                            let pp = r4 / dp;
                            for fsdp in [false, true] {
                                if fsdp && dp == 1 {
                                    continue;
                                }
                                out.push(ParallelScheme {
                                    tp,
                                    ep,
                                    sp,
                                    cp,
                                    dp,
                                    pp,
                                    fsdp,
                                });
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerates_the_paper_count_for_256() {
        // 1287 ordered factorisations of 2^8 into six degrees (C(13, 5)); FSDP doubles those
        // with dp > 1.
        let all = ParallelScheme::enumerate(256);
        assert_eq!(all.iter().filter(|s| !s.fsdp).count(), 1287);
        let with_dp = all.iter().filter(|s| !s.fsdp && s.dp > 1).count();
        assert_eq!(all.len(), 1287 + with_dp);
    }

    #[test]
    fn tp_groups_are_innermost() {
        let s = ParallelScheme::parse("tp=4,dp=2").unwrap();
        let g = s.groups(Dim::Tp);
        assert_eq!(g.members, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
        let d = s.groups(Dim::Dp);
        assert_eq!(d.members[1], vec![1, 5]);
        let merged = ParallelScheme::parse("tp=2,ep=2,dp=2")
            .unwrap()
            .groups_of(&[Dim::Tp, Dim::Ep]);
        assert_eq!(merged.members, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    }
}

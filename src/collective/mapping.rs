//! Mapping a step schedule onto a multi-dimensional network: flat (the schedule as built for
//! the whole group) or one phase per network dimension, as ASTRA-sim decomposes collectives.
//! Both engines lay stand-alone collectives with the same mapping.

use super::{schedule, Algorithm, Groups, Op, Step};
use crate::error::Result;
use crate::network::{LevelKind, NetworkSpec};
use serde::{Deserialize, Serialize};

/// How a collective whose group spans a multi-dimensional network is laid on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mapping {
    /// Run the schedule exactly as `collective::schedule` builds it for the whole group
    /// (the fast engine's schedule).
    Flat,
    /// Ring all-reduce, ring reduce-scatter, ring all-gather and direct all-to-all run one
    /// phase per network dimension (innermost first; a mesh or torus level has two
    /// dimensions, columns then rows), as ASTRA-sim decomposes collectives. Each phase is a
    /// `collective::schedule` on that dimension's groups. Other algorithms, and groups that
    /// do not span the whole network, run flat.
    PerDimension,
}

/// A collective ready to run: its steps in order and how it was laid on the network.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectivePlan {
    /// The operation.
    pub op: Op,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The mapping actually applied (`PerDimension` only where it applies).
    pub mapping: Mapping,
    /// Steps in order (each run `repeat` times).
    pub steps: Vec<Step>,
}

impl CollectivePlan {
    /// Number of dependent steps (repeats included).
    pub fn step_count(&self) -> u64 {
        self.steps.iter().map(|s| u64::from(s.repeat)).sum()
    }
}

/// The dimensions of a network as (device stride, size), innermost first, skipping
/// dimensions of size 1. A mesh or torus level contributes its columns, then its rows.
pub fn dimensions(spec: &NetworkSpec) -> Vec<(usize, usize)> {
    let mut dims = Vec::new();
    let mut stride = 1;
    for l in &spec.levels {
        match l.kind {
            LevelKind::Mesh | LevelKind::Torus => {
                let (rows, cols) = l.shape;
                if cols > 1 {
                    dims.push((stride, cols));
                }
                if rows > 1 {
                    dims.push((stride * cols, rows));
                }
            }
            _ => {
                if l.size() > 1 {
                    dims.push((stride, l.size()));
                }
            }
        }
        stride *= l.size();
    }
    dims
}

/// The groups of one dimension: devices that differ only in that coordinate.
fn dimension_groups(devices: usize, stride: usize, size: usize) -> Groups {
    let members = (0..devices)
        .filter(|d| (d / stride).is_multiple_of(size))
        .map(|base| (0..size).map(|j| (base + j * stride) as u32).collect())
        .collect();
    Groups {
        members,
        grid: None,
    }
}

/// Lay `op` by `algorithm` over `groups` of `spec`'s network, `bytes` per the convention of
/// [`crate::collective`]. `whole_network` says the groups are every device in one group,
/// which [`Mapping::PerDimension`] needs.
pub fn plan(
    spec: &NetworkSpec,
    groups: &Groups,
    whole_network: bool,
    op: Op,
    algorithm: Algorithm,
    bytes: f64,
    mapping: Mapping,
) -> Result<CollectivePlan> {
    let dims = dimensions(spec);
    let per_dim = mapping == Mapping::PerDimension
        && whole_network
        && dims.len() >= 2
        && matches!(
            (op, algorithm),
            (
                Op::AllReduce | Op::ReduceScatter | Op::AllGather,
                Algorithm::Ring
            ) | (Op::AllToAll, Algorithm::Direct)
        );
    if !per_dim {
        let s = schedule(op, algorithm, groups, bytes)?;
        return Ok(CollectivePlan {
            op,
            algorithm,
            mapping: Mapping::Flat,
            steps: s.steps,
        });
    }
    let n = spec.devices();
    let mut steps = Vec::new();
    let mut phase = |o: Op, a: Algorithm, (stride, size): (usize, usize), b: f64| -> Result<()> {
        let g = dimension_groups(n, stride, size);
        steps.extend(schedule(o, a, &g, b)?.steps);
        Ok(())
    };
    match op {
        Op::AllReduce | Op::ReduceScatter => {
            let mut b = bytes;
            for &d in &dims {
                phase(Op::ReduceScatter, Algorithm::Ring, d, b)?;
                b /= d.1 as f64;
            }
            if op == Op::AllReduce {
                for &d in dims.iter().rev() {
                    phase(Op::AllGather, Algorithm::Ring, d, b)?;
                    b *= d.1 as f64;
                }
            }
        }
        Op::AllGather => {
            let mut c = bytes;
            for &d in &dims {
                phase(Op::AllGather, Algorithm::Ring, d, c)?;
                c *= d.1 as f64;
            }
        }
        _ => {
            for &d in &dims {
                phase(Op::AllToAll, Algorithm::Direct, d, bytes * (n / d.1) as f64)?;
            }
        }
    }
    Ok(CollectivePlan {
        op,
        algorithm,
        mapping: Mapping::PerDimension,
        steps,
    })
}

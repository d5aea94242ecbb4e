//! Collectives as step schedules: who sends how many bytes to whom in each step. No timing
//! lives here, so the fast engine (dual-stage cost per step) and the detailed engine (packets
//! with per-rank dependencies) run exactly the same schedules.
//!
//! Byte conventions (`bytes` argument): all-reduce and reduce-scatter take the whole buffer of
//! one rank; all-gather takes one rank's contribution; all-to-all takes what one rank sends to
//! each other rank; send/recv takes the message of one stage.

use crate::error::{invalid, Result};
pub mod mapping;
pub mod ns3;

use serde::{Deserialize, Serialize};

/// A collective operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// Sum of every rank's buffer, delivered to every rank.
    AllReduce,
    /// Every rank's contribution, delivered to every rank.
    AllGather,
    /// Sum of the buffers, each rank keeping one shard.
    ReduceScatter,
    /// Personalised exchange: a distinct block from every rank to every rank.
    AllToAll,
    /// Pipeline point-to-point: stage i sends to stage i + 1.
    SendRecv,
}

impl Op {
    /// Parse the CLI name.
    pub fn parse(s: &str) -> Result<Op> {
        Ok(match s {
            "all-reduce" | "allreduce" => Op::AllReduce,
            "all-gather" | "allgather" => Op::AllGather,
            "reduce-scatter" | "reducescatter" => Op::ReduceScatter,
            "all-to-all" | "alltoall" => Op::AllToAll,
            "send-recv" | "sendrecv" | "p2p" => Op::SendRecv,
            _ => {
                return Err(invalid(
                    "--op",
                    s,
                    "use all-reduce, all-gather, reduce-scatter, all-to-all or send-recv",
                ))
            }
        })
    }
    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Op::AllReduce => "all-reduce",
            Op::AllGather => "all-gather",
            Op::ReduceScatter => "reduce-scatter",
            Op::AllToAll => "all-to-all",
            Op::SendRecv => "send-recv",
        }
    }
    /// The algorithms tried when none is named: all of [`Op::algorithms`] but
    /// [`Algorithm::Pairwise`], which describes kernels that copy to one peer at a time
    /// rather than a choice a collective library makes by itself.
    pub fn automatic_algorithms(self) -> impl Iterator<Item = Algorithm> {
        self.algorithms()
            .iter()
            .copied()
            .filter(|&a| a != Algorithm::Pairwise)
    }
    /// Algorithms that implement this operation.
    pub fn algorithms(self) -> &'static [Algorithm] {
        match self {
            Op::AllReduce => &[
                Algorithm::Ring,
                Algorithm::RecursiveDoubling,
                Algorithm::Rabenseifner,
                Algorithm::DoubleBinaryTree,
                Algorithm::Direct,
            ],
            Op::AllGather => &[
                Algorithm::Ring,
                Algorithm::HalvingDoubling,
                Algorithm::TwoDRing,
                Algorithm::Pairwise,
            ],
            Op::ReduceScatter => &[
                Algorithm::Ring,
                Algorithm::HalvingDoubling,
                Algorithm::Direct,
                Algorithm::Pairwise,
            ],
            Op::AllToAll => &[Algorithm::Direct, Algorithm::Pairwise],
            Op::SendRecv => &[Algorithm::Direct],
        }
    }
}

/// A collective algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// Neighbour ring.
    Ring,
    /// Recursive doubling (all-reduce): log2 g steps of the full buffer.
    RecursiveDoubling,
    /// Recursive halving reduce-scatter then recursive doubling all-gather.
    Rabenseifner,
    /// Two complementary binary trees, half the buffer each, reduce up then broadcast down.
    DoubleBinaryTree,
    /// Everyone sends to everyone in one step (reduce-scatter: each rank sends every peer that
    /// peer's chunk of its partial buffer; all-reduce: that step, then an all-gather step).
    Direct,
    /// Recursive halving / doubling (all-gather, reduce-scatter).
    HalvingDoubling,
    /// All-gather on a 2D grid: a column ring, then a row ring.
    TwoDRing,
    /// One peer at a time (all-gather, reduce-scatter, all-to-all): g − 1 steps, and in step s
    /// every rank sends to the rank s places ahead what that rank needs from it, as kernels
    /// that issue one copy per peer in turn do.
    Pairwise,
}

impl Algorithm {
    /// Parse the CLI name.
    pub fn parse(s: &str) -> Result<Algorithm> {
        Ok(match s {
            "ring" => Algorithm::Ring,
            "recursive-doubling" => Algorithm::RecursiveDoubling,
            "rabenseifner" => Algorithm::Rabenseifner,
            "double-binary-tree" => Algorithm::DoubleBinaryTree,
            "direct" => Algorithm::Direct,
            "halving-doubling" => Algorithm::HalvingDoubling,
            "2d-ring" => Algorithm::TwoDRing,
            "pairwise" => Algorithm::Pairwise,
            _ => {
                return Err(invalid(
                    "--algorithm",
                    s,
                    "use ring, recursive-doubling, rabenseifner, double-binary-tree, direct, halving-doubling, 2d-ring or pairwise",
                ))
            }
        })
    }
    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Ring => "ring",
            Algorithm::RecursiveDoubling => "recursive-doubling",
            Algorithm::Rabenseifner => "rabenseifner",
            Algorithm::DoubleBinaryTree => "double-binary-tree",
            Algorithm::Direct => "direct",
            Algorithm::HalvingDoubling => "halving-doubling",
            Algorithm::TwoDRing => "2d-ring",
            Algorithm::Pairwise => "pairwise",
        }
    }
}

/// One point-to-point transfer within a step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flow {
    /// Sending device.
    pub src: u32,
    /// Receiving device.
    pub dst: u32,
    /// Payload bytes.
    pub bytes: f64,
}

/// A set of flows that run concurrently; `repeat` identical copies run back to back
/// (a ring all-reduce is one step repeated 2(g − 1) times).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The flows.
    pub flows: Vec<Flow>,
    /// How many times this step runs in sequence.
    pub repeat: u32,
}

/// A collective as an ordered list of steps, over all groups at once (groups that run the
/// same collective concurrently share the network and so share steps).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The operation.
    pub op: Op,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Steps in order.
    pub steps: Vec<Step>,
}

impl Schedule {
    /// Total bytes sent by all flows of all steps (repeats included).
    pub fn total_bytes(&self) -> f64 {
        self.steps
            .iter()
            .map(|s| s.repeat as f64 * s.flows.iter().map(|f| f.bytes).sum::<f64>())
            .sum()
    }
    /// Number of sequential steps (repeats included).
    pub fn step_count(&self) -> u32 {
        self.steps.iter().map(|s| s.repeat).sum()
    }
}

/// Concurrent groups of devices; each inner vector lists a group's devices in rank order.
/// `grid` optionally gives the (rows, cols) arrangement of each group for 2D algorithms.
#[derive(Clone, Debug, PartialEq)]
pub struct Groups {
    /// The groups, all of the same size.
    pub members: Vec<Vec<u32>>,
    /// Row × column layout of one group, where it has one.
    pub grid: Option<(usize, usize)>,
}

impl Groups {
    /// A single group of devices `0..n`.
    pub fn single(n: usize) -> Groups {
        Groups {
            members: vec![(0..n as u32).collect()],
            grid: None,
        }
    }
    /// Group size.
    pub fn size(&self) -> usize {
        self.members.first().map_or(0, Vec::len)
    }
}

/// Whether an algorithm applies to a group of size `g` (power-of-two algorithms and grids).
pub fn applicable(op: Op, algorithm: Algorithm, groups: &Groups) -> bool {
    let g = groups.size();
    if !op.algorithms().contains(&algorithm) {
        return false;
    }
    match algorithm {
        Algorithm::RecursiveDoubling | Algorithm::Rabenseifner | Algorithm::HalvingDoubling => {
            g.is_power_of_two()
        }
        Algorithm::TwoDRing => groups
            .grid
            .is_some_and(|(r, c)| r * c == g && r > 1 && c > 1),
        _ => true,
    }
}

/// What one rank sends in a step: pushes (from rank, to rank, bytes) for a given rank.
type RankFlows<'a> = dyn Fn(usize, &mut Vec<(usize, usize, f64)>) + 'a;

/// Build the schedule of `op` by `algorithm` over `groups`, `bytes` per the module's convention.
pub fn schedule(op: Op, algorithm: Algorithm, groups: &Groups, bytes: f64) -> Result<Schedule> {
    if !applicable(op, algorithm, groups) {
        return Err(invalid(
            "--algorithm",
            algorithm.name(),
            format!(
                "{} does not implement {} on groups of {} ranks{}",
                algorithm.name(),
                op.name(),
                groups.size(),
                match algorithm {
                    Algorithm::RecursiveDoubling
                    | Algorithm::Rabenseifner
                    | Algorithm::HalvingDoubling => " (needs a power of two)",
                    Algorithm::TwoDRing => " (needs a 2D mesh or torus group)",
                    _ => "",
                }
            ),
        ));
    }
    let g = groups.size();
    let mut steps: Vec<Step> = Vec::new();
    let mut push = |repeat: u32, f: &RankFlows| {
        if repeat == 0 {
            return;
        }
        let mut flows = Vec::new();
        let mut local = Vec::new();
        for members in &groups.members {
            for r in 0..g {
                local.clear();
                f(r, &mut local);
                for &(a, b, by) in &local {
                    if a != b && by > 0.0 {
                        flows.push(Flow {
                            src: members[a],
                            dst: members[b],
                            bytes: by,
                        });
                    }
                }
            }
        }
        steps.push(Step { flows, repeat });
    };
    let gf = g as f64;
    let log = g.trailing_zeros();
    if g > 1 {
        match (op, algorithm) {
            (Op::AllReduce, Algorithm::Ring) => {
                push(2 * (g as u32 - 1), &|r, v| {
                    v.push((r, (r + 1) % g, bytes / gf))
                });
            }
            (Op::ReduceScatter, Algorithm::Ring) => {
                push(g as u32 - 1, &|r, v| v.push((r, (r + 1) % g, bytes / gf)));
            }
            (Op::AllGather, Algorithm::Ring) => {
                push(g as u32 - 1, &|r, v| v.push((r, (r + 1) % g, bytes)));
            }
            (Op::AllReduce, Algorithm::RecursiveDoubling) => {
                for s in 0..log {
                    push(1, &|r, v| v.push((r, r ^ (1 << s), bytes)));
                }
            }
            (Op::AllReduce, Algorithm::Rabenseifner) => {
                for s in 0..log {
                    let b = bytes / (1u64 << (s + 1)) as f64;
                    push(1, &|r, v| v.push((r, r ^ (1 << s), b)));
                }
                for s in (0..log).rev() {
                    let b = bytes / (1u64 << (s + 1)) as f64;
                    push(1, &|r, v| v.push((r, r ^ (1 << s), b)));
                }
            }
            (Op::ReduceScatter, Algorithm::HalvingDoubling) => {
                for s in 0..log {
                    let b = bytes / (1u64 << (s + 1)) as f64;
                    push(1, &|r, v| v.push((r, r ^ (1 << s), b)));
                }
            }
            (Op::AllGather, Algorithm::HalvingDoubling) => {
                for s in 0..log {
                    let b = bytes * (1u64 << s) as f64;
                    let partner = (g / 2) >> s;
                    push(1, &|r, v| v.push((r, r ^ partner, b)));
                }
            }
            (Op::AllGather, Algorithm::TwoDRing) => {
                let (rows, cols) = groups.grid.unwrap_or((1, g));
                push(rows as u32 - 1, &|i, v| {
                    let (rr, cc) = (i / cols, i % cols);
                    v.push((i, ((rr + 1) % rows) * cols + cc, bytes));
                });
                push(cols as u32 - 1, &|i, v| {
                    let (rr, cc) = (i / cols, i % cols);
                    v.push((i, rr * cols + (cc + 1) % cols, bytes * rows as f64));
                });
            }
            (Op::AllReduce, Algorithm::DoubleBinaryTree) => {
                // Tree A: heap order on ranks; tree B: the same shape on ranks reversed, so the
                // leaves of one are mostly interior nodes of the other. Half the buffer each.
                let depth = usize::BITS - g.leading_zeros(); // levels of a heap of g nodes
                let parent_a = |r: usize| (r > 0).then(|| (r - 1) / 2);
                let rev = |r: usize| g - 1 - r;
                let level_of = |r: usize| usize::BITS - (r + 1).leading_zeros() - 1;
                // Reduce: deepest level first.
                for lvl in (1..depth).rev() {
                    push(1, &|r, v| {
                        if level_of(r) == lvl {
                            if let Some(p) = parent_a(r) {
                                v.push((r, p, bytes / 2.0));
                            }
                        }
                        let rb = rev(r);
                        if level_of(rb) == lvl {
                            if let Some(p) = parent_a(rb) {
                                v.push((r, rev(p), bytes / 2.0));
                            }
                        }
                    });
                }
                // Broadcast: root level first.
                for lvl in 1..depth {
                    push(1, &|r, v| {
                        if level_of(r) == lvl {
                            if let Some(p) = parent_a(r) {
                                v.push((p, r, bytes / 2.0));
                            }
                        }
                        let rb = rev(r);
                        if level_of(rb) == lvl {
                            if let Some(p) = parent_a(rb) {
                                v.push((rev(p), r, bytes / 2.0));
                            }
                        }
                    });
                }
            }
            (Op::ReduceScatter | Op::AllReduce, Algorithm::Direct) => {
                // Every rank sends each peer that peer's chunk; an all-reduce then sends
                // the reduced chunk back to everyone the same way.
                let exchanges = if op == Op::AllReduce { 2 } else { 1 };
                for _ in 0..exchanges {
                    push(1, &|r, v| {
                        for d in 0..g {
                            v.push((r, d, bytes / gf));
                        }
                    });
                }
            }
            (Op::AllGather | Op::ReduceScatter | Op::AllToAll, Algorithm::Pairwise) => {
                // All-gather: a rank's whole contribution; reduce-scatter: the receiver's chunk
                // of the sender's partial buffer; all-to-all: what the receiver needs.
                let b = if op == Op::ReduceScatter {
                    bytes / gf
                } else {
                    bytes
                };
                for s in 1..g {
                    push(1, &|r, v| v.push((r, (r + s) % g, b)));
                }
            }
            (Op::AllToAll, Algorithm::Direct) => {
                push(1, &|r, v| {
                    for d in 0..g {
                        v.push((r, d, bytes));
                    }
                });
            }
            (Op::SendRecv, Algorithm::Direct) => {
                push(1, &|r, v| {
                    if r + 1 < g {
                        v.push((r, r + 1, bytes));
                    }
                });
            }
            // `applicable` has already refused every other combination.
            _ => {}
        }
    }
    Ok(Schedule {
        op,
        algorithm,
        steps,
    })
}

/// An all-to-all given as an explicit traffic matrix (bytes from row to column device),
/// e.g. from an expert-routing trace.
pub fn all_to_all_from_matrix(devices: &[u32], matrix: &[Vec<f64>]) -> Schedule {
    let mut flows = Vec::new();
    for (i, row) in matrix.iter().enumerate() {
        for (j, &b) in row.iter().enumerate() {
            if i != j && b > 0.0 {
                flows.push(Flow {
                    src: devices[i],
                    dst: devices[j],
                    bytes: b,
                });
            }
        }
    }
    Schedule {
        op: Op::AllToAll,
        algorithm: Algorithm::Direct,
        steps: vec![Step { flows, repeat: 1 }],
    }
}

/// Bytes on the wire after cutting `payload` into packets of `packet_bytes` that each carry
/// `header_bytes` of header: `payload + ceil(payload / (packet − header)) × header`.
pub fn with_headers(payload: f64, packet_bytes: u32, header_bytes: u32) -> f64 {
    let room = packet_bytes.saturating_sub(header_bytes).max(1) as f64;
    payload + (payload / room).ceil() * header_bytes as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_received(s: &Schedule, dst: u32) -> f64 {
        s.steps
            .iter()
            .map(|st| {
                st.repeat as f64
                    * st.flows
                        .iter()
                        .filter(|f| f.dst == dst)
                        .map(|f| f.bytes)
                        .sum::<f64>()
            })
            .sum()
    }

    #[test]
    fn all_reduce_volumes_match_theory() {
        let g = Groups::single(8);
        let b = 8.0 * 1024.0;
        // ring and rabenseifner move 2(g-1)/g of the buffer into each rank
        for a in [Algorithm::Ring, Algorithm::Rabenseifner, Algorithm::Direct] {
            let s = schedule(Op::AllReduce, a, &g, b).unwrap();
            assert!(
                (bytes_received(&s, 3) - 2.0 * 7.0 / 8.0 * b).abs() < 1e-6,
                "{a:?}"
            );
        }
        let rd = schedule(Op::AllReduce, Algorithm::RecursiveDoubling, &g, b).unwrap();
        assert_eq!(rd.step_count(), 3);
        assert!((bytes_received(&rd, 0) - 3.0 * b).abs() < 1e-9);
    }

    #[test]
    fn all_gather_delivers_everyone_elses_share() {
        let g = Groups {
            members: vec![(0..16).collect()],
            grid: Some((4, 4)),
        };
        for a in [
            Algorithm::Ring,
            Algorithm::HalvingDoubling,
            Algorithm::TwoDRing,
            Algorithm::Pairwise,
        ] {
            let s = schedule(Op::AllGather, a, &g, 100.0).unwrap();
            assert!((bytes_received(&s, 5) - 1500.0).abs() < 1e-9, "{a:?}");
        }
    }

    #[test]
    fn reduce_scatter_delivers_every_peers_share_of_my_chunk() {
        let g = Groups::single(8);
        let b = 8.0 * 1024.0;
        for a in [
            Algorithm::Ring,
            Algorithm::HalvingDoubling,
            Algorithm::Direct,
            Algorithm::Pairwise,
        ] {
            let s = schedule(Op::ReduceScatter, a, &g, b).unwrap();
            assert!(
                (bytes_received(&s, 6) - 7.0 / 8.0 * b).abs() < 1e-6,
                "{a:?}"
            );
        }
        let direct = schedule(Op::ReduceScatter, Algorithm::Direct, &g, b).unwrap();
        assert_eq!(direct.step_count(), 1);
        assert_eq!(direct.steps[0].flows.len(), 8 * 7);
    }

    #[test]
    fn pairwise_steps_are_shifts_that_each_rank_receives_once() {
        let g = Groups::single(8);
        for op in [Op::AllGather, Op::ReduceScatter, Op::AllToAll] {
            let s = schedule(op, Algorithm::Pairwise, &g, 64.0).unwrap();
            assert_eq!(s.step_count(), 7, "{op:?}");
            for (i, st) in s.steps.iter().enumerate() {
                let shift = i as u32 + 1;
                assert_eq!(st.flows.len(), 8);
                for f in &st.flows {
                    assert_eq!(f.dst, (f.src + shift) % 8, "{op:?} step {i}");
                }
                for r in 0..8 {
                    assert_eq!(st.flows.iter().filter(|f| f.dst == r).count(), 1);
                }
            }
        }
    }

    #[test]
    fn pairwise_is_timed_only_when_named() {
        let case = |algorithm| CollectiveCase {
            network: crate::network::NetworkSpec::parse("switch(8,100GB/s,100ns)", "test").unwrap(),
            op: Op::ReduceScatter,
            algorithm,
            bytes: 1e6,
            packet: None,
            groups: None,
        };
        let automatic = case(None).candidate_algorithms().unwrap();
        assert!(!automatic.contains(&Algorithm::Pairwise), "{automatic:?}");
        assert!(automatic.contains(&Algorithm::Direct));
        assert_eq!(
            case(Some(Algorithm::Pairwise))
                .candidate_algorithms()
                .unwrap(),
            vec![Algorithm::Pairwise]
        );
    }

    #[test]
    fn double_binary_tree_reduces_and_broadcasts_both_halves() {
        let g = Groups::single(8);
        let s = schedule(Op::AllReduce, Algorithm::DoubleBinaryTree, &g, 64.0).unwrap();
        // every non-root rank sends its half up once per tree and receives it down once
        let sent: f64 = s
            .steps
            .iter()
            .flat_map(|st| &st.flows)
            .map(|f| f.bytes)
            .sum();
        assert!((sent - 2.0 * 2.0 * 7.0 * 32.0).abs() < 1e-9);
    }

    #[test]
    fn power_of_two_required() {
        let g = Groups::single(6);
        assert!(schedule(Op::AllReduce, Algorithm::Rabenseifner, &g, 1.0).is_err());
        assert!(schedule(Op::AllReduce, Algorithm::Ring, &g, 1.0).is_ok());
    }

    #[test]
    fn headers() {
        assert_eq!(with_headers(512.0, 1024, 36), 548.0);
        assert_eq!(with_headers(1073741824.0, 1024, 36), 1112866048.0);
    }
}

/// A stand-alone collective to time: the network, the operation, the algorithm (or `None` for
/// the fastest), the size (per the module's byte convention) and optional packetisation.
#[derive(Clone, Debug)]
pub struct CollectiveCase {
    /// The network; all its devices form one group unless `groups` says otherwise.
    pub network: crate::network::NetworkSpec,
    /// The operation.
    pub op: Op,
    /// A fixed algorithm, or `None` to pick the fastest applicable one.
    pub algorithm: Option<Algorithm>,
    /// Size in bytes, per the module's convention.
    pub bytes: f64,
    /// `(packet_bytes, header_bytes)`: add per-packet headers to the message before it is split.
    pub packet: Option<(u32, u32)>,
    /// Groups that run the collective concurrently; `None` means all devices in one group.
    pub groups: Option<Groups>,
}

impl CollectiveCase {
    /// The groups this case runs on: the given ones, or every device in one group (with the
    /// grid of a single 2D level, so that `2d-ring` applies on a lone mesh or torus).
    pub fn resolved_groups(&self) -> Groups {
        if let Some(g) = &self.groups {
            return g.clone();
        }
        let n = self.network.devices();
        let mut g = Groups::single(n);
        if let [only] = self.network.levels.as_slice() {
            if matches!(
                only.kind,
                crate::network::LevelKind::Mesh | crate::network::LevelKind::Torus
            ) {
                g.grid = Some(only.shape);
            }
        }
        g
    }

    /// Message size after packet headers.
    pub fn wire_bytes(&self) -> f64 {
        match self.packet {
            Some((p, h)) => with_headers(self.bytes, p, h),
            None => self.bytes,
        }
    }

    /// The algorithms to consider: the named one, or every applicable one.
    pub fn candidate_algorithms(&self) -> Result<Vec<Algorithm>> {
        let groups = self.resolved_groups();
        match self.algorithm {
            Some(a) => {
                if applicable(self.op, a, &groups) {
                    Ok(vec![a])
                } else {
                    // `schedule` produces the explanatory error.
                    schedule(self.op, a, &groups, 1.0).map(|_| vec![a])
                }
            }
            None => Ok(self
                .op
                .automatic_algorithms()
                .filter(|&a| applicable(self.op, a, &groups))
                .collect()),
        }
    }
}

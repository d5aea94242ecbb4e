//! Detailed collectives: a step schedule laid on the packet network with per-rank
//! dependencies, and the stand-alone `collective_timing` entry point.
//!
//! Rule. Rank r starts step s + 1 when (a) it has started step s, (b) every flow it sent
//! in step s is complete at the sender (acknowledged, or delivered, per
//! [`Completion`](super::Completion)), and (c) every flow addressed to it in step s has
//! arrived. There is no global barrier: a rank whose partners are early goes on early.
//! A step with `repeat = k` runs as k such steps in sequence.

use super::config::{Completion, Mapping, PacketConfig};
use super::packet::strip_headers;
use super::sim::{Dep, GateId, MessageId, NetworkSim};
use super::stats::NetStats;
pub use crate::collective::mapping::{dimensions, plan, CollectivePlan};
use crate::collective::ns3::Ns3Point;
use crate::collective::{Algorithm, CollectiveCase, Step};
use crate::error::{invalid, Result};
use crate::network::Topology;
use crate::sim::{Picos, SimTime};
use serde::Serialize;
use std::collections::BTreeMap;

/// The gates of a schedule added to a simulation: per rank, the gate that opens when the
/// rank has finished its last step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScheduleGates {
    /// (device, gate opening when that rank is done), by device.
    pub rank_done: Vec<(u32, GateId)>,
    /// Every message added, in step order.
    pub messages: Vec<MessageId>,
}

/// Payload bytes of a flow: rounded up to whole bytes.
fn payload_of(bytes: f64) -> Result<u64> {
    if !(bytes.is_finite() && bytes >= 0.0) {
        return Err(invalid(
            "flow bytes",
            bytes,
            "must be a finite, non-negative size",
        ));
    }
    Ok(bytes.ceil() as u64)
}

/// Add a schedule's steps to `sim` with the per-rank rule of this module. Rank r's first
/// step waits for `start(r)`: a release time and dependencies (say, the compute that
/// produces the data). Returns the gates that open when each rank is done.
pub fn add_schedule_with(
    sim: &mut NetworkSim<'_>,
    steps: &[Step],
    mut start: impl FnMut(u32) -> (SimTime, Vec<Dep>),
) -> Result<ScheduleGates> {
    let mut ranks: BTreeMap<u32, GateId> = BTreeMap::new();
    for f in steps.iter().flat_map(|s| &s.flows) {
        for d in [f.src, f.dst] {
            if let std::collections::btree_map::Entry::Vacant(e) = ranks.entry(d) {
                let (release, after) = start(d);
                e.insert(sim.add_gate(release, &after)?);
            }
        }
    }
    let release = sim.now();
    let mut out = ScheduleGates::default();
    let mut deps: BTreeMap<u32, Vec<Dep>> = BTreeMap::new();
    for step in steps {
        let payloads = step
            .flows
            .iter()
            .map(|f| payload_of(f.bytes))
            .collect::<Result<Vec<_>>>()?;
        let together = step.flows.len() as u32;
        for _ in 0..step.repeat {
            for (&r, g) in &ranks {
                sim.set_released_together(*g, together)?;
                deps.insert(r, vec![Dep::Opened(*g)]);
            }
            for (f, &p) in step.flows.iter().zip(&payloads) {
                let g = ranks.get(&f.src).copied().unwrap_or(GateId(0));
                let m = sim.add_message(f.src, f.dst, p, g)?;
                out.messages.push(m);
                deps.entry(f.src).or_default().push(Dep::Completed(m));
                deps.entry(f.dst).or_default().push(Dep::Delivered(m));
            }
            for (r, g) in ranks.iter_mut() {
                let after = deps.get(r).map(Vec::as_slice).unwrap_or(&[]);
                *g = sim.add_gate(release, after)?;
            }
        }
    }
    out.rank_done = ranks.into_iter().collect();
    Ok(out)
}

/// [`add_schedule_with`] with every rank starting at `start`.
pub fn add_schedule(
    sim: &mut NetworkSim<'_>,
    steps: &[Step],
    start: SimTime,
) -> Result<ScheduleGates> {
    add_schedule_with(sim, steps, |_| (start, Vec::new()))
}

/// The outcome of one schedule run on its own.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScheduleRun {
    /// (device, time the rank finished), by device.
    pub rank_finish: Vec<(u32, SimTime)>,
    /// When the last rank finished.
    pub end: SimTime,
    /// Counters.
    pub stats: NetStats,
}

/// Run one schedule alone on `topo`, every rank starting at `start`, and report when each
/// rank finished.
pub fn run_schedule(
    topo: &Topology,
    steps: &[Step],
    start: SimTime,
    cfg: &PacketConfig,
    seed: u64,
) -> Result<ScheduleRun> {
    let mut sim = NetworkSim::new(topo, cfg, seed)?;
    if start > SimTime::ZERO {
        sim.run_until(start)?;
    }
    let gates = add_schedule(&mut sim, steps, start)?;
    sim.run()?;
    let rank_finish: Vec<(u32, SimTime)> = gates
        .rank_done
        .iter()
        .map(|&(r, g)| (r, sim.gate_opened(g).unwrap_or(start)))
        .collect();
    let end = rank_finish.iter().map(|&(_, t)| t).max().unwrap_or(start);
    Ok(ScheduleRun {
        rank_finish,
        end,
        stats: sim.stats(),
    })
}

/// The time a schedule takes under the same per-rank rule with infinitely fast links:
/// propagation latency only (a round trip per dependent step under acknowledgements).
pub fn zero_load_time(sim: &mut NetworkSim<'_>, steps: &[Step], completion: Completion) -> Picos {
    let mut ready: BTreeMap<u32, u64> = BTreeMap::new();
    for f in steps.iter().flat_map(|s| &s.flows) {
        ready.insert(f.src, 0);
        ready.insert(f.dst, 0);
    }
    for step in steps {
        let lat: Vec<(u64, u64)> = step
            .flows
            .iter()
            .map(|f| {
                let there = sim.route_latency(f.src, f.dst).0;
                let back = match completion {
                    Completion::Ack => sim.route_latency(f.dst, f.src).0,
                    Completion::LastPacket => 0,
                };
                (there, back)
            })
            .collect();
        for _ in 0..step.repeat {
            let mut next = ready.clone();
            for (f, &(there, back)) in step.flows.iter().zip(&lat) {
                let t0 = ready.get(&f.src).copied().unwrap_or(0);
                if let Some(s) = next.get_mut(&f.src) {
                    *s = (*s).max(t0 + there + back);
                }
                if let Some(d) = next.get_mut(&f.dst) {
                    *d = (*d).max(t0 + there);
                }
            }
            ready = next;
        }
    }
    Picos(ready.values().copied().max().unwrap_or(0))
}

/// The time of one candidate algorithm.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CandidateTime {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Its time, seconds.
    pub time_s: f64,
}

/// The detailed engine's answer for a stand-alone collective.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DetailedCollective {
    /// The algorithm timed (the fastest when the case names none).
    pub algorithm: Algorithm,
    /// How it was laid on the network.
    pub mapping: Mapping,
    /// Dependent steps it ran (repeats included).
    pub steps: u64,
    /// Time until the last rank finished, seconds.
    pub time_s: f64,
    /// The same schedule's time with infinitely fast links (propagation only), seconds.
    pub hop_time_s: f64,
    /// The rest: serialisation, queueing, contention and backpressure, seconds.
    pub link_time_s: f64,
    /// When the first rank finished, seconds.
    pub first_rank_s: f64,
    /// Events processed over every candidate algorithm.
    pub events: u64,
    /// Wall time over every candidate algorithm, seconds (the only field that is not a
    /// function of the case, configuration and seed).
    pub wall_s: f64,
    /// Counters of the chosen algorithm's run.
    pub stats: NetStats,
    /// Every candidate's time.
    pub candidates: Vec<CandidateTime>,
}

/// Time a stand-alone collective with the packet network. `case.bytes` is payload: the
/// engine adds its own packet headers (`cfg`); `case.packet` is the fast engine's header
/// convention and is not used here (see [`ns3_case`] for the NS-3 panels, whose switch
/// sizes already include headers). When the case names no algorithm, every applicable one
/// runs and the fastest is reported.
pub fn collective_timing(
    case: &CollectiveCase,
    cfg: &PacketConfig,
    seed: u64,
) -> Result<DetailedCollective> {
    let wall = std::time::Instant::now();
    cfg.validate("packet config")?;
    case.network.validate("network")?;
    if !(case.bytes.is_finite() && case.bytes >= 0.0) {
        return Err(invalid(
            "bytes",
            case.bytes,
            "must be a finite, non-negative size",
        ));
    }
    let topo = Topology::new(&case.network);
    let groups = case.resolved_groups();
    let whole = case.groups.is_none();
    let mut events = 0;
    let mut candidates = Vec::new();
    let mut best: Option<DetailedCollective> = None;
    for a in case.candidate_algorithms()? {
        let p = plan(
            &case.network,
            &groups,
            whole,
            case.op,
            a,
            case.bytes,
            cfg.mapping,
        )?;
        let mut sim = NetworkSim::new(&topo, cfg, seed)?;
        let hop = zero_load_time(&mut sim, &p.steps, cfg.completion);
        let gates = add_schedule(&mut sim, &p.steps, SimTime::ZERO)?;
        sim.run()?;
        let finish: Vec<SimTime> = gates
            .rank_done
            .iter()
            .map(|&(_, g)| sim.gate_opened(g).unwrap_or(SimTime::ZERO))
            .collect();
        let end = finish.iter().copied().max().unwrap_or(SimTime::ZERO);
        let first = finish.iter().copied().min().unwrap_or(SimTime::ZERO);
        let stats = sim.stats();
        events += stats.events;
        let time_s = end.as_secs_f64();
        candidates.push(CandidateTime {
            algorithm: a,
            time_s,
        });
        if best.as_ref().is_none_or(|b| time_s < b.time_s) {
            let hop_s = hop.as_secs_f64().min(time_s);
            best = Some(DetailedCollective {
                algorithm: a,
                mapping: p.mapping,
                steps: p.step_count(),
                time_s,
                hop_time_s: hop_s,
                link_time_s: time_s - hop_s,
                first_rank_s: first.as_secs_f64(),
                events: 0,
                wall_s: 0.0,
                stats,
                candidates: Vec::new(),
            });
        }
    }
    let mut out =
        best.ok_or_else(|| invalid("--op", case.op.name(), "no algorithm applies to this group"))?;
    out.events = events;
    out.candidates = candidates;
    out.wall_s = wall.elapsed().as_secs_f64();
    Ok(out)
}

/// The case an NS-3 panel row describes, in the detailed engine's payload convention.
/// Panels without packetisation (`packet: None`: the switch panels and the torus
/// all-gather) list the size with the paper's 36-byte headers per 1024-byte packet already
/// added (README §2.3); NS-3 itself was given the raw size, so this removes those headers
/// and records the convention in `packet` (the fast engine's wire bytes are unchanged).
pub fn ns3_case(point: &Ns3Point) -> Result<CollectiveCase> {
    let mut case = point.case.clone();
    if case.packet.is_none() {
        let w = case.bytes;
        let s = (w.fract() == 0.0 && w > 0.0)
            .then(|| strip_headers(w as u64, 1024, 36))
            .flatten()
            .ok_or_else(|| {
                invalid(
                    format!("{} bytes", point.panel),
                    w,
                    "is not a size with 36-byte headers per 1024-byte packet",
                )
            })?;
        case.bytes = s as f64;
        case.packet = Some((1024, 36));
    }
    Ok(case)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collective::{Groups, Op};
    use crate::network::NetworkSpec;

    fn spec(s: &str) -> NetworkSpec {
        NetworkSpec::parse(s, "t").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn dimensions_of_levels() {
        assert_eq!(
            dimensions(&spec("switch(8,1GB/s,1ns)/switch(8,1GB/s,1ns)")),
            vec![(1, 8), (8, 8)]
        );
        assert_eq!(
            dimensions(&spec("torus(4x8,1GB/s,1ns)")),
            vec![(1, 8), (8, 4)]
        );
        assert_eq!(dimensions(&spec("switch(8,1GB/s,1ns)")), vec![(1, 8)]);
    }

    #[test]
    fn per_dimension_ring_moves_the_flat_ring_bytes_in_fewer_steps() {
        let s = spec("torus(8x8,1GB/s,1ns)");
        let g = Groups::single(64);
        let flat = plan(
            &s,
            &g,
            true,
            Op::AllReduce,
            Algorithm::Ring,
            6400.0,
            Mapping::Flat,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let dim = plan(
            &s,
            &g,
            true,
            Op::AllReduce,
            Algorithm::Ring,
            6400.0,
            Mapping::PerDimension,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(flat.step_count(), 126);
        assert_eq!(dim.step_count(), 28);
        assert_eq!(dim.mapping, Mapping::PerDimension);
        let sent = |p: &CollectivePlan, d: u32| -> f64 {
            p.steps
                .iter()
                .map(|st| {
                    st.repeat as f64
                        * st.flows
                            .iter()
                            .filter(|f| f.src == d)
                            .map(|f| f.bytes)
                            .sum::<f64>()
                })
                .sum()
        };
        assert!((sent(&flat, 9) - sent(&dim, 9)).abs() < 1e-6);
    }

    #[test]
    fn per_dimension_all_to_all_delivers_every_block_once() {
        let s = spec("switch(4,1GB/s,1ns)/switch(4,1GB/s,1ns)");
        let p = plan(
            &s,
            &Groups::single(16),
            true,
            Op::AllToAll,
            Algorithm::Direct,
            10.0,
            Mapping::PerDimension,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.step_count(), 2);
        // Every rank sends 15 blocks of 10 bytes, some of them twice (once per phase).
        let total: f64 = p.steps.iter().flat_map(|s| &s.flows).map(|f| f.bytes).sum();
        assert!((total - 16.0 * (3.0 * 40.0 + 3.0 * 40.0)).abs() < 1e-9);
    }
}

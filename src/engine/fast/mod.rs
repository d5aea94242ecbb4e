//! The fast analytical engine: the scenario's plan timed with the tile/wave kernel model fed
//! by the bandwidth chain, the dual-stage network cost per collective (all concurrent groups
//! at once, the fastest algorithm per call), tile-level compute/communication overlap, then
//! energy, the power wall and the lumped thermal model.
//!
//! Known blind spots (where the detailed engine should disagree): queueing and head-of-line
//! blocking in the network, packet pipelining across hops, per-rank slack between collective
//! steps, DRAM bank conflicts and refresh beyond the η(m, n) abstraction.

pub mod kernel;
pub mod network;

use crate::collective::{self, Algorithm, Op as CollOp};
use crate::engine::{Breakdown, Evaluator, OperatorTime, Report};
use crate::error::Result;
use crate::lower::{lower, Comm, OpKind, Plan};
use crate::network::{ResourceKind, Topology};
use crate::parallel::{Dim, ParallelScheme};
use crate::scenario::Scenario;
use crate::tiling::Tiler;
use crate::workload::Phase;
use kernel::{time_kernel, DeviceRates, KernelTime};
use network::{step_cost, NetScratch};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One algorithm's cost per unit of collective size: Σ steps (hop + bytes × link_per_byte).
#[derive(Clone, Debug)]
struct UnitProfile {
    /// (repeat, hop seconds, link seconds per byte of collective size)
    steps: Vec<(f64, f64, f64)>,
    /// Per network level: bytes crossing links of that level per byte of collective size
    /// (all devices together).
    level_byte_hops: Vec<f64>,
}

impl UnitProfile {
    fn cost(&self, bytes: f64) -> (f64, f64) {
        let mut hop = 0.0;
        let mut link = 0.0;
        for &(rep, h, l) in &self.steps {
            hop += rep * h;
            link += rep * l * bytes;
        }
        (hop, link)
    }
}

/// (network hash, scheme, parallel dimensions as a bit mask, operation, forced algorithm)
type ProfileKey = (u64, ParallelScheme, u8, CollOp, Option<Algorithm>);

fn dims_mask(dims: &[Dim]) -> u8 {
    dims.iter().fold(0u8, |m, &d| m | (1 << d as u8))
}

fn network_key(s: &Scenario) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for l in &s.system.network.levels {
        l.kind.hash(&mut h);
        l.shape.hash(&mut h);
        l.link_bandwidth.0.to_bits().hash(&mut h);
        l.hop_latency.0.to_bits().hash(&mut h);
        l.center_bandwidth.map(|c| c.0.to_bits()).hash(&mut h);
    }
    h.finish()
}

/// The fast engine. Holds caches of built topologies and per-collective unit profiles, keyed
/// by network and group layout, so repeated evaluations (a search) pay routing once.
#[derive(Debug, Default)]
pub struct FastEngine {
    topologies: RwLock<HashMap<u64, Arc<Topology>>>,
    profiles: RwLock<HashMap<ProfileKey, Arc<Vec<UnitProfile>>>>,
}

/// Timing of one communication call.
#[derive(Clone, Copy, Debug, Default)]
struct CommTime {
    hop_s: f64,
    link_s: f64,
    network_energy_j: f64,
}

impl FastEngine {
    /// A fresh engine with empty caches.
    pub fn new() -> FastEngine {
        FastEngine::default()
    }

    fn topology(&self, s: &Scenario, key: u64) -> Arc<Topology> {
        if let Ok(map) = self.topologies.read() {
            if let Some(t) = map.get(&key) {
                return t.clone();
            }
        }
        let t = Arc::new(Topology::new(&s.system.network));
        if let Ok(mut map) = self.topologies.write() {
            map.insert(key, t.clone());
        }
        t
    }

    fn profiles(
        &self,
        s: &Scenario,
        net: u64,
        topo: &Topology,
        c: &Comm,
    ) -> Result<Arc<Vec<UnitProfile>>> {
        let forced = if c.op == CollOp::AllReduce {
            s.options.algorithm
        } else {
            None
        };
        let key: ProfileKey = (net, s.scheme, dims_mask(&c.dims), c.op, forced);
        if let Ok(map) = self.profiles.read() {
            if let Some(p) = map.get(&key) {
                return Ok(p.clone());
            }
        }
        let groups = s.scheme.groups_of(&c.dims);
        let candidates: Vec<Algorithm> = match forced {
            Some(a) => vec![a],
            None => {
                c.op.automatic_algorithms()
                    .filter(|&a| collective::applicable(c.op, a, &groups))
                    .collect()
            }
        };
        let levels = s.system.network.levels.len();
        let mut scratch = NetScratch::default();
        let mut route = Vec::new();
        let mut out = Vec::new();
        for a in candidates {
            let sched = collective::schedule(c.op, a, &groups, 1.0)?;
            let mut steps = Vec::new();
            let mut level_byte_hops = vec![0.0; levels];
            for st in &sched.steps {
                let cost = step_cost(topo, st, &mut scratch);
                steps.push((st.repeat as f64, cost.hop_time_s, cost.link_time_s));
                for f in &st.flows {
                    topo.route(f.src as usize, f.dst as usize, &mut route);
                    for &r in &route {
                        let res = &topo.resources()[r as usize];
                        if let ResourceKind::Link { .. } = res.kind {
                            level_byte_hops[res.level as usize] += f.bytes * st.repeat as f64;
                        }
                    }
                }
            }
            out.push(UnitProfile {
                steps,
                level_byte_hops,
            });
        }
        let p = Arc::new(out);
        if let Ok(mut map) = self.profiles.write() {
            map.insert(key, p.clone());
        }
        Ok(p)
    }

    fn comm_time(&self, s: &Scenario, net: u64, topo: &Topology, c: &Comm) -> Result<CommTime> {
        let groups_size: u32 = c.dims.iter().map(|&d| s.scheme.degree(d)).product();
        if groups_size <= 1 || c.bytes <= 0.0 {
            return Ok(CommTime::default());
        }
        let profiles = self.profiles(s, net, topo, c)?;
        let mut best: Option<(f64, f64, &UnitProfile)> = None;
        for p in profiles.iter() {
            let (h, l) = p.cost(c.bytes);
            if best.is_none_or(|(bh, bl, _)| h + l < bh + bl) {
                best = Some((h, l, p));
            }
        }
        let Some((hop, link, p)) = best else {
            return Ok(CommTime::default());
        };
        let mut energy = 0.0;
        for (lvl, &bh) in p.level_byte_hops.iter().enumerate() {
            energy += bh * c.bytes * 8.0 * s.system.power.network_pj(lvl) * 1e-12;
        }
        // The schedule covers all devices; charge this device its share.
        energy /= s.system.devices() as f64;
        Ok(CommTime {
            hop_s: hop,
            link_s: link,
            network_energy_j: energy,
        })
    }
}

/// Tile-level overlap of a GEMM of `compute_s` in `waves` waves with a collective of latency
/// part `hop_s` and bandwidth part `link_s`: wave i's communication runs under wave i+1's
/// compute, so the result is a compute-only prologue, an overlapped body and a
/// communication-only epilogue. Without several waves nothing overlaps.
pub fn overlapped_time(compute_s: f64, waves: f64, hop_s: f64, link_s: f64) -> f64 {
    if waves <= 1.0 {
        return compute_s + hop_s + link_s;
    }
    let w = waves;
    compute_s / w
        + (compute_s * (w - 1.0) / w).max(hop_s + link_s * (w - 1.0) / w)
        + (hop_s + link_s / w)
}

/// A GEMM fused with a collective on one device of `system` (AG-GEMM, GEMM-RS style kernels):
/// the GEMM through the kernel model, the collective through the dual-stage model, combined
/// when `overlap`. A pairwise all-gather or reduce-scatter is pipelined segment by segment
/// against the GEMM ([`pairwise_pipelined_time`]); any other collective overlaps wave by wave
/// ([`overlapped_time`]). A reducing collective (reduce-scatter, all-reduce) then sums the
/// partial chunks that arrived: an element-wise pass that reads every rank's partial of this
/// rank's chunk and writes the sum. It cannot start before the last partial lands, so it
/// follows the overlapped part. Returns seconds.
pub fn fused_gemm_collective(
    system: &crate::hw::System,
    gemm: &crate::lower::Gemm,
    collective: &collective::CollectiveCase,
    overlap: bool,
) -> Result<f64> {
    let rates = DeviceRates::of(system);
    let tiler = Tiler::of(system);
    let k = time_kernel(&rates, &tiler.gemm(gemm));
    let body = k.total_s - k.overhead_s;
    let feed = match collective.op {
        CollOp::AllGather => Some(SegmentFeed::Consumes),
        CollOp::ReduceScatter => Some(SegmentFeed::Produces),
        _ => None,
    };
    let t = match (overlap, collective.algorithm, feed) {
        (true, Some(Algorithm::Pairwise), Some(feed)) => {
            let steps: Vec<f64> = network::step_costs(collective)?
                .iter()
                .map(network::NetCost::total_s)
                .collect();
            // A pairwise reduce-scatter stages this rank's own chunk beside the peers' partials
            // as the last copy of its stream (read and written once in local DRAM), so that
            // the sum reads every partial from one buffer.
            let staging = match feed {
                SegmentFeed::Produces => {
                    let g = steps.len() as f64 + 1.0;
                    2.0 * collective.bytes / g / rates.dram_bw
                }
                SegmentFeed::Consumes => 0.0,
            };
            pairwise_pipelined_time(feed, body, k.waves, &steps) + staging
        }
        (true, ..) => {
            let c = network::collective_timing(collective)?;
            overlapped_time(body, k.waves, c.cost.hop_time_s, c.cost.link_time_s)
        }
        (false, ..) => body + network::collective_timing(collective)?.cost.total_s(),
    };
    let reduction_s = partial_sum_pass(collective, gemm.act_bytes)
        .map_or(0.0, |e| time_kernel(&rates, &tiler.elementwise(&e)).total_s);
    Ok(t + k.overhead_s + reduction_s)
}

/// Which way data flows between a GEMM and the collective fused with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentFeed {
    /// The collective brings the GEMM its input (all-gather before the GEMM).
    Consumes,
    /// The collective carries the GEMM's output away (reduce-scatter after the GEMM).
    Produces,
}

/// A GEMM of `body_s` in `waves` thread-block waves, cut into g = `steps.len()` + 1 row
/// segments, one per rank, fused with a pairwise collective whose step s (taking `steps[s]`
/// seconds) moves one segment's data between this rank and one peer. Transfers run one after
/// another, as a stream of peer copies does. A tile takes one wave's time (`body_s / waves`),
/// so a segment of fewer tiles than there are processing elements still takes that long.
///
/// - [`SegmentFeed::Consumes`]: the local segment is computed first; segment s + 1 finishes
///   one tile time after its data arrives, and no sooner than its share of the GEMM after
///   segment s (transfers start at once, back to back).
/// - [`SegmentFeed::Produces`]: the segments bound for peers are computed first, in the order
///   the transfers send them, and the local one last; transfer s starts when segment s is
///   complete and transfer s − 1 is done. A segment is complete when the wave holding its
///   last tile ends.
///
/// Returns the time until the GEMM and every transfer are done, seconds.
pub fn pairwise_pipelined_time(feed: SegmentFeed, body_s: f64, waves: f64, steps: &[f64]) -> f64 {
    let g = steps.len() as f64 + 1.0;
    let w = waves.max(1.0);
    let tile = body_s / w;
    match feed {
        SegmentFeed::Consumes => {
            let share = body_s / g;
            let mut arrived = 0.0;
            let mut done = share.max(tile);
            for &s in steps {
                arrived += s;
                done = (done + share).max(arrived + tile);
            }
            done
        }
        SegmentFeed::Produces => {
            let mut sent = 0.0f64;
            for (j, &s) in steps.iter().enumerate() {
                // The wave that finishes segment j's last tile (a small guard keeps exact
                // multiples in their own wave).
                let wave = ((j as f64 + 1.0) * w / g - 1e-9).ceil().clamp(1.0, w);
                sent = sent.max(tile * wave) + s;
            }
            sent.max(body_s)
        }
    }
}

/// The element-wise pass that sums the partial chunks a reducing collective delivers to a
/// rank of a group of g: it reads g partials of `bytes / g` and writes one, with g − 1 adds per
/// element. `None` for collectives that only move data.
fn partial_sum_pass(
    collective: &collective::CollectiveCase,
    element_bytes: f64,
) -> Option<crate::lower::Elementwise> {
    if !matches!(
        collective.op,
        collective::Op::ReduceScatter | collective::Op::AllReduce
    ) {
        return None;
    }
    let g = collective.resolved_groups().size() as f64;
    if g <= 1.0 {
        return None;
    }
    let chunk = collective.bytes / g;
    Some(crate::lower::Elementwise {
        bytes: chunk * (g + 1.0),
        flops: chunk / element_bytes * (g - 1.0),
    })
}

/// Totals of one step at one KV length.
#[derive(Clone, Debug, Default)]
struct StepTotals {
    time_s: f64,
    compute_s: f64,
    memory_s: f64,
    exposed_net_s: f64,
    overhead_s: f64,
    dynamic_energy_j: f64,
    operators: Vec<OperatorTime>,
}

fn kernel_energy(s: &Scenario, k: &KernelTime, tensor_rate: f64) -> f64 {
    let p = &s.system.power;
    let flop_pj = if k.tensor {
        p.tensor_pj_per_flop / tensor_rate
    } else {
        p.vector_pj_per_flop
    };
    (k.flops * flop_pj + k.dram_bytes * p.dram_pj_per_byte + k.smem_bytes * p.sram_pj_per_byte)
        * 1e-12
        + s.system
            .vertical
            .as_ref()
            .map_or(0.0, |v| k.dram_bytes * 8.0 * v.energy_pj_per_bit * 1e-12)
}

impl FastEngine {
    fn time_plan(
        &self,
        s: &Scenario,
        net: u64,
        topo: &Topology,
        plan: &Plan,
        rates: &DeviceRates,
        tiler: &Tiler,
    ) -> Result<StepTotals> {
        let mut t = StepTotals::default();
        for class in &plan.classes {
            let reps = class.count as f64;
            let mut class_time = 0.0;
            let mut last_gemm: Option<KernelTime> = None;
            for op in &class.ops {
                let kernel = match &op.kind {
                    OpKind::Gemm(g) => Some((tiler.gemm(g), g.tensor_rate)),
                    OpKind::Attention(a) => Some((tiler.attention(a), 1.0)),
                    OpKind::Elementwise(e) => Some((tiler.elementwise(e), 1.0)),
                    OpKind::Comm(_) => None,
                };
                let time = match (&op.kind, kernel) {
                    (_, Some((tiled, tensor_rate))) => {
                        let kt = time_kernel(rates, &tiled);
                        t.compute_s += kt.compute_s * reps;
                        t.memory_s += kt.memory_s * reps;
                        t.overhead_s += kt.overhead_s * reps;
                        t.dynamic_energy_j += kernel_energy(s, &kt, tensor_rate) * reps;
                        last_gemm = matches!(op.kind, OpKind::Gemm(_)).then_some(kt);
                        kt.total_s
                    }
                    (OpKind::Comm(c), None) => {
                        let ct = self.comm_time(s, net, topo, c)?;
                        t.dynamic_energy_j += ct.network_energy_j * reps;
                        let launch = if ct.hop_s + ct.link_s > 0.0 {
                            rates.kernel_overhead_s
                        } else {
                            0.0
                        };
                        t.overhead_s += launch * reps;
                        let (h, l) = (ct.hop_s, ct.link_s);
                        let exposed = match (s.options.overlap && c.overlaps_gemm, last_gemm) {
                            (true, Some(g)) if g.waves > 1.0 => {
                                // Tile-level overlap: wave i's communication under wave i+1's
                                // compute. Replaces (GEMM body + comm) by the pipelined form.
                                let c_body = g.total_s - g.overhead_s;
                                (overlapped_time(c_body, g.waves, h, l) - c_body).max(0.0)
                            }
                            _ => h + l,
                        };
                        t.exposed_net_s += exposed * reps;
                        last_gemm = None;
                        exposed + launch
                    }
                    // Only collectives have no kernel.
                    (_, None) => 0.0,
                };
                class_time += time;
                t.operators.push(OperatorTime {
                    class: class.name,
                    name: op.name,
                    time_s: time * reps,
                });
            }
            if let Some(bytes) = plan.fsdp_gather_bytes_per_layer {
                if class.name != "head" {
                    let c = Comm {
                        op: CollOp::AllGather,
                        dims: vec![Dim::Dp],
                        bytes: bytes / s.scheme.dp as f64,
                        overlaps_gemm: false,
                    };
                    let ct = self.comm_time(s, net, topo, &c)?;
                    let comm = ct.hop_s + ct.link_s;
                    let hidden = if s.options.overlap {
                        class_time.min(comm)
                    } else {
                        0.0
                    };
                    let extra = comm - hidden;
                    t.exposed_net_s += extra * reps;
                    t.dynamic_energy_j += ct.network_energy_j * reps;
                    t.operators.push(OperatorTime {
                        class: class.name,
                        name: "fsdp_all_gather",
                        time_s: extra * reps,
                    });
                    class_time += extra;
                }
            }
            t.time_s += class_time * reps;
        }
        if let Some(c) = &plan.pipeline {
            let ct = self.comm_time(s, net, topo, c)?;
            let time = ct.hop_s + ct.link_s + rates.kernel_overhead_s;
            t.exposed_net_s += ct.hop_s + ct.link_s;
            t.overhead_s += rates.kernel_overhead_s;
            t.dynamic_energy_j += ct.network_energy_j;
            t.operators.push(OperatorTime {
                class: "pipeline",
                name: "pp_send_recv",
                time_s: time,
            });
            t.time_s += time;
        }
        Ok(t)
    }
}

impl Evaluator for FastEngine {
    fn name(&self) -> &'static str {
        "fast"
    }

    fn evaluate(&self, s: &Scenario) -> Result<Report> {
        let start = std::time::Instant::now();
        let net = network_key(s);
        let topo = self.topology(s, net);
        let rates = DeviceRates::of(&s.system);
        let tiler = Tiler::of(&s.system);
        let points = s.workload.kv_points();
        let mut steps = Vec::with_capacity(points.len());
        for &kv in &points {
            let plan = lower(s, kv);
            let totals = self.time_plan(s, net, &topo, &plan, &rates, &tiler)?;
            steps.push((plan.tokens_per_step, totals));
        }
        let mut report = summarize(s, "fast", &steps);
        report.effective_memory_bandwidth_bytes_per_s = rates.dram_bw;
        report.eval_time_s = start.elapsed().as_secs_f64();
        Ok(report)
    }
}

/// Turn per-KV-point step totals into the report: throughput and latency metrics, energy,
/// power wall, temperature and feasibility.
fn summarize(s: &Scenario, engine: &str, steps: &[(f64, StepTotals)]) -> Report {
    let n = steps.len().max(1) as f64;
    let pp = s.scheme.pp as f64;
    let devices = s.system.devices() as f64;
    let p = &s.system.power;
    let mut stps = 0.0;
    let mut utps = 0.0;
    let mut step_time = 0.0;
    let mut energy_dev = 0.0;
    let mut tokens = 0.0;
    for (tok, t) in steps {
        stps += tok / t.time_s;
        utps += match s.workload.phase {
            Phase::Decode => 1.0 / (t.time_s * pp),
            Phase::Prefill => s.workload.input_len as f64 / (t.time_s * pp),
        };
        step_time += t.time_s;
        energy_dev += t.dynamic_energy_j + p.static_w * t.time_s;
        tokens += tok;
    }
    stps /= n;
    utps /= n;
    step_time /= n;
    let power = energy_dev / (step_time * n);
    let thermal_r = s.system.thermal_resistance();
    let scale = if power > p.tdp_w {
        (power / p.tdp_w).powf(-1.0 / 3.0)
    } else {
        1.0
    };
    let power_after = power.min(p.tdp_w);
    let temperature = p.ambient_c + thermal_r * power_after;
    let footprint = s.memory_footprint();
    let mut reasons = Vec::new();
    if temperature > p.temperature_limit_c {
        reasons.push(format!(
            "temperature {temperature:.1} °C exceeds the {:.0} °C limit",
            p.temperature_limit_c
        ));
    }
    let energy_per_token = energy_dev * devices / tokens;
    let mut breakdown = Breakdown::default();
    for (_, t) in steps {
        breakdown.compute_s += t.compute_s / n;
        breakdown.memory_s += t.memory_s / n;
        breakdown.exposed_network_s += t.exposed_net_s / n;
        breakdown.overhead_s += t.overhead_s / n;
    }
    if let Some((_, first)) = steps.first() {
        breakdown.operators = first
            .operators
            .iter()
            .enumerate()
            .map(|(i, o)| OperatorTime {
                class: o.class,
                name: o.name,
                time_s: steps
                    .iter()
                    .map(|(_, t)| t.operators.get(i).map_or(0.0, |x| x.time_s))
                    .sum::<f64>()
                    / n,
            })
            .collect();
    }
    let step_after = step_time / scale;
    Report {
        engine: engine.to_string(),
        system: s.system.name.clone(),
        model: s.model.name.clone(),
        phase: s.workload.phase.name().to_string(),
        batch: s.workload.batch,
        parallel: s.scheme.describe(),
        devices: s.system.devices(),
        pe_count: s.system.pe_count().unwrap_or(0),
        throughput_tokens_per_s: stps * scale,
        utps_tokens_per_s: utps * scale,
        ttft_s: (s.workload.phase == Phase::Prefill).then_some(step_after * pp),
        tpot_s: (s.workload.phase == Phase::Decode).then_some(step_after * pp),
        step_time_s: step_after,
        energy_per_token_j: energy_per_token,
        tokens_per_joule: 1.0 / energy_per_token,
        power_w: power_after,
        power_wall_scale: scale,
        peak_temperature_c: temperature,
        feasible: reasons.is_empty(),
        infeasible_reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
        effective_memory_bandwidth_bytes_per_s: 0.0,
        memory_used_bytes: footprint.total(),
        memory_capacity_bytes: footprint.capacity_bytes,
        breakdown,
        simulated_layers: None,
        total_layers: s.model.layers,
        events: None,
        events_per_s: None,
        eval_time_s: 0.0,
    }
}

/// Per-KV-point step result as seen by [`summarize_public`].
#[derive(Clone, Debug, Default)]
pub struct StepResult {
    /// Tokens per step.
    pub tokens: f64,
    /// Step time, seconds.
    pub time_s: f64,
    /// Compute-bound share, seconds.
    pub compute_s: f64,
    /// Memory-bound share, seconds.
    pub memory_s: f64,
    /// Exposed network, seconds.
    pub exposed_net_s: f64,
    /// Launch overheads, seconds.
    pub overhead_s: f64,
    /// Dynamic energy of one device, joules.
    pub dynamic_energy_j: f64,
    /// Per operator.
    pub operators: Vec<OperatorTime>,
}

/// Build a report from per-KV-point step results (shared by the engines so metrics, the
/// power wall and the thermal check are defined once).
pub fn summarize_public(s: &Scenario, engine: &str, steps: &[StepResult]) -> Report {
    let converted: Vec<(f64, StepTotals)> = steps
        .iter()
        .map(|r| {
            (
                r.tokens,
                StepTotals {
                    time_s: r.time_s,
                    compute_s: r.compute_s,
                    memory_s: r.memory_s,
                    exposed_net_s: r.exposed_net_s,
                    overhead_s: r.overhead_s,
                    dynamic_energy_j: r.dynamic_energy_j,
                    operators: r.operators.clone(),
                },
            )
        })
        .collect();
    summarize(s, engine, &converted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumed_segments_wait_for_their_data_one_tile_time() {
        // Transfers far slower than the GEMM: the last segment finishes one tile time (one
        // wave's time) after the last transfer lands.
        let t = pairwise_pipelined_time(SegmentFeed::Consumes, 8.0, 2.0, &[10.0; 7]);
        assert!((t - (70.0 + 4.0)).abs() < 1e-12, "{t}");
        // Transfers far faster: the GEMM alone, in many waves.
        let t = pairwise_pipelined_time(SegmentFeed::Consumes, 8.0, 16.0, &[1e-6; 7]);
        assert!((t - 8.0).abs() < 1e-9, "{t}");
    }

    #[test]
    fn produced_segments_leave_when_the_wave_holding_their_last_tile_ends() {
        // 4 waves for 8 segments: segments 0 and 1 both complete with wave 1, so the first
        // transfer starts at a quarter of the GEMM, not an eighth.
        let t = pairwise_pipelined_time(SegmentFeed::Produces, 8.0, 4.0, &[10.0; 7]);
        assert!((t - (2.0 + 70.0)).abs() < 1e-12, "{t}");
        // Fast transfers: the last one, for the segment before the local one, follows the
        // wave that completes it; the local segment ends the GEMM after it.
        let t = pairwise_pipelined_time(SegmentFeed::Produces, 8.0, 8.0, &[0.5; 7]);
        assert!((t - 8.0).abs() < 1e-12, "{t}");
        let last_slow = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.5];
        let t = pairwise_pipelined_time(SegmentFeed::Produces, 8.0, 8.0, &last_slow);
        assert!((t - (7.0 + 1.5)).abs() < 1e-12, "{t}");
        // Transfers slower than segments: back to back after the first segment.
        let t = pairwise_pipelined_time(SegmentFeed::Produces, 8.0, 8.0, &[1.5; 7]);
        assert!((t - (1.0 + 7.0 * 1.5)).abs() < 1e-12, "{t}");
    }
}

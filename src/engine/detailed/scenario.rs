//! Whole scenarios on the detailed engine: the lowered plan of one device executed as tile
//! kernels on its PEs against the detailed DRAM model, and every collective run as packets
//! on the whole network (every device that takes part), with tile-level overlap where the
//! scenario asks for it.
//!
//! Window. Each layer class runs `window_layers` times (default 2: the first warms the
//! memory's row buffers and refresh state, the last is measured) and the measured layer is
//! scaled to the class's layer count; the report says so (`simulated_layers`). All devices
//! of these schemes run the same plan, so one device's compute is simulated and its timing
//! stands for every device; the network simulation carries every device's traffic.

use super::compute::{ComputeConfig, DeviceSim, KernelRun, TileKernel};
use super::network::{self as net, PacketConfig};
use crate::collective::{self, Algorithm, Op as CollOp};
use crate::dram::{DramSpec, MemorySystem, StackParams};
use crate::engine::fast::{summarize_public, StepResult};
use crate::engine::{Evaluator, OperatorTime, Report};
use crate::error::{invalid, Result};
use crate::hw::{Memory, System};
use crate::lower::{lower, Comm, OpKind};
use crate::network::{ResourceKind, Topology};
use crate::scenario::Scenario;
use crate::sim::{Picos, SimTime};
use crate::tiling::{Tiler, Tiling, STAGES};
use std::collections::HashMap;

/// The detailed engine.
#[derive(Clone, Debug)]
pub struct DetailedEngine {
    /// Repetitions simulated per layer class (the last one is measured).
    pub window_layers: u32,
    /// DRAM transactions simulated per kernel before sampling.
    pub request_budget: u64,
    /// Packet network parameters.
    pub packets: PacketConfig,
    /// Devices with more PEs than this are simulated as a slice of about this many PEs.
    pub max_slice_pes: u32,
}

impl Default for DetailedEngine {
    fn default() -> Self {
        DetailedEngine {
            window_layers: 2,
            request_budget: 60_000,
            packets: PacketConfig::default(),
            max_slice_pes: 16,
        }
    }
}

/// The detailed DRAM description of a system's memory.
pub fn dram_spec_for(system: &System) -> Result<DramSpec> {
    let spec = match &system.memory {
        Memory::Stacked(s) => {
            let p = StackParams {
                name: format!("{}-stack", system.name),
                total_layers: s.total_layers,
                connected_layers: s.connected_layers,
                channels_per_connected_layer: s.channels_per_connected_layer,
                banks_per_layer: s.banks_per_channel,
                bytes_per_transfer: s.bytes_per_transfer.round() as u32,
                transfers_per_clock: s.transfers_per_clock.round() as u32,
                memory_clock_hz: s.memory_clock_hz,
                capacity_per_layer_bytes: s.capacity_per_layer_bytes as u64,
                transaction_bytes: s.transaction_bytes.round() as u32,
                row_bytes: s.timing.row_bytes.round() as u32,
                sector_bytes: s.timing.sector_bytes.round() as u32,
                sector_cycles: s.timing.sector_cycles,
                recharge_cycles: s.timing.recharge_cycles,
                round_trip_latency_cycles: s.round_trip_latency_s * system.device.clock_hz,
                data_rate_hz: s.memory_clock_hz * s.transfers_per_clock,
                latency_clock_hz: system.device.clock_hz,
                refresh_interval_ns: s.refresh_interval_s * 1e9,
                refresh_cycle_ns: s.refresh_cycle_s * 1e9,
                jedec: None,
                link: None,
                queue_depth: 0,
            };
            DramSpec::from_stack(&p).map_err(|e| {
                invalid(
                    "system.memory",
                    e.to_string(),
                    "cannot be mapped onto the detailed DRAM model",
                )
            })?
        }
        Memory::Hbm(h) => {
            // One stack of the named technology, at the speed grade the system gives it
            // (GPUs run their HBM below the technology's top rate), then every stack.
            let mut spec = crate::dram::load_memory(&h.technology)
                .map_err(|e| invalid("system.memory.technology", &h.technology, e.to_string()))?
                .reclocked_to_peak(h.bandwidth_per_stack)
                .map_err(|e| {
                    invalid(
                        "system.memory.bandwidth_per_stack",
                        h.bandwidth_per_stack,
                        e.to_string(),
                    )
                })?;
            spec.org.channels *= h.stacks;
            spec
        }
    };
    Ok(spec)
}

/// The detailed engine's share of a kernel: the shared tiling laid out as DRAM traffic per
/// tile-iteration, and the share of tiles the simulated slice of the device runs.
fn tile_kernel(t: &Tiling, slice: u64, base_addr: u64) -> TileKernel {
    let tiles = t.tiles.max(1);
    let iters = t.iters.max(1);
    TileKernel {
        tiles: tiles.div_ceil(slice).max(1),
        iters,
        read_bytes_per_iter: (t.read_bytes / (tiles * iters) as f64).ceil().max(1.0) as u64,
        write_bytes_per_tile: (t.write_bytes / tiles as f64).ceil() as u64,
        flops_per_iter: t.flops_per_iter,
        tensor: t.tensor,
        tensor_rate: t.tensor_rate,
        base_addr,
        occupancy: t.occupancy,
    }
}

/// What one communication call cost on the packet network.
#[derive(Clone, Copy, Debug, Default)]
struct CommRun {
    time: Picos,
    events: u64,
    energy_j: f64,
}

struct Ctx<'a> {
    s: &'a Scenario,
    topo: &'a Topology,
    packets: &'a PacketConfig,
    /// Fastest algorithm per (op, dims, bytes), so repeated layers reuse the choice.
    choice: HashMap<(CollOp, Vec<crate::parallel::Dim>, u64), Algorithm>,
    events: u64,
}

impl Ctx<'_> {
    /// Run a collective on every group of its dimensions; chunks are released at the given
    /// offsets (one chunk per offset, the bytes split evenly) — a single chunk at 0 when
    /// there is no overlap. Returns the time from the first release to the last rank's end.
    fn comm(&mut self, c: &Comm, releases: &[Picos]) -> Result<CommRun> {
        let size: u32 = c.dims.iter().map(|&d| self.s.scheme.degree(d)).product();
        if size <= 1 || c.bytes <= 0.0 {
            return Ok(CommRun::default());
        }
        let groups = self.s.scheme.groups_of(&c.dims);
        let forced = if c.op == CollOp::AllReduce {
            self.s.options.algorithm
        } else {
            None
        };
        let key = (c.op, c.dims.clone(), c.bytes.to_bits());
        let candidates: Vec<Algorithm> = match (forced, self.choice.get(&key)) {
            (Some(a), _) => vec![a],
            (None, Some(&a)) => vec![a],
            (None, None) => {
                c.op.automatic_algorithms()
                    .filter(|&a| collective::applicable(c.op, a, &groups))
                    .collect()
            }
        };
        let chunks = releases.len().max(1) as f64;
        let mut best: Option<(Picos, Algorithm, f64)> = None;
        for a in candidates {
            let plan = net::plan(
                &self.s.system.network,
                &groups,
                false,
                c.op,
                a,
                c.bytes / chunks,
                self.packets.mapping,
            )?;
            let mut sim = net::NetworkSim::new(self.topo, self.packets, self.s.options.seed)?;
            let mut gates = Vec::new();
            for &r in releases
                .iter()
                .chain(std::iter::once(&Picos(0)).take(usize::from(releases.is_empty())))
            {
                let start = SimTime::ZERO + r;
                gates.push(net::add_schedule(&mut sim, &plan.steps, start)?);
            }
            sim.run()?;
            let end = gates
                .iter()
                .flat_map(|g| {
                    g.rank_done
                        .iter()
                        .map(|&(_, gate)| sim.gate_opened(gate).unwrap_or(SimTime::ZERO))
                })
                .max()
                .unwrap_or(SimTime::ZERO);
            self.events += sim.stats().events;
            let t = end - SimTime::ZERO;
            if best.is_none_or(|(bt, _, _)| t < bt) {
                let energy = self.network_energy(&plan.steps) * chunks;
                best = Some((t, a, energy));
            }
        }
        let Some((time, a, energy)) = best else {
            return Err(invalid("collective", c.op.name(), "no algorithm applies"));
        };
        self.choice.insert(key, a);
        Ok(CommRun {
            time,
            events: 0,
            energy_j: energy / self.s.system.devices() as f64,
        })
    }

    fn network_energy(&self, steps: &[collective::Step]) -> f64 {
        let mut route = Vec::new();
        let mut e = 0.0;
        for st in steps {
            for f in &st.flows {
                self.topo.route(f.src as usize, f.dst as usize, &mut route);
                for &r in &route {
                    let res = &self.topo.resources()[r as usize];
                    if let ResourceKind::Link { .. } = res.kind {
                        e += f.bytes
                            * st.repeat as f64
                            * 8.0
                            * self.s.system.power.network_pj(res.level as usize)
                            * 1e-12;
                    }
                }
            }
        }
        e
    }
}

impl DetailedEngine {
    fn compute_config(&self, s: &Scenario, spec: &DramSpec) -> ComputeConfig {
        let d = &s.system.device;
        let burst = (spec.org.bus_width_bits as u64 / 8) * spec.org.burst_length as u64;
        ComputeConfig {
            pes: s.system.pe_count().unwrap_or(1),
            occupancy: d.occupancy,
            tensor_flops_per_s: d.clock_hz * d.tensor_flops_per_cycle * d.compute_max_utilization,
            vector_flops_per_s: d.clock_hz * d.vector_flops_per_cycle * d.compute_max_utilization,
            stages: STAGES,
            kernel_overhead: Picos((d.kernel_overhead_s * 1e12).round() as u64),
            transaction_bytes: burst.max(32),
            request_budget: self.request_budget,
            min_sample_window: Picos(REFRESH_WINDOWS_PER_SAMPLE * spec.refresh_interval().0),
            capacity_bytes: spec_capacity(spec),
        }
    }
}

/// Refresh intervals the steady part of a sampled kernel spans at least.
const REFRESH_WINDOWS_PER_SAMPLE: u64 = 2;

/// The slice factor k: the largest divisor of the channel count that keeps at least
/// `max_pes` PEs (and one channel) in the slice.
fn slice_factor(pes: u32, channels: u32, max_pes: u32) -> u64 {
    let want = (pes / max_pes.max(1)).max(1);
    (1..=want.min(channels))
        .rev()
        .find(|k| channels.is_multiple_of(*k))
        .unwrap_or(1) as u64
}

fn spec_capacity(spec: &DramSpec) -> u64 {
    let o = &spec.org;
    o.channels as u64
        * o.ranks as u64
        * o.bankgroups as u64
        * o.banks_per_group as u64
        * o.rows as u64
        * o.columns as u64
        * (o.bus_width_bits as u64 / 8)
}

impl Evaluator for DetailedEngine {
    fn name(&self) -> &'static str {
        "detailed"
    }

    fn evaluate(&self, s: &Scenario) -> Result<Report> {
        let wall = std::time::Instant::now();
        let full_spec = dram_spec_for(&s.system)?;
        let topo = Topology::new(&s.system.network);
        let full_cfg = self.compute_config(s, &full_spec);
        // Large devices are simulated as a slice: 1/k of the PEs with 1/k of the channels
        // run 1/k of every kernel's tiles (the device is symmetric), so the per-kernel
        // transaction budget covers whole waves.
        let slice = slice_factor(full_cfg.pes, full_spec.org.channels, self.max_slice_pes);
        let mut spec = full_spec.clone();
        spec.org.channels /= slice as u32;
        let mut cfg = self.compute_config(s, &spec);
        cfg.pes = (full_cfg.pes as f64 / slice as f64).round().max(1.0) as u32;
        let tiler = Tiler::of(&s.system);
        let mut ctx = Ctx {
            s,
            topo: &topo,
            packets: &self.packets,
            choice: HashMap::new(),
            events: 0,
        };
        let p = &s.system.power;
        let mut steps = Vec::new();
        let mut events = 0u64;
        let mut simulated_layers = 0u32;
        for (point, kv) in s.workload.kv_points().into_iter().enumerate() {
            let plan = lower(s, kv);
            let mem = MemorySystem::new(&spec, s.options.seed.wrapping_add(point as u64)).map_err(
                |e| {
                    invalid(
                        "system.memory",
                        e.to_string(),
                        "detailed memory could not be built",
                    )
                },
            )?;
            let mut dev = DeviceSim::new(mem, cfg)?;
            let mut r = StepResult {
                tokens: plan.tokens_per_step,
                ..StepResult::default()
            };
            let mut layers_here = 0;
            for class in &plan.classes {
                let reps = class.count.min(self.window_layers).max(1);
                let mut last = (0.0, Vec::<OperatorTime>::new(), 0.0, 0.0, 0.0, 0.0, 0.0);
                for _ in 0..reps {
                    let mut time = 0.0;
                    let mut ops = Vec::new();
                    let (mut comp, mut memt, mut netx, mut over, mut energy) =
                        (0.0, 0.0, 0.0, 0.0, 0.0);
                    let mut last_kernel: Option<KernelRun> = None;
                    for (i, op) in class.ops.iter().enumerate() {
                        let base = (i as u64) << 32;
                        let (t, kind_energy) = match &op.kind {
                            OpKind::Gemm(g) => {
                                let run =
                                    dev.run_kernel(&tile_kernel(&tiler.gemm(g), slice, base))?;
                                let flops = 2.0 * g.m * g.n * g.k * g.count;
                                let e = flops * p.tensor_pj_per_flop / g.tensor_rate * 1e-12
                                    + run.dram_bytes * p.dram_pj_per_byte * 1e-12;
                                account(&run, &cfg, &mut comp, &mut memt, &mut over);
                                let t = run.time.as_secs_f64();
                                last_kernel = Some(run);
                                (t, e)
                            }
                            OpKind::Attention(a) => {
                                let run =
                                    dev.run_kernel(&tile_kernel(&tiler.attention(a), slice, base))?;
                                let flops = 2.0
                                    * a.batch
                                    * a.heads
                                    * a.q_len
                                    * a.kv_len
                                    * (a.qk_dim + a.v_dim);
                                let e = flops * p.tensor_pj_per_flop * 1e-12
                                    + run.dram_bytes * p.dram_pj_per_byte * 1e-12;
                                account(&run, &cfg, &mut comp, &mut memt, &mut over);
                                last_kernel = None;
                                (run.time.as_secs_f64(), e)
                            }
                            OpKind::Elementwise(el) => {
                                let run = dev.run_kernel(&tile_kernel(
                                    &tiler.elementwise(el),
                                    slice,
                                    base,
                                ))?;
                                let e = el.flops * p.vector_pj_per_flop * 1e-12
                                    + run.dram_bytes * p.dram_pj_per_byte * 1e-12;
                                account(&run, &cfg, &mut comp, &mut memt, &mut over);
                                last_kernel = None;
                                (run.time.as_secs_f64(), e)
                            }
                            OpKind::Comm(c) => {
                                let overlap = s.options.overlap && c.overlaps_gemm;
                                let (t, run) = match (&last_kernel, overlap) {
                                    (Some(k), true) if k.wave_ends.len() > 1 => {
                                        // Wave i's share leaves when wave i ends; what is
                                        // exposed is the time past the GEMM's end.
                                        let body = k.time.0.saturating_sub(cfg.kernel_overhead.0);
                                        let run = ctx.comm(c, &k.wave_ends)?;
                                        let exposed = run.time.0.saturating_sub(body);
                                        (Picos(exposed), run)
                                    }
                                    _ => {
                                        let run = ctx.comm(c, &[Picos(0)])?;
                                        (run.time, run)
                                    }
                                };
                                let launch = if run.time.0 > 0 {
                                    cfg.kernel_overhead
                                } else {
                                    Picos(0)
                                };
                                netx += t.as_secs_f64();
                                over += launch.as_secs_f64();
                                events += run.events;
                                // idle memory while the device waits for the network
                                let until = dev.memory().now() + t + launch;
                                let mut sink = Vec::new();
                                dev.memory().advance_to(until, &mut sink);
                                last_kernel = None;
                                ((t + launch).as_secs_f64(), run.energy_j)
                            }
                        };
                        time += t;
                        energy += kind_energy;
                        ops.push(OperatorTime {
                            class: class.name,
                            name: op.name,
                            time_s: t,
                        });
                    }
                    if let (Some(bytes), true) =
                        (plan.fsdp_gather_bytes_per_layer, class.name != "head")
                    {
                        // FSDP: the layer's weight shards are gathered over dp; with overlap
                        // the gather runs under the layer's compute, else before it.
                        let c = Comm {
                            op: CollOp::AllGather,
                            dims: vec![crate::parallel::Dim::Dp],
                            bytes: bytes / s.scheme.dp as f64,
                            overlaps_gemm: false,
                        };
                        let run = ctx.comm(&c, &[Picos(0)])?;
                        let comm = run.time.as_secs_f64();
                        let extra = if s.options.overlap {
                            (comm - time).max(0.0)
                        } else {
                            comm
                        };
                        time += extra;
                        netx += extra;
                        energy += run.energy_j;
                        ops.push(OperatorTime {
                            class: class.name,
                            name: "fsdp_all_gather",
                            time_s: extra,
                        });
                    }
                    last = (time, ops, comp, memt, netx, over, energy);
                }
                layers_here += reps;
                let n = class.count as f64;
                r.time_s += last.0 * n;
                r.compute_s += last.2 * n;
                r.memory_s += last.3 * n;
                r.exposed_net_s += last.4 * n;
                r.overhead_s += last.5 * n;
                r.dynamic_energy_j += last.6 * n;
                r.operators.extend(last.1.into_iter().map(|o| OperatorTime {
                    time_s: o.time_s * n,
                    ..o
                }));
            }
            if let Some(c) = &plan.pipeline {
                let run = ctx.comm(c, &[Picos(0)])?;
                r.time_s += run.time.as_secs_f64() + cfg.kernel_overhead.as_secs_f64();
                r.exposed_net_s += run.time.as_secs_f64();
                r.overhead_s += cfg.kernel_overhead.as_secs_f64();
                r.dynamic_energy_j += run.energy_j;
                r.operators.push(OperatorTime {
                    class: "pipeline",
                    name: "pp_send_recv",
                    time_s: run.time.as_secs_f64(),
                });
            }
            events += dev.events();
            simulated_layers = simulated_layers.max(layers_here.saturating_sub(1));
            steps.push(r);
        }
        events += ctx.events;
        let mut report = summarize_public(s, "detailed", &steps);
        let elapsed = wall.elapsed().as_secs_f64();
        report.simulated_layers = Some(simulated_layers.min(s.model.layers));
        report.events = Some(events);
        report.events_per_s = Some(events as f64 / elapsed.max(1e-9));
        report.effective_memory_bandwidth_bytes_per_s = s.system.bandwidth_chain().effective;
        report.eval_time_s = elapsed;
        Ok(report)
    }
}

/// Split a kernel's time into compute-bound and memory-bound parts by how busy the math
/// units were, and its launch overhead.
fn account(run: &KernelRun, cfg: &ComputeConfig, comp: &mut f64, mem: &mut f64, over: &mut f64) {
    let body = run.time.as_secs_f64() - cfg.kernel_overhead.as_secs_f64();
    let busy = run.busy_compute.as_secs_f64() / cfg.pes as f64;
    let c = busy.min(body).max(0.0);
    *comp += c;
    *mem += (body - c).max(0.0);
    *over += cfg.kernel_overhead.as_secs_f64();
}

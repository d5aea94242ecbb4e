//! Compute tiles on processing elements, driving the detailed DRAM model.
//!
//! A kernel is a grid of tiles. A block scheduler hands tiles to PEs as slots free up (each
//! PE holds `occupancy` tiles). A tile walks its iterations: it keeps up to `stages − 1`
//! iterations of operand loads in flight as real DRAM transactions (laid out
//! iteration-major, each tile's chunk of an iteration contiguous, so streaming is visible to
//! the row buffers), and an iteration's
//! math starts once its loads have all completed and the PE's tensor (or vector) unit is
//! free — the PE's resident tiles take turns on it. A finished tile writes its output and
//! frees its slot. The kernel ends when the last write completes.
//!
//! Sampling. Kernels whose DRAM transactions exceed a budget are simulated on a sample:
//! every full wave is represented by one simulated wave, and iterations are truncated to a
//! sampled count whose steady slope extrapolates to the full count (the sample grows until
//! its steady part spans `ComputeConfig::min_sample_window`); the tail wave is simulated
//! separately. A full wave followed by others costs its tiles' mean time, the last one its
//! slowest tile's. `KernelRun::sampled_fraction` reports how much was simulated.

use crate::dram::{Completion, EnqueueError, MemorySystem, Request};
use crate::error::{invalid, Result};
use crate::sim::{EventQueue, Picos, SimTime};
use std::collections::VecDeque;

/// Per-device compute resources of the detailed engine.
#[derive(Clone, Copy, Debug)]
pub struct ComputeConfig {
    /// Processing elements.
    pub pes: u32,
    /// Tiles resident per PE.
    pub occupancy: u32,
    /// Tensor FLOP/s of one PE at 16 bits (after the utilisation cap).
    pub tensor_flops_per_s: f64,
    /// Vector FLOP/s of one PE.
    pub vector_flops_per_s: f64,
    /// Software-pipeline stages.
    pub stages: u32,
    /// Launch cost per kernel.
    pub kernel_overhead: Picos,
    /// Bytes of one DRAM transaction.
    pub transaction_bytes: u64,
    /// DRAM transactions simulated per kernel before sampling starts.
    pub request_budget: u64,
    /// Shortest stretch of simulated time a sampled kernel's steady per-iteration slope
    /// is measured over (a few refresh intervals, so refresh weighs in as it does over the
    /// whole kernel); the sample grows until its steady part spans this.
    pub min_sample_window: Picos,
    /// Addressable bytes of the memory (addresses wrap inside it).
    pub capacity_bytes: u64,
}

/// One kernel in tile form, as the detailed engine cuts it.
#[derive(Clone, Copy, Debug)]
pub struct TileKernel {
    /// Tiles.
    pub tiles: u64,
    /// Iterations per tile.
    pub iters: u64,
    /// DRAM bytes read per tile-iteration.
    pub read_bytes_per_iter: u64,
    /// DRAM bytes written per tile at its end.
    pub write_bytes_per_tile: u64,
    /// FLOPs per tile-iteration.
    pub flops_per_iter: f64,
    /// Tensor-unit work (else vector).
    pub tensor: bool,
    /// Tensor rate multiplier (2 for FP8).
    pub tensor_rate: f64,
    /// Base address of the kernel's data.
    pub base_addr: u64,
    /// Tiles one PE can hold for this kernel (what its shared memory fits), capped by the
    /// device's occupancy.
    pub occupancy: u32,
}

/// Outcome of one kernel.
#[derive(Clone, Debug, Default)]
pub struct KernelRun {
    /// Duration, launch included.
    pub time: Picos,
    /// Completion time of each wave's worth of tiles (for tile-level overlap).
    pub wave_ends: Vec<Picos>,
    /// DRAM bytes moved (whole kernel, extrapolated when sampled).
    pub dram_bytes: f64,
    /// Time the PEs' math units were busy, summed over PEs (extrapolated).
    pub busy_compute: Picos,
    /// Events processed (this simulation's own plus the memory's).
    pub events: u64,
    /// Fraction of the kernel's transactions simulated.
    pub sampled_fraction: f64,
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    /// A PE's math unit finished an iteration of a tile slot.
    ComputeDone { slot: u32 },
}

#[derive(Clone, Debug, Default)]
struct Slot {
    active: bool,
    tile: u64,
    next_issue: u64,
    next_compute: u64,
    /// Outstanding loads of iterations next_compute .. next_issue, by iteration mod stages.
    pending: Vec<u32>,
    writes_pending: u32,
    waiting_for_unit: bool,
}

/// A sampled wave extrapolated to the kernel's full iteration count.
#[derive(Clone, Copy, Debug)]
struct WaveSample {
    /// Until the wave's slowest tile has finished.
    slowest: Picos,
    /// The wave's mean tile time (what a wave costs in a stream of waves).
    mean: Picos,
    /// Math-unit busy time of the wave.
    busy: Picos,
    /// Iterations simulated.
    iters: u64,
}

/// When the tiles of a simulated wave finished one iteration index, in picoseconds after
/// the run's start.
#[derive(Clone, Copy, Debug, Default)]
struct IterMark {
    /// The latest tile's finish.
    latest_ps: u64,
    /// Sum of the tiles' finishes.
    sum_ps: u64,
    /// Tiles that finished it.
    tiles: u64,
}

impl IterMark {
    fn record(&mut self, at_ps: u64) {
        self.latest_ps = self.latest_ps.max(at_ps);
        self.sum_ps += at_ps;
        self.tiles += 1;
    }

    fn latest(&self) -> f64 {
        self.latest_ps as f64
    }

    /// The mean tile's finish (0 when none finished it).
    fn mean(&self) -> f64 {
        if self.tiles == 0 {
            0.0
        } else {
            self.sum_ps as f64 / self.tiles as f64
        }
    }
}

/// One device: its memory and its PEs.
pub struct DeviceSim {
    mem: MemorySystem,
    cfg: ComputeConfig,
    events: u64,
    completions: Vec<Completion>,
    /// Per iteration index: when the simulated wave's tiles finished it.
    iter_marks: Vec<IterMark>,
}

impl DeviceSim {
    /// A device over an already built memory system.
    pub fn new(mem: MemorySystem, cfg: ComputeConfig) -> Result<DeviceSim> {
        if cfg.pes == 0 || cfg.occupancy == 0 || cfg.stages < 2 || cfg.transaction_bytes == 0 {
            return Err(invalid(
                "detailed.compute",
                format!("{cfg:?}"),
                "needs PEs, occupancy, ≥ 2 stages and a transaction size",
            ));
        }
        Ok(DeviceSim {
            mem,
            cfg,
            events: 0,
            completions: Vec::new(),
            iter_marks: Vec::new(),
        })
    }

    /// The memory system (for statistics).
    pub fn memory(&mut self) -> &mut MemorySystem {
        &mut self.mem
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events + self.mem.events_processed()
    }

    /// Run a kernel starting at the memory's current time; returns its timing.
    pub fn run_kernel(&mut self, k: &TileKernel) -> Result<KernelRun> {
        let occ = k.occupancy.clamp(1, self.cfg.occupancy);
        let slots_total = (self.cfg.pes * occ) as u64;
        let reqs_per_iter = k.read_bytes_per_iter.div_ceil(self.cfg.transaction_bytes);
        let total_reqs = k.tiles
            * (k.iters * reqs_per_iter
                + k.write_bytes_per_tile.div_ceil(self.cfg.transaction_bytes));
        let start = self.mem.now();
        if total_reqs <= self.cfg.request_budget || k.tiles == 0 {
            let (end, wave_ends, busy) = self.simulate(k, k.tiles, k.iters)?;
            let time = end - start;
            return Ok(KernelRun {
                time: time + self.cfg.kernel_overhead,
                wave_ends,
                dram_bytes: (k.tiles * (k.iters * k.read_bytes_per_iter + k.write_bytes_per_tile))
                    as f64,
                busy_compute: busy,
                events: 0,
                sampled_fraction: 1.0,
            });
        }
        // Sampled: one full wave and the tail wave, each run on truncated iterations; the
        // slope over the run's second half gives the steady per-iteration time free of the
        // pipeline's ramp. In a stream of full waves the block scheduler hands a freed slot
        // the next tile at once, so a wave costs its tiles' mean time; the kernel's last wave
        // waits for its slowest tile.
        let wave = slots_total.min(k.tiles);
        let full_waves = k.tiles / wave;
        let tail = k.tiles - full_waves * wave;
        let per_wave_reqs = wave * reqs_per_iter.max(1);
        let sim_iters = (self.cfg.request_budget / 3 / per_wave_reqs.max(1))
            .max(2 * self.cfg.stages as u64 + 2)
            .min(k.iters);
        let mut total = Picos(0);
        let mut wave_ends = Vec::new();
        let mut busy = Picos(0);
        let mut simulated = 0;
        for (count, tiles) in [(full_waves, wave), (u64::from(tail > 0), tail)] {
            if count == 0 || tiles == 0 {
                continue;
            }
            let sample = self.extrapolated(k, tiles, sim_iters)?;
            for i in 0..count {
                let last = i + 1 == count && (tail == 0 || tiles == tail);
                total += if last { sample.slowest } else { sample.mean };
                wave_ends.push(total);
            }
            busy += Picos(sample.busy.0 * count);
            simulated += tiles * sample.iters * reqs_per_iter;
        }
        Ok(KernelRun {
            time: total + self.cfg.kernel_overhead,
            wave_ends,
            dram_bytes: (k.tiles * (k.iters * k.read_bytes_per_iter + k.write_bytes_per_tile))
                as f64,
            busy_compute: busy,
            events: 0,
            sampled_fraction: (simulated as f64 / total_reqs.max(1) as f64).min(1.0),
        })
    }

    /// One wave of `tiles` tiles at the kernel's full iteration count, from a run at
    /// `sim_iters` iterations (more when the steady part of the run is shorter than
    /// [`ComputeConfig::min_sample_window`]), extrapolated linearly in the iteration count.
    fn extrapolated(&mut self, k: &TileKernel, tiles: u64, sim_iters: u64) -> Result<WaveSample> {
        let mut sim_iters = sim_iters.min(k.iters);
        loop {
            let t0 = self.mem.now();
            let (end, _, busy) = self.simulate(k, tiles, sim_iters)?;
            let slowest = (end - t0).0 as f64;
            let finished = self.iter_marks.last().copied().unwrap_or_default();
            let mean = if finished.tiles > 0 {
                // the mean tile also writes its output: add the slowest tile's write tail
                finished.mean() + (slowest - finished.latest()).max(0.0)
            } else {
                slowest
            };
            if sim_iters >= k.iters {
                return Ok(WaveSample {
                    slowest: Picos(slowest.round() as u64),
                    mean: Picos(mean.min(slowest).round() as u64),
                    busy,
                    iters: sim_iters,
                });
            }
            let half = (sim_iters / 2).max(1);
            let slowest_mark = |i: u64| {
                self.iter_marks
                    .get(i as usize)
                    .map_or(0.0, IterMark::latest)
            };
            let mean_mark = |i: u64| self.iter_marks.get(i as usize).map_or(0.0, IterMark::mean);
            let window = slowest_mark(sim_iters - 1) - slowest_mark(half - 1);
            let wanted = self.cfg.min_sample_window.0 as f64;
            if window < wanted && window > 0.0 {
                let grown = (sim_iters as f64 * wanted / window * 1.1).ceil() as u64;
                sim_iters = grown.max(sim_iters + 1).min(k.iters);
                continue;
            }
            let steps = (sim_iters - half) as f64;
            let rest = (k.iters - sim_iters) as f64;
            let slope = |w: f64, fallback: f64| if w > 0.0 { w / steps } else { fallback };
            let slowest_slope = slope(window, slowest / sim_iters as f64);
            let mean_slope = slope(
                mean_mark(sim_iters - 1) - mean_mark(half - 1),
                mean / sim_iters as f64,
            );
            let full_slowest = slowest + slowest_slope * rest;
            let full_mean = (mean + mean_slope * rest).min(full_slowest);
            let scale = k.iters as f64 / sim_iters as f64;
            return Ok(WaveSample {
                slowest: Picos(full_slowest.round() as u64),
                mean: Picos(full_mean.round() as u64),
                busy: Picos((busy.0 as f64 * scale).round() as u64),
                iters: sim_iters,
            });
        }
    }

    /// Simulate `tiles` tiles of `iters` iterations; returns (end time, wave end offsets,
    /// math-unit busy time).
    fn simulate(
        &mut self,
        k: &TileKernel,
        tiles: u64,
        iters: u64,
    ) -> Result<(SimTime, Vec<Picos>, Picos)> {
        let cfg = self.cfg;
        let start = self.mem.now();
        self.iter_marks.clear();
        self.iter_marks.resize(iters as usize, IterMark::default());
        let stages = cfg.stages as u64;
        let occ = k.occupancy.clamp(1, cfg.occupancy) as usize;
        let nslots = cfg.pes as usize * occ;
        let mut slots: Vec<Slot> = vec![
            Slot {
                pending: vec![0; stages as usize],
                ..Slot::default()
            };
            nslots
        ];
        let mut unit_busy = vec![false; cfg.pes as usize];
        let mut unit_queue: Vec<VecDeque<u32>> = vec![VecDeque::new(); cfg.pes as usize];
        let mut queue: EventQueue<Ev> = EventQueue::new();
        queue.advance_now(start).map_err(|e| {
            invalid(
                "detailed.compute",
                e.to_string(),
                "event time went backwards",
            )
        })?;
        let mut backlog: VecDeque<Request> = VecDeque::new();
        let mut next_tile = 0u64;
        let mut done_tiles = 0u64;
        let mut wave_ends = Vec::new();
        let wave = nslots as u64;
        let reqs_per_iter = k.read_bytes_per_iter.div_ceil(cfg.transaction_bytes);
        let writes_per_tile = k.write_bytes_per_tile.div_ceil(cfg.transaction_bytes);
        // Operands are laid out iteration-major, as row-major operands are: the chunks every
        // tile reads at iteration i sit side by side (tile after tile), each a whole number of
        // transactions, so tiles working on the same iteration stream from neighbouring
        // rows across the channels and layers. Outputs follow all operands, tile after tile.
        let iter_stride = reqs_per_iter.max(1) * cfg.transaction_bytes;
        let iter_block = k.tiles.max(1) * iter_stride;
        let write_bytes = writes_per_tile * cfg.transaction_bytes;
        let outputs_base = k.iters * iter_block;
        let rate = if k.tensor {
            cfg.tensor_flops_per_s * k.tensor_rate
        } else {
            cfg.vector_flops_per_s
        };
        let iter_time = Picos(((k.flops_per_iter / rate.max(1.0)) * 1e12).round().max(0.0) as u64);
        let mut busy_total = Picos(0);
        let cap = cfg.capacity_bytes.max(cfg.transaction_bytes * 2);
        // Request ids: slot (high bits) | kind (iteration slot or write) (low bits).
        let id_of = |slot: u32, stage: u64, write: bool| -> u64 {
            ((slot as u64) << 16) | if write { 0xFFFF } else { stage }
        };

        // Issue the loads of iteration `it` of slot `s`.
        macro_rules! issue_loads {
            ($s:expr, $it:expr, $now:expr) => {{
                let s = $s as usize;
                let tile = slots[s].tile;
                let stage = $it % stages;
                slots[s].pending[stage as usize] = reqs_per_iter as u32;
                for r in 0..reqs_per_iter {
                    let off =
                        ($it * iter_block + tile * iter_stride + r * cfg.transaction_bytes) % cap;
                    let addr =
                        (k.base_addr + off) % cap / cfg.transaction_bytes * cfg.transaction_bytes;
                    backlog.push_back(Request {
                        id: id_of($s as u32, stage, false),
                        addr,
                        is_write: false,
                        arrival: $now,
                    });
                }
                slots[s].next_issue = $it + 1;
            }};
        }

        // A tile has finished: count it (closing a wave every `wave` tiles) and hand its
        // slot to the next tile, whose first loads go out at once.
        macro_rules! finish_tile {
            ($s:expr, $at:expr) => {{
                let s = $s;
                done_tiles += 1;
                if done_tiles.is_multiple_of(wave) {
                    wave_ends.push($at - start);
                }
                slots[s].active = false;
                if next_tile < tiles {
                    slots[s] = Slot {
                        active: true,
                        tile: next_tile,
                        pending: vec![0; stages as usize],
                        ..Slot::default()
                    };
                    next_tile += 1;
                    let first = stages.saturating_sub(1).min(iters);
                    for it in 0..first {
                        issue_loads!(s, it, $at);
                    }
                }
            }};
        }

        let mut now = start;
        // Slots whose state changed and may be able to start computing.
        let mut dirty: Vec<usize> = (0..nslots).collect();
        // Fill the slots.
        for s in 0..nslots.min(tiles as usize) {
            slots[s].active = true;
            slots[s].tile = next_tile;
            next_tile += 1;
            let first = stages.saturating_sub(1).min(iters);
            for it in 0..first {
                issue_loads!(s, it, now);
            }
        }
        let try_start = |s: usize,
                         now: SimTime,
                         slots: &mut Vec<Slot>,
                         unit_busy: &mut Vec<bool>,
                         unit_queue: &mut Vec<VecDeque<u32>>,
                         queue: &mut EventQueue<Ev>|
         -> Result<bool> {
            let sl = &slots[s];
            if !sl.active || sl.waiting_for_unit || sl.next_compute >= iters {
                return Ok(false);
            }
            let stage = (sl.next_compute % stages) as usize;
            if sl.pending[stage] > 0 || sl.next_compute >= sl.next_issue {
                return Ok(false);
            }
            let pe = s / occ;
            if unit_busy[pe] {
                slots[s].waiting_for_unit = true;
                unit_queue[pe].push_back(s as u32);
                return Ok(false);
            }
            unit_busy[pe] = true;
            queue
                .schedule(now + iter_time, Ev::ComputeDone { slot: s as u32 })
                .map_err(|e| invalid("detailed.compute", e.to_string(), "scheduling failed"))?;
            Ok(true)
        };

        loop {
            // Push the backlog into the memory as far as its queues allow.
            while let Some(req) = backlog.front().copied() {
                let req = Request {
                    arrival: req.arrival.max(self.mem.now()),
                    ..req
                };
                match self.mem.try_enqueue(req) {
                    Ok(()) => {
                        backlog.pop_front();
                    }
                    Err(EnqueueError::QueueFull { .. }) => break,
                    Err(e) => {
                        return Err(invalid("detailed.dram", e.to_string(), "request refused"))
                    }
                }
            }
            // Start whatever can compute now.
            dirty.sort_unstable();
            dirty.dedup();
            for s in std::mem::take(&mut dirty) {
                if try_start(
                    s,
                    now,
                    &mut slots,
                    &mut unit_busy,
                    &mut unit_queue,
                    &mut queue,
                )? {
                    // issue the next load now that a stage buffer is being consumed
                    let it = slots[s].next_compute + stages - 1;
                    if it < iters && slots[s].next_issue == it {
                        issue_loads!(s, it, now);
                    }
                }
            }
            if done_tiles >= tiles && backlog.is_empty() {
                break;
            }
            let t_ev = queue.peek_time();
            let t_mem = self.mem.next_event_time();
            let next = match (t_ev, t_mem) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => {
                    return Err(invalid(
                        "detailed.compute",
                        format!("{done_tiles}/{tiles} tiles"),
                        "the kernel stalled with nothing in flight",
                    ))
                }
            };
            now = next;
            self.completions.clear();
            self.mem.advance_to(now, &mut self.completions);
            for c in std::mem::take(&mut self.completions) {
                let s = (c.id >> 16) as usize;
                let kind = c.id & 0xFFFF;
                dirty.push(s);
                if kind == 0xFFFF {
                    slots[s].writes_pending = slots[s].writes_pending.saturating_sub(1);
                    if slots[s].writes_pending == 0
                        && slots[s].active
                        && slots[s].next_compute >= iters
                    {
                        finish_tile!(s, c.done);
                    }
                } else {
                    let p = &mut slots[s].pending[kind as usize];
                    *p = p.saturating_sub(1);
                }
            }
            while let Some((t, ev)) = queue.pop_until(now) {
                self.events += 1;
                let Ev::ComputeDone { slot } = ev;
                let s = slot as usize;
                dirty.push(s);
                let pe = s / occ;
                unit_busy[pe] = false;
                busy_total += iter_time;
                slots[s].next_compute += 1;
                let done_iter = slots[s].next_compute as usize - 1;
                if let Some(m) = self.iter_marks.get_mut(done_iter) {
                    m.record((t - start).0);
                }
                if slots[s].next_compute >= iters {
                    // write the output
                    if writes_per_tile == 0 {
                        finish_tile!(s, t);
                    } else {
                        slots[s].writes_pending = writes_per_tile as u32;
                        let tile = slots[s].tile;
                        for w in 0..writes_per_tile {
                            let off =
                                (outputs_base + tile * write_bytes + w * cfg.transaction_bytes)
                                    % cap;
                            backlog.push_back(Request {
                                id: id_of(slot, 0, true),
                                addr: (k.base_addr + off) % cap / cfg.transaction_bytes
                                    * cfg.transaction_bytes,
                                is_write: true,
                                arrival: t,
                            });
                        }
                    }
                }
                // hand the unit to a waiting tile of this PE
                if let Some(w) = unit_queue[pe].pop_front() {
                    slots[w as usize].waiting_for_unit = false;
                    dirty.push(w as usize);
                }
            }
        }
        if !(done_tiles).is_multiple_of(wave) {
            wave_ends.push(now - start);
        }
        Ok((now, wave_ends, busy_total))
    }
}

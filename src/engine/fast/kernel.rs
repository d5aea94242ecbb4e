//! Tile/wave kernel model. A kernel is a grid of tiles; each tile loops over `iters`
//! iterations, each moving some DRAM and shared-memory bytes and doing some FLOPs. Tiles run
//! in waves of `PEs × occupancy`; DRAM bandwidth is shared by the *active* PEs of a wave (so a
//! tail wave's tiles each get more), capped per PE by its outstanding-request buffering. A
//! tile is software-pipelined over S stages: a memory-only prologue, a steady state at the
//! slower of memory and compute, and a compute-only epilogue; each wave also pays one DRAM
//! round trip to fill the pipeline. DRAM volume is rounded up to whole transaction waves.

use crate::hw::System;
use crate::lower::{AttentionCore, Elementwise, Gemm};

/// Per-device rates the kernel model needs, derived once per system.
#[derive(Clone, Copy, Debug)]
pub struct DeviceRates {
    /// Processing elements.
    pub pes: f64,
    /// Most tiles resident per PE.
    pub occupancy: f64,
    /// Shared memory per PE, bytes.
    pub smem_bytes: f64,
    /// 16-bit tensor FLOP/s of one PE after the utilisation cap.
    pub tensor_per_pe: f64,
    /// Vector FLOP/s of one PE after the cap.
    pub vector_per_pe: f64,
    /// Effective DRAM bandwidth of the device (bandwidth chain), bytes/s.
    pub dram_bw: f64,
    /// Most DRAM bandwidth one PE can sustain (buffering / round trip), bytes/s.
    pub dram_bw_per_pe_cap: f64,
    /// Shared-memory port of one PE, bytes/s.
    pub smem_bw_per_pe: f64,
    /// DRAM round trip, seconds.
    pub round_trip_s: f64,
    /// Fixed launch cost per kernel, seconds.
    pub kernel_overhead_s: f64,
    /// DRAM bytes per transaction wave (rounding granule).
    pub wave_bytes: f64,
    /// Software pipeline stages.
    pub stages: f64,
    /// Rows of the smallest tensor instruction.
    pub mma_min_m: f64,
}

impl DeviceRates {
    /// Tiles a PE holds at once: as many as its shared memory fits (every pipeline stage of
    /// each), up to the device's occupancy limit.
    pub fn occupancy_for(&self, smem_bytes_per_iter: f64) -> f64 {
        (self.smem_bytes / (self.stages * smem_bytes_per_iter.max(1.0)))
            .floor()
            .clamp(1.0, self.occupancy)
    }

    /// Derive from a validated system.
    pub fn of(system: &System) -> DeviceRates {
        let d = &system.device;
        let pes = system.pe_count().unwrap_or(1) as f64;
        let chain = system.bandwidth_chain();
        let buffering = match &system.memory {
            crate::hw::Memory::Stacked(s) => s.buffering_factor,
            crate::hw::Memory::Hbm(h) => h.buffering_factor,
        };
        let rtt = system.memory.round_trip_latency_s();
        DeviceRates {
            pes,
            occupancy: d.occupancy as f64,
            smem_bytes: d.smem_bytes,
            tensor_per_pe: d.clock_hz * d.tensor_flops_per_cycle * d.compute_max_utilization,
            vector_per_pe: d.clock_hz * d.vector_flops_per_cycle * d.compute_max_utilization,
            dram_bw: chain.effective,
            dram_bw_per_pe_cap: d.smem_bytes / (rtt * buffering) * d.memory_max_utilization,
            smem_bw_per_pe: d.smem_bytes_per_cycle * d.clock_hz,
            round_trip_s: rtt,
            kernel_overhead_s: d.kernel_overhead_s,
            wave_bytes: system.memory.wave_bytes(),
            stages: 3.0,
            mma_min_m: d.mma_min_m as f64,
        }
    }
}

/// A kernel in tile form.
#[derive(Clone, Copy, Debug, Default)]
pub struct TiledKernel {
    /// Tiles in the grid.
    pub tiles: f64,
    /// Iterations per tile.
    pub iters: f64,
    /// DRAM bytes of the whole kernel (before transaction rounding).
    pub dram_bytes: f64,
    /// Shared-memory bytes per tile-iteration.
    pub smem_bytes_per_iter: f64,
    /// FLOPs per tile-iteration (as issued, padding included).
    pub flops_per_iter: f64,
    /// Runs on the tensor units (else the vector units).
    pub tensor: bool,
    /// Tensor rate multiplier (2 for FP8).
    pub tensor_rate: f64,
    /// Useful FLOPs (for energy).
    pub useful_flops: f64,
}

/// Timing of one kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KernelTime {
    /// Total, launch included, seconds.
    pub total_s: f64,
    /// Share bound by compute, seconds.
    pub compute_s: f64,
    /// Share bound by memory, seconds.
    pub memory_s: f64,
    /// Launch overhead, seconds.
    pub overhead_s: f64,
    /// Thread-block waves.
    pub waves: f64,
    /// DRAM bytes moved (after rounding).
    pub dram_bytes: f64,
    /// Shared-memory bytes moved.
    pub smem_bytes: f64,
    /// Useful FLOPs.
    pub flops: f64,
    /// Whether they ran on tensor units.
    pub tensor: bool,
}

/// Time a tiled kernel.
pub fn time_kernel(r: &DeviceRates, k: &TiledKernel) -> KernelTime {
    let tiles = k.tiles.max(1.0);
    let iters = k.iters.max(1.0);
    let dram = if r.wave_bytes > 0.0 {
        (k.dram_bytes / r.wave_bytes).ceil() * r.wave_bytes
    } else {
        k.dram_bytes
    };
    let dram_per_iter = dram / (tiles * iters);
    let occupancy = r.occupancy_for(k.smem_bytes_per_iter);
    let per_wave = (r.pes * occupancy).max(1.0);
    let full_waves = (tiles / per_wave).floor();
    let tail = tiles - full_waves * per_wave;
    let flops_rate = if k.tensor {
        r.tensor_per_pe * k.tensor_rate
    } else {
        r.vector_per_pe
    };
    let s = r.stages;
    let mut total = 0.0;
    let mut compute_bound = 0.0;
    let mut memory_bound = 0.0;
    let mut wave = |active_tiles: f64, count: f64| {
        if active_tiles <= 0.0 || count <= 0.0 {
            return;
        }
        let active_pes = (active_tiles / occupancy).ceil().min(r.pes).max(1.0);
        let tiles_per_pe = active_tiles / active_pes;
        // A PE keeps (S − 1) stages of its tiles' DRAM loads in flight; Little's law bounds
        // what that draws over one round trip (operands served by L2 do not wait on DRAM).
        // The round trip is loaded: every byte in flight from all active PEs must also be
        // served by the DRAM, which adds the time to drain them (a closed queue).
        let in_flight = (s - 1.0).max(1.0) * dram_per_iter * tiles_per_pe;
        let loaded_rtt = r.round_trip_s + in_flight * active_pes / r.dram_bw;
        let pe_bw = (r.dram_bw / active_pes)
            .min(r.dram_bw_per_pe_cap)
            .min(in_flight / loaded_rtt);
        let mem_t = (dram_per_iter * tiles_per_pe / pe_bw)
            .max(k.smem_bytes_per_iter * tiles_per_pe / r.smem_bw_per_pe);
        let comp_t = k.flops_per_iter * tiles_per_pe / flops_rate;
        let body = if iters >= s {
            (s - 1.0) * mem_t + (iters - (s - 1.0)) * mem_t.max(comp_t) + (s - 1.0) * comp_t
        } else {
            iters * (mem_t + comp_t)
        };
        let t = body + r.round_trip_s;
        total += t * count;
        if comp_t >= mem_t {
            compute_bound += t * count;
        } else {
            memory_bound += t * count;
        }
    };
    wave(per_wave, full_waves);
    wave(tail, 1.0);
    let waves = full_waves + if tail > 0.0 { 1.0 } else { 0.0 };
    KernelTime {
        total_s: total + r.kernel_overhead_s,
        compute_s: compute_bound,
        memory_s: memory_bound,
        overhead_s: r.kernel_overhead_s,
        waves,
        dram_bytes: dram,
        smem_bytes: k.smem_bytes_per_iter * tiles * iters,
        flops: k.useful_flops,
        tensor: k.tensor,
    }
}

fn round_up(x: f64, to: f64) -> f64 {
    (x / to).ceil() * to
}

/// Tile a GEMM: block tile (tb_m × tb_n × 64), M padded to the tensor instruction's rows,
/// split-K when the output grid is too small to fill the device.
pub fn gemm_kernel(r: &DeviceRates, g: &Gemm) -> TiledKernel {
    let tb_m = if g.m <= 64.0 {
        round_up(g.m.max(1.0), r.mma_min_m).min(128.0)
    } else {
        128.0
    };
    let tb_n = if g.m <= 64.0 { 128.0 } else { 256.0 };
    let tb_k = 64.0;
    let out_tiles = (g.m / tb_m).ceil() * (g.n / tb_n).ceil() * g.count;
    let k_iters = (g.k / tb_k).ceil();
    let slots = r.pes * r.occupancy_for(tb_m * tb_k * g.act_bytes + tb_k * tb_n * g.weight_bytes);
    let split = if out_tiles < slots {
        (slots / out_tiles)
            .floor()
            .min((k_iters / r.stages).floor())
            .max(1.0)
    } else {
        1.0
    };
    let a = g.m * g.k * g.act_bytes * g.count;
    let b = g.k * g.n * g.weight_bytes * g.count;
    let c = g.m * g.n * g.act_bytes * g.count;
    let partials = if split > 1.0 {
        2.0 * g.m * g.n * 4.0 * split * g.count
    } else {
        0.0
    };
    TiledKernel {
        tiles: out_tiles * split,
        iters: (k_iters / split).ceil(),
        dram_bytes: a + b + c + partials,
        smem_bytes_per_iter: tb_m * tb_k * g.act_bytes + tb_k * tb_n * g.weight_bytes,
        flops_per_iter: 2.0 * tb_m * tb_n * tb_k,
        tensor: true,
        tensor_rate: g.tensor_rate,
        useful_flops: 2.0 * g.m * g.n * g.k * g.count,
    }
}

/// Tile attention (flash style): one tile per (sequence, KV head, query block, KV chunk); the
/// KV chunk count grows until the device is full (split-KV decoding). Queries sharing a KV
/// head are batched into the tensor instruction's rows, padded to its minimum M.
pub fn attention_kernel(r: &DeviceRates, a: &AttentionCore) -> TiledKernel {
    let group = (a.heads / a.kv_heads).max(1.0);
    let q_rows = group * a.q_len;
    let tb_m = if q_rows <= 64.0 {
        round_up(q_rows, r.mma_min_m).min(128.0)
    } else {
        128.0
    };
    let q_blocks = (q_rows / tb_m).ceil();
    let chunk = 64.0;
    let kv_iters_total = (a.kv_len / chunk).ceil().max(1.0);
    let base_tiles = a.batch * a.kv_heads.max(1.0) * q_blocks;
    let slots = r.pes * r.occupancy_for(chunk * (a.qk_dim + a.v_dim) * a.kv_bytes);
    let splits = if base_tiles < slots {
        (slots / base_tiles).floor().min(kv_iters_total).max(1.0)
    } else {
        1.0
    };
    let kv_read = a.batch * a.kv_stored * a.kv_token_bytes;
    let q_io = 2.0 * a.batch * a.q_len * a.heads * (a.qk_dim + a.v_dim) * a.act_bytes;
    let new_kv = a.batch * a.q_len * a.kv_token_bytes;
    let partials = if splits > 1.0 {
        2.0 * a.batch * a.heads * a.q_len * (a.v_dim + 2.0) * 4.0 * splits
    } else {
        0.0
    };
    let useful = 2.0 * a.batch * a.heads * a.q_len * a.kv_len * (a.qk_dim + a.v_dim);
    TiledKernel {
        tiles: base_tiles * splits,
        iters: (kv_iters_total / splits).ceil(),
        dram_bytes: kv_read + q_io + new_kv + partials,
        smem_bytes_per_iter: chunk * (a.qk_dim + a.v_dim) * a.kv_bytes,
        flops_per_iter: 2.0 * tb_m * chunk * (a.qk_dim + a.v_dim),
        tensor: true,
        tensor_rate: 1.0,
        useful_flops: useful,
    }
}

/// Tile an element-wise kernel: 32 KiB per tile-iteration, vector units.
pub fn elementwise_kernel(r: &DeviceRates, e: &Elementwise) -> TiledKernel {
    let chunk = 32768.0;
    let pieces = (e.bytes / chunk).ceil().max(1.0);
    let slots = r.pes * r.occupancy;
    let tiles = pieces.min(slots);
    let iters = (pieces / tiles).ceil();
    TiledKernel {
        tiles,
        iters,
        dram_bytes: e.bytes,
        smem_bytes_per_iter: e.bytes / (tiles * iters),
        flops_per_iter: e.flops / (tiles * iters),
        tensor: false,
        tensor_rate: 1.0,
        useful_flops: e.flops,
    }
}

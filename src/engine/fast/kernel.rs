//! Tile/wave kernel model. A kernel is a grid of tiles (cut by [`crate::tiling`], the same
//! tiles the detailed engine runs); each tile loops over `iters` iterations, each moving some
//! DRAM and shared-memory bytes and doing some FLOPs. Tiles run
//! in waves of `PEs × occupancy`; DRAM bandwidth is shared by the *active* PEs of a wave (so a
//! tail wave's tiles each get more), capped per PE by its outstanding-request buffering. A
//! tile is software-pipelined over S stages: a memory-only prologue, a steady state at the
//! slower of memory and compute, and a compute-only epilogue; each wave also pays one DRAM
//! round trip to fill the pipeline. DRAM volume is rounded up to whole transaction waves.

use crate::hw::System;
use crate::tiling::{Tiling, STAGES};

/// Per-device rates the kernel model needs, derived once per system.
#[derive(Clone, Debug)]
pub struct DeviceRates {
    /// Processing elements.
    pub pes: f64,
    /// 16-bit tensor FLOP/s of one PE after the utilisation cap.
    pub tensor_per_pe: f64,
    /// Vector FLOP/s of one PE after the cap.
    pub vector_per_pe: f64,
    /// Effective DRAM bandwidth of the device (bandwidth chain), bytes/s.
    pub dram_bw: f64,
    /// The chain before its utilisation cap: the rate the DRAM serves queued loads at.
    pub dram_service_bw: f64,
    /// Most DRAM bandwidth one PE can sustain (buffering / round trip), bytes/s.
    pub dram_bw_per_pe_cap: f64,
    /// Shared-memory port of one PE, bytes/s.
    pub smem_bw_per_pe: f64,
    /// DRAM round trip, seconds.
    pub round_trip_s: f64,
    /// The stack whose row, port and refresh timing add to a load's latency (none for
    /// HBM, whose round trip is taken as measured).
    pub stack: Option<crate::hw::Stack3d>,
    /// Fixed launch cost per kernel, seconds.
    pub kernel_overhead_s: f64,
    /// DRAM bytes per transaction wave (rounding granule).
    pub wave_bytes: f64,
    /// Software pipeline stages.
    pub stages: f64,
}

impl DeviceRates {
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
            tensor_per_pe: d.clock_hz * d.tensor_flops_per_cycle * d.compute_max_utilization,
            vector_per_pe: d.clock_hz * d.vector_flops_per_cycle * d.compute_max_utilization,
            dram_bw: chain.effective,
            dram_service_bw: chain.after_port,
            dram_bw_per_pe_cap: d.smem_bytes / (rtt * buffering) * d.memory_max_utilization,
            smem_bw_per_pe: d.smem_bytes_per_cycle * d.clock_hz,
            round_trip_s: rtt,
            stack: match &system.memory {
                crate::hw::Memory::Stacked(s) => Some(s.clone()),
                crate::hw::Memory::Hbm(_) => None,
            },
            kernel_overhead_s: d.kernel_overhead_s,
            wave_bytes: system.memory.wave_bytes(),
            stages: STAGES as f64,
        }
    }
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
pub fn time_kernel(r: &DeviceRates, k: &Tiling) -> KernelTime {
    let tiles = (k.tiles as f64).max(1.0);
    let iters = (k.iters as f64).max(1.0);
    let dram = if r.wave_bytes > 0.0 {
        (k.dram_bytes() / r.wave_bytes).ceil() * r.wave_bytes
    } else {
        k.dram_bytes()
    };
    let dram_per_iter = dram / (tiles * iters);
    let occupancy = f64::from(k.occupancy.max(1));
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
        // The round trip is loaded: the loads of all active PEs form a closed queue (K loads
        // cycling through a delay and a server at the chain's bandwidth) solved by mean-value
        // analysis with Schweitzer's approximation. The delay is the unloaded round trip; on
        // a stack, whose description has the rows, ports and refresh, it also holds what one
        // load waits for on idle channels (opening its rows, streaming a row through one
        // port), and while the stack refreshes the loads in flight wait, so the rate scales
        // by the time it is available.
        let in_flight = (s - 1.0).max(1.0) * dram_per_iter * tiles_per_pe;
        let loads = (s - 1.0).max(1.0) * tiles_per_pe * active_pes;
        let delay = r.round_trip_s
            + r.stack
                .as_ref()
                .map_or(0.0, |st| st.load_latency_extra_s(dram_per_iter));
        let loaded_rtt =
            delay + closed_queue_residence(loads, dram_per_iter / r.dram_service_bw, delay);
        let availability = r.stack.as_ref().map_or(1.0, |st| st.refresh_availability());
        let pe_bw = (r.dram_bw / active_pes)
            .min(r.dram_bw_per_pe_cap)
            .min(in_flight / loaded_rtt * availability);
        let mem_t = (dram_per_iter * tiles_per_pe / pe_bw)
            .max(k.smem_bytes_per_iter * tiles_per_pe / r.smem_bw_per_pe);
        let comp_t = k.flops_per_iter * tiles_per_pe / flops_rate;
        let mut body = if iters >= s {
            (s - 1.0) * mem_t + (iters - (s - 1.0)) * mem_t.max(comp_t) + (s - 1.0) * comp_t
        } else {
            iters * (mem_t + comp_t)
        };
        // A compute-bound pipeline rides out a refresh on its buffered stages: what the
        // stages' compute does not cover beyond a load's latency stalls the math once per
        // refresh interval (a memory-bound one already runs at the availability above).
        if let Some(st) = r.stack.as_ref().filter(|_| comp_t > mem_t) {
            if st.refresh_interval_s > 0.0 {
                let slack = (s - 1.0) * comp_t - loaded_rtt;
                let exposed = (st.refresh_cycle_s - slack).clamp(0.0, st.refresh_cycle_s);
                body *= 1.0 + exposed / st.refresh_interval_s;
            }
        }
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

/// Residence time at the server of a closed queue of `customers` jobs that alternate between
/// a delay of `delay` seconds and one FIFO server of `demand` seconds per job — mean-value
/// analysis with Schweitzer's approximation Q(K − 1) ≈ Q(K)·(K − 1)/K, whose fixed point
/// is the positive root of R² + (Z − D·K)·R − D·Z = 0. One job waits for nobody (R = D);
/// many saturate the server (throughput K / (Z + R) → 1 / D).
pub fn closed_queue_residence(customers: f64, demand: f64, delay: f64) -> f64 {
    let k = customers.max(1.0);
    let b = demand * k - delay;
    (b + (b * b + 4.0 * demand * delay).sqrt()) / 2.0
}

#[cfg(test)]
mod tests {
    use super::closed_queue_residence;

    #[test]
    fn closed_queue_limits() {
        // One customer: no queueing.
        assert!((closed_queue_residence(1.0, 2e-9, 150e-9) - 2e-9).abs() < 1e-15);
        // Many customers: throughput K / (Z + R) approaches the server's 1 / D.
        let (k, d, z) = (1000.0, 1e-9, 150e-9);
        let x = k / (z + closed_queue_residence(k, d, z));
        assert!((x * d - 1.0).abs() < 1e-3, "{x}");
        // Light load: residence stays close to the demand.
        let r = closed_queue_residence(4.0, 1e-9, 150e-9);
        assert!(r > 1e-9 && r < 1.1e-9, "{r}");
    }
}

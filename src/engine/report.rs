//! The common currency of both engines: one `Report` per evaluated scenario.

use serde::Serialize;

/// Time spent on one operator over a whole step (all its layers).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OperatorTime {
    /// Layer class (`dense`, `moe`, `head`, `pipeline`).
    pub class: &'static str,
    /// Operator name.
    pub name: &'static str,
    /// Seconds per step (all repetitions).
    pub time_s: f64,
}

/// Where a step's time goes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Breakdown {
    /// Kernel time bound by the tensor/vector units.
    pub compute_s: f64,
    /// Kernel time bound by DRAM (or shared memory) bandwidth.
    pub memory_s: f64,
    /// Communication time not hidden behind compute.
    pub exposed_network_s: f64,
    /// Fixed per-kernel launch overheads.
    pub overhead_s: f64,
    /// Per operator, in plan order.
    pub operators: Vec<OperatorTime>,
}

/// Result of evaluating a scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// Engine name (`fast` or `detailed`).
    pub engine: String,
    /// System name.
    pub system: String,
    /// Model name.
    pub model: String,
    /// Phase.
    pub phase: String,
    /// Batch.
    pub batch: u32,
    /// Parallel scheme.
    pub parallel: String,
    /// Devices.
    pub devices: usize,
    /// PEs per device.
    pub pe_count: u32,
    /// Tokens per second, whole system (after power-wall throttling).
    pub throughput_tokens_per_s: f64,
    /// Tokens per second seen by one request.
    pub utps_tokens_per_s: f64,
    /// Time to first token (prefill), seconds.
    pub ttft_s: Option<f64>,
    /// Time per output token (decode), seconds.
    pub tpot_s: Option<f64>,
    /// Mean step time (one microbatch through one stage), seconds.
    pub step_time_s: f64,
    /// Energy per generated (decode) or processed (prefill) token, joules.
    pub energy_per_token_j: f64,
    /// Tokens per joule.
    pub tokens_per_joule: f64,
    /// Power per device, watts (after throttling).
    pub power_w: f64,
    /// Frequency scale applied by the power wall (1 = none).
    pub power_wall_scale: f64,
    /// Device temperature, °C.
    pub peak_temperature_c: f64,
    /// Fits in memory and stays under the temperature limit.
    pub feasible: bool,
    /// Why not feasible, if so.
    pub infeasible_reason: Option<String>,
    /// Effective DRAM bandwidth per device, bytes/s.
    pub effective_memory_bandwidth_bytes_per_s: f64,
    /// Bytes held per device.
    pub memory_used_bytes: f64,
    /// Device capacity, bytes.
    pub memory_capacity_bytes: f64,
    /// Where the time goes (averaged over the evaluated KV lengths).
    pub breakdown: Breakdown,
    /// Decoder layers simulated (detailed engine window), if not all.
    pub simulated_layers: Option<u32>,
    /// Decoder layers of the model.
    pub total_layers: u32,
    /// Events processed (detailed engine).
    pub events: Option<u64>,
    /// Events per second of wall time (detailed engine).
    pub events_per_s: Option<f64>,
    /// Wall time of the evaluation, seconds.
    pub eval_time_s: f64,
}

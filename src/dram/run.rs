//! Whole runs: feed a request stream (trace or generated) through a [`MemorySystem`]
//! and summarise it.

use super::error::DramError;
use super::pattern::{Pattern, PatternGen};
use super::spec::DramSpec;
use super::stats::Stats;
use super::system::MemorySystem;
use super::trace::TraceRecord;
use crate::sim::{Cycles, SimTime};
use std::time::Instant;

/// Replays `records` in order (see [`MemorySystem::replay_in_order`]): each request
/// reaches the controller at its issue cycle, or later if its channel's queue is full:
/// the feeder then waits, in order, as DRAMsim3's trace driver does. Runs until every
/// request has completed and returns the run's statistics, with `wall_s` the time the
/// replay took.
///
/// Memory use does not grow with the number of records: the feeder holds one record
/// and the controllers' queues are bounded.
pub fn run_records<I>(spec: &DramSpec, records: I, seed: u64) -> Result<Stats, DramError>
where
    I: IntoIterator<Item = Result<TraceRecord, DramError>>,
{
    let start = Instant::now();
    let mut sys = MemorySystem::new(spec, seed)?;
    sys.replay_in_order(records)?;
    let wall = start.elapsed().as_secs_f64();
    Ok(sys.stats(wall))
}

/// Runs `requests` requests of `pattern` on `spec` and returns the statistics;
/// `bandwidth_bytes_per_s` is the effective bandwidth.
pub fn measure_effective_bandwidth(
    spec: &DramSpec,
    pattern: Pattern,
    requests: u64,
    seed: u64,
) -> Result<Stats, DramError> {
    let generator = PatternGen::new(spec, pattern, requests, seed)?;
    run_records(spec, generator, seed)
}

/// The instant of a memory-clock cycle (convenience for callers building requests).
pub fn cycle_time(spec: &DramSpec, cycle: u64) -> SimTime {
    spec.clock().cycle_start(Cycles(cycle))
}

//! Whole runs: feed a request stream (trace or generated) through a [`MemorySystem`]
//! and summarise it.

use super::error::DramError;
use super::pattern::{Pattern, PatternGen};
use super::spec::DramSpec;
use super::stats::Stats;
use super::system::{Completion, EnqueueError, MemorySystem, Request};
use super::trace::TraceRecord;
use crate::sim::{Cycles, SimTime};
use std::time::Instant;

/// Replays `records` in order through the co-simulation API
/// ([`MemorySystem::try_enqueue`], [`MemorySystem::advance_to`]) and its event queue.
/// Each request reaches the controller at its issue cycle, or later if its channel's
/// queue is full: the feeder then waits, in order, as DRAMsim3's trace driver does.
/// Runs until every request has completed; completions are not reported one by one
/// (see [`MemorySystem::set_completion_reports`]).
///
/// Memory use does not grow with the number of records: the feeder holds one record
/// and the controllers' queues are bounded.
pub fn run_records<I>(spec: &DramSpec, records: I, seed: u64) -> Result<Stats, DramError>
where
    I: IntoIterator<Item = Result<TraceRecord, DramError>>,
{
    let start = Instant::now();
    let mut sys = MemorySystem::new(spec, seed)?;
    // Only the statistics are wanted: requests count as complete once served, and the
    // run ends at the last completion.
    sys.set_completion_reports(false);
    let mut out: Vec<Completion> = Vec::with_capacity(64);
    let mut records = records.into_iter();
    // The next request and its issue cycle.
    let mut held: Option<(Request, u64)> = None;
    // The channel whose full queue refused the held request: offered again only once
    // that channel has room.
    let mut refused_by: Option<u32> = None;
    let mut next_id: u64 = 0;
    let mut exhausted = false;
    // Time is counted in memory-clock cycles throughout (a request's issue cycle is
    // already one), so no step converts from picoseconds.
    loop {
        if held.is_none() && !exhausted {
            match records.next() {
                Some(r) => {
                    let r = r?;
                    held = Some((
                        Request {
                            id: next_id,
                            addr: r.addr,
                            is_write: r.is_write,
                            arrival: SimTime::ZERO,
                        },
                        r.cycle,
                    ));
                    next_id += 1;
                }
                None => exhausted = true,
            }
        }
        let now = sys.now_cycle();
        if let Some((mut req, cycle)) = held {
            if cycle <= now && refused_by.is_none_or(|ch| sys.has_room_in(ch)) {
                req.arrival = sys.now();
                match sys.try_enqueue(req) {
                    Ok(()) => {
                        held = None;
                        refused_by = None;
                        continue;
                    }
                    Err(EnqueueError::QueueFull { channel }) => refused_by = Some(channel),
                    Err(EnqueueError::AddressOutOfRange { addr, capacity }) => {
                        return Err(DramError::AddressOutOfRange { addr, capacity });
                    }
                    Err(EnqueueError::ArrivalInPast { arrival, now }) => {
                        return Err(DramError::ArrivalInPast {
                            id: req.id,
                            arrival_ps: arrival.as_ps(),
                            now_ps: now.as_ps(),
                        });
                    }
                }
            }
        }
        let sys_next = sys.next_event_cycle();
        let target = match held {
            Some((_, cycle)) if cycle > now => Some(sys_next.map_or(cycle, |t| t.min(cycle))),
            Some(_) => sys_next,
            None if exhausted => {
                if sys.in_flight() == 0 {
                    if let Some(last) = sys.last_completion_cycle() {
                        sys.advance_to_cycle(last, &mut out);
                    }
                    break;
                }
                sys_next
            }
            None => continue,
        };
        match target {
            Some(t) => sys.advance_to_cycle(t.max(now), &mut out),
            None => break,
        }
        out.clear();
    }
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

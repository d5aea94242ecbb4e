//! The memory system: every channel's controller behind one wake-up schedule, with the
//! co-simulation API a compute model drives.
//!
//! ```
//! use deepstack::dram::{presets, MemorySystem, Request, Completion};
//! use deepstack::sim::SimTime;
//! let spec = presets::preset("hbm2")?;
//! let mut mem = MemorySystem::new(&spec, 1)?;
//! mem.try_enqueue(Request { id: 7, addr: 0x1000, is_write: false, arrival: SimTime::ZERO })?;
//! let mut done = Vec::new();
//! while done.is_empty() {
//!     let t = mem.next_event_time().expect("a request is in flight");
//!     mem.advance_to(t, &mut done);
//! }
//! assert_eq!(done[0].id, 7);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::checker::{merge_reports, ViolationReport};
use super::controller::{Channel, Finished, QueuedRequest};
use super::error::DramError;
use super::mapping::{AddressMapping, DecodedAddr};
use super::slice_queue::SliceQueue;
use super::spec::{Derived, DramSpec};
use super::stats::{ChannelCounters, LatencyHistogram, Stats};
use crate::sim::{ClockDomain, Cycles, SimTime, WakeSchedule};

mod replay;

/// A memory request from the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Caller's id, echoed in the [`Completion`].
    pub id: u64,
    /// Byte address.
    pub addr: u64,
    /// Write (true) or read.
    pub is_write: bool,
    /// When the request reaches the memory controller (not before the system's
    /// current time).
    pub arrival: SimTime,
}

/// A completed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The request's id.
    pub id: u64,
    /// When its last data beat was transferred.
    pub done: SimTime,
    /// Write (true) or read.
    pub is_write: bool,
}

/// Why [`MemorySystem::try_enqueue`] refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnqueueError {
    /// The target channel's queue is full; retry after the system advances.
    #[error("the request queue of channel {channel} is full")]
    QueueFull {
        /// The channel.
        channel: u32,
    },
    /// The address is beyond the memory's capacity.
    #[error("address {addr:#x} is beyond the memory capacity of {capacity} bytes")]
    AddressOutOfRange {
        /// The address.
        addr: u64,
        /// The capacity.
        capacity: u64,
    },
    /// The arrival time is before the system's current time.
    #[error("arrival at {arrival} is before the current time {now}")]
    ArrivalInPast {
        /// The requested arrival.
        arrival: SimTime,
        /// The current time.
        now: SimTime,
    },
}

/// A multi-channel DRAM (or 3D stack) driven by events.
///
/// Contract: call [`try_enqueue`](Self::try_enqueue) with arrival times at or after
/// [`now`](Self::now), and [`advance_to`](Self::advance_to) with non-decreasing
/// times. Completions come out of `advance_to` in (completion time, issue order).
#[derive(Debug)]
pub struct MemorySystem {
    name: String,
    seed: u64,
    d: Derived,
    clock: ClockDomain,
    mapping: AddressMapping,
    channels: Vec<Channel>,
    /// Each channel's next decision cycle, in the order an event queue would take
    /// them (cycle, then the order they were set).
    wakes: WakeSchedule,
    /// Completions not yet reported, sorted by completion cycle and, at equal cycles,
    /// in issue order. Commands are issued in non-decreasing cycle order across the
    /// whole system and reads and writes each have a fixed latency, so a completion is
    /// inserted at most a few places from the back.
    done: SliceQueue<Finished>,
    now: SimTime,
    /// The first cycle that starts at or after `now`.
    now_cycle: u64,
    events_processed: u64,
    /// Read and write latencies (arrival at the controller to last data, in cycles)
    /// over all channels, in one histogram each so that the hot buckets stay few.
    read_latency: LatencyHistogram,
    write_latency: LatencyHistogram,
    /// Whether served requests are reported through `advance_to`'s `out`.
    report_completions: bool,
    enqueued: u64,
    completed: u64,
    peak: f64,
}

impl MemorySystem {
    /// Builds the system for a validated `spec`. No component draws random numbers
    /// today (refresh phases are fixed by rank index), so `seed` only labels the run;
    /// it is kept so that stochastic components can be added without an API change.
    pub fn new(spec: &DramSpec, seed: u64) -> Result<MemorySystem, DramError> {
        spec.validate()?;
        let mapping = AddressMapping::new(&spec.controller.address_mapping, &spec.org)?;
        let channels: Vec<Channel> = (0..spec.org.channels)
            .map(|_| Channel::new(spec, 0))
            .collect();
        let n = channels.len();
        let in_flight_limit = n * spec.controller.queue_depth as usize;
        let mut sys = MemorySystem {
            name: spec.name.clone(),
            seed,
            d: spec.derived(),
            clock: spec.clock(),
            mapping,
            channels,
            wakes: WakeSchedule::new(n),
            done: SliceQueue::with_depth(in_flight_limit),
            now: SimTime::ZERO,
            now_cycle: 0,
            events_processed: 0,
            read_latency: LatencyHistogram::default(),
            write_latency: LatencyHistogram::default(),
            report_completions: true,
            enqueued: 0,
            completed: 0,
            peak: spec.peak_bandwidth_bytes_per_s(),
        };
        if sys.d.refi > 0 {
            for ch in 0..n {
                sys.wake_at(ch, 0);
            }
        }
        Ok(sys)
    }

    /// The current time (the last time passed to [`advance_to`](Self::advance_to)).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The memory clock.
    pub fn clock(&self) -> ClockDomain {
        self.clock
    }

    /// The address mapping in use.
    pub fn mapping(&self) -> &AddressMapping {
        &self.mapping
    }

    /// Derived timing values in use.
    pub fn derived(&self) -> &Derived {
        &self.d
    }

    /// Requests accepted and not yet reported complete (with completion reports off,
    /// not yet served: see [`set_completion_reports`](Self::set_completion_reports)).
    pub fn in_flight(&self) -> u64 {
        self.enqueued - self.completed
    }

    /// Turns the per-request completion reports of [`advance_to`](Self::advance_to)
    /// on (the default) or off. A caller that only needs the run's statistics turns
    /// them off: served requests are then counted as complete when their RD or WR
    /// issues (their completion cycle is known from then on) and nothing is appended
    /// to `out`; [`last_completion`](Self::last_completion) says when the last one
    /// ends. The simulation itself is the same either way.
    pub fn set_completion_reports(&mut self, on: bool) {
        self.report_completions = on;
    }

    /// When the last data beat of the latest-finishing request served so far is
    /// transferred (`None` before any request is served).
    pub fn last_completion(&self) -> Option<SimTime> {
        self.last_completion_cycle()
            .map(|c| self.clock.cycle_start(Cycles(c)))
    }

    /// [`last_completion`](Self::last_completion) as a memory-clock cycle.
    pub fn last_completion_cycle(&self) -> Option<u64> {
        let served = self
            .channels
            .iter()
            .any(|c| c.counters().reads + c.counters().writes > 0);
        served.then(|| {
            self.channels
                .iter()
                .map(|c| c.counters().last_done)
                .max()
                .unwrap_or(0)
        })
    }

    /// The channel an address maps to, or `None` beyond capacity.
    #[inline]
    pub fn channel_of(&self, addr: u64) -> Option<u32> {
        self.mapping.decode(addr).map(|d| d.channel)
    }

    /// True if the channel that `addr` maps to can take another request now.
    #[inline]
    pub fn has_room_for(&self, addr: u64) -> bool {
        self.mapping
            .decode(addr)
            .is_some_and(|d| self.channels[d.channel as usize].has_room())
    }

    /// True if channel `channel` can take another request now (false for a channel
    /// that does not exist).
    #[inline]
    pub fn has_room_in(&self, channel: u32) -> bool {
        self.channels
            .get(channel as usize)
            .is_some_and(Channel::has_room)
    }

    /// Makes channel `ch` decide at `cycle` unless it already decides earlier.
    #[inline]
    fn wake_at(&mut self, ch: usize, cycle: u64) {
        if self.wakes.get(ch).is_none_or(|w| w > cycle) {
            self.wakes.set(ch, cycle);
        }
    }

    /// Offers a request to its channel's queue.
    pub fn try_enqueue(&mut self, req: Request) -> Result<(), EnqueueError> {
        if req.arrival < self.now {
            return Err(EnqueueError::ArrivalInPast {
                arrival: req.arrival,
                now: self.now,
            });
        }
        let d: DecodedAddr =
            self.mapping
                .decode(req.addr)
                .ok_or(EnqueueError::AddressOutOfRange {
                    addr: req.addr,
                    capacity: self.mapping.capacity(),
                })?;
        let ch = d.channel as usize;
        let arrival = if req.arrival == self.now {
            self.now_cycle
        } else {
            self.clock.cycle_at_or_after(req.arrival).0
        };
        if !self.admit(&d, req.id, req.is_write, arrival) {
            return Err(EnqueueError::QueueFull { channel: d.channel });
        }
        let at = self.channels[ch].first_free_cycle(arrival);
        self.wake_at(ch, at);
        Ok(())
    }

    /// Queues a request decoded to `d` at its channel, arriving at cycle `arrival`;
    /// false if the channel's queue is full (or `d` names a rank or bank the channel
    /// does not have).
    #[inline]
    fn admit(&mut self, d: &DecodedAddr, id: u64, is_write: bool, arrival: u64) -> bool {
        let q = QueuedRequest {
            id,
            arrival,
            rank: d.rank as u16,
            bankgroup: d.bankgroup as u16,
            bank: d.bank as u16,
            row: d.row,
            is_write,
        };
        let accepted = self.channels[d.channel as usize].enqueue(q).is_ok();
        self.enqueued += u64::from(accepted);
        accepted
    }

    /// The time of the next thing that will happen: a controller decision or a
    /// completion. `None` when the system is idle and has no refresh to do.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.next_event_cycle()
            .map(|cycle| self.clock.cycle_start(Cycles(cycle)))
    }

    /// Runs every event up to and including `t` and appends the requests completed by
    /// `t` to `out`. A `t` before [`now`](Self::now) does nothing.
    pub fn advance_to(&mut self, t: SimTime, out: &mut Vec<Completion>) {
        if t < self.now {
            return;
        }
        self.run_through(t.as_ps() / self.clock.period().0, out);
        self.now = t;
        self.now_cycle = self.clock.cycle_at_or_after(t).0;
    }

    /// [`advance_to`](Self::advance_to) the start of memory-clock cycle `cycle`, for
    /// callers that count in cycles (no conversion from picoseconds).
    pub fn advance_to_cycle(&mut self, cycle: u64, out: &mut Vec<Completion>) {
        if cycle < self.now_cycle {
            return;
        }
        self.run_through(cycle, out);
        self.now = self.clock.cycle_start(Cycles(cycle));
        self.now_cycle = cycle;
    }

    /// The first memory-clock cycle that starts at or after [`now`](Self::now).
    pub fn now_cycle(&self) -> u64 {
        self.now_cycle
    }

    /// The cycle of the next thing that will happen (see
    /// [`next_event_time`](Self::next_event_time)).
    pub fn next_event_cycle(&self) -> Option<u64> {
        let e = self.wakes.peek().map(|(cycle, _)| cycle);
        let c = self.done.front().map(|f| f.done);
        match (e, c) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Lets channel `ch` decide at `cycle`, records the request it served (if any) and
    /// returns its next decision cycle.
    #[inline]
    fn decide(&mut self, ch: usize, cycle: u64) -> Option<u64> {
        self.events_processed += 1;
        let o = self.channels[ch].step(cycle);
        if let Some(f) = o.finished {
            let latency = if f.is_write {
                &mut self.write_latency
            } else {
                &mut self.read_latency
            };
            latency.record(f.done - f.arrival);
            if self.report_completions {
                self.done.insert_sorted_by_key(f, |f| f.done);
            } else {
                self.completed += 1;
            }
        }
        o.next
    }

    /// Runs every controller decision due at or before cycle `limit` and appends the
    /// requests completed by then to `out`.
    fn run_through(&mut self, limit: u64, out: &mut Vec<Completion>) {
        while let Some((mut cycle, ch)) = self.wakes.peek() {
            if cycle > limit {
                break;
            }
            // The channel's wake-up is moved rather than removed and set again.
            self.wakes.advance_now(cycle);
            // Other channels do not move while this one decides; their earliest
            // wake-up is looked up once a decision of this one falls within `limit`.
            let mut others: Option<u64> = None;
            let next = loop {
                match self.decide(ch, cycle) {
                    None => break None,
                    Some(n) => {
                        // Decisions that come before any other pending event are taken
                        // at once (no other event can intervene); the rest are queued.
                        if n <= limit
                            && n < *others.get_or_insert_with(|| self.wakes.earliest_other(ch))
                        {
                            cycle = n;
                            continue;
                        }
                        break Some(n);
                    }
                }
            };
            match next {
                Some(n) => {
                    self.wakes.set(ch, n);
                }
                None => self.wakes.clear(ch),
            }
        }
        let mut taken = 0;
        for f in self.done.as_slice() {
            if f.done > limit {
                break;
            }
            taken += 1;
            out.push(Completion {
                id: f.id,
                done: self.clock.cycle_start(Cycles(f.done)),
                is_write: f.is_write,
            });
        }
        self.done.drop_front(taken);
        self.completed += taken as u64;
    }

    /// Runs until every accepted request has completed, appending completions to
    /// `out`.
    pub fn drain(&mut self, out: &mut Vec<Completion>) {
        while self.in_flight() > 0 {
            match self.next_event_time() {
                Some(t) => self.advance_to(t.max(self.now), out),
                None => break,
            }
        }
    }

    /// Scheduler events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// Sum of the channels' counters.
    pub fn counters(&self) -> ChannelCounters {
        let mut c = ChannelCounters::default();
        for ch in &self.channels {
            c.merge(ch.counters());
        }
        c
    }

    /// The checker's findings over all channels, closing the refresh check at the
    /// current time.
    pub fn violations(&mut self) -> ViolationReport {
        let end = self.now.as_ps() / self.clock.period().0;
        let reports: Vec<_> = self
            .channels
            .iter_mut()
            .map(|c| {
                let mut checker = c.checker().clone();
                checker.finish(end);
                checker.report()
            })
            .collect();
        merge_reports(&reports)
    }

    /// The run's statistics. `wall_s` is the caller's measurement of wall time.
    pub fn stats(&mut self, wall_s: f64) -> Stats {
        let c = self.counters();
        let v = self.violations();
        let tck_s = self.clock.period().0 as f64 * 1e-12;
        let requests = c.reads + c.writes;
        let cycles = c.last_done;
        let time = cycles as f64 * tck_s;
        let bytes = requests as f64 * self.d.transaction_bytes as f64;
        Stats {
            memory: self.name.clone(),
            seed: self.seed,
            requests,
            reads: c.reads,
            writes: c.writes,
            cycles,
            simulated_time_s: time,
            bandwidth_bytes_per_s: if time > 0.0 { bytes / time } else { 0.0 },
            peak_bandwidth_bytes_per_s: self.peak,
            avg_read_latency_ns: self.read_latency.mean() * tck_s * 1e9,
            p99_read_latency_ns: self.read_latency.quantile(0.99) as f64 * tck_s * 1e9,
            max_read_latency_ns: self.read_latency.max() as f64 * tck_s * 1e9,
            row_hit_rate: if requests > 0 {
                c.row_hits as f64 / requests as f64
            } else {
                0.0
            },
            activates: c.acts,
            precharges: c.pres,
            refreshes: c.refs,
            timing_violations: v.total,
            violations: v,
            events: self.events_processed,
            wall_s,
        }
    }
}

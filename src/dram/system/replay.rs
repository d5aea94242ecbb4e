//! Whole-stream replay: requests fed in order, as DRAMsim3's trace driver feeds them,
//! with each channel brought up to date only when the feeder reaches it.
//!
//! Channels share nothing but the feeder: a channel's decisions depend only on its
//! own queue and timing state, and the feeder depends on a channel only when it offers
//! that channel a request. So instead of taking every channel's decisions in one
//! global (cycle, order) sequence, the replay keeps each channel's next decision cycle
//! beside it and runs a channel's decisions only when the feeder needs the channel:
//! before offering it a request, while its full queue holds the feeder up, and at the
//! end. Each channel then takes exactly the decisions, at exactly the cycles, that the
//! event loop of [`MemorySystem::advance_to`] gives it when a caller feeds the same
//! stream through [`MemorySystem::try_enqueue`] (an integration test compares the two
//! run by run), without the cost of keeping every channel in one schedule.
//!
//! The one ordering rule to keep: a request that reaches a channel at cycle `t`
//! arrives after the channel's decisions that the feeder waited for (up to its last
//! wait), and before the decision its own arrival calls for at `t`. The feeder
//! numbers its waits; a channel remembers the wait it was last brought up to, and is
//! run up to the feeder's cycle only when a wait has happened since.

use super::MemorySystem;
use crate::dram::error::DramError;
use crate::dram::trace::TraceRecord;
use crate::sim::Cycles;

/// A channel's next decision cycle when it has none.
const NO_DECISION: u64 = u64::MAX;

/// A channel as the replay tracks it.
#[derive(Clone, Copy, Debug)]
struct Lane {
    /// The channel's next decision cycle ([`NO_DECISION`] if none is pending).
    next: u64,
    /// The feeder wait up to which the channel's decisions have been taken.
    synced: u64,
}

/// The feeder's clock: its cycle and how many times it has waited (for a request's
/// issue cycle, or for room in a full queue).
#[derive(Clone, Copy, Debug)]
struct FeederClock {
    now: u64,
    waits: u64,
}

impl FeederClock {
    /// Waits until `cycle`: every channel's decisions up to it are due.
    #[inline]
    fn wait_until(&mut self, cycle: u64) {
        self.now = cycle;
        self.waits += 1;
    }
}

impl MemorySystem {
    /// Feeds `records` in order, each at its issue cycle or, if its channel's queue is
    /// full, as soon as that channel has room (later records wait behind it, as with
    /// DRAMsim3's trace driver), then runs until every request has been served and the
    /// last one's data has been transferred. Completion reports are turned off (see
    /// [`set_completion_reports`](Self::set_completion_reports)); the run's results
    /// are read from [`stats`](Self::stats).
    ///
    /// The result is the same as feeding the records through
    /// [`try_enqueue`](Self::try_enqueue) at [`now`](Self::now), advancing to the next
    /// event whenever a request is refused or lies ahead, and advancing to
    /// [`last_completion`](Self::last_completion) at the end. It is faster because
    /// each channel is brought up to date only when the feeder needs it.
    ///
    /// An error in `records`, or an address beyond capacity, ends the replay with
    /// that error; the requests fed before it stay queued.
    pub fn replay_in_order<I>(&mut self, records: I) -> Result<(), DramError>
    where
        I: IntoIterator<Item = Result<TraceRecord, DramError>>,
    {
        self.report_completions = false;
        let mut lanes: Vec<Lane> = (0..self.channels.len())
            .map(|ch| Lane {
                next: self.wakes.get(ch).unwrap_or(NO_DECISION),
                synced: 0,
            })
            .collect();
        let mut clock = FeederClock {
            now: self.now_cycle,
            waits: 0,
        };
        let fed = self.feed_in_order(records, &mut lanes, &mut clock);
        let drained = fed.and_then(|()| self.serve_everything(&mut lanes, &mut clock));
        // Every channel takes the decisions due by the feeder's last wait, and the
        // schedule of the event-driven API takes over the pending ones.
        for (ch, lane) in lanes.iter_mut().enumerate() {
            self.catch_up(ch, lane, clock);
        }
        self.now_cycle = clock.now;
        self.now = self.clock.cycle_start(Cycles(clock.now));
        self.wakes.advance_now(clock.now);
        for (ch, lane) in lanes.iter().enumerate() {
            if lane.next == NO_DECISION {
                self.wakes.clear(ch);
            } else {
                self.wakes.set(ch, lane.next);
            }
        }
        drained
    }

    /// The feeding part of [`replay_in_order`](Self::replay_in_order).
    fn feed_in_order<I>(
        &mut self,
        records: I,
        lanes: &mut [Lane],
        clock: &mut FeederClock,
    ) -> Result<(), DramError>
    where
        I: IntoIterator<Item = Result<TraceRecord, DramError>>,
    {
        for (id, record) in (0u64..).zip(records) {
            let r = record?;
            let d = self
                .mapping
                .decode(r.addr)
                .ok_or_else(|| DramError::AddressOutOfRange {
                    addr: r.addr,
                    capacity: self.mapping.capacity(),
                })?;
            if r.cycle > clock.now {
                clock.wait_until(r.cycle);
            }
            let ch = d.channel as usize;
            let lane = &mut lanes[ch];
            self.catch_up(ch, lane, *clock);
            while !self.channels[ch].has_room() {
                // The feeder waits for this channel's next decision; room can appear
                // only at one of them.
                let next = self.pending_decision(ch, lane)?;
                clock.wait_until(next);
                lane.synced = clock.waits;
                self.run_channel_through(ch, lane, next);
            }
            if !self.admit(&d, id, r.is_write, clock.now) {
                return Err(DramError::Invalid {
                    field: "address_mapping".into(),
                    value: format!("{:#x}", r.addr),
                    rule: "the address decodes to a rank or bank the channel does not have; \
                           check the mapping against the organisation"
                        .into(),
                });
            }
            lane.next = lane.next.min(self.channels[ch].first_free_cycle(clock.now));
        }
        Ok(())
    }

    /// Runs every channel until it has served everything queued, then waits for the
    /// last data transfer.
    fn serve_everything(
        &mut self,
        lanes: &mut [Lane],
        clock: &mut FeederClock,
    ) -> Result<(), DramError> {
        for (ch, lane) in lanes.iter_mut().enumerate() {
            self.catch_up(ch, lane, *clock);
            while self.channels[ch].queued() > 0 {
                let next = self.pending_decision(ch, lane)?;
                self.run_channel_through(ch, lane, next);
            }
        }
        if let Some(last) = self.last_completion_cycle() {
            if last >= clock.now {
                clock.wait_until(last);
            }
        }
        Ok(())
    }

    /// Channel `ch`'s next decision cycle; an error if it has queued requests but no
    /// decision pending (its queue could never drain).
    #[inline(always)]
    fn pending_decision(&self, ch: usize, lane: &Lane) -> Result<u64, DramError> {
        if lane.next == NO_DECISION {
            return Err(DramError::Invalid {
                field: "controller".into(),
                value: format!("channel {ch}"),
                rule: "a channel with queued requests has no decision pending, so its \
                       queue cannot drain"
                    .into(),
            });
        }
        Ok(lane.next)
    }

    /// Takes channel `ch`'s decisions up to the feeder's cycle if the feeder has
    /// waited since the channel was last brought up to date.
    #[inline]
    fn catch_up(&mut self, ch: usize, lane: &mut Lane, clock: FeederClock) {
        if lane.synced != clock.waits {
            lane.synced = clock.waits;
            self.run_channel_through(ch, lane, clock.now);
        }
    }

    /// Takes channel `ch`'s decisions due at or before cycle `limit`.
    #[inline]
    fn run_channel_through(&mut self, ch: usize, lane: &mut Lane, limit: u64) {
        while lane.next <= limit {
            lane.next = self.decide(ch, lane.next).unwrap_or(NO_DECISION);
        }
    }
}

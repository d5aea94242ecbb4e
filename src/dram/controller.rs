//! The per-channel memory controller: a bounded request queue, FR-FCFS scheduling,
//! open- or closed-page policy and all-bank refresh.
//!
//! Requests are kept oldest first; per bank the controller counts queued requests and
//! those that hit the open row, so each decision looks at the banks with work rather
//! than at every queued request. At each decision cycle it issues at most one command
//! (a channel with `p` ports may issue up to `p` in one cycle), choosing in this order:
//!
//! 1. refresh: a rank whose refresh is due takes no new requests; its open banks are
//!    precharged and REF issues as soon as tRP/tRFC allow;
//! 2. the oldest queued request whose row is open and whose RD/WR is ready now
//!    (first-ready);
//! 3. under the closed-page policy, a PRE to an open bank no queued request hits;
//! 4. for the oldest requests first (first-come first-served), the ACT or PRE they
//!    need. A bank whose open row still has queued hits is not precharged for a miss,
//!    unless the miss has waited longer than the starvation limit.
//!
//! After each decision it computes the earliest cycle at which something could issue
//! next (a lower bound when reads and writes mix), so the event loop skips idle
//! cycles and takes about one event per command. Every command is also handed to the channel's
//! [`ProtocolChecker`].

use super::channel_timing::ChannelTiming;
use super::checker::ProtocolChecker;
use super::command::{Command, CommandKind};
use super::slice_queue::SliceQueue;
use super::spec::{DramSpec, PagePolicy};
use super::stats::ChannelCounters;
use std::collections::VecDeque;

/// A request waiting in a channel queue, already decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuedRequest {
    /// Caller's request id.
    pub id: u64,
    /// Cycle at which the request reached the controller.
    pub arrival: u64,
    /// Rank.
    pub rank: u16,
    /// Bank group.
    pub bankgroup: u16,
    /// Bank within the group.
    pub bank: u16,
    /// Row.
    pub row: u32,
    /// Write (true) or read.
    pub is_write: bool,
}

/// A finished request, as reported by [`Channel::step`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finished {
    /// Caller's request id.
    pub id: u64,
    /// Cycle at which the last data beat is transferred.
    pub done: u64,
    /// Cycle at which the request reached the controller (its latency is
    /// `done - arrival`).
    pub arrival: u64,
    /// Write (true) or read.
    pub is_write: bool,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    req: QueuedRequest,
    flat: u32,
    /// An ACT or PRE was issued on this request's behalf (it is not a row hit).
    missed: bool,
}

/// Why a planned command is issued, which decides how the queue and the bank records
/// change when it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    /// PRE of a bank that a due refresh or the closed-page policy closes.
    CloseBank,
    /// REF of a rank.
    Refresh,
    /// RD or WR serving the queued request at `queue_pos`.
    Column,
    /// ACT or PRE on behalf of the queued request at `queue_pos`.
    Row,
}

/// A planned command, kept small so that plans are cheap to copy and cache.
#[derive(Clone, Copy, Debug)]
struct Action {
    purpose: Purpose,
    kind: CommandKind,
    port: u16,
    /// Flat bank index; the rank for REF.
    target: u32,
    row: u32,
    /// Position in the queue of the request served (column and row commands).
    queue_pos: u32,
}

impl Action {
    fn close(flat: usize, row: u32) -> Action {
        Action {
            purpose: Purpose::CloseBank,
            kind: CommandKind::Pre,
            port: 0,
            target: flat as u32,
            row,
            queue_pos: 0,
        }
    }

    fn refresh(rank: usize) -> Action {
        Action {
            purpose: Purpose::Refresh,
            kind: CommandKind::Ref,
            port: 0,
            target: rank as u32,
            row: 0,
            queue_pos: 0,
        }
    }

    fn column(queue_pos: usize, kind: CommandKind, flat: usize, row: u32, port: u16) -> Action {
        Action {
            purpose: Purpose::Column,
            kind,
            port,
            target: flat as u32,
            row,
            queue_pos: queue_pos as u32,
        }
    }

    fn row(queue_pos: usize, kind: CommandKind, flat: usize, row: u32) -> Action {
        Action {
            purpose: Purpose::Row,
            kind,
            port: 0,
            target: flat as u32,
            row,
            queue_pos: queue_pos as u32,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Plan {
    /// Issue the planned command (kept in `Channel::cached`) at this cycle (nothing can
    /// issue earlier).
    IssueAt(u64),
    /// Nothing can issue before this cycle, and the choice must be recomputed then
    /// (a refresh falls due, a request arrives or a starvation limit passes).
    WaitUntil(u64),
    /// Nothing to do until a request arrives.
    Idle,
}

/// When a bank could take each kind of command, for the plan being computed
/// (`u64::MAX` when it needs none).
#[derive(Clone, Copy, Debug)]
struct BankPlan {
    /// RD for a queued read hit.
    rd: u64,
    /// WR for a queued write hit.
    wr: u64,
    /// The ACT or PRE a queued miss needs.
    row: u64,
}

impl BankPlan {
    const NONE: BankPlan = BankPlan {
        rd: u64::MAX,
        wr: u64::MAX,
        row: u64::MAX,
    };
}

/// A bank as the scheduler sees it: its queued requests and its place in the list of
/// banks with work.
#[derive(Clone, Copy, Debug)]
struct BankWork {
    /// (rank, bank group, bank).
    coords: (u16, u16, u16),
    /// Queued requests to the bank.
    queued: u32,
    /// Queued requests that hit the open row.
    hits: u32,
    /// Of those, writes.
    hit_writes: u32,
    /// Position in the channel's `active` list, or [`NOT_ACTIVE`].
    active_pos: u32,
    /// When the bank could take a command, for the plan being computed.
    plan: BankPlan,
}

impl BankWork {
    const IDLE: BankWork = BankWork {
        coords: (0, 0, 0),
        queued: 0,
        hits: 0,
        hit_writes: 0,
        active_pos: NOT_ACTIVE,
        plan: BankPlan::NONE,
    };
}

/// RD or WR.
#[inline]
fn column_kind(is_write: bool) -> CommandKind {
    if is_write {
        CommandKind::Wr
    } else {
        CommandKind::Rd
    }
}

/// One channel's controller.
#[derive(Debug)]
pub struct Channel {
    /// Refresh interval (tREFI, halved when hot), read and write latency, in cycles.
    refi: u64,
    read_latency: u64,
    write_latency: u64,
    policy: PagePolicy,
    depth: usize,
    starvation: u64,
    timing: ChannelTiming,
    checker: ProtocolChecker,
    /// Arrived requests, oldest first.
    queue: SliceQueue<Entry>,
    /// Requests whose arrival cycle is still ahead, by arrival.
    incoming: VecDeque<QueuedRequest>,
    /// Per bank: its queued work and place in `active`.
    work: Vec<BankWork>,
    /// The banks with queued requests (flat indices, in no particular order).
    active: Vec<u32>,
    closing: Vec<u32>,
    is_closing: Vec<bool>,
    refresh_due: Vec<u64>,
    /// The earliest of `refresh_due`.
    first_refresh_due: u64,
    counters: ChannelCounters,
    last_cycle: u64,
    /// The command planned for cycle `.0` (by the last plan that found one), valid
    /// until the queue or the timing state changes.
    cached: Option<(u64, Action)>,
    /// Totals of [`BankWork`]'s counters over all banks, kept as they change.
    tally: WorkTally,
    decisions: u64,
    /// Plans without the oldest-hit shortcut for a hit that cannot go at once (tests
    /// compare the two).
    #[cfg(test)]
    full_plans_only: bool,
}

/// Totals over a channel's banks of the queued requests, of those that hit their
/// bank's open row, and of the write hits: enough to tell without a scan whether any
/// queued request needs an ACT or PRE and whether reads or writes are among the hits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct WorkTally {
    queued: u64,
    hits: u64,
    hit_writes: u64,
}

impl WorkTally {
    /// True if some queued request misses its bank's open row (or its bank is closed).
    #[inline]
    fn has_misses(&self) -> bool {
        self.queued > self.hits
    }
}

/// What one call to [`Channel::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepOutcome {
    /// The command issued, if any.
    pub issued: Option<Command>,
    /// The request the command completed, if it was a column command.
    pub finished: Option<Finished>,
    /// The next cycle at which the controller should decide again (`None`: nothing
    /// to do until a request arrives).
    pub next: Option<u64>,
}

const NOT_ACTIVE: u32 = u32::MAX;

impl Channel {
    /// A controller for one channel of `spec`. Every rank's first refresh is due at
    /// cycle `refresh_phase` (reduced modulo tREFI), later ones every tREFI; all ranks
    /// refresh together, so an in-order request stream loses one tRFC per tREFI.
    pub fn new(spec: &DramSpec, refresh_phase: u64) -> Self {
        Self::with_checker(spec, refresh_phase, ProtocolChecker::new(spec))
    }

    /// A controller that schedules by `spec` but reports every command to `checker`,
    /// which may enforce another memory's timings (used to show that the checker
    /// catches a controller working from wrong timings).
    pub fn with_checker(spec: &DramSpec, refresh_phase: u64, checker: ProtocolChecker) -> Self {
        let d = spec.derived();
        let timing = ChannelTiming::new(spec);
        let banks = timing.bank_count();
        let ranks = timing.ranks();
        let refresh_due = vec![
            if d.refi == 0 {
                u64::MAX
            } else {
                refresh_phase % d.refi
            };
            ranks
        ];
        let bgs = spec.org.bankgroups as usize;
        let bpg = spec.org.banks_per_group as usize;
        let work = (0..banks)
            .map(|f| BankWork {
                coords: (
                    (f / (bgs * bpg)) as u16,
                    ((f / bpg) % bgs) as u16,
                    (f % bpg) as u16,
                ),
                ..BankWork::IDLE
            })
            .collect();
        Channel {
            refi: d.refi,
            read_latency: d.read_latency,
            write_latency: d.write_latency,
            policy: spec.controller.page_policy,
            depth: spec.controller.queue_depth as usize,
            starvation: spec.controller.starvation_cycles,
            timing,
            checker,
            queue: SliceQueue::with_depth(spec.controller.queue_depth as usize),
            incoming: VecDeque::new(),
            work,
            active: Vec::with_capacity(banks),
            closing: Vec::new(),
            is_closing: vec![false; banks],
            first_refresh_due: refresh_due.iter().copied().min().unwrap_or(u64::MAX),
            refresh_due,
            counters: ChannelCounters::default(),
            last_cycle: 0,
            cached: None,
            tally: WorkTally::default(),
            decisions: 0,
            #[cfg(test)]
            full_plans_only: false,
        }
    }

    /// True if the queue has room for another request.
    #[inline]
    pub fn has_room(&self) -> bool {
        self.queue.len() + self.incoming.len() < self.depth
    }

    /// Requests waiting (arrived or announced).
    pub fn queued(&self) -> usize {
        self.queue.len() + self.incoming.len()
    }

    /// Adds a request; gives it back if the queue is full. A request whose arrival
    /// cycle is ahead of the controller waits until then before it can be scheduled.
    pub fn enqueue(&mut self, req: QueuedRequest) -> Result<(), QueuedRequest> {
        if !self.has_room() || (req.rank as usize) >= self.timing.ranks() {
            return Err(req);
        }
        let flat = self.timing.bank_index(req.rank, req.bankgroup, req.bank);
        if flat >= self.work.len() {
            return Err(req);
        }
        if req.arrival > self.last_cycle {
            if self
                .incoming
                .back()
                .is_none_or(|r| r.arrival <= req.arrival)
            {
                self.incoming.push_back(req);
            } else {
                let pos = self.incoming.partition_point(|r| r.arrival <= req.arrival);
                self.incoming.insert(pos, req);
            }
        } else {
            self.admit(req, flat);
        }
        Ok(())
    }

    /// Queues `req`, which has arrived, for bank `flat`.
    fn admit(&mut self, req: QueuedRequest, flat: usize) {
        let hit = self.timing.bank(flat).open_row() == Some(req.row);
        let w = &mut self.work[flat];
        // The request is the youngest, so it changes the plan only through its bank's
        // candidates: a first hit of its kind (a new RD or WR candidate, or no more
        // PRE for the bank's misses) or a first miss (a new ACT or PRE candidate).
        // Otherwise the cached plan stands. Under the closed-page policy a plan also
        // prunes the closing list, so every arrival recomputes it.
        let writes = w.hit_writes.min(w.hits);
        let same_candidates = w.queued > 0
            && self.policy == PagePolicy::Open
            && if !hit {
                w.queued > w.hits
            } else if req.is_write {
                writes > 0
            } else {
                w.hits > writes
            };
        if !same_candidates {
            self.cached = None;
        }
        if hit {
            w.hits += 1;
            w.hit_writes += u32::from(req.is_write);
            self.tally.hits += 1;
            self.tally.hit_writes += u64::from(req.is_write);
        }
        w.queued += 1;
        self.tally.queued += 1;
        if w.active_pos == NOT_ACTIVE {
            w.active_pos = self.active.len() as u32;
            self.active.push(flat as u32);
        }
        self.queue.push_back(Entry {
            req,
            flat: flat as u32,
            missed: false,
        });
    }

    /// Sets bank `flat`'s hit counters, keeping the channel's totals.
    #[inline]
    fn set_hits(&mut self, flat: usize, hits: u32, writes: u32) {
        let w = &mut self.work[flat];
        self.tally.hits = self.tally.hits + u64::from(hits) - u64::from(w.hits);
        self.tally.hit_writes = self.tally.hit_writes + u64::from(writes) - u64::from(w.hit_writes);
        w.hits = hits;
        w.hit_writes = writes;
    }

    #[inline(always)]
    fn retire(&mut self, flat: usize) {
        let w = &mut self.work[flat];
        w.queued -= 1;
        self.tally.queued -= 1;
        if w.queued == 0 {
            let pos = w.active_pos as usize;
            w.active_pos = NOT_ACTIVE;
            self.active.swap_remove(pos);
            if let Some(&moved) = self.active.get(pos) {
                self.work[moved as usize].active_pos = pos as u32;
            }
        }
    }

    /// The controller's timing state (read only).
    pub fn timing(&self) -> &ChannelTiming {
        &self.timing
    }

    /// The channel's protocol checker.
    pub fn checker(&self) -> &ProtocolChecker {
        &self.checker
    }

    /// Closes the run at cycle `end` (final refresh check).
    pub fn finish(&mut self, end: u64) {
        self.checker.finish(end);
    }

    /// Counters so far.
    pub fn counters(&self) -> &ChannelCounters {
        &self.counters
    }

    /// Calls to [`step`](Self::step) so far.
    pub fn decisions(&self) -> u64 {
        self.decisions
    }

    /// The last cycle at which the controller decided.
    pub fn last_cycle(&self) -> u64 {
        self.last_cycle
    }

    /// The first cycle at or after `t` with a free command slot.
    #[inline]
    pub fn first_free_cycle(&self, t: u64) -> u64 {
        if self.timing.slot_free(t) {
            t
        } else {
            t + 1
        }
    }

    fn command(&self, kind: CommandKind, flat: usize, row: u32) -> Command {
        let (r, g, b) = self.work[flat].coords;
        Command::new(kind, r, g, b, row)
    }

    /// Issues `cmd`, whose kind has index `K`, at cycle `t`: the checker verifies it and
    /// the timing state records it.
    #[inline(always)]
    fn issue<const K: usize>(&mut self, cmd: Command, t: u64) {
        self.checker.check_kind::<K>(&cmd, t);
        self.timing.issue_kind::<K>(&cmd, t);
        let c = &mut self.counters;
        match CommandKind::ALL[K] {
            CommandKind::Act => c.acts += 1,
            CommandKind::Pre => c.pres += 1,
            CommandKind::Ref => c.refs += 1,
            _ => {}
        }
    }

    /// [`issue`](Self::issue) of a row command (ACT or PRE, as `cmd.kind` says).
    #[inline]
    fn issue_row(&mut self, cmd: Command, t: u64) {
        if cmd.kind == CommandKind::Act {
            self.issue::<{ CommandKind::Act.index() }>(cmd, t);
        } else {
            self.issue::<{ CommandKind::Pre.index() }>(cmd, t);
        }
    }

    /// Decides at cycle `t`: issues at most one command and says when to decide next.
    /// `t` must not be earlier than the cycle of the previous call.
    #[inline(always)]
    pub fn step(&mut self, t: u64) -> StepOutcome {
        self.decisions += 1;
        self.last_cycle = self.last_cycle.max(t);
        while let Some(&r) = self.incoming.front() {
            if r.arrival > t {
                break;
            }
            self.incoming.pop_front();
            let flat = self.timing.bank_index(r.rank, r.bankgroup, r.bank);
            self.admit(r, flat);
        }
        let mut out = StepOutcome {
            issued: None,
            finished: None,
            next: None,
        };
        if !self.timing.slot_free(t) {
            out.next = Some(t + 1);
            return out;
        }
        // A cached plan holds for every cycle from the one it was computed at up to
        // its issue cycle (nothing it depends on changes in between).
        let plan = match self.cached {
            Some((at, _)) if at >= t => Plan::IssueAt(at),
            _ => {
                self.cached = None;
                self.plan_from(t)
            }
        };
        match plan {
            Plan::IssueAt(at) if at == t => {
                let Some((_, action)) = self.cached.take() else {
                    return out;
                };
                let (cmd, finished) = self.execute(action, t);
                out.issued = Some(cmd);
                out.finished = finished;
                let from = if self.timing.slot_free(t) { t } else { t + 1 };
                out.next = match self.plan_from(from) {
                    Plan::IssueAt(at) | Plan::WaitUntil(at) => Some(at),
                    Plan::Idle => None,
                };
            }
            Plan::IssueAt(at) | Plan::WaitUntil(at) => out.next = Some(at),
            Plan::Idle => {}
        }
        out
    }

    /// False when tests ask for plans without the oldest-hit shortcut.
    #[inline]
    fn shortcuts_allowed(&self) -> bool {
        #[cfg(test)]
        return !self.full_plans_only;
        #[cfg(not(test))]
        true
    }

    /// The earliest cycle at which any queued hit's RD or WR could issue, by the ranks'
    /// readiness alone (a lower bound: the bank and bank group may hold it later).
    #[inline]
    fn column_floor(&self) -> u64 {
        let [rd, wr] = self.timing.column_floor();
        let mut floor = u64::MAX;
        if self.tally.hits > self.tally.hit_writes {
            floor = rd;
        }
        if self.tally.hit_writes > 0 {
            floor = floor.min(wr);
        }
        floor
    }

    /// The row command (ACT or PRE) that bank `flat`'s queued misses need, if the bank
    /// may take it at `from`: ACT for a closed bank, PRE for an open row no queued
    /// request hits. A row with queued hits is closed for the oldest request only once
    /// it has waited past the starvation limit; until then `boundary` is brought
    /// forward to that limit.
    #[inline]
    fn row_command(
        &self,
        flat: usize,
        open: Option<u32>,
        hits: u32,
        oldest: Option<(u32, u64)>,
        from: u64,
        boundary: &mut u64,
    ) -> Option<CommandKind> {
        match open {
            None => Some(CommandKind::Act),
            Some(_) if hits == 0 => Some(CommandKind::Pre),
            Some(_) => match oldest {
                Some((f, a)) if f as usize == flat => {
                    let limit = a.saturating_add(self.starvation).saturating_add(1);
                    if from >= limit {
                        Some(CommandKind::Pre)
                    } else {
                        *boundary = (*boundary).min(limit);
                        None
                    }
                }
                _ => None,
            },
        }
    }

    /// The earliest cycle (at or after `row_from`) at which a row command that some
    /// queued miss needs could issue, or `u64::MAX`; `boundary` as in
    /// [`row_command`](Self::row_command). No rank may be blocked by a due refresh.
    #[inline]
    fn earliest_row_command(&self, from: u64, row_from: u64, boundary: &mut u64) -> u64 {
        let oldest = self.queue.front().map(|e| (e.flat, e.req.arrival));
        let mut row_min = u64::MAX;
        for &flat in &self.active {
            let flat = flat as usize;
            let w = &self.work[flat];
            if w.queued > w.hits {
                let open = self.timing.bank(flat).open_row();
                if let Some(kind) = self.row_command(flat, open, w.hits, oldest, from, boundary) {
                    let ready = self.timing.rank_ready(w.coords.0 as usize);
                    row_min = row_min.min(self.timing.ready_at(kind, flat, &ready).max(row_from));
                }
            }
        }
        row_min
    }

    /// Keeps `action` as the command planned for cycle `at`.
    #[inline]
    fn planned(&mut self, at: u64, action: Action) -> Plan {
        self.cached = Some((at, action));
        Plan::IssueAt(at)
    }

    /// The next command and the cycle (at or after `from`) at which it can issue,
    /// chosen as a decision at that cycle would choose it (refresh, then the oldest
    /// ready row hit, then closed-page precharges, then the oldest request's ACT or
    /// PRE); or the cycle at which the choice must be recomputed.
    fn plan_from(&mut self, from: u64) -> Plan {
        // Cycles at which the candidate set itself changes.
        let mut boundary = self.incoming.front().map_or(u64::MAX, |r| r.arrival);
        let mut blocked: u64 = 0;
        // The first cycles from `from` with a free row / column command slot.
        let row_from = self.timing.first_slot_for(CommandKind::Act, from);
        let col_from = self.timing.first_slot_for(CommandKind::Rd, from);
        let mut best: Option<(u64, Action)> = None;
        let consider = |best: &mut Option<(u64, Action)>, at: u64, action: Action| {
            if best.is_none_or(|(b, _)| at < b) {
                *best = Some((at, action));
            }
        };

        // 1. Refresh: due ranks take no requests; precharge their banks, then REF.
        let due_ranks = if from < self.first_refresh_due {
            boundary = boundary.min(self.first_refresh_due);
            0
        } else {
            self.refresh_due.len()
        };
        for r in 0..due_ranks {
            let due = self.refresh_due[r];
            if from < due {
                boundary = boundary.min(due);
                continue;
            }
            blocked |= 1 << r;
            if self.timing.open_banks(r) > 0 {
                let per_rank = self.timing.bank_count() / self.timing.ranks();
                for flat in r * per_rank..(r + 1) * per_rank {
                    if let Some(row) = self.timing.bank(flat).open_row() {
                        if let Some(e) = self.timing.earliest_at(CommandKind::Pre, flat, row, 0) {
                            consider(&mut best, e.max(row_from), Action::close(flat, row));
                        }
                    }
                }
            } else if let Some(e) =
                self.timing
                    .earliest(&Command::new(CommandKind::Ref, r as u16, 0, 0, 0))
            {
                consider(&mut best, e.max(row_from), Action::refresh(r));
            }
        }
        let refresh = best;
        if let Some((at, action)) = refresh {
            if at == from {
                return self.planned(at, action);
            }
        }

        // Fast path: the oldest request is a row hit. FR-FCFS picks it first if it can
        // go at `from`; or, when no queued request needs an ACT or PRE (open page, no
        // refresh due), if no other hit's RD or WR can go before it: every other
        // column command waits at least for its rank's readiness, and at equal cycles
        // the oldest request wins.
        if let Some(&e) = self.queue.front() {
            let flat = e.flat as usize;
            let rank = e.req.rank as usize;
            if blocked & (1 << rank) == 0 && self.timing.bank(flat).open_row() == Some(e.req.row) {
                let kind = column_kind(e.req.is_write);
                let ready = self.timing.rank_ready(rank);
                let at = self.timing.ready_at(kind, flat, &ready).max(col_from);
                let first = at == from
                    || (self.shortcuts_allowed()
                        && due_ranks == 0
                        && at < boundary
                        && self.policy == PagePolicy::Open
                        && at <= self.column_floor()
                        && (!self.tally.has_misses() || {
                            // A row command that can go before it goes first.
                            let mut limit = boundary;
                            at <= self.earliest_row_command(from, row_from, &mut limit)
                                && at < limit
                        }));
                if first {
                    let (port, _) = self.timing.best_port(kind, e.req.rank);
                    return self.planned(at, Action::column(0, kind, flat, e.req.row, port));
                }
            }
        }

        // 2. When could each bank with work take a column or a row command?
        let mut col_min = u64::MAX;
        let mut row_min = u64::MAX;
        let oldest = self.queue.front().map(|e| (e.flat, e.req.arrival));
        for i in 0..self.active.len() {
            let flat = self.active[i] as usize;
            let mut plan = BankPlan::NONE;
            let w = &self.work[flat];
            let (rank, hits, queued, hit_writes) =
                (w.coords.0 as usize, w.hits, w.queued, w.hit_writes);
            if blocked & (1 << rank) == 0 {
                let ready = self.timing.rank_ready(rank);
                let open = self.timing.bank(flat).open_row();
                if hits > 0 && open.is_some() {
                    let writes = hit_writes.min(hits);
                    if hits > writes {
                        plan.rd = self
                            .timing
                            .ready_at(CommandKind::Rd, flat, &ready)
                            .max(col_from);
                        col_min = col_min.min(plan.rd);
                    }
                    if writes > 0 {
                        plan.wr = self
                            .timing
                            .ready_at(CommandKind::Wr, flat, &ready)
                            .max(col_from);
                        col_min = col_min.min(plan.wr);
                    }
                }
                if queued > hits {
                    if let Some(kind) =
                        self.row_command(flat, open, hits, oldest, from, &mut boundary)
                    {
                        plan.row = self.timing.ready_at(kind, flat, &ready).max(row_from);
                        row_min = row_min.min(plan.row);
                    }
                }
            }
            self.work[flat].plan = plan;
        }

        // Closed page: banks no queued request hits.
        let mut close: Option<(u64, Action)> = None;
        if self.policy == PagePolicy::Closed {
            let mut k = 0;
            while k < self.closing.len() {
                let flat = self.closing[k] as usize;
                let row = match self.timing.bank(flat).open_row() {
                    Some(row) if self.work[flat].hits == 0 => row,
                    _ => {
                        self.is_closing[flat] = false;
                        self.closing.swap_remove(k);
                        continue;
                    }
                };
                let rank = self.work[flat].coords.0;
                if blocked & (1 << rank) == 0 {
                    if let Some(e) = self.timing.earliest_at(CommandKind::Pre, flat, row, 0) {
                        consider(&mut close, e.max(row_from), Action::close(flat, row));
                    }
                }
                k += 1;
            }
        }

        let refresh_at = refresh.map_or(u64::MAX, |(at, _)| at);
        let close_at = close.map_or(u64::MAX, |(at, _)| at);
        let at = refresh_at.min(col_min).min(close_at).min(row_min);
        if at == u64::MAX {
            return if boundary == u64::MAX {
                Plan::Idle
            } else {
                Plan::WaitUntil(boundary)
            };
        }
        if boundary <= at {
            return Plan::WaitUntil(boundary);
        }
        // 3. Choose among what can go at `at`, in priority order.
        if let Some((r_at, action)) = refresh {
            if r_at == at {
                return self.planned(at, action);
            }
        }
        if col_min == at {
            for (i, e) in self.queue.as_slice().iter().enumerate() {
                let flat = e.flat as usize;
                let plan = &self.work[flat].plan;
                let ready = if e.req.is_write { plan.wr } else { plan.rd };
                if ready != at || self.timing.bank(flat).open_row() != Some(e.req.row) {
                    continue;
                }
                let kind = column_kind(e.req.is_write);
                let (port, _) = self.timing.best_port(kind, e.req.rank);
                return self.planned(at, Action::column(i, kind, flat, e.req.row, port));
            }
        }
        if let Some((c_at, action)) = close {
            if c_at == at {
                return self.planned(at, action);
            }
        }
        if row_min == at {
            for (i, e) in self.queue.as_slice().iter().enumerate() {
                let flat = e.flat as usize;
                if self.work[flat].plan.row != at {
                    continue;
                }
                match self.timing.bank(flat).open_row() {
                    None => {
                        return self.planned(at, Action::row(i, CommandKind::Act, flat, e.req.row));
                    }
                    Some(row) if row != e.req.row => {
                        return self.planned(at, Action::row(i, CommandKind::Pre, flat, row));
                    }
                    Some(_) => {}
                }
            }
        }
        // Unreachable in practice (every minimum comes from a queued request); decide
        // again next cycle rather than stall.
        Plan::WaitUntil(at.max(from + 1))
    }

    #[inline(always)]
    fn execute(&mut self, action: Action, t: u64) -> (Command, Option<Finished>) {
        let flat = action.target as usize;
        match action.purpose {
            Purpose::CloseBank => {
                let cmd = self.command(CommandKind::Pre, flat, action.row);
                self.set_hits(flat, 0, 0);
                self.issue::<{ CommandKind::Pre.index() }>(cmd, t);
                (cmd, None)
            }
            Purpose::Refresh => {
                let r = action.target as usize;
                let cmd = Command::new(CommandKind::Ref, r as u16, 0, 0, 0);
                self.issue::<{ CommandKind::Ref.index() }>(cmd, t);
                self.refresh_due[r] = self.refresh_due[r].saturating_add(self.refi);
                self.first_refresh_due = self.refresh_due.iter().copied().min().unwrap_or(u64::MAX);
                (cmd, None)
            }
            Purpose::Row => {
                let i = action.queue_pos as usize;
                let cmd = self.command(action.kind, flat, action.row);
                if let Some(e) = self.queue.get_mut(i) {
                    e.missed = true;
                }
                self.issue_row(cmd, t);
                let (mut hits, mut writes) = (0, 0);
                if cmd.kind == CommandKind::Act {
                    let f = flat as u32;
                    for e in self
                        .queue
                        .as_slice()
                        .iter()
                        .filter(|e| e.flat == f && e.req.row == cmd.row)
                    {
                        hits += 1;
                        writes += u32::from(e.req.is_write);
                    }
                }
                self.set_hits(flat, hits, writes);
                (cmd, None)
            }
            Purpose::Column => {
                let i = action.queue_pos as usize;
                let cmd = self
                    .command(action.kind, flat, action.row)
                    .on_port(action.port);
                let removed = self.queue.remove(i);
                let Some(e) = removed else {
                    return (cmd, None);
                };
                let flat = e.flat as usize;
                if e.req.is_write {
                    self.issue::<{ CommandKind::Wr.index() }>(cmd, t);
                } else {
                    self.issue::<{ CommandKind::Rd.index() }>(cmd, t);
                }
                let w = &self.work[flat];
                let hits = w.hits.saturating_sub(1);
                let writes = if e.req.is_write {
                    w.hit_writes.saturating_sub(1)
                } else {
                    w.hit_writes
                };
                self.set_hits(flat, hits, writes);
                self.retire(flat);
                let c = &mut self.counters;
                if !e.missed {
                    c.row_hits += 1;
                }
                let done = if e.req.is_write {
                    c.writes += 1;
                    t + self.write_latency
                } else {
                    c.reads += 1;
                    t + self.read_latency
                };
                c.last_done = c.last_done.max(done);
                if self.policy == PagePolicy::Closed
                    && self.work[flat].hits == 0
                    && !self.is_closing[flat]
                {
                    self.is_closing[flat] = true;
                    self.closing.push(flat as u32);
                }
                (
                    cmd,
                    Some(Finished {
                        id: e.req.id,
                        done,
                        arrival: e.req.arrival,
                        is_write: e.req.is_write,
                    }),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dram::test_support::{property_specs, IndexStream};

    /// The oldest-hit shortcut (open page) chooses what the full plan chooses: two
    /// controllers, one planning without it, fed the same requests at the same cycles,
    /// take the same decisions (commands, completions and next decision cycles).
    #[test]
    fn the_oldest_hit_shortcut_plans_as_the_full_plan_does() {
        for base in property_specs() {
            for queue_depth in [4, 32] {
                let mut spec = base.clone();
                spec.controller.page_policy = PagePolicy::Open;
                spec.controller.queue_depth = queue_depth;
                let mut quick = Channel::new(&spec, 0);
                let mut full = Channel::new(&spec, 0);
                full.full_plans_only = true;
                let mut rng = IndexStream::new(0x2545_F491_4F6C_DD1D);
                let org = &spec.org;
                let (ranks, bgs, bpg) = (
                    org.ranks as usize,
                    org.bankgroups as usize,
                    org.banks_per_group as usize,
                );
                let (mut t, mut id, mut issued) = (0u64, 0u64, 0u64);
                while id < 20_000 {
                    // Bursts of requests to a few banks and rows, so that hits, misses
                    // and conflicts all occur.
                    while quick.has_room() && rng.below(3) != 0 {
                        let req = QueuedRequest {
                            id,
                            arrival: t,
                            rank: rng.below(ranks) as u16,
                            bankgroup: rng.below(bgs) as u16,
                            bank: rng.below(bpg.min(2)) as u16,
                            row: rng.below(3) as u32,
                            is_write: rng.below(4) == 0,
                        };
                        assert!(quick.enqueue(req).is_ok() && full.enqueue(req).is_ok());
                        id += 1;
                    }
                    let (a, b) = (quick.step(t), full.step(t));
                    assert_eq!(a, b, "{} depth {queue_depth}, cycle {t}", spec.name);
                    issued += u64::from(a.issued.is_some());
                    let arrival = t + 1 + rng.below(4) as u64;
                    t = a.next.map_or(arrival, |n| n.min(arrival));
                }
                assert!(issued > 20_000, "{}: {issued} commands", spec.name);
                assert!(quick.decisions() == full.decisions());
            }
        }
    }
}

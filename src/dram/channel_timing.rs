//! The controller's timing state of one channel: when each command may next issue.
//!
//! This is the controller's own mechanism, independent of the checker: when a command
//! issues, it pushes forward the earliest-issue cycles of every bank, bank group,
//! rank and port it affects; asking whether a command can issue is then a handful of
//! comparisons. (The checker instead looks backwards through the constraint table.)

use super::bank::{Bank, BankState};
use super::command::{with_kind_index, Command, CommandKind};
use super::spec::{Derived, DramSpec, Timing};

#[inline]
fn raise(slot: &mut u64, t: u64) {
    *slot = (*slot).max(t);
}

/// The earliest cycles that a rank's own constraints and its data ports allow for
/// every bank of the rank (see [`ChannelTiming::rank_ready`]). Column commands take
/// the port that frees first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RankReady {
    /// RD: tWTR_S, and the first free port for a read.
    pub rd: u64,
    /// WR: the first free port for a write.
    pub wr: u64,
    /// ACT: tRRD_S, tRFC and the four-activate window.
    pub act: u64,
}

/// Per-channel timing state.
/// The timing distances (cycles) the controller's state applies when a command issues,
/// taken from [`Timing`] and [`Derived`] into one small block.
#[derive(Clone, Copy, Debug)]
struct IssueDistances {
    rcd_rd: u64,
    rcd_wr: u64,
    ras: u64,
    rc: u64,
    rp: u64,
    rrd_s: u64,
    rrd_l: u64,
    faw: u64,
    rtp: u64,
    rfc: u64,
    ccd_s: u64,
    ccd_l: u64,
    rank_switch: u64,
    rtw: u64,
    wtr_s: u64,
    wtr_l: u64,
    wr_to_pre: u64,
    commands_per_cycle: u64,
}

impl IssueDistances {
    fn new(t: &Timing, d: &Derived) -> Self {
        IssueDistances {
            rcd_rd: t.rcd_rd,
            rcd_wr: t.rcd_wr,
            ras: t.ras,
            rc: t.rc,
            rp: t.rp,
            rrd_s: t.rrd_s,
            rrd_l: t.rrd_l,
            faw: t.faw,
            rtp: t.rtp,
            rfc: t.rfc,
            ccd_s: d.ccd_s,
            ccd_l: d.ccd_l,
            rank_switch: d.rank_switch,
            rtw: d.rtw,
            wtr_s: d.wtr_s,
            wtr_l: d.wtr_l,
            wr_to_pre: d.wr_to_pre,
            commands_per_cycle: d.commands_per_cycle,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ChannelTiming {
    /// The distances `issue` applies, in cycles.
    k: IssueDistances,
    ranks: usize,
    bgs: usize,
    bpg: usize,
    ports: usize,
    banks: Vec<Bank>,
    /// Per bank: (rank, flat bank-group index).
    bank_home: Vec<(usize, usize)>,
    /// Per bank group: earliest ACT, RD, WR.
    bg_next: Vec<[u64; 3]>,
    /// Per rank: earliest ACT, RD, REF.
    rank_next: Vec<[u64; 3]>,
    /// Per rank: the last four ACT cycles (ring) and how many were recorded.
    faw: Vec<([u64; 4], usize, usize)>,
    /// Per rank: open banks.
    open: Vec<u32>,
    /// Per (port, rank): earliest RD, WR from that rank on that port.
    port_next: Vec<[u64; 2]>,
    /// Per rank: what the rank and its ports allow, kept up to date as commands issue.
    rank_ready: Vec<RankReady>,
    /// The earliest RD and WR over all ranks' readiness.
    column_floor: [u64; 2],
    /// Command slots of the current cycle: row (ACT, PRE, REF) and column (RD, WR)
    /// commands travel on separate command buses, as in HBM; each carries up to
    /// `ports` commands per cycle.
    slot_cycle: [u64; 2],
    slot_used: [u64; 2],
    last_issue: u64,
}

impl ChannelTiming {
    /// All banks closed at cycle 0.
    pub fn new(spec: &DramSpec) -> Self {
        let ranks = spec.org.ranks as usize;
        let bgs = spec.org.bankgroups as usize;
        let bpg = spec.org.banks_per_group as usize;
        let ports = spec.org.ports as usize;
        ChannelTiming {
            k: IssueDistances::new(&spec.timing, &spec.derived()),
            ranks,
            bgs,
            bpg,
            ports,
            banks: (0..ranks * bgs * bpg)
                .map(|f| Bank {
                    group: (f / bpg) as u32,
                    ..Bank::default()
                })
                .collect(),
            bank_home: (0..ranks * bgs * bpg)
                .map(|f| (f / (bgs * bpg), f / bpg))
                .collect(),
            bg_next: vec![[0; 3]; ranks * bgs],
            rank_next: vec![[0; 3]; ranks],
            faw: vec![([0; 4], 0, 0); ranks],
            open: vec![0; ranks],
            port_next: vec![[0; 2]; ports * ranks],
            rank_ready: vec![RankReady::default(); ranks],
            column_floor: [0; 2],
            slot_cycle: [0; 2],
            slot_used: [0; 2],
            last_issue: 0,
        }
    }

    /// The flat bank index of (rank, bankgroup, bank).
    #[inline]
    pub fn bank_index(&self, rank: u16, bankgroup: u16, bank: u16) -> usize {
        (rank as usize * self.bgs + bankgroup as usize) * self.bpg + bank as usize
    }

    /// The bank at a flat index.
    #[inline]
    pub fn bank(&self, flat: usize) -> &Bank {
        &self.banks[flat]
    }

    /// Banks in the channel.
    pub fn bank_count(&self) -> usize {
        self.banks.len()
    }

    /// Ranks in the channel.
    pub fn ranks(&self) -> usize {
        self.ranks
    }

    /// Open banks of a rank.
    pub fn open_banks(&self, rank: usize) -> u32 {
        self.open[rank]
    }

    fn in_range(&self, cmd: &Command) -> bool {
        (cmd.rank as usize) < self.ranks
            && (cmd.bankgroup as usize) < self.bgs
            && (cmd.bank as usize) < self.bpg
            && (cmd.port as usize) < self.ports
    }

    /// The earliest cycle at which `cmd` satisfies every timing constraint given the
    /// commands issued so far, or `None` if the bank state forbids it (ACT to an open
    /// bank, a column command to another row, REF with an open bank, ...). The
    /// per-cycle command limit is not included (see [`can_issue`](Self::can_issue)).
    #[inline]
    pub fn earliest(&self, cmd: &Command) -> Option<u64> {
        if !self.in_range(cmd) {
            return None;
        }
        let r = cmd.rank as usize;
        if cmd.kind == CommandKind::Ref {
            return (self.open[r] == 0).then_some(self.rank_next[r][2]);
        }
        let flat = self.bank_index(cmd.rank, cmd.bankgroup, cmd.bank);
        self.earliest_at(cmd.kind, flat, cmd.row, cmd.port as usize)
    }

    /// [`earliest`](Self::earliest) for a bank given by its flat index (from
    /// [`bank_index`](Self::bank_index)) and a port below the channel's port count;
    /// for ACT, PRE, RD and WR.
    #[inline]
    pub fn earliest_at(
        &self,
        kind: CommandKind,
        flat: usize,
        row: u32,
        port: usize,
    ) -> Option<u64> {
        let bank = &self.banks[flat];
        if !bank.allows(kind, row) {
            return None;
        }
        let (r, g) = self.bank_home[flat];
        let bg = &self.bg_next[g];
        let rank = &self.rank_next[r];
        let port = &self.port_next[port * self.ranks + r];
        Some(match kind {
            CommandKind::Act => {
                let mut e = bank.next[0].max(bg[0]).max(rank[0]);
                let (ring, head, n) = &self.faw[r];
                if self.k.faw > 0 && *n >= 4 {
                    e = e.max(ring[*head] + self.k.faw);
                }
                e
            }
            CommandKind::Pre => bank.next[1],
            CommandKind::Rd => bank.next[2].max(bg[1]).max(rank[1]).max(port[0]),
            CommandKind::Wr => bank.next[3].max(bg[2]).max(port[1]),
            CommandKind::Ref => rank[2],
        })
    }

    /// What rank `rank` and its ports allow for each of its banks; combined with a
    /// bank by [`ready_at`](Self::ready_at). Kept from one command to the next and
    /// brought up to date by [`issue`](Self::issue) for the ranks a command affects.
    #[inline]
    pub fn rank_ready(&self, rank: usize) -> RankReady {
        self.rank_ready[rank]
    }

    /// Recomputes the column part (RD, WR) of every rank's readiness from the ranks'
    /// own constraints and their ports.
    #[inline]
    fn update_column_readiness(&mut self) {
        if self.ports != 1 {
            self.update_column_readiness_over_ports();
            return;
        }
        let mut floor = [u64::MAX; 2];
        let ranks = self.rank_ready.iter_mut().zip(&self.rank_next);
        for ((ready, next), pn) in ranks.zip(&self.port_next) {
            ready.rd = next[1].max(pn[0]);
            ready.wr = pn[1];
            floor = [floor[0].min(ready.rd), floor[1].min(ready.wr)];
        }
        self.column_floor = floor;
    }

    /// [`update_column_readiness`](Self::update_column_readiness) for a channel with
    /// several ports: each rank takes the port that frees first.
    #[inline(never)]
    fn update_column_readiness_over_ports(&mut self) {
        for rank in 0..self.ranks {
            let (mut rd_port, mut wr_port) = (u64::MAX, u64::MAX);
            for p in 0..self.ports {
                let pn = &self.port_next[p * self.ranks + rank];
                rd_port = rd_port.min(pn[0]);
                wr_port = wr_port.min(pn[1]);
            }
            let ready = &mut self.rank_ready[rank];
            ready.rd = self.rank_next[rank][1].max(rd_port);
            ready.wr = wr_port;
        }
        self.column_floor = self
            .rank_ready
            .iter()
            .fold([u64::MAX; 2], |f, r| [f[0].min(r.rd), f[1].min(r.wr)]);
    }

    /// The earliest cycle any rank's readiness allows a RD (`[0]`) and a WR (`[1]`):
    /// no column command of the kind can issue before it.
    #[inline]
    pub fn column_floor(&self) -> [u64; 2] {
        self.column_floor
    }

    /// Recomputes the ACT part of rank `rank`'s readiness: tRRD_S, and the oldest of
    /// its last four ACTs plus tFAW.
    #[inline]
    fn update_rank_activate(&mut self, rank: usize) {
        let mut act = self.rank_next[rank][0];
        let (ring, head, n) = &self.faw[rank];
        if self.k.faw > 0 && *n >= 4 {
            act = act.max(ring[*head] + self.k.faw);
        }
        self.rank_ready[rank].act = act;
    }

    /// The earliest cycle of an ACT, PRE, RD or WR to bank `flat`, given its rank's
    /// [`rank_ready`](Self::rank_ready), on the port that frees first. The bank state
    /// is not checked: the caller asks only for commands the state allows. Equal to
    /// [`earliest_at`](Self::earliest_at) on the port from [`best_port`](Self::best_port).
    #[inline]
    pub fn ready_at(&self, kind: CommandKind, flat: usize, rank: &RankReady) -> u64 {
        let bank = &self.banks[flat];
        let bg = &self.bg_next[bank.group as usize];
        match kind {
            CommandKind::Act => bank.next[0].max(bg[0]).max(rank.act),
            CommandKind::Pre => bank.next[1],
            CommandKind::Rd => bank.next[2].max(bg[1]).max(rank.rd),
            CommandKind::Wr => bank.next[3].max(bg[2]).max(rank.wr),
            CommandKind::Ref => u64::MAX,
        }
    }

    /// For a column command of `kind` from `rank`, the port that frees first and the
    /// cycle it frees (ties go to the lowest port).
    #[inline]
    pub fn best_port(&self, kind: CommandKind, rank: u16) -> (u16, u64) {
        let col = usize::from(kind == CommandKind::Wr);
        if self.ports == 1 {
            return (0, self.port_next[rank as usize][col]);
        }
        let mut best = (0u16, u64::MAX);
        for p in 0..self.ports {
            let v = self.port_next[p * self.ranks + rank as usize][col];
            if v < best.1 {
                best = (p as u16, v);
            }
        }
        best
    }

    /// True if `cmd` may issue at cycle `t`: its constraints are met, the bank state
    /// allows it, time does not run backwards and a command slot is free in cycle `t`.
    #[inline]
    pub fn can_issue(&self, cmd: &Command, t: u64) -> bool {
        if t < self.last_issue || !self.slot_free_for(cmd.kind, t) {
            return false;
        }
        self.earliest(cmd).is_some_and(|e| e <= t)
    }

    /// True if a command slot is still free in cycle `t`.
    #[inline]
    pub fn slot_free(&self, t: u64) -> bool {
        self.slot_free_for(CommandKind::Act, t) || self.slot_free_for(CommandKind::Rd, t)
    }

    /// True if the command bus that carries `kind` has a free slot in cycle `t`.
    #[inline]
    pub fn slot_free_for(&self, kind: CommandKind, t: u64) -> bool {
        let c = usize::from(kind.is_column());
        t != self.slot_cycle[c] || self.slot_used[c] < self.k.commands_per_cycle
    }

    /// The first cycle at or after `t` with a free slot for `kind`.
    #[inline]
    pub fn first_slot_for(&self, kind: CommandKind, t: u64) -> u64 {
        if self.slot_free_for(kind, t) {
            t
        } else {
            t + 1
        }
    }

    /// Per rank, the earliest RD and WR on data port `port`.
    #[inline]
    fn port_slots_mut(&mut self, port: u16) -> &mut [[u64; 2]] {
        let first = port as usize * self.ranks;
        &mut self.port_next[first..first + self.ranks]
    }

    /// Records `cmd` as issued at cycle `t`. The caller must have checked
    /// [`can_issue`](Self::can_issue); this method trusts it (the protocol checker
    /// catches any caller that did not).
    pub fn issue(&mut self, cmd: &Command, t: u64) {
        with_kind_index!(cmd.kind, K => self.issue_kind::<K>(cmd, t))
    }

    /// [`issue`](Self::issue) for a command whose kind has index `K`, for callers that
    /// know the kind already (the state to update is then chosen at compile time).
    /// `cmd.kind` is not read: `K` says the kind.
    #[inline(always)]
    pub(crate) fn issue_kind<const K: usize>(&mut self, cmd: &Command, t: u64) {
        let kind = CommandKind::ALL[K];
        debug_assert_eq!(cmd.kind, kind);
        let cmd = &Command { kind, ..*cmd };
        if !self.in_range(cmd) {
            return;
        }
        let c = usize::from(kind.is_column());
        if t == self.slot_cycle[c] {
            self.slot_used[c] += 1;
        } else {
            self.slot_cycle[c] = t;
            self.slot_used[c] = 1;
        }
        self.last_issue = t;
        let k = &self.k;
        let r = cmd.rank as usize;
        if cmd.kind == CommandKind::Ref {
            let first = r * self.bgs * self.bpg;
            for b in &mut self.banks[first..first + self.bgs * self.bpg] {
                b.not_before(CommandKind::Act, t + k.rfc);
            }
            raise(&mut self.rank_next[r][2], t + k.rfc);
            return;
        }
        let flat = self.bank_index(cmd.rank, cmd.bankgroup, cmd.bank);
        let g = r * self.bgs + cmd.bankgroup as usize;
        match cmd.kind {
            CommandKind::Act => {
                let b = &mut self.banks[flat];
                b.state = BankState::Open { row: cmd.row };
                b.not_before(CommandKind::Rd, t + k.rcd_rd);
                b.not_before(CommandKind::Wr, t + k.rcd_wr);
                b.not_before(CommandKind::Pre, t + k.ras);
                b.not_before(CommandKind::Act, t + k.rc);
                raise(&mut self.bg_next[g][0], t + k.rrd_l);
                raise(&mut self.rank_next[r][0], t + k.rrd_s);
                let (ring, head, n) = &mut self.faw[r];
                ring[*head] = t;
                *head = (*head + 1) % 4;
                *n += 1;
                self.open[r] += 1;
                self.update_rank_activate(r);
            }
            CommandKind::Pre => {
                let b = &mut self.banks[flat];
                if matches!(b.state, BankState::Open { .. }) {
                    self.open[r] = self.open[r].saturating_sub(1);
                }
                b.state = BankState::Closed;
                b.not_before(CommandKind::Act, t + k.rp);
                raise(&mut self.rank_next[r][2], t + k.rp);
            }
            CommandKind::Rd => {
                self.banks[flat].not_before(CommandKind::Pre, t + k.rtp);
                raise(&mut self.bg_next[g][1], t + k.ccd_l);
                let (same_rank, other_rank) = (t + k.ccd_s, t + k.rank_switch.max(k.ccd_s));
                let rd_to_wr = t + k.rtw;
                for (r2, pn) in self.port_slots_mut(cmd.port).iter_mut().enumerate() {
                    raise(&mut pn[0], if r2 == r { same_rank } else { other_rank });
                    raise(&mut pn[1], rd_to_wr);
                }
                self.update_column_readiness();
            }
            CommandKind::Wr => {
                self.banks[flat].not_before(CommandKind::Pre, t + k.wr_to_pre);
                raise(&mut self.bg_next[g][2], t + k.ccd_l);
                raise(&mut self.bg_next[g][1], t + k.wtr_l);
                raise(&mut self.rank_next[r][1], t + k.wtr_s);
                let (same_rank, other_rank) = (t + k.ccd_s, t + k.rank_switch.max(k.ccd_s));
                for (r2, pn) in self.port_slots_mut(cmd.port).iter_mut().enumerate() {
                    raise(&mut pn[1], if r2 == r { same_rank } else { other_rank });
                }
                self.update_column_readiness();
            }
            CommandKind::Ref => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dram::test_support::{property_specs, CommandShape, IndexStream};

    /// `rank_ready` + `ready_at` give what `earliest_at` gives on the best port, for
    /// every bank and command the bank state allows, along a pseudo-random schedule.
    #[test]
    fn ready_at_matches_earliest_on_the_best_port() {
        for spec in property_specs() {
            let mut timing = ChannelTiming::new(&spec);
            let (ranks, bgs, bpg) = (timing.ranks, timing.bgs, timing.bpg);
            let mut stream = IndexStream::new(0x1234_5678_9ABC_DEF1);
            let shape = CommandShape {
                kinds: 5,
                ranks,
                bankgroups: bgs,
                banks_per_group: bpg,
                rows: 4,
                ports: timing.ports,
            };
            let mut t = 0u64;
            for _ in 0..3000 {
                let cmd = stream.command(&shape);
                if let Some(e) = timing.earliest(&cmd) {
                    t = t.max(e);
                    while !timing.can_issue(&cmd, t) {
                        t += 1;
                    }
                    timing.issue(&cmd, t);
                }
                for r in 0..ranks {
                    let rr = timing.rank_ready(r);
                    for flat in r * bgs * bpg..(r + 1) * bgs * bpg {
                        let row = timing.bank(flat).open_row().unwrap_or(0);
                        for kind in [
                            CommandKind::Act,
                            CommandKind::Pre,
                            CommandKind::Rd,
                            CommandKind::Wr,
                        ] {
                            let (port, _) = timing.best_port(kind, r as u16);
                            if let Some(e) = timing.earliest_at(kind, flat, row, port as usize) {
                                assert_eq!(
                                    timing.ready_at(kind, flat, &rr),
                                    e,
                                    "{} {kind}",
                                    spec.name
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

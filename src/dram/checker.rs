//! An independent timing-protocol checker.
//!
//! The checker keeps its own shadow of bank state and the time of the last command
//! of each kind at every scope (bank, bank group, rank, port), and for every issued
//! command walks the [`CONSTRAINTS`] table looking backwards: "is this command far
//! enough from the last command it depends on?". The controller never consults it;
//! it only counts what the controller got wrong. It also flags protocol-state errors
//! (ACT to an open bank, a column command to a closed bank or another row, PRE to a
//! closed bank, REF with an open bank) and more than `ports` commands on the row or
//! the column command bus in one cycle.

use super::command::{Command, CommandKind};
use super::constraints::{ConstraintId, Scope, CONSTRAINTS, N_CONSTRAINTS};
use super::spec::{Derived, DramSpec, Timing};
use serde::Serialize;

const NEVER: i64 = i64::MIN / 4;
/// The distance of a rule that does not exist: `last + NO_RULE` is never after any
/// cycle.
const NO_RULE: i64 = i64::MIN / 4;
/// Scopes with one `last` entry per kind at a known base: bank, bank group, rank, port.
const DIRECT_SCOPES: usize = 4;
const LOG_LIMIT: usize = 16;

/// One constraint as the checker evaluates it.
#[derive(Clone, Copy, Debug)]
struct Rule {
    /// Index in [`CONSTRAINTS`].
    index: usize,
    /// 0 bank, 1 bank group, 2 rank, 3 port, 4 same port other rank, 5 four-ACT
    /// window, 6 refresh interval.
    slot: u8,
    /// Kind index of the earlier command.
    prev: usize,
    /// Minimum distance in cycles.
    value: i64,
}

/// The latest command of one kind on one port: its rank and time, and the latest time
/// from any other rank. The latest command from a rank other than `r` is then at most
/// `time` if `rank != r`, and at most `other` if it is `r`.
#[derive(Clone, Copy, Debug)]
struct PortLatest {
    rank: usize,
    time: i64,
    other: i64,
}

impl PortLatest {
    const NEVER: PortLatest = PortLatest {
        rank: usize::MAX,
        time: NEVER,
        other: NEVER,
    };

    /// The latest command from a rank other than `r` is at or before this cycle.
    #[inline]
    fn latest_other_than(&self, r: usize) -> i64 {
        if self.rank == r {
            self.other
        } else {
            self.time
        }
    }

    #[inline]
    fn record(&mut self, r: usize, t: i64) {
        if r == self.rank {
            self.time = self.time.max(t);
        } else if t >= self.time {
            self.other = self.time;
            self.rank = r;
            self.time = t;
        } else {
            self.other = self.other.max(t);
        }
    }
}

/// Violation counts, per constraint and in total.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ViolationReport {
    /// Total violations (constraint and state).
    pub total: u64,
    /// Protocol-state violations (wrong bank state for the command).
    pub state: u64,
    /// Per-constraint counts, by constraint name, for the non-zero ones.
    pub by_constraint: Vec<(String, u64)>,
    /// The first few violations, described.
    pub first: Vec<String>,
}

/// The checker of one channel.
#[derive(Clone, Debug)]
pub struct ProtocolChecker {
    timing: Timing,
    derived: Derived,
    values: [u64; N_CONSTRAINTS],
    /// Per command kind, the constraints it must satisfy (non-zero ones only).
    by_next: [Vec<Rule>; 5],
    /// Per command kind, its bank, bank-group, rank and port rules for a quick first
    /// pass: (scope, earlier kind, distance).
    direct: [Vec<(u8, u8, i64)>; 5],
    /// Per command kind, its rules against commands of other ranks on the same port:
    /// (earlier kind, distance).
    other_rank: [Vec<(u8, i64)>; 5],
    /// The four-activate window (for ACT), or [`NO_RULE`].
    faw: i64,
    slot_index: usize,
    /// Commands allowed per cycle on each command bus.
    slot_limit: u64,
    ranks: usize,
    bgs: usize,
    bpg: usize,
    ports: usize,
    /// Time of the last command of each kind at every scope instance, in one array:
    /// banks, then bank groups, ranks, ports and (port, rank) pairs, five kinds each.
    last: Vec<i64>,
    off_bg: usize,
    off_rank: usize,
    off_port: usize,
    off_port_rank: usize,
    /// Per port and command kind: the latest command from any rank, for the quick pass's
    /// rules against other ranks.
    port_latest: Vec<PortLatest>,
    acts: Vec<[i64; 4]>,
    acts_next: Vec<usize>,
    open: Vec<Option<u32>>,
    slot_cycle: [i64; 2],
    slot_used: [u64; 2],
    counts: [u64; N_CONSTRAINTS],
    violations: u64,
    state: u64,
    log: Vec<String>,
    commands: u64,
}

impl ProtocolChecker {
    /// A checker for one channel of `spec`, at time zero with every bank closed.
    pub fn new(spec: &DramSpec) -> Self {
        let derived = spec.derived();
        let mut values = [0u64; N_CONSTRAINTS];
        for (v, c) in values.iter_mut().zip(CONSTRAINTS) {
            *v = (c.value)(&spec.timing, &derived);
        }
        let mut by_next: [Vec<Rule>; 5] = Default::default();
        for (i, c) in CONSTRAINTS.iter().enumerate() {
            let slot = match c.scope {
                Scope::Bank => 0,
                Scope::BankGroup => 1,
                Scope::Rank => 2,
                Scope::Port => 3,
                Scope::PortOtherRank => 4,
                Scope::FourActWindow => 5,
                Scope::RefreshInterval => 6,
                Scope::CommandSlot => continue,
            };
            if values[i] > 0 {
                by_next[c.next.index()].push(Rule {
                    index: i,
                    slot,
                    prev: c.prev.index(),
                    value: values[i] as i64,
                });
            }
        }
        let mut direct: [Vec<(u8, u8, i64)>; 5] = Default::default();
        let mut other_rank: [Vec<(u8, i64)>; 5] = Default::default();
        let mut faw = NO_RULE;
        for (next, rules) in by_next.iter().enumerate() {
            for rule in rules {
                match rule.slot {
                    0..=3 => direct[next].push((rule.slot, rule.prev as u8, rule.value)),
                    4 => other_rank[next].push((rule.prev as u8, rule.value)),
                    5 => faw = faw.max(rule.value),
                    _ => {}
                }
            }
        }
        let ranks = spec.org.ranks as usize;
        let bgs = spec.org.bankgroups as usize;
        let bpg = spec.org.banks_per_group as usize;
        let ports = spec.org.ports as usize;
        let banks = ranks * bgs * bpg;
        ProtocolChecker {
            timing: spec.timing.clone(),
            derived,
            values,
            by_next,
            direct,
            other_rank,
            faw,
            slot_index: super::constraints::index_of(ConstraintId::CmdBus),
            slot_limit: values[super::constraints::index_of(ConstraintId::CmdBus)],
            ranks,
            bgs,
            bpg,
            ports,
            last: vec![NEVER; 5 * (banks + ranks * bgs + ranks + ports + ports * ranks)],
            off_bg: 5 * banks,
            off_rank: 5 * (banks + ranks * bgs),
            off_port: 5 * (banks + ranks * bgs + ranks),
            off_port_rank: 5 * (banks + ranks * bgs + ranks + ports),
            port_latest: vec![PortLatest::NEVER; 5 * ports],
            acts: vec![[NEVER; 4]; ranks],
            acts_next: vec![0; ranks],
            open: vec![None; banks],
            slot_cycle: [NEVER; 2],
            slot_used: [0; 2],
            counts: [0; N_CONSTRAINTS],
            violations: 0,
            state: 0,
            log: Vec::new(),
            commands: 0,
        }
    }

    fn note(&mut self, msg: impl FnOnce() -> String) {
        if self.log.len() < LOG_LIMIT {
            self.log.push(msg());
        }
    }

    #[cold]
    fn flag(&mut self, i: usize, cmd: &Command, t: i64, last: i64) {
        self.counts[i] += 1;
        self.violations += 1;
        let c = &CONSTRAINTS[i];
        let v = self.values[i];
        self.note(|| {
            format!(
                "cycle {t}: {cmd} violates {} ({} cycles after {}, needs {v})",
                c.name,
                t - last,
                c.prev
            )
        });
    }

    fn state_error(&mut self, cmd: &Command, t: i64, what: &str) {
        self.state += 1;
        self.violations += 1;
        self.note(|| format!("cycle {t}: {cmd}: {what}"));
    }

    /// Checks `cmd` issued at cycle `at` against every constraint, then records it.
    /// Returns the number of violations it found.
    pub fn check(&mut self, cmd: &Command, at: u64) -> u64 {
        let before = self.total();
        let t = at as i64;
        self.commands += 1;
        let (r, g, b, p) = (
            cmd.rank as usize,
            cmd.bankgroup as usize,
            cmd.bank as usize,
            cmd.port as usize,
        );
        if r >= self.ranks || g >= self.bgs || b >= self.bpg || p >= self.ports {
            self.state_error(cmd, t, "address out of range");
            return self.total() - before;
        }
        let bank = (r * self.bgs + g) * self.bpg + b;
        let bg = r * self.bgs + g;
        let k = cmd.kind;

        // Command slots per cycle.
        let class = usize::from(cmd.kind.is_column());
        if t == self.slot_cycle[class] {
            self.slot_used[class] += 1;
        } else {
            self.slot_cycle[class] = t;
            self.slot_used[class] = 1;
        }
        let slot_i = self.slot_index;
        if self.slot_used[class] > self.slot_limit {
            self.counts[slot_i] += 1;
            self.violations += 1;
            let used = self.slot_used[class];
            let bus = if class == 1 { "column" } else { "row" };
            self.note(|| format!("cycle {t}: {cmd} is {bus} command {used} in one cycle"));
        }

        let ki = k.index();
        let bases: [usize; DIRECT_SCOPES] = [
            5 * bank,
            self.off_bg + 5 * bg,
            self.off_rank + 5 * r,
            self.off_port + 5 * p,
        ];
        // A quick pass over every rule of the command at once; the rules one by one
        // only when one of them may be violated (and always for REF, whose refresh
        // interval rule looks the other way).
        if k == CommandKind::Ref || self.may_violate(ki, &bases, r, p, t) {
            self.check_rules(cmd, &bases, t);
        }

        // Protocol state.
        match k {
            CommandKind::Act => {
                if self.open[bank].is_some() {
                    self.state_error(cmd, t, "ACT to an open bank");
                }
                self.open[bank] = Some(cmd.row);
                let n = self.acts_next[r];
                self.acts[r][n] = t;
                self.acts_next[r] = (n + 1) % 4;
            }
            CommandKind::Pre => {
                if self.open[bank].is_none() {
                    self.state_error(cmd, t, "PRE to a closed bank");
                }
                self.open[bank] = None;
            }
            CommandKind::Rd | CommandKind::Wr => match self.open[bank] {
                None => self.state_error(cmd, t, "column command to a closed bank"),
                Some(row) if row != cmd.row => {
                    self.state_error(cmd, t, "column command to a row that is not open")
                }
                Some(_) => {}
            },
            CommandKind::Ref => {
                let first = r * self.bgs * self.bpg;
                if self.open[first..first + self.bgs * self.bpg]
                    .iter()
                    .any(Option::is_some)
                {
                    self.state_error(cmd, t, "REF with an open bank");
                }
            }
        }

        for base in bases {
            self.last[base + ki] = t;
        }
        self.last[self.off_port_rank + 5 * (p * self.ranks + r) + ki] = t;
        if self.ranks > 1 {
            self.port_latest[5 * p + ki].record(r, t);
        }
        self.total() - before
    }

    /// True if a rule of command kind `ki` at cycle `t` may be violated: some earlier
    /// command plus the distance its rule requires is after `t`.
    #[inline]
    fn may_violate(
        &self,
        ki: usize,
        bases: &[usize; DIRECT_SCOPES],
        r: usize,
        p: usize,
        t: i64,
    ) -> bool {
        let mut latest = NO_RULE;
        for &(scope, prev, value) in &self.direct[ki] {
            latest = latest.max(self.last[bases[scope as usize] + prev as usize] + value);
        }
        for &(prev, value) in &self.other_rank[ki] {
            let last = self.port_latest[5 * p + prev as usize].latest_other_than(r);
            latest = latest.max(last + value);
        }
        if ki == CommandKind::Act.index() {
            latest = latest.max(self.acts[r][self.acts_next[r]] + self.faw);
        }
        latest > t
    }

    /// Checks every rule of `cmd` at cycle `t` one by one, counting each violation.
    fn check_rules(&mut self, cmd: &Command, bases: &[usize; DIRECT_SCOPES], t: i64) {
        let (r, p, ki) = (cmd.rank as usize, cmd.port as usize, cmd.kind.index());
        for j in 0..self.by_next[ki].len() {
            let rule = self.by_next[ki][j];
            match rule.slot {
                0..=3 => {
                    let last = self.last[bases[rule.slot as usize] + rule.prev];
                    if t - last < rule.value {
                        self.flag(rule.index, cmd, t, last);
                    }
                }
                4 => {
                    for r2 in 0..self.ranks {
                        if r2 != r {
                            let last = self.last
                                [self.off_port_rank + 5 * (p * self.ranks + r2) + rule.prev];
                            if t - last < rule.value {
                                self.flag(rule.index, cmd, t, last);
                            }
                        }
                    }
                }
                5 => {
                    // The oldest of the last four ACTs of the rank.
                    let oldest = self.acts[r][self.acts_next[r]];
                    if t - oldest < rule.value {
                        self.flag(rule.index, cmd, t, oldest);
                    }
                }
                _ => {
                    let last = self.last[self.off_rank + 5 * r + CommandKind::Ref.index()].max(0);
                    let v = rule.value;
                    if t - last > 2 * v {
                        self.counts[rule.index] += 1;
                        self.violations += 1;
                        self.note(|| {
                            format!("cycle {t}: {cmd} comes {} cycles after the previous refresh (limit {})", t - last, 2 * v)
                        });
                    }
                }
            }
        }
    }

    /// Closes the run at cycle `end`: a rank whose last refresh is more than two
    /// intervals old counts as a tREFI violation.
    pub fn finish(&mut self, end: u64) {
        let refi = self.derived.refi as i64;
        if refi == 0 {
            return;
        }
        let i = super::constraints::index_of(ConstraintId::Refi);
        for r in 0..self.ranks {
            let last = self.last[self.off_rank + 5 * r + CommandKind::Ref.index()].max(0);
            if end as i64 - last > 2 * refi {
                self.counts[i] += 1;
                self.violations += 1;
                self.note(|| format!("cycle {end}: rank {r} not refreshed since cycle {last}"));
            }
        }
    }

    /// Total violations so far.
    pub fn total(&self) -> u64 {
        self.violations
    }

    /// Violations of one constraint so far.
    pub fn count(&self, id: ConstraintId) -> u64 {
        self.counts[super::constraints::index_of(id)]
    }

    /// Commands checked so far.
    pub fn commands(&self) -> u64 {
        self.commands
    }

    /// The report.
    pub fn report(&self) -> ViolationReport {
        ViolationReport {
            total: self.total(),
            state: self.state,
            by_constraint: CONSTRAINTS
                .iter()
                .zip(self.counts.iter())
                .filter(|(_, &n)| n > 0)
                .map(|(c, &n)| (c.name.to_string(), n))
                .collect(),
            first: self.log.clone(),
        }
    }

    /// The timings the checker enforces.
    pub fn timing(&self) -> &Timing {
        &self.timing
    }
}

/// Merges reports of several channels.
pub fn merge_reports(reports: &[ViolationReport]) -> ViolationReport {
    let mut out = ViolationReport::default();
    for r in reports {
        out.total += r.total;
        out.state += r.state;
        for (name, n) in &r.by_constraint {
            match out.by_constraint.iter_mut().find(|(m, _)| m == name) {
                Some((_, c)) => *c += n,
                None => out.by_constraint.push((name.clone(), *n)),
            }
        }
        for f in &r.first {
            if out.first.len() < LOG_LIMIT {
                out.first.push(f.clone());
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dram::test_support::{property_specs, CommandShape, IndexStream};

    /// Whenever the quick pass says no rule can be violated, checking the rules one by
    /// one finds nothing either, along a pseudo-random schedule full of violations.
    #[test]
    fn quick_pass_never_hides_a_violation() {
        for spec in property_specs() {
            let mut ck = ProtocolChecker::new(&spec);
            let (ranks, bgs, bpg, ports) = (ck.ranks, ck.bgs, ck.bpg, ck.ports);
            let mut stream = IndexStream::new(0x0DDB_1A5E_5BAD_5EED);
            let shape = CommandShape {
                kinds: 4,
                ranks,
                bankgroups: bgs,
                banks_per_group: bpg,
                rows: 2,
                ports,
            };
            let mut t = 0u64;
            let mut skipped = 0;
            for _ in 0..20_000 {
                t += stream.below(8) as u64;
                let cmd = stream.command(&shape);
                let (r, p) = (cmd.rank as usize, cmd.port as usize);
                let bank = (r * bgs + cmd.bankgroup as usize) * bpg + cmd.bank as usize;
                let bases = [
                    5 * bank,
                    ck.off_bg + 5 * (r * bgs + cmd.bankgroup as usize),
                    ck.off_rank + 5 * r,
                    ck.off_port + 5 * p,
                ];
                if !ck.may_violate(cmd.kind.index(), &bases, r, p, t as i64) {
                    skipped += 1;
                    let mut every_rule = ck.clone();
                    every_rule.check_rules(&cmd, &bases, t as i64);
                    assert_eq!(every_rule.total(), ck.total(), "{} {cmd} at {t}", spec.name);
                }
                ck.check(&cmd, t);
            }
            let timing_violations = ck.total() - ck.state;
            assert!(
                skipped > 1000 && timing_violations > 1000,
                "{skipped} {timing_violations}"
            );
        }
    }
}

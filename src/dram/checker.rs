//! An independent timing-protocol checker.
//!
//! The checker keeps its own shadow of bank state and the time of the last command
//! of each kind at every scope (bank, bank group, rank, port), and for every issued
//! command walks the [`CONSTRAINTS`] table looking backwards: "is this command far
//! enough from the last command it depends on?". A quick pass over the rules of the
//! command's kind (their shape taken from the table at compile time, their distances
//! from the memory) finds whether any may be violated; only then are the rules
//! checked one by one. The controller never consults it;
//! it only counts what the controller got wrong. It also flags protocol-state errors
//! (ACT to an open bank, a column command to a closed bank or another row, PRE to a
//! closed bank, REF with an open bank) and more than `ports` commands on the row or
//! the column command bus in one cycle.

use super::command::{with_kind_index, Command, CommandKind};
use super::constraints::{ConstraintId, Scope, CONSTRAINTS, N_CONSTRAINTS};
use super::spec::{Derived, DramSpec, Timing};
use serde::Serialize;

const NEVER: i64 = i64::MIN / 4;
/// The distance of a rule that does not exist: `last + NO_RULE` is never after any
/// cycle.
const NO_RULE: i64 = i64::MIN / 4;
/// The distance of a quick-pass rule that always fires: `last + ALWAYS` is after
/// every cycle.
const ALWAYS: i64 = i64::MAX / 2;
/// Number of command kinds: the length of every per-kind row.
const KINDS: usize = CommandKind::ALL.len();
/// The open row of a closed bank.
const CLOSED: u64 = u64::MAX;
const LOG_LIMIT: usize = 16;

/// The scopes with one row of `last` times per instance, in the order of the rows of
/// one command (see [`ProtocolChecker::rows`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direct {
    Bank,
    BankGroup,
    Rank,
    Port,
}

/// Number of [`Direct`] scopes.
const DIRECT_SCOPES: usize = 4;

/// How the quick pass evaluates the rules of a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quick {
    /// Against the last command in one [`Direct`] scope instance. A refresh-interval
    /// rule, which looks the other way (a REF too long after the previous one), is
    /// one of them with distance [`ALWAYS`], so that the rules are then always
    /// checked one by one.
    Direct(Direct),
    /// Against the latest command of another rank on the same port.
    OtherRank,
    /// Against the oldest of the last four ACTs of the rank.
    FourActWindow,
}

impl Quick {
    const fn of(scope: Scope) -> Option<Quick> {
        match scope {
            Scope::Bank => Some(Quick::Direct(Direct::Bank)),
            Scope::BankGroup => Some(Quick::Direct(Direct::BankGroup)),
            Scope::Rank | Scope::RefreshInterval => Some(Quick::Direct(Direct::Rank)),
            Scope::Port => Some(Quick::Direct(Direct::Port)),
            Scope::PortOtherRank => Some(Quick::OtherRank),
            Scope::FourActWindow => Some(Quick::FourActWindow),
            Scope::CommandSlot => None,
        }
    }

    const fn class(self) -> Class {
        match self {
            Quick::Direct(_) => Class::Direct,
            Quick::OtherRank => Class::OtherRank,
            Quick::FourActWindow => Class::FourActWindow,
        }
    }
}

/// The kinds of [`Quick`] rules, each with its own list per command kind in
/// [`QuickShape`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Direct,
    OtherRank,
    FourActWindow,
}

/// The most rules in [`CONSTRAINTS`] of one command kind in quick-pass class `class`.
const fn max_rules_per_kind(class: Class) -> usize {
    let mut counts = [0; KINDS];
    let mut i = 0;
    while i < CONSTRAINTS.len() {
        if let Some(quick) = Quick::of(CONSTRAINTS[i].scope) {
            if quick.class() as usize == class as usize {
                counts[CONSTRAINTS[i].next.index()] += 1;
            }
        }
        i += 1;
    }
    let (mut max, mut k) = (0, 0);
    while k < KINDS {
        if counts[k] > max {
            max = counts[k];
        }
        k += 1;
    }
    max
}

const MAX_DIRECT: usize = max_rules_per_kind(Class::Direct);
const MAX_OTHER_RANK: usize = max_rules_per_kind(Class::OtherRank);
const MAX_FAW: usize = max_rules_per_kind(Class::FourActWindow);

/// The constraints of `next` in quick-pass class `class`, as indices in
/// [`CONSTRAINTS`], padded with `None`.
const fn rules_of<const N: usize>(next: usize, class: Class) -> [Option<usize>; N] {
    let mut rules = [None; N];
    let (mut i, mut n) = (0, 0);
    while i < CONSTRAINTS.len() {
        if let Some(quick) = Quick::of(CONSTRAINTS[i].scope) {
            if quick.class() as usize == class as usize && CONSTRAINTS[i].next.index() == next {
                rules[n] = Some(i);
                n += 1;
            }
        }
        i += 1;
    }
    rules
}

/// The constraints the quick pass evaluates for one command kind, by class, as
/// indices in [`CONSTRAINTS`]. Known at compile time, so that the quick pass of each
/// kind is straight-line code.
#[derive(Clone, Copy, Debug)]
struct QuickShape {
    direct: [Option<usize>; MAX_DIRECT],
    other_rank: [Option<usize>; MAX_OTHER_RANK],
    faw: [Option<usize>; MAX_FAW],
}

const fn quick_shapes() -> [QuickShape; KINDS] {
    let mut shapes = [QuickShape {
        direct: [None; MAX_DIRECT],
        other_rank: [None; MAX_OTHER_RANK],
        faw: [None; MAX_FAW],
    }; KINDS];
    let mut k = 0;
    while k < KINDS {
        shapes[k] = QuickShape {
            direct: rules_of(k, Class::Direct),
            other_rank: rules_of(k, Class::OtherRank),
            faw: rules_of(k, Class::FourActWindow),
        };
        k += 1;
    }
    shapes
}

/// Per command kind, the rules of its quick pass.
const QUICK_SHAPES: [QuickShape; KINDS] = quick_shapes();

/// The distances of the rules of one [`QuickShape`] for one memory: [`NO_RULE`] for
/// a constraint that does not exist there.
#[derive(Clone, Copy, Debug)]
struct QuickDistances {
    direct: [i64; MAX_DIRECT],
    other_rank: [i64; MAX_OTHER_RANK],
    faw: [i64; MAX_FAW],
}

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

/// The last four ACTs of a rank, in a ring.
#[derive(Clone, Copy, Debug)]
struct ActWindow {
    times: [i64; 4],
    /// Position of the oldest.
    next: usize,
}

impl ActWindow {
    /// The oldest of the last four ACTs.
    #[inline]
    fn oldest(&self) -> i64 {
        self.times[self.next % 4]
    }

    #[inline]
    fn record(&mut self, t: i64) {
        self.times[self.next % 4] = t;
        self.next = (self.next + 1) % 4;
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
    /// Per command kind, the distances of the rules of its quick first pass.
    quick: [QuickDistances; KINDS],
    /// Commands allowed per cycle on each command bus.
    slot_limit: u64,
    ranks: usize,
    bgs: usize,
    bpg: usize,
    ports: usize,
    /// Time of the last command of each kind at every scope instance, one row per
    /// instance: banks, then bank groups, ranks, ports and (port, rank) pairs.
    last: Vec<[i64; KINDS]>,
    off_bg: usize,
    off_rank: usize,
    off_port: usize,
    off_port_rank: usize,
    /// Per port and command kind: the latest command from any rank, for the quick pass's
    /// rules against other ranks.
    port_latest: Vec<[PortLatest; KINDS]>,
    acts: Vec<ActWindow>,
    /// Per bank, its open row, or [`CLOSED`].
    open: Vec<u64>,
    slot_cycle: [i64; 2],
    slot_used: [u64; 2],
    violations: u64,
    commands: u64,
    /// What only the rule-by-rule pass and the report use, kept apart so that the
    /// state every command reads stays in few cache lines.
    record: Box<CheckerRecord>,
}

/// The checker's rule table and its findings.
#[derive(Clone, Debug)]
struct CheckerRecord {
    timing: Timing,
    derived: Derived,
    values: [u64; N_CONSTRAINTS],
    /// Per command kind, the constraints it must satisfy (non-zero ones only).
    by_next: [Vec<Rule>; KINDS],
    slot_index: usize,
    counts: [u64; N_CONSTRAINTS],
    state: u64,
    log: Vec<String>,
}

impl ProtocolChecker {
    /// A checker for one channel of `spec`, at time zero with every bank closed.
    pub fn new(spec: &DramSpec) -> Self {
        let derived = spec.derived();
        let mut values = [0u64; N_CONSTRAINTS];
        for (v, c) in values.iter_mut().zip(CONSTRAINTS) {
            *v = (c.value)(&spec.timing, &derived);
        }
        let mut by_next: [Vec<Rule>; KINDS] = Default::default();
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
        let distance = |rule: &Option<usize>| match *rule {
            Some(i) if values[i] > 0 && CONSTRAINTS[i].scope == Scope::RefreshInterval => ALWAYS,
            Some(i) if values[i] > 0 => values[i] as i64,
            _ => NO_RULE,
        };
        let quick = QUICK_SHAPES.map(|shape| QuickDistances {
            direct: shape.direct.each_ref().map(distance),
            other_rank: shape.other_rank.each_ref().map(distance),
            faw: shape.faw.each_ref().map(distance),
        });
        let ranks = spec.org.ranks as usize;
        let bgs = spec.org.bankgroups as usize;
        let bpg = spec.org.banks_per_group as usize;
        let ports = spec.org.ports as usize;
        let banks = ranks * bgs * bpg;
        ProtocolChecker {
            quick,
            slot_limit: values[super::constraints::index_of(ConstraintId::CmdBus)],
            ranks,
            bgs,
            bpg,
            ports,
            last: vec![[NEVER; KINDS]; banks + ranks * bgs + ranks + ports + ports * ranks],
            off_bg: banks,
            off_rank: banks + ranks * bgs,
            off_port: banks + ranks * bgs + ranks,
            off_port_rank: banks + ranks * bgs + ranks + ports,
            port_latest: vec![[PortLatest::NEVER; KINDS]; ports],
            acts: vec![
                ActWindow {
                    times: [NEVER; 4],
                    next: 0
                };
                ranks
            ],
            open: vec![CLOSED; banks],
            slot_cycle: [NEVER; 2],
            slot_used: [0; 2],
            violations: 0,
            commands: 0,
            record: Box::new(CheckerRecord {
                timing: spec.timing.clone(),
                derived,
                values,
                by_next,
                slot_index: super::constraints::index_of(ConstraintId::CmdBus),
                counts: [0; N_CONSTRAINTS],
                state: 0,
                log: Vec::new(),
            }),
        }
    }

    fn note(&mut self, msg: impl FnOnce() -> String) {
        if self.record.log.len() < LOG_LIMIT {
            self.record.log.push(msg());
        }
    }

    #[cold]
    fn flag(&mut self, i: usize, cmd: &Command, t: i64, last: i64) {
        self.record.counts[i] += 1;
        self.violations += 1;
        let c = &CONSTRAINTS[i];
        let v = self.record.values[i];
        self.note(|| {
            format!(
                "cycle {t}: {cmd} violates {} ({} cycles after {}, needs {v})",
                c.name,
                t - last,
                c.prev
            )
        });
    }

    #[cold]
    fn state_error(&mut self, cmd: &Command, t: i64, what: &str) {
        self.record.state += 1;
        self.violations += 1;
        self.note(|| format!("cycle {t}: {cmd}: {what}"));
    }

    #[cold]
    fn slot_error(&mut self, cmd: &Command, t: i64, class: usize, used: u64) {
        self.record.counts[self.record.slot_index] += 1;
        self.violations += 1;
        let bus = if class == 1 { "column" } else { "row" };
        self.note(|| format!("cycle {t}: {cmd} is {bus} command {used} in one cycle"));
    }

    /// The rows of `last` of the bank, bank group, rank and port of `cmd` (whose
    /// address is in range), in [`Direct`] order.
    #[inline]
    fn rows(&self, cmd: &Command) -> [usize; DIRECT_SCOPES] {
        let bg = cmd.rank as usize * self.bgs + cmd.bankgroup as usize;
        [
            bg * self.bpg + cmd.bank as usize,
            self.off_bg + bg,
            self.off_rank + cmd.rank as usize,
            self.off_port + cmd.port as usize,
        ]
    }

    /// Checks `cmd` issued at cycle `at` against every constraint, then records it.
    /// Returns the number of violations it found.
    pub fn check(&mut self, cmd: &Command, at: u64) -> u64 {
        with_kind_index!(cmd.kind, K => self.check_kind::<K>(cmd, at))
    }

    /// [`check`](Self::check) for a command whose kind has index `K`, for callers that
    /// know the kind already (the rules to check are then chosen at compile time).
    /// `cmd.kind` is not read: `K` says the kind.
    #[inline(always)]
    pub(crate) fn check_kind<const K: usize>(&mut self, cmd: &Command, at: u64) -> u64 {
        let kind = CommandKind::ALL[K];
        debug_assert_eq!(cmd.kind, kind);
        let cmd = &Command { kind, ..*cmd };
        let before = self.violations;
        let t = at as i64;
        self.commands += 1;
        let (r, g, b, p) = (
            cmd.rank as usize,
            cmd.bankgroup as usize,
            cmd.bank as usize,
            cmd.port as usize,
        );
        if (r >= self.ranks) | (g >= self.bgs) | (b >= self.bpg) | (p >= self.ports) {
            self.state_error(cmd, t, "address out of range");
            return self.violations - before;
        }
        let rows = self.rows(cmd);

        // Command slots per cycle.
        let class = usize::from(kind.is_column());
        // One more than the commands so far if they were in this cycle.
        let used = u64::from(t == self.slot_cycle[class]) * self.slot_used[class] + 1;
        self.slot_cycle[class] = t;
        self.slot_used[class] = used;
        if used > self.slot_limit {
            self.slot_error(cmd, t, class, used);
        }

        // A quick pass over every rule of the command at once; the rules one by one
        // only when one of them may be violated.
        if self.latest::<K>(&rows, r, p) > t {
            self.check_rules(cmd, t);
        }
        self.bank_state(cmd, rows[Direct::Bank as usize], t);
        self.record(K, &rows, r, p, t);
        self.violations - before
    }

    /// Checks the state of the bank of `cmd` (of every bank of the rank for REF) and
    /// updates it.
    #[inline(always)]
    fn bank_state(&mut self, cmd: &Command, bank: usize, t: i64) {
        let row = u64::from(cmd.row);
        let open = &mut self.open[bank];
        let was = *open;
        let wrong = if cmd.kind.is_column() {
            was != row
        } else if cmd.kind == CommandKind::Act {
            *open = row;
            self.acts[cmd.rank as usize].record(t);
            was != CLOSED
        } else if cmd.kind == CommandKind::Pre {
            *open = CLOSED;
            was == CLOSED
        } else {
            return self.refresh_state(cmd, t);
        };
        if wrong {
            let what = match cmd.kind {
                CommandKind::Act => "ACT to an open bank",
                CommandKind::Pre => "PRE to a closed bank",
                _ if was == CLOSED => "column command to a closed bank",
                _ => "column command to a row that is not open",
            };
            self.state_error(cmd, t, what);
        }
    }

    /// Checks that every bank of the rank of REF `cmd` is closed.
    #[cold]
    #[inline(never)]
    fn refresh_state(&mut self, cmd: &Command, t: i64) {
        let n = self.bgs * self.bpg;
        let first = cmd.rank as usize * n;
        if self.open[first..first + n].iter().any(|&row| row != CLOSED) {
            self.state_error(cmd, t, "REF with an open bank");
        }
    }

    /// Records the command kind of index `ki` at cycle `t` in its rows of `last` and on
    /// its port.
    #[inline(always)]
    fn record(&mut self, ki: usize, rows: &[usize; DIRECT_SCOPES], r: usize, p: usize, t: i64) {
        let last = self.last.as_mut_slice();
        for &row in rows {
            last[row][ki] = t;
        }
        last[self.off_port_rank + p * self.ranks + r][ki] = t;
        if self.ranks > 1 {
            self.port_latest[p][ki].record(r, t);
        }
    }

    /// True if a rule of command kind `k` at cycle `t` may be violated (the quick pass
    /// of [`check_kind`](Self::check_kind), for a kind known only at run time).
    #[cfg(test)]
    fn may_violate(
        &self,
        k: CommandKind,
        rows: &[usize; DIRECT_SCOPES],
        r: usize,
        p: usize,
        t: i64,
    ) -> bool {
        with_kind_index!(k, K => self.latest::<K>(rows, r, p)) > t
    }

    /// The latest of every earlier command plus the distance its rule requires, over
    /// the quick-pass rules of the command kind of index `K` (`i64::MIN` if it has
    /// none).
    #[inline(always)]
    fn latest<const K: usize>(&self, rows: &[usize; DIRECT_SCOPES], r: usize, p: usize) -> i64 {
        let (shape, distances) = (&QUICK_SHAPES[K], &self.quick[K]);
        let mut latest = i64::MIN;
        for (rule, value) in shape.direct.iter().zip(distances.direct) {
            if let Some(i) = *rule {
                let c = &CONSTRAINTS[i];
                if let Some(Quick::Direct(scope)) = Quick::of(c.scope) {
                    let last = self.last[rows[scope as usize]][c.prev.index()];
                    latest = latest.max(last + value);
                }
            }
        }
        for (rule, value) in shape.other_rank.iter().zip(distances.other_rank) {
            if let Some(i) = *rule {
                let port = &self.port_latest[p][CONSTRAINTS[i].prev.index()];
                latest = latest.max(port.latest_other_than(r) + value);
            }
        }
        for (rule, value) in shape.faw.iter().zip(distances.faw) {
            if rule.is_some() {
                latest = latest.max(self.acts[r].oldest() + value);
            }
        }
        latest
    }

    /// Checks every rule of `cmd` at cycle `t` one by one, counting each violation.
    #[cold]
    #[inline(never)]
    fn check_rules(&mut self, cmd: &Command, t: i64) {
        let rows = self.rows(cmd);
        let (r, p, ki) = (cmd.rank as usize, cmd.port as usize, cmd.kind.index());
        for j in 0..self.record.by_next[ki].len() {
            let rule = self.record.by_next[ki][j];
            match rule.slot {
                0..=3 => {
                    let last = self.last[rows[rule.slot as usize]][rule.prev];
                    if t - last < rule.value {
                        self.flag(rule.index, cmd, t, last);
                    }
                }
                4 => {
                    for r2 in 0..self.ranks {
                        if r2 != r {
                            let last =
                                self.last[self.off_port_rank + p * self.ranks + r2][rule.prev];
                            if t - last < rule.value {
                                self.flag(rule.index, cmd, t, last);
                            }
                        }
                    }
                }
                5 => {
                    let oldest = self.acts[r].oldest();
                    if t - oldest < rule.value {
                        self.flag(rule.index, cmd, t, oldest);
                    }
                }
                _ => {
                    let last = self.last[self.off_rank + r][CommandKind::Ref.index()].max(0);
                    let v = rule.value;
                    if t - last > 2 * v {
                        self.record.counts[rule.index] += 1;
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
        let refi = self.record.derived.refi as i64;
        if refi == 0 {
            return;
        }
        let i = super::constraints::index_of(ConstraintId::Refi);
        for r in 0..self.ranks {
            let last = self.last[self.off_rank + r][CommandKind::Ref.index()].max(0);
            if end as i64 - last > 2 * refi {
                self.record.counts[i] += 1;
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
        self.record.counts[super::constraints::index_of(id)]
    }

    /// Commands checked so far.
    pub fn commands(&self) -> u64 {
        self.commands
    }

    /// The report.
    pub fn report(&self) -> ViolationReport {
        ViolationReport {
            total: self.total(),
            state: self.record.state,
            by_constraint: CONSTRAINTS
                .iter()
                .zip(self.record.counts.iter())
                .filter(|(_, &n)| n > 0)
                .map(|(c, &n)| (c.name.to_string(), n))
                .collect(),
            first: self.record.log.clone(),
        }
    }

    /// The timings the checker enforces.
    pub fn timing(&self) -> &Timing {
        &self.record.timing
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
                let rows = ck.rows(&cmd);
                if !ck.may_violate(cmd.kind, &rows, r, p, t as i64) {
                    skipped += 1;
                    let mut every_rule = ck.clone();
                    every_rule.check_rules(&cmd, t as i64);
                    assert_eq!(every_rule.total(), ck.total(), "{} {cmd} at {t}", spec.name);
                }
                ck.check(&cmd, t);
            }
            let timing_violations = ck.total() - ck.record.state;
            assert!(
                skipped > 1000 && timing_violations > 1000,
                "{skipped} {timing_violations}"
            );
        }
    }
}

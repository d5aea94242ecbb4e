//! Timing-edge tests: for every row of the constraint table, the dependent command is
//! refused one cycle early and accepted exactly on time, by the controller's timing
//! state and by the protocol checker, on several memories. A constraint without a
//! scenario here fails `every_constraint_has_an_edge_test`.

use deepstack::dram::constraints::{constraint, ConstraintId, CONSTRAINTS};
use deepstack::dram::controller::Channel;
use deepstack::dram::{
    presets, ChannelTiming, Command, CommandKind, DramSpec, ProtocolChecker, StackParams, Timing,
};

/// Memories the edges are checked on. hbm3 has one rank, so a two-rank variant covers
/// the rank-switch rows; the stack has two ports (two commands per cycle).
fn memories() -> Vec<DramSpec> {
    let hbm2 = presets::preset("hbm2").unwrap();
    let hbm3 = presets::preset("hbm3").unwrap();
    let mut hbm3_2r = hbm3.clone();
    hbm3_2r.name = "hbm3-2rank".into();
    hbm3_2r.org.ranks = 2;
    hbm3_2r.validate().unwrap();
    let mut stack = StackParams::toy(4, 2);
    stack.channels_per_connected_layer = 1;
    stack.banks_per_layer = 4;
    stack.jedec = Some(Timing {
        tck_ps: 0,
        cl: 10,
        cwl: 4,
        rcd_rd: 9,
        rcd_wr: 8,
        rp: 9,
        ras: 20,
        rc: 31,
        ccd_s: 1,
        ccd_l: 3,
        rrd_s: 3,
        rrd_l: 5,
        faw: 20,
        wtr_s: 3,
        wtr_l: 6,
        rtp: 4,
        wr: 10,
        rfc: 120,
        refi: 3900,
        rtrs: 1,
    });
    let stack = DramSpec::from_stack(&stack).unwrap();
    vec![hbm2, hbm3, hbm3_2r, stack]
}

struct Scenario {
    /// Issued in order, each at its earliest legal cycle.
    setup: Vec<Command>,
    prev: Command,
    between: Vec<Command>,
    next: Command,
}

fn cmd(kind: CommandKind, rank: u16, bg: u16, bank: u16) -> Command {
    Command::new(kind, rank, bg, bank, 7)
}

const SETTLE: u64 = 1000;

/// The scenario that isolates `id`: A = (r0, bg0, b0), B = same bank group, C = other
/// bank group, A2 = rank 1.
fn scenario(id: ConstraintId) -> Option<Scenario> {
    use CommandKind::{Act, Pre, Rd, Ref, Wr};
    let a = |k| cmd(k, 0, 0, 0);
    let b = |k| cmd(k, 0, 0, 1);
    let c = |k| cmd(k, 0, 1, 0);
    let a2 = |k| cmd(k, 1, 0, 0);
    let col = |setup: Vec<Command>, prev, next| Scenario {
        setup,
        prev,
        between: vec![],
        next,
    };
    Some(match id {
        ConstraintId::RcdRd => col(vec![], a(Act), a(Rd)),
        ConstraintId::RcdWr => col(vec![], a(Act), a(Wr)),
        ConstraintId::Ras => col(vec![], a(Act), a(Pre)),
        ConstraintId::Rc => Scenario {
            setup: vec![],
            prev: a(Act),
            between: vec![a(Pre)],
            next: a(Act),
        },
        ConstraintId::Rp => col(vec![a(Act)], a(Pre), a(Act)),
        ConstraintId::RpRef => col(vec![a(Act)], a(Pre), a(Ref)),
        ConstraintId::RrdS => col(vec![], a(Act), c(Act)),
        ConstraintId::RrdL => col(vec![], a(Act), b(Act)),
        ConstraintId::Faw => Scenario {
            setup: vec![],
            prev: a(Act),
            between: vec![c(Act), cmd(Act, 0, 2, 0), cmd(Act, 0, 3, 0)],
            next: b(Act),
        },
        ConstraintId::CcdSRd => col(vec![a(Act), c(Act)], a(Rd), c(Rd)),
        ConstraintId::CcdLRd => col(vec![a(Act), b(Act)], a(Rd), b(Rd)),
        ConstraintId::CcdSWr => col(vec![a(Act), c(Act)], a(Wr), c(Wr)),
        ConstraintId::CcdLWr => col(vec![a(Act), b(Act)], a(Wr), b(Wr)),
        ConstraintId::RankSwitchRd => col(vec![a(Act), a2(Act)], a(Rd), a2(Rd)),
        ConstraintId::RankSwitchWr => col(vec![a(Act), a2(Act)], a(Wr), a2(Wr)),
        ConstraintId::Rtw => col(vec![a(Act), c(Act)], a(Rd), c(Wr)),
        ConstraintId::WtrS => col(vec![a(Act), c(Act)], a(Wr), c(Rd)),
        ConstraintId::WtrL => col(vec![a(Act), b(Act)], a(Wr), b(Rd)),
        ConstraintId::Rtp => col(vec![a(Act)], a(Rd), a(Pre)),
        ConstraintId::Wr => col(vec![a(Act)], a(Wr), a(Pre)),
        ConstraintId::Rfc => col(vec![], a(Ref), a(Act)),
        ConstraintId::RfcRef => col(vec![], a(Ref), a(Ref)),
        // Maximum-interval and per-cycle rules have their own tests below.
        ConstraintId::Refi | ConstraintId::CmdBus => return None,
    })
}

/// Rows whose edge is tested by a dedicated test rather than a [`scenario`].
const DEDICATED: [ConstraintId; 2] = [ConstraintId::Refi, ConstraintId::CmdBus];

fn needs_ranks(id: ConstraintId) -> u32 {
    match id {
        ConstraintId::RankSwitchRd | ConstraintId::RankSwitchWr => 2,
        _ => 1,
    }
}

/// Runs the scenario; returns false if the constraint does not exist in this memory.
fn check_edge(spec: &DramSpec, id: ConstraintId) -> bool {
    let row = constraint(id);
    let value = (row.value)(&spec.timing, &spec.derived());
    if value == 0 || spec.org.ranks < needs_ranks(id) {
        return false;
    }
    let s = scenario(id).unwrap();
    let mut tm = ChannelTiming::new(spec);
    let mut ck = ProtocolChecker::new(spec);
    let mut last = 0u64;
    let mut issue =
        |tm: &mut ChannelTiming, ck: &mut ProtocolChecker, c: Command, settle: u64| -> u64 {
            let e = tm
                .earliest(&c)
                .unwrap_or_else(|| panic!("{}: {c} not allowed by bank state", spec.name));
            let t = e.max(last + 1) + settle;
            assert!(tm.can_issue(&c, t), "{}: setup {c} at {t}", spec.name);
            tm.issue(&c, t);
            assert_eq!(
                ck.check(&c, t),
                0,
                "{}: setup {c} at {t}: {:?}",
                spec.name,
                ck.report()
            );
            last = t;
            t
        };
    for &c in &s.setup {
        issue(&mut tm, &mut ck, c, 0);
    }
    let t_prev = issue(&mut tm, &mut ck, s.prev, SETTLE);
    for &c in &s.between {
        issue(&mut tm, &mut ck, c, 0);
    }
    // For tFAW the window counts from the oldest of the last four ACTs: the prev.
    let (early, on_time) = (t_prev + value - 1, t_prev + value);
    assert!(
        early >= last,
        "{}: {} scenario leaves no room before the edge",
        spec.name,
        row.name
    );
    // Controller side.
    assert!(
        !tm.can_issue(&s.next, early),
        "{}: {} accepted one cycle early (prev at {t_prev}, value {value})",
        spec.name,
        row.name
    );
    assert!(
        tm.can_issue(&s.next, on_time),
        "{}: {} refused exactly on time (prev at {t_prev}, value {value}, earliest {:?})",
        spec.name,
        row.name,
        tm.earliest(&s.next)
    );
    assert_eq!(
        tm.earliest(&s.next),
        Some(on_time),
        "{}: {}",
        spec.name,
        row.name
    );
    // Checker side.
    let mut ck_early = ck.clone();
    ck_early.check(&s.next, early);
    assert!(
        ck_early.count(id) >= 1,
        "{}: checker missed {} one cycle early",
        spec.name,
        row.name
    );
    let mut ck_on_time = ck.clone();
    assert_eq!(
        ck_on_time.check(&s.next, on_time),
        0,
        "{}: checker flagged {} on time: {:?}",
        spec.name,
        row.name,
        ck_on_time.report()
    );
    true
}

#[test]
fn every_constraint_has_an_edge_test() {
    let specs = memories();
    for row in CONSTRAINTS {
        if DEDICATED.contains(&row.id) {
            continue;
        }
        assert!(
            scenario(row.id).is_some(),
            "constraint {} has no edge scenario",
            row.name
        );
        let tested: Vec<&str> = specs
            .iter()
            .filter(|s| check_edge(s, row.id))
            .map(|s| s.name.as_str())
            .collect();
        assert!(
            tested.len() >= 2,
            "constraint {} exercised on fewer than two memories: {tested:?}",
            row.name
        );
    }
}

#[test]
fn command_slots_per_cycle() {
    for spec in memories() {
        let slots = spec.derived().commands_per_cycle;
        let mut tm = ChannelTiming::new(&spec);
        let mut ck = ProtocolChecker::new(&spec);
        // Open slots + 1 banks in distinct bank groups where possible, then close them
        // all in one cycle: PRE has no PRE-to-PRE constraint, so only the slot limit binds.
        let n = (slots + 1) as u16;
        let banks: Vec<(u16, u16)> = (0..n)
            .map(|i| {
                (
                    (i % spec.org.bankgroups as u16),
                    (i / spec.org.bankgroups as u16),
                )
            })
            .collect();
        let mut t = 0;
        for &(g, b) in &banks {
            let c = Command::new(CommandKind::Act, 0, g, b, 1);
            t = tm.earliest(&c).unwrap().max(t + 1);
            tm.issue(&c, t);
            assert_eq!(ck.check(&c, t), 0);
        }
        let at = t + 1000;
        for &(g, b) in &banks[..slots as usize] {
            let c = Command::new(CommandKind::Pre, 0, g, b, 1);
            assert!(tm.can_issue(&c, at), "{}", spec.name);
            tm.issue(&c, at);
            assert_eq!(ck.check(&c, at), 0, "{}", spec.name);
        }
        let (g, b) = banks[slots as usize];
        let extra = Command::new(CommandKind::Pre, 0, g, b, 1);
        assert!(
            !tm.can_issue(&extra, at),
            "{}: slot {} accepted",
            spec.name,
            slots + 1
        );
        assert!(tm.can_issue(&extra, at + 1), "{}", spec.name);
        let mut early = ck.clone();
        early.check(&extra, at);
        assert_eq!(early.count(ConstraintId::CmdBus), 1, "{}", spec.name);
        assert_eq!(ck.check(&extra, at + 1), 0, "{}", spec.name);
    }
}

#[test]
fn refresh_interval_edge_and_temperature() {
    for name in ["hbm2", "hbm3"] {
        for (temp, factor) in [(45.0, 1), (95.0, 2)] {
            let mut spec = presets::preset(name).unwrap();
            spec.controller.temperature_c = temp;
            let refi = spec.timing.refi / factor;
            assert_eq!(spec.derived().refi, refi);
            let mut ch = Channel::new(&spec, 0);
            // Every rank refreshes at cycle 0, then not before tREFI.
            let mut t = 0;
            let mut refs = 0;
            while t < refi {
                let o = ch.step(t);
                if o.issued.map(|c| c.kind) == Some(CommandKind::Ref) {
                    refs += 1;
                }
                t = o.next.unwrap();
            }
            assert_eq!(refs, spec.org.ranks, "{name} {temp}");
            assert_eq!(t, refi, "{name} at {temp} °C: next refresh decision");
            let o = ch.step(refi - 1);
            assert!(o.issued.is_none(), "{name}: refreshed one cycle early");
            let o = ch.step(refi);
            assert_eq!(
                o.issued.map(|c| c.kind),
                Some(CommandKind::Ref),
                "{name}: not refreshed on time"
            );

            // Checker: a refresh at most two intervals after the previous one.
            let r = Command::new(CommandKind::Ref, 0, 0, 0, 0);
            let mut ck = ProtocolChecker::new(&spec);
            assert_eq!(ck.check(&r, 10), 0);
            let mut late = ck.clone();
            late.check(&r, 10 + 2 * refi + 1);
            assert_eq!(late.count(ConstraintId::Refi), 1);
            assert_eq!(ck.check(&r, 10 + 2 * refi), 0);
        }
    }
}

#[test]
fn checker_catches_a_broken_schedule() {
    let spec = presets::preset("hbm2").unwrap();
    // A hand-written schedule with one error of each kind.
    let mut ck = ProtocolChecker::new(&spec);
    let t = &spec.timing;
    let a = |k| Command::new(k, 0, 0, 0, 5);
    assert_eq!(ck.check(&a(CommandKind::Act), 100), 0);
    assert_eq!(ck.check(&a(CommandKind::Rd), 100 + t.rcd_rd - 3), 1); // tRCD
    assert_eq!(ck.check(&a(CommandKind::Pre), 100 + t.ras - 1), 1); // tRAS
    assert_eq!(ck.check(&a(CommandKind::Rd), 200), 1); // read from a closed bank
    assert_eq!(ck.check(&a(CommandKind::Act), 200 + t.rp), 0);
    assert_eq!(
        ck.check(&Command::new(CommandKind::Ref, 0, 0, 0, 0), 400),
        1
    ); // REF with an open bank
    assert!(ck.total() >= 4);
    assert!(!ck.report().first.is_empty());

    // A controller scheduling with a faster memory's tRCD/tRP/tRAS, checked against
    // the real one, is caught on ordinary traffic.
    let mut fast = spec.clone();
    fast.timing.rcd_rd = 10;
    fast.timing.rcd_wr = 10;
    fast.timing.rp = 10;
    fast.timing.ras = 24;
    fast.timing.rc = 34;
    let mut ch = Channel::with_checker(&fast, 0, ProtocolChecker::new(&spec));
    let mut t = 0u64;
    for row in 0..64u32 {
        let req = deepstack::dram::QueuedRequest {
            id: row.into(),
            arrival: t,
            rank: 0,
            bankgroup: (row % 4) as u16,
            bank: 0,
            row,
            is_write: false,
        };
        while ch.enqueue(req).is_err() {
            t = ch.step(t).next.unwrap_or(t + 1);
        }
    }
    for _ in 0..100_000 {
        match ch.step(t).next {
            Some(n) if ch.queued() > 0 => t = n,
            _ => break,
        }
    }
    assert_eq!(ch.queued(), 0);
    assert!(
        ch.checker().count(ConstraintId::RcdRd) > 0,
        "{:?}",
        ch.checker().report()
    );
    // The same traffic with the right timings is clean.
    let mut ok = Channel::new(&spec, 0);
    let mut t = 0u64;
    for row in 0..64u32 {
        let req = deepstack::dram::QueuedRequest {
            id: row.into(),
            arrival: t,
            rank: 0,
            bankgroup: (row % 4) as u16,
            bank: 0,
            row,
            is_write: false,
        };
        while ok.enqueue(req).is_err() {
            t = ok.step(t).next.unwrap_or(t + 1);
        }
    }
    while ok.queued() > 0 {
        t = ok.step(t).next.unwrap_or(t + 1);
    }
    assert_eq!(ok.checker().total(), 0, "{:?}", ok.checker().report());
}

#[test]
fn vertical_link_serialization_edge() {
    use deepstack::dram::{LinkKind, VerticalLink, VerticalLinkSpec};
    use deepstack::sim::{Picos, SimTime};
    for (kind, pitch) in [(LinkKind::Tsv, 10.0), (LinkKind::HybridBond, 1.0)] {
        let spec =
            VerticalLinkSpec::from_pitch(kind, pitch, 0.0001 * pitch * pitch, 4.0, 0).unwrap();
        let ser = spec.serialization(64);
        let mut link = VerticalLink::new(spec);
        let t = SimTime::from_ps(12_345);
        let d = link.transfer(t, 64);
        // Not deliverable one picosecond before the serialization ends, deliverable at it.
        assert!(d.delivered > t + Picos(ser.0 - 1));
        assert_eq!(d.delivered, t + ser);
    }
}

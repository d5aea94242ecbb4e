//! The DRAM model against closed-form figures, zero checker violations on every
//! shipped trace and generated pattern, determinism, and the 3D-stack mapping.

use deepstack::dram::{
    measure_effective_bandwidth, presets, run_records, DramSpec, EnqueueError, MemorySystem,
    PagePolicy, Pattern, PatternGen, Request, StackParams, TraceReader,
};
use std::fs::File;
use std::io::BufReader;

fn bytes_per_s(spec: &DramSpec, per_cycle: f64) -> f64 {
    per_cycle * spec.derived().transaction_bytes as f64 / (spec.timing.tck_ps as f64 * 1e-12)
}

/// Streaming reads reach the bandwidth that tCCD, the burst length and refresh allow:
/// every port moves one burst per max(tCCD_S, BL / transfers-per-clock) cycles except
/// for tRFC out of every tREFI.
#[test]
fn hbm2_stream_reaches_the_tccd_burst_refresh_bound() {
    let spec = presets::preset("hbm2").unwrap();
    let d = spec.derived();
    let t = &spec.timing;
    let per_cycle =
        spec.org.channels as f64 / d.ccd_s as f64 * (1.0 - t.rfc as f64 / t.refi as f64);
    let bound = bytes_per_s(&spec, per_cycle);
    let s = measure_effective_bandwidth(&spec, Pattern::Stream, 400_000, 1).unwrap();
    let ratio = s.bandwidth_bytes_per_s / bound;
    assert_eq!(s.timing_violations, 0);
    assert!(
        (ratio - 1.0).abs() < 0.03,
        "stream {:.4e} B/s vs closed form {:.4e} B/s (ratio {ratio:.4})",
        s.bandwidth_bytes_per_s,
        bound
    );
}

/// Uniformly random reads need an ACT each, so they cannot beat the activation bound
/// min(1 / tRRD_S, 4 / tFAW) per rank (nor the data bus), and a decent controller gets
/// most of it.
#[test]
fn random_reads_stay_under_the_tfaw_trrd_bound() {
    for name in ["hbm2", "hbm3"] {
        let spec = presets::preset(name).unwrap();
        let d = spec.derived();
        let t = &spec.timing;
        let acts_per_rank = (1.0 / t.rrd_s as f64).min(4.0 / t.faw as f64);
        let per_channel = (spec.org.ranks as f64 * acts_per_rank).min(1.0 / d.ccd_s as f64);
        let bound = bytes_per_s(&spec, per_channel * spec.org.channels as f64);
        let s = measure_effective_bandwidth(&spec, Pattern::Random, 200_000, 3).unwrap();
        assert_eq!(s.timing_violations, 0);
        // Hits need no ACT; allow for the (tiny) fraction of them.
        let ceiling = bound / (1.0 - s.row_hit_rate);
        assert!(
            s.bandwidth_bytes_per_s <= ceiling,
            "{name}: random {:.4e} exceeds the activation bound {:.4e}",
            s.bandwidth_bytes_per_s,
            ceiling
        );
        assert!(
            s.bandwidth_bytes_per_s > 0.6 * bound,
            "{name}: random {:.4e} far below the bound {:.4e}",
            s.bandwidth_bytes_per_s,
            bound
        );
    }
}

#[test]
fn refresh_doubles_above_85_c() {
    let mut spec = presets::preset("hbm2").unwrap();
    let cool = measure_effective_bandwidth(&spec, Pattern::Stream, 100_000, 1).unwrap();
    spec.controller.temperature_c = 90.0;
    let hot = measure_effective_bandwidth(&spec, Pattern::Stream, 100_000, 1).unwrap();
    let per_time = |s: &deepstack::dram::Stats| s.refreshes as f64 / s.simulated_time_s;
    let r = per_time(&hot) / per_time(&cool);
    assert!((r - 2.0).abs() < 0.15, "refresh rate ratio {r}");
    assert!(hot.bandwidth_bytes_per_s < cool.bandwidth_bytes_per_s);
    assert_eq!(hot.timing_violations + cool.timing_violations, 0);
}

#[test]
fn no_violations_on_every_trace_and_pattern() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/traces");
    let mut traces: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect();
    traces.sort();
    assert!(traces.len() >= 3, "expected the shipped traces in {dir}");
    for name in presets::PRESET_NAMES {
        for policy in [PagePolicy::Open, PagePolicy::Closed] {
            let mut spec = presets::preset(name).unwrap();
            spec.controller.page_policy = policy;
            for path in &traces {
                let reader = TraceReader::new(
                    BufReader::new(File::open(path).unwrap()),
                    Some(spec.capacity_bytes()),
                );
                let s = run_records(&spec, reader, 1).unwrap();
                assert!(s.requests > 0);
                assert_eq!(
                    s.timing_violations,
                    0,
                    "{name} {policy:?} {}: {:?}",
                    path.display(),
                    s.violations
                );
            }
            for pattern in [
                Pattern::Stream,
                Pattern::Random,
                Pattern::Mixed,
                Pattern::Conflict,
            ] {
                let s = measure_effective_bandwidth(&spec, pattern, 20_000, 7).unwrap();
                assert_eq!(s.requests, 20_000);
                assert_eq!(
                    s.timing_violations, 0,
                    "{name} {policy:?} {pattern:?}: {:?}",
                    s.violations
                );
            }
        }
    }
}

#[test]
fn same_seed_same_numbers() {
    let spec = presets::preset("hbm3").unwrap();
    let a = measure_effective_bandwidth(&spec, Pattern::Mixed, 30_000, 11).unwrap();
    let b = measure_effective_bandwidth(&spec, Pattern::Mixed, 30_000, 11).unwrap();
    let c = measure_effective_bandwidth(&spec, Pattern::Mixed, 30_000, 12).unwrap();
    let key = |s: &deepstack::dram::Stats| {
        (
            s.cycles,
            s.writes,
            s.activates,
            s.events,
            s.avg_read_latency_ns.to_bits(),
        )
    };
    assert_eq!(key(&a), key(&b));
    assert_ne!(key(&a), key(&c));
}

/// Turning the per-request completion reports off changes nothing but the reports:
/// two systems fed the same requests at the same times (one advanced in picoseconds,
/// the other in cycles) end with the same statistics, and the silent one knows when
/// the last request completes.
#[test]
fn completion_reports_do_not_change_the_simulation() {
    let spec = presets::preset("hbm2").unwrap();
    let mut on = MemorySystem::new(&spec, 5).unwrap();
    let mut off = MemorySystem::new(&spec, 5).unwrap();
    off.set_completion_reports(false);
    let (mut done_on, mut done_off) = (Vec::new(), Vec::new());
    let mut reported = Vec::new();
    let mut id = 0u64;
    while id < 3000 {
        let req = Request {
            id,
            addr: (id * 7919 % 65_536) * 64,
            is_write: id.is_multiple_of(3),
            arrival: on.now(),
        };
        match on.try_enqueue(req) {
            Ok(()) => {
                off.try_enqueue(req).unwrap();
                id += 1;
            }
            Err(EnqueueError::QueueFull { .. }) => {
                assert!(off.try_enqueue(req).is_err());
                let t = on.next_event_time().unwrap();
                let cycle = on.next_event_cycle().unwrap();
                on.advance_to(t, &mut done_on);
                off.advance_to_cycle(cycle, &mut done_off);
                assert_eq!((on.now(), on.now_cycle()), (off.now(), off.now_cycle()));
                reported.append(&mut done_on);
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    on.drain(&mut done_on);
    reported.append(&mut done_on);
    let last = reported.iter().map(|c| c.done).max().unwrap();
    assert_eq!(reported.len(), 3000);
    assert_eq!(on.now(), last);
    off.advance_to(on.now(), &mut done_off);
    assert_eq!(on.in_flight(), 0);
    assert_eq!(off.in_flight(), 0);
    assert!(done_off.is_empty());
    assert_eq!(off.last_completion(), Some(last));
    let json = |s: deepstack::dram::Stats| serde_json::to_string(&s).unwrap();
    assert_eq!(json(on.stats(0.0)), json(off.stats(0.0)));
}

/// Stacks from the paper's row/sector/recharge form (the bank-oracle toy values):
/// zero violations over a grid of (m, n), bandwidth never above the n-port peak, spare
/// layers hiding the recharge, and the measured efficiency within 6 % of the paper's
/// connectivity rule: 1 for n <= m/2, row_read / (row_read + recharge) for n = m, linear
/// in between.
#[test]
fn stack_grid_matches_the_connectivity_rule() {
    let toy = StackParams::toy(1, 1);
    let read = f64::from(toy.row_bytes / toy.sector_bytes) * toy.sector_cycles;
    let eta_full = read / (read + toy.recharge_cycles);
    let rule = |m: u32, n: u32| {
        let half = f64::from(m) / 2.0;
        if f64::from(n) <= half {
            1.0
        } else {
            1.0 + (f64::from(n) - half) / (f64::from(m) - half) * (eta_full - 1.0)
        }
    };
    let mut eff = std::collections::BTreeMap::new();
    for m in [1u32, 2, 3, 4, 8] {
        for n in 1..=m {
            let spec = DramSpec::from_stack(&StackParams::toy(m, n)).unwrap();
            assert_eq!(spec.org.ports, n);
            let s = measure_effective_bandwidth(&spec, Pattern::Stream, 20_000, 1).unwrap();
            assert_eq!(s.timing_violations, 0, "m={m} n={n}: {:?}", s.violations);
            let e = s.bandwidth_bytes_per_s / spec.peak_bandwidth_bytes_per_s();
            assert!(e <= 1.0 + 1e-9, "m={m} n={n}: efficiency {e}");
            assert!(
                (e - rule(m, n)).abs() < 0.06,
                "m={m} n={n}: detailed {e:.4} vs rule {:.4}",
                rule(m, n)
            );
            eff.insert((m, n), e);
        }
    }
    assert!(eff[&(8, 4)] > eff[&(4, 4)] + 0.05, "{eff:?}");
    assert!(eff[&(2, 1)] > eff[&(1, 1)] + 0.05, "{eff:?}");
}

/// Feeds `records` through the event-driven API as an in-order trace driver would:
/// each request at its issue cycle, or once its channel has room, advancing the whole
/// system to its next event whenever a request is refused or lies ahead.
fn replay_through_the_api(
    spec: &DramSpec,
    records: impl IntoIterator<Item = deepstack::dram::TraceRecord>,
) -> deepstack::dram::Stats {
    let mut sys = MemorySystem::new(spec, 1).unwrap();
    sys.set_completion_reports(false);
    let mut out = Vec::new();
    for (id, r) in (0u64..).zip(records) {
        loop {
            if r.cycle > sys.now_cycle() {
                let next = sys.next_event_cycle().map_or(r.cycle, |t| t.min(r.cycle));
                sys.advance_to_cycle(next, &mut out);
                continue;
            }
            let req = Request {
                id,
                addr: r.addr,
                is_write: r.is_write,
                arrival: sys.now(),
            };
            match sys.try_enqueue(req) {
                Ok(()) => break,
                Err(EnqueueError::QueueFull { .. }) => {
                    let next = sys.next_event_cycle().unwrap();
                    sys.advance_to_cycle(next, &mut out);
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    while sys.in_flight() > 0 {
        let next = sys.next_event_cycle().unwrap();
        sys.advance_to_cycle(next, &mut out);
    }
    if let Some(last) = sys.last_completion_cycle() {
        sys.advance_to_cycle(last, &mut out);
    }
    assert!(out.is_empty());
    sys.stats(0.0)
}

/// The in-order replay, which brings each channel up to date only when the feeder
/// needs it, takes the same decisions as the event-driven API taking every channel's
/// decisions in one schedule: identical statistics (events, latencies, commands,
/// cycles) on several memories, both page policies, shallow and deep queues, and
/// traffic that saturates the queues or leaves them idle.
#[test]
fn in_order_replay_matches_the_event_driven_api() {
    let mut specs = vec![
        presets::preset("hbm2").unwrap(),
        presets::preset("hbm3e").unwrap(),
        DramSpec::from_stack(&StackParams::toy(4, 2)).unwrap(),
    ];
    let mut shallow = presets::preset("hbm2e").unwrap();
    shallow.controller.queue_depth = 2;
    specs.push(shallow);
    let json = |mut s: deepstack::dram::Stats| {
        s.wall_s = 0.0;
        serde_json::to_string(&s).unwrap()
    };
    for base in specs {
        for policy in [PagePolicy::Open, PagePolicy::Closed] {
            let mut spec = base.clone();
            spec.controller.page_policy = policy;
            for pattern in [Pattern::Stream, Pattern::Mixed, Pattern::Conflict] {
                let records = || {
                    PatternGen::new(&spec, pattern, 4000, 3)
                        .unwrap()
                        .map(|r| r.unwrap())
                };
                // As generated (all issued at cycle 0), and in bursts of 16 every 150
                // cycles, so that queues drain and channels sit idle in between.
                let spread = || {
                    (0u64..).zip(records()).map(|(i, mut r)| {
                        r.cycle = i / 16 * 150 + i % 3;
                        r
                    })
                };
                for (label, replayed, driven) in [
                    (
                        "packed",
                        run_records(&spec, records().map(Ok), 1).unwrap(),
                        replay_through_the_api(&spec, records()),
                    ),
                    (
                        "spread",
                        run_records(&spec, spread().map(Ok), 1).unwrap(),
                        replay_through_the_api(&spec, spread()),
                    ),
                ] {
                    assert_eq!(replayed.requests, 4000);
                    assert_eq!(
                        json(replayed),
                        json(driven),
                        "{} {policy:?} {pattern:?} {label}",
                        spec.name
                    );
                }
            }
        }
    }
}

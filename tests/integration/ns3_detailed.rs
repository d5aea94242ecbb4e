//! The detailed packet network against the four NS-3 panels (ASTRA-sim with the NS-3
//! back end): weighted error per panel, small messages where the paper's analytical model
//! is about 2× off (README §2.6), and the wall time of all 270 points.

use crate::common::{repo, weighted_error_pct};
use deepstack::collective::ns3::{read_panel, Ns3Point};
use deepstack::engine::detailed::network::{collective_timing, ns3_case, PacketConfig};
use rayon::prelude::*;

const PANELS: [&str; 4] = [
    "validation/references/ns3/switch/all_gather_halving_doubling_test.csv",
    "validation/references/ns3/switch/all_reduce_rabenseifner_test.csv",
    "validation/references/ns3/switch/all_to_all_test.csv",
    "validation/references/ns3/torus/all_reduce_ring_test.csv",
];

/// Weighted-error budget per panel, percent.
const BUDGET_PCT: f64 = 3.0;
/// Small-message budget: |detailed − NS-3| / NS-3.
const SMALL_BUDGET: f64 = 0.25;
/// Sizes per block that count as small.
const SMALL_PER_BLOCK: usize = 3;

struct Row {
    point: Ns3Point,
    detailed_ns: f64,
    events: u64,
}

fn simulate(points: Vec<Ns3Point>) -> Vec<Row> {
    let cfg = PacketConfig::ns3();
    points
        .into_par_iter()
        .map(|p| {
            let case = ns3_case(&p).unwrap_or_else(|e| panic!("{}: {e}", p.label));
            let r = collective_timing(&case, &cfg, 1)
                .unwrap_or_else(|e| panic!("{} {}: {e}", p.label, p.case.bytes));
            Row {
                detailed_ns: r.time_s * 1e9,
                events: r.events,
                point: p,
            }
        })
        .collect()
}

fn load(file: &str) -> Vec<Ns3Point> {
    read_panel(&repo(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Checks one panel's rows; returns (weighted error %, worst small-message error).
fn check(file: &str, rows: &[Row]) -> (f64, f64) {
    let pairs: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| r.point.ns3_ns.map(|n| (r.detailed_ns, n)))
        .collect();
    let e = weighted_error_pct(&pairs);
    let mut worst: f64 = 0.0;
    for block in rows.chunks(10) {
        for r in block.iter().take(SMALL_PER_BLOCK) {
            if let Some(n) = r.point.ns3_ns {
                let err = (r.detailed_ns - n).abs() / n;
                let paper = (r.point.paper_model_ns - n).abs() / n;
                if std::env::var_os("DEEPSTACK_NS3_VERBOSE").is_some() {
                    eprintln!("  small {} {:>10}: detailed {:>9.0} ns3 {n:>9.0} ({:+.1} %), paper model {:+.1} %", r.point.label, r.point.case.bytes, r.detailed_ns, 100.0 * (r.detailed_ns / n - 1.0), 100.0 * (r.point.paper_model_ns / n - 1.0));
                }
                assert!(err <= SMALL_BUDGET, "{file} {} {} B: detailed {:.0} ns vs NS-3 {n} ns ({:.1} %; paper model off by {:.0} %)", r.point.label, r.point.case.bytes, r.detailed_ns, 100.0 * err, 100.0 * paper);
                worst = worst.max(err);
            }
        }
    }
    if std::env::var_os("DEEPSTACK_NS3_VERBOSE").is_some() {
        for r in rows {
            eprintln!(
                "  {} {:>12} detailed {:>14.0} ns3 {:>12} paper {:>14.0} ratio {:.4}",
                r.point.label,
                r.point.case.bytes,
                r.detailed_ns,
                r.point.ns3_ns.map_or("-".into(), |n| format!("{n}")),
                r.point.paper_model_ns,
                r.point.ns3_ns.map_or(f64::NAN, |n| r.detailed_ns / n)
            );
        }
    }
    (e, worst)
}

#[test]
fn detailed_network_matches_ns3_on_all_270_points() {
    let start = std::time::Instant::now();
    let mut all = Vec::new();
    for f in PANELS {
        all.push((f, load(f)));
    }
    let n: usize = all.iter().map(|(_, p)| p.len()).sum();
    assert_eq!(n, 270);
    let mut events = 0;
    for (file, points) in all {
        let rows = simulate(points);
        events += rows.iter().map(|r| r.events).sum::<u64>();
        let (e, worst) = check(file, &rows);
        eprintln!(
            "{file}: weighted error vs NS-3 {e:.3} %, worst small-message error {:.1} %",
            100.0 * worst
        );
        assert!(e <= BUDGET_PCT, "{file}: {e:.2} % > {BUDGET_PCT} %");
    }
    let wall = start.elapsed().as_secs_f64();
    eprintln!(
        "270 points in {wall:.1} s wall, {events} events ({:.2e} events/s)",
        events as f64 / wall
    );
}

//! The fast network model against the NS-3 panels, through the collective code path.

use crate::common::{repo, weighted_error_pct};
use deepstack::collective::ns3::read_panel;
use deepstack::engine::fast::network::collective_timing;

const PANELS: [(&str, f64); 4] = [
    (
        "validation/references/ns3/switch/all_gather_halving_doubling_test.csv",
        3.0,
    ),
    (
        "validation/references/ns3/switch/all_reduce_rabenseifner_test.csv",
        3.0,
    ),
    ("validation/references/ns3/switch/all_to_all_test.csv", 3.0),
    (
        "validation/references/ns3/torus/all_reduce_ring_test.csv",
        3.0,
    ),
];

#[test]
fn fast_network_matches_ns3_weighted_error() {
    for (file, budget) in PANELS {
        let points = read_panel(&repo(file)).unwrap();
        let mut vs_ns3 = Vec::new();
        let mut vs_paper = Vec::new();
        for p in &points {
            let t = collective_timing(&p.case).unwrap().cost.total_s() * 1e9;
            vs_paper.push((t, p.paper_model_ns));
            if let Some(r) = p.ns3_ns {
                vs_ns3.push((t, r));
            }
        }
        let e = weighted_error_pct(&vs_ns3);
        let same = weighted_error_pct(&vs_paper);
        eprintln!("{file}: weighted error vs NS-3 {e:.3} % over {} points; vs the paper's model {same:.4} %", vs_ns3.len());
        assert!(e <= budget, "{file}: {e:.2} % > {budget} %");
    }
}

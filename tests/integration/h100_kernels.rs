//! The fast engine's fused GEMM + collective kernels against AG-GEMM and GEMM-RS measured on
//! 8×H100 (validation/references/h100-kernels).

use crate::common::repo;
use deepstack::collective::{Algorithm, CollectiveCase, Groups, Op};
use deepstack::engine::fast::fused_gemm_collective;
use deepstack::hw::System;
use deepstack::lower::Gemm;

/// (model seconds, measured seconds) per row.
pub fn evaluate(file: &str, op: Op, algorithm: Algorithm) -> Vec<(f64, f64)> {
    let sys = System::load("h100x8").unwrap();
    let text = std::fs::read_to_string(repo(file)).unwrap();
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let c: Vec<f64> = line
            .split(',')
            .map(|x| x.trim_matches('"').parse().unwrap_or(f64::NAN))
            .collect();
        let (m, n, k, ag_bytes, measured_ms) = (c[0], c[1], c[2], c[11], c[18]);
        let gemm = Gemm {
            m,
            n,
            k,
            count: 1.0,
            act_bytes: 2.0,
            weight_bytes: 2.0,
            tensor_rate: 1.0,
            b_is_weight: true,
        };
        let case = CollectiveCase {
            network: sys.network.clone(),
            op,
            algorithm: Some(algorithm),
            bytes: ag_bytes,
            packet: None,
            groups: Some(Groups::single(8)),
        };
        let t = fused_gemm_collective(&sys, &gemm, &case, true).unwrap();
        out.push((t, measured_ms * 1e-3));
    }
    out
}

/// Accuracy-regression guard. The target is a mean error of 10 % over both kernels; AG-GEMM
/// meets it (≈4.5 %), GEMM-RS does not (≈28 %: the measured kernel carries fixed
/// synchronisation costs the model lacks), so the guard holds each at its current level.
#[test]
fn ag_gemm_and_gemm_rs_accuracy_guard() {
    let mut all = evaluate(
        "validation/references/h100-kernels/ag_gemm.csv",
        Op::AllGather,
        Algorithm::HalvingDoubling,
    );
    let ag = crate::common::mape_pct(&all);
    let rs_pts = evaluate(
        "validation/references/h100-kernels/gemm_rs.csv",
        Op::AllToAll,
        Algorithm::Direct,
    );
    let rs = crate::common::mape_pct(&rs_pts);
    all.extend(rs_pts);
    let mean = crate::common::mape_pct(&all);
    eprintln!("H100 kernels: AG-GEMM MAPE {ag:.2} %, GEMM-RS MAPE {rs:.2} %, mean over {} points {mean:.2} %", all.len());
    assert!(ag <= 6.0, "AG-GEMM error {ag:.2} % > 6 %");
    assert!(rs <= 30.0, "GEMM-RS error {rs:.2} % > 30 %");
    assert!(mean <= 18.0, "mean error {mean:.2} % > 18 %");
}

#[test]
#[ignore]
fn print_points() {
    for (f, op, a) in [
        (
            "validation/references/h100-kernels/ag_gemm.csv",
            Op::AllGather,
            Algorithm::HalvingDoubling,
        ),
        (
            "validation/references/h100-kernels/gemm_rs.csv",
            Op::AllToAll,
            Algorithm::Direct,
        ),
    ] {
        for (m, r) in evaluate(f, op, a) {
            eprintln!(
                "{f} model {:.4} ms ref {:.4} ms  {:+.1}%",
                m * 1e3,
                r * 1e3,
                (m - r) / r * 100.0
            );
        }
    }
}

//! The fast engine's fused GEMM + collective kernels against AG-GEMM and GEMM-RS measured on
//! 8×H100 (validation/references/h100-kernels).

use crate::common::repo;
use deepstack::hw::System;
use deepstack::validate::references::{kernel_prediction, read_kernels, Kernel};

/// (model seconds, measured seconds) per row of one kernel file.
pub fn evaluate(file: &str, kernel: Kernel) -> Vec<(f64, f64)> {
    let sys = System::load("h100x8").unwrap();
    read_kernels(&repo(file))
        .unwrap()
        .iter()
        .map(|row| {
            let t = kernel_prediction(&sys, kernel, row, true).unwrap();
            (t, row.measured_s)
        })
        .collect()
}

const AG_GEMM: &str = "validation/references/h100-kernels/ag_gemm.csv";
const GEMM_RS: &str = "validation/references/h100-kernels/gemm_rs.csv";

/// The target, a mean of 10 % over both kernels, and a regression guard on each kernel held
/// near its current level.
#[test]
fn ag_gemm_and_gemm_rs_accuracy_guard() {
    let mut all = evaluate(AG_GEMM, Kernel::AgGemm);
    let ag = crate::common::mape_pct(&all);
    let rs_pts = evaluate(GEMM_RS, Kernel::GemmRs);
    let rs = crate::common::mape_pct(&rs_pts);
    all.extend(rs_pts);
    let mean = crate::common::mape_pct(&all);
    eprintln!("H100 kernels: AG-GEMM MAPE {ag:.2} %, GEMM-RS MAPE {rs:.2} %, mean over {} points {mean:.2} %", all.len());
    assert!(ag <= 4.0, "AG-GEMM error {ag:.2} % > 4 %");
    assert!(rs <= 14.5, "GEMM-RS error {rs:.2} % > 14.5 %");
    assert!(mean <= 10.0, "mean error {mean:.2} % > 10 %");
}

#[test]
#[ignore]
fn print_points() {
    for (f, kernel) in [(AG_GEMM, Kernel::AgGemm), (GEMM_RS, Kernel::GemmRs)] {
        for (m, r) in evaluate(f, kernel) {
            eprintln!(
                "{f} model {:.4} ms ref {:.4} ms  {:+.1}%",
                m * 1e3,
                r * 1e3,
                (m - r) / r * 100.0
            );
        }
    }
}

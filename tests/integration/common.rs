//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Path of a file under the repository root.
pub fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Run the binary with arguments.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deepstack"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("binary runs")
}

/// Weighted error Σ|model − ref| / Σ ref, in percent.
pub fn weighted_error_pct(pairs: &[(f64, f64)]) -> f64 {
    let num: f64 = pairs.iter().map(|(m, r)| (m - r).abs()).sum();
    let den: f64 = pairs.iter().map(|(_, r)| r).sum();
    100.0 * num / den
}

/// Mean absolute percentage error.
pub fn mape_pct(pairs: &[(f64, f64)]) -> f64 {
    100.0 * pairs.iter().map(|(m, r)| ((m - r) / r).abs()).sum::<f64>() / pairs.len() as f64
}

//! Readers of the external reference measurements in `validation/references/` and the
//! predictions they are compared with, shared by `validate` and the accuracy tests.
//!
//! * vLLM on 8×B200 (`vllm-b200/*.csv`): `System Decode TPS` of the rows with CUDA graphs on
//!   (`Eager_Mode == False`), per batch; the prediction is the decode throughput of the same
//!   batch with 1024 prompt and 1024 generated tokens, TP8 (the paper's Fig. 9 setting).
//! * Kernels on 8×H100 (`h100-kernels/*.csv`): `ref_time/ms(gpu)` per GEMM shape; the
//!   prediction is the fused GEMM + collective of the fast engine over `ag_bytes` per peer:
//!   a pairwise all-gather (AG-GEMM) or reduce-scatter (GEMM-RS) pipelined segment by
//!   segment against the GEMM, as the measured kernels copy to one peer at a time.
//! * The NS-3 panels are read by [`crate::collective::ns3::read_panel`].
//!
//! Columns are found by their header names, so a reordered file still reads correctly.

use crate::collective::{Algorithm, CollectiveCase, Groups, Op};
use crate::error::{Error, Result};
use crate::hw::System;
use crate::lower::Gemm;
use crate::model::Model;
use crate::parallel::ParallelScheme;
use crate::scenario::{Options, Scenario};
use crate::workload::{Phase, Workload};
use std::path::Path;

/// Prompt tokens of the vLLM runs (1024 in / 1024 out, SOURCE-README §3.2).
pub const VLLM_INPUT_LEN: u32 = 1024;
/// Generated tokens of the vLLM runs.
pub const VLLM_OUTPUT_LEN: u32 = 1024;

/// Splits one CSV line into fields, honouring double quotes (`"a, b"` is one field).
pub fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

/// A CSV file as a header and rows, with errors that name the file and line.
struct Table {
    origin: String,
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    fn read(path: &Path) -> Result<Table> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let header = lines.next().map(|(_, l)| csv_fields(l)).unwrap_or_default();
        let rows = lines.map(|(i, l)| (i + 1, csv_fields(l))).collect();
        Ok(Table {
            origin: path.display().to_string(),
            header,
            rows,
        })
    }

    fn column(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Parse {
                origin: self.origin.clone(),
                message: format!("no column '{name}' (columns: {})", self.header.join(", ")),
            })
    }

    fn text<'a>(&self, line: usize, row: &'a [String], col: usize) -> Result<&'a str> {
        row.get(col)
            .map(String::as_str)
            .ok_or_else(|| Error::Parse {
                origin: format!("{}:{line}", self.origin),
                message: format!(
                    "missing column '{}'",
                    self.header.get(col).map_or("?", String::as_str)
                ),
            })
    }

    fn number(&self, line: usize, row: &[String], col: usize) -> Result<f64> {
        let t = self.text(line, row, col)?;
        t.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| Error::Parse {
                origin: format!("{}:{line}", self.origin),
                message: format!(
                    "column '{}' = '{t}' is not a number",
                    self.header.get(col).map_or("?", String::as_str)
                ),
            })
    }
}

/// One measured vLLM decode point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VllmPoint {
    /// Concurrent requests.
    pub batch: u32,
    /// Measured system decode throughput, tokens/s.
    pub decode_tokens_per_s: f64,
}

/// The CUDA-graph rows of a vLLM summary with batch ≤ `max_batch`, in file order.
pub fn read_vllm(path: &Path, max_batch: u32) -> Result<Vec<VllmPoint>> {
    let t = Table::read(path)?;
    let (bs, eager, tps) = (
        t.column("BS")?,
        t.column("Eager_Mode")?,
        t.column("System Decode TPS")?,
    );
    let mut out = Vec::new();
    for (line, row) in &t.rows {
        if t.text(*line, row, eager)? != "False" {
            continue;
        }
        let b = t.number(*line, row, bs)?;
        if !(b >= 1.0 && b.fract() == 0.0 && b <= f64::from(u32::MAX)) {
            return Err(Error::Parse {
                origin: format!("{}:{line}", t.origin),
                message: format!("BS = {b} is not a positive integer"),
            });
        }
        let batch = b as u32;
        if batch > max_batch {
            continue;
        }
        out.push(VllmPoint {
            batch,
            decode_tokens_per_s: t.number(*line, row, tps)?,
        });
    }
    Ok(out)
}

/// The decode scenario a vLLM point describes on `system` with `scheme`.
pub fn vllm_scenario(
    system: &System,
    model: &Model,
    scheme: ParallelScheme,
    batch: u32,
    seed: u64,
) -> Result<Scenario> {
    Scenario::new(
        system.clone(),
        model.clone(),
        Workload {
            phase: Phase::Decode,
            batch,
            input_len: VLLM_INPUT_LEN,
            output_len: VLLM_OUTPUT_LEN,
        },
        scheme,
        Options {
            seed,
            ..Options::default()
        },
    )
}

/// A GEMM fused with a collective, as measured on 8×H100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kernel {
    /// All-gather overlapped with the GEMM (recursive halving-doubling, 3 stages on 8 GPUs).
    AgGemm,
    /// GEMM followed by a direct reduce-scatter: each GPU sends every peer that peer's chunk
    /// of its partial output, then sums the chunks it received.
    GemmRs,
}

impl Kernel {
    /// Parse `ag-gemm` or `gemm-rs`.
    pub fn parse(s: &str) -> Result<Kernel> {
        match s {
            "ag-gemm" => Ok(Kernel::AgGemm),
            "gemm-rs" => Ok(Kernel::GemmRs),
            _ => Err(crate::error::invalid("kernel", s, "use ag-gemm or gemm-rs")),
        }
    }
    /// Name.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::AgGemm => "ag-gemm",
            Kernel::GemmRs => "gemm-rs",
        }
    }
    /// The collective of this kernel.
    pub fn collective(self) -> (Op, Algorithm) {
        match self {
            Kernel::AgGemm => (Op::AllGather, Algorithm::Pairwise),
            Kernel::GemmRs => (Op::ReduceScatter, Algorithm::Pairwise),
        }
    }
}

/// One measured kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KernelRow {
    /// GEMM rows per GPU.
    pub m: f64,
    /// GEMM columns per GPU.
    pub n: f64,
    /// GEMM depth per GPU.
    pub k: f64,
    /// Communication bytes per peer (`ag_bytes`).
    pub comm_bytes: f64,
    /// Measured kernel time, seconds.
    pub measured_s: f64,
}

/// The rows of an H100 kernel file.
pub fn read_kernels(path: &Path) -> Result<Vec<KernelRow>> {
    let t = Table::read(path)?;
    let cols = [
        t.column("M")?,
        t.column("N")?,
        t.column("K")?,
        t.column("ag_bytes")?,
        t.column("ref_time/ms(gpu)")?,
    ];
    let mut out = Vec::new();
    for (line, row) in &t.rows {
        let v: Vec<f64> = cols
            .iter()
            .map(|&c| t.number(*line, row, c))
            .collect::<Result<_>>()?;
        out.push(KernelRow {
            m: v[0],
            n: v[1],
            k: v[2],
            comm_bytes: v[3],
            measured_s: v[4] * 1e-3,
        });
    }
    Ok(out)
}

/// The GEMM and collective of a kernel row on `system` (FP16, 8 GPUs in one group).
pub fn kernel_case(system: &System, kernel: Kernel, row: &KernelRow) -> (Gemm, CollectiveCase) {
    let (op, algorithm) = kernel.collective();
    let gemm = Gemm {
        m: row.m,
        n: row.n,
        k: row.k,
        count: 1.0,
        act_bytes: 2.0,
        weight_bytes: 2.0,
        tensor_rate: 1.0,
        b_is_weight: true,
    };
    let case = CollectiveCase {
        network: system.network.clone(),
        op,
        algorithm: Some(algorithm),
        // `comm_bytes` is what one GPU sends each peer: one rank's contribution for the
        // all-gather, one chunk of the whole partial buffer for the reduce-scatter.
        bytes: match kernel {
            Kernel::AgGemm => row.comm_bytes,
            Kernel::GemmRs => row.comm_bytes * system.devices() as f64,
        },
        packet: None,
        groups: Some(Groups::single(system.devices())),
    };
    (gemm, case)
}

/// The fast engine's time of a kernel row, seconds (`overlap`: tile-level overlap of the
/// collective with the GEMM, as the measured kernels do).
pub fn kernel_prediction(
    system: &System,
    kernel: Kernel,
    row: &KernelRow,
    overlap: bool,
) -> Result<f64> {
    let (gemm, case) = kernel_case(system, kernel, row);
    crate::engine::fast::fused_gemm_collective(system, &gemm, &case, overlap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_csv_fields_keep_their_commas() {
        assert_eq!(csv_fields(r#"a,"b, c",d"#), vec!["a", "b, c", "d"]);
        assert_eq!(csv_fields(r#""x""y",2"#), vec![r#"x"y"#, "2"]);
        assert_eq!(csv_fields(""), vec![""]);
    }
}

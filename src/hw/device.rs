//! The compute die: processing elements (PEs), their tensor and vector throughput, on-chip
//! SRAM, clocks and utilisation caps, and the logic-die area budget that sets the PE count
//! when it is not given.

use crate::error::{invalid, Result};
use serde::{Deserialize, Serialize};

/// Numeric precision of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// IEEE half precision (2 bytes).
    Fp16,
    /// bfloat16 (2 bytes).
    Bf16,
    /// 8-bit floating point (1 byte), twice the tensor rate of 16-bit.
    Fp8,
    /// Single precision (4 bytes).
    Fp32,
}

impl Precision {
    /// Bytes per element.
    pub fn bytes(self) -> f64 {
        match self {
            Precision::Fp8 => 1.0,
            Precision::Fp16 | Precision::Bf16 => 2.0,
            Precision::Fp32 => 4.0,
        }
    }
    /// Tensor-unit rate relative to 16-bit.
    pub fn tensor_rate(self) -> f64 {
        match self {
            Precision::Fp8 => 2.0,
            Precision::Fp16 | Precision::Bf16 => 1.0,
            Precision::Fp32 => 0.5,
        }
    }
}

/// Logic-die area budget: PEs take what the fixed blocks, the memory interface and the network
/// leave over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaBudget {
    /// Usable logic-die area, mm².
    pub logic_die_mm2: f64,
    /// Area of one PE including its SRAM at the reference SRAM size, mm².
    pub pe_mm2: f64,
    /// SRAM area per MiB of shared memory per PE, mm² (scales PE area with SRAM size).
    pub sram_mm2_per_mib: f64,
    /// Reference shared-memory size included in `pe_mm2`, bytes.
    pub reference_smem_bytes: f64,
    /// Fixed blocks (I/O, control, L2), mm².
    pub fixed_mm2: f64,
    /// Network interface area per TB/s of injection bandwidth, mm².
    pub network_mm2_per_tbps: f64,
    /// Upper bound on the PE count searched.
    pub max_pes: u32,
}

/// The compute die.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// Number of PEs; derived from `area` when absent.
    #[serde(default)]
    pub pe_count: Option<u32>,
    /// Core clock, Hz.
    pub clock_hz: f64,
    /// Dense 16-bit tensor FLOP per cycle per PE.
    pub tensor_flops_per_cycle: f64,
    /// Vector (SIMT/FP32) FLOP per cycle per PE.
    pub vector_flops_per_cycle: f64,
    /// Shared memory (SRAM) capacity per PE, bytes.
    pub smem_bytes: f64,
    /// Shared-memory port throughput per PE, bytes per cycle.
    pub smem_bytes_per_cycle: f64,
    /// L2 capacity, bytes.
    pub l2_bytes: f64,
    /// Cap on achieved tensor throughput (fraction of peak).
    pub compute_max_utilization: f64,
    /// Cap on achieved DRAM bandwidth (fraction of the bandwidth chain's result).
    pub memory_max_utilization: f64,
    /// Fixed cost of launching one kernel (gap between dependent kernels), seconds.
    pub kernel_overhead_s: f64,
    /// Tiles resident per PE at once (occupancy).
    #[serde(default = "one")]
    pub occupancy: u32,
    /// Smallest M (rows) of one tensor instruction; fewer rows are padded up to it
    /// (16 for mma.sync-style units, 64 for Hopper wgmma / Blackwell tcgen05).
    #[serde(default = "sixteen")]
    pub mma_min_m: u32,
    /// Area budget used to derive the PE count.
    #[serde(default)]
    pub area: Option<AreaBudget>,
}

fn one() -> u32 {
    1
}

fn sixteen() -> u32 {
    16
}

impl Device {
    /// Check ranges; `path` prefixes field names in errors.
    pub fn validate(&self, path: &str) -> Result<()> {
        let f = |n: &str| format!("{path}.{n}");
        let pos = |name: &str, v: f64| -> Result<()> {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(invalid(f(name), v, "must be positive"))
            }
        };
        pos("clock_hz", self.clock_hz)?;
        pos("tensor_flops_per_cycle", self.tensor_flops_per_cycle)?;
        pos("vector_flops_per_cycle", self.vector_flops_per_cycle)?;
        pos("smem_bytes", self.smem_bytes)?;
        pos("smem_bytes_per_cycle", self.smem_bytes_per_cycle)?;
        pos("l2_bytes", self.l2_bytes)?;
        for (n, v) in [
            ("compute_max_utilization", self.compute_max_utilization),
            ("memory_max_utilization", self.memory_max_utilization),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(invalid(f(n), v, "must be in (0, 1]"));
            }
        }
        if !(self.kernel_overhead_s >= 0.0 && self.kernel_overhead_s < 1.0) {
            return Err(invalid(
                f("kernel_overhead_s"),
                self.kernel_overhead_s,
                "must be in [0, 1) seconds",
            ));
        }
        if self.mma_min_m == 0 {
            return Err(invalid(f("mma_min_m"), 0, "must be at least 1"));
        }
        if self.occupancy == 0 {
            return Err(invalid(f("occupancy"), 0, "must be at least 1"));
        }
        match (self.pe_count, &self.area) {
            (Some(0), _) => {
                return Err(invalid(
                    f("pe_count"),
                    0,
                    "must be at least 1 (or omit it to derive it from device.area)",
                ))
            }
            (None, None) => {
                return Err(invalid(
                    f("pe_count"),
                    "missing",
                    "give pe_count, or a [device.area] budget to derive it",
                ))
            }
            _ => {}
        }
        if let Some(a) = &self.area {
            for (n, v) in [
                ("area.logic_die_mm2", a.logic_die_mm2),
                ("area.pe_mm2", a.pe_mm2),
                ("area.reference_smem_bytes", a.reference_smem_bytes),
            ] {
                pos(n, v)?;
            }
            if a.fixed_mm2 < 0.0 || a.sram_mm2_per_mib < 0.0 || a.network_mm2_per_tbps < 0.0 {
                return Err(invalid(
                    f("area"),
                    "negative",
                    "area terms must be non-negative",
                ));
            }
            if a.max_pes == 0 {
                return Err(invalid(f("area.max_pes"), 0, "must be at least 1"));
            }
        }
        Ok(())
    }

    /// Area of one PE at this device's SRAM size, mm².
    pub fn pe_area_mm2(&self, a: &AreaBudget) -> f64 {
        a.pe_mm2
            + (self.smem_bytes - a.reference_smem_bytes) / (1024.0 * 1024.0) * a.sram_mm2_per_mib
    }

    /// The PE count: given, or the largest count in `1..=max_pes` that fits the logic die after
    /// `other_mm2` (memory interface, vertical links) and the network interface are placed.
    /// `None` when not even one PE fits.
    pub fn pe_count_with(&self, other_mm2: f64, injection_tbps: f64) -> Option<u32> {
        if let Some(n) = self.pe_count {
            return Some(n);
        }
        let a = self.area.as_ref()?;
        let free =
            a.logic_die_mm2 - a.fixed_mm2 - other_mm2 - injection_tbps * a.network_mm2_per_tbps;
        let pe = self.pe_area_mm2(a);
        if pe <= 0.0 {
            return Some(a.max_pes);
        }
        let n = (free / pe).floor();
        if n < 1.0 {
            None
        } else {
            Some((n as u32).min(a.max_pes))
        }
    }
}

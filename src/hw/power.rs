//! Energy per operation and per byte, static power, the power wall (TDP with cubic frequency
//! scaling above it) and the lumped thermal model T = ambient + R(m) · P, R growing with the
//! number of stacked layers.

use crate::error::{invalid, Result};
use serde::{Deserialize, Serialize};

/// Power and thermal description of one device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Power {
    /// Energy per 16-bit tensor FLOP, pJ (8-bit costs half).
    pub tensor_pj_per_flop: f64,
    /// Energy per vector FLOP, pJ.
    pub vector_pj_per_flop: f64,
    /// Energy per byte moved through shared memory, pJ.
    pub sram_pj_per_byte: f64,
    /// Energy per byte read or written in DRAM (array plus interface), pJ.
    pub dram_pj_per_byte: f64,
    /// Energy per bit per network level (innermost first), pJ.
    pub network_pj_per_bit: Vec<f64>,
    /// Static (leakage and idle) power, W.
    pub static_w: f64,
    /// Thermal design power, W.
    pub tdp_w: f64,
    /// Ambient / coolant temperature, °C.
    pub ambient_c: f64,
    /// Thermal resistance of the die without stacked layers, °C/W.
    pub thermal_base_c_per_w: f64,
    /// Added thermal resistance per stacked DRAM layer, °C/W.
    pub thermal_per_layer_c_per_w: f64,
    /// Temperature limit, °C.
    pub temperature_limit_c: f64,
}

impl Power {
    /// Thermal resistance with `layers` stacked DRAM layers, °C/W.
    pub fn thermal_resistance(&self, layers: u32) -> f64 {
        self.thermal_base_c_per_w + self.thermal_per_layer_c_per_w * layers as f64
    }
    /// Network energy per bit at `level` (the last value repeats outward).
    pub fn network_pj(&self, level: usize) -> f64 {
        self.network_pj_per_bit
            .get(level)
            .or(self.network_pj_per_bit.last())
            .copied()
            .unwrap_or(0.0)
    }
    /// Check ranges.
    pub fn validate(&self, path: &str) -> Result<()> {
        for (n, v) in [
            ("tensor_pj_per_flop", self.tensor_pj_per_flop),
            ("vector_pj_per_flop", self.vector_pj_per_flop),
            ("sram_pj_per_byte", self.sram_pj_per_byte),
            ("dram_pj_per_byte", self.dram_pj_per_byte),
            ("static_w", self.static_w),
            ("thermal_per_layer_c_per_w", self.thermal_per_layer_c_per_w),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(invalid(format!("{path}.{n}"), v, "must be non-negative"));
            }
        }
        for (n, v) in [
            ("tdp_w", self.tdp_w),
            ("thermal_base_c_per_w", self.thermal_base_c_per_w),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(invalid(format!("{path}.{n}"), v, "must be positive"));
            }
        }
        if self.temperature_limit_c <= self.ambient_c {
            return Err(invalid(
                format!("{path}.temperature_limit_c"),
                self.temperature_limit_c,
                format!("must exceed ambient_c = {}", self.ambient_c),
            ));
        }
        if self
            .network_pj_per_bit
            .iter()
            .any(|v| v.is_nan() || *v < 0.0)
        {
            return Err(invalid(
                format!("{path}.network_pj_per_bit"),
                "negative",
                "must be non-negative",
            ));
        }
        Ok(())
    }
}

//! Vertical links between the logic die and the DRAM layers: TSVs or hybrid bonds. They are
//! sized from pitch, count and rate; they cap the stack's bandwidth and take logic-die area
//! (more links, fewer PEs).

use crate::error::{invalid, Result};
use serde::{Deserialize, Serialize};

/// The bonding technology.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BondKind {
    /// Through-silicon vias with micro-bumps.
    Tsv,
    /// Cu–Cu hybrid bonding.
    HybridBond,
}

/// The vertical links of a stack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerticalLinks {
    /// TSV or hybrid bond.
    pub kind: BondKind,
    /// Pitch between links, micrometres.
    pub pitch_um: f64,
    /// Signal links per channel of a connected layer (data plus command/address).
    pub links_per_channel: u32,
    /// Of those, links carrying data.
    pub data_links_per_channel: u32,
    /// Per-link signalling rate, bits per second.
    pub rate_bps: f64,
    /// Energy per bit crossing a link, picojoules.
    pub energy_pj_per_bit: f64,
    /// Keep-out multiplier on the pitch² footprint (≥ 1).
    pub keep_out_factor: f64,
}

impl VerticalLinks {
    /// Data bandwidth the links carry for `connected` layers of `channels` channels, bytes/s.
    pub fn bandwidth(&self, connected: u32, channels: u32) -> f64 {
        (connected * channels * self.data_links_per_channel) as f64 * self.rate_bps / 8.0
    }
    /// Logic-die area of the links, mm².
    pub fn area_mm2(&self, connected: u32, channels: u32) -> f64 {
        let links = (connected * channels * self.links_per_channel) as f64;
        links * (self.pitch_um * 1e-3).powi(2) * self.keep_out_factor
    }
    /// Check ranges.
    pub fn validate(&self, path: &str) -> Result<()> {
        for (n, v) in [
            ("pitch_um", self.pitch_um),
            ("rate_bps", self.rate_bps),
            ("keep_out_factor", self.keep_out_factor),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(invalid(format!("{path}.{n}"), v, "must be positive"));
            }
        }
        if self.energy_pj_per_bit < 0.0 {
            return Err(invalid(
                format!("{path}.energy_pj_per_bit"),
                self.energy_pj_per_bit,
                "must be non-negative",
            ));
        }
        if self.data_links_per_channel == 0 || self.data_links_per_channel > self.links_per_channel
        {
            return Err(invalid(
                format!("{path}.data_links_per_channel"),
                self.data_links_per_channel,
                format!(
                    "must be between 1 and links_per_channel = {}",
                    self.links_per_channel
                ),
            ));
        }
        Ok(())
    }
}

//! Device memory: a 3D DRAM stack bonded on the logic die, or 2.5D HBM stacks beside it, and
//! the bandwidth chain that turns the peak into what the PEs can actually draw:
//! peak → connectivity efficiency η(m, n) → vertical-link cap → Little's-law buffer cap →
//! shared-memory port cap → utilisation cap (transaction rounding is applied per kernel).

use super::vertical::VerticalLinks;
use crate::error::{invalid, Result};
use serde::{Deserialize, Serialize};

/// Row timing in the paper's abstract form: a row is read sector by sector, then the bank
/// needs `recharge_cycles` (precharge + activate) before its next row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowTiming {
    /// Bytes in one DRAM row.
    pub row_bytes: f64,
    /// Bytes per sector (one column access).
    pub sector_bytes: f64,
    /// Data-clock cycles to transfer one sector.
    pub sector_cycles: f64,
    /// Data-clock cycles of precharge + activate between rows of one bank.
    pub recharge_cycles: f64,
}

impl RowTiming {
    /// η when every layer is connected: row read time over row read plus recharge.
    pub fn full_connection_efficiency(&self) -> f64 {
        let read = self.row_bytes / self.sector_bytes * self.sector_cycles;
        read / (read + self.recharge_cycles)
    }
}

/// A 3D DRAM stack on the logic die.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack3d {
    /// Physical DRAM layers m (sets capacity).
    pub total_layers: u32,
    /// Layers n ≤ m with their own vertical data path.
    pub connected_layers: u32,
    /// Channels per connected layer.
    pub channels_per_connected_layer: u32,
    /// Banks per channel per layer.
    pub banks_per_channel: u32,
    /// Channel width, bytes per transfer.
    pub bytes_per_transfer: f64,
    /// Transfers per memory clock (2 for DDR).
    pub transfers_per_clock: f64,
    /// Memory clock, Hz.
    pub memory_clock_hz: f64,
    /// Capacity of one layer, bytes.
    pub capacity_per_layer_bytes: f64,
    /// DRAM transaction size, bytes.
    pub transaction_bytes: f64,
    /// Loaded round-trip latency from a PE to DRAM and back, seconds.
    pub round_trip_latency_s: f64,
    /// Outstanding-request buffering the Little's-law bound asks for (≥ 1).
    pub buffering_factor: f64,
    /// Memory-controller and PHY area per channel of a connected layer, mm².
    pub phy_mm2_per_channel: f64,
    /// All-bank refresh interval tREFI, seconds (at or below 85 °C).
    #[serde(default = "default_refresh_interval_s")]
    pub refresh_interval_s: f64,
    /// Refresh cycle time tRFC (the banks are unavailable for it once per interval), seconds.
    #[serde(default = "default_refresh_cycle_s")]
    pub refresh_cycle_s: f64,
    /// Row timing.
    pub timing: RowTiming,
}

/// HBM-class tREFI of 3.9 µs (DRAMsim3 HBM2_8Gb_x128; `docs/calibration.md`).
fn default_refresh_interval_s() -> f64 {
    3.9e-6
}

/// tRFC of 350 ns for 8 Gb dies (DRAMsim3 HBM2_8Gb_x128; `docs/calibration.md`).
fn default_refresh_cycle_s() -> f64 {
    350e-9
}

impl Stack3d {
    /// Bandwidth of one port (a channel of one connected layer), bytes/s.
    pub fn port_bandwidth(&self) -> f64 {
        self.bytes_per_transfer * self.transfers_per_clock * self.memory_clock_hz
    }

    /// What a load of `bytes` contiguous bytes waits for beyond the unloaded round trip on an
    /// idle stack: consecutive rows go to consecutive channels, so each channel the load
    /// touches opens its row (the activate, half the recharge) and streams its part of at
    /// most one row through one port; the channels work in parallel.
    pub fn load_latency_extra_s(&self, bytes: f64) -> f64 {
        let row = self.timing.row_bytes.max(1.0);
        let data_rate = self.memory_clock_hz * self.transfers_per_clock;
        let activate = self.timing.recharge_cycles / 2.0 / data_rate;
        activate + bytes.min(row) / self.port_bandwidth()
    }

    /// Share of time the stack is not refreshing, 1 − tRFC/tREFI: every channel refreshes
    /// all its banks at once, and the loads in flight wait the refresh out.
    pub fn refresh_availability(&self) -> f64 {
        if self.refresh_interval_s > 0.0 {
            (1.0 - self.refresh_cycle_s / self.refresh_interval_s).clamp(0.0, 1.0)
        } else {
            1.0
        }
    }
}

/// 2.5D HBM stacks beside the die.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HbmStacks {
    /// Number of stacks.
    pub stacks: u32,
    /// Peak bandwidth of one stack, bytes/s.
    pub bandwidth_per_stack: f64,
    /// Capacity of one stack, bytes.
    pub capacity_per_stack_bytes: f64,
    /// DRAM transaction size, bytes.
    pub transaction_bytes: f64,
    /// Loaded round-trip latency, seconds.
    pub round_trip_latency_s: f64,
    /// Outstanding-request buffering the Little's-law bound asks for (≥ 1).
    pub buffering_factor: f64,
    /// Memory technology name for the detailed engine (`hbm3`, `hbm3e`, ...).
    pub technology: String,
}

/// Device memory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Memory {
    /// DRAM layers bonded on the logic die.
    Stacked(Stack3d),
    /// HBM stacks on an interposer.
    Hbm(HbmStacks),
}

/// Every stage of the bandwidth chain, bytes/s, for reports and for Fig.-15-style plots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct BandwidthChain {
    /// Interface peak.
    pub peak: f64,
    /// After the row-recharge (connectivity) efficiency η(m, n).
    pub after_connectivity: f64,
    /// After the vertical links' capacity.
    pub after_vertical: f64,
    /// After the Little's-law buffer limit of shared memory.
    pub after_buffering: f64,
    /// After the shared-memory port limit.
    pub after_port: f64,
    /// After the utilisation cap: what kernels can draw.
    pub effective: f64,
    /// The connectivity efficiency η itself.
    pub eta: f64,
}

/// η(m, n): the paper's connectivity rule — 1 while a spare layer can recharge behind every
/// transfer (n ≤ m/2), η_full when every layer is connected, linear in between. It assumes
/// one bank per layer behind each port.
pub fn connectivity_efficiency(m: u32, n: u32, eta_full: f64) -> f64 {
    let (m, n) = (m as f64, n as f64);
    let half = m / 2.0;
    if n <= half {
        1.0
    } else if n >= m {
        eta_full
    } else {
        1.0 + (n - half) / (m - half) * (eta_full - 1.0)
    }
}

/// η for ports shared by `banks` banks per layer: the same spare-bank argument over the
/// pool of m × banks banks behind the n ports (a bank of the same layer recharges behind
/// another's transfer as well as one of a spare layer). With one bank it is the paper's
/// rule; with two or more every row recharge hides, whatever n.
pub fn bank_connectivity_efficiency(m: u32, n: u32, banks: u32, eta_full: f64) -> f64 {
    connectivity_efficiency(m.saturating_mul(banks.max(1)), n, eta_full)
}

impl Memory {
    /// Capacity per device, bytes.
    pub fn capacity_bytes(&self) -> f64 {
        match self {
            Memory::Stacked(s) => s.total_layers as f64 * s.capacity_per_layer_bytes,
            Memory::Hbm(h) => h.stacks as f64 * h.capacity_per_stack_bytes,
        }
    }
    /// Interface peak bandwidth, bytes/s.
    pub fn peak_bandwidth(&self) -> f64 {
        match self {
            Memory::Stacked(s) => {
                s.connected_layers as f64
                    * s.channels_per_connected_layer as f64
                    * s.port_bandwidth()
            }
            Memory::Hbm(h) => h.stacks as f64 * h.bandwidth_per_stack,
        }
    }
    /// DRAM transaction size, bytes.
    pub fn transaction_bytes(&self) -> f64 {
        match self {
            Memory::Stacked(s) => s.transaction_bytes,
            Memory::Hbm(h) => h.transaction_bytes,
        }
    }
    /// Bytes moved by one "wave" of transactions across every channel.
    pub fn wave_bytes(&self) -> f64 {
        match self {
            Memory::Stacked(s) => {
                s.transaction_bytes * (s.channels_per_connected_layer * s.connected_layers) as f64
            }
            Memory::Hbm(h) => h.transaction_bytes * 8.0 * h.stacks as f64,
        }
    }
    /// Loaded round-trip latency, seconds.
    pub fn round_trip_latency_s(&self) -> f64 {
        match self {
            Memory::Stacked(s) => s.round_trip_latency_s,
            Memory::Hbm(h) => h.round_trip_latency_s,
        }
    }
    /// Stacked layers (1 for HBM: it does not sit on the die).
    pub fn stacked_layers(&self) -> u32 {
        match self {
            Memory::Stacked(s) => s.total_layers,
            Memory::Hbm(_) => 0,
        }
    }
    /// Logic-die area the memory interface takes, mm².
    pub fn interface_area_mm2(&self, vertical: Option<&VerticalLinks>) -> f64 {
        match self {
            Memory::Stacked(s) => {
                let channels = (s.connected_layers * s.channels_per_connected_layer) as f64;
                let phy = channels * s.phy_mm2_per_channel;
                let bonds = vertical.map_or(0.0, |v| {
                    v.area_mm2(s.connected_layers, s.channels_per_connected_layer)
                });
                phy + bonds
            }
            Memory::Hbm(_) => 0.0,
        }
    }

    /// The bandwidth chain for `pes` PEs with the given shared memory and port.
    pub fn bandwidth_chain(
        &self,
        vertical: Option<&VerticalLinks>,
        pes: u32,
        smem_bytes: f64,
        smem_bytes_per_s: f64,
        max_utilization: f64,
    ) -> BandwidthChain {
        let peak = self.peak_bandwidth();
        let (eta, buffering) = match self {
            Memory::Stacked(s) => (
                bank_connectivity_efficiency(
                    s.total_layers,
                    s.connected_layers,
                    s.banks_per_channel,
                    s.timing.full_connection_efficiency(),
                ),
                s.buffering_factor,
            ),
            Memory::Hbm(h) => (1.0, h.buffering_factor),
        };
        let after_connectivity = peak * eta;
        let after_vertical = match (self, vertical) {
            (Memory::Stacked(s), Some(v)) => after_connectivity
                .min(v.bandwidth(s.connected_layers, s.channels_per_connected_layer)),
            _ => after_connectivity,
        };
        let pes = pes.max(1) as f64;
        let per_pe = after_vertical / pes;
        let need = per_pe * self.round_trip_latency_s() * buffering;
        let after_buffering = if smem_bytes < need {
            after_vertical * smem_bytes / need
        } else {
            after_vertical
        };
        // DRAM→SRAM writes and SRAM→core reads share the shared-memory port.
        let port_total = smem_bytes_per_s * pes;
        let after_port = if port_total < 2.0 * after_buffering {
            after_buffering.min(port_total / 2.0)
        } else {
            after_buffering
        };
        BandwidthChain {
            peak,
            after_connectivity,
            after_vertical,
            after_buffering,
            after_port,
            effective: after_port * max_utilization,
            eta,
        }
    }

    /// Check ranges; `path` prefixes field names.
    pub fn validate(&self, path: &str) -> Result<()> {
        let pos = |name: &str, v: f64| -> Result<()> {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(invalid(format!("{path}.{name}"), v, "must be positive"))
            }
        };
        match self {
            Memory::Stacked(s) => {
                if s.total_layers == 0 {
                    return Err(invalid(
                        format!("{path}.total_layers"),
                        0,
                        "a stack needs at least 1 layer",
                    ));
                }
                if s.connected_layers == 0 {
                    return Err(invalid(
                        format!("{path}.connected_layers"),
                        0,
                        "at least 1 layer must be connected",
                    ));
                }
                if s.connected_layers > s.total_layers {
                    return Err(invalid(
                        format!("{path}.connected_layers"),
                        s.connected_layers,
                        format!(
                            "exceeds total_layers = {}; connected layers are a subset of the stack",
                            s.total_layers
                        ),
                    ));
                }
                if s.channels_per_connected_layer == 0 {
                    return Err(invalid(
                        format!("{path}.channels_per_connected_layer"),
                        0,
                        "must be at least 1",
                    ));
                }
                if s.banks_per_channel == 0 {
                    return Err(invalid(
                        format!("{path}.banks_per_channel"),
                        0,
                        "must be at least 1",
                    ));
                }
                pos("bytes_per_transfer", s.bytes_per_transfer)?;
                pos("transfers_per_clock", s.transfers_per_clock)?;
                pos("memory_clock_hz", s.memory_clock_hz)?;
                pos("capacity_per_layer_bytes", s.capacity_per_layer_bytes)?;
                pos("transaction_bytes", s.transaction_bytes)?;
                if !(s.refresh_interval_s >= 0.0 && s.refresh_interval_s.is_finite()) {
                    return Err(invalid(
                        format!("{path}.refresh_interval_s"),
                        s.refresh_interval_s,
                        "must be zero (no refresh) or a positive number of seconds",
                    ));
                }
                if s.refresh_interval_s > 0.0
                    && !(s.refresh_cycle_s > 0.0 && s.refresh_cycle_s < s.refresh_interval_s)
                {
                    return Err(invalid(
                        format!("{path}.refresh_cycle_s"),
                        s.refresh_cycle_s,
                        "must be positive and shorter than refresh_interval_s",
                    ));
                }
                pos("round_trip_latency_s", s.round_trip_latency_s)?;
                if s.buffering_factor < 1.0 {
                    return Err(invalid(
                        format!("{path}.buffering_factor"),
                        s.buffering_factor,
                        "must be at least 1",
                    ));
                }
                pos("timing.row_bytes", s.timing.row_bytes)?;
                pos("timing.sector_bytes", s.timing.sector_bytes)?;
                pos("timing.sector_cycles", s.timing.sector_cycles)?;
                if s.timing.recharge_cycles < 0.0 {
                    return Err(invalid(
                        format!("{path}.timing.recharge_cycles"),
                        s.timing.recharge_cycles,
                        "must be non-negative",
                    ));
                }
                if s.timing.sector_bytes > s.timing.row_bytes {
                    return Err(invalid(
                        format!("{path}.timing.sector_bytes"),
                        s.timing.sector_bytes,
                        "exceeds row_bytes; a sector is part of a row",
                    ));
                }
            }
            Memory::Hbm(h) => {
                if h.stacks == 0 {
                    return Err(invalid(format!("{path}.stacks"), 0, "must be at least 1"));
                }
                pos("bandwidth_per_stack", h.bandwidth_per_stack)?;
                pos("capacity_per_stack_bytes", h.capacity_per_stack_bytes)?;
                pos("transaction_bytes", h.transaction_bytes)?;
                pos("round_trip_latency_s", h.round_trip_latency_s)?;
                if h.buffering_factor < 1.0 {
                    return Err(invalid(
                        format!("{path}.buffering_factor"),
                        h.buffering_factor,
                        "must be at least 1",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_matches_the_reference_points() {
        assert!((connectivity_efficiency(10, 7, 0.37) - 0.748).abs() < 1e-12);
        assert_eq!(connectivity_efficiency(8, 4, 0.5), 1.0);
        assert_eq!(connectivity_efficiency(8, 8, 0.5), 0.5);
    }

    #[test]
    fn a_load_waits_for_its_rows_and_refresh_takes_its_share() {
        let stack = |interval: f64| Stack3d {
            total_layers: 8,
            connected_layers: 4,
            channels_per_connected_layer: 16,
            banks_per_channel: 16,
            bytes_per_transfer: 32.0,
            transfers_per_clock: 2.0,
            memory_clock_hz: 1e9,
            capacity_per_layer_bytes: 6442450944.0,
            transaction_bytes: 64.0,
            round_trip_latency_s: 150e-9,
            buffering_factor: 2.0,
            phy_mm2_per_channel: 0.4,
            refresh_interval_s: interval,
            refresh_cycle_s: 350e-9,
            timing: RowTiming {
                row_bytes: 2048.0,
                sector_bytes: 64.0,
                sector_cycles: 2.0,
                recharge_cycles: 56.0,
            },
        };
        let s = stack(3.9e-6);
        // A 16 KiB load: 14 ns activate + one 2 KiB row through a 64 GB/s port (32 ns).
        assert!((s.load_latency_extra_s(16384.0) - 46e-9).abs() < 1e-15);
        // A 512 B load streams only its own bytes.
        assert!((s.load_latency_extra_s(512.0) - 22e-9).abs() < 1e-15);
        assert!((s.refresh_availability() - (1.0 - 350.0 / 3900.0)).abs() < 1e-12);
        assert_eq!(stack(0.0).refresh_availability(), 1.0);
    }

    #[test]
    fn bank_parallelism_hides_recharge() {
        // One bank per layer and port: the paper's rule.
        assert_eq!(bank_connectivity_efficiency(8, 8, 1, 0.5), 0.5);
        assert!((bank_connectivity_efficiency(10, 7, 1, 0.37) - 0.748).abs() < 1e-12);
        // Two banks per layer: one recharges while the other transfers, even at n = m.
        assert_eq!(bank_connectivity_efficiency(1, 1, 2, 0.533), 1.0);
        assert_eq!(bank_connectivity_efficiency(16, 16, 16, 0.533), 1.0);
    }
}

//! The validated description of one memory: organisation, JEDEC timings in clock
//! cycles, controller settings and (for 3D stacks) the vertical link of each port.
//!
//! Every timing is a whole number of memory-clock cycles (`tCK`). Timings given in
//! nanoseconds are converted once, by [`ns_to_cycles`], rounding up.

use super::error::DramError;
use super::mapping::AddressMapping;
use super::vertical::VerticalLinkSpec;
use crate::sim::{ClockDomain, Cycles, Picos};
use serde::{Deserialize, Serialize};

/// How the controller treats a row after a column access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PagePolicy {
    /// Keep the row open until a request to another row (or a refresh) needs the bank.
    #[default]
    Open,
    /// Precharge as soon as no queued request hits the open row.
    Closed,
}

impl std::str::FromStr for PagePolicy {
    type Err = DramError;
    fn from_str(s: &str) -> Result<Self, DramError> {
        match s.to_ascii_lowercase().as_str() {
            "open" | "open_page" => Ok(PagePolicy::Open),
            "closed" | "close" | "close_page" | "closed_page" => Ok(PagePolicy::Closed),
            _ => Err(DramError::invalid(
                "controller.page_policy",
                s,
                "must be `open` or `closed`",
            )),
        }
    }
}

/// How a channel is built: counts of every level and the data-bus geometry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Independent channels (HBM pseudo-channels count as channels when modelled so).
    pub channels: u32,
    /// Ranks per channel (in a 3D stack, 1).
    pub ranks: u32,
    /// Bank groups per rank (in a 3D stack, one per layer).
    pub bankgroups: u32,
    /// Banks per bank group.
    pub banks_per_group: u32,
    /// Rows per bank.
    pub rows: u32,
    /// Columns per row, in bus-width units (the DRAMsim3 convention: a burst covers
    /// `burst_length` columns).
    pub columns: u32,
    /// Width of one data port in bits.
    pub bus_width_bits: u32,
    /// Transfers per burst (BL).
    pub burst_length: u32,
    /// Transfers per memory clock (2 for DDR; 4 for HBM3-style WCK at half the CK).
    pub transfers_per_clock: u32,
    /// Data ports per channel, all usable by every bank of the channel (1 for JEDEC
    /// HBM; the number of connected layers `n` in a 3D stack). The controller may also
    /// issue up to this many row and this many column commands per cycle (one command
    /// path per port; row and column commands use separate buses, as in HBM).
    pub ports: u32,
}

/// JEDEC timings, all in memory-clock cycles except `tck_ps`.
///
/// A zero `faw`, `rrd_s` or `rrd_l` means the constraint does not exist in this memory
/// (the 3D stack's row/recharge form has none); a zero `refi` means no refresh.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// Clock period in picoseconds.
    pub tck_ps: u64,
    /// Read latency CL (RD to first data).
    pub cl: u64,
    /// Write latency CWL (WR to first data).
    pub cwl: u64,
    /// ACT to RD, same bank.
    pub rcd_rd: u64,
    /// ACT to WR, same bank.
    pub rcd_wr: u64,
    /// PRE to ACT, same bank.
    pub rp: u64,
    /// ACT to PRE, same bank.
    pub ras: u64,
    /// ACT to ACT, same bank (at least tRAS + tRP).
    pub rc: u64,
    /// Column to column of the same kind, same port, other bank group.
    pub ccd_s: u64,
    /// Column to column of the same kind, same bank group.
    pub ccd_l: u64,
    /// ACT to ACT, same rank, other bank group.
    pub rrd_s: u64,
    /// ACT to ACT, same bank group.
    pub rrd_l: u64,
    /// Four-activate window per rank.
    pub faw: u64,
    /// End of write data to RD, same rank, other bank group.
    pub wtr_s: u64,
    /// End of write data to RD, same bank group.
    pub wtr_l: u64,
    /// RD to PRE, same bank.
    pub rtp: u64,
    /// Write recovery: end of write data to PRE, same bank.
    pub wr: u64,
    /// REF to ACT (and REF to REF), same rank.
    pub rfc: u64,
    /// Average refresh interval at or below 85 °C (halved above).
    pub refi: u64,
    /// Data-bus turnaround between ranks and between read and write (tRTRS).
    pub rtrs: u64,
}

/// Controller settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControllerConfig {
    /// Open- or closed-page policy.
    pub page_policy: PagePolicy,
    /// Request-queue entries per channel.
    pub queue_depth: u32,
    /// Address mapping string, most significant field first (see [`AddressMapping`]).
    pub address_mapping: String,
    /// Device temperature in °C; above 85 °C the refresh interval is halved.
    pub temperature_c: f64,
    /// A queued request older than this many cycles may close a row that younger
    /// requests still hit (FR-FCFS starvation guard).
    pub starvation_cycles: u64,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            page_policy: PagePolicy::Open,
            queue_depth: 32,
            address_mapping: "rorabgbachco".to_string(),
            temperature_c: 45.0,
            starvation_cycles: 2000,
        }
    }
}

/// A complete, validated memory description.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DramSpec {
    /// A name for reports.
    pub name: String,
    /// Organisation.
    pub org: Organisation,
    /// Timings in cycles.
    pub timing: Timing,
    /// Controller settings.
    pub controller: ControllerConfig,
    /// The vertical link behind each data port, when the memory is a 3D stack whose
    /// ports are TSV or hybrid-bond bundles; `None` for a plain JEDEC channel.
    pub link: Option<VerticalLinkSpec>,
}

/// Values derived from a [`DramSpec`] that the controller and checker both use.
/// Computed in one place so the two stay consistent in their numbers while staying
/// independent in their mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Derived {
    /// Cycles a burst occupies a data port (the larger of BL / transfers-per-clock and
    /// the vertical link's serialization).
    pub port_cycles: u64,
    /// Extra read latency of the vertical link in cycles.
    pub link_latency: u64,
    /// Bytes moved by one column command.
    pub transaction_bytes: u64,
    /// Bursts per row.
    pub bursts_per_row: u64,
    /// Effective RD-to-RD / WR-to-WR spacing on one port: max(tCCD_S, port cycles).
    pub ccd_s: u64,
    /// Effective column spacing within a bank group: max(tCCD_L, port cycles).
    pub ccd_l: u64,
    /// Column to column of the same kind on one port, different ranks: port + tRTRS.
    pub rank_switch: u64,
    /// RD to WR on one port: CL + port + tRTRS - CWL (at least 1).
    pub rtw: u64,
    /// WR to RD, same rank: CWL + port + tWTR_S.
    pub wtr_s: u64,
    /// WR to RD, same bank group: CWL + port + tWTR_L.
    pub wtr_l: u64,
    /// WR to PRE, same bank: CWL + port + tWR.
    pub wr_to_pre: u64,
    /// RD issue to read completion: CL + port + link latency.
    pub read_latency: u64,
    /// WR issue to write completion: CWL + port.
    pub write_latency: u64,
    /// Refresh interval in force at the configured temperature (0: no refresh).
    pub refi: u64,
    /// Commands per cycle on each of a channel's two command buses, row and column
    /// (= ports).
    pub commands_per_cycle: u64,
}

/// Converts a timing in ns to cycles of `tck`, rounding up (the JEDEC convention).
/// This is the only ns-to-cycles conversion of the DRAM model.
pub fn ns_to_cycles(ns: f64, tck: &ClockDomain) -> Option<u64> {
    Picos::from_ns_f64(ns).map(|p| tck.to_cycles_ceil(p).0)
}

fn pow2(field: &str, v: u32) -> Result<(), DramError> {
    if v == 0 || !v.is_power_of_two() {
        return Err(DramError::invalid(field, v, "must be a power of two"));
    }
    Ok(())
}

fn at_least(field: &str, v: u64, min: u64, what: &str) -> Result<(), DramError> {
    if v < min {
        return Err(DramError::invalid(
            field,
            v,
            format!("must be at least {what}"),
        ));
    }
    Ok(())
}

impl DramSpec {
    /// Checks every rule; the error names the field, its value and the rule.
    pub fn validate(&self) -> Result<(), DramError> {
        let o = &self.org;
        at_least("organisation.channels", o.channels.into(), 1, "1")?;
        if o.channels > 4096 {
            return Err(DramError::invalid(
                "organisation.channels",
                o.channels,
                "must be at most 4096",
            ));
        }
        at_least("organisation.ranks", o.ranks.into(), 1, "1")?;
        if o.ranks > 64 {
            return Err(DramError::invalid(
                "organisation.ranks",
                o.ranks,
                "must be at most 64",
            ));
        }
        at_least("organisation.bankgroups", o.bankgroups.into(), 1, "1")?;
        at_least(
            "organisation.banks_per_group",
            o.banks_per_group.into(),
            1,
            "1",
        )?;
        let banks = u64::from(o.ranks) * u64::from(o.bankgroups) * u64::from(o.banks_per_group);
        if banks > 4096 {
            return Err(DramError::invalid(
                "organisation.banks_per_group",
                o.banks_per_group,
                format!(
                    "ranks x bankgroups x banks_per_group = {banks} exceeds 4096 banks per channel"
                ),
            ));
        }
        at_least("organisation.rows", o.rows.into(), 1, "1")?;
        pow2("organisation.burst_length", o.burst_length)?;
        if o.columns < o.burst_length || !o.columns.is_multiple_of(o.burst_length) {
            return Err(DramError::invalid(
                "organisation.columns",
                o.columns,
                format!(
                    "must be a positive multiple of the burst length {}",
                    o.burst_length
                ),
            ));
        }
        if o.bus_width_bits == 0 || !o.bus_width_bits.is_multiple_of(8) {
            return Err(DramError::invalid(
                "organisation.bus_width_bits",
                o.bus_width_bits,
                "must be a positive multiple of 8",
            ));
        }
        pow2("organisation.transfers_per_clock", o.transfers_per_clock)?;
        if !o.burst_length.is_multiple_of(o.transfers_per_clock) {
            return Err(DramError::invalid(
                "organisation.burst_length",
                o.burst_length,
                format!(
                    "must be a multiple of transfers_per_clock = {}",
                    o.transfers_per_clock
                ),
            ));
        }
        if o.ports == 0 || o.ports > 64 {
            return Err(DramError::invalid(
                "organisation.ports",
                o.ports,
                "must be between 1 and 64",
            ));
        }
        if o.ranks > 1 && o.ports > 1 {
            return Err(DramError::invalid(
                "organisation.ports",
                o.ports,
                "multi-port channels must have one rank",
            ));
        }

        let t = &self.timing;
        at_least("timing.tCK", t.tck_ps, 1, "1 ps")?;
        at_least("timing.CL", t.cl, 1, "1")?;
        at_least("timing.CWL", t.cwl, 1, "1")?;
        at_least("timing.tRCDRD", t.rcd_rd, 1, "1")?;
        at_least("timing.tRCDWR", t.rcd_wr, 1, "1")?;
        at_least("timing.tRP", t.rp, 1, "1")?;
        at_least(
            "timing.tRAS",
            t.ras,
            t.rcd_rd.max(t.rcd_wr),
            &format!("tRCDRD/tRCDWR = {}", t.rcd_rd.max(t.rcd_wr)),
        )?;
        at_least(
            "timing.tRC",
            t.rc,
            t.ras + t.rp,
            &format!("tRAS + tRP = {}", t.ras + t.rp),
        )?;
        at_least("timing.tCCD_S", t.ccd_s, 1, "1")?;
        at_least(
            "timing.tCCD_L",
            t.ccd_l,
            t.ccd_s,
            &format!("tCCD_S = {}", t.ccd_s),
        )?;
        at_least(
            "timing.tRRD_L",
            t.rrd_l,
            t.rrd_s,
            &format!("tRRD_S = {}", t.rrd_s),
        )?;
        if t.faw != 0 && t.faw < t.rrd_s {
            return Err(DramError::invalid(
                "timing.tFAW",
                t.faw,
                format!("must be 0 (none) or at least tRRD_S = {}", t.rrd_s),
            ));
        }
        at_least(
            "timing.tWTR_L",
            t.wtr_l,
            t.wtr_s,
            &format!("tWTR_S = {}", t.wtr_s),
        )?;
        at_least("timing.tRTP", t.rtp, 1, "1")?;
        at_least("timing.tWR", t.wr, 1, "1")?;
        if t.refi != 0 {
            at_least("timing.tRFC", t.rfc, 1, "1 when refresh is enabled")?;
            if t.refi / 2 <= t.rfc + t.rp {
                return Err(DramError::invalid(
                    "timing.tREFI",
                    t.refi,
                    format!("must exceed 2 x (tRFC + tRP) = {} so that refresh at the halved (hot) interval can keep up", 2 * (t.rfc + t.rp)),
                ));
            }
        }
        if o.ranks > 1 {
            let port = self.derived().port_cycles;
            if t.cwl + port + t.rtrs > t.cl {
                return Err(DramError::invalid(
                    "timing.CWL",
                    t.cwl,
                    format!("with several ranks CWL + burst + tRTRS must not exceed CL = {} (cross-rank write-to-read turnaround is not modelled)", t.cl),
                ));
            }
        }

        let c = &self.controller;
        if c.queue_depth == 0 || c.queue_depth > 4096 {
            return Err(DramError::invalid(
                "controller.queue_depth",
                c.queue_depth,
                "must be between 1 and 4096",
            ));
        }
        if !(c.temperature_c.is_finite() && (-60.0..=200.0).contains(&c.temperature_c)) {
            return Err(DramError::invalid(
                "controller.temperature_c",
                c.temperature_c,
                "must be a finite temperature between -60 and 200 °C",
            ));
        }
        AddressMapping::new(&c.address_mapping, &self.org)?;
        if let Some(link) = &self.link {
            link.validate()?;
        }
        Ok(())
    }

    /// The memory clock.
    pub fn clock(&self) -> ClockDomain {
        ClockDomain::at_least_1ps(Picos(self.timing.tck_ps))
    }

    /// The all-bank refresh interval in force (tREFI, halved above 85 °C); zero without
    /// refresh.
    pub fn refresh_interval(&self) -> Picos {
        Picos(self.derived().refi * self.timing.tck_ps)
    }

    /// Derived values (see [`Derived`]).
    pub fn derived(&self) -> Derived {
        let o = &self.org;
        let t = &self.timing;
        let tck = self.clock();
        let burst = u64::from(o.burst_length / o.transfers_per_clock.max(1)).max(1);
        let transaction_bytes = u64::from(o.bus_width_bits / 8) * u64::from(o.burst_length);
        let (ser, lat) = match &self.link {
            Some(l) => (
                tck.to_cycles_ceil(l.serialization(transaction_bytes)).0,
                tck.to_cycles_ceil(l.latency()).0,
            ),
            None => (0, 0),
        };
        let port = burst.max(ser);
        let refi = if self.controller.temperature_c > 85.0 {
            t.refi / 2
        } else {
            t.refi
        };
        Derived {
            port_cycles: port,
            link_latency: lat,
            transaction_bytes,
            bursts_per_row: u64::from((o.columns / o.burst_length.max(1)).max(1)),
            ccd_s: t.ccd_s.max(port),
            ccd_l: t.ccd_l.max(port),
            rank_switch: port + t.rtrs,
            rtw: (t.cl + port + t.rtrs).saturating_sub(t.cwl).max(1),
            wtr_s: t.cwl + port + t.wtr_s,
            wtr_l: t.cwl + port + t.wtr_l,
            wr_to_pre: t.cwl + port + t.wr,
            read_latency: t.cl + port + lat,
            write_latency: t.cwl + port,
            refi,
            commands_per_cycle: u64::from(o.ports.max(1)),
        }
    }

    /// Banks per channel.
    pub fn banks_per_channel(&self) -> u64 {
        u64::from(self.org.ranks)
            * u64::from(self.org.bankgroups)
            * u64::from(self.org.banks_per_group)
    }

    /// Total capacity in bytes.
    pub fn capacity_bytes(&self) -> u64 {
        let d = self.derived();
        u64::from(self.org.channels)
            .saturating_mul(self.banks_per_channel())
            .saturating_mul(u64::from(self.org.rows))
            .saturating_mul(d.bursts_per_row)
            .saturating_mul(d.transaction_bytes)
    }

    /// Peak data bandwidth in bytes per second (every port of every channel busy).
    pub fn peak_bandwidth_bytes_per_s(&self) -> f64 {
        let d = self.derived();
        let per_port =
            d.transaction_bytes as f64 / (d.port_cycles as f64 * self.timing.tck_ps as f64 * 1e-12);
        per_port * f64::from(self.org.ports) * f64::from(self.org.channels)
    }

    /// The time of `cycles` memory clocks.
    pub fn cycles_to_time(&self, cycles: u64) -> Picos {
        self.clock().to_time(Cycles(cycles))
    }

    /// The same memory at the speed grade whose peak is `peak_bytes_per_s` (a part run
    /// slower or faster than the preset, as GPUs run their HBM): tCK scales by the ratio of
    /// the peaks, and every timing keeps its nanosecond value, re-rounded up to whole cycles
    /// of the new clock, except the column-to-column spacings and the bus turnaround, which
    /// are counted in clocks of the data bus and keep their cycle counts.
    pub fn reclocked_to_peak(&self, peak_bytes_per_s: f64) -> Result<DramSpec, DramError> {
        if !(peak_bytes_per_s.is_finite() && peak_bytes_per_s > 0.0) {
            return Err(DramError::invalid(
                "peak bandwidth",
                peak_bytes_per_s,
                "must be a positive number of bytes per second",
            ));
        }
        let ratio = self.peak_bandwidth_bytes_per_s() / peak_bytes_per_s;
        let old = &self.timing;
        let tck_ps = (old.tck_ps as f64 * ratio).round().max(1.0) as u64;
        if tck_ps == old.tck_ps {
            return Ok(self.clone());
        }
        let new_clock = ClockDomain::at_least_1ps(Picos(tck_ps));
        // 0 stays 0: the constraint does not exist in this memory.
        let same_ns = |cycles: u64| -> u64 {
            if cycles == 0 {
                return 0;
            }
            let ns = (cycles * old.tck_ps) as f64 / 1000.0;
            ns_to_cycles(ns, &new_clock).unwrap_or(cycles).max(1)
        };
        let (ras, rp) = (same_ns(old.ras), same_ns(old.rp));
        let mut spec = self.clone();
        spec.timing = Timing {
            tck_ps,
            cl: same_ns(old.cl),
            cwl: same_ns(old.cwl),
            rcd_rd: same_ns(old.rcd_rd),
            rcd_wr: same_ns(old.rcd_wr),
            rp,
            ras,
            rc: same_ns(old.rc).max(ras + rp),
            ccd_s: old.ccd_s,
            ccd_l: old.ccd_l,
            rrd_s: same_ns(old.rrd_s),
            rrd_l: same_ns(old.rrd_l),
            faw: same_ns(old.faw),
            wtr_s: same_ns(old.wtr_s),
            wtr_l: same_ns(old.wtr_l),
            rtp: same_ns(old.rtp),
            wr: same_ns(old.wr),
            rfc: same_ns(old.rfc),
            refi: same_ns(old.refi),
            rtrs: old.rtrs,
        };
        spec.validate()?;
        Ok(spec)
    }
}

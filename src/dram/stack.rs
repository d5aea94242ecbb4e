//! 3D DRAM stacks mapped onto the detailed model.
//!
//! A stack has `m` layers of banks, `n` of which have their own vertical data path
//! (port) to the logic die. Banks of **all** layers share the `n` ports: a bank in an
//! unconnected layer reads through a free port of a connected one. The mapping onto
//! [`DramSpec`]:
//!
//! * one controller per channel index (`channels_per_connected_layer` of them), each
//!   with `m x banks_per_layer` banks grouped as one bank group per layer, and `n`
//!   data ports (so up to `n` commands per cycle);
//! * a port moves `bytes_per_transfer x transfers_per_clock` bytes per memory clock,
//!   slowed to the vertical link's serialization if a [`VerticalLinkSpec`] is given;
//! * timings either in full JEDEC form ([`StackParams::jedec`]) or derived from the
//!   paper's row/sector/recharge form: `recharge` (precharge + activate) is split
//!   evenly into tRP and tRCD, a bank delivers one sector per `sector_cycles`, which
//!   sets tCCD_L within a layer, the unloaded read latency equals the round trip, and
//!   there is no tRRD/tFAW (that form has no activation-rate limit).
//!
//! Because a bank reads a row and then recharges while the port serves another
//! layer's bank, the model shows the recharge hiding of the analytical
//! connectivity-efficiency rule as a mechanism rather than a formula.

use super::error::DramError;
use super::spec::{ns_to_cycles, ControllerConfig, DramSpec, Organisation, PagePolicy, Timing};
use super::vertical::VerticalLinkSpec;
use crate::sim::ClockDomain;
use serde::{Deserialize, Serialize};

/// A 3D stack in the hardware description's terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackParams {
    /// Name for reports.
    #[serde(default = "default_name")]
    pub name: String,
    /// Physical DRAM layers `m`.
    pub total_layers: u32,
    /// Layers with their own vertical port, `n <= m`.
    pub connected_layers: u32,
    /// Channels per connected layer (controllers of the stack).
    pub channels_per_connected_layer: u32,
    /// Banks per layer per channel.
    pub banks_per_layer: u32,
    /// Port width in bytes.
    pub bytes_per_transfer: u32,
    /// Transfers per memory clock (2 for DDR).
    pub transfers_per_clock: u32,
    /// Memory (port) clock in Hz.
    pub memory_clock_hz: f64,
    /// Capacity of one layer in bytes.
    pub capacity_per_layer_bytes: u64,
    /// Bytes per request (one column command).
    pub transaction_bytes: u32,
    /// Row size of one bank in bytes.
    pub row_bytes: u32,
    /// Sector size in bytes (row/sector form).
    pub sector_bytes: u32,
    /// Cycles of the data clock per sector read from a bank (row/sector form).
    pub sector_cycles: f64,
    /// Cycles of the data clock to recharge a bank: precharge + activate (row/sector form).
    pub recharge_cycles: f64,
    /// Unloaded round-trip latency in cycles of `latency_clock_hz`.
    pub round_trip_latency_cycles: f64,
    /// Data clock of `sector_cycles` and `recharge_cycles`, in Hz.
    pub data_rate_hz: f64,
    /// Clock of `round_trip_latency_cycles`, in Hz.
    pub latency_clock_hz: f64,
    /// Average refresh interval in ns (0: no refresh modelled).
    #[serde(default)]
    pub refresh_interval_ns: f64,
    /// Refresh cycle time tRFC in ns (used when `refresh_interval_ns > 0`).
    #[serde(default)]
    pub refresh_cycle_ns: f64,
    /// Full JEDEC timings in memory-clock cycles; when given they replace the
    /// row/sector form (`tck_ps` is overwritten by `memory_clock_hz`).
    #[serde(default)]
    pub jedec: Option<Timing>,
    /// The vertical link behind each port.
    #[serde(default)]
    pub link: Option<VerticalLinkSpec>,
    /// Request-queue entries per controller (0: sized to keep every port busy).
    #[serde(default)]
    pub queue_depth: u32,
}

fn default_name() -> String {
    "stack".to_string()
}

impl StackParams {
    /// The bank-oracle toy defaults of the paper's code base (4 banks per layer,
    /// 4 KiB rows, 128 B sectors, 3 cycles per sector and 7 recharge cycles at a 1 GHz
    /// data clock, a 20-cycle round trip at 2 GHz, 1 GiB per layer) with `m` layers of
    /// which `n` are connected. As in that oracle, bank slot `b` of every layer shares
    /// the `n` ports of slot `b`: each slot is one controller here (4 channels of one
    /// bank per layer), and a port moves one 128 B sector per 3 ns.
    pub fn toy(m: u32, n: u32) -> StackParams {
        StackParams {
            name: format!("stack-m{m}-n{n}"),
            total_layers: m,
            connected_layers: n,
            channels_per_connected_layer: 4,
            banks_per_layer: 1,
            bytes_per_transfer: 64,
            transfers_per_clock: 2,
            memory_clock_hz: 1e9 / 3.0,
            capacity_per_layer_bytes: 1 << 30,
            transaction_bytes: 128,
            row_bytes: 4096,
            sector_bytes: 128,
            sector_cycles: 3.0,
            recharge_cycles: 7.0,
            round_trip_latency_cycles: 20.0,
            data_rate_hz: 1e9,
            latency_clock_hz: 2e9,
            refresh_interval_ns: 0.0,
            refresh_cycle_ns: 0.0,
            jedec: None,
            link: None,
            queue_depth: 0,
        }
    }
}

fn positive(field: &str, v: f64) -> Result<(), DramError> {
    if !(v.is_finite() && v > 0.0) {
        return Err(DramError::invalid(
            format!("stack.{field}"),
            v,
            "must be a positive number",
        ));
    }
    Ok(())
}

impl DramSpec {
    /// Maps a 3D stack onto the detailed model (see the module docs).
    pub fn from_stack(p: &StackParams) -> Result<DramSpec, DramError> {
        if p.total_layers == 0 {
            return Err(DramError::invalid(
                "stack.total_layers",
                p.total_layers,
                "must be at least 1",
            ));
        }
        if p.connected_layers == 0 || p.connected_layers > p.total_layers {
            return Err(DramError::invalid(
                "stack.connected_layers",
                p.connected_layers,
                format!("must be between 1 and total_layers = {}", p.total_layers),
            ));
        }
        for (f, v) in [
            (
                "channels_per_connected_layer",
                p.channels_per_connected_layer,
            ),
            ("banks_per_layer", p.banks_per_layer),
            ("bytes_per_transfer", p.bytes_per_transfer),
            ("transfers_per_clock", p.transfers_per_clock),
            ("transaction_bytes", p.transaction_bytes),
            ("row_bytes", p.row_bytes),
            ("sector_bytes", p.sector_bytes),
        ] {
            if v == 0 {
                return Err(DramError::invalid(
                    format!("stack.{f}"),
                    v,
                    "must be at least 1",
                ));
            }
        }
        positive("memory_clock_hz", p.memory_clock_hz)?;
        let clock = ClockDomain::from_hz(p.memory_clock_hz).map_err(|e| {
            DramError::invalid("stack.memory_clock_hz", p.memory_clock_hz, e.to_string())
        })?;
        if !p.transaction_bytes.is_multiple_of(p.bytes_per_transfer) {
            return Err(DramError::invalid(
                "stack.transaction_bytes",
                p.transaction_bytes,
                format!(
                    "must be a multiple of bytes_per_transfer = {}",
                    p.bytes_per_transfer
                ),
            ));
        }
        let burst_length = p.transaction_bytes / p.bytes_per_transfer;
        if !p.row_bytes.is_multiple_of(p.transaction_bytes) {
            return Err(DramError::invalid(
                "stack.row_bytes",
                p.row_bytes,
                format!(
                    "must be a multiple of transaction_bytes = {}",
                    p.transaction_bytes
                ),
            ));
        }
        let columns = p.row_bytes / p.bytes_per_transfer;
        let per_layer_rows = u64::from(p.channels_per_connected_layer)
            * u64::from(p.banks_per_layer)
            * u64::from(p.row_bytes);
        let rows = p.capacity_per_layer_bytes / per_layer_rows;
        if rows == 0
            || rows > u64::from(u32::MAX)
            || !p.capacity_per_layer_bytes.is_multiple_of(per_layer_rows)
        {
            return Err(DramError::invalid(
                "stack.capacity_per_layer_bytes",
                p.capacity_per_layer_bytes,
                format!("must be a whole number of rows: channels x banks_per_layer x row_bytes = {per_layer_rows}"),
            ));
        }
        let port_cycles = u64::from((burst_length / p.transfers_per_clock).max(1));
        let ns = |cycles: f64, hz: f64| cycles / hz * 1e9;
        let cyc = |field: &str, v_ns: f64| {
            ns_to_cycles(v_ns, &clock).ok_or_else(|| {
                DramError::invalid(format!("stack.{field}"), v_ns, "gives an unusable time")
            })
        };
        let mut timing = match &p.jedec {
            Some(t) => t.clone(),
            None => {
                positive("data_rate_hz", p.data_rate_hz)?;
                positive("latency_clock_hz", p.latency_clock_hz)?;
                positive("sector_cycles", p.sector_cycles)?;
                positive("recharge_cycles", p.recharge_cycles)?;
                positive("round_trip_latency_cycles", p.round_trip_latency_cycles)?;
                let recharge =
                    cyc("recharge_cycles", ns(p.recharge_cycles, p.data_rate_hz))?.max(2);
                let rp = recharge.div_ceil(2);
                let rcd = (recharge - rp).max(1);
                // One transaction read from a bank at the sector rate.
                let per_tx_ns = ns(p.sector_cycles, p.data_rate_hz)
                    * f64::from(p.transaction_bytes)
                    / f64::from(p.sector_bytes);
                let ccd_l = cyc("sector_cycles", per_tx_ns)?.max(1);
                let rt = cyc(
                    "round_trip_latency_cycles",
                    ns(p.round_trip_latency_cycles, p.latency_clock_hz),
                )?;
                let cl = rt.saturating_sub(port_cycles).max(1);
                Timing {
                    tck_ps: 0,
                    cl,
                    cwl: (cl / 2).max(1),
                    rcd_rd: rcd,
                    rcd_wr: rcd,
                    rp,
                    ras: rcd,
                    rc: rcd + rp,
                    ccd_s: 1,
                    ccd_l,
                    rrd_s: 0,
                    rrd_l: 0,
                    faw: 0,
                    wtr_s: 0,
                    wtr_l: 0,
                    rtp: 1,
                    wr: rp,
                    rfc: 0,
                    refi: 0,
                    rtrs: 0,
                }
            }
        };
        timing.tck_ps = clock.period().0;
        if p.refresh_interval_ns > 0.0 {
            timing.refi = cyc("refresh_interval_ns", p.refresh_interval_ns)?;
            timing.rfc = cyc("refresh_cycle_ns", p.refresh_cycle_ns)?.max(1);
        }
        let org = Organisation {
            channels: p.channels_per_connected_layer,
            ranks: 1,
            bankgroups: p.total_layers,
            banks_per_group: p.banks_per_layer,
            rows: rows as u32,
            columns,
            bus_width_bits: p.bytes_per_transfer * 8,
            burst_length,
            transfers_per_clock: p.transfers_per_clock,
            ports: p.connected_layers,
        };
        let bursts_per_row = u64::from(p.row_bytes / p.transaction_bytes);
        let queue_depth = if p.queue_depth > 0 {
            p.queue_depth
        } else {
            // Enough queued rows to keep every port and a spare layer busy.
            (2 * u64::from(p.connected_layers + 1) * bursts_per_row).clamp(32, 4096) as u32
        };
        let spec = DramSpec {
            name: p.name.clone(),
            org,
            timing,
            controller: ControllerConfig {
                page_policy: PagePolicy::Open,
                queue_depth,
                // Consecutive rows go to other channels, then other layers, then banks.
                address_mapping: "rorababgchco".to_string(),
                ..ControllerConfig::default()
            },
            link: p.link.clone(),
        };
        spec.validate()?;
        Ok(spec)
    }
}

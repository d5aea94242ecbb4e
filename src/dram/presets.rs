//! Built-in memories.
//!
//! | name | source of the timings |
//! |---|---|
//! | `hbm2` | DRAMsim3 `configs/HBM2_8Gb_x128.ini` (umd-memsys/DRAMsim3@0eb6360), as read by [`super::ini`] would: 8 channels x 128 bit, 2 ranks (DRAMsim3 derives them from `channel_size = 1024` MB), 4 x 4 banks, 1 ns tCK, BL4 |
//! | `hbm2e` | the same nanosecond values re-rounded at 3.2 Gb/s (tCK 625 ps), 16 pseudo-channels x 64 bit |
//! | `hbm3` | AttAcc's HBM3_6.4Gbps cycle table (scale-snu/attacc_simulator@c1540de), 32 pseudo-channels x 32 bit |
//! | `hbm3e` | the HBM2 nanosecond values re-rounded at 9.6 Gb/s (tCK 417 ps), 32 x 32 bit, 12-high 24 Gb |
//!
//! Assumptions (also in `docs/dram.md`):
//! * No public cycle table exists for HBM2E or HBM3E; both re-round DRAMsim3's HBM2
//!   nanosecond values at their own clock, as AttAcc did for HBM3.
//! * AttAcc lists tRC = 77 for HBM3, below tRAS + tRP = 78; we use 78.
//! * tRFC for 16 Gb and 24 Gb dies is Ramulator2/AttAcc's density table (450 and
//!   610 ns); tREFI is 3.9 µs for all (the value every HBM simulator uses).
//! * tRTRS (rank/direction bus turnaround), absent from the HBM configs, is 1 cycle;
//!   RD-to-PRE uses tRTP_L where a config gives S and L values (same bank means same
//!   bank group).
//! * Pseudo-channels are modelled as independent channels; their shared row/column
//!   command bus is not (each issues at most one command per cycle).

use super::error::DramError;
use super::spec::{ns_to_cycles, ControllerConfig, DramSpec, Organisation, Timing};
use crate::sim::{ClockDomain, Picos};

/// Names of the built-in memories.
pub const PRESET_NAMES: [&str; 4] = ["hbm2", "hbm2e", "hbm3", "hbm3e"];

/// The built-in memory called `name`.
pub fn preset(name: &str) -> Result<DramSpec, DramError> {
    let spec = match name.to_ascii_lowercase().as_str() {
        "hbm2" => hbm2(),
        "hbm2e" => hbm2e(),
        "hbm3" => hbm3(),
        "hbm3e" => hbm3e(),
        _ => {
            return Err(DramError::UnknownMemory {
                name: name.to_string(),
                known: PRESET_NAMES.join(", "),
            })
        }
    };
    spec.validate()?;
    Ok(spec)
}

/// DRAMsim3 HBM2_8Gb_x128.
fn hbm2() -> DramSpec {
    DramSpec {
        name: "hbm2".into(),
        org: Organisation {
            channels: 8,
            ranks: 2,
            bankgroups: 4,
            banks_per_group: 4,
            rows: 32768,
            columns: 64,
            bus_width_bits: 128,
            burst_length: 4,
            transfers_per_clock: 2,
            ports: 1,
        },
        timing: Timing {
            tck_ps: 1000,
            cl: 14,
            cwl: 4,
            rcd_rd: 14,
            rcd_wr: 14,
            rp: 14,
            ras: 34,
            rc: 48,
            ccd_s: 1,
            ccd_l: 2,
            rrd_s: 4,
            rrd_l: 6,
            faw: 30,
            wtr_s: 6,
            wtr_l: 8,
            rtp: 6,
            wr: 16,
            rfc: 260,
            refi: 3900,
            rtrs: 1,
        },
        controller: ControllerConfig {
            address_mapping: "rorabgbachco".into(),
            queue_depth: 32,
            ..ControllerConfig::default()
        },
        link: None,
    }
}

/// Nanosecond timings of DRAMsim3's HBM2_8Gb_x128 (tCK = 1 ns), to re-round at
/// another clock.
struct NsTimings {
    cl: f64,
    cwl: f64,
    rcd: f64,
    rp: f64,
    ras: f64,
    ccd_s: f64,
    ccd_l: f64,
    rrd_s: f64,
    rrd_l: f64,
    faw: f64,
    wtr_s: f64,
    wtr_l: f64,
    rtp: f64,
    wr: f64,
    refi: f64,
}

const HBM2_NS: NsTimings = NsTimings {
    cl: 14.0,
    cwl: 4.0,
    rcd: 14.0,
    rp: 14.0,
    ras: 34.0,
    ccd_s: 1.0,
    ccd_l: 2.0,
    rrd_s: 4.0,
    rrd_l: 6.0,
    faw: 30.0,
    wtr_s: 6.0,
    wtr_l: 8.0,
    rtp: 6.0,
    wr: 16.0,
    refi: 3900.0,
};

fn rerounded(ns: &NsTimings, tck_ps: u64, rfc_ns: f64) -> Timing {
    let ck = ClockDomain::at_least_1ps(Picos(tck_ps));
    let c = |v: f64| ns_to_cycles(v, &ck).unwrap_or(1).max(1);
    let ras = c(ns.ras);
    let rp = c(ns.rp);
    Timing {
        tck_ps,
        cl: c(ns.cl),
        cwl: c(ns.cwl),
        rcd_rd: c(ns.rcd),
        rcd_wr: c(ns.rcd),
        rp,
        ras,
        rc: ras + rp,
        ccd_s: c(ns.ccd_s),
        ccd_l: c(ns.ccd_l),
        rrd_s: c(ns.rrd_s),
        rrd_l: c(ns.rrd_l),
        faw: c(ns.faw),
        wtr_s: c(ns.wtr_s),
        wtr_l: c(ns.wtr_l),
        rtp: c(ns.rtp),
        wr: c(ns.wr),
        rfc: c(rfc_ns),
        refi: c(ns.refi),
        rtrs: 1,
    }
}

/// HBM2E at 3.2 Gb/s: 16 pseudo-channels of 64 bit, 8-high of 16 Gb (16 GB).
fn hbm2e() -> DramSpec {
    DramSpec {
        name: "hbm2e".into(),
        org: Organisation {
            channels: 16,
            ranks: 1,
            bankgroups: 4,
            banks_per_group: 4,
            rows: 65536,
            columns: 128,
            bus_width_bits: 64,
            burst_length: 4,
            transfers_per_clock: 2,
            ports: 1,
        },
        timing: rerounded(&HBM2_NS, 625, 450.0),
        controller: ControllerConfig {
            address_mapping: "rorabacobgch".into(),
            queue_depth: 32,
            ..ControllerConfig::default()
        },
        link: None,
    }
}

/// HBM3 at 6.4 Gb/s (AttAcc table): 32 pseudo-channels of 32 bit, BL8 at four
/// transfers per 625 ps clock, 8-high of 16 Gb (16 GB).
fn hbm3() -> DramSpec {
    DramSpec {
        name: "hbm3".into(),
        org: Organisation {
            channels: 32,
            ranks: 1,
            bankgroups: 4,
            banks_per_group: 4,
            rows: 32768,
            columns: 256,
            bus_width_bits: 32,
            burst_length: 8,
            transfers_per_clock: 4,
            ports: 1,
        },
        timing: Timing {
            tck_ps: 625,
            cl: 23,
            cwl: 7,
            rcd_rd: 23,
            rcd_wr: 23,
            rp: 23,
            ras: 55,
            rc: 78,
            ccd_s: 2,
            ccd_l: 4,
            rrd_s: 2,
            rrd_l: 4,
            faw: 48,
            wtr_s: 10,
            wtr_l: 13,
            rtp: 10,
            wr: 26,
            rfc: 720,
            refi: 6240,
            rtrs: 1,
        },
        controller: ControllerConfig {
            address_mapping: "rorabacobgch".into(),
            queue_depth: 32,
            ..ControllerConfig::default()
        },
        link: None,
    }
}

/// HBM3E at 9.6 Gb/s: 32 pseudo-channels of 32 bit, BL8 at four transfers per
/// 417 ps clock (9.59 Gb/s), 12-high of 24 Gb (36 GB: 73,728 rows of 1 KiB per bank).
fn hbm3e() -> DramSpec {
    DramSpec {
        name: "hbm3e".into(),
        org: Organisation {
            channels: 32,
            ranks: 1,
            bankgroups: 4,
            banks_per_group: 4,
            rows: 73728,
            columns: 256,
            bus_width_bits: 32,
            burst_length: 8,
            transfers_per_clock: 4,
            ports: 1,
        },
        timing: Timing {
            // Column-to-column spacing is a clock-domain constraint: keep HBM3's cycle
            // counts (a 1 ns tCCD_S re-rounded at 417 ps would be 3 cycles, slower than
            // the 2-cycle burst).
            ccd_s: 2,
            ccd_l: 4,
            ..rerounded(&HBM2_NS, 417, 610.0)
        },
        controller: ControllerConfig {
            address_mapping: "rorabacobgch".into(),
            queue_depth: 32,
            ..ControllerConfig::default()
        },
        link: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_have_expected_peaks() {
        let expect = [
            ("hbm2", 256e9),
            ("hbm2e", 409.6e9),
            ("hbm3", 819.2e9),
            ("hbm3e", 1227.8e9),
        ];
        for (name, peak) in expect {
            let s = preset(name).unwrap();
            let p = s.peak_bandwidth_bytes_per_s();
            assert!((p / peak - 1.0).abs() < 0.002, "{name}: {p}");
        }
        assert_eq!(preset("hbm2").unwrap().capacity_bytes(), 8 << 30);
        assert_eq!(preset("hbm3e").unwrap().capacity_bytes(), 36 << 30);
        assert!(preset("ddr9").is_err());
    }

    #[test]
    fn rerounding_matches_attacc_for_hbm3_ns() {
        // The HBM2 ns values at 625 ps give AttAcc's HBM3 cycles for the core timings.
        let t = rerounded(&HBM2_NS, 625, 450.0);
        assert_eq!(
            (t.cl, t.rcd_rd, t.rp, t.ras, t.faw, t.wr),
            (23, 23, 23, 55, 48, 26)
        );
    }

    #[test]
    fn a_slower_speed_grade_keeps_nanoseconds_and_burst_spacing() {
        // H100 runs HBM3 at 670 GB/s per stack, below the preset's 819.2 GB/s.
        let fast = preset("hbm3").unwrap();
        let slow = fast.reclocked_to_peak(670e9).unwrap();
        assert!((slow.peak_bandwidth_bytes_per_s() / 670e9 - 1.0).abs() < 0.002);
        assert_eq!(slow.timing.tck_ps, 764);
        let ns = |s: &DramSpec, c: u64| (c * s.timing.tck_ps) as f64 / 1000.0;
        for (a, b) in [
            (fast.timing.cl, slow.timing.cl),
            (fast.timing.rcd_rd, slow.timing.rcd_rd),
            (fast.timing.faw, slow.timing.faw),
            (fast.timing.rfc, slow.timing.rfc),
            (fast.timing.refi, slow.timing.refi),
        ] {
            let (before, after) = (ns(&fast, a), ns(&slow, b));
            // Rounded up to the new clock: never shorter, at most one clock longer.
            assert!(
                after >= before && after < before + 0.764,
                "{before} -> {after} ns"
            );
        }
        assert_eq!(
            (slow.timing.ccd_s, slow.timing.ccd_l, slow.timing.rtrs),
            (2, 4, 1)
        );
        assert!(slow.timing.rc >= slow.timing.ras + slow.timing.rp);
        // The preset's own peak is the preset; nonsense is refused naming the quantity.
        assert_eq!(
            fast.reclocked_to_peak(fast.peak_bandwidth_bytes_per_s())
                .unwrap(),
            fast
        );
        assert!(fast.reclocked_to_peak(0.0).is_err());
    }
}

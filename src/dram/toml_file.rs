//! TOML memory files.
//!
//! A file either starts from a preset and overrides some fields, or gives every field,
//! or describes a 3D stack:
//!
//! ```toml
//! name = "hbm2-hot"
//! preset = "hbm2"            # optional base
//! [organisation]             # Organisation fields (snake_case)
//! channels = 8
//! [timing]                   # cycles; DRAMsim3 key names, tCK in ps
//! tCK_ps = 1000
//! tRCDRD = 14
//! [controller]
//! page_policy = "closed"
//! temperature_c = 95.0
//! ```
//!
//! or `[stack]` with the fields of [`StackParams`](super::stack::StackParams)
//! (then no `[organisation]`/`[timing]`). Unknown keys are errors; a key missing when
//! there is no preset to take it from is an error naming it.

use super::error::DramError;
use super::presets::preset;
use super::spec::{ControllerConfig, DramSpec, Organisation, PagePolicy, Timing};
use super::stack::StackParams;
use super::vertical::VerticalLinkSpec;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMemory {
    name: Option<String>,
    preset: Option<String>,
    organisation: Option<RawOrg>,
    timing: Option<RawTiming>,
    controller: Option<RawController>,
    link: Option<VerticalLinkSpec>,
    stack: Option<StackParams>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOrg {
    channels: Option<u32>,
    ranks: Option<u32>,
    bankgroups: Option<u32>,
    banks_per_group: Option<u32>,
    rows: Option<u32>,
    columns: Option<u32>,
    bus_width_bits: Option<u32>,
    burst_length: Option<u32>,
    transfers_per_clock: Option<u32>,
    ports: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct RawTiming {
    tCK_ps: Option<u64>,
    CL: Option<u64>,
    CWL: Option<u64>,
    tRCDRD: Option<u64>,
    tRCDWR: Option<u64>,
    tRP: Option<u64>,
    tRAS: Option<u64>,
    tRC: Option<u64>,
    tCCD_S: Option<u64>,
    tCCD_L: Option<u64>,
    tRRD_S: Option<u64>,
    tRRD_L: Option<u64>,
    tFAW: Option<u64>,
    tWTR_S: Option<u64>,
    tWTR_L: Option<u64>,
    tRTP: Option<u64>,
    tWR: Option<u64>,
    tRFC: Option<u64>,
    tREFI: Option<u64>,
    tRTRS: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawController {
    page_policy: Option<PagePolicy>,
    queue_depth: Option<u32>,
    address_mapping: Option<String>,
    temperature_c: Option<f64>,
    starvation_cycles: Option<u64>,
}

/// Parses TOML memory text; `file` names it in errors.
pub fn parse_toml(file: &str, text: &str) -> Result<DramSpec, DramError> {
    let raw: RawMemory = toml::from_str(text).map_err(|e| DramError::Syntax {
        file: file.into(),
        message: e.to_string().trim().to_string(),
    })?;
    let in_file = |e: DramError| match e {
        e @ DramError::Invalid { .. } => DramError::InFile {
            file: file.into(),
            source: Box::new(e),
        },
        other => other,
    };
    let mut spec = if let Some(stack) = &raw.stack {
        if raw.organisation.is_some() || raw.timing.is_some() || raw.preset.is_some() {
            return Err(DramError::Syntax {
                file: file.into(),
                message: "[stack] describes the whole memory; it cannot be combined with `preset`, [organisation] or [timing]".into(),
            });
        }
        DramSpec::from_stack(stack).map_err(in_file)?
    } else {
        let base = match &raw.preset {
            Some(name) => Some(preset(name)?),
            None => None,
        };
        build(file, &raw, base.as_ref())?
    };
    if let Some(name) = &raw.name {
        spec.name = name.clone();
    }
    if let Some(c) = &raw.controller {
        let ctl = &mut spec.controller;
        if let Some(v) = c.page_policy {
            ctl.page_policy = v;
        }
        if let Some(v) = c.queue_depth {
            ctl.queue_depth = v;
        }
        if let Some(v) = &c.address_mapping {
            ctl.address_mapping = v.clone();
        }
        if let Some(v) = c.temperature_c {
            ctl.temperature_c = v;
        }
        if let Some(v) = c.starvation_cycles {
            ctl.starvation_cycles = v;
        }
    }
    if raw.link.is_some() {
        spec.link = raw.link.clone();
    }
    spec.validate().map_err(in_file)?;
    Ok(spec)
}

fn build(file: &str, raw: &RawMemory, base: Option<&DramSpec>) -> Result<DramSpec, DramError> {
    let missing = |section: &str, key: &str| DramError::MissingKey {
        file: file.into(),
        section: section.into(),
        key: key.into(),
    };
    let o = raw.organisation.as_ref();
    let bo = base.map(|b| &b.org);
    macro_rules! org {
        ($f:ident) => {
            o.and_then(|o| o.$f)
                .or(bo.map(|b| b.$f))
                .ok_or_else(|| missing("organisation", stringify!($f)))?
        };
    }
    let t = raw.timing.as_ref();
    let bt = base.map(|b| &b.timing);
    macro_rules! tim {
        ($raw:ident, $f:ident) => {
            t.and_then(|t| t.$raw)
                .or(bt.map(|b| b.$f))
                .ok_or_else(|| missing("timing", stringify!($raw)))?
        };
    }
    let org = Organisation {
        channels: org!(channels),
        ranks: org!(ranks),
        bankgroups: org!(bankgroups),
        banks_per_group: org!(banks_per_group),
        rows: org!(rows),
        columns: org!(columns),
        bus_width_bits: org!(bus_width_bits),
        burst_length: org!(burst_length),
        transfers_per_clock: org!(transfers_per_clock),
        ports: o.and_then(|o| o.ports).or(bo.map(|b| b.ports)).unwrap_or(1),
    };
    let ras = tim!(tRAS, ras);
    let rp = tim!(tRP, rp);
    let timing = Timing {
        tck_ps: tim!(tCK_ps, tck_ps),
        cl: tim!(CL, cl),
        cwl: tim!(CWL, cwl),
        rcd_rd: tim!(tRCDRD, rcd_rd),
        rcd_wr: tim!(tRCDWR, rcd_wr),
        rp,
        ras,
        rc: t
            .and_then(|t| t.tRC)
            .or(bt.map(|b| b.rc))
            .unwrap_or(ras + rp),
        ccd_s: tim!(tCCD_S, ccd_s),
        ccd_l: tim!(tCCD_L, ccd_l),
        rrd_s: tim!(tRRD_S, rrd_s),
        rrd_l: tim!(tRRD_L, rrd_l),
        faw: tim!(tFAW, faw),
        wtr_s: tim!(tWTR_S, wtr_s),
        wtr_l: tim!(tWTR_L, wtr_l),
        rtp: tim!(tRTP, rtp),
        wr: tim!(tWR, wr),
        rfc: tim!(tRFC, rfc),
        refi: tim!(tREFI, refi),
        rtrs: t.and_then(|t| t.tRTRS).or(bt.map(|b| b.rtrs)).unwrap_or(1),
    };
    Ok(DramSpec {
        name: base.map_or_else(|| "custom".to_string(), |b| b.name.clone()),
        org,
        timing,
        controller: base.map_or_else(ControllerConfig::default, |b| b.controller.clone()),
        link: base.and_then(|b| b.link.clone()),
    })
}

/// Reads a TOML memory file.
pub fn read_toml(path: &Path) -> Result<DramSpec, DramError> {
    let text = std::fs::read_to_string(path).map_err(|source| DramError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_toml(&path.display().to_string(), &text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn preset_with_overrides() {
        let s = parse_toml("m.toml", "preset = \"hbm2\"\nname = \"hot\"\n[timing]\ntRCDRD = 15\n[controller]\ntemperature_c = 95.0\n").unwrap();
        assert_eq!(s.name, "hot");
        assert_eq!(s.timing.rcd_rd, 15);
        assert_eq!(s.derived().refi, 1950);
    }

    #[test]
    fn errors_name_the_key() {
        let e = parse_toml("m.toml", "[organisation]\nchannels = 2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing key `ranks`"), "{e}");
        let e = parse_toml("m.toml", "preset = \"hbm2\"\n[timing]\ntRAS = 2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("timing.tRAS"), "{e}");
        let e = parse_toml("m.toml", "preset = \"hbm2\"\n[timing]\ntRASS = 2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("tRASS"), "{e}");
    }

    #[test]
    fn stack_section() {
        let text = "[stack]\ntotal_layers = 4\nconnected_layers = 2\nchannels_per_connected_layer = 1\nbanks_per_layer = 4\nbytes_per_transfer = 64\ntransfers_per_clock = 2\nmemory_clock_hz = 1e9\ncapacity_per_layer_bytes = 1073741824\ntransaction_bytes = 128\nrow_bytes = 4096\nsector_bytes = 128\nsector_cycles = 3.0\nrecharge_cycles = 7.0\nround_trip_latency_cycles = 20.0\ndata_rate_hz = 1e9\nlatency_clock_hz = 2e9\n";
        let s = parse_toml("s.toml", text).unwrap();
        assert_eq!((s.org.bankgroups, s.org.ports), (4, 2));
    }
}

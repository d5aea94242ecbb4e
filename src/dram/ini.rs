//! Reads DRAMsim3 `.ini` memory configurations as they are.
//!
//! Keys used: `[dram_structure]` `protocol`, `bankgroups`, `banks_per_group`, `rows`,
//! `columns`, `device_width`, `BL`; `[timing]` `tCK` (ns), `CL`, `CWL`, `tRCDRD` and
//! `tRCDWR` (or `tRCD` for both), `tRP`, `tRAS`, `tRC` (default tRAS + tRP), `tRFC`,
//! `tREFI`, `tRRD_S`/`tRRD_L` (or `tRRD`), `tWTR_S`/`tWTR_L` (or `tWTR`), `tFAW`,
//! `tWR`, `tCCD_S`/`tCCD_L` (or `tCCD`), `tRTP_L` (or `tRTP`), `tRTRS` (default 1),
//! `AL` (default 0, added to CL and CWL); `[system]` `channels`, `channel_size` (MB),
//! `bus_width`, `address_mapping`, `row_buf_policy`, `cmd_queue_size`.
//! The number of ranks is derived as DRAMsim3 does: channel size over the size of one
//! rank (`bankgroups x banks_per_group x rows x columns x bus_width / 8`). Other
//! sections (`[power]`, `[other]`) and keys are ignored. A missing key or an
//! impossible value is an error that names the key.

use super::error::DramError;
use super::spec::{ControllerConfig, DramSpec, Organisation, PagePolicy, Timing};
use crate::sim::Picos;
use std::collections::BTreeMap;
use std::path::Path;

type Sections = BTreeMap<String, BTreeMap<String, String>>;

fn parse_sections(file: &str, text: &str) -> Result<Sections, DramError> {
    let mut out: Sections = BTreeMap::new();
    let mut current = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split([';', '#']).next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            let Some(name) = name.strip_suffix(']') else {
                return Err(DramError::Syntax {
                    file: file.into(),
                    message: format!("line {}: unterminated section header `{raw}`", i + 1),
                });
            };
            current = name.trim().to_string();
            out.entry(current.clone()).or_default();
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(DramError::Syntax {
                file: file.into(),
                message: format!("line {}: expected `key = value`, found `{raw}`", i + 1),
            });
        };
        out.entry(current.clone())
            .or_default()
            .insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(out)
}

struct Reader<'a> {
    file: &'a str,
    s: &'a Sections,
}

impl Reader<'_> {
    fn raw(&self, section: &str, key: &str) -> Option<&str> {
        self.s
            .get(section)
            .and_then(|m| m.get(key))
            .map(String::as_str)
    }

    fn missing(&self, section: &str, key: &str) -> DramError {
        DramError::MissingKey {
            file: self.file.into(),
            section: section.into(),
            key: key.into(),
        }
    }

    fn int_opt(&self, section: &str, key: &str) -> Result<Option<u64>, DramError> {
        match self.raw(section, key) {
            None => Ok(None),
            Some(v) => v.parse::<u64>().map(Some).map_err(|_| DramError::BadValue {
                file: self.file.into(),
                section: section.into(),
                key: key.into(),
                value: v.into(),
                expected: "a non-negative integer",
            }),
        }
    }

    fn int(&self, section: &str, key: &str) -> Result<u64, DramError> {
        self.int_opt(section, key)?
            .ok_or_else(|| self.missing(section, key))
    }

    fn int32(&self, section: &str, key: &str) -> Result<u32, DramError> {
        let v = self.int(section, key)?;
        u32::try_from(v).map_err(|_| self.impossible(section, key, v, "must fit in 32 bits"))
    }

    /// An integer key, or the fallback key, or an error naming the first.
    fn int_or(&self, section: &str, key: &str, fallback: &str) -> Result<u64, DramError> {
        match self.int_opt(section, key)? {
            Some(v) => Ok(v),
            None => self
                .int_opt(section, fallback)?
                .ok_or_else(|| self.missing(section, key)),
        }
    }

    fn impossible(&self, section: &str, key: &str, v: impl ToString, rule: &str) -> DramError {
        DramError::InFile {
            file: self.file.into(),
            source: Box::new(DramError::invalid(format!("[{section}] {key}"), v, rule)),
        }
    }
}

/// The `.ini` key (section, name) that sets a [`DramSpec`] field, for error messages.
fn ini_key(field: &str) -> Option<(&'static str, &'static str)> {
    Some(match field {
        "organisation.channels" => ("system", "channels"),
        "organisation.ranks" => ("system", "channel_size"),
        "organisation.bankgroups" => ("dram_structure", "bankgroups"),
        "organisation.banks_per_group" => ("dram_structure", "banks_per_group"),
        "organisation.rows" => ("dram_structure", "rows"),
        "organisation.columns" => ("dram_structure", "columns"),
        "organisation.bus_width_bits" => ("system", "bus_width"),
        "organisation.burst_length" => ("dram_structure", "BL"),
        "controller.queue_depth" => ("system", "cmd_queue_size"),
        "controller.address_mapping" => ("system", "address_mapping"),
        "timing.tRTP" => ("timing", "tRTP_L"),
        other => {
            return other
                .strip_prefix("timing.")
                .map(|k| ("timing", k))
                .and_then(static_timing_key)
        }
    })
}

fn static_timing_key((s, k): (&'static str, &str)) -> Option<(&'static str, &'static str)> {
    const KEYS: [&str; 20] = [
        "tCK", "CL", "CWL", "tRCDRD", "tRCDWR", "tRP", "tRAS", "tRC", "tCCD_S", "tCCD_L", "tRRD_S",
        "tRRD_L", "tFAW", "tWTR_S", "tWTR_L", "tWR", "tRFC", "tREFI", "tRTRS", "AL",
    ];
    KEYS.iter().find(|&&x| x == k).map(|&x| (s, x))
}

/// Parses DRAMsim3 `.ini` text; `file` names it in errors.
pub fn parse_ini(file: &str, text: &str) -> Result<DramSpec, DramError> {
    let sections = parse_sections(file, text)?;
    let r = Reader { file, s: &sections };
    let (ds, tm, sy) = ("dram_structure", "timing", "system");

    let protocol = r
        .raw(ds, "protocol")
        .ok_or_else(|| r.missing(ds, "protocol"))?
        .to_string();
    let transfers_per_clock = if protocol.to_ascii_uppercase().starts_with("GDDR") {
        4
    } else {
        2
    };
    let bankgroups = r.int32(ds, "bankgroups")?;
    let banks_per_group = r.int32(ds, "banks_per_group")?;
    let rows = r.int32(ds, "rows")?;
    let columns = r.int32(ds, "columns")?;
    let device_width = r.int32(ds, "device_width")?;
    let bl = r.int32(ds, "BL")?;
    let channels = r.int32(sy, "channels")?;
    let channel_size_mb = r.int(sy, "channel_size")?;
    let bus_width = r.int32(sy, "bus_width")?;
    if device_width == 0 || !bus_width.is_multiple_of(device_width) {
        return Err(r.impossible(
            ds,
            "device_width",
            device_width,
            "must divide [system] bus_width",
        ));
    }

    let tck_text = r.raw(tm, "tCK").ok_or_else(|| r.missing(tm, "tCK"))?;
    let tck_ns: f64 = tck_text.parse().map_err(|_| DramError::BadValue {
        file: file.into(),
        section: tm.into(),
        key: "tCK".into(),
        value: tck_text.into(),
        expected: "a clock period in ns",
    })?;
    let tck_ps = Picos::from_ns_f64(tck_ns)
        .filter(|p| p.0 > 0)
        .ok_or_else(|| r.impossible(tm, "tCK", tck_ns, "must be a positive period in ns"))?;

    let al = r.int_opt(tm, "AL")?.unwrap_or(0);
    let ras = r.int(tm, "tRAS")?;
    let rp = r.int(tm, "tRP")?;
    let timing = Timing {
        tck_ps: tck_ps.0,
        cl: r.int(tm, "CL")? + al,
        cwl: r.int(tm, "CWL")? + al,
        rcd_rd: r.int_or(tm, "tRCDRD", "tRCD")?,
        rcd_wr: r.int_or(tm, "tRCDWR", "tRCD")?,
        rp,
        ras,
        rc: r.int_opt(tm, "tRC")?.unwrap_or(ras + rp),
        ccd_s: r.int_or(tm, "tCCD_S", "tCCD")?,
        ccd_l: r.int_or(tm, "tCCD_L", "tCCD")?,
        rrd_s: r.int_or(tm, "tRRD_S", "tRRD")?,
        rrd_l: r.int_or(tm, "tRRD_L", "tRRD")?,
        faw: r.int(tm, "tFAW")?,
        wtr_s: r.int_or(tm, "tWTR_S", "tWTR")?,
        wtr_l: r.int_or(tm, "tWTR_L", "tWTR")?,
        rtp: r.int_or(tm, "tRTP_L", "tRTP")?,
        wr: r.int(tm, "tWR")?,
        rfc: r.int(tm, "tRFC")?,
        refi: r.int(tm, "tREFI")?,
        rtrs: r.int_opt(tm, "tRTRS")?.unwrap_or(1),
    };

    // Ranks as DRAMsim3 derives them.
    let rank_bytes = u128::from(bankgroups)
        * u128::from(banks_per_group)
        * u128::from(rows)
        * u128::from(columns)
        * u128::from(bus_width / 8);
    let channel_bytes = u128::from(channel_size_mb) << 20;
    if rank_bytes == 0
        || channel_bytes == 0
        || !channel_bytes.is_multiple_of(rank_bytes)
        || channel_bytes / rank_bytes > 64
    {
        return Err(r.impossible(
            sy,
            "channel_size",
            channel_size_mb,
            &format!("must be a whole number (1 to 64) of ranks of {} MB (bankgroups x banks_per_group x rows x columns x bus_width / 8)", rank_bytes as f64 / 1048576.0),
        ));
    }
    let ranks = (channel_bytes / rank_bytes) as u32;

    let mut controller = ControllerConfig::default();
    if let Some(m) = r.raw(sy, "address_mapping") {
        controller.address_mapping = m.to_string();
    }
    if let Some(p) = r.raw(sy, "row_buf_policy") {
        controller.page_policy = match p.to_ascii_uppercase().as_str() {
            "OPEN_PAGE" => PagePolicy::Open,
            "CLOSE_PAGE" => PagePolicy::Closed,
            _ => {
                return Err(r.impossible(
                    sy,
                    "row_buf_policy",
                    p,
                    "must be OPEN_PAGE or CLOSE_PAGE",
                ))
            }
        };
    }
    if let Some(q) = r.int_opt(sy, "cmd_queue_size")? {
        controller.queue_depth = u32::try_from(q).unwrap_or(u32::MAX);
    }

    let name = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    let spec = DramSpec {
        name,
        org: Organisation {
            channels,
            ranks,
            bankgroups,
            banks_per_group,
            rows,
            columns,
            bus_width_bits: bus_width,
            burst_length: bl,
            transfers_per_clock,
            ports: 1,
        },
        timing,
        controller,
        link: None,
    };
    spec.validate().map_err(|e| match e {
        DramError::Invalid { field, value, rule } => {
            let field = match ini_key(&field) {
                Some((s, k)) => format!("[{s}] {k}"),
                None => field,
            };
            DramError::InFile {
                file: file.into(),
                source: Box::new(DramError::Invalid { field, value, rule }),
            }
        }
        other => other,
    })?;
    Ok(spec)
}

/// Reads a DRAMsim3 `.ini` file.
pub fn read_ini(path: &Path) -> Result<DramSpec, DramError> {
    let text = std::fs::read_to_string(path).map_err(|source| DramError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_ini(&path.display().to_string(), &text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// DRAMsim3's HBM2_8Gb_x128.ini (umd-memsys/DRAMsim3@0eb6360) reproduces the preset.
    pub(crate) const HBM2_INI: &str = "[dram_structure]\nprotocol = HBM\nbankgroups = 4\nbanks_per_group = 4\nrows = 32768\ncolumns = 64\ndevice_width = 128\nBL = 4\nnum_dies = 4\n\n[timing]\ntCK = 1\nCL = 14\nCWL = 4\ntRCDRD = 14\ntRCDWR = 14\ntRP = 14\ntRAS = 34\ntRFC = 260\ntREFI = 3900\ntREFIb = 128\ntRPRE = 1\ntWPRE = 1\ntRRD_S = 4\ntRRD_L = 6\ntWTR_S = 6\ntWTR_L = 8\ntFAW = 30\ntWR = 16\ntCCD_S = 1\ntCCD_L = 2\ntXS = 268\ntCKE = 8\ntCKSRE = 10\ntXP = 8\ntRTP_L = 6\ntRTP_S = 4\n\n[system]\nchannel_size = 1024\nchannels = 8\nbus_width = 128\naddress_mapping = rorabgbachco\nqueue_structure = PER_RANK\nrow_buf_policy = OPEN_PAGE\ncmd_queue_size = 32\ntrans_queue_size = 16\n";

    #[test]
    fn hbm2_ini_equals_preset() {
        let spec = parse_ini("HBM2_8Gb_x128.ini", HBM2_INI).unwrap();
        let preset = crate::dram::presets::preset("hbm2").unwrap();
        assert_eq!(spec.org, preset.org);
        assert_eq!(spec.timing, preset.timing);
        assert_eq!(
            spec.controller.address_mapping,
            preset.controller.address_mapping
        );
    }

    #[test]
    fn missing_and_impossible_keys_are_named() {
        let e = parse_ini("x.ini", &HBM2_INI.replace("tFAW = 30\n", ""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("tFAW") && e.contains("[timing]"), "{e}");
        let e = parse_ini("x.ini", &HBM2_INI.replace("tRAS = 34", "tRAS = 3"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("[timing] tRAS"), "{e}");
        let e = parse_ini(
            "x.ini",
            &HBM2_INI.replace("channel_size = 1024", "channel_size = 1000"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("channel_size"), "{e}");
        let e = parse_ini("x.ini", &HBM2_INI.replace("CL = 14", "CL = fourteen"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("CL") && e.contains("fourteen"), "{e}");
    }
}

//! The network description: a hierarchy of up to three levels, innermost first.
//!
//! Text form (`--network`): levels joined by `/`, innermost first, each
//! `KIND(SHAPE,BANDWIDTH,LATENCY[,CENTER])` with KIND one of `switch`, `ring`, `mesh`, `torus`,
//! `all2all`; SHAPE `8` or `4x4`; BANDWIDTH per link and direction (`128GB/s`); LATENCY per hop
//! (`128ns`); CENTER (switches only) the crossbar bandwidth, by default ports × link bandwidth
//! × 2 (in plus out), which never binds.

use crate::error::{invalid, Error, Result};
use crate::units::{parse_quantity, BytesPerSec, Dimension, Seconds};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of one network level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelKind {
    /// Every member has one link to a central switch.
    Switch,
    /// Members in a bidirectional ring.
    Ring,
    /// A 2D mesh, rows × columns, no wrap-around.
    Mesh,
    /// A 2D torus, rows × columns, with wrap-around.
    Torus,
    /// A direct link between every pair of members.
    #[serde(rename = "all2all")]
    AllToAll,
}

impl LevelKind {
    fn parse(s: &str) -> Option<LevelKind> {
        Some(match s {
            "switch" => LevelKind::Switch,
            "ring" => LevelKind::Ring,
            "mesh" => LevelKind::Mesh,
            "torus" => LevelKind::Torus,
            "all2all" | "all-to-all" => LevelKind::AllToAll,
            _ => return None,
        })
    }
    /// The name used in the text form.
    pub fn name(self) -> &'static str {
        match self {
            LevelKind::Switch => "switch",
            LevelKind::Ring => "ring",
            LevelKind::Mesh => "mesh",
            LevelKind::Torus => "torus",
            LevelKind::AllToAll => "all2all",
        }
    }
}

/// One level of the hierarchy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// Topology of the level.
    pub kind: LevelKind,
    /// Rows × columns; one-dimensional kinds use `(n, 1)`.
    pub shape: (usize, usize),
    /// Bandwidth of one link, per direction.
    pub link_bandwidth: BytesPerSec,
    /// Latency charged per link traversal.
    pub hop_latency: Seconds,
    /// Switch crossbar bandwidth (in plus out); `None` means ports × link × 2.
    pub center_bandwidth: Option<BytesPerSec>,
}

impl Level {
    /// Number of members (devices or inner groups) of one group at this level.
    pub fn size(&self) -> usize {
        self.shape.0 * self.shape.1
    }

    /// The switch centre bandwidth actually used.
    pub fn effective_center_bandwidth(&self) -> BytesPerSec {
        self.center_bandwidth
            .unwrap_or(self.link_bandwidth * (2.0 * self.size() as f64))
    }
}

/// A network hierarchy, innermost level first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkSpec {
    /// The levels, innermost first (at most three).
    pub levels: Vec<Level>,
}

impl NetworkSpec {
    /// Total number of devices (product of level sizes).
    pub fn devices(&self) -> usize {
        self.levels.iter().map(Level::size).product()
    }

    /// Parse the text form; `origin` names the flag or field for error messages.
    pub fn parse(text: &str, origin: &str) -> Result<NetworkSpec> {
        let err = |message: String| {
            Error::Parse {
            origin: origin.to_string(),
            message: format!(
                "{message}; expected levels joined by '/', each KIND(SHAPE,BANDWIDTH,LATENCY), \
                 e.g. 'switch(8,256GB/s,128ns)/switch(8,32GB/s,512ns)' or 'torus(8x8,128GB/s,128ns)'"
            ),
        }
        };
        let mut levels = Vec::new();
        for part in text.split('/').map(str::trim) {
            // A bandwidth like "GB/s" contains '/', so re-join pieces inside parentheses.
            if part.is_empty() {
                return Err(err(format!("empty level in '{text}'")));
            }
            levels.push(part.to_string());
        }
        let mut merged: Vec<String> = Vec::new();
        for p in levels {
            if let Some(last) = merged.last_mut() {
                if last.matches('(').count() > last.matches(')').count() {
                    last.push('/');
                    last.push_str(&p);
                    continue;
                }
            }
            merged.push(p);
        }
        let mut out = Vec::new();
        for p in &merged {
            let open = p
                .find('(')
                .ok_or_else(|| err(format!("level '{p}' has no '('")))?;
            if !p.ends_with(')') {
                return Err(err(format!("level '{p}' does not end with ')'")));
            }
            let kind_name = p[..open].trim();
            let kind = LevelKind::parse(kind_name).ok_or_else(|| {
                err(format!(
                    "unknown level kind '{kind_name}' (use switch, ring, mesh, torus or all2all)"
                ))
            })?;
            let args: Vec<&str> = p[open + 1..p.len() - 1].split(',').map(str::trim).collect();
            if args.len() < 3 || args.len() > 4 {
                return Err(err(format!(
                    "level '{p}' needs 3 arguments (shape, bandwidth, latency), got {}",
                    args.len()
                )));
            }
            let shape = parse_shape(args[0])
                .ok_or_else(|| err(format!("shape '{}' is not N or RxC", args[0])))?;
            let bw = parse_quantity(args[1], Dimension::Bandwidth).map_err(err)?;
            let lat = parse_quantity(args[2], Dimension::Time).map_err(err)?;
            let center = match args.get(3) {
                Some(c) => Some(BytesPerSec(
                    parse_quantity(c, Dimension::Bandwidth).map_err(err)?,
                )),
                None => None,
            };
            out.push(Level {
                kind,
                shape,
                link_bandwidth: BytesPerSec(bw),
                hop_latency: Seconds(lat),
                center_bandwidth: center,
            });
        }
        let spec = NetworkSpec { levels: out };
        spec.validate(origin)?;
        Ok(spec)
    }

    /// Check shapes, bandwidths and latencies; `origin` prefixes field names.
    pub fn validate(&self, origin: &str) -> Result<()> {
        if self.levels.is_empty() || self.levels.len() > 3 {
            return Err(invalid(
                format!("{origin}.levels"),
                self.levels.len(),
                "a network has 1 to 3 levels",
            ));
        }
        for (i, l) in self.levels.iter().enumerate() {
            let f = |name: &str| format!("{origin}.levels[{i}].{name}");
            if l.shape.0 == 0 || l.shape.1 == 0 {
                return Err(invalid(
                    f("shape"),
                    format!("{}x{}", l.shape.0, l.shape.1),
                    "every dimension must be at least 1",
                ));
            }
            if matches!(
                l.kind,
                LevelKind::Switch | LevelKind::Ring | LevelKind::AllToAll
            ) && l.shape.1 != 1
            {
                return Err(invalid(
                    f("shape"),
                    format!("{}x{}", l.shape.0, l.shape.1),
                    "switch, ring and all2all levels take a single size, e.g. 8",
                ));
            }
            if !(l.link_bandwidth.0 > 0.0 && l.link_bandwidth.0.is_finite()) {
                return Err(invalid(
                    f("link_bandwidth"),
                    l.link_bandwidth.0,
                    "must be a positive bandwidth such as 128GB/s",
                ));
            }
            if !(l.hop_latency.0 >= 0.0 && l.hop_latency.0.is_finite()) {
                return Err(invalid(
                    f("hop_latency"),
                    l.hop_latency.0,
                    "must be a non-negative time such as 128ns",
                ));
            }
            if let Some(c) = l.center_bandwidth {
                if !(c.0 > 0.0 && c.0.is_finite()) {
                    return Err(invalid(
                        f("center_bandwidth"),
                        c.0,
                        "must be a positive bandwidth",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Scale every level's link bandwidth (and explicit centre bandwidth) and latency.
    pub fn scaled(&self, bandwidth: &[f64], latency: &[f64]) -> NetworkSpec {
        let mut s = self.clone();
        for (i, l) in s.levels.iter_mut().enumerate() {
            let b = bandwidth.get(i).copied().unwrap_or(1.0);
            let t = latency.get(i).copied().unwrap_or(1.0);
            l.link_bandwidth = l.link_bandwidth * b;
            l.center_bandwidth = l.center_bandwidth.map(|c| c * b);
            l.hop_latency = l.hop_latency * t;
        }
        s
    }
}

fn parse_shape(s: &str) -> Option<(usize, usize)> {
    match s.split_once(['x', 'X']) {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => Some((s.parse().ok()?, 1)),
    }
}

impl fmt::Display for NetworkSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.levels.iter().enumerate() {
            if i > 0 {
                write!(f, "/")?;
            }
            let shape = if l.shape.1 == 1 && !matches!(l.kind, LevelKind::Mesh | LevelKind::Torus) {
                format!("{}", l.shape.0)
            } else {
                format!("{}x{}", l.shape.0, l.shape.1)
            };
            write!(
                f,
                "{}({},{}GB/s,{}ns",
                l.kind.name(),
                shape,
                l.link_bandwidth.0 / 1e9,
                l.hop_latency.0 * 1e9
            )?;
            if let Some(c) = l.center_bandwidth {
                write!(f, ",{}GB/s", c.0 / 1e9)?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_two_level_switch() {
        let s = NetworkSpec::parse(
            "switch(8,256GB/s,128ns)/switch(8,32GB/s,512ns)",
            "--network",
        )
        .unwrap();
        assert_eq!(s.devices(), 64);
        assert_eq!(s.levels[1].link_bandwidth, BytesPerSec(32e9));
        assert_eq!(s.levels[0].hop_latency, Seconds(128e-9));
    }

    #[test]
    fn parses_torus_and_round_trips() {
        let s = NetworkSpec::parse("torus(8x8,128GB/s,128ns)", "--network").unwrap();
        assert_eq!(s.devices(), 64);
        let again = NetworkSpec::parse(&s.to_string(), "x").unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in [
            "",
            "switch(8,1GB/s)",
            "blob(8,1GB/s,1ns)",
            "switch(0,1GB/s,1ns)",
            "switch(8,fastGB/s,1ns)",
            "ring(4x4,1GB/s,1ns)",
            "switch(8,1GB/s,1ns",
        ] {
            assert!(NetworkSpec::parse(bad, "--network").is_err(), "{bad}");
        }
    }
}

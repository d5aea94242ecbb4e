//! Vertical links: the TSV or hybrid-bond bundles that carry a stack port's data
//! between a DRAM layer and the logic die, modelled as servers with serialization
//! and latency.
//!
//! A port's bundle has `count` data signals at `rate_gbps_per_signal` each, so a
//! transfer of `b` bytes occupies it for `ceil(8 b / (count x rate))` and arrives
//! `latency_ps` later. The signal count can be given directly or sized from the
//! bonding pitch and the footprint area the port may use
//! ([`VerticalLinkSpec::from_pitch`]): a square grid of pitch `p` fits
//! `floor(area / p^2)` signals.

use super::error::DramError;
use crate::sim::{Picos, SimTime};
use serde::{Deserialize, Serialize};

/// The bonding technology of a vertical link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// Through-silicon vias with micro-bumps (pitch of order 10 µm or more).
    Tsv,
    /// Cu-Cu hybrid bonding (pitch of order 1-10 µm).
    HybridBond,
}

/// The geometry and signalling of one port's vertical link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerticalLinkSpec {
    /// TSV or hybrid bond.
    pub kind: LinkKind,
    /// Bond pitch in µm (descriptive; the count below is what the timing uses).
    pub pitch_um: f64,
    /// Data signals in the port's bundle.
    pub count: u32,
    /// Signalling rate per data signal in Gb/s.
    pub rate_gbps_per_signal: f64,
    /// Flight latency through the link in picoseconds.
    pub latency_ps: u64,
}

impl VerticalLinkSpec {
    /// A link whose signal count is what fits in `area_mm2` at `pitch_um`.
    pub fn from_pitch(
        kind: LinkKind,
        pitch_um: f64,
        area_mm2: f64,
        rate_gbps_per_signal: f64,
        latency_ps: u64,
    ) -> Result<VerticalLinkSpec, DramError> {
        if !(pitch_um.is_finite() && pitch_um > 0.0) {
            return Err(DramError::invalid(
                "link.pitch_um",
                pitch_um,
                "must be a positive number",
            ));
        }
        if !(area_mm2.is_finite() && area_mm2 > 0.0) {
            return Err(DramError::invalid(
                "link.area_mm2",
                area_mm2,
                "must be a positive number",
            ));
        }
        let per_mm2 = 1e6 / (pitch_um * pitch_um);
        let count = (area_mm2 * per_mm2).floor();
        if count < 1.0 || count > f64::from(u32::MAX) {
            return Err(DramError::invalid(
                "link.area_mm2",
                area_mm2,
                format!("fits {count} signals at pitch {pitch_um} µm; need between 1 and 2^32-1"),
            ));
        }
        let spec = VerticalLinkSpec {
            kind,
            pitch_um,
            count: count as u32,
            rate_gbps_per_signal,
            latency_ps,
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Checks the fields.
    pub fn validate(&self) -> Result<(), DramError> {
        if !(self.pitch_um.is_finite() && self.pitch_um > 0.0) {
            return Err(DramError::invalid(
                "link.pitch_um",
                self.pitch_um,
                "must be a positive number",
            ));
        }
        if self.count == 0 {
            return Err(DramError::invalid(
                "link.count",
                self.count,
                "must be at least 1",
            ));
        }
        if !(self.rate_gbps_per_signal.is_finite()
            && self.rate_gbps_per_signal > 0.0
            && self.rate_gbps_per_signal <= 1000.0)
        {
            return Err(DramError::invalid(
                "link.rate_gbps_per_signal",
                self.rate_gbps_per_signal,
                "must be in (0, 1000]",
            ));
        }
        Ok(())
    }

    /// Raw bandwidth of the bundle in bytes per second.
    pub fn bandwidth_bytes_per_s(&self) -> f64 {
        f64::from(self.count) * self.rate_gbps_per_signal * 1e9 / 8.0
    }

    /// Time the bundle is busy sending `bytes` (rounded up to a whole picosecond).
    pub fn serialization(&self, bytes: u64) -> Picos {
        // bits / (count * Gb/s) in ns  ->  x1000 for ps.
        let ps =
            (bytes as f64 * 8.0 * 1000.0) / (f64::from(self.count) * self.rate_gbps_per_signal);
        Picos(ps.ceil() as u64)
    }

    /// Flight latency.
    pub fn latency(&self) -> Picos {
        Picos(self.latency_ps)
    }
}

/// When a transfer through a [`VerticalLink`] starts, finishes serializing and arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// When the first bit entered the link (after queueing behind earlier transfers).
    pub start: SimTime,
    /// When the last bit entered the link; the link is free again from here.
    pub serialized: SimTime,
    /// When the last bit arrives at the far side.
    pub delivered: SimTime,
}

/// One vertical link as a first-come first-served server.
#[derive(Clone, Debug)]
pub struct VerticalLink {
    spec: VerticalLinkSpec,
    free_at: SimTime,
    bytes: u64,
    busy: Picos,
}

impl VerticalLink {
    /// An idle link.
    pub fn new(spec: VerticalLinkSpec) -> Self {
        VerticalLink {
            spec,
            free_at: SimTime::ZERO,
            bytes: 0,
            busy: Picos::ZERO,
        }
    }

    /// Sends `bytes` that are ready at `ready`; returns when they are delivered.
    pub fn transfer(&mut self, ready: SimTime, bytes: u64) -> Delivery {
        let start = ready.max(self.free_at);
        let ser = self.spec.serialization(bytes);
        let serialized = start + ser;
        self.free_at = serialized;
        self.bytes += bytes;
        self.busy += ser;
        Delivery {
            start,
            serialized,
            delivered: serialized + self.spec.latency(),
        }
    }

    /// The instant from which the link is idle.
    pub fn free_at(&self) -> SimTime {
        self.free_at
    }

    /// Bytes carried so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Total time spent serializing.
    pub fn busy(&self) -> Picos {
        self.busy
    }

    /// The link's description.
    pub fn spec(&self) -> &VerticalLinkSpec {
        &self.spec
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sizing_from_pitch() {
        // 1 mm^2 at 10 µm pitch: 100 x 100 = 10,000 signals; at 1 µm, 1,000,000.
        let tsv = VerticalLinkSpec::from_pitch(LinkKind::Tsv, 10.0, 1.0, 2.0, 0).unwrap();
        assert_eq!(tsv.count, 10_000);
        let hb = VerticalLinkSpec::from_pitch(LinkKind::HybridBond, 1.0, 1.0, 2.0, 0).unwrap();
        assert_eq!(hb.count, 1_000_000);
        assert!(VerticalLinkSpec::from_pitch(LinkKind::Tsv, 100.0, 0.001, 2.0, 0).is_err());
    }

    #[test]
    fn server_queues_and_serializes() {
        let spec = VerticalLinkSpec {
            kind: LinkKind::Tsv,
            pitch_um: 10.0,
            count: 128,
            rate_gbps_per_signal: 2.0,
            latency_ps: 300,
        };
        // 64 bytes = 512 bits over 128 x 2 Gb/s = 2 ns.
        assert_eq!(spec.serialization(64), Picos(2000));
        let mut link = VerticalLink::new(spec);
        let a = link.transfer(SimTime::from_ps(0), 64);
        let b = link.transfer(SimTime::from_ps(500), 64);
        assert_eq!(a.delivered, SimTime::from_ps(2300));
        assert_eq!(b.start, SimTime::from_ps(2000));
        assert_eq!(b.delivered, SimTime::from_ps(4300));
    }
}

//! Configuration of the packet network: packet format, buffers, completion rule, the
//! serialisation clock, aggregation of packets into trains, and how collectives map onto
//! multi-dimensional networks.
//!
//! The default is a physical network: packets serialise in exactly their byte time and carry
//! no header unless one is asked for, as the fast engine charges none unless asked.
//! [`PacketConfig::ns3`] is the configuration that reproduces the ASTRA-sim/NS-3 runs of the
//! reference panels (packet format and NS-3's 1 ns time resolution); each field says where its
//! value comes from (see `docs/network-detailed.md` for the derivations).

use crate::error::{invalid, Result};
use crate::sim::Picos;
use serde::{Deserialize, Serialize};

/// When the sender of a message counts it as finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Completion {
    /// When the last packet has arrived at the destination (an ideal sender that learns of
    /// the arrival at once).
    LastPacket,
    /// When the acknowledgement the destination returns on the last packet has travelled
    /// back to the sender: one more trip over the reverse route, as a transport (RDMA,
    /// ASTRA-sim's NS-3 back end) does.
    Ack,
}

/// How a message is cut into the units the simulator moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Aggregation {
    /// Every packet is its own unit (exact, slow for large messages).
    PerPacket,
    /// Back-to-back packets of one message travel as a train sharing one event per hop.
    /// A message of `n` packets is cut into at most `target` trains, where `target` is
    /// `units_per_step / messages released together`, bounded by `max_units_per_message`
    /// (and at least one packet per train). Within a train every packet keeps its own
    /// serialisation time and the train pipelines through store-and-forward hops exactly
    /// as its packets would; only the interleaving with other trains is coarser.
    Trains {
        /// Upper bound on the trains of one message.
        max_units_per_message: u32,
        /// Budget of trains shared by the messages released together (one collective step).
        units_per_step: u32,
    },
}

pub use crate::collective::mapping::Mapping;

/// The packet network's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PacketConfig {
    /// Bytes of a full packet on the wire, header included. Default 1000 (no header): the
    /// payload of ASTRA-sim's NS-3 packets. NS-3: 1064, that payload plus the header below
    /// (the panels' large-message slopes are exactly one packet time per 1000 payload bytes).
    pub packet_bytes: u32,
    /// Header bytes of every packet. Default 0, as the fast engine charges no header unless
    /// a case asks for one. NS-3: 64: the panels' large-message slopes need a full frame of
    /// 1056 to 1071 bytes (see `tx_quantum`); 64 is the middle of that range.
    pub header_bytes: u32,
    /// Bytes of an acknowledgement on the wire (a header-only packet). Default 64.
    pub ack_bytes: u32,
    /// Packets one input port of a switch can hold (lossless, credit-based: a sender may
    /// start a packet only when the receiving port has room for it). Default 512 packets,
    /// about 530 kB per port, twice the largest credit round trip × bandwidth in the
    /// reference networks (512 B/ns × (2 × 256 ns)), so backpressure never throttles a
    /// lone flow there and only congestion fills the buffers.
    pub buffer_packets: u32,
    /// Grow each link's buffer to at least twice its own credit round trip (there and back
    /// over the link) × bandwidth, in packets, as a lossless link is built: otherwise a
    /// lone flow on a long-latency link is throttled to buffer ÷ round trip. Default true;
    /// the reference NS-3 networks need no more than `buffer_packets` (512 B/ns × 2 × 2 ×
    /// 128 ns is 256 packets), while the H100 NVSwitch level (370 GB/s, 1.25 µs per hop)
    /// needs 1,850.
    #[serde(default = "default_true")]
    pub buffers_cover_round_trip: bool,
    /// When a sender counts a message as finished. Default [`Completion::Ack`]: NS-3's
    /// small-message floors are two path latencies per dependent step (README §2.6).
    pub completion: Completion,
    /// Link clock: the serialisation time of every packet is rounded to the nearest
    /// multiple of this span (ties up). Default 1 ps, i.e. exact: a link has no coarser
    /// clock worth modelling, and a coarse one turns a bandwidth sweep into a staircase.
    /// NS-3: 1 ns, its default time resolution; the panels show per-packet times of
    /// 33/17/8/4/2 ns at 32/64/128/256/512 B/ns, a 1056–1071-byte frame rounded to whole
    /// nanoseconds.
    pub tx_quantum: Picos,
    /// Aggregation of packets into trains. Default: trains, at most 256 per message and
    /// 65 536 per step.
    pub aggregation: Aggregation,
    /// Collective mapping on multi-dimensional networks. Default
    /// [`Mapping::PerDimension`], as the NS-3 panels ran (torus ring all-reduce floors,
    /// README §2.6; two-level all-to-all times).
    pub mapping: Mapping,
}

impl Default for PacketConfig {
    fn default() -> Self {
        PacketConfig {
            packet_bytes: 1000,
            header_bytes: 0,
            ack_bytes: 64,
            buffer_packets: 512,
            buffers_cover_round_trip: true,
            completion: Completion::Ack,
            tx_quantum: Picos(1),
            aggregation: Aggregation::Trains {
                max_units_per_message: 256,
                units_per_step: 65_536,
            },
            mapping: Mapping::PerDimension,
        }
    }
}

fn default_true() -> bool {
    true
}

impl PacketConfig {
    /// The configuration that reproduces the reference NS-3 panels: 1064-byte packets with
    /// 64-byte headers, serialisation times rounded to NS-3's 1 ns resolution.
    pub fn ns3() -> Self {
        PacketConfig {
            packet_bytes: 1064,
            header_bytes: 64,
            tx_quantum: Picos(1000),
            ..PacketConfig::default()
        }
    }

    /// The default configuration with every packet simulated on its own.
    pub fn per_packet() -> Self {
        PacketConfig {
            aggregation: Aggregation::PerPacket,
            ..PacketConfig::default()
        }
    }

    /// Payload bytes carried by a full packet.
    pub fn payload_per_packet(&self) -> u32 {
        self.packet_bytes.saturating_sub(self.header_bytes)
    }

    /// Check every field; `origin` prefixes field names in errors.
    pub fn validate(&self, origin: &str) -> Result<()> {
        let f = |name: &str| format!("{origin}.{name}");
        if self.packet_bytes <= self.header_bytes {
            return Err(invalid(
                f("packet_bytes"),
                self.packet_bytes,
                format!("must exceed header_bytes = {}", self.header_bytes),
            ));
        }
        if self.ack_bytes == 0 {
            return Err(invalid(
                f("ack_bytes"),
                0,
                "an acknowledgement has at least one byte",
            ));
        }
        if self.buffer_packets == 0 {
            return Err(invalid(
                f("buffer_packets"),
                0,
                "a port must hold at least one packet",
            ));
        }
        if self.tx_quantum.0 == 0 {
            return Err(invalid(
                f("tx_quantum"),
                "0 ps",
                "use 1 ps to disable rounding",
            ));
        }
        if let Aggregation::Trains {
            max_units_per_message,
            units_per_step,
        } = self.aggregation
        {
            if max_units_per_message == 0 || units_per_step == 0 {
                return Err(invalid(
                    f("aggregation"),
                    format!("{max_units_per_message}/{units_per_step}"),
                    "train budgets must be at least 1",
                ));
            }
        }
        Ok(())
    }

    /// The number of trains to cut one message of `packets` packets into, when `released`
    /// messages are released together.
    pub fn units_for(&self, packets: u64, released: usize) -> u64 {
        match self.aggregation {
            Aggregation::PerPacket => packets,
            Aggregation::Trains {
                max_units_per_message,
                units_per_step,
            } => {
                let share = (units_per_step as u64 / released.max(1) as u64).max(1);
                packets.min(share.min(max_units_per_message as u64)).max(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_rejects_bad_values() {
        assert!(PacketConfig::default().validate("cfg").is_ok());
        assert!(PacketConfig::ns3().validate("cfg").is_ok());
        assert_eq!(PacketConfig::default().payload_per_packet(), 1000);
        assert_eq!(PacketConfig::ns3().payload_per_packet(), 1000);
        let bad = PacketConfig {
            header_bytes: 2000,
            ..PacketConfig::default()
        };
        let e = bad
            .validate("cfg")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("cfg.packet_bytes"), "{e}");
        let bad = PacketConfig {
            buffer_packets: 0,
            ..PacketConfig::default()
        };
        assert!(bad.validate("cfg").is_err());
    }

    #[test]
    fn train_budget() {
        let c = PacketConfig::default();
        assert_eq!(c.units_for(10, 1), 10);
        assert_eq!(c.units_for(1_000_000, 1), 256);
        assert_eq!(c.units_for(1_000_000, 4096), 16);
        assert_eq!(
            PacketConfig::per_packet().units_for(1_000_000, 4096),
            1_000_000
        );
    }
}

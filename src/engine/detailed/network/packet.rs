//! Packets and trains: how a message's payload becomes packets on the wire, how long a
//! packet occupies a link, and the train (unit) the simulator moves through the network.

use crate::sim::{Picos, SimTime};

/// How one message is cut into packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packetization {
    /// Number of packets (at least one: an empty message still sends a header).
    pub packets: u64,
    /// Wire bytes of a full packet.
    pub full_wire: u32,
    /// Wire bytes of the last packet (equal to `full_wire` when the payload fills it).
    pub last_wire: u32,
}

impl Packetization {
    /// Cut `payload` bytes into packets of `packet_bytes` on the wire, each carrying
    /// `header_bytes` of header. `packet_bytes` must exceed `header_bytes`.
    pub fn new(payload: u64, packet_bytes: u32, header_bytes: u32) -> Packetization {
        let room = u64::from(packet_bytes.saturating_sub(header_bytes).max(1));
        let packets = payload.div_ceil(room).max(1);
        let last_payload = payload - (packets - 1) * room;
        Packetization {
            packets,
            full_wire: packet_bytes,
            last_wire: (last_payload + u64::from(header_bytes)) as u32,
        }
    }

    /// Bytes on the wire.
    pub fn wire_bytes(&self) -> u64 {
        (self.packets - 1) * u64::from(self.full_wire) + u64::from(self.last_wire)
    }
}

/// The payload `s` such that `collective::with_headers(s, packet_bytes, header_bytes)`
/// equals `wire`: undoes the header convention of a byte count that already includes
/// headers. `None` when no payload maps exactly to `wire`.
pub fn strip_headers(wire: u64, packet_bytes: u32, header_bytes: u32) -> Option<u64> {
    let (p, h) = (u64::from(packet_bytes), u64::from(header_bytes));
    if p <= h || wire <= h {
        return None;
    }
    // wire = m·p + r + h with a last payload r in 1..=p−h.
    let m = (wire - h - 1) / p;
    let s = wire - h * (m + 1);
    let back = s + s.div_ceil(p - h) * h;
    (back == wire).then_some(s)
}

/// The serialisation clock of a link: per-byte time and the rounding quantum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TxClock {
    ps_per_byte: f64,
    quantum: u64,
}

impl TxClock {
    /// A clock for `bandwidth` bytes per second whose packet times are rounded to the
    /// nearest multiple of `quantum` (ties up).
    pub fn new(bandwidth: f64, quantum: Picos) -> TxClock {
        TxClock {
            ps_per_byte: 1e12 / bandwidth,
            quantum: quantum.0.max(1),
        }
    }

    /// Time one packet of `bytes` occupies the link.
    pub fn packet_time(&self, bytes: u32) -> Picos {
        let exact = (f64::from(bytes) * self.ps_per_byte).round();
        let exact = if exact.is_finite() && exact > 0.0 {
            exact as u64
        } else {
            0
        };
        if self.quantum == 1 {
            Picos(exact)
        } else {
            Picos((exact + self.quantum / 2) / self.quantum * self.quantum)
        }
    }
}

/// A train: `full` full-size packets followed by an optional shorter packet of `extra`
/// wire bytes, all of one message (or one acknowledgement), sent back to back.
///
/// Timing: `head` is when its first packet is completely held by the queue it waits in,
/// `tail` when its last packet is. A lone packet has `head == tail`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unit {
    /// Message the unit belongs to.
    pub msg: u32,
    /// Route the unit follows (index into the simulator's route table).
    pub route: u32,
    /// Index in the route of the resource the unit waits for next.
    pub hop: u16,
    /// True for an acknowledgement (control class: priority, no credits).
    pub ctrl: bool,
    /// Number of full-size packets.
    pub full: u32,
    /// Wire bytes of a trailing shorter packet (0: none).
    pub extra: u32,
    /// First packet available.
    pub head: SimTime,
    /// Last packet available.
    pub tail: SimTime,
    /// Link whose downstream buffer this unit occupies (`NO_LINK`: none).
    pub credit_link: u32,
    /// Buffer slots it occupies there.
    pub credit_charge: u32,
}

/// Marker for "no link".
pub(crate) const NO_LINK: u32 = u32::MAX;

impl Unit {
    /// Packets in the train.
    pub fn packets(&self) -> u32 {
        self.full + u32::from(self.extra > 0)
    }
}

/// Buffer slots a train of `packets` occupies in a buffer of `buffer` packets: one per
/// packet, but at most an eighth of the buffer, so that a buffer always holds at least
/// eight trains and aggregation does not turn every input port into a one-train queue
/// (head-of-line blocking that the packets themselves would not suffer). Exact for
/// single packets and for trains of up to `buffer / 8` packets.
pub(crate) fn credit_charge(packets: u32, buffer: u32) -> u32 {
    packets.min((buffer / 8).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collective::with_headers;

    #[test]
    fn packetization_counts_headers() {
        let p = Packetization::new(2048, 1064, 64);
        assert_eq!(p.packets, 3);
        assert_eq!(p.last_wire, 48 + 64);
        assert_eq!(p.wire_bytes(), 2048 + 3 * 64);
        let exact = Packetization::new(2000, 1064, 64);
        assert_eq!((exact.packets, exact.last_wire), (2, 1064));
        assert_eq!(Packetization::new(0, 1064, 64).packets, 1);
    }

    #[test]
    fn strip_headers_inverts_the_panel_convention() {
        for s in [1u64, 8, 64, 512, 987, 988, 989, 2048, 1 << 20, 1 << 30] {
            let w = with_headers(s as f64, 1024, 36) as u64;
            assert_eq!(strip_headers(w, 1024, 36), Some(s), "{s}");
        }
        assert_eq!(strip_headers(1024 + 36, 1024, 36), None);
        assert_eq!(strip_headers(30, 1024, 36), None);
    }

    #[test]
    fn packet_times_round_to_the_link_clock() {
        let ns = Picos(1000);
        // The reference panels' per-packet times for a 1064-byte frame.
        for (bw, t) in [
            (32e9, 33_000),
            (64e9, 17_000),
            (128e9, 8_000),
            (256e9, 4_000),
            (512e9, 2_000),
        ] {
            assert_eq!(TxClock::new(bw, ns).packet_time(1064), Picos(t), "{bw}");
        }
        // Ties round up; without a quantum the time is exact.
        assert_eq!(TxClock::new(64e9, ns).packet_time(1056), Picos(17_000));
        assert_eq!(
            TxClock::new(64e9, Picos(1)).packet_time(1056),
            Picos(16_500)
        );
        assert_eq!(TxClock::new(512e9, ns).packet_time(64), Picos(0));
    }
}

//! Ports: the servers a train waits for. A link port is the output of one directed link:
//! a serialiser at the link bandwidth, the link's propagation latency, a control queue
//! (acknowledgements, served first), a transit FIFO, the sending device's own messages
//! (served round robin, alternating with transit traffic), and credits for the finite
//! input buffer at the far end. A crossbar port is a switch centre: a FIFO server at the
//! switch-centre bandwidth with no latency and no credits of its own (a packet keeps the
//! buffer slot of the link it came in on until it leaves on the next link); it bounds
//! throughput without queueing heads (see `NetworkSim::cross`).

use super::packet::TxClock;
use crate::network::{Resource, ResourceKind};
use crate::sim::{Picos, SimTime};
use std::collections::VecDeque;

/// One server of the network (a link output or a switch crossbar).
#[derive(Debug)]
pub(crate) struct Port {
    /// Serialisation clock.
    pub clock: TxClock,
    /// Time of a full-size packet.
    pub t_full: Picos,
    /// Propagation latency after serialisation (zero for a crossbar).
    pub latency: Picos,
    /// True for a link, false for a crossbar.
    pub is_link: bool,
    /// True when the far end's input buffer is finite (credit flow control).
    pub credit_limited: bool,
    /// Free packet slots at the far end (may go negative while a train longer than the
    /// buffer drains).
    pub credits: i64,
    /// Packets the far end's input buffer holds.
    pub buffer: u32,
    /// Until when the serialiser is committed.
    pub busy_until: SimTime,
    /// A wake-up event is already scheduled at `busy_until`.
    pub wake_pending: bool,
    /// Acknowledgements waiting (served first, no credits).
    pub ctrl: VecDeque<u32>,
    /// Transit trains waiting, in arrival order.
    pub fifo: VecDeque<u32>,
    /// Messages of the sending device with packets still to inject, served round robin.
    pub inject: VecDeque<u32>,
    /// Whose turn it is when both transit and injection wait.
    pub inject_turn: bool,
    /// Total serialisation time committed.
    pub busy: Picos,
    /// Times a train had to wait for credits.
    pub stalls: u64,
    /// Longest transit queue seen (trains).
    pub max_queue: usize,
    /// Start of the train in service.
    pub cur_start: SimTime,
    /// The train in service is data (not an acknowledgement).
    pub cur_data: bool,
    /// End of the last acknowledgement slipped into a train.
    pub ctrl_end: SimTime,
}

impl Port {
    /// The port of a topology resource. `quantum` rounds link packet times; crossbars are
    /// not rounded. `buffer_packets` is the far end's input buffer when `credit_limited`.
    pub fn new(
        r: &Resource,
        full_wire: u32,
        quantum: Picos,
        credit_limited: bool,
        buffer_packets: u32,
    ) -> Port {
        let is_link = matches!(r.kind, ResourceKind::Link { .. });
        let clock = TxClock::new(r.bandwidth, if is_link { quantum } else { Picos(1) });
        let latency = Picos::from_ns_f64(r.latency * 1e9).unwrap_or(Picos::ZERO);
        Port {
            clock,
            t_full: clock.packet_time(full_wire),
            latency,
            is_link,
            credit_limited: is_link && credit_limited,
            credits: i64::from(buffer_packets),
            buffer: buffer_packets,
            busy_until: SimTime::ZERO,
            wake_pending: false,
            ctrl: VecDeque::new(),
            fifo: VecDeque::new(),
            inject: VecDeque::new(),
            inject_turn: false,
            busy: Picos::ZERO,
            stalls: 0,
            max_queue: 0,
            cur_start: SimTime::ZERO,
            cur_data: false,
            ctrl_end: SimTime::ZERO,
        }
    }

    /// Times of a train of `full` full packets plus an `extra`-byte packet: the first
    /// packet, the last packet and the whole train.
    pub fn train_time(&self, full: u32, extra: u32) -> (Picos, Picos, Picos) {
        let t_extra = if extra > 0 {
            self.clock.packet_time(extra)
        } else {
            Picos::ZERO
        };
        let total = self.t_full * u64::from(full) + t_extra;
        let first = if full > 0 { self.t_full } else { t_extra };
        let last = if extra > 0 { t_extra } else { self.t_full };
        (first, last, total)
    }

    /// Control priority inside a train: an acknowledgement arriving while a data train is
    /// being sent goes out at the next packet boundary of that train (as it would between
    /// two packets), pushing the rest of the train back by its own time `t_ctrl`. Returns
    /// its start time, or `None` when no train is in service (the acknowledgement then
    /// queues as usual).
    pub fn slip_control(&mut self, now: SimTime, t_ctrl: Picos) -> Option<SimTime> {
        if !self.cur_data || self.busy_until <= now || self.t_full.0 == 0 {
            return None;
        }
        let elapsed = (now - self.cur_start).0;
        let k = elapsed.div_ceil(self.t_full.0).max(1);
        let slot = (self.cur_start + self.t_full * k).max(self.ctrl_end);
        if slot >= self.busy_until {
            return None;
        }
        self.busy_until += t_ctrl;
        self.busy += t_ctrl;
        self.ctrl_end = slot + t_ctrl;
        Some(slot)
    }

    /// Anything waiting.
    pub fn has_work(&self) -> bool {
        !(self.ctrl.is_empty() && self.fifo.is_empty() && self.inject.is_empty())
    }
}

//! Counters of one packet-network run.

use serde::Serialize;

/// What one run of the packet network did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NetStats {
    /// Events processed.
    pub events: u64,
    /// Messages injected.
    pub messages: u64,
    /// Packets injected (data only).
    pub packets: u64,
    /// Trains injected (data only); equals `packets` without aggregation.
    pub trains: u64,
    /// Acknowledgements sent.
    pub acks: u64,
    /// Times a train waited at a port because the next buffer was full (backpressure).
    pub credit_stalls: u64,
    /// Longest transit queue at any port, in trains.
    pub max_queue_trains: u64,
}

impl NetStats {
    /// Add another run's counters (maxima take the larger).
    pub fn absorb(&mut self, o: &NetStats) {
        self.events += o.events;
        self.messages += o.messages;
        self.packets += o.packets;
        self.trains += o.trains;
        self.acks += o.acks;
        self.credit_stalls += o.credit_stalls;
        self.max_queue_trains = self.max_queue_trains.max(o.max_queue_trains);
    }
}

//! The packet-level network of the detailed engine.
//!
//! Mechanism. A message is cut into packets (payload plus header, [`PacketConfig`]).
//! Every directed link is an output port: a serialiser at the link bandwidth (per-packet
//! times on the link clock), the link latency, and credits for the finite input buffer at
//! the far end (lossless backpressure: a port sends only into free buffer slots, and a
//! slot is returned one link latency after its packet leaves the buffer). A switch's
//! crossbar is a server at the switch-centre bandwidth between input and output ports.
//! Acknowledgements (control class) go back over the reverse route ahead of data. Routes
//! come from [`crate::network::Topology::route`], shared with the fast engine.
//!
//! Large messages travel as trains of back-to-back packets that share one event per hop;
//! a train keeps every packet's serialisation time and pipelines through store-and-forward
//! hops as its packets would ([`Aggregation`]).
//!
//! Layers: [`packet`] (packets, trains, link clock), [`port`] (servers and queues),
//! [`sim`] (event loop, gates and messages: the low-level entry for whole scenarios),
//! [`collective`] (schedules with per-rank dependencies, [`collective_timing`]), [`stats`].

pub mod collective;
pub mod config;
pub mod packet;
pub(crate) mod port;
pub mod sim;
pub mod stats;

pub use collective::{
    add_schedule, add_schedule_with, collective_timing, ns3_case, plan, run_schedule,
    CollectivePlan, DetailedCollective, ScheduleGates, ScheduleRun,
};
pub use config::{Aggregation, Completion, Mapping, PacketConfig};
pub use sim::{Dep, GateId, MessageId, MessageTiming, NetworkSim, Notice};
pub use stats::NetStats;

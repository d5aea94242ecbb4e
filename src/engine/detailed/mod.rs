//! The detailed (discrete-event) engine: packet-level network and detailed collectives.
pub mod network;

//! The detailed (discrete-event) engine: compute tiles on processing elements against the
//! detailed DRAM model, and a packet-level network running the shared collective schedules.
pub mod compute;
pub mod network;
pub mod scenario;

pub use scenario::{dram_spec_for, DetailedEngine};

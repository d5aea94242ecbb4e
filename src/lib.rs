//! deepstack: design-space exploration for distributed 3D-stacked AI accelerators.
pub mod cli;
pub mod collective;
pub mod dram;
pub mod engine;
pub mod error;
pub mod network;
pub mod sim;
pub mod units;

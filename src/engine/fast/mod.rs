//! The fast analytical engine.
pub mod network;

//! The two evaluation engines.
pub mod fast;

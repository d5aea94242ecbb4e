//! Network description, physical topology and routing. Shared by both engines; no timing.

pub mod spec;
pub mod topology;

pub use spec::{Level, LevelKind, NetworkSpec};
pub use topology::{Resource, ResourceId, ResourceKind, Topology};

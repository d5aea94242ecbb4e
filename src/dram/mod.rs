//! The detailed DRAM model: banks, commands, controllers, refresh, a timing-protocol
//! checker, 3D stacks and their vertical links.
//!
//! * [`DramSpec`] describes a memory (organisation, JEDEC timings in cycles,
//!   controller settings); it comes from a [preset](presets), a TOML file
//!   ([`toml_file`]), a DRAMsim3 `.ini` file ([`ini`]) or a 3D stack description
//!   ([`StackParams`], [`DramSpec::from_stack`]). [`load_memory`] picks by name.
//! * [`MemorySystem`] is the co-simulation API: enqueue [`Request`]s, ask for
//!   [`next_event_time`](MemorySystem::next_event_time), [`advance_to`](MemorySystem::advance_to)
//!   a time and collect [`Completion`]s.
//! * [`run_records`] replays a whole request stream (a [`TraceReader`] or a
//!   [`PatternGen`]) and returns [`Stats`]; [`measure_effective_bandwidth`] does so for a
//!   synthetic pattern.
//! * Inside, one [`Channel`] controller per channel (bounded queue, FR-FCFS, open or
//!   closed page, all-bank refresh with tREFI halved above 85 °C) keeps its banks'
//!   timing in a [`ChannelTiming`]; every command it issues is verified by an
//!   independent [`ProtocolChecker`] against the [`CONSTRAINTS`] table.
//!
//! Modelling limits: one command per cycle per port; pseudo-channels are independent
//! channels; all-bank refresh only (no per-bank refresh); no power-down or self
//! refresh; cross-rank write-to-read turnaround is not modelled (validation rejects
//! configurations where it would bind).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod bank;
pub mod channel_timing;
pub mod checker;
pub mod command;
pub mod constraints;
pub mod controller;
pub mod error;
pub mod ini;
pub mod mapping;
pub mod pattern;
pub mod presets;
pub mod run;
pub mod slice_queue;
pub mod spec;
pub mod stack;
pub mod stats;
pub mod system;
#[cfg(test)]
#[allow(clippy::panic)]
mod test_support;
pub mod toml_file;
pub mod trace;
pub mod vertical;

pub use channel_timing::ChannelTiming;
pub use checker::{ProtocolChecker, ViolationReport};
pub use command::{Command, CommandKind};
pub use constraints::{Constraint, ConstraintId, Scope, CONSTRAINTS};
pub use controller::{Channel, QueuedRequest};
pub use error::DramError;
pub use mapping::{AddressMapping, DecodedAddr};
pub use pattern::{Pattern, PatternGen};
pub use run::{measure_effective_bandwidth, run_records};
pub use spec::{ControllerConfig, Derived, DramSpec, Organisation, PagePolicy, Timing};
pub use stack::StackParams;
pub use stats::Stats;
pub use system::{Completion, EnqueueError, MemorySystem, Request};
pub use trace::{TraceReader, TraceRecord};
pub use vertical::{LinkKind, VerticalLink, VerticalLinkSpec};

use std::path::Path;

/// Loads a memory by preset name, or from a `.toml` or DRAMsim3 `.ini` file.
pub fn load_memory(name_or_path: &str) -> Result<DramSpec, DramError> {
    let lower = name_or_path.to_ascii_lowercase();
    let path = Path::new(name_or_path);
    if lower.ends_with(".ini") {
        return ini::read_ini(path);
    }
    if lower.ends_with(".toml") {
        return toml_file::read_toml(path);
    }
    presets::preset(name_or_path)
}

//! deepstack: design-space exploration for distributed 3D-stacked AI accelerators serving LLMs.
//!
//! A [`scenario::Scenario`] (system + model + workload + parallel scheme) is lowered to a
//! per-device plan ([`lower`]) and timed by an [`engine::Evaluator`]: the analytical
//! [`engine::fast`] engine (microseconds) or the discrete-event `detailed` engine (seconds).
//!
//! ```
//! use deepstack::{engine::{Evaluator, fast::FastEngine}, hw::System, model::Model,
//!                 parallel::ParallelScheme, scenario::{Options, Scenario},
//!                 workload::{Phase, Workload}};
//! let s = Scenario::new(
//!     System::load("h100x8")?, Model::load("llama-3-8b")?,
//!     Workload { phase: Phase::Decode, batch: 16, input_len: 1024, output_len: 1024 },
//!     ParallelScheme::parse("tp=8")?, Options::default())?;
//! let r = FastEngine::new().evaluate(&s)?;
//! assert!(r.throughput_tokens_per_s > 0.0);
//! # Ok::<(), deepstack::error::Error>(())
//! ```
pub mod cli;
pub mod collective;
pub mod dram;
pub mod engine;
pub mod error;
pub mod hw;
pub mod lower;
pub mod model;
pub mod network;
pub mod parallel;
pub mod scenario;
pub mod sim;
pub mod tiling;
pub mod units;
pub mod validate;
pub mod workload;

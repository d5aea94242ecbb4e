//! The discrete-event core shared by the detailed engines.
//!
//! Time is an integer count of picoseconds, so DRAM clock periods such as 833 ps or
//! 625 ps are exact and two runs with the same inputs order their events identically.
//!
//! * [`SimTime`] is an instant, [`Picos`] a span and [`Cycles`] a count of clock
//!   periods; only the arithmetic that has a physical meaning is implemented
//!   (`SimTime + Picos -> SimTime`, `SimTime - SimTime -> Picos`, ...).
//! * [`ClockDomain`] is the single place where a clock converts between picoseconds
//!   and cycles (rounding up, see [`ClockDomain::to_cycles_ceil`]).
//! * [`EventQueue`] pops events in `(time, sequence)` order: events scheduled for the
//!   same instant come out in the order they were scheduled (FIFO). Scheduling before
//!   the current time is an error, never a panic.
//! * [`WakeSchedule`] holds one pending wake-up cycle per component of a fixed set
//!   (the DRAM channels), in the same order as an [`EventQueue`] would pop them.
//! * [`RngStreams`] hands out independent, seeded random streams by component name,
//!   so adding a component never perturbs the streams of the others.
//!
//! Nothing in this module holds global state: every simulation owns its queue, clock
//! domains and random streams.
//!
//! ```
//! use deepstack::sim::{EventQueue, Picos, SimTime};
//! let mut q = EventQueue::new();
//! q.schedule(SimTime::from_ps(10), "b")?;
//! q.schedule(SimTime::from_ps(5), "a")?;
//! q.schedule(SimTime::from_ps(10), "c")?;
//! let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
//! assert_eq!(order, ["a", "b", "c"]);
//! assert!(q.schedule(SimTime::from_ps(3), "late").is_err());
//! assert_eq!(q.now() + Picos(5), SimTime::from_ps(15));
//! # Ok::<(), deepstack::sim::SchedulingError>(())
//! ```

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod queue;
mod rng;
mod time;
mod wakeups;

pub use queue::{EventId, EventQueue, SchedulingError};
pub use rng::{RngStreams, SimRng};
pub use time::{ClockDomain, ClockError, Cycles, Picos, SimTime};
pub use wakeups::WakeSchedule;

//! Typed simulation time: instants, spans, cycle counts and clock domains.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Mul, Sub};

/// A span of time in integer picoseconds.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Picos(pub u64);

/// An instant of simulated time: picoseconds since the start of the simulation.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(u64);

/// A count of clock periods of some [`ClockDomain`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cycles(pub u64);

impl Picos {
    /// The zero span.
    pub const ZERO: Picos = Picos(0);

    /// The span in seconds (for reporting only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-12
    }

    /// The span in nanoseconds (for reporting only).
    pub fn as_ns_f64(self) -> f64 {
        self.0 as f64 * 1e-3
    }

    /// Converts a duration in nanoseconds to the nearest picosecond; `None` for a
    /// negative, non-finite or out-of-range value.
    pub fn from_ns_f64(ns: f64) -> Option<Picos> {
        let ps = (ns * 1000.0).round();
        if ps.is_finite() && ps >= 0.0 && ps < u64::MAX as f64 {
            Some(Picos(ps as u64))
        } else {
            None
        }
    }
}

impl SimTime {
    /// The start of every simulation.
    pub const ZERO: SimTime = SimTime(0);

    /// The instant `ps` picoseconds after the start.
    pub const fn from_ps(ps: u64) -> SimTime {
        SimTime(ps)
    }

    /// Picoseconds since the start.
    pub const fn as_ps(self) -> u64 {
        self.0
    }

    /// The span from `earlier` to `self`, or `None` if `earlier` is later than `self`.
    pub fn checked_since(self, earlier: SimTime) -> Option<Picos> {
        self.0.checked_sub(earlier.0).map(Picos)
    }

    /// Seconds since the start (for reporting only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-12
    }
}

impl Add<Picos> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: Picos) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<Picos> for SimTime {
    fn add_assign(&mut self, rhs: Picos) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

/// The span between two instants; saturates at zero when `rhs` is later than `self`
/// (use [`SimTime::checked_since`] when the order is not known).
impl Sub<SimTime> for SimTime {
    type Output = Picos;
    fn sub(self, rhs: SimTime) -> Picos {
        debug_assert!(self.0 >= rhs.0, "instant subtraction went negative");
        Picos(self.0.saturating_sub(rhs.0))
    }
}

impl Add for Picos {
    type Output = Picos;
    fn add(self, rhs: Picos) -> Picos {
        Picos(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for Picos {
    fn add_assign(&mut self, rhs: Picos) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

/// Scaling a span by a dimensionless count.
impl Mul<u64> for Picos {
    type Output = Picos;
    fn mul(self, rhs: u64) -> Picos {
        Picos(self.0.saturating_mul(rhs))
    }
}

impl Add for Cycles {
    type Output = Cycles;
    fn add(self, rhs: Cycles) -> Cycles {
        Cycles(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for Picos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ps", self.0)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={} ps", self.0)
    }
}

impl fmt::Display for Cycles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cycles", self.0)
    }
}

/// Errors building a [`ClockDomain`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClockError {
    /// The clock period is zero.
    #[error("clock period must be at least 1 ps")]
    ZeroPeriod,
    /// The frequency is not a positive finite number, or its period rounds to 0 ps.
    #[error("clock frequency {0} Hz is not usable (must be finite, > 0 and <= 1 THz)")]
    BadFrequency(f64),
}

/// A clock: the one place that converts between picoseconds and cycles.
///
/// Rounding policy: a span converts to cycles by rounding **up**
/// ([`to_cycles_ceil`](Self::to_cycles_ceil)), as JEDEC rounds a timing in ns to the
/// next whole clock (`nRCD = ceil(tRCD / tCK)`); cycles convert back exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClockDomain {
    period: Picos,
}

impl ClockDomain {
    /// A clock with the given period (must be at least 1 ps).
    pub fn new(period: Picos) -> Result<ClockDomain, ClockError> {
        if period.0 == 0 {
            return Err(ClockError::ZeroPeriod);
        }
        Ok(ClockDomain { period })
    }

    /// A clock with the given period, raised to 1 ps if it is zero (for values that
    /// were validated elsewhere).
    pub fn at_least_1ps(period: Picos) -> ClockDomain {
        ClockDomain {
            period: Picos(period.0.max(1)),
        }
    }

    /// A clock of frequency `hz`, its period rounded to the nearest picosecond.
    pub fn from_hz(hz: f64) -> Result<ClockDomain, ClockError> {
        if !(hz.is_finite() && hz > 0.0 && hz <= 1e12) {
            return Err(ClockError::BadFrequency(hz));
        }
        let ps = (1e12 / hz).round();
        if ps < 1.0 {
            return Err(ClockError::BadFrequency(hz));
        }
        Ok(ClockDomain {
            period: Picos(ps as u64),
        })
    }

    /// The clock period.
    pub fn period(&self) -> Picos {
        self.period
    }

    /// The clock frequency in Hz (for reporting).
    pub fn hz(&self) -> f64 {
        1e12 / self.period.0 as f64
    }

    /// The smallest whole number of cycles that covers `span` (rounds up).
    pub fn to_cycles_ceil(&self, span: Picos) -> Cycles {
        Cycles(span.0.div_ceil(self.period.0))
    }

    /// The span of `cycles` periods.
    pub fn to_time(&self, cycles: Cycles) -> Picos {
        Picos(cycles.0.saturating_mul(self.period.0))
    }

    /// The instant at which cycle `cycle` starts.
    pub fn cycle_start(&self, cycle: Cycles) -> SimTime {
        SimTime::ZERO + self.to_time(cycle)
    }

    /// The first cycle that starts at or after `t` (an event at `t` is seen by this
    /// clock at that edge).
    pub fn cycle_at_or_after(&self, t: SimTime) -> Cycles {
        Cycles(t.as_ps().div_ceil(self.period.0))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn jedec_rounding_pins_trcd() {
        // tRCD = 13.75 ns at tCK = 833 ps is 16.5 periods: JEDEC rounds up to 17.
        let ck = ClockDomain::new(Picos(833)).unwrap();
        let t = Picos::from_ns_f64(13.75).unwrap();
        assert_eq!(ck.to_cycles_ceil(t), Cycles(17));
        // Exact multiples are not rounded up.
        let ck1 = ClockDomain::new(Picos(1000)).unwrap();
        assert_eq!(ck1.to_cycles_ceil(Picos(14_000)), Cycles(14));
    }

    #[test]
    fn round_trip_covers_the_span() {
        let ck = ClockDomain::new(Picos(625)).unwrap();
        for ps in [0u64, 1, 624, 625, 626, 10_000, 123_457] {
            let c = ck.to_cycles_ceil(Picos(ps));
            assert!(ck.to_time(c) >= Picos(ps));
            assert!(c.0 == 0 || ck.to_time(Cycles(c.0 - 1)) < Picos(ps));
        }
    }

    #[test]
    fn frequency_conversion() {
        let ck = ClockDomain::from_hz(1.6e9).unwrap();
        assert_eq!(ck.period(), Picos(625));
        assert!(ClockDomain::from_hz(0.0).is_err());
        assert!(ClockDomain::from_hz(f64::NAN).is_err());
        assert!(ClockDomain::new(Picos(0)).is_err());
    }

    #[test]
    fn instant_span_arithmetic() {
        let t = SimTime::from_ps(100) + Picos(50);
        assert_eq!(t.as_ps(), 150);
        assert_eq!(t - SimTime::from_ps(100), Picos(50));
        assert_eq!(SimTime::from_ps(1).checked_since(t), None);
    }
}

//! Physical quantities as newtypes over `f64` (analytical side) so that seconds, bytes and
//! bandwidths cannot be swapped by accident. Only the arithmetic that means something is
//! implemented: `Bytes / BytesPerSec -> Seconds`, `Flops / FlopsPerSec -> Seconds`,
//! `Watts * Seconds -> Joules`, `Joules / Seconds -> Watts`, and scaling by a plain factor.
//!
//! The detailed engine keeps its own integer time (`sim::SimTime`, picoseconds).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Div, Mul, Sub};

macro_rules! quantity {
    ($(#[$doc:meta])* $name:ident, $unit:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub f64);

        impl $name {
            /// Zero of this quantity.
            pub const ZERO: $name = $name(0.0);
            /// The raw value in SI base units.
            #[inline]
            pub fn value(self) -> f64 {
                self.0
            }
            /// The larger of two values.
            #[inline]
            pub fn max(self, other: $name) -> $name {
                $name(self.0.max(other.0))
            }
            /// The smaller of two values.
            #[inline]
            pub fn min(self, other: $name) -> $name {
                $name(self.0.min(other.0))
            }
        }
        impl Add for $name {
            type Output = $name;
            #[inline]
            fn add(self, o: $name) -> $name {
                $name(self.0 + o.0)
            }
        }
        impl AddAssign for $name {
            #[inline]
            fn add_assign(&mut self, o: $name) {
                self.0 += o.0;
            }
        }
        impl Sub for $name {
            type Output = $name;
            #[inline]
            fn sub(self, o: $name) -> $name {
                $name(self.0 - o.0)
            }
        }
        impl Mul<f64> for $name {
            type Output = $name;
            #[inline]
            fn mul(self, k: f64) -> $name {
                $name(self.0 * k)
            }
        }
        impl Div<f64> for $name {
            type Output = $name;
            #[inline]
            fn div(self, k: f64) -> $name {
                $name(self.0 / k)
            }
        }
        /// The ratio of two like quantities is a plain number.
        impl Div for $name {
            type Output = f64;
            #[inline]
            fn div(self, o: $name) -> f64 {
                self.0 / o.0
            }
        }
        impl std::iter::Sum for $name {
            fn sum<I: Iterator<Item = $name>>(it: I) -> $name {
                $name(it.map(|x| x.0).sum())
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.0, $unit)
            }
        }
    };
}

quantity!(
    /// A span of time in seconds.
    Seconds, "s");
quantity!(
    /// A data volume in bytes (fractional values arise from averaging).
    Bytes, "B");
quantity!(
    /// A bandwidth in bytes per second (decimal units).
    BytesPerSec, "B/s");
quantity!(
    /// A count of floating-point operations.
    Flops, "FLOP");
quantity!(
    /// A compute rate in floating-point operations per second.
    FlopsPerSec, "FLOP/s");
quantity!(
    /// Energy in joules.
    Joules, "J");
quantity!(
    /// Power in watts.
    Watts, "W");
quantity!(
    /// A frequency in hertz.
    Hertz, "Hz");
quantity!(
    /// A temperature in degrees Celsius.
    Celsius, "°C");
quantity!(
    /// A length in metres (used for bond pitch and area side lengths).
    Metres, "m");
quantity!(
    /// An area in square millimetres (the logic-die budget is counted in mm²).
    SquareMm, "mm²");

impl Div<BytesPerSec> for Bytes {
    type Output = Seconds;
    #[inline]
    fn div(self, bw: BytesPerSec) -> Seconds {
        Seconds(self.0 / bw.0)
    }
}
impl Div<Seconds> for Bytes {
    type Output = BytesPerSec;
    #[inline]
    fn div(self, t: Seconds) -> BytesPerSec {
        BytesPerSec(self.0 / t.0)
    }
}
impl Mul<Seconds> for BytesPerSec {
    type Output = Bytes;
    #[inline]
    fn mul(self, t: Seconds) -> Bytes {
        Bytes(self.0 * t.0)
    }
}
impl Div<FlopsPerSec> for Flops {
    type Output = Seconds;
    #[inline]
    fn div(self, r: FlopsPerSec) -> Seconds {
        Seconds(self.0 / r.0)
    }
}
impl Mul<Seconds> for Watts {
    type Output = Joules;
    #[inline]
    fn mul(self, t: Seconds) -> Joules {
        Joules(self.0 * t.0)
    }
}
impl Div<Seconds> for Joules {
    type Output = Watts;
    #[inline]
    fn div(self, t: Seconds) -> Watts {
        Watts(self.0 / t.0)
    }
}

/// Bytes in a KiB, MiB and GiB (binary prefixes, for capacities).
pub const KIB: f64 = 1024.0;
/// Bytes in a MiB.
pub const MIB: f64 = 1024.0 * 1024.0;
/// Bytes in a GiB.
pub const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Parse a quantity with a unit suffix, such as `128GB/s`, `1.25us`, `512ns`, `64MiB`.
/// Decimal prefixes (k, M, G, T) are powers of 1000; binary ones (Ki, Mi, Gi, Ti) powers of 1024.
/// Returns the value in SI base units of the expected dimension.
pub fn parse_quantity(text: &str, dimension: Dimension) -> Result<f64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+')
        })
        .unwrap_or(t.len());
    // 'e' could start a unit only in no unit we accept, so this split is safe.
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("'{text}' does not start with a number"))?;
    let unit = unit.trim();
    let scale = match dimension {
        Dimension::Time => match unit {
            "s" => 1.0,
            "ms" => -1e3,
            "us" | "µs" => -1e6,
            "ns" => -1e9,
            "ps" => -1e12,
            _ => return Err(format!("'{text}': unknown time unit '{unit}' (use s, ms, us, ns or ps)")),
        },
        Dimension::Bandwidth => match unit {
            "B/s" => 1.0,
            "kB/s" | "KB/s" => 1e3,
            "MB/s" => 1e6,
            "GB/s" => 1e9,
            "TB/s" => 1e12,
            "GiB/s" => GIB,
            "Gb/s" | "Gbps" => 1e9 / 8.0,
            _ => {
                return Err(format!(
                    "'{text}': unknown bandwidth unit '{unit}' (use B/s, MB/s, GB/s, TB/s, GiB/s or Gb/s)"
                ))
            }
        },
        Dimension::Bytes => match unit {
            "" | "B" => 1.0,
            "kB" | "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "KiB" => KIB,
            "MiB" => MIB,
            "GiB" => GIB,
            _ => return Err(format!("'{text}': unknown size unit '{unit}' (use B, KB, MB, GB, KiB, MiB or GiB)")),
        },
    };
    if !value.is_finite() {
        return Err(format!("'{text}' is not a finite number"));
    }
    // A negative scale marks a divisor, so that `1.25us` is exactly the literal 1.25e-6.
    Ok(if scale < 0.0 {
        value / -scale
    } else {
        value * scale
    })
}

/// The dimension a quantity string is parsed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// Seconds.
    Time,
    /// Bytes per second.
    Bandwidth,
    /// Bytes.
    Bytes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_over_bandwidth_is_time() {
        let t = Bytes(370e9) / BytesPerSec(370e9);
        assert_eq!(t, Seconds(1.0));
    }

    #[test]
    fn parses_units() {
        assert_eq!(parse_quantity("128GB/s", Dimension::Bandwidth), Ok(128e9));
        assert_eq!(parse_quantity("1.25us", Dimension::Time), Ok(1.25e-6));
        assert_eq!(parse_quantity("64MiB", Dimension::Bytes), Ok(64.0 * MIB));
        assert!(parse_quantity("fast", Dimension::Time).is_err());
        assert!(parse_quantity("3 parsecs", Dimension::Time).is_err());
    }
}

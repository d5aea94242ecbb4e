//! Statistics of a DRAM run.

use super::checker::ViolationReport;
use serde::Serialize;

const EXACT: usize = 4096;
const SUB_BITS: u32 = 6;
const SUB: usize = 1 << SUB_BITS;

/// A latency histogram in cycles with fixed memory: exact below 4096 cycles, then 64
/// buckets per power of two (relative error under 1.6 %).
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    buckets: Vec<u64>,
    count: u64,
    sum: u128,
    max: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            buckets: vec![0; EXACT + 64 * SUB],
            count: 0,
            sum: 0,
            max: 0,
        }
    }
}

impl LatencyHistogram {
    #[inline]
    fn index(v: u64) -> usize {
        if (v as usize) < EXACT {
            return v as usize;
        }
        let log = 63 - v.leading_zeros();
        let sub = ((v >> (log - SUB_BITS)) as usize) & (SUB - 1);
        EXACT + (log as usize - 12) * SUB + sub
    }

    fn lower_bound(i: usize) -> u64 {
        if i < EXACT {
            return i as u64;
        }
        let j = i - EXACT;
        let log = (j / SUB) as u32 + 12;
        let sub = (j % SUB) as u64;
        (1u64 << log) + (sub << (log - SUB_BITS))
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, cycles: u64) {
        let i = Self::index(cycles).min(self.buckets.len() - 1);
        self.buckets[i] += 1;
        self.count += 1;
        self.sum += u128::from(cycles);
        self.max = self.max.max(cycles);
    }

    /// Adds another histogram into this one.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean in cycles (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// Largest sample.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The `q` quantile (0..=1) in cycles: the lower bound of the bucket holding it.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Self::lower_bound(i);
            }
        }
        self.max
    }
}

/// Counters of one channel.
#[derive(Clone, Debug, Default)]
pub struct ChannelCounters {
    /// Reads completed.
    pub reads: u64,
    /// Writes completed.
    pub writes: u64,
    /// Requests served without an ACT or PRE issued on their behalf.
    pub row_hits: u64,
    /// ACT commands.
    pub acts: u64,
    /// PRE commands.
    pub pres: u64,
    /// REF commands.
    pub refs: u64,
    /// Last completion cycle.
    pub last_done: u64,
}

impl ChannelCounters {
    /// Adds another channel's counters.
    pub fn merge(&mut self, o: &ChannelCounters) {
        self.reads += o.reads;
        self.writes += o.writes;
        self.row_hits += o.row_hits;
        self.acts += o.acts;
        self.pres += o.pres;
        self.refs += o.refs;
        self.last_done = self.last_done.max(o.last_done);
    }
}

/// The summary of a run, as printed by `deepstack dram`.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    /// Memory name.
    pub memory: String,
    /// Seed of the run.
    pub seed: u64,
    /// Requests completed.
    pub requests: u64,
    /// Reads completed.
    pub reads: u64,
    /// Writes completed.
    pub writes: u64,
    /// Memory-clock cycles until the last completion.
    pub cycles: u64,
    /// The same span in seconds.
    pub simulated_time_s: f64,
    /// Bytes moved per simulated second.
    pub bandwidth_bytes_per_s: f64,
    /// Peak bandwidth of the memory (every port busy).
    pub peak_bandwidth_bytes_per_s: f64,
    /// Mean read latency (arrival at the controller to last data) in ns.
    pub avg_read_latency_ns: f64,
    /// 99th-percentile read latency in ns.
    pub p99_read_latency_ns: f64,
    /// Maximum read latency in ns.
    pub max_read_latency_ns: f64,
    /// Fraction of requests served without an ACT or PRE issued on their behalf.
    pub row_hit_rate: f64,
    /// ACT commands.
    pub activates: u64,
    /// PRE commands.
    pub precharges: u64,
    /// REF commands.
    pub refreshes: u64,
    /// Timing or protocol violations found by the checker (0 for a correct controller).
    pub timing_violations: u64,
    /// Details of any violations.
    pub violations: ViolationReport,
    /// Scheduler events processed.
    pub events: u64,
    /// Wall-clock seconds the simulation took.
    pub wall_s: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles() {
        let mut h = LatencyHistogram::default();
        for v in 1..=100u64 {
            h.record(v);
        }
        assert_eq!(h.quantile(0.99), 99);
        assert_eq!(h.quantile(0.5), 50);
        assert!((h.mean() - 50.5).abs() < 1e-9);
        let mut big = LatencyHistogram::default();
        big.record(1_000_000);
        let q = big.quantile(0.99);
        assert!(q <= 1_000_000 && q as f64 > 1_000_000.0 * 0.98, "{q}");
    }
}

//! Synthetic traffic for users without a trace.
//!
//! * `stream`: sequential reads, one transaction after another, wrapping at capacity;
//! * `random`: reads to uniformly random transaction-aligned addresses;
//! * `mixed`: half sequential, half random addresses; 30 % writes;
//! * `conflict`: reads to random rows of bank 0 (bank group 0, rank 0) of a random
//!   channel, so nearly every access is a row conflict.
//!
//! Every request is issued at cycle 0: the run is saturating and the controller
//! queues pace it (the driver waits when a queue is full).

use super::error::DramError;
use super::mapping::{AddressMapping, DecodedAddr};
use super::spec::{DramSpec, Organisation};
use super::trace::TraceRecord;
use crate::sim::{RngStreams, SimRng};
use rand::Rng;
use serde::Serialize;

/// The traffic patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Sequential reads.
    Stream,
    /// Uniformly random reads.
    Random,
    /// Half sequential, half random; 30 % writes.
    Mixed,
    /// Random rows of one bank per channel.
    Conflict,
}

impl Pattern {
    /// The pattern's name.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Stream => "stream",
            Pattern::Random => "random",
            Pattern::Mixed => "mixed",
            Pattern::Conflict => "conflict",
        }
    }
}

/// An iterator of generated requests.
pub struct PatternGen {
    pattern: Pattern,
    mapping: AddressMapping,
    org: Organisation,
    tx: u64,
    slots: u64,
    next_seq: u64,
    remaining: u64,
    rng: SimRng,
}

impl PatternGen {
    /// `requests` requests of `pattern` for `spec`, drawn from the seed's
    /// `dram.pattern` stream.
    pub fn new(
        spec: &DramSpec,
        pattern: Pattern,
        requests: u64,
        seed: u64,
    ) -> Result<PatternGen, DramError> {
        let mapping = AddressMapping::new(&spec.controller.address_mapping, &spec.org)?;
        let tx = mapping.transaction_bytes();
        let slots = mapping.capacity() / tx;
        Ok(PatternGen {
            pattern,
            org: spec.org.clone(),
            mapping,
            tx,
            slots: slots.max(1),
            next_seq: 0,
            remaining: requests,
            rng: RngStreams::new(seed).stream("dram.pattern"),
        })
    }

    fn sequential(&mut self) -> u64 {
        let a = (self.next_seq % self.slots) * self.tx;
        self.next_seq += 1;
        a
    }

    fn random(&mut self) -> u64 {
        self.rng.gen_range(0..self.slots) * self.tx
    }
}

impl Iterator for PatternGen {
    type Item = Result<TraceRecord, DramError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let (addr, is_write) = match self.pattern {
            Pattern::Stream => (self.sequential(), false),
            Pattern::Random => (self.random(), false),
            Pattern::Mixed => {
                let a = if self.rng.gen_bool(0.5) {
                    self.sequential()
                } else {
                    self.random()
                };
                (a, self.rng.gen_bool(0.3))
            }
            Pattern::Conflict => {
                let d = DecodedAddr {
                    channel: self.rng.gen_range(0..self.org.channels),
                    rank: 0,
                    bankgroup: 0,
                    bank: 0,
                    row: self.rng.gen_range(0..self.org.rows),
                    column: 0,
                };
                match self.mapping.encode(&d) {
                    Some(a) => (a, false),
                    None => {
                        return Some(Err(DramError::invalid(
                            "pattern",
                            "conflict",
                            "cannot encode a bank-0 address",
                        )))
                    }
                }
            }
        };
        Some(Ok(TraceRecord {
            addr,
            is_write,
            cycle: 0,
            line: 0,
        }))
    }
}

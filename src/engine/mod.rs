//! The two evaluation engines behind one trait.
//!
//! - [`fast`]: analytical (tile/wave kernels fed by the bandwidth chain, dual-stage network
//!   cost, tile-level overlap, power wall and thermal); microseconds per scenario.
//! - `detailed`: discrete events (DRAM banks and vertical ports, packet network, compute
//!   tiles); seconds per scenario. It shares the description, the lowering, the routing and
//!   the collective schedules with the fast engine, and no timing code.

pub mod detailed;
pub mod fast;
pub mod report;

pub use report::{Breakdown, OperatorTime, Report};

use crate::error::Result;
use crate::scenario::Scenario;

/// Evaluates one scenario. Implementations are deterministic for a given scenario (its
/// options carry the seed), hold no global state, and are `Send + Sync` so a search can run
/// them on every core.
pub trait Evaluator: Send + Sync {
    /// Short name reported in `Report::engine`.
    fn name(&self) -> &'static str;
    /// Evaluate the scenario.
    fn evaluate(&self, scenario: &Scenario) -> Result<Report>;
}

/// The detailed engine as an [`Evaluator`], with its default window and network settings.
pub fn detailed_evaluator() -> Result<Box<dyn Evaluator>> {
    Ok(Box::new(detailed::DetailedEngine::default()))
}

/// Time a stand-alone collective with the detailed engine (packet network defaults; a
/// case's `(packet, header)` sizes, when given, replace the default packetisation).
pub fn detailed_collective(
    case: &crate::collective::CollectiveCase,
    seed: u64,
) -> Result<crate::cli::collective::CollectiveOutput> {
    detailed_collective_with(case, detailed::network::PacketConfig::default(), seed)
}

/// [`detailed_collective`] on a given packet network (e.g. [`PacketConfig::ns3`]
/// to reproduce the NS-3 panels).
///
/// [`PacketConfig::ns3`]: detailed::network::PacketConfig::ns3
pub fn detailed_collective_with(
    case: &crate::collective::CollectiveCase,
    mut cfg: detailed::network::PacketConfig,
    seed: u64,
) -> Result<crate::cli::collective::CollectiveOutput> {
    if let Some((packet, header)) = case.packet {
        cfg.packet_bytes = packet;
        cfg.header_bytes = header;
    }
    let t = detailed::network::collective_timing(case, &cfg, seed)?;
    Ok(crate::cli::collective::CollectiveOutput {
        engine: "detailed".into(),
        op: case.op.name().into(),
        algorithm: t.algorithm.name().into(),
        devices: case.network.devices(),
        bytes: case.bytes,
        time_s: t.time_s,
        hop_time_s: t.hop_time_s,
        link_time_s: t.link_time_s,
        events: Some(t.events),
        wall_s: t.wall_s,
    })
}

//! `deepstack collective`: time one collective on a network.

use super::Format;
use crate::collective::{Algorithm, CollectiveCase, Op};
use crate::network::NetworkSpec;
use crate::units::{parse_quantity, Dimension};
use anyhow::Result;
use serde::Serialize;
use std::process::ExitCode;

/// Arguments of `collective`.
#[derive(clap::Args, Debug, Clone)]
pub struct CollectiveArgs {
    /// Network SPEC, e.g. switch(8,128GB/s,128ns) or torus(4x4,128GB/s,128ns).
    #[arg(long, default_value = "switch(8,370GB/s,1.25us)")]
    pub network: String,
    /// all-reduce, all-gather, reduce-scatter, all-to-all or send-recv.
    #[arg(long, default_value = "all-reduce")]
    pub op: String,
    /// Bytes (all-reduce/reduce-scatter: a rank's buffer; all-gather: one rank's part;
    /// all-to-all: per destination). Units allowed: 64MiB, 1GB.
    #[arg(long, default_value = "1MiB")]
    pub bytes: String,
    /// Algorithm: ring, recursive-doubling, rabenseifner, double-binary-tree, direct, halving-doubling, 2d-ring or pairwise (default: the fastest that applies; pairwise only when named).
    #[arg(long)]
    pub algorithm: Option<String>,
    /// Packet size for header overhead (with --header-bytes).
    #[arg(long)]
    pub packet_bytes: Option<u32>,
    /// Header bytes per packet.
    #[arg(long, default_value_t = 36)]
    pub header_bytes: u32,
    /// fast or detailed.
    #[arg(long, default_value = "fast")]
    pub engine: String,
    /// Seed (detailed engine).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// table, json or csv.
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// What `collective` prints.
#[derive(Clone, Debug, Serialize)]
pub struct CollectiveOutput {
    /// Engine.
    pub engine: String,
    /// Operation.
    pub op: String,
    /// Algorithm timed.
    pub algorithm: String,
    /// Devices.
    pub devices: usize,
    /// Bytes as given.
    pub bytes: f64,
    /// Total time, seconds.
    pub time_s: f64,
    /// Latency part, seconds.
    pub hop_time_s: f64,
    /// Bandwidth part, seconds.
    pub link_time_s: f64,
    /// Events simulated (detailed engine).
    pub events: Option<u64>,
    /// Wall time, seconds.
    pub wall_s: f64,
}

/// Build the case from arguments.
pub fn case(a: &CollectiveArgs) -> crate::error::Result<CollectiveCase> {
    let bytes = parse_quantity(&a.bytes, Dimension::Bytes)
        .map_err(|m| crate::error::invalid("--bytes", &a.bytes, m))?;
    if bytes.is_nan() || bytes <= 0.0 {
        return Err(crate::error::invalid(
            "--bytes",
            &a.bytes,
            "must be positive",
        ));
    }
    if let Some(p) = a.packet_bytes {
        if p <= a.header_bytes {
            return Err(crate::error::invalid(
                "--packet-bytes",
                p,
                format!("must exceed --header-bytes = {}", a.header_bytes),
            ));
        }
    }
    Ok(CollectiveCase {
        network: NetworkSpec::parse(&a.network, "--network")?,
        op: Op::parse(&a.op)?,
        algorithm: a.algorithm.as_deref().map(Algorithm::parse).transpose()?,
        bytes,
        packet: a.packet_bytes.map(|p| (p, a.header_bytes)),
        groups: None,
    })
}

/// Time a case with the named engine.
pub fn time_case(
    c: &CollectiveCase,
    engine: &str,
    seed: u64,
) -> crate::error::Result<CollectiveOutput> {
    let start = std::time::Instant::now();
    match engine {
        "fast" => {
            let t = crate::engine::fast::network::collective_timing(c)?;
            Ok(CollectiveOutput {
                engine: "fast".into(),
                op: c.op.name().into(),
                algorithm: t.algorithm.name().into(),
                devices: c.network.devices(),
                bytes: c.bytes,
                time_s: t.cost.total_s(),
                hop_time_s: t.cost.hop_time_s,
                link_time_s: t.cost.link_time_s,
                events: None,
                wall_s: start.elapsed().as_secs_f64(),
            })
        }
        "detailed" => crate::engine::detailed_collective(c, seed),
        other => Err(crate::error::invalid(
            "--engine",
            other,
            "use fast or detailed",
        )),
    }
}

/// Run the subcommand.
pub fn run(a: &CollectiveArgs) -> Result<ExitCode> {
    let format = Format::parse(&a.format)?;
    let c = case(a)?;
    let out = time_case(&c, &a.engine, a.seed)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&out)?),
        Format::Csv => {
            println!("engine,op,algorithm,devices,bytes,time_s,hop_time_s,link_time_s,wall_s");
            println!(
                "{},{},{},{},{},{:e},{:e},{:e},{:e}",
                out.engine,
                out.op,
                out.algorithm,
                out.devices,
                out.bytes,
                out.time_s,
                out.hop_time_s,
                out.link_time_s,
                out.wall_s
            );
        }
        Format::Table => {
            println!(
                "{} {} of {} B on {} devices ({}), {} engine",
                out.op, out.algorithm, out.bytes, out.devices, c.network, out.engine
            );
            println!("  time       {:>14.3} µs", out.time_s * 1e6);
            println!("  hop part   {:>14.3} µs", out.hop_time_s * 1e6);
            println!("  link part  {:>14.3} µs", out.link_time_s * 1e6);
        }
    }
    Ok(ExitCode::SUCCESS)
}

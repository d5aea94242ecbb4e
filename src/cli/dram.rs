//! `deepstack dram`: replay a DRAMsim3-format trace, or generated traffic, through the
//! detailed DRAM model and print the statistics.

use crate::dram::{self, DramSpec, PagePolicy, Pattern, Stats, TraceReader};
use anyhow::Context;
use std::fs::File;
use std::io::{BufReader, Write};
use std::process::ExitCode;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned `key value` lines.
    Table,
    /// One JSON object.
    Json,
    /// A header line and a value line.
    Csv,
}

/// Page policies on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyArg {
    /// Keep rows open.
    Open,
    /// Close rows no queued request hits.
    Closed,
}

/// Arguments of `deepstack dram`.
#[derive(clap::Args, Debug)]
pub struct DramArgs {
    /// Memory: a preset (hbm2, hbm2e, hbm3, hbm3e), a .toml memory file or a DRAMsim3 .ini file.
    #[arg(long, default_value = "hbm2")]
    pub memory: String,
    /// DRAMsim3-format trace (`0x1a2b3c40 READ 120` per line); read as a stream.
    #[arg(long, conflicts_with = "pattern")]
    pub trace: Option<std::path::PathBuf>,
    /// Generated traffic when no trace is given.
    #[arg(long, value_enum)]
    pub pattern: Option<Pattern>,
    /// Number of generated requests.
    #[arg(long, default_value_t = 100_000)]
    pub requests: u64,
    /// Seed of the generated traffic.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Override the memory's page policy.
    #[arg(long, value_enum)]
    pub page_policy: Option<PolicyArg>,
    /// Device temperature in °C (above 85 °C the refresh interval is halved).
    #[arg(long)]
    pub temperature_c: Option<f64>,
    /// Override the request-queue depth per channel.
    #[arg(long)]
    pub queue_depth: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

fn spec_for(args: &DramArgs) -> anyhow::Result<DramSpec> {
    let mut spec = dram::load_memory(&args.memory)
        .with_context(|| format!("loading memory '{}'", args.memory))?;
    if let Some(p) = args.page_policy {
        spec.controller.page_policy = match p {
            PolicyArg::Open => PagePolicy::Open,
            PolicyArg::Closed => PagePolicy::Closed,
        };
    }
    if let Some(t) = args.temperature_c {
        spec.controller.temperature_c = t;
    }
    if let Some(q) = args.queue_depth {
        spec.controller.queue_depth = q;
    }
    spec.validate().context("checking the memory settings")?;
    Ok(spec)
}

/// Runs the subcommand.
pub fn run(args: &DramArgs) -> anyhow::Result<ExitCode> {
    let spec = spec_for(args)?;
    let stats = match &args.trace {
        Some(path) => {
            let file =
                File::open(path).with_context(|| format!("opening trace {}", path.display()))?;
            let reader = TraceReader::new(
                BufReader::with_capacity(1 << 16, file),
                Some(spec.capacity_bytes()),
            );
            dram::run_records(&spec, reader, args.seed)
                .with_context(|| format!("replaying {}", path.display()))?
        }
        None => {
            let pattern = args.pattern.unwrap_or(Pattern::Stream);
            dram::measure_effective_bandwidth(&spec, pattern, args.requests, args.seed)?
        }
    };
    let text = render(&stats, args.format)?;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("writing the result");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn scalars(s: &Stats) -> Vec<(&'static str, String)> {
    vec![
        ("memory", s.memory.clone()),
        ("seed", s.seed.to_string()),
        ("requests", s.requests.to_string()),
        ("reads", s.reads.to_string()),
        ("writes", s.writes.to_string()),
        ("cycles", s.cycles.to_string()),
        ("simulated_time_s", format!("{:e}", s.simulated_time_s)),
        (
            "bandwidth_bytes_per_s",
            format!("{:e}", s.bandwidth_bytes_per_s),
        ),
        (
            "peak_bandwidth_bytes_per_s",
            format!("{:e}", s.peak_bandwidth_bytes_per_s),
        ),
        (
            "avg_read_latency_ns",
            format!("{:.3}", s.avg_read_latency_ns),
        ),
        (
            "p99_read_latency_ns",
            format!("{:.3}", s.p99_read_latency_ns),
        ),
        (
            "max_read_latency_ns",
            format!("{:.3}", s.max_read_latency_ns),
        ),
        ("row_hit_rate", format!("{:.6}", s.row_hit_rate)),
        ("activates", s.activates.to_string()),
        ("precharges", s.precharges.to_string()),
        ("refreshes", s.refreshes.to_string()),
        ("timing_violations", s.timing_violations.to_string()),
        ("events", s.events.to_string()),
        ("wall_s", format!("{:.6}", s.wall_s)),
    ]
}

/// Renders the statistics in `format`.
pub fn render(stats: &Stats, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => {
            let mut s = serde_json::to_string(stats).context("serializing the result")?;
            s.push('\n');
            s
        }
        Format::Csv => {
            let rows = scalars(stats);
            let head: Vec<&str> = rows.iter().map(|(k, _)| *k).collect();
            let vals: Vec<String> = rows.iter().map(|(_, v)| csv_field(v)).collect();
            format!("{}\n{}\n", head.join(","), vals.join(","))
        }
        Format::Table => {
            let mut s = String::new();
            for (k, v) in scalars(stats) {
                s.push_str(&format!("{k:<28} {v}\n"));
            }
            for line in &stats.violations.first {
                s.push_str(&format!("violation: {line}\n"));
            }
            s
        }
    })
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

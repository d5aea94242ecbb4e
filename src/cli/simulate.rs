//! `deepstack simulate`: evaluate one scenario.

use super::Format;
use crate::collective::Algorithm;
use crate::engine::fast::FastEngine;
use crate::engine::{Evaluator, Report};
use crate::hw::System;
use crate::model::Model;
use crate::network::NetworkSpec;
use crate::parallel::ParallelScheme;
use crate::scenario::{MoeMapping, Options, Scenario};
use crate::workload::{Phase, Workload};
use anyhow::Result;
use std::process::ExitCode;

/// Arguments of `simulate`.
#[derive(clap::Args, Debug, Clone)]
pub struct SimulateArgs {
    /// System preset or TOML file.
    #[arg(long, default_value = "stacked-3d-x8")]
    pub system: String,
    /// Model preset or Hugging Face config.json.
    #[arg(long, default_value = "llama-3-70b")]
    pub model: String,
    /// prefill or decode.
    #[arg(long, default_value = "decode")]
    pub phase: String,
    /// Concurrent requests.
    #[arg(long, default_value_t = 64)]
    pub batch: u32,
    /// Prompt tokens per request.
    #[arg(long, default_value_t = 1024)]
    pub input_len: u32,
    /// Generated tokens per request.
    #[arg(long, default_value_t = 1024)]
    pub output_len: u32,
    /// Parallel degrees, e.g. tp=8,ep=1,sp=1,cp=1,dp=1,pp=1,fsdp=false (default: tp = devices).
    #[arg(long)]
    pub parallel: Option<String>,
    /// Override the device count.
    #[arg(long)]
    pub devices: Option<usize>,
    /// Override the network, e.g. switch(8,256GB/s,128ns)/switch(8,32GB/s,512ns).
    #[arg(long)]
    pub network: Option<String>,
    /// fast or detailed.
    #[arg(long, default_value = "fast")]
    pub engine: String,
    /// Overlap communication with GEMMs tile by tile.
    #[arg(long)]
    pub overlap: bool,
    /// Force one all-reduce algorithm.
    #[arg(long)]
    pub algorithm: Option<String>,
    /// Busiest expert rank's load over the mean.
    #[arg(long, default_value_t = 1.0)]
    pub moe_imbalance: f64,
    /// MoE mapping: replace-only (tp becomes ep in MoE layers) or none.
    #[arg(long, default_value = "replace-only")]
    pub moe_mapping: String,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// table, json or csv.
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// Build the scenario the arguments describe.
pub fn scenario(a: &SimulateArgs) -> crate::error::Result<Scenario> {
    let mut system = System::load(&a.system)?;
    if let Some(n) = &a.network {
        system = system.with_network(NetworkSpec::parse(n, "--network")?);
    }
    if let Some(d) = a.devices {
        system = system.with_devices(d)?;
    }
    let model = Model::load(&a.model)?;
    let workload = Workload {
        phase: Phase::parse(&a.phase)?,
        batch: a.batch,
        input_len: a.input_len,
        output_len: a.output_len,
    };
    let scheme = match &a.parallel {
        Some(p) => ParallelScheme::parse(p)?,
        None => ParallelScheme {
            tp: system.devices() as u32,
            ..ParallelScheme::default()
        },
    };
    let options = Options {
        overlap: a.overlap,
        algorithm: a.algorithm.as_deref().map(Algorithm::parse).transpose()?,
        moe_imbalance: a.moe_imbalance,
        moe_mapping: match a.moe_mapping.as_str() {
            "replace-only" | "replace_only" => MoeMapping::ReplaceOnly,
            "none" => MoeMapping::None,
            other => {
                return Err(crate::error::invalid(
                    "--moe-mapping",
                    other,
                    "use replace-only or none",
                ))
            }
        },
        seed: a.seed,
    };
    Scenario::new(system, model, workload, scheme, options)
}

/// The engine by name.
pub fn engine(name: &str) -> crate::error::Result<Box<dyn Evaluator>> {
    match name {
        "fast" => Ok(Box::new(FastEngine::new())),
        "detailed" => crate::engine::detailed_evaluator(),
        other => Err(crate::error::invalid(
            "--engine",
            other,
            "use fast or detailed",
        )),
    }
}

/// Run the subcommand.
pub fn run(a: &SimulateArgs) -> Result<ExitCode> {
    let format = Format::parse(&a.format)?;
    let s = scenario(a)?;
    let engine = engine(&a.engine)?;
    let r = engine.evaluate(&s)?;
    print_report(&r, format)?;
    Ok(ExitCode::SUCCESS)
}

fn print_report(r: &Report, format: Format) -> Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(r)?),
        Format::Csv => {
            println!("engine,system,model,phase,batch,parallel,throughput_tokens_per_s,utps_tokens_per_s,ttft_s,tpot_s,step_time_s,energy_per_token_j,power_w,peak_temperature_c,feasible,eval_time_s");
            let opt = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:e}"));
            println!(
                "{},{},{},{},{},\"{}\",{:e},{:e},{},{},{:e},{:e},{:e},{:e},{},{:e}",
                r.engine,
                r.system,
                r.model,
                r.phase,
                r.batch,
                r.parallel,
                r.throughput_tokens_per_s,
                r.utps_tokens_per_s,
                opt(r.ttft_s),
                opt(r.tpot_s),
                r.step_time_s,
                r.energy_per_token_j,
                r.power_w,
                r.peak_temperature_c,
                r.feasible,
                r.eval_time_s
            );
        }
        Format::Table => {
            let ms = |x: f64| format!("{:.3} ms", x * 1e3);
            println!(
                "{} engine: {} on {} ({} devices, {} PEs each), {} batch {}, {}",
                r.engine, r.model, r.system, r.devices, r.pe_count, r.phase, r.batch, r.parallel
            );
            println!(
                "  throughput        {:>12.1} tokens/s",
                r.throughput_tokens_per_s
            );
            println!("  per user          {:>12.2} tokens/s", r.utps_tokens_per_s);
            if let Some(t) = r.ttft_s {
                println!("  TTFT              {:>12}", ms(t));
            }
            if let Some(t) = r.tpot_s {
                println!("  TPOT              {:>12}", ms(t));
            }
            println!("  step time         {:>12}", ms(r.step_time_s));
            println!(
                "  energy per token  {:>12.4} J  ({:.2} tokens/J)",
                r.energy_per_token_j, r.tokens_per_joule
            );
            println!(
                "  power per device  {:>12.1} W  (power-wall scale {:.3})",
                r.power_w, r.power_wall_scale
            );
            println!("  temperature       {:>12.1} °C", r.peak_temperature_c);
            println!("  memory            {:>9.1} GB of {:.1} GB per device, effective DRAM bandwidth {:.2} TB/s", r.memory_used_bytes / 1e9, r.memory_capacity_bytes / 1e9, r.effective_memory_bandwidth_bytes_per_s / 1e12);
            println!(
                "  feasible          {:>12}{}",
                r.feasible,
                r.infeasible_reason
                    .as_ref()
                    .map_or(String::new(), |w| format!("  ({w})"))
            );
            if let (Some(sim), Some(ev)) = (r.simulated_layers, r.events) {
                println!(
                    "  simulated layers  {:>12} of {}  ({} events, {:.2e} events/s)",
                    sim,
                    r.total_layers,
                    ev,
                    r.events_per_s.unwrap_or(0.0)
                );
            }
            let b = &r.breakdown;
            println!("  breakdown per step: compute {}, memory {}, exposed network {}, launch overhead {}", ms(b.compute_s), ms(b.memory_s), ms(b.exposed_network_s), ms(b.overhead_s));
            let mut ops = b.operators.clone();
            ops.sort_by(|x, y| y.time_s.total_cmp(&x.time_s));
            for o in ops.iter().take(8) {
                println!("    {:<8} {:<20} {:>12}", o.class, o.name, ms(o.time_s));
            }
            println!("  evaluated in {:.1} µs", r.eval_time_s * 1e6);
        }
    }
    Ok(())
}

//! `deepstack presets`: list built-in systems, models, memories and networks.

use super::Format;
use crate::hw::{System, PRESETS};
use crate::model::{Model, PRESET_NAMES};
use anyhow::Result;
use std::process::ExitCode;

/// Arguments of `presets`.
#[derive(clap::Args, Debug, Clone)]
pub struct PresetsArgs {
    /// table or json.
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// Run the subcommand.
pub fn run(a: &PresetsArgs) -> Result<ExitCode> {
    let format = Format::parse(&a.format)?;
    let mut systems = Vec::new();
    for (name, _) in PRESETS {
        let s = System::load(name)?;
        systems.push(serde_json::json!({
            "name": name,
            "description": s.description,
            "devices": s.devices(),
            "pe_count": s.pe_count(),
            "network": s.network.to_string(),
            "memory_capacity_bytes": s.memory.capacity_bytes(),
            "peak_memory_bandwidth_bytes_per_s": s.memory.peak_bandwidth(),
            "effective_memory_bandwidth_bytes_per_s": s.bandwidth_chain().effective,
            "peak_fp16_flops": s.peak_tensor_flops(crate::hw::Precision::Bf16),
        }));
    }
    let mut models = Vec::new();
    for name in PRESET_NAMES {
        let m = Model::load(name)?;
        models.push(serde_json::json!({
            "name": name,
            "layers": m.layers,
            "hidden": m.hidden,
            "parameters": m.total_params(),
            "moe": m.moe.is_some(),
            "weight_precision": m.weight_precision,
        }));
    }
    let memories: Vec<String> = ["hbm2", "hbm2e", "hbm3", "hbm3e"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"systems": systems, "models": models, "memories": memories})
            )?
        ),
        _ => {
            println!("systems:");
            for s in &systems {
                println!(
                    "  {:<16} {}",
                    s["name"].as_str().unwrap_or(""),
                    s["description"].as_str().unwrap_or("")
                );
                println!(
                    "  {:<16} network {}",
                    "",
                    s["network"].as_str().unwrap_or("")
                );
            }
            println!("models:");
            for m in &models {
                println!(
                    "  {:<16} {:>4} layers, {:.1} B parameters",
                    m["name"].as_str().unwrap_or(""),
                    m["layers"],
                    m["parameters"].as_f64().unwrap_or(0.0) / 1e9
                );
            }
            println!(
                "memories (deepstack dram --memory): {}",
                memories.join(", ")
            );
            println!("networks: any --network SPEC, e.g. switch(8,256GB/s,128ns)/switch(8,32GB/s,512ns) or torus(8x8,128GB/s,128ns)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

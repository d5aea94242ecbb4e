//! The thin clap layer: every subcommand parses its arguments, calls the library and prints.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub mod collective;
pub mod dram;
pub mod presets;
pub mod simulate;
pub mod validate;

/// Top-level command line.
#[derive(Debug, Parser)]
#[command(
    name = "deepstack",
    version,
    about = "Design-space exploration for distributed 3D-stacked AI accelerators serving LLMs"
)]
pub struct Cli {
    /// The subcommand (default: simulate on the built-in defaults).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate one scenario (system, model, workload, parallel scheme).
    Simulate(simulate::SimulateArgs),
    /// Time one collective on a network.
    Collective(collective::CollectiveArgs),
    /// Replay a DRAM trace (or generated traffic) through the detailed DRAM model.
    Dram(dram::DramArgs),
    /// List built-in systems, models, memories and networks.
    Presets(presets::PresetsArgs),
    /// Run both engines (and external references) over a suite and report the errors.
    Validate(validate::ValidateArgs),
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Human-readable table.
    Table,
    /// One JSON object.
    Json,
    /// CSV with a header.
    Csv,
}

impl Format {
    /// Parse `table`, `json` or `csv`.
    pub fn parse(s: &str) -> crate::error::Result<Format> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            _ => Err(crate::error::invalid(
                "--format",
                s,
                "use table, json or csv",
            )),
        }
    }
}

/// Parse the process arguments, run, and map the outcome to an exit code
/// (0 ok, 1 check failed, 2 error).
pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let command = cli.command.unwrap_or_else(|| {
        Command::Simulate(simulate::SimulateArgs {
            system: "stacked-3d-x8".into(),
            model: "llama-3-70b".into(),
            phase: "decode".into(),
            batch: 64,
            input_len: 1024,
            output_len: 1024,
            parallel: None,
            devices: None,
            network: None,
            engine: "fast".into(),
            overlap: false,
            algorithm: None,
            moe_imbalance: 1.0,
            moe_mapping: "replace-only".into(),
            seed: 0,
            format: "table".into(),
        })
    });
    let result = match command {
        Command::Simulate(a) => simulate::run(&a),
        Command::Collective(a) => collective::run(&a),
        Command::Dram(a) => dram::run(&a),
        Command::Presets(a) => presets::run(&a),
        Command::Validate(a) => validate::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

//! The thin clap layer: every subcommand parses its arguments, calls the library and prints.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub mod dram;

/// Top-level command line.
#[derive(Debug, Parser)]
#[command(name = "deepstack", version, about = "Design-space exploration for distributed 3D-stacked AI accelerators")]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a DRAM trace (or generated traffic) through the detailed DRAM model.
    Dram(dram::DramArgs),
}

/// Parse the process arguments, run, and map the outcome to an exit code
/// (0 ok, 1 check failed, 2 error).
pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let result = match cli.command {
        Command::Dram(a) => dram::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

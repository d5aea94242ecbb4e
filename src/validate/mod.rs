//! `deepstack validate`: the two engines against each other and against measurements.
//!
//! A [`suite`] lists cases: scenarios, collectives and DRAM stacks run through both
//! engines (the detailed engine is the reference), and points of the external references
//! in `validation/references/` (NS-3 collective panels, vLLM decode on 8×B200, fused
//! kernels on 8×H100) run through one or both engines. [`run`] evaluates every case,
//! recording wall times; a case whose engine is unavailable or fails is kept as "not run"
//! with the reason. [`report`] groups the cases and computes the [statistics](stats)
//! (weighted error, MAPE, max error, bias, Pearson, Spearman, Kendall, a seeded bootstrap
//! interval of the MAPE, speedups), checks them against the [budgets](budget) and renders
//! a table, JSON or CSV; [`plot`] draws parity plots and the accuracy-versus-speed figure.
//!
//! ```no_run
//! use deepstack::validate::{budget::Budgets, report, run, suite::Suite};
//! use std::path::Path;
//! let suite = Suite::load(Path::new("validation/quick.toml"), None)?;
//! let budgets = Budgets::load(Path::new("validation/budgets.toml"))?;
//! let cases = run::run_jobs(&suite.jobs, &run::Engines::standard(), &run::RunOptions::new(suite.seed))?;
//! let r = report::build(&suite.name, suite.seed, None, cases, &budgets);
//! println!("{}", report::render_table(&r));
//! # Ok::<(), deepstack::validate::ValidateError>(())
//! ```

pub mod budget;
pub mod plot;
pub mod references;
pub mod report;
pub mod run;
pub mod stats;
pub mod suite;

use std::path::PathBuf;

/// Errors of loading suites and budgets, writing results and drawing figures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateError {
    /// One entry of a suite is wrong.
    #[error("{file}: [[{entry}]] '{id}': {message}")]
    Case {
        /// The suite file.
        file: String,
        /// The entry kind (`scenario`, `collective`, `dram`, `ns3`, `vllm`, `h100`).
        entry: &'static str,
        /// The entry's id (or its panel, model or file for reference entries).
        id: String,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A suite or budget file as a whole is wrong.
    #[error("{file}: {message}")]
    File {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A figure could not be drawn.
    #[error("drawing {path}: {message}")]
    Plot {
        /// The figure.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

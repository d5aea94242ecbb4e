//! `deepstack validate`: run a validation suite through both engines and against the
//! external references, print the statistics per group, optionally draw the figures and
//! check the error budgets (exit 1 naming every group over budget).

use super::Format;
use crate::validate::budget::Budgets;
use crate::validate::run::{read_cases, run_jobs, Engines, Perturb, RunOptions};
use crate::validate::suite::Suite;
use crate::validate::{plot, report};
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The suite run without `--suite`.
pub const DEFAULT_SUITE: &str = "validation/default.toml";
/// The suite `--quick` runs.
pub const QUICK_SUITE: &str = "validation/quick.toml";

/// Arguments of `validate`.
#[derive(clap::Args, Debug, Clone)]
pub struct ValidateArgs {
    /// Suite file (TOML; see docs/validation.md).
    #[arg(long, default_value = DEFAULT_SUITE)]
    pub suite: PathBuf,
    /// Run the quick suite (validation/quick.toml) instead.
    #[arg(long, conflicts_with = "suite")]
    pub quick: bool,
    /// table, json or csv (csv: one row per group).
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Write SVG figures (parity plot per group, accuracy versus speed) into DIR.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Exit 1, naming each group over its budget, if any group is over budget.
    #[arg(long)]
    pub check: bool,
    /// Budget file (default: budgets.toml next to the suite).
    #[arg(long, value_name = "FILE")]
    pub budgets: Option<PathBuf>,
    /// Seed of every engine and of the bootstrap (default: the suite's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also write every case as a JSON line to FILE as soon as it finishes.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Do not run: rebuild the report (table, JSON, CSV, figures, check) from the cases an
    /// earlier run wrote with --out.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["out", "perturb"])]
    pub from: Option<PathBuf>,
    /// Run only groups matching PATTERN (`*` wildcards; repeatable).
    #[arg(long = "group", value_name = "PATTERN")]
    pub groups: Vec<String>,
    /// Scale one engine's results, ENGINE=FACTOR (e.g. fast=1.2), to prove that --check
    /// catches a regression.
    #[arg(long, hide = true, value_name = "ENGINE=FACTOR")]
    pub perturb: Option<String>,
}

/// `path` as given if it exists or is not the built-in default; otherwise the default under
/// the source tree, so `deepstack validate` works from any directory of a checkout.
fn locate(path: &Path, builtin: &str) -> PathBuf {
    if path.exists() || path != Path::new(builtin) {
        return path.to_path_buf();
    }
    let fallback = Path::new(env!("CARGO_MANIFEST_DIR")).join(builtin);
    if fallback.exists() {
        fallback
    } else {
        path.to_path_buf()
    }
}

/// Run the subcommand.
pub fn run(a: &ValidateArgs) -> Result<ExitCode> {
    let format = Format::parse(&a.format)?;
    let perturb = a
        .perturb
        .as_deref()
        .map(Perturb::parse)
        .transpose()
        .map_err(|m| crate::error::invalid("--perturb", a.perturb.as_deref().unwrap_or(""), m))?;
    let suite_path = if a.quick {
        locate(Path::new(QUICK_SUITE), QUICK_SUITE)
    } else {
        locate(&a.suite, DEFAULT_SUITE)
    };
    let mut suite = Suite::load(&suite_path, a.seed).context("loading the suite")?;
    suite.select_groups(&a.groups);
    if suite.jobs.is_empty() {
        bail!(
            "no case of {} is in a group matching {}",
            suite_path.display(),
            a.groups.join(", ")
        );
    }
    let budgets_path = a.budgets.clone().unwrap_or_else(|| {
        suite_path
            .parent()
            .unwrap_or(Path::new("."))
            .join("budgets.toml")
    });
    let budgets = if a.budgets.is_some() || a.check || budgets_path.exists() {
        Budgets::load(&budgets_path).context("loading the budgets")?
    } else {
        Budgets::default()
    };
    let opts = RunOptions {
        seed: suite.seed,
        perturb,
        out: a.out.clone(),
        progress: true,
    };
    let start = std::time::Instant::now();
    let cases = match &a.from {
        Some(f) => {
            let keep: std::collections::HashSet<&str> = suite.jobs.iter().map(|j| j.id()).collect();
            let groups: std::collections::HashSet<String> =
                suite.jobs.iter().flat_map(|j| j.groups()).collect();
            read_cases(f, &suite.jobs)?
                .into_iter()
                .filter(|c| keep.contains(c.id.as_str()) && groups.contains(&c.group))
                .collect()
        }
        None => run_jobs(&suite.jobs, &Engines::standard(), &opts)?,
    };
    let wall = start.elapsed().as_secs_f64();
    let r = report::build(&suite.name, suite.seed, perturb, cases, &budgets);
    let text = match format {
        Format::Table => report::render_table(&r),
        Format::Json => report::render_json(&r).context("serializing the report")? + "\n",
        Format::Csv => report::render_csv(&r),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("writing the report");
        }
    }
    match &a.from {
        Some(f) => eprintln!(
            "validate: {} cases of suite {} read from {}",
            r.cases.len(),
            suite.name,
            f.display()
        ),
        None => eprintln!(
            "validate: {} cases of suite {} in {wall:.1} s",
            r.cases.len(),
            suite.name
        ),
    }
    if let Some(dir) = &a.plot {
        let files = plot::write_all(dir, &r)?;
        eprintln!(
            "validate: wrote {} figures to {}",
            files.len(),
            dir.display()
        );
    }
    if a.check && !r.check.passed {
        for f in &r.check.failed_groups {
            eprintln!("over budget: {f}");
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

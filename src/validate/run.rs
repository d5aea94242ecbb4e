//! Runs a suite's jobs through the engines: in parallel (rayon; every job is independent
//! and the engines hold no shared mutable state), with a progress bar on stderr, writing each
//! case as a JSON line to an optional file the moment its job finishes, so an interrupted
//! run loses nothing. Results come back in suite order whatever the completion order.
//!
//! Wall times: the fast engine is timed cold (a fresh engine per case, so its topology and
//! routing caches start empty), which understates its speed in a search and so gives a
//! conservative speedup. The detailed engine is timed around its whole evaluation.
//!
//! A case whose detailed engine is unavailable or fails is kept with status `not_run` and
//! the reason; a case whose fast engine fails has status `error` (that is a bug to fix).
//!
//! DRAM cases compare the fast chain's memory side — `after_connectivity` (peak × η) times
//! the utilisation cap, which stands for what the chain does not itemise, refresh foremost —
//! with the steady-state bandwidth the detailed stack measures on the case's pattern. The
//! later chain stages (vertical links, the PEs' shared memory) are not in the DRAM model.
//! Steady state: the run at N requests minus the run at N/2, so the pipeline's fill and
//! drain (a few hundred nanoseconds, a large share of a short run on a wide stack) cancel.

use super::references::kernel_prediction;
use super::suite::{engine_group, Engine, Job};
use super::ValidateError;
use crate::cli::collective::{time_case, CollectiveOutput};
use crate::collective::CollectiveCase;
use crate::engine::fast::FastEngine;
use crate::engine::Evaluator;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// A detailed collective timer: `(case, seed)` to the collective command's output.
pub type CollectiveFn =
    dyn Fn(&CollectiveCase, u64) -> crate::error::Result<CollectiveOutput> + Send + Sync;

/// The detailed side of a run (the fast side is always [`FastEngine`]).
pub struct Engines {
    /// The detailed scenario engine, or why it is unavailable.
    pub detailed: Result<Box<dyn Evaluator>, String>,
    /// The detailed collective timer.
    pub detailed_collective: Box<CollectiveFn>,
}

impl Engines {
    /// The engines `simulate --engine detailed` and `collective --engine detailed` use.
    pub fn standard() -> Engines {
        Engines {
            detailed: crate::engine::detailed_evaluator().map_err(|e| e.to_string()),
            detailed_collective: Box::new(|c, seed| time_case(c, "detailed", seed)),
        }
    }
}

/// A deliberate error injected into one engine's results (every value it produces is
/// multiplied by `factor`), to prove that a check catches a regression.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Perturb {
    /// The engine whose results are scaled.
    pub engine: Engine,
    /// The scale.
    pub factor: f64,
}

impl Perturb {
    /// Parse `ENGINE=FACTOR`, e.g. `fast=1.1`.
    pub fn parse(text: &str) -> Result<Perturb, String> {
        let (e, f) = text
            .split_once('=')
            .ok_or_else(|| format!("'{text}' is not ENGINE=FACTOR, e.g. fast=1.1"))?;
        let engine = Engine::parse(e.trim())
            .ok_or_else(|| format!("'{e}' is not an engine (use fast or detailed)"))?;
        let factor: f64 = f
            .trim()
            .parse()
            .map_err(|_| format!("'{f}' is not a number"))?;
        if !(factor.is_finite() && factor > 0.0) {
            return Err(format!("factor {factor} must be positive"));
        }
        Ok(Perturb { engine, factor })
    }
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Seed of every engine.
    pub seed: u64,
    /// Deliberate error, if any.
    pub perturb: Option<Perturb>,
    /// JSON-lines file receiving each case as it finishes.
    pub out: Option<PathBuf>,
    /// Draw a progress bar on stderr (drawn only when stderr is a terminal).
    pub progress: bool,
}

impl RunOptions {
    /// Seeded options without perturbation, output file or progress bar.
    pub fn new(seed: u64) -> RunOptions {
        RunOptions {
            seed,
            perturb: None,
            out: None,
            progress: false,
        }
    }
}

/// Whether a case was compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Both sides have a value.
    Ok,
    /// The detailed engine is unavailable or failed.
    NotRun,
    /// The fast engine failed, or a value is not usable.
    Error,
}

/// What a group compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    /// The fast engine against the detailed one.
    FastVsDetailed,
    /// The fast engine against a measurement or another simulator.
    FastVsReference,
    /// The detailed engine against a measurement or another simulator.
    DetailedVsReference,
}

impl GroupKind {
    /// Name.
    pub fn name(self) -> &'static str {
        match self {
            GroupKind::FastVsDetailed => "fast-vs-detailed",
            GroupKind::FastVsReference => "fast-vs-reference",
            GroupKind::DetailedVsReference => "detailed-vs-reference",
        }
    }
}

/// One compared value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Case id (with `engine`, unique in a run).
    pub id: String,
    /// Group.
    pub group: String,
    /// What the group compares.
    pub kind: GroupKind,
    /// Entry kind: scenario, collective, dram, ns3, vllm or h100.
    pub source: String,
    /// One line describing the case.
    pub label: String,
    /// Compared quantity.
    pub metric: String,
    /// Its unit.
    pub unit: String,
    /// The engine whose value is judged.
    pub engine: Engine,
    /// Where the reference value comes from (`detailed`, `ns3`, `vllm-b200`, `h100`).
    pub reference_source: String,
    /// The judged value.
    pub predicted: Option<f64>,
    /// The reference value.
    pub reference: Option<f64>,
    /// `100 (predicted − reference) / reference`.
    pub signed_error_pct: Option<f64>,
    /// Its absolute value.
    pub abs_error_pct: Option<f64>,
    /// Fast engine wall time, seconds, if it ran on this case.
    pub fast_wall_s: Option<f64>,
    /// Detailed engine wall time, seconds, if it ran on this case.
    pub detailed_wall_s: Option<f64>,
    /// `detailed_wall_s / fast_wall_s` when both ran.
    pub speedup: Option<f64>,
    /// Whether the case was compared.
    pub status: Status,
    /// Why not, if not.
    pub reason: Option<String>,
}

impl CaseResult {
    /// Wall time of the judged engine.
    pub fn wall_s(&self) -> Option<f64> {
        match self.engine {
            Engine::Fast => self.fast_wall_s,
            Engine::Detailed => self.detailed_wall_s,
        }
    }
}

/// One side of a comparison.
#[derive(Clone, Debug)]
struct Side {
    value: Result<f64, (Status, String)>,
    wall_s: Option<f64>,
}

impl Side {
    fn reference(v: f64) -> Side {
        Side {
            value: Ok(v),
            wall_s: None,
        }
    }
    fn not_run(reason: &str) -> Side {
        Side {
            value: Err((Status::NotRun, reason.to_string())),
            wall_s: None,
        }
    }
}

/// Run `f` as `engine`, timing it and applying the perturbation.
fn measure(engine: Engine, o: &RunOptions, f: impl FnOnce() -> Result<f64, String>) -> Side {
    let start = Instant::now();
    let r = f();
    let wall = start.elapsed().as_secs_f64();
    let scale = o
        .perturb
        .filter(|p| p.engine == engine)
        .map_or(1.0, |p| p.factor);
    match r {
        Ok(v) => Side {
            value: Ok(v * scale),
            wall_s: Some(wall),
        },
        Err(m) => {
            let status = match engine {
                Engine::Fast => Status::Error,
                Engine::Detailed => Status::NotRun,
            };
            Side {
                value: Err((status, format!("{} engine: {m}", engine.name()))),
                wall_s: None,
            }
        }
    }
}

/// Describes a comparison.
struct Meta<'a> {
    id: &'a str,
    group: String,
    kind: GroupKind,
    source: &'static str,
    label: &'a str,
    metric: &'static str,
    unit: &'static str,
    engine: Engine,
    reference_source: &'static str,
}

fn compare(
    m: Meta,
    predicted: &Side,
    reference: &Side,
    fast_wall: Option<f64>,
    detailed_wall: Option<f64>,
) -> CaseResult {
    let mut status = Status::Ok;
    let mut reason = None;
    for side in [predicted, reference] {
        if let Err((s, r)) = &side.value {
            if status == Status::Ok || *s == Status::Error {
                status = *s;
                reason = Some(r.clone());
            }
        }
    }
    let p = predicted.value.as_ref().ok().copied();
    let r = reference.value.as_ref().ok().copied();
    let mut signed = None;
    if let (Some(p), Some(r)) = (p, r) {
        signed = super::stats::signed_error_pct(p, r);
        if signed.is_none() {
            status = Status::Error;
            reason = Some(format!("values {p} (predicted) and {r} (reference) cannot be compared: need finite values and a positive reference"));
        }
    }
    let speedup = match (fast_wall, detailed_wall) {
        (Some(f), Some(d)) if f > 0.0 => Some(d / f),
        _ => None,
    };
    CaseResult {
        id: m.id.to_string(),
        group: m.group,
        kind: m.kind,
        source: m.source.to_string(),
        label: m.label.to_string(),
        metric: m.metric.to_string(),
        unit: m.unit.to_string(),
        engine: m.engine,
        reference_source: m.reference_source.to_string(),
        predicted: p,
        reference: r,
        signed_error_pct: signed,
        abs_error_pct: signed.map(f64::abs),
        fast_wall_s: fast_wall,
        detailed_wall_s: detailed_wall,
        speedup,
        status,
        reason,
    }
}

fn text<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Fast then detailed on the same evaluation; the detailed one is skipped if the fast one
/// failed (the case is an error either way).
fn both(
    o: &RunOptions,
    fast: impl FnOnce() -> Result<f64, String>,
    detailed: impl FnOnce() -> Result<f64, String>,
) -> (Side, Side) {
    let f = measure(Engine::Fast, o, fast);
    let d = if f.value.is_ok() {
        measure(Engine::Detailed, o, detailed)
    } else {
        Side::not_run("skipped: the fast engine failed")
    };
    (f, d)
}

fn detailed_scenario(
    e: &Engines,
    s: &crate::scenario::Scenario,
    metric: super::suite::Metric,
) -> Result<f64, String> {
    let ev = e.detailed.as_ref().map_err(Clone::clone)?;
    let r = ev.evaluate(s).map_err(text)?;
    metric
        .value(&r)
        .ok_or_else(|| format!("the report has no {}", metric.name()))
}

fn fast_scenario(
    s: &crate::scenario::Scenario,
    metric: super::suite::Metric,
) -> Result<f64, String> {
    let r = FastEngine::new().evaluate(s).map_err(text)?;
    metric
        .value(&r)
        .ok_or_else(|| format!("the report has no {}", metric.name()))
}

/// Evaluate one job.
pub fn run_job(job: &Job, e: &Engines, o: &RunOptions) -> Vec<CaseResult> {
    let seed = o.seed;
    match job {
        Job::Scenario(j) => {
            let (f, d) = both(
                o,
                || fast_scenario(&j.scenario, j.metric),
                || detailed_scenario(e, &j.scenario, j.metric),
            );
            let meta = Meta {
                id: &j.id,
                group: j.group.clone(),
                kind: GroupKind::FastVsDetailed,
                source: "scenario",
                label: &j.label,
                metric: j.metric.name(),
                unit: j.metric.unit(),
                engine: Engine::Fast,
                reference_source: "detailed",
            };
            vec![compare(meta, &f, &d, f.wall_s, d.wall_s)]
        }
        Job::Collective(j) => {
            let (f, d) = both(
                o,
                || {
                    time_case(&j.case, "fast", seed)
                        .map(|r| r.time_s)
                        .map_err(text)
                },
                || {
                    (e.detailed_collective)(&j.case, seed)
                        .map(|r| r.time_s)
                        .map_err(text)
                },
            );
            let meta = Meta {
                id: &j.id,
                group: j.group.clone(),
                kind: GroupKind::FastVsDetailed,
                source: "collective",
                label: &j.label,
                metric: "time",
                unit: "s",
                engine: Engine::Fast,
                reference_source: "detailed",
            };
            vec![compare(meta, &f, &d, f.wall_s, d.wall_s)]
        }
        Job::Dram(j) => {
            let (f, d) = both(
                o,
                || {
                    Ok(j.system.bandwidth_chain().after_connectivity
                        * j.system.device.memory_max_utilization)
                },
                || steady_dram_bandwidth(j, seed),
            );
            let meta = Meta {
                id: &j.id,
                group: j.group.clone(),
                kind: GroupKind::FastVsDetailed,
                source: "dram",
                label: &j.label,
                metric: "bandwidth",
                unit: "B/s",
                engine: Engine::Fast,
                reference_source: "detailed",
            };
            vec![compare(meta, &f, &d, f.wall_s, d.wall_s)]
        }
        Job::Ns3(j) => {
            let reference = Side::reference(j.point.ns3_ns.unwrap_or(f64::NAN));
            let sides: Vec<(Engine, Side)> = j
                .engines
                .iter()
                .map(|&engine| {
                    let side = match engine {
                        Engine::Fast => measure(engine, o, || {
                            time_case(&j.point.case, "fast", seed)
                                .map(|r| r.time_s * 1e9)
                                .map_err(text)
                        }),
                        Engine::Detailed => measure(engine, o, || {
                            // The panel's packet convention is the fast engine's; the detailed
                            // engine moves the raw payload in the packets NS-3 used, on NS-3's
                            // clock.
                            let mut case = crate::engine::detailed::network::ns3_case(&j.point)
                                .map_err(text)?;
                            case.packet = None;
                            crate::engine::detailed_collective_with(
                                &case,
                                crate::engine::detailed::network::PacketConfig::ns3(),
                                seed,
                            )
                            .map(|r| r.time_s * 1e9)
                            .map_err(text)
                        }),
                    };
                    (engine, side)
                })
                .collect();
            reference_results(
                j.id.as_str(),
                &j.group_prefix,
                "ns3",
                &j.label,
                "time",
                "ns",
                "ns3",
                &sides,
                &reference,
            )
        }
        Job::Vllm(j) => {
            let metric = super::suite::Metric::Throughput;
            let reference = Side::reference(j.measured);
            let sides: Vec<(Engine, Side)> = j
                .engines
                .iter()
                .map(|&engine| {
                    let side = match engine {
                        Engine::Fast => measure(engine, o, || fast_scenario(&j.scenario, metric)),
                        Engine::Detailed => {
                            measure(engine, o, || detailed_scenario(e, &j.scenario, metric))
                        }
                    };
                    (engine, side)
                })
                .collect();
            reference_results(
                &j.id,
                &j.group_prefix,
                "vllm",
                &j.label,
                "throughput",
                "tokens/s",
                "vllm-b200",
                &sides,
                &reference,
            )
        }
        Job::Kernel(j) => {
            let f = measure(Engine::Fast, o, || {
                kernel_prediction(&j.system, j.kernel, &j.row, j.overlap).map_err(text)
            });
            let reference = Side::reference(j.row.measured_s);
            reference_results(
                &j.id,
                &j.group_prefix,
                "h100",
                &j.label,
                "time",
                "s",
                "h100",
                &[(Engine::Fast, f)],
                &reference,
            )
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn reference_results(
    id: &str,
    prefix: &str,
    source: &'static str,
    label: &str,
    metric: &'static str,
    unit: &'static str,
    reference_source: &'static str,
    sides: &[(Engine, Side)],
    reference: &Side,
) -> Vec<CaseResult> {
    let wall = |engine: Engine| {
        sides
            .iter()
            .find(|(e, _)| *e == engine)
            .and_then(|(_, s)| s.wall_s)
    };
    sides
        .iter()
        .map(|(engine, side)| {
            let meta = Meta {
                id,
                group: engine_group(prefix, *engine),
                kind: match engine {
                    Engine::Fast => GroupKind::FastVsReference,
                    Engine::Detailed => GroupKind::DetailedVsReference,
                },
                source,
                label,
                metric,
                unit,
                engine: *engine,
                reference_source,
            };
            compare(
                meta,
                side,
                reference,
                wall(Engine::Fast),
                wall(Engine::Detailed),
            )
        })
        .collect()
}

/// Run every job (in parallel), returning the case results in job order.
pub fn run_jobs(
    jobs: &[Job],
    engines: &Engines,
    opts: &RunOptions,
) -> Result<Vec<CaseResult>, ValidateError> {
    let out = match &opts.out {
        Some(p) => Some(Mutex::new(BufWriter::new(File::create(p).map_err(
            |e| ValidateError::Io {
                path: p.clone(),
                source: e,
            },
        )?))),
        None => None,
    };
    let write_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    let bar = if opts.progress {
        ProgressBar::with_draw_target(Some(jobs.len() as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "validate [{bar:30}] {pos}/{len} cases  {elapsed_precise} (eta {eta})  {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let results: Vec<Vec<CaseResult>> = jobs
        .par_iter()
        .with_max_len(1)
        .map(|job| {
            let r = run_job(job, engines, opts);
            if let Some(w) = &out {
                if let Ok(mut w) = w.lock() {
                    let res = r
                        .iter()
                        .try_for_each(|c| {
                            serde_json::to_writer(&mut *w, c).map_err(std::io::Error::other)?;
                            w.write_all(b"\n")
                        })
                        .and_then(|_| w.flush());
                    if let Err(err) = res {
                        if let Ok(mut slot) = write_error.lock() {
                            slot.get_or_insert(err);
                        }
                    }
                }
            }
            bar.set_message(job.id().to_string());
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    if let (Some(p), Ok(mut slot)) = (&opts.out, write_error.lock()) {
        if let Some(err) = slot.take() {
            return Err(ValidateError::Io {
                path: p.clone(),
                source: err,
            });
        }
    }
    Ok(results.into_iter().flatten().collect())
}

/// Read the case results a run wrote with [`RunOptions::out`] (one JSON object per line),
/// ordered as `jobs` orders their ids (cases of unknown ids last, in file order), so a
/// report can be rebuilt, re-checked or re-plotted without running anything.
pub fn read_cases(path: &std::path::Path, jobs: &[Job]) -> Result<Vec<CaseResult>, ValidateError> {
    let text = std::fs::read_to_string(path).map_err(|e| ValidateError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut cases = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let c: CaseResult = serde_json::from_str(line).map_err(|e| ValidateError::File {
            file: format!("{}:{}", path.display(), i + 1),
            message: e.to_string(),
        })?;
        cases.push(c);
    }
    let order: std::collections::HashMap<&str, usize> =
        jobs.iter().enumerate().map(|(i, j)| (j.id(), i)).collect();
    let engine_rank = |e: Engine| match e {
        Engine::Fast => 0,
        Engine::Detailed => 1,
    };
    cases.sort_by_key(|c| {
        (
            order.get(c.id.as_str()).copied().unwrap_or(usize::MAX),
            engine_rank(c.engine),
        )
    });
    Ok(cases)
}

/// The detailed stack's steady-state bandwidth on a DRAM case: bytes and simulated time of
/// the run at `requests` minus those of the run at half as many.
fn steady_dram_bandwidth(j: &super::suite::DramJob, seed: u64) -> Result<f64, String> {
    let run = |n: u64| -> Result<(f64, f64), String> {
        let s = crate::dram::measure_effective_bandwidth(&j.spec, j.pattern, n, seed)
            .map_err(|e| e.to_string())?;
        if s.timing_violations > 0 {
            return Err(format!(
                "the protocol checker found {} timing violations",
                s.timing_violations
            ));
        }
        Ok((
            s.bandwidth_bytes_per_s * s.simulated_time_s,
            s.simulated_time_s,
        ))
    };
    let (bytes_full, t_full) = run(j.requests)?;
    if j.requests < 4 {
        return Ok(bytes_full / t_full.max(f64::MIN_POSITIVE));
    }
    let (bytes_half, t_half) = run(j.requests / 2)?;
    let dt = t_full - t_half;
    if dt <= 0.0 {
        return Err("the longer DRAM run did not take longer".to_string());
    }
    Ok((bytes_full - bytes_half) / dt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Report;
    use crate::scenario::Scenario;
    use crate::validate::suite::Suite;
    use std::path::Path;

    /// A stand-in detailed engine: the fast engine's report with throughput scaled.
    struct Scaled(f64);

    impl Evaluator for Scaled {
        fn name(&self) -> &'static str {
            "detailed"
        }
        fn evaluate(&self, s: &Scenario) -> crate::error::Result<Report> {
            let mut r = FastEngine::new().evaluate(s)?;
            r.throughput_tokens_per_s *= self.0;
            Ok(r)
        }
    }

    fn suite() -> Suite {
        let text = r#"
            [[scenario]]
            id = "l8b"
            system = "stacked-3d-x8"
            model = "llama-3-8b"
            batch = [1, 8, 64]
            [[collective]]
            id = "ar"
            network = "switch(8,128GB/s,128ns)"
            op = "all-reduce"
            bytes = ["64KiB", "4MiB"]
        "#;
        match Suite::from_toml(text, Path::new("t.toml"), Some(3)) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn both_engines_compared_with_walls_and_speedups() {
        let engines = Engines {
            detailed: Ok(Box::new(Scaled(0.8))),
            detailed_collective: Box::new(|c, seed| {
                let mut r = time_case(c, "fast", seed)?;
                r.time_s *= 1.1;
                Ok(r)
            }),
        };
        let cases = match run_jobs(&suite().jobs, &engines, &RunOptions::new(3)) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(cases.len(), 5);
        assert_eq!(cases[0].id, "l8b-b1");
        for c in &cases {
            assert_eq!(c.status, Status::Ok, "{c:?}");
            assert!(c.speedup.is_some_and(|s| s > 0.0));
        }
        // fast = detailed / 0.8: +25 %; fast = detailed / 1.1: −9.09 %.
        assert!((cases[0].signed_error_pct.unwrap_or(0.0) - 25.0).abs() < 1e-9);
        assert!((cases[4].signed_error_pct.unwrap_or(0.0) + 100.0 / 11.0).abs() < 1e-9);
    }

    #[test]
    fn unavailable_detailed_engine_leaves_cases_not_run() {
        let engines = Engines {
            detailed: Err("not in this build".into()),
            detailed_collective: Box::new(|_, _| {
                Err(crate::error::invalid(
                    "--engine",
                    "detailed",
                    "not in this build",
                ))
            }),
        };
        let cases = match run_jobs(&suite().jobs, &engines, &RunOptions::new(3)) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert!(cases
            .iter()
            .all(|c| c.status == Status::NotRun && c.predicted.is_some() && c.reference.is_none()));
        assert!(cases[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("not in this build")));
    }

    #[test]
    fn cases_written_as_they_finish_read_back_in_suite_order() {
        let engines = Engines {
            detailed: Ok(Box::new(Scaled(0.9))),
            detailed_collective: Box::new(|c, seed| time_case(c, "fast", seed)),
        };
        let path = std::env::temp_dir().join(format!(
            "deepstack-validate-run-{}.jsonl",
            std::process::id()
        ));
        let o = RunOptions {
            out: Some(path.clone()),
            ..RunOptions::new(3)
        };
        let s = suite();
        let cases = match run_jobs(&s.jobs, &engines, &o) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let back = match read_cases(&path, &s.jobs) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let _ = std::fs::remove_file(&path);
        // serde_json parses floats to within one unit in the last place.
        let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * a.abs().max(b.abs()),
            (a, b) => a == b,
        };
        assert_eq!(back.len(), cases.len());
        for (a, b) in back.iter().zip(&cases) {
            assert_eq!(
                (&a.id, &a.group, a.engine, a.status),
                (&b.id, &b.group, b.engine, b.status)
            );
            assert!(
                near(a.predicted, b.predicted) && near(a.reference, b.reference),
                "{a:?} vs {b:?}"
            );
            assert!(
                near(a.signed_error_pct, b.signed_error_pct) && near(a.speedup, b.speedup),
                "{a:?} vs {b:?}"
            );
        }
    }

    #[test]
    fn perturbation_scales_one_engine() {
        let p = match Perturb::parse("fast=1.5") {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let engines = Engines {
            detailed: Ok(Box::new(Scaled(1.0))),
            detailed_collective: Box::new(|c, seed| time_case(c, "fast", seed)),
        };
        let o = RunOptions {
            perturb: Some(p),
            ..RunOptions::new(3)
        };
        let cases = match run_jobs(&suite().jobs, &engines, &o) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        for c in &cases {
            assert!(
                (c.signed_error_pct.unwrap_or(0.0) - 50.0).abs() < 1e-6,
                "{c:?}"
            );
        }
        assert!(Perturb::parse("slow=2").is_err());
        assert!(Perturb::parse("fast=-1").is_err());
    }
}

//! Validation suites: TOML files of cases, loaded and checked into runnable [`Job`]s
//! before anything runs, so a bad case fails at once with its name and field.
//!
//! ```toml
//! name = "default"
//! seed = 1                       # seeds every engine and the bootstrap (--seed overrides)
//!
//! [[scenario]]                   # a scenario through both engines (group fast-vs-detailed)
//! id = "l8b-decode"
//! system = "stacked-3d-x8"       # preset or TOML file (relative to the suite file)
//! model = "llama-3-8b"
//! phase = "decode"               # default decode
//! batch = [1, 64]                # one case per batch: ids l8b-decode-b1, l8b-decode-b64
//! input_len = 1024               # default 1024
//! output_len = 1024              # default 1024
//! parallel = "tp=4,pp=2"         # default tp = devices
//! network = "torus(2x4,200GB/s,500ns)"   # optional --network override
//! devices = 8                    # optional --devices override
//! set = { "memory.total_layers" = 16, "memory.connected_layers" = 8 }   # system overrides
//! metric = "throughput"          # throughput | step_time | ttft | tpot
//!
//! [[collective]]                 # a collective through both engines
//! id = "ar-switch"
//! network = "switch(8,128GB/s,128ns)"
//! op = "all-reduce"
//! algorithm = "ring"             # optional (default: the fastest)
//! bytes = ["64KiB", "16MiB"]     # one case per size
//! packet_bytes = 1064            # header convention of the fast engine (default: the
//! header_bytes = 64              # detailed engine's 1000 B payload + 64 B header; 0 = none)
//!
//! [[dram]]                       # fast bandwidth chain against the detailed stack
//! id = "m8-n4"
//! system = "stacked-3d-x8"
//! set = { "memory.total_layers" = 8, "memory.connected_layers" = 4 }
//! pattern = "stream"             # stream | random | mixed | conflict
//! requests = 2000000             # optional (default: 8 refresh intervals at the peak)
//!
//! [[ns3]]                        # an NS-3 panel against the named engines
//! panel = "references/ns3/switch/all_to_all_test.csv"
//! engines = ["fast", "detailed"]
//! cases = ["s0", "s5"]           # optional filter on the reference case id
//! detailed_cases = ["s0"]        # optional: only these cases through the detailed engine
//! max_bytes = 1048576            # optional filter on the size
//!
//! [[vllm]]                       # measured vLLM decode throughput on 8xB200
//! model = "llama-3-70b"
//! file = "references/vllm-b200/benchmark_summary_llama_3_70b.csv"
//! engines = ["fast"]             # default fast
//! batches = [1, 16]              # optional filter (max_batch = 512 by default)
//! system = "b200x8"              # default; parallel = "tp=8" by default
//!
//! [[h100]]                       # measured fused kernels on 8xH100 (fast engine)
//! kernel = "ag-gemm"             # ag-gemm | gemm-rs
//! file = "references/h100-kernels/ag_gemm.csv"
//! overlap = true                 # default; system = "h100x8" by default
//! ```
//!
//! The detailed side of a `[[dram]]` case is the stack the detailed scenario engine builds
//! for the system ([`crate::engine::detailed::dram_spec_for`]); the fast side is the
//! bandwidth chain's `after_connectivity` stage (see [`super::run`]).
//!
//! Every entry may name its `group`; otherwise scenarios go to `fast-vs-detailed`,
//! collectives to `collective-fast-vs-detailed`, DRAM cases to `dram-fast-vs-detailed`,
//! and reference entries to `<reference>-<engine>` (`ns3-switch-all-to-all-fast`,
//! `vllm-b200-llama-3-70b-fast`, `h100-kernels-fast`); a reference entry's `group` is the
//! prefix before `-<engine>`. Relative paths are relative to the suite file.

use super::references::{self, Kernel, KernelRow};
use super::ValidateError;
use crate::collective::ns3::{read_panel, Ns3Point};
use crate::collective::{Algorithm, CollectiveCase, Op};
use crate::dram::{DramSpec, Pattern};
use crate::engine::Report;
use crate::hw::{Memory, System};
use crate::model::Model;
use crate::network::NetworkSpec;
use crate::parallel::ParallelScheme;
use crate::scenario::{MoeMapping, Options, Scenario};
use crate::units::{parse_quantity, Dimension};
use crate::workload::{Phase, Workload};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Group of scenario cases unless a case names another.
pub const SCENARIO_GROUP: &str = "fast-vs-detailed";
/// Group of collective cases unless a case names another.
pub const COLLECTIVE_GROUP: &str = "collective-fast-vs-detailed";
/// Group of DRAM cases unless a case names another.
pub const DRAM_GROUP: &str = "dram-fast-vs-detailed";
/// Default packet size on the wire of collective cases: the detailed engine's default
/// packet (1000 payload bytes plus a 64-byte header), so both engines move the same bytes.
pub const DEFAULT_PACKET_BYTES: u32 = 1064;
/// Default header bytes of collective cases.
pub const DEFAULT_HEADER_BYTES: u32 = 64;
/// Default request count of DRAM cases.
pub const DEFAULT_DRAM_REQUESTS: u64 = 100_000;
/// Refresh intervals a DRAM case covers when it names no request count.
pub const DRAM_REFRESH_WINDOWS: f64 = 8.0;

/// An engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// The analytical engine.
    Fast,
    /// The discrete-event engine.
    Detailed,
}

impl Engine {
    /// Name.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Fast => "fast",
            Engine::Detailed => "detailed",
        }
    }
    /// Parse `fast` or `detailed`.
    pub fn parse(s: &str) -> Option<Engine> {
        match s {
            "fast" => Some(Engine::Fast),
            "detailed" => Some(Engine::Detailed),
            _ => None,
        }
    }
}

/// The scenario output a case compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// System tokens per second.
    Throughput,
    /// Mean step time, seconds.
    StepTime,
    /// Time to first token, seconds (prefill).
    Ttft,
    /// Time per output token, seconds (decode).
    Tpot,
}

impl Metric {
    /// Name as written in suites.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Throughput => "throughput",
            Metric::StepTime => "step_time",
            Metric::Ttft => "ttft",
            Metric::Tpot => "tpot",
        }
    }
    /// Unit of the value.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Throughput => "tokens/s",
            _ => "s",
        }
    }
    /// The value in a report, if it has one.
    pub fn value(self, r: &Report) -> Option<f64> {
        match self {
            Metric::Throughput => Some(r.throughput_tokens_per_s),
            Metric::StepTime => Some(r.step_time_s),
            Metric::Ttft => r.ttft_s,
            Metric::Tpot => r.tpot_s,
        }
    }
}

/// A scenario through both engines.
#[derive(Clone, Debug)]
pub struct ScenarioJob {
    /// Case id.
    pub id: String,
    /// Group.
    pub group: String,
    /// One line describing the case.
    pub label: String,
    /// The compared output.
    pub metric: Metric,
    /// The validated scenario.
    pub scenario: Scenario,
}

/// A stand-alone collective through both engines.
#[derive(Clone, Debug)]
pub struct CollectiveJob {
    /// Case id.
    pub id: String,
    /// Group.
    pub group: String,
    /// One line describing the case.
    pub label: String,
    /// The collective.
    pub case: CollectiveCase,
}

/// A stacked memory: the fast bandwidth chain against the detailed DRAM model.
#[derive(Clone, Debug)]
pub struct DramJob {
    /// Case id.
    pub id: String,
    /// Group.
    pub group: String,
    /// One line describing the case.
    pub label: String,
    /// The system whose bandwidth chain is the fast side.
    pub system: System,
    /// The same stack for the detailed model.
    pub spec: DramSpec,
    /// Traffic.
    pub pattern: Pattern,
    /// Requests simulated.
    pub requests: u64,
}

/// One NS-3 point against one or both engines.
#[derive(Clone, Debug)]
pub struct Ns3Job {
    /// Case id (engine-less; results add the engine).
    pub id: String,
    /// Group prefix; results go to `<prefix>-<engine>`.
    pub group_prefix: String,
    /// One line describing the case.
    pub label: String,
    /// The point; its `ns3_ns` is present.
    pub point: Ns3Point,
    /// Engines to run.
    pub engines: Vec<Engine>,
}

/// One measured vLLM point against one or both engines.
#[derive(Clone, Debug)]
pub struct VllmJob {
    /// Case id.
    pub id: String,
    /// Group prefix.
    pub group_prefix: String,
    /// One line describing the case.
    pub label: String,
    /// The scenario of the point.
    pub scenario: Scenario,
    /// Measured decode throughput, tokens/s.
    pub measured: f64,
    /// Engines to run.
    pub engines: Vec<Engine>,
}

/// One measured fused kernel against the fast engine.
#[derive(Clone, Debug)]
pub struct KernelJob {
    /// Case id.
    pub id: String,
    /// Group prefix.
    pub group_prefix: String,
    /// One line describing the case.
    pub label: String,
    /// The system (8×H100 by default).
    pub system: System,
    /// Which kernel.
    pub kernel: Kernel,
    /// The measured row.
    pub row: KernelRow,
    /// Overlap the collective with the GEMM tile by tile.
    pub overlap: bool,
}

/// One runnable unit of a suite; it yields one case result per engine compared.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Job {
    /// A scenario.
    Scenario(ScenarioJob),
    /// A collective.
    Collective(CollectiveJob),
    /// A DRAM stack.
    Dram(DramJob),
    /// An NS-3 point.
    Ns3(Ns3Job),
    /// A vLLM point.
    Vllm(VllmJob),
    /// An H100 kernel.
    Kernel(KernelJob),
}

/// The group name of a reference comparison.
pub fn engine_group(prefix: &str, engine: Engine) -> String {
    format!("{prefix}-{}", engine.name())
}

impl Job {
    /// Case id.
    pub fn id(&self) -> &str {
        match self {
            Job::Scenario(j) => &j.id,
            Job::Collective(j) => &j.id,
            Job::Dram(j) => &j.id,
            Job::Ns3(j) => &j.id,
            Job::Vllm(j) => &j.id,
            Job::Kernel(j) => &j.id,
        }
    }
    /// The groups its results go to.
    pub fn groups(&self) -> Vec<String> {
        match self {
            Job::Scenario(j) => vec![j.group.clone()],
            Job::Collective(j) => vec![j.group.clone()],
            Job::Dram(j) => vec![j.group.clone()],
            Job::Ns3(j) => j
                .engines
                .iter()
                .map(|&e| engine_group(&j.group_prefix, e))
                .collect(),
            Job::Vllm(j) => j
                .engines
                .iter()
                .map(|&e| engine_group(&j.group_prefix, e))
                .collect(),
            Job::Kernel(j) => vec![engine_group(&j.group_prefix, Engine::Fast)],
        }
    }
    /// Whether it runs the detailed engine.
    pub fn uses_detailed(&self) -> bool {
        match self {
            Job::Scenario(_) | Job::Collective(_) | Job::Dram(_) => true,
            Job::Ns3(j) => j.engines.contains(&Engine::Detailed),
            Job::Vllm(j) => j.engines.contains(&Engine::Detailed),
            Job::Kernel(_) => false,
        }
    }
    /// Keep only the engines whose group matches one of `patterns`; `None` if none is left.
    pub fn restrict(self, patterns: &[String]) -> Option<Job> {
        let keep = |g: &str| patterns.iter().any(|p| glob_match(p, g));
        match self {
            Job::Ns3(mut j) => {
                let prefix = j.group_prefix.clone();
                j.engines.retain(|&e| keep(&engine_group(&prefix, e)));
                (!j.engines.is_empty()).then_some(Job::Ns3(j))
            }
            Job::Vllm(mut j) => {
                let prefix = j.group_prefix.clone();
                j.engines.retain(|&e| keep(&engine_group(&prefix, e)));
                (!j.engines.is_empty()).then_some(Job::Vllm(j))
            }
            other => other.groups().iter().any(|g| keep(g)).then_some(other),
        }
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// A loaded suite.
#[derive(Clone, Debug)]
pub struct Suite {
    /// Name.
    pub name: String,
    /// One line on what it covers.
    pub description: String,
    /// The file.
    pub path: PathBuf,
    /// Seed for every engine and the bootstrap.
    pub seed: u64,
    /// Jobs in file order (scenarios, collectives, DRAM, NS-3, vLLM, H100).
    pub jobs: Vec<Job>,
}

impl Suite {
    /// Scenario cases.
    pub fn scenario_count(&self) -> usize {
        self.jobs
            .iter()
            .filter(|j| matches!(j, Job::Scenario(_)))
            .count()
    }
    /// Keep only jobs with a group matching one of `patterns` (all when empty).
    pub fn select_groups(&mut self, patterns: &[String]) {
        if patterns.is_empty() {
            return;
        }
        let jobs = std::mem::take(&mut self.jobs);
        self.jobs = jobs
            .into_iter()
            .filter_map(|j| j.restrict(patterns))
            .collect();
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    name: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    scenario: Vec<toml::Table>,
    #[serde(default)]
    collective: Vec<toml::Table>,
    #[serde(default)]
    dram: Vec<toml::Table>,
    #[serde(default)]
    ns3: Vec<toml::Table>,
    #[serde(default)]
    vllm: Vec<toml::Table>,
    #[serde(default)]
    h100: Vec<toml::Table>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    fn list(&self) -> Vec<T> {
        match self {
            OneOrMany::One(x) => vec![x.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(untagged)]
enum Size {
    Number(f64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: String,
    group: Option<String>,
    system: String,
    model: String,
    #[serde(default = "decode")]
    phase: String,
    batch: OneOrMany<u32>,
    #[serde(default = "len_1024")]
    input_len: u32,
    #[serde(default = "len_1024")]
    output_len: u32,
    parallel: Option<String>,
    network: Option<String>,
    devices: Option<usize>,
    #[serde(default)]
    set: BTreeMap<String, toml::Value>,
    #[serde(default)]
    overlap: bool,
    algorithm: Option<String>,
    #[serde(default = "one")]
    moe_imbalance: f64,
    #[serde(default = "replace_only")]
    moe_mapping: String,
    #[serde(default = "throughput")]
    metric: Metric,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCollective {
    id: String,
    group: Option<String>,
    network: String,
    op: String,
    algorithm: Option<String>,
    bytes: OneOrMany<Size>,
    #[serde(default = "default_packet")]
    packet_bytes: u32,
    #[serde(default = "default_header")]
    header_bytes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDram {
    id: String,
    group: Option<String>,
    system: String,
    #[serde(default)]
    set: BTreeMap<String, toml::Value>,
    #[serde(default = "stream")]
    pattern: String,
    requests: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNs3 {
    panel: String,
    group: Option<String>,
    #[serde(default = "fast_only")]
    engines: Vec<String>,
    cases: Option<Vec<String>>,
    detailed_cases: Option<Vec<String>>,
    max_bytes: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVllm {
    model: String,
    file: String,
    group: Option<String>,
    #[serde(default = "b200")]
    system: String,
    #[serde(default = "tp8")]
    parallel: String,
    #[serde(default = "max_batch")]
    max_batch: u32,
    batches: Option<Vec<u32>>,
    #[serde(default = "fast_only")]
    engines: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawH100 {
    kernel: String,
    file: String,
    group: Option<String>,
    #[serde(default = "h100")]
    system: String,
    #[serde(default = "yes")]
    overlap: bool,
}

fn decode() -> String {
    "decode".into()
}
fn len_1024() -> u32 {
    1024
}
fn one() -> f64 {
    1.0
}
fn replace_only() -> String {
    "replace-only".into()
}
fn throughput() -> Metric {
    Metric::Throughput
}
fn default_packet() -> u32 {
    DEFAULT_PACKET_BYTES
}
fn default_header() -> u32 {
    DEFAULT_HEADER_BYTES
}
fn stream() -> String {
    "stream".into()
}
fn fast_only() -> Vec<String> {
    vec!["fast".into()]
}
fn b200() -> String {
    "b200x8".into()
}
fn tp8() -> String {
    "tp=8".into()
}
fn max_batch() -> u32 {
    512
}
fn h100() -> String {
    "h100x8".into()
}
fn yes() -> bool {
    true
}

/// Context for errors of one entry.
struct Entry<'a> {
    file: &'a str,
    kind: &'static str,
    id: String,
}

impl Entry<'_> {
    fn err(&self, field: &str, message: impl std::fmt::Display) -> ValidateError {
        ValidateError::Case {
            file: self.file.to_string(),
            entry: self.kind,
            id: self.id.clone(),
            message: if field.is_empty() {
                message.to_string()
            } else {
                format!("field `{field}`: {message}")
            },
        }
    }
}

/// Deserialise one entry; `key` names the field that identifies it in errors.
fn entry<'a, T: DeserializeOwned>(
    file: &'a str,
    kind: &'static str,
    index: usize,
    key: &str,
    table: toml::Table,
) -> Result<(Entry<'a>, T), ValidateError> {
    let id = table
        .get(key)
        .and_then(|v| v.as_str())
        .map_or_else(|| format!("#{}", index + 1), str::to_string);
    let e = Entry { file, kind, id };
    let raw = toml::Value::Table(table)
        .try_into::<T>()
        .map_err(|err| e.err("", err.to_string().trim()))?;
    Ok((e, raw))
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// A system preset, or a TOML file relative to the suite.
fn load_system(base: &Path, name: &str) -> crate::error::Result<System> {
    if name.ends_with(".toml") {
        System::load(&resolve(base, name).to_string_lossy())
    } else {
        System::load(name)
    }
}

/// The system overrides a case may set, with what they change.
pub const SETTABLE: &[(&str, &str)] = &[
    (
        "memory.total_layers",
        "physical DRAM layers m of a stacked memory",
    ),
    (
        "memory.connected_layers",
        "layers n <= m with their own vertical port",
    ),
    (
        "memory.channels_per_connected_layer",
        "channels per connected layer",
    ),
    ("memory.banks_per_channel", "banks per channel per layer"),
];

/// A clone of `system` with `set` applied (keys of [`SETTABLE`]), validated again.
pub fn apply_settings(
    system: &System,
    set: &BTreeMap<String, toml::Value>,
) -> Result<System, (String, String)> {
    let mut s = system.clone();
    for (key, value) in set {
        let v = value
            .as_integer()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| {
                (
                    format!("set.{key}"),
                    format!("{value} is not a non-negative integer"),
                )
            })?;
        let Memory::Stacked(m) = &mut s.memory else {
            return Err((
                format!("set.{key}"),
                format!("system {} has no stacked memory to change", system.name),
            ));
        };
        match key.as_str() {
            "memory.total_layers" => m.total_layers = v,
            "memory.connected_layers" => m.connected_layers = v,
            "memory.channels_per_connected_layer" => m.channels_per_connected_layer = v,
            "memory.banks_per_channel" => m.banks_per_channel = v,
            _ => {
                let known: Vec<&str> = SETTABLE.iter().map(|(k, _)| *k).collect();
                return Err((
                    format!("set.{key}"),
                    format!("unknown setting (known: {})", known.join(", ")),
                ));
            }
        }
    }
    if !set.is_empty() {
        s.validate()
            .map_err(|e| ("set".to_string(), e.to_string()))?;
    }
    Ok(s)
}

/// `m/n` of a stacked memory, for labels.
fn stack_label(s: &System) -> String {
    match &s.memory {
        Memory::Stacked(m) => format!(" m{}/n{}", m.total_layers, m.connected_layers),
        Memory::Hbm(_) => String::new(),
    }
}

fn parse_size(s: &Size) -> Result<(f64, String), String> {
    let (v, text) = match s {
        Size::Number(v) => (*v, format!("{v}")),
        Size::Text(t) => (parse_quantity(t, Dimension::Bytes)?, t.clone()),
    };
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("{text} must be a positive size"));
    }
    Ok((v, text))
}

fn engines(e: &Entry, list: &[String]) -> Result<Vec<Engine>, ValidateError> {
    let mut out = Vec::new();
    for name in list {
        let engine = Engine::parse(name).ok_or_else(|| {
            e.err(
                "engines",
                format!("'{name}' is not an engine (use fast or detailed)"),
            )
        })?;
        if !out.contains(&engine) {
            out.push(engine);
        }
    }
    if out.is_empty() {
        return Err(e.err("engines", "is empty"));
    }
    Ok(out)
}

/// Lower-case, `-`-separated form of a panel or model name for group names.
pub fn slug(text: &str) -> String {
    let mut s = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_matches('-').to_string()
}

impl Suite {
    /// Load and check a suite file; `seed` overrides the file's seed.
    pub fn load(path: &Path, seed: Option<u64>) -> Result<Suite, ValidateError> {
        let text = std::fs::read_to_string(path).map_err(|e| ValidateError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Suite::from_toml(&text, path, seed)
    }

    /// Parse and check suite text; `path` names the file and anchors relative paths.
    pub fn from_toml(text: &str, path: &Path, seed: Option<u64>) -> Result<Suite, ValidateError> {
        let file = path.display().to_string();
        let base = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let raw: RawSuite = toml::from_str(text).map_err(|e| ValidateError::File {
            file: file.clone(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        let seed = seed.unwrap_or(raw.seed);
        let mut jobs = Vec::new();
        for (i, t) in raw.scenario.into_iter().enumerate() {
            let (e, r) = entry::<RawScenario>(&file, "scenario", i, "id", t)?;
            jobs.extend(scenario_jobs(&base, &e, r, seed)?);
        }
        for (i, t) in raw.collective.into_iter().enumerate() {
            let (e, r) = entry::<RawCollective>(&file, "collective", i, "id", t)?;
            jobs.extend(collective_jobs(&e, r)?);
        }
        for (i, t) in raw.dram.into_iter().enumerate() {
            let (e, r) = entry::<RawDram>(&file, "dram", i, "id", t)?;
            jobs.push(dram_job(&base, &e, r)?);
        }
        for (i, t) in raw.ns3.into_iter().enumerate() {
            let (e, r) = entry::<RawNs3>(&file, "ns3", i, "panel", t)?;
            jobs.extend(ns3_jobs(&base, &e, r)?);
        }
        for (i, t) in raw.vllm.into_iter().enumerate() {
            let (e, r) = entry::<RawVllm>(&file, "vllm", i, "model", t)?;
            jobs.extend(vllm_jobs(&base, &e, r, seed)?);
        }
        for (i, t) in raw.h100.into_iter().enumerate() {
            let (e, r) = entry::<RawH100>(&file, "h100", i, "file", t)?;
            jobs.extend(kernel_jobs(&base, &e, r)?);
        }
        let mut seen = HashSet::new();
        for j in &jobs {
            if !seen.insert(j.id().to_string()) {
                return Err(ValidateError::File {
                    file,
                    message: format!("case id '{}' is used twice; ids must be unique", j.id()),
                });
            }
        }
        let name = raw.name.unwrap_or_else(|| {
            path.file_stem()
                .map_or_else(|| "suite".to_string(), |s| s.to_string_lossy().into_owned())
        });
        Ok(Suite {
            name,
            description: raw.description,
            path: path.to_path_buf(),
            seed,
            jobs,
        })
    }
}

fn scenario_jobs(
    base: &Path,
    e: &Entry,
    r: RawScenario,
    seed: u64,
) -> Result<Vec<Job>, ValidateError> {
    let mut system = load_system(base, &r.system).map_err(|x| e.err("system", x))?;
    if let Some(n) = &r.network {
        system =
            system.with_network(NetworkSpec::parse(n, "network").map_err(|x| e.err("network", x))?);
    }
    if let Some(d) = r.devices {
        system = system.with_devices(d).map_err(|x| e.err("devices", x))?;
    }
    let system = apply_settings(&system, &r.set).map_err(|(f, m)| e.err(&f, m))?;
    let model = Model::load(&r.model).map_err(|x| e.err("model", x))?;
    let phase = Phase::parse(&r.phase).map_err(|x| e.err("phase", x))?;
    let scheme = match &r.parallel {
        Some(p) => ParallelScheme::parse(p).map_err(|x| e.err("parallel", x))?,
        None => ParallelScheme {
            tp: system.devices() as u32,
            ..ParallelScheme::default()
        },
    };
    let algorithm = r
        .algorithm
        .as_deref()
        .map(Algorithm::parse)
        .transpose()
        .map_err(|x| e.err("algorithm", x))?;
    let moe_mapping = match r.moe_mapping.as_str() {
        "replace-only" | "replace_only" => MoeMapping::ReplaceOnly,
        "none" => MoeMapping::None,
        other => {
            return Err(e.err(
                "moe_mapping",
                format!("'{other}' is not a mapping (use replace-only or none)"),
            ))
        }
    };
    match (r.metric, phase) {
        (Metric::Ttft, Phase::Decode) => {
            return Err(e.err("metric", "ttft needs phase = \"prefill\""))
        }
        (Metric::Tpot, Phase::Prefill) => {
            return Err(e.err("metric", "tpot needs phase = \"decode\""))
        }
        _ => {}
    }
    let batches = r.batch.list();
    if batches.is_empty() {
        return Err(e.err("batch", "is an empty list"));
    }
    let many = matches!(r.batch, OneOrMany::Many(_));
    let mut out = Vec::new();
    for b in batches {
        let id = if many {
            format!("{}-b{b}", r.id)
        } else {
            r.id.clone()
        };
        let workload = Workload {
            phase,
            batch: b,
            input_len: r.input_len,
            output_len: r.output_len,
        };
        let options = Options {
            overlap: r.overlap,
            algorithm,
            moe_imbalance: r.moe_imbalance,
            moe_mapping,
            seed,
        };
        let field = if many {
            format!("batch = {b}")
        } else {
            String::new()
        };
        workload.validate().map_err(|x| e.err(&field, x))?;
        scheme
            .validate(&model, &workload, system.devices())
            .map_err(|x| e.err("parallel", x))?;
        let scenario = Scenario::new(system.clone(), model.clone(), workload, scheme, options)
            .map_err(|x| e.err(&field, x))?;
        let label = format!(
            "{} {} b{} {} on {}{}{}",
            model.name,
            phase.name(),
            b,
            scheme.describe(),
            system.name,
            stack_label(&system),
            r.network
                .as_ref()
                .map_or(String::new(), |n| format!(" {n}"))
        );
        out.push(Job::Scenario(ScenarioJob {
            id,
            group: r
                .group
                .clone()
                .unwrap_or_else(|| SCENARIO_GROUP.to_string()),
            label,
            metric: r.metric,
            scenario,
        }));
    }
    Ok(out)
}

fn collective_jobs(e: &Entry, r: RawCollective) -> Result<Vec<Job>, ValidateError> {
    let network = NetworkSpec::parse(&r.network, "network").map_err(|x| e.err("network", x))?;
    let op = Op::parse(&r.op).map_err(|x| e.err("op", x))?;
    let algorithm = r
        .algorithm
        .as_deref()
        .map(Algorithm::parse)
        .transpose()
        .map_err(|x| e.err("algorithm", x))?;
    let packet = match r.packet_bytes {
        0 => None,
        p if p <= r.header_bytes => {
            return Err(e.err(
                "packet_bytes",
                format!("{p} must exceed header_bytes = {}", r.header_bytes),
            ));
        }
        p => Some((p, r.header_bytes)),
    };
    let sizes = r.bytes.list();
    if sizes.is_empty() {
        return Err(e.err("bytes", "is an empty list"));
    }
    let many = sizes.len() > 1 || matches!(r.bytes, OneOrMany::Many(_));
    let mut out = Vec::new();
    for s in &sizes {
        let (bytes, text) = parse_size(s).map_err(|m| e.err("bytes", m))?;
        let case = CollectiveCase {
            network: network.clone(),
            op,
            algorithm,
            bytes,
            packet,
            groups: None,
        };
        case.candidate_algorithms()
            .map_err(|x| e.err("algorithm", x))?;
        out.push(Job::Collective(CollectiveJob {
            id: if many {
                format!("{}@{text}", r.id)
            } else {
                r.id.clone()
            },
            group: r
                .group
                .clone()
                .unwrap_or_else(|| COLLECTIVE_GROUP.to_string()),
            label: format!(
                "{} {} of {text} on {network}",
                op.name(),
                algorithm.map_or("(fastest)", Algorithm::name)
            ),
            case,
        }));
    }
    Ok(out)
}

fn dram_job(base: &Path, e: &Entry, r: RawDram) -> Result<Job, ValidateError> {
    let system = load_system(base, &r.system).map_err(|x| e.err("system", x))?;
    let system = apply_settings(&system, &r.set).map_err(|(f, m)| e.err(&f, m))?;
    if !matches!(system.memory, Memory::Stacked(_)) {
        return Err(e.err(
            "system",
            format!(
                "{} has no stacked memory; DRAM cases compare stacks",
                system.name
            ),
        ));
    }
    let spec = crate::engine::detailed::dram_spec_for(&system).map_err(|x| e.err("system", x))?;
    let pattern = <Pattern as clap::ValueEnum>::from_str(&r.pattern, true).map_err(|_| {
        e.err(
            "pattern",
            format!(
                "'{}' is not a pattern (use stream, random, mixed or conflict)",
                r.pattern
            ),
        )
    })?;
    let requests = match r.requests {
        Some(0) => return Err(e.err("requests", "must be at least 1")),
        Some(n) => n,
        None => refresh_covering_requests(&system, &spec),
    };
    Ok(Job::Dram(DramJob {
        id: r.id,
        group: r.group.unwrap_or_else(|| DRAM_GROUP.to_string()),
        label: format!(
            "{}{} {} x{}",
            system.name,
            stack_label(&system),
            r.pattern,
            requests
        ),
        system,
        spec,
        pattern,
        requests,
    }))
}

/// Requests that keep the stack busy for [`DRAM_REFRESH_WINDOWS`] refresh intervals at its
/// peak (so refresh weighs in the measured bandwidth as it does in a long run), and at least
/// [`DEFAULT_DRAM_REQUESTS`].
fn refresh_covering_requests(system: &System, spec: &DramSpec) -> u64 {
    let refi_s = spec.refresh_interval().as_secs_f64();
    let tx = system.memory.transaction_bytes().max(1.0);
    let n = DRAM_REFRESH_WINDOWS * refi_s * system.memory.peak_bandwidth() / tx;
    (n.ceil() as u64).max(DEFAULT_DRAM_REQUESTS)
}

fn ns3_jobs(base: &Path, e: &Entry, r: RawNs3) -> Result<Vec<Job>, ValidateError> {
    let engines = engines(e, &r.engines)?;
    let points = read_panel(&resolve(base, &r.panel)).map_err(|x| e.err("panel", x))?;
    let mut out = Vec::new();
    for p in points {
        if p.ns3_ns.is_none() {
            continue;
        }
        let case_id = p.label.split(' ').next().unwrap_or("");
        if let Some(c) = &r.cases {
            if !c.iter().any(|x| x == case_id) {
                continue;
            }
        }
        if r.max_bytes.is_some_and(|m| p.case.bytes > m) {
            continue;
        }
        let mut engines = engines.clone();
        if let Some(d) = &r.detailed_cases {
            if !d.iter().any(|x| x == case_id) {
                engines.retain(|&x| x != Engine::Detailed);
            }
        }
        if engines.is_empty() {
            continue;
        }
        let prefix = r
            .group
            .clone()
            .unwrap_or_else(|| format!("ns3-{}", slug(&p.panel)));
        out.push(Job::Ns3(Ns3Job {
            id: format!(
                "ns3:{}:{}:{}",
                p.panel,
                p.label.replace(' ', "-"),
                p.case.bytes
            ),
            group_prefix: prefix,
            label: format!("{} {} {} B", p.panel, p.label, p.case.bytes),
            point: p,
            engines,
        }));
    }
    if out.is_empty() {
        return Err(e.err("cases", "selects no point with an NS-3 value"));
    }
    Ok(out)
}

fn vllm_jobs(base: &Path, e: &Entry, r: RawVllm, seed: u64) -> Result<Vec<Job>, ValidateError> {
    let engines = engines(e, &r.engines)?;
    let system = load_system(base, &r.system).map_err(|x| e.err("system", x))?;
    let model = Model::load(&r.model).map_err(|x| e.err("model", x))?;
    let scheme = ParallelScheme::parse(&r.parallel).map_err(|x| e.err("parallel", x))?;
    let points = references::read_vllm(&resolve(base, &r.file), r.max_batch)
        .map_err(|x| e.err("file", x))?;
    let prefix = r
        .group
        .clone()
        .unwrap_or_else(|| format!("vllm-b200-{}", slug(&model.name)));
    let mut out = Vec::new();
    for p in points {
        if r.batches.as_ref().is_some_and(|b| !b.contains(&p.batch)) {
            continue;
        }
        let scenario = references::vllm_scenario(&system, &model, scheme, p.batch, seed)
            .map_err(|x| e.err(&format!("batch = {}", p.batch), x))?;
        out.push(Job::Vllm(VllmJob {
            id: format!("vllm:{}:b{}", model.name, p.batch),
            group_prefix: prefix.clone(),
            label: format!(
                "{} decode b{} {} on {}",
                model.name,
                p.batch,
                scheme.describe(),
                system.name
            ),
            scenario,
            measured: p.decode_tokens_per_s,
            engines: engines.clone(),
        }));
    }
    if out.is_empty() {
        return Err(e.err("batches", "selects no measured point"));
    }
    Ok(out)
}

fn kernel_jobs(base: &Path, e: &Entry, r: RawH100) -> Result<Vec<Job>, ValidateError> {
    let kernel = Kernel::parse(&r.kernel).map_err(|x| e.err("kernel", x))?;
    let system = load_system(base, &r.system).map_err(|x| e.err("system", x))?;
    let rows = references::read_kernels(&resolve(base, &r.file)).map_err(|x| e.err("file", x))?;
    let prefix = r
        .group
        .clone()
        .unwrap_or_else(|| "h100-kernels".to_string());
    Ok(rows
        .into_iter()
        .map(|row| {
            Job::Kernel(KernelJob {
                id: format!("h100:{}:{}x{}x{}", kernel.name(), row.m, row.n, row.k),
                group_prefix: prefix.clone(),
                label: format!(
                    "{} M={} N={} K={} on {}",
                    kernel.name(),
                    row.m,
                    row.n,
                    row.k,
                    system.name
                ),
                system: system.clone(),
                kernel,
                row,
                overlap: r.overlap,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Suite, ValidateError> {
        Suite::from_toml(text, Path::new("test.toml"), None)
    }

    #[test]
    fn globs() {
        assert!(glob_match("ns3-*", "ns3-switch-all-to-all-fast"));
        assert!(glob_match(
            "ns3-*-all-to-all-*",
            "ns3-switch-all-to-all-fast"
        ));
        assert!(!glob_match(
            "ns3-*-all-to-all-*",
            "ns3-switch-all-reduce-fast"
        ));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*a", "aa"));
        assert!(!glob_match("a*a", "a"));
        assert!(glob_match("fast-vs-detailed", "fast-vs-detailed"));
        assert!(!glob_match("fast", "fast-vs-detailed"));
    }

    #[test]
    fn batch_lists_expand_and_overrides_apply() {
        let s = match load(
            r#"
            [[scenario]]
            id = "l8b"
            system = "stacked-3d-x8"
            model = "llama-3-8b"
            batch = [1, 16]
            set = { "memory.total_layers" = 16, "memory.connected_layers" = 8 }
            "#,
        ) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(s.jobs.len(), 2);
        assert_eq!(s.jobs[1].id(), "l8b-b16");
        let Job::Scenario(j) = &s.jobs[0] else {
            panic!("not a scenario")
        };
        let Memory::Stacked(m) = &j.scenario.system.memory else {
            panic!("not stacked")
        };
        assert_eq!((m.total_layers, m.connected_layers), (16, 8));
        assert!(j.label.contains("m16/n8"), "{}", j.label);
        assert_eq!(j.group, SCENARIO_GROUP);
    }

    #[test]
    fn errors_name_the_case_and_the_field() {
        let msg = |t: &str| match load(t) {
            Ok(_) => panic!("accepted"),
            Err(e) => e.to_string(),
        };
        let m = msg("[[scenario]]\nid = \"x\"\nsystem = \"stacked-3d-x8\"\nmodel = \"llama-3-8b\"\nbatchh = 1\n");
        assert!(
            m.contains("[[scenario]] 'x'") && m.contains("batchh"),
            "{m}"
        );
        let m = msg("[[scenario]]\nid = \"y\"\nsystem = \"stacked-3d-x8\"\nmodel = \"llama-3-8b\"\nbatch = 1\nparallel = \"tp=3\"\n");
        assert!(m.contains("'y'") && m.contains("field `parallel`"), "{m}");
        let m = msg("[[scenario]]\nid = \"z\"\nsystem = \"stacked-3d-x8\"\nmodel = \"llama-3-8b\"\nbatch = 1\nset = { \"memory.connected_layers\" = 9 }\n");
        assert!(m.contains("'z'") && m.contains("connected_layers"), "{m}");
        let m = msg("[[scenario]]\nid = \"w\"\nsystem = \"h100x8\"\nmodel = \"llama-3-8b\"\nbatch = 1\nset = { \"memory.total_layers\" = 2 }\n");
        assert!(m.contains("'w'") && m.contains("no stacked memory"), "{m}");
        let m = msg("[[collective]]\nid = \"c\"\nnetwork = \"switch(8,1GB/s,1ns)\"\nop = \"all-reduce\"\nbytes = \"-1\"\n");
        assert!(
            m.contains("[[collective]] 'c'") && m.contains("field `bytes`"),
            "{m}"
        );
        let m = msg("[[dram]]\nid = \"d\"\nsystem = \"stacked-3d-x8\"\npattern = \"zigzag\"\n");
        assert!(
            m.contains("[[dram]] 'd'") && m.contains("field `pattern`"),
            "{m}"
        );
        let m = msg("[[collective]]\nid = \"c\"\nnetwork = \"switch(8,1GB/s,1ns)\"\nop = \"all-reduce\"\nbytes = 1\n[[collective]]\nid = \"c\"\nnetwork = \"switch(8,1GB/s,1ns)\"\nop = \"all-reduce\"\nbytes = 2\n");
        assert!(m.contains("'c' is used twice"), "{m}");
        let m = msg("seeed = 1\n");
        assert!(m.contains("test.toml") && m.contains("seeed"), "{m}");
    }

    #[test]
    fn dram_cases_use_the_detailed_engines_stack() {
        let s = match load("[[dram]]\nid = \"d\"\nsystem = \"stacked-3d-x8\"\nset = { \"memory.total_layers\" = 16, \"memory.connected_layers\" = 12 }\n") {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let Job::Dram(j) = &s.jobs[0] else {
            panic!("not a DRAM job")
        };
        assert_eq!((j.spec.org.bankgroups, j.spec.org.ports), (16, 12));
        // 8 × 3.9 µs at 12 × 16 channels × 64 GB/s, in 64-byte requests.
        let expected = (8.0 * 3.9e-6 * 12.0 * 16.0 * 64e9 / 64.0_f64).ceil() as u64;
        assert!(
            j.requests.abs_diff(expected) <= expected / 100,
            "{} vs {expected}",
            j.requests
        );
        assert!(j.label.contains("m16/n12"), "{}", j.label);
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("switch/all_to_all"), "switch-all-to-all");
        assert_eq!(slug("llama-3.1-405b"), "llama-3.1-405b");
    }
}

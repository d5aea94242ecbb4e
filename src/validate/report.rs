//! Groups the case results, computes each group's statistics, checks them against the
//! budgets and renders the outcome as a table, JSON or CSV.
//!
//! JSON shape: `{"suite", "seed", "perturb", "groups": [{"name", "kind", "cases",
//! "weighted_error_pct", "mape_pct", "max_ape_pct", "bias_pct", "pearson", "spearman",
//! "kendall", "mape_ci95_pct": [lo, hi], "speedup_median", "speedup_geomean", "not_run",
//! "errors", "budget", "verdict", "violations", "not_run_reasons"}], "cases": [...],
//! "check": {"passed", "failed_groups"}}`. Undefined statistics are `null`. Everything but
//! the wall times and speedups is the same for the same suite and seed.

use super::budget::{Budget, Budgets};
use super::run::{CaseResult, GroupKind, Perturb, Status};
use super::stats::{stable_hash, summarize, GroupStats};
use serde::Serialize;
use std::fmt::Write;

/// A group's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Within its budget.
    Pass,
    /// Over its budget, or a case of it failed in the fast engine.
    Fail,
    /// No case was compared (the budget does not require any).
    NoData,
    /// No budget applies.
    NoBudget,
}

impl Verdict {
    /// Name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::NoData => "no data",
            Verdict::NoBudget => "-",
        }
    }
}

/// One group's summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupSummary {
    /// Group name.
    pub name: String,
    /// What it compares.
    pub kind: GroupKind,
    /// The statistics (`cases` counts the compared cases).
    #[serde(flatten)]
    pub stats: GroupStats,
    /// Cases not run (detailed engine unavailable or failed).
    pub not_run: usize,
    /// Cases that failed in the fast engine or gave unusable values.
    pub errors: usize,
    /// The budget that applies.
    pub budget: Option<Budget>,
    /// The verdict.
    pub verdict: Verdict,
    /// Broken limits and failures, as text.
    pub violations: Vec<String>,
    /// Distinct reasons of the cases not run.
    pub not_run_reasons: Vec<String>,
}

/// The outcome of `--check`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckSummary {
    /// Every group within budget.
    pub passed: bool,
    /// The failing groups with their violations, `group: violation; violation`.
    pub failed_groups: Vec<String>,
}

/// A whole validation run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValidationReport {
    /// Suite name.
    pub suite: String,
    /// Seed.
    pub seed: u64,
    /// Deliberate perturbation, if any.
    pub perturb: Option<Perturb>,
    /// Groups in order of first appearance.
    pub groups: Vec<GroupSummary>,
    /// Every case.
    pub cases: Vec<CaseResult>,
    /// Budget outcome.
    pub check: CheckSummary,
}

/// Group `cases`, compute the statistics (bootstrap seeded by `seed` and the group name)
/// and check the budgets.
pub fn build(
    suite: &str,
    seed: u64,
    perturb: Option<Perturb>,
    cases: Vec<CaseResult>,
    budgets: &Budgets,
) -> ValidationReport {
    let mut names: Vec<(String, GroupKind)> = Vec::new();
    for c in &cases {
        if !names.iter().any(|(n, _)| *n == c.group) {
            names.push((c.group.clone(), c.kind));
        }
    }
    let mut groups = Vec::new();
    for (name, kind) in names {
        let members: Vec<&CaseResult> = cases.iter().filter(|c| c.group == name).collect();
        let ok: Vec<&CaseResult> = members
            .iter()
            .copied()
            .filter(|c| c.status == Status::Ok)
            .collect();
        let pairs: Vec<(f64, f64)> = ok
            .iter()
            .filter_map(|c| Some((c.predicted?, c.reference?)))
            .collect();
        let speedups: Vec<f64> = ok.iter().filter_map(|c| c.speedup).collect();
        let stats = summarize(&pairs, &speedups, seed ^ stable_hash(&name));
        let not_run = members
            .iter()
            .filter(|c| c.status == Status::NotRun)
            .count();
        let errors = members.iter().filter(|c| c.status == Status::Error).count();
        let mut not_run_reasons: Vec<String> = Vec::new();
        for c in members.iter().filter(|c| c.status == Status::NotRun) {
            if let Some(r) = &c.reason {
                if !not_run_reasons.contains(r) {
                    not_run_reasons.push(r.clone());
                }
            }
        }
        let budget = budgets.for_group(&name).cloned();
        let mut violations = Vec::new();
        if errors > 0 {
            let first = members
                .iter()
                .find(|c| c.status == Status::Error)
                .and_then(|c| c.reason.clone().map(|r| format!(" (first: {}: {r})", c.id)))
                .unwrap_or_default();
            violations.push(format!("{errors} case(s) failed{first}"));
        }
        let verdict = match &budget {
            None if errors > 0 => Verdict::Fail,
            None => Verdict::NoBudget,
            Some(b) if stats.cases == 0 => {
                if b.required {
                    violations.push("no case was compared and the budget requires some".into());
                }
                if violations.is_empty() {
                    Verdict::NoData
                } else {
                    Verdict::Fail
                }
            }
            Some(b) => {
                violations.extend(b.check(&stats).violations);
                if violations.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                }
            }
        };
        groups.push(GroupSummary {
            name,
            kind,
            stats,
            not_run,
            errors,
            budget,
            verdict,
            violations,
            not_run_reasons,
        });
    }
    let failed_groups: Vec<String> = groups
        .iter()
        .filter(|g| g.verdict == Verdict::Fail)
        .map(|g| format!("{}: {}", g.name, g.violations.join("; ")))
        .collect();
    ValidationReport {
        suite: suite.to_string(),
        seed,
        perturb,
        groups,
        cases,
        check: CheckSummary {
            passed: failed_groups.is_empty(),
            failed_groups,
        },
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.digits$}"))
}

fn speed(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.2e}"))
}

fn budget_text(b: &Option<Budget>) -> String {
    let Some(b) = b else { return "-".into() };
    let mut parts = Vec::new();
    if let Some(x) = b.weighted_error_pct {
        parts.push(format!("wtd<={x}%"));
    }
    if let Some(x) = b.mape_pct {
        parts.push(format!("MAPE<={x}%"));
    }
    if let Some(x) = b.max_ape_pct {
        parts.push(format!("max<={x}%"));
    }
    if let Some(x) = b.abs_bias_pct {
        parts.push(format!("|bias|<={x}%"));
    }
    if let Some(x) = b.min_pearson {
        parts.push(format!("r>={x}"));
    }
    if let Some(x) = b.min_spearman {
        parts.push(format!("rho>={x}"));
    }
    if let Some(x) = b.min_kendall {
        parts.push(format!("tau>={x}"));
    }
    if let Some(x) = b.min_speedup_median {
        parts.push(format!("speedup>={x:e}"));
    }
    parts.join(",")
}

/// The human-readable table: one row per group, then the not-run reasons and the verdict.
pub fn render_table(r: &ValidationReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "suite {} (seed {}){}: {} cases in {} groups",
        r.suite,
        r.seed,
        r.perturb.map_or(String::new(), |p| format!(
            ", PERTURBED: {} x{}",
            p.engine.name(),
            p.factor
        )),
        r.cases.len(),
        r.groups.len()
    );
    let w = r
        .groups
        .iter()
        .map(|g| g.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(
        s,
        "{:<w$} {:>5} {:>4} {:>8} {:>8} {:>17} {:>8} {:>8} {:>6} {:>6} {:>6} {:>9} {:>9}  {:<8} budget",
        "group", "cases", "skip", "wtd %", "MAPE %", "MAPE 95% CI", "max %", "bias %", "r", "rho", "tau", "speedup", "(geo)", "verdict"
    );
    for g in &r.groups {
        let st = &g.stats;
        let ci = st
            .mape_ci95_pct
            .map_or_else(|| "-".to_string(), |[lo, hi]| format!("[{lo:.2}, {hi:.2}]"));
        let _ = writeln!(
            s,
            "{:<w$} {:>5} {:>4} {:>8} {:>8} {:>17} {:>8} {:>8} {:>6} {:>6} {:>6} {:>9} {:>9}  {:<8} {}",
            g.name,
            st.cases,
            g.not_run + g.errors,
            opt(st.weighted_error_pct, 2),
            opt(st.mape_pct, 2),
            ci,
            opt(st.max_ape_pct, 1),
            opt(st.bias_pct, 2),
            opt(st.pearson, 3),
            opt(st.spearman, 3),
            opt(st.kendall, 3),
            speed(st.speedup_median),
            speed(st.speedup_geomean),
            g.verdict.name(),
            budget_text(&g.budget)
        );
    }
    let mut reasons: Vec<(String, usize)> = Vec::new();
    for c in r.cases.iter().filter(|c| c.status == Status::NotRun) {
        let reason = c.reason.clone().unwrap_or_default();
        match reasons.iter_mut().find(|(x, _)| *x == reason) {
            Some((_, n)) => *n += 1,
            None => reasons.push((reason, 1)),
        }
    }
    for (reason, n) in reasons {
        let _ = writeln!(s, "not run: {n} case(s): {reason}");
    }
    for c in r.cases.iter().filter(|c| c.status == Status::Error) {
        let _ = writeln!(
            s,
            "error: {} ({}): {}",
            c.id,
            c.group,
            c.reason.as_deref().unwrap_or("")
        );
    }
    if r.check.passed {
        let _ = writeln!(s, "every group within its budget");
    } else {
        for f in &r.check.failed_groups {
            let _ = writeln!(s, "over budget: {f}");
        }
    }
    s
}

/// The report as pretty JSON.
pub fn render_json(r: &ValidationReport) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(r)
}

/// Quote a CSV field when needed.
fn field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// One CSV row per group (the JSON group keys, the interval split in two columns).
pub fn render_csv(r: &ValidationReport) -> String {
    let num = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    let mut s = String::from(
        "name,kind,cases,not_run,errors,weighted_error_pct,mape_pct,max_ape_pct,bias_pct,pearson,spearman,kendall,mape_ci95_lo_pct,mape_ci95_hi_pct,speedup_median,speedup_geomean,verdict,violations\n",
    );
    for g in &r.groups {
        let st = &g.stats;
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            field(&g.name),
            g.kind.name(),
            st.cases,
            g.not_run,
            g.errors,
            num(st.weighted_error_pct),
            num(st.mape_pct),
            num(st.max_ape_pct),
            num(st.bias_pct),
            num(st.pearson),
            num(st.spearman),
            num(st.kendall),
            num(st.mape_ci95_pct.map(|c| c[0])),
            num(st.mape_ci95_pct.map(|c| c[1])),
            num(st.speedup_median),
            num(st.speedup_geomean),
            g.verdict.name(),
            field(&g.violations.join("; "))
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::suite::Engine;

    fn case(group: &str, p: f64, r: f64, status: Status) -> CaseResult {
        CaseResult {
            id: format!("{group}-{p}"),
            group: group.into(),
            kind: GroupKind::FastVsReference,
            source: "ns3".into(),
            label: String::new(),
            metric: "time".into(),
            unit: "ns".into(),
            engine: Engine::Fast,
            reference_source: "ns3".into(),
            predicted: Some(p),
            reference: (status == Status::Ok).then_some(r),
            signed_error_pct: (status == Status::Ok).then(|| 100.0 * (p - r) / r),
            abs_error_pct: (status == Status::Ok).then(|| (100.0 * (p - r) / r).abs()),
            fast_wall_s: Some(1e-5),
            detailed_wall_s: None,
            speedup: None,
            status,
            reason: (status != Status::Ok).then(|| "detailed engine: missing".to_string()),
        }
    }

    #[test]
    fn groups_verdicts_and_renderings() {
        let budgets = match Budgets::from_toml(
            "[[budget]]\ngroup = \"a\"\nweighted_error_pct = 3.0\n[[budget]]\ngroup = \"b\"\nmape_pct = 50.0\n[[budget]]\ngroup = \"c\"\nmape_pct = 1.0\nrequired = true\n",
            "b.toml",
        ) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        let cases = vec![
            case("a", 110.0, 100.0, Status::Ok),
            case("a", 100.0, 100.0, Status::Ok),
            case("b", 1.0, 1.0, Status::Ok),
            case("c", 1.0, 1.0, Status::NotRun),
            case("d", 1.0, 1.0, Status::NotRun),
        ];
        let r = build("t", 1, None, cases, &budgets);
        let v: Vec<(&str, Verdict)> = r
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.verdict))
            .collect();
        assert_eq!(
            v,
            vec![
                ("a", Verdict::Fail),
                ("b", Verdict::Pass),
                ("c", Verdict::Fail),
                ("d", Verdict::NoBudget)
            ]
        );
        assert!(!r.check.passed);
        assert_eq!(r.check.failed_groups[0], "a: weighted error 5.00 % > 3 %");
        let t = render_table(&r);
        assert!(
            t.contains("over budget: a: weighted error 5.00 % > 3 %"),
            "{t}"
        );
        assert!(
            t.contains("not run: 2 case(s): detailed engine: missing"),
            "{t}"
        );
        let json = match render_json(&r) {
            Ok(j) => j,
            Err(e) => panic!("{e}"),
        };
        let v: serde_json::Value = match serde_json::from_str(&json) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        let g = &v["groups"][0];
        for key in [
            "name",
            "kind",
            "cases",
            "weighted_error_pct",
            "mape_pct",
            "max_ape_pct",
            "bias_pct",
            "pearson",
            "spearman",
            "kendall",
            "mape_ci95_pct",
            "speedup_median",
            "speedup_geomean",
        ] {
            assert!(g.get(key).is_some(), "missing {key}");
        }
        assert_eq!(g["cases"], 2);
        assert_eq!(v["cases"].as_array().map(Vec::len), Some(5));
        let csv = render_csv(&r);
        assert_eq!(csv.lines().count(), 5);
        assert!(
            csv.lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("a,fast-vs-reference,2,0,0,5,")),
            "{csv}"
        );
    }
}

//! Error budgets per group (`validation/budgets.toml`).
//!
//! ```toml
//! [[budget]]
//! group = "ns3-switch-all-to-all-*"   # `*` matches any run of characters
//! weighted_error_pct = 4.0
//! note = "where the limit comes from"
//!
//! [[budget]]
//! group = "fast-vs-detailed"
//! weighted_error_pct = 5.0
//! min_spearman = 0.95
//! required = true                     # fail --check when no case of the group ran
//! ```
//!
//! The first budget whose pattern matches a group applies to it. Limits left out are not
//! checked; a limit on a statistic the group cannot define (a correlation of one case) is
//! skipped and said so.

use super::stats::GroupStats;
use super::suite::glob_match;
use super::ValidateError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The limits of one group pattern.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Group name or pattern.
    pub group: String,
    /// Largest weighted error, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weighted_error_pct: Option<f64>,
    /// Largest MAPE, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mape_pct: Option<f64>,
    /// Largest single-case error, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ape_pct: Option<f64>,
    /// Largest |bias|, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abs_bias_pct: Option<f64>,
    /// Smallest Pearson r.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_pearson: Option<f64>,
    /// Smallest Spearman ρ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_spearman: Option<f64>,
    /// Smallest Kendall τ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_kendall: Option<f64>,
    /// Smallest median speedup (detailed wall ÷ fast wall).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_speedup_median: Option<f64>,
    /// Fail when no case of the group ran.
    #[serde(default)]
    pub required: bool,
    /// Where the limits come from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudgets {
    #[serde(default)]
    budget: Vec<Budget>,
}

/// All budgets, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Budgets {
    /// The budgets; the first match wins.
    pub budgets: Vec<Budget>,
}

/// The outcome of checking one group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    /// Every limit broken, as text (empty: within budget).
    pub violations: Vec<String>,
    /// Limits that could not be checked, as text.
    pub skipped: Vec<String>,
}

impl Budgets {
    /// Read a budget file.
    pub fn load(path: &Path) -> Result<Budgets, ValidateError> {
        let text = std::fs::read_to_string(path).map_err(|e| ValidateError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Budgets::from_toml(&text, &path.display().to_string())
    }

    /// Parse budget text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Budgets, ValidateError> {
        let raw: RawBudgets = toml::from_str(text).map_err(|e| ValidateError::File {
            file: origin.to_string(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        for (i, b) in raw.budget.iter().enumerate() {
            let limits = [
                ("weighted_error_pct", b.weighted_error_pct),
                ("mape_pct", b.mape_pct),
                ("max_ape_pct", b.max_ape_pct),
                ("abs_bias_pct", b.abs_bias_pct),
                ("min_speedup_median", b.min_speedup_median),
            ];
            for (name, v) in limits {
                if v.is_some_and(|v| !(v.is_finite() && v >= 0.0)) {
                    return Err(ValidateError::File {
                        file: origin.to_string(),
                        message: format!(
                            "budget #{} ('{}'): {name} must be a non-negative number",
                            i + 1,
                            b.group
                        ),
                    });
                }
            }
            for (name, v) in [
                ("min_pearson", b.min_pearson),
                ("min_spearman", b.min_spearman),
                ("min_kendall", b.min_kendall),
            ] {
                if v.is_some_and(|v| !(-1.0..=1.0).contains(&v)) {
                    return Err(ValidateError::File {
                        file: origin.to_string(),
                        message: format!(
                            "budget #{} ('{}'): {name} must lie in [-1, 1]",
                            i + 1,
                            b.group
                        ),
                    });
                }
            }
            if b.group.is_empty() {
                return Err(ValidateError::File {
                    file: origin.to_string(),
                    message: format!("budget #{}: group is empty", i + 1),
                });
            }
        }
        Ok(Budgets {
            budgets: raw.budget,
        })
    }

    /// The budget of a group, if any.
    pub fn for_group(&self, group: &str) -> Option<&Budget> {
        self.budgets.iter().find(|b| glob_match(&b.group, group))
    }
}

impl Budget {
    /// Check a group's statistics.
    pub fn check(&self, s: &GroupStats) -> Check {
        let mut violations = Vec::new();
        let mut skipped = Vec::new();
        let mut upper = |name: &str, value: Option<f64>, limit: Option<f64>, abs: bool| {
            if let Some(l) = limit {
                match value {
                    Some(v) if (if abs { v.abs() } else { v }) > l => violations.push(format!(
                        "{name} {:.2} % > {l} %",
                        if abs { v.abs() } else { v }
                    )),
                    Some(_) => {}
                    None => skipped.push(format!("{name} undefined")),
                }
            }
        };
        upper(
            "weighted error",
            s.weighted_error_pct,
            self.weighted_error_pct,
            false,
        );
        upper("MAPE", s.mape_pct, self.mape_pct, false);
        upper("max error", s.max_ape_pct, self.max_ape_pct, false);
        upper("|bias|", s.bias_pct, self.abs_bias_pct, true);
        let mut lower = |name: &str, value: Option<f64>, limit: Option<f64>| {
            if let Some(l) = limit {
                match value {
                    Some(v) if v < l => violations.push(format!("{name} {v:.3} < {l}")),
                    Some(_) => {}
                    None => skipped.push(format!("{name} undefined")),
                }
            }
        };
        lower("Pearson r", s.pearson, self.min_pearson);
        lower("Spearman rho", s.spearman, self.min_spearman);
        lower("Kendall tau", s.kendall, self.min_kendall);
        lower("median speedup", s.speedup_median, self.min_speedup_median);
        Check {
            violations,
            skipped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_budget_applies_and_limits_are_checked() {
        let b = match Budgets::from_toml(
            "[[budget]]\ngroup = \"ns3-*-all-to-all-*\"\nweighted_error_pct = 4.0\n[[budget]]\ngroup = \"ns3-*\"\nweighted_error_pct = 3.0\nmin_spearman = 0.9\n",
            "b.toml",
        ) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            b.for_group("ns3-switch-all-to-all-fast")
                .and_then(|x| x.weighted_error_pct),
            Some(4.0)
        );
        assert_eq!(
            b.for_group("ns3-switch-all-reduce-fast")
                .and_then(|x| x.weighted_error_pct),
            Some(3.0)
        );
        assert!(b.for_group("h100-kernels-fast").is_none());
        let Some(budget) = b.for_group("ns3-x") else {
            panic!("no budget")
        };
        let stats = GroupStats {
            cases: 3,
            weighted_error_pct: Some(3.5),
            spearman: Some(0.95),
            ..GroupStats::default()
        };
        let c = budget.check(&stats);
        assert_eq!(
            c.violations,
            vec!["weighted error 3.50 % > 3 %".to_string()]
        );
        let c = budget.check(&GroupStats::default());
        assert!(c.violations.is_empty());
        assert_eq!(c.skipped.len(), 2);
    }

    #[test]
    fn bad_budgets_are_refused() {
        let e = Budgets::from_toml("[[budget]]\ngroup = \"x\"\nmape_pct = -1\n", "b.toml")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("b.toml: budget #1 ('x'): mape_pct must be a non-negative number")
        );
        let e = Budgets::from_toml("[[budget]]\ngroup = \"x\"\nmape = 1\n", "b.toml")
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.contains("mape")));
    }
}

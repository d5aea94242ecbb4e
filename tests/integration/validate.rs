//! `deepstack validate`: the quick suite meets its budgets except for the known misses
//! (named here, each with its reason, so a new regression or a fixed miss shows up); a
//! deliberately perturbed engine breaks a budget and `--check` exits 1 naming the group;
//! the same seed gives the same numbers; a bad suite is refused naming the case and field.

use crate::common::run;
use serde_json::Value;

/// Groups of the quick suite that miss the budgets today, so `--check` fails on them
/// on purpose (the budgets stay the targets): (group, statistic, regression guard, why).
/// Each may fail its budget, but its statistic must stay within the guard (set a little
/// above today's value), and no other group may fail. A known miss that starts passing is
/// reported on stderr so it can be removed from this list.
const KNOWN_MISSES: &[(&str, &str, f64, &str)] = &[];

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn groups(v: &Value) -> Vec<(String, String)> {
    v["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap_or("").to_string(),
                g["verdict"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn quick_suite_meets_its_budgets_except_the_known_misses() {
    let out = run(&["validate", "--quick", "--check", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v = json(&out);
    let gs = groups(&v);
    for g in v["groups"].as_array().expect("groups") {
        eprintln!(
            "{:<48} cases {:>3}  weighted {:>7}  MAPE {:>7}  rho {:>6}  {}",
            g["name"].as_str().unwrap_or(""),
            g["cases"],
            g["weighted_error_pct"]
                .as_f64()
                .map_or("-".into(), |x| format!("{x:.2}")),
            g["mape_pct"]
                .as_f64()
                .map_or("-".into(), |x| format!("{x:.2}")),
            g["spearman"]
                .as_f64()
                .map_or("-".into(), |x| format!("{x:.3}")),
            g["verdict"].as_str().unwrap_or("")
        );
    }
    let failing: Vec<&str> = gs
        .iter()
        .filter(|(_, v)| v == "fail")
        .map(|(n, _)| n.as_str())
        .collect();
    for f in &failing {
        assert!(
            KNOWN_MISSES.iter().any(|(k, ..)| k == f),
            "{f} is over budget and is not a known miss:\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("over budget: {f}: ")),
            "stderr does not name {f}:\n{stderr}"
        );
    }
    for (k, stat, guard, why) in KNOWN_MISSES {
        let Some(g) = v["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["name"] == *k)
        else {
            continue;
        };
        let value = g[*stat].as_f64().unwrap_or(f64::INFINITY);
        assert!(
            value <= *guard,
            "{k}: {stat} {value:.2} above its regression guard {guard} ({why})"
        );
        if !failing.contains(k) {
            eprintln!("note: known miss {k} now meets its budget ({stat} {value:.2}); remove it from KNOWN_MISSES");
        }
    }
    assert_eq!(
        out.status.code(),
        Some(if failing.is_empty() { 0 } else { 1 }),
        "{stderr}"
    );
    // The external references the quick suite must cover, within budget.
    for g in [
        "ns3-switch-all-gather-halving-doubling-fast",
        "ns3-switch-all-reduce-rabenseifner-fast",
        "ns3-switch-all-to-all-fast",
        "ns3-torus-all-reduce-ring-fast",
        "vllm-b200-llama-3-70b-fast",
        "vllm-b200-qwen3-235b-a22b-fast",
        "h100-kernels-fast",
    ] {
        assert!(
            gs.iter().any(|(n, v)| n == g && v == "pass"),
            "{g} missing or not within budget: {gs:?}"
        );
    }
    assert!(gs.iter().any(|(n, _)| n == "fast-vs-detailed"), "{gs:?}");
}

#[test]
fn perturbed_engine_breaks_the_budget_and_check_fails() {
    let args = [
        "validate",
        "--quick",
        "--check",
        "--group",
        "ns3-*-fast",
        "--format",
        "json",
    ];
    let clean = run(&args);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    let mut perturbed_args = args.to_vec();
    perturbed_args.extend(["--perturb", "fast=1.1"]);
    let out = run(&perturbed_args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for g in [
        "ns3-switch-all-gather-halving-doubling-fast",
        "ns3-switch-all-reduce-rabenseifner-fast",
        "ns3-switch-all-to-all-fast",
        "ns3-torus-all-reduce-ring-fast",
    ] {
        assert!(
            stderr.contains(&format!("over budget: {g}: weighted error")),
            "{g} not named:\n{stderr}"
        );
    }
    let v = json(&out);
    assert_eq!(v["check"]["passed"], Value::Bool(false));
    assert_eq!(v["perturb"]["factor"].as_f64(), Some(1.1));
}

/// The report with the wall-time fields removed.
fn without_walls(mut v: Value) -> Value {
    for c in v["cases"].as_array_mut().expect("cases") {
        for k in ["fast_wall_s", "detailed_wall_s", "speedup"] {
            c[k] = Value::Null;
        }
    }
    for g in v["groups"].as_array_mut().expect("groups") {
        for k in ["speedup_median", "speedup_geomean"] {
            g[k] = Value::Null;
        }
    }
    v
}

#[test]
fn same_seed_same_numbers() {
    let args = [
        "validate",
        "--quick",
        "--group",
        "ns3-switch-*-fast",
        "--group",
        "h100-*",
        "--format",
        "json",
        "--seed",
        "7",
    ];
    let a = without_walls(json(&run(&args)));
    let b = without_walls(json(&run(&args)));
    assert_eq!(a, b);
    assert_eq!(a["seed"], 7);
    let ci = &a["groups"][0]["mape_ci95_pct"];
    assert!(ci[0].as_f64() <= ci[1].as_f64(), "{ci}");
}

#[test]
fn bad_suite_is_refused_naming_the_case_and_field() {
    let dir = std::env::temp_dir().join(format!("deepstack-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "[[scenario]]\nid = \"odd-tp\"\nsystem = \"stacked-3d-x8\"\nmodel = \"llama-3-8b\"\nbatch = 4\nparallel = \"tp=3\"\n",
    )
    .unwrap();
    let out = run(&["validate", "--suite", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("[[scenario]] 'odd-tp': field `parallel`"),
        "{stderr}"
    );
    std::fs::write(&file, "[[dram]]\nid = \"d\"\nsystem = \"h100x8\"\n").unwrap();
    let out = run(&["validate", "--suite", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("[[dram]] 'd': field `system`: h100x8 has no stacked memory"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

//! Whole scenarios on the detailed engine: determinism, the report's window fields, and the
//! CLI path.

use crate::common::run;

fn without_wall_time(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("eval_time_s");
        o.remove("events_per_s");
    }
    v
}

#[test]
fn same_scenario_and_seed_give_identical_json() {
    let args = [
        "simulate",
        "--engine",
        "detailed",
        "--model",
        "llama-3-8b",
        "--system",
        "stacked-3d-x8",
        "--batch",
        "4",
        "--input-len",
        "256",
        "--output-len",
        "256",
        "--seed",
        "7",
        "--format",
        "json",
    ];
    let a = run(&args);
    let b = run(&args);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let va: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    let vb: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
    assert_eq!(va["engine"], "detailed");
    assert!(va["simulated_layers"].as_u64().unwrap() >= 1);
    assert_eq!(va["total_layers"], 32);
    assert!(va["events"].as_u64().unwrap() > 0);
    assert_eq!(
        serde_json::to_string(&without_wall_time(va)).unwrap(),
        serde_json::to_string(&without_wall_time(vb)).unwrap()
    );
}

#[test]
fn detailed_runs_moe_with_expert_parallel_all_to_all() {
    let out = run(&[
        "simulate",
        "--engine",
        "detailed",
        "--model",
        "tests/fixtures/good-qwen3-moe.json",
        "--system",
        "stacked-3d-x8",
        "--batch",
        "8",
        "--input-len",
        "128",
        "--output-len",
        "128",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ops = v["breakdown"]["operators"].as_array().unwrap();
    assert!(ops
        .iter()
        .any(|o| o["name"] == "ep_dispatch" && o["time_s"].as_f64().unwrap() > 0.0));
    assert!(v["throughput_tokens_per_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn collective_detailed_reports_events() {
    let out = run(&[
        "collective",
        "--engine",
        "detailed",
        "--network",
        "switch(8,128GB/s,128ns)",
        "--op",
        "all-reduce",
        "--bytes",
        "1MiB",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["engine"], "detailed");
    assert!(v["time_s"].as_f64().unwrap() > 0.0);
    assert!(v["events"].as_u64().unwrap() > 0);
}

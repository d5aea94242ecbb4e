//! Bad input through the binary: one line on stderr naming the field, exit code 2, no panic.

use crate::common::run;

fn expect_error(args: &[&str], needle: &str) {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: expected exit 2, got {:?}; stderr: {stderr}",
        out.status.code()
    );
    assert!(
        stderr.contains(needle),
        "{args:?}: stderr lacks '{needle}': {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "{args:?}: expected one line: {stderr}"
    );
}

#[test]
fn bad_inputs_are_named_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["simulate", "--system", "nope"], "unknown system 'nope'"),
        (&["simulate", "--model", "gpt-5"], "unknown model 'gpt-5'"),
        (
            &["simulate", "--model", "tests/fixtures/bad-zero-layers.json"],
            "num_hidden_layers",
        ),
        (
            &["simulate", "--model", "tests/fixtures/bad-arch.json"],
            "model_type",
        ),
        (
            &["simulate", "--model", "tests/fixtures/bad-malformed.json"],
            "not valid JSON",
        ),
        (
            &["simulate", "--model", "tests/fixtures/missing.json"],
            "cannot read",
        ),
        (
            &["simulate", "--system", "tests/fixtures/bad-connected.toml"],
            "system.memory.connected_layers = 12 is invalid: exceeds total_layers = 8",
        ),
        (
            &[
                "simulate",
                "--system",
                "tests/fixtures/bad-zero-layers.toml",
            ],
            "total_layers",
        ),
        (
            &["simulate", "--system", "tests/fixtures/bad-zero-banks.toml"],
            "banks_per_channel",
        ),
        (
            &["simulate", "--system", "tests/fixtures/bad-refresh.toml"],
            "system.memory.refresh_cycle_s = 0.000005 is invalid: must be positive and shorter than refresh_interval_s",
        ),
        (
            &["simulate", "--system", "tests/fixtures/bad-malformed.toml"],
            "bad-malformed.toml",
        ),
        (
            &["simulate", "--system", "tests/fixtures/missing.toml"],
            "cannot read",
        ),
        (
            &["simulate", "--parallel", "tp=3,dp=8"],
            "product of the degrees",
        ),
        (
            &[
                "simulate",
                "--system",
                "h100x8",
                "--model",
                "llama-3-8b",
                "--devices",
                "0",
            ],
            "--devices = 0",
        ),
        (
            &[
                "simulate",
                "--system",
                "stacked-3d-x8",
                "--model",
                "qwen3-235b-a22b",
                "--parallel",
                "tp=8,ep=3",
            ],
            "product of the degrees",
        ),
        (
            &[
                "simulate",
                "--model",
                "llama-3-70b",
                "--system",
                "mi325x4",
                "--parallel",
                "tp=3",
                "--devices",
                "3",
                "--network",
                "all2all(3,64GB/s,1us)",
            ],
            "must divide the 64 attention heads",
        ),
        (
            &["simulate", "--model", "llama-3-70b", "--parallel", "ep=8"],
            "dense",
        ),
        (&["simulate", "--batch", "0"], "--batch = 0"),
        (&["simulate", "--phase", "train"], "--phase"),
        (
            &["simulate", "--network", "switch(8,fast,1ns)"],
            "--network",
        ),
        (
            &["simulate", "--network", "hypercube(8,1GB/s,1ns)"],
            "unknown level kind",
        ),
        (
            &[
                "simulate",
                "--system",
                "h100x8",
                "--model",
                "llama-3.1-405b",
                "--parallel",
                "tp=8",
            ],
            "short by",
        ),
        (&["simulate", "--format", "xml"], "--format"),
        (&["simulate", "--engine", "magic"], "--engine"),
        (&["simulate", "--algorithm", "telepathy"], "--algorithm"),
        (&["simulate", "--parallel", "tp=8,fsdp=maybe"], "fsdp"),
        (&["collective", "--op", "broadcast"], "--op"),
        (&["collective", "--bytes", "lots"], "--bytes"),
        (
            &[
                "collective",
                "--network",
                "switch(6,1GB/s,1ns)",
                "--algorithm",
                "rabenseifner",
            ],
            "power of two",
        ),
        (
            &[
                "collective",
                "--network",
                "switch(8,1GB/s,1ns)",
                "--op",
                "all-gather",
                "--algorithm",
                "2d-ring",
            ],
            "2D",
        ),
        (&["collective", "--packet-bytes", "20"], "--packet-bytes"),
    ];
    assert!(cases.len() >= 20);
    for (args, needle) in cases {
        expect_error(args, needle);
    }
}

#[test]
fn a_hugging_face_config_runs() {
    let out = run(&[
        "simulate",
        "--system",
        "h100x8",
        "--model",
        "tests/fixtures/good-qwen3-moe.json",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["throughput_tokens_per_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn default_simulate_prints_a_table() {
    let out = run(&[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("llama-3-70b on stacked-3d-x8"), "{text}");
    assert!(text.contains("throughput"));
}

#[test]
fn simulate_json_has_the_documented_keys() {
    let out = run(&["simulate", "--format", "json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in [
        "engine",
        "throughput_tokens_per_s",
        "utps_tokens_per_s",
        "ttft_s",
        "tpot_s",
        "step_time_s",
        "energy_per_token_j",
        "power_w",
        "peak_temperature_c",
        "feasible",
        "breakdown",
        "eval_time_s",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    for k in ["compute_s", "memory_s", "exposed_network_s", "operators"] {
        assert!(v["breakdown"].get(k).is_some(), "missing breakdown.{k}");
    }
    let out = run(&[
        "collective",
        "--format",
        "json",
        "--network",
        "torus(4x4,128GB/s,128ns)",
        "--op",
        "all-gather",
        "--bytes",
        "1MiB",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in ["time_s", "hop_time_s", "link_time_s", "algorithm"] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
}

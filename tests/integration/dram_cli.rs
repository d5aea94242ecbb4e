//! `deepstack dram` through the binary: output, determinism and bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deepstack"))
        .arg("dram")
        .args(args)
        .output()
        .unwrap()
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("deepstack-dram-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_error(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "missing {n:?} in: {err}");
    }
}

#[test]
fn json_has_the_documented_fields() {
    let o = run(&[
        "--memory",
        "hbm2",
        "--pattern",
        "random",
        "--requests",
        "5000",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(text.trim().lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for k in [
        "requests",
        "reads",
        "writes",
        "cycles",
        "simulated_time_s",
        "bandwidth_bytes_per_s",
        "avg_read_latency_ns",
        "p99_read_latency_ns",
        "row_hit_rate",
        "timing_violations",
        "events",
        "wall_s",
    ] {
        assert!(v.get(k).is_some_and(|x| x.is_number()), "missing {k}");
    }
    assert_eq!(v["requests"], 5000);
    assert_eq!(v["timing_violations"], 0);
}

#[test]
fn trace_replay_and_formats() {
    let trace = concat!(env!("CARGO_MANIFEST_DIR"), "/traces/stream_4k.trace");
    for fmt in ["table", "csv", "json"] {
        let o = run(&["--memory", "hbm3", "--trace", trace, "--format", fmt]);
        assert!(o.status.success(), "{fmt}: {}", stderr(&o));
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(out.contains("4096"), "{fmt}: {out}");
    }
}

#[test]
fn same_seed_gives_identical_json_except_wall_time() {
    let args = [
        "--memory",
        "hbm2",
        "--pattern",
        "mixed",
        "--requests",
        "20000",
        "--seed",
        "5",
        "--format",
        "json",
    ];
    let mask = |o: Output| {
        assert!(o.status.success());
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["wall_s"] = serde_json::Value::Null;
        serde_json::to_string(&v).unwrap()
    };
    let a = mask(run(&args));
    let b = mask(run(&args));
    assert_eq!(a, b);
    let mut other = args;
    other[7] = "6";
    assert_ne!(a, mask(run(&other)));
}

#[test]
fn malformed_trace_line_is_reported_with_number_and_content() {
    let p = tmp("bad.trace", "0x40 READ 0\n0x80 READ 1\n0x1g0 READ 2\n");
    let o = run(&["--trace", p.to_str().unwrap()]);
    assert_error(&o, &["line 3", "0x1g0 READ 2"]);
    let p = tmp("bad2.trace", "0x40 READ 0\n0x80 FETCH 1\n");
    assert_error(
        &run(&["--trace", p.to_str().unwrap()]),
        &["line 2", "0x80 FETCH 1", "READ or WRITE"],
    );
}

#[test]
fn address_beyond_capacity_is_an_error() {
    // hbm2 holds 8 GiB = 0x2_0000_0000 bytes.
    let p = tmp("far.trace", "0x40 READ 0\n0x200000000 READ 1\n");
    assert_error(
        &run(&["--memory", "hbm2", "--trace", p.to_str().unwrap()]),
        &["line 2", "beyond", "0x200000000"],
    );
}

const INI: &str = "[dram_structure]\nprotocol = HBM\nbankgroups = 4\nbanks_per_group = 4\nrows = 32768\ncolumns = 64\ndevice_width = 128\nBL = 4\n\n[timing]\ntCK = 1\nCL = 14\nCWL = 4\ntRCDRD = 14\ntRCDWR = 14\ntRP = 14\ntRAS = 34\ntRFC = 260\ntREFI = 3900\ntRRD_S = 4\ntRRD_L = 6\ntWTR_S = 6\ntWTR_L = 8\ntFAW = 30\ntWR = 16\ntCCD_S = 1\ntCCD_L = 2\ntRTP_L = 6\ntRTP_S = 4\n\n[system]\nchannel_size = 1024\nchannels = 8\nbus_width = 128\naddress_mapping = rorabgbachco\nrow_buf_policy = OPEN_PAGE\ncmd_queue_size = 32\n";

#[test]
fn dramsim3_ini_runs_and_bad_keys_are_named() {
    let good = tmp("HBM2_8Gb_x128.ini", INI);
    let o = run(&[
        "--memory",
        good.to_str().unwrap(),
        "--pattern",
        "stream",
        "--requests",
        "2000",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let missing = tmp("missing.ini", &INI.replace("tFAW = 30\n", ""));
    assert_error(
        &run(&["--memory", missing.to_str().unwrap()]),
        &["missing key `tFAW`", "[timing]"],
    );

    let impossible = tmp("impossible.ini", &INI.replace("tRAS = 34", "tRAS = 10"));
    assert_error(
        &run(&["--memory", impossible.to_str().unwrap()]),
        &["[timing] tRAS = 10", "tRCDRD"],
    );

    let size = tmp(
        "size.ini",
        &INI.replace("channel_size = 1024", "channel_size = 1000"),
    );
    assert_error(
        &run(&["--memory", size.to_str().unwrap()]),
        &["[system] channel_size = 1000"],
    );
}

#[test]
fn unknown_memory_and_missing_trace_are_errors() {
    assert_error(
        &run(&["--memory", "hbm9"]),
        &["unknown memory 'hbm9'", "hbm2"],
    );
    assert_error(
        &run(&["--trace", "/nonexistent/x.trace"]),
        &["/nonexistent/x.trace"],
    );
}

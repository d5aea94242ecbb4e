//! Throughput of the detailed DRAM model: requests simulated per second for a
//! streaming trace (parsed from text, as the CLI does), for generated random traffic,
//! and the raw event-queue push/pop rate. Each run checks that the protocol checker
//! found no violation, so a fast but wrong change fails here too.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use deepstack::dram::{measure_effective_bandwidth, presets, run_records, Pattern, TraceReader};
use deepstack::sim::{EventQueue, SimTime};
use std::fmt::Write;
use std::hint::black_box;

fn stream_text(n: u64) -> String {
    let mut s = String::with_capacity(n as usize * 24);
    for i in 0..n {
        let _ = writeln!(s, "{:#x} READ {}", i * 64, i / 4);
    }
    s
}

fn stream_trace(c: &mut Criterion) {
    let spec = match presets::preset("hbm2") {
        Ok(s) => s,
        Err(e) => panic!("hbm2 preset: {e}"),
    };
    let mut group = c.benchmark_group("dram_stream_trace");
    group.sample_size(10);
    for n in [1u64 << 16, 1 << 18, 1 << 20] {
        let text = stream_text(n);
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| {
                let reader = TraceReader::new(text.as_bytes(), Some(spec.capacity_bytes()));
                let stats = match run_records(&spec, reader, 1) {
                    Ok(s) => s,
                    Err(e) => panic!("run failed: {e}"),
                };
                assert_eq!(stats.timing_violations, 0);
                assert_eq!(stats.requests, n);
                black_box(stats.bandwidth_bytes_per_s)
            })
        });
    }
    group.finish();
}

fn random_pattern(c: &mut Criterion) {
    let spec = match presets::preset("hbm2") {
        Ok(s) => s,
        Err(e) => panic!("hbm2 preset: {e}"),
    };
    let mut group = c.benchmark_group("dram_random_pattern");
    group.sample_size(10);
    let n = 1u64 << 18;
    group.throughput(Throughput::Elements(n));
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| {
            let stats = match measure_effective_bandwidth(&spec, Pattern::Random, n, 1) {
                Ok(s) => s,
                Err(e) => panic!("run failed: {e}"),
            };
            assert_eq!(stats.timing_violations, 0);
            black_box(stats.bandwidth_bytes_per_s)
        })
    });
    group.finish();
}

fn trace_parse(c: &mut Criterion) {
    let n = 1u64 << 18;
    let text = stream_text(n);
    let mut group = c.benchmark_group("dram_trace_parse");
    group.throughput(Throughput::Elements(n));
    group.bench_function("lines", |b| {
        b.iter(|| {
            let count = TraceReader::new(text.as_bytes(), None)
                .filter(|r| r.is_ok())
                .count();
            assert_eq!(count as u64, n);
            black_box(count)
        })
    });
    group.finish();
}

fn event_queue(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue");
    for pending in [8u64, 64, 1024] {
        let ops = 1u64 << 16;
        group.throughput(Throughput::Elements(ops));
        group.bench_with_input(
            BenchmarkId::new("pop_push", pending),
            &pending,
            |b, &pending| {
                b.iter(|| {
                    let mut q = EventQueue::new();
                    for i in 0..pending {
                        let _ = q.schedule(SimTime::from_ps(i * 7 % 97), i);
                    }
                    let mut last = SimTime::ZERO;
                    for _ in 0..ops {
                        if let Some((t, e)) = q.pop() {
                            assert!(t >= last);
                            last = t;
                            let _ = q.schedule(SimTime::from_ps(t.as_ps() + 1 + e % 13), e);
                        }
                    }
                    black_box(last)
                })
            },
        );
    }
    group.finish();
}

criterion_group!(
    benches,
    stream_trace,
    random_pattern,
    trace_parse,
    event_queue
);
criterion_main!(benches);

//! One fast evaluation (warm caches, as in a search) of llama-3-70b decode on 8 devices and of
//! deepseek-v3 decode on 256 devices.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use deepstack::engine::{fast::FastEngine, Evaluator};
use deepstack::hw::System;
use deepstack::model::Model;
use deepstack::parallel::ParallelScheme;
use deepstack::scenario::{Options, Scenario};
use deepstack::workload::{Phase, Workload};

fn scenario(system: &str, model: &str, batch: u32, scheme: &str) -> Scenario {
    Scenario::new(
        System::load(system).expect("preset"),
        Model::load(model).expect("preset"),
        Workload {
            phase: Phase::Decode,
            batch,
            input_len: 1024,
            output_len: 1024,
        },
        ParallelScheme::parse(scheme).expect("scheme"),
        Options::default(),
    )
    .expect("valid scenario")
}

fn bench(c: &mut Criterion) {
    let engine = FastEngine::new();
    let llama = scenario("stacked-3d-x8", "llama-3-70b", 64, "tp=8");
    let ds = scenario("stacked-3d-x256", "deepseek-v3", 1024, "tp=4,ep=32,pp=2");
    for s in [&llama, &ds] {
        let r = engine.evaluate(s).expect("evaluates");
        assert!(r.throughput_tokens_per_s > 0.0 && r.step_time_s > 0.0);
    }
    c.bench_function("fast/llama-3-70b-decode-8dev", |b| {
        b.iter(|| engine.evaluate(black_box(&llama)))
    });
    c.bench_function("fast/deepseek-v3-decode-256dev", |b| {
        b.iter(|| engine.evaluate(black_box(&ds)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

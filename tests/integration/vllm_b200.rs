//! b200x8 against measured vLLM decode throughput (TP8, batch 1–512, 1024 in / 1024 out;
//! validation/references/vllm-b200), through the same code path as `deepstack simulate`.

use crate::common::{mape_pct, repo};
use deepstack::engine::{fast::FastEngine, Evaluator};
use deepstack::hw::System;
use deepstack::model::Model;
use deepstack::parallel::ParallelScheme;
use deepstack::validate::references::{read_vllm, vllm_scenario};

/// (model tokens/s, measured tokens/s) for batch 1..512 (CUDA graphs on), read and set up
/// as `deepstack validate` does.
pub fn points(model: &str, file: &str) -> Vec<(f64, f64)> {
    let system = System::load("b200x8").unwrap();
    let model = Model::load(model).unwrap();
    let scheme = ParallelScheme::parse("tp=8").unwrap();
    let engine = FastEngine::new();
    read_vllm(&repo(file), 512)
        .unwrap()
        .iter()
        .map(|p| {
            let s = vllm_scenario(&system, &model, scheme, p.batch, 0).unwrap();
            (
                engine.evaluate(&s).unwrap().throughput_tokens_per_s,
                p.decode_tokens_per_s,
            )
        })
        .collect()
}

/// The target per model, 15 % MAPE; the README's accuracy table has the current figures.
#[test]
fn b200_vllm_decode_accuracy_guard() {
    for (model, file, guard) in [
        (
            "llama-3-70b",
            "validation/references/vllm-b200/benchmark_summary_llama_3_70b.csv",
            15.0,
        ),
        (
            "qwen3-235b-a22b",
            "validation/references/vllm-b200/benchmark_summary_qwen_235b.csv",
            15.0,
        ),
    ] {
        let p = points(model, file);
        assert_eq!(p.len(), 10);
        let e = mape_pct(&p);
        eprintln!("{model}: MAPE {e:.2} % over {} points", p.len());
        assert!(e <= guard, "{model}: MAPE {e:.2} % > {guard} %");
    }
}

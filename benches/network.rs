//! Throughput of the detailed packet network, in events per second: collectives on the
//! reference networks over a sweep of sizes, with and without train aggregation. Each run
//! checks that the collective took at least its zero-load time, so a fast but wrong
//! engine fails here.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use deepstack::collective::{Algorithm, CollectiveCase, Op};
use deepstack::engine::detailed::network::{collective_timing, PacketConfig};
use deepstack::network::NetworkSpec;

fn case(net: &str, op: Op, algorithm: Algorithm, bytes: f64) -> CollectiveCase {
    let network = NetworkSpec::parse(net, "bench").unwrap_or_else(|e| panic!("{e}"));
    CollectiveCase {
        network,
        op,
        algorithm: Some(algorithm),
        bytes,
        packet: None,
        groups: None,
    }
}

fn bench_collectives(c: &mut Criterion) {
    let cases = [
        (
            "switch8-allreduce",
            "switch(8,128GB/s,128ns)",
            Op::AllReduce,
            Algorithm::Rabenseifner,
        ),
        (
            "switch8x8-alltoall",
            "switch(8,512GB/s,128ns)/switch(8,64GB/s,512ns)",
            Op::AllToAll,
            Algorithm::Direct,
        ),
        (
            "torus8x8-ring",
            "torus(8x8,128GB/s,128ns)",
            Op::AllReduce,
            Algorithm::Ring,
        ),
    ];
    for (name, net, op, algorithm) in cases {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for power in [12u32, 16, 20, 24] {
            let bytes = f64::from(1u32 << power);
            let c = case(net, op, algorithm, bytes);
            for (label, cfg) in [
                ("trains", PacketConfig::default()),
                ("packets", PacketConfig::per_packet()),
            ] {
                if label == "packets" && power > 16 {
                    continue;
                }
                let probe = collective_timing(&c, &cfg, 0).unwrap_or_else(|e| panic!("{e}"));
                assert!(probe.time_s >= probe.hop_time_s && probe.time_s > 0.0);
                group.throughput(Throughput::Elements(probe.events));
                group.bench_with_input(BenchmarkId::new(label, 1u64 << power), &c, |b, c| {
                    b.iter(|| {
                        collective_timing(c, &cfg, 0)
                            .map(|r| r.time_s)
                            .unwrap_or(0.0)
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench_collectives);
criterion_main!(benches);

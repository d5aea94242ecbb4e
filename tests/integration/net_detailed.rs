//! Behaviour of the detailed packet network: exact timing of a lone packet, the
//! acknowledgement round trip, aggregation against per-packet simulation, determinism,
//! per-rank dependencies, and where it must disagree with the fast engine.

use deepstack::collective::{Algorithm, CollectiveCase, Flow, Op, Step};
use deepstack::engine::detailed::network::{
    collective_timing, run_schedule, Aggregation, Completion, Dep, Mapping, NetworkSim, Notice,
    PacketConfig,
};
use deepstack::engine::fast::network::{self as fast, NetScratch};
use deepstack::network::{NetworkSpec, Topology};
use deepstack::sim::{Picos, SimTime};

fn spec(s: &str) -> NetworkSpec {
    NetworkSpec::parse(s, "test").unwrap_or_else(|e| panic!("{e}"))
}

fn case(net: &str, op: Op, algorithm: Algorithm, bytes: f64) -> CollectiveCase {
    CollectiveCase {
        network: spec(net),
        op,
        algorithm: Some(algorithm),
        bytes,
        packet: None,
        groups: None,
    }
}

fn detailed_s(c: &CollectiveCase, cfg: &PacketConfig) -> f64 {
    collective_timing(c, cfg, 7)
        .unwrap_or_else(|e| panic!("{e}"))
        .time_s
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b
}

/// One 1000-byte message through one switch, last-packet completion, no rounding: the
/// delivery instant is serialisation + latency on each link plus the crossbar, to the
/// picosecond, and not one picosecond earlier.
#[test]
fn lone_packet_arrives_exactly_on_time() {
    let topo = Topology::new(&spec("switch(4,100GB/s,50ns,400GB/s)"));
    let cfg = PacketConfig {
        packet_bytes: 1064,
        header_bytes: 64,
        tx_quantum: Picos(1),
        completion: Completion::LastPacket,
        ..PacketConfig::default()
    };
    let mut sim = NetworkSim::new(&topo, &cfg, 0).unwrap_or_else(|e| panic!("{e}"));
    let g = sim
        .add_gate(SimTime::ZERO, &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let m = sim
        .add_message(0, 3, 1000, g)
        .unwrap_or_else(|e| panic!("{e}"));
    // 1064 B: 10 640 ps per link at 100 GB/s, 2 660 ps across the 400 GB/s crossbar.
    let expected = SimTime::from_ps(10_640 + 50_000 + 2_660 + 10_640 + 50_000);
    sim.run_until(SimTime::from_ps(expected.as_ps() - 1))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sim.message(m).and_then(|t| t.delivered), None);
    sim.run().unwrap_or_else(|e| panic!("{e}"));
    let t = sim.message(m).unwrap_or_default();
    assert_eq!(t.delivered, Some(expected));
    assert_eq!(t.completed, Some(expected));
}

/// Under acknowledgements a small dependent step costs a round trip: the NS-3 floor that
/// the analytical models miss (README §2.6; s0 all-reduce of 512 B: NS-3 3088 ns).
#[test]
fn small_dependent_steps_cost_a_round_trip_each() {
    let c = case(
        "switch(8,128GB/s,128ns)",
        Op::AllReduce,
        Algorithm::Rabenseifner,
        512.0,
    );
    let ack = detailed_s(&c, &PacketConfig::default());
    let last = detailed_s(
        &c,
        &PacketConfig {
            completion: Completion::LastPacket,
            ..PacketConfig::default()
        },
    );
    let fast = fast::collective_timing(&c)
        .unwrap_or_else(|e| panic!("{e}"))
        .cost
        .total_s();
    // 6 dependent steps × 2 hops × 128 ns, once without and twice with acknowledgements.
    assert!(rel(last, 6.0 * 256e-9) < 0.05, "{last}");
    assert!(rel(ack, 6.0 * 512e-9) < 0.05, "{ack}");
    // The fast engine charges the same round trip per dependent step in its latency stage.
    assert!(rel(fast, ack) < 0.05, "detailed {ack} vs fast {fast}");
    assert!(rel(ack, 3088e-9) < 0.03, "{ack} vs NS-3 3088 ns");
}

/// On a torus the ring all-reduce runs one ring per dimension: 28 instead of 126 dependent
/// steps on 8×8, as the NS-3 floor shows (7182 ns at 512 B); the flat ring's floor is
/// the fast engine's (and the paper's) 4.5× overestimate.
#[test]
fn torus_ring_runs_per_dimension() {
    let c = case(
        "torus(8x8,128GB/s,128ns)",
        Op::AllReduce,
        Algorithm::Ring,
        512.0,
    );
    let per_dim =
        collective_timing(&c, &PacketConfig::default(), 1).unwrap_or_else(|e| panic!("{e}"));
    let flat = detailed_s(
        &c,
        &PacketConfig {
            mapping: Mapping::Flat,
            ..PacketConfig::default()
        },
    );
    assert_eq!(per_dim.steps, 28);
    assert_eq!(per_dim.mapping, Mapping::PerDimension);
    assert!(rel(per_dim.time_s, 7182e-9) < 0.02, "{}", per_dim.time_s);
    assert!(flat > 4.0 * per_dim.time_s);
    // The breakdown is honest: the propagation-only time is the 28 round trips.
    assert!(
        rel(per_dim.hop_time_s, 28.0 * 256e-9) < 1e-9,
        "{}",
        per_dim.hop_time_s
    );
    assert!((per_dim.hop_time_s + per_dim.link_time_s - per_dim.time_s).abs() < 1e-15);
}

/// Trains give the same answer as packet-by-packet simulation on mid-size messages, with
/// contention (all-to-all through a two-level tree, incast), dependencies and rounding.
/// The trains here are four times coarser than the default (at most 64 per message instead
/// of 256); what remains is an end effect of about two train times per step.
#[test]
fn trains_match_per_packet_simulation() {
    let trains = PacketConfig {
        aggregation: Aggregation::Trains {
            max_units_per_message: 64,
            units_per_step: 1 << 16,
        },
        ..PacketConfig::default()
    };
    let exact = PacketConfig::per_packet();
    let cases = [
        case(
            "switch(8,128GB/s,128ns)",
            Op::AllReduce,
            Algorithm::Rabenseifner,
            1_048_576.0,
        ),
        case(
            "switch(4,256GB/s,128ns)/switch(4,32GB/s,512ns)",
            Op::AllToAll,
            Algorithm::Direct,
            65_536.0,
        ),
        case(
            "switch(8,512GB/s,128ns)/switch(8,64GB/s,512ns)",
            Op::AllGather,
            Algorithm::HalvingDoubling,
            65_536.0,
        ),
        case(
            "torus(4x4,32GB/s,32ns)",
            Op::AllReduce,
            Algorithm::Ring,
            4_194_304.0,
        ),
        case(
            "switch(8,100GB/s,100ns)",
            Op::AllToAll,
            Algorithm::Direct,
            1_000_000.0,
        ),
    ];
    for c in &cases {
        let a = collective_timing(c, &trains, 3).unwrap_or_else(|e| panic!("{e}"));
        let b = collective_timing(c, &exact, 3).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            a.stats.trains * 4 < b.stats.trains,
            "{}: no aggregation happened",
            c.network
        );
        let d = rel(a.time_s, b.time_s);
        eprintln!(
            "{} {:?}: trains {:.6e} s ({} events), packets {:.6e} s ({} events), {:.3} %",
            c.network,
            c.op,
            a.time_s,
            a.events,
            b.time_s,
            b.events,
            100.0 * d
        );
        assert!(
            d < 0.01,
            "{}: trains {} vs packets {}",
            c.network,
            a.time_s,
            b.time_s
        );
    }
}

/// The same case and seed give byte-identical results (wall time aside).
#[test]
fn same_case_and_seed_is_byte_identical() {
    let c = case(
        "switch(8,256GB/s,128ns)/switch(8,32GB/s,512ns)",
        Op::AllToAll,
        Algorithm::Direct,
        4096.0,
    );
    let run = || {
        let mut r =
            collective_timing(&c, &PacketConfig::default(), 42).unwrap_or_else(|e| panic!("{e}"));
        r.wall_s = 0.0;
        serde_json::to_string(&r).unwrap_or_else(|e| panic!("{e}"))
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    assert!(a.contains("\"events\""));
}

/// No global barrier: ranks whose partners are early finish early.
#[test]
fn ranks_proceed_on_their_own_dependencies() {
    let topo = Topology::new(&spec("switch(4,100GB/s,100ns)"));
    let big = Flow {
        src: 0,
        dst: 1,
        bytes: 1e6,
    };
    let small = Flow {
        src: 2,
        dst: 3,
        bytes: 1e3,
    };
    let steps = vec![Step {
        flows: vec![big, small],
        repeat: 3,
    }];
    let run = run_schedule(
        &topo,
        &steps,
        SimTime::from_ps(5_000_000),
        &PacketConfig::default(),
        0,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let at = |d: u32| {
        run.rank_finish
            .iter()
            .find(|(r, _)| *r == d)
            .map(|(_, t)| t.as_secs_f64())
            .unwrap_or(0.0)
    };
    // Ranks 2 and 3 exchange 1 kB three times: three round trips after the start.
    assert!(at(2) < 5e-6 + 3.0 * 0.5e-6, "{}", at(2));
    // Ranks 0 and 1 move 3 MB at 100 GB/s: at least 30 µs.
    assert!(at(0) > 5e-6 + 30e-6 && at(1) > 5e-6 + 30e-6);
    assert_eq!(run.end.as_secs_f64(), at(0).max(at(1)));
}

/// Gates chain communication with other work: a message released by a time, a second one
/// that waits for the first's delivery, notices in order.
#[test]
fn gates_release_and_chain_messages() {
    let topo = Topology::new(&spec("ring(4,50GB/s,200ns)"));
    let cfg = PacketConfig::default();
    let mut sim = NetworkSim::new(&topo, &cfg, 0).unwrap_or_else(|e| panic!("{e}"));
    sim.record_notices();
    let g1 = sim
        .add_gate(SimTime::from_ps(1_000_000), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let m1 = sim
        .add_message(0, 2, 10_000, g1)
        .unwrap_or_else(|e| panic!("{e}"));
    let g2 = sim
        .add_gate(SimTime::ZERO, &[Dep::Delivered(m1)])
        .unwrap_or_else(|e| panic!("{e}"));
    let m2 = sim
        .add_message(2, 3, 10_000, g2)
        .unwrap_or_else(|e| panic!("{e}"));
    let local = sim
        .add_message(1, 1, 10_000, g2)
        .unwrap_or_else(|e| panic!("{e}"));
    sim.run().unwrap_or_else(|e| panic!("{e}"));
    let t1 = sim.message(m1).unwrap_or_default();
    let t2 = sim.message(m2).unwrap_or_default();
    assert_eq!(t1.released, Some(SimTime::from_ps(1_000_000)));
    assert_eq!(sim.gate_opened(g2), t1.delivered);
    assert_eq!(t2.released, t1.delivered);
    assert!(t2.completed > t2.delivered);
    assert_eq!(sim.message(local).and_then(|t| t.completed), t1.delivered);
    let notices = sim.take_notices();
    assert!(matches!(notices.first(), Some(Notice::Opened(g, _)) if *g == g1));
    assert!(notices
        .windows(2)
        .all(|w| notice_time(&w[0]) <= notice_time(&w[1])));
    // Errors, not panics, on bad input.
    assert!(sim.add_message(0, 9, 1, g2).is_err());
    assert!(sim.add_message(0, 1, 1, g2).is_err(), "gate already open");
    assert!(
        sim.add_gate(SimTime::ZERO, &[]).is_err(),
        "release in the past"
    );
}

fn notice_time(n: &Notice) -> SimTime {
    match *n {
        Notice::Delivered(_, t) | Notice::Completed(_, t) | Notice::Opened(_, t) => t,
    }
}

/// Incast under lossless backpressure. Seven senders each send a block to device 0 (one
/// congested output port) and six times as much to a private, idle destination. The fast
/// engine charges every resource only its own load: the busiest links (each sender's
/// uplink and device 0's downlink) carry 7 blocks, so it predicts 7 block times. Its blind
/// spot is head-of-line blocking: once a sender's switch input buffer is full of packets
/// waiting for the congested port, the sender may not send its victim packets either,
/// although their port is idle. With small buffers the victims crawl at the incast rate;
/// with deep buffers the detailed engine agrees with the fast one.
#[test]
fn incast_head_of_line_blocking_is_where_the_fast_engine_is_blind() {
    let net = spec("switch(16,100GB/s,100ns)");
    let topo = Topology::new(&net);
    let block = 64_000.0;
    let mut flows = Vec::new();
    for s in 1..8u32 {
        flows.push(Flow {
            src: s,
            dst: 0,
            bytes: block,
        });
        flows.push(Flow {
            src: s,
            dst: 7 + s,
            bytes: 6.0 * block,
        });
    }
    let steps = vec![Step { flows, repeat: 1 }];
    let fast_s = fast::step_cost(&topo, &steps[0], &mut NetScratch::default()).total_s();
    let run = |buffer_packets: u32| {
        // The NS-3 panels' packets (1064 B with a 64-byte header), one event each.
        let cfg = PacketConfig {
            buffer_packets,
            buffers_cover_round_trip: false,
            completion: Completion::LastPacket,
            aggregation: Aggregation::PerPacket,
            ..PacketConfig::ns3()
        };
        run_schedule(&topo, &steps, SimTime::ZERO, &cfg, 0).unwrap_or_else(|e| panic!("{e}"))
    };
    let shallow = run(32);
    let deep = run(100_000);
    let (shallow_s, deep_s) = (shallow.end.as_secs_f64(), deep.end.as_secs_f64());
    eprintln!("incast: fast {fast_s:.3e} s, detailed deep buffers {deep_s:.3e} s, 32-packet buffers {shallow_s:.3e} s ({} stalls)", shallow.stats.credit_stalls);
    assert!(
        rel(deep_s, fast_s) < 0.1,
        "deep buffers {deep_s} vs fast {fast_s}"
    );
    assert!(
        shallow_s > 1.4 * fast_s,
        "head-of-line blocking missing: {shallow_s} vs fast {fast_s}"
    );
    assert!(shallow.stats.credit_stalls > 0 && deep.stats.credit_stalls == 0);
}

/// A link's buffer covers its credit round trip, so a lone ring on a long-latency switch
/// (the H100 NVSwitch level: 370 GB/s, 1.25 µs per hop) runs at line rate as the fast engine
/// has it; with 512-packet buffers the credits would cap each link at buffer ÷ round trip.
#[test]
fn long_latency_links_run_at_line_rate_when_buffers_cover_the_round_trip() {
    let c = CollectiveCase {
        network: spec("switch(8,370GB/s,1.25us)"),
        op: Op::AllReduce,
        algorithm: Some(Algorithm::Ring),
        bytes: 64.0 * 1024.0 * 1024.0,
        packet: None,
        groups: None,
    };
    let fast_s = fast::collective_timing(&c)
        .unwrap_or_else(|e| panic!("{e}"))
        .cost
        .total_s();
    let sized = detailed_s(&c, &PacketConfig::default());
    let fixed = detailed_s(
        &c,
        &PacketConfig {
            buffers_cover_round_trip: false,
            ..PacketConfig::default()
        },
    );
    eprintln!("ring 64 MiB on 370 GB/s, 1.25 us: fast {fast_s:.4e} s, detailed {sized:.4e} s, 512-packet buffers {fixed:.4e} s");
    assert!(rel(sized, fast_s) < 0.01, "{sized} vs fast {fast_s}");
    // 512 packets of 1000 B per 2 × 2.5 µs credit loop: about 205 GB/s, well under 370.
    assert!(fixed > 1.5 * fast_s, "{fixed} vs fast {fast_s}");
}

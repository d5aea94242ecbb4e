//! The dual-stage network cost of a step schedule.
//!
//! Per step: stage 1 (latency) is the largest sum of per-hop latencies over the step's flows,
//! there and back (a step is complete at the sender when its data is acknowledged);
//! stage 2 (bandwidth/contention) accumulates every flow's bytes on every resource it crosses
//! (links, and switch centres as shared crossbars) and takes the largest load ÷ bandwidth.
//! Step time = latency stage + bandwidth stage; steps add up. This sees shared-link and
//! switch-centre contention at analytical cost, but not queueing dynamics, packet pipelining
//! across hops or per-rank slack between steps (see the detailed engine).

use crate::collective::{mapping, Schedule, Step};
use crate::network::Topology;

/// Cost of one schedule.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NetCost {
    /// Sum over steps of the latency stage, seconds.
    pub hop_time_s: f64,
    /// Sum over steps of the bandwidth stage, seconds.
    pub link_time_s: f64,
}

impl NetCost {
    /// Total time, seconds.
    pub fn total_s(&self) -> f64 {
        self.hop_time_s + self.link_time_s
    }
}

/// Reusable scratch space for step costing (one per thread).
#[derive(Debug, Default)]
pub struct NetScratch {
    load: Vec<f64>,
    touched: Vec<u32>,
    route: Vec<u32>,
}

/// Cost of one step (one repetition).
pub fn step_cost(topo: &Topology, step: &Step, scratch: &mut NetScratch) -> NetCost {
    let res = topo.resources();
    if scratch.load.len() < res.len() {
        scratch.load.resize(res.len(), 0.0);
    }
    let mut hop = 0.0f64;
    for f in &step.flows {
        topo.route(f.src as usize, f.dst as usize, &mut scratch.route);
        let mut lat = 0.0;
        for &r in &scratch.route {
            let slot = &mut scratch.load[r as usize];
            if *slot == 0.0 {
                scratch.touched.push(r);
            }
            *slot += f.bytes;
            lat += res[r as usize].latency;
        }
        // A step is complete at the sender once its data is acknowledged: the
        // acknowledgement's path latency back adds to the latency stage.
        topo.route(f.dst as usize, f.src as usize, &mut scratch.route);
        for &r in &scratch.route {
            lat += res[r as usize].latency;
        }
        hop = hop.max(lat);
    }
    let mut link = 0.0f64;
    for &r in &scratch.touched {
        let t = scratch.load[r as usize] / res[r as usize].bandwidth;
        link = link.max(t);
        scratch.load[r as usize] = 0.0;
    }
    scratch.touched.clear();
    NetCost {
        hop_time_s: hop,
        link_time_s: link,
    }
}

/// Cost of a whole schedule: the sum of its steps, each counted `repeat` times.
pub fn schedule_cost(topo: &Topology, schedule: &Schedule, scratch: &mut NetScratch) -> NetCost {
    let mut total = NetCost::default();
    for step in &schedule.steps {
        let c = step_cost(topo, step, scratch);
        total.hop_time_s += c.hop_time_s * step.repeat as f64;
        total.link_time_s += c.link_time_s * step.repeat as f64;
    }
    total
}

/// The cost of each step (repeats unrolled) of a collective that names its algorithm, laid
/// flat over its groups.
pub fn step_costs(case: &crate::collective::CollectiveCase) -> crate::error::Result<Vec<NetCost>> {
    let topo = Topology::new(&case.network);
    let algorithm = match case.algorithm {
        Some(a) => a,
        None => {
            return Err(crate::error::invalid(
                "--algorithm",
                "(none)",
                "step costs need a named algorithm",
            ))
        }
    };
    let groups = case.resolved_groups();
    let schedule = crate::collective::schedule(case.op, algorithm, &groups, case.wire_bytes())?;
    let mut scratch = NetScratch::default();
    let mut out = Vec::new();
    for step in &schedule.steps {
        let c = step_cost(&topo, step, &mut scratch);
        out.extend(std::iter::repeat_n(c, step.repeat as usize));
    }
    Ok(out)
}

/// The fast engine's answer for a stand-alone collective.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectiveTiming {
    /// The algorithm timed (the fastest when none was named).
    pub algorithm: crate::collective::Algorithm,
    /// Latency stages plus bandwidth stages.
    pub cost: NetCost,
}

/// Time a stand-alone collective with the dual-stage model; picks the fastest algorithm unless
/// the case names one.
pub fn collective_timing(
    case: &crate::collective::CollectiveCase,
) -> crate::error::Result<CollectiveTiming> {
    let topo = Topology::new(&case.network);
    collective_timing_on(&topo, case)
}

/// As [`collective_timing`], on an already built topology.
pub fn collective_timing_on(
    topo: &Topology,
    case: &crate::collective::CollectiveCase,
) -> crate::error::Result<CollectiveTiming> {
    let groups = case.resolved_groups();
    let bytes = case.wire_bytes();
    let mut scratch = NetScratch::default();
    let mut best: Option<CollectiveTiming> = None;
    for a in case.candidate_algorithms()? {
        // Laid on the network as the detailed engine lays it: one phase per dimension where
        // the mapping applies (a ring or direct collective over the whole network).
        let plan = mapping::plan(
            &case.network,
            &groups,
            case.groups.is_none(),
            case.op,
            a,
            bytes,
            mapping::Mapping::PerDimension,
        )?;
        let s = Schedule {
            op: plan.op,
            algorithm: plan.algorithm,
            steps: plan.steps,
        };
        let cost = schedule_cost(topo, &s, &mut scratch);
        if best
            .as_ref()
            .is_none_or(|b| cost.total_s() < b.cost.total_s())
        {
            best = Some(CollectiveTiming { algorithm: a, cost });
        }
    }
    best.ok_or_else(|| {
        crate::error::invalid("--op", case.op.name(), "no algorithm applies to this group")
    })
}

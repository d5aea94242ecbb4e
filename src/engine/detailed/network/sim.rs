//! The packet-network simulator: messages released by gates, cut into trains, moved port
//! by port through the event queue, acknowledged, and reported back.
//!
//! A *gate* opens at its release time once all its dependencies hold (a message delivered,
//! a message completed at its sender, another gate opened); opening it injects its
//! messages. Callers build any dependency graph this way: a collective step per rank, a
//! compute tile that waits for data, a message that waits for a tile. Gates and messages
//! may be added while the simulation runs (`run_until`), so another event loop can drive
//! the network step by step.

use super::config::{Completion, PacketConfig};
use super::packet::{credit_charge, Packetization, Unit, NO_LINK};
use super::port::Port;
use super::stats::NetStats;
use crate::error::{invalid, Error, Result};
use crate::network::{LevelKind, ResourceKind, Topology};
use crate::sim::{EventQueue, Picos, RngStreams, SimRng, SimTime};
use rand::Rng;
use serde::Serialize;
use std::collections::HashMap;

/// Identifies a message of one simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct MessageId(pub u32);

/// Identifies a gate of one simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct GateId(pub u32);

/// A condition a gate waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dep {
    /// The last packet of the message has arrived at its destination.
    Delivered(MessageId),
    /// The message is finished at its sender (see [`Completion`]).
    Completed(MessageId),
    /// The gate has opened.
    Opened(GateId),
}

/// What happened to a message; `None` for what has not happened yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageTiming {
    /// When its gate opened and its packets became ready to send.
    pub released: Option<SimTime>,
    /// When its last packet arrived at the destination.
    pub delivered: Option<SimTime>,
    /// When its sender counted it finished.
    pub completed: Option<SimTime>,
}

/// A change reported to a caller that drives the simulation step by step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A message was delivered.
    Delivered(MessageId, SimTime),
    /// A message completed at its sender.
    Completed(MessageId, SimTime),
    /// A gate opened.
    Opened(GateId, SimTime),
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    Arrive(u32),
    Wake(u32),
    Credit(u32, u32),
    Delivered(u32),
    AckHome(u32),
    Open(u32),
}

#[derive(Debug)]
struct Msg {
    route: u32,
    ack_route: u32,
    pk: Packetization,
    gate: u32,
    left: u64,
    burst: u64,
    delivered_pk: u64,
    last_tail: SimTime,
    timing: MessageTiming,
    on_delivered: Vec<u32>,
    on_completed: Vec<u32>,
}

#[derive(Debug)]
struct Gate {
    release: SimTime,
    pending: u32,
    scheduled: bool,
    opened: Option<SimTime>,
    messages: Vec<u32>,
    on_open: Vec<u32>,
    together: Option<u32>,
}

/// Packets that cover twice a link's credit round trip (a packet's way there and its
/// credit's way back) at its bandwidth.
fn round_trip_packets(latency_s: f64, bandwidth: f64, packet_bytes: u32) -> u32 {
    let bytes = 2.0 * (2.0 * latency_s) * bandwidth;
    (bytes / f64::from(packet_bytes.max(1)))
        .ceil()
        .clamp(1.0, f64::from(u32::MAX)) as u32
}

/// Whether the input buffers behind links of this kind are finite. Switch trees (up-down
/// routing), meshes crossed in dimension order as the outermost level, and all2all levels
/// (one hop inside the level) have no cyclic buffer dependencies, so finite buffers with
/// credits cannot deadlock. Rings and tori (wrap-around) and meshes inside a hierarchy
/// (climb and descent mix dimension orders) could, without the virtual channels that real
/// routers add; their links are modelled with deep buffers.
fn finite_buffers(kind: LevelKind, outermost: bool) -> bool {
    match kind {
        LevelKind::Switch | LevelKind::AllToAll => true,
        LevelKind::Mesh => outermost,
        LevelKind::Ring | LevelKind::Torus => false,
    }
}

/// The packet network of one topology, with its event queue.
#[derive(Debug)]
pub struct NetworkSim<'t> {
    topo: &'t Topology,
    cfg: PacketConfig,
    queue: EventQueue<Ev>,
    ports: Vec<Port>,
    routes: Vec<Vec<u32>>,
    route_ids: HashMap<(u32, u32), u32>,
    scratch: Vec<u32>,
    units: Vec<Unit>,
    free_units: Vec<u32>,
    msgs: Vec<Msg>,
    gates: Vec<Gate>,
    rng: SimRng,
    stats: NetStats,
    incomplete: u64,
    notices: Option<Vec<Notice>>,
}

fn sched_err(e: crate::sim::SchedulingError) -> Error {
    invalid(
        "detailed network event",
        e.to_string(),
        "events must not be scheduled in the past",
    )
}

impl<'t> NetworkSim<'t> {
    /// An idle network at time zero. `seed` drives the only random choice: where each
    /// sender's round robin over the messages released together starts.
    pub fn new(topo: &'t Topology, cfg: &PacketConfig, seed: u64) -> Result<NetworkSim<'t>> {
        cfg.validate("packet config")?;
        let levels = &topo.spec().levels;
        let ports = topo
            .resources()
            .iter()
            .map(|r| {
                let k = r.level as usize;
                let finite = levels
                    .get(k)
                    .is_some_and(|l| finite_buffers(l.kind, k + 1 == levels.len()));
                let buffer = if cfg.buffers_cover_round_trip {
                    cfg.buffer_packets.max(round_trip_packets(
                        r.latency,
                        r.bandwidth,
                        cfg.packet_bytes,
                    ))
                } else {
                    cfg.buffer_packets
                };
                Port::new(r, cfg.packet_bytes, cfg.tx_quantum, finite, buffer)
            })
            .collect();
        Ok(NetworkSim {
            topo,
            cfg: cfg.clone(),
            queue: EventQueue::new(),
            ports,
            routes: Vec::new(),
            route_ids: HashMap::new(),
            scratch: Vec::new(),
            units: Vec::new(),
            free_units: Vec::new(),
            msgs: Vec::new(),
            gates: Vec::new(),
            rng: RngStreams::new(seed).stream("network.injection"),
            stats: NetStats::default(),
            incomplete: 0,
            notices: None,
        })
    }

    /// The topology simulated.
    pub fn topology(&self) -> &Topology {
        self.topo
    }

    /// The configuration in force.
    pub fn config(&self) -> &PacketConfig {
        &self.cfg
    }

    /// The current simulated time (that of the last event processed).
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Counters so far.
    pub fn stats(&self) -> NetStats {
        let mut s = self.stats.clone();
        s.credit_stalls = self.ports.iter().map(|p| p.stalls).sum();
        s.max_queue_trains = self
            .ports
            .iter()
            .map(|p| p.max_queue as u64)
            .max()
            .unwrap_or(0);
        s
    }

    /// Record [`Notice`]s for [`take_notices`](Self::take_notices) from now on.
    pub fn record_notices(&mut self) {
        self.notices.get_or_insert_with(Vec::new);
    }

    /// The notices recorded since the last call, in the order they happened.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        self.notices
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Add a gate that opens at `release` (not before the current time) once every
    /// dependency in `after` holds.
    pub fn add_gate(&mut self, release: SimTime, after: &[Dep]) -> Result<GateId> {
        if release < self.now() {
            return Err(invalid(
                "gate release",
                release,
                format!(
                    "must not be before the current simulated time {}",
                    self.now()
                ),
            ));
        }
        let id = self.gates.len() as u32;
        let mut pending = 0;
        for d in after {
            let waiters = match *d {
                Dep::Delivered(MessageId(m)) => {
                    let msg = self
                        .msgs
                        .get_mut(m as usize)
                        .ok_or_else(|| unknown("message", m))?;
                    (msg.timing.delivered.is_none()).then_some(&mut msg.on_delivered)
                }
                Dep::Completed(MessageId(m)) => {
                    let msg = self
                        .msgs
                        .get_mut(m as usize)
                        .ok_or_else(|| unknown("message", m))?;
                    (msg.timing.completed.is_none()).then_some(&mut msg.on_completed)
                }
                Dep::Opened(GateId(g)) => {
                    let gate = self
                        .gates
                        .get_mut(g as usize)
                        .ok_or_else(|| unknown("gate", g))?;
                    (gate.opened.is_none()).then_some(&mut gate.on_open)
                }
            };
            if let Some(w) = waiters {
                w.push(id);
                pending += 1;
            }
        }
        self.gates.push(Gate {
            release,
            pending,
            scheduled: false,
            opened: None,
            messages: Vec::new(),
            on_open: Vec::new(),
            together: None,
        });
        if pending == 0 {
            self.schedule_open(id)?;
        }
        Ok(GateId(id))
    }

    /// Declare that a gate's messages are released together with others, `together` in
    /// all (for example every flow of one collective step across all ranks), so that
    /// the train budget per step is shared among all of them.
    pub fn set_released_together(&mut self, gate: GateId, together: u32) -> Result<()> {
        let g = self
            .gates
            .get_mut(gate.0 as usize)
            .ok_or_else(|| unknown("gate", gate.0))?;
        g.together = Some(together.max(1));
        Ok(())
    }

    /// Add a message of `payload` bytes from device `src` to device `dst`, sent when
    /// `gate` opens (which must not have happened yet).
    pub fn add_message(
        &mut self,
        src: u32,
        dst: u32,
        payload: u64,
        gate: GateId,
    ) -> Result<MessageId> {
        let n = self.topo.devices();
        for (what, d) in [("source", src), ("destination", dst)] {
            if d as usize >= n {
                return Err(invalid(
                    format!("message {what}"),
                    d,
                    format!("the network has {n} devices"),
                ));
            }
        }
        let g = self
            .gates
            .get(gate.0 as usize)
            .ok_or_else(|| unknown("gate", gate.0))?;
        if g.opened.is_some() {
            return Err(invalid(
                "message gate",
                gate.0,
                "the gate has already opened; add messages before it opens",
            ));
        }
        let route = self.route_id(src, dst);
        let ack_route = self.route_id(dst, src);
        let id = self.msgs.len() as u32;
        self.msgs.push(Msg {
            route,
            ack_route,
            pk: Packetization::new(payload, self.cfg.packet_bytes, self.cfg.header_bytes),
            gate: gate.0,
            left: 0,
            burst: 1,
            delivered_pk: 0,
            last_tail: SimTime::ZERO,
            timing: MessageTiming::default(),
            on_delivered: Vec::new(),
            on_completed: Vec::new(),
        });
        self.gates[gate.0 as usize].messages.push(id);
        self.incomplete += 1;
        Ok(MessageId(id))
    }

    /// What has happened to a message so far.
    pub fn message(&self, id: MessageId) -> Option<MessageTiming> {
        self.msgs.get(id.0 as usize).map(|m| m.timing)
    }

    /// When a gate opened, if it has.
    pub fn gate_opened(&self, id: GateId) -> Option<SimTime> {
        self.gates.get(id.0 as usize).and_then(|g| g.opened)
    }

    /// The time of the next pending event.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Process every event at or before `limit`.
    pub fn run_until(&mut self, limit: SimTime) -> Result<()> {
        while let Some((t, ev)) = self.queue.pop_until(limit) {
            self.stats.events += 1;
            self.handle(t, ev)?;
        }
        Ok(())
    }

    /// Process every event; fails if some message can never finish (a gate whose
    /// dependencies never hold).
    pub fn run(&mut self) -> Result<()> {
        while let Some((t, ev)) = self.queue.pop() {
            self.stats.events += 1;
            self.handle(t, ev)?;
        }
        if self.incomplete > 0 {
            let closed = self.gates.iter().filter(|g| g.opened.is_none()).count();
            return Err(invalid(
                "detailed network",
                format!("{} unfinished messages, {closed} gates never opened", self.incomplete),
                "every gate's dependencies must eventually hold (no cycles, no dependency on a message that is never sent)",
            ));
        }
        Ok(())
    }

    fn route_id(&mut self, src: u32, dst: u32) -> u32 {
        if let Some(&r) = self.route_ids.get(&(src, dst)) {
            return r;
        }
        self.topo
            .route(src as usize, dst as usize, &mut self.scratch);
        let id = self.routes.len() as u32;
        self.routes.push(self.scratch.clone());
        self.route_ids.insert((src, dst), id);
        id
    }

    /// Sum of the link latencies of the route from `src` to `dst`.
    pub(crate) fn route_latency(&mut self, src: u32, dst: u32) -> Picos {
        let r = self.route_id(src, dst) as usize;
        let mut t = Picos::ZERO;
        for &p in &self.routes[r] {
            t += self.ports[p as usize].latency;
        }
        t
    }

    fn at(&mut self, t: SimTime, ev: Ev) -> Result<()> {
        self.queue.schedule(t, ev).map(|_| ()).map_err(sched_err)
    }

    fn notice(&mut self, n: Notice) {
        if let Some(v) = self.notices.as_mut() {
            v.push(n);
        }
    }

    fn schedule_open(&mut self, g: u32) -> Result<()> {
        let now = self.now();
        let gate = &mut self.gates[g as usize];
        if gate.scheduled {
            return Ok(());
        }
        gate.scheduled = true;
        let t = gate.release.max(now);
        self.at(t, Ev::Open(g))
    }

    fn release_waiters(&mut self, waiters: Vec<u32>) -> Result<()> {
        for g in waiters {
            let gate = &mut self.gates[g as usize];
            gate.pending = gate.pending.saturating_sub(1);
            if gate.pending == 0 {
                self.schedule_open(g)?;
            }
        }
        Ok(())
    }

    fn handle(&mut self, now: SimTime, ev: Ev) -> Result<()> {
        match ev {
            Ev::Arrive(u) => self.arrive(now, u),
            Ev::Wake(p) => {
                self.ports[p as usize].wake_pending = false;
                self.serve(now, p)
            }
            Ev::Credit(p, k) => {
                self.ports[p as usize].credits += i64::from(k);
                self.serve(now, p)
            }
            Ev::Delivered(m) => self.delivered(now, m),
            Ev::AckHome(m) => self.completed(now, m),
            Ev::Open(g) => self.open(now, g),
        }
    }

    fn open(&mut self, now: SimTime, g: u32) -> Result<()> {
        let gate = &mut self.gates[g as usize];
        gate.opened = Some(now);
        let waiters = std::mem::take(&mut gate.on_open);
        let mut msgs = std::mem::take(&mut gate.messages);
        let together = gate.together.map_or(msgs.len(), |t| t as usize);
        self.notice(Notice::Opened(GateId(g), now));
        if msgs.len() > 1 {
            let k = self.rng.gen_range(0..msgs.len());
            msgs.rotate_left(k);
        }
        let mut touched: Vec<u32> = Vec::new();
        for &m in &msgs {
            let msg = &mut self.msgs[m as usize];
            msg.timing.released = Some(now);
            let packets = msg.pk.packets;
            let units = self.cfg.units_for(packets, together);
            msg.burst = packets.div_ceil(units);
            msg.left = packets;
            self.stats.messages += 1;
            self.stats.packets += packets;
            self.stats.trains += packets.div_ceil(msg.burst);
            let first = self.routes[msg.route as usize].first().copied();
            match first {
                None => self.at(now, Ev::Delivered(m))?,
                Some(p) => {
                    self.ports[p as usize].inject.push_back(m);
                    if !touched.contains(&p) {
                        touched.push(p);
                    }
                }
            }
        }
        self.gates[g as usize].messages = msgs;
        for p in touched {
            self.serve(now, p)?;
        }
        self.release_waiters(waiters)
    }

    fn new_unit(&mut self, u: Unit) -> u32 {
        match self.free_units.pop() {
            Some(i) => {
                self.units[i as usize] = u;
                i
            }
            None => {
                self.units.push(u);
                (self.units.len() - 1) as u32
            }
        }
    }

    /// Packets of the next train the message at the front of `inject` would send.
    fn next_train(&self, m: u32) -> (u32, u32) {
        let msg = &self.msgs[m as usize];
        let k = msg.burst.min(msg.left);
        let last = k == msg.left;
        if last && msg.pk.last_wire != msg.pk.full_wire {
            ((k - 1) as u32, msg.pk.last_wire)
        } else {
            (k as u32, 0)
        }
    }

    fn serve(&mut self, now: SimTime, p: u32) -> Result<()> {
        loop {
            let port = &mut self.ports[p as usize];
            if port.busy_until > now {
                if port.has_work() && !port.wake_pending {
                    port.wake_pending = true;
                    let t = port.busy_until;
                    self.at(t, Ev::Wake(p))?;
                }
                return Ok(());
            }
            let uid = if let Some(u) = port.ctrl.pop_front() {
                u
            } else {
                let have_fifo = !port.fifo.is_empty();
                let have_inj = !port.inject.is_empty();
                if !have_fifo && !have_inj {
                    return Ok(());
                }
                let take_inject = have_inj && (!have_fifo || port.inject_turn);
                let need = if take_inject {
                    let m = port.inject[0];
                    let (full, extra) = self.next_train(m);
                    full + u32::from(extra > 0)
                } else {
                    self.units[port.fifo[0] as usize].packets()
                };
                let port = &mut self.ports[p as usize];
                if port.credit_limited && port.credits < i64::from(credit_charge(need, port.buffer))
                {
                    port.stalls += 1;
                    return Ok(());
                }
                if have_fifo && have_inj {
                    port.inject_turn = !take_inject;
                }
                if take_inject {
                    let m = port.inject.pop_front().unwrap_or(u32::MAX);
                    let (full, extra) = self.next_train(m);
                    let msg = &mut self.msgs[m as usize];
                    msg.left -= u64::from(full + u32::from(extra > 0));
                    let more = msg.left > 0;
                    let route = msg.route;
                    if more {
                        self.ports[p as usize].inject.push_back(m);
                    }
                    self.new_unit(Unit {
                        msg: m,
                        route,
                        hop: 0,
                        ctrl: false,
                        full,
                        extra,
                        head: now,
                        tail: now,
                        credit_link: NO_LINK,
                        credit_charge: 0,
                    })
                } else {
                    port.fifo.pop_front().unwrap_or(u32::MAX)
                }
            };
            self.start(now, p, uid)?;
        }
    }

    fn start(&mut self, now: SimTime, p: u32, uid: u32) -> Result<()> {
        let mut u = self.units[uid as usize];
        let port = &mut self.ports[p as usize];
        let (first, last, total) = port.train_time(u.full, u.extra);
        port.busy_until = now + total;
        port.cur_start = now;
        port.cur_data = !u.ctrl;
        port.busy += total;
        let head_exit = now + first;
        let tail_exit = (now + total).max(u.tail + last);
        let latency = port.latency;
        let is_link = port.is_link;
        let charge = credit_charge(u.packets(), port.buffer);
        if is_link && port.credit_limited && !u.ctrl {
            port.credits -= i64::from(charge);
        }
        if is_link && u.credit_link != NO_LINK {
            let back = now + self.ports[u.credit_link as usize].latency;
            self.at(back, Ev::Credit(u.credit_link, u.credit_charge))?;
            u.credit_link = NO_LINK;
        }
        if is_link && self.ports[p as usize].credit_limited && !u.ctrl {
            u.credit_link = p;
            u.credit_charge = charge;
        }
        u.hop += 1;
        u.head = head_exit + latency;
        u.tail = tail_exit + latency;
        self.units[uid as usize] = u;
        self.at(u.head, Ev::Arrive(uid))
    }

    fn arrive(&mut self, _now: SimTime, uid: u32) -> Result<()> {
        let u = self.units[uid as usize];
        let route = &self.routes[u.route as usize];
        if let Some(&p) = route.get(u.hop as usize) {
            let now = self.now();
            let port = &mut self.ports[p as usize];
            if !port.is_link {
                return self.cross(now, p, uid);
            }
            if u.ctrl {
                let (_, _, t_ack) = port.train_time(0, u.extra);
                if let Some(slot) = port.slip_control(now, t_ack) {
                    let at = slot + t_ack + port.latency;
                    let unit = &mut self.units[uid as usize];
                    unit.hop += 1;
                    unit.head = at;
                    unit.tail = at;
                    return self.at(at, Ev::Arrive(uid));
                }
                port.ctrl.push_back(uid);
            } else {
                port.fifo.push_back(uid);
                port.max_queue = port.max_queue.max(port.fifo.len());
            }
            return self.serve(self.now(), p);
        }
        // At the destination: the packets are consumed as they arrive.
        self.free_units.push(uid);
        if u.credit_link != NO_LINK {
            let back = u.tail + self.ports[u.credit_link as usize].latency;
            self.at(back, Ev::Credit(u.credit_link, u.credit_charge))?;
        }
        if u.ctrl {
            return self.at(u.tail, Ev::AckHome(u.msg));
        }
        let msg = &mut self.msgs[u.msg as usize];
        msg.delivered_pk += u64::from(u.packets());
        msg.last_tail = msg.last_tail.max(u.tail);
        if msg.delivered_pk == msg.pk.packets {
            let t = msg.last_tail;
            self.at(t, Ev::Delivered(u.msg))?;
        }
        Ok(())
    }

    /// A crossbar is a rate limit, not a queue: packets of trains from different inputs
    /// interleave through it, so a train's head passes after its own crossing time, and
    /// its tail leaves no earlier than the crossbar has done all the work committed to it
    /// (so the centre bandwidth still bounds throughput).
    fn cross(&mut self, now: SimTime, p: u32, uid: u32) -> Result<()> {
        let mut u = self.units[uid as usize];
        let port = &mut self.ports[p as usize];
        let (first, last, total) = port.train_time(u.full, u.extra);
        let done = port.busy_until.max(now) + total;
        port.busy_until = done;
        port.busy += total;
        u.hop += 1;
        u.head = now + first;
        u.tail = (u.tail + last).max(done).max(u.head);
        self.units[uid as usize] = u;
        self.at(u.head, Ev::Arrive(uid))
    }

    fn delivered(&mut self, now: SimTime, m: u32) -> Result<()> {
        let msg = &mut self.msgs[m as usize];
        msg.timing.delivered = Some(now);
        let waiters = std::mem::take(&mut msg.on_delivered);
        let ack_route = msg.ack_route;
        self.notice(Notice::Delivered(MessageId(m), now));
        self.release_waiters(waiters)?;
        let first = self.routes[ack_route as usize].first().copied();
        match (self.cfg.completion, first) {
            (Completion::Ack, Some(p)) => {
                self.stats.acks += 1;
                let uid = self.new_unit(Unit {
                    msg: m,
                    route: ack_route,
                    hop: 0,
                    ctrl: true,
                    full: 0,
                    extra: self.cfg.ack_bytes,
                    head: now,
                    tail: now,
                    credit_link: NO_LINK,
                    credit_charge: 0,
                });
                self.ports[p as usize].ctrl.push_back(uid);
                self.serve(now, p)
            }
            _ => self.completed(now, m),
        }
    }

    fn completed(&mut self, now: SimTime, m: u32) -> Result<()> {
        let msg = &mut self.msgs[m as usize];
        msg.timing.completed = Some(now);
        let waiters = std::mem::take(&mut msg.on_completed);
        self.incomplete = self.incomplete.saturating_sub(1);
        self.notice(Notice::Completed(MessageId(m), now));
        self.release_waiters(waiters)
    }

    /// The gate a message is released by.
    pub fn gate_of(&self, id: MessageId) -> Option<GateId> {
        self.msgs.get(id.0 as usize).map(|m| GateId(m.gate))
    }

    /// Whether the far end of a resource's link has a finite buffer (credits).
    pub fn has_finite_buffer(&self, resource: u32) -> bool {
        self.ports
            .get(resource as usize)
            .is_some_and(|p| p.credit_limited)
    }

    /// The kind of a resource (for reports).
    pub fn resource_kind(&self, resource: u32) -> Option<ResourceKind> {
        self.topo.resources().get(resource as usize).map(|r| r.kind)
    }
}

fn unknown(what: &str, id: u32) -> Error {
    invalid(
        format!("{what} id"),
        id,
        format!("no such {what} in this simulation"),
    )
}

//! The physical network built from a [`NetworkSpec`]: vertices (devices and switches),
//! directed links, switch-centre resources, and deterministic routing.
//!
//! Structure. Devices are numbered mixed-radix with level 0 (innermost) fastest. A group at
//! level k has `size_k` members, each a device (k = 0) or a group of level k−1. Each group has
//! a *gateway* where traffic enters and leaves it: its switch for a switch level, otherwise the
//! gateway of its member 0 (a device for level 0). Links of level k join member gateways:
//! to the switch (switch), to ring neighbours (ring), to grid neighbours (mesh, torus with
//! wrap-around; a dimension of size 2 has a single link per direction), or pairwise (all2all).
//!
//! Routing. A flow climbs from its source to the outermost level where source and destination
//! differ (walking inside each inner group to that group's gateway), crosses that level, and
//! descends symmetrically. Inside a level: through the switch; the shorter way round a ring
//! (ties go to increasing index); dimension order on meshes and tori (row index first, then
//! column index, shorter way with ties increasing); directly on all2all. This routing is shared
//! by both engines; timing is not.

use super::spec::{LevelKind, NetworkSpec};
use std::collections::HashMap;

/// Index of a resource (a directed link or a switch centre).
pub type ResourceId = u32;

/// What a resource is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceKind {
    /// A directed link between two vertices.
    Link {
        /// Sending vertex.
        from: u32,
        /// Receiving vertex.
        to: u32,
    },
    /// The crossbar of a switch vertex.
    Center {
        /// The switch vertex.
        switch: u32,
    },
}

/// A shared resource with a bandwidth; links also carry a per-traversal latency.
#[derive(Clone, Copy, Debug)]
pub struct Resource {
    /// Link or centre.
    pub kind: ResourceKind,
    /// Level of the hierarchy the resource belongs to (0 = innermost).
    pub level: u8,
    /// Bytes per second.
    pub bandwidth: f64,
    /// Seconds per traversal (0 for centres).
    pub latency: f64,
}

/// The built network.
#[derive(Clone, Debug)]
pub struct Topology {
    spec: NetworkSpec,
    devices: usize,
    vertices: usize,
    resources: Vec<Resource>,
    link_index: HashMap<(u32, u32), ResourceId>,
    /// Per (level, group) switch vertex, if that level is a switch.
    switch_vertex: Vec<Vec<Option<u32>>>,
    /// Per switch vertex (offset by `devices`), its centre resource.
    center_of: Vec<ResourceId>,
    /// Per level: product of the sizes of the levels inside it.
    stride: Vec<usize>,
}

impl Topology {
    /// Build the network. The spec must be valid ([`NetworkSpec::validate`]).
    pub fn new(spec: &NetworkSpec) -> Topology {
        let devices = spec.devices();
        let mut stride = Vec::with_capacity(spec.levels.len());
        let mut s = 1;
        for l in &spec.levels {
            stride.push(s);
            s *= l.size();
        }
        let mut topo = Topology {
            spec: spec.clone(),
            devices,
            vertices: devices,
            resources: Vec::new(),
            link_index: HashMap::new(),
            switch_vertex: Vec::new(),
            center_of: Vec::new(),
            stride,
        };
        // Switch vertices first, so gateways are known when links are added.
        for (k, l) in spec.levels.iter().enumerate() {
            let groups = devices / (topo.stride[k] * l.size());
            let mut row = Vec::with_capacity(groups);
            for _ in 0..groups {
                if l.kind == LevelKind::Switch {
                    let v = topo.vertices as u32;
                    topo.vertices += 1;
                    let id = topo.resources.len() as ResourceId;
                    topo.resources.push(Resource {
                        kind: ResourceKind::Center { switch: v },
                        level: k as u8,
                        bandwidth: l.effective_center_bandwidth().0,
                        latency: 0.0,
                    });
                    topo.center_of.push(id);
                    row.push(Some(v));
                } else {
                    row.push(None);
                }
            }
            topo.switch_vertex.push(row);
        }
        for (k, l) in spec.levels.iter().enumerate() {
            let groups = devices / (topo.stride[k] * l.size());
            for g in 0..groups {
                let port = |m: usize, t: &Topology| t.member_gateway(k, g, m);
                let n = l.size();
                let (rows, cols) = l.shape;
                let mut pairs: Vec<(usize, usize)> = Vec::new();
                match l.kind {
                    LevelKind::Switch => {
                        let sw = topo.switch_vertex[k][g].unwrap_or(0);
                        for m in 0..n {
                            let p = port(m, &topo);
                            topo.add_link(p, sw, k, l.link_bandwidth.0, l.hop_latency.0);
                            topo.add_link(sw, p, k, l.link_bandwidth.0, l.hop_latency.0);
                        }
                    }
                    LevelKind::Ring => {
                        for m in 0..n {
                            if n > 1 {
                                pairs.push((m, (m + 1) % n));
                            }
                        }
                    }
                    LevelKind::Mesh | LevelKind::Torus => {
                        let wrap = l.kind == LevelKind::Torus;
                        for r in 0..rows {
                            for c in 0..cols {
                                let m = r * cols + c;
                                if c + 1 < cols {
                                    pairs.push((m, r * cols + c + 1));
                                } else if wrap && cols > 1 {
                                    pairs.push((m, r * cols));
                                }
                                if r + 1 < rows {
                                    pairs.push((m, (r + 1) * cols + c));
                                } else if wrap && rows > 1 {
                                    pairs.push((m, c));
                                }
                            }
                        }
                    }
                    LevelKind::AllToAll => {
                        for a in 0..n {
                            for b in a + 1..n {
                                pairs.push((a, b));
                            }
                        }
                    }
                }
                for (a, b) in pairs {
                    let (pa, pb) = (port(a, &topo), port(b, &topo));
                    topo.add_link(pa, pb, k, l.link_bandwidth.0, l.hop_latency.0);
                    topo.add_link(pb, pa, k, l.link_bandwidth.0, l.hop_latency.0);
                }
            }
        }
        topo
    }

    fn add_link(&mut self, from: u32, to: u32, level: usize, bw: f64, lat: f64) {
        if from == to || self.link_index.contains_key(&(from, to)) {
            return;
        }
        let id = self.resources.len() as ResourceId;
        self.resources.push(Resource {
            kind: ResourceKind::Link { from, to },
            level: level as u8,
            bandwidth: bw,
            latency: lat,
        });
        self.link_index.insert((from, to), id);
    }

    /// The description this topology was built from.
    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }
    /// Number of devices.
    pub fn devices(&self) -> usize {
        self.devices
    }
    /// Number of vertices (devices plus switches).
    pub fn vertices(&self) -> usize {
        self.vertices
    }
    /// All resources, indexed by [`ResourceId`].
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }
    /// The centre resource of a switch vertex.
    pub fn center_of(&self, switch_vertex: u32) -> Option<ResourceId> {
        let i = (switch_vertex as usize).checked_sub(self.devices)?;
        self.center_of.get(i).copied()
    }
    /// The directed link between two vertices, if any.
    pub fn link(&self, from: u32, to: u32) -> Option<ResourceId> {
        self.link_index.get(&(from, to)).copied()
    }

    /// Member index of device `d` within its group at level `k`.
    fn member(&self, d: usize, k: usize) -> usize {
        (d / self.stride[k]) % self.spec.levels[k].size()
    }
    /// Group index of device `d` at level `k`.
    fn group(&self, d: usize, k: usize) -> usize {
        d / (self.stride[k] * self.spec.levels[k].size())
    }

    /// Gateway vertex of member `m` of group `g` at level `k`.
    fn member_gateway(&self, k: usize, g: usize, m: usize) -> u32 {
        if k == 0 {
            (g * self.spec.levels[0].size() + m) as u32
        } else {
            self.group_gateway(k - 1, g * self.spec.levels[k].size() + m)
        }
    }

    /// Gateway vertex of group `g` at level `k`.
    fn group_gateway(&self, k: usize, g: usize) -> u32 {
        match self.switch_vertex[k][g] {
            Some(v) => v,
            None => self.member_gateway(k, g, 0),
        }
    }

    /// Push the resources crossed going from member `a` to member `b` of group `g` at level `k`.
    fn route_in_level(&self, k: usize, g: usize, a: usize, b: usize, out: &mut Vec<ResourceId>) {
        if a == b {
            return;
        }
        let l = &self.spec.levels[k];
        let push_link = |x: u32, y: u32, out: &mut Vec<ResourceId>| {
            if let Some(id) = self.link(x, y) {
                out.push(id);
            }
        };
        match l.kind {
            LevelKind::Switch => {
                let sw = self.switch_vertex[k][g].unwrap_or(0);
                push_link(self.member_gateway(k, g, a), sw, out);
                if let Some(c) = self.center_of(sw) {
                    out.push(c);
                }
                push_link(sw, self.member_gateway(k, g, b), out);
            }
            LevelKind::AllToAll => {
                push_link(
                    self.member_gateway(k, g, a),
                    self.member_gateway(k, g, b),
                    out,
                );
            }
            LevelKind::Ring => {
                let n = l.size();
                for (x, y) in walk_1d(a, b, n, true) {
                    push_link(
                        self.member_gateway(k, g, x),
                        self.member_gateway(k, g, y),
                        out,
                    );
                }
            }
            LevelKind::Mesh | LevelKind::Torus => {
                let wrap = l.kind == LevelKind::Torus;
                let (rows, cols) = l.shape;
                let (ra, ca) = (a / cols, a % cols);
                let (rb, cb) = (b / cols, b % cols);
                for (x, y) in walk_1d(ra, rb, rows, wrap) {
                    push_link(
                        self.member_gateway(k, g, x * cols + ca),
                        self.member_gateway(k, g, y * cols + ca),
                        out,
                    );
                }
                for (x, y) in walk_1d(ca, cb, cols, wrap) {
                    push_link(
                        self.member_gateway(k, g, rb * cols + x),
                        self.member_gateway(k, g, rb * cols + y),
                        out,
                    );
                }
            }
        }
    }

    /// Resources from device `d` up to the gateway of its group at level `k` (exclusive of
    /// level k itself): the walk through levels 0..k to reach that group's entry.
    fn climb(&self, d: usize, k: usize, out: &mut Vec<ResourceId>) {
        // Reach the gateway of d's level-(j) group, for j = 0..k.
        for j in 0..k {
            let g = self.group(d, j);
            let m = self.member(d, j);
            let l = &self.spec.levels[j];
            if l.kind == LevelKind::Switch {
                let sw = self.switch_vertex[j][g].unwrap_or(0);
                if let Some(id) = self.link(self.member_gateway(j, g, m), sw) {
                    out.push(id);
                }
                if let Some(c) = self.center_of(sw) {
                    out.push(c);
                }
            } else {
                self.route_in_level(j, g, m, 0, out);
            }
        }
    }

    /// The resources a flow from device `src` to device `dst` crosses, in order.
    pub fn route(&self, src: usize, dst: usize, out: &mut Vec<ResourceId>) {
        out.clear();
        if src == dst {
            return;
        }
        let top = (0..self.spec.levels.len())
            .rev()
            .find(|&k| self.member(src, k) != self.member(dst, k))
            .unwrap_or(0);
        self.climb(src, top, out);
        let g = self.group(src, top);
        self.route_in_level(top, g, self.member(src, top), self.member(dst, top), out);
        let mut down = Vec::new();
        self.climb(dst, top, &mut down);
        // Descending is the reverse walk over the reverse links.
        for &id in down.iter().rev() {
            match self.resources[id as usize].kind {
                ResourceKind::Link { from, to } => {
                    if let Some(r) = self.link(to, from) {
                        out.push(r);
                    }
                }
                ResourceKind::Center { .. } => out.push(id),
            }
        }
    }

    /// Sum of link latencies along a route.
    pub fn route_latency(&self, route: &[ResourceId]) -> f64 {
        route
            .iter()
            .map(|&r| self.resources[r as usize].latency)
            .sum()
    }
}

/// Steps from `a` to `b` along one dimension of size `n` (the shorter way when `wrap`,
/// ties going to increasing index).
fn walk_1d(a: usize, b: usize, n: usize, wrap: bool) -> Vec<(usize, usize)> {
    let mut steps = Vec::new();
    if a == b {
        return steps;
    }
    let forward = (b + n - a) % n;
    let backward = (a + n - b) % n;
    let go_up = if wrap { forward <= backward } else { b > a };
    let count = if wrap {
        forward.min(backward)
    } else {
        a.abs_diff(b)
    };
    let mut x = a;
    for _ in 0..count {
        let y = if go_up { (x + 1) % n } else { (x + n - 1) % n };
        steps.push((x, y));
        x = y;
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo(s: &str) -> Topology {
        Topology::new(&NetworkSpec::parse(s, "t").unwrap())
    }

    #[test]
    fn single_switch_route_has_two_links_and_centre() {
        let t = topo("switch(8,128GB/s,128ns)");
        let mut r = Vec::new();
        t.route(0, 5, &mut r);
        assert_eq!(r.len(), 3);
        assert!((t.route_latency(&r) - 256e-9).abs() < 1e-15);
    }

    #[test]
    fn two_level_switch_latency() {
        let t = topo("switch(8,256GB/s,128ns)/switch(8,32GB/s,512ns)");
        let mut r = Vec::new();
        t.route(3, 60, &mut r);
        assert!((t.route_latency(&r) - (2.0 * 128e-9 + 2.0 * 512e-9)).abs() < 1e-15);
        t.route(3, 5, &mut r);
        assert!((t.route_latency(&r) - 256e-9).abs() < 1e-15);
    }

    #[test]
    fn torus_takes_shorter_way_and_dimension_order() {
        let t = topo("torus(4x4,1GB/s,1ns)");
        let mut r = Vec::new();
        t.route(0, 15, &mut r); // (0,0) -> (3,3): one wrap in each dimension
        assert_eq!(r.len(), 2);
        t.route(0, 10, &mut r); // (0,0) -> (2,2): tie, two hops each way
        assert_eq!(r.len(), 4);
        // size-2 dimension: one link per direction
        let t2 = topo("torus(2x2,1GB/s,1ns)");
        assert_eq!(t2.resources().len(), 8);
    }

    #[test]
    fn ring_of_switches_reaches_every_device() {
        let t = topo("switch(4,1GB/s,1ns)/ring(4,1GB/s,10ns)/mesh(2x2,1GB/s,100ns)");
        let mut r = Vec::new();
        for s in 0..t.devices() {
            for d in 0..t.devices() {
                t.route(s, d, &mut r);
                // every route is a connected walk of links
                let mut at = s as u32;
                for &id in &r {
                    if let ResourceKind::Link { from, to } = t.resources()[id as usize].kind {
                        assert_eq!(from, at, "route {s}->{d} breaks");
                        at = to;
                    }
                }
                assert_eq!(at as usize, d, "route {s}->{d} ends elsewhere");
            }
        }
    }
}

//! The oracle: the best static placement we can find knowing every
//! access in advance, the upper bound for the dynamic policies.
//!
//! Each set is cut into [`CHUNKS`] equal chunks, each chunk placed on one
//! node.  The objective is the modelled runtime (the same model the
//! simulation uses, contention included): for each workload segment
//! (between two `from`/`to` breakpoints) the rates at the fixed point
//! give each vCPU's time; a domain takes as long as its slowest vCPU.
//! Local search from three starts (each set on its heaviest accessor's
//! node, all interleaved, Xen's placement), moving chunks between nodes
//! with halving chunk sizes, keeps the best.  A single copy per page: the
//! oracle does not replicate, and a static placement cannot follow a
//! phase change, so Carrefour may beat it on those.

use crate::model::{solve, Demand, Solution};
use crate::scenario::Scenario;
use crate::sim::{active_entries, Active};
use crate::world::Placement;

/// Chunks per set.
pub const CHUNKS: u32 = 64;

/// Objective evaluations at most (bounds the search time).
pub const MAX_EVALUATIONS: usize = 30_000;

struct Segment {
    /// Share of the work in this segment.
    length: f64,
    /// Active entries of each vCPU.
    entries: Vec<Vec<Active>>,
}

struct Search<'a> {
    scn: &'a Scenario,
    segments: Vec<Segment>,
    demands: Vec<Demand>,
    f: Vec<f64>,
    sol: Solution,
    evaluations: usize,
}

impl Search<'_> {
    /// Modelled runtime of chunk placement `x` (`x[s*nodes+n]` chunks of
    /// set s on node n), ns, or infinity when it does not fit.
    fn cost(&mut self, x: &[u32]) -> f64 {
        self.evaluations += 1;
        let scn = self.scn;
        let n = scn.machine.nodes;
        let mut used = vec![0.0f64; n];
        for (s, set) in scn.sets.iter().enumerate() {
            for k in 0..n {
                used[k] += f64::from(x[s * n + k]) / f64::from(CHUNKS) * set.pages as f64;
            }
        }
        if used
            .iter()
            .zip(&scn.machine.memory_pages)
            .any(|(u, &c)| *u > c as f64 + 0.5)
        {
            return f64::INFINITY;
        }
        let mut time = vec![0.0f64; scn.vcpus.len()];
        for seg in &self.segments {
            for (v, vc) in scn.vcpus.iter().enumerate() {
                let row = &mut self.f[v * n..(v + 1) * n];
                row.iter_mut().for_each(|r| *r = 0.0);
                for e in &seg.entries[v] {
                    for k in 0..n {
                        row[k] += e.share * f64::from(x[e.set * n + k]) / f64::from(CHUNKS);
                    }
                }
                self.demands[v].active = true;
                let _ = vc;
            }
            solve(&scn.machine, &self.demands, &self.f, &[], &mut self.sol);
            for (v, vc) in scn.vcpus.iter().enumerate() {
                time[v] += seg.length * vc.work * self.sol.ns_per_access[v];
            }
        }
        scn.domains
            .iter()
            .map(|d| d.vcpus.iter().map(|&v| time[v]).fold(0.0, f64::max))
            .sum()
    }

    fn local_search(&mut self, mut x: Vec<u32>) -> (Vec<u32>, f64) {
        let n = self.scn.machine.nodes;
        let mut best = self.cost(&x);
        let used_sets: Vec<usize> = (0..self.scn.sets.len())
            .filter(|&s| self.scn.accesses.iter().any(|a| a.set == s))
            .collect();
        let mut chunk = CHUNKS / 2;
        while chunk >= 1 {
            loop {
                let mut improved = false;
                for &s in &used_sets {
                    for a in 0..n {
                        for b in 0..n {
                            if a == b || x[s * n + a] < chunk {
                                continue;
                            }
                            if self.evaluations >= MAX_EVALUATIONS {
                                return (x, best);
                            }
                            x[s * n + a] -= chunk;
                            x[s * n + b] += chunk;
                            let c = self.cost(&x);
                            if c < best * (1.0 - 1e-6) {
                                best = c;
                                improved = true;
                            } else {
                                x[s * n + a] += chunk;
                                x[s * n + b] -= chunk;
                            }
                        }
                    }
                }
                if !improved {
                    break;
                }
            }
            chunk /= 2;
        }
        (x, best)
    }
}

/// The oracle's chunk placement for `scn` (`x[s*nodes+n]`).
pub fn chunks(scn: &Scenario) -> Vec<u32> {
    let n = scn.machine.nodes;
    let mut cuts: Vec<f64> = vec![0.0, 1.0];
    for a in &scn.accesses {
        cuts.push(a.from);
        cuts.push(a.to);
    }
    cuts.sort_by(f64::total_cmp);
    cuts.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    let mut segments = Vec::new();
    for w in cuts.windows(2) {
        let mid = 0.5 * (w[0] + w[1]);
        let mut entries = vec![Vec::new(); scn.vcpus.len()];
        for (v, e) in entries.iter_mut().enumerate() {
            active_entries(scn, v, mid, e);
        }
        segments.push(Segment {
            length: w[1] - w[0],
            entries,
        });
    }
    let mut search = Search {
        scn,
        segments,
        demands: scn
            .vcpus
            .iter()
            .map(|v| Demand {
                node: v.node,
                compute_ns: v.compute_ns,
                mlp: v.mlp,
                active: true,
            })
            .collect(),
        f: vec![0.0; scn.vcpus.len() * n],
        sol: Solution::default(),
        evaluations: 0,
    };

    // Start 1: each set on the node whose vCPUs access it most.
    let mut heaviest = vec![0u32; scn.sets.len() * n];
    for s in 0..scn.sets.len() {
        let mut by_node = vec![0.0f64; n];
        for a in scn.accesses.iter().filter(|a| a.set == s) {
            let v = &scn.vcpus[a.vcpu];
            by_node[v.node] += a.weight * (a.to - a.from) * v.work;
        }
        let best = (0..n)
            .max_by(|&a, &b| by_node[a].total_cmp(&by_node[b]))
            .unwrap_or(0);
        heaviest[s * n + best] = CHUNKS;
    }
    // Start 2: interleaved.
    let interleaved: Vec<u32> = (0..scn.sets.len() * n)
        .map(|i| {
            let k = (i % n) as u32;
            CHUNKS / n as u32 + u32::from(k < CHUNKS % n as u32)
        })
        .collect();
    // Start 3: Xen's placement, rounded to chunks.
    let xen = Placement::xen_default(scn);
    let mut from_xen = vec![0u32; scn.sets.len() * n];
    for (s, set) in scn.sets.iter().enumerate() {
        let mut given = 0;
        for k in 0..n {
            let c =
                (xen.on[s * n + k] as f64 / set.pages as f64 * f64::from(CHUNKS)).floor() as u32;
            from_xen[s * n + k] = c;
            given += c;
        }
        let top = (0..n).max_by_key(|&k| xen.on[s * n + k]).unwrap_or(0);
        from_xen[s * n + top] += CHUNKS - given;
    }

    let mut best: Option<(Vec<u32>, f64)> = None;
    for start in [heaviest, interleaved, from_xen] {
        let (x, c) = search.local_search(start);
        if best.as_ref().is_none_or(|(_, b)| c < *b) {
            best = Some((x, c));
        }
    }
    best.map(|(x, _)| x).unwrap_or_default()
}

/// The oracle's placement of every page.
pub fn placement(scn: &Scenario) -> Placement {
    let n = scn.machine.nodes;
    let x = chunks(scn);
    Placement::build(scn, |s, i| {
        let pages = scn.sets[s].pages;
        let chunk = (i as u64 * u64::from(CHUNKS) / pages as u64) as u32;
        let mut acc = 0;
        for k in 0..n {
            acc += x[s * n + k];
            if chunk < acc {
                return k;
            }
        }
        n - 1
    })
}

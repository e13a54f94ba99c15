//! The machine model: how long a DRAM access takes, given where the page
//! is, where the CPU is, and how busy the page's memory controller is.
//!
//! ```text
//!   vCPU v on node c:  time per access = compute_ns + Σn f[v][n]·lat(c,n)/mlp
//!   lat(c,n)          = local_latency · distance(c,n)/10 + queue(u[n])
//!   u[n]              = (Σv rate[v]·f[v][n]·line_bytes + copy traffic) / bandwidth[n]
//!   queue(u)          = factor · local_latency · u/(1-u)     (mm1, the default)
//!                     = factor · local_latency · 4u           (linear, u < 1)
//! ```
//!
//! Rates depend on latencies and latencies on rates; [`solve`] finds the
//! fixed point controller by controller (bisection, Gauss-Seidel sweeps):
//! each controller's load falls as its own latency rises, so each step
//! has exactly one root.
//! Interconnect links are not modelled: the distance matrix carries the
//! remote penalty, the controllers carry the contention (Carrefour's
//! own diagnosis: congestion at controllers and links dominates).

use serde::Deserialize;

/// Highest utilisation the queueing term is evaluated at.
pub const MAX_UTILISATION: f64 = 0.98;

/// How a controller's latency grows with its load.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Contention {
    /// M/M/1-like: u/(1-u).
    #[default]
    Mm1,
    /// Linear until saturation.
    Linear,
}

/// A NUMA machine.
#[derive(Clone, Debug)]
pub struct Machine {
    /// Nodes.
    pub nodes: usize,
    /// CPUs per node.
    pub cpus_per_node: usize,
    /// SLIT distances, row-major `nodes x nodes`.
    pub distance: Vec<u8>,
    /// Unloaded local DRAM latency, ns.
    pub local_latency_ns: f64,
    /// Per-controller bandwidth, bytes per ns (= GB/s).
    pub bandwidth_bytes_per_ns: Vec<f64>,
    /// Memory per node, 4 KiB pages.
    pub memory_pages: Vec<u64>,
    /// Contention model.
    pub contention: Contention,
    /// Scale of the queueing delay, in local latencies.
    pub contention_factor: f64,
    /// Cost to the guest of one IBS sample (NMI, gfn walk), ns.
    pub sample_cost_ns: f64,
    /// Cost of one hinting fault, ns.
    pub fault_cost_ns: f64,
    /// Cost to each vCPU of the domain of one remap (TLB flush IPI), ns.
    pub flush_cost_ns: f64,
    /// Bytes per DRAM access.
    pub line_bytes: f64,
}

impl Machine {
    /// Unloaded latency from a CPU of `cpu` to memory of `mem`, ns.
    pub fn base_latency(&self, cpu: usize, mem: usize) -> f64 {
        let d = self.distance[cpu * self.nodes + mem];
        self.local_latency_ns * f64::from(d) / 10.0
    }

    /// Queueing delay at utilisation `u`, ns.
    pub fn queue_ns(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, MAX_UTILISATION);
        let k = self.contention_factor * self.local_latency_ns;
        match self.contention {
            Contention::Mm1 => k * u / (1.0 - u),
            Contention::Linear => k * 4.0 * u,
        }
    }

    /// CPU-to-node map for the engine's topology.
    pub fn cpu_nodes(&self) -> Vec<u32> {
        (0..self.nodes * self.cpus_per_node)
            .map(|c| (c / self.cpus_per_node) as u32)
            .collect()
    }

    /// Memory of the whole machine, pages.
    pub fn total_pages(&self) -> u64 {
        self.memory_pages.iter().sum()
    }
}

/// What one vCPU asks of the memory system this epoch.
#[derive(Clone, Debug, Default)]
pub struct Demand {
    /// The vCPU's node.
    pub node: usize,
    /// Compute between accesses, ns.
    pub compute_ns: f64,
    /// Memory-level parallelism.
    pub mlp: f64,
    /// False when the vCPU is done (no traffic).
    pub active: bool,
}

/// The fixed point.
#[derive(Clone, Debug, Default)]
pub struct Solution {
    /// Accesses per ns, per vCPU (0 for inactive ones).
    pub rate: Vec<f64>,
    /// ns per access, per vCPU (compute plus memory).
    pub ns_per_access: Vec<f64>,
    /// Controller utilisation per node.
    pub util: Vec<f64>,
    /// Bytes per ns per node (accesses only, no copy traffic).
    pub access_bytes_per_ns: Vec<f64>,
}

/// Solves rates and controller loads for `demands`, where `f[v*nodes+n]`
/// is the share of vCPU v's accesses served by node n, and `extra` is
/// other traffic per node in bytes per ns (page copies).
pub fn solve(m: &Machine, demands: &[Demand], f: &[f64], extra: &[f64], out: &mut Solution) {
    let n = m.nodes;
    let nv = demands.len();
    out.rate.clear();
    out.rate.resize(nv, 0.0);
    out.ns_per_access.clear();
    out.ns_per_access.resize(nv, 0.0);
    out.util.clear();
    out.util.resize(n, 0.0);
    out.access_bytes_per_ns.clear();
    out.access_bytes_per_ns.resize(n, 0.0);
    let mut base = vec![0.0; n * n];
    for c in 0..n {
        for k in 0..n {
            base[c * n + k] = m.base_latency(c, k);
        }
    }
    // Gauss-Seidel over the controllers: for controller k, with the others'
    // utilisations fixed, its load is a decreasing function of its own
    // utilisation, so u[k] = load(u[k]) / bandwidth has one root, found by
    // bisection.  Sweeps repeat until no utilisation moves.
    let mut u = vec![0.0f64; n];
    let mut queue = vec![0.0f64; n];
    let mut other = vec![0.0f64; nv]; // time per access without controller k
    let extra_k = |k: usize| extra.get(k).copied().unwrap_or(0.0);
    for _sweep in 0..60 {
        let mut moved = 0.0f64;
        for k in 0..n {
            for j in 0..n {
                queue[j] = m.queue_ns(u[j]);
            }
            for (v, d) in demands.iter().enumerate() {
                if !d.active {
                    continue;
                }
                let fv = &f[v * n..v * n + n];
                let row = &base[d.node * n..d.node * n + n];
                let mut t = d.compute_ns;
                for j in 0..n {
                    if j != k {
                        t += fv[j] * (row[j] + queue[j]) / d.mlp;
                    }
                }
                other[v] = t;
            }
            let load_at = |uk: f64| -> f64 {
                let q = m.queue_ns(uk);
                let mut load = extra_k(k);
                for (v, d) in demands.iter().enumerate() {
                    let fk = f[v * n + k];
                    if !d.active || fk == 0.0 {
                        continue;
                    }
                    let t = other[v] + fk * (base[d.node * n + k] + q) / d.mlp;
                    if t > 0.0 {
                        load += fk * m.line_bytes / t;
                    }
                }
                load / m.bandwidth_bytes_per_ns[k]
            };
            let (mut lo, mut hi) = (0.0f64, 2.0f64);
            if load_at(0.0) <= 0.0 {
                hi = 0.0;
            } else if load_at(hi) >= hi {
                lo = hi;
            } else {
                while hi - lo > 1e-8 {
                    let mid = 0.5 * (lo + hi);
                    if load_at(mid) > mid {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
            }
            let next = 0.5 * (lo + hi);
            moved = moved.max((next - u[k]).abs());
            u[k] = next;
        }
        if moved < 1e-7 {
            break;
        }
    }
    for j in 0..n {
        queue[j] = m.queue_ns(u[j]);
    }
    for (v, d) in demands.iter().enumerate() {
        if !d.active {
            out.rate[v] = 0.0;
            continue;
        }
        let fv = &f[v * n..v * n + n];
        let row = &base[d.node * n..d.node * n + n];
        let mem: f64 = (0..n).map(|j| fv[j] * (row[j] + queue[j])).sum::<f64>() / d.mlp;
        let t = d.compute_ns + mem;
        out.ns_per_access[v] = t;
        let r = if t > 0.0 { 1.0 / t } else { 0.0 };
        out.rate[v] = r;
        for (load, share) in out.access_bytes_per_ns.iter_mut().zip(fv) {
            *load += r * share * m.line_bytes;
        }
    }
    out.util.copy_from_slice(&u);
}

/// Standard deviation over mean of `loads` (0 for no load).
pub fn imbalance(loads: &[f64]) -> f64 {
    let n = loads.len() as f64;
    let sum: f64 = loads.iter().sum();
    if n == 0.0 || sum <= 0.0 {
        return 0.0;
    }
    let mean = sum / n;
    let var = loads.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / n;
    var.sqrt() / mean
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn two_nodes() -> Machine {
        Machine {
            nodes: 2,
            cpus_per_node: 4,
            distance: vec![10, 20, 20, 10],
            local_latency_ns: 100.0,
            bandwidth_bytes_per_ns: vec![10.0, 10.0],
            memory_pages: vec![1 << 20, 1 << 20],
            contention: Contention::Mm1,
            contention_factor: 0.25,
            sample_cost_ns: 0.0,
            fault_cost_ns: 0.0,
            flush_cost_ns: 0.0,
            line_bytes: 64.0,
        }
    }

    fn demand(node: usize) -> Demand {
        Demand {
            node,
            compute_ns: 0.0,
            mlp: 4.0,
            active: true,
        }
    }

    #[test]
    fn remote_costs_the_distance_ratio_when_idle() {
        let m = two_nodes();
        let mut s = Solution::default();
        // One light vCPU: almost no queueing.
        let d = [Demand {
            compute_ns: 10_000.0,
            ..demand(0)
        }];
        solve(&m, &d, &[1.0, 0.0], &[], &mut s);
        let local = s.ns_per_access[0];
        solve(&m, &d, &[0.0, 1.0], &[], &mut s);
        let remote = s.ns_per_access[0];
        assert!((remote - local - 25.0).abs() < 0.5, "{local} {remote}");
    }

    #[test]
    fn one_hot_controller_is_slower_than_two_balanced_ones() {
        let m = two_nodes();
        let mut s = Solution::default();
        let d: Vec<Demand> = (0..8).map(|i| demand(i / 4)).collect();
        let all_on_0: Vec<f64> = (0..8).flat_map(|_| [1.0, 0.0]).collect();
        solve(&m, &d, &all_on_0, &[], &mut s);
        let hot: f64 = s.rate.iter().sum();
        // Node 0 serves everyone: busy (the remote half is slower, so not
        // saturated), node 1 idle.
        assert!(s.util[0] > 0.75 && s.util[1] == 0.0, "{:?}", s.util);
        let local: Vec<f64> = (0..8)
            .flat_map(|i| if i < 4 { [1.0, 0.0] } else { [0.0, 1.0] })
            .collect();
        solve(&m, &d, &local, &[], &mut s);
        let balanced: f64 = s.rate.iter().sum();
        assert!(balanced > 1.5 * hot, "{hot} {balanced}");
    }

    #[test]
    fn fixed_point_is_consistent() {
        let m = two_nodes();
        let mut s = Solution::default();
        let d: Vec<Demand> = (0..8).map(|i| demand(i / 4)).collect();
        let f: Vec<f64> = (0..8).flat_map(|_| [0.7, 0.3]).collect();
        solve(&m, &d, &f, &[], &mut s);
        for k in 0..2 {
            let u = s.access_bytes_per_ns[k] / 10.0;
            assert!((u - s.util[k]).abs() < 1e-3, "{u} {}", s.util[k]);
        }
    }

    #[test]
    fn imbalance_is_stddev_over_mean() {
        assert_eq!(imbalance(&[1.0, 1.0]), 0.0);
        assert!((imbalance(&[2.0, 0.0]) - 1.0).abs() < 1e-12);
    }
}

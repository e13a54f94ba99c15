//! The simulation loop: one world per policy, stepped one epoch at a time.
//!
//! ```text
//!  each epoch (the engine's epoch_ms of modelled time):
//!    workload  ─ per vCPU: active page sets at its progress, weights
//!    placement ─ f[v][n]: share of v's accesses served by node n
//!    model     ─ rates, controller loads, latencies (fixed point)
//!    progress  ─ accesses done = epoch time / time per access (minus
//!                overheads: samples, hinting faults, TLB flushes)
//!    policy    ─ Carrefour: samples → ingest → decide → apply → report
//!                AutoNUMA: scan, hinting faults, two-fault filter, moves
//!                others: nothing (static placements)
//! ```
//!
//! A run ends when every vCPU has done its work (or at `max_epochs`); a
//! domain's runtime is the time its last vCPU finished.

use std::time::Instant;

use serde::Serialize;

use crate::carrefour::CarrefourDriver;
use crate::model::{imbalance, solve, Demand, Solution};
use crate::oracle;
use crate::peers::AutoNuma;
use crate::rng::Rng;
use crate::scenario::{PolicyKind, Scenario};
use crate::world::Placement;

/// Bytes of a page.
pub const PAGE_BYTES: u64 = 4096;

/// Share of a run's page moves after which it counts as converged.
pub const CONVERGED_SHARE: f64 = 0.9;

/// One active access of a vCPU this epoch.
#[derive(Clone, Copy, Debug)]
pub struct Active {
    /// Global set index.
    pub set: usize,
    /// Share of the vCPU's accesses (sums to 1 over its entries).
    pub share: f64,
    /// Share of them that are stores.
    pub write_fraction: f64,
}

/// What a policy sees of an epoch that just ran.
pub struct EpochView<'a> {
    /// The scenario.
    pub scn: &'a Scenario,
    /// 1-based epoch number.
    pub epoch: u32,
    /// Epoch length, ns.
    pub epoch_ns: f64,
    /// DRAM accesses each vCPU made.
    pub accesses: &'a [f64],
    /// Each vCPU's active accesses.
    pub active: &'a [Vec<Active>],
    /// DRAM accesses each node served.
    pub node_accesses: &'a [f64],
}

/// What a policy did to the world in one epoch.
#[derive(Clone, Debug, Default)]
pub struct Effects {
    /// Pages moved (replicas created count as pages copied, not moved).
    pub pages_moved: u64,
    /// Bytes copied.
    pub bytes_copied: u64,
    /// Extra time each vCPU loses next epoch, ns.
    pub overhead_ns: Vec<f64>,
    /// Copy traffic per node, bytes, spread over the next epoch.
    pub copy_bytes: Vec<f64>,
    /// Host time the policy's decision took, ns (measured).
    pub cpu_ns: f64,
}

impl Effects {
    /// No effect, sized for `vcpus` and `nodes`.
    pub fn none(vcpus: usize, nodes: usize) -> Self {
        Effects {
            overhead_ns: vec![0.0; vcpus],
            copy_bytes: vec![0.0; nodes],
            ..Effects::default()
        }
    }
}

enum Driver {
    Static,
    AutoNuma(Box<AutoNuma>),
    Carrefour(Box<CarrefourDriver>),
}

/// One epoch of one run, for the plots and the JSON output.
#[derive(Clone, Debug, Serialize)]
pub struct EpochPoint {
    /// Modelled time at the end of the epoch, s.
    pub time_s: f64,
    /// Local access ratio this epoch.
    pub lar: f64,
    /// Controller imbalance (stddev/mean of per-node accesses).
    pub imbalance: f64,
    /// Pages moved this epoch.
    pub pages_moved: u64,
    /// Mean ns per access over the vCPUs (the convergence measure).
    pub ns_per_access: f64,
}

/// Carrefour's own counters at the end of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EngineSummary {
    /// Samples ingested.
    pub samples: u64,
    /// Samples the engine dropped (table full).
    pub samples_dropped: u64,
    /// Actions by kind (migrate, interleave, replicate).
    pub actions: [u64; 3],
    /// Actions skipped, by reason name.
    pub skipped: Vec<(String, u64)>,
    /// Actions failed.
    pub failed: u64,
    /// Pages frozen for bouncing.
    pub bounces: u64,
    /// Replicas created (pages).
    pub replicas: u64,
    /// Replicas collapsed by writes.
    pub collapses: u64,
    /// Replication as run.
    pub replication: String,
}

/// The result of one policy on one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    /// The policy.
    pub policy: &'static str,
    /// Sum of the domains' runtimes, s.
    pub runtime_s: f64,
    /// Each domain's runtime, s.
    pub domain_runtime_s: Vec<f64>,
    /// False when `max_epochs` ended the run (runtimes extrapolated).
    pub finished: bool,
    /// Local access ratio over the run.
    pub lar: f64,
    /// Mean controller imbalance over the run.
    pub imbalance: f64,
    /// Pages moved.
    pub pages_moved: u64,
    /// Bytes copied.
    pub bytes_copied: u64,
    /// Measured host time of the policy per epoch, µs (engine calls for
    /// Carrefour; `None` for static policies).
    pub cpu_us_per_epoch: Option<f64>,
    /// Epochs until 90 % of the run's page moves were done (0: none).
    pub converge_epochs: u32,
    /// Epochs run.
    pub epochs: u32,
    /// Per-epoch series.
    pub series: Vec<EpochPoint>,
    /// Carrefour's counters (Carrefour only).
    pub engine: Option<EngineSummary>,
}

/// The results of every policy on one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub scenario: String,
    /// Its description.
    pub description: String,
    /// How Carrefour's replication ran.
    pub replication: String,
    /// One result per policy, Xen default first.
    pub runs: Vec<RunResult>,
}

impl ScenarioResult {
    /// The run of `policy`, if it ran.
    pub fn run(&self, policy: PolicyKind) -> Option<&RunResult> {
        self.runs.iter().find(|r| r.policy == policy.name())
    }

    /// Speedup of `policy` over Xen default (>1: faster).
    pub fn speedup(&self, policy: PolicyKind) -> Option<f64> {
        let base = self.run(PolicyKind::XenDefault)?.runtime_s;
        Some(base / self.run(policy)?.runtime_s)
    }
}

/// Runs every policy of `scn`.
pub fn run_scenario(scn: &Scenario) -> ScenarioResult {
    let runs = scn.policies.iter().map(|&p| run_policy(scn, p)).collect();
    ScenarioResult {
        scenario: scn.name.clone(),
        description: scn.description.clone(),
        replication: scn.carrefour.replication.describe(),
        runs,
    }
}

/// The active accesses of vCPU `v` at progress `progress`.
pub fn active_entries(scn: &Scenario, v: usize, progress: f64, out: &mut Vec<Active>) {
    out.clear();
    let mut total = 0.0;
    for &ai in &scn.vcpus[v].accesses {
        let a = &scn.accesses[ai];
        if a.from <= progress && progress < a.to {
            out.push(Active {
                set: a.set,
                share: a.weight,
                write_fraction: a.write_fraction,
            });
            total += a.weight;
        }
    }
    if total > 0.0 {
        for e in out.iter_mut() {
            e.share /= total;
        }
    }
}

/// Fills `row` (one per node) with the share of accesses of a vCPU on
/// `node` with `entries` served by each node under `place`.
pub fn access_shares(
    scn: &Scenario,
    place: &Placement,
    node: usize,
    entries: &[Active],
    row: &mut [f64],
) {
    let n = scn.machine.nodes;
    row.iter_mut().for_each(|x| *x = 0.0);
    for e in entries {
        let s = e.set;
        let pages = scn.sets[s].pages as f64;
        let on = &place.on[s * n..s * n + n];
        let rep = &place.rep_on[s * n..s * n + n];
        let rep_total: u64 = rep.iter().sum();
        for k in 0..n {
            let single = (on[k] - rep[k]) as f64;
            let read = single + if k == node { rep_total as f64 } else { 0.0 };
            row[k] += e.share * ((1.0 - e.write_fraction) * read + e.write_fraction * on[k] as f64)
                / pages;
        }
    }
}

/// Runs one policy on `scn`.
pub fn run_policy(scn: &Scenario, kind: PolicyKind) -> RunResult {
    let nodes = scn.machine.nodes;
    let nv = scn.vcpus.len();
    let mut place = match kind {
        PolicyKind::XenDefault | PolicyKind::AutoNuma | PolicyKind::Carrefour => {
            Placement::xen_default(scn)
        }
        PolicyKind::Interleave => Placement::interleave(scn),
        PolicyKind::FirstTouch => Placement::first_touch(scn),
        PolicyKind::Oracle => oracle::placement(scn),
    };
    let mut driver = match kind {
        PolicyKind::AutoNuma => Driver::AutoNuma(Box::new(AutoNuma::new(scn))),
        PolicyKind::Carrefour => {
            if scn.carrefour.replication.executed() {
                place.enable_replication();
            }
            Driver::Carrefour(Box::new(CarrefourDriver::new(scn)))
        }
        _ => Driver::Static,
    };
    let mut rng = Rng::new(scn.seed ^ (kind as u64).wrapping_mul(0x9E37_79B9));
    let epoch_ns = scn.epoch_ns();
    let mut done = vec![0.0f64; nv];
    let mut finish: Vec<Option<f64>> = vec![None; nv];
    let mut overhead = vec![0.0f64; nv];
    let mut copy_bytes_per_ns = vec![0.0f64; nodes];
    let mut entries: Vec<Vec<Active>> = vec![Vec::new(); nv];
    let mut f = vec![0.0f64; nv * nodes];
    let mut demands: Vec<Demand> = scn
        .vcpus
        .iter()
        .map(|v| Demand {
            node: v.node,
            compute_ns: v.compute_ns,
            mlp: v.mlp,
            active: true,
        })
        .collect();
    let mut sol = Solution::default();
    let mut accesses = vec![0.0f64; nv];
    let mut node_acc = vec![0.0f64; nodes];
    let mut series = Vec::new();
    let (mut sum_acc, mut sum_local, mut sum_imb_t) = (0.0f64, 0.0f64, 0.0f64);
    let (mut pages_moved, mut bytes_copied) = (0u64, 0u64);
    let (mut cpu_ns, mut policy_epochs) = (0.0f64, 0u32);
    let mut t = 0.0f64;
    let mut last_rate = vec![0.0f64; nv];
    let mut epochs = 0u32;

    for epoch in 1..=scn.max_epochs {
        if finish.iter().all(Option::is_some) {
            break;
        }
        epochs = epoch;
        for v in 0..nv {
            let active = finish[v].is_none();
            demands[v].active = active;
            let progress = done[v] / scn.vcpus[v].work;
            active_entries(scn, v, progress, &mut entries[v]);
            let row = &mut f[v * nodes..(v + 1) * nodes];
            access_shares(scn, &place, scn.vcpus[v].node, &entries[v], row);
        }
        solve(&scn.machine, &demands, &f, &copy_bytes_per_ns, &mut sol);

        node_acc.iter_mut().for_each(|x| *x = 0.0);
        let (mut ep_acc, mut ep_local, mut ep_cost) = (0.0, 0.0, 0.0);
        for v in 0..nv {
            accesses[v] = 0.0;
            if finish[v].is_some() {
                continue;
            }
            let sample_ns = match &driver {
                Driver::Carrefour(c) => c.sample_ns_per_access(scn.vcpus[v].domain),
                _ => 0.0,
            };
            let per_access = sol.ns_per_access[v] + sample_ns;
            let lost = overhead[v].min(epoch_ns);
            overhead[v] -= lost;
            let mut a = (epoch_ns - lost) / per_access;
            let left = scn.vcpus[v].work - done[v];
            if a >= left {
                a = left;
                finish[v] = Some(t + lost + a * per_access);
            }
            done[v] += a;
            accesses[v] = a;
            last_rate[v] = 1.0 / per_access;
            let row = &f[v * nodes..(v + 1) * nodes];
            for k in 0..nodes {
                node_acc[k] += a * row[k];
            }
            ep_local += a * row[scn.vcpus[v].node];
            ep_acc += a;
            ep_cost += a * sol.ns_per_access[v];
        }
        let lar = if ep_acc > 0.0 { ep_local / ep_acc } else { 1.0 };
        let imb = imbalance(&node_acc);
        sum_acc += ep_acc;
        sum_local += ep_local;
        sum_imb_t += imb;

        let view = EpochView {
            scn,
            epoch,
            epoch_ns,
            accesses: &accesses,
            active: &entries,
            node_accesses: &node_acc,
        };
        let effects = match &mut driver {
            Driver::Static => None,
            Driver::AutoNuma(a) => Some(a.step(&view, &mut place, &mut rng)),
            Driver::Carrefour(c) => Some(c.step(&view, &mut place, &mut rng)),
        };
        let mut moved = 0;
        copy_bytes_per_ns.iter_mut().for_each(|x| *x = 0.0);
        if let Some(e) = effects {
            moved = e.pages_moved;
            pages_moved += e.pages_moved;
            bytes_copied += e.bytes_copied;
            for (o, add) in overhead.iter_mut().zip(&e.overhead_ns) {
                *o += add;
            }
            for (c, b) in copy_bytes_per_ns.iter_mut().zip(&e.copy_bytes) {
                *c = b / epoch_ns;
            }
            cpu_ns += e.cpu_ns;
            policy_epochs += 1;
        }
        t += epoch_ns;
        series.push(EpochPoint {
            time_s: t / 1e9,
            lar,
            imbalance: imb,
            pages_moved: moved,
            ns_per_access: if ep_acc > 0.0 { ep_cost / ep_acc } else { 0.0 },
        });
    }

    let finished = finish.iter().all(Option::is_some);
    let vcpu_end: Vec<f64> = (0..nv)
        .map(|v| {
            finish[v].unwrap_or_else(|| {
                let left = scn.vcpus[v].work - done[v];
                t + if last_rate[v] > 0.0 {
                    left / last_rate[v]
                } else {
                    0.0
                }
            })
        })
        .collect();
    let domain_runtime_s: Vec<f64> = scn
        .domains
        .iter()
        .map(|d| d.vcpus.iter().map(|&v| vcpu_end[v]).fold(0.0, f64::max) / 1e9)
        .collect();
    let engine = match &driver {
        Driver::Carrefour(c) => Some(c.summary()),
        _ => None,
    };
    RunResult {
        policy: kind.name(),
        runtime_s: domain_runtime_s.iter().sum(),
        domain_runtime_s,
        finished,
        lar: if sum_acc > 0.0 {
            sum_local / sum_acc
        } else {
            1.0
        },
        imbalance: if epochs > 0 {
            sum_imb_t / f64::from(epochs)
        } else {
            0.0
        },
        pages_moved,
        bytes_copied,
        cpu_us_per_epoch: (policy_epochs > 0).then(|| cpu_ns / 1e3 / f64::from(policy_epochs)),
        converge_epochs: converged_at(&series),
        epochs,
        series,
        engine,
    }
}

/// Epochs until [`CONVERGED_SHARE`] of the run's page moves were done
/// (0 for a policy that moved nothing: it was where it ends from the
/// start).
pub fn converged_at(series: &[EpochPoint]) -> u32 {
    let total: u64 = series.iter().map(|p| p.pages_moved).sum();
    if total == 0 {
        return 0;
    }
    let mut acc = 0u64;
    for (i, p) in series.iter().enumerate() {
        acc += p.pages_moved;
        if acc as f64 >= CONVERGED_SHARE * total as f64 {
            return i as u32 + 1;
        }
    }
    series.len() as u32
}

/// Measures host time around `f`, ns.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed().as_nanos() as f64)
}

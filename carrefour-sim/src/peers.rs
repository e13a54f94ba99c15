//! The AutoNUMA-like peer: Linux's automatic NUMA balancing, reduced to
//! what decides where memory goes.
//!
//! ```text
//!   every scan_period_ms:  unmap the next scan_size_mib of each domain
//!                          (a cursor walks the address space, wrapping)
//!   next access to an unmapped page → hinting fault by that vCPU
//!                          (probability 1 - exp(-accesses to the page);
//!                           the vCPU drawn by its share of them)
//!   two-fault filter:      migrate to the faulting vCPU's node only when
//!                          the page's previous fault came from the same
//!                          vCPU (a private page); shared pages stay
//!   rate cap:              rate_limit_mbps of migrations
//!   cost:                  fault_cost_ns per fault to the faulting vCPU,
//!                          copy traffic on both controllers
//! ```
//!
//! Not modelled: task (vCPU) migration and the numa-group heuristics of
//! later kernels; in Xen a vCPU's node is fixed by the scenario.

use crate::rng::Rng;
use crate::scenario::Scenario;
use crate::sim::{Effects, EpochView, PAGE_BYTES};
use crate::world::{Placement, NO_SET};

/// No fault recorded yet.
const NO_VCPU: u16 = u16::MAX;

/// The peer's state.
pub struct AutoNuma {
    cursor: Vec<usize>,
    last_fault: Vec<Vec<u16>>,
    since_scan_ns: f64,
    scan_period_ns: f64,
    scan_pages: usize,
    rate_pages_per_ns: f64,
}

impl AutoNuma {
    /// A fresh peer for `scn`.
    pub fn new(scn: &Scenario) -> Self {
        let c = &scn.autonuma;
        AutoNuma {
            cursor: vec![0; scn.domains.len()],
            last_fault: scn.domains.iter().map(|d| vec![NO_VCPU; d.pages]).collect(),
            since_scan_ns: 0.0,
            scan_period_ns: c.scan_period_ms as f64 * 1e6,
            scan_pages: (c.scan_size_mib * 256) as usize,
            rate_pages_per_ns: c.rate_limit_mbps as f64 * 1e6 / PAGE_BYTES as f64 / 1e9,
        }
    }

    /// Scans, takes the faults and migrates.
    pub fn step(&mut self, view: &EpochView<'_>, place: &mut Placement, rng: &mut Rng) -> Effects {
        let start = std::time::Instant::now();
        let scn = view.scn;
        let mut fx = Effects::none(scn.vcpus.len(), scn.machine.nodes);
        self.since_scan_ns += view.epoch_ns;
        let scans = (self.since_scan_ns / self.scan_period_ns).floor();
        if scans < 1.0 {
            fx.cpu_ns = start.elapsed().as_nanos() as f64;
            return fx;
        }
        self.since_scan_ns -= scans * self.scan_period_ns;
        let mut budget = self.rate_pages_per_ns * view.epoch_ns;

        // Per set: accesses per page this epoch, and who made them.
        let mut per_page = vec![0.0f64; scn.sets.len()];
        let mut who: Vec<Vec<(usize, f64)>> = vec![Vec::new(); scn.sets.len()];
        for (v, entries) in view.active.iter().enumerate() {
            for e in entries {
                let a = view.accesses[v] * e.share;
                if a > 0.0 {
                    per_page[e.set] += a;
                    who[e.set].push((v, a));
                }
            }
        }
        for (s, set) in scn.sets.iter().enumerate() {
            per_page[s] /= set.pages as f64;
            let total: f64 = who[s].iter().map(|x| x.1).sum();
            let mut acc = 0.0;
            for w in who[s].iter_mut() {
                acc += w.1 / total;
                w.1 = acc;
            }
        }
        let prob: Vec<u64> = per_page
            .iter()
            .map(|&x| crate::rng::threshold(1.0 - (-x).exp()))
            .collect();

        for (d, dom) in scn.domains.iter().enumerate() {
            let window = (self.scan_pages as f64 * scans) as usize;
            let window = window.min(dom.pages);
            for k in 0..window {
                let g = (self.cursor[d] + k) % dom.pages;
                let s = place.page_set[d][g];
                if s == NO_SET {
                    continue;
                }
                let s = s as usize;
                if rng.next_u64() >= prob[s] {
                    continue;
                }
                let u = rng.unit();
                let v = who[s]
                    .iter()
                    .find(|w| u < w.1)
                    .or(who[s].last())
                    .map_or(0, |w| w.0);
                fx.overhead_ns[v] += scn.machine.fault_cost_ns;
                let last = self.last_fault[d][g];
                self.last_fault[d][g] = v as u16;
                let node = scn.vcpus[v].node;
                let from = place.frame[d][g] as usize;
                if last == v as u16
                    && from != node
                    && budget >= 1.0
                    && place.move_page(d, g, node).is_ok()
                {
                    budget -= 1.0;
                    fx.pages_moved += 1;
                    fx.bytes_copied += PAGE_BYTES;
                    fx.copy_bytes[from] += PAGE_BYTES as f64;
                    fx.copy_bytes[node] += PAGE_BYTES as f64;
                }
            }
            self.cursor[d] = (self.cursor[d] + window) % dom.pages.max(1);
        }
        fx.cpu_ns = start.elapsed().as_nanos() as f64;
        fx
    }
}

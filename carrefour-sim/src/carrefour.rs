//! Carrefour: the real engine, driven the way Xen drives it.
//!
//! ```text
//!   sampler  ─ one sample per `period` DRAM accesses of a vCPU (IBS op
//!              sampling, DRAM data source), the period being the one the
//!              engine asks for; vCPUs interleaved as per-CPU rings would be
//!   ingest   ─ Engine::ingest(&Sample)             ┐
//!   decide   ─ Engine::decide(&EpochInput)         │ timed with Instant
//!   executor ─ apply each action to the placement  │ (the executor's own
//!   report   ─ Engine::report(i, Outcome)          ┘  work is not timed)
//! ```
//!
//! The executor answers as Xen's does: `Done`, or `Skipped` with
//! `NoMemory` (target node full), `AlreadyThere`, `NotRam` (outside the
//! guest's sets), `Unsupported` (replication, when the scenario runs the
//! Xen executor); `Failed` for a page linux-replication refuses to
//! replicate again.  Each completed action costs every vCPU of the domain
//! one TLB flush (`flush_cost_ns`), and each sample `sample_cost_ns`.

use carrefour_core::action::{ActionKind, Outcome, SkipReason};
use carrefour_core::{DataSource, DomId, Engine, EpochInput, Gfn, NodeId, Sample, Tunable};

use crate::rng::{threshold, Rng};
use crate::scenario::Scenario;
use crate::sim::{timed, Effects, EngineSummary, EpochView, PAGE_BYTES};
use crate::world::{MoveError, Placement, NO_SET};

/// Samples generated per vCPU before moving to the next one, so that
/// the engine sees vCPUs interleaved (its table keeps the first pages
/// it sees when full).
const SAMPLE_BURST: u64 = 16;

/// The engine and its executor.
pub struct CarrefourDriver {
    engine: Engine,
    period: Vec<u64>,
    samples: Vec<Sample>,
    outcomes: Vec<Outcome>,
    dram: Vec<u64>,
    sample_cost_ns: f64,
    executed: bool,
    replicas: u64,
    collapses: u64,
    replication: String,
}

impl CarrefourDriver {
    /// An engine for `scn`, every domain enabled.
    pub fn new(scn: &Scenario) -> Self {
        let m = &scn.machine;
        let topo = carrefour_core::Topology::new(m.nodes, &m.cpu_nodes(), &m.distance)
            .expect("the scenario's machine is a valid topology");
        let mut engine = Engine::new(
            topo,
            scn.carrefour.params,
            carrefour_core::engine::DEFAULT_MAX_ACTIONS,
        )
        .expect("the scenario's parameters are valid");
        for d in 0..scn.domains.len() {
            engine
                .enable(dom_id(d))
                .expect("at most MAX_DOMAINS domains");
        }
        let period = (0..scn.domains.len())
            .map(|d| engine.sampling_period(dom_id(d)).unwrap_or(1))
            .collect();
        CarrefourDriver {
            engine,
            period,
            samples: Vec::new(),
            outcomes: Vec::new(),
            dram: vec![0; m.nodes],
            sample_cost_ns: m.sample_cost_ns,
            executed: scn.carrefour.replication.executed(),
            replicas: 0,
            collapses: 0,
            replication: scn.carrefour.replication.describe(),
        }
    }

    /// Time each access of domain `d` pays for sampling, ns.
    pub fn sample_ns_per_access(&self, d: usize) -> f64 {
        self.sample_cost_ns / self.period[d].max(1) as f64
    }

    /// The engine (for tests and statistics).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs the engine on the epoch that ended.
    pub fn step(&mut self, view: &EpochView<'_>, place: &mut Placement, rng: &mut Rng) -> Effects {
        let scn = view.scn;
        let nodes = scn.machine.nodes;
        let mut fx = Effects::none(scn.vcpus.len(), nodes);

        generate_samples(view, place, &self.period, rng, &mut self.samples);
        let ((), ingest_ns) = timed(|| {
            for s in &self.samples {
                let _ = self.engine.ingest(s);
            }
        });

        for (d, x) in self.dram.iter_mut().zip(view.node_accesses) {
            *d = *x as u64;
        }
        let input = EpochInput {
            elapsed_us: (view.epoch_ns / 1e3) as u64,
            dram_accesses: scn.carrefour.dram_counters.then_some(&self.dram[..]),
            memory_use_permille: place.use_permille(),
            sample_cost_ns: scn.machine.sample_cost_ns as u64,
        };
        let (_, decide_ns) = timed(|| self.engine.decide(&input));

        self.outcomes.clear();
        for i in 0..self.engine.actions().len() {
            let a = self.engine.actions()[i];
            let outcome = self.apply(scn, place, a, &mut fx);
            self.outcomes.push(outcome);
        }
        let ((), report_ns) = timed(|| {
            for (i, o) in self.outcomes.iter().enumerate() {
                let _ = self.engine.report(i, *o);
            }
        });
        fx.cpu_ns = ingest_ns + decide_ns + report_ns;

        if self.executed {
            self.collapse_written_replicas(view, place, rng);
        }
        for d in 0..scn.domains.len() {
            self.period[d] = self.engine.sampling_period(dom_id(d)).unwrap_or(1);
        }
        fx
    }

    fn apply(
        &mut self,
        scn: &Scenario,
        place: &mut Placement,
        a: carrefour_core::Action,
        fx: &mut Effects,
    ) -> Outcome {
        let d = usize::from(a.domain.0).wrapping_sub(1);
        let Some(dom) = scn.domains.get(d) else {
            return Outcome::Skipped(SkipReason::Dying);
        };
        let base = a.gfn.0 as usize;
        let pages = a.pages() as usize;
        if base + pages > dom.pages {
            return Outcome::Skipped(SkipReason::NotRam);
        }
        let target = a.target.index();
        let range = base..base + pages;
        let ram = range.clone().filter(|&g| place.page_set[d][g] != NO_SET);
        match a.kind {
            ActionKind::Migrate | ActionKind::Interleave => {
                let need = ram
                    .filter(|&g| place.frame[d][g] as usize != target)
                    .count() as u64;
                if need == 0 {
                    let any_ram = range.clone().any(|g| place.page_set[d][g] != NO_SET);
                    return Outcome::Skipped(if any_ram {
                        SkipReason::AlreadyThere
                    } else {
                        SkipReason::NotRam
                    });
                }
                if place.free(target) < need {
                    return Outcome::Skipped(SkipReason::NoMemory);
                }
                for g in range {
                    let from = place.frame[d][g] as usize;
                    if place.move_page(d, g, target).is_ok() {
                        fx.pages_moved += 1;
                        fx.bytes_copied += PAGE_BYTES;
                        fx.copy_bytes[from] += PAGE_BYTES as f64;
                        fx.copy_bytes[target] += PAGE_BYTES as f64;
                    }
                }
                for &v in &dom.vcpus {
                    fx.overhead_ns[v] += scn.machine.flush_cost_ns;
                }
                Outcome::Done
            }
            ActionKind::Replicate => {
                if !self.executed {
                    return Outcome::Skipped(SkipReason::Unsupported);
                }
                let mut result = Outcome::Skipped(SkipReason::AlreadyThere);
                for g in range {
                    match place.replicate(d, g) {
                        Ok(copies) => {
                            self.replicas += 1;
                            let master = place.frame[d][g] as usize;
                            fx.bytes_copied += copies * PAGE_BYTES;
                            fx.copy_bytes[master] += (copies * PAGE_BYTES) as f64;
                            for n in 0..scn.machine.nodes {
                                if n != master {
                                    fx.copy_bytes[n] += PAGE_BYTES as f64;
                                }
                            }
                            result = Outcome::Done;
                        }
                        Err(MoveError::AlreadyThere) => {}
                        Err(MoveError::NoMemory) => return Outcome::Skipped(SkipReason::NoMemory),
                        Err(MoveError::NotRam) => return Outcome::Skipped(SkipReason::NotRam),
                        Err(MoveError::Refused) => return Outcome::Failed,
                    }
                }
                if result == Outcome::Done {
                    for &v in &dom.vcpus {
                        fx.overhead_ns[v] += scn.machine.flush_cost_ns;
                    }
                }
                result
            }
        }
    }

    /// Writes collapse replicas: each replicated page of a set is
    /// collapsed with the probability that it was written this epoch.
    fn collapse_written_replicas(
        &mut self,
        view: &EpochView<'_>,
        place: &mut Placement,
        rng: &mut Rng,
    ) {
        let scn = view.scn;
        let mut writes = vec![0.0f64; scn.sets.len()];
        for (v, entries) in view.active.iter().enumerate() {
            for e in entries {
                writes[e.set] += view.accesses[v] * e.share * e.write_fraction;
            }
        }
        for (s, set) in scn.sets.iter().enumerate() {
            if writes[s] <= 0.0 || place.replicated_in(s) == 0 {
                continue;
            }
            let per_page = writes[s] / set.pages as f64;
            let p = 1.0 - (-per_page).exp();
            self.collapses += place.collapse_some(set.domain, set.start, set.pages, p, rng);
        }
    }

    /// Counters for the report.
    pub fn summary(&self) -> EngineSummary {
        let mut out = EngineSummary {
            replicas: self.replicas,
            collapses: self.collapses,
            replication: self.replication.clone(),
            ..EngineSummary::default()
        };
        for id in self.engine.domains() {
            if let Some(st) = self.engine.domain_stats(id) {
                out.samples += st.samples;
                out.samples_dropped += st.samples_dropped;
                for k in 0..3 {
                    out.actions[k] += st.actions[k];
                }
                for r in SkipReason::ALL {
                    let n = st.skipped[r as usize];
                    if n > 0 {
                        match out.skipped.iter_mut().find(|(name, _)| name == r.name()) {
                            Some((_, c)) => *c += n,
                            None => out.skipped.push((r.name().to_string(), n)),
                        }
                    }
                }
                out.failed += st.failed;
                out.bounces += st.bounces;
            }
        }
        out
    }
}

/// The engine's id of domain index `d`.
pub fn dom_id(d: usize) -> DomId {
    DomId((d + 1) as u16)
}

/// One vCPU's sampler: cumulative shares over its entries.
struct VcpuSampler {
    domain: DomId,
    d: usize,
    node: NodeId,
    left: u64,
    cum: Vec<u64>,
    sets: Vec<(usize, usize, u64)>, // (start, pages, write threshold)
}

/// Turns the epoch's accesses into samples, one per `period` DRAM
/// accesses of each vCPU (randomly rounded), vCPUs interleaved.
pub fn generate_samples(
    view: &EpochView<'_>,
    place: &Placement,
    period: &[u64],
    rng: &mut Rng,
    out: &mut Vec<Sample>,
) {
    let scn = view.scn;
    out.clear();
    let mut samplers: Vec<VcpuSampler> = Vec::new();
    for (v, vc) in scn.vcpus.iter().enumerate() {
        let entries = &view.active[v];
        if view.accesses[v] <= 0.0 || entries.is_empty() {
            continue;
        }
        let n = rng.round(view.accesses[v] / period[vc.domain].max(1) as f64);
        if n == 0 {
            continue;
        }
        let mut acc = 0.0;
        let mut cum = Vec::with_capacity(entries.len());
        let mut sets = Vec::with_capacity(entries.len());
        for e in entries {
            acc += e.share;
            cum.push(threshold(acc));
            let s = &scn.sets[e.set];
            sets.push((s.start, s.pages, threshold(e.write_fraction)));
        }
        if let Some(last) = cum.last_mut() {
            *last = u64::MAX;
        }
        samplers.push(VcpuSampler {
            domain: dom_id(vc.domain),
            d: vc.domain,
            node: NodeId::new(vc.node as u32).expect("node below MAX_NODES"),
            left: n,
            cum,
            sets,
        });
    }
    let total: u64 = samplers.iter().map(|s| s.left).sum();
    out.reserve(total as usize);
    let replication = place.rep.iter().any(|r| !r.is_empty());
    let mut live = samplers.len();
    while live > 0 {
        live = 0;
        for s in samplers.iter_mut() {
            if s.left == 0 {
                continue;
            }
            let burst = s.left.min(SAMPLE_BURST);
            s.left -= burst;
            if s.left > 0 {
                live += 1;
            }
            let frames = &place.frame[s.d];
            for _ in 0..burst {
                let r = rng.next_u64();
                let i = if s.cum.len() == 1 {
                    0
                } else {
                    s.cum
                        .iter()
                        .position(|&c| r <= c)
                        .unwrap_or(s.cum.len() - 1)
                };
                let (start, pages, wt) = s.sets[i];
                let g = start + rng.below(pages as u64) as usize;
                let store = rng.next_u64() < wt;
                let mut frame = frames[g];
                if replication && !store && place.is_replicated(s.d, g) {
                    frame = s.node.get();
                }
                out.push(Sample {
                    domain: s.domain,
                    gfn: Gfn(g as u64),
                    frame_node: NodeId::new(u32::from(frame)).expect("node below MAX_NODES"),
                    cpu_node: s.node,
                    kind: if store {
                        carrefour_core::AccessKind::Store
                    } else {
                        carrefour_core::AccessKind::Load
                    },
                    source: DataSource::Dram,
                });
            }
        }
    }
}

/// The engine's default sampling period (for documentation and tests).
pub fn default_period() -> u64 {
    carrefour_core::Params::default().get(Tunable::SamplingPeriod)
}

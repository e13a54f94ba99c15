//! Engine benchmarks (`make bench`, or `cargo bench -p carrefour-core
//! --bench engine`): figures, not pass/fail.
//!
//! Side by side with a reference that keeps the epoch's pages in a
//! `BTreeMap<u64, PageRecord>`, as Carrefour's kernel module kept them in a
//! red-black tree, and does the same work per sample and per decision:
//!
//! * ingest: ns per sample into a table already holding 30,000 pages
//!   (Carrefour's accurate-mode capacity), samples drawn among them;
//! * decide: us per decision over 30,000 sampled pages (private misplaced,
//!   private local and shared written pages), batch of 8192 actions at
//!   most; once with empty histories, once with histories holding the
//!   moves of six earlier epochs (the steady state of a long run).
//!
//! Each figure is the median of several timed repetitions after warm-up
//! runs, engine and reference alternating so that both see the same load.  The machine may be shared: medians hide most of the noise, and
//! the ratio matters more than the absolute figures.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use carrefour_core::engine::DEFAULT_MAX_ACTIONS;
use carrefour_core::params::{Tunable, PERMILLE};
use carrefour_core::prng::Prng;
use carrefour_core::{
    AccessKind, Action, ActionKind, DataSource, DomId, Engine, EpochInput, Gfn, NodeId, Params,
    Sample, Topology,
};

const PAGES: usize = 30_000;
const NODES: usize = 2;
const DOM: DomId = DomId(1);
const SAMPLES_PER_REP: usize = 1 << 21;
const WARMUPS: usize = 2;
const REPS: usize = 9;

fn node(i: u32) -> NodeId {
    NodeId::new(i).unwrap()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

/// Runs `a` and `b` alternately, WARMUPS + REPS times each, so that both
/// see the same machine load; the medians of the timed runs, in the unit
/// each returns (each measures itself, so setup stays out).
fn measure_pair(mut a: impl FnMut() -> f64, mut b: impl FnMut() -> f64) -> (f64, f64) {
    for _ in 0..WARMUPS {
        a();
        b();
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..REPS {
        xs.push(a());
        ys.push(b());
    }
    (median(xs), median(ys))
}

/// The 30,000 pages of the workload: a gfn, the node its frame is on,
/// and who touches it.
#[derive(Clone, Copy)]
enum Use {
    /// Only node 1, frame on node 0: migrates.
    PrivateRemote,
    /// Only the frame's node.
    PrivateLocal,
    /// Both nodes, with writes: interleave candidate.
    SharedWritten,
}

fn workload() -> Vec<(u64, Use)> {
    let mut rng = Prng::new(42);
    let mut seen = std::collections::HashSet::new();
    let mut pages = Vec::with_capacity(PAGES);
    while pages.len() < PAGES {
        let gfn = rng.below(1 << 24);
        if !seen.insert(gfn) {
            continue;
        }
        let u = match pages.len() % 10 {
            0..=3 => Use::PrivateRemote,
            4..=6 => Use::PrivateLocal,
            _ => Use::SharedWritten,
        };
        pages.push((gfn, u));
    }
    pages
}

/// Two samples per page (three for shared ones): one epoch's stream.
fn epoch_stream(pages: &[(u64, Use)]) -> Vec<Sample> {
    let mut out = Vec::with_capacity(pages.len() * 3);
    for &(gfn, u) in pages {
        let s = |frame, cpu, kind| Sample {
            domain: DOM,
            gfn: Gfn(gfn),
            frame_node: node(frame),
            cpu_node: node(cpu),
            kind,
            source: DataSource::Dram,
        };
        match u {
            Use::PrivateRemote => {
                out.push(s(0, 1, AccessKind::Load));
                out.push(s(0, 1, AccessKind::Load));
            }
            Use::PrivateLocal => {
                out.push(s(1, 1, AccessKind::Load));
                out.push(s(1, 1, AccessKind::Store));
            }
            Use::SharedWritten => {
                out.push(s(0, 0, AccessKind::Store));
                out.push(s(0, 1, AccessKind::Load));
                out.push(s(0, 1, AccessKind::Load));
            }
        }
    }
    out
}

/// Samples drawn at random among the pages (all already in the table).
fn hit_stream(pages: &[(u64, Use)]) -> Vec<Sample> {
    let mut rng = Prng::new(7);
    (0..SAMPLES_PER_REP)
        .map(|_| {
            let (gfn, _) = pages[rng.below(pages.len() as u64) as usize];
            let cpu = rng.below(NODES as u64) as u32;
            Sample {
                domain: DOM,
                gfn: Gfn(gfn),
                frame_node: node(0),
                cpu_node: node(cpu),
                kind: if rng.below(8) == 0 {
                    AccessKind::Store
                } else {
                    AccessKind::Load
                },
                source: DataSource::Dram,
            }
        })
        .collect()
}

fn input() -> EpochInput<'static> {
    EpochInput {
        elapsed_us: 1_000_000,
        dram_accesses: Some(&[750_000_000, 250_000_000]),
        memory_use_permille: 500,
        sample_cost_ns: 200,
    }
}

fn engine() -> Engine {
    let mut p = Params::default();
    p.set(Tunable::TrackedPages, PAGES as u64).unwrap();
    let mut e = Engine::new(Topology::uniform(NODES, 8).unwrap(), p, DEFAULT_MAX_ACTIONS).unwrap();
    e.enable(DOM).unwrap();
    e
}

// ---------------------------------------------------------------------------
// The reference: Carrefour's structure (an ordered tree of the epoch's
// pages), with the engine's rules, written plainly.

#[derive(Clone, Copy, Default)]
struct PageRecord {
    frame_node: u8,
    writes: u16,
    counts: [u16; NODES],
}

#[derive(Clone, Copy, Default)]
struct Moved {
    quiet_until: u32,
}

struct Reference {
    nr_nodes: usize,
    capacity: usize,
    domain: DomId,
    pages: BTreeMap<u64, PageRecord>,
    history: BTreeMap<u64, Moved>,
    per_node: [u64; NODES],
    local: u64,
    total: u64,
    writes: u64,
    dropped: u64,
    rng: Prng,
    epoch: u32,
    actions: Vec<Action>,
    candidates: Vec<Candidate>,
}

impl Reference {
    fn new() -> Self {
        Reference {
            nr_nodes: NODES,
            capacity: PAGES,
            domain: DOM,
            pages: BTreeMap::new(),
            history: BTreeMap::new(),
            per_node: [0; NODES],
            local: 0,
            total: 0,
            writes: 0,
            dropped: 0,
            rng: Prng::new(1),
            epoch: 0,
            actions: Vec::with_capacity(DEFAULT_MAX_ACTIONS),
            candidates: Vec::with_capacity(PAGES),
        }
    }

    /// The engine's per-sample work: check the nodes and the domain, find
    /// or insert the page (within capacity), count.
    fn ingest(&mut self, s: &Sample) -> bool {
        if s.frame_node.index() >= self.nr_nodes || s.cpu_node.index() >= self.nr_nodes {
            return false;
        }
        if s.domain != self.domain {
            return false;
        }
        let full = self.pages.len() >= self.capacity;
        let rec = match self.pages.get_mut(&s.gfn.0) {
            Some(r) => r,
            None if full => {
                self.dropped += 1;
                return false;
            }
            None => self.pages.entry(s.gfn.0).or_default(),
        };
        rec.frame_node = s.frame_node.get();
        let is_write = s.kind == AccessKind::Store;
        if is_write {
            rec.writes = rec.writes.saturating_add(1);
        }
        let c = &mut rec.counts[s.cpu_node.index()];
        *c = c.saturating_add(1);
        self.per_node[s.frame_node.index()] += 1;
        self.total += 1;
        if s.is_local() {
            self.local += 1;
        }
        if is_write {
            self.writes += 1;
        }
        true
    }

    /// The engine's decision, on the tree: switches, a fate per page with
    /// a history lookup, extents grouped (the tree is in gfn order), a
    /// sort by priority and heat, the budget.
    fn decide(&mut self, loads: &[u64]) -> usize {
        self.epoch += 1;
        self.actions.clear();
        self.candidates.clear();
        let lar = self.local * PERMILLE / self.total.max(1);
        let total_load: u64 = loads.iter().sum();
        let shares: Vec<u64> = loads
            .iter()
            .map(|&l| l * PERMILLE / total_load.max(1))
            .collect();
        let mean = total_load / NODES as u64;
        let var = loads
            .iter()
            .map(|&l| (l as i128 - mean as i128).pow(2))
            .sum::<i128>()
            / NODES as i128;
        let imbalance = ((var as f64).sqrt() * PERMILLE as f64 / mean.max(1) as f64) as u64;
        let migrate = lar < 800;
        let interleave = lar < PERMILLE && imbalance > 350;
        let replicate = false; // memory use 50 % in the benchmark input
        let epoch = self.epoch;
        let mut extent = (u64::MAX, 0usize, 0usize); // (extent, first cand, pages seen)
        let pages = std::mem::take(&mut self.pages);
        for (&gfn, r) in &pages {
            let touching = r.counts.iter().filter(|&&c| c > 0).count();
            let heat: u32 = r.counts.iter().map(|&c| u32::from(c)).sum();
            let from = r.frame_node;
            let mut fate = None;
            if touching > 1 {
                if replicate && r.writes == 0 {
                    fate = Some((ActionKind::Replicate, from));
                } else if interleave && self.rng.below(PERMILLE) < shares[from as usize] {
                    let w: Vec<u64> = (0..NODES)
                        .map(|n| {
                            if n == from as usize {
                                0
                            } else {
                                PERMILLE - shares[n]
                            }
                        })
                        .collect();
                    let mut pick = self.rng.below(w.iter().sum::<u64>().max(1));
                    for (n, &wn) in w.iter().enumerate() {
                        if pick < wn {
                            fate = Some((ActionKind::Interleave, n as u8));
                            break;
                        }
                        pick -= wn;
                    }
                }
            } else if touching == 1 && migrate {
                let hot = (0..NODES).max_by_key(|&n| r.counts[n]).unwrap_or(0) as u8;
                if hot != from && heat >= if interleave { 1 } else { 2 } {
                    fate = Some((ActionKind::Migrate, hot));
                }
            }
            let ext = gfn >> 9;
            if ext != extent.0 {
                group(&mut self.candidates, extent);
                extent = (ext, self.candidates.len(), 0);
            }
            extent.2 += 1;
            if let Some((kind, target)) = fate {
                let quiet = self
                    .history
                    .get(&(gfn << 1))
                    .is_some_and(|m| epoch < m.quiet_until);
                if !quiet {
                    self.candidates
                        .push((kind as u8, heat, gfn, kind, target, from));
                }
            }
        }
        group(&mut self.candidates, extent);
        self.candidates
            .sort_unstable_by_key(|c| (std::cmp::Reverse(c.0), std::cmp::Reverse(c.1), c.2));
        let mut budget = 65_536u64;
        for &(_, _, gfn, kind, target, from) in &self.candidates {
            if self.actions.len() >= DEFAULT_MAX_ACTIONS || budget == 0 {
                break;
            }
            let order = if gfn & 1 << 63 != 0 { 9 } else { 0 };
            budget -= 1 << order;
            self.actions.push(Action {
                domain: self.domain,
                gfn: Gfn(gfn & !(1 << 63)),
                order,
                kind,
                target: node(u32::from(target)),
                from: node(u32::from(from)),
            });
        }
        drop(pages); // the tree is rebuilt every epoch, as in Carrefour
        self.per_node = [0; NODES];
        (self.local, self.total, self.writes) = (0, 0, 0);
        self.actions.len()
    }
}

type Candidate = (u8, u32, u64, ActionKind, u8, u8);

/// Merges the candidates of one extent into one when 90 % of its sampled
/// pages agree (marked by bit 63 of the gfn).
fn group(candidates: &mut Vec<Candidate>, (ext, first, seen): (u64, usize, usize)) {
    let n = candidates.len() - first;
    if ext == u64::MAX || n < 2 {
        return;
    }
    let head = candidates[first];
    let agree = candidates[first..]
        .iter()
        .filter(|c| c.3 == head.3 && c.4 == head.4)
        .count();
    if agree * 1000 >= 900 * seen {
        candidates.truncate(first);
        candidates.push((head.0, head.1, ext << 9 | 1 << 63, head.3, head.4, head.5));
    }
}

fn main() {
    let pages = workload();
    let stream = epoch_stream(&pages);
    let hits = hit_stream(&pages);
    let input = input();
    let loads = input.dram_accesses.unwrap();

    // (a) Ingest into a table of 30,000 pages.
    let mut e = engine();
    for s in &stream {
        let _ = e.ingest(s);
    }
    assert_eq!(e.domain_stats(DOM).unwrap().samples_dropped, 0);
    let mut r = Reference::new();
    for s in &stream {
        r.ingest(s);
    }
    assert_eq!(r.pages.len(), PAGES);
    let (engine_ns, tree_ns) = measure_pair(
        || {
            let t = Instant::now();
            for s in &hits {
                let _ = black_box(e.ingest(black_box(s)));
            }
            t.elapsed().as_nanos() as f64 / hits.len() as f64
        },
        || {
            let t = Instant::now();
            for s in &hits {
                black_box(r.ingest(black_box(s)));
            }
            t.elapsed().as_nanos() as f64 / hits.len() as f64
        },
    );
    println!(
        "ingest: engine {engine_ns:.1} ns/sample, btreemap {tree_ns:.1} ns/sample, \
         ratio {:.1}x (target >= 5x)  [{PAGES} pages tabled, median of {REPS} x {SAMPLES_PER_REP} samples]",
        tree_ns / engine_ns
    );

    // (b) One decision over 30,000 sampled pages, histories empty.
    let (mut e, mut r) = (engine(), Reference::new());
    let (mut batch, mut tree_batch) = (0, 0);
    let (engine_us, tree_us) = measure_pair(
        || {
            for s in &stream {
                let _ = e.ingest(s);
            }
            let t = Instant::now();
            batch = e.decide(black_box(&input)).actions;
            t.elapsed().as_nanos() as f64 / 1e3
        },
        || {
            for s in &stream {
                r.ingest(s);
            }
            let t = Instant::now();
            tree_batch = r.decide(black_box(loads));
            t.elapsed().as_nanos() as f64 / 1e3
        },
    );
    println!(
        "decide: engine {engine_us:.0} us/epoch, btreemap {tree_us:.0} us/epoch, \
         ratio {:.1}x (target: engine < 1000 us)  [{PAGES} pages, empty histories, batches of {batch} and {tree_batch} actions, median of {REPS}]",
        tree_us / engine_us
    );

    // (c) The same in steady state: both histories hold the moves of
    // earlier epochs (the engine's never frees a record, so it fills).
    let (mut e, mut r) = (engine(), Reference::new());
    let moved = remember_moves(&mut e);
    for &g in &moved {
        r.history.insert(g << 1, Moved { quiet_until: 1 });
    }
    let (engine_us, tree_us) = measure_pair(
        || {
            for s in &stream {
                let _ = e.ingest(s);
            }
            let t = Instant::now();
            black_box(e.decide(black_box(&input)));
            t.elapsed().as_nanos() as f64 / 1e3
        },
        || {
            for s in &stream {
                r.ingest(s);
            }
            let t = Instant::now();
            black_box(r.decide(black_box(loads)));
            t.elapsed().as_nanos() as f64 / 1e3
        },
    );
    println!(
        "decide, histories full: engine {engine_us:.0} us/epoch, btreemap {tree_us:.0} us/epoch, \
         ratio {:.1}x  [{} earlier moves remembered, median of {REPS}]",
        tree_us / engine_us,
        moved.len()
    );
}

/// Fills the engine's history the way a long run does: epochs of moves of
/// fresh pages, all reported done.  Returns the pages moved.
fn remember_moves(e: &mut Engine) -> Vec<u64> {
    let mut moved = Vec::new();
    for epoch in 0..6u64 {
        for i in 0..DEFAULT_MAX_ACTIONS as u64 {
            // One page per extent, far above the workload's gfns.
            let gfn = ((1 << 30) + epoch * DEFAULT_MAX_ACTIONS as u64 + i) << 9 | 3;
            for _ in 0..2 {
                let _ = e.ingest(&Sample {
                    domain: DOM,
                    gfn: Gfn(gfn),
                    frame_node: node(0),
                    cpu_node: node(1),
                    kind: AccessKind::Load,
                    source: DataSource::Dram,
                });
            }
        }
        let n = e.decide(&input()).actions;
        for i in 0..n {
            let _ = e.report(i, carrefour_core::Outcome::Done);
            moved.push(e.actions()[i].gfn.0);
        }
    }
    moved
}

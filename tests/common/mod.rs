//! Stream builders for the scenario tests: a small world (which node each
//! guest page lives on), samples that follow it, and epochs run through
//! the real engine with the independent checker beside it.

#![allow(dead_code)] // each test file uses its own subset

use std::collections::HashMap;

use carrefour_core::checker::{Harness, Op, Step};
use carrefour_core::params::Tunable;
use carrefour_core::{
    AccessKind, Action, ActionKind, DataSource, DecideSummary, DomId, DomainStats, Gfn, NodeId,
    Outcome, Params, Sample, SkipReason, Topology,
};

/// Pages of a 2 MiB extent.
pub const EXTENT: u64 = 512;

/// `n` gfns, each in an extent of its own (so that pages move one by
/// one): the 8th page of every other extent from `first_extent` on.
pub fn scattered(first_extent: u64, n: u64) -> Vec<u64> {
    (0..n)
        .map(|i| (first_extent + 2 * i) * EXTENT + 7)
        .collect()
}

/// `n` consecutive gfns from `first`.
pub fn consecutive(first: u64, n: u64) -> Vec<u64> {
    (first..first + n).collect()
}

pub fn node(i: u32) -> NodeId {
    NodeId::new(i).unwrap()
}

/// What the epoch looked like from outside the engine.
#[derive(Clone, Debug)]
pub struct Epoch {
    pub elapsed_us: u64,
    pub dram_accesses: Option<Vec<u64>>,
    pub memory_use_permille: u64,
}

impl Epoch {
    /// One millisecond: a few samples at the accurate period are far
    /// above the MAPTU gate; memory mostly free.
    pub fn busy() -> Self {
        Epoch {
            elapsed_us: 1_000,
            dram_accesses: None,
            memory_use_permille: 100,
        }
    }

    /// One minute for the same samples: far below the gate.
    pub fn idle() -> Self {
        Epoch {
            elapsed_us: 60_000_000,
            ..Self::busy()
        }
    }

    /// A busy epoch whose per-node DRAM counters read `loads`.
    pub fn with_controllers(loads: &[u64]) -> Self {
        Epoch {
            dram_accesses: Some(loads.to_vec()),
            ..Self::busy()
        }
    }

    /// A busy epoch with this much of the machine's memory in use.
    pub fn with_memory_use(permille: u64) -> Self {
        Epoch {
            memory_use_permille: permille,
            ..Self::busy()
        }
    }
}

/// A machine running the engine, with the checker after every decision.
pub struct World {
    pub h: Harness,
    /// Where each page lives now (pages not listed: where first placed).
    frames: HashMap<(DomId, u64), u32>,
}

impl World {
    /// `nodes` nodes of 4 CPUs; `defaults` over the engine's defaults.
    pub fn new(nodes: usize, defaults: &[(Tunable, u64)]) -> Self {
        let mut p = Params::default();
        for &(t, v) in defaults {
            p.set(t, v).unwrap();
        }
        let topo = Topology::uniform(nodes, 4).unwrap();
        World {
            h: Harness::new(topo, p, 8192).unwrap(),
            frames: HashMap::new(),
        }
    }

    fn apply(&mut self, op: Op) -> Step {
        self.h
            .apply(&op)
            .unwrap_or_else(|v| panic!("checker: {v:?} after {op:?}"))
    }

    pub fn enable(&mut self, d: DomId) {
        assert_eq!(self.apply(Op::Enable(d)), Step::Control(Ok(())));
    }

    pub fn set(&mut self, d: DomId, params: &[(Tunable, u64)]) {
        let a = params.iter().map(|&(t, v)| (t as u32, v)).collect();
        assert_eq!(self.apply(Op::SetParams(d, a)), Step::Control(Ok(())));
    }

    /// Puts `gfns` of `d` on `node` (before any access).
    pub fn place(&mut self, d: DomId, gfns: &[u64], node: u32) {
        for &g in gfns {
            self.frames.insert((d, g), node);
        }
    }

    /// The node page `gfn` of `d` lives on.
    pub fn frame(&self, d: DomId, gfn: u64) -> u32 {
        *self.frames.get(&(d, gfn)).unwrap_or(&0)
    }

    fn sample(&mut self, d: DomId, gfn: u64, cpu: u32, kind: AccessKind) {
        let s = Sample {
            domain: d,
            gfn: Gfn(gfn),
            frame_node: node(self.frame(d, gfn)),
            cpu_node: node(cpu),
            kind,
            source: DataSource::Dram,
        };
        assert_eq!(self.apply(Op::Ingest(s)), Step::Ingested(Ok(())));
    }

    /// Threads on node `cpu` read each of `gfns` `times` times.
    pub fn read(&mut self, d: DomId, gfns: &[u64], cpu: u32, times: u32) {
        for &g in gfns {
            for _ in 0..times {
                self.sample(d, g, cpu, AccessKind::Load);
            }
        }
    }

    /// Threads on node `cpu` write each of `gfns` `times` times.
    pub fn write(&mut self, d: DomId, gfns: &[u64], cpu: u32, times: u32) {
        for &g in gfns {
            for _ in 0..times {
                self.sample(d, g, cpu, AccessKind::Store);
            }
        }
    }

    /// Ends the epoch: the engine decides (the checker checks the batch).
    pub fn decide(&mut self, e: &Epoch) -> Vec<Action> {
        let op = Op::Decide {
            elapsed_us: e.elapsed_us,
            dram_accesses: e.dram_accesses.clone(),
            memory_use_permille: e.memory_use_permille,
            sample_cost_ns: 0,
        };
        match self.apply(op) {
            Step::Decided(DecideSummary { actions, .. }) => {
                assert_eq!(actions, self.h.engine.actions().len());
            }
            other => panic!("{other:?}"),
        }
        self.h.engine.actions().to_vec()
    }

    /// Xen carries out every action of the last batch: pages move.
    pub fn complete_all(&mut self) {
        let batch = self.h.engine.actions().to_vec();
        for (i, a) in batch.iter().enumerate() {
            assert_eq!(
                self.apply(Op::Report(i, Outcome::Done)),
                Step::Reported(Ok(()))
            );
            if a.kind != ActionKind::Replicate {
                let end = a.gfn.0 + a.pages();
                for (&(d, g), n) in self.frames.iter_mut() {
                    if d == a.domain && (a.gfn.0..end).contains(&g) {
                        *n = u32::from(a.target.get());
                    }
                }
            }
        }
    }

    /// Xen skips every action of the last batch for `reason`.
    pub fn skip_all(&mut self, reason: SkipReason) {
        for i in 0..self.h.engine.actions().len() {
            assert_eq!(
                self.apply(Op::Report(i, Outcome::Skipped(reason))),
                Step::Reported(Ok(()))
            );
        }
    }

    pub fn stats(&self, d: DomId) -> DomainStats {
        self.h.engine.domain_stats(d).unwrap()
    }
}

/// Actions of `kind` in `batch`.
pub fn count(batch: &[Action], kind: ActionKind) -> usize {
    batch.iter().filter(|a| a.kind == kind).count()
}

/// Pages of `d` in `batch`.
pub fn pages_of(batch: &[Action], d: DomId) -> u64 {
    batch
        .iter()
        .filter(|a| a.domain == d)
        .map(Action::pages)
        .sum()
}

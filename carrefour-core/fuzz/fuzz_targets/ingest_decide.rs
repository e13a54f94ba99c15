//! Fuzz target: the fuzz bytes are a machine, parameters, page pools and a
//! sequence of operations (enable, disable, set_params, set_defaults,
//! ingest, decide, report).  The real engine and the independent checker
//! run side by side (`carrefour_core::checker::Harness`): any violation
//! after a decision, any disagreement on a result, any panic is a crash.
//! At the end the whole sequence is replayed on two fresh engines, which
//! must agree on everything (`check_determinism`).
//!
//! Movable pages come from small per-domain pools and "noise" pages only
//! ever touched from their own node fill the tables, for the reason given
//! in `carrefour-core/tests/properties.rs`: the engine's history is a
//! bounded cache, the checker's cooldown check is exact, and the pools keep
//! the history out of the region where it may legitimately forget.

#![no_main]

use std::collections::HashMap;

use carrefour_core::checker::{check_determinism, Harness, Op, Step};
use carrefour_core::params::{Tunable, NR_TUNABLES};
use carrefour_core::{
    AccessKind, DataSource, DomId, Gfn, NodeId, Outcome, Params, Sample, SkipReason, Topology,
};
use libfuzzer_sys::fuzz_target;

const DOMAIN_IDS: u16 = 6;
const SMALL_POOL_PAGES: usize = 8;
const BIG_POOL_PAGES: usize = 48;
const BIG_POOL_MIN_TRACKED: u64 = 1024;
const MAX_TRACKED: u64 = 4096;
/// Noise gfns have this bit set, pool gfns never (both stay below 2^40,
/// where every x86-64 guest frame lives).
const NOISE_BAND: u64 = 1 << 39;
/// Pool gfns are below this.
const POOL_LIMIT: u64 = NOISE_BAND;
const MAX_OPS: usize = 4096;
const MAX_DECIDES: usize = 24;

/// Reads the fuzz bytes; zeros once they run out.
struct Bytes<'a> {
    data: &'a [u8],
}

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from(self.u16()) | u32::from(self.u16()) << 16
    }
    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | u64::from(self.u32()) << 32
    }
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// A value for tunable `t`: mostly within a useful part of its range,
/// sometimes anything (refused or extreme); tables stay small.
fn tunable_value(t: Tunable, b: &mut Bytes, big: bool) -> u64 {
    let mode = b.u8();
    let raw = b.u64();
    let (min, max) = t.range();
    if mode % 8 == 0 {
        // Anything, but never a table large enough to exhaust memory.
        return if t == Tunable::TrackedPages && raw > MAX_TRACKED {
            max + 1
        } else {
            raw
        };
    }
    let (min, max) = match t {
        Tunable::TrackedPages if big => (BIG_POOL_MIN_TRACKED, MAX_TRACKED),
        Tunable::TrackedPages => (min, MAX_TRACKED),
        Tunable::MinMaptu => (min, 40),
        Tunable::ReplicateMinCandidates => (min, 24),
        Tunable::MigrateMinSamples => (min, 4),
        Tunable::BudgetPages if mode % 8 < 6 => (min, 4096),
        Tunable::BudgetMbPerSec if mode % 8 < 6 => (min, 64),
        Tunable::CooldownEpochs => (min, 6),
        Tunable::FreezeEpochs => (min, 12),
        _ => (min, max),
    };
    min + raw % (max - min + 1)
}

fn outcome(pick: u8) -> Outcome {
    match pick % 4 {
        0 | 1 => Outcome::Done,
        2 => Outcome::Skipped(SkipReason::ALL[usize::from(pick / 4) % SkipReason::ALL.len()]),
        _ => Outcome::Failed,
    }
}

/// Applies `op` to engine and checker, records it; a violation is a crash.
fn apply(h: &mut Harness, ops: &mut Vec<Op>, op: Op) -> Step {
    let step = h
        .apply(&op)
        .unwrap_or_else(|v| panic!("violation {v:?} at op {} = {op:?}", ops.len()));
    ops.push(op);
    step
}

fn run(data: &[u8]) {
    let mut b = Bytes { data };
    let nr_nodes = 1 + usize::from(b.u8() % 8);
    let cpus_per_node = 1 + usize::from(b.u8() % 4);
    let max_actions = 1 + usize::from(b.u8() % 96);
    let big = b.u8() % 2 == 1;
    let topo = Topology::uniform(nr_nodes, cpus_per_node).unwrap();
    let mut defaults = Params::default();
    let tracked = if big { BIG_POOL_MIN_TRACKED } else { 64 };
    defaults.set(Tunable::TrackedPages, tracked).unwrap();
    defaults.set(Tunable::ReplicateMinCandidates, 4).unwrap();
    for _ in 0..b.u8() % 6 {
        let t = Tunable::ALL[usize::from(b.u8()) % NR_TUNABLES];
        let v = tunable_value(t, &mut b, big);
        let _ = defaults.set(t, v);
    }

    // Per domain: movable pages (gfn, start node, main user node).
    let pool_cap = if big {
        BIG_POOL_PAGES
    } else {
        SMALL_POOL_PAGES
    };
    let mut pools: Vec<Vec<(u64, u32, u32)>> = Vec::new();
    for _ in 0..DOMAIN_IDS {
        let base = match b.u8() % 4 {
            0 => u64::from(b.u16()),
            1 => b.u64() % POOL_LIMIT,
            2 => POOL_LIMIT - 1 - u64::from(b.u16()),
            _ => u64::from(b.u32()) << 7,
        };
        let mut pool: Vec<(u64, u32, u32)> = Vec::new();
        for _ in 0..1 + usize::from(b.u8()) % pool_cap {
            let g = base.wrapping_add(u64::from(b.u16() % 2048)) % POOL_LIMIT;
            let (home, user) = (u32::from(b.u8()), u32::from(b.u8()));
            if !pool.iter().any(|p| p.0 == g) {
                pool.push((g, home, user));
            }
        }
        pools.push(pool);
    }

    let mut h = Harness::new(topo.clone(), defaults, max_actions).unwrap();
    let mut ops: Vec<Op> = Vec::new();
    let mut frames: HashMap<(u16, u64), u32> = HashMap::new();
    let mut decides = 0;
    let nodes = nr_nodes as u32;
    while !b.is_empty() && decides < MAX_DECIDES && ops.len() < MAX_OPS {
        let code = b.u8();
        let dom = u16::from(b.u8()) % DOMAIN_IDS;
        match code % 16 {
            0 => {
                apply(&mut h, &mut ops, Op::Enable(DomId(dom)));
            }
            1 => {
                apply(&mut h, &mut ops, Op::Disable(DomId(dom)));
            }
            2 => {
                let id = u32::from(b.u8()) % (NR_TUNABLES as u32 + 2);
                let value = match Tunable::from_id(id) {
                    Some(t) => tunable_value(t, &mut b, big),
                    None => b.u64(),
                };
                apply(
                    &mut h,
                    &mut ops,
                    Op::SetParams(DomId(dom), vec![(id, value)]),
                );
            }
            3 => {
                let t = Tunable::ALL[usize::from(b.u8()) % NR_TUNABLES];
                let v = tunable_value(t, &mut b, big);
                apply(&mut h, &mut ops, Op::SetDefaults(vec![(t as u32, v)]));
            }
            4..=11 => {
                // A burst of samples of one page.
                let how = b.u8();
                let pick = usize::from(b.u8());
                let times = 1 + usize::from(b.u8() % 8);
                let pool = &pools[usize::from(dom)];
                for _ in 0..times {
                    let (gfn, cpu_raw, frame_raw) = if how % 5 == 0 || pool.is_empty() {
                        // Noise: touched only from its own node, never moves.
                        // One in eight is a gfn no guest can have (refused
                        // by engines that check, harmless to the others).
                        let g = if how % 8 == 5 {
                            u64::MAX - pick as u64 * 4099
                        } else {
                            NOISE_BAND | pick as u64 * 97 | u64::from(how) << 20
                        };
                        let n = (g % u64::from(nodes)) as u32;
                        (g, n, n)
                    } else {
                        let (g, home, user) = pool[pick % pool.len()];
                        let now = *frames.get(&(dom, g)).unwrap_or(&(home % nodes));
                        let cpu = match how % 16 {
                            0..=11 => user % nodes,
                            12 | 13 => (user / 7 + pick as u32) % nodes,
                            14 => nodes + u32::from(how >> 4), // past the machine
                            _ => (user >> 3) % 70,             // raw, maybe past 63
                        };
                        let frame = if how & 0x80 != 0 && how % 3 == 0 {
                            u32::from(how >> 2) % 70
                        } else {
                            now
                        };
                        (g, cpu, frame)
                    };
                    let (Some(cpu_node), Some(frame_node)) =
                        (NodeId::new(cpu_raw), NodeId::new(frame_raw))
                    else {
                        assert!(cpu_raw >= 64 || frame_raw >= 64);
                        continue;
                    };
                    let kind = if how & 0x40 != 0 && how % 4 == 1 {
                        AccessKind::Store
                    } else {
                        AccessKind::Load
                    };
                    apply(
                        &mut h,
                        &mut ops,
                        Op::Ingest(Sample {
                            domain: DomId(dom),
                            gfn: Gfn(gfn),
                            frame_node,
                            cpu_node,
                            kind,
                            source: DataSource::Dram,
                        }),
                    );
                }
            }
            12 | 13 => {
                decides += 1;
                let elapsed_us = match b.u8() % 4 {
                    0 => 0,
                    1 => b.u64(),
                    _ => u64::from(b.u16()),
                };
                let dram_accesses = if b.u8() % 4 == 0 {
                    let n = usize::from(b.u8() % 10);
                    Some((0..n).map(|_| u64::from(b.u32())).collect())
                } else {
                    None
                };
                let memory_use_permille = u64::from(b.u16()) % 1200;
                let sample_cost_ns = u64::from(b.u16());
                apply(
                    &mut h,
                    &mut ops,
                    Op::Decide {
                        elapsed_us,
                        dram_accesses,
                        memory_use_permille,
                        sample_cost_ns,
                    },
                );
            }
            _ => {
                // Reports: a run of them, indices sometimes past the batch.
                let n = 1 + usize::from(b.u8() % 16);
                for _ in 0..n {
                    let len = h.engine.actions().len();
                    let index = usize::from(b.u16()) % (len + 2);
                    let o = outcome(b.u8());
                    let action = h.engine.actions().get(index).copied();
                    let step = apply(&mut h, &mut ops, Op::Report(index, o));
                    if let (Some(a), Step::Reported(Ok(())), Outcome::Done) = (action, step, o) {
                        let last = a.gfn.0.saturating_add(a.pages() - 1);
                        for &(g, _, _) in &pools[usize::from(a.domain.0)] {
                            if (a.gfn.0..=last).contains(&g) {
                                frames.insert((a.domain.0, g), u32::from(a.target.get()));
                            }
                        }
                    }
                }
            }
        }
    }
    if let Err(v) = check_determinism(&topo, defaults, max_actions, &ops) {
        panic!("{v:?}");
    }
}

fuzz_target!(|data: &[u8]| run(data));

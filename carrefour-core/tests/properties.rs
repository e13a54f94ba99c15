//! Property tests: random machines, parameters, sample streams and
//! outcome reports, run on the real engine beside the independent checker
//! (`carrefour_core::checker`).  After every decision the batch must pass
//! the checker; nothing may panic; the same operations on a fresh engine
//! must give the same batches.
//!
//! Page pools.  The engine remembers moved pages in a bounded history and
//! may forget one under pressure (documented in `history.rs`); the checker
//! is exact.  So that every cooldown violation the checker reports is a
//! real bug, each domain's *movable* pages come from a pool: either at
//! most [`SMALL_POOL_PAGES`] gfns with any table size (at most 16 history
//! keys, pages and their extents, which a history of at least 16 slots
//! always holds), or at most [`BIG_POOL_PAGES`] with tables of at least
//! [`BIG_POOL_MIN_TRACKED`] pages (a history at most a tenth full, where a
//! full probe window of records still cooling down is out of reach).  Any
//! number of "noise" pages fill the tables beside them: a noise page is
//! only ever touched from the node it lives on, so it never moves itself,
//! and it lives in a band of gfns (bit 62 set) no pool page uses.

use carrefour_core::checker::{check_determinism, Harness, Op, Step};
use carrefour_core::params::{Tunable, NR_TUNABLES};
use carrefour_core::{
    AccessKind, DataSource, DomId, Gfn, NodeId, Outcome, Params, Sample, SkipReason, Topology,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// Movable pages per domain with any table size (see the module comment).
const SMALL_POOL_PAGES: usize = 8;
/// Movable pages per domain with tables of [`BIG_POOL_MIN_TRACKED`].
const BIG_POOL_PAGES: usize = 48;
/// Smallest table size with a big pool.
const BIG_POOL_MIN_TRACKED: u64 = 1024;
/// Domain ids the streams use; the case enables a subset.
const DOMAIN_IDS: u16 = 6;
/// The band of noise gfns (the top bit of valid gfns, below MAX_GFN).
const NOISE_BAND: u64 = 1 << 39;
/// Tables no larger than this, to keep memory small.
const MAX_TRACKED: u64 = 4096;

/// A value for `t` within its range, from a raw draw; table sizes kept
/// small, and ranges narrowed where the full range would only silence the
/// engine (a MAPTU gate of a million, say).
fn tunable_value(t: Tunable, raw: u64, big: bool) -> u64 {
    let (min, max) = t.range();
    let min = if big && t == Tunable::TrackedPages {
        BIG_POOL_MIN_TRACKED
    } else {
        min
    };
    let max = match t {
        Tunable::TrackedPages => MAX_TRACKED,
        Tunable::MinMaptu => 40,
        Tunable::ReplicateMinCandidates => 24,
        Tunable::MigrateMinSamples => 4,
        Tunable::BudgetPages => 4096,
        Tunable::BudgetMbPerSec => 64,
        Tunable::CooldownEpochs => 6,
        Tunable::FreezeEpochs => 12,
        Tunable::SamplingPeriod => 0x4_0000,
        Tunable::EpochMs => 2_000,
        _ => max,
    };
    min + raw % (max - min + 1)
}

#[derive(Clone, Debug)]
struct Case {
    /// Big pools (and big tables), or small ones.
    big: bool,
    nr_nodes: usize,
    cpus_per_node: usize,
    defaults: Vec<(u32, u64)>,
    max_actions: usize,
    enabled: Vec<u16>,
    /// Per domain id: the pool's gfns, the node each starts on and the
    /// node that mostly touches it.
    pools: Vec<Vec<(u64, u32, u32)>>,
    epochs: Vec<Epoch>,
}

#[derive(Clone, Debug)]
enum Control {
    Enable(u16),
    Disable(u16),
    /// Tunable id (may be unknown), raw value, in range or not.
    SetParams(u16, u32, u64, bool),
    SetDefaults(u32, u64),
}

#[derive(Clone, Debug)]
struct SampleSpec {
    domain: u16,
    noise: bool,
    page: usize,
    cpu_raw: u32,
    frame_raw: Option<u32>,
    store: bool,
}

#[derive(Clone, Debug)]
struct Epoch {
    controls: Vec<Control>,
    samples: Vec<SampleSpec>,
    elapsed_us: u64,
    dram: Option<Vec<u64>>,
    memory_use_permille: u64,
    sample_cost_ns: u64,
    /// (index pick, outcome pick): index may fall past the batch.
    reports: Vec<(usize, u8)>,
}

fn gfn_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..4096,
        (0u64..64).prop_map(|e| (e << 9) | 0x1FF),
        any::<u64>().prop_map(|g| g & (NOISE_BAND - 1)),
        Just(NOISE_BAND - 1),
        Just(NOISE_BAND - 512),
        (1u64 << 30..NOISE_BAND),
    ]
}

/// A pool: gfns in a few extents (so that extents can agree), each with
/// its starting node.
fn pool_strategy(pages: usize) -> impl Strategy<Value = Vec<(u64, u32, u32)>> {
    (
        gfn_strategy(),
        prop::collection::vec((0u64..2048, any::<u32>(), any::<u32>()), 1..=pages),
    )
        .prop_map(|(base, pages)| {
            let mut seen = Vec::new();
            for (off, home, user) in pages {
                let g = base.wrapping_add(off) & !NOISE_BAND;
                if !seen.iter().any(|&(s, _, _)| s == g) {
                    seen.push((g, home, user));
                }
            }
            seen
        })
}

fn control_strategy() -> impl Strategy<Value = Control> {
    prop_oneof![
        (0..DOMAIN_IDS).prop_map(Control::Enable),
        (0..DOMAIN_IDS).prop_map(Control::Disable),
        (
            0..DOMAIN_IDS,
            0u32..NR_TUNABLES as u32 + 2,
            any::<u64>(),
            prop::bool::weighted(0.85)
        )
            .prop_map(|(d, t, v, ok)| Control::SetParams(d, t, v, ok)),
        (0u32..NR_TUNABLES as u32, any::<u64>()).prop_map(|(t, v)| Control::SetDefaults(t, v)),
    ]
}

fn sample_strategy() -> impl Strategy<Value = SampleSpec> {
    (
        0..DOMAIN_IDS,
        prop::bool::weighted(0.2),
        0usize..256,
        0u32..10,
        prop::option::weighted(0.1, 0u32..70),
        prop::bool::weighted(0.03),
    )
        .prop_map(
            |(domain, noise, page, cpu_raw, frame_raw, store)| SampleSpec {
                domain,
                noise,
                page,
                cpu_raw,
                frame_raw,
                store,
            },
        )
}

fn epoch_strategy() -> impl Strategy<Value = Epoch> {
    (
        prop::collection::vec(control_strategy(), 0..3),
        prop::collection::vec(sample_strategy(), 0..500),
        prop_oneof![8 => 1u64..2_000, 1 => 2_000u64..2_000_000, 1 => Just(0u64)],
        prop::option::weighted(0.3, prop::collection::vec(0u64..1_000_000, 0..10)),
        prop_oneof![0u64..=250, 0u64..1000],
        0u64..5_000,
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..40),
    )
        .prop_map(
            |(
                controls,
                samples,
                elapsed_us,
                dram,
                memory_use_permille,
                sample_cost_ns,
                reports,
            )| {
                Epoch {
                    controls,
                    samples,
                    elapsed_us,
                    dram,
                    memory_use_permille,
                    sample_cost_ns,
                    reports,
                }
            },
        )
}

fn case_strategy() -> impl Strategy<Value = Case> {
    prop::bool::ANY
        .prop_flat_map(|big| {
            let pool = if big {
                BIG_POOL_PAGES
            } else {
                SMALL_POOL_PAGES
            };
            (Just(big), cases_with(pool))
        })
        .prop_map(|(big, mut case)| {
            case.big = big;
            case.defaults = case
                .defaults
                .iter()
                .map(|&(id, raw)| (id, tunable_value(Tunable::from_id(id).unwrap(), raw, big)))
                .collect();
            case
        })
}

fn cases_with(pool: usize) -> impl Strategy<Value = Case> {
    (
        1usize..=8,
        1usize..=4,
        prop::collection::vec((0u32..NR_TUNABLES as u32, any::<u64>()), 0..10),
        prop_oneof![1usize..8, 8usize..200],
        prop::collection::vec(0..DOMAIN_IDS, 1..=4),
        prop::collection::vec(pool_strategy(pool), DOMAIN_IDS as usize),
        prop::collection::vec(epoch_strategy(), 1..8),
    )
        .prop_map(
            |(nr_nodes, cpus_per_node, raw_defaults, max_actions, enabled, pools, epochs)| Case {
                big: false,
                defaults: raw_defaults,
                nr_nodes,
                cpus_per_node,
                max_actions,
                enabled,
                pools,
                epochs,
            },
        )
}

fn outcome(pick: u8) -> Outcome {
    match pick % 4 {
        0 | 1 => Outcome::Done,
        2 => Outcome::Skipped(SkipReason::ALL[usize::from(pick / 4) % SkipReason::ALL.len()]),
        _ => Outcome::Failed,
    }
}

/// Turns the case into concrete operations, running them on `h` as it
/// goes (report indices depend on the batch); every step is checked.
fn run_case(case: &Case) -> (Topology, Params, Vec<Op>, Tally) {
    let topo = Topology::uniform(case.nr_nodes, case.cpus_per_node).unwrap();
    let mut defaults = Params::default();
    // Small tables by default (the property is about rules, not size).
    let tracked = if case.big { BIG_POOL_MIN_TRACKED } else { 256 };
    defaults.set(Tunable::TrackedPages, tracked).unwrap();
    defaults.set(Tunable::ReplicateMinCandidates, 4).unwrap();
    defaults.set_all(&case.defaults).unwrap();
    let mut h = Harness::new(topo.clone(), defaults, case.max_actions).unwrap();
    let mut ops = Vec::new();
    let mut tally = Tally::default();
    // Where each pool page is now, as Xen would report it: moves reported
    // Done take effect, so that pages settle (or bounce) as they would.
    let mut frames: std::collections::HashMap<(u16, u64), u32> = Default::default();
    let mut apply = |h: &mut Harness, op: Op| -> Step {
        let step = h
            .apply(&op)
            .unwrap_or_else(|v| panic!("violation {v:?} at op {op:?}"));
        ops.push(op);
        step
    };
    for &d in &case.enabled {
        apply(&mut h, Op::Enable(DomId(d)));
    }
    let nodes = case.nr_nodes as u32;
    for e in &case.epochs {
        for c in &e.controls {
            let op = match *c {
                Control::Enable(d) => Op::Enable(DomId(d)),
                Control::Disable(d) => Op::Disable(DomId(d)),
                Control::SetParams(d, id, raw, in_range) => {
                    let value = match Tunable::from_id(id) {
                        Some(t) if in_range => tunable_value(t, raw, case.big),
                        // Refused, whatever the draw: keeps tables small.
                        Some(Tunable::TrackedPages) => Tunable::TrackedPages.range().1 + 1,
                        _ => raw,
                    };
                    Op::SetParams(DomId(d), vec![(id, value)])
                }
                Control::SetDefaults(id, raw) => {
                    let t = Tunable::from_id(id).unwrap();
                    Op::SetDefaults(vec![(id, tunable_value(t, raw, case.big))])
                }
            };
            apply(&mut h, op);
        }
        for s in &e.samples {
            let pool = &case.pools[usize::from(s.domain)];
            let (gfn, home, user) = if s.noise || pool.is_empty() {
                let g = NOISE_BAND | (s.page as u64 * 37 + u64::from(s.cpu_raw) * 4099);
                let n = (g % u64::from(nodes)) as u32;
                (g, n, n)
            } else {
                pool[s.page % pool.len()]
            };
            let (cpu_raw, frame_raw) = if s.noise {
                (home, home)
            } else {
                let cpu = match s.cpu_raw {
                    // Mostly the page's own user: private pages exist.
                    0..=7 => user % nodes,
                    8 => (user / 7 + s.page as u32) % nodes,
                    // Past the machine.
                    _ => nodes,
                };
                let now = *frames.get(&(s.domain, gfn)).unwrap_or(&(home % nodes));
                (cpu, s.frame_raw.unwrap_or(now))
            };
            let (Some(cpu_node), Some(frame_node)) = (NodeId::new(cpu_raw), NodeId::new(frame_raw))
            else {
                assert!(cpu_raw >= 64 || frame_raw >= 64);
                continue;
            };
            let step = apply(
                &mut h,
                Op::Ingest(Sample {
                    domain: DomId(s.domain),
                    gfn: Gfn(gfn),
                    frame_node,
                    cpu_node,
                    kind: if s.store {
                        AccessKind::Store
                    } else {
                        AccessKind::Load
                    },
                    source: DataSource::Dram,
                }),
            );
            assert!(matches!(step, Step::Ingested(_)));
        }
        apply(
            &mut h,
            Op::Decide {
                elapsed_us: e.elapsed_us,
                dram_accesses: e.dram.clone(),
                memory_use_permille: e.memory_use_permille,
                sample_cost_ns: e.sample_cost_ns,
            },
        );
        let len = h.engine.actions().len();
        for a in h.engine.actions() {
            tally.actions += 1;
            tally.by_kind[a.kind as usize] += 1;
            tally.extents += usize::from(a.order == 9);
        }
        tally.full_batches += usize::from(len == case.max_actions);
        for &(pick, o) in &e.reports {
            // Mostly real indices, some past the batch; doubles happen.
            let index = pick % (len + 2);
            let action = h.engine.actions().get(index).copied();
            let step = apply(&mut h, Op::Report(index, outcome(o)));
            if let (Some(a), Step::Reported(Ok(())), Outcome::Done) = (action, step, outcome(o)) {
                let first = a.gfn.0;
                let last = first.saturating_add(a.pages() - 1);
                for &(g, _, _) in &case.pools[usize::from(a.domain.0)] {
                    if (first..=last).contains(&g) {
                        frames.insert((a.domain.0, g), u32::from(a.target.get()));
                    }
                }
            }
        }
    }
    (topo, defaults, ops, tally)
}

/// What a run decided, to make sure the generator reaches every rule.
#[derive(Debug, Default)]
struct Tally {
    actions: usize,
    by_kind: [usize; 3],
    extents: usize,
    full_batches: usize,
}

proptest! {
    // PROPTEST_CASES=5000 for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(192),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_batch_passes_the_checker_and_runs_are_deterministic(case in case_strategy()) {
        let (topo, defaults, ops, _) = run_case(&case);
        let r = check_determinism(&topo, defaults, case.max_actions, &ops);
        prop_assert_eq!(r, Ok(()));
    }
}

/// The generator reaches every rule: migrations, interleaving,
/// replication, extents and full batches all occur in a few dozen cases.
#[test]
fn the_generated_streams_reach_every_rule() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut total = Tally::default();
    for _ in 0..64 {
        let case = case_strategy().new_tree(&mut runner).unwrap().current();
        let t = run_case(&case).3;
        total.actions += t.actions;
        for k in 0..3 {
            total.by_kind[k] += t.by_kind[k];
        }
        total.extents += t.extents;
        total.full_batches += t.full_batches;
    }
    eprintln!("{total:?}");
    assert!(total.actions > 500, "{total:?}");
    assert!(total.by_kind.iter().all(|&k| k > 10), "{total:?}");
    assert!(total.extents > 5 && total.full_batches > 5, "{total:?}");
}

mod ibs_properties {
    use carrefour_core::ibs::*;
    use proptest::prelude::*;

    proptest! {
        /// Any register values decode without panicking, and an accepted
        /// access satisfies every filter that let it through.
        #[test]
        fn any_registers_decode_to_a_consistent_verdict(
            op_ctl in any::<u64>(),
            op_rip in any::<u64>(),
            op_data in any::<u64>(),
            op_data2 in any::<u64>(),
            op_data3 in any::<u64>(),
            dc_phys_ad in any::<u64>(),
            in_guest in any::<bool>(),
            flags in any::<[bool; 5]>(),
        ) {
            let regs = IbsOpRegs { op_ctl, op_rip, op_data, op_data2, op_data3, dc_phys_ad, in_guest };
            let opts = DecodeOptions {
                dram_only: flags[0],
                require_source: flags[1],
                guest_only: flags[2],
                drop_guest_kernel: flags[3],
                zen4_data_source: flags[4],
            };
            match decode(&regs, &opts) {
                Ok(a) => {
                    prop_assert!(op_ctl & OP_CTL_VALID != 0);
                    prop_assert!(in_guest || !opts.guest_only);
                    prop_assert!(op_data3 & OP_DATA3_PHY_ADDR_VALID != 0);
                    prop_assert!(a.phys_addr != 0 && a.phys_addr <= PHYS_ADDR_MASK);
                    prop_assert!(op_data3 & (OP_DATA3_LD_OP | OP_DATA3_ST_OP) != 0);
                    prop_assert!(!opts.dram_only || a.source == carrefour_core::DataSource::Dram);
                    prop_assert!(!opts.drop_guest_kernel || op_rip & RIP_KERNEL_HALF == 0);
                    prop_assert!(a.source != carrefour_core::DataSource::Io);
                }
                Err(r) => prop_assert!(r.index() < NR_IBS_REJECTS),
            }
        }

        /// Every encodable period reads back from the register.
        #[test]
        fn op_ctl_round_trips(period in (MIN_OP_PERIOD >> 4)..=(MAX_OP_PERIOD_EXT >> 4),
                              count_ops in any::<bool>(), l3 in any::<bool>()) {
            let caps = IbsCaps::from_cpuid(0xFFF);
            let cfg = OpCtlConfig { period: period << 4, count_ops, l3_miss_only: l3 };
            let v = encode_op_ctl(&cfg, &caps).unwrap();
            let d = decode_op_ctl(v);
            prop_assert_eq!((d.period, d.count_ops, d.l3_miss_only), (period << 4, count_ops, l3));
            prop_assert!(d.enabled && !d.valid);
        }
    }
}

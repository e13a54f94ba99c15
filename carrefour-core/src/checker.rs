//! An independent checker of the engine's output, for tests and fuzzing.
//!
//! ```text
//!   ops ──► Harness ──┬─► Engine   (the real thing)      ─► actions, results
//!                     └─► Checker  (a model of the rules) ─► verdict on each batch
//! ```
//!
//! The checker re-states the invariants of `DESIGN.md` from the engine's
//! inputs and outputs only: it keeps its own record of which domains are
//! enabled with which parameters, of which pages Xen reported moved and
//! when, and recomputes budgets from the raw tunables.  It shares no code
//! with the engine's decision path (no table, history, rules or budget
//! code), so that a bug there cannot hide itself.
//!
//! What a batch must satisfy ([`Checker::check_batch`]):
//! * at most `max_actions` actions;
//! * pages within the epoch budget of the defaults, and each domain's
//!   pages within its own budget;
//! * no action covering a page reported `Done` within that domain's
//!   `cooldown_epochs` (at 4 KiB granularity: an extent that contains a
//!   page moved last epoch is cooling down too, and so is a page of an
//!   extent moved last epoch);
//! * every node below `nr_nodes`, and target != from for migrate and
//!   interleave;
//! * no two actions of a domain covering the same page (duplicate gfns,
//!   an extent overlapping a page);
//! * order 0 or 9, the gfn aligned to `2^order`;
//! * only enabled domains; no replicate for a domain whose `replication`
//!   is 0;
//! * the [`DecideSummary`] agrees with the batch.
//!
//! [`Harness`] runs an [`Op`] sequence on an engine and the checker side by
//! side and also compares the results the checker predicts for `ingest`,
//! `report`, `enable`, `disable` and `set_params`; [`check_determinism`]
//! runs a sequence on two fresh engines and compares everything.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::action::{Action, ActionKind, Outcome};
use crate::engine::{DecideSummary, Engine, EngineError, EpochInput, IngestError, ReportError};
use crate::params::{ParamError, Params, Tunable};
use crate::topology::Topology;
use crate::types::{DomId, Sample};

/// Domains the engine accepts at once (its documented limit, restated).
const MAX_DOMAINS: usize = 64;

/// Pages of a 2 MiB extent, restated.
const EXTENT_PAGES: u64 = 512;

/// A broken invariant, or a disagreement between engine and checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// More actions than the batch size.
    TooManyActions { actions: usize, max: usize },
    /// More pages than the epoch budget of the defaults.
    OverGlobalBudget { pages: u64, budget: u64 },
    /// More pages for one domain than its own budget.
    OverDomainBudget {
        domain: DomId,
        pages: u64,
        budget: u64,
    },
    /// An action covers a page moved within the domain's cooldown.
    CoolingDown {
        index: usize,
        domain: DomId,
        gfn: u64,
        epoch: u64,
        cooling_until: u64,
    },
    /// A node outside the machine.
    BadNode { index: usize },
    /// A migrate or interleave to the node the page is on.
    TargetIsSource { index: usize },
    /// Two actions of a domain for the same gfn and order.
    Duplicate { index: usize, other: usize },
    /// Two actions of a domain covering a common page.
    Overlap { index: usize, other: usize },
    /// Order neither 0 nor 9.
    BadOrder { index: usize, order: u8 },
    /// A gfn not aligned to its order, or an extent past the last gfn.
    Misaligned { index: usize },
    /// An action for a domain that is not enabled.
    DomainNotEnabled { index: usize, domain: DomId },
    /// A replicate for a domain whose `replication` is 0.
    ReplicationOff { index: usize, domain: DomId },
    /// The summary does not describe the batch.
    SummaryMismatch {
        summary: DecideSummary,
        actions: usize,
        pages: u64,
        budget: u64,
    },
    /// Engine and checker disagree on the result of operation `op`.
    Disagree { op: usize, what: &'static str },
    /// Two engines fed the same operations differ at operation `op`.
    Nondeterministic { op: usize, what: &'static str },
}

/// The epoch page budget of `p`: the page cap and the rate cap over one
/// epoch (256 pages of 4 KiB per MiB), whichever is smaller.
pub fn budget_pages(p: &Params) -> u64 {
    let rate = u128::from(p.get(Tunable::BudgetMbPerSec))
        .saturating_mul(256)
        .saturating_mul(u128::from(p.get(Tunable::EpochMs)))
        .checked_div(1000)
        .unwrap_or(0);
    u64::try_from(rate)
        .unwrap_or(u64::MAX)
        .min(p.get(Tunable::BudgetPages))
}

/// First page and one past the last page of an action, or `None` when the
/// range does not fit the gfn space.
fn span(a: &Action) -> Option<(u64, u128)> {
    let pages = 1u128.checked_shl(u32::from(a.order))?;
    let end = u128::from(a.gfn.0).checked_add(pages)?;
    if end > u128::from(u64::MAX).saturating_add(1) {
        return None;
    }
    Some((a.gfn.0, end))
}

#[derive(Clone, Debug)]
struct DomainModel {
    params: Params,
    /// gfn of a page moved alone -> last epoch it may not move in.
    pages_cooling: BTreeMap<u64, u64>,
    /// first gfn of an extent moved whole -> last epoch none of its pages
    /// may move in.
    extents_cooling: BTreeMap<u64, u64>,
}

impl DomainModel {
    fn new(params: Params) -> Self {
        DomainModel {
            params,
            pages_cooling: BTreeMap::new(),
            extents_cooling: BTreeMap::new(),
        }
    }

    /// The latest cooldown end over the pages `first..end` at or after
    /// `epoch`, with the page it concerns.
    fn cooling(&self, first: u64, end: u128, epoch: u64) -> Option<(u64, u64)> {
        let last = u64::try_from(end.saturating_sub(1)).unwrap_or(u64::MAX);
        let pages = self
            .pages_cooling
            .range(first..=last)
            .find(|(_, &until)| until >= epoch)
            .map(|(&g, &u)| (g, u));
        if pages.is_some() {
            return pages;
        }
        let lo = first & !(EXTENT_PAGES.saturating_sub(1));
        let hi = last & !(EXTENT_PAGES.saturating_sub(1));
        self.extents_cooling
            .range(lo..=hi)
            .find(|(_, &until)| until >= epoch)
            .map(|(&g, &u)| (g.max(first), u))
    }

    fn forget_before(&mut self, epoch: u64) {
        self.pages_cooling.retain(|_, until| *until >= epoch);
        self.extents_cooling.retain(|_, until| *until >= epoch);
    }
}

/// The checker's model of the engine's inputs and history.
#[derive(Clone, Debug)]
pub struct Checker {
    nr_nodes: usize,
    max_actions: usize,
    defaults: Params,
    domains: BTreeMap<DomId, DomainModel>,
    /// Batches checked so far: the last one's epoch number.
    epoch: u64,
    batch: Vec<Action>,
    reported: Vec<bool>,
}

impl Checker {
    /// A checker for an engine on `nr_nodes` nodes whose domains start
    /// with `defaults` and whose batches hold at most `max_actions`.
    pub fn new(nr_nodes: usize, defaults: Params, max_actions: usize) -> Checker {
        Checker {
            nr_nodes,
            max_actions,
            defaults,
            domains: BTreeMap::new(),
            epoch: 0,
            batch: Vec::new(),
            reported: Vec::new(),
        }
    }

    /// Epoch number of the last batch checked.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The model's parameters of `d`.
    pub fn params(&self, d: DomId) -> Option<&Params> {
        self.domains.get(&d).map(|m| &m.params)
    }

    /// True when the model has `d` enabled.
    pub fn is_enabled(&self, d: DomId) -> bool {
        self.domains.contains_key(&d)
    }

    /// Mirrors `Engine::set_defaults`: the expected result, applied on
    /// success.
    pub fn set_defaults(&mut self, assignments: &[(u32, u64)]) -> Result<(), ParamError> {
        let mut next = self.defaults;
        next.set_all(assignments)?;
        self.defaults = next;
        Ok(())
    }

    /// Mirrors `Engine::enable`: the expected result (short of running out
    /// of memory), applied on success.
    pub fn enable(&mut self, d: DomId) -> Result<(), EngineError> {
        if self.domains.contains_key(&d) {
            return Err(EngineError::AlreadyEnabled(d));
        }
        if self.domains.len() >= MAX_DOMAINS {
            return Err(EngineError::TooManyDomains);
        }
        self.domains.insert(d, DomainModel::new(self.defaults));
        Ok(())
    }

    /// Mirrors `Engine::disable`: the domain and its history are forgotten.
    pub fn disable(&mut self, d: DomId) -> Result<(), EngineError> {
        self.domains
            .remove(&d)
            .map(|_| ())
            .ok_or(EngineError::UnknownDomain(d))
    }

    /// Mirrors `Engine::set_params` (all or nothing).
    pub fn set_params(&mut self, d: DomId, assignments: &[(u32, u64)]) -> Result<(), EngineError> {
        let m = self
            .domains
            .get_mut(&d)
            .ok_or(EngineError::UnknownDomain(d))?;
        let mut next = m.params;
        next.set_all(assignments)?;
        m.params = next;
        Ok(())
    }

    /// The result `Engine::ingest` must give, short of a full table: bad
    /// nodes first, then gfns beyond any address, then unknown domains.
    pub fn expect_ingest(&self, s: &Sample) -> Result<(), IngestError> {
        if s.frame_node.index() >= self.nr_nodes || s.cpu_node.index() >= self.nr_nodes {
            return Err(IngestError::BadNode);
        }
        if s.gfn.0 > crate::types::MAX_GFN {
            return Err(IngestError::BadGfn);
        }
        if !self.domains.contains_key(&s.domain) {
            return Err(IngestError::UnknownDomain);
        }
        Ok(())
    }

    /// Mirrors `Engine::report`: the expected result; a `Done` starts the
    /// cooldown of the pages the action covers.
    pub fn report(&mut self, index: usize, outcome: Outcome) -> Result<(), ReportError> {
        let action = *self.batch.get(index).ok_or(ReportError::NoSuchAction)?;
        let flag = self
            .reported
            .get_mut(index)
            .ok_or(ReportError::NoSuchAction)?;
        if *flag {
            return Err(ReportError::AlreadyReported);
        }
        *flag = true;
        let epoch = self.epoch;
        let m = self
            .domains
            .get_mut(&action.domain)
            .ok_or(ReportError::DomainGone)?;
        if outcome == Outcome::Done {
            let until = epoch.saturating_add(m.params.get(Tunable::CooldownEpochs));
            let map = if action.order == 0 {
                &mut m.pages_cooling
            } else {
                &mut m.extents_cooling
            };
            let slot = map.entry(action.gfn.0).or_insert(0);
            *slot = (*slot).max(until);
        }
        Ok(())
    }

    /// Checks the batch of a new epoch and makes it the batch reports
    /// refer to.
    pub fn check_batch(
        &mut self,
        actions: &[Action],
        summary: &DecideSummary,
    ) -> Result<(), Violation> {
        self.epoch = self.epoch.saturating_add(1);
        let epoch = self.epoch;
        for m in self.domains.values_mut() {
            m.forget_before(epoch);
        }
        self.batch.clear();
        self.batch.extend_from_slice(actions);
        self.reported.clear();
        self.reported.resize(actions.len(), false);

        if actions.len() > self.max_actions {
            return Err(Violation::TooManyActions {
                actions: actions.len(),
                max: self.max_actions,
            });
        }
        let mut per_domain: BTreeMap<DomId, u64> = BTreeMap::new();
        let mut spans: Vec<(DomId, u64, u128, usize)> = Vec::new();
        let mut total = 0u64;
        for (index, a) in actions.iter().enumerate() {
            self.check_action(index, a, epoch)?;
            let Some((first, end)) = span(a) else {
                return Err(Violation::Misaligned { index });
            };
            let pages = a.pages();
            total = total.saturating_add(pages);
            let p = per_domain.entry(a.domain).or_insert(0);
            *p = p.saturating_add(pages);
            spans.push((a.domain, first, end, index));
        }
        let budget = budget_pages(&self.defaults);
        if summary.actions != actions.len()
            || summary.pages != total
            || summary.budget_pages != budget
        {
            return Err(Violation::SummaryMismatch {
                summary: *summary,
                actions: actions.len(),
                pages: total,
                budget,
            });
        }
        if total > budget {
            return Err(Violation::OverGlobalBudget {
                pages: total,
                budget,
            });
        }
        for (&domain, &pages) in &per_domain {
            let own = self
                .domains
                .get(&domain)
                .map_or(0, |m| budget_pages(&m.params));
            if pages > own {
                return Err(Violation::OverDomainBudget {
                    domain,
                    pages,
                    budget: own,
                });
            }
        }
        spans.sort_unstable();
        for pair in spans.windows(2) {
            let (Some(&(d0, s0, e0, i0)), Some(&(d1, s1, _, i1))) = (pair.first(), pair.get(1))
            else {
                continue;
            };
            if d0 == d1 && u128::from(s1) < e0 {
                let (index, other) = (i0.max(i1), i0.min(i1));
                let same = actions.get(i0).map(|a| a.order) == actions.get(i1).map(|a| a.order);
                return Err(if s0 == s1 && same {
                    Violation::Duplicate { index, other }
                } else {
                    Violation::Overlap { index, other }
                });
            }
        }
        Ok(())
    }

    fn check_action(&self, index: usize, a: &Action, epoch: u64) -> Result<(), Violation> {
        let Some(m) = self.domains.get(&a.domain) else {
            return Err(Violation::DomainNotEnabled {
                index,
                domain: a.domain,
            });
        };
        if a.target.index() >= self.nr_nodes || a.from.index() >= self.nr_nodes {
            return Err(Violation::BadNode { index });
        }
        match a.kind {
            ActionKind::Migrate | ActionKind::Interleave => {
                if a.target == a.from {
                    return Err(Violation::TargetIsSource { index });
                }
            }
            ActionKind::Replicate => {
                if m.params.get(Tunable::Replication) == 0 {
                    return Err(Violation::ReplicationOff {
                        index,
                        domain: a.domain,
                    });
                }
            }
        }
        if a.order != 0 && a.order != 9 {
            return Err(Violation::BadOrder {
                index,
                order: a.order,
            });
        }
        let Some((first, end)) = span(a) else {
            return Err(Violation::Misaligned { index });
        };
        let align = 1u64.checked_shl(u32::from(a.order)).unwrap_or(0);
        if first & align.saturating_sub(1) != 0 {
            return Err(Violation::Misaligned { index });
        }
        if let Some((gfn, cooling_until)) = m.cooling(first, end, epoch) {
            return Err(Violation::CoolingDown {
                index,
                domain: a.domain,
                gfn,
                epoch,
                cooling_until,
            });
        }
        Ok(())
    }
}

/// One operation on the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `Engine::enable`.
    Enable(DomId),
    /// `Engine::disable`.
    Disable(DomId),
    /// `Engine::set_params`.
    SetParams(DomId, Vec<(u32, u64)>),
    /// `Engine::set_defaults`.
    SetDefaults(Vec<(u32, u64)>),
    /// `Engine::ingest`.
    Ingest(Sample),
    /// `Engine::decide` with these inputs.
    Decide {
        /// `EpochInput::elapsed_us`.
        elapsed_us: u64,
        /// `EpochInput::dram_accesses`.
        dram_accesses: Option<Vec<u64>>,
        /// `EpochInput::memory_use_permille`.
        memory_use_permille: u64,
        /// `EpochInput::sample_cost_ns`.
        sample_cost_ns: u64,
    },
    /// `Engine::report`.
    Report(usize, Outcome),
}

/// What an operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `enable`, `disable`, `set_params` or `set_defaults`.
    Control(Result<(), EngineError>),
    /// `ingest`.
    Ingested(Result<(), IngestError>),
    /// `decide`; the batch is `harness.engine.actions()`.
    Decided(DecideSummary),
    /// `report`.
    Reported(Result<(), ReportError>),
}

/// An engine and a checker fed the same operations.
#[derive(Debug)]
pub struct Harness {
    /// The engine under test.
    pub engine: Engine,
    /// The model it is checked against.
    pub checker: Checker,
    ops: usize,
}

fn control_agrees(got: &Result<(), EngineError>, want: &Result<(), EngineError>) -> bool {
    match (got, want) {
        (Ok(()), Ok(())) => true,
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

impl Harness {
    /// A fresh engine and checker.
    pub fn new(
        topology: Topology,
        defaults: Params,
        max_actions: usize,
    ) -> Result<Self, EngineError> {
        let checker = Checker::new(topology.nr_nodes(), defaults, max_actions);
        Ok(Harness {
            engine: Engine::new(topology, defaults, max_actions)?,
            checker,
            ops: 0,
        })
    }

    /// Applies `op` to both; after a decision, checks the batch.
    pub fn apply(&mut self, op: &Op) -> Result<Step, Violation> {
        let n = self.ops;
        self.ops = self.ops.saturating_add(1);
        let disagree = |what| Violation::Disagree { op: n, what };
        match op {
            Op::Enable(d) => {
                let got = self.engine.enable(*d);
                if got == Err(EngineError::NoMemory) {
                    return Ok(Step::Control(got));
                }
                let want = self.checker.enable(*d);
                if !control_agrees(&got, &want) {
                    return Err(disagree("enable"));
                }
                Ok(Step::Control(got))
            }
            Op::Disable(d) => {
                let got = self.engine.disable(*d);
                let want = self.checker.disable(*d);
                if !control_agrees(&got, &want) {
                    return Err(disagree("disable"));
                }
                Ok(Step::Control(got))
            }
            Op::SetParams(d, assignments) => {
                let got = self.engine.set_params(*d, assignments);
                if got == Err(EngineError::NoMemory) {
                    return Ok(Step::Control(got));
                }
                let want = self.checker.set_params(*d, assignments);
                if !control_agrees(&got, &want) {
                    return Err(disagree("set_params"));
                }
                if self.engine.params(*d) != self.checker.params(*d) {
                    return Err(disagree("params after set_params"));
                }
                Ok(Step::Control(got))
            }
            Op::SetDefaults(assignments) => {
                let got = self.engine.set_defaults(assignments);
                let want = self
                    .checker
                    .set_defaults(assignments)
                    .map_err(EngineError::from);
                if !control_agrees(&got, &want) {
                    return Err(disagree("set_defaults"));
                }
                Ok(Step::Control(got))
            }
            Op::Ingest(s) => {
                let got = self.engine.ingest(s);
                let want = self.checker.expect_ingest(s);
                let agrees = match (&got, &want) {
                    (Ok(()), Ok(())) | (Err(IngestError::Dropped(_)), Ok(())) => true,
                    (Err(a), Err(b)) => a == b,
                    _ => false,
                };
                if !agrees {
                    return Err(disagree("ingest"));
                }
                Ok(Step::Ingested(got))
            }
            Op::Decide {
                elapsed_us,
                dram_accesses,
                memory_use_permille,
                sample_cost_ns,
            } => {
                let input = EpochInput {
                    elapsed_us: *elapsed_us,
                    dram_accesses: dram_accesses.as_deref(),
                    memory_use_permille: *memory_use_permille,
                    sample_cost_ns: *sample_cost_ns,
                };
                let summary = self.engine.decide(&input);
                self.checker.check_batch(self.engine.actions(), &summary)?;
                Ok(Step::Decided(summary))
            }
            Op::Report(index, outcome) => {
                let got = self.engine.report(*index, *outcome);
                let want = self.checker.report(*index, *outcome);
                if got != want {
                    return Err(disagree("report"));
                }
                Ok(Step::Reported(got))
            }
        }
    }

    /// Applies every operation, stopping at the first violation.
    pub fn run(&mut self, ops: &[Op]) -> Result<(), Violation> {
        for op in ops {
            self.apply(op)?;
        }
        Ok(())
    }
}

/// Runs `ops` on two fresh harnesses (each checked) and compares every
/// result, every batch and every domain's statistics.
pub fn check_determinism(
    topology: &Topology,
    defaults: Params,
    max_actions: usize,
    ops: &[Op],
) -> Result<(), Violation> {
    let fresh = || Harness::new(topology.clone(), defaults, max_actions);
    let (Ok(mut a), Ok(mut b)) = (fresh(), fresh()) else {
        return Err(Violation::Nondeterministic {
            op: 0,
            what: "engine creation",
        });
    };
    for (n, op) in ops.iter().enumerate() {
        let (ra, rb) = (a.apply(op)?, b.apply(op)?);
        let differ = |what| Violation::Nondeterministic { op: n, what };
        if ra != rb {
            return Err(differ("result"));
        }
        if let Step::Decided(_) = ra {
            if a.engine.actions() != b.engine.actions() {
                return Err(differ("batch"));
            }
            if a.engine.global_stats() != b.engine.global_stats() {
                return Err(differ("global statistics"));
            }
            for d in a.engine.domains() {
                if a.engine.domain_stats(d) != b.engine.domain_stats(d) {
                    return Err(differ("domain statistics"));
                }
                if a.engine.sampling_period(d) != b.engine.sampling_period(d) {
                    return Err(differ("sampling period"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Gfn, NodeId};

    fn n(i: u32) -> NodeId {
        NodeId::new(i).unwrap()
    }

    fn act(d: u16, gfn: u64, order: u8, kind: ActionKind, from: u32, to: u32) -> Action {
        Action {
            domain: DomId(d),
            gfn: Gfn(gfn),
            order,
            kind,
            target: n(to),
            from: n(from),
        }
    }

    fn summary(actions: &[Action], c: &Checker) -> DecideSummary {
        DecideSummary {
            actions: actions.len(),
            pages: actions.iter().map(Action::pages).sum(),
            budget_pages: budget_pages(&c.defaults),
        }
    }

    fn checker() -> Checker {
        let mut c = Checker::new(2, Params::default(), 16);
        c.enable(DomId(1)).unwrap();
        c
    }

    fn check(c: &mut Checker, batch: &[Action]) -> Result<(), Violation> {
        let s = summary(batch, c);
        c.check_batch(batch, &s)
    }

    #[test]
    fn a_sound_batch_passes() {
        let mut c = checker();
        let batch = [
            act(1, 7, 0, ActionKind::Migrate, 0, 1),
            act(1, 1024, 9, ActionKind::Interleave, 1, 0),
            act(1, 9, 0, ActionKind::Replicate, 0, 0),
        ];
        assert_eq!(check(&mut c, &batch), Ok(()));
    }

    #[test]
    fn each_broken_rule_is_named() {
        let m = ActionKind::Migrate;
        let cases: [(Action, Violation); 5] = [
            (
                act(2, 7, 0, m, 0, 1),
                Violation::DomainNotEnabled {
                    index: 0,
                    domain: DomId(2),
                },
            ),
            (act(1, 7, 0, m, 0, 2), Violation::BadNode { index: 0 }),
            (
                act(1, 7, 0, m, 1, 1),
                Violation::TargetIsSource { index: 0 },
            ),
            (
                act(1, 7, 3, m, 0, 1),
                Violation::BadOrder { index: 0, order: 3 },
            ),
            (act(1, 7, 9, m, 0, 1), Violation::Misaligned { index: 0 }),
        ];
        for (a, v) in cases {
            let mut c = checker();
            assert_eq!(check(&mut c, &[a]), Err(v), "{a:?}");
        }
    }

    #[test]
    fn the_last_extent_of_the_gfn_space_fits() {
        let mut c = checker();
        let a = act(1, !511, 9, ActionKind::Migrate, 0, 1);
        assert_eq!(check(&mut c, &[a]), Ok(()));
    }

    #[test]
    fn replicate_needs_replication_on() {
        let mut c = checker();
        c.set_params(DomId(1), &[(Tunable::Replication as u32, 0)])
            .unwrap();
        let a = act(1, 7, 0, ActionKind::Replicate, 0, 1);
        assert_eq!(
            check(&mut c, &[a]),
            Err(Violation::ReplicationOff {
                index: 0,
                domain: DomId(1)
            })
        );
    }

    #[test]
    fn duplicates_and_overlaps_within_a_domain_are_caught() {
        let m = ActionKind::Migrate;
        let mut c = checker();
        assert_eq!(
            check(&mut c, &[act(1, 7, 0, m, 0, 1), act(1, 7, 0, m, 0, 1)]),
            Err(Violation::Duplicate { index: 1, other: 0 })
        );
        assert_eq!(
            check(&mut c, &[act(1, 512, 9, m, 0, 1), act(1, 1023, 0, m, 0, 1)]),
            Err(Violation::Overlap { index: 1, other: 0 })
        );
        c.enable(DomId(2)).unwrap();
        assert_eq!(
            check(&mut c, &[act(1, 512, 9, m, 0, 1), act(2, 600, 0, m, 0, 1)]),
            Ok(())
        );
        assert_eq!(
            check(&mut c, &[act(1, 512, 9, m, 0, 1), act(1, 1024, 0, m, 0, 1)]),
            Ok(())
        );
    }

    #[test]
    fn budgets_and_batch_size_are_enforced() {
        let m = ActionKind::Migrate;
        let mut c = checker();
        c.set_defaults(&[(Tunable::BudgetPages as u32, 600)])
            .unwrap();
        c.enable(DomId(2)).unwrap();
        c.set_params(DomId(2), &[(Tunable::BudgetPages as u32, 1)])
            .unwrap();
        let two_extents = [act(1, 0, 9, m, 0, 1), act(1, 512, 9, m, 0, 1)];
        assert_eq!(
            check(&mut c, &two_extents),
            Err(Violation::OverGlobalBudget {
                pages: 1024,
                budget: 600
            })
        );
        assert_eq!(
            check(&mut c, &[act(2, 0, 0, m, 0, 1), act(2, 1, 0, m, 0, 1)]),
            Err(Violation::OverDomainBudget {
                domain: DomId(2),
                pages: 2,
                budget: 1
            })
        );
        let many: Vec<Action> = (0..17).map(|g| act(1, g, 0, m, 0, 1)).collect();
        assert_eq!(
            check(&mut c, &many),
            Err(Violation::TooManyActions {
                actions: 17,
                max: 16
            })
        );
    }

    #[test]
    fn rate_cap_budget_is_recomputed_from_the_tunables() {
        let mut p = Params::default();
        p.set(Tunable::BudgetMbPerSec, 10).unwrap();
        p.set(Tunable::EpochMs, 100).unwrap();
        assert_eq!(budget_pages(&p), 256);
        assert_eq!(budget_pages(&p), p.epoch_budget_pages());
    }

    #[test]
    fn a_wrong_summary_is_caught() {
        let mut c = checker();
        let batch = [act(1, 7, 0, ActionKind::Migrate, 0, 1)];
        let mut s = summary(&batch, &c);
        s.pages = 2;
        assert!(matches!(
            c.check_batch(&batch, &s),
            Err(Violation::SummaryMismatch { .. })
        ));
    }

    #[test]
    fn cooldown_holds_at_page_granularity_across_orders() {
        let m = ActionKind::Migrate;
        let mut c = checker();
        c.set_params(DomId(1), &[(Tunable::CooldownEpochs as u32, 2)])
            .unwrap();
        // Epoch 1: page 700 and extent 1024 move.
        check(&mut c, &[act(1, 700, 0, m, 0, 1), act(1, 1024, 9, m, 0, 1)]).unwrap();
        c.report(0, Outcome::Done).unwrap();
        c.report(1, Outcome::Done).unwrap();
        assert_eq!(
            c.report(1, Outcome::Done),
            Err(ReportError::AlreadyReported)
        );
        assert_eq!(c.report(2, Outcome::Done), Err(ReportError::NoSuchAction));
        // Epoch 2: the extent holding page 700, and a page of extent 1024.
        let v = check(&mut c, &[act(1, 512, 9, m, 1, 0)]);
        assert!(
            matches!(v, Err(Violation::CoolingDown { gfn: 700, .. })),
            "{v:?}"
        );
        let v = check(&mut c, &[act(1, 1100, 0, m, 1, 0)]);
        assert!(
            matches!(v, Err(Violation::CoolingDown { gfn: 1100, .. })),
            "{v:?}"
        );
        // Epoch 4 > 1 + 2: free again.
        assert_eq!(check(&mut c, &[act(1, 512, 9, m, 1, 0)]), Ok(()));
    }

    #[test]
    fn skipped_actions_and_gone_domains_start_no_cooldown() {
        let m = ActionKind::Migrate;
        let mut c = checker();
        c.enable(DomId(2)).unwrap();
        check(&mut c, &[act(1, 7, 0, m, 0, 1), act(2, 7, 0, m, 0, 1)]).unwrap();
        c.report(0, Outcome::Skipped(crate::action::SkipReason::NoMemory))
            .unwrap();
        c.disable(DomId(2)).unwrap();
        assert_eq!(c.report(1, Outcome::Done), Err(ReportError::DomainGone));
        assert_eq!(
            c.report(1, Outcome::Done),
            Err(ReportError::AlreadyReported)
        );
        c.enable(DomId(2)).unwrap();
        assert_eq!(
            check(&mut c, &[act(1, 7, 0, m, 0, 1), act(2, 7, 0, m, 0, 1)]),
            Ok(())
        );
    }

    #[test]
    fn control_mirrors_predict_the_engines_errors() {
        let mut c = checker();
        assert_eq!(
            c.enable(DomId(1)),
            Err(EngineError::AlreadyEnabled(DomId(1)))
        );
        assert_eq!(
            c.disable(DomId(9)),
            Err(EngineError::UnknownDomain(DomId(9)))
        );
        assert!(matches!(
            c.set_params(DomId(1), &[(99, 1)]),
            Err(EngineError::Param(ParamError::UnknownId(99)))
        ));
        for d in 2..=64 {
            c.enable(DomId(d)).unwrap();
        }
        assert_eq!(c.enable(DomId(65)), Err(EngineError::TooManyDomains));
    }

    #[test]
    fn harness_and_determinism_on_a_small_run() {
        let topo = Topology::uniform(2, 2).unwrap();
        let s = |gfn, cpu| {
            Op::Ingest(Sample {
                domain: DomId(1),
                gfn: Gfn(gfn),
                frame_node: n(0),
                cpu_node: n(cpu),
                kind: crate::types::AccessKind::Load,
                source: crate::types::DataSource::Dram,
            })
        };
        let mut ops = alloc::vec![Op::Enable(DomId(1))];
        for g in 0..50 {
            ops.push(s(g, 1));
            ops.push(s(g, 1));
        }
        ops.push(Op::Decide {
            elapsed_us: 1000,
            dram_accesses: None,
            memory_use_permille: 500,
            sample_cost_ns: 100,
        });
        ops.push(Op::Report(0, Outcome::Done));
        ops.push(Op::Report(0, Outcome::Done));
        let mut h = Harness::new(topo.clone(), Params::default(), 64).unwrap();
        h.run(&ops).unwrap();
        assert!(!h.engine.actions().is_empty());
        check_determinism(&topo, Params::default(), 64, &ops).unwrap();
    }
}

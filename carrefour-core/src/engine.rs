//! The engine: samples in, decisions out.
//!
//! ```text
//!  ingest(sample) ──► domain's PageTable (O(1))      ┐ every sample
//!                     domain's NodeCounts            ┘
//!  decide(input) ──► metrics ─► switches ─► page fates ─► extents
//!                    ─► budget shared by all domains ─► actions[]      once an epoch
//!  report(i, outcome) ─► History (cooldown, bounces, skips) + stats    per action
//! ```
//!
//! Memory is allocated when the engine is created and when a domain is
//! enabled or reconfigured, fallibly; `ingest`, `decide` and `report`
//! never allocate.

use alloc::vec::Vec;

use crate::action::{Action, ActionKind, Outcome};
use crate::history::{self, History, PageRecord};
use crate::metrics::{EpochMetrics, NodeCounts};
use crate::params::{ParamError, Params, Tunable, PERMILLE};
use crate::prng::Prng;
use crate::rules::{fate_of, migrate_min_samples, weak_target_of, Fate, Switches, TrafficShares};
use crate::sampling::SamplingRound;
use crate::stats::{DomainStats, GlobalStats};
use crate::table::{PageTable, RecordError};
use crate::topology::{Topology, TopologyError};
use crate::types::{AccessKind, DomId, Gfn, NodeId, Sample, EXTENT_ORDER};

/// Domains the engine manages at once: a bound on memory and on the work
/// of a decision; more than a NUMA host usually runs memory-bound guests.
pub const MAX_DOMAINS: usize = 64;

/// Actions one epoch may produce by default (the caller's batch size).
pub const DEFAULT_MAX_ACTIONS: usize = 8192;

/// Epochs before an action Xen skipped or failed may be proposed again:
/// the obstacles (a grant mapping, a full node) rarely clear at once.
pub const SKIP_RETRY_EPOCHS: u32 = 8;

/// A move back to the node a page left within this many epochs is a
/// bounce: the page is frozen instead.
pub const BOUNCE_WINDOW_EPOCHS: u32 = 8;

/// Sampled pages a 2 MiB extent needs before it may move as a whole.
pub const EXTENT_MIN_SAMPLED_PAGES: usize = 2;

/// Seed of the interleave draws (any fixed value: determinism is the point).
pub const DEFAULT_SEED: u64 = 0xC0FF_EE15_CA5E_F00D;

/// Why an engine call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// Bad topology.
    Topology(TopologyError),
    /// Bad parameter.
    Param(ParamError),
    /// An allocation failed; nothing was changed.
    NoMemory,
    /// [`MAX_DOMAINS`] are enabled already.
    TooManyDomains,
    /// The domain is not enabled.
    UnknownDomain(DomId),
    /// The domain is enabled already.
    AlreadyEnabled(DomId),
}

impl From<ParamError> for EngineError {
    fn from(e: ParamError) -> Self {
        EngineError::Param(e)
    }
}

/// Why a sample was not recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IngestError {
    /// The domain is not enabled.
    UnknownDomain,
    /// A node outside the topology.
    BadNode,
    /// A gfn above [`MAX_GFN`](crate::types::MAX_GFN).
    BadGfn,
    /// The domain's table could not take it.
    Dropped(RecordError),
}

/// Why a report was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportError {
    /// No action with this index in the last batch.
    NoSuchAction,
    /// Reported already.
    AlreadyReported,
    /// The domain was disabled since.
    DomainGone,
}

/// What the caller knows about the epoch that ends.
#[derive(Clone, Copy, Debug, Default)]
pub struct EpochInput<'a> {
    /// Length of the epoch, microseconds.
    pub elapsed_us: u64,
    /// Per-node DRAM accesses from hardware counters, if the caller has them.
    pub dram_accesses: Option<&'a [u64]>,
    /// Share of the machine's memory in use, permille (replication gate).
    pub memory_use_permille: u64,
    /// Cost of taking one sample, ns (for the sampling controller).
    pub sample_cost_ns: u64,
}

/// What one decision produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecideSummary {
    /// Actions in the batch.
    pub actions: usize,
    /// Pages they cover.
    pub pages: u64,
    /// The epoch's page budget.
    pub budget_pages: u64,
}

/// A page or extent that may move this epoch.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    gfn: u64,
    heat: u32,
    kind: ActionKind,
    target: u8,
    from: u8,
    order: u8,
}

impl Candidate {
    fn pages(&self) -> u64 {
        1u64 << (self.order & 0x1f)
    }
}

/// What the decision makes of an extent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExtentFate {
    /// Its pages go their own way (weak ones stay).
    Split,
    /// Neither the extent nor any of its pages moves this epoch.
    Stays,
    /// It moves as one order-9 action built from its votes.
    Merged,
    /// Its own entry (a sample of the whole extent) moves; its pages go
    /// with it.
    Whole,
}

/// What a domain allocates for its table size.
struct Buffers {
    table: PageTable,
    history: History,
    entries: Vec<Entry>,
    entries_scratch: Vec<Entry>,
    candidates: Vec<Candidate>,
}

impl Buffers {
    /// All of it, fallibly, for `params`' table size.
    fn new(params: &Params, nr_nodes: usize) -> Result<Self, EngineError> {
        let tracked = usize::try_from(params.get(Tunable::TrackedPages))
            .map_err(|_| EngineError::NoMemory)?;
        let table = PageTable::new(tracked, nr_nodes).map_err(|_| EngineError::NoMemory)?;
        let history = History::new(tracked).map_err(|_| EngineError::NoMemory)?;
        let candidates = try_vec(tracked)?;
        let entries = try_vec(tracked)?;
        // The sorts' scratches keep their full length (only written).
        let mut entries_scratch = try_vec(tracked)?;
        entries_scratch.resize(tracked, Entry { key: 0, payload: 0 });
        Ok(Buffers {
            table,
            history,
            entries,
            entries_scratch,
            candidates,
        })
    }
}

#[derive(Debug)]
struct DomainState {
    id: DomId,
    params: Params,
    table: PageTable,
    history: History,
    /// This epoch's entries, packed for grouping by extent; once grouped,
    /// the candidates' emission order ([`crate::select`] keys).
    entries: Vec<Entry>,
    /// The scratch of their sorts.
    entries_scratch: Vec<Entry>,
    /// This epoch's candidates.
    candidates: Vec<Candidate>,
    /// `entries` holds the emission order.
    sorted: bool,
    counts: NodeCounts,
    sampling_period: u64,
    stats: DomainStats,
    want_pages: u64,
    allot_pages: u64,
    /// Candidates taken for emission (emitted or passed over).
    cursor: usize,
}

impl DomainState {
    fn new(id: DomId, params: Params, nr_nodes: usize) -> Result<Self, EngineError> {
        let Buffers {
            table,
            history,
            entries,
            entries_scratch,
            candidates,
        } = Buffers::new(&params, nr_nodes)?;
        let sampling_period = params.get(Tunable::SamplingPeriod);
        let stats = DomainStats {
            sampling_period,
            ..DomainStats::default()
        };
        Ok(DomainState {
            id,
            params,
            table,
            history,
            entries,
            entries_scratch,
            candidates,
            sorted: false,
            counts: NodeCounts::default(),
            sampling_period,
            stats,
            want_pages: 0,
            allot_pages: 0,
            cursor: 0,
        })
    }

    /// Takes `b` for a new table size: the epoch's samples go, the memory
    /// of moves stays (a new table size must not lift cooldowns and
    /// freezes).  Field by field: a whole `DomainState` on Xen's stack
    /// would cost kilobytes.
    fn resize(&mut self, mut b: Buffers, epoch: u32) {
        b.history.absorb(&self.history, epoch);
        self.table = b.table;
        self.history = b.history;
        self.entries = b.entries;
        self.entries_scratch = b.entries_scratch;
        self.candidates = b.candidates;
        self.sorted = false;
        self.counts = NodeCounts::default();
        self.want_pages = 0;
        self.allot_pages = 0;
        self.cursor = 0;
    }

    /// Bytes the domain's table, history and decision scratch hold.
    fn footprint_bytes(&self) -> usize {
        self.table
            .footprint_bytes()
            .saturating_add(self.history.footprint_bytes())
            .saturating_add(
                self.entries
                    .capacity()
                    .saturating_add(self.entries_scratch.capacity())
                    .saturating_mul(core::mem::size_of::<Entry>()),
            )
            .saturating_add(
                self.candidates
                    .capacity()
                    .saturating_mul(core::mem::size_of::<Candidate>()),
            )
    }

    /// The next candidate in emission order: priority, then heat, then
    /// the order the grouping left them in.  The first call sorts the
    /// candidates' keys (O(n), [`crate::select`]) in place of the grouped
    /// entries; `counts` are the sort's histograms.
    fn next_candidate(&mut self, counts: &mut [u32]) -> Option<Candidate> {
        if !self.sorted {
            self.sorted = true;
            self.entries.clear();
            for (i, c) in self.candidates.iter().enumerate() {
                if self.entries.len() < self.entries.capacity() {
                    self.entries.push(Entry {
                        key: crate::select::key(c.kind.priority(), c.heat, i),
                        payload: 0,
                    });
                }
            }
            crate::select::radix_sort_by(
                &mut self.entries,
                &mut self.entries_scratch,
                counts,
                crate::select::POSITION_BITS..crate::select::KEY_BITS,
                |e| e.key,
            );
        }
        let key = self.entries.get(self.cursor)?.key;
        self.cursor = self.cursor.saturating_add(1);
        self.candidates.get(crate::select::position(key)).copied()
    }
}

/// The engine.
///
/// # Invariants
/// At most [`MAX_DOMAINS`] domains, with distinct ids; `actions.len() ==
/// reported.len() <= max_actions`, and both vectors have that capacity.
#[derive(Debug)]
pub struct Engine {
    topology: Topology,
    defaults: Params,
    domains: Vec<DomainState>,
    actions: Vec<Action>,
    reported: Vec<bool>,
    max_actions: usize,
    epoch: u32,
    rng: Prng,
    stats: GlobalStats,
    /// The histograms of the decision's sorts ([`crate::select`]).
    sort_counts: Vec<u32>,
}

fn try_vec<T>(capacity: usize) -> Result<Vec<T>, EngineError> {
    let mut v = Vec::new();
    v.try_reserve_exact(capacity)
        .map_err(|_| EngineError::NoMemory)?;
    Ok(v)
}

impl Engine {
    /// An engine for `topology`, whose domains start with `defaults` and
    /// whose epochs produce at most `max_actions` actions.
    pub fn new(
        topology: Topology,
        defaults: Params,
        max_actions: usize,
    ) -> Result<Engine, EngineError> {
        defaults.validate()?;
        Ok(Engine {
            topology,
            defaults,
            domains: try_vec(MAX_DOMAINS)?,
            actions: try_vec(max_actions)?,
            reported: try_vec(max_actions)?,
            max_actions,
            epoch: 0,
            rng: Prng::new(DEFAULT_SEED),
            stats: GlobalStats::default(),
            sort_counts: {
                let n = crate::select::NR_COUNTS * crate::select::MAX_DIGITS;
                let mut v = try_vec(n)?;
                v.resize(n, 0);
                v
            },
        })
    }

    /// The machine.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Parameters new domains start with; the global budget is theirs.
    pub fn defaults(&self) -> &Params {
        &self.defaults
    }

    /// Replaces the defaults (all or nothing).
    pub fn set_defaults(&mut self, assignments: &[(u32, u64)]) -> Result<(), EngineError> {
        self.defaults.set_all(assignments)?;
        Ok(())
    }

    /// Epochs decided so far.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    fn slot(&self, id: DomId) -> Option<usize> {
        self.domains.iter().position(|d| d.id == id)
    }

    /// Starts managing `id` with the default parameters.  Allocates the
    /// domain's table and history; on failure nothing changes.
    pub fn enable(&mut self, id: DomId) -> Result<(), EngineError> {
        if self.slot(id).is_some() {
            return Err(EngineError::AlreadyEnabled(id));
        }
        if self.domains.len() >= MAX_DOMAINS {
            return Err(EngineError::TooManyDomains);
        }
        let d = DomainState::new(id, self.defaults, self.topology.nr_nodes())?;
        self.domains.push(d);
        self.stats.domains = self.domains.len() as u64;
        Ok(())
    }

    /// Stops managing `id` and frees its memory.
    pub fn disable(&mut self, id: DomId) -> Result<(), EngineError> {
        // Dropped where it lies: `Vec::remove` would return the (large)
        // state by value, a 3.4 KB stack frame inside Xen.
        let before = self.domains.len();
        self.domains.retain(|d| d.id != id);
        if self.domains.len() == before {
            return Err(EngineError::UnknownDomain(id));
        }
        self.stats.domains = self.domains.len() as u64;
        Ok(())
    }

    /// True when `id` is managed.
    pub fn is_enabled(&self, id: DomId) -> bool {
        self.slot(id).is_some()
    }

    /// The managed domains, in the order they were enabled.
    pub fn domains(&self) -> impl Iterator<Item = DomId> + '_ {
        self.domains.iter().map(|d| d.id)
    }

    /// Sets parameters of `id`, all or nothing.  A new table size
    /// reallocates the domain's table (fallibly; the old one stays on
    /// failure) and forgets the epoch's samples.
    pub fn set_params(&mut self, id: DomId, assignments: &[(u32, u64)]) -> Result<(), EngineError> {
        let nr_nodes = self.topology.nr_nodes();
        let slot = self.slot(id).ok_or(EngineError::UnknownDomain(id))?;
        let d = self
            .domains
            .get_mut(slot)
            .ok_or(EngineError::UnknownDomain(id))?;
        let mut next = d.params;
        next.set_all(assignments)?;
        if next.get(Tunable::TrackedPages) != d.params.get(Tunable::TrackedPages) {
            let buffers = Buffers::new(&next, nr_nodes)?;
            d.resize(buffers, self.epoch);
        }
        if next.get(Tunable::SamplingPeriod) != d.params.get(Tunable::SamplingPeriod) {
            d.sampling_period = next.get(Tunable::SamplingPeriod);
        }
        d.params = next;
        d.stats.sampling_period = d.sampling_period;
        Ok(())
    }

    /// The parameters of `id`.
    pub fn params(&self, id: DomId) -> Option<&Params> {
        self.slot(id)
            .and_then(|s| self.domains.get(s))
            .map(|d| &d.params)
    }

    /// The sampling period `id` should use now.
    pub fn sampling_period(&self, id: DomId) -> Option<u64> {
        self.slot(id)
            .and_then(|s| self.domains.get(s))
            .map(|d| d.sampling_period)
    }

    /// The statistics of `id`.
    pub fn domain_stats(&self, id: DomId) -> Option<DomainStats> {
        let d = self.slot(id).and_then(|s| self.domains.get(s))?;
        let mut st = d.stats;
        st.frozen_pages = d.history.frozen_count(self.epoch);
        st.footprint_bytes = d.footprint_bytes() as u64;
        Some(st)
    }

    /// The engine's statistics.
    pub fn global_stats(&self) -> GlobalStats {
        self.stats
    }

    /// Records one sample.  O(1): a bounded scan of the enabled domains
    /// and a bounded probe of the domain's table; never allocates.
    pub fn ingest(&mut self, s: &Sample) -> Result<(), IngestError> {
        self.record(s, s.gfn, 1)
    }

    /// Records one sample that stands for the whole 2 MiB extent around
    /// `s.gfn`: Xen's hinting-fault sampler arms a superpage mapping as a
    /// whole, and its one fault says which node touches all 512 pages.
    /// The extent gets its own table entry (its decisions are order-9
    /// actions) and counts as 512 accesses in the epoch's metrics.
    pub fn ingest_extent(&mut self, s: &Sample) -> Result<(), IngestError> {
        let key = Gfn(s.gfn.extent_base().0 | crate::table::EXTENT_KEY);
        self.record(s, key, crate::types::EXTENT_PAGES)
    }

    fn record(&mut self, s: &Sample, key: Gfn, weight: u64) -> Result<(), IngestError> {
        let nr_nodes = self.topology.nr_nodes();
        if s.frame_node.index() >= nr_nodes || s.cpu_node.index() >= nr_nodes {
            self.stats.samples_bad_node = self.stats.samples_bad_node.saturating_add(1);
            return Err(IngestError::BadNode);
        }
        if s.gfn.0 > crate::types::MAX_GFN {
            self.stats.samples_bad_gfn = self.stats.samples_bad_gfn.saturating_add(1);
            return Err(IngestError::BadGfn);
        }
        let Some(d) = self.domains.iter_mut().find(|d| d.id == s.domain) else {
            self.stats.samples_unknown_domain = self.stats.samples_unknown_domain.saturating_add(1);
            return Err(IngestError::UnknownDomain);
        };
        let is_write = s.kind == AccessKind::Store;
        if let Err(e) = d.table.record(key, s.cpu_node, s.frame_node, is_write) {
            d.stats.samples_dropped = d.stats.samples_dropped.saturating_add(1);
            return Err(IngestError::Dropped(e));
        }
        d.stats.samples = d.stats.samples.saturating_add(1);
        let c = &mut d.counts;
        if let Some(n) = c.per_node.get_mut(s.frame_node.index()) {
            *n = n.saturating_add(weight);
        }
        c.total = c.total.saturating_add(weight);
        if s.is_local() {
            c.local = c.local.saturating_add(weight);
        }
        if is_write {
            c.writes = c.writes.saturating_add(weight);
        }
        Ok(())
    }

    /// The actions of the last decision.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Ends the epoch: decides, fills [`Engine::actions`] (replacing the
    /// previous batch) and starts a new epoch.  Work is bounded by the
    /// domains' table capacities (a sort of each domain's sampled pages).
    pub fn decide(&mut self, input: &EpochInput<'_>) -> DecideSummary {
        self.epoch = self.epoch.saturating_add(1);
        self.actions.clear();
        self.reported.clear();
        let epoch = self.epoch;
        let nr_nodes = self.topology.nr_nodes();
        let nr_cpus = self.topology.nr_cpus() as u64;

        // 1. The machine-wide view: controllers are shared by all domains.
        let mut global_counts = NodeCounts::default();
        for d in &self.domains {
            global_counts.add(&d.counts);
        }
        let base_period = self.defaults.get(Tunable::SamplingPeriod);
        let global = EpochMetrics::compute(
            &global_counts,
            nr_nodes,
            base_period,
            input.elapsed_us,
            input.dram_accesses,
        );
        let loads = input.dram_accesses.unwrap_or(&global_counts.per_node);
        let shares = TrafficShares::from_loads(loads, nr_nodes);

        // 2. Per domain: switches, page fates, extents, ordering.
        for d in self.domains.iter_mut() {
            let metrics = EpochMetrics::compute(
                &d.counts,
                nr_nodes,
                d.sampling_period,
                input.elapsed_us,
                None,
            );
            let sw = Switches::decide(
                &d.params,
                &metrics,
                &global,
                d.counts.total,
                input.memory_use_permille,
            );
            let keep_replicas = collect_entries(d, &sw, &shares, &mut self.rng, epoch);
            group_extents(d, &sw, epoch, keep_replicas, &mut self.sort_counts);
            d.want_pages = d
                .candidates
                .iter()
                .fold(0u64, |a, c| a.saturating_add(c.pages()));
            d.stats.last = metrics;
            d.stats.switches = sw;
            d.stats.node_accesses = d.counts.per_node;
            d.stats.tracked_pages = d.table.len() as u64;
        }

        // 3. The budget, shared fairly (water-filling) among the domains
        //    that want to move pages, each capped by its own budget.
        let budget = self.defaults.epoch_budget_pages();
        share_budget(&mut self.domains, budget);

        // 4. Emit round-robin, one unit per domain per round, so that the
        //    batch size is shared as fairly as the page budget.
        let mut used = 0u64;
        let mut progress = true;
        while progress && self.actions.len() < self.max_actions {
            progress = false;
            for d in self.domains.iter_mut() {
                if self.actions.len() >= self.max_actions {
                    break;
                }
                if d.allot_pages == 0 {
                    // Nothing fits any more: the rest is passed over.
                    d.cursor = d.candidates.len();
                    continue;
                }
                while let Some(c) = d.next_candidate(&mut self.sort_counts) {
                    if c.pages() > d.allot_pages {
                        continue;
                    }
                    let kind = c.kind;
                    let (Some(target), Some(from)) = (
                        NodeId::new(u32::from(c.target)),
                        NodeId::new(u32::from(c.from)),
                    ) else {
                        continue;
                    };
                    d.allot_pages = d.allot_pages.saturating_sub(c.pages());
                    used = used.saturating_add(c.pages());
                    self.actions.push(Action {
                        domain: d.id,
                        gfn: Gfn(c.gfn),
                        order: c.order,
                        kind,
                        target,
                        from,
                    });
                    self.reported.push(false);
                    if let Some(k) = d.stats.actions.get_mut(kind as usize) {
                        *k = k.saturating_add(1);
                    }
                    progress = true;
                    break;
                }
            }
        }

        // 5. Sampling periods for the next epoch, and a fresh table.
        for d in self.domains.iter_mut() {
            let orders = d.candidates.len() as u64;
            if d.want_pages > d.params.epoch_budget_pages().min(budget)
                || d.cursor < d.candidates.len()
            {
                d.stats.budget_exhausted_epochs = d.stats.budget_exhausted_epochs.saturating_add(1);
            }
            let round = SamplingRound {
                period: d.sampling_period,
                base_period: d.params.get(Tunable::SamplingPeriod),
                samples: d.counts.total,
                orders,
                sample_cost_ns: input.sample_cost_ns,
                elapsed_us: input.elapsed_us,
                nr_cpus,
                budget_permille: d.params.get(Tunable::SamplingCpuPermille),
            };
            d.sampling_period = round.next_period();
            d.stats.sampling_period = d.sampling_period;
            d.stats.epochs = d.stats.epochs.saturating_add(1);
            d.table.clear();
            d.candidates.clear();
            d.entries.clear();
            d.counts = NodeCounts::default();
            d.cursor = 0;
            d.sorted = false;
        }

        self.stats.epochs = self.stats.epochs.saturating_add(1);
        self.stats.last = global;
        self.stats.last_actions = self.actions.len() as u64;
        self.stats.last_budget_pages = budget;
        self.stats.last_budget_used_pages = used;
        DecideSummary {
            actions: self.actions.len(),
            pages: used,
            budget_pages: budget,
        }
    }

    /// Xen reports what became of action `index` of the last batch.
    pub fn report(&mut self, index: usize, outcome: Outcome) -> Result<(), ReportError> {
        let action = *self.actions.get(index).ok_or(ReportError::NoSuchAction)?;
        let flag = self
            .reported
            .get_mut(index)
            .ok_or(ReportError::NoSuchAction)?;
        if *flag {
            return Err(ReportError::AlreadyReported);
        }
        *flag = true;
        let epoch = self.epoch;
        let d = self
            .domains
            .iter_mut()
            .find(|d| d.id == action.domain)
            .ok_or(ReportError::DomainGone)?;
        let cooldown = u32::try_from(d.params.get(Tunable::CooldownEpochs)).unwrap_or(u32::MAX);
        let k = history::key(action.gfn, action.order);
        // Quiet times only ever grow: a later outcome (of an aliased key,
        // say) must not shorten a cooldown or a freeze.
        let retry_until = epoch.saturating_add(SKIP_RETRY_EPOCHS).saturating_add(1);
        match outcome {
            Outcome::Done => {
                d.stats.pages_moved = d.stats.pages_moved.saturating_add(action.pages());
                let until = epoch.saturating_add(cooldown).saturating_add(1);
                if let Some(r) = d.history.entry(k, epoch) {
                    r.moved_epoch = epoch;
                    r.moved_from = action.from.get();
                    r.moved_to = action.target.get();
                    r.quiet_until = r.quiet_until.max(until);
                    r.frozen = false;
                    if action.order == EXTENT_ORDER {
                        // Its pages cool down with it.
                        r.pages_quiet_until = r.pages_quiet_until.max(until);
                    }
                }
                if action.order == 0 {
                    hold_extent(&mut d.history, action.gfn, epoch, until);
                }
            }
            Outcome::Skipped(reason) => {
                if let Some(s) = d.stats.skipped.get_mut(reason as usize) {
                    *s = s.saturating_add(1);
                }
                if let Some(r) = d.history.entry(k, epoch) {
                    r.quiet_until = r.quiet_until.max(retry_until);
                }
            }
            Outcome::Failed => {
                d.stats.failed = d.stats.failed.saturating_add(1);
                if let Some(r) = d.history.entry(k, epoch) {
                    r.quiet_until = r.quiet_until.max(retry_until);
                }
            }
        }
        if action.order == 0 {
            announce_page(&mut d.history, action.gfn, epoch);
        }
        Ok(())
    }
}

/// Bits of an entry's grouping key: its extent number (below 2^31) above
/// its [`Code`].
const GROUP_KEY_BITS: u32 = 39;

/// What an entry of the table says, in the byte its grouping key ends
/// with: 0 it stays; `1 + kind * 64 + target` it would migrate or
/// interleave (a vote for its extent); [`REPLICA_CODE`] `+ target` it
/// would be replicated (a candidate that does not vote).  Within an
/// extent, entries sort by code: equal votes are runs.
type Code = u8;

/// The first code of replicas.
const REPLICA_CODE: Code = 129;

/// The code of a proposal.
fn code_of(kind: ActionKind, target: u8) -> Code {
    let t = target & 63;
    match kind {
        ActionKind::Migrate => t.saturating_add(1),
        ActionKind::Interleave => t.saturating_add(65),
        ActionKind::Replicate => t.saturating_add(REPLICA_CODE),
    }
}

/// The proposal of a code (`None`: it stays).
fn proposal_of(code: Code) -> Option<(ActionKind, u8)> {
    match code {
        0 => None,
        1..=64 => Some((ActionKind::Migrate, code.saturating_sub(1))),
        65..=128 => Some((ActionKind::Interleave, code.saturating_sub(65))),
        _ => Some((ActionKind::Replicate, code.saturating_sub(REPLICA_CODE))),
    }
}

/// True for the codes that vote for their extent's move.
fn votes(code: Code) -> bool {
    (1..REPLICA_CODE).contains(&code)
}

/// One entry of the table, packed for grouping: `(extent << 8 | code,
/// payload)`, the payload holding its samples (22 bits, saturated), its
/// page within the extent (9), its frame's node (6), and whether its
/// evidence is weak or it is the extent's own entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    key: u64,
    payload: u64,
}

const HEAT_BITS: u32 = 22;
const OFFSET_SHIFT: u32 = HEAT_BITS;
const FROM_SHIFT: u32 = OFFSET_SHIFT + EXTENT_ORDER as u32;
const WEAK_BIT: u64 = 1 << (FROM_SHIFT + 6);
const WHOLE_BIT: u64 = WEAK_BIT << 1;

impl Entry {
    fn new(gfn: Gfn, code: Code, heat: u32, from: u8, weak: bool, whole: bool) -> Self {
        let heat = u64::from(heat.min((1 << HEAT_BITS) - 1));
        let offset = gfn.0 & (crate::types::EXTENT_PAGES - 1);
        let mut payload = heat | offset << OFFSET_SHIFT | u64::from(from & 63) << FROM_SHIFT;
        if weak {
            payload |= WEAK_BIT;
        }
        if whole {
            payload |= WHOLE_BIT;
        }
        Entry {
            key: (gfn.0 >> EXTENT_ORDER) << 8 | u64::from(code),
            payload,
        }
    }
    fn ext(&self) -> u64 {
        self.key >> 8
    }
    fn code(&self) -> Code {
        (self.key & 0xFF) as u8
    }
    fn heat(&self) -> u32 {
        (self.payload & ((1 << HEAT_BITS) - 1)) as u32
    }
    fn offset(&self) -> u64 {
        (self.payload >> OFFSET_SHIFT) & (crate::types::EXTENT_PAGES - 1)
    }
    fn from(&self) -> u8 {
        ((self.payload >> FROM_SHIFT) & 63) as u8
    }
    fn weak(&self) -> bool {
        self.payload & WEAK_BIT != 0
    }
    fn whole(&self) -> bool {
        self.payload & WHOLE_BIT != 0
    }
    fn gfn(&self) -> u64 {
        self.ext() << EXTENT_ORDER | self.offset()
    }
    /// The page as a candidate of its own, unless it stays, its evidence
    /// is weak, or it is a replica and replicas are dropped.
    fn candidate(&self, keep_replicas: bool) -> Option<Candidate> {
        let (kind, target) = proposal_of(self.code())?;
        if self.weak() || (kind == ActionKind::Replicate && !keep_replicas) {
            return None;
        }
        Some(Candidate {
            gfn: self.gfn(),
            heat: self.heat(),
            kind,
            target,
            from: self.from(),
            order: 0,
        })
    }
}

/// Walks the epoch's sampled entries once, in the order they were first
/// seen: each gets its fate, checked against the history (cooldowns,
/// freezes, skips, bounces), and is packed into `d.entries` for grouping.
/// Returns false when replicas are too few to keep (Carrefour replicates
/// only when a round yields enough candidates).
fn collect_entries(
    d: &mut DomainState,
    sw: &Switches,
    shares: &TrafficShares,
    rng: &mut Prng,
    epoch: u32,
) -> bool {
    let freeze = u32::try_from(d.params.get(Tunable::FreezeEpochs)).unwrap_or(u32::MAX);
    let needed = migrate_min_samples(&d.params, sw);
    let min_replicas = d.params.get(Tunable::ReplicateMinCandidates);
    let mut replicas = 0u64;
    // The walk borrows the table; what it changes is elsewhere.
    let DomainState {
        table,
        history,
        entries,
        stats,
        ..
    } = d;
    entries.clear();
    history.tidy();
    for page in table.pages() {
        // Freezes below may replace records: asked again for each page.
        let announced = history.pages_announced(epoch);
        let (gfn, order) = (page.gfn, page.order);
        let from = page.frame_node.get();
        let summary = page.summary();
        let extent_entry = order == EXTENT_ORDER;
        let proposal = match fate_of(sw, needed, &page, &summary, shares, rng) {
            Some(Fate::Migrate(t)) => Some((ActionKind::Migrate, t, false)),
            Some(Fate::Interleave(t)) => Some((ActionKind::Interleave, t, false)),
            // Replicas are per page: an extent sample never asks for one.
            Some(Fate::Replicate) if !extent_entry => {
                summary.hottest.map(|t| (ActionKind::Replicate, t, false))
            }
            Some(Fate::Replicate) => None,
            // Too few samples to move alone, but a vote for its extent.
            None if !extent_entry => {
                weak_target_of(sw, &page, &summary).map(|t| (ActionKind::Migrate, t, true))
            }
            None => None,
        };
        let mut code = 0;
        let mut weak = false;
        if let Some((kind, target, w)) = proposal {
            // The extent's record, and the page's when the extent's says
            // it may matter (the same record for an extent's own entry);
            // neither when nothing of the extent was ever recorded.
            let remembered = history.may_remember_extent(gfn);
            let whole = if remembered {
                history.get(history::key(gfn.extent_base(), EXTENT_ORDER))
            } else {
                None
            };
            let own = if extent_entry || !remembered {
                whole
            } else if announced && whole.is_none_or(|r| epoch >= r.pages_until) {
                None
            } else {
                history.get(history::key(gfn, order))
            };
            let bounces = |r: Option<&PageRecord>| {
                r.is_some_and(|r| r.bounces(target, epoch, BOUNCE_WINDOW_EPOCHS))
            };
            let quiet = own.is_some_and(|r| epoch < r.quiet_until)
                || whole.is_some_and(|r| {
                    epoch < r.pages_quiet_until || (extent_entry && epoch < r.extent_quiet_until)
                });
            let bounce = kind != ActionKind::Replicate && (bounces(own) || bounces(whole));
            if quiet {
                // cooling down (alone or with its extent), frozen or
                // recently skipped: stays
            } else if bounce {
                // Weak evidence freezes nothing: the page just does not
                // vote for carrying it back.
                if !w {
                    freeze_page(history, stats, gfn, order, epoch, freeze);
                }
            } else {
                code = code_of(kind, target.get());
                weak = w;
                if kind == ActionKind::Replicate {
                    replicas = replicas.saturating_add(1);
                }
            }
        }
        if entries.len() < entries.capacity() {
            entries.push(Entry::new(
                gfn,
                code,
                summary.total,
                from,
                weak,
                extent_entry,
            ));
        }
    }
    replicas == 0 || replicas >= min_replicas
}

/// Groups the epoch's entries by extent (a radix sort by extent and
/// code: O(n), streaming, no recursion), decides each extent's fate and
/// fills `d.candidates`: an extent that moves as a whole becomes one
/// order-9 candidate, so that the p2m can keep (or regain) its superpage
/// mapping; the pages of the others go their own way.
///
/// An extent moves when at least `extent_agree_permille` of its sampled
/// entries (and at least [`EXTENT_MIN_SAMPLED_PAGES`]) agree on one
/// migrate or interleave target (the largest run of one vote; the least
/// (kind, target) on a tie), and the agreeing pages hold at least the
/// samples one page needs to migrate.  Pages with weak evidence (one node
/// touches them, too few samples to move alone) vote with the pages that
/// would migrate to the same node and never move on their own: when the
/// extent does not move, they stay.  A sample of the whole extent (a
/// fault on a superpage mapping) decides for it, and its pages go with it.
fn group_extents(
    d: &mut DomainState,
    sw: &Switches,
    epoch: u32,
    keep_replicas: bool,
    counts: &mut [u32],
) {
    let rule = ExtentRule {
        agree: d.params.get(Tunable::ExtentAgreePermille),
        freeze: u32::try_from(d.params.get(Tunable::FreezeEpochs)).unwrap_or(u32::MAX),
        cooldown: u32::try_from(d.params.get(Tunable::CooldownEpochs)).unwrap_or(u32::MAX),
        needed: migrate_min_samples(&d.params, sw),
        epoch,
    };
    crate::select::radix_sort_by(
        &mut d.entries,
        &mut d.entries_scratch,
        counts,
        0..GROUP_KEY_BITS,
        |e| e.key,
    );
    let DomainState {
        entries,
        candidates,
        history,
        stats,
        ..
    } = d;
    candidates.clear();
    // One pass: each extent's entries are consecutive, and within it each
    // vote's.  The pages that would move on their own are pushed as they
    // come and taken back if the extent decides otherwise.
    let mut g = Group::new(u64::MAX);
    let mut run = Run::new(0);
    let mut next_ext = entries.iter().skip(1).map(|e| Some(e.ext())).chain([None]);
    for e in entries.iter() {
        let next = next_ext.next().flatten();
        let alone = g.ext != e.ext() && next != Some(e.ext());
        if alone && !e.whole() {
            // An extent sampled once (most of them): its page goes its own
            // way, no decision needed.
            if let Some(c) = e.candidate(keep_replicas) {
                if candidates.len() < candidates.capacity() {
                    candidates.push(c);
                }
            }
            continue;
        }
        if e.ext() != g.ext || e.code() != run.code {
            g.close_run(&run);
            if e.ext() != g.ext {
                g.finish(&rule, history, stats, candidates);
                g = Group::new(e.ext());
                g.first_candidate = candidates.len();
            }
            run = Run::new(e.code());
        }
        g.len = g.len.saturating_add(1);
        g.heat = g.heat.saturating_add(e.heat());
        run.len = run.len.saturating_add(1);
        run.heat = run.heat.saturating_add(u64::from(e.heat()));
        if e.offset() < run.low {
            (run.low, run.low_from) = (e.offset(), e.from());
        }
        if e.whole() {
            g.whole = Some(*e);
            continue;
        }
        if let Some(c) = e.candidate(keep_replicas) {
            if candidates.len() < candidates.capacity() {
                candidates.push(c);
            }
        }
    }
    g.close_run(&run);
    g.finish(&rule, history, stats, candidates);
}

/// The extent rules of a domain for one epoch.
struct ExtentRule {
    agree: u64,
    freeze: u32,
    cooldown: u32,
    needed: u64,
    epoch: u32,
}

/// A run of entries of one extent with the same code.
struct Run {
    code: Code,
    len: usize,
    heat: u64,
    /// Lowest page of the run within the extent, and its frame's node.
    low: u64,
    low_from: u8,
}

impl Run {
    fn new(code: Code) -> Self {
        Run {
            code,
            len: 0,
            heat: 0,
            low: u64::MAX,
            low_from: 0,
        }
    }
}

/// One extent's entries, as the pass meets them.
struct Group {
    ext: u64,
    len: usize,
    heat: u32,
    /// The extent's own entry.
    whole: Option<Entry>,
    /// Its largest run of one vote (the first, least code, on a tie).
    best: Option<Run>,
    /// Where its pages' candidates start.
    first_candidate: usize,
}

impl Group {
    fn new(ext: u64) -> Self {
        Group {
            ext,
            len: 0,
            heat: 0,
            whole: None,
            best: None,
            first_candidate: 0,
        }
    }

    fn close_run(&mut self, run: &Run) {
        if votes(run.code) && self.best.as_ref().is_none_or(|b| run.len > b.len) {
            self.best = Some(Run { ..*run });
        }
    }

    /// Decides the extent's fate and leaves its candidates: its pages'
    /// (already pushed), or one for the whole extent, or none.
    fn finish(
        &self,
        rule: &ExtentRule,
        history: &mut History,
        stats: &mut DomainStats,
        candidates: &mut Vec<Candidate>,
    ) {
        if self.len == 0 {
            return;
        }
        let epoch = rule.epoch;
        let base = Gfn(self.ext << EXTENT_ORDER);
        let fate = match (self.whole, &self.best) {
            // A sample of the whole extent (a fault on a superpage
            // mapping) decides for it, and its pages go with it.
            (Some(w), _) if w.code() != 0 => ExtentFate::Whole,
            (Some(_), _) => ExtentFate::Stays,
            (None, Some(best))
                if rule.agree <= PERMILLE
                    && self.len >= EXTENT_MIN_SAMPLED_PAGES
                    && (best.len as u64).saturating_mul(PERMILLE)
                        >= rule.agree.saturating_mul(self.len as u64)
                    && best.heat >= rule.needed =>
            {
                let r = history.get(history::key(base, EXTENT_ORDER)).copied();
                let target = proposal_of(best.code).and_then(|(_, t)| NodeId::new(u32::from(t)));
                let held_until = r.map_or(0, |r| r.extent_quiet_until);
                if epoch < held_until {
                    // A page of it moved or froze on its own lately.  A
                    // short hold (a page's cooldown) is waited out whole:
                    // its pages moving alone would only renew it, and the
                    // extent would never move.  Under a long one (a frozen
                    // page) the pages go their own way (each checked
                    // already; weak ones stay).
                    if held_until.saturating_sub(epoch) <= rule.cooldown.saturating_add(1) {
                        ExtentFate::Stays
                    } else {
                        ExtentFate::Split
                    }
                } else if r.is_some_and(|r| epoch < r.quiet_until) {
                    ExtentFate::Stays
                } else if target
                    .is_some_and(|t| r.is_some_and(|r| r.bounces(t, epoch, BOUNCE_WINDOW_EPOCHS)))
                {
                    freeze_page(history, stats, base, EXTENT_ORDER, epoch, rule.freeze);
                    ExtentFate::Stays
                } else {
                    ExtentFate::Merged
                }
            }
            // Above 1000 permille no agreement is enough: page samples
            // never merge (extent samples still stand for their extent).
            _ => ExtentFate::Split,
        };
        if fate == ExtentFate::Split {
            return;
        }
        candidates.truncate(self.first_candidate);
        let unit = match fate {
            ExtentFate::Whole => self
                .whole
                .and_then(|w| Some((proposal_of(w.code())?, w.heat(), w.from()))),
            ExtentFate::Merged => self
                .best
                .as_ref()
                .and_then(|b| Some((proposal_of(b.code)?, self.heat, b.low_from))),
            ExtentFate::Split | ExtentFate::Stays => None,
        };
        if let Some(((kind, target), heat, from)) = unit {
            if candidates.len() < candidates.capacity() {
                candidates.push(Candidate {
                    gfn: base.0,
                    heat,
                    kind,
                    target,
                    from,
                    order: EXTENT_ORDER,
                });
            }
        }
    }
}

/// Freezes the page (`order` 0) or extent (`order` 9) at `gfn`; a frozen
/// page holds its extent back too.
fn freeze_page(
    history: &mut History,
    stats: &mut DomainStats,
    gfn: Gfn,
    order: u8,
    epoch: u32,
    freeze: u32,
) {
    stats.bounces = stats.bounces.saturating_add(1);
    let until = epoch.saturating_add(freeze).saturating_add(1);
    if let Some(r) = history.entry(history::key(gfn, order), epoch) {
        r.frozen = true;
        r.quiet_until = r.quiet_until.max(until);
    }
    if order == 0 {
        hold_extent(history, gfn, epoch, until);
        announce_page(history, gfn, epoch);
    }
}

/// Makes the record of page `gfn`'s extent announce the page's record for
/// as long as it matters ([`PageRecord::pages_until`]), so that the
/// decision knows to look the page up.
fn announce_page(history: &mut History, gfn: Gfn, epoch: u32) {
    let Some(until) = history.get(history::key(gfn, 0)).map(PageRecord::horizon) else {
        return;
    };
    let ext = history::key(gfn.extent_base(), EXTENT_ORDER);
    if let Some(r) = history.entry(ext, epoch) {
        r.pages_until = r.pages_until.max(until);
    }
}

/// Keeps the extent of page `gfn` from moving as a whole before `until`:
/// the page moved or froze on its own, and the extent would carry it.
fn hold_extent(history: &mut History, gfn: Gfn, epoch: u32, until: u32) {
    let ext = history::key(gfn.extent_base(), EXTENT_ORDER);
    if let Some(r) = history.entry(ext, epoch) {
        r.extent_quiet_until = r.extent_quiet_until.max(until);
    }
}

/// Water-filling: each domain gets an equal share of what is left, capped
/// by what it wants and by its own budget, until the budget or the wants
/// run out.  At most `domains.len() + 1` rounds.
fn share_budget(domains: &mut [DomainState], budget: u64) {
    for d in domains.iter_mut() {
        d.want_pages = d.want_pages.min(d.params.epoch_budget_pages());
        d.allot_pages = 0;
    }
    let mut left = budget;
    for _ in 0..=domains.len() {
        let hungry = domains
            .iter()
            .filter(|d| d.allot_pages < d.want_pages)
            .count() as u64;
        if hungry == 0 || left == 0 {
            break;
        }
        let share = (left.checked_div(hungry).unwrap_or(0)).max(1);
        for d in domains.iter_mut() {
            let give = share
                .min(d.want_pages.saturating_sub(d.allot_pages))
                .min(left);
            d.allot_pages = d.allot_pages.saturating_add(give);
            left = left.saturating_sub(give);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::SkipReason;
    use crate::types::DataSource;

    const D1: DomId = DomId(1);

    fn node(i: u32) -> NodeId {
        NodeId::new(i).unwrap()
    }

    fn engine() -> Engine {
        Engine::new(Topology::uniform(2, 2).unwrap(), Params::default(), 64).unwrap()
    }

    fn touch(e: &mut Engine, dom: DomId, gfn: u64, frame: u32, cpu: u32, times: u32) {
        for _ in 0..times {
            let s = Sample {
                domain: dom,
                gfn: Gfn(gfn),
                frame_node: node(frame),
                cpu_node: node(cpu),
                kind: AccessKind::Load,
                source: DataSource::Dram,
            };
            e.ingest(&s).unwrap();
        }
    }

    fn busy_epoch() -> EpochInput<'static> {
        // 1 ms: a few samples at the accurate period are far above the gate.
        EpochInput {
            elapsed_us: 1_000,
            ..EpochInput::default()
        }
    }

    /// A busy epoch with balanced controllers: interleaving stays off,
    /// so a page needs `migrate_min_samples` to migrate.
    fn balanced_epoch() -> EpochInput<'static> {
        EpochInput {
            dram_accesses: Some(&[1_000, 1_000]),
            ..busy_epoch()
        }
    }

    #[test]
    fn enabling_twice_or_too_many_is_refused() {
        let mut e = engine();
        e.enable(D1).unwrap();
        assert_eq!(e.enable(D1), Err(EngineError::AlreadyEnabled(D1)));
        for i in 2..=MAX_DOMAINS as u16 {
            e.enable(DomId(i)).unwrap();
        }
        assert_eq!(e.enable(DomId(1000)), Err(EngineError::TooManyDomains));
        assert_eq!(
            e.disable(DomId(999)),
            Err(EngineError::UnknownDomain(DomId(999)))
        );
    }

    #[test]
    fn samples_for_unknown_domains_or_nodes_are_counted_not_recorded() {
        let mut e = engine();
        e.enable(D1).unwrap();
        let mut s = Sample {
            domain: DomId(7),
            gfn: Gfn(1),
            frame_node: node(0),
            cpu_node: node(1),
            kind: AccessKind::Store,
            source: DataSource::Unknown,
        };
        assert_eq!(e.ingest(&s), Err(IngestError::UnknownDomain));
        s.domain = D1;
        s.frame_node = node(5);
        assert_eq!(e.ingest(&s), Err(IngestError::BadNode));
        let g = e.global_stats();
        assert_eq!((g.samples_unknown_domain, g.samples_bad_node), (1, 1));
    }

    #[test]
    fn private_page_on_wrong_node_gets_one_migrate_action() {
        let mut e = engine();
        e.enable(D1).unwrap();
        touch(&mut e, D1, 100, 0, 1, 3);
        touch(&mut e, D1, 200, 1, 1, 3);
        let sum = e.decide(&busy_epoch());
        assert_eq!(sum.actions, 1);
        let a = e.actions()[0];
        assert_eq!(
            (a.gfn, a.kind, a.target, a.from, a.order),
            (Gfn(100), ActionKind::Migrate, node(1), node(0), 0)
        );
    }

    #[test]
    fn moved_page_cools_down_then_bounce_back_is_frozen() {
        let mut e = engine();
        e.enable(D1).unwrap();
        touch(&mut e, D1, 100, 0, 1, 3);
        e.decide(&busy_epoch());
        e.report(0, Outcome::Done).unwrap();
        // Next epoch node 0 wants it back: still cooling down.
        touch(&mut e, D1, 100, 1, 0, 3);
        assert_eq!(e.decide(&busy_epoch()).actions, 0);
        assert_eq!(e.decide(&busy_epoch()).actions, 0);
        // Cooldown over, but going back to node 0 is a bounce: frozen.
        touch(&mut e, D1, 100, 1, 0, 3);
        assert_eq!(e.decide(&busy_epoch()).actions, 0);
        let st = e.domain_stats(D1).unwrap();
        assert_eq!(st.bounces, 1);
        assert_eq!(st.frozen_pages, 1);
    }

    #[test]
    fn skipped_action_is_not_retried_at_once() {
        let mut e = engine();
        e.enable(D1).unwrap();
        touch(&mut e, D1, 100, 0, 1, 3);
        e.decide(&busy_epoch());
        e.report(0, Outcome::Skipped(SkipReason::ExtraRefs))
            .unwrap();
        assert_eq!(
            e.report(0, Outcome::Done),
            Err(ReportError::AlreadyReported)
        );
        assert_eq!(e.report(1, Outcome::Done), Err(ReportError::NoSuchAction));
        for _ in 0..SKIP_RETRY_EPOCHS {
            touch(&mut e, D1, 100, 0, 1, 3);
            assert_eq!(e.decide(&busy_epoch()).actions, 0);
        }
        touch(&mut e, D1, 100, 0, 1, 3);
        assert_eq!(e.decide(&busy_epoch()).actions, 1);
        assert_eq!(
            e.domain_stats(D1).unwrap().skipped[SkipReason::ExtraRefs as usize],
            1
        );
    }

    #[test]
    fn agreeing_extent_moves_as_one_order_9_action() {
        let mut e = engine();
        e.enable(D1).unwrap();
        for g in 512..512 + 20 {
            touch(&mut e, D1, g, 0, 1, 2);
        }
        e.decide(&busy_epoch());
        assert_eq!(e.actions().len(), 1);
        assert_eq!((e.actions()[0].gfn, e.actions()[0].order), (Gfn(512), 9));
    }

    #[test]
    fn a_superpage_fault_moves_its_whole_extent_and_only_it() {
        let mut e = engine();
        e.enable(D1).unwrap();
        let s = Sample {
            domain: D1,
            gfn: Gfn(1024 + 77),
            frame_node: node(0),
            cpu_node: node(1),
            kind: AccessKind::Store,
            source: DataSource::Unknown,
        };
        e.ingest_extent(&s).unwrap();
        // Pages of the same extent sampled on their own go with it.
        touch(&mut e, D1, 1024 + 5, 0, 0, 2);
        e.decide(&busy_epoch());
        assert_eq!(e.actions().len(), 1);
        let a = e.actions()[0];
        assert_eq!((a.gfn, a.order, a.target), (Gfn(1024), 9, node(1)));
        // Its weight: 512 accesses in the metrics.
        assert_eq!(e.domain_stats(D1).unwrap().node_accesses[0], 512 + 2);
    }

    #[test]
    fn an_extent_sample_still_moves_when_page_merging_is_off() {
        let mut e = engine();
        e.set_defaults(&[(Tunable::ExtentAgreePermille as u32, 1001)])
            .unwrap();
        e.enable(D1).unwrap();
        let s = Sample {
            domain: D1,
            gfn: Gfn(512),
            frame_node: node(0),
            cpu_node: node(1),
            kind: AccessKind::Load,
            source: DataSource::Unknown,
        };
        e.ingest_extent(&s).unwrap();
        touch(&mut e, D1, 513, 0, 1, 2);
        e.decide(&busy_epoch());
        assert_eq!(e.actions().len(), 1);
        assert_eq!((e.actions()[0].gfn, e.actions()[0].order), (Gfn(512), 9));
    }

    #[test]
    fn disagreeing_extent_moves_page_by_page() {
        let mut e = engine();
        e.enable(D1).unwrap();
        for g in 512..512 + 10 {
            touch(&mut e, D1, g, 0, 1, 2);
        }
        for g in 600..610 {
            touch(&mut e, D1, g, 0, 0, 2); // local: stays
        }
        e.decide(&busy_epoch());
        assert_eq!(e.actions().len(), 10);
        assert!(e.actions().iter().all(|a| a.order == 0));
    }

    #[test]
    fn budget_caps_pages_per_epoch_and_is_shared_fairly() {
        let mut e = engine();
        e.set_defaults(&[
            (Tunable::BudgetPages as u32, 10),
            (Tunable::ExtentAgreePermille as u32, 1001),
        ])
        .unwrap();
        e.enable(D1).unwrap();
        e.enable(DomId(2)).unwrap();
        for g in 0..30 {
            touch(&mut e, D1, g, 0, 1, 2);
            touch(&mut e, DomId(2), g, 0, 1, 2);
        }
        let sum = e.decide(&busy_epoch());
        assert_eq!(sum.pages, 10);
        let d1 = e.actions().iter().filter(|a| a.domain == D1).count();
        assert_eq!(d1, 5);
    }

    #[test]
    fn reconfiguring_the_table_size_reallocates_and_keeps_counters() {
        let mut e = engine();
        e.enable(D1).unwrap();
        touch(&mut e, D1, 1, 0, 1, 1);
        e.set_params(D1, &[(Tunable::TrackedPages as u32, 100)])
            .unwrap();
        let st = e.domain_stats(D1).unwrap();
        assert_eq!(st.samples, 1);
        assert_eq!(e.params(D1).unwrap().get(Tunable::TrackedPages), 100);
        assert!(e
            .set_params(D1, &[(Tunable::TrackedPages as u32, 1)])
            .is_err());
    }

    #[test]
    fn idle_domain_is_gated_off() {
        let mut e = engine();
        e.enable(D1).unwrap();
        touch(&mut e, D1, 100, 0, 1, 3);
        // 3 samples at the accurate period over 60 s: ~0.003 accesses/us.
        e.decide(&EpochInput {
            elapsed_us: 60_000_000,
            ..EpochInput::default()
        });
        assert!(e.actions().is_empty());
        assert_eq!(
            e.domain_stats(D1).unwrap().switches.off,
            Some(crate::rules::OffReason::LowIntensity)
        );
    }

    /// Moves every action of the last batch (reports `Done`).
    fn all_done(e: &mut Engine) {
        for i in 0..e.actions().len() {
            e.report(i, Outcome::Done).unwrap();
        }
    }

    #[test]
    fn an_extent_holding_a_page_that_just_moved_waits_for_its_cooldown() {
        // Regression: cooldowns were kept per (gfn, order), so an extent
        // could carry a page moved alone the epoch before.
        let mut e = engine();
        e.enable(D1).unwrap();
        touch(&mut e, D1, 520, 0, 1, 3);
        e.decide(&busy_epoch());
        assert_eq!((e.actions()[0].gfn, e.actions()[0].order), (Gfn(520), 0));
        all_done(&mut e);
        // Page 520 is on node 1 now; its neighbours all want to go to
        // node 0, and so would the extent, page 520 included.  The extent
        // waits out the cooldown whole: neither it nor its pages move.
        for _ in 0..2 {
            for g in 512..532 {
                touch(&mut e, D1, g, 1, 0, 2);
            }
            assert_eq!(e.decide(&busy_epoch()).actions, 0);
        }
        // Cooldown over: page 520 going back to node 0 is a bounce, so it
        // freezes and holds the extent for long; the other 19 pages go
        // one by one.
        for g in 512..532 {
            touch(&mut e, D1, g, 1, 0, 2);
        }
        e.decide(&busy_epoch());
        assert_eq!(e.actions().len(), 19);
        for a in e.actions() {
            assert_eq!(a.order, 0, "the extent carried a frozen page");
            assert_ne!(a.gfn, Gfn(520), "the page itself moved back");
        }
        assert_eq!(e.domain_stats(D1).unwrap().bounces, 1);
    }

    #[test]
    fn single_samples_of_private_pages_move_their_extent_and_never_a_page_alone() {
        // IBS-like sampling: most private pages get one sample an epoch,
        // under `migrate_min_samples` (2).  Regression: such pages voted
        // against their extent's move, so it never agreed.
        let mut e = engine();
        e.enable(D1).unwrap();
        for g in 512..512 + 20 {
            touch(&mut e, D1, g, 0, 1, 1);
        }
        touch(&mut e, D1, 530, 0, 1, 1); // one page with two samples
        e.decide(&balanced_epoch());
        assert_eq!(e.actions().len(), 1);
        let a = e.actions()[0];
        assert_eq!(
            (a.gfn, a.order, a.kind, a.target),
            (Gfn(512), 9, ActionKind::Migrate, node(1))
        );
        // Alone in its extent, a page with one sample does not move.
        touch(&mut e, D1, 4096, 0, 1, 1);
        assert_eq!(e.decide(&balanced_epoch()).actions, 0);
        // In an extent that disagrees (half its pages are local), the
        // single-sample pages stay and the two-sample page moves alone.
        for g in 2048..2058 {
            touch(&mut e, D1, g, 0, 1, 1);
        }
        for g in 2058..2068 {
            touch(&mut e, D1, g, 0, 0, 1);
        }
        touch(&mut e, D1, 2050, 0, 1, 1);
        e.decide(&balanced_epoch());
        assert_eq!(e.actions().len(), 1);
        assert_eq!((e.actions()[0].gfn, e.actions()[0].order), (Gfn(2050), 0));
    }

    #[test]
    fn extents_and_single_pages_sampled_interleaved_are_each_decided() {
        // The grouping pass meets extents of one sampled page and extents
        // of many in any order: each agreeing extent moves whole, each
        // lone page on its own, and the disagreeing extent page by page.
        let mut e = engine();
        e.enable(D1).unwrap();
        let lone: Vec<u64> = (0..10).map(|i| (100 + 3 * i) << 9 | 7).collect();
        for i in 0..20u64 {
            touch(&mut e, D1, 512 + i, 0, 1, 2);
            if let Some(&g) = lone.get(i as usize) {
                touch(&mut e, D1, g, 0, 1, 2);
            }
            touch(&mut e, D1, 4096 + 3 * i, 0, 1, 2);
            // Half local, half remote: no agreement.
            touch(&mut e, D1, 8192 + i, 0, (i % 2) as u32, 2);
        }
        e.decide(&busy_epoch());
        let mut got: Vec<(u64, u8)> = e.actions().iter().map(|a| (a.gfn.0, a.order)).collect();
        got.sort_unstable();
        let mut want = alloc::vec![(512, 9), (4096, 9)];
        want.extend(lone.iter().map(|&g| (g, 0)));
        want.extend((0..20u64).filter(|i| i % 2 == 1).map(|i| (8192 + i, 0)));
        want.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn an_extent_of_single_samples_needs_the_samples_of_one_migrating_page() {
        let mut e = engine();
        e.set_defaults(&[(Tunable::MigrateMinSamples as u32, 4)])
            .unwrap();
        e.enable(D1).unwrap();
        for g in 512..515 {
            touch(&mut e, D1, g, 0, 1, 1);
        }
        assert_eq!(e.decide(&balanced_epoch()).actions, 0, "3 samples < 4");
        for g in 512..516 {
            touch(&mut e, D1, g, 0, 1, 1);
        }
        e.decide(&balanced_epoch());
        assert_eq!(e.actions().len(), 1);
        assert_eq!((e.actions()[0].gfn, e.actions()[0].order), (Gfn(512), 9));
    }

    #[test]
    fn an_agreeing_extent_waits_out_a_pages_cooldown_instead_of_renewing_it() {
        // Regression: while a page's cooldown held its extent back, each
        // page that reached two samples moved alone and renewed the hold,
        // so with sparse sampling the extent could never move.
        let mut e = engine();
        e.enable(D1).unwrap();
        touch(&mut e, D1, 520, 0, 1, 3);
        e.decide(&balanced_epoch());
        all_done(&mut e);
        // Epochs 2 and 3: one sample per page, and one page with two.
        for strong in [530, 531] {
            for g in (512..540).filter(|&g| g != 520) {
                touch(&mut e, D1, g, 0, 1, 1);
            }
            touch(&mut e, D1, strong, 0, 1, 1);
            assert_eq!(e.decide(&balanced_epoch()).actions, 0);
        }
        // Epoch 4: the cooldown is over and the extent moves whole.
        for g in (512..540).filter(|&g| g != 520) {
            touch(&mut e, D1, g, 0, 1, 1);
        }
        touch(&mut e, D1, 532, 0, 1, 1);
        e.decide(&balanced_epoch());
        assert_eq!(e.actions().len(), 1);
        let a = e.actions()[0];
        assert_eq!((a.gfn, a.order, a.target), (Gfn(512), 9, node(1)));
    }

    #[test]
    fn a_page_of_an_extent_that_just_moved_waits_for_its_cooldown() {
        // Regression: a page was free to move the epoch after its extent.
        let mut e = engine();
        e.enable(D1).unwrap();
        for g in 512..532 {
            touch(&mut e, D1, g, 0, 1, 2);
        }
        e.decide(&busy_epoch());
        assert_eq!((e.actions()[0].gfn, e.actions()[0].order), (Gfn(512), 9));
        all_done(&mut e);
        // One page alone is wanted on node 0 (too few to move the extent).
        touch(&mut e, D1, 520, 1, 0, 3);
        assert_eq!(e.decide(&busy_epoch()).actions, 0);
        // Going back to node 0 after the cooldown is a bounce: frozen.
        e.decide(&busy_epoch());
        touch(&mut e, D1, 520, 1, 0, 3);
        assert_eq!(e.decide(&busy_epoch()).actions, 0);
        assert_eq!(e.domain_stats(D1).unwrap().bounces, 1);
    }

    #[test]
    fn resizing_the_table_keeps_cooldowns_and_freezes() {
        // Regression: a new `tracked_pages` rebuilt the domain's history
        // too, so a page moved last epoch could move again at once.
        let mut e = engine();
        e.enable(D1).unwrap();
        touch(&mut e, D1, 100, 0, 1, 3);
        e.decide(&busy_epoch());
        all_done(&mut e);
        e.set_params(D1, &[(Tunable::TrackedPages as u32, 64)])
            .unwrap();
        touch(&mut e, D1, 100, 1, 0, 3);
        assert_eq!(e.decide(&busy_epoch()).actions, 0);
    }

    #[test]
    fn a_later_outcome_never_shortens_a_cooldown() {
        // Regression: gfns equal but for high bits once shared a history
        // key; a skip of one reset the other's long cooldown.
        let mut e = engine();
        e.enable(D1).unwrap();
        e.set_params(D1, &[(Tunable::CooldownEpochs as u32, 50)])
            .unwrap();
        let (a, b) = (5u64, 5u64 | 1 << 39);
        touch(&mut e, D1, a, 0, 1, 3);
        touch(&mut e, D1, b, 0, 1, 3);
        e.decide(&busy_epoch());
        assert_eq!(e.actions().len(), 2);
        for i in 0..2 {
            let outcome = if e.actions()[i].gfn == Gfn(a) {
                Outcome::Done
            } else {
                Outcome::Skipped(SkipReason::ExtraRefs)
            };
            e.report(i, outcome).unwrap();
        }
        for _ in 0..(SKIP_RETRY_EPOCHS + 2) {
            touch(&mut e, D1, a, 1, 0, 3);
            assert!(
                e.decide(&busy_epoch()).actions == 0 || e.actions().iter().all(|x| x.gfn != Gfn(a))
            );
        }
    }
}

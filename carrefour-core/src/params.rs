//! Every tunable of the engine, with its default, its range and its reason.
//!
//! The defaults are Carrefour's published constants where Carrefour has one
//! (carrefour-runtime and carrefour-module, ASPLOS 2013); the others are
//! ours, and DESIGN.md gives the reason for each.  The order of [`Tunable`]
//! is the order of the `XEN_CARREFOUR_PARAM_*` ids of the hypercall ABI.

/// MAPTU (memory accesses per microsecond) below which nothing moves: the
/// workload is not memory-bound and placement cannot pay for itself.
/// Carrefour used 50, later versions and the Xen port 15.
pub const DEFAULT_MIN_MAPTU: u64 = 15;

/// Controller imbalance (stddev / mean of per-node accesses) above which
/// shared pages are interleaved: Carrefour's 35 %.
pub const DEFAULT_INTERLEAVE_IMBALANCE_PERMILLE: u64 = 350;

/// Local access ratio below which private pages are migrated: Carrefour's
/// 80 %.
pub const DEFAULT_MIGRATE_LAR_PERMILLE: u64 = 800;

/// Replication only while memory use is at most 25 % (Carrefour).
pub const DEFAULT_REPLICATE_MEMORY_PERMILLE: u64 = 250;

/// Replication only while at most 5 % of accesses are writes (Carrefour's
/// DCMR bound, estimated here from the sampled store share).
pub const DEFAULT_REPLICATE_WRITE_PERMILLE: u64 = 50;

/// Replication starts only when one round yields this many candidates
/// (Carrefour): fewer do not repay the cost of per-node copies.
pub const DEFAULT_REPLICATE_MIN_CANDIDATES: u64 = 500;

/// Samples a single-node page needs before it is migrated (Carrefour); one
/// sample suffices when interleaving is on.
pub const DEFAULT_MIGRATE_MIN_SAMPLES: u64 = 2;

/// Pages tracked per domain and epoch: Carrefour's 30,000 (accurate mode).
pub const DEFAULT_TRACKED_PAGES: u64 = 30_000;

/// Decision period: Carrefour's runtime decides about once a second.
pub const DEFAULT_EPOCH_MS: u64 = 1_000;

/// Pages moved per epoch at most: 64 Ki pages = 256 MiB, a quarter of a
/// second of copying at the 1 GiB/s rate below.
pub const DEFAULT_BUDGET_PAGES: u64 = 65_536;

/// Copy rate cap in MiB/s; Linux's NUMA balancing capped migration at
/// 1280 MB/s, Memtis at 2 GB/s; 1 GiB/s leaves bandwidth to the guest.
pub const DEFAULT_BUDGET_MB_PER_SEC: u64 = 1_024;

/// Epochs a moved page must wait before it may move again.
pub const DEFAULT_COOLDOWN_EPOCHS: u64 = 2;

/// Epochs a page that bounced back is frozen (not moved at all).
pub const DEFAULT_FREEZE_EPOCHS: u64 = 16;

/// Share of CPU time that sampling may cost (Memtis: 3 %).
pub const DEFAULT_SAMPLING_CPU_PERMILLE: u64 = 30;

/// IBS op period of Carrefour's accurate mode (0xFFF8 ops).
pub const ACCURATE_SAMPLING_PERIOD: u64 = 0xFFF8;

/// IBS op period of Carrefour's cheap mode (0x3FFE0 ops).
pub const CHEAP_SAMPLING_PERIOD: u64 = 0x3FFE0;

/// Share of a 2 MiB extent's sampled pages that must agree on a target for
/// the whole extent to move (keeps the p2m superpage): 90 %.
pub const DEFAULT_EXTENT_AGREE_PERMILLE: u64 = 900;

/// One thousand: the unit of every ratio.
pub const PERMILLE: u64 = 1_000;

/// The tunables, in the ABI's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tunable {
    /// Decision period in ms.
    EpochMs = 0,
    /// MAPTU gate.
    MinMaptu = 1,
    /// Imbalance above which interleaving is on, permille.
    InterleaveImbalancePermille = 2,
    /// LAR below which migration is on, permille.
    MigrateLarPermille = 3,
    /// Memory use at most which replication is allowed, permille.
    ReplicateMemoryPermille = 4,
    /// Write share at most which replication is allowed, permille.
    ReplicateWritePermille = 5,
    /// Replication candidates needed in one epoch.
    ReplicateMinCandidates = 6,
    /// Samples needed to migrate a single-node page.
    MigrateMinSamples = 7,
    /// Table capacity, pages.
    TrackedPages = 8,
    /// Pages moved per epoch at most.
    BudgetPages = 9,
    /// Copy rate at most, MiB/s.
    BudgetMbPerSec = 10,
    /// Epochs between two moves of a page.
    CooldownEpochs = 11,
    /// Epochs a bouncing page stays frozen.
    FreezeEpochs = 12,
    /// Sampling CPU budget, permille.
    SamplingCpuPermille = 13,
    /// Current sampling period (sampler units).
    SamplingPeriod = 14,
    /// Extent agreement, permille (above 1000: extents off).
    ExtentAgreePermille = 15,
    /// Replication allowed (0 or 1).
    Replication = 16,
}

/// Number of tunables.
pub const NR_TUNABLES: usize = 17;

impl Tunable {
    /// Every tunable, in id order.
    pub const ALL: [Tunable; NR_TUNABLES] = [
        Tunable::EpochMs,
        Tunable::MinMaptu,
        Tunable::InterleaveImbalancePermille,
        Tunable::MigrateLarPermille,
        Tunable::ReplicateMemoryPermille,
        Tunable::ReplicateWritePermille,
        Tunable::ReplicateMinCandidates,
        Tunable::MigrateMinSamples,
        Tunable::TrackedPages,
        Tunable::BudgetPages,
        Tunable::BudgetMbPerSec,
        Tunable::CooldownEpochs,
        Tunable::FreezeEpochs,
        Tunable::SamplingCpuPermille,
        Tunable::SamplingPeriod,
        Tunable::ExtentAgreePermille,
        Tunable::Replication,
    ];

    /// The tunable with ABI id `id`.
    pub fn from_id(id: u32) -> Option<Tunable> {
        Self::ALL.get(id as usize).copied()
    }

    /// The name users type (`xl carrefour-set dom epoch_ms=500`).
    pub const fn name(self) -> &'static str {
        match self {
            Tunable::EpochMs => "epoch_ms",
            Tunable::MinMaptu => "min_maptu",
            Tunable::InterleaveImbalancePermille => "interleave_imbalance_permille",
            Tunable::MigrateLarPermille => "migrate_lar_permille",
            Tunable::ReplicateMemoryPermille => "replicate_memory_permille",
            Tunable::ReplicateWritePermille => "replicate_write_permille",
            Tunable::ReplicateMinCandidates => "replicate_min_candidates",
            Tunable::MigrateMinSamples => "migrate_min_samples",
            Tunable::TrackedPages => "tracked_pages",
            Tunable::BudgetPages => "budget_pages",
            Tunable::BudgetMbPerSec => "budget_mb_per_sec",
            Tunable::CooldownEpochs => "cooldown_epochs",
            Tunable::FreezeEpochs => "freeze_epochs",
            Tunable::SamplingCpuPermille => "sampling_cpu_permille",
            Tunable::SamplingPeriod => "sampling_period",
            Tunable::ExtentAgreePermille => "extent_agree_permille",
            Tunable::Replication => "replication",
        }
    }

    /// The accepted range, inclusive.  Each bound has a reason in
    /// DESIGN.md; in short: periods long enough to amortise a decision,
    /// capacities small enough to bound memory, ratios within 0..=1000.
    pub const fn range(self) -> (u64, u64) {
        match self {
            Tunable::EpochMs => (10, 60_000),
            Tunable::MinMaptu => (0, 1_000_000),
            Tunable::InterleaveImbalancePermille => (0, 10_000),
            Tunable::MigrateLarPermille => (0, PERMILLE),
            Tunable::ReplicateMemoryPermille => (0, PERMILLE),
            Tunable::ReplicateWritePermille => (0, PERMILLE),
            Tunable::ReplicateMinCandidates => (1, 1_000_000),
            Tunable::MigrateMinSamples => (1, 1_000),
            Tunable::TrackedPages => (16, MAX_TRACKED_PAGES),
            Tunable::BudgetPages => (0, 1 << 24),
            Tunable::BudgetMbPerSec => (0, 1 << 20),
            Tunable::CooldownEpochs => (0, 1_000),
            Tunable::FreezeEpochs => (0, 100_000),
            Tunable::SamplingCpuPermille => (1, PERMILLE),
            Tunable::SamplingPeriod => (MIN_SAMPLING_PERIOD, MAX_SAMPLING_PERIOD),
            Tunable::ExtentAgreePermille => (500, PERMILLE + 1),
            Tunable::Replication => (0, 1),
        }
    }
}

/// Largest table: 1 Mi pages (4 GiB of tracked memory) keeps one domain's
/// table under 40 MiB even with 64 nodes.
pub const MAX_TRACKED_PAGES: u64 = 1 << 20;

/// Shortest sampling period: IBS needs at least 0x90 ops between samples,
/// and shorter periods only add cost.
pub const MIN_SAMPLING_PERIOD: u64 = 0x90;

/// Longest sampling period: IbsOpMaxCnt holds bits 26:4 of the period
/// (16 bits, plus 7 with CPUID OpCntExt), so 2^27 - 16 is the longest
/// period IBS can be programmed with (`ibs::MAX_OP_PERIOD_EXT`).
pub const MAX_SAMPLING_PERIOD: u64 = (1 << 27) - 16;

/// Why a parameter was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamError {
    /// No tunable has this id.
    UnknownId(u32),
    /// The value is outside the tunable's range.
    OutOfRange {
        tunable: Tunable,
        value: u64,
        min: u64,
        max: u64,
    },
}

/// One value per tunable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    values: [u64; NR_TUNABLES],
}

impl Default for Params {
    fn default() -> Self {
        let mut values = [0; NR_TUNABLES];
        for (v, t) in values.iter_mut().zip(Tunable::ALL) {
            *v = match t {
                Tunable::EpochMs => DEFAULT_EPOCH_MS,
                Tunable::MinMaptu => DEFAULT_MIN_MAPTU,
                Tunable::InterleaveImbalancePermille => DEFAULT_INTERLEAVE_IMBALANCE_PERMILLE,
                Tunable::MigrateLarPermille => DEFAULT_MIGRATE_LAR_PERMILLE,
                Tunable::ReplicateMemoryPermille => DEFAULT_REPLICATE_MEMORY_PERMILLE,
                Tunable::ReplicateWritePermille => DEFAULT_REPLICATE_WRITE_PERMILLE,
                Tunable::ReplicateMinCandidates => DEFAULT_REPLICATE_MIN_CANDIDATES,
                Tunable::MigrateMinSamples => DEFAULT_MIGRATE_MIN_SAMPLES,
                Tunable::TrackedPages => DEFAULT_TRACKED_PAGES,
                Tunable::BudgetPages => DEFAULT_BUDGET_PAGES,
                Tunable::BudgetMbPerSec => DEFAULT_BUDGET_MB_PER_SEC,
                Tunable::CooldownEpochs => DEFAULT_COOLDOWN_EPOCHS,
                Tunable::FreezeEpochs => DEFAULT_FREEZE_EPOCHS,
                Tunable::SamplingCpuPermille => DEFAULT_SAMPLING_CPU_PERMILLE,
                Tunable::SamplingPeriod => ACCURATE_SAMPLING_PERIOD,
                Tunable::ExtentAgreePermille => DEFAULT_EXTENT_AGREE_PERMILLE,
                Tunable::Replication => 1,
            };
        }
        Params { values }
    }
}

impl Params {
    /// The value of `t`.
    pub fn get(&self, t: Tunable) -> u64 {
        self.values.get(t as usize).copied().unwrap_or(0)
    }

    /// Sets `t` to `value` after checking its range.
    pub fn set(&mut self, t: Tunable, value: u64) -> Result<(), ParamError> {
        let (min, max) = t.range();
        if value < min || value > max {
            return Err(ParamError::OutOfRange {
                tunable: t,
                value,
                min,
                max,
            });
        }
        if let Some(slot) = self.values.get_mut(t as usize) {
            *slot = value;
        }
        Ok(())
    }

    /// Sets the tunable with ABI id `id`.
    pub fn set_id(&mut self, id: u32, value: u64) -> Result<(), ParamError> {
        let t = Tunable::from_id(id).ok_or(ParamError::UnknownId(id))?;
        self.set(t, value)
    }

    /// Applies all assignments or none: the first bad one is returned and
    /// `self` is left unchanged.
    pub fn set_all(&mut self, assignments: &[(u32, u64)]) -> Result<(), ParamError> {
        let mut next = *self;
        for &(id, value) in assignments {
            next.set_id(id, value)?;
        }
        *self = next;
        Ok(())
    }

    /// Checks every value against its range.
    pub fn validate(&self) -> Result<(), ParamError> {
        for t in Tunable::ALL {
            let mut probe = Params::default();
            probe.set(t, self.get(t))?;
        }
        Ok(())
    }

    /// Every value in id order (for statistics and the ABI).
    pub fn values(&self) -> &[u64; NR_TUNABLES] {
        &self.values
    }

    /// The epoch's page budget: the page cap and the rate cap over one
    /// epoch, whichever is smaller.
    pub fn epoch_budget_pages(&self) -> u64 {
        let rate_pages = self
            .get(Tunable::BudgetMbPerSec)
            .saturating_mul(256) // 256 pages of 4 KiB per MiB
            .saturating_mul(self.get(Tunable::EpochMs))
            .checked_div(1_000)
            .unwrap_or(0);
        rate_pages.min(self.get(Tunable::BudgetPages))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_carrefours_constants_and_valid() {
        let p = Params::default();
        assert_eq!(p.get(Tunable::MinMaptu), 15);
        assert_eq!(p.get(Tunable::InterleaveImbalancePermille), 350);
        assert_eq!(p.get(Tunable::MigrateLarPermille), 800);
        assert_eq!(p.get(Tunable::ReplicateMinCandidates), 500);
        assert_eq!(p.get(Tunable::TrackedPages), 30_000);
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn ids_names_and_order_agree() {
        for (i, t) in Tunable::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i);
            assert_eq!(Tunable::from_id(i as u32), Some(*t));
            assert!(!t.name().is_empty());
        }
        assert_eq!(Tunable::from_id(NR_TUNABLES as u32), None);
    }

    #[test]
    fn out_of_range_value_is_refused_with_its_bounds() {
        let mut p = Params::default();
        let err = p.set(Tunable::MigrateLarPermille, 1001).unwrap_err();
        assert_eq!(
            err,
            ParamError::OutOfRange {
                tunable: Tunable::MigrateLarPermille,
                value: 1001,
                min: 0,
                max: 1000
            }
        );
        assert_eq!(p.set_id(99, 1), Err(ParamError::UnknownId(99)));
    }

    #[test]
    fn set_all_is_all_or_nothing() {
        let mut p = Params::default();
        let before = p;
        assert!(p.set_all(&[(0, 500), (3, 5000)]).is_err());
        assert_eq!(p, before);
        assert!(p.set_all(&[(0, 500), (3, 700)]).is_ok());
        assert_eq!(p.get(Tunable::EpochMs), 500);
        assert_eq!(p.get(Tunable::MigrateLarPermille), 700);
    }

    #[test]
    fn epoch_budget_is_the_smaller_of_page_and_rate_caps() {
        let mut p = Params::default();
        p.set(Tunable::BudgetPages, 1_000_000).unwrap();
        p.set(Tunable::BudgetMbPerSec, 100).unwrap();
        p.set(Tunable::EpochMs, 500).unwrap();
        assert_eq!(p.epoch_budget_pages(), 100 * 256 / 2);
        p.set(Tunable::BudgetPages, 10).unwrap();
        assert_eq!(p.epoch_budget_pages(), 10);
    }
}

//! Statistics for the debug dump and the toolstack: what the engine saw,
//! decided and was told.

use crate::action::{NR_ACTION_KINDS, NR_SKIP_REASONS};
use crate::metrics::EpochMetrics;
use crate::rules::Switches;
use crate::types::MAX_NODES;

/// Counters of one domain since it was enabled (cumulative) and the last
/// epoch's metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainStats {
    /// Decision rounds run.
    pub epochs: u64,
    /// Samples recorded.
    pub samples: u64,
    /// Samples dropped: table full or probe bound.
    pub samples_dropped: u64,
    /// Pages in the table at the end of the last epoch.
    pub tracked_pages: u64,
    /// Actions decided, by kind.
    pub actions: [u64; NR_ACTION_KINDS],
    /// 4 KiB pages Xen reported moved.
    pub pages_moved: u64,
    /// Actions Xen skipped, by reason.
    pub skipped: [u64; NR_SKIP_REASONS],
    /// Actions that failed.
    pub failed: u64,
    /// Page moves refused because the page bounced (it was frozen).
    pub bounces: u64,
    /// Pages frozen now.
    pub frozen_pages: u64,
    /// Epochs whose candidates exceeded the domain's budget share.
    pub budget_exhausted_epochs: u64,
    /// Sampling period for the next epoch.
    pub sampling_period: u64,
    /// The last epoch's metrics.
    pub last: EpochMetrics,
    /// The last epoch's switches.
    pub switches: Switches,
    /// The last epoch's sampled accesses per node (controller load).
    pub node_accesses: [u64; MAX_NODES],
    /// Bytes the domain holds: its table, its history and the decision's
    /// scratch.
    pub footprint_bytes: u64,
}

impl Default for DomainStats {
    fn default() -> Self {
        DomainStats {
            epochs: 0,
            samples: 0,
            samples_dropped: 0,
            tracked_pages: 0,
            actions: [0; NR_ACTION_KINDS],
            pages_moved: 0,
            skipped: [0; NR_SKIP_REASONS],
            failed: 0,
            bounces: 0,
            frozen_pages: 0,
            budget_exhausted_epochs: 0,
            sampling_period: 0,
            last: EpochMetrics::default(),
            switches: Switches::default(),
            node_accesses: [0; MAX_NODES],
            footprint_bytes: 0,
        }
    }
}

/// Counters of the whole engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GlobalStats {
    /// Decision rounds run.
    pub epochs: u64,
    /// Domains enabled now.
    pub domains: u64,
    /// Samples for a domain that is not enabled.
    pub samples_unknown_domain: u64,
    /// Samples naming a node the machine does not have.
    pub samples_bad_node: u64,
    /// Samples naming a gfn beyond any physical address.
    pub samples_bad_gfn: u64,
    /// Actions the last epoch produced.
    pub last_actions: u64,
    /// The epoch's page budget at the last decision.
    pub last_budget_pages: u64,
    /// Pages of actions the last epoch produced.
    pub last_budget_used_pages: u64,
    /// Machine-wide metrics of the last epoch.
    pub last: EpochMetrics,
}

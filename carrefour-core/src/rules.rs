//! Carrefour's rules, as data.
//!
//! Two levels, as in Carrefour: global switches decided once per domain
//! and epoch from the metrics ([`Switches::decide`]), then a fate per page
//! ([`page_fate`]).  Both return values; nothing here acts.

use crate::metrics::EpochMetrics;
use crate::params::{Params, Tunable, PERMILLE};
use crate::prng::Prng;
use crate::table::{PageSummary, PageView};
use crate::types::{NodeId, MAX_NODES};

/// Why the engine stays off for a domain this epoch (or `None`: it is on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffReason {
    /// Memory intensity under the MAPTU gate.
    LowIntensity,
    /// Nothing was sampled.
    NoSamples,
}

/// The global switches of one domain for one epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Switches {
    /// Single-node pages on another node move to it.
    pub migrate: bool,
    /// Multi-node pages are spread off loaded controllers.
    pub interleave: bool,
    /// Read-only multi-node pages are replicated.
    pub replicate: bool,
    /// Why all are off, if they are.
    pub off: Option<OffReason>,
}

impl Switches {
    /// Carrefour's switches.  `domain` are the domain's own metrics (its
    /// intensity, locality and writes); `global` the machine's (controllers
    /// are shared by all domains, so imbalance is a global fact);
    /// `memory_use_permille` is how full the machine's memory is.
    pub fn decide(
        p: &Params,
        domain: &EpochMetrics,
        global: &EpochMetrics,
        samples: u64,
        memory_use_permille: u64,
    ) -> Switches {
        if samples == 0 {
            return Switches {
                off: Some(OffReason::NoSamples),
                ..Switches::default()
            };
        }
        if domain.maptu_milli < p.get(Tunable::MinMaptu).saturating_mul(1000) {
            return Switches {
                off: Some(OffReason::LowIntensity),
                ..Switches::default()
            };
        }
        Switches {
            migrate: domain.lar_permille < p.get(Tunable::MigrateLarPermille),
            interleave: domain.lar_permille < PERMILLE
                && global.imbalance_permille > p.get(Tunable::InterleaveImbalancePermille),
            replicate: p.get(Tunable::Replication) != 0
                && memory_use_permille <= p.get(Tunable::ReplicateMemoryPermille)
                && domain.write_permille <= p.get(Tunable::ReplicateWritePermille),
            off: None,
        }
    }
}

/// What to do with one page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Move to the node that alone accesses it.
    Migrate(NodeId),
    /// Move to a less loaded node (an interleave step).
    Interleave(NodeId),
    /// Copy to every node that reads it.
    Replicate,
}

/// Shares of controller traffic per node, permille, from which interleave
/// draws (Carrefour: move with probability = source share, destination
/// weighted by 100 % - share).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrafficShares {
    /// Share per node; entries at and beyond `nr_nodes` are 0.
    pub permille: [u64; MAX_NODES],
    /// Nodes of the machine.
    pub nr_nodes: usize,
}

impl TrafficShares {
    /// Shares of `loads`.
    pub fn from_loads(loads: &[u64], nr_nodes: usize) -> Self {
        let nodes = nr_nodes.min(MAX_NODES).min(loads.len());
        let total = loads
            .iter()
            .take(nodes)
            .fold(0u64, |a, &b| a.saturating_add(b));
        let mut permille = [0; MAX_NODES];
        for (s, &l) in permille.iter_mut().zip(loads.iter().take(nodes)) {
            *s = crate::metrics::permille(l, total, 0);
        }
        TrafficShares {
            permille,
            nr_nodes: nodes,
        }
    }

    fn share(&self, n: NodeId) -> u64 {
        self.permille.get(n.index()).copied().unwrap_or(0)
    }
}

/// The fate of `page` under `sw`, or `None` to leave it.
///
/// Priority replicate > interleave > migrate, as in Carrefour's
/// `decide_page_fate`.  Replication candidates are counted by the caller,
/// which drops them all when fewer than the minimum appear in one epoch.
pub fn page_fate(
    p: &Params,
    sw: &Switches,
    page: &PageView<'_>,
    shares: &TrafficShares,
    rng: &mut Prng,
) -> Option<Fate> {
    fate_of(
        sw,
        migrate_min_samples(p, sw),
        page,
        &page.summary(),
        shares,
        rng,
    )
}

/// The samples a single-node page needs to migrate: `migrate_min_samples`,
/// or 1 while interleaving (Carrefour).
pub fn migrate_min_samples(p: &Params, sw: &Switches) -> u64 {
    if sw.interleave {
        1
    } else {
        p.get(Tunable::MigrateMinSamples)
    }
}

/// [`page_fate`] with the threshold ([`migrate_min_samples`]) and the
/// page's [`PageSummary`] computed once by the caller (the engine's walk
/// over every sampled page).
pub fn fate_of(
    sw: &Switches,
    needed: u64,
    page: &PageView<'_>,
    summary: &PageSummary,
    shares: &TrafficShares,
    rng: &mut Prng,
) -> Option<Fate> {
    if sw.off.is_some() {
        return None;
    }
    if summary.touching > 1 {
        if sw.replicate && page.writes == 0 {
            return Some(Fate::Replicate);
        }
        if sw.interleave {
            return interleave_target(page.frame_node, shares, rng).map(Fate::Interleave);
        }
        return None;
    }
    if summary.touching == 1 && sw.migrate {
        let node = summary.hottest?;
        if node != page.frame_node && u64::from(summary.total) >= needed {
            return Some(Fate::Migrate(node));
        }
    }
    None
}

/// Weak evidence for a migrate: the node that alone touches `page`, when
/// the page is not on it but has too few samples for [`page_fate`] to move
/// it (under `migrate_min_samples`).  With IBS-like sampling most private
/// pages get zero or one sample an epoch, so this is what most of them
/// say.  The engine never moves such a page on its own; it counts toward
/// its 2 MiB extent's agreement on migrating to that node.
pub fn weak_migrate_target(sw: &Switches, page: &PageView<'_>) -> Option<NodeId> {
    weak_target_of(sw, page, &page.summary())
}

/// [`weak_migrate_target`] with the page's [`PageSummary`] computed once.
pub fn weak_target_of(sw: &Switches, page: &PageView<'_>, summary: &PageSummary) -> Option<NodeId> {
    if sw.off.is_some() || !sw.migrate || summary.touching != 1 {
        return None;
    }
    summary.hottest.filter(|&n| n != page.frame_node)
}

/// Carrefour's interleave draw: leave the source with probability equal
/// to its traffic share, and pick the destination among the other nodes
/// with weight (1000 - share).
pub fn interleave_target(source: NodeId, shares: &TrafficShares, rng: &mut Prng) -> Option<NodeId> {
    if rng.below(PERMILLE) >= shares.share(source) {
        return None;
    }
    let weight = |n: usize| -> u64 {
        if n == source.index() {
            0
        } else {
            PERMILLE.saturating_sub(shares.permille.get(n).copied().unwrap_or(0))
        }
    };
    let total: u64 = (0..shares.nr_nodes)
        .map(weight)
        .fold(0, u64::saturating_add);
    if total == 0 {
        return None;
    }
    let mut pick = rng.below(total);
    for n in 0..shares.nr_nodes {
        let w = weight(n);
        if pick < w {
            return NodeId::new(n as u32);
        }
        pick = pick.saturating_sub(w);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u32) -> NodeId {
        NodeId::new(i).unwrap()
    }

    fn busy(lar: u64, imb: u64, writes: u64) -> EpochMetrics {
        EpochMetrics {
            lar_permille: lar,
            imbalance_permille: imb,
            maptu_milli: 100_000,
            write_permille: writes,
        }
    }

    #[test]
    fn maptu_gate_turns_everything_off() {
        let p = Params::default();
        let quiet = EpochMetrics {
            maptu_milli: 14_999,
            ..busy(0, 900, 0)
        };
        let sw = Switches::decide(&p, &quiet, &quiet, 10, 0);
        assert_eq!(sw.off, Some(OffReason::LowIntensity));
        assert!(!sw.migrate && !sw.interleave && !sw.replicate);
    }

    #[test]
    fn migration_needs_lar_under_80_percent() {
        let p = Params::default();
        assert!(Switches::decide(&p, &busy(799, 0, 0), &busy(799, 0, 0), 1, 1000).migrate);
        assert!(!Switches::decide(&p, &busy(800, 0, 0), &busy(800, 0, 0), 1, 1000).migrate);
    }

    #[test]
    fn interleave_needs_global_imbalance_over_35_percent_and_remote_traffic() {
        let p = Params::default();
        assert!(Switches::decide(&p, &busy(900, 0, 0), &busy(900, 351, 0), 1, 1000).interleave);
        assert!(!Switches::decide(&p, &busy(900, 0, 0), &busy(900, 350, 0), 1, 1000).interleave);
        assert!(!Switches::decide(&p, &busy(1000, 0, 0), &busy(1000, 900, 0), 1, 1000).interleave);
    }

    #[test]
    fn replication_needs_low_memory_use_and_few_writes() {
        let p = Params::default();
        assert!(Switches::decide(&p, &busy(500, 0, 50), &busy(500, 0, 0), 1, 250).replicate);
        assert!(!Switches::decide(&p, &busy(500, 0, 51), &busy(500, 0, 0), 1, 250).replicate);
        assert!(!Switches::decide(&p, &busy(500, 0, 0), &busy(500, 0, 0), 1, 251).replicate);
        let mut off = p;
        off.set(Tunable::Replication, 0).unwrap();
        assert!(!Switches::decide(&off, &busy(500, 0, 0), &busy(500, 0, 0), 1, 0).replicate);
    }

    fn view<'a>(counts: &'a [u16], frame: u32, writes: u16) -> PageView<'a> {
        PageView {
            gfn: crate::types::Gfn(1),
            frame_node: n(frame),
            counts,
            writes,
            order: 0,
        }
    }

    #[test]
    fn private_page_on_wrong_node_migrates_after_two_samples() {
        let p = Params::default();
        let sw = Switches {
            migrate: true,
            ..Switches::default()
        };
        let shares = TrafficShares::from_loads(&[1, 1], 2);
        let mut rng = Prng::new(1);
        assert_eq!(
            page_fate(&p, &sw, &view(&[0, 2], 0, 0), &shares, &mut rng),
            Some(Fate::Migrate(n(1)))
        );
        assert_eq!(
            page_fate(&p, &sw, &view(&[0, 1], 0, 0), &shares, &mut rng),
            None
        );
        assert_eq!(
            page_fate(&p, &sw, &view(&[0, 5], 1, 0), &shares, &mut rng),
            None
        );
        let sw_i = Switches {
            interleave: true,
            ..sw
        };
        assert_eq!(
            page_fate(&p, &sw_i, &view(&[0, 1], 0, 0), &shares, &mut rng),
            Some(Fate::Migrate(n(1)))
        );
    }

    #[test]
    fn a_single_node_page_under_the_sample_threshold_is_weak_evidence() {
        let sw = Switches {
            migrate: true,
            ..Switches::default()
        };
        assert_eq!(weak_migrate_target(&sw, &view(&[0, 1], 0, 0)), Some(n(1)));
        // On its node, touched by two nodes, or migration off: nothing.
        assert_eq!(weak_migrate_target(&sw, &view(&[0, 1], 1, 0)), None);
        assert_eq!(weak_migrate_target(&sw, &view(&[1, 1], 0, 0)), None);
        assert_eq!(weak_migrate_target(&sw, &view(&[0, 0], 0, 0)), None);
        let off = Switches::default();
        assert_eq!(weak_migrate_target(&off, &view(&[0, 1], 0, 0)), None);
    }

    #[test]
    fn shared_read_only_page_is_replicated_before_interleaved() {
        let p = Params::default();
        let sw = Switches {
            migrate: true,
            interleave: true,
            replicate: true,
            off: None,
        };
        let shares = TrafficShares::from_loads(&[1000, 0], 2);
        let mut rng = Prng::new(1);
        assert_eq!(
            page_fate(&p, &sw, &view(&[3, 3], 0, 0), &shares, &mut rng),
            Some(Fate::Replicate)
        );
        assert_eq!(
            page_fate(&p, &sw, &view(&[3, 3], 0, 1), &shares, &mut rng),
            Some(Fate::Interleave(n(1)))
        );
    }

    #[test]
    fn interleave_moves_with_the_source_share_probability() {
        let shares = TrafficShares::from_loads(&[750, 250], 2);
        let mut rng = Prng::new(3);
        let moved = (0..10_000)
            .filter(|_| interleave_target(n(0), &shares, &mut rng).is_some())
            .count();
        assert!((7_200..7_800).contains(&moved), "{moved}");
        let moved = (0..10_000)
            .filter(|_| interleave_target(n(1), &shares, &mut rng).is_some())
            .count();
        assert!((2_200..2_800).contains(&moved), "{moved}");
    }

    #[test]
    fn interleave_prefers_lightly_loaded_destinations() {
        let shares = TrafficShares::from_loads(&[1000, 0, 900], 3);
        let mut rng = Prng::new(5);
        let mut to = [0u32; 3];
        for _ in 0..10_000 {
            if let Some(d) = interleave_target(n(0), &shares, &mut rng) {
                to[d.index()] += 1;
            }
        }
        assert_eq!(to[0], 0);
        // Weights 1000 - 0 and 1000 - 473: node 1 about twice as often.
        assert!(to[1] * 2 > to[2] * 3, "{to:?}");
    }
}

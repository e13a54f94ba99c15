//! Per-epoch metrics: controller load, imbalance, local access ratio and
//! memory intensity.  Integer arithmetic only (no FPU in Xen).

use crate::params::PERMILLE;
use crate::types::MAX_NODES;

/// Accesses per node of one epoch, and how many were local.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeCounts {
    /// Accesses served by each node's memory controller.
    pub per_node: [u64; MAX_NODES],
    /// Accesses whose CPU was on the frame's node.
    pub local: u64,
    /// All accesses.
    pub total: u64,
    /// Accesses that were stores.
    pub writes: u64,
}

impl Default for NodeCounts {
    fn default() -> Self {
        NodeCounts {
            per_node: [0; MAX_NODES],
            local: 0,
            total: 0,
            writes: 0,
        }
    }
}

impl NodeCounts {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &NodeCounts) {
        for (a, b) in self.per_node.iter_mut().zip(other.per_node.iter()) {
            *a = a.saturating_add(*b);
        }
        self.local = self.local.saturating_add(other.local);
        self.total = self.total.saturating_add(other.total);
        self.writes = self.writes.saturating_add(other.writes);
    }
}

/// The metrics the rules read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpochMetrics {
    /// Local accesses / all accesses, permille (1000 when nothing sampled:
    /// no evidence of remote traffic).
    pub lar_permille: u64,
    /// Standard deviation over mean of per-node accesses, permille.
    pub imbalance_permille: u64,
    /// Memory accesses per microsecond, times 1000.
    pub maptu_milli: u64,
    /// Stores / all accesses, permille.
    pub write_permille: u64,
}

/// Integer square root (largest r with r * r <= x).
pub fn isqrt(x: u128) -> u128 {
    if x < 2 {
        return x;
    }
    // Newton's iteration from an over-estimate decreases monotonically to
    // the floor of the root; at most ~70 steps for 128-bit inputs.
    let mut r = 1u128 << 64u32.saturating_sub(x.leading_zeros() / 2);
    loop {
        let next = r.saturating_add(x.checked_div(r).unwrap_or(0)) / 2;
        if next >= r {
            return r;
        }
        r = next;
    }
}

/// stddev / mean of `loads`, permille; 0 for no load.
pub fn imbalance_permille(loads: &[u64]) -> u64 {
    let n = loads.len() as u128;
    let sum: u128 = loads
        .iter()
        .map(|&l| u128::from(l))
        .fold(0, u128::saturating_add);
    if n == 0 || sum == 0 {
        return 0;
    }
    // stddev/mean = sqrt(n * sum(l^2) - sum^2) / sum, exact in integers.
    let sum_sq: u128 = loads
        .iter()
        .map(|&l| u128::from(l).saturating_mul(u128::from(l)))
        .fold(0, u128::saturating_add);
    let var_n2 = n
        .saturating_mul(sum_sq)
        .saturating_sub(sum.saturating_mul(sum));
    let ratio = isqrt(var_n2.saturating_mul(u128::from(PERMILLE * PERMILLE)))
        .checked_div(sum)
        .unwrap_or(0);
    u64::try_from(ratio).unwrap_or(u64::MAX)
}

/// `part / whole` in permille; `empty` when `whole` is zero.
pub fn permille(part: u64, whole: u64, empty: u64) -> u64 {
    if whole == 0 {
        return empty;
    }
    let r = u128::from(part)
        .saturating_mul(u128::from(PERMILLE))
        .checked_div(u128::from(whole))
        .unwrap_or(0);
    u64::try_from(r).unwrap_or(u64::MAX)
}

impl EpochMetrics {
    /// Metrics of `counts` over `nr_nodes` nodes.  `accesses_per_sample`
    /// scales samples to accesses (the sampling period); `dram_accesses`,
    /// when the caller has per-node DRAM counters, replaces the sampled
    /// loads for the imbalance and the intensity.
    pub fn compute(
        counts: &NodeCounts,
        nr_nodes: usize,
        accesses_per_sample: u64,
        elapsed_us: u64,
        dram_accesses: Option<&[u64]>,
    ) -> Self {
        let nodes = nr_nodes.min(MAX_NODES);
        let sampled = counts.per_node.get(..nodes).unwrap_or(&[]);
        let (loads, accesses) = match dram_accesses {
            Some(d) => {
                let d = d.get(..nodes.min(d.len())).unwrap_or(&[]);
                (d, d.iter().fold(0u64, |a, &b| a.saturating_add(b)))
            }
            None => (sampled, counts.total.saturating_mul(accesses_per_sample)),
        };
        EpochMetrics {
            lar_permille: permille(counts.local, counts.total, PERMILLE),
            imbalance_permille: imbalance_permille(loads),
            maptu_milli: accesses
                .saturating_mul(1000)
                .checked_div(elapsed_us)
                .unwrap_or(0),
            write_permille: permille(counts.writes, counts.total, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isqrt_is_exact_floor() {
        for x in 0u128..2000 {
            let r = isqrt(x);
            assert!(r * r <= x && (r + 1) * (r + 1) > x, "x={x} r={r}");
        }
        assert_eq!(
            isqrt(u128::from(u64::MAX) * u128::from(u64::MAX)),
            u128::from(u64::MAX)
        );
    }

    #[test]
    fn balanced_load_has_zero_imbalance() {
        assert_eq!(imbalance_permille(&[100, 100]), 0);
        assert_eq!(imbalance_permille(&[0, 0]), 0);
    }

    #[test]
    fn all_load_on_one_of_two_nodes_is_100_percent_imbalance() {
        // mean 50, stddev 50 (population): ratio 1.
        assert_eq!(imbalance_permille(&[100, 0]), 1000);
        // 4 nodes, all on one: stddev = sqrt(3) * mean.
        assert_eq!(imbalance_permille(&[400, 0, 0, 0]), 1732);
    }

    #[test]
    fn metrics_from_counts() {
        let mut c = NodeCounts::default();
        c.per_node[0] = 75;
        c.per_node[1] = 25;
        c.total = 100;
        c.local = 60;
        c.writes = 10;
        let m = EpochMetrics::compute(&c, 2, 1000, 1_000_000, None);
        assert_eq!(m.lar_permille, 600);
        assert_eq!(m.imbalance_permille, 500);
        assert_eq!(m.maptu_milli, 100); // 100,000 accesses in 1 s = 0.1/us
        assert_eq!(m.write_permille, 100);
        let dram = [500_000_000u64, 500_000_000];
        let m = EpochMetrics::compute(&c, 2, 1000, 1_000_000, Some(&dram));
        assert_eq!(m.imbalance_permille, 0);
        assert_eq!(m.maptu_milli, 1_000_000);
    }

    #[test]
    fn nothing_sampled_means_local_and_idle() {
        let m = EpochMetrics::compute(&NodeCounts::default(), 2, 1000, 0, None);
        assert_eq!(m.lar_permille, 1000);
        assert_eq!(m.maptu_milli, 0);
    }
}

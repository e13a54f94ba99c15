//! The adaptive sampling period: Carrefour's accurate/cheap switch,
//! generalised into a controller that keeps the cost of sampling under a
//! CPU budget.
//!
//! Carrefour sampled at the accurate period and switched the next round to
//! the cheap period when a round produced fewer than 10 orders.  Here the
//! period moves by factors of two between the domain's base period (the
//! `sampling_period` tunable, the most accurate allowed) and
//! [`MAX_SAMPLING_PERIOD`]:
//!
//! * over the CPU budget: double (always, whatever the orders);
//! * a quiet round (fewer than [`QUIET_ROUND_ORDERS`] orders): double,
//!   but not past the cheap period, Carrefour's switch; above the cheap
//!   period, with cost under half the budget, halve toward it;
//! * a busy round with cost under half the budget: halve, toward the base.
//!
//! The quiet rounds' way down matters: without it, a few rounds over the
//! budget (a burst of costly samples) left the period far above the cheap
//! one, where so few samples come that a round can no longer be busy, and
//! nothing ever brought it back.  The test bed met that trap: a guest's
//! period at the maximum, one sample an epoch, and no page moved for a
//! minute after its vCPUs had changed node.
//!
//! The cost is the number of samples times the cost of one sample (the
//! caller measures it, or gives its sampler's estimate) over the CPU time
//! of the epoch.

use crate::params::{CHEAP_SAMPLING_PERIOD, MAX_SAMPLING_PERIOD, PERMILLE};

/// Carrefour's threshold: a round with fewer orders switches to cheap.
pub const QUIET_ROUND_ORDERS: u64 = 10;

/// Inputs of one adjustment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SamplingRound {
    /// Period used during the epoch.
    pub period: u64,
    /// The domain's base (most accurate) period.
    pub base_period: u64,
    /// Samples taken.
    pub samples: u64,
    /// Orders (actions) the round produced for the domain.
    pub orders: u64,
    /// Cost of one sample, ns.
    pub sample_cost_ns: u64,
    /// Epoch length, us.
    pub elapsed_us: u64,
    /// CPUs whose time the samples were spread over.
    pub nr_cpus: u64,
    /// CPU share sampling may use, permille.
    pub budget_permille: u64,
}

impl SamplingRound {
    /// Share of CPU time sampling took, permille.
    pub fn cost_permille(&self) -> u64 {
        let cpu_ns = u128::from(self.elapsed_us)
            .saturating_mul(1000)
            .saturating_mul(u128::from(self.nr_cpus.max(1)));
        let spent = u128::from(self.samples).saturating_mul(u128::from(self.sample_cost_ns));
        let r = spent
            .saturating_mul(u128::from(PERMILLE))
            .checked_div(cpu_ns)
            .unwrap_or(0);
        u64::try_from(r).unwrap_or(u64::MAX)
    }

    /// The period for the next epoch.
    pub fn next_period(&self) -> u64 {
        let base = self.base_period.clamp(1, MAX_SAMPLING_PERIOD);
        let current = self.period.clamp(base, MAX_SAMPLING_PERIOD);
        let cost = self.cost_permille();
        let next = if cost > self.budget_permille {
            current.saturating_mul(2)
        } else if self.orders < QUIET_ROUND_ORDERS {
            let cheap = CHEAP_SAMPLING_PERIOD.max(base);
            if current < cheap {
                current.saturating_mul(2).min(cheap)
            } else if cost.saturating_mul(2) < self.budget_permille {
                (current / 2).max(cheap)
            } else {
                current
            }
        } else if cost.saturating_mul(2) < self.budget_permille {
            current / 2
        } else {
            current
        };
        next.clamp(base, MAX_SAMPLING_PERIOD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ACCURATE_SAMPLING_PERIOD;

    fn round(period: u64, samples: u64, orders: u64) -> SamplingRound {
        SamplingRound {
            period,
            base_period: ACCURATE_SAMPLING_PERIOD,
            samples,
            orders,
            sample_cost_ns: 1_000,
            elapsed_us: 1_000_000,
            nr_cpus: 1,
            budget_permille: 30,
        }
    }

    #[test]
    fn over_budget_doubles_the_period() {
        // 40,000 samples of 1 us in 1 s of one CPU: 4 %.
        let r = round(ACCURATE_SAMPLING_PERIOD, 40_000, 100);
        assert_eq!(r.cost_permille(), 40);
        assert_eq!(r.next_period(), 2 * ACCURATE_SAMPLING_PERIOD);
    }

    #[test]
    fn quiet_round_goes_cheap_but_no_further() {
        let mut p = ACCURATE_SAMPLING_PERIOD;
        for _ in 0..10 {
            p = round(p, 10, 0).next_period();
        }
        assert_eq!(p, CHEAP_SAMPLING_PERIOD);
    }

    #[test]
    fn quiet_rounds_under_budget_come_back_to_cheap() {
        // Left at the maximum by rounds over the budget, then quiet and
        // cheap: back to the cheap period, and no further.
        let mut p = MAX_SAMPLING_PERIOD;
        for _ in 0..40 {
            p = round(p, 1, 0).next_period();
        }
        assert_eq!(p, CHEAP_SAMPLING_PERIOD);
    }

    #[test]
    fn quiet_rounds_near_the_budget_hold_the_period() {
        // 20,000 samples of 1 us in 1 s: 2 %, over half of the 3 % budget.
        let p = 8 * CHEAP_SAMPLING_PERIOD;
        assert_eq!(round(p, 20_000, 0).next_period(), p);
    }

    #[test]
    fn busy_cheap_round_returns_to_accurate() {
        let mut p = CHEAP_SAMPLING_PERIOD;
        for _ in 0..10 {
            p = round(p, 1_000, 500).next_period();
        }
        assert_eq!(p, ACCURATE_SAMPLING_PERIOD);
    }

    #[test]
    fn period_never_leaves_its_bounds() {
        let r = SamplingRound {
            period: u64::MAX,
            samples: u64::MAX,
            sample_cost_ns: u64::MAX,
            ..round(0, 0, 0)
        };
        assert_eq!(r.next_period(), MAX_SAMPLING_PERIOD);
        let r = SamplingRound {
            period: 0,
            elapsed_us: 0,
            ..round(0, 0, 1000)
        };
        assert!(r.next_period() >= ACCURATE_SAMPLING_PERIOD);
    }
}

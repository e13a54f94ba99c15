//! The benchmark's target, in its own test binary so that it does not
//! share the cores with the scenario tests (cargo runs test binaries one
//! after the other).  The machine may be shared with other work: the best
//! of three one-second runs counts.

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "measures speed: run with --release (make sim-test)"
)]
fn bench_pushes_at_least_ten_million_sampled_accesses_per_second() {
    let best = (0..3)
        .map(|_| carrefour_sim::bench::run(1.0))
        .max_by(|a, b| a.samples_per_s().total_cmp(&b.samples_per_s()))
        .unwrap();
    assert!(best.samples_per_s() >= 10e6, "{best}");
}

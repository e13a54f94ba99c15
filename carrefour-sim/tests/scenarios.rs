//! The simulator's promises, scenario by scenario.
//!
//! Small scenarios (tests/data/small-*.toml) run in every build; the
//! full-size built-ins, which carry the acceptance criteria, run in
//! release builds only (`make sim-test`, or `cargo test --release -p
//! carrefour-sim`): in a debug build they take minutes.

use carrefour_sim::scenario::{PolicyKind, Scenario};
use carrefour_sim::sim::{run_policy, run_scenario, ScenarioResult};

fn data(name: &str) -> Scenario {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    Scenario::load(std::path::Path::new(&path)).unwrap()
}

fn speedup(r: &ScenarioResult, p: PolicyKind) -> f64 {
    r.speedup(p).unwrap()
}

fn runtime(r: &ScenarioResult, p: PolicyKind) -> f64 {
    r.run(p).unwrap().runtime_s
}

// ---------------------------------------------------------------- small

#[test]
fn engine_stays_off_on_a_cpu_bound_domain() {
    let s = data("small-cpu-bound.toml");
    let c = run_policy(&s, PolicyKind::Carrefour);
    let x = run_policy(&s, PolicyKind::XenDefault);
    assert_eq!(c.pages_moved, 0);
    assert!(
        c.engine.as_ref().unwrap().samples > 0,
        "it samples, but decides nothing"
    );
    assert!(
        c.runtime_s <= x.runtime_s * 1.04,
        "{} vs {}",
        c.runtime_s,
        x.runtime_s
    );
}

#[test]
fn carrefour_spreads_a_small_hotspot_and_beats_xen() {
    let s = data("small-hotspot.toml");
    let x = run_policy(&s, PolicyKind::XenDefault);
    let c = run_policy(&s, PolicyKind::Carrefour);
    assert!(c.pages_moved > 0);
    assert!(
        c.imbalance < x.imbalance * 0.8,
        "{} vs {}",
        c.imbalance,
        x.imbalance
    );
    assert!(
        x.runtime_s / c.runtime_s > 1.05,
        "{} vs {}",
        c.runtime_s,
        x.runtime_s
    );
}

#[test]
fn autonuma_fixes_private_pages_but_not_the_shared_hotspot() {
    let p = data("small-private.toml");
    let x = run_policy(&p, PolicyKind::XenDefault);
    let a = run_policy(&p, PolicyKind::AutoNuma);
    assert!(a.lar > 0.8, "LAR {}", a.lar);
    assert!(x.runtime_s / a.runtime_s > 1.4);
    let h = data("small-hotspot.toml");
    let a = run_policy(&h, PolicyKind::AutoNuma);
    let o = run_policy(&h, PolicyKind::Oracle);
    // The hot set is shared: the two-fault filter keeps it where it is.
    assert!(
        a.runtime_s > o.runtime_s * 1.05,
        "{} vs {}",
        a.runtime_s,
        o.runtime_s
    );
}

#[test]
fn static_policies_place_as_described() {
    let s = data("small-private.toml");
    let ft = run_policy(&s, PolicyKind::FirstTouch);
    let il = run_policy(&s, PolicyKind::Interleave);
    let xen = run_policy(&s, PolicyKind::XenDefault);
    assert_eq!(ft.lar, 1.0);
    assert!((il.lar - 0.5).abs() < 1e-9);
    assert_eq!(xen.lar, 0.0);
    assert_eq!(ft.pages_moved + il.pages_moved + xen.pages_moved, 0);
}

#[test]
fn oracle_is_at_least_as_fast_as_every_static_placement() {
    for name in ["small-hotspot.toml", "small-private.toml"] {
        let r = run_scenario(&data(name));
        let o = runtime(&r, PolicyKind::Oracle);
        for p in [
            PolicyKind::XenDefault,
            PolicyKind::Interleave,
            PolicyKind::FirstTouch,
        ] {
            assert!(o <= runtime(&r, p) * 1.001, "{name}: oracle {o} vs {p:?}");
        }
    }
}

#[test]
fn a_full_target_node_turns_moves_into_no_memory_skips() {
    let mut s = data("small-hotspot.toml");
    // Node 1 has no free page at all.
    let used_on_1: u64 = 2 * 512;
    s.machine.memory_pages[1] = used_on_1;
    let c = run_policy(&s, PolicyKind::Carrefour);
    let e = c.engine.unwrap();
    let no_mem = e
        .skipped
        .iter()
        .find(|(n, _)| n == "no_memory")
        .map_or(0, |x| x.1);
    assert!(no_mem > 0, "{:?}", e.skipped);
    assert_eq!(
        c.pages_moved, 0,
        "nothing fits on node 1, and node 0 is where it all is"
    );
}

#[test]
fn xen_executor_refuses_replication_and_says_so() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/small-hotspot.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("write_fraction = 0.3", "write_fraction = 0.0")
    + "\n[carrefour]\nreplication = \"xen\"\n[carrefour.params]\nreplicate_min_candidates = 1\n";
    let s = Scenario::parse("read-only-xen", &text).unwrap();
    let c = run_policy(&s, PolicyKind::Carrefour);
    let e = c.engine.unwrap();
    assert!(e.actions[2] > 0, "replicate actions were proposed");
    assert!(
        e.skipped.iter().any(|(n, c)| n == "unsupported" && *c > 0),
        "{:?}",
        e.skipped
    );
    assert_eq!(e.replicas, 0);

    let modelled = Scenario::parse("read-only", &text.replace("\"xen\"", "\"on\"")).unwrap();
    let c = run_policy(&modelled, PolicyKind::Carrefour);
    assert!(c.engine.unwrap().replicas > 0);
}

#[test]
fn runs_are_deterministic() {
    let s = data("small-hotspot.toml");
    let a = run_policy(&s, PolicyKind::Carrefour);
    let b = run_policy(&s, PolicyKind::Carrefour);
    assert_eq!(a.runtime_s, b.runtime_s);
    assert_eq!(a.pages_moved, b.pages_moved);
}

#[test]
fn every_builtin_parses_and_names_itself() {
    let all = Scenario::builtins().unwrap();
    assert_eq!(all.len(), carrefour_sim::scenario::BUILTINS.len());
    for s in &all {
        assert!(!s.description.is_empty(), "{}", s.name);
        assert_eq!(Scenario::builtin(&s.name).unwrap().name, s.name);
    }
}

#[test]
fn bad_scenario_errors_name_file_line_and_field() {
    let e = Scenario::parse(
        "x.toml",
        "name = \"x\"\n[machine]\nnodes = \"two\"\ncpus_per_node = 2\n",
    )
    .unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line, e.field.as_str()),
        ("x.toml", 3, "machine.nodes")
    );
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/small-private.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("alloc = \"wrong\"", "alloc = \"node:9\"");
    let e = Scenario::parse("y.toml", &text).unwrap_err();
    assert_eq!(e.field, "domain[0].set[0].alloc");
    assert!(e.message.contains("node 9"), "{e}");
    assert_eq!(
        text.lines().nth(e.line - 1).map(str::trim),
        Some("alloc = \"node:9\"")
    );
    let e = Scenario::parse(
        "z.toml",
        "name = \"z\"\n[machine]\nnodes = 2\ncpus_per_node = 2\nnodez = 1\n",
    )
    .unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (5, "machine.nodez"));
}

// ------------------------------------------------- full size, release only

fn builtin(name: &str) -> ScenarioResult {
    run_scenario(&Scenario::builtin(name).unwrap())
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "full-size scenario: run with --release (make sim-test)"
)]
fn carrefour_clearly_beats_xen_on_the_hotspot_and_autonuma_does_not() {
    let r = builtin("hotspot");
    let c = speedup(&r, PolicyKind::Carrefour);
    let a = speedup(&r, PolicyKind::AutoNuma);
    assert!(c >= 1.15, "carrefour {c:.3}x");
    assert!(
        a < 1.10 && a < c - 0.1,
        "autonuma {a:.3}x vs carrefour {c:.3}x"
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "full-size scenario: run with --release (make sim-test)"
)]
fn carrefour_clearly_beats_xen_on_private_wrong_node_within_15_percent_of_the_oracle() {
    // Most private pages get one sample an epoch, under
    // `migrate_min_samples`: they count toward their extent's agreement
    // (weak evidence), and the extents, all sampled from one node, move.
    let r = builtin("nas-private-wrong-node");
    let c = speedup(&r, PolicyKind::Carrefour);
    assert!(c >= 1.15, "carrefour {c:.3}x");
    let gap = runtime(&r, PolicyKind::Carrefour) / runtime(&r, PolicyKind::Oracle);
    assert!(gap <= 1.15, "carrefour is {gap:.3}x the oracle's runtime");
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "full-size scenario: run with --release (make sim-test)"
)]
fn private_wrong_node_with_single_sample_evidence_reaches_the_oracle() {
    // With one sample enough to migrate a private page, the pages move
    // on their own evidence too, and Carrefour lands near the oracle.
    let mut s = Scenario::builtin("nas-private-wrong-node").unwrap();
    s.carrefour
        .params
        .set(carrefour_core::Tunable::MigrateMinSamples, 1)
        .unwrap();
    let r = run_scenario(&s);
    let gap = runtime(&r, PolicyKind::Carrefour) / runtime(&r, PolicyKind::Oracle);
    assert!(
        speedup(&r, PolicyKind::Carrefour) >= 1.15 && gap <= 1.15,
        "{gap:.3}"
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "full-size scenario: run with --release (make sim-test)"
)]
fn autonuma_is_good_on_private_pages() {
    let r = builtin("nas-private-wrong-node");
    let a = speedup(&r, PolicyKind::AutoNuma);
    let gap = runtime(&r, PolicyKind::AutoNuma) / runtime(&r, PolicyKind::Oracle);
    assert!(
        a >= 1.2 && gap <= 1.10,
        "autonuma {a:.3}x, {gap:.3}x the oracle"
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "full-size scenario: run with --release (make sim-test)"
)]
fn carrefour_never_more_than_4_percent_slower_where_placement_cannot_help() {
    for name in ["cpu-bound", "already-local"] {
        let r = builtin(name);
        let c = speedup(&r, PolicyKind::Carrefour);
        assert!(c >= 1.0 / 1.04, "{name}: carrefour {c:.3}x");
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "full-size scenario: run with --release (make sim-test)"
)]
fn every_builtin_runs_every_policy_to_completion() {
    for s in Scenario::builtins().unwrap() {
        let r = run_scenario(&s);
        assert_eq!(r.runs.len(), PolicyKind::ALL.len(), "{}", s.name);
        for run in &r.runs {
            assert!(
                run.finished && run.runtime_s > 0.0,
                "{} {}",
                s.name,
                run.policy
            );
        }
        let o = runtime(&r, PolicyKind::Oracle);
        for p in [
            PolicyKind::XenDefault,
            PolicyKind::Interleave,
            PolicyKind::FirstTouch,
        ] {
            assert!(
                o <= runtime(&r, p) * 1.001,
                "{}: oracle slower than {p:?}",
                s.name
            );
        }
    }
}

//! Recorded samples: perf's IBS output converted, replayed through the
//! engine; and the command line around them.

use std::process::Command;

use carrefour_sim::perf::{convert, ConvertOptions};
use carrefour_sim::trace::{parse, replay, ReplayOptions};

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn options() -> ConvertOptions {
    ConvertOptions {
        node_ranges: Some("0:0x0-0x47fffffff,1:0x480000000-0x87fffffff".into()),
        cpu_nodes: Some("0-3:0,4-7:1".into()),
        domain_by_pid: true,
        epoch_ms: Some(10),
        ..ConvertOptions::default()
    }
}

#[test]
fn both_perf_outputs_convert_to_the_same_trace() {
    let script = std::fs::read_to_string(data("perf-script-ibs.txt")).unwrap();
    let dump = std::fs::read_to_string(data("perf-report-D-ibs.txt")).unwrap();
    let a = convert(&script, &options()).unwrap();
    let b = convert(&dump, &options()).unwrap();
    assert_eq!(a.trace, b.trace);
    // 81 samples: 3 without a source (L1 hits), 3 without an address.
    assert_eq!((a.samples, a.skipped), (75, 6));
    let t = parse("converted", &a.trace).unwrap();
    assert_eq!(t.nodes, Some(2));
    assert_eq!(t.epoch_ms, Some(10));
    // pid 4242 on CPU 5 (node 1) reading page 0x100000 on node 0.
    let s = t.samples[0];
    assert_eq!(
        (s.domain, s.gfn, s.cpu_node, s.frame_node, s.store),
        (1, 0x100000, 1, 0, true)
    );
    // The other process is domain 2, local on node 0.
    assert!(t
        .samples
        .iter()
        .any(|s| s.domain == 2 && s.cpu_node == 0 && s.frame_node == 0));
    // The checked-in trace is this conversion.
    let stored = std::fs::read_to_string(data("ibs-example.trace")).unwrap();
    assert_eq!(stored, a.trace);
}

#[test]
fn two_node_conversion_without_a_range_map_uses_the_remote_bit() {
    let script = std::fs::read_to_string(data("perf-script-ibs.txt")).unwrap();
    let o = ConvertOptions {
        node_ranges: None,
        ..options()
    };
    let a = convert(&script, &o).unwrap();
    assert!(!a.warnings.is_empty());
    // Same nodes as with the map: every remote access is to node 0.
    assert_eq!(a.trace, convert(&script, &options()).unwrap().trace);
}

#[test]
fn replay_moves_the_remote_pages_and_raises_the_local_ratio() {
    let t = parse(
        "ibs-example.trace",
        &std::fs::read_to_string(data("ibs-example.trace")).unwrap(),
    )
    .unwrap();
    let r = replay(&t, &ReplayOptions::default()).unwrap();
    assert_eq!(r.epochs.len(), 3);
    let first = &r.epochs[0];
    assert!(first.lar_recorded < 0.1);
    assert!(first.actions[0] >= 1, "a migrate action");
    assert!(first.pages_moved >= 4);
    let last = r.epochs.last().unwrap();
    assert!(last.lar_with_moves > 0.9, "{}", last.lar_with_moves);
    assert!(last.lar_recorded < 0.1);
}

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_carrefour-sim"))
}

#[test]
fn cli_lists_runs_and_reports_bad_files() {
    let out = sim().arg("list").output().unwrap();
    assert!(out.status.success());
    let list = String::from_utf8(out.stdout).unwrap();
    for name in [
        "streamcluster",
        "hotspot",
        "cpu-bound",
        "phase-change",
        "multi-vm",
    ] {
        assert!(list.contains(name), "{list}");
    }

    let out = sim()
        .args([
            "run",
            &data("small-cpu-bound.toml"),
            "--format",
            "csv",
            "--policies",
            "carrefour",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("scenario,policy,runtime_s"));
    assert!(csv.contains("small-cpu-bound,carrefour,"));
    assert_eq!(csv.lines().count(), 3);

    let bad = std::env::temp_dir().join("carrefour-sim-bad.toml");
    std::fs::write(
        &bad,
        "name = \"b\"\n[machine]\nnodes = 2\ncpus_per_node = -1\n",
    )
    .unwrap();
    let out = sim().args(["run", bad.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("carrefour-sim-bad.toml:4:") && err.contains("machine.cpus_per_node"),
        "{err}"
    );

    let out = sim()
        .args(["replay", &data("ibs-example.trace"), "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 4);
}

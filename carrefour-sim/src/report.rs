//! The comparison, as a terminal table, CSV or JSON.

use std::fmt::Write as _;

use crate::sim::ScenarioResult;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned table for the terminal.
    Table,
    /// One line per scenario and policy.
    Csv,
    /// Everything, including per-epoch series.
    Json,
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1 << 20) as f64)
}

/// The terminal table of one scenario.
pub fn table(r: &ScenarioResult) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "== {}: {}", r.scenario, r.description);
    let _ = writeln!(out, "   carrefour replication: {}", r.replication);
    let _ = writeln!(
        out,
        "   {:<12} {:>9} {:>8} {:>6} {:>6} {:>10} {:>10} {:>11} {:>6}",
        "policy", "runtime", "speedup", "LAR", "imbal", "pages", "copied", "cpu/epoch", "conv"
    );
    let _ = writeln!(
        out,
        "   {:<12} {:>9} {:>8} {:>6} {:>6} {:>10} {:>10} {:>11} {:>6}",
        "", "s", "vs xen", "%", "%", "moved", "MiB", "us (meas.)", "epochs"
    );
    let base = r.runs.first().map_or(1.0, |x| x.runtime_s);
    for run in &r.runs {
        let cpu = run
            .cpu_us_per_epoch
            .map_or("-".to_string(), |c| format!("{c:.1}"));
        let _ = writeln!(
            out,
            "   {:<12} {:>9.2} {:>7.2}x {:>6.1} {:>6.1} {:>10} {:>10} {:>11} {:>6}{}",
            run.policy,
            run.runtime_s,
            base / run.runtime_s,
            run.lar * 100.0,
            run.imbalance * 100.0,
            run.pages_moved,
            mib(run.bytes_copied),
            cpu,
            run.converge_epochs,
            if run.finished {
                ""
            } else {
                "  (unfinished: extrapolated)"
            }
        );
    }
    if let Some(e) = r.runs.iter().find_map(|x| x.engine.as_ref()) {
        let skipped: Vec<String> = e.skipped.iter().map(|(n, c)| format!("{n}={c}")).collect();
        let _ = writeln!(
            out,
            "   carrefour: {} samples ({} dropped), actions migrate={} interleave={} replicate={}, skipped [{}], failed={}, bounces={}, replicas={}, collapses={}",
            e.samples,
            e.samples_dropped,
            e.actions[0],
            e.actions[1],
            e.actions[2],
            skipped.join(" "),
            e.failed,
            e.bounces,
            e.replicas,
            e.collapses
        );
    }
    out
}

/// The CSV header.
pub const CSV_HEADER: &str = "scenario,policy,runtime_s,speedup,lar,imbalance,pages_moved,bytes_copied,cpu_us_per_epoch,converge_epochs,finished";

/// CSV lines of one scenario (no header).
pub fn csv(r: &ScenarioResult) -> String {
    let mut out = String::new();
    let base = r.runs.first().map_or(1.0, |x| x.runtime_s);
    for run in &r.runs {
        let _ = writeln!(
            out,
            "{},{},{:.4},{:.4},{:.4},{:.4},{},{},{},{},{}",
            r.scenario,
            run.policy,
            run.runtime_s,
            base / run.runtime_s,
            run.lar,
            run.imbalance,
            run.pages_moved,
            run.bytes_copied,
            run.cpu_us_per_epoch
                .map_or(String::new(), |c| format!("{c:.2}")),
            run.converge_epochs,
            run.finished
        );
    }
    out
}

/// Everything as JSON.
pub fn json(results: &[ScenarioResult]) -> String {
    serde_json::to_string_pretty(results).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

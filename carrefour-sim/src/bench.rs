//! `carrefour-sim bench`: how many sampled accesses the simulator pushes
//! through the real engine per second of host time.
//!
//! A 4-node, 64-vCPU domain with private and shared sets runs under
//! Carrefour with the shortest sampling period the engine accepts, so
//! that each epoch carries millions of samples; the table holds 1 Mi
//! pages so that they are recorded, not dropped.  The figure covers the
//! whole loop: the model, sample generation, ingest, decide, the
//! executor and the reports.

use std::fmt;
use std::time::Instant;

use crate::scenario::{PolicyKind, Scenario};
use crate::sim::run_policy;

/// The benchmark's scenario.
pub const BENCH_SCENARIO: &str = r#"
name = "bench"
description = "64 vCPUs, 4 nodes, period 0x90: the sample path at full speed"
policies = ["carrefour"]
[machine]
nodes = 4
cpus_per_node = 16
bandwidth_gbps = 40
memory_mib = 16384
[carrefour.params]
sampling_period = 144
[[domain]]
name = "bench"
vcpus = 64
mlp = 2
compute_ns = 5
work_maccesses = 400
alloc = "node:0"
[[domain.set]]
name = "private"
size_mib = 1
per_vcpu = true
write_fraction = 0.3
[[domain.set]]
name = "shared"
size_mib = 24
weight = 0.5
write_fraction = 0.1
"#;

/// What the benchmark measured.
#[derive(Clone, Copy, Debug)]
pub struct BenchResult {
    /// Samples ingested (recorded or dropped by the engine).
    pub samples: u64,
    /// Of which the engine dropped (table full).
    pub dropped: u64,
    /// Host seconds.
    pub host_s: f64,
    /// Modelled DRAM accesses those samples stand for.
    pub modelled_accesses: f64,
    /// Epochs simulated.
    pub epochs: u64,
}

impl BenchResult {
    /// Sampled accesses per second of host time.
    pub fn samples_per_s(&self) -> f64 {
        self.samples as f64 / self.host_s
    }
}

impl fmt::Display for BenchResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bench: {} epochs, {} sampled accesses through the engine ({} dropped by a full table) in {:.2} s of host time",
            self.epochs, self.samples, self.dropped, self.host_s
        )?;
        writeln!(
            f,
            "       {:.1} million sampled accesses per second (target: at least 10)",
            self.samples_per_s() / 1e6
        )?;
        write!(
            f,
            "       ({:.2e} modelled DRAM accesses per second of host time)",
            self.modelled_accesses / self.host_s
        )
    }
}

/// Runs the benchmark for at least `seconds` of host time.
pub fn run(seconds: f64) -> BenchResult {
    let scn =
        Scenario::parse("builtin:bench", BENCH_SCENARIO).expect("the bench scenario is valid");
    let start = Instant::now();
    let mut r = BenchResult {
        samples: 0,
        dropped: 0,
        host_s: 0.0,
        modelled_accesses: 0.0,
        epochs: 0,
    };
    loop {
        let run = run_policy(&scn, PolicyKind::Carrefour);
        if let Some(e) = &run.engine {
            r.samples += e.samples + e.samples_dropped;
            r.dropped += e.samples_dropped;
        }
        r.epochs += u64::from(run.epochs);
        r.modelled_accesses += scn.vcpus.iter().map(|v| v.work).sum::<f64>();
        r.host_s = start.elapsed().as_secs_f64();
        if r.host_s >= seconds {
            return r;
        }
    }
}

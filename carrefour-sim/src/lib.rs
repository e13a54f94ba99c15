//! # carrefour-sim: the real engine against its peers, on modelled machines
//!
//! The engine (`carrefour-core`) is a pure function of samples and epochs.
//! This crate feeds it exactly as Xen does (ingest samples, decide each
//! epoch, apply the actions, report each outcome, skips included) on a
//! modelled NUMA machine running modelled workloads, and runs the same
//! workloads under the peers, so that the policies can be compared side
//! by side.
//!
//! ```text
//!  scenario.toml ─► scenario::Scenario ─┬─► sim::run_policy(xen-default)   static
//!   (machine, domains,                  ├─► sim::run_policy(interleave)    static
//!    page sets, accesses)               ├─► sim::run_policy(first-touch)   static
//!                                       ├─► sim::run_policy(autonuma)      peers::AutoNuma
//!                                       ├─► sim::run_policy(carrefour)     carrefour::CarrefourDriver
//!                                       └─► sim::run_policy(oracle)        oracle::placement
//!                                                  │
//!            world::Placement (frame node per page) ◄┤ model::solve (latency, contention)
//!                                                  ▼
//!                             report (table | csv | json), plot (SVG)
//!
//!  trace file ─► trace::replay ─► the engine, epoch by epoch (what-if moves)
//!  perf script ─► perf::convert ─► trace file
//! ```
//!
//! Workloads are statistical: each vCPU spreads its DRAM accesses over
//! page sets with weights, so an epoch costs a few vector operations plus
//! one generated sample per `period` accesses (the only per-event work,
//! and the engine's input).  `README.md` documents the scenario and trace
//! formats and shows an example run.

pub mod bench;
pub mod carrefour;
pub mod model;
pub mod oracle;
pub mod peers;
pub mod perf;
pub mod plot;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod trace;
pub mod world;

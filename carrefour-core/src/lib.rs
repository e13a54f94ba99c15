//! # Carrefour's decision engine
//!
//! On a NUMA machine a guest's memory lives where Xen put it when the
//! domain was created.  When the guest's threads run elsewhere, or all of
//! them hammer one node's memory controller, the guest is slowed several
//! times over, and it cannot see why.  Carrefour (Dashti et al., ASPLOS
//! 2013) fixed this in Linux by sampling memory accesses and moving pages;
//! this crate is that policy, for Xen, as a pure function of its input.
//!
//! ## The loop
//!
//! ```text
//!        Xen (C)                               this crate (safe Rust)
//!  ┌──────────────────────┐  Sample      ┌──────────────────────────────┐
//!  │ IBS NMI / hinting    │ ───────────► │ Engine::ingest   O(1)         │
//!  │ fault → per-CPU ring │              │   └► PageTable per domain     │
//!  └──────────────────────┘              │                               │
//!  ┌──────────────────────┐  EpochInput  │ Engine::decide   once/epoch   │
//!  │ epoch timer/tasklet  │ ───────────► │   metrics ► switches ► fates  │
//!  │                      │ ◄─────────── │   ► extents ► shared budget   │
//!  │ executor: p2m moves  │  [Action]    │                               │
//!  │                      │ ───────────► │ Engine::report (outcome)      │
//!  └──────────────────────┘  Outcome     │   └► History: cooldown, freeze│
//!                                        └──────────────────────────────┘
//!
//!   machine ─┬─ node 0 ── controller load, CPUs ─ vCPUs of domains
//!            └─ node 1 ── controller load, CPUs ─ vCPUs of domains
//!   domain ── pages (gfn) ── frame node + per-node access counts + writes
//! ```
//!
//! The engine never touches memory: it returns a bounded list of
//! [`Action`]s, and Xen reports what became of each.  Policy and mechanism
//! meet at that seam only.
//!
//! ## The rules, and why
//!
//! * **Gate** ([`rules::Switches`]): when the domain makes fewer than
//!   `min_maptu` memory accesses per microsecond, placement cannot pay for
//!   itself and nothing moves (Carrefour's "never more than 4 % slower").
//! * **Migrate** a page touched by one node only, when it lives elsewhere
//!   and the domain's local access ratio is under 80 %: the cheapest cure
//!   for remote traffic.
//! * **Interleave** pages touched by several nodes when the controllers
//!   are imbalanced by more than 35 %: a page leaves its node with the
//!   probability of that node's traffic share and goes preferably to
//!   lightly loaded nodes, which drains hot controllers.
//! * **Replicate** read-only shared pages when memory is plentiful and
//!   writes are rare.  Xen 4.17 cannot keep per-node copies of a guest
//!   page, so the Xen build turns this rule off; the simulator keeps it.
//!
//! Beyond Carrefour: a per-page cooldown and ping-pong freeze
//! ([`history`]), a page budget per epoch shared fairly by all domains
//! (controllers are shared, so the view is global), whole 2 MiB extents
//! moved when their sampled pages agree (the p2m keeps its superpages),
//! and a sampling period adapted to a CPU budget ([`sampling`]).
//!
//! ## Guarantees
//!
//! Safe Rust, `no_std`, no panic on any input (the lints below forbid the
//! usual sources), memory allocated fallibly and only when the engine is
//! created or a domain enabled or reconfigured, bounded work per call,
//! deterministic.  [`checker`] verifies the output independently.
//! `DESIGN.md` lists invariants, limits and constants with their sources.

#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

extern crate alloc;

pub mod action;
pub mod checker;
pub mod engine;
pub mod history;
pub mod ibs;
pub mod metrics;
pub mod params;
pub mod prng;
pub mod rules;
pub mod sampling;
pub mod select;
pub mod stats;
pub mod table;
pub mod topology;
pub mod types;

pub use action::{Action, ActionKind, Outcome, SkipReason};
pub use engine::{DecideSummary, Engine, EngineError, EpochInput, IngestError, ReportError};
pub use params::{ParamError, Params, Tunable};
pub use stats::{DomainStats, GlobalStats};
pub use topology::{Topology, TopologyError};
pub use types::{AccessKind, DataSource, DomId, Gfn, Mfn, NodeId, Sample};

//! Scenario files: the machine, the domains and their workloads, in TOML.
//!
//! ```text
//!  scenario.toml ──serde──► ScenarioFile (what the user wrote, with spans)
//!                 ──compile──► Scenario (flat: vCPUs, page sets, accesses)
//! ```
//!
//! Every error names the file, the line and column, and the field
//! (`domain[0].set[1].alloc`), from toml's span information.  The format
//! is documented in README.md; the built-in scenarios in `scenarios/`
//! double as examples.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use carrefour_core::{Params, Tunable};
use serde::Deserialize;
use toml::Spanned;

use crate::model::{Contention, Machine};

/// Pages of 4 KiB per MiB.
pub const PAGES_PER_MIB: f64 = 256.0;

/// Sets start on 2 MiB boundaries so that extents are whole.
pub const EXTENT_PAGES: usize = 512;

/// Epochs after which a run stops even if the work is not done.
pub const DEFAULT_MAX_EPOCHS: u32 = 600;

/// The built-in scenarios: (file name, TOML text).
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "streamcluster.toml",
        include_str!("../scenarios/streamcluster.toml"),
    ),
    ("pca.toml", include_str!("../scenarios/pca.toml")),
    (
        "nas-private-wrong-node.toml",
        include_str!("../scenarios/nas-private-wrong-node.toml"),
    ),
    (
        "read-mostly-table.toml",
        include_str!("../scenarios/read-mostly-table.toml"),
    ),
    ("hotspot.toml", include_str!("../scenarios/hotspot.toml")),
    (
        "cpu-bound.toml",
        include_str!("../scenarios/cpu-bound.toml"),
    ),
    (
        "already-local.toml",
        include_str!("../scenarios/already-local.toml"),
    ),
    ("multi-vm.toml", include_str!("../scenarios/multi-vm.toml")),
    (
        "phase-change.toml",
        include_str!("../scenarios/phase-change.toml"),
    ),
];

/// A scenario file could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (or `builtin:NAME`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Dotted path of the field, when known.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

// ---------------------------------------------------------------------
// What the user writes.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "default_seed")]
    seed: u64,
    #[serde(default = "default_max_epochs")]
    max_epochs: u32,
    #[serde(default)]
    policies: Option<Spanned<Vec<String>>>,
    machine: MachineSpec,
    #[serde(default)]
    carrefour: CarrefourSpec,
    #[serde(default)]
    autonuma: AutoNumaSpec,
    #[serde(rename = "domain")]
    domains: Spanned<Vec<DomainSpec>>,
}

fn default_seed() -> u64 {
    1
}
fn default_max_epochs() -> u32 {
    DEFAULT_MAX_EPOCHS
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PerNode<T> {
    One(T),
    Each(Vec<T>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MachineSpec {
    nodes: Spanned<usize>,
    cpus_per_node: Spanned<usize>,
    #[serde(default)]
    distance: Option<Spanned<Vec<Vec<u8>>>>,
    #[serde(default = "d_local_latency")]
    local_latency_ns: Spanned<f64>,
    #[serde(default = "d_bandwidth")]
    bandwidth_gbps: Spanned<PerNode<f64>>,
    #[serde(default = "d_memory")]
    memory_mib: Spanned<PerNode<u64>>,
    #[serde(default)]
    contention: Contention,
    #[serde(default = "d_contention_factor")]
    contention_factor: Spanned<f64>,
    #[serde(default = "d_sample_cost")]
    sample_cost_ns: f64,
    #[serde(default = "d_fault_cost")]
    fault_cost_ns: f64,
    #[serde(default = "d_flush_cost")]
    flush_cost_ns: f64,
    #[serde(default = "d_line")]
    line_bytes: Spanned<f64>,
}

fn d_local_latency() -> Spanned<f64> {
    Spanned::new(0..0, 90.0)
}
fn d_bandwidth() -> Spanned<PerNode<f64>> {
    Spanned::new(0..0, PerNode::One(25.0))
}
fn d_memory() -> Spanned<PerNode<u64>> {
    Spanned::new(0..0, PerNode::One(16_384))
}
fn d_contention_factor() -> Spanned<f64> {
    Spanned::new(0..0, 0.25)
}
fn d_sample_cost() -> f64 {
    1_500.0
}
fn d_fault_cost() -> f64 {
    2_000.0
}
fn d_flush_cost() -> f64 {
    1_000.0
}
fn d_line() -> Spanned<f64> {
    Spanned::new(0..0, 64.0)
}

/// How the simulator treats the engine's replicate actions.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicationMode {
    /// Whatever the engine's default is (on), modelled like
    /// linux-replication.
    #[default]
    EngineDefault,
    /// On, modelled like linux-replication.
    On,
    /// Off in the engine (`replication = 0`).
    Off,
    /// On in the engine, but the executor answers
    /// `Skipped(Unsupported)`, as Xen 4.17 must.
    Xen,
}

impl ReplicationMode {
    /// True when the engine's replication tunable is on in this mode.
    pub fn engine_on(self) -> bool {
        match self {
            ReplicationMode::EngineDefault => Params::default().get(Tunable::Replication) != 0,
            ReplicationMode::On | ReplicationMode::Xen => true,
            ReplicationMode::Off => false,
        }
    }

    /// True when the executor carries replicate actions out.
    pub fn executed(self) -> bool {
        matches!(self, ReplicationMode::EngineDefault | ReplicationMode::On) && self.engine_on()
    }

    /// One line for the report.
    pub fn describe(self) -> String {
        let state = if self.engine_on() { "on" } else { "off" };
        match self {
            ReplicationMode::EngineDefault => {
                format!("{state} (engine default), replicas modelled as linux-replication")
            }
            ReplicationMode::On => "on, replicas modelled as linux-replication".into(),
            ReplicationMode::Off => "off".into(),
            ReplicationMode::Xen => "on in the engine, refused by the executor (Xen)".into(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CarrefourSpec {
    #[serde(default)]
    replication: ReplicationMode,
    #[serde(default = "d_true")]
    dram_counters: bool,
    #[serde(default)]
    params: BTreeMap<String, Spanned<u64>>,
}

fn d_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoNumaSpec {
    #[serde(default = "d_scan_period")]
    scan_period_ms: Spanned<u64>,
    #[serde(default = "d_scan_size")]
    scan_size_mib: u64,
    #[serde(default = "d_rate")]
    rate_limit_mbps: u64,
}

impl Default for AutoNumaSpec {
    fn default() -> Self {
        AutoNumaSpec {
            scan_period_ms: d_scan_period(),
            scan_size_mib: d_scan_size(),
            rate_limit_mbps: d_rate(),
        }
    }
}

fn d_scan_period() -> Spanned<u64> {
    Spanned::new(0..0, 1_000)
}
fn d_scan_size() -> u64 {
    256
}
fn d_rate() -> u64 {
    1_280
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum VcpuList {
    Text(String),
    List(Vec<usize>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainSpec {
    name: String,
    vcpus: Spanned<usize>,
    #[serde(default)]
    vcpu_nodes: Option<Spanned<Vec<usize>>>,
    #[serde(default)]
    nodes: Option<Spanned<Vec<usize>>>,
    #[serde(default = "d_mlp")]
    mlp: Spanned<f64>,
    #[serde(default = "d_compute")]
    compute_ns: Spanned<f64>,
    work_maccesses: Spanned<f64>,
    #[serde(default)]
    alloc: Option<Spanned<String>>,
    #[serde(rename = "set")]
    sets: Spanned<Vec<SetSpec>>,
}

fn d_mlp() -> Spanned<f64> {
    Spanned::new(0..0, 4.0)
}
fn d_compute() -> Spanned<f64> {
    Spanned::new(0..0, 10.0)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetSpec {
    name: String,
    size_mib: Spanned<f64>,
    #[serde(default)]
    alloc: Option<Spanned<String>>,
    #[serde(default)]
    per_vcpu: bool,
    #[serde(default)]
    vcpus: Option<Spanned<VcpuList>>,
    #[serde(default)]
    owner: Option<Spanned<usize>>,
    #[serde(default = "d_weight")]
    weight: Spanned<f64>,
    #[serde(default = "d_zero")]
    write_fraction: Spanned<f64>,
    #[serde(default = "d_zero")]
    from: Spanned<f64>,
    #[serde(default = "d_to")]
    to: Spanned<f64>,
    #[serde(default, rename = "access")]
    accesses: Vec<AccessSpec>,
}

fn d_weight() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}
fn d_zero() -> Spanned<f64> {
    Spanned::new(0..0, 0.0)
}
fn d_to() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessSpec {
    vcpus: Spanned<VcpuList>,
    #[serde(default = "d_weight")]
    weight: Spanned<f64>,
    #[serde(default)]
    write_fraction: Option<Spanned<f64>>,
    #[serde(default = "d_zero")]
    from: Spanned<f64>,
    #[serde(default = "d_to")]
    to: Spanned<f64>,
}

// ---------------------------------------------------------------------
// What the simulator uses.

/// Where Xen put a set when the domain was built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alloc {
    /// All on one node.
    Node(usize),
    /// 4 KiB pages round-robin over all nodes.
    Interleave,
    /// On the node of the owner vCPU (what first-touch would do).
    Owner,
    /// On the node after the owner's (a private array on the wrong node).
    Wrong,
    /// Chunks of this many pages round-robin over the domain's nodes.
    Striped(usize),
}

/// The policies a run compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyKind {
    /// Xen: memory stays where it was allocated.
    XenDefault,
    /// Static 4 KiB interleave over all nodes.
    Interleave,
    /// Each set on the node of the vCPU that touched it first.
    FirstTouch,
    /// Hinting-fault balancing in the manner of Linux's NUMA balancing.
    AutoNuma,
    /// The real engine.
    Carrefour,
    /// The best static placement, knowing every access in advance.
    Oracle,
}

impl PolicyKind {
    /// Every policy, in report order.
    pub const ALL: [PolicyKind; 6] = [
        PolicyKind::XenDefault,
        PolicyKind::Interleave,
        PolicyKind::FirstTouch,
        PolicyKind::AutoNuma,
        PolicyKind::Carrefour,
        PolicyKind::Oracle,
    ];

    /// Name in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::XenDefault => "xen-default",
            PolicyKind::Interleave => "interleave",
            PolicyKind::FirstTouch => "first-touch",
            PolicyKind::AutoNuma => "autonuma",
            PolicyKind::Carrefour => "carrefour",
            PolicyKind::Oracle => "oracle",
        }
    }

    /// The policy called `name`.
    pub fn from_name(name: &str) -> Option<PolicyKind> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A virtual CPU, pinned to a node.
#[derive(Clone, Debug)]
pub struct Vcpu {
    /// Index of its domain.
    pub domain: usize,
    /// Index within the domain.
    pub index: usize,
    /// Node it runs on.
    pub node: usize,
    /// DRAM accesses it must make to finish.
    pub work: f64,
    /// Compute time between two DRAM accesses, ns.
    pub compute_ns: f64,
    /// Memory-level parallelism: DRAM accesses in flight.
    pub mlp: f64,
    /// Indices into [`Scenario::accesses`].
    pub accesses: Vec<usize>,
}

/// A contiguous range of a domain's pages, accessed alike.
#[derive(Clone, Debug)]
pub struct PageSet {
    /// Name (private instances get `name#vcpu`).
    pub name: String,
    /// Index of its domain.
    pub domain: usize,
    /// First page (domain-relative gfn).
    pub start: usize,
    /// Number of 4 KiB pages.
    pub pages: usize,
    /// Where Xen placed it.
    pub alloc: Alloc,
    /// Global index of the vCPU that touches it first.
    pub owner: usize,
}

/// Who accesses a set, how much, and when.
#[derive(Clone, Debug)]
pub struct Access {
    /// Global vCPU index.
    pub vcpu: usize,
    /// Global set index.
    pub set: usize,
    /// Relative weight among the vCPU's active accesses.
    pub weight: f64,
    /// Share of the accesses that are stores.
    pub write_fraction: f64,
    /// Active while the vCPU's progress is in `[from, to)`.
    pub from: f64,
    /// See `from`.
    pub to: f64,
}

/// A domain.
#[derive(Clone, Debug)]
pub struct Domain {
    /// Name.
    pub name: String,
    /// Global indices of its vCPUs.
    pub vcpus: Vec<usize>,
    /// Global indices of its sets.
    pub sets: Vec<usize>,
    /// Pages of its address space (sets plus alignment gaps).
    pub pages: usize,
    /// Nodes its vCPUs run on.
    pub nodes: Vec<usize>,
}

/// Carrefour's settings for a scenario.
#[derive(Clone, Debug)]
pub struct CarrefourConfig {
    /// What becomes of replicate actions.
    pub replication: ReplicationMode,
    /// Pass modelled per-node DRAM counts to the engine.
    pub dram_counters: bool,
    /// The engine's parameters.
    pub params: Params,
}

/// The AutoNUMA-like peer's settings.
#[derive(Clone, Debug)]
pub struct AutoNumaConfig {
    /// Scan period, ms.
    pub scan_period_ms: u64,
    /// Memory unmapped per scan, MiB.
    pub scan_size_mib: u64,
    /// Migration cap, MB/s.
    pub rate_limit_mbps: u64,
}

/// A compiled scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name.
    pub name: String,
    /// One line of description.
    pub description: String,
    /// Seed of the workload's draws.
    pub seed: u64,
    /// Safety bound on the run length.
    pub max_epochs: u32,
    /// Policies to compare (Xen default first).
    pub policies: Vec<PolicyKind>,
    /// The machine.
    pub machine: Machine,
    /// Carrefour's settings.
    pub carrefour: CarrefourConfig,
    /// The AutoNUMA-like peer's settings.
    pub autonuma: AutoNumaConfig,
    /// Domains.
    pub domains: Vec<Domain>,
    /// All vCPUs.
    pub vcpus: Vec<Vcpu>,
    /// All page sets.
    pub sets: Vec<PageSet>,
    /// All accesses.
    pub accesses: Vec<Access>,
}

impl Scenario {
    /// Epoch length, ns (the engine's `epoch_ms`).
    pub fn epoch_ns(&self) -> f64 {
        self.carrefour.params.get(Tunable::EpochMs) as f64 * 1e6
    }

    /// The built-in scenario called `name` (file name with or without `.toml`).
    pub fn builtin(name: &str) -> Result<Scenario, ScenarioError> {
        let want = name.trim_end_matches(".toml");
        for (file, text) in BUILTINS {
            let s = Scenario::parse(&format!("builtin:{file}"), text)?;
            if file.trim_end_matches(".toml") == want || s.name == want {
                return Ok(s);
            }
        }
        Err(ScenarioError {
            file: format!("builtin:{name}"),
            line: 1,
            column: 1,
            field: String::new(),
            message: "no built-in scenario of that name (see `carrefour-sim list`)".into(),
        })
    }

    /// Every built-in scenario.
    pub fn builtins() -> Result<Vec<Scenario>, ScenarioError> {
        BUILTINS
            .iter()
            .map(|(file, text)| Scenario::parse(&format!("builtin:{file}"), text))
            .collect()
    }

    /// Reads and compiles a scenario file.
    pub fn load(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            line: 0,
            column: 0,
            field: String::new(),
            message: format!("cannot read: {e}"),
        })?;
        Scenario::parse(&file, &text)
    }

    /// Parses and compiles `text`, naming `file` in errors.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let spec: ScenarioFile = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_string();
            let mut err = locate(file, text, span.clone(), &msg);
            if let Some(missing) = quoted_after(&msg, "missing field") {
                err.field = join_path(&path_at(text, span.start), &missing);
            } else if let Some(unknown) = quoted_after(&msg, "unknown field") {
                err.field = join_path(&path_at(text, span.start), &unknown);
            }
            err
        })?;
        Compiler { file, text }.compile(spec)
    }
}

fn quoted_after(msg: &str, prefix: &str) -> Option<String> {
    let rest = msg.strip_prefix(prefix)?;
    let start = rest.find('`')? + 1;
    let len = rest.get(start..)?.find('`')?;
    rest.get(start..start + len).map(str::to_string)
}

fn join_path(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else if table.ends_with(key) {
        table.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// An error at byte range `span` of `text`.
fn locate(file: &str, text: &str, span: Range<usize>, message: &str) -> ScenarioError {
    let start = span.start.min(text.len());
    let before = text.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = start - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    ScenarioError {
        file: file.to_string(),
        line,
        column,
        field: path_at(text, start),
        message: message.to_string(),
    }
}

/// The dotted path of the key at byte `offset`: the enclosing table
/// header (with array indices) plus the key of the line, if any.
fn path_at(text: &str, offset: usize) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut table = String::new();
    let mut pos = 0usize;
    let mut key = String::new();
    for line in text.split_inclusive('\n') {
        let end = pos + line.len();
        let t = line.trim();
        let on_line = offset >= pos && (offset < end || end == text.len());
        if let Some(h) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let h = h.trim().to_string();
            *counts.entry(h.clone()).or_insert(0) += 1;
            let prefix = format!("{h}.");
            let stale: Vec<String> = counts
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            for k in stale {
                counts.remove(&k);
            }
            table = indexed(&h, &counts);
        } else if let Some(h) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            table = indexed(h.trim(), &counts);
        } else if on_line {
            if let Some(eq) = t.find('=') {
                key = t[..eq].trim().trim_matches('"').to_string();
            }
        }
        if on_line {
            break;
        }
        pos = end;
    }
    match (table.is_empty(), key.is_empty()) {
        (_, true) => table,
        (true, false) => key,
        (false, false) => format!("{table}.{key}"),
    }
}

fn indexed(header: &str, counts: &BTreeMap<String, usize>) -> String {
    let mut out = String::new();
    let mut prefix = String::new();
    for part in header.split('.') {
        let part = part.trim();
        if !prefix.is_empty() {
            prefix.push('.');
            out.push('.');
        }
        prefix.push_str(part);
        out.push_str(part);
        if let Some(n) = counts.get(&prefix) {
            out.push_str(&format!("[{}]", n.saturating_sub(1)));
        }
    }
    out
}

struct Compiler<'a> {
    file: &'a str,
    text: &'a str,
}

impl Compiler<'_> {
    fn err<T>(&self, span: Range<usize>, message: impl Into<String>) -> Result<T, ScenarioError> {
        Err(locate(self.file, self.text, span, &message.into()))
    }

    fn positive(&self, v: &Spanned<f64>, what: &str) -> Result<f64, ScenarioError> {
        let x = *v.get_ref();
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            self.err(
                v.span(),
                format!("{what} must be a positive number, not {x}"),
            )
        }
    }

    fn fraction(&self, v: &Spanned<f64>, what: &str) -> Result<f64, ScenarioError> {
        let x = *v.get_ref();
        if (0.0..=1.0).contains(&x) {
            Ok(x)
        } else {
            self.err(v.span(), format!("{what} must be within 0..=1, not {x}"))
        }
    }

    fn machine(&self, m: &MachineSpec) -> Result<Machine, ScenarioError> {
        let nodes = *m.nodes.get_ref();
        if nodes == 0 || nodes > carrefour_core::types::MAX_NODES {
            return self.err(m.nodes.span(), format!("nodes must be 1..=64, not {nodes}"));
        }
        let cpus = *m.cpus_per_node.get_ref();
        if cpus == 0 || nodes * cpus > carrefour_core::types::MAX_CPUS {
            return self.err(
                m.cpus_per_node.span(),
                "cpus_per_node must be positive and the machine at most 4096 CPUs",
            );
        }
        let distance = match &m.distance {
            None => (0..nodes * nodes)
                .map(|i| if i / nodes == i % nodes { 10 } else { 20 })
                .collect(),
            Some(d) => {
                let rows = d.get_ref();
                if rows.len() != nodes || rows.iter().any(|r| r.len() != nodes || r.contains(&0)) {
                    return self.err(
                        d.span(),
                        format!(
                            "distance must be a {nodes}x{nodes} matrix of non-zero SLIT distances"
                        ),
                    );
                }
                rows.iter().flatten().copied().collect()
            }
        };
        let per_node_f =
            |v: &Spanned<PerNode<f64>>, what: &str| -> Result<Vec<f64>, ScenarioError> {
                let out = match v.get_ref() {
                    PerNode::One(x) => vec![*x; nodes],
                    PerNode::Each(xs) => xs.clone(),
                };
                if out.len() != nodes || out.iter().any(|x| !x.is_finite() || *x <= 0.0) {
                    return self.err(
                        v.span(),
                        format!("{what} must be a positive number or a list of {nodes}"),
                    );
                }
                Ok(out)
            };
        let bandwidth = per_node_f(&m.bandwidth_gbps, "bandwidth_gbps")?;
        let memory: Vec<u64> = match m.memory_mib.get_ref() {
            PerNode::One(x) => vec![*x; nodes],
            PerNode::Each(xs) => xs.clone(),
        };
        if memory.len() != nodes || memory.contains(&0) {
            return self.err(
                m.memory_mib.span(),
                format!("memory_mib must be a positive number or a list of {nodes}"),
            );
        }
        let factor = *m.contention_factor.get_ref();
        if !(0.0..=100.0).contains(&factor) {
            return self.err(
                m.contention_factor.span(),
                "contention_factor must be within 0..=100",
            );
        }
        Ok(Machine {
            nodes,
            cpus_per_node: cpus,
            distance,
            local_latency_ns: self.positive(&m.local_latency_ns, "local_latency_ns")?,
            bandwidth_bytes_per_ns: bandwidth,
            memory_pages: memory.iter().map(|&mib| mib * 256).collect(),
            contention: m.contention,
            contention_factor: factor,
            sample_cost_ns: m.sample_cost_ns.max(0.0),
            fault_cost_ns: m.fault_cost_ns.max(0.0),
            flush_cost_ns: m.flush_cost_ns.max(0.0),
            line_bytes: self.positive(&m.line_bytes, "line_bytes")?,
        })
    }

    fn alloc(&self, s: &Spanned<String>, nodes: usize) -> Result<Alloc, ScenarioError> {
        let text = s.get_ref().trim();
        let bad = || {
            self.err(
                s.span(),
                format!(
                    "unknown alloc `{text}`: use node:N, interleave, owner, wrong or striped:MiB"
                ),
            )
        };
        match text {
            "interleave" => Ok(Alloc::Interleave),
            "owner" | "local" => Ok(Alloc::Owner),
            "wrong" => Ok(Alloc::Wrong),
            _ => {
                if let Some(n) = text.strip_prefix("node:") {
                    match n.trim().parse::<usize>() {
                        Ok(n) if n < nodes => Ok(Alloc::Node(n)),
                        Ok(n) => self.err(
                            s.span(),
                            format!("node {n} does not exist (the machine has {nodes})"),
                        ),
                        Err(_) => bad(),
                    }
                } else if let Some(mib) = text.strip_prefix("striped:") {
                    match mib.trim().parse::<f64>() {
                        Ok(m) if m > 0.0 => {
                            Ok(Alloc::Striped(((m * PAGES_PER_MIB) as usize).max(1)))
                        }
                        _ => bad(),
                    }
                } else {
                    bad()
                }
            }
        }
    }

    fn vcpu_list(&self, v: &Spanned<VcpuList>, count: usize) -> Result<Vec<usize>, ScenarioError> {
        let out = match v.get_ref() {
            VcpuList::List(l) => l.clone(),
            VcpuList::Text(t) if t.trim() == "all" => (0..count).collect(),
            VcpuList::Text(t) => {
                let mut out = Vec::new();
                for part in t.split(',') {
                    let part = part.trim();
                    let parsed = match part.split_once('-') {
                        Some((a, b)) => a
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .zip(b.trim().parse::<usize>().ok())
                            .filter(|(a, b)| a <= b)
                            .map(|(a, b)| (a..=b).collect::<Vec<_>>()),
                        None => part.parse::<usize>().ok().map(|x| vec![x]),
                    };
                    match parsed {
                        Some(p) => out.extend(p),
                        None => {
                            return self.err(
                                v.span(),
                                format!("bad vCPU list `{t}`: use \"all\", \"0-7,12\" or [0, 1]"),
                            )
                        }
                    }
                }
                out
            }
        };
        if let Some(bad) = out.iter().find(|&&x| x >= count) {
            return self.err(
                v.span(),
                format!("vCPU {bad} does not exist (the domain has {count})"),
            );
        }
        if out.is_empty() {
            return self.err(v.span(), "empty vCPU list");
        }
        Ok(out)
    }

    fn compile(&self, f: ScenarioFile) -> Result<Scenario, ScenarioError> {
        let machine = self.machine(&f.machine)?;
        let nodes = machine.nodes;

        let mut params = Params::default();
        for (name, value) in &f.carrefour.params {
            let Some(t) = Tunable::ALL.into_iter().find(|t| t.name() == name) else {
                return self.err(value.span(), format!("unknown engine tunable `{name}`"));
            };
            if t == Tunable::Replication {
                return self.err(
                    value.span(),
                    "set replication with carrefour.replication, not params",
                );
            }
            if let Err(e) = params.set(t, *value.get_ref()) {
                return self.err(value.span(), format!("{name}: {e:?}"));
            }
        }
        let replication = f.carrefour.replication;
        params
            .set(Tunable::Replication, u64::from(replication.engine_on()))
            .map_err(|e| locate(self.file, self.text, 0..0, &format!("{e:?}")))?;

        let policies = match &f.policies {
            None => PolicyKind::ALL.to_vec(),
            Some(list) => {
                let mut out = vec![PolicyKind::XenDefault];
                for name in list.get_ref() {
                    match PolicyKind::from_name(name) {
                        Some(p) if !out.contains(&p) => out.push(p),
                        Some(_) => {}
                        None => {
                            return self.err(list.span(), format!("unknown policy `{name}`"));
                        }
                    }
                }
                out.sort();
                out
            }
        };

        let scan = *f.autonuma.scan_period_ms.get_ref();
        if scan == 0 {
            return self.err(
                f.autonuma.scan_period_ms.span(),
                "scan_period_ms must be positive",
            );
        }
        let autonuma = AutoNumaConfig {
            scan_period_ms: scan,
            scan_size_mib: f.autonuma.scan_size_mib,
            rate_limit_mbps: f.autonuma.rate_limit_mbps,
        };

        let mut domains = Vec::new();
        let mut vcpus: Vec<Vcpu> = Vec::new();
        let mut sets: Vec<PageSet> = Vec::new();
        let mut accesses: Vec<Access> = Vec::new();
        if f.domains.get_ref().is_empty() {
            return self.err(f.domains.span(), "a scenario needs at least one [[domain]]");
        }
        for (di, d) in f.domains.get_ref().iter().enumerate() {
            let count = *d.vcpus.get_ref();
            if count == 0 {
                return self.err(d.vcpus.span(), "a domain needs at least one vCPU");
            }
            let placement: Vec<usize> = match (&d.vcpu_nodes, &d.nodes) {
                (Some(v), _) => {
                    let l = v.get_ref();
                    if l.len() != count || l.iter().any(|&n| n >= nodes) {
                        return self.err(
                            v.span(),
                            format!("vcpu_nodes must list {count} nodes below {nodes}"),
                        );
                    }
                    l.clone()
                }
                (None, Some(ns)) => {
                    let l = ns.get_ref();
                    if l.is_empty() || l.iter().any(|&n| n >= nodes) {
                        return self.err(ns.span(), format!("nodes must list nodes below {nodes}"));
                    }
                    (0..count).map(|i| l[i * l.len() / count]).collect()
                }
                (None, None) => (0..count).map(|i| i * nodes / count).collect(),
            };
            let mlp = self.positive(&d.mlp, "mlp")?;
            let compute = *d.compute_ns.get_ref();
            if !(compute.is_finite() && compute >= 0.0) {
                return self.err(d.compute_ns.span(), "compute_ns must be zero or positive");
            }
            let work = self.positive(&d.work_maccesses, "work_maccesses")? * 1e6;
            let first_vcpu = vcpus.len();
            for (i, &node) in placement.iter().enumerate() {
                vcpus.push(Vcpu {
                    domain: di,
                    index: i,
                    node,
                    work,
                    compute_ns: compute,
                    mlp,
                    accesses: Vec::new(),
                });
            }
            let domain_alloc = match &d.alloc {
                Some(a) => self.alloc(a, nodes)?,
                None => Alloc::Node(0),
            };
            let mut next_page = 0usize;
            let mut dom_sets = Vec::new();
            if d.sets.get_ref().is_empty() {
                return self.err(d.sets.span(), "a domain needs at least one [[domain.set]]");
            }
            for s in d.sets.get_ref() {
                let mib = self.positive(&s.size_mib, "size_mib")?;
                let pages = ((mib * PAGES_PER_MIB).round() as usize).max(1);
                let alloc = match &s.alloc {
                    Some(a) => self.alloc(a, nodes)?,
                    None => domain_alloc,
                };
                let wf = self.fraction(&s.write_fraction, "write_fraction")?;
                let weight = self.positive(&s.weight, "weight")?;
                let from = self.fraction(&s.from, "from")?;
                let to = self.fraction(&s.to, "to")?;
                if from >= to {
                    return self.err(s.to.span(), "`to` must be greater than `from`");
                }
                let who = match &s.vcpus {
                    Some(v) => self.vcpu_list(v, count)?,
                    None => (0..count).collect(),
                };
                let instances: Vec<Option<usize>> = if s.per_vcpu {
                    if !s.accesses.is_empty() {
                        return self.err(
                            s.size_mib.span(),
                            "per_vcpu sets take no [[access]] entries",
                        );
                    }
                    who.iter().map(|&v| Some(v)).collect()
                } else {
                    vec![None]
                };
                for inst in instances {
                    let owner_local = match (inst, &s.owner) {
                        (Some(v), _) => v,
                        (None, Some(o)) => {
                            if *o.get_ref() >= count {
                                return self
                                    .err(o.span(), format!("vCPU {} does not exist", o.get_ref()));
                            }
                            *o.get_ref()
                        }
                        (None, None) => who[0],
                    };
                    let set_index = sets.len();
                    sets.push(PageSet {
                        name: match inst {
                            Some(v) => format!("{}#{v}", s.name),
                            None => s.name.clone(),
                        },
                        domain: di,
                        start: next_page,
                        pages,
                        alloc,
                        owner: first_vcpu + owner_local,
                    });
                    dom_sets.push(set_index);
                    next_page += pages.div_ceil(EXTENT_PAGES) * EXTENT_PAGES;
                    let mut add = |v: usize, weight: f64, wf: f64, from: f64, to: f64| {
                        let gi = first_vcpu + v;
                        vcpus[gi].accesses.push(accesses.len());
                        accesses.push(Access {
                            vcpu: gi,
                            set: set_index,
                            weight,
                            write_fraction: wf,
                            from,
                            to,
                        });
                    };
                    match inst {
                        Some(v) => add(v, weight, wf, from, to),
                        None if s.accesses.is_empty() => {
                            for &v in &who {
                                add(v, weight, wf, from, to);
                            }
                        }
                        None => {
                            for a in &s.accesses {
                                let list = self.vcpu_list(&a.vcpus, count)?;
                                let w = self.positive(&a.weight, "weight")?;
                                let awf = match &a.write_fraction {
                                    Some(x) => self.fraction(x, "write_fraction")?,
                                    None => wf,
                                };
                                let af = self.fraction(&a.from, "from")?;
                                let at = self.fraction(&a.to, "to")?;
                                if af >= at {
                                    return self
                                        .err(a.to.span(), "`to` must be greater than `from`");
                                }
                                for v in list {
                                    add(v, w, awf, af, at);
                                }
                            }
                        }
                    }
                }
            }
            let mut dnodes: Vec<usize> = placement.clone();
            dnodes.sort_unstable();
            dnodes.dedup();
            domains.push(Domain {
                name: d.name.clone(),
                vcpus: (first_vcpu..vcpus.len()).collect(),
                sets: dom_sets,
                pages: next_page,
                nodes: dnodes,
            });
        }
        let footprint: u64 = sets.iter().map(|s| s.pages as u64).sum();
        let capacity: u64 = machine.memory_pages.iter().sum();
        if footprint > capacity {
            return self.err(
                f.machine.memory_mib.span(),
                format!(
                    "the domains need {} MiB but the machine has {} MiB",
                    footprint / 256,
                    capacity / 256
                ),
            );
        }
        if domains.len() > carrefour_core::engine::MAX_DOMAINS {
            return self.err(f.domains.span(), "at most 64 domains");
        }
        Ok(Scenario {
            name: f.name,
            description: f.description,
            seed: f.seed,
            max_epochs: f.max_epochs.max(1),
            policies,
            machine,
            carrefour: CarrefourConfig {
                replication,
                dram_counters: f.carrefour.dram_counters,
                params,
            },
            autonuma,
            domains,
            vcpus,
            sets,
            accesses,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
name = "small"
[machine]
nodes = 2
cpus_per_node = 2
[[domain]]
name = "vm"
vcpus = 4
work_maccesses = 1
[[domain.set]]
name = "data"
size_mib = 4
per_vcpu = true
alloc = "wrong"
"#;

    #[test]
    fn small_scenario_compiles_into_private_sets() {
        let s = Scenario::parse("t.toml", SMALL).unwrap();
        assert_eq!(s.vcpus.len(), 4);
        assert_eq!(s.sets.len(), 4);
        assert_eq!(s.sets[1].start, 1024);
        assert_eq!(s.vcpus[2].node, 1);
        assert_eq!(s.accesses.len(), 4);
        assert_eq!(s.sets[3].alloc, Alloc::Wrong);
    }

    #[test]
    fn path_names_array_tables_with_indices() {
        let text = "[machine]\nnodes = 2\n[[domain]]\nname='a'\n[[domain.set]]\nx=1\n[[domain.set]]\nalloc = 'bad'\n";
        let at = text.find("alloc").unwrap();
        assert_eq!(path_at(text, at), "domain[0].set[1].alloc");
    }
}

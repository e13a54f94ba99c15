//! Trace replay: samples recorded on real hardware, through the engine.
//!
//! The format (README.md, "Trace format") is text, one sample a line:
//!
//! ```text
//! # carrefour-sim trace v1
//! #! nodes = 2              (directives: nodes, cpus_per_node, epoch_ms)
//! # time_us domain address   cpu_node frame_node kind [source]
//! 1000.5    1      gfn:0x1a2b 0        1          L    dram
//! 1002      1      pa:0x1a2b000 1      1          S
//! ```
//!
//! `address` is `gfn:N` (a guest frame number) or `pa:N` (a physical
//! address; its frame number is used); numbers are decimal or `0x` hex.
//! `kind` is `L`/`load` or `S`/`store`; `source` one of `dram`,
//! `local-cache`, `remote-cache`, `io`, `unknown` (default `dram`).
//!
//! Replay cuts the trace into epochs of `epoch_ms` of trace time, feeds
//! each epoch's samples to the engine, decides at each boundary, applies
//! the actions to a what-if overlay (later samples of a moved page see
//! its new node) and reports the outcomes.  It prints, per epoch, the
//! local access ratio as recorded and as it would have been with the
//! engine's moves.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use carrefour_core::action::{ActionKind, Outcome, SkipReason};
use carrefour_core::{
    AccessKind, DataSource, DomId, Engine, EpochInput, Gfn, NodeId, Params, Sample, Topology,
    Tunable,
};
use serde::Serialize;

use crate::scenario::ReplicationMode;
use crate::sim::timed;

/// Options of `carrefour-sim replay`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ReplayOptions {
    /// Nodes of the machine (default: the trace's `#! nodes`, else the
    /// largest node seen + 1).
    #[arg(long)]
    pub nodes: Option<usize>,
    /// Epoch length in ms of trace time (default: the trace's, else the
    /// engine's default).
    #[arg(long)]
    pub epoch_ms: Option<u64>,
    /// CPUs per node (for the sampling controller's budget; default 8).
    #[arg(long)]
    pub cpus_per_node: Option<usize>,
    /// Replication: engine-default, on, off or xen.
    #[arg(long, value_parser = parse_replication, default_value = "engine-default")]
    pub replication: ReplicationModeArg,
    /// Free pages per node for moved pages (default: unlimited).
    #[arg(long)]
    pub node_capacity_pages: Option<u64>,
    /// Memory use reported to the engine, permille (replication gate).
    #[arg(long, default_value_t = 100)]
    pub memory_use_permille: u64,
    /// Engine tunables, NAME=VALUE (repeatable).
    #[arg(long = "param")]
    pub params: Vec<String>,
}

/// Wrapper so that clap can default it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicationModeArg(pub ReplicationMode);

fn parse_replication(s: &str) -> Result<ReplicationModeArg, String> {
    let m = match s {
        "engine-default" => ReplicationMode::EngineDefault,
        "on" => ReplicationMode::On,
        "off" => ReplicationMode::Off,
        "xen" => ReplicationMode::Xen,
        _ => return Err(format!("`{s}`: use engine-default, on, off or xen")),
    };
    Ok(ReplicationModeArg(m))
}

/// One sample of a trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceSample {
    /// Time, µs.
    pub time_us: f64,
    /// Domain id.
    pub domain: u16,
    /// Guest frame number.
    pub gfn: u64,
    /// Node of the accessing CPU.
    pub cpu_node: u8,
    /// Node of the frame as recorded.
    pub frame_node: u8,
    /// Store?
    pub store: bool,
    /// Data source.
    pub source: DataSource,
}

/// A parsed trace.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// `#! nodes`.
    pub nodes: Option<usize>,
    /// `#! cpus_per_node`.
    pub cpus_per_node: Option<usize>,
    /// `#! epoch_ms`.
    pub epoch_ms: Option<u64>,
    /// The samples, in file order.
    pub samples: Vec<TraceSample>,
}

fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The name of a data source in traces.
pub fn source_name(s: DataSource) -> &'static str {
    match s {
        DataSource::Dram => "dram",
        DataSource::LocalCache => "local-cache",
        DataSource::RemoteCache => "remote-cache",
        DataSource::Io => "io",
        DataSource::Unknown => "unknown",
    }
}

/// Parses a trace; errors name `file` and the line.
pub fn parse(file: &str, text: &str) -> Result<Trace, String> {
    let mut t = Trace::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = |msg: String| format!("{file}:{}: {msg}", i + 1);
        if let Some(d) = line.strip_prefix("#!") {
            let (k, v) = d
                .split_once('=')
                .ok_or_else(|| at("a directive reads `#! name = value`".into()))?;
            let v = v.trim();
            let val = number(v).ok_or_else(|| at(format!("`{v}` is not a number")))?;
            match k.trim() {
                "nodes" => t.nodes = Some(val as usize),
                "cpus_per_node" => t.cpus_per_node = Some(val as usize),
                "epoch_ms" => t.epoch_ms = Some(val),
                other => return Err(at(format!("unknown directive `{other}`"))),
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 || f.len() > 7 {
            return Err(at(format!(
                "expected `time_us domain address cpu_node frame_node kind [source]`, got {} fields",
                f.len()
            )));
        }
        let time_us: f64 = f[0]
            .parse()
            .map_err(|_| at(format!("time `{}` is not a number", f[0])))?;
        let domain = number(f[1])
            .and_then(|d| u16::try_from(d).ok())
            .ok_or_else(|| at(format!("domain `{}` is not a domain id", f[1])))?;
        let gfn = if let Some(g) = f[2].strip_prefix("gfn:") {
            number(g)
        } else if let Some(p) = f[2].strip_prefix("pa:") {
            number(p).map(|p| p >> 12)
        } else {
            None
        }
        .ok_or_else(|| at(format!("address `{}`: use gfn:N or pa:N", f[2])))?;
        let node = |s: &str, what: &str| {
            number(s)
                .filter(|&n| n < carrefour_core::types::MAX_NODES as u64)
                .map(|n| n as u8)
                .ok_or_else(|| at(format!("{what} `{s}` is not a node")))
        };
        let cpu_node = node(f[3], "cpu_node")?;
        let frame_node = node(f[4], "frame_node")?;
        let store = match f[5] {
            "L" | "l" | "load" => false,
            "S" | "s" | "store" => true,
            k => return Err(at(format!("kind `{k}`: use L or S"))),
        };
        let source = match f.get(6).copied().unwrap_or("dram") {
            "dram" => DataSource::Dram,
            "local-cache" => DataSource::LocalCache,
            "remote-cache" => DataSource::RemoteCache,
            "io" => DataSource::Io,
            "unknown" => DataSource::Unknown,
            s => {
                return Err(at(format!(
                    "source `{s}` is not one of dram, local-cache, remote-cache, io, unknown"
                )))
            }
        };
        t.samples.push(TraceSample {
            time_us,
            domain,
            gfn,
            cpu_node,
            frame_node,
            store,
            source,
        });
    }
    Ok(t)
}

/// One epoch of a replay.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReplayEpoch {
    /// 1-based.
    pub epoch: u32,
    /// Samples ingested.
    pub samples: u64,
    /// Local access ratio as recorded.
    pub lar_recorded: f64,
    /// Local access ratio with the engine's moves applied so far.
    pub lar_with_moves: f64,
    /// Actions by kind (migrate, interleave, replicate).
    pub actions: [u64; 3],
    /// Pages moved (outcome `Done`).
    pub pages_moved: u64,
    /// Actions skipped.
    pub skipped: u64,
    /// Measured engine time (ingest + decide + report), µs.
    pub engine_us: f64,
}

/// What a replay found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReplayResult {
    /// Nodes used.
    pub nodes: usize,
    /// Epoch length, ms.
    pub epoch_ms: u64,
    /// Replication as run.
    pub replication: String,
    /// Per epoch.
    pub epochs: Vec<ReplayEpoch>,
}

impl ReplayResult {
    /// Totals over the epochs: (samples, lar recorded, lar with moves,
    /// actions, pages moved, skipped).
    fn totals(&self) -> (u64, f64, f64, [u64; 3], u64, u64) {
        let samples: u64 = self.epochs.iter().map(|e| e.samples).sum();
        let w = |f: fn(&ReplayEpoch) -> f64| {
            if samples == 0 {
                1.0
            } else {
                self.epochs
                    .iter()
                    .map(|e| f(e) * e.samples as f64)
                    .sum::<f64>()
                    / samples as f64
            }
        };
        let mut actions = [0; 3];
        for e in &self.epochs {
            for (a, x) in actions.iter_mut().zip(e.actions) {
                *a += x;
            }
        }
        (
            samples,
            w(|e| e.lar_recorded),
            w(|e| e.lar_with_moves),
            actions,
            self.epochs.iter().map(|e| e.pages_moved).sum(),
            self.epochs.iter().map(|e| e.skipped).sum(),
        )
    }

    /// Terminal table.
    pub fn table(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "replay: {} nodes, epochs of {} ms, replication {}",
            self.nodes, self.epoch_ms, self.replication
        );
        let _ = writeln!(
            o,
            "{:>6} {:>9} {:>9} {:>10} {:>8} {:>10} {:>9} {:>8} {:>8} {:>10}",
            "epoch",
            "samples",
            "LAR rec%",
            "LAR move%",
            "migrate",
            "interleave",
            "replicate",
            "moved",
            "skipped",
            "engine us"
        );
        for e in &self.epochs {
            let _ = writeln!(
                o,
                "{:>6} {:>9} {:>9.1} {:>10.1} {:>8} {:>10} {:>9} {:>8} {:>8} {:>10.1}",
                e.epoch,
                e.samples,
                e.lar_recorded * 100.0,
                e.lar_with_moves * 100.0,
                e.actions[0],
                e.actions[1],
                e.actions[2],
                e.pages_moved,
                e.skipped,
                e.engine_us
            );
        }
        let (s, lr, lm, a, m, k) = self.totals();
        let _ = writeln!(
            o,
            "{:>6} {:>9} {:>9.1} {:>10.1} {:>8} {:>10} {:>9} {:>8} {:>8}",
            "total",
            s,
            lr * 100.0,
            lm * 100.0,
            a[0],
            a[1],
            a[2],
            m,
            k
        );
        o
    }

    /// CSV, one line per epoch.
    pub fn csv(&self) -> String {
        let mut o = String::from(
            "epoch,samples,lar_recorded,lar_with_moves,migrate,interleave,replicate,pages_moved,skipped,engine_us\n",
        );
        for e in &self.epochs {
            let _ = writeln!(
                o,
                "{},{},{:.4},{:.4},{},{},{},{},{},{:.1}",
                e.epoch,
                e.samples,
                e.lar_recorded,
                e.lar_with_moves,
                e.actions[0],
                e.actions[1],
                e.actions[2],
                e.pages_moved,
                e.skipped,
                e.engine_us
            );
        }
        o
    }

    /// JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Reads and replays a trace file.
pub fn replay_file(path: &Path, opts: &ReplayOptions) -> Result<ReplayResult, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let trace = parse(&name, &text)?;
    replay(&trace, opts)
}

/// Replays `trace` through a fresh engine.
pub fn replay(trace: &Trace, opts: &ReplayOptions) -> Result<ReplayResult, String> {
    let seen_nodes = trace
        .samples
        .iter()
        .map(|s| usize::from(s.cpu_node.max(s.frame_node)) + 1)
        .max()
        .unwrap_or(1);
    let nodes = opts.nodes.or(trace.nodes).unwrap_or(seen_nodes);
    if nodes < seen_nodes {
        return Err(format!(
            "the trace names node {} but the machine has {nodes}",
            seen_nodes - 1
        ));
    }
    let cpus_per_node = opts
        .cpus_per_node
        .or(trace.cpus_per_node)
        .unwrap_or(8)
        .max(1);
    let mut params = Params::default();
    for p in &opts.params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("--param `{p}`: use NAME=VALUE"))?;
        let t = Tunable::ALL
            .into_iter()
            .find(|t| t.name() == k.trim())
            .ok_or_else(|| format!("--param: unknown tunable `{k}`"))?;
        let v = number(v.trim()).ok_or_else(|| format!("--param `{p}`: not a number"))?;
        params
            .set(t, v)
            .map_err(|e| format!("--param `{p}`: {e:?}"))?;
    }
    let mode = opts.replication.0;
    params
        .set(Tunable::Replication, u64::from(mode.engine_on()))
        .map_err(|e| format!("{e:?}"))?;
    if let Some(ms) = opts.epoch_ms.or(trace.epoch_ms) {
        params
            .set(Tunable::EpochMs, ms)
            .map_err(|e| format!("epoch_ms: {e:?}"))?;
    }
    let epoch_ms = params.get(Tunable::EpochMs);
    let topo = Topology::uniform(nodes, cpus_per_node).map_err(|e| format!("topology: {e:?}"))?;
    let mut engine = Engine::new(topo, params, carrefour_core::engine::DEFAULT_MAX_ACTIONS)
        .map_err(|e| format!("engine: {e:?}"))?;

    let mut overlay: HashMap<(u16, u64), u8> = HashMap::new();
    let mut replicated: HashSet<(u16, u64)> = HashSet::new();
    let mut moved_in = vec![0u64; nodes];
    let epoch_us = epoch_ms as f64 * 1e3;
    let mut result = ReplayResult {
        nodes,
        epoch_ms,
        replication: mode.describe(),
        epochs: Vec::new(),
    };
    let mut cur = ReplayEpoch {
        epoch: 1,
        ..ReplayEpoch::default()
    };
    let (mut local_rec, mut local_mv) = (0u64, 0u64);
    let mut epoch_end = trace.samples.first().map_or(0.0, |s| s.time_us) + epoch_us;
    let mut batch: Vec<Sample> = Vec::new();

    let mut close = |engine: &mut Engine,
                     batch: &mut Vec<Sample>,
                     cur: &mut ReplayEpoch,
                     local_rec: &mut u64,
                     local_mv: &mut u64,
                     overlay: &mut HashMap<(u16, u64), u8>,
                     replicated: &mut HashSet<(u16, u64)>,
                     result: &mut ReplayResult| {
        let ((), ingest_ns) = timed(|| {
            for s in batch.iter() {
                let _ = engine.ingest(s);
            }
        });
        let input = EpochInput {
            elapsed_us: epoch_ms * 1000,
            dram_accesses: None,
            memory_use_permille: opts.memory_use_permille,
            sample_cost_ns: 1_500,
        };
        let (_, decide_ns) = timed(|| engine.decide(&input));
        let mut outcomes = Vec::with_capacity(engine.actions().len());
        for a in engine.actions() {
            let dom = a.domain.0;
            let base = a.gfn.0;
            let target = a.target.get();
            cur.actions[a.kind as usize] += 1;
            let outcome = match a.kind {
                ActionKind::Replicate if !mode.executed() => {
                    Outcome::Skipped(SkipReason::Unsupported)
                }
                ActionKind::Replicate => {
                    if replicated.insert((dom, base)) {
                        Outcome::Done
                    } else {
                        Outcome::Skipped(SkipReason::AlreadyThere)
                    }
                }
                _ => {
                    let cap = opts.node_capacity_pages.unwrap_or(u64::MAX);
                    if moved_in[usize::from(target)].saturating_add(a.pages()) > cap {
                        Outcome::Skipped(SkipReason::NoMemory)
                    } else if a.order == 0 && overlay.get(&(dom, base)).copied() == Some(target) {
                        Outcome::Skipped(SkipReason::AlreadyThere)
                    } else {
                        for g in base..base + a.pages() {
                            overlay.insert((dom, g), target);
                            replicated.remove(&(dom, g));
                        }
                        moved_in[usize::from(target)] += a.pages();
                        cur.pages_moved += a.pages();
                        Outcome::Done
                    }
                }
            };
            if outcome != Outcome::Done {
                cur.skipped += 1;
            }
            outcomes.push(outcome);
        }
        let ((), report_ns) = timed(|| {
            for (i, o) in outcomes.iter().enumerate() {
                let _ = engine.report(i, *o);
            }
        });
        cur.samples = batch.len() as u64;
        if cur.samples > 0 {
            cur.lar_recorded = *local_rec as f64 / cur.samples as f64;
            cur.lar_with_moves = *local_mv as f64 / cur.samples as f64;
        } else {
            cur.lar_recorded = 1.0;
            cur.lar_with_moves = 1.0;
        }
        cur.engine_us = (ingest_ns + decide_ns + report_ns) / 1e3;
        result.epochs.push(cur.clone());
        *cur = ReplayEpoch {
            epoch: cur.epoch + 1,
            ..ReplayEpoch::default()
        };
        batch.clear();
        *local_rec = 0;
        *local_mv = 0;
    };

    for s in &trace.samples {
        while s.time_us >= epoch_end {
            close(
                &mut engine,
                &mut batch,
                &mut cur,
                &mut local_rec,
                &mut local_mv,
                &mut overlay,
                &mut replicated,
                &mut result,
            );
            epoch_end += epoch_us;
            if result.epochs.len() > 1_000_000 {
                return Err("more than a million epochs: check the time column's unit (µs)".into());
            }
        }
        let id = DomId(s.domain);
        if !engine.is_enabled(id) {
            engine
                .enable(id)
                .map_err(|e| format!("domain {}: {e:?}", s.domain))?;
        }
        let key = (s.domain, s.gfn);
        let frame = if !s.store && replicated.contains(&key) {
            s.cpu_node
        } else {
            overlay.get(&key).copied().unwrap_or(s.frame_node)
        };
        local_rec += u64::from(s.cpu_node == s.frame_node);
        local_mv += u64::from(s.cpu_node == frame);
        let node = |n: u8| NodeId::new(u32::from(n)).ok_or("node out of range");
        batch.push(Sample {
            domain: id,
            gfn: Gfn(s.gfn),
            frame_node: node(frame)?,
            cpu_node: node(s.cpu_node)?,
            kind: if s.store {
                AccessKind::Store
            } else {
                AccessKind::Load
            },
            source: s.source,
        });
    }
    if !batch.is_empty() {
        close(
            &mut engine,
            &mut batch,
            &mut cur,
            &mut local_rec,
            &mut local_mv,
            &mut overlay,
            &mut replicated,
            &mut result,
        );
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_with_both_address_forms_and_errors_name_the_line() {
        let t = parse(
            "t",
            "#! nodes = 2\n# c\n10 1 gfn:0x10 0 1 L\n20.5 2 pa:0x2000 1 1 S local-cache\n",
        )
        .unwrap();
        assert_eq!(t.nodes, Some(2));
        assert_eq!(t.samples.len(), 2);
        assert_eq!(t.samples[0].gfn, 16);
        assert_eq!(t.samples[1].gfn, 2);
        assert!(t.samples[1].store);
        assert_eq!(t.samples[1].source, DataSource::LocalCache);
        let e = parse("f.trace", "1 1 gfn:1 0 0 L\n1 1 xyz 0 0 L\n").unwrap_err();
        assert!(e.starts_with("f.trace:2:"), "{e}");
    }
}

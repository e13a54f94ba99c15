//! `perf script` output of AMD IBS op samples → trace (see [`crate::trace`]).
//!
//! Two inputs are understood, detected line by line:
//!
//! 1. Field output, from a kernel and perf with IBS `data_src`/`addr`/
//!    `phys_addr` support (Linux 6.1 onward):
//!
//!    ```text
//!    perf record -e ibs_op// -d --phys-data -a -- sleep 10
//!    perf script -F pid,tid,cpu,time,event,addr,data_src,phys_addr
//!    ```
//!
//!    perf prints, in this order (builtin-script.c `process_event`): the
//!    start fields (`pid/tid`, `[cpu]`, `seconds.micros:`), the event name
//!    and `:`, `addr` (`%16lx`), `data_src` (`%16lx` then its decoding
//!    `|OP LOAD|LVL ...|...`), and `phys_addr` (`%16lx`) last.  The raw
//!    `data_src` is decoded here from its bits (`union perf_mem_data_src`:
//!    mem_op bits 0-4, mem_lvl 5-18, mem_lvl_num 33-36, mem_remote 37).
//!
//! 2. The raw register dump of `perf report -D` (or `perf script -D`) for
//!    a recording made with `--raw-samples`: a `PERF_RECORD_SAMPLE` line
//!    (`cpu time offset [size]: PERF_RECORD_SAMPLE(IP, misc): pid/tid: ip
//!    period: N addr: A`) followed by perf's decoding of the IBS registers
//!    (tools/perf/util/amd-sample-raw.c): `ibs_op_data2: ... RmtNode R
//!    DataSrc N=...`, `ibs_op_data3: ... LdOp L StOp S ...
//!    DcPhyAddrValid V ...`, `IbsDCPhysAd: HEX`.
//!
//! Kept, as Carrefour keeps them: loads and stores with a valid, non-zero
//! physical address and a data source (`--all-sources` keeps those
//! without).  The frame's node comes from a map of physical ranges
//! (`--node-ranges` or `--zoneinfo /proc/zoneinfo`), the CPU's node from
//! `--cpu-nodes` or `--lscpu` (`lscpu -p=cpu,node`).  On two nodes without
//! a range map, the remote bit decides (remote: the other node).

use std::collections::HashMap;
use std::fmt::Write as _;

use carrefour_core::DataSource;

use crate::trace::source_name;

/// Options of `carrefour-sim convert-perf`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ConvertOptions {
    /// Physical ranges per node: `0:0x0-0x47fffffff,1:0x480000000-0x87fffffff`.
    #[arg(long)]
    pub node_ranges: Option<String>,
    /// /proc/zoneinfo of the recording host (node ranges from start_pfn
    /// and spanned).
    #[arg(long)]
    pub zoneinfo: Option<std::path::PathBuf>,
    /// CPU-to-node map: `0-7:0,8-15:1`.
    #[arg(long)]
    pub cpu_nodes: Option<String>,
    /// `lscpu -p=cpu,node` output of the recording host.
    #[arg(long)]
    pub lscpu: Option<std::path::PathBuf>,
    /// Nodes of the host (needed without a range map; default 2).
    #[arg(long)]
    pub nodes: Option<usize>,
    /// One domain per pid (in order of appearance) instead of domain 1.
    #[arg(long)]
    pub domain_by_pid: bool,
    /// Keep samples without a data source (L1/L2 hits).
    #[arg(long)]
    pub all_sources: bool,
    /// Epoch length written into the trace header, ms.
    #[arg(long)]
    pub epoch_ms: Option<u64>,
}

/// The converted trace.
#[derive(Clone, Debug, Default)]
pub struct Converted {
    /// Trace text.
    pub trace: String,
    /// Samples written.
    pub samples: u64,
    /// Samples skipped (no address, no source, not a load or store, no node).
    pub skipped: u64,
    /// Things the user should know.
    pub warnings: Vec<String>,
}

/// One decoded IBS sample.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PerfSample {
    /// Seconds.
    pub time_s: f64,
    /// CPU.
    pub cpu: Option<u32>,
    /// Process id.
    pub pid: Option<u32>,
    /// Physical address (0: none).
    pub phys: u64,
    /// Load?
    pub load: bool,
    /// Store?
    pub store: bool,
    /// Data source.
    pub source: Option<DataSource>,
    /// Remote node flag.
    pub remote: bool,
}

/// `union perf_mem_data_src` fields this converter reads.
pub mod data_src {
    /// mem_op: load.
    pub const OP_LOAD: u64 = 0x02;
    /// mem_op: store.
    pub const OP_STORE: u64 = 0x04;
    /// mem_lvl shift.
    pub const LVL_SHIFT: u32 = 5;
    /// mem_lvl bits.
    pub const LVL_L1: u64 = 0x08;
    /// LFB.
    pub const LVL_LFB: u64 = 0x10;
    /// L2.
    pub const LVL_L2: u64 = 0x20;
    /// L3.
    pub const LVL_L3: u64 = 0x40;
    /// Local RAM.
    pub const LVL_LOC_RAM: u64 = 0x80;
    /// Remote RAM (1 hop).
    pub const LVL_REM_RAM1: u64 = 0x100;
    /// Remote RAM (2 hops).
    pub const LVL_REM_RAM2: u64 = 0x200;
    /// Remote cache (1 hop).
    pub const LVL_REM_CCE1: u64 = 0x400;
    /// Remote cache (2 hops).
    pub const LVL_REM_CCE2: u64 = 0x800;
    /// I/O.
    pub const LVL_IO: u64 = 0x1000;
    /// mem_lvl_num shift.
    pub const LVLNUM_SHIFT: u32 = 33;
    /// RAM.
    pub const LVLNUM_RAM: u64 = 0x0d;
    /// Any cache.
    pub const LVLNUM_ANY_CACHE: u64 = 0x0b;
    /// N/A.
    pub const LVLNUM_NA: u64 = 0x0f;
    /// I/O.
    pub const LVLNUM_IO: u64 = 0x0a;
    /// mem_remote bit.
    pub const REMOTE_SHIFT: u32 = 37;
}

/// (load, store, source, remote) from a raw `data_src` value.
pub fn decode_data_src(v: u64) -> (bool, bool, Option<DataSource>, bool) {
    use data_src::*;
    let op = v & 0x1f;
    let lvl = (v >> LVL_SHIFT) & 0x3fff;
    let num = (v >> LVLNUM_SHIFT) & 0xf;
    let remote_bit = (v >> REMOTE_SHIFT) & 1 == 1;
    let remote =
        remote_bit || lvl & (LVL_REM_RAM1 | LVL_REM_RAM2 | LVL_REM_CCE1 | LVL_REM_CCE2) != 0;
    let source = if num == LVLNUM_RAM || lvl & (LVL_LOC_RAM | LVL_REM_RAM1 | LVL_REM_RAM2) != 0 {
        Some(DataSource::Dram)
    } else if lvl & (LVL_REM_CCE1 | LVL_REM_CCE2) != 0 || (remote && (1..=4).contains(&num)) {
        Some(DataSource::RemoteCache)
    } else if num == LVLNUM_IO || lvl & LVL_IO != 0 {
        Some(DataSource::Io)
    } else if lvl & (LVL_L3) != 0 || num == 3 || num == LVLNUM_ANY_CACHE {
        // Only the L3 (and beyond) has a data source in IBS; L1/L2/LFB hits
        // have none, as in IbsOpData2.
        Some(DataSource::LocalCache)
    } else {
        // L1/L2/LFB hits and N/A: no data source, as in IbsOpData2.
        None
    };
    (op & OP_LOAD != 0, op & OP_STORE != 0, source, remote)
}

fn hex(s: &str) -> Option<u64> {
    let s = s.trim().trim_start_matches("0x").trim_start_matches("0X");
    if s.is_empty() {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// Parses one line of `perf script -F ...` field output.
pub fn parse_script_line(line: &str) -> Option<PerfSample> {
    // The decoded data_src sits between the first and the last '|'.
    let cleaned = match (line.find('|'), line.rfind('|')) {
        (Some(a), Some(b)) if b > a => format!("{} {}", &line[..a], &line[b + 1..]),
        _ => line.to_string(),
    };
    let toks: Vec<&str> = cleaned.split_whitespace().collect();
    let cpu_at = toks.iter().position(|t| {
        t.starts_with('[') && t.ends_with(']') && t[1..t.len() - 1].parse::<u32>().is_ok()
    });
    let time_at = toks.iter().position(|t| {
        t.ends_with(':')
            && t[..t.len() - 1].contains('.')
            && t[..t.len() - 1].parse::<f64>().is_ok()
    })?;
    let time_s: f64 = toks[time_at][..toks[time_at].len() - 1].parse().ok()?;
    let cpu = cpu_at.and_then(|i| toks[i][1..toks[i].len() - 1].parse().ok());
    let pid = toks[..cpu_at.unwrap_or(time_at)]
        .iter()
        .rev()
        .find_map(|t| t.split('/').next().and_then(|p| p.parse::<u32>().ok()));
    let rest: Vec<&str> = toks[time_at + 1..]
        .iter()
        .copied()
        .filter(|t| !t.ends_with(':'))
        .collect();
    let nums: Vec<u64> = rest.iter().filter_map(|t| hex(t)).collect();
    if nums.len() < 3 {
        return None;
    }
    let data_src = nums[1];
    let phys = *nums.last()?;
    let (load, store, source, remote) = decode_data_src(data_src);
    Some(PerfSample {
        time_s,
        cpu,
        pid,
        phys,
        load,
        store,
        source,
        remote,
    })
}

fn field_after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let i = line.find(key)? + key.len();
    line[i..].split_whitespace().next()
}

fn dump_source(num: u64, text: &str) -> Option<DataSource> {
    let t = text.to_ascii_lowercase();
    if num == 0 {
        None
    } else if t.contains("dram") || t.contains("mem") {
        Some(DataSource::Dram)
    } else if t.contains("far") || t.contains("rem") || t.contains("peer") {
        Some(DataSource::RemoteCache)
    } else if t.contains("io") || t.contains("i/o") {
        Some(DataSource::Io)
    } else if t.contains("cache") || t.contains("ccx") {
        Some(DataSource::LocalCache)
    } else {
        match num {
            2 => Some(DataSource::LocalCache),
            3 => Some(DataSource::Dram),
            4 => Some(DataSource::RemoteCache),
            7 => Some(DataSource::Io),
            _ => Some(DataSource::Unknown),
        }
    }
}

/// Parses the raw dump (`perf report -D`) into samples.
pub fn parse_dump(text: &str) -> Vec<PerfSample> {
    let mut out = Vec::new();
    let mut cur: Option<(PerfSample, bool)> = None; // (sample, phys valid)
    let flush = |cur: &mut Option<(PerfSample, bool)>, out: &mut Vec<PerfSample>| {
        if let Some((mut s, valid)) = cur.take() {
            if !valid {
                s.phys = 0;
            }
            out.push(s);
        }
    };
    for line in text.lines() {
        if line.contains("PERF_RECORD_SAMPLE") {
            flush(&mut cur, &mut out);
            let head: Vec<&str> = line.split_whitespace().collect();
            // "cpu time 0xoff [0xsize]: PERF_RECORD_SAMPLE..." or "time 0xoff ...".
            let lead: Vec<u64> = head
                .iter()
                .take_while(|t| !t.starts_with("0x"))
                .filter_map(|t| t.parse().ok())
                .collect();
            let (cpu, time_ns) = match lead.as_slice() {
                [c, t, ..] => (Some(*c as u32), *t),
                [t] => (None, *t),
                [] => (None, 0),
            };
            let pid = line
                .split("): ")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .and_then(|p| p.trim().parse().ok());
            cur = Some((
                PerfSample {
                    time_s: time_ns as f64 / 1e9,
                    cpu,
                    pid,
                    ..PerfSample::default()
                },
                false,
            ));
            continue;
        }
        let Some((s, valid)) = cur.as_mut() else {
            continue;
        };
        let l = line.trim();
        if l.starts_with("ibs_op_data2:") {
            s.remote = field_after(l, "RmtNode ").is_some_and(|v| v == "1");
            if let Some(ds) = field_after(l, "DataSrc ") {
                let (num, txt) = ds.split_once('=').unwrap_or((ds, ""));
                let num = num
                    .strip_prefix("0x")
                    .map_or_else(|| num.parse().ok(), |h| u64::from_str_radix(h, 16).ok())
                    .unwrap_or(0);
                let txt = l.split_once('=').map_or(txt, |(_, t)| t);
                s.source = dump_source(num, txt);
            }
        } else if l.starts_with("ibs_op_data3:") {
            s.load = field_after(l, "LdOp ").is_some_and(|v| v == "1");
            s.store = field_after(l, "StOp ").is_some_and(|v| v == "1");
        }
        if l.contains("DcPhyAddrValid ") {
            *valid = field_after(l, "DcPhyAddrValid ").is_some_and(|v| v == "1");
        }
        if l.starts_with("IbsDCPhysAd:") {
            s.phys = field_after(l, "IbsDCPhysAd:").and_then(hex).unwrap_or(0);
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Parses `0-7:0,8-15:1` into a CPU → node map.
pub fn parse_cpu_nodes(spec: &str) -> Result<HashMap<u32, u8>, String> {
    let mut m = HashMap::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (cpus, node) = part
            .rsplit_once(':')
            .ok_or_else(|| format!("--cpu-nodes `{part}`: use CPUS:NODE"))?;
        let node: u8 = node
            .trim()
            .parse()
            .map_err(|_| format!("--cpu-nodes: bad node in `{part}`"))?;
        let (a, b) = match cpus.split_once('-') {
            Some((a, b)) => (a.trim().parse(), b.trim().parse()),
            None => (cpus.trim().parse(), cpus.trim().parse()),
        };
        let (a, b): (u32, u32) = (
            a.map_err(|_| format!("--cpu-nodes: bad CPU in `{part}`"))?,
            b.map_err(|_| format!("--cpu-nodes: bad CPU in `{part}`"))?,
        );
        for c in a..=b {
            m.insert(c, node);
        }
    }
    Ok(m)
}

/// Parses `lscpu -p=cpu,node`.
pub fn parse_lscpu(text: &str) -> HashMap<u32, u8> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(',');
            let cpu = f.next()?.trim().parse().ok()?;
            let node = f.next()?.trim().parse().ok()?;
            Some((cpu, node))
        })
        .collect()
}

/// Parses `0:0x0-0x47fffffff,...` into (node, start, end inclusive) ranges.
pub fn parse_node_ranges(spec: &str) -> Result<Vec<(u8, u64, u64)>, String> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || format!("--node-ranges `{part}`: use NODE:START-END (hex)");
        let (node, range) = part.split_once(':').ok_or_else(bad)?;
        let (a, b) = range.split_once('-').ok_or_else(bad)?;
        out.push((
            node.trim().parse().map_err(|_| bad())?,
            hex(a).ok_or_else(bad)?,
            hex(b).ok_or_else(bad)?,
        ));
    }
    Ok(out)
}

/// Node ranges from /proc/zoneinfo (start_pfn, spanned per zone).
pub fn parse_zoneinfo(text: &str) -> Vec<(u8, u64, u64)> {
    let mut out = Vec::new();
    let mut node: Option<u8> = None;
    let mut spanned: Option<u64> = None;
    for line in text.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("Node ") {
            node = rest.split(',').next().and_then(|n| n.trim().parse().ok());
            spanned = None;
        } else if let Some(v) = l.strip_prefix("spanned") {
            spanned = v.trim().parse().ok();
        } else if let Some(v) = l.strip_prefix("start_pfn:") {
            if let (Some(n), Some(sp), Ok(start)) = (node, spanned, v.trim().parse::<u64>()) {
                if sp > 0 {
                    out.push((n, start << 12, ((start + sp) << 12) - 1));
                }
            }
        }
    }
    out
}

/// Converts `text` (either input style) into a trace.
pub fn convert(text: &str, opts: &ConvertOptions) -> Result<Converted, String> {
    let ranges = match (&opts.node_ranges, &opts.zoneinfo) {
        (Some(s), _) => parse_node_ranges(s)?,
        (None, Some(p)) => {
            let z = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            parse_zoneinfo(&z)
        }
        (None, None) => Vec::new(),
    };
    let cpu_map = match (&opts.cpu_nodes, &opts.lscpu) {
        (Some(s), _) => parse_cpu_nodes(s)?,
        (None, Some(p)) => {
            parse_lscpu(&std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?)
        }
        (None, None) => HashMap::new(),
    };
    let nodes = opts.nodes.unwrap_or_else(|| {
        ranges
            .iter()
            .map(|r| usize::from(r.0) + 1)
            .chain(cpu_map.values().map(|&n| usize::from(n) + 1))
            .max()
            .unwrap_or(2)
    });
    let mut out = Converted::default();
    if cpu_map.is_empty() {
        return Err("no CPU-to-node map: give --cpu-nodes 0-7:0,8-15:1 or --lscpu FILE".into());
    }
    if ranges.is_empty() {
        if nodes != 2 {
            return Err("no physical range map (--node-ranges or --zoneinfo): only two-node hosts can do without".into());
        }
        out.warnings.push(
            "no physical range map: frame nodes inferred from the remote bit (two nodes)".into(),
        );
    }
    let samples = if text.contains("PERF_RECORD_SAMPLE") {
        parse_dump(text)
    } else {
        text.lines().filter_map(parse_script_line).collect()
    };
    if samples.is_empty() {
        out.warnings
            .push("no IBS samples recognised: see README.md for the expected perf commands".into());
    }
    let _ = writeln!(
        out.trace,
        "# carrefour-sim trace v1, converted from perf IBS op samples"
    );
    let _ = writeln!(out.trace, "#! nodes = {nodes}");
    if let Some(ms) = opts.epoch_ms {
        let _ = writeln!(out.trace, "#! epoch_ms = {ms}");
    }
    let _ = writeln!(
        out.trace,
        "# time_us domain address cpu_node frame_node kind source"
    );
    let t0 = samples.first().map_or(0.0, |s| s.time_s);
    let mut pids: HashMap<u32, u16> = HashMap::new();
    for s in samples {
        let kept_source = s.source.is_some() || opts.all_sources;
        if s.phys == 0 || !(s.load || s.store) || !kept_source {
            out.skipped += 1;
            continue;
        }
        let Some(cpu_node) = s.cpu.and_then(|c| cpu_map.get(&c).copied()) else {
            out.skipped += 1;
            continue;
        };
        let frame_node = if ranges.is_empty() {
            if s.remote {
                1 - cpu_node.min(1)
            } else {
                cpu_node
            }
        } else {
            match ranges.iter().find(|r| r.1 <= s.phys && s.phys <= r.2) {
                Some(r) => r.0,
                None => {
                    out.skipped += 1;
                    continue;
                }
            }
        };
        let domain = if opts.domain_by_pid {
            let next = pids.len() as u16 + 1;
            *pids.entry(s.pid.unwrap_or(0)).or_insert(next)
        } else {
            1
        };
        let _ = writeln!(
            out.trace,
            "{:.3} {domain} pa:{:#x} {cpu_node} {frame_node} {} {}",
            (s.time_s - t0) * 1e6,
            s.phys,
            if s.store { "S" } else { "L" },
            source_name(s.source.unwrap_or(DataSource::Unknown))
        );
        out.samples += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_src_bits_decode() {
        // Load, mem_lvl HIT|LOC_RAM, lvl_num RAM.
        let v = 0x02 | ((0x02 | 0x80) << 5) | (0x0d << 33);
        assert_eq!(
            decode_data_src(v),
            (true, false, Some(DataSource::Dram), false)
        );
        // Store, remote RAM (1 hop).
        let v = 0x04 | ((0x02 | 0x100) << 5) | (0x0d << 33) | (1 << 37);
        assert_eq!(
            decode_data_src(v),
            (false, true, Some(DataSource::Dram), true)
        );
        // L1 hit: no source.
        let v = 0x02 | ((0x02 | 0x08) << 5) | (0x01 << 33);
        assert_eq!(decode_data_src(v).2, None);
    }

    #[test]
    fn maps_parse() {
        let m = parse_cpu_nodes("0-1:0,2:1").unwrap();
        assert_eq!((m[&0], m[&1], m[&2]), (0, 0, 1));
        let r = parse_node_ranges("0:0x0-0xfff,1:0x1000-0x1fff").unwrap();
        assert_eq!(r, vec![(0, 0, 0xfff), (1, 0x1000, 0x1fff)]);
        let z = parse_zoneinfo("Node 0, zone   Normal\n  pages free 1\n        spanned  16\n  start_pfn:           256\n");
        assert_eq!(z, vec![(0, 0x100000, 0x10ffff)]);
    }
}

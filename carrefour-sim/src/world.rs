//! Where every page is: the frame node of each guest page, replicas, and
//! the counts the runtime model reads (pages of each set on each node).
//!
//! ```text
//!   domain ── gfn 0 ........................ gfn pages-1
//!              [ set A (2 MiB aligned) ][gap][ set B ] ...
//!   frame[d][gfn]  = node of the frame (u8)
//!   rep[d][gfn]    = REPLICATED bit | collapse count (linux-replication)
//!   on[set][node]  = pages of the set whose (master) frame is on node
//! ```

use crate::rng::Rng;
use crate::scenario::{Alloc, Scenario};

/// Flag of a replicated page in [`Placement::rep`].
pub const REPLICATED: u8 = 0x80;

/// linux-replication never replicates a page collapsed more than this.
pub const MAX_COLLAPSES: u8 = 5;

/// Marks a page that belongs to no set (alignment gap).
pub const NO_SET: u32 = u32::MAX;

/// Why a page could not be placed or moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveError {
    /// The target node is full.
    NoMemory,
    /// Already there.
    AlreadyThere,
    /// Not a page of any set.
    NotRam,
    /// The page may not be replicated again.
    Refused,
}

/// The placement of every page of every domain.
#[derive(Clone, Debug)]
pub struct Placement {
    nodes: usize,
    /// Frame node per page, per domain.
    pub frame: Vec<Vec<u8>>,
    /// Replication state per page, per domain (empty when unused).
    pub rep: Vec<Vec<u8>>,
    /// Set of each page, per domain.
    pub page_set: Vec<Vec<u32>>,
    /// `on[s * nodes + n]`: pages of set s on node n.
    pub on: Vec<u64>,
    /// `rep_on[s * nodes + n]`: replicated pages of set s whose master is on n.
    pub rep_on: Vec<u64>,
    /// Pages in use per node (replicas included).
    pub used: Vec<u64>,
    /// Capacity per node.
    pub capacity: Vec<u64>,
}

impl Placement {
    /// Every page placed where `want(set, index_in_set)` says, or on the
    /// nearest node with room.
    pub fn build(scn: &Scenario, mut want: impl FnMut(usize, usize) -> usize) -> Placement {
        let nodes = scn.machine.nodes;
        let mut p = Placement {
            nodes,
            frame: scn.domains.iter().map(|d| vec![0u8; d.pages]).collect(),
            rep: scn.domains.iter().map(|_| Vec::new()).collect(),
            page_set: scn.domains.iter().map(|d| vec![NO_SET; d.pages]).collect(),
            on: vec![0; scn.sets.len() * nodes],
            rep_on: vec![0; scn.sets.len() * nodes],
            used: vec![0; nodes],
            capacity: scn.machine.memory_pages.clone(),
        };
        for (si, s) in scn.sets.iter().enumerate() {
            for i in 0..s.pages {
                let mut node = want(si, i).min(nodes - 1);
                if p.used[node] >= p.capacity[node] {
                    // Spill to the nearest node with room, as an allocator would.
                    let mut order: Vec<usize> = (0..nodes).collect();
                    order.sort_by_key(|&k| scn.machine.distance[node * nodes + k]);
                    node = order
                        .into_iter()
                        .find(|&k| p.used[k] < p.capacity[k])
                        .unwrap_or(node);
                }
                let g = s.start + i;
                p.frame[s.domain][g] = node as u8;
                p.page_set[s.domain][g] = si as u32;
                p.on[si * nodes + node] += 1;
                p.used[node] += 1;
            }
        }
        p
    }

    /// Where Xen put the memory (the scenario's `alloc`).
    pub fn xen_default(scn: &Scenario) -> Placement {
        let nodes = scn.machine.nodes;
        Placement::build(scn, |si, i| {
            let s = &scn.sets[si];
            let owner = scn.vcpus[s.owner].node;
            let dnodes = &scn.domains[s.domain].nodes;
            match s.alloc {
                Alloc::Node(n) => n,
                Alloc::Interleave => (s.start + i) % nodes,
                Alloc::Owner => owner,
                Alloc::Wrong => (owner + 1) % nodes,
                Alloc::Striped(chunk) => dnodes[((s.start + i) / chunk) % dnodes.len()],
            }
        })
    }

    /// 4 KiB round-robin over all nodes.
    pub fn interleave(scn: &Scenario) -> Placement {
        let nodes = scn.machine.nodes;
        Placement::build(scn, |si, i| (scn.sets[si].start + i) % nodes)
    }

    /// Each set on its first toucher's node.
    pub fn first_touch(scn: &Scenario) -> Placement {
        Placement::build(scn, |si, _| scn.vcpus[scn.sets[si].owner].node)
    }

    /// Nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Free pages on `node`.
    pub fn free(&self, node: usize) -> u64 {
        self.capacity[node].saturating_sub(self.used[node])
    }

    /// Share of the machine's memory in use, permille.
    pub fn use_permille(&self) -> u64 {
        let cap: u64 = self.capacity.iter().sum();
        let used: u64 = self.used.iter().sum();
        (used * 1000).checked_div(cap).unwrap_or(0)
    }

    /// Turns replication bookkeeping on.
    pub fn enable_replication(&mut self) {
        for (d, f) in self.frame.iter().enumerate() {
            self.rep[d] = vec![0; f.len()];
        }
    }

    /// True when the page of domain `d` at `g` has replicas.
    #[inline]
    pub fn is_replicated(&self, d: usize, g: usize) -> bool {
        self.rep[d].get(g).is_some_and(|r| r & REPLICATED != 0)
    }

    /// Moves one page to `to`; a replicated page loses its replicas first.
    pub fn move_page(&mut self, d: usize, g: usize, to: usize) -> Result<(), MoveError> {
        let set = *self.page_set[d].get(g).ok_or(MoveError::NotRam)?;
        if set == NO_SET {
            return Err(MoveError::NotRam);
        }
        let from = self.frame[d][g] as usize;
        if from == to {
            return Err(MoveError::AlreadyThere);
        }
        if self.is_replicated(d, g) {
            self.collapse(d, g);
        }
        if self.free(to) == 0 {
            return Err(MoveError::NoMemory);
        }
        let s = set as usize;
        self.on[s * self.nodes + from] -= 1;
        self.on[s * self.nodes + to] += 1;
        self.used[from] -= 1;
        self.used[to] += 1;
        self.frame[d][g] = to as u8;
        Ok(())
    }

    /// Gives the page a copy on every node (linux-replication replicates
    /// on the nodes that fault on it; every node, for a page that all
    /// nodes read, which is what the engine proposes).
    pub fn replicate(&mut self, d: usize, g: usize) -> Result<u64, MoveError> {
        let set = *self.page_set[d].get(g).ok_or(MoveError::NotRam)?;
        if set == NO_SET || self.rep[d].is_empty() {
            return Err(MoveError::NotRam);
        }
        let r = self.rep[d][g];
        if r & REPLICATED != 0 {
            return Err(MoveError::AlreadyThere);
        }
        if r >= MAX_COLLAPSES {
            return Err(MoveError::Refused);
        }
        let master = self.frame[d][g] as usize;
        if (0..self.nodes).any(|n| n != master && self.free(n) == 0) {
            return Err(MoveError::NoMemory);
        }
        for n in 0..self.nodes {
            if n != master {
                self.used[n] += 1;
            }
        }
        self.rep[d][g] = r | REPLICATED;
        self.rep_on[set as usize * self.nodes + master] += 1;
        Ok(self.nodes as u64 - 1)
    }

    /// A write hit a replicated page: the replicas are dropped.
    pub fn collapse(&mut self, d: usize, g: usize) {
        let r = self.rep[d][g];
        if r & REPLICATED == 0 {
            return;
        }
        let set = self.page_set[d][g] as usize;
        let master = self.frame[d][g] as usize;
        for n in 0..self.nodes {
            if n != master {
                self.used[n] -= 1;
            }
        }
        self.rep_on[set * self.nodes + master] -= 1;
        self.rep[d][g] = ((r & !REPLICATED) + 1).min(MAX_COLLAPSES);
    }

    /// Collapses each replicated page of set `s` (pages `start..start+pages`
    /// of domain `d`) with probability `p`.  Returns the collapses.
    pub fn collapse_some(
        &mut self,
        d: usize,
        start: usize,
        pages: usize,
        p: f64,
        rng: &mut Rng,
    ) -> u64 {
        if self.rep[d].is_empty() || p <= 0.0 {
            return 0;
        }
        let t = crate::rng::threshold(p);
        let mut n = 0;
        for g in start..start + pages {
            if self.rep[d][g] & REPLICATED != 0 && rng.next_u64() < t {
                self.collapse(d, g);
                n += 1;
            }
        }
        n
    }

    /// Replicated pages of set `s`.
    pub fn replicated_in(&self, s: usize) -> u64 {
        self.rep_on[s * self.nodes..(s + 1) * self.nodes]
            .iter()
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scn() -> Scenario {
        Scenario::parse(
            "t",
            r#"
name = "t"
[machine]
nodes = 2
cpus_per_node = 2
memory_mib = 8
[[domain]]
name = "vm"
vcpus = 2
work_maccesses = 1
[[domain.set]]
name = "a"
size_mib = 4
alloc = "node:0"
"#,
        )
        .unwrap()
    }

    #[test]
    fn moves_keep_counts_and_respect_capacity() {
        let s = scn();
        let mut p = Placement::xen_default(&s);
        assert_eq!(p.on, vec![1024, 0]);
        p.move_page(0, 3, 1).unwrap();
        assert_eq!(p.on, vec![1023, 1]);
        assert_eq!(p.move_page(0, 3, 1), Err(MoveError::AlreadyThere));
        p.capacity[0] = p.used[0];
        assert_eq!(p.move_page(0, 3, 0), Err(MoveError::NoMemory));
        assert_eq!(p.move_page(0, 5000, 0), Err(MoveError::NotRam));
    }

    #[test]
    fn replicas_use_memory_and_collapse_on_writes() {
        let s = scn();
        let mut p = Placement::xen_default(&s);
        p.enable_replication();
        assert_eq!(p.replicate(0, 7), Ok(1));
        assert_eq!(p.used, vec![1024, 1]);
        assert!(p.is_replicated(0, 7));
        assert_eq!(p.replicate(0, 7), Err(MoveError::AlreadyThere));
        p.collapse(0, 7);
        assert_eq!(p.used, vec![1024, 0]);
        for _ in 0..MAX_COLLAPSES - 1 {
            p.replicate(0, 7).unwrap();
            p.collapse(0, 7);
        }
        assert_eq!(p.replicate(0, 7), Err(MoveError::Refused));
    }
}

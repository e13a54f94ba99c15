//! The per-domain page table of one epoch: for each sampled guest page,
//! how often each node touched it and how often it was written.
//!
//! Open addressing over a power-of-two slot array at most half full,
//! linear probing bounded by [`MAX_PROBE`]: a sample costs O(1) whatever
//! the input, and a sample that finds neither its page nor a free slot
//! within the bound is dropped and counted, as is one that finds the table
//! at capacity.  Carrefour's module kept its pages in a red-black tree,
//! O(log n) per sample; `make bench` compares the two.
//!
//! Entries are dense (slot -> entry index), so the decision walks only the
//! pages that were sampled, in the order they were first seen: the same
//! input always gives the same walk.

use alloc::vec::Vec;

use crate::types::{Gfn, NodeId};

/// Longest probe sequence.  At load factor 1/2 the expected probe length
/// of linear probing is 1.5 and the chance of 32 is negligible; the bound
/// only keeps adversarial gfns from costing more.
pub const MAX_PROBE: usize = 32;

/// Counts saturate here; a page seen 65,535 times in one epoch is hot
/// enough whatever the exact figure.
pub const COUNT_MAX: u16 = u16::MAX;

const EMPTY: u32 = u32::MAX;

/// Key bit of an extent entry: gfns are below 2^52, so an extent's key
/// never equals a page's.
pub const EXTENT_KEY: u64 = 1 << 63;

/// Why a sample was not recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// The table holds its capacity of pages already.
    Full,
    /// No free slot within [`MAX_PROBE`] probes.
    ProbeLimit,
}

/// One sampled page's record, read by the decision.
#[derive(Clone, Copy, Debug)]
pub struct PageView<'a> {
    /// The page.
    pub gfn: Gfn,
    /// The node its frame was on at the last sample.
    pub frame_node: NodeId,
    /// Samples per node (index = node).
    pub counts: &'a [u16],
    /// Samples that were stores.
    pub writes: u16,
    /// 0 for a 4 KiB page; 9 for a 2 MiB extent sampled as a whole (a
    /// fault on a superpage mapping), recorded apart from its pages.
    pub order: u8,
}

/// A page's samples at a glance: what the rules ask of them, in one pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSummary {
    /// Total samples.
    pub total: u32,
    /// Nodes that touched the page.
    pub touching: usize,
    /// The node with the most samples (lowest id on a tie), if any.
    pub hottest: Option<NodeId>,
}

impl PageView<'_> {
    /// [`PageView::total`], [`PageView::nr_nodes_touching`] and
    /// [`PageView::hottest_node`] in one pass over the counts.
    pub fn summary(&self) -> PageSummary {
        // Two nodes, the common NUMA machine: no loop.
        if let &[a, b] = self.counts {
            let hottest = if b > a {
                1
            } else if a > 0 {
                0
            } else {
                u32::MAX
            };
            return PageSummary {
                total: u32::from(a).saturating_add(u32::from(b)),
                touching: usize::from(a > 0).saturating_add(usize::from(b > 0)),
                hottest: NodeId::new(hottest),
            };
        }
        let (mut total, mut touching) = (0u32, 0usize);
        let (mut best, mut best_count) = (u32::MAX, 0u16);
        for (n, &c) in self.counts.iter().enumerate() {
            if c > 0 {
                total = total.saturating_add(u32::from(c));
                touching = touching.saturating_add(1);
                if c > best_count {
                    (best, best_count) = (n as u32, c);
                }
            }
        }
        PageSummary {
            total,
            touching,
            // `None` when nothing touched it (u32::MAX is no node).
            hottest: NodeId::new(best),
        }
    }

    /// Total samples of the page.
    pub fn total(&self) -> u32 {
        self.counts
            .iter()
            .map(|&c| u32::from(c))
            .fold(0, u32::saturating_add)
    }

    /// Number of nodes that touched the page.
    pub fn nr_nodes_touching(&self) -> usize {
        self.counts.iter().filter(|&&c| c > 0).count()
    }

    /// The node with the most samples (lowest id on a tie), if any.
    pub fn hottest_node(&self) -> Option<NodeId> {
        let mut best: Option<(usize, u16)> = None;
        for (n, &c) in self.counts.iter().enumerate() {
            if c > 0 && best.is_none_or(|(_, b)| c > b) {
                best = Some((n, c));
            }
        }
        best.and_then(|(n, _)| NodeId::new(n as u32))
    }
}

/// The table.
///
/// # Invariants
/// `slots.len()` is a power of two at least `2 * capacity`; every slot is
/// `EMPTY` or the index of a live entry (below `gfns.len()`);
/// `counts.len() == gfns.len() * nr_nodes`; `gfns.len() <= capacity`.
#[derive(Debug)]
pub struct PageTable {
    nr_nodes: usize,
    capacity: usize,
    slots: Vec<u32>,
    gfns: Vec<u64>,
    frame_nodes: Vec<u8>,
    writes: Vec<u16>,
    counts: Vec<u16>,
}

/// The table could not be allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoMemory;

impl PageTable {
    /// A table for `capacity` pages of a machine with `nr_nodes` nodes,
    /// allocated fallibly and in full now: recording never allocates.
    pub fn new(capacity: usize, nr_nodes: usize) -> Result<Self, NoMemory> {
        let nr_slots = capacity
            .saturating_mul(2)
            .max(2)
            .checked_next_power_of_two()
            .ok_or(NoMemory)?;
        if nr_slots > EMPTY as usize {
            return Err(NoMemory);
        }
        let mut t = PageTable {
            nr_nodes,
            capacity,
            slots: Vec::new(),
            gfns: Vec::new(),
            frame_nodes: Vec::new(),
            writes: Vec::new(),
            counts: Vec::new(),
        };
        t.slots.try_reserve_exact(nr_slots).map_err(|_| NoMemory)?;
        t.slots.resize(nr_slots, EMPTY);
        t.gfns.try_reserve_exact(capacity).map_err(|_| NoMemory)?;
        t.frame_nodes
            .try_reserve_exact(capacity)
            .map_err(|_| NoMemory)?;
        t.writes.try_reserve_exact(capacity).map_err(|_| NoMemory)?;
        t.counts
            .try_reserve_exact(capacity.saturating_mul(nr_nodes))
            .map_err(|_| NoMemory)?;
        Ok(t)
    }

    /// Bytes the table holds, for the statistics.
    pub fn footprint_bytes(&self) -> usize {
        self.slots
            .capacity()
            .saturating_mul(4)
            .saturating_add(self.gfns.capacity().saturating_mul(8))
            .saturating_add(self.frame_nodes.capacity())
            .saturating_add(self.writes.capacity().saturating_mul(2))
            .saturating_add(self.counts.capacity().saturating_mul(2))
    }

    /// Pages recorded this epoch.
    pub fn len(&self) -> usize {
        self.gfns.len()
    }

    /// No page recorded.
    pub fn is_empty(&self) -> bool {
        self.gfns.is_empty()
    }

    /// Capacity in pages.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn home_slot(&self, gfn: u64) -> usize {
        // Fibonacci hashing: the top bits of the product by 2^64/phi spread
        // runs of consecutive or strided gfns over the whole slot array.
        let bits = self.slots.len().trailing_zeros();
        let h = gfn.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h.checked_shr(64u32.saturating_sub(bits)).unwrap_or(0)) as usize
    }

    /// Records one access of `gfn` by `cpu_node`, the frame being on
    /// `frame_node`.  O(1): at most [`MAX_PROBE`] probes, no allocation.
    pub fn record(
        &mut self,
        gfn: Gfn,
        cpu_node: NodeId,
        frame_node: NodeId,
        is_write: bool,
    ) -> Result<(), RecordError> {
        let mask = self.slots.len().saturating_sub(1);
        let mut slot = self.home_slot(gfn.0);
        for _ in 0..MAX_PROBE {
            let idx = match self.slots.get(slot) {
                Some(&i) => i,
                None => return Err(RecordError::ProbeLimit),
            };
            if idx == EMPTY {
                if self.gfns.len() >= self.capacity {
                    return Err(RecordError::Full);
                }
                let new = self.gfns.len();
                self.gfns.push(gfn.0);
                self.frame_nodes.push(frame_node.get());
                self.writes.push(0);
                self.counts.extend(core::iter::repeat_n(0, self.nr_nodes));
                if let Some(s) = self.slots.get_mut(slot) {
                    *s = new as u32;
                }
                self.bump(new, cpu_node, frame_node, is_write);
                return Ok(());
            }
            if self.gfns.get(idx as usize) == Some(&gfn.0) {
                self.bump(idx as usize, cpu_node, frame_node, is_write);
                return Ok(());
            }
            slot = slot.wrapping_add(1) & mask;
        }
        Err(RecordError::ProbeLimit)
    }

    fn bump(&mut self, entry: usize, cpu_node: NodeId, frame_node: NodeId, is_write: bool) {
        if let Some(f) = self.frame_nodes.get_mut(entry) {
            *f = frame_node.get();
        }
        if is_write {
            if let Some(w) = self.writes.get_mut(entry) {
                *w = w.saturating_add(1);
            }
        }
        let cell = entry
            .saturating_mul(self.nr_nodes)
            .saturating_add(cpu_node.index());
        if let Some(c) = self.counts.get_mut(cell) {
            *c = c.saturating_add(1);
        }
    }

    /// The pages recorded this epoch, in the order they were first seen
    /// (the decision's walk: no index, no bounds check per page).
    pub fn pages(&self) -> impl Iterator<Item = PageView<'_>> {
        self.gfns
            .iter()
            .zip(self.frame_nodes.iter())
            .zip(self.writes.iter())
            .zip(self.counts.chunks_exact(self.nr_nodes.max(1)))
            .filter_map(|(((&key, &frame), &writes), counts)| {
                Some(PageView {
                    gfn: Gfn(key & !EXTENT_KEY),
                    frame_node: NodeId::new(u32::from(frame))?,
                    counts,
                    writes,
                    order: if key & EXTENT_KEY != 0 {
                        crate::types::EXTENT_ORDER
                    } else {
                        0
                    },
                })
            })
    }

    /// The `i`-th page recorded this epoch.
    pub fn page(&self, i: usize) -> Option<PageView<'_>> {
        let key = *self.gfns.get(i)?;
        let order = if key & EXTENT_KEY != 0 {
            crate::types::EXTENT_ORDER
        } else {
            0
        };
        let gfn = Gfn(key & !EXTENT_KEY);
        let frame_node = NodeId::new(u32::from(*self.frame_nodes.get(i)?))?;
        let start = i.checked_mul(self.nr_nodes)?;
        let counts = self.counts.get(start..start.checked_add(self.nr_nodes)?)?;
        let writes = *self.writes.get(i)?;
        Some(PageView {
            gfn,
            frame_node,
            counts,
            writes,
            order,
        })
    }

    /// Looks a page up (tests and the checker).
    pub fn find(&self, gfn: Gfn) -> Option<PageView<'_>> {
        let mask = self.slots.len().saturating_sub(1);
        let mut slot = self.home_slot(gfn.0);
        for _ in 0..MAX_PROBE {
            let idx = *self.slots.get(slot)?;
            if idx == EMPTY {
                return None;
            }
            if self.gfns.get(idx as usize) == Some(&gfn.0) {
                return self.page(idx as usize);
            }
            slot = slot.wrapping_add(1) & mask;
        }
        None
    }

    /// Empties the table for the next epoch, keeping its memory.
    pub fn clear(&mut self) {
        self.slots.fill(EMPTY);
        self.gfns.clear();
        self.frame_nodes.clear();
        self.writes.clear();
        self.counts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u32) -> NodeId {
        NodeId::new(i).unwrap()
    }

    #[test]
    fn repeated_samples_accumulate_per_node_and_writes() {
        let mut t = PageTable::new(8, 2).unwrap();
        t.record(Gfn(7), n(0), n(1), false).unwrap();
        t.record(Gfn(7), n(1), n(1), true).unwrap();
        t.record(Gfn(7), n(1), n(1), false).unwrap();
        let p = t.find(Gfn(7)).unwrap();
        assert_eq!(p.counts, &[1, 2]);
        assert_eq!(p.writes, 1);
        assert_eq!(p.total(), 3);
        assert_eq!(p.nr_nodes_touching(), 2);
        assert_eq!(p.hottest_node(), Some(n(1)));
        for counts in [
            &[1u16, 2][..],
            &[2, 2],
            &[0, 0],
            &[3, 0],
            &[0, 1, 4],
            &[5, 0, 5],
        ] {
            let v = PageView { counts, ..p };
            let sum = v.summary();
            assert_eq!(
                (sum.total, sum.touching, sum.hottest),
                (v.total(), v.nr_nodes_touching(), v.hottest_node()),
                "{counts:?}"
            );
        }
        assert_eq!(t.len(), 1);
        let walked: alloc::vec::Vec<_> = t.pages().map(|p| (p.gfn, p.total())).collect();
        assert_eq!(walked, [(Gfn(7), 3)]);
    }

    #[test]
    fn full_table_drops_new_pages_but_counts_known_ones() {
        let mut t = PageTable::new(2, 2).unwrap();
        t.record(Gfn(1), n(0), n(0), false).unwrap();
        t.record(Gfn(2), n(0), n(0), false).unwrap();
        assert_eq!(t.record(Gfn(3), n(0), n(0), false), Err(RecordError::Full));
        assert!(t.record(Gfn(1), n(1), n(0), false).is_ok());
        assert!(t.find(Gfn(3)).is_none());
    }

    #[test]
    fn clear_forgets_pages_and_keeps_memory() {
        let mut t = PageTable::new(4, 2).unwrap();
        let bytes = t.footprint_bytes();
        t.record(Gfn(1), n(0), n(0), false).unwrap();
        t.clear();
        assert!(t.is_empty());
        assert!(t.find(Gfn(1)).is_none());
        assert_eq!(t.footprint_bytes(), bytes);
    }

    #[test]
    fn counts_saturate_instead_of_wrapping() {
        let mut t = PageTable::new(1, 1).unwrap();
        for _ in 0..70_000 {
            t.record(Gfn(9), n(0), n(0), true).unwrap();
        }
        let p = t.find(Gfn(9)).unwrap();
        assert_eq!(p.counts, &[COUNT_MAX]);
        assert_eq!(p.writes, COUNT_MAX);
    }

    #[test]
    fn many_consecutive_and_strided_gfns_all_fit_at_capacity() {
        let mut t = PageTable::new(30_000, 2).unwrap();
        for i in 0..15_000u64 {
            t.record(Gfn(i), n(0), n(0), false).unwrap();
            t.record(Gfn(1 << 30 | i << 9), n(1), n(0), false).unwrap();
        }
        assert_eq!(t.len(), 30_000);
    }
}

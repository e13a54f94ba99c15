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
//! A slot holds its page's key and the index of its entry, so a probe
//! compares in the slot itself; an entry's frame node, stores and per-node
//! counts are one run of 16-bit cells, so a sample writes one place.
//! Entries are dense, so the decision walks only the pages that were
//! sampled, in the order they were first seen: the same input always gives
//! the same walk.  Starting an epoch costs no wipe: slots carry a
//! generation.

use alloc::vec::Vec;

use crate::types::{Gfn, NodeId, MAX_GFN};

/// Longest probe sequence.  At load factor 1/2 the expected probe length
/// of linear probing is 1.5 and the chance of 32 is negligible; the bound
/// only keeps adversarial gfns from costing more.
pub const MAX_PROBE: usize = 32;

/// Counts saturate here; a page seen 65,535 times in one epoch is hot
/// enough whatever the exact figure.
pub const COUNT_MAX: u16 = u16::MAX;

/// Key bit of an extent entry: gfns are at most [`MAX_GFN`], so an
/// extent's key never equals a page's.
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
/// `slots.len()` is a power of two at least `2 * capacity`, `mask` one
/// less and `shift` 64 minus its log2.  A slot whose generation (top
/// [`GENERATION_BITS`] bits) is not `generation` is free; a live one holds
/// its entry's [`slot_key`] and index (below `gfns.len()`), so that a probe
/// compares in the slot and touches no other array.  An entry's cells are
/// `cells[i * stride..(i + 1) * stride]`: frame node, stores, then one
/// count per node, so that a sample writes one small run of memory.
/// `cells.len() == gfns.len() * stride`; `gfns.len() <= capacity <=
/// 2^INDEX_BITS`.
#[derive(Debug)]
pub struct PageTable {
    stride: usize,
    capacity: usize,
    mask: usize,
    shift: u32,
    generation: u64,
    slots: Vec<u64>,
    gfns: Vec<u64>,
    cells: Vec<u16>,
}

/// Bits of an entry index in a slot (tables hold at most 2^20 pages).
const INDEX_BITS: u32 = 20;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;

/// Bits of the generation at the top of a slot: the slots are wiped once
/// every `2^GENERATION_BITS - 1` epochs instead of every epoch.
const GENERATION_BITS: u32 = 3;
const GENERATION_SHIFT: u32 = 64 - GENERATION_BITS;
const MAX_GENERATION: u64 = (1 << GENERATION_BITS) - 1;

/// Cells of an entry before its counts: frame node, stores.
const HEAD_CELLS: usize = 2;

/// The key of `gfn` (with [`EXTENT_KEY`] for an extent entry) in a slot:
/// 41 bits, or `None` for a gfn above [`MAX_GFN`].
fn slot_key(key: u64) -> Option<u64> {
    let gfn = key & !EXTENT_KEY;
    if gfn > MAX_GFN {
        return None;
    }
    Some(gfn << 1 | u64::from(key & EXTENT_KEY != 0))
}

/// The table could not be allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoMemory;

impl PageTable {
    /// A table for `capacity` pages of a machine with `nr_nodes` nodes,
    /// allocated fallibly and in full now: recording never allocates.
    pub fn new(capacity: usize, nr_nodes: usize) -> Result<Self, NoMemory> {
        if capacity > 1 << INDEX_BITS {
            return Err(NoMemory);
        }
        let nr_slots = capacity
            .saturating_mul(2)
            .max(2)
            .checked_next_power_of_two()
            .ok_or(NoMemory)?;
        let stride = nr_nodes.checked_add(HEAD_CELLS).ok_or(NoMemory)?;
        let mut t = PageTable {
            stride,
            capacity,
            mask: nr_slots.saturating_sub(1),
            shift: 64u32.saturating_sub(nr_slots.trailing_zeros()),
            generation: 1,
            slots: Vec::new(),
            gfns: Vec::new(),
            cells: Vec::new(),
        };
        t.slots.try_reserve_exact(nr_slots).map_err(|_| NoMemory)?;
        t.slots.resize(nr_slots, 0);
        t.gfns.try_reserve_exact(capacity).map_err(|_| NoMemory)?;
        t.cells
            .try_reserve_exact(capacity.checked_mul(stride).ok_or(NoMemory)?)
            .map_err(|_| NoMemory)?;
        Ok(t)
    }

    /// Bytes the table holds, for the statistics.
    pub fn footprint_bytes(&self) -> usize {
        self.slots
            .capacity()
            .saturating_mul(8)
            .saturating_add(self.gfns.capacity().saturating_mul(8))
            .saturating_add(self.cells.capacity().saturating_mul(2))
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

    fn home_slot(&self, key: u64) -> usize {
        // Fibonacci hashing: the top bits of the product by 2^64/phi spread
        // runs of consecutive or strided gfns over the whole slot array.
        // `shift` is below 64 (at least two slots): no shift overflows.
        let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h.wrapping_shr(self.shift) as usize) & self.mask
    }

    /// Records one access of `gfn` by `cpu_node`, the frame being on
    /// `frame_node`.  O(1): at most [`MAX_PROBE`] probes, no allocation.
    /// A gfn above [`MAX_GFN`] finds no slot ([`RecordError::ProbeLimit`]).
    pub fn record(
        &mut self,
        gfn: Gfn,
        cpu_node: NodeId,
        frame_node: NodeId,
        is_write: bool,
    ) -> Result<(), RecordError> {
        let live = slot_key(gfn.0).ok_or(RecordError::ProbeLimit)? << INDEX_BITS
            | self.generation << GENERATION_SHIFT;
        let mut slot = self.home_slot(gfn.0);
        for _ in 0..MAX_PROBE {
            let s = *self.slots.get(slot).ok_or(RecordError::ProbeLimit)?;
            if s & !INDEX_MASK == live {
                self.bump((s & INDEX_MASK) as usize, cpu_node, frame_node, is_write);
                return Ok(());
            }
            if s >> GENERATION_SHIFT != self.generation {
                let new = self.gfns.len();
                if new >= self.capacity {
                    return Err(RecordError::Full);
                }
                self.gfns.push(gfn.0);
                self.cells.extend(core::iter::repeat_n(0, self.stride));
                if let Some(s) = self.slots.get_mut(slot) {
                    *s = live | new as u64;
                }
                self.bump(new, cpu_node, frame_node, is_write);
                return Ok(());
            }
            slot = slot.wrapping_add(1) & self.mask;
        }
        Err(RecordError::ProbeLimit)
    }

    fn bump(&mut self, entry: usize, cpu_node: NodeId, frame_node: NodeId, is_write: bool) {
        // Indices below `cells.len() <= 2^20 * stride`: no overflow.
        let base = entry.wrapping_mul(self.stride);
        if let Some(f) = self.cells.get_mut(base) {
            *f = u16::from(frame_node.get());
        }
        if is_write {
            if let Some(w) = self.cells.get_mut(base.wrapping_add(1)) {
                *w = w.saturating_add(1);
            }
        }
        let cpu = cpu_node.index();
        if cpu < self.stride.wrapping_sub(HEAD_CELLS) {
            let cell = base.wrapping_add(HEAD_CELLS).wrapping_add(cpu);
            if let Some(c) = self.cells.get_mut(cell) {
                *c = c.saturating_add(1);
            }
        }
    }

    /// The view of entry `key` with cells `cells`.
    fn view<'a>(key: u64, cells: &'a [u16]) -> Option<PageView<'a>> {
        let [frame, writes, counts @ ..] = cells else {
            return None;
        };
        Some(PageView {
            gfn: Gfn(key & !EXTENT_KEY),
            frame_node: NodeId::new(u32::from(*frame))?,
            counts,
            writes: *writes,
            order: if key & EXTENT_KEY != 0 {
                crate::types::EXTENT_ORDER
            } else {
                0
            },
        })
    }

    /// The pages recorded this epoch, in the order they were first seen
    /// (the decision's walk: no index, no bounds check per page).
    pub fn pages(&self) -> impl Iterator<Item = PageView<'_>> {
        self.gfns
            .iter()
            .zip(self.cells.chunks_exact(self.stride.max(1)))
            .filter_map(|(&key, cells)| Self::view(key, cells))
    }

    /// The `i`-th page recorded this epoch.
    pub fn page(&self, i: usize) -> Option<PageView<'_>> {
        let key = *self.gfns.get(i)?;
        let start = i.checked_mul(self.stride)?;
        Self::view(key, self.cells.get(start..start.checked_add(self.stride)?)?)
    }

    /// Looks a page up (tests and the checker).
    pub fn find(&self, gfn: Gfn) -> Option<PageView<'_>> {
        let live = slot_key(gfn.0)? << INDEX_BITS | self.generation << GENERATION_SHIFT;
        let mut slot = self.home_slot(gfn.0);
        for _ in 0..MAX_PROBE {
            let s = *self.slots.get(slot)?;
            if s & !INDEX_MASK == live {
                return self.page((s & INDEX_MASK) as usize);
            }
            if s >> GENERATION_SHIFT != self.generation {
                return None;
            }
            slot = slot.wrapping_add(1) & self.mask;
        }
        None
    }

    /// Empties the table for the next epoch, keeping its memory: a new
    /// generation of slots (wiped when the generations run out).
    pub fn clear(&mut self) {
        self.gfns.clear();
        self.cells.clear();
        if self.generation >= MAX_GENERATION {
            self.slots.fill(0);
            self.generation = 1;
        } else {
            self.generation = self.generation.saturating_add(1);
        }
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
    fn epochs_forget_their_pages_across_generations() {
        let mut t = PageTable::new(4, 2).unwrap();
        for epoch in 0..20u64 {
            assert!(t.find(Gfn(epoch)).is_none(), "epoch {epoch}");
            if epoch > 0 {
                assert!(t.find(Gfn(epoch - 1)).is_none());
            }
            t.record(Gfn(epoch), n(0), n(1), epoch % 2 == 0).unwrap();
            t.record(Gfn(epoch), n(1), n(1), false).unwrap();
            let p = t.find(Gfn(epoch)).unwrap();
            assert_eq!(
                (p.counts, p.writes, t.len()),
                (&[1, 1][..], u16::from(epoch % 2 == 0), 1)
            );
            t.clear();
        }
    }

    #[test]
    fn extent_keys_are_apart_and_impossible_gfns_are_refused() {
        let mut t = PageTable::new(8, 2).unwrap();
        t.record(Gfn(512), n(0), n(0), false).unwrap();
        t.record(Gfn(512 | EXTENT_KEY), n(1), n(0), false).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.find(Gfn(512)).unwrap().order, 0);
        let e = t.find(Gfn(512 | EXTENT_KEY)).unwrap();
        assert_eq!((e.gfn, e.order, e.counts), (Gfn(512), 9, &[0, 1][..]));
        assert_eq!(
            t.record(Gfn(MAX_GFN + 1), n(0), n(0), false),
            Err(RecordError::ProbeLimit)
        );
        t.record(Gfn(MAX_GFN), n(0), n(0), false).unwrap();
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

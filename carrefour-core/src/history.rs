//! What the engine remembers about a page across epochs: when it last
//! moved and from where, whether it bounced, and whether Xen skipped it.
//!
//! Carrefour rebuilt its table every round and remembered nothing; this is
//! what lets the engine add a cooldown, ping-pong detection and "a skipped
//! page is not retried every epoch".  A bounded open-addressed table keyed
//! by the action's first gfn and order; when no slot is free within the
//! probe bound, a record that no longer holds anything back is replaced
//! first, else the one whose last event is oldest (a page forgotten this
//! way can only move again sooner, never wrongly).
//!
//! Pages and extents meet in the extent's record: a page that moves on its
//! own holds its extent back ([`PageRecord::extent_quiet_until`]), and an
//! extent that moves holds its pages back ([`PageRecord::pages_quiet_until`]),
//! so that a cooldown or a freeze cannot be dodged by changing order.

use alloc::vec::Vec;

use crate::types::{Gfn, NodeId};

/// Probe bound, as for the page table.
pub const MAX_PROBE: usize = 16;

/// What is remembered of one page or extent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageRecord {
    key: u64,
    /// Epoch of the last completed move (0: never).
    pub moved_epoch: u32,
    /// Node the page left at its last move.
    pub moved_from: u8,
    /// Node the page went to at its last move.
    pub moved_to: u8,
    /// No move before this epoch (cooldown, freeze or skip).
    pub quiet_until: u32,
    /// The page is frozen (bounced) until `quiet_until`.
    pub frozen: bool,
    /// Extent records: none of the extent's pages moves on its own before
    /// this epoch (the extent moved as a whole).
    pub pages_quiet_until: u32,
    /// Extent records: the extent does not move as a whole before this
    /// epoch (one of its pages moved or froze on its own).
    pub extent_quiet_until: u32,
    /// Epoch of the last change of this record, for eviction.
    last_event: u32,
}

/// The history.
///
/// # Invariants
/// `records.len()` is a power of two; key 0 marks a free slot (real keys
/// have bit 0 set, see [`key`]).
#[derive(Debug)]
pub struct History {
    records: Vec<PageRecord>,
}

/// The history could not be allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoMemory;

/// The key of a page (`order` 0) or extent (`order` 9): never zero.
/// Gfns that differ only in their top five bits share a key (no guest
/// has such frames; sharing only makes the engine more cautious, since
/// quiet times are only ever extended).
pub fn key(gfn: Gfn, order: u8) -> u64 {
    (gfn.0 << 5) | (u64::from(order & 0xf) << 1) | 1
}

impl PageRecord {
    /// True when moving to `to` at `epoch` would send the page back where
    /// its last move took it from, within `window` epochs of that move.
    pub fn bounces(&self, to: NodeId, epoch: u32, window: u32) -> bool {
        self.moved_epoch != 0
            && self.moved_from == to.get()
            && epoch.saturating_sub(self.moved_epoch) <= window
    }

    /// True when the record holds nothing back at `epoch`: replacing it
    /// loses only bounce memory.
    fn is_spent(&self, epoch: u32) -> bool {
        epoch >= self.quiet_until
            && epoch >= self.pages_quiet_until
            && epoch >= self.extent_quiet_until
    }
}

impl History {
    /// A history of at least `capacity` records, allocated now.
    pub fn new(capacity: usize) -> Result<Self, NoMemory> {
        let n = capacity
            .max(MAX_PROBE)
            .checked_next_power_of_two()
            .ok_or(NoMemory)?;
        let mut records = Vec::new();
        records.try_reserve_exact(n).map_err(|_| NoMemory)?;
        records.resize(n, PageRecord::default());
        Ok(History { records })
    }

    fn home(&self, k: u64) -> usize {
        let bits = self.records.len().trailing_zeros();
        let h = k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h.checked_shr(64u32.saturating_sub(bits)).unwrap_or(0)) as usize
    }

    /// The record of `k`, if remembered.
    pub fn get(&self, k: u64) -> Option<&PageRecord> {
        let mask = self.records.len().saturating_sub(1);
        let mut slot = self.home(k);
        for _ in 0..MAX_PROBE {
            let r = self.records.get(slot)?;
            if r.key == k {
                return Some(r);
            }
            if r.key == 0 {
                return None;
            }
            slot = slot.wrapping_add(1) & mask;
        }
        None
    }

    /// The slot for `k`: its own, a free one, or the victim to replace
    /// (spent records first, then the stalest).
    fn slot_for(&self, k: u64, epoch: u32) -> Option<usize> {
        let mask = self.records.len().saturating_sub(1);
        let mut slot = self.home(k);
        let mut victim = slot;
        let mut victim_rank = (true, u32::MAX);
        for _ in 0..MAX_PROBE {
            let r = self.records.get(slot)?;
            if r.key == k || r.key == 0 {
                return Some(slot);
            }
            let rank = (!r.is_spent(epoch), r.last_event);
            if rank < victim_rank {
                victim_rank = rank;
                victim = slot;
            }
            slot = slot.wrapping_add(1) & mask;
        }
        Some(victim)
    }

    /// The record of `k`, created (replacing a spent or the stalest
    /// record) when missing.
    pub fn entry(&mut self, k: u64, epoch: u32) -> Option<&mut PageRecord> {
        let slot = self.slot_for(k, epoch)?;
        let r = self.records.get_mut(slot)?;
        if r.key != k {
            *r = PageRecord {
                key: k,
                ..PageRecord::default()
            };
        }
        r.last_event = epoch;
        Some(r)
    }

    /// True when `k` may not move at `epoch` (cooldown, freeze, skip).
    pub fn is_quiet(&self, k: u64, epoch: u32) -> bool {
        self.get(k).is_some_and(|r| epoch < r.quiet_until)
    }

    /// True when `k` is frozen after a bounce at `epoch`.
    pub fn is_frozen(&self, k: u64, epoch: u32) -> bool {
        self.get(k)
            .is_some_and(|r| r.frozen && epoch < r.quiet_until)
    }

    /// True when moving `k` to `to` at `epoch` would send it back where it
    /// came from within `window` epochs of its last move.
    pub fn would_bounce(&self, k: u64, to: NodeId, epoch: u32, window: u32) -> bool {
        self.get(k).is_some_and(|r| r.bounces(to, epoch, window))
    }

    /// Copies every record of `other` into `self` (a resized history
    /// keeps what the old one knew, as far as it has room).
    pub fn absorb(&mut self, other: &History, epoch: u32) {
        for r in other.records.iter().filter(|r| r.key != 0) {
            if let Some(slot) = self.slot_for(r.key, epoch) {
                if let Some(dst) = self.records.get_mut(slot) {
                    *dst = *r;
                }
            }
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.records.fill(PageRecord::default());
    }

    /// Records whose page is frozen at `epoch` (statistics; O(capacity)).
    pub fn frozen_count(&self, epoch: u32) -> u64 {
        self.records
            .iter()
            .filter(|r| r.key != 0 && r.frozen && epoch < r.quiet_until)
            .count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_finds_records() {
        let mut h = History::new(64).unwrap();
        let k = key(Gfn(42), 0);
        h.entry(k, 3).unwrap().quiet_until = 5;
        assert!(h.is_quiet(k, 4));
        assert!(!h.is_quiet(k, 5));
        assert!(!h.is_quiet(key(Gfn(42), 9), 4));
    }

    #[test]
    fn bounce_is_a_return_to_the_previous_node_within_the_window() {
        let mut h = History::new(64).unwrap();
        let k = key(Gfn(1), 0);
        let r = h.entry(k, 10).unwrap();
        r.moved_epoch = 10;
        r.moved_from = 0;
        r.moved_to = 1;
        let (n0, n1) = (NodeId::new(0).unwrap(), NodeId::new(1).unwrap());
        assert!(h.would_bounce(k, n0, 12, 8));
        assert!(!h.would_bounce(k, n1, 12, 8));
        assert!(!h.would_bounce(k, n0, 19, 8));
    }

    #[test]
    fn full_probe_window_evicts_the_stalest_record() {
        let mut h = History::new(16).unwrap();
        for i in 0..200u64 {
            assert!(h.entry(key(Gfn(i), 0), i as u32).is_some());
        }
        // The newest record is always there.
        assert!(h.get(key(Gfn(199), 0)).is_some());
    }

    #[test]
    fn a_full_window_replaces_a_spent_record_before_a_cooling_one() {
        // Regression: the stalest record was replaced even when it still
        // held a page back and a spent one sat beside it.
        let mut h = History::new(16).unwrap();
        for i in 0..16u64 {
            let r = h.entry(key(Gfn(i), 0), 1).unwrap();
            // Page 0: oldest event, cooling down until epoch 100.
            r.quiet_until = if i == 0 { 100 } else { 5 };
        }
        h.entry(key(Gfn(0), 0), 0).unwrap();
        for i in 1..16u64 {
            h.entry(key(Gfn(i), 0), 2).unwrap();
        }
        h.entry(key(Gfn(99), 0), 10).unwrap();
        assert!(
            h.is_quiet(key(Gfn(0), 0), 10),
            "the cooling page was forgotten"
        );
        assert!(h.get(key(Gfn(99), 0)).is_some());
    }

    #[test]
    fn absorb_keeps_every_record_that_fits() {
        let mut small = History::new(16).unwrap();
        for i in 0..10u64 {
            small.entry(key(Gfn(i), 0), 3).unwrap().quiet_until = 7;
        }
        let mut big = History::new(1024).unwrap();
        big.absorb(&small, 3);
        for i in 0..10u64 {
            assert!(big.is_quiet(key(Gfn(i), 0), 6));
        }
    }
}

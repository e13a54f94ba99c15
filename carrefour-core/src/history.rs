//! What the engine remembers about a page across epochs: when it last
//! moved and from where, whether it bounced, and whether Xen skipped it.
//!
//! Carrefour rebuilt its table every round and remembered nothing; this is
//! what lets the engine add a cooldown, ping-pong detection and "a skipped
//! page is not retried every epoch".  A bounded open-addressed table keyed
//! by the action's first gfn and order; when no slot is free within the
//! probe bound, the record that holds anything back for the shortest time
//! is replaced (one that holds nothing back any more first; a page
//! forgotten this way can only move again sooner, never wrongly).
//!
//! Pages and extents meet in the extent's record: a page that moves on its
//! own holds its extent back ([`PageRecord::extent_quiet_until`]), and an
//! extent that moves holds its pages back ([`PageRecord::pages_quiet_until`]),
//! so that a cooldown or a freeze cannot be dodged by changing order.  The
//! extent's record also says until when any of its pages' records matters
//! ([`PageRecord::pages_until`]), so that the decision looks a page up
//! only when its extent says it may be remembered (one lookup per page
//! where there were two; see [`History::pages_announced`]).

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
    /// Extent records: before this epoch, a record of one of the extent's
    /// pages may hold it back (cooldown, freeze, skip) or remember a move
    /// it could bounce back from; from it on, none does.
    pub pages_until: u32,
}

/// The history.
///
/// # Invariants
/// `records.len()` is a power of two, at least [`MAX_PROBE`], `mask` one
/// less and `shift` 64 minus its log2; key 0 marks a free slot (real keys
/// have bit 0 set, see [`key`]).  `tags.len() == records.len() +
/// MAX_PROBE`; a slot's tag is 0 when its record is free, else [`tag`] of
/// its key, and the last [`MAX_PROBE`] tags repeat the first ones, so
/// that every probe window is one contiguous run of tags: a lookup reads
/// the 16 one-byte tags of its window at once (where the records of 16
/// probes are eight cache lines) and a record only when its tag matches.
#[derive(Debug)]
pub struct History {
    records: Vec<PageRecord>,
    tags: Vec<u8>,
    mask: usize,
    shift: u32,
    /// Before this epoch an extent record whose `pages_until` still
    /// mattered was replaced: extent records do not announce every page
    /// record that matters (see [`History::pages_announced`]).
    unannounced_until: u32,
    /// One bit per hash bucket of extents (8 per record): set for the
    /// extent of every record written since the last rebuild, so a clear
    /// bit means no record of that extent or its pages (see
    /// [`History::may_remember_extent`]).
    extent_bits: Vec<u64>,
    /// Bits set in `extent_bits`.
    extent_bits_set: usize,
    /// 64 minus log2 of the bits.
    bits_shift: u32,
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

/// The multiplicative hash of a key: its top bits pick the home slot,
/// bits 24..32 the tag.
fn hash(k: u64) -> u64 {
    k.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A byte of ones in each lane of a word of tags.
const LANE_ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte lane whose byte is zero (and perhaps of
/// lanes above a zero one).
fn flag_lanes(w: u64) -> u64 {
    w.wrapping_sub(LANE_ONES) & !w & (LANE_ONES << 7)
}

/// The tag of a key (never 0, which marks a free slot).
fn tag(h: u64) -> u8 {
    ((h >> 24) as u8).max(1)
}

impl PageRecord {
    /// True when moving to `to` at `epoch` would send the page back where
    /// its last move took it from, within `window` epochs of that move.
    pub fn bounces(&self, to: NodeId, epoch: u32, window: u32) -> bool {
        self.moved_epoch != 0
            && self.moved_from == to.get()
            && epoch.saturating_sub(self.moved_epoch) <= window
    }

    /// The epoch from which the record holds nothing back and remembers
    /// no move a page could bounce back from.
    pub fn horizon(&self) -> u32 {
        let bounce = if self.moved_epoch == 0 {
            0
        } else {
            self.moved_epoch
                .saturating_add(crate::engine::BOUNCE_WINDOW_EPOCHS)
                .saturating_add(1)
        };
        self.quiet_until
            .max(self.pages_quiet_until)
            .max(self.extent_quiet_until)
            .max(self.pages_until)
            .max(bounce)
    }

    /// True for the record of an extent (order 9).
    fn is_extent(&self) -> bool {
        (self.key >> 1) & 0xf == u64::from(crate::types::EXTENT_ORDER)
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
        let nr_tags = n.checked_add(MAX_PROBE).ok_or(NoMemory)?;
        let mut tags = Vec::new();
        tags.try_reserve_exact(nr_tags).map_err(|_| NoMemory)?;
        tags.resize(nr_tags, 0);
        // Eight bits per record, in words.
        let words = (n / 8).max(1);
        let mut extent_bits = Vec::new();
        extent_bits.try_reserve_exact(words).map_err(|_| NoMemory)?;
        extent_bits.resize(words, 0);
        Ok(History {
            records,
            tags,
            mask: n.saturating_sub(1),
            shift: 64u32.saturating_sub(n.trailing_zeros()),
            unannounced_until: 0,
            extent_bits,
            extent_bits_set: 0,
            bits_shift: 64u32.saturating_sub(words.saturating_mul(64).trailing_zeros()),
        })
    }

    /// The bit of the extent holding `gfn` in `extent_bits`: (word, mask).
    fn extent_bit(&self, gfn: Gfn) -> (usize, u64) {
        let ext = gfn.0 >> crate::types::EXTENT_ORDER;
        // `bits_shift` is below 64 (at least one word of bits).
        let b = ext
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_shr(self.bits_shift) as usize;
        (b >> 6, 1u64 << (b & 63))
    }

    /// False when no record of the extent holding `gfn`, or of any of its
    /// pages, has been written since the last rebuild of the bits, so the
    /// history holds none: the decision skips both lookups (one bit test
    /// in a table of a byte per record).  True may be a false alarm.
    pub fn may_remember_extent(&self, gfn: Gfn) -> bool {
        // Through the key, as the records are noted (aliases included).
        let (w, m) = self.extent_bit(Gfn(key(gfn, 0) >> 5));
        self.extent_bits.get(w).is_none_or(|&x| x & m != 0)
    }

    fn note_extent(&mut self, key: u64) {
        let (w, m) = self.extent_bit(Gfn(key >> 5));
        if let Some(x) = self.extent_bits.get_mut(w) {
            if *x & m == 0 {
                *x |= m;
                self.extent_bits_set = self.extent_bits_set.saturating_add(1);
            }
        }
    }

    /// Rebuilds the extent bits from the records present when more than a
    /// quarter are set (replaced records leave their bits behind): O(records),
    /// about once every few epochs of heavy churn.  The engine calls it at
    /// the start of a decision.
    pub fn tidy(&mut self) {
        let bits = self.extent_bits.len().saturating_mul(64);
        if self.extent_bits_set.saturating_mul(4) <= bits {
            return;
        }
        self.extent_bits.fill(0);
        self.extent_bits_set = 0;
        for i in 0..self.records.len() {
            if let Some(k) = self.records.get(i).map(|r| r.key).filter(|&k| k != 0) {
                self.note_extent(k);
            }
        }
    }

    /// True when, at `epoch`, every page record that may hold its page
    /// back or remember a move it could bounce back from is announced by
    /// its extent's record ([`PageRecord::pages_until`]): a page whose
    /// extent has no record, or one whose `pages_until` has passed, needs
    /// no lookup.  The engine keeps this so (every page record it writes
    /// is announced at once); it stops holding for a while when the
    /// history replaces an extent record that still announced something.
    pub fn pages_announced(&self, epoch: u32) -> bool {
        epoch >= self.unannounced_until
    }

    /// Sets the tag of `slot` (and its copy past the end).
    fn set_tag(&mut self, slot: usize, t: u8) {
        if let Some(x) = self.tags.get_mut(slot) {
            *x = t;
        }
        if slot < MAX_PROBE {
            if let Some(x) = self.tags.get_mut(slot.wrapping_add(self.records.len())) {
                *x = t;
            }
        }
    }

    /// Bytes held.
    pub fn footprint_bytes(&self) -> usize {
        self.records
            .capacity()
            .saturating_mul(core::mem::size_of::<PageRecord>())
            .saturating_add(self.tags.capacity())
            .saturating_add(self.extent_bits.capacity().saturating_mul(8))
    }

    fn home(&self, h: u64) -> usize {
        // `shift` is below 64 (at least MAX_PROBE records).
        (h.wrapping_shr(self.shift) as usize) & self.mask
    }

    /// The record of `k`, if remembered.
    pub fn get(&self, k: u64) -> Option<&PageRecord> {
        let h = hash(k);
        let t = tag(h);
        let home = self.home(h);
        // A free home slot ends the probe at once (a sparse history).
        let first = *self.tags.get(home)?;
        if first == 0 {
            return None;
        }
        if first == t {
            if let Some(r) = self.records.get(home).filter(|r| r.key == k) {
                return Some(r);
            }
        }
        // The window's 16 tags as two words: the byte lanes that may be
        // free or match, in probe order (the usual zero-byte test flags
        // every zero byte and may flag bytes above one; each flagged lane
        // is checked exactly).
        let end = home.wrapping_add(MAX_PROBE);
        let window = self.tags.get(home..end)?;
        let (lo, hi) = window.split_at_checked(8)?;
        let t8 = u64::from(t).wrapping_mul(LANE_ONES);
        for (half, bytes) in [(0usize, lo), (8, hi)] {
            let w = u64::from_le_bytes(<[u8; 8]>::try_from(bytes).ok()?);
            let mut lanes = flag_lanes(w) | flag_lanes(w ^ t8);
            while lanes != 0 {
                let i = half.wrapping_add((lanes.trailing_zeros() >> 3) as usize);
                lanes &= lanes.wrapping_sub(1);
                let st = *window.get(i)?;
                if st == 0 {
                    return None;
                }
                if st == t {
                    let r = self.records.get(home.wrapping_add(i) & self.mask)?;
                    if r.key == k {
                        return Some(r);
                    }
                }
            }
        }
        None
    }

    /// The slot for `k`: its own, a free one, or the victim to replace
    /// (the record with the nearest [`PageRecord::horizon`], spent ones
    /// first).
    fn slot_for(&self, k: u64, epoch: u32) -> Option<usize> {
        let mask = self.mask;
        let mut slot = self.home(hash(k));
        let mut victim = slot;
        let mut victim_rank = u32::MAX;
        for _ in 0..MAX_PROBE {
            let r = self.records.get(slot)?;
            if r.key == k || r.key == 0 {
                return Some(slot);
            }
            let rank = r.horizon().max(epoch);
            if rank < victim_rank {
                victim_rank = rank;
                victim = slot;
            }
            slot = slot.wrapping_add(1) & mask;
        }
        Some(victim)
    }

    /// The record of `k`, created (replacing the record that holds
    /// anything back for the shortest time) when missing.
    pub fn entry(&mut self, k: u64, epoch: u32) -> Option<&mut PageRecord> {
        let slot = self.slot_for(k, epoch)?;
        if self.records.get(slot)?.key != k {
            self.replace(
                slot,
                PageRecord {
                    key: k,
                    ..PageRecord::default()
                },
                epoch,
            );
        }
        self.records.get_mut(slot)
    }

    /// Puts `r` in `slot`, noting what the record it replaces announced.
    fn replace(&mut self, slot: usize, r: PageRecord, epoch: u32) {
        if let Some(old) = self.records.get(slot) {
            if old.key != 0 && old.key != r.key && old.is_extent() && old.pages_until > epoch {
                self.unannounced_until = self.unannounced_until.max(old.pages_until);
            }
        }
        self.set_tag(slot, tag(hash(r.key)));
        self.note_extent(r.key);
        if let Some(dst) = self.records.get_mut(slot) {
            *dst = r;
        }
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
        self.unannounced_until = self.unannounced_until.max(other.unannounced_until);
        for r in other.records.iter().filter(|r| r.key != 0) {
            if let Some(slot) = self.slot_for(r.key, epoch) {
                self.replace(slot, *r, epoch);
            }
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.records.fill(PageRecord::default());
        self.tags.fill(0);
        self.unannounced_until = 0;
        self.extent_bits.fill(0);
        self.extent_bits_set = 0;
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
        assert_eq!(r.horizon(), 10 + crate::engine::BOUNCE_WINDOW_EPOCHS + 1);
        r.moved_from = 0;
        r.moved_to = 1;
        let (n0, n1) = (NodeId::new(0).unwrap(), NodeId::new(1).unwrap());
        assert!(h.would_bounce(k, n0, 12, 8));
        assert!(!h.would_bounce(k, n1, 12, 8));
        assert!(!h.would_bounce(k, n0, 19, 8));
    }

    #[test]
    fn lookups_find_every_record_and_nothing_else_in_a_crowded_history() {
        // Windows full of records, near the end of the array (wrapping)
        // and in the middle, with tags that collide.
        let mut h = History::new(64).unwrap();
        let keys: alloc::vec::Vec<u64> = (0..64u64).map(|i| key(Gfn(i * 977), 0)).collect();
        for (i, &k) in keys.iter().enumerate() {
            h.entry(k, i as u32).unwrap().moved_epoch = i as u32 + 1;
        }
        for &k in &keys {
            let plain = h.records.iter().find(|r| r.key == k);
            assert_eq!(h.get(k), plain, "{k}");
        }
        for i in 0..10_000u64 {
            let k = key(Gfn(i * 977 + 1), 0);
            assert_eq!(h.get(k), h.records.iter().find(|r| r.key == k));
        }
    }

    #[test]
    fn a_full_probe_window_still_takes_new_records() {
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
    fn replacing_an_extent_record_that_announced_pages_is_noted() {
        let mut h = History::new(16).unwrap();
        assert!(h.pages_announced(1));
        let e = key(Gfn(512), 9);
        h.entry(e, 1).unwrap().pages_until = 30;
        // Fill the window with records that hold on longer.
        for i in 0..40u64 {
            h.entry(key(Gfn(i), 0), 2).unwrap().quiet_until = 50;
        }
        assert!(h.get(e).is_none(), "the extent record was replaced");
        assert!(!h.pages_announced(29));
        assert!(h.pages_announced(30));
    }

    #[test]
    fn extent_bits_never_miss_a_remembered_extent() {
        let mut h = History::new(64).unwrap();
        assert!(!h.may_remember_extent(Gfn(5000)));
        for i in 0..500u64 {
            let (page, ext) = (Gfn(i * 1031), Gfn((i * 7919) << 9));
            h.entry(key(page, 0), 1).unwrap().quiet_until = 9;
            h.entry(key(ext, 9), 1).unwrap();
            h.tidy();
            for r in h.records.iter().filter(|r| r.key != 0) {
                assert!(h.may_remember_extent(Gfn(r.key >> 5)), "{:x}", r.key);
            }
        }
        h.clear();
        assert!(!h.may_remember_extent(Gfn(0)));
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

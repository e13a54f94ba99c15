//! The emission order of a decision's candidates, in O(n): an LSD radix
//! sort of packed 64-bit keys.
//!
//! A decision emits its candidates in priority order, then heat, up to the
//! batch size or the page budget.  Comparison sorts cost O(n log n) with
//! scattered accesses, and `core`'s recurse (Xen's primary stack is
//! 8 KiB; `scripts/image/check-stack.sh` fails the image build on any
//! recursive Rust function); here each candidate gets a key (priority, heat,
//! position) and the keys, made in position order, are sorted by their
//! rank bits only, digit by digit: a histogram and a stable scatter per
//! 12-bit digit (two of them), a digit that all keys share being skipped.
//! Stability keeps equal ranks in position order.  No recursion, no
//! stack arrays: the counts and the scratch are the caller's, allocated
//! with the domain.

/// Bits of a digit; the counts array holds `1 << DIGIT_BITS` entries.
pub const DIGIT_BITS: u32 = 12;

/// Counters of one digit; a sort's counts array holds one set per digit.
pub const NR_COUNTS: usize = 1 << DIGIT_BITS;

/// Bits of a position in the candidate array (tables hold at most
/// `MAX_TRACKED_PAGES` = 2^20 pages, hence at most 2^20 candidates).
pub const POSITION_BITS: u32 = 20;

/// Heats at or above this rank as equal (an entry's samples saturate at
/// 65,535 per node: only extents of the hottest pages get there).
pub const HEAT_CAP: u32 = (1 << 22) - 1;

/// Bits a key uses: priority (2), inverted heat (22), position (20).
pub const KEY_BITS: u32 = 44;

/// The key of the candidate at `position` with `priority` (higher first)
/// and `heat` (hotter first): ascending keys are the emission order,
/// ties going in position order.
pub fn key(priority: u8, heat: u32, position: usize) -> u64 {
    let p = u64::from(3u8.saturating_sub(priority.min(3)));
    let h = u64::from(HEAT_CAP.saturating_sub(heat.min(HEAT_CAP)));
    let pos = (position as u64) & ((1 << POSITION_BITS) - 1);
    p << 42 | h << POSITION_BITS | pos
}

/// The position a key was made with.
pub fn position(key: u64) -> usize {
    (key & ((1 << POSITION_BITS) - 1)) as usize
}

/// Sorts `keys` (values below 2^[`KEY_BITS`]) ascending by their bits
/// from [`POSITION_BITS`] up, stably, with `scratch` (at least as long)
/// and `counts` (at least [`NR_COUNTS`] entries): keys made in position
/// order end fully sorted.  Leaves `keys` as it was when the buffers are
/// too short.
pub fn radix_sort(keys: &mut [u64], scratch: &mut [u64], counts: &mut [u32]) {
    radix_sort_by(keys, scratch, counts, POSITION_BITS..KEY_BITS, |&k| k);
}

/// Digits a key may have (keys of at most 48 bits).
pub const MAX_DIGITS: usize = 4;

/// Sorts `items` stably by the bits `bits` of `key(item)` (at most
/// [`MAX_DIGITS`] digits; the bits above must be 0), with `scratch` (at
/// least as long) and `counts` (at least [`NR_COUNTS`] entries per digit):
/// one read for the histograms of all digits, then a stable scatter per
/// [`DIGIT_BITS`]-bit digit, a digit that all items share being skipped.
/// Leaves `items` as it was when the buffers are too short.
pub fn radix_sort_by<T: Copy, F: Fn(&T) -> u64>(
    items: &mut [T],
    scratch: &mut [T],
    counts: &mut [u32],
    bits: core::ops::Range<u32>,
    key: F,
) {
    let n = items.len();
    let digits = (bits.end.saturating_sub(bits.start))
        .div_ceil(DIGIT_BITS)
        .min(MAX_DIGITS as u32) as usize;
    let (Some(scratch), Some(counts)) = (
        scratch.get_mut(..n),
        counts.get_mut(..NR_COUNTS.saturating_mul(digits)),
    ) else {
        return;
    };
    if n < 2 {
        return;
    }
    if n <= SMALL {
        insertion_sort(items, bits, &key);
        return;
    }
    counts.fill(0);
    {
        // The histograms of all digits in one read (unrolled: at most
        // four digits, the absent ones empty).
        let mut sets = counts.chunks_exact_mut(NR_COUNTS);
        let mut h = [sets.next(), sets.next(), sets.next(), sets.next()];
        let bump = |c: &mut Option<&mut [u32]>, d: usize| {
            if let Some(x) = c.as_deref_mut().and_then(|c| c.get_mut(d)) {
                *x = x.saturating_add(1);
            }
        };
        for item in items.iter() {
            let k = key(item).checked_shr(bits.start).unwrap_or(0);
            let [h0, h1, h2, h3] = &mut h;
            bump(h0, digit(k, 0));
            bump(h1, digit(k, DIGIT_BITS));
            bump(h2, digit(k, DIGIT_BITS.saturating_mul(2)));
            bump(h3, digit(k, DIGIT_BITS.saturating_mul(3)));
        }
    }
    let first = items
        .first()
        .map_or(0, |x| key(x).checked_shr(bits.start).unwrap_or(0));
    let mut in_items = true;
    for (d, c) in counts.chunks_exact_mut(NR_COUNTS).enumerate() {
        // A digit all items share moves nothing.
        let at = DIGIT_BITS.saturating_mul(d as u32);
        if c.get(digit(first, at)).is_some_and(|&x| x as usize == n) {
            continue;
        }
        let mut sum = 0u32;
        for x in c.iter_mut() {
            let here = *x;
            *x = sum;
            sum = sum.saturating_add(here);
        }
        let shift = bits.start.saturating_add(at);
        if in_items {
            scatter(items, scratch, c, shift, &key);
        } else {
            scatter(scratch, items, c, shift, &key);
        }
        in_items = !in_items;
    }
    if !in_items {
        items.copy_from_slice(scratch);
    }
}

/// Inputs this short are sorted by insertion: clearing the histograms
/// would cost more.
const SMALL: usize = 48;

/// Stable insertion sort by the bits `bits` of `key`.
fn insertion_sort<T: Copy, F: Fn(&T) -> u64>(
    items: &mut [T],
    bits: core::ops::Range<u32>,
    key: &F,
) {
    let width = bits.end.saturating_sub(bits.start);
    let mask = 1u64
        .checked_shl(width)
        .map_or(u64::MAX, |m| m.wrapping_sub(1));
    let rank = |x: &T| key(x).checked_shr(bits.start).unwrap_or(0) & mask;
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (items.get(j.wrapping_sub(1)), items.get(j)) else {
                break;
            };
            if rank(a) <= rank(b) {
                break;
            }
            items.swap(j.wrapping_sub(1), j);
            j = j.wrapping_sub(1);
        }
    }
}

fn digit(k: u64, shift: u32) -> usize {
    (k.checked_shr(shift).unwrap_or(0) as usize) & (NR_COUNTS - 1)
}

/// One stable scatter on the digit at `shift`, from `src` to `dst`, by
/// the digit's starting positions `starts`.
fn scatter<T: Copy, F: Fn(&T) -> u64>(
    src: &[T],
    dst: &mut [T],
    starts: &mut [u32],
    shift: u32,
    key: &F,
) {
    for &item in src {
        if let Some(c) = starts.get_mut(digit(key(&item), shift)) {
            if let Some(slot) = dst.get_mut(*c as usize) {
                *slot = item;
            }
            *c = c.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    #[test]
    fn sorts_keys_made_in_position_order_like_a_comparison_sort() {
        let mut x = 12345u64;
        for n in [0usize, 1, 2, 3, 47, 48, 49, 100, 5000] {
            let mut keys: Vec<u64> = (0..n)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    key((x % 3) as u8, (x >> 8) as u32 % 40, i)
                })
                .collect();
            let mut want = keys.clone();
            want.sort_unstable();
            let mut scratch = vec![0; n];
            let mut counts = vec![0; NR_COUNTS * MAX_DIGITS];
            radix_sort(&mut keys, &mut scratch, &mut counts);
            assert_eq!(keys, want, "{n}");
        }
    }

    #[test]
    fn pairs_sort_stably_by_their_keys() {
        let mut x = 99u64;
        for n in [30u64, 3000] {
            let mut items: Vec<(u64, u64)> = (0..n)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (((x % 50) << 30) | ((x >> 20) % 7), i)
                })
                .collect();
            let mut want = items.clone();
            want.sort_by_key(|&(k, _)| k); // stable
            let mut scratch = vec![(0, 0); items.len()];
            let mut counts = vec![0; NR_COUNTS * MAX_DIGITS];
            radix_sort_by(&mut items, &mut scratch, &mut counts, 0..36, |&(k, _)| k);
            assert_eq!(items, want, "{n}");
        }
    }

    #[test]
    fn keys_order_priority_then_heat_then_position() {
        assert!(key(2, 0, 5) < key(1, 1000, 0));
        assert!(key(1, 9, 5) < key(1, 8, 0));
        assert!(key(1, 9, 0) < key(1, 9, 1));
        assert_eq!(key(0, u32::MAX, 3), key(0, HEAT_CAP, 3));
        assert_eq!(position(key(2, 77, 12345)), 12345);
        assert!(key(2, 0, (1 << POSITION_BITS) - 1) < 1 << KEY_BITS);
    }

    #[test]
    fn short_buffers_leave_the_keys_alone() {
        let mut keys = vec![3, 1, 2];
        radix_sort(&mut keys, &mut [0; 2], &mut vec![0; NR_COUNTS * MAX_DIGITS]);
        assert_eq!(keys, [3, 1, 2]);
    }
}

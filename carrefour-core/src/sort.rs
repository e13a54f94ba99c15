//! An in-place sort that is safe to run on Xen's stack.
//!
//! Inside Xen the engine runs on a hypervisor stack whose usable part is
//! 8 KiB (x86 `STACK_SIZE` is 32 KiB, but two pages are the primary
//! stack; the others are IST and shadow stacks).  `core`'s
//! `sort_unstable` recurses with frames of about 1.2 KiB once inlined
//! (its small-sort scratch lives on the stack): sorting 30,000 candidates
//! overflowed that stack in the test bed.  Heapsort needs no recursion
//! and no scratch: O(n log n) comparisons, O(1) stack, deterministic.
//!
//! Rule for this crate: no recursion, no large stack arrays; sort with
//! [`sort_by_key`], never `core`'s sorts.

/// Sorts `v` by `key`, ascending; equal keys end in an unspecified but
/// deterministic order (callers use unique keys).
pub fn sort_by_key<T, K: Ord, F: Fn(&T) -> K>(v: &mut [T], key: F) {
    let n = v.len();
    // Build a max-heap, then move the maximum to the end repeatedly.
    let mut start = n / 2;
    while start > 0 {
        start = start.saturating_sub(1);
        sift_down(v, start, n, &key);
    }
    let mut end = n;
    while end > 1 {
        end = end.saturating_sub(1);
        v.swap(0, end);
        sift_down(v, 0, end, &key);
    }
}

fn sift_down<T, K: Ord, F: Fn(&T) -> K>(v: &mut [T], mut root: usize, end: usize, key: &F) {
    loop {
        let left = root.saturating_mul(2).saturating_add(1);
        if left >= end {
            return;
        }
        let right = left.saturating_add(1);
        let mut child = left;
        if right < end {
            if let (Some(l), Some(r)) = (v.get(left), v.get(right)) {
                if key(r) > key(l) {
                    child = right;
                }
            }
        }
        let bigger = match (v.get(root), v.get(child)) {
            (Some(a), Some(b)) => key(b) > key(a),
            _ => false,
        };
        if !bigger {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_sort() {
        let mut seed = 12345u64;
        for n in [0usize, 1, 2, 3, 7, 100, 1000, 30_000] {
            let mut v: alloc::vec::Vec<u64> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    seed >> 40
                })
                .collect();
            let mut w = v.clone();
            sort_by_key(&mut v, |x| *x);
            w.sort_unstable();
            assert_eq!(v, w, "n={n}");
        }
    }

    #[test]
    fn sorts_by_a_composite_key() {
        let mut v = [(2, 'b'), (1, 'z'), (2, 'a'), (0, 'q')];
        sort_by_key(&mut v, |&(a, b)| (core::cmp::Reverse(a), b));
        assert_eq!(v, [(2, 'a'), (2, 'b'), (1, 'z'), (0, 'q')]);
    }
}

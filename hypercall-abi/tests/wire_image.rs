//! The safe byte conversion (`Wire`) produces exactly the in-memory image
//! of the `#[repr(C)]` mirror, which the layout assertions and the bindgen
//! check prove to be C's.  So reading `op.u` through `Wire` sees what a C
//! union read would see.
//!
//! Looking at a value's memory needs `unsafe`; the crate itself forbids it,
//! this test (a separate crate) has the one block below.

use core::mem::size_of;

use hypercall_abi::*;

/// The bytes of `value` as they lie in memory.
fn memory_image<T: Wire>(value: &T) -> Vec<u8> {
    let mut image = vec![0u8; size_of::<T>()];
    // SAFETY: `value` is a valid, initialised `T` borrowed for the whole
    // copy, and `image` has exactly `size_of::<T>()` bytes of its own, so
    // both ranges are valid and do not overlap.  Every byte of `T` is
    // initialised: `Wire` is sealed to this crate's integers, arrays of them
    // and mirror structs, whose fields cover them exactly (asserted at
    // compile time in src/layout.rs), so there are no padding bytes.
    unsafe {
        core::ptr::copy_nonoverlapping(
            (value as *const T).cast::<u8>(),
            image.as_mut_ptr(),
            size_of::<T>(),
        );
    }
    image
}

/// Distinct bytes, so that a field read from the wrong place shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

/// Reading `T` from a pattern gives a value whose memory is the pattern,
/// and writing it back gives the pattern again.
fn check<T: Wire + core::fmt::Debug + PartialEq>() {
    assert_eq!(T::WIRE_SIZE, size_of::<T>());
    let bytes = pattern(T::WIRE_SIZE);
    let value = T::read_from(&bytes).unwrap();
    assert_eq!(
        memory_image(&value),
        bytes,
        "{}",
        core::any::type_name::<T>()
    );
    let mut out = vec![0u8; T::WIRE_SIZE];
    value.write_to(&mut out).unwrap();
    assert_eq!(out, bytes);
}

#[test]
fn wire_bytes_are_the_memory_image_of_every_struct() {
    check::<XenCarrefourParam>();
    check::<XenCarrefourEnable>();
    check::<XenCarrefourInfo>();
    check::<XenCarrefourSetParams>();
    check::<XenCarrefourStats>();
    check::<XenCarrefourGetStats>();
    check::<XenDomctlCarrefourOpU>();
    check::<XenDomctlCarrefourOp>();
}

#[test]
fn union_members_read_the_unions_first_bytes_like_c() {
    let u = XenDomctlCarrefourOpU {
        bytes: pattern(104).try_into().unwrap(),
    };
    let image = memory_image(&u);
    assert_eq!(
        memory_image(&u.read::<XenCarrefourEnable>())[..],
        image[..8]
    );
    assert_eq!(memory_image(&u.read::<XenCarrefourInfo>())[..], image[..72]);
    assert_eq!(
        memory_image(&u.read::<XenCarrefourSetParams>())[..],
        image[..104]
    );
    assert_eq!(
        memory_image(&u.read::<XenCarrefourGetStats>())[..],
        image[..16]
    );
}

#[test]
fn a_field_set_in_the_struct_lands_at_its_c_offset() {
    let mut stats = XenCarrefourStats::default();
    stats.node_pages[1] = 0x1122_3344_5566_7788;
    let mut bytes = vec![0u8; XEN_CARREFOUR_STATS_SIZE as usize];
    stats.write_to(&mut bytes).unwrap();
    // offsetof(struct xen_carrefour_stats, node_pages) == 848
    assert_eq!(bytes[856..864], 0x1122_3344_5566_7788u64.to_ne_bytes());
    assert_eq!(memory_image(&stats), bytes);
}

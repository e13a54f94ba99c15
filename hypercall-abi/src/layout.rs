//! The `#[repr(C)]` mirror of every struct of `include/public/carrefour.h`.
//!
//! Field names are the C names; IN/OUT are as in the header.  Under each
//! struct, compile-time assertions pin its size, alignment and every field's
//! offset (rust-vmm kvm-bindings style), with the C name in a comment; the
//! bindgen check (`tests/bindgen_layout.rs`, feature `bindgen-check`)
//! compares the same numbers with what libclang computes from the header.
//!
//! `uint64_aligned_t` is 8-byte aligned on 32-bit x86 too, where a Rust
//! `u64` is aligned to 4 only: every struct holding a `u64` is therefore
//! `#[repr(C, align(8))]`, and every `u64` field sits at an offset that is a
//! multiple of 8 because the header pads explicitly (the offset assertions
//! hold on any target the crate is compiled for).  A
//! `XEN_GUEST_HANDLE_64(T)` is 8 bytes aligned to 8 whatever the pointer
//! width: it is a `u64` here (the guest virtual address).

use core::mem::{align_of, offset_of, size_of};

use crate::consts::{
    XEN_CARREFOUR_ACTION_NR, XEN_CARREFOUR_MAX_NODES, XEN_CARREFOUR_MAX_SET_PARAMS,
    XEN_CARREFOUR_PARAM_NR, XEN_CARREFOUR_SKIP_NR,
};
use crate::wire::{struct_codec, UnionMember, Wire};

/// `struct xen_carrefour_param`: one parameter assignment for set_params.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenCarrefourParam {
    /// IN: `XEN_CARREFOUR_PARAM_*`.
    pub id: u32,
    /// IN: must be zero.
    pub pad: u32,
    /// IN.
    pub value: u64,
}
struct_codec!(XenCarrefourParam {
    id: u32,
    pad: u32,
    value: u64
});

// struct xen_carrefour_param
const _: () = assert!(size_of::<XenCarrefourParam>() == 16);
const _: () = assert!(align_of::<XenCarrefourParam>() == 8);
const _: () = assert!(offset_of!(XenCarrefourParam, id) == 0); // id
const _: () = assert!(offset_of!(XenCarrefourParam, pad) == 4); // pad
const _: () = assert!(offset_of!(XenCarrefourParam, value) == 8); // value

/// `struct xen_carrefour_enable`: argument of `XEN_DOMCTL_CARREFOUR_OP_ENABLE`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenCarrefourEnable {
    /// IN: `XEN_CARREFOUR_SAMPLER_*`.
    pub sampler: u32,
    /// IN: must be zero.
    pub pad: u32,
}
struct_codec!(XenCarrefourEnable {
    sampler: u32,
    pad: u32
});

// struct xen_carrefour_enable
const _: () = assert!(size_of::<XenCarrefourEnable>() == 8);
const _: () = assert!(align_of::<XenCarrefourEnable>() == 4);
const _: () = assert!(offset_of!(XenCarrefourEnable, sampler) == 0); // sampler
const _: () = assert!(offset_of!(XenCarrefourEnable, pad) == 4); // pad

/// `struct xen_carrefour_info`: result of `XEN_DOMCTL_CARREFOUR_OP_GET_INFO`,
/// a summary of one domain.  All fields OUT.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenCarrefourInfo {
    /// OUT: 1 if Carrefour runs on the domain.
    pub enabled: u32,
    /// OUT: `XEN_CARREFOUR_SAMPLER_*` in use.
    pub sampler: u32,
    /// OUT: NUMA nodes of the host.
    pub nr_nodes: u32,
    /// OUT: `XEN_CARREFOUR_INFO_F_*`.
    pub flags: u32,
    /// OUT: decision rounds run.
    pub epochs: u64,
    /// OUT: samples taken.
    pub samples: u64,
    /// OUT: samples lost (full table/ring).
    pub samples_dropped: u64,
    /// OUT: pages in the table now.
    pub tracked_pages: u64,
    /// OUT: 4 KiB pages migrated.
    pub pages_moved: u64,
    /// OUT: current sampling period.
    pub sampling_period: u64,
    /// OUT: last epoch's local access ratio (LAR), permille.
    pub local_access_permille: u32,
    /// OUT: last epoch's imbalance, permille.
    pub imbalance_permille: u32,
}
struct_codec!(XenCarrefourInfo {
    enabled: u32,
    sampler: u32,
    nr_nodes: u32,
    flags: u32,
    epochs: u64,
    samples: u64,
    samples_dropped: u64,
    tracked_pages: u64,
    pages_moved: u64,
    sampling_period: u64,
    local_access_permille: u32,
    imbalance_permille: u32,
});

// struct xen_carrefour_info
const _: () = assert!(size_of::<XenCarrefourInfo>() == 72);
const _: () = assert!(align_of::<XenCarrefourInfo>() == 8);
const _: () = assert!(offset_of!(XenCarrefourInfo, enabled) == 0); // enabled
const _: () = assert!(offset_of!(XenCarrefourInfo, sampler) == 4); // sampler
const _: () = assert!(offset_of!(XenCarrefourInfo, nr_nodes) == 8); // nr_nodes
const _: () = assert!(offset_of!(XenCarrefourInfo, flags) == 12); // flags
const _: () = assert!(offset_of!(XenCarrefourInfo, epochs) == 16); // epochs
const _: () = assert!(offset_of!(XenCarrefourInfo, samples) == 24); // samples
const _: () = assert!(offset_of!(XenCarrefourInfo, samples_dropped) == 32); // samples_dropped
const _: () = assert!(offset_of!(XenCarrefourInfo, tracked_pages) == 40); // tracked_pages
const _: () = assert!(offset_of!(XenCarrefourInfo, pages_moved) == 48); // pages_moved
const _: () = assert!(offset_of!(XenCarrefourInfo, sampling_period) == 56); // sampling_period
const _: () = assert!(offset_of!(XenCarrefourInfo, local_access_permille) == 64); // local_access_permille
const _: () = assert!(offset_of!(XenCarrefourInfo, imbalance_permille) == 68); // imbalance_permille

/// `struct xen_carrefour_set_params`: argument of
/// `XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS`, applied all or nothing.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenCarrefourSetParams {
    /// IN: `1..=XEN_CARREFOUR_MAX_SET_PARAMS`.
    pub nr_params: u32,
    /// IN: must be zero.
    pub pad: u32,
    /// IN: the first `nr_params` entries are read, the others ignored.
    pub params: [XenCarrefourParam; XEN_CARREFOUR_MAX_SET_PARAMS],
}
struct_codec!(XenCarrefourSetParams {
    nr_params: u32,
    pad: u32,
    params: [XenCarrefourParam; XEN_CARREFOUR_MAX_SET_PARAMS],
});

// struct xen_carrefour_set_params
const _: () = assert!(size_of::<XenCarrefourSetParams>() == 104);
const _: () = assert!(align_of::<XenCarrefourSetParams>() == 8);
const _: () = assert!(offset_of!(XenCarrefourSetParams, nr_params) == 0); // nr_params
const _: () = assert!(offset_of!(XenCarrefourSetParams, pad) == 4); // pad
const _: () = assert!(offset_of!(XenCarrefourSetParams, params) == 8); // params[XEN_CARREFOUR_MAX_SET_PARAMS]

/// `struct xen_carrefour_stats`: the full statistics of one domain, written
/// by `XEN_DOMCTL_CARREFOUR_OP_GET_STATS` to the caller's buffer.  All OUT.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XenCarrefourStats {
    /// OUT: `XEN_CARREFOUR_ABI_VERSION`.
    pub abi_version: u32,
    /// OUT: valid entries of the per-node arrays.
    pub nr_nodes: u32,
    /// OUT: the same summary as get_info.
    pub info: XenCarrefourInfo,
    /// OUT: actions decided, by `XEN_CARREFOUR_ACTION_*`.
    pub actions: [u64; XEN_CARREFOUR_ACTION_NR],
    /// OUT: actions not carried out, by `XEN_CARREFOUR_SKIP_*`.
    pub skipped: [u64; XEN_CARREFOUR_SKIP_NR],
    /// OUT: actions that failed.
    pub failed: u64,
    /// OUT: pages frozen after ping-pong.
    pub frozen_pages: u64,
    /// OUT: epochs that ran out of migration budget.
    pub budget_exhausted_epochs: u64,
    /// OUT: parameter values, by `XEN_CARREFOUR_PARAM_*`.
    pub params: [u64; XEN_CARREFOUR_PARAM_NR],
    /// OUT: DRAM accesses per node in the last epoch.
    pub node_accesses: [u64; XEN_CARREFOUR_MAX_NODES],
    /// OUT: the domain's pages per node now.
    pub node_pages: [u64; XEN_CARREFOUR_MAX_NODES],
}
struct_codec!(XenCarrefourStats {
    abi_version: u32,
    nr_nodes: u32,
    info: XenCarrefourInfo,
    actions: [u64; XEN_CARREFOUR_ACTION_NR],
    skipped: [u64; XEN_CARREFOUR_SKIP_NR],
    failed: u64,
    frozen_pages: u64,
    budget_exhausted_epochs: u64,
    params: [u64; XEN_CARREFOUR_PARAM_NR],
    node_accesses: [u64; XEN_CARREFOUR_MAX_NODES],
    node_pages: [u64; XEN_CARREFOUR_MAX_NODES],
});

impl Default for XenCarrefourStats {
    /// All zero (`Default` is not derived: arrays over 32 entries lack it).
    fn default() -> Self {
        Self {
            abi_version: 0,
            nr_nodes: 0,
            info: XenCarrefourInfo::default(),
            actions: [0; XEN_CARREFOUR_ACTION_NR],
            skipped: [0; XEN_CARREFOUR_SKIP_NR],
            failed: 0,
            frozen_pages: 0,
            budget_exhausted_epochs: 0,
            params: [0; XEN_CARREFOUR_PARAM_NR],
            node_accesses: [0; XEN_CARREFOUR_MAX_NODES],
            node_pages: [0; XEN_CARREFOUR_MAX_NODES],
        }
    }
}

/// `sizeof(struct xen_carrefour_stats)`: what `get_stats.size` must be at
/// least, and what Xen writes back there with `-ENOBUFS`.
pub const XEN_CARREFOUR_STATS_SIZE: u32 = size_of::<XenCarrefourStats>() as u32;

// struct xen_carrefour_stats
const _: () = assert!(size_of::<XenCarrefourStats>() == 1360);
const _: () = assert!(align_of::<XenCarrefourStats>() == 8);
const _: () = assert!(offset_of!(XenCarrefourStats, abi_version) == 0); // abi_version
const _: () = assert!(offset_of!(XenCarrefourStats, nr_nodes) == 4); // nr_nodes
const _: () = assert!(offset_of!(XenCarrefourStats, info) == 8); // info
const _: () = assert!(offset_of!(XenCarrefourStats, actions) == 80); // actions[XEN_CARREFOUR_ACTION_NR]
const _: () = assert!(offset_of!(XenCarrefourStats, skipped) == 104); // skipped[XEN_CARREFOUR_SKIP_NR]
const _: () = assert!(offset_of!(XenCarrefourStats, failed) == 176); // failed
const _: () = assert!(offset_of!(XenCarrefourStats, frozen_pages) == 184); // frozen_pages
const _: () = assert!(offset_of!(XenCarrefourStats, budget_exhausted_epochs) == 192); // budget_exhausted_epochs
const _: () = assert!(offset_of!(XenCarrefourStats, params) == 200); // params[XEN_CARREFOUR_PARAM_NR]
const _: () = assert!(offset_of!(XenCarrefourStats, node_accesses) == 336); // node_accesses[XEN_CARREFOUR_MAX_NODES]
const _: () = assert!(offset_of!(XenCarrefourStats, node_pages) == 848); // node_pages[XEN_CARREFOUR_MAX_NODES]

/// `struct xen_carrefour_get_stats`: argument of
/// `XEN_DOMCTL_CARREFOUR_OP_GET_STATS`.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenCarrefourGetStats {
    /// IN: `XEN_GUEST_HANDLE_64(xen_carrefour_stats_t)`, the caller's
    /// buffer (a guest virtual address).
    pub buffer: u64,
    /// IN: bytes at buffer; OUT: bytes needed.
    pub size: u32,
    /// IN: must be zero.
    pub pad: u32,
}
struct_codec!(XenCarrefourGetStats {
    buffer: u64,
    size: u32,
    pad: u32
});

// struct xen_carrefour_get_stats
const _: () = assert!(size_of::<XenCarrefourGetStats>() == 16);
const _: () = assert!(align_of::<XenCarrefourGetStats>() == 8);
const _: () = assert!(offset_of!(XenCarrefourGetStats, buffer) == 0); // buffer
const _: () = assert!(offset_of!(XenCarrefourGetStats, size) == 8); // size
const _: () = assert!(offset_of!(XenCarrefourGetStats, pad) == 12); // pad

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// Size of the union `xen_domctl_carrefour_op.u`: its largest member.
const U_SIZE: usize = max(
    max(
        size_of::<XenCarrefourEnable>(),
        size_of::<XenCarrefourInfo>(),
    ),
    max(
        size_of::<XenCarrefourSetParams>(),
        size_of::<XenCarrefourGetStats>(),
    ),
);

/// The anonymous union `xen_domctl_carrefour_op.u`, as its bytes.
///
/// A C union of plain integer structs: every member may be read whatever
/// was written.  A Rust `union` would make each read `unsafe`; the bytes
/// with typed, safe accessors ([`read`](Self::read), [`write`](Self::write))
/// say the same thing and keep this crate free of `unsafe`.  Size (the
/// largest member) and alignment (8, from `uint64_aligned_t`) are C's.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XenDomctlCarrefourOpU {
    /// The union's bytes, in the machine's byte order.
    pub bytes: [u8; U_SIZE],
}
struct_codec!(XenDomctlCarrefourOpU {
    bytes: [u8; U_SIZE]
});

impl XenDomctlCarrefourOpU {
    /// All bytes zero.
    pub const ZEROED: Self = Self { bytes: [0; U_SIZE] };

    /// Reads member `T` (`op.u.enable`, `op.u.set_params`, ...).
    pub fn read<T: UnionMember>(&self) -> T {
        T::get(&self.bytes)
    }

    /// Writes member `T`, like a C assignment to `op.u.<member>`: the bytes
    /// past the member's size are left as they were.
    pub fn write<T: UnionMember>(&mut self, member: &T) {
        member.put(&mut self.bytes);
    }

    /// A union holding `member`, the rest zero.
    pub fn with<T: UnionMember>(member: &T) -> Self {
        let mut u = Self::ZEROED;
        u.write(member);
        u
    }
}

impl Default for XenDomctlCarrefourOpU {
    fn default() -> Self {
        Self::ZEROED
    }
}

impl UnionMember for XenCarrefourEnable {
    const MEMBER: &'static str = "enable";
}
impl UnionMember for XenCarrefourInfo {
    const MEMBER: &'static str = "info";
}
impl UnionMember for XenCarrefourSetParams {
    const MEMBER: &'static str = "set_params";
}
impl UnionMember for XenCarrefourGetStats {
    const MEMBER: &'static str = "get_stats";
}

// union { ... } u of struct xen_domctl_carrefour_op
const _: () = assert!(size_of::<XenDomctlCarrefourOpU>() == 104);
const _: () = assert!(align_of::<XenDomctlCarrefourOpU>() == 8);
const _: () = assert!(<XenCarrefourEnable as Wire>::WIRE_SIZE <= U_SIZE); // u.enable
const _: () = assert!(<XenCarrefourInfo as Wire>::WIRE_SIZE <= U_SIZE); // u.info
const _: () = assert!(<XenCarrefourSetParams as Wire>::WIRE_SIZE <= U_SIZE); // u.set_params
const _: () = assert!(<XenCarrefourGetStats as Wire>::WIRE_SIZE <= U_SIZE); // u.get_stats

/// `struct xen_domctl_carrefour_op`: the argument of `XEN_DOMCTL_carrefour_op`,
/// one member of `struct xen_domctl`'s union.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XenDomctlCarrefourOp {
    /// IN: `XEN_DOMCTL_CARREFOUR_OP_*`.
    pub cmd: u32,
    /// IN: `XEN_CARREFOUR_ABI_VERSION`.
    pub abi_version: u32,
    /// IN: must be zero.
    pub flags: u32,
    /// IN: must be zero.
    pub pad: u32,
    /// The sub-operation's argument or result.
    pub u: XenDomctlCarrefourOpU,
}
struct_codec!(XenDomctlCarrefourOp {
    cmd: u32,
    abi_version: u32,
    flags: u32,
    pad: u32,
    u: XenDomctlCarrefourOpU,
});

// struct xen_domctl_carrefour_op
const _: () = assert!(size_of::<XenDomctlCarrefourOp>() == 120);
const _: () = assert!(align_of::<XenDomctlCarrefourOp>() == 8);
const _: () = assert!(offset_of!(XenDomctlCarrefourOp, cmd) == 0); // cmd
const _: () = assert!(offset_of!(XenDomctlCarrefourOp, abi_version) == 4); // abi_version
const _: () = assert!(offset_of!(XenDomctlCarrefourOp, flags) == 8); // flags
const _: () = assert!(offset_of!(XenDomctlCarrefourOp, pad) == 12); // pad
const _: () = assert!(offset_of!(XenDomctlCarrefourOp, u) == 16); // u

/// Size of `struct xen_domctl`'s union (`uint8_t pad[128]` in domctl.h):
/// every domctl argument must fit, or `struct xen_domctl` would grow and
/// break every tool.
pub const XEN_DOMCTL_U_SIZE: usize = 128;

// xen_domctl.u.carrefour_op must fit in xen_domctl.u.pad[128], and must not
// raise the union's alignment (8, set by its uint64_aligned_t members).
const _: () = assert!(size_of::<XenDomctlCarrefourOp>() <= XEN_DOMCTL_U_SIZE);
const _: () = assert!(align_of::<XenDomctlCarrefourOp>() <= 8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_write_reads_back_and_keeps_bytes_past_the_member() {
        let mut u = XenDomctlCarrefourOpU {
            bytes: [0xaa; U_SIZE],
        };
        u.write(&XenCarrefourEnable { sampler: 2, pad: 0 });
        assert_eq!(
            u.read::<XenCarrefourEnable>(),
            XenCarrefourEnable { sampler: 2, pad: 0 }
        );
        assert!(u.bytes[8..].iter().all(|&b| b == 0xaa));
    }

    #[test]
    fn union_members_share_their_first_bytes() {
        // enable.sampler and set_params.nr_params are both the first u32.
        let u = XenDomctlCarrefourOpU::with(&XenCarrefourEnable { sampler: 5, pad: 7 });
        let sp: XenCarrefourSetParams = u.read();
        assert_eq!((sp.nr_params, sp.pad), (5, 7));
        assert_eq!(
            sp.params,
            [XenCarrefourParam::default(); XEN_CARREFOUR_MAX_SET_PARAMS]
        );
    }

    #[test]
    fn stats_round_trip_through_bytes() {
        let mut stats = XenCarrefourStats {
            abi_version: crate::XEN_CARREFOUR_ABI_VERSION,
            ..Default::default()
        };
        stats.info.pages_moved = 12345;
        stats.skipped[7] = 9;
        stats.node_pages[63] = u64::MAX;
        let mut bytes = [0u8; XEN_CARREFOUR_STATS_SIZE as usize];
        stats.write_to(&mut bytes).unwrap();
        assert_eq!(XenCarrefourStats::read_from(&bytes), Ok(stats));
        assert_eq!(&bytes[848 + 63 * 8..], &u64::MAX.to_ne_bytes());
    }

    #[test]
    fn op_round_trips_through_bytes() {
        let op = XenDomctlCarrefourOp {
            cmd: 4,
            abi_version: 0x0001_0002,
            flags: 0,
            pad: 0,
            u: XenDomctlCarrefourOpU::with(&XenCarrefourGetStats {
                buffer: 0xffff_8000_1234_5000,
                size: 1360,
                pad: 0,
            }),
        };
        let mut bytes = [0u8; 120];
        op.write_to(&mut bytes).unwrap();
        assert_eq!(XenDomctlCarrefourOp::read_from(&bytes), Ok(op));
        assert_eq!(&bytes[16..24], &0xffff_8000_1234_5000u64.to_ne_bytes());
    }
}

//! The bindgen check: the Rust mirror against the C header, as libclang
//! lays it out (feature `bindgen-check`; see build.rs for what is generated).
//!
//! - every struct and union of the header: size, alignment, and for every
//!   field its offset and size; the fields listed here must cover the C
//!   struct, and every type bindgen emits must be checked here;
//! - every `#define`: the Rust constant of the same name has the same
//!   value, and there is one for each; function-like macros agree with
//!   their Rust functions on sample arguments;
//! - 32-bit invariance: libclang's layouts for i686 equal those for x86_64;
//! - with `XEN_SRC` set: that tree's `struct xen_domctl` is still 144 bytes
//!   and holds the carrefour op, laid out as the mirror, and its errno
//!   values are this crate's.  Without it, that part says it is skipped;
//!   everything else still runs.
#![cfg(feature = "bindgen-check")]

use core::mem::{align_of, offset_of, size_of};
use std::collections::{BTreeMap, BTreeSet};

use hypercall_abi::*;

/// bindgen's view of `tests/bindgen/wrapper.h` (carrefour.h with the stand-in xen.h).
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code
)]
#[allow(clippy::all, clippy::undocumented_unsafe_blocks)]
mod c {
    include!(concat!(env!("OUT_DIR"), "/carrefour_x86_64.rs"));
}

/// The same text, to list the types bindgen emitted.
const C_BINDINGS: &str = include_str!(concat!(env!("OUT_DIR"), "/carrefour_x86_64.rs"));

mod generated {
    include!(concat!(env!("OUT_DIR"), "/c_macros.rs"));
    include!(concat!(env!("OUT_DIR"), "/c_layout.rs"));
}

mod xen_src {
    include!(concat!(env!("OUT_DIR"), "/xen_src.rs"));
}

/// Collects every comparison, so that one run lists all the mismatches.
#[derive(Default)]
struct Report {
    checked_types: BTreeSet<&'static str>,
    mismatches: Vec<String>,
    comparisons: usize,
}

impl Report {
    fn eq(&mut self, what: String, rust: usize, c: usize) {
        self.comparisons += 1;
        if rust != c {
            self.mismatches.push(format!("{what}: Rust {rust}, C {c}"));
        }
    }

    fn finish(self, against: &str) {
        assert!(
            self.mismatches.is_empty(),
            "the Rust mirror (src/layout.rs) differs from {against}:\n  {}",
            self.mismatches.join("\n  ")
        );
        eprintln!("{} layout facts compared with {against}", self.comparisons);
    }
}

/// Size of the field `f` picks (the closure is never called: only its type
/// matters; `addr_of!` makes it work for union fields without `unsafe`).
fn field_size<T, F>(_f: fn(&T) -> *const F) -> usize {
    size_of::<F>()
}

/// Compares one struct of the mirror with bindgen's: size, alignment, each
/// field's offset and size, and that the listed fields cover the struct.
macro_rules! check_struct {
    ($report:ident, $rust:ty, $m:ident :: $c:ident { $($field:ident),* $(,)? }) => {{
        let name = stringify!($c);
        $report.checked_types.insert(name);
        $report.eq(format!("sizeof({name})"), size_of::<$rust>(), size_of::<$m::$c>());
        $report.eq(format!("alignof({name})"), align_of::<$rust>(), align_of::<$m::$c>());
        $(
            let field = stringify!($field);
            $report.eq(
                format!("offsetof({name}, {field})"),
                offset_of!($rust, $field),
                offset_of!($m::$c, $field),
            );
            $report.eq(
                format!("sizeof({name}.{field})"),
                field_size(|s: &$rust| core::ptr::addr_of!(s.$field)),
                field_size(|s: &$m::$c| core::ptr::addr_of!(s.$field)),
            );
        )*
        $report.eq(
            format!("bytes of {name} covered by the fields listed in this test"),
            size_of::<$m::$c>(),
            0 $(+ field_size(|s: &$m::$c| core::ptr::addr_of!(s.$field)))*,
        );
    }};
}

/// Checks every struct of the header that the mirror has, in module `$m`
/// (bindgen's output for the header, or for a Xen tree's domctl.h).
macro_rules! check_abi_structs {
    ($report:ident, $m:ident) => {{
        check_struct!(
            $report,
            XenCarrefourParam,
            $m::xen_carrefour_param { id, pad, value }
        );
        check_struct!(
            $report,
            XenCarrefourEnable,
            $m::xen_carrefour_enable { sampler, pad }
        );
        check_struct!(
            $report,
            XenCarrefourInfo,
            $m::xen_carrefour_info {
                enabled,
                sampler,
                nr_nodes,
                flags,
                epochs,
                samples,
                samples_dropped,
                tracked_pages,
                pages_moved,
                sampling_period,
                local_access_permille,
                imbalance_permille,
            }
        );
        check_struct!(
            $report,
            XenCarrefourSetParams,
            $m::xen_carrefour_set_params {
                nr_params,
                pad,
                params
            }
        );
        check_struct!(
            $report,
            XenCarrefourStats,
            $m::xen_carrefour_stats {
                abi_version,
                nr_nodes,
                info,
                actions,
                skipped,
                failed,
                frozen_pages,
                budget_exhausted_epochs,
                params,
                node_accesses,
                node_pages,
            }
        );
        check_struct!(
            $report,
            XenCarrefourGetStats,
            $m::xen_carrefour_get_stats { buffer, size, pad }
        );
        check_struct!(
            $report,
            XenDomctlCarrefourOp,
            $m::xen_domctl_carrefour_op {
                cmd,
                abi_version,
                flags,
                pad,
                u
            }
        );

        // union { ... } u: the mirror is its bytes; each C member must be
        // at offset 0 and have the size of the mirror type that reads it.
        type U = $m::xen_domctl_carrefour_op__bindgen_ty_1;
        let name = "xen_domctl_carrefour_op.u";
        $report
            .checked_types
            .insert("xen_domctl_carrefour_op__bindgen_ty_1");
        $report.eq(
            format!("sizeof({name})"),
            size_of::<XenDomctlCarrefourOpU>(),
            size_of::<U>(),
        );
        $report.eq(
            format!("alignof({name})"),
            align_of::<XenDomctlCarrefourOpU>(),
            align_of::<U>(),
        );
        let mut largest = 0;
        macro_rules! member {
            ($member:ident, $rust_member:ty) => {{
                let c_size = field_size(|u: &U| core::ptr::addr_of!(u.$member));
                largest = largest.max(c_size);
                $report.eq(
                    format!("offsetof({name}.{})", stringify!($member)),
                    0,
                    offset_of!(U, $member),
                );
                $report.eq(
                    format!("sizeof({name}.{})", stringify!($member)),
                    <$rust_member as Wire>::WIRE_SIZE,
                    c_size,
                );
                assert_eq!(<$rust_member as UnionMember>::MEMBER, stringify!($member));
            }};
        }
        member!(enable, XenCarrefourEnable);
        member!(info, XenCarrefourInfo);
        member!(set_params, XenCarrefourSetParams);
        member!(get_stats, XenCarrefourGetStats);
        $report.eq(
            format!("sizeof({name}) is its largest member listed here"),
            size_of::<U>(),
            largest,
        );
    }};
}

#[test]
fn every_struct_and_field_matches_the_c_header() {
    let mut report = Report::default();
    check_abi_structs!(report, c);

    // XEN_GUEST_HANDLE_64(xen_carrefour_stats_t) (and its const variant):
    // the mirror holds it as a u64, 8 bytes aligned to 8.
    for (name, size, align) in [
        (
            "__guest_handle_64_xen_carrefour_stats_t",
            size_of::<c::__guest_handle_64_xen_carrefour_stats_t>(),
            align_of::<c::__guest_handle_64_xen_carrefour_stats_t>(),
        ),
        (
            "__guest_handle_64_xen_carrefour_stats_t__bindgen_ty_1",
            size_of::<c::__guest_handle_64_xen_carrefour_stats_t__bindgen_ty_1>(),
            align_of::<c::__guest_handle_64_xen_carrefour_stats_t__bindgen_ty_1>(),
        ),
        (
            "__guest_handle_64_const_xen_carrefour_stats_t",
            size_of::<c::__guest_handle_64_const_xen_carrefour_stats_t>(),
            align_of::<c::__guest_handle_64_const_xen_carrefour_stats_t>(),
        ),
        (
            "__guest_handle_64_const_xen_carrefour_stats_t__bindgen_ty_1",
            size_of::<c::__guest_handle_64_const_xen_carrefour_stats_t__bindgen_ty_1>(),
            align_of::<c::__guest_handle_64_const_xen_carrefour_stats_t__bindgen_ty_1>(),
        ),
    ] {
        report.checked_types.insert(name);
        report.eq(format!("sizeof({name})"), size_of::<u64>(), size);
        report.eq(format!("alignof({name})"), 8, align);
    }

    // Every type bindgen emitted for the header is checked above.
    let emitted = emitted_types(C_BINDINGS);
    let unchecked: Vec<_> = emitted.difference(&report.checked_types).collect();
    assert!(
        unchecked.is_empty(),
        "carrefour.h has types this test does not check: {unchecked:?}; \
         mirror them in src/layout.rs and list them here"
    );
    let stale: Vec<_> = report.checked_types.difference(&emitted).collect();
    assert!(
        stale.is_empty(),
        "checked types bindgen did not emit: {stale:?}"
    );
    report.finish("include/public/carrefour.h");
}

/// The names of the structs and unions in bindgen's output.
fn emitted_types(bindings: &str) -> BTreeSet<&'static str> {
    bindings
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            line.strip_prefix("pub struct ")
                .or_else(|| line.strip_prefix("pub union "))
        })
        .map(|rest| {
            rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap()
        })
        .filter(|name| !name.starts_with("__Bindgen"))
        .map(|name| &*String::leak(name.to_owned()))
        .collect()
}

/// Every constant of `consts.rs`, by name.
fn rust_int_constants() -> BTreeMap<&'static str, u64> {
    macro_rules! table {
        ($($name:ident),* $(,)?) => {
            BTreeMap::from([$((stringify!($name), $name as u64)),*])
        };
    }
    table![
        XEN_CARREFOUR_ABI_VERSION,
        XEN_CARREFOUR_MAX_NODES,
        XEN_DOMCTL_CARREFOUR_OP_ENABLE,
        XEN_DOMCTL_CARREFOUR_OP_DISABLE,
        XEN_DOMCTL_CARREFOUR_OP_GET_INFO,
        XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS,
        XEN_DOMCTL_CARREFOUR_OP_GET_STATS,
        XEN_CARREFOUR_SAMPLER_DEFAULT,
        XEN_CARREFOUR_SAMPLER_IBS,
        XEN_CARREFOUR_SAMPLER_FAULT,
        XEN_CARREFOUR_PARAM_EPOCH_MS,
        XEN_CARREFOUR_PARAM_MIN_MAPTU,
        XEN_CARREFOUR_PARAM_INTERLEAVE_IMBALANCE_PERMILLE,
        XEN_CARREFOUR_PARAM_MIGRATE_LAR_PERMILLE,
        XEN_CARREFOUR_PARAM_REPLICATE_MEMORY_PERMILLE,
        XEN_CARREFOUR_PARAM_REPLICATE_WRITE_PERMILLE,
        XEN_CARREFOUR_PARAM_REPLICATE_MIN_CANDIDATES,
        XEN_CARREFOUR_PARAM_MIGRATE_MIN_SAMPLES,
        XEN_CARREFOUR_PARAM_TRACKED_PAGES,
        XEN_CARREFOUR_PARAM_BUDGET_PAGES,
        XEN_CARREFOUR_PARAM_BUDGET_MB_PER_SEC,
        XEN_CARREFOUR_PARAM_COOLDOWN_EPOCHS,
        XEN_CARREFOUR_PARAM_FREEZE_EPOCHS,
        XEN_CARREFOUR_PARAM_SAMPLING_CPU_PERMILLE,
        XEN_CARREFOUR_PARAM_SAMPLING_PERIOD,
        XEN_CARREFOUR_PARAM_EXTENT_AGREE_PERMILLE,
        XEN_CARREFOUR_PARAM_REPLICATION,
        XEN_CARREFOUR_PARAM_NR,
        XEN_CARREFOUR_ACTION_MIGRATE,
        XEN_CARREFOUR_ACTION_INTERLEAVE,
        XEN_CARREFOUR_ACTION_REPLICATE,
        XEN_CARREFOUR_ACTION_NR,
        XEN_CARREFOUR_SKIP_EXTRA_REFS,
        XEN_CARREFOUR_SKIP_NOT_RAM,
        XEN_CARREFOUR_SKIP_PAGED_SHARED,
        XEN_CARREFOUR_SKIP_PASSTHROUGH,
        XEN_CARREFOUR_SKIP_NO_MEMORY,
        XEN_CARREFOUR_SKIP_ALREADY_THERE,
        XEN_CARREFOUR_SKIP_UNSUPPORTED,
        XEN_CARREFOUR_SKIP_DYING,
        XEN_CARREFOUR_SKIP_LOG_DIRTY,
        XEN_CARREFOUR_SKIP_NR,
        XEN_CARREFOUR_MAX_SET_PARAMS,
        XEN_CARREFOUR_INFO_F_REPLICATION,
        XEN_CARREFOUR_INFO_F_ALLOWED,
    ]
}

#[test]
fn every_define_has_a_rust_constant_with_the_same_value() {
    let rust = rust_int_constants();
    let c: BTreeMap<&str, i64> = generated::C_INT_MACROS.iter().copied().collect();
    assert!(!c.is_empty(), "build.rs found no #define in the header");
    let missing: Vec<_> = c.keys().filter(|n| !rust.contains_key(*n)).collect();
    assert!(
        missing.is_empty(),
        "#defines without a Rust constant in consts.rs: {missing:?}"
    );
    let extra: Vec<_> = rust.keys().filter(|n| !c.contains_key(*n)).collect();
    assert!(
        extra.is_empty(),
        "Rust constants the header does not define: {extra:?}"
    );
    let differing: Vec<_> = c
        .iter()
        .filter(|&(name, &value)| u64::try_from(value).ok() != Some(rust[name]))
        .map(|(name, value)| format!("{name}: C {value}, Rust {}", rust[name]))
        .collect();
    assert!(differing.is_empty(), "constants differ: {differing:?}");
}

#[test]
fn function_like_defines_agree_with_their_rust_functions() {
    assert_eq!(
        generated::C_FUNCTION_MACROS,
        ["XEN_CARREFOUR_ABI_MAJOR"],
        "the header's function-like macros changed: check the new ones here"
    );
    for (argument, c_value) in [
        (
            XEN_CARREFOUR_ABI_VERSION,
            c::CARREFOUR_CHECK_ABI_MAJOR_OF_VERSION,
        ),
        (0x0002_0003, c::CARREFOUR_CHECK_ABI_MAJOR_OF_0x00020003),
        (0xffff_ffff, c::CARREFOUR_CHECK_ABI_MAJOR_OF_0xFFFFFFFF),
    ] {
        assert_eq!(
            xen_carrefour_abi_major(argument),
            c_value,
            "XEN_CARREFOUR_ABI_MAJOR({argument:#x})"
        );
    }
}

#[test]
fn layout_is_the_same_for_32_and_64_bit_x86() {
    let x86_64 = generated::C_LAYOUT_X86_64;
    let i686 = generated::C_LAYOUT_I686;
    assert!(x86_64.len() > 50, "too few layout facts: {}", x86_64.len());
    let differing: Vec<_> = x86_64
        .iter()
        .zip(i686)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("x86_64 {a:?} / i686 {b:?}"))
        .collect();
    assert!(
        differing.is_empty() && x86_64.len() == i686.len(),
        "uint64_aligned_t should make the layout the same on 32-bit x86: {differing:?}"
    );
}

#[test]
fn xen_tree_check_runs_or_says_why_not() {
    match xen_src::XEN_SRC {
        None => eprintln!(
            "XEN_SRC is not set: skipped the check of a Xen tree's domctl.h \
             (the check of include/public/carrefour.h ran)"
        ),
        Some(tree) => eprintln!("XEN_SRC={tree}: Xen tree checked by the xen_tree tests"),
    }
}

#[cfg(xen_src)]
mod xen_tree {
    use super::*;
    use xen_src::c as xc;

    #[test]
    fn xen_domctl_is_still_144_bytes() {
        assert_eq!(
            size_of::<xc::xen_domctl>(),
            144,
            "sizeof(struct xen_domctl)"
        );
        assert_eq!(
            offset_of!(xc::xen_domctl, u),
            16,
            "offsetof(struct xen_domctl, u)"
        );
        assert_eq!(
            field_size(|d: &xc::xen_domctl| core::ptr::addr_of!(d.u)),
            XEN_DOMCTL_U_SIZE,
            "sizeof(xen_domctl.u)"
        );
    }

    #[test]
    fn xen_domctl_holds_the_carrefour_op() {
        assert!(
            xen_src::CARREFOUR_MEMBER.is_some(),
            "XEN_SRC={}: the union of struct xen_domctl has no struct \
             xen_domctl_carrefour_op member (is the patch series applied?)",
            xen_src::XEN_SRC.unwrap_or_default()
        );
        match xen_src::DOMCTL_CMD {
            Some(cmd) => eprintln!("XEN_DOMCTL_carrefour_op = {cmd}"),
            None => panic!("the tree does not define XEN_DOMCTL_carrefour_op"),
        }
    }

    #[cfg(xen_src_has_carrefour)]
    #[test]
    fn the_trees_carrefour_op_matches_the_mirror() {
        let (offset, size) = xen_src::carrefour_member_layout();
        assert_eq!(offset, 0);
        assert_eq!(size, size_of::<XenDomctlCarrefourOp>());
        // xen_domctl.u is the union that holds the member.
        assert_eq!(
            field_size(|d: &xc::xen_domctl| core::ptr::addr_of!(d.u)),
            size_of::<xen_src::DomctlUnion>()
        );
        let mut report = Report::default();
        check_abi_structs!(report, xc);
        report.finish("the Xen tree's domctl.h");
    }

    #[test]
    fn the_trees_copy_of_the_header_is_this_one() {
        let ours = include_str!("../include/public/carrefour.h");
        match std::fs::read_to_string(xen_src::TREE_CARREFOUR_H) {
            Ok(theirs) => assert!(
                theirs == ours,
                "{} differs from include/public/carrefour.h",
                xen_src::TREE_CARREFOUR_H
            ),
            Err(e) => panic!("cannot read {}: {e}", xen_src::TREE_CARREFOUR_H),
        }
    }

    #[test]
    fn errno_values_are_xens() {
        let xen: BTreeMap<&str, i64> = xen_src::XEN_ERRNO
            .iter()
            .map(|&(name, value)| (name.strip_prefix("XEN_").unwrap_or(name), value))
            .collect();
        assert!(!xen.is_empty(), "no enum xen_errno in the tree's errno.h");
        let ours: BTreeMap<&str, i64> = errno::ALL
            .iter()
            .map(|&(name, value)| (name, i64::from(value)))
            .collect();
        assert_eq!(ours, xen, "src/errno.rs against the tree's public/errno.h");
    }
}

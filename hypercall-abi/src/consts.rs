//! Every `#define` of `include/public/carrefour.h`, under its C name.
//!
//! Wire values (what travels in a `uint32_t` field) are `u32`; counts that
//! size arrays are `usize`.  The bindgen check (`tests/bindgen_layout.rs`)
//! compares each value with the one the C compiler sees, and fails when the
//! header gains a `#define` that is not mirrored here.

/// `XEN_CARREFOUR_ABI_VERSION`: major in the upper 16 bits (incompatible
/// change), minor in the lower 16 (compatible addition).  Callers pass the
/// version they were built against; Xen accepts the same major.
pub const XEN_CARREFOUR_ABI_VERSION: u32 = 0x0001_0000;

/// `XEN_CARREFOUR_ABI_MAJOR(v)`: the major part of an ABI version.
pub const fn xen_carrefour_abi_major(version: u32) -> u32 {
    version >> 16
}

/// `XEN_CARREFOUR_MAX_NODES`: largest number of NUMA nodes the statistics
/// describe (length of the per-node arrays).
pub const XEN_CARREFOUR_MAX_NODES: usize = 64;

// Sub-operations (xen_domctl_carrefour_op.cmd).
/// `XEN_DOMCTL_CARREFOUR_OP_ENABLE`
pub const XEN_DOMCTL_CARREFOUR_OP_ENABLE: u32 = 1;
/// `XEN_DOMCTL_CARREFOUR_OP_DISABLE`
pub const XEN_DOMCTL_CARREFOUR_OP_DISABLE: u32 = 2;
/// `XEN_DOMCTL_CARREFOUR_OP_GET_INFO`
pub const XEN_DOMCTL_CARREFOUR_OP_GET_INFO: u32 = 3;
/// `XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS`
pub const XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS: u32 = 4;
/// `XEN_DOMCTL_CARREFOUR_OP_GET_STATS`
pub const XEN_DOMCTL_CARREFOUR_OP_GET_STATS: u32 = 5;

// Samplers (enable.sampler, info.sampler).
/// `XEN_CARREFOUR_SAMPLER_DEFAULT`: IBS if usable, else fault.
pub const XEN_CARREFOUR_SAMPLER_DEFAULT: u32 = 0;
/// `XEN_CARREFOUR_SAMPLER_IBS`: AMD IBS op sampling (NMI).
pub const XEN_CARREFOUR_SAMPLER_IBS: u32 = 1;
/// `XEN_CARREFOUR_SAMPLER_FAULT`: p2m hinting faults.
pub const XEN_CARREFOUR_SAMPLER_FAULT: u32 = 2;

// Per-domain parameters (set_params, stats.params[]).  Ratios in permille,
// times in milliseconds, sizes in 4 KiB pages; ranges are the engine's.
/// `XEN_CARREFOUR_PARAM_EPOCH_MS`
pub const XEN_CARREFOUR_PARAM_EPOCH_MS: u32 = 0;
/// `XEN_CARREFOUR_PARAM_MIN_MAPTU`
pub const XEN_CARREFOUR_PARAM_MIN_MAPTU: u32 = 1;
/// `XEN_CARREFOUR_PARAM_INTERLEAVE_IMBALANCE_PERMILLE`
pub const XEN_CARREFOUR_PARAM_INTERLEAVE_IMBALANCE_PERMILLE: u32 = 2;
/// `XEN_CARREFOUR_PARAM_MIGRATE_LAR_PERMILLE`
pub const XEN_CARREFOUR_PARAM_MIGRATE_LAR_PERMILLE: u32 = 3;
/// `XEN_CARREFOUR_PARAM_REPLICATE_MEMORY_PERMILLE`
pub const XEN_CARREFOUR_PARAM_REPLICATE_MEMORY_PERMILLE: u32 = 4;
/// `XEN_CARREFOUR_PARAM_REPLICATE_WRITE_PERMILLE`
pub const XEN_CARREFOUR_PARAM_REPLICATE_WRITE_PERMILLE: u32 = 5;
/// `XEN_CARREFOUR_PARAM_REPLICATE_MIN_CANDIDATES`
pub const XEN_CARREFOUR_PARAM_REPLICATE_MIN_CANDIDATES: u32 = 6;
/// `XEN_CARREFOUR_PARAM_MIGRATE_MIN_SAMPLES`
pub const XEN_CARREFOUR_PARAM_MIGRATE_MIN_SAMPLES: u32 = 7;
/// `XEN_CARREFOUR_PARAM_TRACKED_PAGES`
pub const XEN_CARREFOUR_PARAM_TRACKED_PAGES: u32 = 8;
/// `XEN_CARREFOUR_PARAM_BUDGET_PAGES`
pub const XEN_CARREFOUR_PARAM_BUDGET_PAGES: u32 = 9;
/// `XEN_CARREFOUR_PARAM_BUDGET_MB_PER_SEC`
pub const XEN_CARREFOUR_PARAM_BUDGET_MB_PER_SEC: u32 = 10;
/// `XEN_CARREFOUR_PARAM_COOLDOWN_EPOCHS`
pub const XEN_CARREFOUR_PARAM_COOLDOWN_EPOCHS: u32 = 11;
/// `XEN_CARREFOUR_PARAM_FREEZE_EPOCHS`
pub const XEN_CARREFOUR_PARAM_FREEZE_EPOCHS: u32 = 12;
/// `XEN_CARREFOUR_PARAM_SAMPLING_CPU_PERMILLE`
pub const XEN_CARREFOUR_PARAM_SAMPLING_CPU_PERMILLE: u32 = 13;
/// `XEN_CARREFOUR_PARAM_SAMPLING_PERIOD`
pub const XEN_CARREFOUR_PARAM_SAMPLING_PERIOD: u32 = 14;
/// `XEN_CARREFOUR_PARAM_EXTENT_AGREE_PERMILLE`
pub const XEN_CARREFOUR_PARAM_EXTENT_AGREE_PERMILLE: u32 = 15;
/// `XEN_CARREFOUR_PARAM_REPLICATION`
pub const XEN_CARREFOUR_PARAM_REPLICATION: u32 = 16;
/// `XEN_CARREFOUR_PARAM_NR`: number of parameters (length of stats.params[]).
pub const XEN_CARREFOUR_PARAM_NR: usize = 17;

// Kinds of action the engine decides (stats.actions[]).
/// `XEN_CARREFOUR_ACTION_MIGRATE`
pub const XEN_CARREFOUR_ACTION_MIGRATE: u32 = 0;
/// `XEN_CARREFOUR_ACTION_INTERLEAVE`
pub const XEN_CARREFOUR_ACTION_INTERLEAVE: u32 = 1;
/// `XEN_CARREFOUR_ACTION_REPLICATE`
pub const XEN_CARREFOUR_ACTION_REPLICATE: u32 = 2;
/// `XEN_CARREFOUR_ACTION_NR`: number of kinds (length of stats.actions[]).
pub const XEN_CARREFOUR_ACTION_NR: usize = 3;

// Why Xen did not carry out an action (stats.skipped[]).
/// `XEN_CARREFOUR_SKIP_EXTRA_REFS`: grant or foreign mapping.
pub const XEN_CARREFOUR_SKIP_EXTRA_REFS: u32 = 0;
/// `XEN_CARREFOUR_SKIP_NOT_RAM`: p2m type is not plain RAM.
pub const XEN_CARREFOUR_SKIP_NOT_RAM: u32 = 1;
/// `XEN_CARREFOUR_SKIP_PAGED_SHARED`: paged out or shared.
pub const XEN_CARREFOUR_SKIP_PAGED_SHARED: u32 = 2;
/// `XEN_CARREFOUR_SKIP_PASSTHROUGH`: domain has devices.
pub const XEN_CARREFOUR_SKIP_PASSTHROUGH: u32 = 3;
/// `XEN_CARREFOUR_SKIP_NO_MEMORY`: target node is full.
pub const XEN_CARREFOUR_SKIP_NO_MEMORY: u32 = 4;
/// `XEN_CARREFOUR_SKIP_ALREADY_THERE`: frame is on the target.
pub const XEN_CARREFOUR_SKIP_ALREADY_THERE: u32 = 5;
/// `XEN_CARREFOUR_SKIP_UNSUPPORTED`: e.g. replication.
pub const XEN_CARREFOUR_SKIP_UNSUPPORTED: u32 = 6;
/// `XEN_CARREFOUR_SKIP_DYING`: domain is going away.
pub const XEN_CARREFOUR_SKIP_DYING: u32 = 7;
/// `XEN_CARREFOUR_SKIP_LOG_DIRTY`: save/migration under way.
pub const XEN_CARREFOUR_SKIP_LOG_DIRTY: u32 = 8;
/// `XEN_CARREFOUR_SKIP_NR`: number of reasons (length of stats.skipped[]).
pub const XEN_CARREFOUR_SKIP_NR: usize = 9;

/// `XEN_CARREFOUR_MAX_SET_PARAMS`: largest number of assignments in one
/// set_params call.
pub const XEN_CARREFOUR_MAX_SET_PARAMS: usize = 6;

/// `XEN_CARREFOUR_INFO_F_REPLICATION`: replication can be carried out (it
/// cannot in this version).
pub const XEN_CARREFOUR_INFO_F_REPLICATION: u32 = 1 << 0;
/// `XEN_CARREFOUR_INFO_F_ALLOWED`: Xen's command line allows Carrefour
/// (`carrefour=on`).
pub const XEN_CARREFOUR_INFO_F_ALLOWED: u32 = 1 << 1;

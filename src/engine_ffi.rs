//! The engine's trampolines: the only door from Xen's C into the engine.
//!
//! Each function validates what C hands it, converts it to the engine's
//! types, calls the engine and maps failures to a negative errno.  The C
//! declarations are in `xen/arch/x86/carrefour/engine.h` (patch series);
//! the `#[repr(C)]` types below are asserted to the sizes written there.
//!
//! # The contract C keeps (relied on by every `SAFETY` comment below)
//!
//! - An engine pointer comes from [`carrefour_engine_create`] and is used
//!   until [`carrefour_engine_destroy`]; Xen serialises every call on one
//!   engine with its `carrefour_lock`, so a call has exclusive access.
//! - A `(pointer, count)` pair names `count` initialised elements that stay
//!   valid and unaliased by writers for the call; a null pointer with a
//!   non-zero count is refused with `-EINVAL`.
//! - An output pointer names writable memory of the pointed-to type.

use core::ptr;
use core::slice;

use alloc::alloc::{alloc, dealloc, Layout};

use carrefour_core::{
    AccessKind, ActionKind, DataSource, DomId, Engine, EngineError, EpochInput, Gfn, NodeId,
    Outcome, Params, Sample, SkipReason, Topology,
};
use hypercall_abi::errno::{EBUSY, EEXIST, EINVAL, ENOENT, ENOMEM};
use hypercall_abi::{XenCarrefourParam, XenCarrefourStats, XEN_CARREFOUR_ABI_VERSION};

/// The engine, as C sees it: an opaque pointer.
pub struct CarrefourEngine {
    engine: Engine,
}

/// One sample handed over by a sampler (`struct carrefour_sample`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CarrefourSample {
    /// Guest frame.
    pub gfn: u64,
    /// Owning domain.
    pub domid: u16,
    /// Node of the frame.
    pub frame_node: u8,
    /// Node of the accessing CPU.
    pub cpu_node: u8,
    /// `CARREFOUR_ACCESS_LOAD` (0) or `CARREFOUR_ACCESS_STORE` (1).
    pub kind: u8,
    /// `CARREFOUR_SOURCE_*`: 0 unknown, 1 local cache, 2 remote cache,
    /// 3 DRAM, 4 I/O.
    pub source: u8,
    /// 0, or 9: the sample came from a 2 MiB mapping and stands for the
    /// whole extent around `gfn`.
    pub order: u8,
    /// Zero.
    pub pad: u8,
}
const _: () = assert!(core::mem::size_of::<CarrefourSample>() == 16);

/// One decided action (`struct carrefour_action`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CarrefourAction {
    /// First guest frame (aligned to `1 << order`).
    pub gfn: u64,
    /// The domain.
    pub domid: u16,
    /// 0 (4 KiB) or 9 (2 MiB).
    pub order: u8,
    /// `XEN_CARREFOUR_ACTION_*`.
    pub kind: u8,
    /// Target node.
    pub target: u8,
    /// Node the frame was on when sampled.
    pub from: u8,
    /// Zero.
    pub pad: [u8; 2],
}
const _: () = assert!(core::mem::size_of::<CarrefourAction>() == 16);

/// What Xen knows of the epoch that ends (`struct carrefour_epoch_in`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CarrefourEpochIn {
    /// Epoch length, microseconds.
    pub elapsed_us: u64,
    /// Memory in use on the host, permille.
    pub memory_use_permille: u64,
    /// Cost of one sample, nanoseconds.
    pub sample_cost_ns: u64,
    /// Per-node DRAM accesses, or null.
    pub dram_accesses: *const u64,
    /// Entries at `dram_accesses`.
    pub nr_dram: u32,
    /// Zero.
    pub pad: u32,
}
const _: () = assert!(core::mem::size_of::<CarrefourEpochIn>() == 40);

/// Engine-wide figures for the debug dump (`struct carrefour_engine_info`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CarrefourEngineInfo {
    /// Decision rounds run.
    pub epochs: u64,
    /// Domains enabled.
    pub domains: u64,
    /// Samples for domains not enabled.
    pub samples_unknown_domain: u64,
    /// Samples naming nodes that do not exist.
    pub samples_bad_node: u64,
    /// Actions of the last epoch.
    pub last_actions: u64,
    /// Page budget of the last epoch.
    pub last_budget_pages: u64,
    /// Pages the last epoch's actions cover.
    pub last_budget_used_pages: u64,
    /// Machine-wide local access ratio, permille.
    pub lar_permille: u64,
    /// Machine-wide controller imbalance, permille.
    pub imbalance_permille: u64,
}
const _: () = assert!(core::mem::size_of::<CarrefourEngineInfo>() == 72);

/// Outcome codes of [`carrefour_engine_report`]: done, failed, or a skip
/// reason (`XEN_CARREFOUR_SKIP_*`) plus this base.
pub const CARREFOUR_OUTCOME_DONE: i32 = 0;
/// The action was attempted and failed; the guest is unaffected.
pub const CARREFOUR_OUTCOME_FAILED: i32 = -1;
/// `CARREFOUR_OUTCOME_SKIPPED + XEN_CARREFOUR_SKIP_x`: skipped for reason x.
pub const CARREFOUR_OUTCOME_SKIPPED: i32 = 1;

fn errno_of(e: EngineError) -> i32 {
    -match e {
        EngineError::Topology(_) | EngineError::Param(_) => EINVAL,
        EngineError::NoMemory => ENOMEM,
        EngineError::TooManyDomains => EBUSY,
        EngineError::UnknownDomain(_) => ENOENT,
        EngineError::AlreadyEnabled(_) => EEXIST,
    }
}

fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A slice from C's `(pointer, count)`, `None` for null with a count.
///
/// # Safety
/// When `p` is not null it must point to `n` initialised `T` valid for
/// `'a` and not written during it.
unsafe fn c_slice<'a, T>(p: *const T, n: u32) -> Option<&'a [T]> {
    if n == 0 {
        return Some(&[]);
    }
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` is non-null and, by this function's contract, points to
    // `n` initialised elements valid and unwritten for 'a.
    Some(unsafe { slice::from_raw_parts(p, n as usize) })
}

/// The engine behind `e`, or `None` for null.
///
/// # Safety
/// `e` is null or came from [`carrefour_engine_create`], not yet destroyed,
/// and the caller has exclusive access to it for `'a` (Xen's lock).
unsafe fn engine_mut<'a>(e: *mut CarrefourEngine) -> Option<&'a mut Engine> {
    // SAFETY: by this function's contract, a non-null `e` is a live engine
    // to which the caller has exclusive access.
    unsafe { e.as_mut() }.map(|c| &mut c.engine)
}

/// 0, or the errno of an engine call's failure.
fn rc_of(r: Result<(), EngineError>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(err) => errno_of(err),
    }
}

/// Converts C's parameter assignments (checking their padding) and hands
/// them to `apply`; the result as an errno.
fn with_assignments(
    params: &[XenCarrefourParam],
    apply: impl FnOnce(&[(u32, u64)]) -> Result<(), EngineError>,
) -> i32 {
    let mut buf = [(0u32, 0u64); 32];
    if params.len() > buf.len() {
        return -EINVAL;
    }
    for (slot, p) in buf.iter_mut().zip(params) {
        if p.pad != 0 {
            return -EINVAL;
        }
        *slot = (p.id, p.value);
    }
    rc_of(apply(buf.get(..params.len()).unwrap_or(&[])))
}

/// Creates an engine for a machine of `nr_nodes` nodes whose CPU `i` is
/// on node `cpu_node[i]` (`nr_cpus` entries) with the row-major SLIT
/// `distance` (`nr_nodes * nr_nodes` entries, or null for 10/20), whose
/// epochs produce at most `max_actions` actions.  Writes it to `*out`.
///
/// Returns 0, `-EINVAL` for a bad topology or argument, `-ENOMEM`.
///
/// # Safety
/// `cpu_node` and `distance` follow the module's `(pointer, count)`
/// contract; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_create(
    nr_nodes: u32,
    cpu_node: *const u32,
    nr_cpus: u32,
    distance: *const u8,
    max_actions: u32,
    out: *mut *mut CarrefourEngine,
) -> i32 {
    if out.is_null() || max_actions == 0 {
        return -EINVAL;
    }
    // SAFETY: module contract for (cpu_node, nr_cpus).
    let Some(cpus) = (unsafe { c_slice(cpu_node, nr_cpus) }) else {
        return -EINVAL;
    };
    let cells = if distance.is_null() {
        0
    } else {
        nr_nodes.saturating_mul(nr_nodes)
    };
    // SAFETY: module contract: a non-null distance has nr_nodes^2 entries.
    let Some(dist) = (unsafe { c_slice(distance, cells) }) else {
        return -EINVAL;
    };
    let topology = match Topology::new(nr_nodes as usize, cpus, dist) {
        Ok(t) => t,
        Err(e) => return errno_of(EngineError::Topology(e)),
    };
    let mut defaults = Params::default();
    // Xen 4.17 has no per-node p2m views: replication cannot be carried
    // out, so the engine must not propose it.
    if defaults
        .set(carrefour_core::Tunable::Replication, 0)
        .is_err()
    {
        return -EINVAL;
    }
    let engine = match Engine::new(topology, defaults, max_actions as usize) {
        Ok(e) => e,
        Err(e) => return errno_of(e),
    };
    let layout = Layout::new::<CarrefourEngine>();
    // SAFETY: the layout has a non-zero size (Engine holds vectors).
    let p = unsafe { alloc(layout) }.cast::<CarrefourEngine>();
    if p.is_null() {
        return -ENOMEM;
    }
    // SAFETY: `p` is a fresh allocation of the right layout, and `out` is
    // writable by the caller's contract.
    unsafe {
        ptr::write(p, CarrefourEngine { engine });
        ptr::write(out, p);
    }
    0
}

/// Destroys an engine and frees all its memory.  Null is ignored.
///
/// # Safety
/// `e` came from [`carrefour_engine_create`] and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_destroy(e: *mut CarrefourEngine) {
    if e.is_null() {
        return;
    }
    // SAFETY: `e` is a live engine allocated by carrefour_engine_create
    // with this layout; the caller never uses it again.
    unsafe {
        ptr::drop_in_place(e);
        dealloc(e.cast(), Layout::new::<CarrefourEngine>());
    }
}

/// Sets the parameters new domains start with, all or nothing.
/// Returns 0 or `-EINVAL`.
///
/// # Safety
/// Module contract for `e` and `(params, nr)`.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_set_defaults(
    e: *mut CarrefourEngine,
    params: *const XenCarrefourParam,
    nr: u32,
) -> i32 {
    // SAFETY: module contract.
    let (Some(engine), Some(params)) = (unsafe { engine_mut(e) }, unsafe { c_slice(params, nr) })
    else {
        return -EINVAL;
    };
    with_assignments(params, |a| engine.set_defaults(a))
}

/// Starts managing `domid`.  Returns 0, `-EEXIST`, `-EBUSY` (too many
/// domains), `-ENOMEM` or `-EINVAL`.
///
/// # Safety
/// Module contract for `e`.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_enable(e: *mut CarrefourEngine, domid: u16) -> i32 {
    // SAFETY: module contract.
    let Some(engine) = (unsafe { engine_mut(e) }) else {
        return -EINVAL;
    };
    rc_of(engine.enable(DomId(domid)))
}

/// Stops managing `domid`.  Returns 0, `-ENOENT` (not enabled) or
/// `-EINVAL`.
///
/// # Safety
/// Module contract for `e`.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_disable(e: *mut CarrefourEngine, domid: u16) -> i32 {
    // SAFETY: module contract.
    let Some(engine) = (unsafe { engine_mut(e) }) else {
        return -EINVAL;
    };
    rc_of(engine.disable(DomId(domid)))
}

/// Sets parameters of `domid`, all or nothing.  Returns 0, `-EINVAL` (bad
/// id, value, padding), `-ENOENT` (not enabled) or `-ENOMEM` (a new table
/// size could not be allocated; the old one stays).
///
/// # Safety
/// Module contract for `e` and `(params, nr)`.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_set_params(
    e: *mut CarrefourEngine,
    domid: u16,
    params: *const XenCarrefourParam,
    nr: u32,
) -> i32 {
    // SAFETY: module contract.
    let (Some(engine), Some(params)) = (unsafe { engine_mut(e) }, unsafe { c_slice(params, nr) })
    else {
        return -EINVAL;
    };
    with_assignments(params, |a| engine.set_params(DomId(domid), a))
}

/// Fills the engine's part of `*out` for `domid`: info (but `enabled`,
/// `sampler` and `flags`, which Xen knows), actions, skips, failures,
/// parameters, per-node accesses.  `node_pages` is left to Xen.
/// Returns 0, `-ENOENT` or `-EINVAL`.
///
/// # Safety
/// Module contract for `e`; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_get_stats(
    e: *mut CarrefourEngine,
    domid: u16,
    out: *mut XenCarrefourStats,
) -> i32 {
    // SAFETY: module contract.
    let Some(engine) = (unsafe { engine_mut(e) }) else {
        return -EINVAL;
    };
    // SAFETY: module contract: `out` is null or writable.
    let Some(out) = (unsafe { out.as_mut() }) else {
        return -EINVAL;
    };
    let Some(st) = engine.domain_stats(DomId(domid)) else {
        return -ENOENT;
    };
    let Some(params) = engine.params(DomId(domid)) else {
        return -ENOENT;
    };
    let nr_nodes = engine.topology().nr_nodes();
    out.abi_version = XEN_CARREFOUR_ABI_VERSION;
    out.nr_nodes = nr_nodes as u32;
    out.info.nr_nodes = nr_nodes as u32;
    out.info.epochs = st.epochs;
    out.info.samples = st.samples;
    out.info.samples_dropped = st.samples_dropped;
    out.info.tracked_pages = st.tracked_pages;
    out.info.pages_moved = st.pages_moved;
    out.info.sampling_period = st.sampling_period;
    out.info.local_access_permille = u32::try_from(st.last.lar_permille).unwrap_or(u32::MAX);
    out.info.imbalance_permille = u32::try_from(st.last.imbalance_permille).unwrap_or(u32::MAX);
    for (o, s) in out.actions.iter_mut().zip(st.actions.iter()) {
        *o = *s;
    }
    for (o, s) in out.skipped.iter_mut().zip(st.skipped.iter()) {
        *o = *s;
    }
    out.failed = st.failed;
    out.frozen_pages = st.frozen_pages;
    out.budget_exhausted_epochs = st.budget_exhausted_epochs;
    for (o, v) in out.params.iter_mut().zip(params.values().iter()) {
        *o = *v;
    }
    for (o, a) in out
        .node_accesses
        .iter_mut()
        .zip(st.node_accesses.iter().take(nr_nodes))
    {
        *o = *a;
    }
    0
}

/// Engine-wide figures.  Returns 0 or `-EINVAL`.
///
/// # Safety
/// Module contract for `e`; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_get_info(
    e: *mut CarrefourEngine,
    out: *mut CarrefourEngineInfo,
) -> i32 {
    // SAFETY: module contract.
    let Some(engine) = (unsafe { engine_mut(e) }) else {
        return -EINVAL;
    };
    // SAFETY: module contract: `out` is null or writable.
    let Some(out) = (unsafe { out.as_mut() }) else {
        return -EINVAL;
    };
    let g = engine.global_stats();
    *out = CarrefourEngineInfo {
        epochs: g.epochs,
        domains: g.domains,
        samples_unknown_domain: g.samples_unknown_domain,
        samples_bad_node: g.samples_bad_node,
        last_actions: g.last_actions,
        last_budget_pages: g.last_budget_pages,
        last_budget_used_pages: g.last_budget_used_pages,
        lar_permille: g.last.lar_permille,
        imbalance_permille: g.last.imbalance_permille,
    };
    0
}

/// The sampling period `domid` should use now, 0 when not enabled.
///
/// # Safety
/// Module contract for `e`.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_sampling_period(
    e: *mut CarrefourEngine,
    domid: u16,
) -> u64 {
    // SAFETY: module contract.
    let Some(engine) = (unsafe { engine_mut(e) }) else {
        return 0;
    };
    engine.sampling_period(DomId(domid)).unwrap_or(0)
}

/// The value of parameter `id` of `domid` (or of the defaults for
/// `DOMID_INVALID`), 0 when unknown.
///
/// # Safety
/// Module contract for `e`.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_param(
    e: *mut CarrefourEngine,
    domid: u16,
    id: u32,
) -> u64 {
    // SAFETY: module contract.
    let Some(engine) = (unsafe { engine_mut(e) }) else {
        return 0;
    };
    let Some(t) = carrefour_core::Tunable::from_id(id) else {
        return 0;
    };
    match engine.params(DomId(domid)) {
        Some(p) => p.get(t),
        None => engine.defaults().get(t),
    }
}

fn sample_of(s: &CarrefourSample) -> Option<Sample> {
    let kind = match s.kind {
        0 => AccessKind::Load,
        1 => AccessKind::Store,
        _ => return None,
    };
    let source = match s.source {
        0 => DataSource::Unknown,
        1 => DataSource::LocalCache,
        2 => DataSource::RemoteCache,
        3 => DataSource::Dram,
        4 => DataSource::Io,
        _ => return None,
    };
    Some(Sample {
        domain: DomId(s.domid),
        gfn: Gfn(s.gfn),
        frame_node: NodeId::new(u32::from(s.frame_node))?,
        cpu_node: NodeId::new(u32::from(s.cpu_node))?,
        kind,
        source,
    })
}

/// Records `nr` samples; returns how many were accepted (the others were
/// malformed, for a domain not enabled, or dropped, and are counted).
///
/// # Safety
/// Module contract for `e` and `(samples, nr)`.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_ingest(
    e: *mut CarrefourEngine,
    samples: *const CarrefourSample,
    nr: u32,
) -> u32 {
    // SAFETY: module contract.
    let (Some(engine), Some(samples)) = (unsafe { engine_mut(e) }, unsafe { c_slice(samples, nr) })
    else {
        return 0;
    };
    let mut accepted = 0u32;
    for s in samples {
        let Some(sample) = sample_of(s) else { continue };
        let ok = match s.order {
            0 => engine.ingest(&sample).is_ok(),
            9 => engine.ingest_extent(&sample).is_ok(),
            _ => false,
        };
        if ok {
            accepted = accepted.saturating_add(1);
        }
    }
    accepted
}

/// Ends the epoch and writes up to `max` actions to `out`; returns how
/// many (the batch's indices are 0..n for [`carrefour_engine_report`]),
/// or `-EINVAL`.
///
/// # Safety
/// Module contract for `e`; `input` is readable and its
/// `(dram_accesses, nr_dram)` follow the pair contract; `out` has room for
/// `max` actions.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_decide(
    e: *mut CarrefourEngine,
    input: *const CarrefourEpochIn,
    out: *mut CarrefourAction,
    max: u32,
) -> i32 {
    // SAFETY: module contract.
    let Some(engine) = (unsafe { engine_mut(e) }) else {
        return -EINVAL;
    };
    // SAFETY: module contract: `input` is null or readable.
    let Some(input) = (unsafe { input.as_ref() }) else {
        return -EINVAL;
    };
    if (out.is_null() && max != 0) || input.pad != 0 {
        return -EINVAL;
    }
    // SAFETY: pair contract for the DRAM counters.
    let Some(dram) = (unsafe { c_slice(input.dram_accesses, input.nr_dram) }) else {
        return -EINVAL;
    };
    let epoch = EpochInput {
        elapsed_us: input.elapsed_us,
        dram_accesses: if dram.is_empty() { None } else { Some(dram) },
        memory_use_permille: input.memory_use_permille,
        sample_cost_ns: input.sample_cost_ns,
    };
    engine.decide(&epoch);
    let n = engine.actions().len().min(max as usize);
    for (i, a) in engine.actions().iter().take(n).enumerate() {
        let kind = match a.kind {
            ActionKind::Migrate => 0,
            ActionKind::Interleave => 1,
            ActionKind::Replicate => 2,
        };
        let action = CarrefourAction {
            gfn: a.gfn.0,
            domid: a.domain.0,
            order: a.order,
            kind,
            target: a.target.get(),
            from: a.from.get(),
            pad: [0; 2],
        };
        // SAFETY: `out` has room for `max` actions and i < n <= max.
        unsafe { ptr::write(out.add(i), action) };
    }
    to_i32(n)
}

/// Reports what became of action `index` of the last batch: `outcome` is
/// [`CARREFOUR_OUTCOME_DONE`], [`CARREFOUR_OUTCOME_FAILED`] or
/// [`CARREFOUR_OUTCOME_SKIPPED`] plus a `XEN_CARREFOUR_SKIP_*` reason.
/// Returns 0, `-ENOENT` (no such action, or its domain is gone), `-EEXIST`
/// (reported already) or `-EINVAL`.
///
/// # Safety
/// Module contract for `e`.
#[no_mangle]
pub unsafe extern "C" fn carrefour_engine_report(
    e: *mut CarrefourEngine,
    index: u32,
    outcome: i32,
) -> i32 {
    // SAFETY: module contract.
    let Some(engine) = (unsafe { engine_mut(e) }) else {
        return -EINVAL;
    };
    let outcome = match outcome {
        CARREFOUR_OUTCOME_DONE => Outcome::Done,
        CARREFOUR_OUTCOME_FAILED => Outcome::Failed,
        o => match o
            .checked_sub(CARREFOUR_OUTCOME_SKIPPED)
            .and_then(|r| u32::try_from(r).ok())
        {
            Some(r) => match SkipReason::from_raw(r) {
                Some(reason) => Outcome::Skipped(reason),
                None => return -EINVAL,
            },
            None => return -EINVAL,
        },
    };
    match engine.report(index as usize, outcome) {
        Ok(()) => 0,
        Err(carrefour_core::ReportError::AlreadyReported) => -EEXIST,
        Err(_) => -ENOENT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make() -> *mut CarrefourEngine {
        let cpus = [0u32, 0, 1, 1];
        let mut e = ptr::null_mut();
        // SAFETY: valid arrays and out pointer.
        let rc = unsafe { carrefour_engine_create(2, cpus.as_ptr(), 4, ptr::null(), 64, &mut e) };
        assert_eq!(rc, 0);
        e
    }

    #[test]
    fn bad_arguments_get_einval_not_a_crash() {
        let mut e = ptr::null_mut();
        // SAFETY: null pointers are what is being tested; they are refused.
        unsafe {
            assert_eq!(
                carrefour_engine_create(2, ptr::null(), 4, ptr::null(), 64, &mut e),
                -EINVAL
            );
            assert_eq!(
                carrefour_engine_create(0, ptr::null(), 0, ptr::null(), 64, &mut e),
                -EINVAL
            );
            assert_eq!(
                carrefour_engine_create(1, ptr::null(), 0, ptr::null(), 0, &mut e),
                -EINVAL
            );
            assert_eq!(carrefour_engine_enable(ptr::null_mut(), 1), -EINVAL);
            assert_eq!(carrefour_engine_ingest(ptr::null_mut(), ptr::null(), 5), 0);
            assert_eq!(
                carrefour_engine_decide(ptr::null_mut(), ptr::null(), ptr::null_mut(), 0),
                -EINVAL
            );
            assert_eq!(
                carrefour_engine_get_stats(ptr::null_mut(), 1, ptr::null_mut()),
                -EINVAL
            );
        }
    }

    #[test]
    fn a_private_page_on_the_wrong_node_round_trips_through_the_trampolines() {
        let e = make();
        // SAFETY: `e` is live and used by this thread only; arrays are valid.
        unsafe {
            assert_eq!(carrefour_engine_enable(e, 3), 0);
            assert_eq!(carrefour_engine_enable(e, 3), -EEXIST);
            let s = CarrefourSample {
                gfn: 77,
                domid: 3,
                frame_node: 0,
                cpu_node: 1,
                kind: 1,
                source: 0,
                order: 0,
                pad: 0,
            };
            let bad = CarrefourSample { kind: 9, ..s };
            let samples = [s, s, s, bad];
            assert_eq!(carrefour_engine_ingest(e, samples.as_ptr(), 4), 3);
            let input = CarrefourEpochIn {
                elapsed_us: 1000,
                memory_use_permille: 500,
                sample_cost_ns: 1000,
                dram_accesses: ptr::null(),
                nr_dram: 0,
                pad: 0,
            };
            let mut out = [CarrefourAction::default(); 8];
            assert_eq!(carrefour_engine_decide(e, &input, out.as_mut_ptr(), 8), 1);
            assert_eq!(
                (out[0].gfn, out[0].domid, out[0].target, out[0].from),
                (77, 3, 1, 0)
            );
            assert_eq!(carrefour_engine_report(e, 0, CARREFOUR_OUTCOME_DONE), 0);
            assert_eq!(
                carrefour_engine_report(e, 0, CARREFOUR_OUTCOME_DONE),
                -EEXIST
            );
            assert_eq!(
                carrefour_engine_report(e, 5, CARREFOUR_OUTCOME_DONE),
                -ENOENT
            );
            assert_eq!(carrefour_engine_report(e, 0, 99), -EINVAL);
            let mut st = XenCarrefourStats::default();
            assert_eq!(carrefour_engine_get_stats(e, 3, &mut st), 0);
            assert_eq!(st.info.pages_moved, 1);
            assert_eq!(st.info.samples, 3);
            assert_eq!(st.params[16], 0, "replication is off inside Xen");
            assert_eq!(carrefour_engine_get_stats(e, 4, &mut st), -ENOENT);
            assert_eq!(carrefour_engine_disable(e, 3), 0);
            assert_eq!(carrefour_engine_disable(e, 3), -ENOENT);
            carrefour_engine_destroy(e);
        }
    }

    #[test]
    fn parameters_are_checked_all_or_nothing_with_padding() {
        let e = make();
        // SAFETY: as above.
        unsafe {
            assert_eq!(carrefour_engine_enable(e, 1), 0);
            let good = XenCarrefourParam {
                id: 0,
                pad: 0,
                value: 500,
            };
            let bad_value = XenCarrefourParam {
                id: 3,
                pad: 0,
                value: 5000,
            };
            let bad_pad = XenCarrefourParam {
                id: 0,
                pad: 1,
                value: 500,
            };
            assert_eq!(
                carrefour_engine_set_params(e, 1, [good, bad_value].as_ptr(), 2),
                -EINVAL
            );
            assert_eq!(carrefour_engine_param(e, 1, 0), 1000);
            assert_eq!(
                carrefour_engine_set_params(e, 1, [bad_pad].as_ptr(), 1),
                -EINVAL
            );
            assert_eq!(carrefour_engine_set_params(e, 1, [good].as_ptr(), 1), 0);
            assert_eq!(carrefour_engine_param(e, 1, 0), 500);
            assert_eq!(
                carrefour_engine_set_params(e, 2, [good].as_ptr(), 1),
                -ENOENT
            );
            carrefour_engine_destroy(e);
        }
    }
}

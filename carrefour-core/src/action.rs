//! Decisions as data: what the engine asks Xen to do, and what Xen
//! reports back.

use crate::types::{DomId, Gfn, NodeId};

/// The kind of an action.  The discriminants are the ABI's
/// `XEN_CARREFOUR_ACTION_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionKind {
    /// Move a single-node page to its accessing node.
    Migrate = 0,
    /// Move a shared page off a loaded controller.
    Interleave = 1,
    /// Give each reading node its own copy.
    Replicate = 2,
}

/// Number of action kinds.
pub const NR_ACTION_KINDS: usize = 3;

impl ActionKind {
    /// Name for dumps and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            ActionKind::Migrate => "migrate",
            ActionKind::Interleave => "interleave",
            ActionKind::Replicate => "replicate",
        }
    }

    /// Priority among kinds, Carrefour's: replicate > interleave > migrate.
    pub const fn priority(self) -> u8 {
        match self {
            ActionKind::Replicate => 2,
            ActionKind::Interleave => 1,
            ActionKind::Migrate => 0,
        }
    }
}

/// One action: move (or replicate) `2^order` pages from `gfn` of
/// `domain` to `target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Action {
    /// The domain.
    pub domain: DomId,
    /// First page (aligned to `2^order`).
    pub gfn: Gfn,
    /// 0 for 4 KiB, 9 for a 2 MiB extent.
    pub order: u8,
    /// What to do.
    pub kind: ActionKind,
    /// Where the frame should end (for replicate: the hottest reader).
    pub target: NodeId,
    /// Where the frame was when sampled.
    pub from: NodeId,
}

impl Action {
    /// Pages of 4 KiB the action covers.
    pub const fn pages(&self) -> u64 {
        1u64 << (self.order & 0x1f)
    }
}

/// Why Xen did not carry out an action.  The discriminants are the ABI's
/// `XEN_CARREFOUR_SKIP_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// The frame has grant or foreign mappings.
    ExtraRefs = 0,
    /// The p2m type is not plain RAM.
    NotRam = 1,
    /// Paged out or shared.
    PagedShared = 2,
    /// The domain has passthrough devices.
    Passthrough = 3,
    /// No free memory on the target node.
    NoMemory = 4,
    /// The frame is already on the target.
    AlreadyThere = 5,
    /// Xen cannot carry out this kind (replication).
    Unsupported = 6,
    /// The domain is dying.
    Dying = 7,
    /// The domain is being saved or migrated (log-dirty mode).
    LogDirty = 8,
}

/// Number of skip reasons.
pub const NR_SKIP_REASONS: usize = 9;

impl SkipReason {
    /// Every reason, in ABI order.
    pub const ALL: [SkipReason; NR_SKIP_REASONS] = [
        SkipReason::ExtraRefs,
        SkipReason::NotRam,
        SkipReason::PagedShared,
        SkipReason::Passthrough,
        SkipReason::NoMemory,
        SkipReason::AlreadyThere,
        SkipReason::Unsupported,
        SkipReason::Dying,
        SkipReason::LogDirty,
    ];

    /// The reason with ABI value `raw`.
    pub fn from_raw(raw: u32) -> Option<SkipReason> {
        Self::ALL.get(raw as usize).copied()
    }

    /// Name for dumps and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            SkipReason::ExtraRefs => "extra_refs",
            SkipReason::NotRam => "not_ram",
            SkipReason::PagedShared => "paged_or_shared",
            SkipReason::Passthrough => "passthrough",
            SkipReason::NoMemory => "no_memory",
            SkipReason::AlreadyThere => "already_there",
            SkipReason::Unsupported => "unsupported",
            SkipReason::Dying => "dying",
            SkipReason::LogDirty => "log_dirty",
        }
    }
}

/// What became of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Carried out.
    Done,
    /// Not attempted, for a reason.
    Skipped(SkipReason),
    /// Attempted and failed (the guest is unaffected).
    Failed,
}

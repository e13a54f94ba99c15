//! The engine's vocabulary: typed identifiers and the sample.
//!
//! Frames and guest frames are distinct types so that a gfn can never be
//! handed where an mfn is expected (Xen does the same with `gfn_t`/`mfn_t`).

/// Largest number of NUMA nodes the engine handles.  Sixty-four covers the
/// largest x86 machines Xen supports (its `MAX_NUMNODES` is 64) and keeps a
/// node set in one `u64`.
pub const MAX_NODES: usize = 64;

/// Largest number of physical CPUs in a topology.  Xen's `NR_CPUS` default
/// for x86 is 256 and its maximum 4095; a byte per CPU keeps the map small.
pub const MAX_CPUS: usize = 4096;

/// Pages of 4 KiB in a 2 MiB extent (a superpage of the p2m).
pub const EXTENT_PAGES: u64 = 512;

/// log2 of [`EXTENT_PAGES`]: the `order` of an extent action.
pub const EXTENT_ORDER: u8 = 9;

/// Largest guest frame number: x86-64 physical addresses have at most 52
/// bits.  Larger values are refused at ingestion, which also keeps the
/// table's extent key bit (bit 63) free.
pub const MAX_GFN: u64 = (1 << 40) - 1;

/// Bytes in a base page.
pub const PAGE_BYTES: u64 = 4096;

/// A NUMA node.
///
/// # Invariants
/// Holds a value below [`MAX_NODES`] when it comes from [`NodeId::new`];
/// the engine checks it against the topology's node count at every entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u8);

impl NodeId {
    /// A node id, or `None` when `raw` is not below [`MAX_NODES`].
    pub const fn new(raw: u32) -> Option<Self> {
        if (raw as usize) < MAX_NODES {
            Some(Self(raw as u8))
        } else {
            None
        }
    }

    /// The node number.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The node number as an index.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A guest frame number (guest-physical address >> 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gfn(pub u64);

impl Gfn {
    /// The 2 MiB extent this frame belongs to, as its first gfn.
    pub const fn extent_base(self) -> Gfn {
        Gfn(self.0 & !(EXTENT_PAGES - 1))
    }
}

/// A machine frame number (host-physical address >> 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mfn(pub u64);

/// A Xen domain id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomId(pub u16);

/// What the sampled instruction did to memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// A read.
    Load,
    /// A write (IBS store flag, or a write fault).
    Store,
}

/// Where the sampled access was served from, when the sampler knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataSource {
    /// The sampler cannot tell (hinting faults).
    Unknown,
    /// A cache of the accessing CPU's node.
    LocalCache,
    /// A cache of another node.
    RemoteCache,
    /// Main memory (a memory controller was used).
    Dram,
    /// Memory-mapped I/O.
    Io,
}

/// One sampled guest memory access, as a sampler hands it to the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sample {
    /// The domain that owns the frame.
    pub domain: DomId,
    /// The guest frame accessed.
    pub gfn: Gfn,
    /// The node whose memory holds the frame now.
    pub frame_node: NodeId,
    /// The node of the CPU that made the access.
    pub cpu_node: NodeId,
    /// Load or store.
    pub kind: AccessKind,
    /// Where the data came from, if known.
    pub source: DataSource,
}

impl Sample {
    /// True when the access did not leave the accessing CPU's node.
    pub fn is_local(&self) -> bool {
        self.frame_node == self.cpu_node
    }
}

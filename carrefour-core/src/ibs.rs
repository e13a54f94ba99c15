//! AMD IBS op sampling, decoded: raw register values in, a typed access
//! (or a typed reason to drop the sample) out.
//!
//! ```text
//!  NMI handler (Xen, C)            this module (pure)            engine
//!  rdmsr IbsOpCtl ... IbsDcPhysAd ─► decode() ─► IbsAccess ─► to_sample() ─► ingest()
//!                                         └────► IbsReject (counted, dropped)
//!  period from the engine ─► op_period() ─► encode_op_ctl() ─► wrmsr IbsOpCtl
//!  cpuid 0x8000001B EAX ─► IbsCaps::from_cpuid()
//! ```
//!
//! Nothing here reads or writes an MSR: Xen's NMI handler reads the
//! registers, says whether the sampled op ran in guest context, and hands
//! the values over; the physical address IBS reports is a machine address,
//! which Xen turns into a node and a gfn (the p2m's reverse map) before
//! calling [`to_sample`].
//!
//! Source of every register layout and bit below: AMD64 Architecture
//! Programmer's Manual vol. 2 (System Programming), section 13.3
//! "Instruction-Based Sampling"; the BIOS and Kernel Developer's Guide
//! (BKDG) for family 10h/15h, MSRs C001_1030..C001_103A; and the
//! Processor Programming Reference (PPR) for family 17h/19h (Zen, Zen 4
//! extensions: IbsOpCtl bit 16, IbsOpData2 bits 7:6, CPUID 8000_001B bit 11).

use crate::types::{AccessKind, DataSource, DomId, Gfn, NodeId, Sample};

// ---------------------------------------------------------------------------
// MSR numbers.

/// IbsFetchCtl: fetch sampling control (not used by Carrefour).
pub const MSR_IBS_FETCH_CTL: u32 = 0xC001_1030;
/// IbsOpCtl: op sampling control, period and status.
pub const MSR_IBS_OP_CTL: u32 = 0xC001_1033;
/// IbsOpRip: linear address of the sampled op's instruction.
pub const MSR_IBS_OP_RIP: u32 = 0xC001_1034;
/// IbsOpData: retire and branch information of the sampled op.
pub const MSR_IBS_OP_DATA: u32 = 0xC001_1035;
/// IbsOpData2: northbridge / data-fabric information (where a load was served).
pub const MSR_IBS_OP_DATA2: u32 = 0xC001_1036;
/// IbsOpData3: load/store information of the sampled op.
pub const MSR_IBS_OP_DATA3: u32 = 0xC001_1037;
/// IbsDcLinAd: linear address of the sampled load or store.
pub const MSR_IBS_DC_LIN_AD: u32 = 0xC001_1038;
/// IbsDcPhysAd: physical (for a guest op: machine) address of the access.
pub const MSR_IBS_DC_PHYS_AD: u32 = 0xC001_1039;
/// IBSCTL: LVT offset of the IBS interrupt (valid bit 8, offset bits 3:0).
pub const MSR_IBS_CTL: u32 = 0xC001_103A;

/// CPUID leaf of the IBS feature flags (in EAX).
pub const CPUID_IBS_LEAF: u32 = 0x8000_001B;

// ---------------------------------------------------------------------------
// IbsOpCtl (MSR C001_1033).

/// Bits 15:0 IbsOpMaxCnt[19:4]: bits 19:4 of the period (its low four bits
/// are implicitly zero).
pub const OP_CTL_MAX_CNT_MASK: u64 = 0xFFFF;
/// Bit 16 IbsOpL3MissOnly (Zen 4): tag only ops that miss in the L3.
pub const OP_CTL_L3_MISS_ONLY: u64 = 1 << 16;
/// Bit 17 IbsOpEn: op sampling enabled.
pub const OP_CTL_ENABLE: u64 = 1 << 17;
/// Bit 18 IbsOpVal: a sample is ready; the other op registers are valid.
pub const OP_CTL_VALID: u64 = 1 << 18;
/// Bit 19 IbsOpCntCtl: count dispatched ops (1) or clock cycles (0).
pub const OP_CTL_COUNT_OPS: u64 = 1 << 19;
/// Bits 26:20 IbsOpMaxCnt[26:20]: the period's bits 26:20 in place (needs
/// [`IbsCaps::op_cnt_ext`]).
pub const OP_CTL_MAX_CNT_EXT_MASK: u64 = 0x7F << 20;
/// Shift of IbsOpCurCnt, bits 58:32: the current count (27 bits).
pub const OP_CTL_CUR_CNT_SHIFT: u32 = 32;
/// Mask of IbsOpCurCnt once shifted down.
pub const OP_CTL_CUR_CNT_MASK: u64 = (1 << 27) - 1;

/// Shortest op period: the hardware needs at least 0x90 ops or cycles
/// between samples (Linux's IBS driver uses the same floor).
pub const MIN_OP_PERIOD: u64 = 0x90;
/// Longest period IbsOpMaxCnt[19:4] alone can hold.
pub const MAX_OP_PERIOD: u64 = 0xF_FFF0;
/// Longest period with the 7 extension bits (CPUID OpCntExt): 2^27 - 16.
pub const MAX_OP_PERIOD_EXT: u64 = 0x7FF_FFF0;

// ---------------------------------------------------------------------------
// IbsOpData (MSR C001_1035).

/// Bits 15:0 IbsCompToRetCtr: cycles from completion to retirement.
pub const OP_DATA_COMP_TO_RET_MASK: u64 = 0xFFFF;
/// Shift of bits 31:16 IbsTagToRetCtr: cycles from tagging to retirement.
pub const OP_DATA_TAG_TO_RET_SHIFT: u32 = 16;
/// Bit 34 IbsOpReturn: the op was a return.
pub const OP_DATA_RETURN: u64 = 1 << 34;
/// Bit 35 IbsOpBrnTaken: a taken branch.
pub const OP_DATA_BRN_TAKEN: u64 = 1 << 35;
/// Bit 36 IbsOpBrnMisp: a mispredicted branch.
pub const OP_DATA_BRN_MISP: u64 = 1 << 36;
/// Bit 37 IbsOpBrnRet: a retired branch.
pub const OP_DATA_BRN_RET: u64 = 1 << 37;
/// Bit 38 IbsRipInvalid: IbsOpRip does not hold the op's address (needs
/// [`IbsCaps::rip_invalid_chk`]).
pub const OP_DATA_RIP_INVALID: u64 = 1 << 38;
/// Bit 39 IbsOpBrnFuse: a fused branch.
pub const OP_DATA_BRN_FUSE: u64 = 1 << 39;
/// Bit 40 IbsOpMicrocode: the op came from microcode.
pub const OP_DATA_MICROCODE: u64 = 1 << 40;

// ---------------------------------------------------------------------------
// IbsOpData2 (MSR C001_1036).  Valid for loads served by the northbridge /
// data fabric; zero otherwise.

/// Bits 2:0 DataSrc (NbIbsReqSrc): where the load was served from.
pub const OP_DATA2_SRC_LO_MASK: u64 = 0x7;
/// Bit 4 RmtNode: the request was served by another node.
pub const OP_DATA2_RMT_NODE: u64 = 1 << 4;
/// Bit 5 CacheHitSt: a cache hit in the O state (not M).
pub const OP_DATA2_CACHE_HIT_ST: u64 = 1 << 5;
/// Bits 7:6 DataSrcHi (Zen 4): high bits of the 5-bit source.
pub const OP_DATA2_SRC_HI_MASK: u64 = 0x3 << 6;
/// Shift of DataSrcHi.
pub const OP_DATA2_SRC_HI_SHIFT: u32 = 6;

/// Legacy source 0: no valid status (not a northbridge access).
pub const SRC_NONE: u8 = 0;
/// Legacy source 2: a cache of another core of the same node.
pub const SRC_LOCAL_CACHE: u8 = 2;
/// Legacy source 3: DRAM.
pub const SRC_DRAM: u8 = 3;
/// Legacy source 4: a cache of another node.
pub const SRC_REMOTE_CACHE: u8 = 4;
/// Legacy source 7: other, MMIO, configuration space, PCI, APIC.
pub const SRC_IO: u8 = 7;

/// Zen 4 source 1: local L3 or another core's L1/L2 in the same CCX.
pub const SRC_EXT_LOCAL_CACHE: u8 = 1;
/// Zen 4 source 2: another CCX's cache on the same node.
pub const SRC_EXT_NEAR_CCX_CACHE: u8 = 2;
/// Zen 4 source 3: DRAM.
pub const SRC_EXT_DRAM: u8 = 3;
/// Zen 4 source 5: a CCX cache of another node.
pub const SRC_EXT_FAR_CCX_CACHE: u8 = 5;
/// Zen 4 source 6: persistent memory.
pub const SRC_EXT_PMEM: u8 = 6;
/// Zen 4 source 7: MMIO, configuration space, PCI, APIC.
pub const SRC_EXT_IO: u8 = 7;
/// Zen 4 source 8: extension memory (CXL).
pub const SRC_EXT_EXT_MEM: u8 = 8;
/// Zen 4 source 12: memory of a peer agent.
pub const SRC_EXT_PEER_AGENT_MEM: u8 = 12;

// ---------------------------------------------------------------------------
// IbsOpData3 (MSR C001_1037).

/// Bit 0 IbsLdOp: the op was a load.
pub const OP_DATA3_LD_OP: u64 = 1 << 0;
/// Bit 1 IbsStOp: the op was a store (a locked read-modify-write sets both).
pub const OP_DATA3_ST_OP: u64 = 1 << 1;
/// Bit 2 IbsDcL1TlbMiss: the access missed the L1 data TLB.
pub const OP_DATA3_DC_L1_TLB_MISS: u64 = 1 << 2;
/// Bit 3 IbsDcL2TlbMiss: the access missed the L2 data TLB.
pub const OP_DATA3_DC_L2_TLB_MISS: u64 = 1 << 3;
/// Bit 7 IbsDcMiss: the access missed the data cache.
pub const OP_DATA3_DC_MISS: u64 = 1 << 7;
/// Bit 8 IbsDcMisAcc: a misaligned access.
pub const OP_DATA3_DC_MIS_ACC: u64 = 1 << 8;
/// Bit 13 IbsDcWcMemAcc: an access to write-combining memory.
pub const OP_DATA3_DC_WC_MEM_ACC: u64 = 1 << 13;
/// Bit 14 IbsDcUcMemAcc: an access to uncacheable memory.
pub const OP_DATA3_DC_UC_MEM_ACC: u64 = 1 << 14;
/// Bit 15 IbsDcLockedOp: a locked operation.
pub const OP_DATA3_DC_LOCKED_OP: u64 = 1 << 15;
/// Bit 17 IbsDcLinAddrValid: IbsDcLinAd holds the access's linear address.
pub const OP_DATA3_LIN_ADDR_VALID: u64 = 1 << 17;
/// Bit 18 IbsDcPhyAddrValid: IbsDcPhysAd holds the access's physical address.
pub const OP_DATA3_PHY_ADDR_VALID: u64 = 1 << 18;
/// Bit 20 IbsL2Miss: the access missed the L2 (Zen).
pub const OP_DATA3_L2_MISS: u64 = 1 << 20;
/// Bit 21 IbsSwPf: a software prefetch.
pub const OP_DATA3_SW_PF: u64 = 1 << 21;
/// Shift of bits 47:32 IbsDcMissLat: cycles from the miss to the refill.
pub const OP_DATA3_MISS_LAT_SHIFT: u32 = 32;
/// Shift of bits 63:48 IbsTlbRefillLat: cycles of the TLB refill (Zen).
pub const OP_DATA3_TLB_REFILL_LAT_SHIFT: u32 = 48;

/// IbsDcPhysAd bits 51:0: the physical address (bits 63:52 are reserved).
pub const PHYS_ADDR_MASK: u64 = (1 << 52) - 1;

/// Bit 63 of a canonical linear address: set in the upper (kernel) half.
pub const RIP_KERNEL_HALF: u64 = 1 << 63;

// ---------------------------------------------------------------------------
// CPUID 8000_001B EAX: IBS feature flags.

/// Bit 0 IBSFFV: the flags below are valid.
pub const CAP_FLAGS_VALID: u32 = 1 << 0;
/// Bit 1 FetchSam: fetch sampling.
pub const CAP_FETCH_SAM: u32 = 1 << 1;
/// Bit 2 OpSam: op (execution) sampling.
pub const CAP_OP_SAM: u32 = 1 << 2;
/// Bit 3 RdWrOpCnt: the op counter can be read and written.
pub const CAP_RD_WR_OP_CNT: u32 = 1 << 3;
/// Bit 4 OpCnt: op counting mode (IbsOpCntCtl).
pub const CAP_OP_CNT: u32 = 1 << 4;
/// Bit 5 BrnTrgt: branch target address reporting (IbsBrTarget).
pub const CAP_BRN_TRGT: u32 = 1 << 5;
/// Bit 6 OpCntExt: IbsOpMaxCnt and IbsOpCurCnt extended by 7 bits.
pub const CAP_OP_CNT_EXT: u32 = 1 << 6;
/// Bit 7 RipInvalidChk: IbsOpData's IbsRipInvalid bit.
pub const CAP_RIP_INVALID_CHK: u32 = 1 << 7;
/// Bit 8 OpBrnFuse: fused branch indication.
pub const CAP_OP_BRN_FUSE: u32 = 1 << 8;
/// Bit 9 IbsFetchCtlExtd: the IbsFetchCtlExtd MSR.
pub const CAP_FETCH_CTL_EXTD: u32 = 1 << 9;
/// Bit 10 IbsOpData4: the IbsOpData4 MSR.
pub const CAP_OP_DATA4: u32 = 1 << 10;
/// Bit 11 Zen 4 extensions: L3-miss filtering, 5-bit data source.
pub const CAP_ZEN4: u32 = 1 << 11;

/// IBS capabilities (CPUID 8000_001B EAX).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IbsCaps {
    /// The flags are valid (IBSFFV); all others are false when not.
    pub valid: bool,
    /// Fetch sampling.
    pub fetch_sampling: bool,
    /// Op sampling: what Carrefour needs.
    pub op_sampling: bool,
    /// The op counter is readable and writable.
    pub rd_wr_op_cnt: bool,
    /// Ops can be counted instead of cycles.
    pub op_cnt: bool,
    /// Branch target addresses are reported.
    pub brn_trgt: bool,
    /// 27-bit op periods ([`MAX_OP_PERIOD_EXT`]).
    pub op_cnt_ext: bool,
    /// IbsRipInvalid is reported.
    pub rip_invalid_chk: bool,
    /// Fused branches are flagged.
    pub op_brn_fuse: bool,
    /// IbsFetchCtlExtd exists.
    pub fetch_ctl_extd: bool,
    /// IbsOpData4 exists.
    pub op_data4: bool,
    /// Zen 4: L3-miss-only filtering and the 5-bit data source.
    pub zen4: bool,
}

impl IbsCaps {
    /// Decodes CPUID 8000_001B EAX.  Without IBSFFV nothing is claimed.
    pub const fn from_cpuid(eax: u32) -> IbsCaps {
        if eax & CAP_FLAGS_VALID == 0 {
            return IbsCaps {
                valid: false,
                fetch_sampling: false,
                op_sampling: false,
                rd_wr_op_cnt: false,
                op_cnt: false,
                brn_trgt: false,
                op_cnt_ext: false,
                rip_invalid_chk: false,
                op_brn_fuse: false,
                fetch_ctl_extd: false,
                op_data4: false,
                zen4: false,
            };
        }
        IbsCaps {
            valid: true,
            fetch_sampling: eax & CAP_FETCH_SAM != 0,
            op_sampling: eax & CAP_OP_SAM != 0,
            rd_wr_op_cnt: eax & CAP_RD_WR_OP_CNT != 0,
            op_cnt: eax & CAP_OP_CNT != 0,
            brn_trgt: eax & CAP_BRN_TRGT != 0,
            op_cnt_ext: eax & CAP_OP_CNT_EXT != 0,
            rip_invalid_chk: eax & CAP_RIP_INVALID_CHK != 0,
            op_brn_fuse: eax & CAP_OP_BRN_FUSE != 0,
            fetch_ctl_extd: eax & CAP_FETCH_CTL_EXTD != 0,
            op_data4: eax & CAP_OP_DATA4 != 0,
            zen4: eax & CAP_ZEN4 != 0,
        }
    }

    /// True when Carrefour can sample with this CPU: op sampling, counting
    /// ops (Carrefour's mode, so that the period is in ops).
    pub const fn usable(&self) -> bool {
        self.valid && self.op_sampling && self.op_cnt
    }

    /// The longest op period the CPU can be programmed with.
    pub const fn max_op_period(&self) -> u64 {
        if self.op_cnt_ext {
            MAX_OP_PERIOD_EXT
        } else {
            MAX_OP_PERIOD
        }
    }

    /// The decode options that match this CPU, with Carrefour's filters.
    pub const fn decode_options(&self) -> DecodeOptions {
        DecodeOptions {
            zen4_data_source: self.zen4,
            ..DecodeOptions::CARREFOUR
        }
    }
}

// ---------------------------------------------------------------------------
// Encoding IbsOpCtl.

/// How to program op sampling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpCtlConfig {
    /// Ops (or cycles) between samples: a multiple of 16 in
    /// [`MIN_OP_PERIOD`]..=[`IbsCaps::max_op_period`].
    pub period: u64,
    /// Count dispatched ops (IbsOpCntCtl) rather than cycles.
    pub count_ops: bool,
    /// Tag only ops that miss the L3 (Zen 4).
    pub l3_miss_only: bool,
}

/// Why an IbsOpCtl value could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpCtlError {
    /// The period's low four bits are not zero (IbsOpMaxCnt drops them).
    Unaligned(u64),
    /// Below [`MIN_OP_PERIOD`].
    TooShort(u64),
    /// Above what the CPU can hold ([`IbsCaps::max_op_period`]).
    TooLong(u64),
    /// Counting ops, L3-miss filtering or op sampling itself is missing.
    Unsupported,
}

/// The IbsOpCtl value that enables op sampling with `config` on a CPU
/// with `caps`.  The period's bits 19:4 go to bits 15:0 and its bits 26:20
/// to bits 26:20 (in place); IbsOpVal and IbsOpCurCnt are zero.
pub fn encode_op_ctl(config: &OpCtlConfig, caps: &IbsCaps) -> Result<u64, OpCtlError> {
    let p = config.period;
    if !caps.valid || !caps.op_sampling {
        return Err(OpCtlError::Unsupported);
    }
    if p & 0xF != 0 {
        return Err(OpCtlError::Unaligned(p));
    }
    if p < MIN_OP_PERIOD {
        return Err(OpCtlError::TooShort(p));
    }
    if p > caps.max_op_period() {
        return Err(OpCtlError::TooLong(p));
    }
    if (config.count_ops && !caps.op_cnt) || (config.l3_miss_only && !caps.zen4) {
        return Err(OpCtlError::Unsupported);
    }
    let mut v = ((p >> 4) & OP_CTL_MAX_CNT_MASK) | (p & OP_CTL_MAX_CNT_EXT_MASK) | OP_CTL_ENABLE;
    if config.count_ops {
        v |= OP_CTL_COUNT_OPS;
    }
    if config.l3_miss_only {
        v |= OP_CTL_L3_MISS_ONLY;
    }
    Ok(v)
}

/// IbsOpCtl, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpCtl {
    /// The programmed period (IbsOpMaxCnt x 16, both parts).
    pub period: u64,
    /// IbsOpEn.
    pub enabled: bool,
    /// IbsOpVal: a sample is waiting.
    pub valid: bool,
    /// IbsOpCntCtl.
    pub count_ops: bool,
    /// IbsOpL3MissOnly.
    pub l3_miss_only: bool,
    /// IbsOpCurCnt.
    pub current_count: u64,
}

/// Decodes an IbsOpCtl value (the inverse of [`encode_op_ctl`]).
pub const fn decode_op_ctl(v: u64) -> OpCtl {
    OpCtl {
        period: ((v & OP_CTL_MAX_CNT_MASK) << 4) | (v & OP_CTL_MAX_CNT_EXT_MASK),
        enabled: v & OP_CTL_ENABLE != 0,
        valid: v & OP_CTL_VALID != 0,
        count_ops: v & OP_CTL_COUNT_OPS != 0,
        l3_miss_only: v & OP_CTL_L3_MISS_ONLY != 0,
        current_count: (v >> OP_CTL_CUR_CNT_SHIFT) & OP_CTL_CUR_CNT_MASK,
    }
}

/// The op period to program for the engine's `sampling_period`: rounded
/// down to a multiple of 16 and clamped to what the CPU can hold (the
/// engine's periods come from Carrefour's 0xFFF8 by doubling and halving,
/// so they need not be multiples of 16).
pub const fn op_period(sampling_period: u64, caps: &IbsCaps) -> u64 {
    let p = sampling_period & !0xF;
    let max = caps.max_op_period();
    if p < MIN_OP_PERIOD {
        MIN_OP_PERIOD
    } else if p > max {
        max
    } else {
        p
    }
}

// ---------------------------------------------------------------------------
// Decoding a sample.

/// The registers of one op sample, as the NMI handler read them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IbsOpRegs {
    /// IbsOpCtl (C001_1033).
    pub op_ctl: u64,
    /// IbsOpRip (C001_1034).
    pub op_rip: u64,
    /// IbsOpData (C001_1035).
    pub op_data: u64,
    /// IbsOpData2 (C001_1036).
    pub op_data2: u64,
    /// IbsOpData3 (C001_1037).
    pub op_data3: u64,
    /// IbsDcPhysAd (C001_1039).
    pub dc_phys_ad: u64,
    /// The sampled op ran in guest context (the caller knows: the NMI
    /// interrupted guest mode, or the vCPU's state says so).
    pub in_guest: bool,
}

/// Which samples to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Keep only accesses served by DRAM (Carrefour counts controller
    /// traffic); cache hits and accesses without a source are dropped.
    pub dram_only: bool,
    /// Drop accesses without a data source (IbsOpData2 empty: L1/L2 hits,
    /// most stores), as Carrefour's module did.
    pub require_source: bool,
    /// Drop ops of the hypervisor or of another context than a guest's.
    pub guest_only: bool,
    /// Drop ops whose RIP is in the upper (kernel) half, as Carrefour
    /// dropped kernel samples; an op whose RIP IBS flags invalid is dropped
    /// too, since its privilege cannot be told.
    pub drop_guest_kernel: bool,
    /// Read the 5-bit Zen 4 data source (IbsOpData2 bits 7:6 and 2:0).
    pub zen4_data_source: bool,
}

impl DecodeOptions {
    /// Carrefour's filters: guest ops only, with a data source, kernel
    /// included (a guest kernel's page cache is guest memory too).
    pub const CARREFOUR: DecodeOptions = DecodeOptions {
        dram_only: false,
        require_source: true,
        guest_only: true,
        drop_guest_kernel: false,
        zen4_data_source: false,
    };

    /// Keep every valid guest load or store with a physical address.
    pub const PERMISSIVE: DecodeOptions = DecodeOptions {
        dram_only: false,
        require_source: false,
        guest_only: true,
        drop_guest_kernel: false,
        zen4_data_source: false,
    };
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self::CARREFOUR
    }
}

/// A decoded memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IbsAccess {
    /// Machine physical address of the access (bits 51:0).
    pub phys_addr: u64,
    /// Load or store (a locked read-modify-write is a store).
    pub kind: AccessKind,
    /// Where the data came from ([`DataSource::Unknown`]: no source).
    pub source: DataSource,
    /// Served by another node (IbsOpData2 RmtNode).
    pub remote: bool,
    /// Missed the data cache (IbsOpData3 IbsDcMiss).
    pub dc_miss: bool,
    /// Data cache miss latency in cycles (IbsDcMissLat; 0 for a hit).
    pub latency_cycles: u16,
    /// The op's instruction address (IbsOpRip).
    pub rip: u64,
}

impl IbsAccess {
    /// The machine frame accessed.
    pub const fn mfn(&self) -> crate::types::Mfn {
        crate::types::Mfn(self.phys_addr >> 12)
    }
}

/// Why a sample was dropped.  Field-less, with stable discriminants
/// (`reason as u32` is [`IbsReject::index`]) for counters and C callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IbsReject {
    /// IbsOpVal clear: the registers hold no sample.
    NotValid = 0,
    /// The op ran outside a guest (hypervisor, or no guest context).
    NotGuest = 1,
    /// The op neither loaded nor stored.
    NeitherLoadNorStore = 2,
    /// The op ran in the guest kernel and kernel samples are dropped.
    GuestKernel = 3,
    /// IbsRipInvalid set while kernel samples are dropped.
    RipInvalid = 4,
    /// IbsDcPhyAddrValid clear.
    PhysAddrInvalid = 5,
    /// The physical address is zero.
    PhysAddrZero = 6,
    /// Memory-mapped I/O, configuration space, APIC: not a page to move.
    Io = 7,
    /// A data source code the manuals reserve (legacy 1, 5, 6; Zen 4
    /// codes without a meaning).
    ReservedSource = 8,
    /// No data source while one is required.
    NoSource = 9,
    /// Not served by DRAM while only DRAM accesses are kept.
    NotDram = 10,
}

/// Number of [`IbsReject`] variants (for per-reason counters).
pub const NR_IBS_REJECTS: usize = 11;

impl IbsReject {
    /// Every reason, in discriminant order.
    pub const ALL: [IbsReject; NR_IBS_REJECTS] = [
        IbsReject::NotValid,
        IbsReject::NotGuest,
        IbsReject::NeitherLoadNorStore,
        IbsReject::GuestKernel,
        IbsReject::RipInvalid,
        IbsReject::PhysAddrInvalid,
        IbsReject::PhysAddrZero,
        IbsReject::Io,
        IbsReject::ReservedSource,
        IbsReject::NoSource,
        IbsReject::NotDram,
    ];

    /// A dense index for counters, below [`NR_IBS_REJECTS`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Name for dumps.
    pub const fn name(self) -> &'static str {
        match self {
            IbsReject::NotValid => "not_valid",
            IbsReject::NotGuest => "not_guest",
            IbsReject::NeitherLoadNorStore => "neither_load_nor_store",
            IbsReject::GuestKernel => "guest_kernel",
            IbsReject::RipInvalid => "rip_invalid",
            IbsReject::PhysAddrInvalid => "phys_addr_invalid",
            IbsReject::PhysAddrZero => "phys_addr_zero",
            IbsReject::Io => "io",
            IbsReject::ReservedSource => "reserved_source",
            IbsReject::NoSource => "no_source",
            IbsReject::NotDram => "not_dram",
        }
    }
}

/// The data source of IbsOpData2, or why it disqualifies the sample.
fn data_source(data2: u64, zen4: bool) -> Result<DataSource, IbsReject> {
    let lo = (data2 & OP_DATA2_SRC_LO_MASK) as u8;
    if zen4 {
        let hi = ((data2 & OP_DATA2_SRC_HI_MASK) >> OP_DATA2_SRC_HI_SHIFT) as u8;
        let code = (hi << 3) | lo;
        return match code {
            SRC_NONE => Ok(DataSource::Unknown),
            SRC_EXT_LOCAL_CACHE | SRC_EXT_NEAR_CCX_CACHE => Ok(DataSource::LocalCache),
            SRC_EXT_FAR_CCX_CACHE => Ok(DataSource::RemoteCache),
            // Memory behind a controller, whatever its technology: the
            // controller's load is what Carrefour balances.
            SRC_EXT_DRAM | SRC_EXT_PMEM | SRC_EXT_EXT_MEM | SRC_EXT_PEER_AGENT_MEM => {
                Ok(DataSource::Dram)
            }
            SRC_EXT_IO => Err(IbsReject::Io),
            _ => Err(IbsReject::ReservedSource),
        };
    }
    match lo {
        SRC_NONE => Ok(DataSource::Unknown),
        SRC_LOCAL_CACHE => Ok(DataSource::LocalCache),
        SRC_DRAM => Ok(DataSource::Dram),
        SRC_REMOTE_CACHE => Ok(DataSource::RemoteCache),
        SRC_IO => Err(IbsReject::Io),
        _ => Err(IbsReject::ReservedSource),
    }
}

/// Decodes one op sample.  Checks run in register order, so the reason
/// returned is the first that applies: validity, context, load/store,
/// privilege, address, source.
pub fn decode(regs: &IbsOpRegs, opts: &DecodeOptions) -> Result<IbsAccess, IbsReject> {
    if regs.op_ctl & OP_CTL_VALID == 0 {
        return Err(IbsReject::NotValid);
    }
    if opts.guest_only && !regs.in_guest {
        return Err(IbsReject::NotGuest);
    }
    let d3 = regs.op_data3;
    let kind = if d3 & OP_DATA3_ST_OP != 0 {
        AccessKind::Store
    } else if d3 & OP_DATA3_LD_OP != 0 {
        AccessKind::Load
    } else {
        return Err(IbsReject::NeitherLoadNorStore);
    };
    if opts.drop_guest_kernel {
        if regs.op_data & OP_DATA_RIP_INVALID != 0 {
            return Err(IbsReject::RipInvalid);
        }
        if regs.op_rip & RIP_KERNEL_HALF != 0 {
            return Err(IbsReject::GuestKernel);
        }
    }
    if d3 & OP_DATA3_PHY_ADDR_VALID == 0 {
        return Err(IbsReject::PhysAddrInvalid);
    }
    let phys_addr = regs.dc_phys_ad & PHYS_ADDR_MASK;
    if phys_addr == 0 {
        return Err(IbsReject::PhysAddrZero);
    }
    let source = data_source(regs.op_data2, opts.zen4_data_source)?;
    if source == DataSource::Unknown && (opts.require_source || opts.dram_only) {
        return Err(if opts.dram_only {
            IbsReject::NotDram
        } else {
            IbsReject::NoSource
        });
    }
    if opts.dram_only && source != DataSource::Dram {
        return Err(IbsReject::NotDram);
    }
    Ok(IbsAccess {
        phys_addr,
        kind,
        source,
        remote: regs.op_data2 & OP_DATA2_RMT_NODE != 0,
        dc_miss: d3 & OP_DATA3_DC_MISS != 0,
        latency_cycles: ((d3 >> OP_DATA3_MISS_LAT_SHIFT) & 0xFFFF) as u16,
        rip: regs.op_rip,
    })
}

/// The engine's sample for a decoded access: `gfn` is the guest frame the
/// machine frame backs (from Xen's reverse map), `frame_node` the node of
/// the machine frame, `cpu_node` the node of the CPU that sampled it.
pub fn to_sample(
    access: &IbsAccess,
    domain: DomId,
    gfn: Gfn,
    frame_node: NodeId,
    cpu_node: NodeId,
) -> Sample {
    Sample {
        domain,
        gfn,
        frame_node,
        cpu_node,
        kind: access.kind,
        source: access.source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every capability of a Zen 4 part.
    const ZEN4_EAX: u32 = 0xFFF;
    /// A family 10h part: valid, fetch, op, rd/wr, op count, branch target.
    const FAM10H_EAX: u32 = 0x1F;

    /// A valid guest DRAM load of machine address 0x1234_5000 that
    /// missed the cache after 300 cycles.
    fn dram_load() -> IbsOpRegs {
        IbsOpRegs {
            op_ctl: OP_CTL_VALID | OP_CTL_ENABLE | 0xFFF,
            op_rip: 0x0000_5555_0000_1000,
            op_data: 0,
            op_data2: u64::from(SRC_DRAM),
            op_data3: OP_DATA3_LD_OP
                | OP_DATA3_DC_MISS
                | OP_DATA3_PHY_ADDR_VALID
                | (300 << OP_DATA3_MISS_LAT_SHIFT),
            dc_phys_ad: 0x1234_5678,
            in_guest: true,
        }
    }

    #[test]
    fn a_valid_dram_load_is_decoded_field_by_field() {
        let a = decode(&dram_load(), &DecodeOptions::CARREFOUR).unwrap();
        assert_eq!(a.phys_addr, 0x1234_5678);
        assert_eq!(a.mfn(), crate::types::Mfn(0x12345));
        assert_eq!(a.kind, AccessKind::Load);
        assert_eq!(a.source, DataSource::Dram);
        assert!(!a.remote);
        assert!(a.dc_miss);
        assert_eq!(a.latency_cycles, 300);
        assert_eq!(a.rip, 0x0000_5555_0000_1000);
    }

    #[test]
    fn every_legacy_data_source_code_has_its_meaning() {
        let opts = DecodeOptions::PERMISSIVE;
        let with_src = |code: u64| {
            let mut r = dram_load();
            r.op_data2 = code;
            decode(&r, &opts).map(|a| (a.source, a.remote))
        };
        assert_eq!(with_src(0), Ok((DataSource::Unknown, false)));
        assert_eq!(with_src(1), Err(IbsReject::ReservedSource), "1 is reserved");
        assert_eq!(with_src(2), Ok((DataSource::LocalCache, false)));
        assert_eq!(with_src(3), Ok((DataSource::Dram, false)));
        assert_eq!(with_src(4), Ok((DataSource::RemoteCache, false)));
        assert_eq!(with_src(5), Err(IbsReject::ReservedSource));
        assert_eq!(with_src(6), Err(IbsReject::ReservedSource));
        assert_eq!(with_src(7), Err(IbsReject::Io));
        assert_eq!(
            with_src(u64::from(SRC_DRAM) | OP_DATA2_RMT_NODE),
            Ok((DataSource::Dram, true))
        );
        // Without the Zen 4 option the high bits are ignored.
        assert_eq!(with_src(0xC3), Ok((DataSource::Dram, false)));
    }

    #[test]
    fn zen4_five_bit_data_source_is_read_when_asked() {
        let opts = DecodeOptions {
            zen4_data_source: true,
            ..DecodeOptions::PERMISSIVE
        };
        let with_src = |code: u64| {
            let mut r = dram_load();
            r.op_data2 = (code & 7) | ((code >> 3) << OP_DATA2_SRC_HI_SHIFT);
            decode(&r, &opts).map(|a| a.source)
        };
        assert_eq!(with_src(0), Ok(DataSource::Unknown));
        assert_eq!(with_src(1), Ok(DataSource::LocalCache));
        assert_eq!(with_src(2), Ok(DataSource::LocalCache));
        assert_eq!(with_src(3), Ok(DataSource::Dram));
        assert_eq!(with_src(4), Err(IbsReject::ReservedSource));
        assert_eq!(with_src(5), Ok(DataSource::RemoteCache));
        assert_eq!(with_src(6), Ok(DataSource::Dram));
        assert_eq!(with_src(7), Err(IbsReject::Io));
        assert_eq!(with_src(8), Ok(DataSource::Dram));
        assert_eq!(with_src(12), Ok(DataSource::Dram));
        assert_eq!(with_src(31), Err(IbsReject::ReservedSource));
        assert!(
            IbsCaps::from_cpuid(ZEN4_EAX)
                .decode_options()
                .zen4_data_source
        );
    }

    #[test]
    fn a_store_and_a_locked_read_modify_write_are_stores() {
        let mut r = dram_load();
        r.op_data3 = (r.op_data3 & !OP_DATA3_LD_OP) | OP_DATA3_ST_OP;
        let a = decode(&r, &DecodeOptions::CARREFOUR).unwrap();
        assert_eq!(a.kind, AccessKind::Store);
        r.op_data3 |= OP_DATA3_LD_OP | OP_DATA3_DC_LOCKED_OP;
        let a = decode(&r, &DecodeOptions::CARREFOUR).unwrap();
        assert_eq!(a.kind, AccessKind::Store);
    }

    #[test]
    fn a_sample_without_ibs_op_val_is_not_valid() {
        let mut r = dram_load();
        r.op_ctl &= !OP_CTL_VALID;
        assert_eq!(
            decode(&r, &DecodeOptions::PERMISSIVE),
            Err(IbsReject::NotValid)
        );
        // Even with everything else zero.
        assert_eq!(
            decode(&IbsOpRegs::default(), &DecodeOptions::PERMISSIVE),
            Err(IbsReject::NotValid)
        );
    }

    #[test]
    fn a_hypervisor_op_is_dropped_unless_asked_for() {
        let mut r = dram_load();
        r.in_guest = false;
        assert_eq!(
            decode(&r, &DecodeOptions::CARREFOUR),
            Err(IbsReject::NotGuest)
        );
        let any = DecodeOptions {
            guest_only: false,
            ..DecodeOptions::CARREFOUR
        };
        assert!(decode(&r, &any).is_ok());
    }

    #[test]
    fn an_op_that_neither_loads_nor_stores_is_dropped() {
        let mut r = dram_load();
        r.op_data3 &= !(OP_DATA3_LD_OP | OP_DATA3_ST_OP);
        assert_eq!(
            decode(&r, &DecodeOptions::PERMISSIVE),
            Err(IbsReject::NeitherLoadNorStore)
        );
    }

    #[test]
    fn guest_kernel_ops_are_dropped_only_when_asked() {
        let drop_kernel = DecodeOptions {
            drop_guest_kernel: true,
            ..DecodeOptions::CARREFOUR
        };
        let mut r = dram_load();
        assert!(decode(&r, &drop_kernel).is_ok());
        r.op_rip = 0xFFFF_FFFF_8100_0000;
        assert_eq!(decode(&r, &drop_kernel), Err(IbsReject::GuestKernel));
        assert!(decode(&r, &DecodeOptions::CARREFOUR).is_ok());
        let mut r = dram_load();
        r.op_data |= OP_DATA_RIP_INVALID;
        assert_eq!(decode(&r, &drop_kernel), Err(IbsReject::RipInvalid));
        assert!(decode(&r, &DecodeOptions::CARREFOUR).is_ok());
    }

    #[test]
    fn an_invalid_or_zero_physical_address_is_dropped() {
        let mut r = dram_load();
        r.op_data3 &= !OP_DATA3_PHY_ADDR_VALID;
        assert_eq!(
            decode(&r, &DecodeOptions::PERMISSIVE),
            Err(IbsReject::PhysAddrInvalid)
        );
        let mut r = dram_load();
        r.dc_phys_ad = 0;
        assert_eq!(
            decode(&r, &DecodeOptions::PERMISSIVE),
            Err(IbsReject::PhysAddrZero)
        );
        // Reserved bits 63:52 are not part of the address.
        r.dc_phys_ad = 0xFFF0_0000_0000_0000;
        assert_eq!(
            decode(&r, &DecodeOptions::PERMISSIVE),
            Err(IbsReject::PhysAddrZero)
        );
        r.dc_phys_ad = 0xFFF0_0000_0000_1000;
        assert_eq!(
            decode(&r, &DecodeOptions::PERMISSIVE).map(|a| a.phys_addr),
            Ok(0x1000)
        );
    }

    #[test]
    fn io_is_always_dropped() {
        let mut r = dram_load();
        r.op_data2 = u64::from(SRC_IO);
        assert_eq!(decode(&r, &DecodeOptions::PERMISSIVE), Err(IbsReject::Io));
        assert_eq!(decode(&r, &DecodeOptions::CARREFOUR), Err(IbsReject::Io));
    }

    #[test]
    fn no_source_is_dropped_when_a_source_or_dram_is_required() {
        let mut r = dram_load();
        r.op_data2 = 0;
        assert_eq!(
            decode(&r, &DecodeOptions::CARREFOUR),
            Err(IbsReject::NoSource)
        );
        let dram = DecodeOptions {
            dram_only: true,
            ..DecodeOptions::PERMISSIVE
        };
        assert_eq!(decode(&r, &dram), Err(IbsReject::NotDram));
        assert_eq!(
            decode(&r, &DecodeOptions::PERMISSIVE).map(|a| a.source),
            Ok(DataSource::Unknown)
        );
    }

    #[test]
    fn dram_only_drops_cache_hits_and_keeps_dram() {
        let dram = DecodeOptions {
            dram_only: true,
            ..DecodeOptions::CARREFOUR
        };
        for (code, ok) in [
            (SRC_LOCAL_CACHE, false),
            (SRC_REMOTE_CACHE, false),
            (SRC_DRAM, true),
        ] {
            let mut r = dram_load();
            r.op_data2 = u64::from(code);
            let got = decode(&r, &dram);
            if ok {
                assert!(got.is_ok(), "{code}");
            } else {
                assert_eq!(got, Err(IbsReject::NotDram), "{code}");
            }
        }
    }

    #[test]
    fn the_first_applicable_reason_is_reported() {
        // Everything wrong at once: invalid wins; then context; then kind.
        let r = IbsOpRegs {
            op_ctl: 0,
            op_rip: u64::MAX,
            op_data: OP_DATA_RIP_INVALID,
            op_data2: u64::from(SRC_IO),
            op_data3: 0,
            dc_phys_ad: 0,
            in_guest: false,
        };
        let strict = DecodeOptions {
            dram_only: true,
            drop_guest_kernel: true,
            ..DecodeOptions::CARREFOUR
        };
        assert_eq!(decode(&r, &strict), Err(IbsReject::NotValid));
        let r = IbsOpRegs {
            op_ctl: OP_CTL_VALID,
            ..r
        };
        assert_eq!(decode(&r, &strict), Err(IbsReject::NotGuest));
        let r = IbsOpRegs {
            in_guest: true,
            ..r
        };
        assert_eq!(decode(&r, &strict), Err(IbsReject::NeitherLoadNorStore));
    }

    #[test]
    fn reject_indices_are_dense_and_names_distinct() {
        for (i, r) in IbsReject::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
            assert_eq!(*r as u32, i as u32);
            for s in &IbsReject::ALL[..i] {
                assert_ne!(s.name(), r.name());
            }
        }
    }

    #[test]
    fn op_ctl_encodes_period_in_both_fields() {
        let caps = IbsCaps::from_cpuid(ZEN4_EAX);
        let cfg = OpCtlConfig {
            period: 0xFFF0,
            count_ops: true,
            l3_miss_only: false,
        };
        assert_eq!(
            encode_op_ctl(&cfg, &caps),
            Ok(0xFFF | OP_CTL_ENABLE | OP_CTL_COUNT_OPS)
        );
        // Carrefour's cheap period 0x3FFE0: 0x3FFE in bits 15:0.
        let cfg = OpCtlConfig {
            period: 0x3FFE0,
            ..cfg
        };
        assert_eq!(encode_op_ctl(&cfg, &caps).unwrap() & 0xFFFF, 0x3FFE);
        // A period with bits above 19: they go to bits 26:20 in place.
        let cfg = OpCtlConfig {
            period: 0x123_4560,
            count_ops: false,
            l3_miss_only: true,
        };
        let v = encode_op_ctl(&cfg, &caps).unwrap();
        assert_eq!(v & OP_CTL_MAX_CNT_MASK, 0x3456);
        assert_eq!((v & OP_CTL_MAX_CNT_EXT_MASK) >> 20, 0x12);
        assert_eq!(v & OP_CTL_L3_MISS_ONLY, OP_CTL_L3_MISS_ONLY);
        assert_eq!(v & OP_CTL_COUNT_OPS, 0);
        assert_eq!(v & OP_CTL_VALID, 0);
    }

    #[test]
    fn op_ctl_refuses_bad_periods_and_missing_features() {
        let caps = IbsCaps::from_cpuid(ZEN4_EAX);
        let cfg = |period| OpCtlConfig {
            period,
            count_ops: true,
            l3_miss_only: false,
        };
        assert_eq!(
            encode_op_ctl(&cfg(0xFFF8), &caps),
            Err(OpCtlError::Unaligned(0xFFF8))
        );
        assert_eq!(
            encode_op_ctl(&cfg(0x80), &caps),
            Err(OpCtlError::TooShort(0x80))
        );
        assert!(encode_op_ctl(&cfg(MIN_OP_PERIOD), &caps).is_ok());
        assert!(encode_op_ctl(&cfg(MAX_OP_PERIOD_EXT), &caps).is_ok());
        assert_eq!(
            encode_op_ctl(&cfg(MAX_OP_PERIOD_EXT + 16), &caps),
            Err(OpCtlError::TooLong(MAX_OP_PERIOD_EXT + 16))
        );
        let old = IbsCaps::from_cpuid(FAM10H_EAX);
        assert!(encode_op_ctl(&cfg(MAX_OP_PERIOD), &old).is_ok());
        assert_eq!(
            encode_op_ctl(&cfg(MAX_OP_PERIOD + 16), &old),
            Err(OpCtlError::TooLong(MAX_OP_PERIOD + 16))
        );
        let l3 = OpCtlConfig {
            l3_miss_only: true,
            ..cfg(0x1000)
        };
        assert_eq!(encode_op_ctl(&l3, &old), Err(OpCtlError::Unsupported));
        let no_opcnt = IbsCaps::from_cpuid(CAP_FLAGS_VALID | CAP_OP_SAM);
        assert_eq!(
            encode_op_ctl(&cfg(0x1000), &no_opcnt),
            Err(OpCtlError::Unsupported)
        );
        let cycles = OpCtlConfig {
            count_ops: false,
            ..cfg(0x1000)
        };
        assert!(encode_op_ctl(&cycles, &no_opcnt).is_ok());
        assert_eq!(
            encode_op_ctl(&cfg(0x1000), &IbsCaps::from_cpuid(0)),
            Err(OpCtlError::Unsupported)
        );
    }

    #[test]
    fn op_ctl_round_trips_for_every_valid_period_shape() {
        let caps = IbsCaps::from_cpuid(ZEN4_EAX);
        let mut periods = [0u64; 64];
        for (i, p) in periods.iter_mut().enumerate() {
            // Walk single bits and dense patterns from bit 4 to bit 26.
            let bit = 4 + (i as u64 % 23);
            *p = if i < 23 {
                1 << bit
            } else {
                (0x5A5_A5A5_A5A5u64.rotate_left(i as u32)) & MAX_OP_PERIOD_EXT
            };
        }
        for p in periods
            .into_iter()
            .chain([MIN_OP_PERIOD, MAX_OP_PERIOD, MAX_OP_PERIOD_EXT])
        {
            for (count_ops, l3) in [(false, false), (true, false), (true, true)] {
                let cfg = OpCtlConfig {
                    period: p,
                    count_ops,
                    l3_miss_only: l3,
                };
                match encode_op_ctl(&cfg, &caps) {
                    Ok(v) => {
                        let d = decode_op_ctl(v);
                        assert_eq!(d.period, p);
                        assert!(d.enabled && !d.valid);
                        assert_eq!(d.count_ops, count_ops);
                        assert_eq!(d.l3_miss_only, l3);
                        assert_eq!(d.current_count, 0);
                    }
                    Err(e) => assert!(p < MIN_OP_PERIOD, "{p:#x}: {e:?}"),
                }
            }
        }
        // Status bits and the current count read back.
        let d = decode_op_ctl(OP_CTL_VALID | (0x7FF_FFFF << 32) | 0xFFFF_0000_0000_0000);
        assert!(d.valid && !d.enabled);
        assert_eq!(d.current_count, 0x7FF_FFFF);
    }

    #[test]
    fn engine_periods_become_programmable_op_periods() {
        let ext = IbsCaps::from_cpuid(ZEN4_EAX);
        let old = IbsCaps::from_cpuid(FAM10H_EAX);
        use crate::params::{
            ACCURATE_SAMPLING_PERIOD, CHEAP_SAMPLING_PERIOD, MAX_SAMPLING_PERIOD,
            MIN_SAMPLING_PERIOD,
        };
        assert_eq!(op_period(ACCURATE_SAMPLING_PERIOD, &ext), 0xFFF0);
        assert_eq!(op_period(CHEAP_SAMPLING_PERIOD, &ext), 0x3FFE0);
        assert_eq!(op_period(0, &ext), MIN_OP_PERIOD);
        assert_eq!(op_period(u64::MAX, &ext), MAX_OP_PERIOD_EXT);
        assert_eq!(op_period(u64::MAX, &old), MAX_OP_PERIOD);
        for p in [
            MIN_SAMPLING_PERIOD,
            ACCURATE_SAMPLING_PERIOD,
            CHEAP_SAMPLING_PERIOD,
            MAX_SAMPLING_PERIOD,
            0x91,
            12345,
        ] {
            for caps in [ext, old] {
                let cfg = OpCtlConfig {
                    period: op_period(p, &caps),
                    count_ops: true,
                    l3_miss_only: false,
                };
                assert!(encode_op_ctl(&cfg, &caps).is_ok(), "{p:#x}");
            }
        }
        // The engine's longest period is exactly what the extended
        // IbsOpMaxCnt holds.
        assert_eq!(op_period(MAX_SAMPLING_PERIOD, &ext), MAX_SAMPLING_PERIOD);
    }

    #[test]
    fn cpuid_flags_decode_bit_by_bit() {
        assert_eq!(IbsCaps::from_cpuid(0), IbsCaps::default());
        // Without IBSFFV nothing is claimed, whatever the other bits.
        assert_eq!(IbsCaps::from_cpuid(0xFFE), IbsCaps::default());
        let all = IbsCaps::from_cpuid(ZEN4_EAX);
        assert!(
            all.valid
                && all.fetch_sampling
                && all.op_sampling
                && all.rd_wr_op_cnt
                && all.op_cnt
                && all.brn_trgt
                && all.op_cnt_ext
                && all.rip_invalid_chk
                && all.op_brn_fuse
                && all.fetch_ctl_extd
                && all.op_data4
                && all.zen4
        );
        assert!(all.usable());
        let bit = |b: u32| IbsCaps::from_cpuid(CAP_FLAGS_VALID | b);
        assert!(bit(CAP_FETCH_SAM).fetch_sampling);
        assert!(bit(CAP_OP_SAM).op_sampling);
        assert!(bit(CAP_RD_WR_OP_CNT).rd_wr_op_cnt);
        assert!(bit(CAP_OP_CNT).op_cnt);
        assert!(bit(CAP_BRN_TRGT).brn_trgt);
        assert!(bit(CAP_OP_CNT_EXT).op_cnt_ext);
        assert!(bit(CAP_RIP_INVALID_CHK).rip_invalid_chk);
        assert!(bit(CAP_OP_BRN_FUSE).op_brn_fuse);
        assert!(bit(CAP_FETCH_CTL_EXTD).fetch_ctl_extd);
        assert!(bit(CAP_OP_DATA4).op_data4);
        assert!(bit(CAP_ZEN4).zen4);
        assert_eq!(
            bit(0),
            IbsCaps {
                valid: true,
                ..IbsCaps::default()
            }
        );
        let fam10h = IbsCaps::from_cpuid(FAM10H_EAX);
        assert!(fam10h.usable() && !fam10h.op_cnt_ext && !fam10h.zen4);
        assert_eq!(fam10h.max_op_period(), MAX_OP_PERIOD);
        assert!(!bit(CAP_OP_SAM).usable());
    }

    #[test]
    fn to_sample_carries_the_access_and_the_callers_facts() {
        let a = decode(&dram_load(), &DecodeOptions::CARREFOUR).unwrap();
        let n = |i| NodeId::new(i).unwrap();
        let s = to_sample(&a, DomId(7), Gfn(0x42), n(1), n(0));
        assert_eq!(
            s,
            Sample {
                domain: DomId(7),
                gfn: Gfn(0x42),
                frame_node: n(1),
                cpu_node: n(0),
                kind: AccessKind::Load,
                source: DataSource::Dram,
            }
        );
        assert!(!s.is_local());
    }
}

//! IBS trampolines for Xen's NMI handler (`arch/x86/carrefour/ibs.c`).
//!
//! Called in NMI context: they are pure (no lock, no allocation, no
//! state), as the engine's `ibs` module is.

use carrefour_core::ibs::{decode, encode_op_ctl, DecodeOptions, IbsCaps, IbsOpRegs, OpCtlConfig};
use carrefour_core::{AccessKind, DataSource};

/// The registers of one op sample (`struct carrefour_ibs_regs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CarrefourIbsRegs {
    /// IbsOpCtl.
    pub op_ctl: u64,
    /// IbsOpRip.
    pub op_rip: u64,
    /// IbsOpData.
    pub op_data: u64,
    /// IbsOpData2.
    pub op_data2: u64,
    /// IbsOpData3.
    pub op_data3: u64,
    /// IbsDcPhysAd.
    pub dc_phys_ad: u64,
    /// Non-zero when the op ran in a guest.
    pub in_guest: u8,
    /// Zero.
    pub pad: [u8; 7],
}
const _: () = assert!(core::mem::size_of::<CarrefourIbsRegs>() == 56);

/// A decoded access (`struct carrefour_ibs_access`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CarrefourIbsAccess {
    /// Machine address accessed.
    pub phys_addr: u64,
    /// `CARREFOUR_ACCESS_*`.
    pub kind: u8,
    /// `CARREFOUR_SOURCE_*`.
    pub source: u8,
    /// Zero.
    pub pad: [u8; 6],
}
const _: () = assert!(core::mem::size_of::<CarrefourIbsAccess>() == 16);

/// Decodes `*regs` with Carrefour's options (guest ops with a data source
/// and a physical address).  Returns 0 and fills `*out`, or a negative
/// code (the rejection's position in `IbsReject`, plus one) to drop it.
///
/// # Safety
/// `regs` is null or readable; `out` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn carrefour_ibs_decode(
    regs: *const CarrefourIbsRegs,
    out: *mut CarrefourIbsAccess,
) -> i32 {
    // SAFETY: by the contract, each pointer is null or valid.
    let (Some(r), Some(out)) = (unsafe { regs.as_ref() }, unsafe { out.as_mut() }) else {
        return -1;
    };
    let regs = IbsOpRegs {
        op_ctl: r.op_ctl,
        op_rip: r.op_rip,
        op_data: r.op_data,
        op_data2: r.op_data2,
        op_data3: r.op_data3,
        dc_phys_ad: r.dc_phys_ad,
        in_guest: r.in_guest != 0,
    };
    match decode(&regs, &DecodeOptions::CARREFOUR) {
        Ok(a) => {
            *out = CarrefourIbsAccess {
                phys_addr: a.phys_addr,
                kind: match a.kind {
                    AccessKind::Load => 0,
                    AccessKind::Store => 1,
                },
                source: match a.source {
                    DataSource::Unknown => 0,
                    DataSource::LocalCache => 1,
                    DataSource::RemoteCache => 2,
                    DataSource::Dram => 3,
                    DataSource::Io => 4,
                },
                pad: [0; 6],
            };
            0
        }
        Err(reject) => -(reject as i32).saturating_add(1),
    }
}

/// The IbsOpCtl value that samples every `period` ops on a CPU whose
/// CPUID 8000_001B EAX is `cpuid_eax`, or 0 when that cannot be done.
#[no_mangle]
pub extern "C" fn carrefour_ibs_op_ctl(cpuid_eax: u32, period: u64) -> u64 {
    let caps = IbsCaps::from_cpuid(cpuid_eax);
    let config = OpCtlConfig {
        period: period & !0xF,
        count_ops: caps.op_cnt,
        l3_miss_only: false,
    };
    encode_op_ctl(&config, &caps).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use carrefour_core::ibs::{
        CAP_FLAGS_VALID, CAP_OP_CNT, CAP_OP_SAM, OP_CTL_ENABLE, OP_CTL_VALID,
    };
    use carrefour_core::ibs::{OP_DATA3_LD_OP, OP_DATA3_PHY_ADDR_VALID, SRC_DRAM};

    #[test]
    fn op_ctl_needs_op_sampling() {
        assert_eq!(carrefour_ibs_op_ctl(0, 0xFFF0), 0);
        let v = carrefour_ibs_op_ctl(CAP_FLAGS_VALID | CAP_OP_SAM | CAP_OP_CNT, 0xFFF0);
        assert_ne!(v & OP_CTL_ENABLE, 0);
        assert_eq!(v & 0xFFFF, 0xFFF);
    }

    #[test]
    fn an_invalid_sample_is_dropped_and_a_null_pointer_refused() {
        let mut out = CarrefourIbsAccess::default();
        let regs = CarrefourIbsRegs {
            op_ctl: 0,
            ..Default::default()
        };
        // SAFETY: valid pointers to locals, and nulls (refused).
        unsafe {
            assert!(carrefour_ibs_decode(&regs, &mut out) < 0);
            assert!(carrefour_ibs_decode(core::ptr::null(), &mut out) < 0);
        }
    }

    #[test]
    fn a_guest_dram_load_decodes_to_its_machine_address() {
        let regs = CarrefourIbsRegs {
            op_ctl: OP_CTL_VALID,
            op_data2: u64::from(SRC_DRAM),
            op_data3: OP_DATA3_LD_OP | OP_DATA3_PHY_ADDR_VALID,
            dc_phys_ad: 0x1234_5678,
            in_guest: 1,
            ..Default::default()
        };
        let mut out = CarrefourIbsAccess::default();
        // SAFETY: valid pointers to locals.
        assert_eq!(unsafe { carrefour_ibs_decode(&regs, &mut out) }, 0);
        assert_eq!((out.phys_addr, out.kind, out.source), (0x1234_5678, 0, 3));
    }
}

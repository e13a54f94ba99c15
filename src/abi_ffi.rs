//! The hypercall's validation trampoline: Xen's domctl handler asks the
//! ABI crate's validator before anything else, so that C and Rust agree
//! on what a well-formed `XEN_DOMCTL_carrefour_op` is.

use hypercall_abi::errno::EINVAL;
use hypercall_abi::{validate_op, AbiError, XenCarrefourGetStats, XenDomctlCarrefourOp};

/// Checks `*op`: ABI major, flags and padding, sub-operation, sampler,
/// parameter ids and count, stats buffer size.  Returns 0 or the negative
/// errno Xen returns (`-EINVAL`, `-EOPNOTSUPP`, `-ENOBUFS`); with
/// `-ENOBUFS` the size needed is written to `op.u.get_stats.size`.
///
/// # Safety
/// `op` is null or points to a `struct xen_domctl_carrefour_op` Xen copied
/// from the caller, writable and not otherwise accessed during the call.
#[no_mangle]
pub unsafe extern "C" fn carrefour_abi_validate(op: *mut XenDomctlCarrefourOp) -> i32 {
    // SAFETY: by the contract, `op` is null or valid and exclusively ours.
    let Some(op) = (unsafe { op.as_mut() }) else {
        return -EINVAL;
    };
    match validate_op(op) {
        Ok(_) => 0,
        Err(e) => {
            if let AbiError::StatsBufferTooSmall { needed, .. } = e {
                let mut gs: XenCarrefourGetStats = op.u.read();
                gs.size = needed;
                op.u.write(&gs);
            }
            e.errno()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hypercall_abi::errno::{ENOBUFS, EOPNOTSUPP};
    use hypercall_abi::{XEN_CARREFOUR_ABI_VERSION, XEN_CARREFOUR_STATS_SIZE};

    fn op(cmd: u32) -> XenDomctlCarrefourOp {
        XenDomctlCarrefourOp {
            cmd,
            abi_version: XEN_CARREFOUR_ABI_VERSION,
            ..Default::default()
        }
    }

    #[test]
    fn bad_requests_get_the_errno_xen_returns() {
        let mut unknown = op(99);
        let mut padded = op(2);
        padded.pad = 1;
        let mut old_abi = op(2);
        old_abi.abi_version = 0x0002_0000;
        // SAFETY: valid, exclusive pointers to local values.
        unsafe {
            assert_eq!(carrefour_abi_validate(&mut op(2)), 0);
            assert_eq!(carrefour_abi_validate(&mut unknown), -EOPNOTSUPP);
            assert_eq!(carrefour_abi_validate(&mut padded), -EINVAL);
            assert_eq!(carrefour_abi_validate(&mut old_abi), -EINVAL);
            assert_eq!(carrefour_abi_validate(core::ptr::null_mut()), -EINVAL);
        }
    }

    #[test]
    fn small_stats_buffer_says_what_it_needs() {
        let mut o = op(5);
        o.u.write(&XenCarrefourGetStats {
            buffer: 0x1000,
            size: 8,
            pad: 0,
        });
        // SAFETY: valid, exclusive pointer to a local value.
        assert_eq!(unsafe { carrefour_abi_validate(&mut o) }, -ENOBUFS);
        assert_eq!(
            o.u.read::<XenCarrefourGetStats>().size,
            XEN_CARREFOUR_STATS_SIZE
        );
    }
}

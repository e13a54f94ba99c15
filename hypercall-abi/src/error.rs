//! Why a `XEN_DOMCTL_carrefour_op` request is rejected, and the errno Xen
//! returns for it.

use core::fmt;

use crate::enums::{Param, UnknownParam, UnknownSampler, UnknownSubOp};
use crate::errno;

/// A `pad` field of the request, named as in C.  Every `pad` is IN and must
/// be zero so that it can be given a meaning later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PadField {
    /// `pad`
    Op,
    /// `u.enable.pad`
    Enable,
    /// `u.set_params.pad`
    SetParams,
    /// `u.set_params.params[index].pad`
    Param {
        /// Index in `u.set_params.params[]`.
        index: usize,
    },
    /// `u.get_stats.pad`
    GetStats,
}

impl fmt::Display for PadField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Op => f.write_str("pad"),
            Self::Enable => f.write_str("u.enable.pad"),
            Self::SetParams => f.write_str("u.set_params.pad"),
            Self::Param { index } => write!(f, "u.set_params.params[{index}].pad"),
            Self::GetStats => f.write_str("u.get_stats.pad"),
        }
    }
}

/// A request [`validate_op`](crate::validate_op) rejects.
///
/// [`errno`](Self::errno) is what the hypercall returns, as the header's
/// error list says.  Errors that need the engine's or Xen's state (value out
/// of range, PV domain, no HAP, sampler not available, no such domain, no
/// memory, too many domains) are not found here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiError {
    /// `abi_version` has another major than [`XEN_CARREFOUR_ABI_VERSION`]
    /// (`-EINVAL`).
    ///
    /// [`XEN_CARREFOUR_ABI_VERSION`]: crate::XEN_CARREFOUR_ABI_VERSION
    AbiVersionMismatch {
        /// The version the caller was built against.
        caller: u32,
    },
    /// `flags` is not zero (`-EINVAL`).
    NonZeroFlags {
        /// The caller's flags.
        flags: u32,
    },
    /// A `pad` field that the sub-operation reads is not zero (`-EINVAL`).
    NonZeroPad {
        /// Which one.
        field: PadField,
    },
    /// `cmd` is no `XEN_DOMCTL_CARREFOUR_OP_*` (`-EOPNOTSUPP`).
    UnknownSubOp(UnknownSubOp),
    /// `u.enable.sampler` is no `XEN_CARREFOUR_SAMPLER_*` (`-EINVAL`).
    UnknownSampler(UnknownSampler),
    /// `u.set_params.nr_params` is 0 or above
    /// [`XEN_CARREFOUR_MAX_SET_PARAMS`](crate::XEN_CARREFOUR_MAX_SET_PARAMS)
    /// (`-EINVAL`).
    BadParamCount {
        /// The caller's count.
        nr_params: u32,
    },
    /// `u.set_params.params[index].id` is no `XEN_CARREFOUR_PARAM_*`
    /// (`-EINVAL`).
    UnknownParam {
        /// Index in `u.set_params.params[]`.
        index: usize,
        /// The unknown id.
        id: UnknownParam,
    },
    /// `u.set_params.params[index]` sets a parameter an earlier entry sets
    /// already (`-EINVAL`).
    DuplicateParam {
        /// Index of the second assignment in `u.set_params.params[]`.
        index: usize,
        /// The parameter.
        param: Param,
    },
    /// `u.get_stats.size` is smaller than the statistics (`-ENOBUFS`).  Xen
    /// writes `needed` back to `u.get_stats.size` before returning, so a
    /// caller can ask with size 0 and a null buffer, then retry.
    StatsBufferTooSmall {
        /// The caller's size.
        size: u32,
        /// `sizeof(struct xen_carrefour_stats)`.
        needed: u32,
    },
}

impl AbiError {
    /// The hypercall's return value for this error: a negative Xen errno.
    pub const fn errno(&self) -> i32 {
        match self {
            Self::UnknownSubOp(_) => -errno::EOPNOTSUPP,
            Self::StatsBufferTooSmall { .. } => -errno::ENOBUFS,
            Self::AbiVersionMismatch { .. }
            | Self::NonZeroFlags { .. }
            | Self::NonZeroPad { .. }
            | Self::UnknownSampler(_)
            | Self::BadParamCount { .. }
            | Self::UnknownParam { .. }
            | Self::DuplicateParam { .. } => -errno::EINVAL,
        }
    }
}

impl From<UnknownSubOp> for AbiError {
    fn from(e: UnknownSubOp) -> Self {
        Self::UnknownSubOp(e)
    }
}

impl From<UnknownSampler> for AbiError {
    fn from(e: UnknownSampler) -> Self {
        Self::UnknownSampler(e)
    }
}

impl fmt::Display for AbiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AbiVersionMismatch { caller } => write!(
                f,
                "ABI version {caller:#010x} has major {}, Xen's is {:#010x}",
                crate::xen_carrefour_abi_major(*caller),
                crate::XEN_CARREFOUR_ABI_VERSION
            ),
            Self::NonZeroFlags { flags } => write!(f, "flags {flags:#x} must be zero"),
            Self::NonZeroPad { field } => write!(f, "{field} must be zero"),
            Self::UnknownSubOp(e) => write!(f, "cmd: {e}"),
            Self::UnknownSampler(e) => write!(f, "u.enable.sampler: {e}"),
            Self::BadParamCount { nr_params } => write!(
                f,
                "u.set_params.nr_params {nr_params} not in 1..={}",
                crate::XEN_CARREFOUR_MAX_SET_PARAMS
            ),
            Self::UnknownParam { index, id } => {
                write!(f, "u.set_params.params[{index}].id: {id}")
            }
            Self::DuplicateParam { index, param } => {
                write!(f, "u.set_params.params[{index}] sets {param} a second time")
            }
            Self::StatsBufferTooSmall { size, needed } => {
                write!(f, "u.get_stats.size {size} too small, {needed} needed")
            }
        }
    }
}

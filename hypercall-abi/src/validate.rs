//! From the raw `struct xen_domctl_carrefour_op` to a typed, validated
//! [`Request`], and back.
//!
//! [`validate_op`] checks, in this order (the first failure is returned):
//!
//! 1. `abi_version` has Xen's major (the minor is free) - else `-EINVAL`.
//!    First, because another major may number everything differently.
//! 2. `flags` and `pad` are zero - else `-EINVAL`.
//! 3. `cmd` is a known sub-operation - else `-EOPNOTSUPP`.
//! 4. The sub-operation's own argument:
//!    - enable: `pad` zero, `sampler` known (`-EINVAL`);
//!    - disable, get_info: nothing (the union is not read: get_info's is
//!      OUT only);
//!    - set_params: `pad` zero, `nr_params` in `1..=MAX_SET_PARAMS`, then
//!      for each of the first `nr_params` entries in order: `pad` zero, `id`
//!      known, not set twice (`-EINVAL`); entries past `nr_params` are
//!      ignored.  Values are not range-checked here: that is the engine's.
//!    - get_stats: `pad` zero (`-EINVAL`), then `size` at least
//!      `sizeof(struct xen_carrefour_stats)` (`-ENOBUFS`).

use core::fmt;

use crate::consts::{
    xen_carrefour_abi_major, XEN_CARREFOUR_ABI_VERSION, XEN_CARREFOUR_MAX_SET_PARAMS,
};
use crate::enums::{Param, Sampler, SubOp};
use crate::error::{AbiError, PadField};
use crate::layout::{
    XenCarrefourEnable, XenCarrefourGetStats, XenCarrefourParam, XenCarrefourSetParams,
    XenDomctlCarrefourOp, XenDomctlCarrefourOpU, XEN_CARREFOUR_STATS_SIZE,
};

/// One parameter assignment of a set_params request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamAssignment {
    /// The parameter.
    pub param: Param,
    /// Its new value (not range-checked: the engine does that).
    pub value: u64,
}

/// The assignments of a set_params request.
///
/// # Invariants
///
/// Holds `1..=XEN_CARREFOUR_MAX_SET_PARAMS` assignments (`len`), no two for
/// the same parameter.  Entries of `items` past `len` are meaningless.
#[derive(Clone, Copy)]
pub struct ParamList {
    len: usize,
    items: [ParamAssignment; XEN_CARREFOUR_MAX_SET_PARAMS],
}

impl ParamList {
    /// The list of `assignments`, in order, if there are
    /// `1..=XEN_CARREFOUR_MAX_SET_PARAMS` of them and no parameter is set
    /// twice.
    pub fn new(assignments: &[ParamAssignment]) -> Result<Self, AbiError> {
        if assignments.is_empty() || assignments.len() > XEN_CARREFOUR_MAX_SET_PARAMS {
            return Err(AbiError::BadParamCount {
                // Saturating: a count that does not fit u32 is just "too many".
                nr_params: u32::try_from(assignments.len()).unwrap_or(u32::MAX),
            });
        }
        let mut seen: u64 = 0;
        let filler = ParamAssignment {
            param: Param::EpochMs,
            value: 0,
        };
        let mut items = [filler; XEN_CARREFOUR_MAX_SET_PARAMS];
        for (index, (slot, a)) in items.iter_mut().zip(assignments).enumerate() {
            let bit = 1u64 << a.param.index();
            if seen & bit != 0 {
                return Err(AbiError::DuplicateParam {
                    index,
                    param: a.param,
                });
            }
            seen |= bit;
            *slot = *a;
        }
        Ok(Self {
            len: assignments.len(),
            items,
        })
    }

    /// The assignments, in the caller's order.
    pub fn as_slice(&self) -> &[ParamAssignment] {
        // By the type invariant, len <= items.len().
        &self.items[..self.len]
    }

    /// The number of assignments (at least 1).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false (a list holds at least one assignment); for clippy's
    /// `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value assigned to `param`, if the list sets it.
    pub fn get(&self, param: Param) -> Option<u64> {
        self.as_slice()
            .iter()
            .find(|a| a.param == param)
            .map(|a| a.value)
    }
}

// The duplicate check keeps one bit per parameter in a u64.
const _: () = assert!(crate::consts::XEN_CARREFOUR_PARAM_NR <= 64);

impl PartialEq for ParamList {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}
impl Eq for ParamList {}

impl fmt::Debug for ParamList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// A validated `XEN_DOMCTL_carrefour_op` request: what the engine's
/// static library acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `XEN_DOMCTL_CARREFOUR_OP_ENABLE`.
    Enable {
        /// The sampler asked for (whether this machine has it is Xen's
        /// check: `-EOPNOTSUPP`).
        sampler: Sampler,
    },
    /// `XEN_DOMCTL_CARREFOUR_OP_DISABLE`.
    Disable,
    /// `XEN_DOMCTL_CARREFOUR_OP_GET_INFO`: Xen fills `u.info`.
    GetInfo,
    /// `XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS`: all or nothing.
    SetParams(ParamList),
    /// `XEN_DOMCTL_CARREFOUR_OP_GET_STATS`.
    GetStats {
        /// Guest handle of the caller's `struct xen_carrefour_stats`.
        buffer: u64,
        /// Bytes at `buffer`, at least [`XEN_CARREFOUR_STATS_SIZE`].
        size: u32,
    },
}

impl Request {
    /// The sub-operation.
    pub const fn sub_op(&self) -> SubOp {
        match self {
            Self::Enable { .. } => SubOp::Enable,
            Self::Disable => SubOp::Disable,
            Self::GetInfo => SubOp::GetInfo,
            Self::SetParams(_) => SubOp::SetParams,
            Self::GetStats { .. } => SubOp::GetStats,
        }
    }

    /// The raw op a caller sends for this request: this crate's
    /// `XEN_CARREFOUR_ABI_VERSION`, zero flags and padding, unused bytes of
    /// the union zero.  `validate_op` gives the request back.
    pub fn to_op(&self) -> XenDomctlCarrefourOp {
        let u = match self {
            Self::Enable { sampler } => XenDomctlCarrefourOpU::with(&XenCarrefourEnable {
                sampler: sampler.raw(),
                pad: 0,
            }),
            Self::Disable | Self::GetInfo => XenDomctlCarrefourOpU::ZEROED,
            Self::SetParams(list) => {
                let mut raw = XenCarrefourSetParams::default();
                for (slot, a) in raw.params.iter_mut().zip(list.as_slice()) {
                    *slot = XenCarrefourParam {
                        id: a.param.raw(),
                        pad: 0,
                        value: a.value,
                    };
                }
                // len <= XEN_CARREFOUR_MAX_SET_PARAMS, which fits u32.
                raw.nr_params = list.as_slice().len() as u32;
                XenDomctlCarrefourOpU::with(&raw)
            }
            Self::GetStats { buffer, size } => XenDomctlCarrefourOpU::with(&XenCarrefourGetStats {
                buffer: *buffer,
                size: *size,
                pad: 0,
            }),
        };
        XenDomctlCarrefourOp {
            cmd: self.sub_op().raw(),
            abi_version: XEN_CARREFOUR_ABI_VERSION,
            flags: 0,
            pad: 0,
            u,
        }
    }
}

/// Checks a raw request against the ABI and returns it typed; see the
/// module documentation for what is checked, in which order, and the
/// errno of each failure.
pub fn validate_op(op: &XenDomctlCarrefourOp) -> Result<Request, AbiError> {
    if xen_carrefour_abi_major(op.abi_version) != xen_carrefour_abi_major(XEN_CARREFOUR_ABI_VERSION)
    {
        return Err(AbiError::AbiVersionMismatch {
            caller: op.abi_version,
        });
    }
    if op.flags != 0 {
        return Err(AbiError::NonZeroFlags { flags: op.flags });
    }
    if op.pad != 0 {
        return Err(AbiError::NonZeroPad {
            field: PadField::Op,
        });
    }
    match SubOp::try_from(op.cmd)? {
        SubOp::Enable => {
            let enable: XenCarrefourEnable = op.u.read();
            if enable.pad != 0 {
                return Err(AbiError::NonZeroPad {
                    field: PadField::Enable,
                });
            }
            let sampler = Sampler::try_from(enable.sampler)?;
            Ok(Request::Enable { sampler })
        }
        SubOp::Disable => Ok(Request::Disable),
        SubOp::GetInfo => Ok(Request::GetInfo),
        SubOp::SetParams => validate_set_params(&op.u.read()).map(Request::SetParams),
        SubOp::GetStats => {
            let get_stats: XenCarrefourGetStats = op.u.read();
            if get_stats.pad != 0 {
                return Err(AbiError::NonZeroPad {
                    field: PadField::GetStats,
                });
            }
            if get_stats.size < XEN_CARREFOUR_STATS_SIZE {
                return Err(AbiError::StatsBufferTooSmall {
                    size: get_stats.size,
                    needed: XEN_CARREFOUR_STATS_SIZE,
                });
            }
            Ok(Request::GetStats {
                buffer: get_stats.buffer,
                size: get_stats.size,
            })
        }
    }
}

fn validate_set_params(raw: &XenCarrefourSetParams) -> Result<ParamList, AbiError> {
    if raw.pad != 0 {
        return Err(AbiError::NonZeroPad {
            field: PadField::SetParams,
        });
    }
    let count = usize::try_from(raw.nr_params).unwrap_or(usize::MAX);
    if count == 0 || count > XEN_CARREFOUR_MAX_SET_PARAMS {
        return Err(AbiError::BadParamCount {
            nr_params: raw.nr_params,
        });
    }
    let filler = ParamAssignment {
        param: Param::EpochMs,
        value: 0,
    };
    let mut assignments = [filler; XEN_CARREFOUR_MAX_SET_PARAMS];
    for (index, (slot, entry)) in assignments.iter_mut().zip(&raw.params[..count]).enumerate() {
        if entry.pad != 0 {
            return Err(AbiError::NonZeroPad {
                field: PadField::Param { index },
            });
        }
        let param = Param::try_from(entry.id).map_err(|id| AbiError::UnknownParam { index, id })?;
        *slot = ParamAssignment {
            param,
            value: entry.value,
        };
    }
    // Count checked above; ParamList::new finds duplicates, by index.
    ParamList::new(&assignments[..count])
}

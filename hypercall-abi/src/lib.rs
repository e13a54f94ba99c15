//! # hypercall-abi: the Rust mirror of `XEN_DOMCTL_carrefour_op`
//!
//! The source of truth is the C header `include/public/carrefour.h`: the
//! patch series copies it into Xen's `xen/include/public/`, `domctl.h`
//! includes it, and Xen's C code is compiled against it.  This crate mirrors
//! it for the Rust side (the engine's static library inside Xen, tests and
//! tools) and checks itself against it:
//!
//! ```text
//!   include/public/carrefour.h  ──bindgen (feature bindgen-check)──┐
//!           │ (same names)                                           │ sizes, alignments,
//!           ▼                                                        │ offsets, #define values
//!   src/layout.rs  #[repr(C)] mirror + compile-time size/offset  ◄───┘ tests/bindgen_layout.rs
//!   src/consts.rs  every #define
//!   src/enums.rs   wire enums: TryFrom<u32> rejects unknown values
//!   src/validate.rs  validate_op(): raw op -> typed Request, or AbiError (-errno)
//! ```
//!
//! What each layer promises:
//! - [`layout`]: every struct of the header, field for field, with the C
//!   names; sizes and offsets asserted at compile time (on every target the
//!   crate builds for), and no struct has implicit padding.
//! - The anonymous union `xen_domctl_carrefour_op.u` is
//!   [`XenDomctlCarrefourOpU`]: 104 bytes aligned to 8, read and written with
//!   safe typed accessors ([`XenDomctlCarrefourOpU::read`],
//!   [`XenDomctlCarrefourOpU::write`]) rather than a Rust `union`, whose reads
//!   would need `unsafe`.  So this crate is `#![forbid(unsafe_code)]`.
//! - [`validate_op`] checks everything that does not need the engine's state:
//!   ABI major, flags and padding, the sub-operation, samplers, parameter ids
//!   and counts, the statistics buffer size.  Parameter *values* (ranges) are
//!   the engine's business (`carrefour-core`).
//! - [`AbiError::errno`] is the negative Xen errno the hypercall returns; the
//!   values are Xen's ([`errno`]), not the host's.

#![no_std]
#![forbid(unsafe_code)]

// Unit tests use std (formatting into Strings, collections).
#[cfg(test)]
extern crate std;

mod consts;
mod enums;
pub mod errno;
mod error;
pub mod layout;
mod validate;
mod wire;

pub use consts::*;
pub use enums::{
    ActionKind, Param, Sampler, SkipReason, SubOp, UnknownActionKind, UnknownParam, UnknownSampler,
    UnknownSkipReason, UnknownSubOp,
};
pub use error::{AbiError, PadField};
pub use layout::{
    XenCarrefourEnable, XenCarrefourGetStats, XenCarrefourInfo, XenCarrefourParam,
    XenCarrefourSetParams, XenCarrefourStats, XenDomctlCarrefourOp, XenDomctlCarrefourOpU,
    XEN_CARREFOUR_STATS_SIZE, XEN_DOMCTL_U_SIZE,
};
pub use validate::{validate_op, ParamAssignment, ParamList, Request};
pub use wire::{ShortBuffer, UnionMember, Wire};

//! # carrefour-xen: Carrefour's engine as a static library inside Xen
//!
//! Xen links `libcarrefour_xen.a` into the hypervisor (the image build passes
//! it to Xen's link as one more archive next to `lib/lib.a`; see
//! `scripts/image/` and `xen-patches/`).  This crate is the seam between the
//! two worlds:
//!
//! ```text
//!   Xen (C)                          this crate (Rust)         carrefour-core
//!   xen/arch/x86/carrefour/  --->  extern "C" trampolines  --->  safe engine,
//!     engine.c               <---  (validate, convert,           decisions as
//!   carrefour_rust_panic()         call, map errors)             data
//! ```
//!
//! Rules of the seam:
//! - All the `unsafe` and every `extern "C"` item of the project live here;
//!   `carrefour-core` forbids unsafe code.
//! - A trampoline never trusts what C hands it: it validates, converts to the
//!   engine's types, calls the engine, and maps failures to `-errno`.
//! - A panic is a bug, never a way to report bad input.  Inside Xen the panic
//!   handler hands the message to `carrefour_rust_panic()`, which calls Xen's
//!   `panic()`.
//!
//! The same crate builds on the host (as an `rlib` and a `staticlib` linked
//! with `std`) so that `cargo test`, `cargo clippy` and doctests cover it; the
//! Xen-only pieces (the panic handler) are compiled for
//! `target_os = "none"` only.
//!
//! Xen runs this code with an 8-byte aligned stack and no SSE: do not put
//! `#[repr(align(16))]` values on the stack.

#![no_std]

// On the host the staticlib needs a panic handler and the test harness needs
// std: both come from std.  Inside Xen, `panic` below provides the handler.
#[cfg(not(target_os = "none"))]
extern crate std;

extern crate alloc;

#[cfg(target_os = "none")]
mod panic;

// The global allocator over Xen's xmalloc (inside Xen only; the host
// tests use std's).
#[cfg(target_os = "none")]
mod xen_alloc;

pub mod abi_ffi;
pub mod engine_ffi;
pub mod ibs_ffi;

mod abi {
    include!(concat!(env!("OUT_DIR"), "/abi_version.rs"));
}

pub use abi::XEN_CARREFOUR_ABI_VERSION;

/// The version of the hypercall ABI this library was built against:
/// `XEN_CARREFOUR_ABI_VERSION` of `public/carrefour.h`.
///
/// Xen calls it once at boot and compares it with the version its own C code
/// was compiled against; both come from the same header, so a mismatch means
/// the image was assembled from mismatched builds.
#[no_mangle]
pub extern "C" fn carrefour_engine_abi_version() -> u32 {
    XEN_CARREFOUR_ABI_VERSION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_version_trampoline_reports_the_header_version() {
        assert_eq!(carrefour_engine_abi_version(), XEN_CARREFOUR_ABI_VERSION);
    }

    #[test]
    fn abi_version_has_a_nonzero_major() {
        assert_ne!(XEN_CARREFOUR_ABI_VERSION >> 16, 0);
    }
}

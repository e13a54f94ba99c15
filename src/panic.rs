//! The panic handler used inside Xen.
//!
//! A Rust panic inside the hypervisor is a bug in this library or in the
//! engine: there is no unwinding (panic = "abort") and no way to carry on.
//! The handler formats the message into a fixed buffer on the stack (no
//! allocation) and hands it to Xen's C side, `carrefour_rust_panic()` in
//! `xen/arch/x86/carrefour/engine.c`, which calls Xen's `panic()` and so never
//! returns.

use core::fmt::{self, Write};
use core::panic::PanicInfo;

/// Longest message passed to Xen, in bytes; the rest is cut.  Small enough
/// for Xen's stacks (8 pages, already partly used when we get here), long
/// enough for a file:line and a sentence.
const PANIC_MESSAGE_MAX_BYTES: usize = 256;

extern "C" {
    /// Xen's side of a Rust panic: prints `msg[0..len]` and stops the host.
    ///
    /// `msg` need not be NUL-terminated; Xen prints it with `%.*s`.
    fn carrefour_rust_panic(msg: *const u8, len: usize) -> !;
}

/// A `fmt::Write` into a fixed buffer that drops what does not fit.
struct TruncatingBuffer {
    bytes: [u8; PANIC_MESSAGE_MAX_BYTES],
    len: usize,
}

impl Write for TruncatingBuffer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.bytes.len() - self.len;
        let n = s.len().min(room);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    let mut buf = TruncatingBuffer {
        bytes: [0; PANIC_MESSAGE_MAX_BYTES],
        len: 0,
    };
    // The writer never fails; a formatting error of the payload would only
    // shorten the message.
    let _ = write!(buf, "{info}");
    // SAFETY: `buf.bytes[..buf.len]` is initialised memory that stays alive
    // for the call, and `carrefour_rust_panic` only reads `len` bytes from
    // `msg` before it stops the host; it takes no other precondition.
    unsafe { carrefour_rust_panic(buf.bytes.as_ptr(), buf.len) }
}

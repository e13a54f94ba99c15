//! The global allocator inside Xen: `_xmalloc()` and `xfree()`.
//!
//! The engine allocates only when a domain is enabled or reconfigured
//! (hypercall context, interrupts on), and always fallibly: a null return
//! becomes `-ENOMEM` at the trampoline, never a panic.

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;

extern "C" {
    /// Xen's `_xmalloc(size, align)`: null on failure.
    fn _xmalloc(size: usize, align: usize) -> *mut c_void;
    /// Xen's `xfree(p)`; null is ignored.
    fn xfree(p: *mut c_void);
}

/// Allocates from Xen's heap.
struct XenAllocator;

// SAFETY: `_xmalloc` returns memory of at least `size` bytes aligned to
// `align` (a power of two, as `Layout` guarantees) or null, and `xfree`
// releases exactly what `_xmalloc` returned; Xen's allocator is
// thread-safe (it takes its own lock).
unsafe impl GlobalAlloc for XenAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl's comment; size and align come from a valid
        // Layout.
        unsafe { _xmalloc(layout.size(), layout.align()) }.cast()
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` was returned by `alloc` above (GlobalAlloc's
        // contract), so by `_xmalloc`.
        unsafe { xfree(ptr.cast()) }
    }
}

#[global_allocator]
static ALLOCATOR: XenAllocator = XenAllocator;

/* SPDX-License-Identifier: MIT */
/*
 * xen.h: a stand-in for Xen's public/xen.h, holding only what carrefour.h
 * uses, so that bindgen can parse carrefour.h outside a Xen tree.
 * carrefour.h says #include "xen.h": in Xen's tree that is the real
 * public/xen.h; here, with -I tests/bindgen, it is this file.
 *
 * The definitions are those Xen's public headers give Xen and its tools
 * (__XEN__ / __XEN_TOOLS__) in arch-x86/xen-x86_32.h, "32-/64-bit
 * invariability for control interfaces":
 *   uint64_aligned_t        uint64_t __attribute__((aligned(8)))
 *   XEN_GUEST_HANDLE_64(T)  struct { union { T *p; uint64_aligned_t q; }; }
 * that is 8 bytes aligned to 8 whatever the pointer width.  On x86_64,
 * Xen's xen.h spells them "#define uint64_aligned_t uint64_t" and
 * XEN_GUEST_HANDLE_64(T) = XEN_GUEST_HANDLE(T) = struct { T *p; }, which
 * have the same size and alignment there.  Using the 32-bit spelling makes
 * this one file right for both: build.rs parses carrefour.h for x86_64 and
 * for i686, and the test requires the two layouts to be identical.
 */
#ifndef __XEN_PUBLIC_XEN_H__
#define __XEN_PUBLIC_XEN_H__

#include <stdint.h>

#define uint64_aligned_t uint64_t __attribute__((aligned(8)))

#define ___DEFINE_XEN_GUEST_HANDLE(name, type)                  \
    typedef struct { type *p; }                                 \
        __guest_handle_ ## name;                                \
    typedef struct { union { type *p; uint64_aligned_t q; }; }  \
        __guest_handle_64_ ## name
#define __DEFINE_XEN_GUEST_HANDLE(name, type) \
    ___DEFINE_XEN_GUEST_HANDLE(name, type);   \
    ___DEFINE_XEN_GUEST_HANDLE(const_##name, const type)
#define DEFINE_XEN_GUEST_HANDLE(name)   __DEFINE_XEN_GUEST_HANDLE(name, name)
#define __XEN_GUEST_HANDLE(name)        __guest_handle_ ## name
#define XEN_GUEST_HANDLE(name)          __XEN_GUEST_HANDLE(name)
#define __XEN_GUEST_HANDLE_64(name)     __guest_handle_64_ ## name
#define XEN_GUEST_HANDLE_64(name)       __XEN_GUEST_HANDLE_64(name)

#endif /* __XEN_PUBLIC_XEN_H__ */

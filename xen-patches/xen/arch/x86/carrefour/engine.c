/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/carrefour/engine.c
 *
 * Xen's side of the seam with Carrefour's engine, the Rust static library
 * linked into Xen: what the library needs from Xen, and the boot-time check
 * that Xen and the library were built against the same hypercall ABI.
 */

#include <xen/init.h>
#include <xen/kernel.h>
#include <xen/lib.h>

#include <public/xen.h>
#include <public/carrefour.h>

#include "engine.h"

void carrefour_rust_panic(const char *msg, size_t len)
{
    panic("carrefour: Rust panic: %.*s\n", (int)min_t(size_t, len, INT_MAX),
          msg);
}

static int __init cf_check carrefour_engine_init(void)
{
    uint32_t version = carrefour_engine_abi_version();

    /*
     * Both sides read XEN_CARREFOUR_ABI_VERSION from the same header, so a
     * difference means the image was assembled from mismatched builds.
     */
    if ( version != XEN_CARREFOUR_ABI_VERSION )
        panic("carrefour: engine ABI %#x, Xen built for ABI %#x\n",
              version, XEN_CARREFOUR_ABI_VERSION);

    printk(XENLOG_INFO "carrefour: engine ABI %#x linked\n", version);

    return 0;
}
__initcall(carrefour_engine_init);

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * tab-width: 4
 * indent-tabs-mode: nil
 * End:
 */

/* SPDX-License-Identifier: MIT */
/*
 * wrapper.h: what build.rs hands bindgen (feature bindgen-check, with
 * -D__XEN_TOOLS__ -I include -I tests/bindgen): the header, whose
 * #include "xen.h" finds the stand-in tests/bindgen/xen.h, and the values
 * of the header's function-like macros on sample arguments, computed by the
 * C compiler so that tests/bindgen_layout.rs can compare them with the
 * Rust functions.
 */
#include <public/carrefour.h>

enum carrefour_check_function_macros {
    CARREFOUR_CHECK_ABI_MAJOR_OF_VERSION =
        XEN_CARREFOUR_ABI_MAJOR(XEN_CARREFOUR_ABI_VERSION),
    CARREFOUR_CHECK_ABI_MAJOR_OF_0x00020003 = XEN_CARREFOUR_ABI_MAJOR(0x00020003U),
    CARREFOUR_CHECK_ABI_MAJOR_OF_0xFFFFFFFF = XEN_CARREFOUR_ABI_MAJOR(0xffffffffU),
};

/* SPDX-License-Identifier: MIT */
/*
 * carrefour.h
 *
 * The hypercall ABI of Carrefour, automatic NUMA memory placement for HAP
 * domains: XEN_DOMCTL_carrefour_op.
 *
 * This file is the source of truth.  The patch series copies it to
 * xen/include/public/carrefour.h, domctl.h includes it, and the Rust mirror
 * in hypercall-abi/src/lib.rs is checked against it by bindgen
 * (`make test`).  Change it only together with the mirror, and bump
 * XEN_CARREFOUR_ABI_VERSION when a layout or a meaning changes.
 *
 * Conventions, as in domctl.h: every field says IN (caller to Xen), OUT
 * (Xen to caller) or IN/OUT; every "pad" field is IN and must be zero, and
 * Xen fails the call with -EINVAL when it is not, so that it can be given a
 * meaning later.  Errors:
 *   -EINVAL      bad sub-operation argument, non-zero padding, parameter id
 *                unknown or value out of range, ABI version mismatch;
 *   -EOPNOTSUPP  unknown sub-operation, PV domain, domain without HAP,
 *                sampler not available on this machine, feature not
 *                allowed on Xen's command line;
 *   -ESRCH       no such domain (returned by the domctl layer);
 *   -EPERM       caller not allowed (XSM);
 *   -ENOBUFS     get_stats buffer too small (size says what is needed);
 *   -ENOMEM      enabling needs memory that Xen does not have;
 *   -EBUSY       too many domains already enabled.
 */

#ifndef __XEN_PUBLIC_CARREFOUR_H__
#define __XEN_PUBLIC_CARREFOUR_H__

/*
 * As for domctl.h: only for Xen and its tools.  Elsewhere xen.h falls back
 * to a uint64_aligned_t and 64-bit guest handles that are only 4-byte
 * aligned on 32-bit x86, and the structures below would silently take
 * another layout.
 */
#if !defined(__XEN__) && !defined(__XEN_TOOLS__)
#error "Carrefour operations are intended for use by node control tools only"
#endif

#include "xen.h"

/*
 * Version of this ABI: major in the upper 16 bits (incompatible change),
 * minor in the lower 16 (compatible addition).  Callers pass the version
 * they were built against; Xen accepts the same major.
 */
#define XEN_CARREFOUR_ABI_VERSION       0x00010000U
#define XEN_CARREFOUR_ABI_MAJOR(v)      ((v) >> 16)

/* Largest number of NUMA nodes the statistics describe. */
#define XEN_CARREFOUR_MAX_NODES         64

/* Sub-operations (xen_domctl_carrefour_op.cmd). */
#define XEN_DOMCTL_CARREFOUR_OP_ENABLE      1
#define XEN_DOMCTL_CARREFOUR_OP_DISABLE     2
#define XEN_DOMCTL_CARREFOUR_OP_GET_INFO    3
#define XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS  4
#define XEN_DOMCTL_CARREFOUR_OP_GET_STATS   5

/* Samplers (enable.sampler, info.sampler). */
#define XEN_CARREFOUR_SAMPLER_DEFAULT       0 /* IBS if usable, else fault */
#define XEN_CARREFOUR_SAMPLER_IBS           1 /* AMD IBS op sampling (NMI) */
#define XEN_CARREFOUR_SAMPLER_FAULT         2 /* p2m hinting faults */

/*
 * Per-domain parameters (set_params, stats.params[]).  Ratios are in
 * permille, times in milliseconds, sizes in pages of 4 KiB.  The ranges
 * accepted are documented in carrefour-core/DESIGN.md and enforced by the
 * engine; a value out of range fails the whole call with -EINVAL and
 * changes nothing.
 */
#define XEN_CARREFOUR_PARAM_EPOCH_MS                    0
#define XEN_CARREFOUR_PARAM_MIN_MAPTU                   1
#define XEN_CARREFOUR_PARAM_INTERLEAVE_IMBALANCE_PERMILLE 2
#define XEN_CARREFOUR_PARAM_MIGRATE_LAR_PERMILLE        3
#define XEN_CARREFOUR_PARAM_REPLICATE_MEMORY_PERMILLE   4
#define XEN_CARREFOUR_PARAM_REPLICATE_WRITE_PERMILLE    5
#define XEN_CARREFOUR_PARAM_REPLICATE_MIN_CANDIDATES    6
#define XEN_CARREFOUR_PARAM_MIGRATE_MIN_SAMPLES         7
#define XEN_CARREFOUR_PARAM_TRACKED_PAGES               8
#define XEN_CARREFOUR_PARAM_BUDGET_PAGES                9
#define XEN_CARREFOUR_PARAM_BUDGET_MB_PER_SEC           10
#define XEN_CARREFOUR_PARAM_COOLDOWN_EPOCHS             11
#define XEN_CARREFOUR_PARAM_FREEZE_EPOCHS               12
#define XEN_CARREFOUR_PARAM_SAMPLING_CPU_PERMILLE       13
#define XEN_CARREFOUR_PARAM_SAMPLING_PERIOD             14
#define XEN_CARREFOUR_PARAM_EXTENT_AGREE_PERMILLE       15
#define XEN_CARREFOUR_PARAM_REPLICATION                 16
#define XEN_CARREFOUR_PARAM_NR                          17

/* Kinds of action the engine decides (stats.actions[]). */
#define XEN_CARREFOUR_ACTION_MIGRATE    0
#define XEN_CARREFOUR_ACTION_INTERLEAVE 1
#define XEN_CARREFOUR_ACTION_REPLICATE  2
#define XEN_CARREFOUR_ACTION_NR         3

/* Why Xen did not carry out an action (stats.skipped[]). */
#define XEN_CARREFOUR_SKIP_EXTRA_REFS     0 /* grant or foreign mapping */
#define XEN_CARREFOUR_SKIP_NOT_RAM        1 /* p2m type is not plain RAM */
#define XEN_CARREFOUR_SKIP_PAGED_SHARED   2 /* paged out or shared */
#define XEN_CARREFOUR_SKIP_PASSTHROUGH    3 /* domain has devices */
#define XEN_CARREFOUR_SKIP_NO_MEMORY      4 /* target node is full */
#define XEN_CARREFOUR_SKIP_ALREADY_THERE  5 /* frame is on the target */
#define XEN_CARREFOUR_SKIP_UNSUPPORTED    6 /* e.g. replication */
#define XEN_CARREFOUR_SKIP_DYING          7 /* domain is going away */
#define XEN_CARREFOUR_SKIP_LOG_DIRTY      8 /* save/migration under way */
#define XEN_CARREFOUR_SKIP_NR             9

/* Parameter assignment for set_params. */
struct xen_carrefour_param {
    uint32_t id;                /* IN: XEN_CARREFOUR_PARAM_* */
    uint32_t pad;               /* IN: must be zero */
    uint64_aligned_t value;     /* IN */
};
typedef struct xen_carrefour_param xen_carrefour_param_t;

/* Largest number of assignments in one set_params call. */
#define XEN_CARREFOUR_MAX_SET_PARAMS 6

/* XEN_DOMCTL_CARREFOUR_OP_ENABLE */
struct xen_carrefour_enable {
    uint32_t sampler;           /* IN: XEN_CARREFOUR_SAMPLER_* */
    uint32_t pad;               /* IN: must be zero */
};

/* XEN_DOMCTL_CARREFOUR_OP_GET_INFO: a summary of one domain. */
struct xen_carrefour_info {
    uint32_t enabled;           /* OUT: 1 if Carrefour runs on the domain */
    uint32_t sampler;           /* OUT: XEN_CARREFOUR_SAMPLER_* in use */
    uint32_t nr_nodes;          /* OUT: NUMA nodes of the host */
    uint32_t flags;             /* OUT: XEN_CARREFOUR_INFO_F_* */
    uint64_aligned_t epochs;    /* OUT: decision rounds run */
    uint64_aligned_t samples;   /* OUT: samples taken */
    uint64_aligned_t samples_dropped; /* OUT: samples lost (full table/ring) */
    uint64_aligned_t tracked_pages;   /* OUT: pages in the table now */
    uint64_aligned_t pages_moved;     /* OUT: 4 KiB pages migrated */
    uint64_aligned_t sampling_period; /* OUT: current sampling period */
    uint32_t local_access_permille;   /* OUT: last epoch's LAR */
    uint32_t imbalance_permille;      /* OUT: last epoch's imbalance */
};
/* Replication can be carried out (it cannot in this version). */
#define XEN_CARREFOUR_INFO_F_REPLICATION  (1U << 0)
/* Xen's command line allows Carrefour (carrefour=on). */
#define XEN_CARREFOUR_INFO_F_ALLOWED      (1U << 1)

/*
 * XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS: all or nothing.  Only the first
 * nr_params entries of params[] are read; each parameter may appear at most
 * once among them (-EINVAL otherwise).
 */
struct xen_carrefour_set_params {
    uint32_t nr_params;         /* IN: 1..XEN_CARREFOUR_MAX_SET_PARAMS */
    uint32_t pad;               /* IN: must be zero */
    struct xen_carrefour_param params[XEN_CARREFOUR_MAX_SET_PARAMS]; /* IN */
};

/* The full statistics of one domain, written to get_stats.buffer. */
struct xen_carrefour_stats {
    uint32_t abi_version;       /* OUT: XEN_CARREFOUR_ABI_VERSION */
    uint32_t nr_nodes;          /* OUT: valid entries of the per-node arrays */
    struct xen_carrefour_info info;                       /* OUT */
    uint64_aligned_t actions[XEN_CARREFOUR_ACTION_NR];    /* OUT: decided */
    uint64_aligned_t skipped[XEN_CARREFOUR_SKIP_NR];      /* OUT: by reason */
    uint64_aligned_t failed;    /* OUT: actions that failed */
    uint64_aligned_t frozen_pages; /* OUT: pages frozen after ping-pong */
    uint64_aligned_t budget_exhausted_epochs; /* OUT */
    uint64_aligned_t params[XEN_CARREFOUR_PARAM_NR];      /* OUT */
    uint64_aligned_t node_accesses[XEN_CARREFOUR_MAX_NODES]; /* OUT: last epoch */
    uint64_aligned_t node_pages[XEN_CARREFOUR_MAX_NODES];    /* OUT: now */
};
typedef struct xen_carrefour_stats xen_carrefour_stats_t;
DEFINE_XEN_GUEST_HANDLE(xen_carrefour_stats_t);

/*
 * XEN_DOMCTL_CARREFOUR_OP_GET_STATS.  With size below
 * sizeof(struct xen_carrefour_stats), Xen writes that size to size and
 * fails with -ENOBUFS (ask with a null buffer and size 0, then retry).
 */
struct xen_carrefour_get_stats {
    XEN_GUEST_HANDLE_64(xen_carrefour_stats_t) buffer; /* IN */
    uint32_t size;              /* IN: bytes at buffer; OUT: bytes needed */
    uint32_t pad;               /* IN: must be zero */
};

/* XEN_DOMCTL_carrefour_op */
struct xen_domctl_carrefour_op {
    uint32_t cmd;               /* IN: XEN_DOMCTL_CARREFOUR_OP_* */
    uint32_t abi_version;       /* IN: XEN_CARREFOUR_ABI_VERSION */
    uint32_t flags;             /* IN: must be zero */
    uint32_t pad;               /* IN: must be zero */
    union {
        struct xen_carrefour_enable enable;
        struct xen_carrefour_info info;
        struct xen_carrefour_set_params set_params;
        struct xen_carrefour_get_stats get_stats;
    } u;
};
typedef struct xen_domctl_carrefour_op xen_domctl_carrefour_op_t;

#endif /* __XEN_PUBLIC_CARREFOUR_H__ */

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * tab-width: 4
 * indent-tabs-mode: nil
 * End:
 */

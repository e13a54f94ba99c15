/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The seam between Xen and Carrefour's engine, libcarrefour_xen.a, a Rust
 * static library linked into Xen (the project's src/lib.rs).
 *
 * Functions of the library are called from C like any other function; they
 * validate what they are given and never unwind.  A panic in the library is
 * a bug: it ends in carrefour_rust_panic(), which stops the host.
 */
#ifndef __X86_CARREFOUR_ENGINE_H__
#define __X86_CARREFOUR_ENGINE_H__

#include <xen/types.h>

struct xen_carrefour_param;
struct xen_carrefour_stats;
struct xen_domctl_carrefour_op;

/* Implemented in Rust (src/lib.rs, src/engine_ffi.rs). */

/* XEN_CARREFOUR_ABI_VERSION of the public/carrefour.h the library read. */
uint32_t carrefour_engine_abi_version(void);

/*
 * Checks a XEN_DOMCTL_carrefour_op with the ABI crate's validator: ABI
 * major, flags and padding, sub-operation, sampler, parameter ids and
 * count.  Returns 0, -EINVAL, -EOPNOTSUPP (unknown sub-operation) or
 * -ENOBUFS (get_stats buffer too small; op->u.get_stats.size then says
 * what is needed).  Value ranges are the engine's business.
 */
int carrefour_abi_validate(struct xen_domctl_carrefour_op *op);

/*
 * The engine.  Every call on an engine must be serialised by the caller
 * (carrefour_lock); the engine never blocks, and allocates only in
 * create, enable and set_params (fallibly: -ENOMEM, nothing changed).
 */
struct carrefour_engine;

/* A sample, as samplers hand it over. */
struct carrefour_sample {
    uint64_t gfn;
    uint16_t domid;
    uint8_t frame_node;         /* node of the frame */
    uint8_t cpu_node;           /* node of the accessing CPU */
    uint8_t kind;               /* CARREFOUR_ACCESS_* */
    uint8_t source;             /* CARREFOUR_SOURCE_* */
    uint8_t order;              /* 0, or 9: stands for its 2 MiB extent */
    uint8_t pad;
};
#define CARREFOUR_ACCESS_LOAD         0
#define CARREFOUR_ACCESS_STORE        1
#define CARREFOUR_SOURCE_UNKNOWN      0
#define CARREFOUR_SOURCE_LOCAL_CACHE  1
#define CARREFOUR_SOURCE_REMOTE_CACHE 2
#define CARREFOUR_SOURCE_DRAM         3
#define CARREFOUR_SOURCE_IO           4

/* An action the engine decided. */
struct carrefour_action {
    uint64_t gfn;               /* aligned to 1 << order */
    uint16_t domid;
    uint8_t order;              /* 0 or 9 */
    uint8_t kind;               /* XEN_CARREFOUR_ACTION_* */
    uint8_t target;             /* node */
    uint8_t from;               /* node the frame was on when sampled */
    uint8_t pad[2];
};

/* What Xen knows of the epoch that ends. */
struct carrefour_epoch_in {
    uint64_t elapsed_us;
    uint64_t memory_use_permille;
    uint64_t sample_cost_ns;
    const uint64_t *dram_accesses;  /* per node, or NULL */
    uint32_t nr_dram;
    uint32_t pad;
};

/* Engine-wide figures for the debug key. */
struct carrefour_engine_info {
    uint64_t epochs, domains;
    uint64_t samples_unknown_domain, samples_bad_node;
    uint64_t last_actions, last_budget_pages, last_budget_used_pages;
    uint64_t lar_permille, imbalance_permille;
};

/* carrefour_engine_report() outcomes. */
#define CARREFOUR_OUTCOME_DONE      0
#define CARREFOUR_OUTCOME_FAILED    (-1)
#define CARREFOUR_OUTCOME_SKIPPED   1   /* + XEN_CARREFOUR_SKIP_* */

int carrefour_engine_create(uint32_t nr_nodes, const uint32_t *cpu_node,
                            uint32_t nr_cpus, const uint8_t *distance,
                            uint32_t max_actions,
                            struct carrefour_engine **out);
void carrefour_engine_destroy(struct carrefour_engine *e);
int carrefour_engine_set_defaults(struct carrefour_engine *e,
                                  const struct xen_carrefour_param *params,
                                  uint32_t nr);
int carrefour_engine_enable(struct carrefour_engine *e, uint16_t domid);
int carrefour_engine_disable(struct carrefour_engine *e, uint16_t domid);
int carrefour_engine_set_params(struct carrefour_engine *e, uint16_t domid,
                                const struct xen_carrefour_param *params,
                                uint32_t nr);
int carrefour_engine_get_stats(struct carrefour_engine *e, uint16_t domid,
                               struct xen_carrefour_stats *out);
int carrefour_engine_get_info(struct carrefour_engine *e,
                              struct carrefour_engine_info *out);
uint64_t carrefour_engine_sampling_period(struct carrefour_engine *e,
                                          uint16_t domid);
uint64_t carrefour_engine_param(struct carrefour_engine *e, uint16_t domid,
                                uint32_t id);
uint32_t carrefour_engine_ingest(struct carrefour_engine *e,
                                 const struct carrefour_sample *samples,
                                 uint32_t nr);
int carrefour_engine_decide(struct carrefour_engine *e,
                            const struct carrefour_epoch_in *in,
                            struct carrefour_action *out, uint32_t max);
int carrefour_engine_report(struct carrefour_engine *e, uint32_t index,
                            int outcome);

/* Implemented in C, called from Rust. */

/*
 * The library's panic handler: msg[0..len) is its message, not terminated
 * by NUL.  Calls panic(), so never returns.
 */
void noreturn carrefour_rust_panic(const char *msg, size_t len);

#endif /* __X86_CARREFOUR_ENGINE_H__ */

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * tab-width: 4
 * indent-tabs-mode: nil
 * End:
 */

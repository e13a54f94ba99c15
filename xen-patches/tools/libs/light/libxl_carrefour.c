/*
 * libxl_carrefour.c: Carrefour, automatic NUMA placement of a HAP
 * domain's memory by Xen (XEN_DOMCTL_carrefour_op).
 *
 * Xen decides and moves; libxl turns the operation's errors into libxl
 * error codes, names the parameters and checks their values before Xen
 * does, so that a caller can say which one is wrong.
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU Lesser General Public License as published
 * by the Free Software Foundation; version 2.1 only. with the special
 * exception on linking described in file LICENSE.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU Lesser General Public License for more details.
 */

#include "libxl_osdeps.h" /* must come before any other headers */
#include "libxl_internal.h"

#include <xen-tools/libs.h>

/*
 * The parameters, in the order of their XEN_CARREFOUR_PARAM_* ids.  The
 * names are the ids' lower-case suffixes.  The ranges are those of Xen's
 * engine (carrefour-core, src/params.rs, Tunable::range()), which stays
 * the authority: Xen checks every value again and refuses the whole call
 * with EINVAL when one is out of its range.  Keeping a copy here lets the
 * caller be told which parameter is wrong and what it accepts.
 */
static const struct carrefour_param_desc {
    const char *name;
    const char *unit;
    uint64_t min, max;
} carrefour_params[] = {
    [XEN_CARREFOUR_PARAM_EPOCH_MS] =
        { "epoch_ms", "ms", 10, 60000 },
    [XEN_CARREFOUR_PARAM_MIN_MAPTU] =
        { "min_maptu", "accesses/us", 0, 1000000 },
    [XEN_CARREFOUR_PARAM_INTERLEAVE_IMBALANCE_PERMILLE] =
        { "interleave_imbalance_permille", "permille", 0, 10000 },
    [XEN_CARREFOUR_PARAM_MIGRATE_LAR_PERMILLE] =
        { "migrate_lar_permille", "permille", 0, 1000 },
    [XEN_CARREFOUR_PARAM_REPLICATE_MEMORY_PERMILLE] =
        { "replicate_memory_permille", "permille", 0, 1000 },
    [XEN_CARREFOUR_PARAM_REPLICATE_WRITE_PERMILLE] =
        { "replicate_write_permille", "permille", 0, 1000 },
    [XEN_CARREFOUR_PARAM_REPLICATE_MIN_CANDIDATES] =
        { "replicate_min_candidates", "pages", 1, 1000000 },
    [XEN_CARREFOUR_PARAM_MIGRATE_MIN_SAMPLES] =
        { "migrate_min_samples", "samples", 1, 1000 },
    [XEN_CARREFOUR_PARAM_TRACKED_PAGES] =
        { "tracked_pages", "pages", 16, 1 << 20 },
    [XEN_CARREFOUR_PARAM_BUDGET_PAGES] =
        { "budget_pages", "pages", 0, 1 << 24 },
    [XEN_CARREFOUR_PARAM_BUDGET_MB_PER_SEC] =
        { "budget_mb_per_sec", "MiB/s", 0, 1 << 20 },
    [XEN_CARREFOUR_PARAM_COOLDOWN_EPOCHS] =
        { "cooldown_epochs", "epochs", 0, 1000 },
    [XEN_CARREFOUR_PARAM_FREEZE_EPOCHS] =
        { "freeze_epochs", "epochs", 0, 100000 },
    [XEN_CARREFOUR_PARAM_SAMPLING_CPU_PERMILLE] =
        { "sampling_cpu_permille", "permille", 1, 1000 },
    [XEN_CARREFOUR_PARAM_SAMPLING_PERIOD] =
        { "sampling_period", "ops", 0x90, (1 << 27) - 16 },
    [XEN_CARREFOUR_PARAM_EXTENT_AGREE_PERMILLE] =
        { "extent_agree_permille", "permille", 500, 1001 },
    [XEN_CARREFOUR_PARAM_REPLICATION] =
        { "replication", "bool", 0, 1 },
};

/* The id of the parameter called name, or -1. */
static int carrefour_param_id(const char *name)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(carrefour_params); i++)
        if (carrefour_params[i].name &&
            !strcmp(carrefour_params[i].name, name))
            return i;

    return -1;
}

/*
 * The libxl error code for a failed operation, r's errno.  What the
 * caller asked for and Xen refused is returned with a code of its own and
 * logged at debug level only: libxl_carrefour_get_info() tells the caller
 * why.  Anything else is logged as an error.
 */
static int carrefour_rc(libxl__gc *gc, uint32_t domid, const char *op)
{
    int err = errno;

    switch (err) {
    case ESRCH:
        LOGED(DEBUG, domid, "carrefour %s", op);
        return ERROR_DOMAIN_NOTFOUND;
    case EOPNOTSUPP:
        LOGED(DEBUG, domid, "carrefour %s", op);
        return ERROR_NI;
    case EINVAL:
    case E2BIG:
        LOGED(DEBUG, domid, "carrefour %s", op);
        return ERROR_INVAL;
    case ENOENT:
        LOGED(DEBUG, domid, "carrefour %s", op);
        return ERROR_NOTFOUND;
    case EEXIST:
        LOGED(DEBUG, domid, "carrefour %s", op);
        return ERROR_DEVICE_EXISTS;
    case ENOSYS:
        LOGD(ERROR, domid,
             "carrefour %s: this Xen has no Carrefour (no XEN_DOMCTL_carrefour_op)",
             op);
        return ERROR_NI;
    case ENOMEM:
        LOGED(ERROR, domid, "carrefour %s: Xen is out of memory", op);
        return ERROR_NOMEM;
    case EBUSY:
        LOGED(ERROR, domid,
              "carrefour %s: Xen runs Carrefour on as many domains as it can",
              op);
        return ERROR_FAIL;
    case EPERM:
    case EACCES:
        LOGED(ERROR, domid, "carrefour %s: not permitted", op);
        return ERROR_FAIL;
    default:
        LOGED(ERROR, domid, "carrefour %s failed", op);
        return ERROR_FAIL;
    }
}

/*
 * Whether domid can use Carrefour at all: an HVM or PVH domain with HAP.
 * Xen refuses every operation on other domains.
 */
static int carrefour_capable(libxl__gc *gc, uint32_t domid,
                             bool *capable_r)
{
    xc_domaininfo_t xcinfo;
    int r;

    r = xc_domain_getinfolist(CTX->xch, domid, 1, &xcinfo);
    if (r < 0) {
        LOGED(ERROR, domid, "getting domain info");
        return ERROR_FAIL;
    }
    if (r == 0 || xcinfo.domain != domid)
        return ERROR_DOMAIN_NOTFOUND;

    *capable_r = (xcinfo.flags & XEN_DOMINF_hvm_guest) &&
                 (xcinfo.flags & XEN_DOMINF_hap);
    return 0;
}

static libxl_carrefour_sampler carrefour_sampler_from_xen(uint32_t sampler)
{
    switch (sampler) {
    case XEN_CARREFOUR_SAMPLER_IBS:
        return LIBXL_CARREFOUR_SAMPLER_IBS;
    case XEN_CARREFOUR_SAMPLER_FAULT:
        return LIBXL_CARREFOUR_SAMPLER_FAULT;
    default:
        return LIBXL_CARREFOUR_SAMPLER_DEFAULT;
    }
}

static void carrefour_info_from_xen(uint32_t domid,
                                    const struct xen_carrefour_info *x,
                                    libxl_carrefour_info *info)
{
    info->domid = domid;
    info->capable = true;
    info->allowed = x->flags & XEN_CARREFOUR_INFO_F_ALLOWED;
    info->replication = x->flags & XEN_CARREFOUR_INFO_F_REPLICATION;
    info->enabled = x->enabled;
    info->sampler = carrefour_sampler_from_xen(x->sampler);
    info->nr_nodes = x->nr_nodes;
    info->epochs = x->epochs;
    info->samples = x->samples;
    info->samples_dropped = x->samples_dropped;
    info->tracked_pages = x->tracked_pages;
    info->pages_moved = x->pages_moved;
    info->sampling_period = x->sampling_period;
    info->local_access_permille = x->local_access_permille;
    info->imbalance_permille = x->imbalance_permille;
}

int libxl_carrefour_enable(libxl_ctx *ctx, uint32_t domid,
                           libxl_carrefour_sampler sampler)
{
    GC_INIT(ctx);
    uint32_t xen_sampler;
    int r, rc;

    switch (sampler) {
    case LIBXL_CARREFOUR_SAMPLER_DEFAULT:
        xen_sampler = XEN_CARREFOUR_SAMPLER_DEFAULT;
        break;
    case LIBXL_CARREFOUR_SAMPLER_IBS:
        xen_sampler = XEN_CARREFOUR_SAMPLER_IBS;
        break;
    case LIBXL_CARREFOUR_SAMPLER_FAULT:
        xen_sampler = XEN_CARREFOUR_SAMPLER_FAULT;
        break;
    default:
        LOGD(ERROR, domid, "carrefour enable: unknown sampler %d", sampler);
        rc = ERROR_INVAL;
        goto out;
    }

    r = xc_carrefour_enable(CTX->xch, domid, xen_sampler);
    if (r) {
        rc = carrefour_rc(gc, domid, "enable");
        goto out;
    }

    rc = 0;
 out:
    GC_FREE;
    return rc;
}

int libxl__carrefour_domain_create(libxl__gc *gc, uint32_t domid)
{
    libxl_carrefour_info info;
    int rc;

    libxl_carrefour_info_init(&info);

    rc = libxl_carrefour_enable(CTX, domid,
                                LIBXL_CARREFOUR_SAMPLER_DEFAULT);
    if (rc == ERROR_DEVICE_EXISTS) {
        LOGD(DEBUG, domid, "carrefour=1: Carrefour was already enabled");
        rc = 0;
        goto out;
    }
    if (rc != ERROR_NI) {
        if (rc)
            LOGD(ERROR, domid, "carrefour=1: Carrefour could not be enabled");
        goto out;
    }

    /* Refused: say why. */
    if (libxl_carrefour_get_info(CTX, domid, &info))
        LOGD(ERROR, domid, "carrefour=1: Xen refused to enable Carrefour");
    else if (!info.capable)
        LOGD(ERROR, domid,
             "carrefour=1: Carrefour needs a HAP (HVM/PVH) domain");
    else if (!info.allowed)
        LOGD(ERROR, domid,
             "carrefour=1: Xen was not booted with carrefour=on");
    else
        LOGD(ERROR, domid,
             "carrefour=1: no sampler is available for this domain on this host");

 out:
    libxl_carrefour_info_dispose(&info);
    return rc;
}

int libxl_carrefour_disable(libxl_ctx *ctx, uint32_t domid)
{
    GC_INIT(ctx);
    int r, rc;

    r = xc_carrefour_disable(CTX->xch, domid);
    rc = r ? carrefour_rc(gc, domid, "disable") : 0;

    GC_FREE;
    return rc;
}

int libxl_carrefour_get_info(libxl_ctx *ctx, uint32_t domid,
                             libxl_carrefour_info *info)
{
    GC_INIT(ctx);
    struct xen_carrefour_info xinfo;
    bool capable;
    int r, rc;

    rc = carrefour_capable(gc, domid, &capable);
    if (rc) goto out;

    libxl_carrefour_info_init(info);
    info->domid = domid;
    if (!capable) {
        rc = 0;
        goto out;
    }

    r = xc_carrefour_get_info(CTX->xch, domid, &xinfo);
    if (r) {
        rc = carrefour_rc(gc, domid, "get_info");
        goto out;
    }
    carrefour_info_from_xen(domid, &xinfo, info);

    rc = 0;
 out:
    GC_FREE;
    return rc;
}

int libxl_carrefour_get_stats(libxl_ctx *ctx, uint32_t domid,
                              libxl_carrefour_stats *stats)
{
    GC_INIT(ctx);
    struct xen_carrefour_stats *xs;
    uint32_t size_needed = 0;
    unsigned int i, nr_nodes;
    int r, rc;

    /* Not on the stack: the statistics are over 1 KiB. */
    GCNEW(xs);

    r = xc_carrefour_get_stats(CTX->xch, domid, xs, &size_needed);
    if (r && errno == ENOBUFS) {
        LOGD(ERROR, domid,
             "carrefour get_stats: Xen's statistics take %"PRIu32
             " bytes, this libxl knows %zu: rebuild the toolstack",
             size_needed, sizeof(*xs));
        rc = ERROR_FAIL;
        goto out;
    }
    if (r) {
        rc = carrefour_rc(gc, domid, "get_stats");
        goto out;
    }
    if (XEN_CARREFOUR_ABI_MAJOR(xs->abi_version) !=
        XEN_CARREFOUR_ABI_MAJOR(XEN_CARREFOUR_ABI_VERSION)) {
        LOGD(ERROR, domid,
             "carrefour get_stats: Xen's ABI is %#"PRIx32", libxl's %#x",
             xs->abi_version, XEN_CARREFOUR_ABI_VERSION);
        rc = ERROR_VERSION;
        goto out;
    }

    libxl_carrefour_stats_init(stats);

    carrefour_info_from_xen(domid, &xs->info, &stats->info);

    stats->actions.migrate = xs->actions[XEN_CARREFOUR_ACTION_MIGRATE];
    stats->actions.interleave =
        xs->actions[XEN_CARREFOUR_ACTION_INTERLEAVE];
    stats->actions.replicate =
        xs->actions[XEN_CARREFOUR_ACTION_REPLICATE];

    stats->skipped.extra_refs = xs->skipped[XEN_CARREFOUR_SKIP_EXTRA_REFS];
    stats->skipped.not_ram = xs->skipped[XEN_CARREFOUR_SKIP_NOT_RAM];
    stats->skipped.paged_shared =
        xs->skipped[XEN_CARREFOUR_SKIP_PAGED_SHARED];
    stats->skipped.passthrough =
        xs->skipped[XEN_CARREFOUR_SKIP_PASSTHROUGH];
    stats->skipped.no_memory = xs->skipped[XEN_CARREFOUR_SKIP_NO_MEMORY];
    stats->skipped.already_there =
        xs->skipped[XEN_CARREFOUR_SKIP_ALREADY_THERE];
    stats->skipped.unsupported =
        xs->skipped[XEN_CARREFOUR_SKIP_UNSUPPORTED];
    stats->skipped.dying = xs->skipped[XEN_CARREFOUR_SKIP_DYING];
    stats->skipped.log_dirty = xs->skipped[XEN_CARREFOUR_SKIP_LOG_DIRTY];

    stats->failed = xs->failed;
    stats->frozen_pages = xs->frozen_pages;
    stats->budget_exhausted_epochs = xs->budget_exhausted_epochs;

    stats->num_params = XEN_CARREFOUR_PARAM_NR;
    stats->params = libxl__calloc(NOGC, stats->num_params,
                                  sizeof(*stats->params));
    for (i = 0; i < XEN_CARREFOUR_PARAM_NR; i++) {
        libxl_carrefour_param_init(&stats->params[i]);
        stats->params[i].name = libxl__strdup(NOGC,
                                              carrefour_params[i].name);
        stats->params[i].value = xs->params[i];
    }

    nr_nodes = min_t(uint32_t, xs->nr_nodes, XEN_CARREFOUR_MAX_NODES);
    stats->num_nodes = nr_nodes;
    if (nr_nodes)
        stats->nodes = libxl__calloc(NOGC, nr_nodes,
                                     sizeof(*stats->nodes));
    for (i = 0; i < nr_nodes; i++) {
        libxl_carrefour_node_init(&stats->nodes[i]);
        stats->nodes[i].node = i;
        stats->nodes[i].accesses = xs->node_accesses[i];
        stats->nodes[i].pages = xs->node_pages[i];
    }

    rc = 0;
 out:
    GC_FREE;
    return rc;
}

/* Checks a list of assignments as Xen will; logs why it is refused. */
static int carrefour_params_check(libxl__gc *gc, uint32_t domid,
                                  const libxl_carrefour_param *params,
                                  int num_params,
                                  struct xen_carrefour_param *xparams)
{
    int i, j, id;

    if (num_params < 1 || num_params > LIBXL_CARREFOUR_MAX_SET_PARAMS) {
        LOGD(DEBUG, domid,
             "carrefour set_params: %d parameters, 1 to %d at once",
             num_params, LIBXL_CARREFOUR_MAX_SET_PARAMS);
        return ERROR_INVAL;
    }

    for (i = 0; i < num_params; i++) {
        const struct carrefour_param_desc *desc;

        id = params[i].name ? carrefour_param_id(params[i].name) : -1;
        if (id < 0) {
            LOGD(DEBUG, domid, "carrefour set_params: unknown parameter '%s'",
                 params[i].name ?: "");
            return ERROR_INVAL;
        }
        desc = &carrefour_params[id];
        if (params[i].value < desc->min || params[i].value > desc->max) {
            LOGD(DEBUG, domid,
                 "carrefour set_params: %s=%"PRIu64" out of range %"PRIu64
                 "..%"PRIu64, desc->name, params[i].value, desc->min,
                 desc->max);
            return ERROR_INVAL;
        }
        for (j = 0; j < i; j++) {
            if (xparams[j].id == id) {
                LOGD(DEBUG, domid, "carrefour set_params: %s given twice",
                     desc->name);
                return ERROR_INVAL;
            }
        }
        xparams[i].id = id;
        xparams[i].pad = 0;
        xparams[i].value = params[i].value;
    }

    return 0;
}

int libxl_carrefour_set_params(libxl_ctx *ctx, uint32_t domid,
                               const libxl_carrefour_param *params,
                               int num_params)
{
    GC_INIT(ctx);
    struct xen_carrefour_param xparams[XEN_CARREFOUR_MAX_SET_PARAMS];
    int r, rc;

    BUILD_BUG_ON(LIBXL_CARREFOUR_MAX_SET_PARAMS !=
                 XEN_CARREFOUR_MAX_SET_PARAMS);
    BUILD_BUG_ON(ARRAY_SIZE(carrefour_params) != XEN_CARREFOUR_PARAM_NR);

    rc = carrefour_params_check(gc, domid, params, num_params, xparams);
    if (rc) goto out;

    r = xc_carrefour_set_params(CTX->xch, domid, xparams, num_params);
    if (r) {
        rc = carrefour_rc(gc, domid, "set_params");
        goto out;
    }

    rc = 0;
 out:
    GC_FREE;
    return rc;
}

int libxl_carrefour_param_info_list(libxl_ctx *ctx,
                                    libxl_carrefour_param_info **list_r,
                                    int *nr_r)
{
    GC_INIT(ctx);
    libxl_carrefour_param_info *list;
    unsigned int i;

    list = libxl__calloc(NOGC, ARRAY_SIZE(carrefour_params),
                         sizeof(*list));
    for (i = 0; i < ARRAY_SIZE(carrefour_params); i++) {
        libxl_carrefour_param_info_init(&list[i]);
        list[i].name = libxl__strdup(NOGC, carrefour_params[i].name);
        list[i].unit = libxl__strdup(NOGC, carrefour_params[i].unit);
        list[i].min = carrefour_params[i].min;
        list[i].max = carrefour_params[i].max;
    }

    *list_r = list;
    *nr_r = ARRAY_SIZE(carrefour_params);

    GC_FREE;
    return 0;
}

void libxl_carrefour_param_info_list_free(libxl_carrefour_param_info *list,
                                          int nr)
{
    int i;

    for (i = 0; i < nr; i++)
        libxl_carrefour_param_info_dispose(&list[i]);
    free(list);
}

/*
 * Local variables:
 * mode: C
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/carrefour/carrefour.c
 *
 * Carrefour's control plane: the `carrefour=` boot parameter, the engine's
 * creation, XEN_DOMCTL_carrefour_op, the lifetime of per-domain state and
 * the debug key 'k'.
 */

#include <xen/guest_access.h>
#include <xen/init.h>
#include <xen/keyhandler.h>
#include <xen/lib.h>
#include <xen/mm.h>
#include <xen/numa.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/softirq.h>
#include <xen/xmalloc.h>

#include <asm/carrefour.h>
#include <asm/numa.h>

#include <public/domctl.h>

#include "private.h"

/* carrefour=<bool>[,<param>=<value>...]: off unless asked for. */
bool __read_mostly opt_carrefour;

DEFINE_SPINLOCK(carrefour_lock);
DEFINE_SPINLOCK(carrefour_exec_lock);
struct carrefour_engine *carrefour_engine;

/* The debug key: free in xen/common/keyhandler.c and every caller of
 * register_keyhandler() in 4.17. */
#define CARREFOUR_DEBUG_KEY 'k'

static const char *const param_names[XEN_CARREFOUR_PARAM_NR] = {
    [XEN_CARREFOUR_PARAM_EPOCH_MS]                      = "epoch_ms",
    [XEN_CARREFOUR_PARAM_MIN_MAPTU]                     = "min_maptu",
    [XEN_CARREFOUR_PARAM_INTERLEAVE_IMBALANCE_PERMILLE] =
        "interleave_imbalance_permille",
    [XEN_CARREFOUR_PARAM_MIGRATE_LAR_PERMILLE]          =
        "migrate_lar_permille",
    [XEN_CARREFOUR_PARAM_REPLICATE_MEMORY_PERMILLE]     =
        "replicate_memory_permille",
    [XEN_CARREFOUR_PARAM_REPLICATE_WRITE_PERMILLE]      =
        "replicate_write_permille",
    [XEN_CARREFOUR_PARAM_REPLICATE_MIN_CANDIDATES]      =
        "replicate_min_candidates",
    [XEN_CARREFOUR_PARAM_MIGRATE_MIN_SAMPLES]           =
        "migrate_min_samples",
    [XEN_CARREFOUR_PARAM_TRACKED_PAGES]                 = "tracked_pages",
    [XEN_CARREFOUR_PARAM_BUDGET_PAGES]                  = "budget_pages",
    [XEN_CARREFOUR_PARAM_BUDGET_MB_PER_SEC]             = "budget_mb_per_sec",
    [XEN_CARREFOUR_PARAM_COOLDOWN_EPOCHS]               = "cooldown_epochs",
    [XEN_CARREFOUR_PARAM_FREEZE_EPOCHS]                 = "freeze_epochs",
    [XEN_CARREFOUR_PARAM_SAMPLING_CPU_PERMILLE]         =
        "sampling_cpu_permille",
    [XEN_CARREFOUR_PARAM_SAMPLING_PERIOD]               = "sampling_period",
    [XEN_CARREFOUR_PARAM_EXTENT_AGREE_PERMILLE]         =
        "extent_agree_permille",
    [XEN_CARREFOUR_PARAM_REPLICATION]                   = "replication",
};

static const char *const skip_names[XEN_CARREFOUR_SKIP_NR] = {
    [XEN_CARREFOUR_SKIP_EXTRA_REFS]    = "extra_refs",
    [XEN_CARREFOUR_SKIP_NOT_RAM]       = "not_ram",
    [XEN_CARREFOUR_SKIP_PAGED_SHARED]  = "paged_shared",
    [XEN_CARREFOUR_SKIP_PASSTHROUGH]   = "passthrough",
    [XEN_CARREFOUR_SKIP_NO_MEMORY]     = "no_memory",
    [XEN_CARREFOUR_SKIP_ALREADY_THERE] = "already_there",
    [XEN_CARREFOUR_SKIP_UNSUPPORTED]   = "unsupported",
    [XEN_CARREFOUR_SKIP_DYING]         = "dying",
    [XEN_CARREFOUR_SKIP_LOG_DIRTY]     = "log_dirty",
};

const char *carrefour_param_name(unsigned int id)
{
    return id < ARRAY_SIZE(param_names) ? param_names[id] : NULL;
}

/* Defaults from the command line, applied when the engine is created. */
static struct xen_carrefour_param __initdata boot_params[XEN_CARREFOUR_PARAM_NR];
static unsigned int __initdata nr_boot_params;

static int __init cf_check parse_carrefour(const char *s)
{
    const char *ss;
    int val, rc = 0;

    do {
        const char *eq;
        unsigned int id;

        ss = strchr(s, ',');
        if ( !ss )
            ss = strchr(s, '\0');

        if ( (val = parse_bool(s, ss)) >= 0 )
        {
            opt_carrefour = val;
            continue;
        }

        eq = memchr(s, '=', ss - s);
        for ( id = 0; eq && id < ARRAY_SIZE(param_names); id++ )
            if ( strlen(param_names[id]) == eq - s &&
                 !strncmp(s, param_names[id], eq - s) )
                break;

        if ( !eq || id == ARRAY_SIZE(param_names) ||
             nr_boot_params == ARRAY_SIZE(boot_params) )
        {
            rc = -EINVAL;
            continue;
        }

        boot_params[nr_boot_params].id = id;
        boot_params[nr_boot_params].value = simple_strtoull(eq + 1, NULL, 0);
        nr_boot_params++;
    } while ( (s = *ss ? ss + 1 : ss), *ss );

    return rc;
}
custom_param("carrefour", parse_carrefour);

static unsigned int host_nr_nodes(void)
{
    unsigned int node, nr = 1;

    for_each_online_node ( node )
        nr = max(nr, node + 1);

    return min_t(unsigned int, nr, XEN_CARREFOUR_MAX_NODES);
}

static int __init cf_check carrefour_init(void)
{
    unsigned int nr_nodes = host_nr_nodes(), cpu, a, b;
    uint32_t *cpu_node;
    uint8_t *distance;
    int rc;

    if ( !opt_carrefour )
        return 0;

    cpu_node = xzalloc_array(uint32_t, nr_cpu_ids);
    distance = xzalloc_array(uint8_t, nr_nodes * nr_nodes);
    rc = -ENOMEM;
    if ( !cpu_node || !distance )
        goto out;

    for ( cpu = 0; cpu < nr_cpu_ids; cpu++ )
    {
        nodeid_t node = cpu_to_node(cpu);

        /* CPUs not (yet) up have no node: count them on node 0. */
        cpu_node[cpu] = node < nr_nodes ? node : 0;
    }
    for ( a = 0; a < nr_nodes; a++ )
        for ( b = 0; b < nr_nodes; b++ )
            distance[a * nr_nodes + b] = __node_distance(a, b) ?: 20;

    rc = carrefour_engine_create(nr_nodes, cpu_node, nr_cpu_ids, distance,
                                 CARREFOUR_MAX_ACTIONS, &carrefour_engine);
    if ( !rc && nr_boot_params )
    {
        rc = carrefour_engine_set_defaults(carrefour_engine, boot_params,
                                           nr_boot_params);
        if ( rc )
            printk(XENLOG_WARNING
                   "carrefour: bad value in carrefour= (%d), defaults kept\n",
                   rc);
        rc = 0;
    }

 out:
    xfree(cpu_node);
    xfree(distance);
    if ( rc )
    {
        printk(XENLOG_ERR "carrefour: engine not created (%d): disabled\n",
               rc);
        opt_carrefour = false;
        return 0;
    }

    printk(XENLOG_INFO
           "carrefour: enabled for HAP domains, %u nodes, sampler %s, "
           "debug key '%c'\n",
           nr_nodes, carrefour_ibs_usable() ? "ibs" : "fault",
           CARREFOUR_DEBUG_KEY);

    return 0;
}
__initcall(carrefour_init);

/* The sampler a request resolves to, or -EOPNOTSUPP. */
static int pick_sampler(const struct domain *d, unsigned int asked)
{
    switch ( asked )
    {
    case XEN_CARREFOUR_SAMPLER_DEFAULT:
        if ( carrefour_ibs_usable() )
            return XEN_CARREFOUR_SAMPLER_IBS;
        return carrefour_fault_sampler_usable(d) ? XEN_CARREFOUR_SAMPLER_FAULT
                                                 : -EOPNOTSUPP;

    case XEN_CARREFOUR_SAMPLER_IBS:
        return carrefour_ibs_usable() ? XEN_CARREFOUR_SAMPLER_IBS
                                      : -EOPNOTSUPP;

    case XEN_CARREFOUR_SAMPLER_FAULT:
        return carrefour_fault_sampler_usable(d) ? XEN_CARREFOUR_SAMPLER_FAULT
                                                 : -EOPNOTSUPP;
    }

    return -EINVAL;
}

static int carrefour_enable(struct domain *d, unsigned int asked)
{
    struct carrefour_domain *cd;
    int sampler = pick_sampler(d, asked), rc;

    if ( sampler < 0 )
    {
        gdprintk(XENLOG_INFO, "carrefour: no usable sampler for %pd\n", d);
        return sampler;
    }

    cd = xzalloc(struct carrefour_domain);
    if ( !cd )
        return -ENOMEM;
    cd->sampler = sampler;

    spin_lock(&carrefour_lock);
    if ( d->is_dying )
        rc = -ESRCH;
    else if ( d->arch.carrefour )
        rc = -EEXIST;
    else
        rc = carrefour_engine_enable(carrefour_engine, d->domain_id);
    if ( !rc )
    {
        /*
         * A hinting fault samples a page at most once an epoch: one
         * sample must be enough to migrate it (the engine's cooldown and
         * bounce freeze stand in for Carrefour's second sample).
         */
        static const struct xen_carrefour_param one_sample = {
            .id = XEN_CARREFOUR_PARAM_MIGRATE_MIN_SAMPLES, .value = 1,
        };

        if ( sampler == XEN_CARREFOUR_SAMPLER_FAULT )
            carrefour_engine_set_params(carrefour_engine, d->domain_id,
                                        &one_sample, 1);
        d->arch.carrefour = cd;
        cd = NULL;
        carrefour_epoch_kick();
    }
    spin_unlock(&carrefour_lock);

    xfree(cd);

    if ( !rc && sampler == XEN_CARREFOUR_SAMPLER_IBS )
        rc = carrefour_ibs_start();

    return rc;
}

/*
 * Forgets d: once it has returned 0, no epoch round works on d (the round
 * in flight, if any, has finished, and later rounds do not see d), and *cdp
 * is what d->arch.carrefour was, for the caller to free.
 *
 * Both callers are hypercalls (the domctl, and a domain's destruction),
 * serialised by the domctl lock.  While an epoch round holds
 * carrefour_exec_lock this returns -ERESTART, and the hypercall is
 * continued, rather than spinning in Xen for as long as a pause window
 * lasts (under emulation one 2 MiB move can take hundreds of ms): dom0's
 * vCPU goes back to the guest, handles its interrupts, and comes back.
 */
static int carrefour_forget(struct domain *d, struct carrefour_domain **cdp)
{
    struct carrefour_domain *cd = d->arch.carrefour;

    if ( !spin_trylock(&carrefour_exec_lock) )
    {
        /* A window is short; say so if waiting for one ever is not. */
        if ( cd && !cd->forget_since )
            cd->forget_since = NOW();
        else if ( cd && !cd->forget_warned &&
                  NOW() - cd->forget_since > SECONDS(5) )
        {
            printk(XENLOG_WARNING
                   "carrefour: %pd: epoch round busy for 5 s (stage %u)\n",
                   d, carrefour_epoch_stage);
            cd->forget_warned = true;
        }
        return -ERESTART;
    }
    spin_lock(&carrefour_lock);
    cd = d->arch.carrefour;
    d->arch.carrefour = NULL;
    if ( cd )
        carrefour_engine_disable(carrefour_engine, d->domain_id);
    spin_unlock(&carrefour_lock);
    spin_unlock(&carrefour_exec_lock);

    *cdp = cd;

    return 0;
}

static int carrefour_disable(struct domain *d)
{
    struct carrefour_domain *cd;
    int rc = carrefour_forget(d, &cd);

    if ( rc )
        return rc;
    if ( !cd )
        return -ENOENT;

    if ( cd->sampler == XEN_CARREFOUR_SAMPLER_FAULT )
        carrefour_fault_disarm_all(d);
    xfree(cd);

    return 0;
}

int carrefour_domain_destroy(struct domain *d)
{
    struct carrefour_domain *cd;
    int rc;

    /* Unlocked test: only this hypercall and the domctl (both under the
     * domctl lock) change d->arch.carrefour once d exists. */
    if ( !opt_carrefour || !d->arch.carrefour )
        return 0;

    /* The p2m goes with the domain: nothing to disarm. */
    rc = carrefour_forget(d, &cd);
    if ( !rc )
        xfree(cd);

    return rc;
}

/* Pages of d per node, walking its page list. */
static void count_node_pages(struct domain *d, uint64_t *pages,
                             unsigned int nr_nodes)
{
    const struct page_info *pg;

    spin_lock(&d->page_alloc_lock);
    page_list_for_each ( pg, &d->page_list )
    {
        nodeid_t node = phys_to_nid(page_to_maddr(pg));

        if ( node < nr_nodes )
            pages[node]++;
    }
    spin_unlock(&d->page_alloc_lock);
}

static void fill_info(const struct domain *d,
                      const struct carrefour_domain *cd,
                      struct xen_carrefour_info *info)
{
    info->enabled = !!cd;
    info->sampler = cd ? cd->sampler : XEN_CARREFOUR_SAMPLER_DEFAULT;
    info->nr_nodes = host_nr_nodes();
    /* Replication needs per-node p2m views, which Xen 4.17 lacks. */
    info->flags = opt_carrefour ? XEN_CARREFOUR_INFO_F_ALLOWED : 0;
}

static int carrefour_stats(struct domain *d, struct xen_carrefour_stats *st)
{
    int rc = 0;

    memset(st, 0, sizeof(*st));
    spin_lock(&carrefour_lock);
    if ( d->arch.carrefour )
        rc = carrefour_engine_get_stats(carrefour_engine, d->domain_id, st);
    fill_info(d, d->arch.carrefour, &st->info);
    spin_unlock(&carrefour_lock);
    if ( rc )
        return rc;

    st->abi_version = XEN_CARREFOUR_ABI_VERSION;
    st->nr_nodes = st->info.nr_nodes;
    count_node_pages(d, st->node_pages, st->nr_nodes);

    return 0;
}

int carrefour_domctl(struct domain *d, struct xen_domctl_carrefour_op *op)
{
    int rc = carrefour_abi_validate(op);

    if ( rc )
        return rc;

    if ( !is_hvm_domain(d) || !hap_enabled(d) )
        return -EOPNOTSUPP;

    if ( !opt_carrefour )
    {
        if ( op->cmd == XEN_DOMCTL_CARREFOUR_OP_GET_INFO )
        {
            memset(&op->u.info, 0, sizeof(op->u.info));
            fill_info(d, NULL, &op->u.info);
            return 0;
        }
        gdprintk(XENLOG_INFO,
                 "carrefour: not allowed (boot Xen with carrefour=on)\n");
        return -EOPNOTSUPP;
    }

    switch ( op->cmd )
    {
    case XEN_DOMCTL_CARREFOUR_OP_ENABLE:
        return carrefour_enable(d, op->u.enable.sampler);

    case XEN_DOMCTL_CARREFOUR_OP_DISABLE:
        return carrefour_disable(d);

    case XEN_DOMCTL_CARREFOUR_OP_GET_INFO:
    {
        struct xen_carrefour_stats *st = xmalloc(struct xen_carrefour_stats);

        if ( !st )
            return -ENOMEM;
        rc = carrefour_stats(d, st);
        if ( !rc )
            op->u.info = st->info;
        xfree(st);
        return rc;
    }

    case XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS:
    {
        unsigned int i;

        for ( i = 0; i < op->u.set_params.nr_params; i++ )
            if ( op->u.set_params.params[i].id ==
                 XEN_CARREFOUR_PARAM_REPLICATION &&
                 op->u.set_params.params[i].value )
                return -EOPNOTSUPP;

        spin_lock(&carrefour_lock);
        rc = d->arch.carrefour
             ? carrefour_engine_set_params(carrefour_engine, d->domain_id,
                                           op->u.set_params.params,
                                           op->u.set_params.nr_params)
             : -ENOENT;
        if ( !rc )
            carrefour_epoch_kick();
        spin_unlock(&carrefour_lock);
        return rc;
    }

    case XEN_DOMCTL_CARREFOUR_OP_GET_STATS:
    {
        struct xen_carrefour_stats *st = xmalloc(struct xen_carrefour_stats);

        if ( !st )
            return -ENOMEM;
        rc = carrefour_stats(d, st);
        if ( !rc && copy_to_guest(op->u.get_stats.buffer, st, 1) )
            rc = -EFAULT;
        op->u.get_stats.size = sizeof(*st);
        xfree(st);
        return rc;
    }
    }

    return -EOPNOTSUPP;
}

static void dump_domain(struct domain *d, const struct carrefour_domain *cd,
                        struct xen_carrefour_stats *st)
{
    static const char *const samplers[] = {
        [XEN_CARREFOUR_SAMPLER_IBS] = "ibs",
        [XEN_CARREFOUR_SAMPLER_FAULT] = "fault",
    };
    unsigned int i;

    if ( carrefour_stats(d, st) )
        return;

    printk("  %pd: sampler %s period %"PRIu64" epochs %"PRIu64"\n",
           d, cd->sampler < ARRAY_SIZE(samplers) && samplers[cd->sampler]
              ? samplers[cd->sampler] : "?",
           st->info.sampling_period, st->info.epochs);
    printk("    samples %"PRIu64" dropped %"PRIu64" tracked pages %"PRIu64
           " armed last %lu total %"PRIu64"\n",
           st->info.samples, st->info.samples_dropped,
           st->info.tracked_pages, cd->armed_last, cd->armed_total);
    printk("    actions: migrate %"PRIu64" interleave %"PRIu64
           " replicate %"PRIu64" (replication unsupported)\n",
           st->actions[XEN_CARREFOUR_ACTION_MIGRATE],
           st->actions[XEN_CARREFOUR_ACTION_INTERLEAVE],
           st->actions[XEN_CARREFOUR_ACTION_REPLICATE]);
    printk("    pages moved %"PRIu64" failed %"PRIu64" frozen %"PRIu64
           " pauses %"PRIu64" (max %"PRI_stime"us)\n",
           st->info.pages_moved, st->failed, st->frozen_pages, cd->batches,
           cd->pause_max_ns / 1000);
    printk("    skipped:");
    for ( i = 0; i < XEN_CARREFOUR_SKIP_NR; i++ )
        printk(" %s %"PRIu64, skip_names[i], st->skipped[i]);
    printk("\n");
    printk("    local access %u.%u%% imbalance %u.%u%%\n",
           st->info.local_access_permille / 10,
           st->info.local_access_permille % 10,
           st->info.imbalance_permille / 10, st->info.imbalance_permille % 10);
    printk("    pages per node:");
    for ( i = 0; i < st->nr_nodes; i++ )
        printk(" node%u %"PRIu64, i, st->node_pages[i]);
    printk("\n");
}

static void cf_check dump_carrefour(unsigned char key)
{
    struct carrefour_engine_info info = {};
    struct xen_carrefour_stats *st;
    struct domain *d;

    printk("'%c' pressed -> dumping Carrefour state (now = %"PRI_stime")\n",
           key, NOW());
    if ( !opt_carrefour )
    {
        printk("  off (boot Xen with carrefour=on)\n");
        return;
    }

    spin_lock(&carrefour_lock);
    carrefour_engine_get_info(carrefour_engine, &info);
    spin_unlock(&carrefour_lock);
    printk("  engine: domains %"PRIu64" epochs %"PRIu64" last actions %"PRIu64
           " budget %"PRIu64"/%"PRIu64" pages\n",
           info.domains, info.epochs, info.last_actions,
           info.last_budget_used_pages, info.last_budget_pages);
    printk("  machine: local access %"PRIu64"permille imbalance %"PRIu64
           "permille; samples for unknown domains %"PRIu64
           ", ring drops %"PRIu64"\n",
           info.lar_permille, info.imbalance_permille,
           info.samples_unknown_domain, carrefour_ring_drops());
    carrefour_epoch_dump();

    st = xmalloc(struct xen_carrefour_stats);
    if ( !st )
        return;

    rcu_read_lock(&domlist_read_lock);
    for_each_domain ( d )
    {
        struct carrefour_domain cd;
        bool on;

        process_pending_softirqs();
        /* A copy: disable may free the state once the lock is dropped. */
        spin_lock(&carrefour_lock);
        on = d->arch.carrefour;
        if ( on )
            cd = *d->arch.carrefour;
        spin_unlock(&carrefour_lock);
        if ( on )
            dump_domain(d, &cd, st);
    }
    rcu_read_unlock(&domlist_read_lock);
    xfree(st);
}

static int __init cf_check carrefour_keyhandler_init(void)
{
    register_keyhandler(CARREFOUR_DEBUG_KEY, dump_carrefour,
                        "dump Carrefour (NUMA placement) state", 1);
    return 0;
}
__initcall(carrefour_keyhandler_init);

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * tab-width: 4
 * indent-tabs-mode: nil
 * End:
 */

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/carrefour/epoch.c
 *
 * The epoch driver: Carrefour's loop inside Xen.
 *
 *   timer (softirq) --> tasklet (idle vCPU context, may pause domains)
 *     1. drain every CPU's sample rings into the engine      carrefour_lock
 *     2. the engine decides: a bounded batch of actions       carrefour_lock
 *     3. carry them out in pause windows: a domain is paused for at most
 *        CARREFOUR_MAX_PAUSE_MS (beyond one action), then runs for
 *        twice as long (CARREFOUR_RUN_GAP_MS at least) before the next
 *        window                                              p2m locks
 *     4. report every outcome to the engine                  carrefour_lock
 *     5. arm the next round of hinting faults                 p2m locks
 *   ...and set the timer for the next epoch.
 * Each tasklet run holds carrefour_exec_lock; disabling or destroying a
 * domain continues its hypercall until it can take the lock (at most one
 * window), and later windows see the domain gone (its actions are then
 * reported as skipped, domain dying).
 */

#include <xen/sched.h>
#include <xen/softirq.h>
#include <xen/tasklet.h>
#include <xen/timer.h>
#include <xen/xmalloc.h>

#include <asm/p2m.h>

#include "private.h"

/*
 * Longest a domain stays paused while its pages move.  Pausing is what
 * makes the copy safe (see mm/p2m-carrefour.c); a batch longer than this
 * is cut, the domain runs, and the batch resumes, so the guest never
 * stalls for more than a scheduler time slice or so.
 */
#define CARREFOUR_MAX_PAUSE_MS 20

/*
 * What one hinting fault costs the guest, for the engine's sampling-budget
 * controller, is what Xen measures of it (the handling, the p2m lock wait
 * included: carrefour_fault_cost_ns()) plus this much for what Xen cannot
 * time: the exit, the entry and the TLB refills around them, a few
 * microseconds on current hardware.  Under emulation the measured part
 * dominates, and the controller samples less.
 */
#define CARREFOUR_FAULT_SWITCH_NS 2000

/*
 * Time the guest runs between two pause windows of one batch: at least
 * this long, and at least CARREFOUR_RUN_GAP_RATIO times as long as the
 * window it follows, so that moving pages never takes more than a third
 * of a guest's time however slow a move is (a window always completes one
 * action, and under emulation one 2 MiB move can take hundreds of ms).
 */
#define CARREFOUR_RUN_GAP_MS 40
#define CARREFOUR_RUN_GAP_RATIO 2

/* The shortest epoch the driver runs, whatever the parameters say. */
#define CARREFOUR_MIN_EPOCH_MS 10

static struct timer epoch_timer;
static struct tasklet epoch_tasklet;
static bool epoch_timer_ready;
static s_time_t last_epoch;
static struct carrefour_action *actions;

/* The batch being carried out (the epoch tasklet's state). */
#define OUTCOME_PENDING INT_MIN
static int outcome[CARREFOUR_MAX_ACTIONS];
static unsigned int exec_n, exec_next;
static bool executing;
static s_time_t round_start;
unsigned int carrefour_epoch_stage;
static uint64_t epochs_run, actions_done, actions_skipped, actions_failed;
static s_time_t last_round_ns;

static void cf_check epoch_timer_fn(void *unused)
{
    tasklet_schedule(&epoch_tasklet);
}

/* The epoch length: the shortest asked for by an enabled domain. */
static s_time_t epoch_length(void)
{
    unsigned int ms = ~0U;
    struct domain *d;

    rcu_read_lock(&domlist_read_lock);
    for_each_domain ( d )
        if ( d->arch.carrefour )
            ms = min_t(unsigned int, ms,
                       carrefour_engine_param(carrefour_engine, d->domain_id,
                                              XEN_CARREFOUR_PARAM_EPOCH_MS));
    rcu_read_unlock(&domlist_read_lock);

    if ( ms == ~0U )
        return 0;

    return MILLISECS(max_t(unsigned int, ms, CARREFOUR_MIN_EPOCH_MS));
}

void carrefour_epoch_kick(void)
{
    ASSERT(spin_is_locked(&carrefour_lock));

    if ( !epoch_timer_ready )
        return;
    if ( !last_epoch )
        last_epoch = NOW();
    if ( !timer_is_active(&epoch_timer) )
        set_timer(&epoch_timer, NOW() + epoch_length());
}

static int outcome_of(int rc, unsigned int skip)
{
    if ( rc < 0 )
        return CARREFOUR_OUTCOME_FAILED;
    if ( rc > 0 )
        return CARREFOUR_OUTCOME_SKIPPED + skip;
    return CARREFOUR_OUTCOME_DONE;
}

/* Carries out one action on d (paused); returns an outcome code. */
static int execute(struct domain *d, const struct carrefour_action *a)
{
    unsigned int skip = 0;
    int rc;

    if ( a->kind == XEN_CARREFOUR_ACTION_REPLICATE )
        return CARREFOUR_OUTCOME_SKIPPED + XEN_CARREFOUR_SKIP_UNSUPPORTED;
    if ( d->is_dying )
        return CARREFOUR_OUTCOME_SKIPPED + XEN_CARREFOUR_SKIP_DYING;
    if ( paging_mode_log_dirty(d) )
        return CARREFOUR_OUTCOME_SKIPPED + XEN_CARREFOUR_SKIP_LOG_DIRTY;
    if ( is_iommu_enabled(d) )
        return CARREFOUR_OUTCOME_SKIPPED + XEN_CARREFOUR_SKIP_PASSTHROUGH;

    rc = p2m_carrefour_move(d, _gfn(a->gfn), a->order, a->target, &skip);

    return outcome_of(rc, skip);
}

/*
 * One pause window: the domain of the first action not done yet is paused
 * and its actions (in batch order) are carried out until the window is
 * CARREFOUR_MAX_PAUSE_MS long (at least one action is).  Returns false
 * when every action of the batch has an outcome; otherwise *spent_out is how
 * long the window lasted.
 */
static bool execute_window(s_time_t *spent_out)
{
    struct carrefour_domain *cd;
    struct domain *d;
    unsigned int i;
    s_time_t start, spent;
    uint16_t domid;

    while ( exec_next < exec_n && outcome[exec_next] != OUTCOME_PENDING )
        exec_next++;
    if ( exec_next >= exec_n )
        return false;

    domid = actions[exec_next].domid;
    d = get_domain_by_id(domid);
    /* Stable while we hold carrefour_exec_lock (disable/destroy wait). */
    cd = d ? d->arch.carrefour : NULL;
    if ( !cd )
    {
        for ( i = exec_next; i < exec_n; i++ )
            if ( actions[i].domid == domid )
                outcome[i] = CARREFOUR_OUTCOME_SKIPPED +
                             XEN_CARREFOUR_SKIP_DYING;
        goto out;
    }

    start = NOW();
    carrefour_epoch_stage = 10;
    domain_pause(d);
    carrefour_epoch_stage = 11;
    for ( i = exec_next;
          i < exec_n && (i == exec_next ||
                         NOW() - start < MILLISECS(CARREFOUR_MAX_PAUSE_MS));
          i++ )
        if ( actions[i].domid == domid && outcome[i] == OUTCOME_PENDING )
            outcome[i] = execute(d, &actions[i]);
    carrefour_epoch_stage = 12;
    domain_unpause(d);
    carrefour_epoch_stage = 13;

    spent = NOW() - start;
    *spent_out = spent;
    cd->batches++;
    cd->pause_total_ns += spent;
    cd->pause_max_ns = max(cd->pause_max_ns, spent);

 out:
    if ( d )
        put_domain(d);
    return true;
}

/* Step 5: the next round of hinting faults, domain by domain. */
static void arm_fault_samplers(void)
{
    static domid_t fault_domains[64];
    unsigned int i, nr_fault = 0;
    struct domain *d;

    rcu_read_lock(&domlist_read_lock);
    for_each_domain ( d )
        if ( d->arch.carrefour && nr_fault < ARRAY_SIZE(fault_domains) &&
             d->arch.carrefour->sampler == XEN_CARREFOUR_SAMPLER_FAULT )
            fault_domains[nr_fault++] = d->domain_id;
    rcu_read_unlock(&domlist_read_lock);

    for ( i = 0; i < nr_fault; i++ )
    {
        struct carrefour_domain *cd;
        uint64_t period, tracked;

        d = get_domain_by_id(fault_domains[i]);
        if ( !d )
            continue;
        /* Stable: only disable/destroy change it, and they wait for us. */
        cd = d->arch.carrefour;
        if ( cd )
        {
            spin_lock(&carrefour_lock);
            period = carrefour_engine_sampling_period(carrefour_engine,
                                                      d->domain_id);
            tracked = carrefour_engine_param(carrefour_engine, d->domain_id,
                                             XEN_CARREFOUR_PARAM_TRACKED_PAGES);
            spin_unlock(&carrefour_lock);

            /*
             * The engine's period scales the sampling rate: at the
             * accurate period (0xFFF8, the IBS unit) the sampler arms as
             * many entries as the table tracks; a longer period arms
             * proportionally fewer.
             */
            carrefour_epoch_stage = 20;
            if ( period )
                carrefour_fault_arm(d, cd, max_t(uint64_t, 1,
                                                 tracked * 0xFFF8 / period));
            carrefour_epoch_stage = 21;
        }
        put_domain(d);
    }
}

/*
 * The epoch tasklet, a small state machine so that the guest runs between
 * pause windows:
 *   idle      -> drain, decide -> executing
 *   executing -> one pause window; if actions remain, come back after
 *                CARREFOUR_RUN_GAP_MS, else report, arm -> idle, and set
 *                the timer for the next epoch.
 */
static void cf_check epoch_tasklet_fn(void *unused)
{
    struct carrefour_epoch_in in = {};
    s_time_t now, next, spent = 0;
    unsigned int i;
    int n;

    spin_lock(&carrefour_exec_lock);
    carrefour_epoch_stage = 1;

    if ( !executing )
    {
        round_start = NOW();
        spin_lock(&carrefour_lock);
        now = NOW();
        carrefour_drain_rings();
        in.elapsed_us = max_t(s_time_t, (now - last_epoch) / 1000, 1);
        in.sample_cost_ns = CARREFOUR_FAULT_SWITCH_NS +
                            carrefour_fault_cost_ns();
        in.memory_use_permille =
            total_pages ? 1000 - (avail_domheap_pages() * 1000) / total_pages
                        : 1000;
        last_epoch = now;
        n = carrefour_engine_decide(carrefour_engine, &in, actions,
                                    CARREFOUR_MAX_ACTIONS);
        spin_unlock(&carrefour_lock);
        epochs_run++;

        exec_n = max(n, 0);
        exec_next = 0;
        for ( i = 0; i < exec_n; i++ )
            outcome[i] = OUTCOME_PENDING;
        executing = true;
    }

    if ( execute_window(&spent) )
    {
        carrefour_epoch_stage = 0;
        spin_unlock(&carrefour_exec_lock);
        set_timer(&epoch_timer,
                  NOW() + max_t(s_time_t, MILLISECS(CARREFOUR_RUN_GAP_MS),
                                spent * CARREFOUR_RUN_GAP_RATIO));
        return;
    }

    /* Step 4: every outcome to the engine. */
    spin_lock(&carrefour_lock);
    for ( i = 0; i < exec_n; i++ )
    {
        if ( outcome[i] == CARREFOUR_OUTCOME_DONE )
            actions_done++;
        else if ( outcome[i] == CARREFOUR_OUTCOME_FAILED )
            actions_failed++;
        else
            actions_skipped++;
        carrefour_engine_report(carrefour_engine, i, outcome[i]);
    }
    spin_unlock(&carrefour_lock);
    executing = false;

    arm_fault_samplers();

    spin_lock(&carrefour_lock);
    next = epoch_length();
    if ( next )
        set_timer(&epoch_timer, round_start + next);
    spin_unlock(&carrefour_lock);

    last_round_ns = NOW() - round_start;
    carrefour_epoch_stage = 0;
    spin_unlock(&carrefour_exec_lock);
}

static int __init cf_check carrefour_epoch_init(void)
{
    if ( !opt_carrefour )
        return 0;

    actions = xzalloc_array(struct carrefour_action, CARREFOUR_MAX_ACTIONS);
    if ( !actions )
    {
        printk(XENLOG_ERR "carrefour: no memory for the action batch\n");
        opt_carrefour = false;
        return 0;
    }
    init_timer(&epoch_timer, epoch_timer_fn, NULL, 0);
    tasklet_init(&epoch_tasklet, epoch_tasklet_fn, NULL);
    epoch_timer_ready = true;

    return 0;
}
__initcall(carrefour_epoch_init);

void carrefour_epoch_dump(void)
{
    printk("  epochs run %"PRIu64" (last round %"PRI_stime"us): actions done %"
           PRIu64" skipped %"PRIu64" failed %"PRIu64"\n",
           epochs_run, last_round_ns / 1000, actions_done, actions_skipped,
           actions_failed);
    carrefour_fault_cost_dump();
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * tab-width: 4
 * indent-tabs-mode: nil
 * End:
 */

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/carrefour/sampler.c
 *
 * Where samples come from and how they reach the engine.
 *
 * Per-CPU rings: each sampler writes the samples its CPU takes into that
 * CPU's ring, one ring per sampler because the IBS NMI may interrupt the
 * fault path on the same CPU.  A ring has one producer (its CPU) and one
 * consumer (the epoch tasklet, under carrefour_lock); a full ring drops
 * the sample and counts it.  No lock, no allocation on the producer side.
 *
 * The hinting-fault sampler (needs no special hardware): each epoch the
 * tasklet arms a bounded number of the domain's p2m leaves, continuing a
 * scan where the last one stopped (as Linux's NUMA balancing scans), so
 * that the next guest access to each takes one nested page fault.
 * p2m-pt.c's do_recalc() sees the armed bit, calls
 * carrefour_hint_fault() with the faulting CPU and the access type, and
 * the guest continues.  NPT only: EPT would need the analogous
 * misconfiguration bit in ept_handle_misconfig(), not done yet.
 */

#include <xen/percpu.h>
#include <xen/sched.h>
#include <xen/softirq.h>

#include <asm/carrefour.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/nestedhvm.h>
#include <asm/p2m.h>

#include "private.h"

/* Samples a ring holds: one epoch of faults of one busy CPU at the
 * default arming rate spread over a few CPUs; more are counted as
 * dropped rather than kept (bounded memory, per CPU). */
#define RING_SAMPLES 1024

struct ring {
    unsigned int head;                   /* written by the producer */
    unsigned int tail;                   /* written by the consumer */
    unsigned long dropped;               /* producer only */
    struct carrefour_sample s[RING_SAMPLES];
};

static DEFINE_PER_CPU(struct ring, fault_ring);
static DEFINE_PER_CPU(struct ring, ibs_ring);

/*
 * What the hinting faults taken on a CPU cost Xen, from the exit's
 * handling to the sample (written by that CPU only; the epoch tasklet
 * reads a moment's totals, a fault in flight lands in the next epoch).
 */
struct fault_cost {
    uint64_t faults;
    uint64_t ns;
};
static DEFINE_PER_CPU(struct fault_cost, fault_cost);

static void ring_push(struct ring *r, const struct carrefour_sample *s)
{
    unsigned int head = r->head;

    if ( head - ACCESS_ONCE(r->tail) >= RING_SAMPLES )
    {
        r->dropped++;
        return;
    }
    r->s[head % RING_SAMPLES] = *s;
    smp_wmb(); /* The sample before the index that publishes it. */
    ACCESS_ONCE(r->head) = head + 1;
}

/* Consumer side: moves what r holds into the engine. */
static unsigned long ring_drain(struct ring *r)
{
    unsigned int head = ACCESS_ONCE(r->head), tail = r->tail;
    unsigned long n = 0;

    smp_rmb(); /* The index before the samples it publishes. */
    while ( tail != head )
    {
        unsigned int idx = tail % RING_SAMPLES;
        unsigned int run = min(head - tail, RING_SAMPLES - idx);

        carrefour_engine_ingest(carrefour_engine, &r->s[idx], run);
        tail += run;
        n += run;
    }
    smp_mb(); /* Samples read before the slots are given back. */
    ACCESS_ONCE(r->tail) = tail;

    return n;
}

unsigned long carrefour_drain_rings(void)
{
    unsigned int cpu;
    unsigned long n = 0;

    ASSERT(spin_is_locked(&carrefour_lock));
    for_each_online_cpu ( cpu )
    {
        n += ring_drain(&per_cpu(fault_ring, cpu));
        n += ring_drain(&per_cpu(ibs_ring, cpu));
    }

    return n;
}

uint64_t carrefour_ring_drops(void)
{
    unsigned int cpu;
    uint64_t n = 0;

    for_each_online_cpu ( cpu )
        n += per_cpu(fault_ring, cpu).dropped + per_cpu(ibs_ring, cpu).dropped;

    return n;
}

static uint8_t node_of(mfn_t mfn)
{
    nodeid_t node = phys_to_nid(mfn_to_maddr(mfn));

    return node < XEN_CARREFOUR_MAX_NODES ? node : 0;
}

void carrefour_hint_fault(const struct domain *d, unsigned long gfn,
                          mfn_t mfn, bool write, unsigned int order,
                          s_time_t start)
{
    struct fault_cost *cost = &this_cpu(fault_cost);
    nodeid_t cpu_node = cpu_to_node(smp_processor_id());
    struct carrefour_sample s = {
        .gfn = gfn,
        .domid = d->domain_id,
        .frame_node = node_of(mfn),
        .cpu_node = cpu_node < XEN_CARREFOUR_MAX_NODES ? cpu_node : 0,
        .kind = write ? CARREFOUR_ACCESS_STORE : CARREFOUR_ACCESS_LOAD,
        .source = CARREFOUR_SOURCE_UNKNOWN,
        .order = order ? PAGE_ORDER_2M : PAGE_ORDER_4K,
    };

    ring_push(&this_cpu(fault_ring), &s);
    cost->ns += max_t(s_time_t, NOW() - start, 0);
    cost->faults++;
}

/*
 * The measured part of a hinting fault's cost: a moving average, over
 * epochs, of the time Xen spent on each (weight 1/FAULT_COST_EWMA_DIV for
 * the last epoch, so that one odd epoch moves it little).
 */
#define FAULT_COST_EWMA_DIV 4
static uint64_t fault_cost_ns;
static uint64_t faults_timed;

uint64_t carrefour_fault_cost_ns(void)
{
    static uint64_t last_faults, last_ns;
    uint64_t faults = 0, ns = 0, mean;
    unsigned int cpu;

    ASSERT(spin_is_locked(&carrefour_lock));
    for_each_online_cpu ( cpu )
    {
        faults += per_cpu(fault_cost, cpu).faults;
        ns += per_cpu(fault_cost, cpu).ns;
    }
    /* A CPU gone offline takes its counts away: start over from here. */
    if ( faults > last_faults && ns >= last_ns )
    {
        mean = (ns - last_ns) / (faults - last_faults);
        fault_cost_ns = fault_cost_ns
            ? (fault_cost_ns * (FAULT_COST_EWMA_DIV - 1) + mean) /
              FAULT_COST_EWMA_DIV
            : mean;
        faults_timed += faults - last_faults;
    }
    last_faults = faults;
    last_ns = ns;

    return fault_cost_ns;
}

void carrefour_fault_cost_dump(void)
{
    printk("  hinting faults timed %"PRIu64": Xen's part %"PRIu64"ns each\n",
           faults_timed, fault_cost_ns);
}

/* For ibs.c: a sample taken in the NMI. */
void carrefour_ibs_push(const struct carrefour_sample *s)
{
    ring_push(&this_cpu(ibs_ring), s);
}

bool carrefour_fault_sampler_usable(const struct domain *d)
{
    /* The armed bit lives in the NPT p2m (p2m-pt.c); EPT is not done. */
    return cpu_has_svm && hap_enabled(d) && !nestedhvm_enabled(d);
}

/*
 * Entries one scan examines an epoch, at most: bounds the time the epoch
 * tasklet holds its CPU and the p2m lock, whatever the domain's size
 * (4096 2 MiB leaves cover 8 GiB; 4096 4 KiB leaves, 16 MiB: the scan
 * then takes several epochs to go round, as NUMA balancing's does).
 */
#define FAULT_SCAN_ENTRIES_PER_EPOCH 4096

unsigned long carrefour_fault_arm(struct domain *d,
                                  struct carrefour_domain *cd,
                                  unsigned long nr)
{
    unsigned long armed;

    ASSERT(spin_is_locked(&carrefour_exec_lock));

    /* Save and migration track dirty pages through the same bits. */
    if ( paging_mode_log_dirty(d) || d->is_dying )
        return 0;

    armed = p2m_carrefour_arm_range(d, &cd->scan_gfn, nr,
                                    FAULT_SCAN_ENTRIES_PER_EPOCH, true);
    cd->armed_last = armed;
    cd->armed_total += armed;

    return armed;
}

void carrefour_fault_disarm_all(struct domain *d)
{
    unsigned long cursor = 0;

    p2m_carrefour_arm_range(d, &cursor, ~0UL, ~0UL, false);
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

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/mm/p2m-carrefour.c
 *
 * The mechanism Carrefour uses to move a guest page (4 KiB) or extent
 * (2 MiB) of a HAP domain to another NUMA node, in place: the guest keeps
 * its gfns, only the frames behind them change.
 *
 * Why no guest write is lost: the caller has paused the domain (every vCPU
 * descheduled, so none is inside a hypercall either), and this code holds
 * the p2m write lock from the checks to the switch, so no other domain can
 * look the gfn up and take a reference meanwhile (get_page_from_gfn()
 * takes the p2m read lock).  A frame that already has a reference besides
 * its allocation (a grant or foreign mapping, a Xen mapping such as a vCPU
 * info page, a grant copy in flight) is skipped: only frames nobody else
 * can write are copied.  The ownership swap is done under the domain's
 * page_alloc_lock in one step, so relinquish_memory() sees either the old
 * frames or the new ones, never neither, and tot_pages never changes.
 *
 * Order of work, each step undoable until the p2m switch:
 *   1. allocate the new frames on exactly the target node (anonymous);
 *   2. check every old frame: plain RAM, owned by d, no extra reference;
 *      split a larger mapping now if the move needs it, so that step 5
 *      needs no memory;
 *   3. copy;
 *   4. swap ownership (old frames leave d, new frames join it);
 *   5. switch the p2m entry and the M2P, and retire every vCPU's ASID
 *      (see step 5 below);
 *   6. scrub the old frames (the guest did not give them up: their data
 *      must not reach the next owner) and free them.
 */

#include <xen/domain_page.h>
#include <xen/mm.h>
#include <xen/sched.h>

#include <asm/hvm/asid.h>
#include <asm/p2m.h>

#include <public/carrefour.h>

#include <xen/softirq.h>

#include "mm-locks.h"

/* Gfns examined per p2m lock hold while arming or disarming: bounds how
 * long a guest vCPU can wait for the p2m lock behind the scan. */
#define ARM_CHUNK_GFNS 1024

#define MAX_EXTENT_PAGES (1U << PAGE_ORDER_2M)

/* Only the epoch tasklet moves pages (carrefour_exec_lock): one scratch. */
static struct page_info *old_pages[MAX_EXTENT_PAGES];

static void put_old_refs(unsigned int nr)
{
    unsigned int i;

    for ( i = 0; i < nr; i++ )
        put_page(old_pages[i]);
}

/*
 * Step 2 for one gfn: takes a reference on its frame and checks that it
 * may move.  Returns 0, or a skip reason + 1.
 */
static unsigned int check_old(struct p2m_domain *p2m, unsigned long gfn,
                              unsigned int i, nodeid_t node,
                              unsigned int *on_target, unsigned int *cur_order,
                              p2m_access_t *access)
{
    struct domain *d = p2m->domain;
    struct page_info *pg;
    p2m_type_t t;
    p2m_access_t a;
    unsigned long x;
    mfn_t mfn;

    mfn = p2m->get_entry(p2m, _gfn(gfn), &t, &a, 0, cur_order, NULL);
    if ( p2m_is_paging(t) || p2m_is_shared(t) )
        return XEN_CARREFOUR_SKIP_PAGED_SHARED + 1;
    /* Also refuses entries restricted by mem_access. */
    if ( t != p2m_ram_rw || !mfn_valid(mfn) || a != p2m->default_access )
        return XEN_CARREFOUR_SKIP_NOT_RAM + 1;

    pg = mfn_to_page(mfn);
    if ( page_get_owner_and_reference(pg) != d )
    {
        /* The reference is taken only when there is an owner. */
        if ( page_get_owner(pg) )
            put_page(pg);
        return XEN_CARREFOUR_SKIP_NOT_RAM + 1;
    }

    x = pg->count_info;
    if ( (x & (PGC_count_mask | PGC_allocated)) != (PGC_allocated | 2) ||
         is_special_page(pg) ||
         (pg->u.inuse.type_info & (PGT_count_mask | PGT_locked |
                                   PGT_pinned)) )
    {
        put_page(pg);
        return XEN_CARREFOUR_SKIP_EXTRA_REFS + 1;
    }

    if ( phys_to_nid(mfn_to_maddr(mfn)) == node )
        ++*on_target;
    if ( i == 0 )
        *access = a;
    else if ( a != *access )
    {
        put_page(pg);
        return XEN_CARREFOUR_SKIP_NOT_RAM + 1;
    }

    old_pages[i] = pg;
    return 0;
}

/* Step 4: the old frames leave d, the new ones join it.  0 or a reason. */
static unsigned int swap_ownership(struct domain *d, struct page_info *new_pg,
                                   unsigned int nr)
{
    unsigned int i, taken;
    unsigned int rc = 0;

    spin_lock(&d->page_alloc_lock);

    if ( d->is_dying )
    {
        rc = XEN_CARREFOUR_SKIP_DYING + 1;
        goto out;
    }

    /* Drop PGC_allocated and its reference, keeping ours, atomically. */
    for ( taken = 0; taken < nr; taken++ )
    {
        struct page_info *pg = old_pages[taken];
        unsigned long x = pg->count_info;

        if ( (x & (PGC_count_mask | PGC_allocated)) != (PGC_allocated | 2) ||
             cmpxchg(&pg->count_info, x,
                     (x & ~(PGC_count_mask | PGC_allocated)) | 1) != x )
            break;
    }
    if ( taken < nr )
    {
        /* A reference appeared since step 2: give everything back. */
        for ( i = 0; i < taken; i++ )
            old_pages[i]->count_info |= PGC_allocated | 2;
        rc = XEN_CARREFOUR_SKIP_EXTRA_REFS + 1;
        goto out;
    }

    for ( i = 0; i < nr; i++ )
    {
        struct page_info *pg = old_pages[i];

        page_list_del(pg, &d->page_list);
        pg->u.inuse.type_info = 0;
        page_set_owner(pg, NULL);

        page_set_owner(&new_pg[i], d);
        smp_wmb(); /* Owner before the reference count, as assign_pages(). */
        new_pg[i].count_info = PGC_allocated | 1;
        page_list_add_tail(&new_pg[i], &d->page_list);
    }

 out:
    spin_unlock(&d->page_alloc_lock);
    return rc;
}

/* Undoes swap_ownership() (the p2m switch failed). */
static void unswap_ownership(struct domain *d, struct page_info *new_pg,
                             unsigned int nr)
{
    unsigned int i;

    spin_lock(&d->page_alloc_lock);
    for ( i = 0; i < nr; i++ )
    {
        struct page_info *pg = old_pages[i];

        page_list_del(&new_pg[i], &d->page_list);
        new_pg[i].count_info = 0;
        page_set_owner(&new_pg[i], NULL);

        page_set_owner(pg, d);
        smp_wmb();
        pg->count_info |= PGC_allocated | 1;
        page_list_add_tail(pg, &d->page_list);
    }
    spin_unlock(&d->page_alloc_lock);
}

static void scrub_and_free_new(struct page_info *new_pg, unsigned int order)
{
    unsigned int i;

    for ( i = 0; i < (1U << order); i++ )
        scrub_one_page(&new_pg[i]);
    free_domheap_pages(new_pg, order);
}

/*
 * Moves the 2^order pages at gfn (order 0 or PAGE_ORDER_2M, gfn aligned)
 * of d, paused by the caller, to node.  Returns 0 when moved, 1 with *skip
 * set to a XEN_CARREFOUR_SKIP_* reason when nothing was done, or -errno
 * when something failed (the guest is then unaffected, or crashed when its
 * p2m could not be restored, which cannot happen with the split of step 2).
 */
int p2m_carrefour_move(struct domain *d, gfn_t gfn, unsigned int order,
                       nodeid_t node, unsigned int *skip)
{
    struct p2m_domain *p2m = p2m_get_hostp2m(d);
    unsigned int nr = 1U << order, i, checked, on_target = 0, reason = 0;
    unsigned int cur_order = 0;
    p2m_access_t access = p2m_access_rwx;
    struct page_info *new_pg;
    struct vcpu *v;
    mfn_t new_mfn;
    int rc;

    if ( (order != PAGE_ORDER_4K && order != PAGE_ORDER_2M) ||
         !IS_ALIGNED(gfn_x(gfn), nr) || node >= MAX_NUMNODES ||
         !node_online(node) )
        return -EINVAL;
    ASSERT(atomic_read(&d->pause_count));

    /* 1. The new frames, on exactly that node. */
    new_pg = alloc_domheap_pages(d, order,
                                 MEMF_no_owner | MEMF_exact_node |
                                 MEMF_node(node));
    if ( !new_pg )
    {
        *skip = XEN_CARREFOUR_SKIP_NO_MEMORY;
        return 1;
    }
    new_mfn = page_to_mfn(new_pg);

    p2m_lock(p2m);

    /* 2. Every old frame may move. */
    for ( checked = 0; checked < nr && !reason; checked++ )
    {
        unsigned int o;

        reason = check_old(p2m, gfn_x(gfn) + checked, checked, node,
                           &on_target, &o, &access);
        if ( checked == 0 )
            cur_order = o;
    }
    if ( reason )
    {
        put_old_refs(checked - 1);
        goto skip;
    }
    if ( on_target == nr )
    {
        put_old_refs(nr);
        reason = XEN_CARREFOUR_SKIP_ALREADY_THERE + 1;
        goto skip;
    }
    /*
     * A larger mapping (2M around a 4K move, 1G around a 2M one) is split
     * now, mapping the same frames: the only step that needs memory, and
     * nothing has changed if it fails.
     */
    if ( cur_order > order )
    {
        rc = p2m_set_entry(p2m, gfn, page_to_mfn(old_pages[0]), order,
                           p2m_ram_rw, access);
        if ( rc )
        {
            put_old_refs(nr);
            goto fail;
        }
    }

    /* 3. Copy.  Nobody can write the old frames now (see the top). */
    for ( i = 0; i < nr; i++ )
        copy_domain_page(mfn_add(new_mfn, i), page_to_mfn(old_pages[i]));

    /* 4. Ownership. */
    reason = swap_ownership(d, new_pg, nr);
    if ( reason )
    {
        put_old_refs(nr);
        goto skip;
    }

    /* 5. The p2m and the M2P. */
    rc = p2m_set_entry(p2m, gfn, new_mfn, order, p2m_ram_rw, access);
    if ( rc )
    {
        /* Cannot happen: step 2 made every table this needs. */
        ASSERT_UNREACHABLE();
        unswap_ownership(d, new_pg, nr);
        put_old_refs(nr);
        p2m_unlock(p2m);
        scrub_and_free_new(new_pg, order);
        domain_crash(d);
        return rc;
    }
    for ( i = 0; i < nr; i++ )
    {
        set_gpfn_from_mfn(mfn_x(new_mfn) + i, gfn_x(gfn) + i);
        set_gpfn_from_mfn(mfn_x(page_to_mfn(old_pages[i])),
                          INVALID_M2P_ENTRY);
    }
    /*
     * The p2m write flushed the CPUs in d->dirty_cpumask, but d is paused:
     * the CPUs where its vCPUs ran before may still cache translations to
     * the old frames, tagged with the vCPUs' ASIDs, which a vCPU coming
     * back to the same CPU would use again.  A new ASID at each vCPU's
     * next VMRUN makes them unreachable before the old frames are freed.
     */
    for_each_vcpu ( d, v )
        hvm_asid_flush_vcpu(v);

    p2m_unlock(p2m);

    /* 6. The old frames: scrubbed, then freed with our last reference. */
    for ( i = 0; i < nr; i++ )
    {
        scrub_one_page(old_pages[i]);
        put_page(old_pages[i]);
    }

    return 0;

 skip:
    p2m_unlock(p2m);
    scrub_and_free_new(new_pg, order);
    *skip = reason - 1;
    return 1;

 fail:
    p2m_unlock(p2m);
    scrub_and_free_new(new_pg, order);
    return rc;
}

/*
 * Carrefour's hinting-fault scan (NPT): walks gfns of d from *cursor, arming (or disarming) leaves, until nr
 * leaves changed or the end of the p2m; returns how many changed.
 */
unsigned long p2m_carrefour_arm_range(struct domain *d, unsigned long *cursor,
                                      unsigned long nr, unsigned long examine,
                                      bool arm)
{
    struct p2m_domain *p2m = p2m_get_hostp2m(d);
    unsigned long gfn = *cursor, changed = 0, examined = 0, end = 0;

    while ( changed < nr && examined < examine )
    {
        unsigned int chunk = 0;

        p2m_lock(p2m);
        end = p2m->max_mapped_pfn;
        while ( gfn <= end && changed < nr && examined < examine &&
                chunk < ARM_CHUNK_GFNS )
        {
            unsigned int order;

            changed += p2m_pt_carrefour_arm(p2m, gfn, arm, &order);
            /* Step to the next entry of the size just examined. */
            gfn = (gfn | ((1UL << order) - 1)) + 1;
            examined++;
            chunk++;
        }
        p2m_unlock(p2m);

        if ( gfn > end )
            break;
        process_pending_softirqs();
    }

    if ( changed )
        p2m_pt_carrefour_flush(p2m);
    /* Past the end: the next scan starts over. */
    *cursor = gfn > end ? 0 : gfn;

    return changed;
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

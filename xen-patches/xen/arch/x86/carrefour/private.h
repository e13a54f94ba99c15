/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the pieces of arch/x86/carrefour/ share:
 *
 *   carrefour.c   control: boot parameter, domctl, debug key, lifetime
 *   epoch.c       the epoch driver: timer -> tasklet -> drain the sample
 *                 rings -> engine decides -> executor -> outcomes reported
 *   sampler.c     per-CPU sample rings; the hinting-fault sampler
 *   ibs.c         the AMD IBS sampler (NMI)
 *   ../mm/p2m-carrefour.c   the mechanism that moves a guest page
 *
 * Locks, in the order they are taken:
 *   carrefour_exec_lock   held by the epoch tasklet for a whole round and
 *                         by disable/destroy, so that once they return no
 *                         move or arming of the domain is in flight;
 *   carrefour_lock        every engine call and every change of
 *                         d->arch.carrefour;
 *   the p2m lock          taken by the executor and the sampler under
 *                         carrefour_exec_lock only, never under
 *                         carrefour_lock.
 * The fault and NMI paths take none of them: they write per-CPU rings.
 */
#ifndef __X86_CARREFOUR_PRIVATE_H__
#define __X86_CARREFOUR_PRIVATE_H__

#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/types.h>

#include <public/xen.h>
#include <public/carrefour.h>

#include "engine.h"

struct domain;

/* Per-domain state: d->arch.carrefour, NULL when Carrefour is off. */
struct carrefour_domain {
    unsigned int sampler;          /* XEN_CARREFOUR_SAMPLER_{IBS,FAULT} */
    unsigned long scan_gfn;        /* fault sampler: next gfn to arm */
    unsigned long armed_last;      /* entries armed by the last pass */
    uint64_t armed_total;          /* entries armed since enabled */
    uint64_t batches;              /* pauses to move pages */
    s_time_t pause_max_ns;         /* longest pause */
    s_time_t pause_total_ns;       /* all pauses */
    s_time_t forget_since;         /* disable/destroy first found busy */
    bool forget_warned;            /* ...and said so */
};

extern bool opt_carrefour;
extern spinlock_t carrefour_lock;
extern spinlock_t carrefour_exec_lock;
extern struct carrefour_engine *carrefour_engine;

/* Largest batch of actions one epoch hands the executor. */
#define CARREFOUR_MAX_ACTIONS 4096

/* epoch.c: what the epoch tasklet is doing (for diagnostics). */
extern unsigned int carrefour_epoch_stage;
/* epoch.c: (re)start the epoch timer; carrefour_lock held. */
void carrefour_epoch_kick(void);
/* epoch.c: lines for the debug key. */
void carrefour_epoch_dump(void);

/* sampler.c */
bool carrefour_fault_sampler_usable(const struct domain *d);
bool carrefour_ibs_usable(void);
/* Arms up to nr entries of d for hinting faults; exec lock held. */
unsigned long carrefour_fault_arm(struct domain *d,
                                  struct carrefour_domain *cd,
                                  unsigned long nr);
/* Disarms every armed entry of d (disable); no Carrefour lock held. */
void carrefour_fault_disarm_all(struct domain *d);
/* Moves the samples of every CPU's rings into the engine; lock held. */
unsigned long carrefour_drain_rings(void);
/* Samples lost because a ring was full, since boot. */
uint64_t carrefour_ring_drops(void);
/*
 * What Xen spends on one hinting fault, measured (a moving average over
 * epochs; 0 until faults were taken); carrefour_lock held.  Call once an
 * epoch.
 */
uint64_t carrefour_fault_cost_ns(void);
void carrefour_fault_cost_dump(void);

/* ibs.c */
int carrefour_ibs_start(void);
void carrefour_ibs_stop(void);

/* Name of parameter id, or NULL. */
const char *carrefour_param_name(unsigned int id);

#endif /* __X86_CARREFOUR_PRIVATE_H__ */

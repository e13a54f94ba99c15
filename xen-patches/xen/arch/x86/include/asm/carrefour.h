/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Carrefour: automatic NUMA placement of HAP domains' memory.
 *
 * The hooks the rest of Xen calls.  The policy is a Rust engine
 * (arch/x86/carrefour/engine.h); the mechanism lives in
 * arch/x86/carrefour/ (control, epoch driver, samplers) and
 * arch/x86/mm/p2m-carrefour.c (moving pages).
 */
#ifndef __ASM_X86_CARREFOUR_H__
#define __ASM_X86_CARREFOUR_H__

#include <xen/types.h>
#include <xen/mm-frame.h>
#include <xen/time.h>

struct domain;
struct xen_domctl_carrefour_op;

#ifdef CONFIG_CARREFOUR

/* XEN_DOMCTL_carrefour_op; d is locked against destruction by the caller. */
int carrefour_domctl(struct domain *d, struct xen_domctl_carrefour_op *op);

/*
 * The domain is being destroyed: stop sampling and moving its pages and
 * forget it.  Idempotent; called from domain_relinquish_resources().
 * Returns -ERESTART while an epoch round is busy: continue the hypercall.
 */
int carrefour_domain_destroy(struct domain *d);

/*
 * A guest access to gfn (frame mfn) hit a p2m leaf of the given order
 * armed by the hinting-fault sampler (p2m-pt.c, p2m lock held); Xen began
 * to handle the exit at start.  Records a sample and its cost on this
 * CPU: never blocks, never allocates.  A sample from a superpage leaf
 * stands for its whole 2 MiB extent.
 */
void carrefour_hint_fault(const struct domain *d, unsigned long gfn,
                          mfn_t mfn, bool write, unsigned int order,
                          s_time_t start);

#else

static inline int carrefour_domain_destroy(struct domain *d) { return 0; }

#endif /* CONFIG_CARREFOUR */

#endif /* __ASM_X86_CARREFOUR_H__ */

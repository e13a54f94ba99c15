//! Scenarios: synthetic guests on a two- or four-node machine, fed to the
//! real engine epoch by epoch.  Each test states what Carrefour should do
//! and checks the actions it decided; every batch also passes the
//! independent checker (`carrefour_core::checker`), run by the `World`
//! of `common/mod.rs`.

mod common;

use carrefour_core::engine::SKIP_RETRY_EPOCHS;
use carrefour_core::params::Tunable;
use carrefour_core::rules::OffReason;
use carrefour_core::{ActionKind, DomId, Gfn, SkipReason};
use common::{consecutive, count, node, pages_of, scattered, Epoch, World, EXTENT};

const GUEST: DomId = DomId(1);
const OTHER: DomId = DomId(2);

#[test]
fn private_data_on_the_wrong_node_is_migrated_to_the_node_that_uses_it() {
    // A guest's memory was allocated on node 0, but its threads run on
    // node 1 and each page is used by them alone.
    let mut w = World::new(2, &[]);
    w.enable(GUEST);
    let pages = scattered(16, 100);
    w.place(GUEST, &pages, 0);
    w.read(GUEST, &pages, 1, 3);

    let batch = w.decide(&Epoch::busy());

    assert_eq!(batch.len(), 100);
    for a in &batch {
        assert_eq!(a.kind, ActionKind::Migrate);
        assert_eq!((a.from, a.target, a.order), (node(0), node(1), 0));
        assert!(pages.contains(&a.gfn.0));
    }
    // Once moved, every access is local and nothing more happens.
    w.complete_all();
    w.read(GUEST, &pages, 1, 3);
    assert!(w.decide(&Epoch::busy()).is_empty());
    assert_eq!(w.stats(GUEST).last.lar_permille, 1000);
    assert_eq!(w.stats(GUEST).pages_moved, 100);
}

#[test]
fn shared_read_only_data_is_replicated_when_memory_is_plentiful() {
    // 600 pages on node 0 read by threads of both nodes, never written;
    // a quarter of the machine's memory at most is in use.
    let mut w = World::new(2, &[]);
    w.enable(GUEST);
    let pages = scattered(16, 600);
    w.place(GUEST, &pages, 0);
    w.read(GUEST, &pages, 0, 2);
    w.read(GUEST, &pages, 1, 2);

    let batch = w.decide(&Epoch::with_memory_use(200));

    assert_eq!(count(&batch, ActionKind::Replicate), 600);
    assert!(w.stats(GUEST).switches.replicate);
}

#[test]
fn shared_read_only_data_is_not_replicated_when_replication_is_off() {
    // The same guest on the Xen build, where replication is 0: Xen 4.17
    // cannot keep per-node copies.  Node 0's controller carries all the
    // traffic, so the pages are interleaved instead.
    let mut w = World::new(2, &[(Tunable::Replication, 0)]);
    w.enable(GUEST);
    let pages = scattered(16, 600);
    w.place(GUEST, &pages, 0);
    w.read(GUEST, &pages, 0, 2);
    w.read(GUEST, &pages, 1, 2);

    let batch = w.decide(&Epoch::with_memory_use(200));

    assert_eq!(count(&batch, ActionKind::Replicate), 0);
    assert!(count(&batch, ActionKind::Interleave) > 0);
    assert!(!w.stats(GUEST).switches.replicate);
}

#[test]
fn too_few_candidates_too_much_memory_use_or_writes_prevent_replication() {
    let replicas = |n_pages: u64, memory_use: u64, writes: bool| {
        let mut w = World::new(2, &[]);
        w.enable(GUEST);
        let pages = scattered(16, n_pages);
        w.place(GUEST, &pages, 0);
        w.read(GUEST, &pages, 0, 20);
        w.read(GUEST, &pages, 1, 20);
        if writes {
            // Other, private pages written often: 3,000 of 27,000
            // sampled accesses (11 %) are writes.
            let private = scattered(4000, 100);
            w.place(GUEST, &private, 0);
            w.write(GUEST, &private, 0, 30);
        }
        let batch = w.decide(&Epoch::with_memory_use(memory_use));
        if writes {
            assert!(w.stats(GUEST).last.write_permille > 50);
        }
        count(&batch, ActionKind::Replicate)
    };
    assert_eq!(replicas(600, 250, false), 600);
    // Carrefour starts replicating only with 500 candidates in a round.
    assert_eq!(replicas(499, 250, false), 0);
    // Over a quarter of the memory in use.
    assert_eq!(replicas(600, 251, false), 0);
    // More than 5 % of the accesses are writes.
    assert_eq!(replicas(600, 250, true), 0);
}

#[test]
fn hot_shared_read_write_data_is_interleaved_off_the_loaded_controller() {
    // 2000 written pages shared by both nodes, all on node 0, whose
    // controller serves 75 % of the machine's DRAM traffic.  Carrefour
    // moves each with probability 0.75 (node 0's share) to node 1.
    let mut w = World::new(2, &[]);
    w.enable(GUEST);
    let pages = scattered(16, 2000);
    w.place(GUEST, &pages, 0);
    w.write(GUEST, &pages, 0, 1);
    w.read(GUEST, &pages, 1, 1);

    let batch = w.decide(&Epoch::with_controllers(&[750, 250]));

    let moved = count(&batch, ActionKind::Interleave);
    assert_eq!(moved, batch.len());
    assert!((1400..1600).contains(&moved), "{moved} of 2000 moved");
    assert!(batch
        .iter()
        .all(|a| a.from == node(0) && a.target == node(1)));
    assert!(w.stats(GUEST).switches.interleave);
}

#[test]
fn interleaving_spreads_pages_over_the_cold_controllers() {
    // Four nodes; node 0 serves 70 %, the others 10 % each: pages leave
    // node 0 with probability 0.7 and go to the three others evenly.
    let mut w = World::new(4, &[]);
    w.enable(GUEST);
    let pages = scattered(16, 3000);
    w.place(GUEST, &pages, 0);
    w.write(GUEST, &pages, 0, 1);
    w.read(GUEST, &pages, 2, 1);

    let batch = w.decide(&Epoch::with_controllers(&[700, 100, 100, 100]));

    let moved = count(&batch, ActionKind::Interleave);
    assert!((1950..2250).contains(&moved), "{moved} of 3000 moved");
    for n in 1..4 {
        let to_n = batch.iter().filter(|a| a.target == node(n)).count();
        assert!(
            (moved / 3 - 100..moved / 3 + 100).contains(&to_n),
            "{to_n} of {moved} to node {n}"
        );
    }
}

#[test]
fn a_guest_below_the_memory_intensity_gate_is_left_alone() {
    // The same misplaced private pages, but the guest hardly touches
    // memory: placement cannot pay for itself.
    let mut w = World::new(2, &[]);
    w.enable(GUEST);
    let pages = scattered(16, 100);
    w.place(GUEST, &pages, 0);
    w.read(GUEST, &pages, 1, 3);

    let batch = w.decide(&Epoch::idle());

    assert!(batch.is_empty());
    assert_eq!(w.stats(GUEST).switches.off, Some(OffReason::LowIntensity));
}

#[test]
fn a_page_bouncing_between_two_nodes_is_frozen() {
    // One page is used by node 1 in some epochs and node 0 in others.
    let mut w = World::new(2, &[(Tunable::CooldownEpochs, 1)]);
    w.enable(GUEST);
    let page = [0x4007];
    w.place(GUEST, &page, 0);

    // Node 1 uses it: it moves there.
    w.read(GUEST, &page, 1, 3);
    let batch = w.decide(&Epoch::busy());
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].target, node(1));
    w.complete_all();

    // Node 0 uses it: cooling down for one epoch, then moving it back
    // would undo the move: it is frozen instead, and stays frozen.
    for epoch in 0..16 {
        w.read(GUEST, &page, 0, 3);
        assert!(w.decide(&Epoch::busy()).is_empty(), "epoch {epoch}");
    }
    let st = w.stats(GUEST);
    assert_eq!(st.bounces, 1);
    assert_eq!(st.frozen_pages, 1);
    assert_eq!(st.pages_moved, 1);
    assert_eq!(w.frame(GUEST, page[0]), 1);
}

#[test]
fn two_guests_competing_for_a_small_budget_share_it_fairly() {
    // Two guests, each with 300 misplaced private pages; only 100 pages
    // may move per epoch.
    let mut w = World::new(2, &[(Tunable::BudgetPages, 100)]);
    for d in [GUEST, OTHER] {
        w.enable(d);
        let pages = scattered(16, 300);
        w.place(d, &pages, 0);
        w.read(d, &pages, 1, 3);
    }

    let batch = w.decide(&Epoch::busy());

    assert_eq!(pages_of(&batch, GUEST), 50);
    assert_eq!(pages_of(&batch, OTHER), 50);
}

#[test]
fn budget_a_guest_does_not_need_goes_to_the_other() {
    let mut w = World::new(2, &[(Tunable::BudgetPages, 100)]);
    for (d, n) in [(GUEST, 300), (OTHER, 20)] {
        w.enable(d);
        let pages = scattered(16, n);
        w.place(d, &pages, 0);
        w.read(d, &pages, 1, 3);
    }

    let batch = w.decide(&Epoch::busy());

    assert_eq!(pages_of(&batch, OTHER), 20);
    assert_eq!(pages_of(&batch, GUEST), 80);
}

#[test]
fn a_guest_whose_pages_are_already_local_gets_no_actions() {
    let mut w = World::new(2, &[]);
    w.enable(GUEST);
    let on_0 = scattered(16, 200);
    let on_1 = scattered(1000, 200);
    w.place(GUEST, &on_0, 0);
    w.place(GUEST, &on_1, 1);
    w.read(GUEST, &on_0, 0, 3);
    w.write(GUEST, &on_1, 1, 3);

    assert!(w.decide(&Epoch::busy()).is_empty());
    assert_eq!(w.stats(GUEST).last.lar_permille, 1000);
}

#[test]
fn a_2mib_extent_whose_sampled_pages_agree_moves_as_one_order_9_action() {
    // 40 sampled pages of the extent at gfn 0x20000 (a superpage of the
    // p2m) all want node 1: one action keeps the superpage whole.
    let mut w = World::new(2, &[]);
    w.enable(GUEST);
    let extent = 0x20000;
    let pages: Vec<u64> = (0..40).map(|i| extent + i * 11).collect();
    w.place(GUEST, &pages, 0);
    w.read(GUEST, &pages, 1, 2);

    let batch = w.decide(&Epoch::busy());

    assert_eq!(batch.len(), 1);
    let a = batch[0];
    assert_eq!((a.gfn, a.order, a.target), (Gfn(extent), 9, node(1)));
    assert_eq!(a.pages(), EXTENT);
    w.complete_all();
    assert!(pages.iter().all(|&g| w.frame(GUEST, g) == 1));
}

#[test]
fn an_extent_whose_pages_disagree_moves_page_by_page() {
    // Half the sampled pages of one extent are used by node 1, half by
    // node 0 where they live: only the first half moves.
    let mut w = World::new(2, &[]);
    w.enable(GUEST);
    let pages = consecutive(0x20000, 40);
    w.place(GUEST, &pages, 0);
    w.read(GUEST, &pages[..20], 1, 2);
    w.read(GUEST, &pages[20..], 0, 2);

    let batch = w.decide(&Epoch::busy());

    assert_eq!(batch.len(), 20);
    assert!(batch.iter().all(|a| a.order == 0 && a.target == node(1)));
}

#[test]
fn a_skipped_action_is_not_retried_before_the_retry_delay() {
    // Xen cannot move the page (a grant mapping holds it).
    let mut w = World::new(2, &[]);
    w.enable(GUEST);
    let page = [0x4007];
    w.place(GUEST, &page, 0);
    w.read(GUEST, &page, 1, 3);
    assert_eq!(w.decide(&Epoch::busy()).len(), 1);
    w.skip_all(SkipReason::ExtraRefs);

    for epoch in 0..SKIP_RETRY_EPOCHS {
        w.read(GUEST, &page, 1, 3);
        assert!(w.decide(&Epoch::busy()).is_empty(), "epoch {epoch}");
    }
    w.read(GUEST, &page, 1, 3);
    assert_eq!(w.decide(&Epoch::busy()).len(), 1, "retried after the delay");
    assert_eq!(w.stats(GUEST).skipped[SkipReason::ExtraRefs as usize], 1);
}

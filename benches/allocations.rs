//! Heap allocations per `attachNetworkInterface` call, on the calling thread: the SDK against
//! plain reqwest sending the same bytes (and against reqwest signing by hand). A count, not a
//! time: it does not depend on the machine's load, and each allocation the SDK adds is work
//! (and, with many calls in flight, allocator contention) on every call.
//!
//! `cargo bench --bench allocations` (CALLS per arm, default 1000, after 100 to warm up).

#[path = "support/arms.rs"]
mod arms;

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
};

use arms::{call, Callers, HAND_SIGNED, PLAIN, SDK};

/// The system allocator, counting the allocations (and reallocations) of each thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: a thread being torn down has no counter left, and needs none.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let calls: u64 = if quick {
        10
    } else {
        std::env::var("CALLS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000)
    };
    // The server runs on its own thread: its allocations are not counted here.
    let callers = Callers::start();
    let per_call = |arm: usize| {
        let Callers {
            sdk,
            plain,
            hand_signed,
            ..
        } = &callers;
        callers.rt.block_on(async {
            for _ in 0..100 {
                call(arm, sdk, plain, hand_signed).await;
            }
            let before = ALLOCATIONS.with(Cell::get);
            for _ in 0..calls {
                call(arm, sdk, plain, hand_signed).await;
            }
            (ALLOCATIONS.with(Cell::get) - before) as f64 / calls as f64
        })
    };
    let [sdk, plain, hand] = [SDK, PLAIN, HAND_SIGNED].map(per_call);
    println!(
        "allocations per call, calling thread ({calls} calls each): SDK {sdk:.1}, \
         reqwest {plain:.1}, reqwest signing by hand {hand:.1}"
    );
}

//! A counting global allocator for the benches that report heap bytes (`memory`, `soak`):
//! `LIVE` holds the bytes currently allocated. It only counts and forwards to the system
//! allocator. Included by each bench with `#[path = "common/alloc.rs"] mod alloc;` (this
//! folder has no `main.rs`, so cargo does not take it for a bench of its own).
//!
//! The tests have their own allocator (`tests/it/alloc.rs`), which counts what each thread
//! allocates rather than what is live.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

/// Live heap bytes: allocated and not yet freed.
pub static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

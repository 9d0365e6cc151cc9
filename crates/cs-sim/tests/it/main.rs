//! Integration tests for `cs-sim`.

// A global allocator is unsafe by nature; the one in `alloc` only counts and forwards to
// the system allocator. The library itself forbids unsafe code.
#![allow(unsafe_code)]

mod agreement;
mod common;
mod conversations;
mod determinism;
mod erlang;
mod features;
mod golden;
mod memory;
mod validation;
mod whatif;

// The counting allocator is shared with cs-core's tests (one copy of the unsafe code).
#[path = "../../../cs-core/tests/it/alloc.rs"]
mod alloc;
pub use alloc::allocated_by;

//! Integration tests for `cs-sim`.

mod agreement;
mod common;
mod conversations;
mod determinism;
mod erlang;
mod features;
mod memory;
mod validation;
mod whatif;

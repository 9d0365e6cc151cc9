//! Integration tests for `cs-sim`.

mod erlang;

//! Integration tests of `cs-store`: one binary, one module per concern.

mod desk;
mod jsonl;

//! Integration tests of `cs-store`: one binary, one module per concern.

mod desk;
mod jsonl;
mod sqlite_files;
mod stores;

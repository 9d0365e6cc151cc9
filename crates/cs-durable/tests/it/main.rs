//! cs-durable integration tests: one binary, one module per concern.

mod crash;
mod dst;
mod engine;
mod faulty;
mod fixture;
mod postgres;

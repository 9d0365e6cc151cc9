//! `cs-sim`: simulation and queueing analytics for capacity planning.

pub mod erlang;

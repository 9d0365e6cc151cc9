//! placeholder until the erlang helper lands

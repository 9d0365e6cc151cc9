//! placeholder until the calendar helper lands

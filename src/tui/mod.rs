//! The console: a ratatui application on the local replica. `keymap` holds the
//! binding table every key, hint and help line comes from.

pub mod keymap;

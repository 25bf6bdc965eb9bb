//! civitac: the animation team's console for the Civitac civic-tech platform.
//! A local SQLite replica, one write path (`ops::apply`), a batch CLI, and (in
//! later modules) the console and sync with the hub. ARCHITECTURE.md is the map.

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod hub;
pub mod i18n;
pub mod ops;
pub mod paths;
pub mod protocol;
pub mod replica;
pub mod retry;
pub mod sms;
pub mod store;
pub mod text;
pub mod time;
pub mod tui;

/// Bytes as lowercase hexadecimal (hashes, tokens, keys).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

//! The hub side of sync. So far: ingest from the public platform and device
//! tokens. The wire
//! protocol, the hub server and the replica's client belong here too.

pub mod client;
pub mod hub;
pub mod ingest;
pub mod protocol;
pub mod pull;
pub mod tokens;

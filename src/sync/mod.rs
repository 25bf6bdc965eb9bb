//! Sync between replicas and the hub (DESIGN §5): the wire types, the hub's
//! side (push application, change feed, ingest, tokens, storage backend, HTTP
//! server) and the replica's (outbox batching, pull, HTTP client, the sync run).

pub mod backend;
pub mod backup;
pub mod client;
pub mod credentials;
pub mod files;
pub mod hub;
pub mod ingest;
pub mod protocol;
pub mod pull;
pub mod server;
pub mod session;
pub mod tokens;
pub mod transport;

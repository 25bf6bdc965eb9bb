//! A replica's side of sync: the outbox of its own decisions, the session
//! that pushes them and pulls the hub's changes, the transport (`Remote`: over
//! HTTP, or in-process for tests), applying pulled pages, fetching files,
//! and the credentials it signs in with. It imports nothing from `hub`.

pub mod bundle;
pub mod credentials;
pub mod files;
pub mod outbox;
pub mod pace;
pub mod preview;
pub mod pull;
pub mod session;
pub mod transport;

//! What a replica needs of a hub, whatever carries it: over HTTP
//! (`replica::transport::HubClient`) or in-process over a hub backend
//! (`hub::local::LocalHub`, for fast conflict and convergence tests). The
//! sync session and the file fetcher see only this trait.

use crate::protocol::{Cursor, PullResponse, PushRequest, PushResponse, WhoAmI};

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("{url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("{url}: HTTP {status} {code}: {message}")]
    Http {
        url: String,
        status: u16,
        code: String,
        message: String,
        retry_after: Option<u64>,
    },
    #[error("{url}: the hub's answer is not understood: {why}")]
    Protocol { url: String, why: String },
    #[error("{0}")]
    Setup(String),
}

impl TransportError {
    /// Whether the same request may succeed later (network, overload,
    /// storage trouble) rather than never (bad token, refused, bad request).
    pub fn is_temporary(&self) -> bool {
        match self {
            TransportError::Unreachable { .. } => true,
            TransportError::Http { status, .. } => {
                *status == 408 || *status == 429 || *status >= 500
            }
            TransportError::Protocol { .. } | TransportError::Setup(_) => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            TransportError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A hub as a replica sees it.
pub trait Remote {
    /// Who the token speaks for.
    fn whoami(&mut self) -> Result<WhoAmI, TransportError>;
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError>;
    fn pull(&mut self, since: &Cursor, limit: usize) -> Result<PullResponse, TransportError>;
    /// Writes a stored file's bytes from `offset` into `out`; returns the
    /// file's total size.
    fn file_range(
        &mut self,
        sha256: &str,
        offset: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<u64, TransportError>;
    /// Where the hub is, for messages.
    fn base(&self) -> &str;
    /// Body bytes sent and received so far (as they went over the wire).
    fn traffic(&self) -> (u64, u64);
    /// Hub clock minus this device's, in seconds, from the last answer.
    fn skew(&self) -> Option<i64>;
}

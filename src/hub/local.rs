//! The hub in-process, as a replica's `Remote`: the same backend, the same
//! authentication and the same refusals as over HTTP, without sockets. The
//! conflict, merge and convergence tests sync through it; a handful of
//! end-to-end tests keep the HTTP path honest (TLS, cut connections, kill -9).

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use super::backend::{BackendError, HubBackend};
use super::server::Limits;
use super::tokens::Principal;
use crate::protocol::remote::{Remote, TransportError};
use crate::protocol::{Cursor, PullResponse, PushRequest, PushResponse, WhoAmI};
use crate::store::Actor;

/// One device's view of an in-process hub (its token, like an HTTP client's).
pub struct LocalHub {
    backend: Arc<dyn HubBackend>,
    token: String,
    max_pull: usize,
}

impl LocalHub {
    pub fn new(backend: Arc<dyn HubBackend>, token: &str) -> LocalHub {
        LocalHub {
            backend,
            token: token.to_owned(),
            max_pull: Limits::default().max_pull,
        }
    }

    /// The token this link presents (a test moving a replica to another hub).
    pub fn token(&self) -> &str {
        &self.token
    }

    fn refused(e: &BackendError) -> TransportError {
        let a = e.answer();
        http(a.status, a.code, a.message, a.retry_after)
    }

    fn device(&self) -> Result<(Actor, String), TransportError> {
        match self.backend.authenticate(&self.token) {
            Ok(Principal::Device { actor, device_name }) => Ok((actor, device_name)),
            Ok(Principal::Platform { .. }) => Err(http(
                403,
                "forbidden",
                "a platform token may only ingest and read the decision feed".into(),
                None,
            )),
            Err(e) => Err(Self::refused(&e)),
        }
    }
}

fn http(status: u16, code: &str, message: String, retry_after: Option<u64>) -> TransportError {
    TransportError::Http {
        url: "in-process".into(),
        status,
        code: code.to_owned(),
        message,
        retry_after,
    }
}

impl Remote for LocalHub {
    fn whoami(&mut self) -> Result<WhoAmI, TransportError> {
        let (actor, device_name) = self.device()?;
        Ok(WhoAmI {
            staff_id: actor.staff_id,
            login: actor.login,
            display_name: actor.display_name,
            role: actor.role.as_str().to_owned(),
            bundle_key: Some(
                self.backend
                    .bundle_key(&actor.device, &super::tokens::hash(&self.token)),
            ),
            device_id: actor.device,
            device_name,
        })
    }

    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
        let (actor, _) = self.device()?;
        let _ = self.backend.seen(&actor);
        match self.backend.push(&actor, request) {
            Ok(response) => Ok(response),
            // As over HTTP: the ops answered before storage failed stand.
            Err(BackendError::Partial { partial, .. }) if !partial.results.is_empty() => {
                Ok(partial)
            }
            Err(e) => Err(Self::refused(&e)),
        }
    }

    fn pull(&mut self, since: &Cursor, limit: usize) -> Result<PullResponse, TransportError> {
        let (actor, _) = self.device()?;
        let _ = self.backend.seen(&actor);
        self.backend
            .pull(since, limit.clamp(1, self.max_pull))
            .map_err(|e| Self::refused(&e))
    }

    fn file_range(
        &mut self,
        sha256: &str,
        offset: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<u64, TransportError> {
        self.device()?;
        let stored = self
            .backend
            .file(sha256)
            .map_err(|e| Self::refused(&e))?
            .ok_or_else(|| {
                http(
                    404,
                    "not_found",
                    format!("no file {sha256} on this hub"),
                    None,
                )
            })?;
        if offset > 0 && offset >= stored.len {
            return Err(http(
                416,
                "bad_range",
                format!("the file has {} bytes", stored.len),
                None,
            ));
        }
        let unreadable = |e: std::io::Error| http(503, "unavailable", e.to_string(), None);
        let mut f = std::fs::File::open(&stored.path).map_err(unreadable)?;
        f.seek(SeekFrom::Start(offset)).map_err(unreadable)?;
        std::io::copy(&mut f.take(stored.len - offset), out).map_err(|e| {
            TransportError::Unreachable {
                url: "in-process".into(),
                why: e.to_string(),
            }
        })?;
        Ok(stored.len)
    }

    fn base(&self) -> &str {
        "in-process"
    }

    fn traffic(&self) -> (u64, u64) {
        (0, 0)
    }

    fn skew(&self) -> Option<i64> {
        Some(0)
    }
}

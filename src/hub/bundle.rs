//! The hub's side of a bundle (`civitac hub bundle import FILE --answer
//! FILE`): the ops go through the same push as over HTTP (same roles, same
//! conflict rules, same idempotency by op id), then every change since the
//! replica's cursor is read as pull pages, and both go back in an answer
//! signed for that device. Importing the same bundle again applies nothing
//! (each op is answered `duplicate` with its first outcome).

use crate::protocol::bundle::{self, AnswerHead, BundleError, Kind, OpsBody};
use crate::protocol::{Cursor, PROTOCOL_VERSION, PushRequest, PushResponse};

use super::backend::{BackendError, HubBackend};

/// Ops per push inside one import: transactions the size of an online
/// sync's largest.
const PUSH_CHUNK: usize = 500;
/// Rows per page of the answer.
const PAGE: usize = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum HubBundleError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(
        "this is an answer from a hub, for a replica: import it there with `civitac bundle import`"
    )]
    NotOps,
    #[error("device {0} is not known to this hub (a bundle for another hub?)")]
    UnknownDevice(String),
    #[error("device \"{name}\" was revoked on {at}: its bundles are refused")]
    Revoked { name: String, at: String },
    #[error("{login} is switched off on this hub: their bundles are refused")]
    Inactive { login: String },
    #[error("{0}")]
    Refused(String),
    #[error(
        "the hub could not finish ({0}); the ops answered so far stand: import the same bundle again"
    )]
    Storage(String),
}

impl From<BackendError> for HubBundleError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::BadRequest(m) => HubBundleError::Refused(m),
            other => HubBundleError::Storage(other.to_string()),
        }
    }
}

/// What an import did, for the operator.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Imported {
    pub device: String,
    pub login: String,
    pub ops: usize,
    pub applied: usize,
    pub duplicate: usize,
    pub conflict: usize,
    pub rejected: usize,
    /// Rows sent back in the answer.
    pub rows: usize,
}

/// Applies an ops bundle; returns the answer's bytes and what was done.
pub fn import(
    backend: &dyn HubBackend,
    bytes: &[u8],
) -> Result<(Vec<u8>, Imported), HubBundleError> {
    let unopened = bundle::read_header(bytes)?;
    if unopened.header.kind != Kind::Ops {
        return Err(HubBundleError::NotOps);
    }
    let request_id = unopened.header.id.clone();
    let device_id = unopened.header.device.clone();
    let device = backend
        .device(&device_id)?
        .ok_or_else(|| HubBundleError::UnknownDevice(crate::text::inline(&device_id)))?;
    // The signature first: a forged bundle learns nothing of the device;
    // then whether it may speak; only then its body is unpacked.
    let mut lines = unopened.open_lines(&device.key)?;
    if let Some(at) = device.revoked_at {
        return Err(HubBundleError::Revoked {
            name: device.device_name,
            at,
        });
    }
    if !device.staff_active {
        return Err(HubBundleError::Inactive {
            login: device.actor.login,
        });
    }
    let body: OpsBody = lines
        .read()?
        .ok_or_else(|| BundleError::Body("empty".into()))?;
    if body.push.v != PROTOCOL_VERSION {
        return Err(HubBundleError::Refused(format!(
            "protocol version {} is not supported (this hub speaks {PROTOCOL_VERSION})",
            body.push.v
        )));
    }
    let actor = device.actor;
    let mut done = Imported {
        device: device.device_name,
        login: actor.login.clone(),
        ops: body.push.ops.len(),
        ..Imported::default()
    };
    let mut answered = PushResponse {
        v: PROTOCOL_VERSION,
        results: Vec::with_capacity(body.push.ops.len()),
        epoch: None,
        at: None,
    };
    for chunk in body.push.ops.chunks(PUSH_CHUNK) {
        let response = backend.push(
            &actor,
            &PushRequest {
                v: PROTOCOL_VERSION,
                ops: chunk.to_vec(),
            },
        )?;
        if response.results.len() < chunk.len() {
            return Err(HubBundleError::Storage(format!(
                "answered {} of {} ops",
                response.results.len(),
                chunk.len()
            )));
        }
        answered.results.extend(response.results);
        answered.epoch = response.epoch;
        answered.at = response.at;
    }
    for r in &answered.results {
        use crate::protocol::Outcome;
        match r.outcome {
            Outcome::Applied => done.applied += 1,
            Outcome::Duplicate => done.duplicate += 1,
            Outcome::Conflict => done.conflict += 1,
            Outcome::Rejected => done.rejected += 1,
        }
    }
    let _ = backend.seen(&actor);

    // Every change since the replica's cursor. A cursor from before the hub
    // was restored means nothing now: a fresh snapshot, as online. Each
    // page goes into the answer as it is read (one in memory at a time).
    let asked = bundle::cursor(&body.cursor)?;
    let mut first = backend.pull(&asked, PAGE)?;
    let mut since = asked;
    if since != Cursor::Start
        && body.epoch.is_some()
        && first.epoch.is_some()
        && first.epoch != body.epoch
    {
        since = Cursor::Start;
        first = backend.pull(&since, PAGE)?;
    }
    if answered.epoch.is_none() {
        answered.epoch = first.epoch.clone();
    }
    let mut answer =
        bundle::Sealer::new(Kind::Answer, &device_id, &uuid::Uuid::now_v7().to_string())?;
    answer.line(&AnswerHead {
        answers: request_id,
        since: since.to_string(),
        asked_epoch: body.epoch.clone(),
        push: answered,
    })?;
    let mut page = first;
    loop {
        done.rows += page.rows.len();
        answer.line(&page)?;
        if !page.more {
            break;
        }
        page = backend.pull(&page.next, PAGE)?;
    }
    let bytes = answer.finish(&device.key)?;
    Ok((bytes, done))
}

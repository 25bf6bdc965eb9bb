//! Wire types of the sync protocol (DESIGN §5) and nothing else: what a
//! replica pushes and what the hub answers, the pull cursor, how a file is
//! named. Versioned, so the format can evolve while old replicas are still in
//! the field. Both the hub and the replica import this; it imports neither.

pub mod bundle;
pub mod cursor;
pub mod files;
pub mod remote;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use cursor::{BadCursor, Cursor};

use crate::ops::Envelope;

/// 2: pushed ops name their author; pulled rows carry platform ids.
pub const PROTOCOL_VERSION: u32 = 2;

/// One op as it leaves a replica's outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushedOp {
    pub op_id: String,
    /// The device's contiguous outbox sequence number.
    pub seq: i64,
    /// When its author made the decision (device clock; informative only).
    pub created_at: String,
    /// The login of the staff member who made it (the replica's audit log).
    /// The hub rejects an op whose author is not the token's staff member.
    pub author: String,
    pub op: Envelope,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub v: u32,
    pub ops: Vec<PushedOp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Applied now.
    Applied,
    /// Known already (a retried push) or the same decision someone already took.
    Duplicate,
    /// The record changed since its author looked: the hub kept the first decision.
    Conflict,
    /// Refused for good (role, illegal transition, bad input); never blocks later ops.
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Conflict => "conflict",
            Outcome::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [
            Outcome::Applied,
            Outcome::Duplicate,
            Outcome::Conflict,
            Outcome::Rejected,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a conflict: the record as the hub has it now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theirs: Option<serde_json::Value>,
    /// For an op received before (`duplicate`): what it was answered then,
    /// so a replica sending it again keeps the first answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<Outcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub v: u32,
    pub results: Vec<OpResult>,
    /// The hub's epoch (see `PullResponse::epoch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// The hub's clock once these answers were committed: an op answered
    /// before the hub's last backup began is inside that backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledRow {
    pub entity: String,
    /// The key, its parts joined by '/' for composite keys.
    pub id: String,
    /// The row as the hub has it now (`None`: it no longer exists).
    pub row: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub v: u32,
    pub rows: Vec<PulledRow>,
    /// The cursor to send next time.
    pub next: Cursor,
    pub more: bool,
    /// While a snapshot is sent: how far it is, for a progress bar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotProgress>,
    /// The feed's last position when the page was read: how far the
    /// replica still has to go (a progress bar, the time left).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<i64>,
    /// The hub's epoch: it changes when the hub is restored from a backup,
    /// and then cursors and answers from before mean nothing any more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// When the hub's last verified backup began (hub clock): ops it
    /// answered before then are safe in it, and replicas may let them go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backed_up_until: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SnapshotProgress {
    pub table: usize,
    pub tables: usize,
    /// Rows in the whole snapshot, sent with its first page (for the time
    /// left; a fill resumed in a later sync goes by tables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("protocol version {0} is not supported (this replica speaks {PROTOCOL_VERSION})")]
    Version(u32),
    #[error("unknown record kind \"{0}\"")]
    Entity(String),
    #[error(transparent)]
    Cursor(#[from] BadCursor),
    #[error(
        "the replica moved to {found} while this was applied from {expected} (a sync at the same time?): nothing more was applied; import again"
    )]
    Moved { expected: String, found: String },
    #[error(transparent)]
    Db(#[from] crate::store::sql::DbError),
}

impl From<rusqlite::Error> for PullError {
    fn from(e: rusqlite::Error) -> Self {
        PullError::Db(e.into())
    }
}

/// Who the hub says a token belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhoAmI {
    pub staff_id: String,
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub device_id: String,
    pub device_name: String,
    /// The key this device signs bundles with (a sync on a USB stick);
    /// none from a hub older than bundles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_key: Option<String>,
}

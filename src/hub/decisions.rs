//! The decision feed: what the public platform must enforce, in the order
//! the hub took the decisions, each once. It is read from the hub's audit
//! log (its rowid is the cursor: rows are only ever appended), and a decision
//! is named by the state it left (a post hidden, an organisation enrolled…),
//! so an undo reads as what it restored ("post.restored"). Decisions that
//! change nothing the platform shows (a contact recorded, flags dismissed, an
//! SMS contact) and conflicts the hub refused are passed over, but the cursor
//! moves past them. Each decision carries the platform's own id for the
//! record, the staff role that took it — never the person's name — and the
//! reason to show.

use crate::store::sql::{DbError, Optional, Sql};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::entity::Entity;

/// What the platform is told, for one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Stable: the op's id. The platform applies a decision once by it.
    pub id: String,
    /// Its place in the feed: ask for decisions after it.
    pub seq: i64,
    /// When it was decided (RFC 3339): the author's time, as the hub kept it
    /// (never in the hub's future). The feed's order is `seq`, not this.
    pub at: String,
    /// `post.hidden`, `post.removed`, `post.restored`, `citizen.muted`,
    /// `citizen.banned`, `citizen.reinstated`, `thread.locked`,
    /// `thread.unlocked`, `organization.enrolled`, `organization.suspended`,
    /// `organization.reinstated`, `organization.rejected`, `upload.approved`,
    /// `upload.rejected`, `upload.changes_requested`, `sms.approved`,
    /// `sms.cancelled`.
    pub kind: String,
    /// The kind of record (`forum_post`, `citizen`, …).
    pub entity: String,
    /// The hub's id of the record.
    pub entity_id: String,
    /// The platform's own id of the record, when the platform sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<String>,
    /// The reason to show (to the author, or the organisation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A muted citizen's end of silence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The role that decided, as the hub knows the person now: `moderator`,
    /// `admin`, … or `system` (the hub itself: auto-hide, a STOP by SMS).
    pub by: String,
    /// The person's name, only when the hub is set to say it (`hub settings
    /// --feed-staff-names true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_name: Option<String>,
    /// What the person the decision affects is told, in French and English
    /// (from the team's templates); absent when it affects no one person, or
    /// when the moderator chose not to notify (then `notify` is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<crate::store::notices::Notice>,
    /// False when the moderator chose not to notify the person.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub notify: bool,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

/// The hub setting that puts staff names in the feed.
pub const STAFF_NAMES_SETTING: &str = "feed_staff_names";

/// One page of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub v: u32,
    pub decisions: Vec<Decision>,
    /// The cursor for the next page (the last entry read, shown or not).
    pub next: i64,
    pub more: bool,
    /// The hub's epoch. It changes when the hub is restored from a backup:
    /// positions from before mean nothing then, and the platform reads the
    /// feed again from 0, applying each decision once by its `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
}

/// A position after the end of the feed: a cursor from another hub, or from
/// before a restore.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(
        "since {since} is past the end of the feed ({end}); read again from 0 (the hub may have been restored)"
    )]
    PastEnd { since: i64, end: i64 },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for FeedError {
    fn from(e: rusqlite::Error) -> Self {
        FeedError::Db(e.into())
    }
}

/// Every kind of decision the feed carries.
pub const KINDS: &[&str] = &[
    "post.hidden",
    "post.removed",
    "post.restored",
    "citizen.muted",
    "citizen.banned",
    "citizen.reinstated",
    "thread.locked",
    "thread.unlocked",
    "organization.enrolled",
    "organization.suspended",
    "organization.reinstated",
    "organization.rejected",
    "upload.approved",
    "upload.rejected",
    "upload.changes_requested",
    "sms.approved",
    "sms.cancelled",
];

/// Feed version: bump when a field changes meaning.
pub const FEED_VERSION: u32 = 1;

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn flag(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    }
}

/// What a change means to the platform, from the record's state before and
/// after; `None` when it changes nothing the platform shows.
pub fn kind_of(entity: &str, before: &Value, after: &Value) -> Option<&'static str> {
    let was = text(before, "status");
    let now = text(after, "status");
    // Threads have no status: their change is the lock, below.
    if now.is_some() && now == was {
        return None;
    }
    Some(match (entity, now) {
        ("forum_post", Some("hidden")) => "post.hidden",
        ("forum_post", Some("removed")) => "post.removed",
        ("forum_post", Some("visible")) => "post.restored",
        ("citizen", Some("muted")) => "citizen.muted",
        ("citizen", Some("banned")) => "citizen.banned",
        ("citizen", Some("active")) => "citizen.reinstated",
        ("organization", Some("enrolled")) if was == Some("suspended") => "organization.reinstated",
        ("organization", Some("enrolled")) => "organization.enrolled",
        ("organization", Some("suspended")) => "organization.suspended",
        ("organization", Some("rejected")) => "organization.rejected",
        ("upload", Some("approved")) => "upload.approved",
        ("upload", Some("rejected")) => "upload.rejected",
        ("upload", Some("changes_requested")) => "upload.changes_requested",
        ("sms_message", Some("approved")) => "sms.approved",
        ("sms_message", Some("cancelled")) => "sms.cancelled",
        ("forum_thread", _) => match (flag(before, "locked"), flag(after, "locked")) {
            (b, Some(true)) if b != Some(true) => "thread.locked",
            (b, Some(false)) if b != Some(false) => "thread.unlocked",
            _ => return None,
        },
        _ => return None,
    })
}

/// The platform's id of a record, if it has one.
fn platform_id(conn: &dyn Sql, entity: &str, id: &str) -> Result<Option<String>, DbError> {
    let Some(e) = Entity::parse(entity).filter(|e| e.from_platform()) else {
        return Ok(None);
    };
    Ok(conn
        .prepare_cached(&format!(
            "SELECT platform_id FROM {} WHERE id = ?1",
            e.table()
        ))?
        .query_row([id], |r| r.get::<Option<String>>(0))
        .optional()?
        .flatten())
}

/// The platform `reader` read the feed from `since`: it has applied
/// everything up to there. Kept per platform token (positions only grow).
pub fn acknowledge(conn: &dyn Sql, reader: &str, since: i64) -> Result<(), DbError> {
    conn.prepare_cached(
        "UPDATE platform_tokens SET acknowledged = ?2, acknowledged_at = ?3
         WHERE name = ?1 AND revoked_at IS NULL AND acknowledged < ?2",
    )?
    .execute(rusqlite::params![reader, since, crate::time::now()])?;
    Ok(())
}

/// Each platform reading the feed: its name, the position it acknowledged
/// and when.
pub fn readers(conn: &dyn Sql) -> Result<Vec<(String, i64, Option<String>)>, DbError> {
    conn.query_map(
        "SELECT name, acknowledged, acknowledged_at FROM platform_tokens
             WHERE revoked_at IS NULL ORDER BY name",
        (),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?
    .collect::<Result<_, DbError>>()
}

/// One audit-log entry, as the feed reads it.
struct Entry {
    seq: i64,
    id: String,
    at: String,
    /// The deciding role (`system`: the hub itself).
    role: String,
    name: Option<String>,
    entity: String,
    entity_id: String,
    reason: Option<String>,
    detail: String,
}

/// Decisions after `since`, at most `limit` of them.
pub fn since(conn: &dyn Sql, since: i64, limit: usize) -> Result<Page, FeedError> {
    let end: i64 = conn.query_row("SELECT COALESCE(max(rowid), 0) FROM audit_log", (), |r| {
        r.get(0)
    })?;
    if since > end {
        return Err(FeedError::PastEnd { since, end });
    }
    let epoch = crate::store::sql::state(conn, "epoch")?;
    let names = crate::store::sql::state(conn, STAFF_NAMES_SETTING)?.as_deref() == Some("true");
    let limit = limit.clamp(1, 5_000);
    // Read a little past the page: entries that mean nothing to the
    // platform are skipped without costing the caller a round trip.
    let scan = limit.saturating_mul(4).max(100);
    let mut stmt = conn.prepare_cached(
        "SELECT a.rowid, a.id, a.at,
                CASE WHEN a.actor = ?3 THEN 'system' ELSE COALESCE(s.role, 'unknown') END,
                s.display_name, a.entity, a.entity_id, a.reason, a.detail
         FROM audit_log a LEFT JOIN staff s ON s.login = a.actor
         WHERE a.rowid > ?1 ORDER BY a.rowid LIMIT ?2",
    )?;
    let rows: Vec<Entry> = stmt
        .query_map(
            rusqlite::params![since, scan as i64, super::ingest::SYSTEM_LOGIN],
            |r| {
                Ok(Entry {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    at: r.get(2)?,
                    role: r.get(3)?,
                    name: r.get(4)?,
                    entity: r.get(5)?,
                    entity_id: r.get(6)?,
                    reason: r.get(7)?,
                    detail: r.get(8)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    let scanned_all = rows.len() < scan;
    let mut decisions = Vec::new();
    let mut next = since;
    for Entry {
        seq,
        id,
        at,
        role,
        name,
        entity,
        entity_id,
        reason,
        detail,
    } in rows
    {
        if decisions.len() == limit {
            return Ok(Page {
                v: FEED_VERSION,
                decisions,
                next,
                more: true,
                epoch,
            });
        }
        next = seq;
        let detail: Value = serde_json::from_str(&detail).unwrap_or(Value::Null);
        let (Some(before), Some(after)) = (detail.get("before"), detail.get("after")) else {
            continue;
        };
        let Some(kind) = kind_of(&entity, before, after) else {
            continue;
        };
        let until = (kind == "citizen.muted")
            .then(|| text(after, "muted_until").map(str::to_owned))
            .flatten();
        let notify = detail.get("notify") != Some(&Value::Bool(false));
        let notice = if notify {
            crate::store::notices::notice(
                conn,
                kind,
                &entity,
                &entity_id,
                reason.as_deref(),
                until.as_deref(),
            )?
        } else {
            None
        };
        decisions.push(Decision {
            id,
            seq,
            at,
            kind: kind.to_owned(),
            platform_id: platform_id(conn, &entity, &entity_id)?,
            entity,
            entity_id,
            reason,
            until,
            by_name: if names && role != "system" {
                name
            } else {
                None
            },
            by: role,
            notice,
            notify,
        });
    }
    Ok(Page {
        v: FEED_VERSION,
        decisions,
        next,
        more: !scanned_all,
        epoch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_decision_is_named_by_the_state_it_left() {
        let k = |e, b: Value, a: Value| kind_of(e, &b, &a);
        assert_eq!(
            k(
                "forum_post",
                json!({"status": "visible"}),
                json!({"status": "hidden"})
            ),
            Some("post.hidden")
        );
        // An undo of a hide restores: the platform shows the post again.
        assert_eq!(
            k(
                "forum_post",
                json!({"status": "hidden"}),
                json!({"status": "visible", "undone": "x"})
            ),
            Some("post.restored")
        );
        // Flags dismissed: nothing the platform shows changed.
        assert_eq!(
            k(
                "forum_post",
                json!({"status": "visible", "flag_count": 3}),
                json!({"status": "visible", "flag_count": 0})
            ),
            None
        );
        assert_eq!(
            k(
                "organization",
                json!({"status": "suspended"}),
                json!({"status": "enrolled"})
            ),
            Some("organization.reinstated")
        );
        assert_eq!(
            k(
                "organization",
                json!({"status": "charter_received"}),
                json!({"status": "contacted"})
            ),
            None
        );
        assert_eq!(
            k(
                "forum_thread",
                json!({"locked": 0}),
                json!({"locked": true})
            ),
            Some("thread.locked")
        );
        assert_eq!(
            k("forum_thread", json!({"locked": 1}), json!({"locked": 1})),
            None
        );
        assert_eq!(
            k(
                "sms_contact",
                json!({}),
                json!({"opted_out_at": "2026-01-01T00:00:00Z"})
            ),
            None
        );
    }
}

//! The replica's side of a push, without the transport: which outbox ops go
//! next (in `seq` order, never found by timestamp), and what the hub's answer
//! does to the outbox and the `conflicts` table. Decisions are pure reads and
//! writes of the replica; sending is the transport's job.

use rusqlite::{Connection, params};

use crate::ops::Envelope;
use crate::protocol::{Outcome, PROTOCOL_VERSION, PushRequest, PushResponse, PushedOp};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("outbox op {op_id}: {why}")]
    BadOutbox { op_id: String, why: String },
    #[error("the hub answered op {0}, which this replica did not send")]
    Unknown(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The next ops to push: the oldest not yet acknowledged, at most `limit`
/// (and a waiting undo of one of them).
pub fn next_batch(conn: &Connection, limit: usize) -> Result<PushRequest, ClientError> {
    // Each op goes with the author its audit row names, never with whoever
    // holds the token now: the hub refuses a mismatch.
    //
    // The batch is the first `limit` waiting ops, stretched to take a waiting
    // undo of any of them: the hub refuses an undo that comes long after its
    // op, and a cut between two small requests, then a sync the next day,
    // would keep a decision its author undid. The undo is found through the
    // audit log (an undo's row names the record its op changed), so only the
    // batch's own ops are looked at, never the whole outbox. (An undo cannot
    // itself be undone: one step is enough.) The joins run in the order
    // written (`CROSS JOIN`): left to itself, SQLite starts from the waiting
    // ops after the batch and reads each one's JSON, the whole outbox at
    // every request.
    let bound: Option<i64> = conn
        .prepare_cached(
            "SELECT max(seq) FROM (SELECT seq FROM outbox WHERE pushed_at IS NULL ORDER BY seq LIMIT ?1)",
        )?
        .query_row([limit as i64], |r| r.get(0))?;
    let bound: i64 = match bound {
        Some(bound) => conn
            .prepare_cached(
                "SELECT coalesce(max(x.seq), ?1) FROM outbox b
                 CROSS JOIN audit_log ab ON ab.id = b.op_id
                 CROSS JOIN audit_log au ON au.entity = ab.entity AND au.entity_id = ab.entity_id
                                        AND au.action = 'undo'
                 CROSS JOIN outbox x ON x.op_id = au.id
                 WHERE b.pushed_at IS NULL AND b.seq <= ?1
                   AND x.pushed_at IS NULL AND x.seq > ?1
                   AND json_extract(x.op, '$.op_id') = b.op_id",
            )?
            .query_row([bound], |r| r.get(0))?,
        None => 0,
    };
    let rows: Vec<(String, i64, String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT x.op_id, x.seq, x.created_at, x.op, a.actor FROM outbox x
             LEFT JOIN audit_log a ON a.id = x.op_id
             WHERE x.pushed_at IS NULL AND x.seq <= ?1 ORDER BY x.seq",
        )?
        .query_map([bound], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut ops = Vec::with_capacity(rows.len());
    for (op_id, seq, created_at, body, author) in rows {
        let author = author.ok_or_else(|| ClientError::BadOutbox {
            op_id: op_id.clone(),
            why: "no audit entry names its author".into(),
        })?;
        let op: Envelope = serde_json::from_str(&body).map_err(|e| ClientError::BadOutbox {
            op_id: op_id.clone(),
            why: e.to_string(),
        })?;
        ops.push(PushedOp {
            op_id,
            seq,
            created_at,
            author,
            op,
        });
    }
    Ok(PushRequest {
        v: PROTOCOL_VERSION,
        ops,
    })
}

/// Accepts the hub's version for these conflicts (by op id): the record
/// already shows the hub's state, so only the conflict is closed. Returns how
/// many were open.
pub fn accept_theirs(conn: &Connection, op_ids: &[String]) -> rusqlite::Result<usize> {
    let now = crate::time::now();
    let mut stmt = conn.prepare_cached(
        "UPDATE conflicts SET resolved_at = ?2 WHERE op_id = ?1 AND resolved_at IS NULL",
    )?;
    let mut n = 0;
    for id in op_ids {
        n += stmt.execute(params![id, now])?;
    }
    Ok(n)
}

/// What an answer changed on the replica.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recorded {
    pub applied: usize,
    pub duplicate: usize,
    pub conflict: usize,
    pub rejected: usize,
}

/// Records the hub's answer in one transaction: each op is marked pushed with
/// its outcome; a conflict is kept with both sides for the Synchro screen.
pub fn record(conn: &mut Connection, response: &PushResponse) -> Result<Recorded, ClientError> {
    let tx = conn.transaction()?;
    let now = crate::time::now();
    let mut out = Recorded::default();
    for r in &response.results {
        // An op sent again (after a lost answer, a hub restored from a backup)
        // keeps the answer it first had: a conflict stays a conflict.
        let stored = r.first.unwrap_or(r.outcome);
        let updated = tx
            .prepare_cached(
                "UPDATE outbox SET pushed_at = ?2, outcome = ?3, reason = ?4, answered_at = ?5 WHERE op_id = ?1",
            )?
            .execute(params![r.op_id, now, stored.as_str(), r.reason, response.at])?;
        if updated == 0 {
            return Err(ClientError::Unknown(r.op_id.clone()));
        }
        match r.outcome {
            Outcome::Applied => out.applied += 1,
            Outcome::Duplicate => out.duplicate += 1,
            Outcome::Rejected => out.rejected += 1,
            Outcome::Conflict => out.conflict += 1,
        }
        // A conflict is kept for the Synchro screen, also when it comes
        // back as a duplicate of one (its first answer lost on the way).
        if stored == Outcome::Conflict {
            let body: String = tx
                .prepare_cached("SELECT op FROM outbox WHERE op_id = ?1")?
                .query_row([&r.op_id], |x| x.get(0))?;
            let envelope: Envelope =
                serde_json::from_str(&body).map_err(|e| ClientError::BadOutbox {
                    op_id: r.op_id.clone(),
                    why: e.to_string(),
                })?;
            let (entity, id) = envelope.op.target().unwrap_or(("", ""));
            let theirs = r.theirs.clone().unwrap_or(serde_json::Value::Null);
            tx.prepare_cached(
                "INSERT INTO conflicts (op_id, entity, entity_id, mine, theirs, detected_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (op_id) DO NOTHING",
            )?
            .execute(params![r.op_id, entity, id, body, theirs.to_string(), now])?;
        }
    }
    tx.commit()?;
    Ok(out)
}

//! The hub's side of a push, without the transport: each pushed op is applied
//! once (by `op_id`, whatever happens to the response on the way back) through
//! the same `ops::apply` replicas use, with the pusher's role, and answered
//! `applied`, `duplicate`, `conflict` or `rejected`. Conflicts keep the first
//! decision and record both; the same decision twice merges silently. A
//! database failure stops the batch (the replica retries later); a refusal
//! never blocks the ops behind it.

use rusqlite::{Connection, params};
use serde_json::json;

use crate::ops::{self, OpError, OpMeta};
use crate::protocol::{OpResult, Outcome, PROTOCOL_VERSION, PushRequest, PushResponse};
use crate::store::Actor;
use crate::store::sql::{DbError, Optional, Savepoint, Sql};

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("protocol version {0} is not supported (this hub speaks {PROTOCOL_VERSION})")]
    Version(u32),
    #[error("temporary failure after {done} op(s): {source}")]
    Temporary {
        done: usize,
        source: DbError,
        partial: Box<PushResponse>,
    },
}

/// Applies a replica's batch; `actor` is who the device token speaks for.
pub fn apply_push(
    conn: &mut Connection,
    actor: &Actor,
    request: &PushRequest,
) -> Result<PushResponse, PushError> {
    if request.v != PROTOCOL_VERSION {
        return Err(PushError::Version(request.v));
    }
    // The batch commits once (one fsync, not one per op), and nothing is
    // answered before the commit. An op's effect and its `applied_ops` row
    // stand or fall together: the batch first runs without a savepoint per
    // op (each costs a copy of every page the op touches), and runs again
    // with them, from the start, only if an op fails after writing.
    let mut guard = Guard::Watched;
    let (results, failure) = loop {
        let tx = conn.transaction().map_err(|source| PushError::Temporary {
            done: 0,
            source: source.into(),
            partial: Box::new(PushResponse {
                v: PROTOCOL_VERSION,
                results: Vec::new(),
                epoch: None,
                at: None,
            }),
        })?;
        let (mut results, mut failure) = match run(&tx, actor, request, guard) {
            Ok(done) => done,
            Err(Unguarded) => {
                // Nothing of this run stands; a rollback that fails leaves
                // the transaction to the connection's next `BEGIN` to refuse.
                if let Err(e) = tx.rollback() {
                    break (Vec::new(), Some(e.into()));
                }
                guard = Guard::Savepoints;
                continue;
            }
        };
        if let Err(e) = tx.commit() {
            results.clear();
            failure = Some(e.into());
        }
        break (results, failure);
    };
    let epoch = crate::store::state(conn, "epoch").ok().flatten();
    answer(results, failure, epoch)
}

/// The ops of a batch applied in `tx`, which the caller commits (answering
/// nothing if that fails): the results so far, and the storage failure that
/// stopped the batch, if one did. Each op runs in a savepoint of its own.
/// Both databases run exactly this (SQLite tries `Guard::Watched` first).
pub fn push_in(
    tx: &dyn Sql,
    actor: &Actor,
    request: &PushRequest,
) -> (Vec<OpResult>, Option<DbError>) {
    match run(tx, actor, request, Guard::Savepoints) {
        Ok(done) => done,
        // Only a watched run stops this way; said as a failure if it ever did.
        Err(Unguarded) => (
            Vec::new(),
            Some(DbError::Other("an op failed after writing".into())),
        ),
    }
}

/// How a batch keeps a failed op's writes out of what it commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// Each op in a savepoint, undone if the op is refused or fails.
    Savepoints,
    /// No savepoints; the database's count of rows written is read around
    /// each op instead. An op refused or failing after writing stops the
    /// run with `Unguarded`: the caller rolls back and runs the batch again
    /// with savepoints. Needs `Sql::rows_written` (SQLite).
    Watched,
}

/// A watched run met an op that failed after writing: roll it all back.
#[derive(Debug)]
struct Unguarded;

/// Why an op stopped its batch.
enum Stop {
    Db(DbError),
    Unguarded,
}

impl From<DbError> for Stop {
    fn from(e: DbError) -> Stop {
        Stop::Db(e)
    }
}

/// One op's guard: its savepoint, or the count of rows written when it began.
enum OpGuard<'c> {
    Savepoint(Savepoint<'c>),
    Watch(&'c dyn Sql, u64),
}

impl<'c> OpGuard<'c> {
    fn begin(conn: &'c dyn Sql, guard: Guard) -> Result<OpGuard<'c>, DbError> {
        Ok(match (guard, conn.rows_written()) {
            (Guard::Watched, Some(n)) => OpGuard::Watch(conn, n),
            _ => OpGuard::Savepoint(Savepoint::begin(conn, "op")?),
        })
    }

    /// Whether the op has written anything since it began (always, for a
    /// savepoint: it is undone anyway).
    fn wrote(&self) -> bool {
        match self {
            OpGuard::Savepoint(_) => true,
            OpGuard::Watch(conn, at) => conn.rows_written() != Some(*at),
        }
    }

    /// Undoes what the op wrote: a savepoint rolls back; a watched op that
    /// wrote stops the run.
    fn undo(&self) -> Result<(), Stop> {
        match self {
            OpGuard::Savepoint(sp) => Ok(sp.undo()?),
            OpGuard::Watch(conn, _) => {
                still_open(*conn)?;
                if self.wrote() {
                    return Err(Stop::Unguarded);
                }
                Ok(())
            }
        }
    }

    fn release(self) -> Result<(), DbError> {
        match self {
            OpGuard::Savepoint(sp) => sp.release(),
            OpGuard::Watch(conn, _) => still_open(conn),
        }
    }
}

/// A watched op's writes count only inside the batch's transaction: SQLite
/// ends it by itself on some failures (an I/O error, no memory), and a
/// write after that would commit on its own, outside the batch. (A
/// savepoint's rollback then fails, which says the same.)
fn still_open(conn: &dyn Sql) -> Result<(), DbError> {
    if conn.in_transaction() {
        Ok(())
    } else {
        Err(DbError::Other(
            "the batch's transaction ended under it (a storage failure)".into(),
        ))
    }
}

fn run(
    tx: &dyn Sql,
    actor: &Actor,
    request: &PushRequest,
    guard: Guard,
) -> Result<(Vec<OpResult>, Option<DbError>), Unguarded> {
    let mut results = Vec::with_capacity(request.ops.len());
    let mut resent = Resent::new();
    let seen = match Seen::read(tx, request) {
        Ok(seen) => seen,
        Err(e) => return Ok((results, Some(e))),
    };
    for pushed in &request.ops {
        let at = tx.rows_written();
        match apply_one(tx, actor, pushed, seen.as_ref(), &mut resent, guard) {
            Ok(r) => results.push(r),
            // A failure after a write leaves a half-applied op: only a
            // savepoint can take it back.
            Err(Stop::Db(_)) if guard == Guard::Watched && tx.rows_written() != at => {
                return Err(Unguarded);
            }
            Err(Stop::Db(e)) => return Ok((results, Some(e))),
            Err(Stop::Unguarded) => return Err(Unguarded),
        }
    }
    Ok((results, None))
}

/// Records a batch has sent again, each once.
type Resent = std::collections::HashSet<(&'static str, String)>;

/// `resend_refused` in a savepoint of its own: a database that refuses the
/// feed row (a constraint) costs the resend, never the batch.
fn resend(conn: &dyn Sql, op: &ops::Op, resent: &mut Resent) -> Result<(), DbError> {
    let sp = Savepoint::begin(conn, "resend")?;
    match resend_refused(conn, op, resent) {
        Ok(()) => sp.release(),
        Err(e) if e.is_constraint() => Ok(()),
        Err(e) => Err(e),
    }
}

/// A refused op's records (`Op::records`; an undo's, from the audit log),
/// sent again through the feed: the replica that made the op changed them
/// on its own, and shows the hub's once it pulls, as DESIGN §5 wants (the
/// hub's state is authoritative). A record a refused op would have added
/// that the hub does not hold (a new contact) reaches replicas as gone, and
/// the replica that made it lets it go; any other id the hub does not hold
/// adds nothing. A post's open flags go with it. Only ids as replicas make
/// them (short, plain), one feed row per record and batch: the feed grows
/// no faster than the refusals the hub remembers.
fn resend_refused(conn: &dyn Sql, op: &ops::Op, resent: &mut Resent) -> Result<(), DbError> {
    use crate::store::entity::Entity;
    // An id as a replica makes one: short, plain text.
    let plain = |id: &str| !id.is_empty() && id.len() <= 80 && crate::text::is_plain(id);
    let records = match op {
        ops::Op::Undo { op_id, .. } if !plain(op_id) => Vec::new(),
        ops::Op::Undo { op_id, .. } => ops::undone_record(conn, op_id)?
            .and_then(|(entity, id)| Entity::parse(&entity).map(|e| (e.name(), id)))
            .into_iter()
            .collect(),
        _ => op.records(),
    };
    let adds = op.created().is_some() || matches!(op, ops::Op::AddContact { .. });
    for (entity, id) in records {
        let Some(e) = Entity::parse(entity) else {
            continue;
        };
        if !plain(&id) {
            continue;
        }
        let Some((filter, parts)) = crate::store::synced::by_key(e, &id) else {
            continue;
        };
        if !resent.insert((e.name(), id.clone())) {
            continue;
        }
        if !adds {
            let args: Vec<&dyn rusqlite::ToSql> =
                parts.iter().map(|p| p as &dyn rusqlite::ToSql).collect();
            let held = conn.first(
                &format!("SELECT 1 FROM {} WHERE {filter}", e.table()),
                &args,
            )?;
            if held.is_none() {
                continue;
            }
        }
        ops::record_change(conn, e.name(), &id)?;
        if e == Entity::ForumPost {
            let flags: Vec<String> = conn
                .query_map(
                    "SELECT id FROM forum_flags WHERE post_id = ?1 AND resolved = 0",
                    [&id],
                    |r| r.get(0),
                )?
                .collect::<Result<_, _>>()?;
            for flag in flags {
                ops::record_change(conn, "forum_flag", &flag)?;
            }
        }
    }
    Ok(())
}

/// The answer to a batch: its results, or the failure that stopped it with
/// the results that stand.
pub fn answer(
    results: Vec<OpResult>,
    failure: Option<DbError>,
    epoch: Option<String>,
) -> Result<PushResponse, PushError> {
    match failure {
        None => Ok(PushResponse {
            v: PROTOCOL_VERSION,
            results,
            epoch,
            at: Some(crate::time::now()),
        }),
        Some(source) => Err(PushError::Temporary {
            done: results.len(),
            source,
            partial: Box::new(PushResponse {
                v: PROTOCOL_VERSION,
                results,
                epoch,
                at: Some(crate::time::now()),
            }),
        }),
    }
}

/// What the hub already holds under a batch's op ids, read in two
/// statements for the whole batch rather than two per op (each a round trip
/// to PostgreSQL).
struct Seen {
    /// `applied_ops`, by op id.
    applied: std::collections::HashMap<String, Known>,
    /// Op ids that name an entry of the journal (`audit_log`).
    journal: std::collections::HashSet<String>,
}

impl Seen {
    /// `None` when two ops of the batch share an id: the second must see
    /// what the first wrote, so each is looked up in its turn. Otherwise
    /// an op only ever writes rows under its own id, and what is read here
    /// stays true until its turn.
    fn read(conn: &dyn Sql, request: &PushRequest) -> Result<Option<Seen>, DbError> {
        let mut ids = std::collections::HashSet::new();
        for op in &request.ops {
            if well_formed(&op.op_id) && !ids.insert(op.op_id.as_str()) {
                return Ok(None);
            }
        }
        let list = serde_json::to_string(&ids.into_iter().collect::<Vec<_>>())
            .map_err(|e| DbError::Other(e.to_string()))?;
        let each = crate::store::sql::each_of(conn, 1);
        let applied = conn
            .query_map(
                &format!(
                    "SELECT a.op_id, {KNOWN} FROM applied_ops a LEFT JOIN devices d ON d.id = a.device
                     WHERE a.op_id IN ({each})"
                ),
                [&list],
                |r| Ok((r.get(0)?, Known::from_row(r, 1)?)),
            )?
            .collect::<Result<_, _>>()?;
        let journal = conn
            .query_map(
                &format!("SELECT id FROM audit_log WHERE id IN ({each})"),
                [&list],
                |r| r.get(0),
            )?
            .collect::<Result<_, _>>()?;
        Ok(Some(Seen { applied, journal }))
    }
}

/// An op the hub already answered: how, from which device, and whose
/// device that is (`None` if the device is gone from the hub).
#[derive(Debug, Clone)]
struct Known {
    outcome: String,
    device: String,
    staff: Option<String>,
}

/// Why a pushed op is not applied: refused for what it says, or the
/// database failing while it was checked (which stops the batch).
type Invalid = super::Refusal;

/// `Known`'s columns, from `applied_ops a LEFT JOIN devices d`.
const KNOWN: &str = "a.outcome, a.device, d.staff_id";

impl Known {
    fn from_row(r: &crate::store::sql::Row, at: usize) -> rusqlite::Result<Known> {
        Ok(Known {
            outcome: r.get(at)?,
            device: r.get(at + 1)?,
            staff: r.get(at + 2)?,
        })
    }

    /// Whether `actor` sent it: from this device, or another of theirs.
    fn theirs(&self, actor: &Actor) -> bool {
        self.device == actor.device || self.staff.as_deref() == Some(actor.staff_id.as_str())
    }
}

/// An op id as the hub takes it: a lowercase UUID.
fn well_formed(id: &str) -> bool {
    id.len() == 36 && uuid::Uuid::parse_str(id).is_ok() && id.to_ascii_lowercase() == id
}

/// One op, guarded (its savepoint, or watched): its effect and its
/// `applied_ops` row commit together, so a retry after a lost response finds
/// it and applies nothing.
fn apply_one(
    conn: &dyn Sql,
    actor: &Actor,
    pushed: &crate::protocol::PushedOp,
    seen: Option<&Seen>,
    resent: &mut Resent,
    guard: Guard,
) -> Result<OpResult, Stop> {
    // An op id that is no UUID is refused before it is looked up (a NUL in
    // it is an error to PostgreSQL, not a miss).
    let id = &pushed.op_id;
    if !well_formed(id) {
        return Ok(OpResult {
            op_id: crate::text::truncate(&crate::text::inline(id), 64),
            outcome: Outcome::Rejected,
            reason: Some(format!(
                "op_id: \"{}\" is not a lowercase UUID",
                crate::text::truncate(&crate::text::inline(id), 40)
            )),
            theirs: None,
            first: None,
        });
    }
    let tx = OpGuard::begin(conn, guard)?;
    let known: Option<Known> = match seen {
        Some(seen) => seen.applied.get(id).cloned(),
        None => conn
            .prepare_cached(&format!(
                "SELECT {KNOWN} FROM applied_ops a LEFT JOIN devices d ON d.id = a.device
                 WHERE a.op_id = ?1"
            ))?
            .query_row([&pushed.op_id], |r| Known::from_row(r, 0))
            .optional()?,
    };
    if let Some(known) = known {
        // The same person's op from another of their devices is theirs: a
        // replica given a new token (a bundle's answer lost on the way, a
        // token renewed) sends again what the hub already has, and learns
        // how it was first answered rather than "refused".
        if !known.theirs(actor) {
            // Another person's op id: never answered as this one's.
            return Ok(OpResult {
                op_id: pushed.op_id.clone(),
                outcome: Outcome::Rejected,
                reason: Some("op_id: already used by another device's op".into()),
                theirs: None,
                first: None,
            });
        }
        let first = Outcome::parse(&known.outcome);
        // A conflict answered again carries the record as it then stood,
        // so the replica keeps it for its Synchro screen even if the first
        // answer never arrived.
        let theirs = match first {
            Some(Outcome::Conflict) => conflict_theirs(conn, id)?,
            _ => None,
        };
        return Ok(OpResult {
            op_id: pushed.op_id.clone(),
            outcome: Outcome::Duplicate,
            reason: Some(format!("already received ({})", known.outcome)),
            theirs,
            first,
        });
    }
    // Every field checked at the edge: a bad op is refused with its reason,
    // never applied half-understood, never a 503 that wedges the batch.
    if let Err(invalid) = validate(conn, actor, pushed, seen) {
        let why = match invalid {
            Invalid::Refused(why) => why,
            Invalid::Storage(e) => return Err(e.into()),
        };
        let result = OpResult {
            op_id: crate::text::truncate(&crate::text::inline(&pushed.op_id), 64),
            outcome: Outcome::Rejected,
            reason: Some(why),
            theirs: None,
            first: None,
        };
        // Remembered: its id is well formed (a garbage one was refused
        // above, before any lookup, and is refused again if sent again).
        // Nothing was written; a lookup the database refused (PostgreSQL
        // then refuses every statement) is undone with it.
        tx.undo()?;
        // Its record goes back into the feed: a refusal that is remembered
        // (one that is not can be sent again and again) sends it once.
        resend(conn, &pushed.op.op, resent)?;
        record_applied(conn, actor, pushed, result.outcome)?;
        tx.release()?;
        return Ok(result);
    }
    let op = &pushed.op.op;
    // Decided by one person, pushed with another's token: never filed under
    // the token's name (two staff sharing a laptop, a tampered client).
    // Not remembered: sent again with the right token, the op still applies.
    if pushed.author != actor.login {
        return Ok(OpResult {
            op_id: pushed.op_id.clone(),
            outcome: Outcome::Rejected,
            reason: Some(format!(
                "decided by {}, pushed with the token of {}: each person syncs with their own token",
                crate::text::inline(&pushed.author),
                actor.login
            )),
            theirs: None,
            first: None,
        });
    }
    let meta = OpMeta {
        op_id: pushed.op_id.clone(),
        at: decision_time(&pushed.created_at),
        quiet: pushed.op.quiet,
        batch: None,
    };
    // Nothing is written in the op's savepoint before this: a refusal found
    // after a first write (a new contact, then an unknown group) is rolled
    // back to here and leaves nothing.
    let applied = ops::apply_with(conn, actor, op, &meta);
    // (A storage failure, or the batch's transaction gone, stops the batch
    // below; a savepoint is undone as it drops, a watched run rolled back.)
    let storage_failed = applied.as_ref().err().is_some_and(OpError::is_storage);
    if applied.is_err() && !storage_failed {
        tx.undo()?;
    }
    let result = match applied {
        Ok(_) => OpResult {
            op_id: pushed.op_id.clone(),
            outcome: Outcome::Applied,
            reason: None,
            theirs: None,
            first: None,
        },
        // A constraint is about this op (an id that collides, a bad value):
        // refused with its reason, the batch goes on. Anything else is the
        // storage failing, which stops the batch (answered "try later").
        Err(OpError::Db(e)) if e.is_constraint() => OpResult {
            op_id: pushed.op_id.clone(),
            outcome: Outcome::Rejected,
            reason: Some(format!("refused by the database: {e}")),
            theirs: None,
            first: None,
        },
        Err(OpError::Db(e)) => return Err(e.into()),
        Err(e) if e.is_storage() => return Err(Stop::Db(DbError::Other(e.to_string()))),
        Err(refusal) => {
            // Nothing of the op is in `tx`: rolled back above.
            let theirs = match op.target() {
                Some((entity, id)) => ops::snapshot(conn, entity, id).map_err(op_sqlite)?,
                None => None,
            };
            let outcome = judge(op, &refusal, theirs.as_ref());
            if outcome == Outcome::Conflict {
                record_conflict(conn, actor, pushed, theirs.clone())?;
            }
            OpResult {
                op_id: pushed.op_id.clone(),
                outcome,
                reason: Some(match outcome {
                    Outcome::Duplicate => "the same decision was already taken".into(),
                    Outcome::Conflict => {
                        format!("{refusal}; the first decision stands, yours is kept as a conflict")
                    }
                    _ => refusal.to_string(),
                }),
                theirs: (outcome == Outcome::Conflict).then_some(theirs).flatten(),
                first: None,
            }
        }
    };
    if matches!(result.outcome, Outcome::Rejected | Outcome::Conflict) {
        resend(conn, op, resent)?;
    }
    record_applied(conn, actor, pushed, result.outcome)?;
    tx.release()?;
    Ok(result)
}

/// How far ahead of the hub's clock an op's time may be (device clocks drift).
const FUTURE_SLACK_HOURS: i64 = 24;
/// An undo arriving this long after the op it undoes was received is refused:
/// a replica undoes only ops it has not pushed, so both come in one sync.
const UNDO_WINDOW_MINUTES: i64 = 10;

/// Checks every field of a pushed op before anything is applied.
fn validate(
    conn: &dyn Sql,
    actor: &Actor,
    pushed: &crate::protocol::PushedOp,
    seen: Option<&Seen>,
) -> Result<(), Invalid> {
    // The op id's form was checked before it was looked up (`apply_one`).
    let id = &pushed.op_id;
    if pushed.op.v != crate::ops::OP_FORMAT {
        return Err(Invalid::Refused(format!(
            "op format version {} is not known (this hub reads {})",
            pushed.op.v,
            crate::ops::OP_FORMAT
        )));
    }
    if pushed.seq < 1 {
        return Err(Invalid::Refused(format!("seq: {} (from 1)", pushed.seq)));
    }
    if pushed.author.is_empty()
        || pushed.author.len() > 64
        || !crate::text::is_plain(&pushed.author)
    {
        return Err("author: not a login".into());
    }
    // A time that is not one is refused (a tampered client); a plausible
    // format with an implausible value (a dead clock battery) is not the
    // author's fault: the decision keeps the hub's time instead (see
    // `decision_time`), never lost for it.
    pushed.created_at.parse::<jiff::Timestamp>().map_err(|_| {
        format!(
            "created_at: \"{}\" is not an RFC 3339 time",
            crate::text::truncate(&crate::text::inline(&pushed.created_at), 40)
        )
    })?;
    if let Some(reason) = pushed.op.op.reason()
        && reason.chars().count() > crate::ops::MAX_REASON
    {
        return Err(Invalid::Refused(format!(
            "reason: over {} characters",
            crate::ops::MAX_REASON
        )));
    }
    // An op id that already names another entry of the journal.
    let taken: bool = match seen {
        Some(seen) => seen.journal.contains(id),
        None => conn
            .prepare_cached("SELECT 1 FROM audit_log WHERE id = ?1")
            .and_then(|mut s| s.exists([id]))
            .map_err(Invalid::Storage)?,
    };
    if taken {
        return Err("op_id: already names another decision in the hub's journal".into());
    }
    if let crate::ops::Op::Undo { op_id, .. } = &pushed.op.op {
        if !well_formed(op_id) {
            return Err(Invalid::Refused(format!(
                "undo: op_id \"{}\" is not a lowercase UUID",
                crate::text::truncate(&crate::text::inline(op_id), 40)
            )));
        }
        let now = jiff::Timestamp::now();
        let original: Option<(Known, Option<String>)> = conn
            .prepare_cached(&format!(
                "SELECT {KNOWN}, a.received_at FROM applied_ops a LEFT JOIN devices d ON d.id = a.device
                 WHERE a.op_id = ?1"
            ))
            .and_then(|mut s| {
                s.query_row([op_id], |r| Ok((Known::from_row(r, 0)?, r.get(3)?)))
                    .optional()
            })
            .map_err(Invalid::Storage)?;
        let recent = |received: &str| {
            received
                .parse::<jiff::Timestamp>()
                .ok()
                .and_then(|t| {
                    t.checked_add(jiff::SignedDuration::from_mins(UNDO_WINDOW_MINUTES))
                        .ok()
                })
                .is_some_and(|until| until >= now)
        };
        match original {
            // The same person's, from this device or another of theirs
            // (a replica given a new token sends its op and undo again).
            Some((known, Some(received))) if known.theirs(actor) && recent(&received) => {}
            Some(_) => {
                return Err(
                    "undo: the op was already synced (an undo comes with the op it undoes); make a new decision instead"
                        .into(),
                );
            }
            // An op this hub never received cannot be undone here.
            None => {
                return Err(
                    "undo: the hub never received the op it undoes; make a new decision instead"
                        .into(),
                );
            }
        }
    }
    Ok(())
}

/// The time a pushed decision is recorded with: its author's, written the
/// one canonical way, or the hub's own when the device's clock cannot be
/// right (before 2020, or more than a day ahead).
fn decision_time(created_at: &str) -> String {
    let now = jiff::Timestamp::now();
    let Ok(at) = created_at.parse::<jiff::Timestamp>() else {
        return crate::time::format(now);
    };
    let plausible = "2020-01-01T00:00:00Z"
        .parse::<jiff::Timestamp>()
        .is_ok_and(|earliest| at >= earliest)
        && now
            .checked_add(jiff::SignedDuration::from_hours(FUTURE_SLACK_HOURS))
            .is_ok_and(|latest| at <= latest);
    crate::time::format(if plausible { at } else { now })
}

/// The op's outcome, kept so a retry is answered without applying anything.
fn record_applied(
    conn: &dyn Sql,
    actor: &Actor,
    pushed: &crate::protocol::PushedOp,
    outcome: Outcome,
) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO applied_ops (op_id, device, seq, outcome, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute_blind(params![
        pushed.op_id,
        actor.device,
        pushed.seq,
        outcome.as_str(),
        crate::time::now()
    ])?;
    Ok(())
}

/// The conflict rules (ARCHITECTURE.md, "Conflict rules"), in one place: what
/// a refused op becomes, given why `apply` refused it and the record as the
/// hub has it now.
///
/// - Refused for who sent it (role, two-person rule) or for what it says
///   (missing reason, bad field, unknown record): `rejected`, always.
/// - The record already shows what the op would have set: the same decision
///   was taken twice, `duplicate` (merged; nothing changes).
/// - The record moved on since its author looked (`Stale`), or the move is no
///   longer possible from where it is now (`IllegalTransition`, e.g. an
///   approval arriving after a rejection): `conflict`: the first decision
///   stands, both are kept.
pub fn judge(op: &ops::Op, refusal: &OpError, current: Option<&serde_json::Value>) -> Outcome {
    match refusal {
        OpError::Forbidden { .. }
        | OpError::OwnMessage { .. }
        | OpError::ReasonRequired { .. }
        | OpError::Invalid { .. }
        | OpError::Dynamic { .. }
        | OpError::NothingToResend { .. }
        | OpError::OwnAccount { .. }
        | OpError::NoRecipients { .. }
        | OpError::RuleNeverMatches { .. }
        | OpError::UnknownCommune { .. }
        | OpError::Taken { .. }
        | OpError::Archived { .. }
        | OpError::BadLogin { .. }
        | OpError::LooksLikeId { .. }
        // Two people resent the same message: the first resend stands.
        | OpError::AlreadyResent { .. }
        | OpError::Empty { .. }
        | OpError::TooLong { .. }
        | OpError::Unplain { .. }
        | OpError::NotFound { .. }
        | OpError::NoTransaction
        | OpError::Db(_) => Outcome::Rejected,
        OpError::Stale { .. } | OpError::IllegalTransition { .. } => {
            let intended = op.intended();
            let same = match current {
                Some(row) if !intended.is_empty() => intended
                    .iter()
                    .all(|(column, value)| row.get(*column) == Some(value)),
                _ => false,
            };
            if same {
                Outcome::Duplicate
            } else if current.is_some() {
                Outcome::Conflict
            } else {
                Outcome::Rejected
            }
        }
    }
}

fn op_sqlite(e: OpError) -> DbError {
    match e {
        OpError::Db(e) => e,
        other => DbError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(
            std::io::Error::other(other.to_string()),
        ))),
    }
}

/// Both decisions are kept: the standing one in the record, the other here.
/// The hub's record as a conflict found it (`record_conflict`'s journal
/// entry); `None` if there is none to read.
fn conflict_theirs(conn: &dyn Sql, op_id: &str) -> Result<Option<serde_json::Value>, DbError> {
    let detail: Option<String> = conn
        .prepare_cached("SELECT detail FROM audit_log WHERE id = ?1")?
        .query_row([op_id], |r| r.get(0))
        .optional()?;
    Ok(detail
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .and_then(|mut d| d.get_mut("theirs").map(serde_json::Value::take))
        .filter(|t| !t.is_null()))
}

fn record_conflict(
    conn: &dyn Sql,
    actor: &Actor,
    pushed: &crate::protocol::PushedOp,
    theirs: Option<serde_json::Value>,
) -> Result<(), DbError> {
    let (entity, id) = pushed.op.op.target().unwrap_or(("", ""));
    let detail = json!({"mine": pushed.op, "theirs": theirs, "device_time": pushed.created_at});
    conn.prepare_cached(
        "INSERT INTO audit_log (id, at, actor, device, action, entity, entity_id, reason, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
    )?
    .execute_blind(params![
        pushed.op_id,
        crate::time::now(),
        actor.login,
        actor.device,
        format!("{}.conflict", pushed.op.op.action_name()),
        entity,
        id,
        detail.to_string()
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enrollment::{EnrollmentAction, Stage};
    use crate::domain::forum::{PostAction, PostStatus};
    use crate::domain::staff::Role;
    use crate::ops::Op;

    fn stale() -> OpError {
        OpError::Stale {
            entity: "forum_post",
            id: "p".into(),
            seen: "visible".into(),
            current: "hidden".into(),
        }
    }

    #[test]
    fn the_rules_table_holds() {
        let hide = Op::ModeratePost {
            post_id: "p".into(),
            seen_status: PostStatus::Visible,
            action: PostAction::Hide,
            reason: Some("x".into()),
        };
        let remove = Op::ModeratePost {
            post_id: "p".into(),
            seen_status: PostStatus::Visible,
            action: PostAction::Remove,
            reason: Some("x".into()),
        };
        let hidden = json!({"status": "hidden", "flag_count": 0});
        // Same decision twice: merged. A different one: conflict.
        assert_eq!(judge(&hide, &stale(), Some(&hidden)), Outcome::Duplicate);
        assert_eq!(judge(&remove, &stale(), Some(&hidden)), Outcome::Conflict);
        // Flags dismissed twice: the second finds none open, still the same decision.
        let dismiss = Op::DismissFlags {
            post_id: "p".into(),
            seen_status: Some(PostStatus::Hidden),
            seen_flag_count: 2,
            reason: None,
        };
        let none_open = OpError::IllegalTransition {
            entity: "forum_post",
            id: "p".into(),
            action: "dismiss_flags".into(),
            from: "no open flag".into(),
            allowed: "a post with open flags".into(),
        };
        assert_eq!(
            judge(&dismiss, &none_open, Some(&hidden)),
            Outcome::Duplicate
        );
        // "Keep it visible" meeting a post someone else hid: a conflict, not
        // a merge, though no flag is open either way.
        let keep_visible = Op::DismissFlags {
            post_id: "p".into(),
            seen_status: Some(PostStatus::Visible),
            seen_flag_count: 2,
            reason: None,
        };
        assert_eq!(
            judge(&keep_visible, &stale(), Some(&hidden)),
            Outcome::Conflict
        );
        // Restoring what someone else removed meanwhile: a conflict.
        let restore = Op::ModeratePost {
            post_id: "p".into(),
            seen_status: PostStatus::Hidden,
            action: PostAction::Restore,
            reason: None,
        };
        let removed = json!({"status": "removed", "flag_count": 0});
        assert_eq!(judge(&restore, &stale(), Some(&removed)), Outcome::Conflict);
        // Re-deciding an upload someone else reviewed: the same verdict
        // merges, another one conflicts.
        let approve = Op::ReviewUpload {
            upload_id: "u".into(),
            seen_status: crate::domain::uploads::UploadStatus::Pending,
            decision: crate::domain::uploads::ReviewDecision::Approve,
            reason: None,
        };
        let approved = json!({"status": "approved"});
        let rejected_upload = json!({"status": "rejected"});
        assert_eq!(
            judge(&approve, &stale(), Some(&approved)),
            Outcome::Duplicate
        );
        assert_eq!(
            judge(&approve, &stale(), Some(&rejected_upload)),
            Outcome::Conflict
        );
        // An approval arriving after a rejection: conflict, the rejection stands.
        let enrol = Op::SetEnrollmentStatus {
            org_id: "o".into(),
            seen_status: Stage::Contacted,
            action: EnrollmentAction::Enrol,
            reason: None,
            charter: None,
        };
        let rejected = json!({"status": "rejected"});
        assert_eq!(judge(&enrol, &stale(), Some(&rejected)), Outcome::Conflict);
        // Refusals for who sent it are never merged, even if the record agrees.
        let forbidden = OpError::Forbidden {
            role: Role::FieldAgent,
            action: "post.hide".into(),
        };
        assert_eq!(judge(&hide, &forbidden, Some(&hidden)), Outcome::Rejected);
        // A record the hub does not have cannot conflict.
        assert_eq!(judge(&hide, &stale(), None), Outcome::Rejected);
    }

    /// A watched op whose batch's transaction SQLite ended (an I/O error)
    /// stops the batch: nothing after it may write in autocommit.
    #[test]
    fn a_watched_op_outside_its_transaction_stops_the_batch() {
        let mut conn = Connection::open_in_memory().expect("memory");
        conn.execute_batch("CREATE TABLE t (x)").expect("table");
        let alone = OpGuard::begin(&conn, Guard::Watched).expect("guard");
        assert!(matches!(alone.undo(), Err(Stop::Db(_))));
        assert!(alone.release().is_err());
        let tx = conn.transaction().expect("tx");
        let guard = OpGuard::begin(&tx, Guard::Watched).expect("guard");
        assert!(matches!(guard.undo(), Ok(())));
        tx.execute("INSERT INTO t VALUES (1)", []).expect("write");
        assert!(matches!(guard.undo(), Err(Stop::Unguarded)));
        guard.release().expect("in its transaction");
    }
}

//! Ingest: what the public platform sends the hub, one JSON object per line
//! (DESIGN §5): new posts, flags, organisations' applications and uploads.
//! A bad line is reported with its number and skipped; it never costs the
//! good lines around it (each line sits in its own savepoint). Ingesting the
//! same file twice changes nothing the second time. Decisions the hub takes on
//! its own (auto-hiding a post with too many open flags, registering an
//! application) are ops by the system actor, so they reach the audit log.

use std::io::BufRead;

use rusqlite::{Connection, params};

use crate::store::sql::{DbError, Optional, Sql};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::domain::forum::{FlagReason, PostAction, PostStatus};
use crate::domain::staff::Role;
use crate::domain::uploads::{DocumentCategory, UploadKind};
use crate::ops::{self, NewOrganization, Op};
use crate::store::{Actor, platform};

/// Lines are committed in batches of this many, so a huge file neither holds
/// one endless transaction nor pays a commit per line.
const BATCH: usize = 5_000;

/// Open flags at which the hub hides a post pending review.
pub const DEFAULT_AUTO_HIDE: i64 = 3;

/// The actor for decisions the hub takes itself.
/// The login the hub's own decisions are filed under (auto-hide, STOP by
/// SMS); no staff member may have it.
pub const SYSTEM_LOGIN: &str = "system";

/// The reason filed with an automatic hide (French, as the team reads it;
/// the decision feed carries it to the platform).
pub fn auto_hide_reason(open: i64) -> String {
    format!("masqué automatiquement : {open} signalements ouverts, en attente de revue")
}

pub fn system_actor() -> Actor {
    Actor {
        staff_id: SYSTEM_LOGIN.into(),
        login: SYSTEM_LOGIN.into(),
        display_name: "Plateforme Civitac".into(),
        role: Role::Admin,
        device: "hub".into(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Post {
        id: String,
        thread: Thread,
        author: Author,
        body: String,
        created_at: String,
    },
    Flag {
        post_id: String,
        reporter: String,
        reason: FlagReason,
        created_at: String,
    },
    Application {
        org: NewOrganization,
    },
    Upload {
        upload: IncomingUpload,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Thread {
    id: String,
    title: String,
    #[serde(default)]
    category: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Author {
    id: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IncomingUpload {
    id: String,
    org_id: String,
    kind: UploadKind,
    #[serde(default)]
    category: Option<DocumentCategory>,
    title: String,
    #[serde(default)]
    description: Option<String>,
    filename: String,
    mime: String,
    size_bytes: i64,
    sha256: String,
    submitted_at: String,
}

/// What one ingest did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub posts: usize,
    pub flags: usize,
    pub applications: usize,
    pub uploads: usize,
    pub duplicates: usize,
    pub auto_hidden: usize,
    /// Posts a watched word held for review, flagged, or rejected.
    pub words_held: usize,
    pub words_flagged: usize,
    pub words_rejected: usize,
    /// (line number, why)
    pub bad: Vec<(usize, String)>,
}

impl Report {
    fn counts(&self) -> [usize; 9] {
        [
            self.posts,
            self.flags,
            self.applications,
            self.uploads,
            self.duplicates,
            self.auto_hidden,
            self.words_held,
            self.words_flagged,
            self.words_rejected,
        ]
    }

    fn set_counts(&mut self, c: [usize; 9]) {
        [
            self.posts,
            self.flags,
            self.applications,
            self.uploads,
            self.duplicates,
            self.auto_hidden,
            self.words_held,
            self.words_flagged,
            self.words_rejected,
        ] = c;
    }
}

/// The database failed during an ingest: what was committed before stands
/// (ingest is idempotent, so the same file again completes it).
#[derive(Debug)]
pub struct IngestError {
    /// Lines up to this one were committed (0: none).
    pub committed: usize,
    pub source: DbError,
}

impl std::fmt::Display for IngestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.committed {
            0 => write!(f, "{}; nothing was committed", self.source),
            n => write!(
                f,
                "{}; lines 1 to {n} were committed: ingest the same file again to finish",
                self.source
            ),
        }
    }
}

impl std::error::Error for IngestError {}

/// Why one line was not taken: a bad line is reported and the ingest goes
/// on; a database failure stops it.
type LineError = super::Refusal;

/// A database error is the line's fault only when it is a constraint.
fn storage(e: DbError) -> LineError {
    if e.is_constraint() {
        LineError::Refused(e.to_string())
    } else {
        LineError::Storage(e)
    }
}

fn op_storage(e: ops::OpError) -> LineError {
    match e {
        ops::OpError::Db(e) => storage(e),
        other => LineError::Refused(other.to_string()),
    }
}

/// Reads JSON lines from `input` into the hub database.
pub fn ingest(
    conn: &mut Connection,
    input: impl BufRead,
    auto_hide: i64,
) -> Result<Report, IngestError> {
    ingest_with(
        &mut |batch| {
            let tx = conn.transaction()?;
            batch(&tx)?;
            tx.commit()?;
            Ok(())
        },
        input,
        auto_hide,
        BATCH,
    )
}

/// Lines to a transaction on PostgreSQL: each is a dozen round trips under
/// the hub-wide write lock, which every other writer waits for.
pub const POSTGRES_BATCH: usize = 200;

/// Runs one batch of work in a transaction it commits.
pub type Writer<'a> =
    dyn FnMut(&mut dyn FnMut(&dyn Sql) -> Result<(), DbError>) -> Result<(), DbError> + 'a;

/// Reads JSON lines from `input`, `BATCH` lines to a transaction that
/// `write` opens and commits (on either database).
pub fn ingest_with(
    write: &mut Writer<'_>,
    input: impl BufRead,
    auto_hide: i64,
    batch: usize,
) -> Result<Report, IngestError> {
    let mut committed = 0;
    let result = ingest_from(write, input, auto_hide, batch.max(1), &mut committed);
    result.map_err(|source| IngestError { committed, source })
}

fn ingest_from(
    write: &mut Writer<'_>,
    input: impl BufRead,
    auto_hide: i64,
    lines_per_batch: usize,
    committed: &mut usize,
) -> Result<Report, DbError> {
    let mut report = Report::default();
    let actor = system_actor();
    let mut watched = None;
    write(&mut |tx| {
        watched = Some(super::words::Matcher::load(tx)?);
        Ok(())
    })?;
    let watched = watched.unwrap_or_default();
    let ctx = Context {
        actor: &actor,
        auto_hide,
        watched: &watched,
    };
    let mut lines = input.lines().enumerate().peekable();
    while lines.peek().is_some() {
        let mut batch = Vec::new();
        for (i, line) in lines.by_ref() {
            let number = i + 1;
            match line {
                Ok(l) if l.trim().is_empty() => {}
                Ok(l) => batch.push((number, l)),
                Err(e) => report.bad.push((number, format!("unreadable: {e}"))),
            }
            if batch.len() >= lines_per_batch {
                break;
            }
        }
        let Some(&(last, _)) = batch.last() else {
            continue;
        };
        let done = write(&mut |tx| {
            for (number, line) in &batch {
                let sp = crate::store::sql::Savepoint::begin(tx, "line")?;
                let counted = report.counts();
                match ingest_line(tx, &ctx, line, &mut report) {
                    Ok(()) => sp.release()?,
                    Err(LineError::Refused(why)) => {
                        sp.undo()?;
                        sp.release()?;
                        // What the line counted went with it.
                        report.set_counts(counted);
                        report.bad.push((*number, why));
                    }
                    // Never a storage failure reported as a bad line, line after line.
                    Err(LineError::Storage(e)) => return Err(e),
                }
            }
            Ok(())
        });
        // A failed batch: the caller is told what stands, not the report.
        done?;
        *committed = last;
    }
    Ok(report)
}

use crate::domain::platform::internal_id;

/// `internal_id` with the line's field named in the error.
/// Where the first string holding U+0000 is (`thread.title`), if any.
fn nul_in(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) => s.contains('\0').then(String::new),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            nul_in(item).map(|p| {
                if p.is_empty() {
                    format!("[{i}]")
                } else {
                    format!("[{i}].{p}")
                }
            })
        }),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            nul_in(item).map(|p| {
                if p.is_empty() {
                    k.clone()
                } else {
                    format!("{k}.{p}")
                }
            })
        }),
        _ => None,
    }
}

fn map_id(field: &str, entity: &str, platform_id: &str) -> Result<String, String> {
    internal_id(entity, platform_id).map_err(|why| format!("{field}: {why}"))
}

fn check_time(field: &str, t: &str) -> Result<String, String> {
    t.parse::<jiff::Timestamp>()
        .map(crate::time::format)
        .map_err(|_| format!("{field}: \"{t}\" is not an RFC 3339 time"))
}

/// A stable id for a flag, which the platform sends without one: the same
/// flag ingested twice is recognised.
fn flag_id(post_id: &str, reporter: &str, created_at: &str) -> String {
    let digest = Sha256::digest(format!("{post_id}\n{reporter}\n{created_at}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// What every line of one ingest is read with.
struct Context<'a> {
    actor: &'a Actor,
    auto_hide: i64,
    watched: &'a super::words::Matcher,
}

fn ingest_line(
    conn: &dyn Sql,
    ctx: &Context<'_>,
    line: &str,
    report: &mut Report,
) -> Result<(), LineError> {
    let Context {
        actor, auto_hide, ..
    } = *ctx;
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    // Refused by either database alike: PostgreSQL's text cannot hold it,
    // and a hub moving there must not hold one either.
    if let Some(field) = nul_in(&value) {
        let field = crate::text::truncate(&crate::text::inline(&field), 80);
        return Err(format!("{field}: holds a NUL character (U+0000)").into());
    }
    let parsed: Line = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let sql = storage;
    match parsed {
        Line::Post {
            id,
            thread,
            author,
            body,
            created_at,
        } => {
            let post_id = map_id("id", "forum_post", &id)?;
            let thread_id = map_id("thread.id", "forum_thread", &thread.id)?;
            let author_id = map_id("author.id", "citizen", &author.id)?;
            let at = check_time("created_at", &created_at)?;
            if body.trim().is_empty() {
                return Err("body: empty".into());
            }
            // A post seen before changes nothing, not even its thread or author.
            let known: bool = conn
                .prepare_cached("SELECT 1 FROM forum_posts WHERE id = ?1")
                .and_then(|mut s| s.exists([&post_id]))
                .map_err(sql)?;
            if known {
                report.duplicates += 1;
                return Ok(());
            }
            let category = thread.category.unwrap_or_else(|| "general".into());
            let new_thread = platform::add_thread(
                conn,
                &platform::NewThread {
                    id: &thread_id,
                    title: &thread.title,
                    category: &category,
                    org_id: None,
                    created_at: &at,
                    platform_id: Some(&thread.id),
                },
            )
            .map_err(sql)?;
            platform::add_citizen(conn, &author_id, &author.name, Some(&author.id)).map_err(sql)?;
            let added = platform::add_post(
                conn,
                &platform::NewPost {
                    id: &post_id,
                    thread_id: &thread_id,
                    author_id: &author_id,
                    body: &body,
                    created_at: &at,
                    flag_count: 0,
                    platform_id: Some(&id),
                    search_key: None,
                },
            )
            .map_err(sql)?;
            if !added {
                report.duplicates += 1;
            } else {
                report.posts += 1;
                for (entity, id) in [
                    ("forum_thread", &thread_id),
                    ("citizen", &author_id),
                    ("forum_post", &post_id),
                ] {
                    ops::record_change(conn, entity, id).map_err(storage)?;
                }
                // A thread's title is looked at once, with its first post.
                let texts: &[&str] = if new_thread {
                    &[&thread.title, &body]
                } else {
                    &[&body]
                };
                if let Some(w) = ctx.watched.find(texts) {
                    watched_word(conn, actor, &post_id, w, &at, report)?;
                }
            }
        }
        Line::Flag {
            post_id,
            reporter,
            reason,
            created_at,
        } => {
            let platform_post = post_id;
            let post_id = map_id("post_id", "forum_post", &platform_post)?;
            let reporter = map_id("reporter", "citizen", &reporter)?;
            let at = check_time("created_at", &created_at)?;
            let status: Option<PostStatus> = conn
                .prepare_cached("SELECT status FROM forum_posts WHERE id = ?1")
                .and_then(|mut s| s.query_row([&post_id], |r| r.get(0)).optional())
                .map_err(sql)?;
            let Some(status) = status else {
                return Err(format!(
                    "post_id: no post {} (ingest the post before its flags)",
                    crate::text::inline(&platform_post)
                )
                .into());
            };
            let id = flag_id(&post_id, &reporter, &at);
            let added =
                platform::add_flag(conn, &id, &post_id, &reporter, reason, &at).map_err(sql)?;
            if !added {
                report.duplicates += 1;
                return Ok(());
            }
            report.flags += 1;
            ops::record_change(conn, "forum_flag", &id).map_err(storage)?;
            ops::record_change(conn, "forum_post", &post_id).map_err(storage)?;
            let open: i64 = conn
                .prepare_cached(
                    "UPDATE forum_posts SET flag_count = flag_count + 1 WHERE id = ?1 RETURNING flag_count",
                )
                .and_then(|mut s| s.query_row([&post_id], |r| r.get(0)))
                .map_err(sql)?;
            if status == PostStatus::Visible && open >= auto_hide {
                let op = Op::ModeratePost {
                    post_id: post_id.clone(),
                    seen_status: PostStatus::Visible,
                    action: PostAction::Hide,
                    reason: Some(auto_hide_reason(open)),
                };
                ops::apply(conn, actor, &op).map_err(op_storage)?;
                report.auto_hidden += 1;
            }
        }
        Line::Application { mut org } => {
            let platform_id = org.id.clone();
            org.id = map_id("org.id", "organization", &platform_id)?;
            org.platform_id = Some(platform_id);
            let exists: bool = conn
                .prepare_cached("SELECT 1 FROM organizations WHERE id = ?1")
                .and_then(|mut s| s.exists([&org.id]))
                .map_err(sql)?;
            if exists {
                report.duplicates += 1;
                return Ok(());
            }
            ops::apply(conn, actor, &Op::ApplyEnrollment { org }).map_err(op_storage)?;
            report.applications += 1;
        }
        Line::Upload { upload: u } => {
            let upload_id = map_id("upload.id", "upload", &u.id)?;
            let org_id = map_id("upload.org_id", "organization", &u.org_id)?;
            let at = check_time("upload.submitted_at", &u.submitted_at)?;
            if u.size_bytes < 0 {
                return Err("upload.size_bytes: negative".into());
            }
            if u.sha256.len() != 64 || !u.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "upload.sha256: \"{}\" is not a SHA-256 in hex",
                    crate::text::inline(&u.sha256)
                )
                .into());
            }
            let org: bool = conn
                .prepare_cached("SELECT 1 FROM organizations WHERE id = ?1")
                .and_then(|mut s| s.exists([&org_id]))
                .map_err(sql)?;
            if !org {
                return Err(format!(
                    "upload.org_id: no organisation {}",
                    crate::text::inline(&u.org_id)
                )
                .into());
            }
            let sha256 = u.sha256.to_ascii_lowercase();
            let added = platform::add_upload(
                conn,
                &platform::NewUpload {
                    id: &upload_id,
                    org_id: &org_id,
                    kind: u.kind,
                    category: u.category,
                    title: &u.title,
                    description: u.description.as_deref(),
                    filename: &u.filename,
                    mime: &u.mime,
                    size_bytes: u.size_bytes,
                    sha256: &sha256,
                    submitted_at: &at,
                    platform_id: Some(&u.id),
                },
            )
            .map_err(sql)?;
            if !added {
                report.duplicates += 1;
            } else {
                report.uploads += 1;
                ops::record_change(conn, "upload", &upload_id).map_err(storage)?;
            }
        }
    }
    Ok(())
}

/// Does what a watched word says to a new post: hold it (hidden until a
/// moderator decides), reject it (removed), or flag it for the queue. The
/// word is kept on the post for the moderator to see.
fn watched_word(
    conn: &dyn Sql,
    actor: &Actor,
    post_id: &str,
    w: &super::words::Watched,
    at: &str,
    report: &mut Report,
) -> Result<(), LineError> {
    use super::words::WordAction;
    conn.prepare_cached(
        "UPDATE forum_posts SET watched_word = ?2, watched_action = ?3 WHERE id = ?1",
    )
    .and_then(|mut s| s.execute(params![post_id, w.shown, w.action]))
    .map_err(storage)?;
    let reason = super::words::reason(w);
    let action = match w.action {
        WordAction::Hold => {
            report.words_held += 1;
            PostAction::Hide
        }
        WordAction::Reject => {
            report.words_rejected += 1;
            PostAction::Remove
        }
        WordAction::Flag => {
            let id = flag_id(post_id, SYSTEM_LOGIN, at);
            if platform::add_flag(conn, &id, post_id, SYSTEM_LOGIN, FlagReason::Other, at)
                .map_err(storage)?
            {
                conn.prepare_cached(
                    "UPDATE forum_posts SET flag_count = flag_count + 1 WHERE id = ?1",
                )
                .and_then(|mut s| s.execute([post_id]))
                .map_err(storage)?;
                ops::record_change(conn, "forum_flag", &id).map_err(storage)?;
            }
            report.words_flagged += 1;
            return Ok(());
        }
    };
    let op = Op::ModeratePost {
        post_id: post_id.to_owned(),
        seen_status: PostStatus::Visible,
        action,
        reason: Some(reason),
    };
    ops::apply(conn, actor, &op).map_err(op_storage)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::flag_id;

    #[test]
    fn flag_ids_are_stable_uuids() {
        let a = flag_id("p", "r", "2026-11-01T00:00:00.000Z");
        assert_eq!(a, flag_id("p", "r", "2026-11-01T00:00:00.000Z"));
        assert_ne!(a, flag_id("p", "r2", "2026-11-01T00:00:00.000Z"));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }
}

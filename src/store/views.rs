//! What the console reads besides its paged lists: counters for the status
//! bar and dashboard, the facts a detail pane shows beside a row (history,
//! possible duplicates, an author's record…), the undo candidate. Plain reads,
//! never a write; a read that fails shows as empty rather than stopping the
//! console (the list itself reports real storage errors).

use rusqlite::{Connection, OptionalExtension};

use crate::domain::enrollment::Stage;

/// `PRAGMA data_version`: changes when another connection commits.
pub fn data_version(c: &Connection) -> i64 {
    c.query_row("PRAGMA data_version", [], |r| r.get(0))
        .unwrap_or(0)
}

/// One of the counters the triggers keep (schema.sql, "version 7").
fn counter(c: &Connection, name: &str) -> i64 {
    c.prepare_cached("SELECT n FROM counters WHERE name = ?1")
        .and_then(|mut s| s.query_row([name], |r| r.get(0)))
        .unwrap_or(0)
}

/// Ops waiting to be pushed.
pub fn pending_ops(c: &Connection) -> i64 {
    counter(c, "outbox_pending")
}

/// Conflicts not yet resolved.
pub fn open_conflicts(c: &Connection) -> i64 {
    counter(c, "conflicts_open")
}

/// One queue of the dashboard: how many wait, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Enrollments,
    Uploads,
    FlaggedPosts,
    /// Posts a watched word held for review (hidden until a moderator decides).
    HeldPosts,
    SmsToApprove,
}

/// Counts for the dashboard.
#[derive(Debug, Default, Clone)]
pub struct Dashboard {
    /// Each queue, its count and its oldest timestamp.
    pub queues: Vec<(Queue, i64, Option<String>)>,
    /// region → counts per stage, in `Stage::ALL` order
    pub stages: Vec<(String, [i64; 6])>,
    /// (day, flags) for the last 14 days
    pub flags_per_day: Vec<(String, u64)>,
}

/// Each queue's count, from the counters, and its oldest item, from the
/// start of an index: a visit costs a few lookups whatever the table sizes.
pub fn dashboard(c: &Connection, now: jiff::Timestamp) -> Dashboard {
    let one = |sql: &str| -> (i64, Option<String>) {
        c.prepare_cached(sql)
            .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
            .unwrap_or((0, None))
    };
    let mut d = Dashboard::default();
    let queues: [(Queue, &str); 5] = [
        // One lookup per stage: min() over an IN list would scan them all.
        (
            Queue::Enrollments,
            "SELECT (SELECT coalesce(sum(n), 0) FROM org_stage_counts
                     WHERE status IN ('applied','charter_received','contacted')),
                    (SELECT min(m) FROM (
                        SELECT (SELECT min(created_at) FROM organizations WHERE status = 'applied') AS m
                        UNION ALL SELECT (SELECT min(created_at) FROM organizations WHERE status = 'charter_received')
                        UNION ALL SELECT (SELECT min(created_at) FROM organizations WHERE status = 'contacted')))",
        ),
        (
            Queue::Uploads,
            "SELECT (SELECT n FROM counters WHERE name = 'uploads_pending'),
                    (SELECT min(submitted_at) FROM uploads WHERE status = 'pending')",
        ),
        (
            Queue::FlaggedPosts,
            "SELECT (SELECT n FROM counters WHERE name = 'posts_flagged'),
                    (SELECT min(created_at) FROM forum_posts INDEXED BY forum_posts_flagged
                     WHERE flag_count > 0 AND status = 'visible')",
        ),
        // Hidden pending review: by a watched word or the flags' auto-hide,
        // both the system's decisions no moderator has taken up since.
        (
            Queue::HeldPosts,
            "SELECT (SELECT n FROM counters WHERE name = 'posts_held'),
                    (SELECT min(created_at) FROM forum_posts INDEXED BY forum_posts_held
                     WHERE status = 'hidden' AND moderated_by = 'system')",
        ),
        (
            Queue::SmsToApprove,
            "SELECT (SELECT n FROM counters WHERE name = 'sms_queued'),
                    (SELECT min(created_at) FROM sms_messages WHERE status = 'queued')",
        ),
    ];
    for (queue, sql) in queues {
        let (n, oldest) = one(sql);
        d.queues.push((queue, n, oldest));
    }
    // Columns in pipeline order: the order of the Stage enum, the one list of stages.
    let stages = Stage::ALL;
    if let Ok(mut stmt) = c.prepare_cached(
        "SELECT region, status, n FROM org_stage_counts WHERE n > 0 ORDER BY region",
    ) && let Ok(rows) = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Stage>(1)?,
            r.get::<_, i64>(2)?,
        ))
    }) {
        for (region, status, n) in rows.flatten() {
            if d.stages.last().is_none_or(|(r, _)| r != &region) {
                d.stages.push((region.clone(), [0; 6]));
            }
            if let (Some(i), Some(last)) = (
                stages.iter().position(|s| *s == status),
                d.stages.last_mut(),
            ) {
                last.1[i] = n;
            }
        }
    }
    let since = crate::time::format(now - jiff::SignedDuration::from_hours(24 * 14));
    if let Ok(mut stmt) = c.prepare_cached(
        "SELECT day, n FROM flag_day_counts WHERE day >= substr(?1, 1, 10) AND n > 0 ORDER BY day",
    ) && let Ok(rows) = stmt.query_map([since], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    }) {
        d.flags_per_day = rows
            .flatten()
            .map(|(day, n)| (day, n.max(0) as u64))
            .collect();
    }
    d
}

/// Organisations per stage, in `Stage::ALL` order.
pub fn pipeline(c: &Connection) -> [i64; 6] {
    let mut out = [0; 6];
    let stages = Stage::ALL;
    if let Ok(mut stmt) =
        c.prepare_cached("SELECT status, sum(n) FROM org_stage_counts GROUP BY status")
        && let Ok(rows) = stmt.query_map([], |r| Ok((r.get::<_, Stage>(0)?, r.get::<_, i64>(1)?)))
    {
        for (stage, n) in rows.flatten() {
            if let Some(i) = stages.iter().position(|s| *s == stage) {
                out[i] = n;
            }
        }
    }
    out
}

/// One decision in a record's history.
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub reason: Option<String>,
}

/// The first decisions about one record, oldest first (at most 50).
pub fn history(c: &Connection, entity: &str, id: &str) -> Vec<HistoryEntry> {
    c.prepare_cached(
        "SELECT at, actor, action, reason FROM audit_log WHERE entity = ?1 AND entity_id = ?2 ORDER BY at, id LIMIT 50",
    )
    .and_then(|mut s| {
        s.query_map([entity, id], |r| {
            Ok(HistoryEntry {
                at: r.get(0)?,
                actor: r.get(1)?,
                action: r.get(2)?,
                reason: r.get(3)?,
            })
        })?
        .collect()
    })
    .unwrap_or_default()
}

/// Other organisations of the same name in the same commune: (name, status).
pub fn possible_duplicates(c: &Connection, org_id: &str) -> Vec<(String, String)> {
    c.prepare_cached(
        "SELECT name, status FROM organizations
         WHERE name_key = (SELECT name_key FROM organizations WHERE id = ?1)
           AND commune IS (SELECT commune FROM organizations WHERE id = ?1) AND id <> ?1 LIMIT 5",
    )
    .and_then(|mut s| {
        s.query_map([org_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    })
    .unwrap_or_default()
}

/// A statistics upload's figures: (indicator, year, value).
pub fn upload_stats(c: &Connection, upload_id: &str) -> Vec<(String, i64, f64)> {
    c.prepare_cached(
        "SELECT indicator, year, value FROM upload_stats WHERE upload_id = ?1 ORDER BY indicator, year DESC",
    )
    .and_then(|mut s| {
        s.query_map([upload_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect()
    })
    .unwrap_or_default()
}

/// An upload's file: (sha256, filename).
pub fn upload_file(c: &Connection, upload_id: &str) -> rusqlite::Result<(String, String)> {
    c.query_row(
        "SELECT sha256, filename FROM uploads WHERE id = ?1",
        [upload_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// An upload's file: (sha256, file name, MIME type, size in bytes), for a preview.
pub fn upload_kind(
    c: &Connection,
    upload_id: &str,
) -> rusqlite::Result<(String, String, String, i64)> {
    c.query_row(
        "SELECT sha256, filename, mime, size_bytes FROM uploads WHERE id = ?1",
        [upload_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
}

/// A post's author as a moderator weighs them: their standing, what they
/// posted, what moderators took down, and the latest decisions on them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AuthorRecord {
    pub status: String,
    pub muted_until: Option<String>,
    pub posts: i64,
    pub taken_down: i64,
    /// (when, audit action, reason), newest first, at most three.
    pub decisions: Vec<(String, String, Option<String>)>,
}

pub fn author_record(c: &Connection, citizen_id: &str) -> AuthorRecord {
    let mut record = c
        .prepare_cached(
            "SELECT c.status, c.muted_until, (SELECT count(*) FROM forum_posts WHERE author_id = c.id),
                (SELECT count(*) FROM forum_posts WHERE author_id = c.id AND status <> 'visible')
             FROM citizens c WHERE c.id = ?1",
        )
        .and_then(|mut s| {
            s.query_row([citizen_id], |r| {
                Ok(AuthorRecord {
                    status: r.get(0)?,
                    muted_until: r.get(1)?,
                    posts: r.get(2)?,
                    taken_down: r.get(3)?,
                    decisions: Vec::new(),
                })
            })
            .optional()
        })
        .ok()
        .flatten()
        .unwrap_or_default();
    record.decisions = c
        .prepare_cached(
            "SELECT at, action, reason FROM audit_log WHERE entity = 'citizen' AND entity_id = ?1
             ORDER BY at DESC, id DESC LIMIT 3",
        )
        .and_then(|mut s| {
            s.query_map([citizen_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .unwrap_or_default();
    record
}

/// A post's open flags: (reason, count), most frequent first.
pub fn open_flags(c: &Connection, post_id: &str) -> Vec<(String, i64)> {
    c.prepare_cached(
        "SELECT reason, count(*) FROM forum_flags WHERE post_id = ?1 AND resolved = 0 GROUP BY reason ORDER BY 2 DESC",
    )
    .and_then(|mut s| s.query_map([post_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
    .unwrap_or_default()
}

/// An SMS group's (members opted out, messages sent to it): a dynamic
/// group's members are the contacts its rule selects. A group of members'
/// opted out are its members less its reach (counted as they change), read
/// from the index alone; counted by contact while a first fill is unfinished
/// (the counters are set when it ends).
pub fn group_counts(c: &Connection, group_id: &str) -> (i64, i64) {
    c.prepare_cached(concat!(
        "SELECT CASE WHEN g.rule_region IS NULL AND g.rule_commune IS NULL AND g.rule_org_kind IS NULL
           THEN CASE WHEN EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load')
                THEN (SELECT count(*) FROM sms_group_members m JOIN sms_contacts c ON c.id = m.contact_id
                      WHERE m.group_id = g.id AND c.opted_out_at IS NOT NULL)
                ELSE (SELECT count(*) FROM sms_group_members m WHERE m.group_id = g.id)
                     - coalesce((SELECT r.n FROM sms_group_reach r WHERE r.group_id = g.id), 0)
                END
           ELSE (SELECT count(*) FROM sms_contacts c WHERE c.opted_out_at IS NOT NULL AND ",
        crate::store::audience::group_rule!(),
        ") END,
           (SELECT count(*) FROM sms_messages WHERE group_id = g.id)
         FROM sms_groups g WHERE g.id = ?1"
    ))
    .and_then(|mut s| s.query_row([group_id], |r| Ok((r.get(0)?, r.get(1)?))))
    .unwrap_or_default()
}

/// Why a delivery failed, in words: the gateway's and the hub's reasons as
/// people say them.
pub fn failure_words(error: Option<&str>, lang: crate::i18n::Lang) -> String {
    let e = error.unwrap_or("").to_ascii_lowercase();
    let (fr, en) = if e.contains("opted out") {
        ("désinscrit entre-temps", "opted out meanwhile")
    } else if e.contains("expired") || e.contains("unknown after") {
        (
            "expiré (sans nouvelles de l'opérateur)",
            "expired (no word from the operator)",
        )
    } else if e.contains("rejected") || e.contains("reject") {
        ("refusé par l'opérateur", "rejected by the operator")
    } else if e.contains("undelivered") || e.contains("unreachable") || e.contains("absent") {
        ("numéro injoignable", "number unreachable")
    } else if e.is_empty() {
        ("échec", "failed")
    } else {
        return crate::text::inline(error.unwrap_or(""));
    };
    lang.pick(fr, en).to_owned()
}

/// A message's delivery in words: "3 reçus, 1 envoyé sans accusé, 2 en
/// échec, 4 en attente" (`sent` counts the delivered ones too).
pub fn delivery_words(
    lang: crate::i18n::Lang,
    recipients: i64,
    sent: i64,
    delivered: i64,
    failed: i64,
) -> String {
    let unreported = (sent - delivered).max(0);
    let pending = (recipients - delivered - failed - unreported).max(0);
    match lang {
        crate::i18n::Lang::Fr => format!(
            "{delivered} reçus, {unreported} envoyés sans accusé, {failed} en échec, {pending} en attente"
        ),
        crate::i18n::Lang::En => format!(
            "{delivered} delivered, {unreported} sent without report, {failed} failed, {pending} pending"
        ),
    }
}

/// The resend of a message, if it has one not cancelled: (id, status).
pub fn resent_as(c: &Connection, message_id: &str) -> Option<(String, String)> {
    c.prepare_cached(
        "SELECT id, status FROM sms_messages WHERE retry_of = ?1 AND status <> 'cancelled'
         ORDER BY created_at LIMIT 1",
    )
    .and_then(|mut s| s.query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?))))
    .ok()
}

/// A message's failed numbers and why (the first `limit`, by number).
pub fn sms_failures(c: &Connection, message_id: &str, limit: i64) -> Vec<(String, Option<String>)> {
    c.prepare_cached(
        "SELECT k.phone_e164, f.error FROM sms_failures f JOIN sms_contacts k ON k.id = f.contact_id
         WHERE f.message_id = ?1 ORDER BY k.phone_e164 LIMIT ?2",
    )
    .and_then(|mut s| {
        s.query_map(rusqlite::params![message_id, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    })
    .unwrap_or_default()
}

/// A dynamic group's rule in words: "région Centre-Nord, organisations : commune".
pub fn rule_words(rule: &crate::store::audience::Rule, lang: crate::i18n::Lang) -> String {
    use crate::i18n::values::Worded;
    let mut parts = Vec::new();
    if let Some(r) = &rule.region {
        parts.push(format!(
            "{} {}",
            lang.pick("région", "region"),
            crate::text::inline(r)
        ));
    }
    if let Some(c) = &rule.commune {
        parts.push(format!(
            "{} {}",
            lang.pick("commune", "commune"),
            crate::text::inline(c)
        ));
    }
    if let Some(k) = &rule.org_kind {
        let word = crate::domain::enrollment::OrgKind::ALL
            .iter()
            .find(|o| o.as_str() == k)
            .map_or_else(|| crate::text::inline(k), |o| o.word(lang).to_owned());
        parts.push(format!(
            "{} {word}",
            lang.pick("organisations :", "organisations:")
        ));
    }
    parts.join(", ")
}

/// The names of the groups a contact belongs to: as a member, or by a
/// dynamic group's rule.
pub fn contact_groups(c: &Connection, contact_id: &str) -> Vec<String> {
    c.prepare_cached(concat!(
        "SELECT g.name FROM sms_group_members m JOIN sms_groups g ON g.id = m.group_id
         WHERE m.contact_id = ?1
         UNION
         SELECT g.name FROM sms_groups g, sms_contacts c
         WHERE c.id = ?1 AND (g.rule_region IS NOT NULL OR g.rule_commune IS NOT NULL OR g.rule_org_kind IS NOT NULL)
           AND ",
        crate::store::audience::group_rule!(),
        " ORDER BY 1"
    ))
    .and_then(|mut s| s.query_map([contact_id], |r| r.get(0))?.collect())
    .unwrap_or_default()
}

/// A staff member's display name, by id or login (the id itself if unknown).
pub fn staff_name(c: &Connection, id_or_login: &str) -> String {
    c.query_row(
        "SELECT display_name FROM staff WHERE id = ?1 OR login = ?1",
        [id_or_login],
        |r| r.get::<_, String>(0),
    )
    .unwrap_or_else(|_| id_or_login.to_owned())
}

/// The record a conflict is about: (entity, id).
pub fn conflict_record(c: &Connection, op_id: &str) -> rusqlite::Result<(String, String)> {
    c.query_row(
        "SELECT entity, entity_id FROM conflicts WHERE op_id = ?1",
        [op_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// The latest decision `login` made that is not synced, nor in a bundle
/// exported for the hub (see `ops::apply`'s undo), nor undone yet, on
/// `entity` (any when `None`): (op id, action, record id).
pub fn undo_candidate(
    c: &Connection,
    entities: &[&str],
    login: &str,
) -> Option<(String, String, String, String)> {
    let kinds = serde_json::Value::from(entities.to_vec()).to_string();
    c.query_row(
        "SELECT a.id, a.action, a.entity, a.entity_id FROM outbox o JOIN audit_log a ON a.id = o.op_id
         WHERE o.pushed_at IS NULL AND a.actor = ?2 AND a.action <> 'undo'
           AND o.seq > coalesce((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'bundle_exported_seq'), 0)
           AND (?1 = '[]' OR a.entity IN (SELECT value FROM json_each(?1)))
           AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.entity = a.entity AND u.entity_id = a.entity_id
                           AND u.action = 'undo' AND json_extract(u.detail, '$.after.undone') = a.id)
         ORDER BY o.seq DESC LIMIT 1",
        [kinds.as_str(), login],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .ok()
}

/// The ops decided in the same batch as `op_id` that can still be undone
/// (this person's, not synced, not undone yet), in order: (op id, record).
pub fn undo_batch(c: &Connection, op_id: &str, login: &str) -> Vec<(String, String)> {
    c.prepare_cached(
        "SELECT a.id, a.entity_id FROM outbox o JOIN audit_log a ON a.id = o.op_id
         WHERE o.batch = (SELECT batch FROM outbox WHERE op_id = ?1) AND o.batch IS NOT NULL
           AND o.pushed_at IS NULL AND a.actor = ?2
           AND o.seq > coalesce((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'bundle_exported_seq'), 0)
           AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.entity = a.entity AND u.entity_id = a.entity_id
                           AND u.action = 'undo' AND json_extract(u.detail, '$.after.undone') = a.id)
         ORDER BY o.seq",
    )
    .and_then(|mut s| {
        s.query_map([op_id, login], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    })
    .unwrap_or_default()
}

/// How a person recognises a record in a dialog: an organisation's name, an
/// upload's title, a post's first words; else its id.
pub fn record_label(c: &Connection, entity: Option<&str>, id: &str) -> String {
    let sql = match entity {
        Some("organization") => "SELECT name FROM organizations WHERE id = ?1",
        Some("upload") => "SELECT title FROM uploads WHERE id = ?1",
        Some("forum_post") => "SELECT substr(body, 1, 50) FROM forum_posts WHERE id = ?1",
        Some("citizen") => "SELECT display_name FROM citizens WHERE id = ?1",
        Some("forum_thread") => "SELECT title FROM forum_threads WHERE id = ?1",
        Some("sms_message") => "SELECT substr(body, 1, 50) FROM sms_messages WHERE id = ?1",
        _ => return id.to_owned(),
    };
    c.query_row(sql, [id], |r| r.get(0))
        .unwrap_or_else(|_| id.to_owned())
}

/// Why the copies of a post could not be looked for.
#[derive(Debug, thiserror::Error)]
pub enum SameTextError {
    #[error("no such post")]
    NoPost,
    /// Nothing to compare (an empty post, or only a number): it would match
    /// every other such post.
    #[error("the post has no text to compare")]
    NoText,
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// How far back visible posts nobody flagged yet are looked at for copies.
pub const SAME_TEXT_DAYS: i64 = 14;

/// The posts with the same text as `post_id` (see `text::same_text_key`)
/// among those a moderator would act on — the queue (open flags, or held
/// by the system) and the visible posts of the last `SAME_TEXT_DAYS` days
/// before the newest — the post itself first, then oldest first. Candidates
/// are narrowed by length in SQL (a copy's length differs only by its
/// number), then compared in Rust.
pub fn same_text(c: &Connection, post_id: &str) -> Result<Vec<String>, SameTextError> {
    let (body, newest): (String, Option<String>) = c
        .prepare_cached(
            "SELECT body, (SELECT max(created_at) FROM forum_posts) FROM forum_posts WHERE id = ?1",
        )?
        .query_row([post_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(SameTextError::NoPost)?;
    let key = crate::text::same_text_key(&body);
    if !key.chars().any(char::is_alphabetic) {
        return Err(SameTextError::NoText);
    }
    let len = body.chars().count() as i64;
    let since = newest
        .and_then(|n| n.parse::<jiff::Timestamp>().ok())
        .map(|t| crate::time::format(t - jiff::SignedDuration::from_hours(24 * SAME_TEXT_DAYS)))
        .unwrap_or_default();
    let (low, high) = (len - len / 3 - 8, len + len / 3 + 8);
    let mut out = vec![post_id.to_owned()];
    let mut seen: std::collections::HashSet<String> = out.iter().cloned().collect();
    let queue = "SELECT id, body FROM forum_posts WHERE flag_count > 0 AND status = 'visible'
           AND length(body) BETWEEN ?1 AND ?2 ORDER BY created_at, id";
    let held =
        "SELECT id, body FROM forum_posts WHERE status = 'hidden' AND moderated_by = 'system'
           AND length(body) BETWEEN ?1 AND ?2 ORDER BY created_at, id";
    let recent = "SELECT id, body FROM forum_posts WHERE created_at >= ?3 AND status = 'visible'
           AND length(body) BETWEEN ?1 AND ?2 ORDER BY created_at, id";
    for sql in [queue, held, recent] {
        let mut stmt = c.prepare_cached(sql)?;
        let mut rows = if sql == recent {
            stmt.query(rusqlite::params![low, high, since])?
        } else {
            stmt.query(rusqlite::params![low, high])?
        };
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            if seen.contains(&id) {
                continue;
            }
            let text: String = r.get(1)?;
            if crate::text::same_text_key(&text) == key {
                seen.insert(id.clone());
                out.push(id);
            }
        }
    }
    Ok(out)
}

/// The distinct values of a post column (`author_id`, `thread_id`) for these
/// posts, in the posts' order: the authors or threads a decision taken on
/// posts goes to.
pub fn of_posts(c: &Connection, column: &str, posts: &[String]) -> rusqlite::Result<Vec<String>> {
    let column = match column {
        "author_id" => "author_id",
        _ => "thread_id",
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT p.{column} FROM json_each(?1) j JOIN forum_posts p ON p.id = j.value ORDER BY j.key"
    ))?;
    let ids = serde_json::Value::from(posts.to_vec()).to_string();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for v in stmt.query_map([ids], |r| r.get::<_, String>(0))? {
        let v = v?;
        if seen.insert(v.clone()) {
            out.push(v);
        }
    }
    Ok(out)
}

/// The first `shown` authors' names, and how many visible posts all of them have.
pub fn authors(c: &Connection, ids: &[String], shown: usize) -> (Vec<String>, i64) {
    let list = serde_json::Value::from(ids.to_vec()).to_string();
    let names = c
        .prepare_cached(
            "SELECT c.display_name FROM json_each(?1) j JOIN citizens c ON c.id = j.value ORDER BY j.key LIMIT ?2",
        )
        .and_then(|mut s| {
            s.query_map(rusqlite::params![list, shown as i64], |r| r.get(0))?
                .collect()
        })
        .unwrap_or_default();
    let visible = c
        .prepare_cached(
            "SELECT count(*) FROM json_each(?1) j JOIN forum_posts p ON p.author_id = j.value WHERE p.status = 'visible'",
        )
        .and_then(|mut s| s.query_row([list], |r| r.get(0)))
        .unwrap_or_default();
    (names, visible)
}

/// The first `shown` threads' titles, and how many of them are locked.
pub fn threads(c: &Connection, ids: &[String], shown: usize) -> (Vec<String>, i64) {
    let list = serde_json::Value::from(ids.to_vec()).to_string();
    let titles = c
        .prepare_cached(
            "SELECT t.title FROM json_each(?1) j JOIN forum_threads t ON t.id = j.value ORDER BY j.key LIMIT ?2",
        )
        .and_then(|mut s| {
            s.query_map(rusqlite::params![list, shown as i64], |r| r.get(0))?
                .collect()
        })
        .unwrap_or_default();
    let locked = c
        .prepare_cached(
            "SELECT count(*) FROM json_each(?1) j JOIN forum_threads t ON t.id = j.value WHERE t.locked = 1",
        )
        .and_then(|mut s| s.query_row([list], |r| r.get(0)))
        .unwrap_or_default();
    (titles, locked)
}

/// Whether a thread takes no new post.
pub fn thread_locked(c: &Connection, thread_id: &str) -> bool {
    c.prepare_cached("SELECT locked FROM forum_threads WHERE id = ?1")
        .and_then(|mut s| s.query_row([thread_id], |r| r.get::<_, bool>(0)))
        .unwrap_or(false)
}

/// Whether every one of these records is claimed by `login`.
pub fn claimed_by_all(c: &Connection, ids: &[String], login: &str) -> bool {
    let list = serde_json::Value::from(ids.to_vec()).to_string();
    c.prepare_cached(
        "SELECT count(*) FROM json_each(?1) j JOIN claims cl ON cl.id = j.value WHERE cl.login = ?2",
    )
    .and_then(|mut s| s.query_row(rusqlite::params![list, login], |r| r.get::<_, i64>(0)))
    .is_ok_and(|n| n as usize == ids.len() && !ids.is_empty())
}

/// Who has a record in hand (login, since when), and the staff notes on it,
/// oldest first: (author, when, text).
pub struct Worked {
    pub claim: Option<(String, String)>,
    pub notes: Vec<(String, String, String)>,
}

pub fn worked(c: &Connection, id: &str) -> Worked {
    let claim = c
        .prepare_cached("SELECT login, claimed_at FROM claims WHERE id = ?1 AND login IS NOT NULL")
        .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .ok()
        .flatten();
    let notes = c
        .prepare_cached(
            "SELECT author, created_at, body FROM notes WHERE entity_id = ?1 ORDER BY created_at, id",
        )
        .and_then(|mut s| {
            s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .unwrap_or_default();
    Worked { claim, notes }
}

/// The leaders met in an organisation: (name, role, phone), in the order met.
pub fn leaders(c: &Connection, org_id: &str) -> Vec<(String, Option<String>, Option<String>)> {
    c.prepare_cached(
        "SELECT name, role, phone FROM org_leaders WHERE org_id = ?1 ORDER BY created_at, id",
    )
    .and_then(|mut s| {
        s.query_map([org_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect()
    })
    .unwrap_or_default()
}

/// Those of `ids` whose state column is one of `states` (in the ids'
/// order): the records a decision can still be taken on. `kind` is
/// `citizens` (status) or `forum_threads` (locked, 0 or 1).
pub fn in_states(
    c: &Connection,
    kind: &str,
    ids: &[String],
    states: &[String],
) -> rusqlite::Result<Vec<String>> {
    let (table, column) = match kind {
        "forum_threads" => ("forum_threads", "CAST(locked AS TEXT)"),
        _ => ("citizens", "status"),
    };
    let sql = format!(
        "SELECT j.value FROM json_each(?1) j JOIN {table} t ON t.id = j.value
         WHERE {column} IN (SELECT value FROM json_each(?2)) ORDER BY j.key"
    );
    let ids = serde_json::Value::from(ids.to_vec()).to_string();
    let states = serde_json::Value::from(states.to_vec()).to_string();
    c.prepare_cached(&sql)?
        .query_map([ids, states], |r| r.get(0))?
        .collect()
}

/// A group as people name it — its name (case aside) or its id: (id, name).
pub fn group_named(c: &Connection, typed: &str) -> rusqlite::Result<Option<(String, String)>> {
    c.prepare_cached(
        "SELECT id, name FROM sms_groups WHERE id = ?1 OR name = ?1 COLLATE NOCASE
         ORDER BY id = ?1 DESC LIMIT 1",
    )?
    .query_row([typed.trim()], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

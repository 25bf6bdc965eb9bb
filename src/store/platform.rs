//! Rows the public platform publishes — forum threads, citizens, posts,
//! flags, uploads — are written here and nowhere else: by the hub's ingest
//! (what the platform sends) and by the demo generator (a made-up platform).
//! They are content, not staff decisions, so they do not go through
//! `ops::apply`; a row already there is left as it is (`false`).

use rusqlite::params;

use super::sql::{DbError, Sql};

use crate::domain::forum::FlagReason;
use crate::domain::uploads::{DocumentCategory, UploadKind};

pub struct NewThread<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub category: &'a str,
    pub org_id: Option<&'a str>,
    pub created_at: &'a str,
    pub platform_id: Option<&'a str>,
}

pub fn add_thread(c: &dyn Sql, t: &NewThread<'_>) -> Result<bool, DbError> {
    c.prepare_cached(
        "INSERT INTO forum_threads (id, title, category, org_id, created_at, locked, platform_id)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6) ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        t.id,
        t.title,
        t.category,
        t.org_id,
        t.created_at,
        t.platform_id
    ])
    .map(|n| n > 0)
}

pub fn add_citizen(
    c: &dyn Sql,
    id: &str,
    display_name: &str,
    platform_id: Option<&str>,
) -> Result<bool, DbError> {
    c.prepare_cached(
        "INSERT INTO citizens (id, display_name, status, version, platform_id)
         VALUES (?1, ?2, 'active', 1, ?3) ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![id, display_name, platform_id])
    .map(|n| n > 0)
}

pub struct NewPost<'a> {
    pub id: &'a str,
    pub thread_id: &'a str,
    pub author_id: &'a str,
    pub body: &'a str,
    pub created_at: &'a str,
    /// Open flags already counted (the demo writes a post with its flags).
    pub flag_count: i64,
    pub platform_id: Option<&'a str>,
    /// The search key, for a bulk load with the search triggers off (the
    /// demo); otherwise `None`, and the insert trigger numbers the post.
    pub search_key: Option<i64>,
}

pub fn add_post(c: &dyn Sql, p: &NewPost<'_>) -> Result<bool, DbError> {
    c.prepare_cached(
        "INSERT INTO forum_posts (id, thread_id, author_id, body, created_at, status, flag_count, version,
            platform_id, search_key)
         VALUES (?1, ?2, ?3, ?4, ?5, 'visible', ?6, 1, ?7, ?8) ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        p.id,
        p.thread_id,
        p.author_id,
        p.body,
        p.created_at,
        p.flag_count,
        p.platform_id,
        p.search_key
    ])
    .map(|n| n > 0)
}

pub fn add_flag(
    c: &dyn Sql,
    id: &str,
    post_id: &str,
    reporter_id: &str,
    reason: FlagReason,
    created_at: &str,
) -> Result<bool, DbError> {
    c.prepare_cached(
        "INSERT INTO forum_flags (id, post_id, reporter_id, reason, created_at, resolved)
         VALUES (?1, ?2, ?3, ?4, ?5, 0) ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![id, post_id, reporter_id, reason, created_at])
    .map(|n| n > 0)
}

pub struct NewUpload<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub kind: UploadKind,
    pub category: Option<DocumentCategory>,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub filename: &'a str,
    pub mime: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub submitted_at: &'a str,
    pub platform_id: Option<&'a str>,
}

/// An upload waiting for review.
pub fn add_upload(c: &dyn Sql, u: &NewUpload<'_>) -> Result<bool, DbError> {
    c.prepare_cached(
        "INSERT INTO uploads (id, org_id, kind, category, title, description, filename, mime, size_bytes,
            sha256, submitted_at, status, version, platform_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending', 1, ?12) ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        u.id,
        u.org_id,
        u.kind,
        u.category.map(DocumentCategory::as_str),
        u.title,
        u.description,
        u.filename,
        u.mime,
        u.size_bytes,
        u.sha256,
        u.submitted_at,
        u.platform_id
    ])
    .map(|n| n > 0)
}

//! Webhooks: the hub POSTs the decision feed to the platform, the way
//! platforms expect it (Stripe's and GitHub's shape).
//!
//! Each webhook keeps its own feed position in the hub's database, moved only
//! when the receiver answered 2xx: a hub stopped or killed mid-delivery sends
//! the same batch again after its restart (at least once; every decision
//! carries its stable `id`, so the platform applies it once). Batches go in
//! feed order and the next waits for the one before, so decisions on one
//! record arrive in the order they were taken. A failing receiver is retried
//! with exponential backoff; after `retry_for` without a success the webhook
//! is paused (never skipped) until `hub webhook resume`.
//!
//! Every request is signed: `Civitac-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256 of "<t>.<body>" under the webhook's secret>`. A receiver checks
//! the signature and refuses a `t` outside its replay window ([`verify`]).

use std::path::Path;
use std::time::Duration;

use rusqlite::params;

use crate::store::sql::{DbError, Sql};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::decisions::{self, Decision};
use crate::hex;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "Civitac-Signature";
/// Decisions per request, at most.
pub const BATCH: usize = 50;
/// The replay window [`verify`] applies by default, in seconds.
pub const REPLAY_WINDOW: i64 = 300;
/// The shortest secret taken, in bytes.
pub const MIN_SECRET: usize = 16;

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer);
    out
}

/// The signature header's value for `body` sent at `t` (unix seconds).
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(body);
    format!("t={t},v1={}", hex(&hmac_sha256(secret, &msg)))
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("no t= and v1= in the signature header")]
    Malformed,
    #[error("signed {age} s from now, outside the replay window")]
    Stale { age: i64 },
    #[error("the signature does not match the body")]
    Mismatch,
}

/// What a receiver does with a request: the signature must match the body
/// and its time be within `window` seconds of `now` (unix seconds).
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    window: i64,
) -> Result<(), VerifyError> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(VerifyError::Malformed);
    };
    if (now - t).abs() > window {
        return Err(VerifyError::Stale { age: now - t });
    }
    let expected = sign(secret, t, body);
    let expected = expected.rsplit_once("v1=").map(|(_, h)| h).unwrap_or("");
    // Compared in constant time: a receiver must not leak how much matched.
    let same = expected.len() == v1.len()
        && expected
            .bytes()
            .zip(v1.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// What a webhook receives: one batch of the feed.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Delivery {
    pub v: u32,
    pub webhook: String,
    pub decisions: Vec<Decision>,
    /// The feed position after this batch.
    pub next: i64,
}

/// A webhook as `hub webhook list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Option<String>,
    pub created_at: String,
    pub position: i64,
    pub delivered: i64,
    pub attempts: i64,
    pub failing_since: Option<String>,
    pub next_at: Option<String>,
    pub last_error: Option<String>,
    pub paused_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("\"{0}\" is not an http:// or https:// address")]
    Url(String),
    #[error("the secret is {0} bytes: at least {MIN_SECRET} are needed")]
    ShortSecret(usize),
    #[error("event \"{0}\" is not a decision kind (post.hidden, post.*, …)")]
    Event(String),
    #[error("no webhook {0}")]
    Unknown(String),
    #[error("{0} names several webhooks: {1}")]
    Ambiguous(String, String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl From<crate::store::sql::DbError> for WebhookError {
    fn from(e: crate::store::sql::DbError) -> Self {
        WebhookError::Sqlite(e.into())
    }
}

/// Checks an `--events` list: decision kinds, or a family (`post.*`).
pub fn check_events(events: &str) -> Result<String, WebhookError> {
    let mut out = Vec::new();
    for e in events.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let known = match e.strip_suffix(".*") {
            Some(family) => decisions::KINDS
                .iter()
                .any(|k| k.split('.').next() == Some(family)),
            None => decisions::KINDS.contains(&e),
        };
        if !known {
            return Err(WebhookError::Event(crate::text::inline(e)));
        }
        out.push(e.to_owned());
    }
    if out.is_empty() {
        return Err(WebhookError::Event(String::new()));
    }
    Ok(out.join(","))
}

fn wanted(events: Option<&str>, kind: &str) -> bool {
    let Some(events) = events else {
        return true;
    };
    events.split(',').any(|e| match e.strip_suffix(".*") {
        Some(family) => kind.split('.').next() == Some(family),
        None => e == kind,
    })
}

/// Adds a webhook. It receives the decisions taken from now on, or the
/// whole feed with `from_start`.
pub fn add(
    conn: &dyn Sql,
    url: &str,
    secret: &[u8],
    events: Option<&str>,
    from_start: bool,
) -> Result<Webhook, WebhookError> {
    let url = url.trim();
    let parsed: Result<ureq::http::Uri, _> = url.parse();
    let ok = parsed.as_ref().is_ok_and(|u| {
        matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some_and(|h| !h.is_empty())
    });
    if !ok || url.chars().any(char::is_control) {
        return Err(WebhookError::Url(crate::text::inline(url)));
    }
    if secret.len() < MIN_SECRET {
        return Err(WebhookError::ShortSecret(secret.len()));
    }
    let events = events.map(check_events).transpose()?;
    let position: i64 = if from_start {
        0
    } else {
        conn.query_row("SELECT COALESCE(max(rowid), 0) FROM audit_log", (), |r| {
            r.get(0)
        })?
    };
    let id = uuid::Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO webhooks (id, url, secret, events, created_at, position)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, url, hex(secret), events, crate::time::now(), position],
    )?;
    find(conn, &id)
}

const COLUMNS: &str = "id, url, events, created_at, position, delivered, attempts, failing_since, next_at, last_error, paused_at";

fn webhook(r: &crate::store::sql::Row) -> rusqlite::Result<Webhook> {
    Ok(Webhook {
        id: r.get(0)?,
        url: r.get(1)?,
        events: r.get(2)?,
        created_at: r.get(3)?,
        position: r.get(4)?,
        delivered: r.get(5)?,
        attempts: r.get(6)?,
        failing_since: r.get(7)?,
        next_at: r.get(8)?,
        last_error: r.get(9)?,
        paused_at: r.get(10)?,
    })
}

/// A webhook by its id, or the start of it (as `list` shows it).
pub fn find(conn: &dyn Sql, id: &str) -> Result<Webhook, WebhookError> {
    let id = id.trim();
    // An id is a UUID or its start: anything else names nothing.
    if id.is_empty() || id.len() > 36 || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(WebhookError::Unknown(crate::text::truncate(
            &crate::text::inline(id),
            40,
        )));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM webhooks
         WHERE removed_at IS NULL AND substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 5"
    );
    let mut stmt = conn.prepare(&sql)?;
    let found: Vec<Webhook> = stmt
        .query_map([id.to_ascii_lowercase()], webhook)?
        .collect::<Result<_, _>>()?;
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(WebhookError::Unknown(id.to_owned())),
        many => Err(WebhookError::Ambiguous(
            id.to_owned(),
            many.iter()
                .map(|w| w.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

pub fn list(conn: &dyn Sql) -> Result<Vec<Webhook>, WebhookError> {
    let sql =
        format!("SELECT {COLUMNS} FROM webhooks WHERE removed_at IS NULL ORDER BY created_at, id");
    let mut stmt = conn.prepare(&sql)?;
    Ok(stmt.query_map((), webhook)?.collect::<Result<_, _>>()?)
}

/// Decisions waiting for a webhook, counted up to `cap`.
pub fn backlog(conn: &dyn Sql, w: &Webhook, cap: usize) -> Result<usize, WebhookError> {
    waiting(conn, w.position, w.events.as_deref(), cap)
}

/// Decisions after `position` (of the `events` kinds), counted up to `cap`.
pub fn waiting(
    conn: &dyn Sql,
    position: i64,
    events: Option<&str>,
    cap: usize,
) -> Result<usize, WebhookError> {
    let mut n = 0;
    let mut at = position;
    loop {
        let page = match decisions::since(conn, at, 1_000) {
            Ok(p) => p,
            Err(decisions::FeedError::Db(e)) => return Err(e.into()),
            // A restored hub: the reader starts again from 0.
            Err(decisions::FeedError::PastEnd { .. }) => return waiting(conn, 0, events, cap),
        };
        n += page
            .decisions
            .iter()
            .filter(|d| wanted(events, &d.kind))
            .count();
        if !page.more || n >= cap || page.next == at {
            return Ok(n.min(cap));
        }
        at = page.next;
    }
}

/// Stops delivering, for good (the row is kept, for the record).
pub fn remove(conn: &dyn Sql, id: &str) -> Result<Webhook, WebhookError> {
    let w = find(conn, id)?;
    conn.execute(
        "UPDATE webhooks SET removed_at = ?2 WHERE id = ?1",
        params![w.id, crate::time::now()],
    )?;
    Ok(w)
}

/// Delivers again, at once, from where a pause stopped.
pub fn resume(conn: &dyn Sql, id: &str) -> Result<Webhook, WebhookError> {
    let w = find(conn, id)?;
    conn.execute(
        "UPDATE webhooks SET paused_at = NULL, failing_since = NULL, attempts = 0, next_at = NULL
         WHERE id = ?1",
        params![w.id],
    )?;
    find(conn, &w.id)
}

/// How the deliverer behaves.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A webhook failing this long is paused.
    pub retry_for: Duration,
    /// One request's time limit.
    pub timeout: Duration,
    /// How often the feed is looked at when nothing waits.
    pub poll: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            retry_for: Duration::from_secs(72 * 3600),
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
        }
    }
}

/// What one attempt did.
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Nothing was due.
    Idle,
    /// Decisions the receiver took.
    Delivered(usize),
    /// Positions passed over (no decision this webhook wants).
    Skipped,
    Failed(String),
}

/// A webhook due now, with its secret.
struct Due {
    id: String,
    url: String,
    secret: Vec<u8>,
    events: Option<String>,
    position: i64,
    attempts: i64,
    failing_since: Option<String>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn due(conn: &dyn Sql, now: &str) -> Result<Vec<Due>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, url, secret, events, position, attempts, failing_since FROM webhooks
         WHERE removed_at IS NULL AND paused_at IS NULL AND (next_at IS NULL OR next_at <= ?1)
         ORDER BY created_at, id",
    )?;
    stmt.query_map([now], |r| {
        Ok(Due {
            id: r.get(0)?,
            url: r.get(1)?,
            secret: unhex(&r.get::<String>(2)?),
            events: r.get(3)?,
            position: r.get(4)?,
            attempts: r.get(5)?,
            failing_since: r.get(6)?,
        })
    })?
    .collect()
}

/// Tries each due webhook once: one batch each. The requests go out
/// together, so a receiver that hangs until the time limit never holds up
/// another webhook.
pub fn deliver_due(
    conn: &dyn Sql,
    agent: &ureq::Agent,
    settings: &Settings,
) -> Result<Vec<(String, Attempt)>, DbError> {
    let now = crate::time::now();
    let mut out = Vec::new();
    let mut sending = Vec::new();
    for w in due(conn, &now)? {
        match prepare(conn, &w)? {
            Prepared::Done(attempt) => out.push((w.id, attempt)),
            Prepared::Send { next, n, body } => sending.push((w, next, n, body)),
        }
    }
    let answers: Vec<Result<(), String>> = std::thread::scope(|s| {
        let posts: Vec<_> = sending
            .iter()
            .map(|(w, _, _, body)| s.spawn(move || post(agent, settings, w, body)))
            .collect();
        posts
            .into_iter()
            .map(|p| {
                p.join()
                    .unwrap_or_else(|_| Err("the delivery thread failed".into()))
            })
            .collect()
    });
    for ((w, next, n, _), answer) in sending.iter().zip(answers) {
        out.push((w.id.clone(), record(conn, settings, w, *next, *n, answer)?));
    }
    Ok(out)
}

/// One webhook's next batch, or why there is none.
enum Prepared {
    Done(Attempt),
    Send { next: i64, n: usize, body: Vec<u8> },
}

fn prepare(conn: &dyn Sql, w: &Due) -> Result<Prepared, DbError> {
    let page = match decisions::since(conn, w.position, BATCH) {
        Ok(p) => p,
        Err(decisions::FeedError::Db(e)) => return Err(e),
        // A restore made the feed shorter than the position: the platform
        // applies decisions once by id, so the whole feed again is safe.
        Err(decisions::FeedError::PastEnd { .. }) => {
            conn.execute("UPDATE webhooks SET position = 0 WHERE id = ?1", [&w.id])?;
            return Ok(Prepared::Done(Attempt::Skipped));
        }
    };
    let batch: Vec<Decision> = page
        .decisions
        .into_iter()
        .filter(|d| wanted(w.events.as_deref(), &d.kind))
        .collect();
    if batch.is_empty() {
        if page.next == w.position {
            return Ok(Prepared::Done(Attempt::Idle));
        }
        conn.execute(
            "UPDATE webhooks SET position = ?2 WHERE id = ?1",
            params![w.id, page.next],
        )?;
        return Ok(Prepared::Done(Attempt::Skipped));
    }
    let n = batch.len();
    let body = serde_json::to_vec(&Delivery {
        v: decisions::FEED_VERSION,
        webhook: w.id.clone(),
        decisions: batch,
        next: page.next,
    })
    .unwrap_or_default();
    Ok(Prepared::Send {
        next: page.next,
        n,
        body,
    })
}

/// Keeps what one attempt did: the position moves on a 2xx only.
fn record(
    conn: &dyn Sql,
    settings: &Settings,
    w: &Due,
    next: i64,
    n: usize,
    answer: Result<(), String>,
) -> Result<Attempt, DbError> {
    match answer {
        Ok(()) => {
            conn.execute(
                "UPDATE webhooks SET position = ?2, delivered = delivered + ?3, attempts = 0,
                    failing_since = NULL, next_at = NULL, last_error = NULL
                 WHERE id = ?1 AND position = ?4",
                params![w.id, next, n as i64, w.position],
            )?;
            Ok(Attempt::Delivered(n))
        }
        Err(why) => {
            let now = jiff::Timestamp::now();
            let since = w
                .failing_since
                .as_deref()
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                .unwrap_or(now);
            let attempts = w.attempts + 1;
            let wait =
                crate::retry::backoff(attempts.min(30) as u32, None).min(Duration::from_secs(3600));
            let next_at = now + jiff::SignedDuration::try_from(wait).unwrap_or_default();
            let give_up =
                now.duration_since(since).as_secs() as u64 >= settings.retry_for.as_secs();
            conn.execute(
                "UPDATE webhooks SET attempts = ?2, failing_since = ?3, next_at = ?4,
                    last_error = ?5, paused_at = ?6
                 WHERE id = ?1",
                params![
                    w.id,
                    attempts,
                    crate::time::format(since),
                    crate::time::format(next_at),
                    crate::text::truncate(&why, 300),
                    give_up.then(|| crate::time::format(now)),
                ],
            )?;
            if give_up {
                tracing::warn!(webhook = %w.id, error = %why, "webhook paused after failing for its retry period");
            }
            Ok(Attempt::Failed(why))
        }
    }
}

fn post(agent: &ureq::Agent, settings: &Settings, w: &Due, body: &[u8]) -> Result<(), String> {
    let t = jiff::Timestamp::now().as_second();
    let response = agent
        .post(&w.url)
        .config()
        .timeout_global(Some(settings.timeout))
        .build()
        .header("Content-Type", "application/json")
        .header(
            "User-Agent",
            concat!("civitac-hub/", env!("CARGO_PKG_VERSION")),
        )
        .header(SIGNATURE_HEADER, sign(&w.secret, t, body))
        .send(body)
        // Never the address's credentials in an error kept and shown.
        .map_err(|e| crate::text::inline(&e.to_string().replace(&w.url, &shown_url(&w.url))))?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let said = response
        .into_body()
        .with_config()
        .limit(512)
        .read_to_string()
        .unwrap_or_default();
    Err(format!(
        "HTTP {status} {}",
        crate::text::truncate(&crate::text::inline(said.trim()), 120)
    ))
}

/// A webhook's address as it may be shown: credentials in it (`https://
/// user:secret@host/…`) are replaced by `***`.
pub fn shown_url(url: &str) -> String {
    let safe = match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    };
    crate::text::inline(&safe)
}

/// The HTTP agent the deliverer uses (no redirects: a signed body is not
/// replayed to another address).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// Delivers until `stop()` says so, from a SQLite hub's file.
pub fn run(db: &Path, settings: &Settings, stop: &dyn Fn() -> bool) -> Result<(), String> {
    let conn = crate::store::Store::open(db)
        .map_err(|e| e.to_string())?
        .into_conn();
    deliver_until(&conn, settings, stop);
    Ok(())
}

/// A session-level lock only one process of a PostgreSQL hub holds: the
/// one that delivers (two would each post every decision). When it dies
/// its session ends, the lock is free, and another hub's deliverer takes
/// over where the webhooks' positions say.
const DELIVERER_LOCK: i64 = 0x0063_6976_6974_6177;

/// Delivers until `stop()` says so, from a PostgreSQL hub, in whichever of
/// its processes holds the deliverer's lock.
pub fn run_postgres(url: &str, settings: &Settings, stop: &dyn Fn() -> bool) {
    // One connection kept while it lives: asking for the lock again every
    // few seconds costs a statement, not a new session.
    let mut held: Option<crate::hub::pg::conn::PgConn> = None;
    while !stop() {
        if held.as_ref().is_none_or(|c| c.is_closed()) {
            held = match crate::hub::pg::conn::PgConn::connect(url) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "webhooks: cannot reach the hub database");
                    None
                }
            };
        }
        if let Some(conn) = &held {
            let leader: Result<i64, DbError> = conn.sql().query_row(
                "SELECT CAST(pg_try_advisory_lock(?1) AS INTEGER)",
                [DELIVERER_LOCK],
                |r| r.get(0),
            );
            match leader {
                Ok(1) => {
                    deliver_until(conn.sql(), settings, &|| stop() || conn.is_closed());
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "webhooks: the hub database failed"),
            }
        }
        // Another process delivers (or the database is away): ask again later.
        let mut slept = Duration::ZERO;
        while slept < Duration::from_secs(5) && !stop() {
            std::thread::sleep(Duration::from_millis(50));
            slept += Duration::from_millis(50);
        }
    }
}

fn deliver_until(conn: &dyn Sql, settings: &Settings, stop: &dyn Fn() -> bool) {
    let agent = agent();
    while !stop() {
        let busy = match deliver_due(conn, &agent, settings) {
            Ok(tries) => tries
                .iter()
                .any(|(_, a)| matches!(a, Attempt::Delivered(_) | Attempt::Skipped)),
            Err(e) => {
                tracing::error!(error = %e, "webhooks: the hub database failed");
                false
            }
        };
        if !busy {
            // Sleep in short steps: a stop is heard at once.
            let mut slept = Duration::ZERO;
            while slept < settings.poll && !stop() {
                std::thread::sleep(Duration::from_millis(50));
                slept += Duration::from_millis(50);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than a block is hashed first.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_receiver_refuses_a_stale_or_altered_request() {
        let secret = b"0123456789abcdef";
        let header = sign(secret, 1_000, b"{}");
        assert_eq!(verify(secret, &header, b"{}", 1_100, 300), Ok(()));
        assert_eq!(
            verify(secret, &header, b"{}", 2_000, 300),
            Err(VerifyError::Stale { age: 1_000 })
        );
        assert_eq!(
            verify(secret, &header, b"{ }", 1_100, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(b"another secret!!", &header, b"{}", 1_100, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(secret, "v1=00", b"{}", 1_100, 300),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn credentials_in_an_address_are_never_shown() {
        assert_eq!(
            shown_url("https://platform:s3cret@civitac.bf/hooks?x=a@b"),
            "https://***@civitac.bf/hooks?x=a@b"
        );
        assert_eq!(shown_url("http://127.0.0.1:9/h"), "http://127.0.0.1:9/h");
    }

    #[test]
    fn events_are_kinds_or_families() {
        assert!(check_events("post.hidden, citizen.*").is_ok());
        assert!(check_events("post.hiden").is_err());
        assert!(check_events("nothing.*").is_err());
        assert!(check_events(" , ").is_err());
        assert!(wanted(Some("post.*"), "post.removed"));
        assert!(!wanted(Some("post.hidden"), "post.removed"));
        assert!(wanted(None, "upload.approved"));
    }
}

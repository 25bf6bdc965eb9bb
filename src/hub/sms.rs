//! Sending approved SMS at the hub, through a gateway.
//!
//! When a message's time comes its recipients are fixed (group members not
//! opted out) as one `sms_deliveries` row each. Each delivery is marked
//! `sending` and committed *before* the gateway is called, then `sent` or
//! `failed` after: a hub killed in between never sends that delivery again on
//! its own (a person must never get the same message twice); the gateway's
//! delivery report settles it, or it is failed as unknown after a while.
//! Temporary gateway failures (503, network) retry with backoff; the rate
//! per second is capped. Counts reach replicas through the change feed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use crate::store::sql::{DbError, Dialect, Optional, Sql};

use crate::ops::record_change;
use crate::sms::segments::Encoding;

/// Where the sender runs its transactions: a SQLite hub's connection, or
/// one PostgreSQL connection of a hub process (several may send at once).
pub trait SenderDb {
    /// A transaction that may append to the change feed (on PostgreSQL,
    /// under the hub-wide write lock, like every writer of the feed).
    fn write<T>(&mut self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError>;
    /// A transaction that only claims a delivery and appends nothing to
    /// the feed: on PostgreSQL it takes no hub-wide lock, and the row it
    /// claims is locked with `FOR UPDATE SKIP LOCKED`, so two hubs' senders
    /// never wait for each other nor take the same delivery.
    fn claim<T>(&mut self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        self.write(f)
    }
}

impl SenderDb for Connection {
    fn write<T>(&mut self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        let tx = self.transaction()?;
        let v = f(&tx)?;
        tx.commit()?;
        Ok(v)
    }
}

impl SenderDb for super::pg::conn::PgConn {
    fn write<T>(&mut self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        super::pg::conn::PgConn::write(self, f)
    }

    fn claim<T>(&mut self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        self.unlocked(f)
    }
}

/// One SMS to one person.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub message_id: String,
    pub contact_id: String,
    pub to: String,
    pub text: String,
    pub encoding: Encoding,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GatewayError {
    /// Worth trying again later (overloaded gateway, network).
    #[error("{0}")]
    Temporary(String),
    /// The gateway refused this message for good.
    #[error("{0}")]
    Permanent(String),
}

pub trait Gateway: Send + Sync {
    /// Hands one SMS to the gateway; returns its reference, if it gives one.
    fn send(&self, sms: &Outgoing) -> Result<Option<String>, GatewayError>;
}

/// Kannel's `sendsms` HTTP interface (and gateways that copy it).
pub struct Kannel {
    pub url: String,
    pub username: String,
    pub password: String,
    pub from: String,
    /// Where Kannel sends delivery reports (the hub's `/v1/sms/dlr`, with its key).
    pub dlr_url: Option<String>,
    agent: ureq::Agent,
}

impl Kannel {
    pub fn new(
        url: &str,
        username: &str,
        password: &str,
        from: &str,
        dlr_url: Option<String>,
    ) -> Kannel {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Kannel {
            url: url.to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
            from: from.to_owned(),
            dlr_url,
            agent,
        }
    }
}

/// Kannel's delivery-report bits, as the hub reads them.
pub fn dlr_status(bits: u32) -> Option<&'static str> {
    if bits & 1 != 0 {
        Some("delivered")
    } else if bits & (2 | 16) != 0 {
        Some("failed")
    } else if bits & (4 | 8) != 0 {
        Some("sent")
    } else {
        None
    }
}

impl Gateway for Kannel {
    fn send(&self, sms: &Outgoing) -> Result<Option<String>, GatewayError> {
        let coding = match sms.encoding {
            Encoding::Gsm7 => "0",
            Encoding::Ucs2 => "2",
        };
        let mut request = self
            .agent
            .get(&self.url)
            .query("username", &self.username)
            .query("password", &self.password)
            .query("from", &self.from)
            .query("to", &sms.to)
            .query("text", &sms.text)
            .query("charset", "UTF-8")
            .query("coding", coding);
        if let Some(dlr) = &self.dlr_url {
            let sep = if dlr.contains('?') { '&' } else { '?' };
            // %d is Kannel's placeholder for the report type.
            let url = format!(
                "{dlr}{sep}message={}&contact={}&type=%d",
                sms.message_id, sms.contact_id
            );
            request = request.query("dlr-mask", "31").query("dlr-url", &url);
        }
        let response = request
            .call()
            .map_err(|e| GatewayError::Temporary(format!("gateway unreachable: {e}")))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .with_config()
            .limit(4096)
            .read_to_string()
            .unwrap_or_default();
        match status {
            200..=299 => Ok(Some(body.trim().chars().take(120).collect())),
            408 | 429 | 500..=599 => Err(GatewayError::Temporary(format!(
                "gateway answered {status}: {}",
                body.trim()
            ))),
            _ => Err(GatewayError::Permanent(format!(
                "gateway answered {status}: {}",
                body.trim()
            ))),
        }
    }
}

/// For the demo and tests without a gateway: logs what would be sent.
pub struct LogGateway;

impl Gateway for LogGateway {
    fn send(&self, sms: &Outgoing) -> Result<Option<String>, GatewayError> {
        tracing::info!(
            target: "civitac::sms",
            to = %sms.to,
            message = %sms.message_id,
            encoding = sms.encoding.as_str(),
            "SMS (log gateway, not sent)"
        );
        Ok(None)
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Most SMS handed to the gateway per second.
    pub per_second: u32,
    /// Attempts before a delivery fails for good.
    pub max_attempts: i64,
    /// A delivery left `sending` by a crash, with no report, fails after this.
    pub unknown_after: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            per_second: 20,
            max_attempts: 5,
            unknown_after: Duration::from_secs(30 * 60),
        }
    }
}

/// Starts every approved message whose time has come: fixes its recipients.
pub fn start_due(db: &mut impl SenderDb, now: &str) -> Result<usize, DbError> {
    db.write(|tx| start_due_in(tx, now))
}

fn start_due_in(tx: &dyn Sql, now: &str) -> Result<usize, DbError> {
    let due: Vec<String> = tx
        .prepare_cached(
            "SELECT id FROM sms_messages WHERE status = 'approved'
             AND (scheduled_at IS NULL OR scheduled_at <= ?1) ORDER BY created_at, id",
        )?
        .query_map([now], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let threshold: i64 = crate::store::sql::state(tx, "sms_approval_threshold")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(crate::domain::sms::APPROVAL_THRESHOLD);
    let mut started = 0;
    for id in &due {
        // The audience an approval was given for is the one that may be sent
        // to: a group that grew since (contacts added before the send time)
        // goes back for approval rather than reach people nobody approved.
        let Some(reached) = crate::store::audience::Audience::of_message(tx, id)? else {
            continue;
        };
        let audience = reached.count(tx)?;
        let (approved_for, approved_by): (i64, Option<String>) = tx
            .prepare_cached("SELECT recipients, approved_by FROM sms_messages WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let stale = match approved_by {
            Some(_) => audience > approved_for,
            None => audience > threshold,
        };
        if stale {
            tx.prepare_cached(
                "UPDATE sms_messages SET status = 'queued', approved_by = NULL, recipients = ?2,
                   version = version + 1 WHERE id = ?1",
            )?
            .execute(params![id, audience])?;
            record_change(tx, "sms_message", id)?;
            tracing::warn!(
                target: "civitac::sms",
                message = %id,
                approved_for,
                audience,
                "audience grew since approval: back to queued, needs a new approval"
            );
            continue;
        }
        started += 1;
        reached.plan(tx, id, now)?;
        tx.prepare_cached(
            "UPDATE sms_messages SET status = 'sending', version = version + 1,
               recipients = (SELECT count(*) FROM sms_deliveries WHERE message_id = ?1)
             WHERE id = ?1",
        )?
        .execute([id])?;
        record_change(tx, "sms_message", id)?;
    }
    Ok(started)
}

/// Re-counts a message's deliveries; closes it when none is left to send.
pub fn recount(conn: &dyn Sql, message_id: &str) -> Result<(), DbError> {
    let mut by_status: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*) FROM sms_deliveries WHERE message_id = ?1 GROUP BY status",
    )?;
    for row in stmt.query_map([message_id], |r| Ok((r.get::<String>(0)?, r.get(1)?)))? {
        let (s, n) = row?;
        by_status.insert(s, n);
    }
    let n = |s: &str| by_status.get(s).copied().unwrap_or(0);
    let (open, sent, delivered, failed) = (
        n("pending") + n("sending"),
        n("sent") + n("delivered"),
        n("delivered"),
        n("failed"),
    );
    let status = if open > 0 {
        "sending"
    } else if sent > 0 || failed == 0 {
        "sent"
    } else {
        "failed"
    };
    let changed = conn
        .prepare_cached(
            "UPDATE sms_messages SET sent_count = ?2, delivered_count = ?3, failed_count = ?4,
               status = CASE WHEN status IN ('sending','sent','failed') THEN ?5 ELSE status END,
               version = version + 1
             WHERE id = ?1 AND (sent_count, delivered_count, failed_count, status) IS DISTINCT FROM (?2, ?3, ?4, ?5)",
        )?
        .execute(params![message_id, sent, delivered, failed, status])?;
    if changed > 0 {
        record_change(conn, "sms_message", message_id)?;
    }
    Ok(())
}

/// The next delivery to hand to the gateway, marked `sending` (committed).
fn claim(db: &mut impl SenderDb, now: &str) -> Result<Option<Outgoing>, DbError> {
    loop {
        let found = db.claim(|tx| claim_in(tx, now))?;
        match found {
            Claimed::None => return Ok(None),
            Claimed::Sending(sms) => return Ok(Some(sms)),
            Claimed::OptedOut {
                message_id,
                contact_id,
            } => {
                // Opted out after the message started: never sent to.
                db.write(|tx| {
                    tx.prepare_cached(
                        "UPDATE sms_deliveries SET status = 'failed', error = 'opted out', updated_at = ?3
                         WHERE message_id = ?1 AND contact_id = ?2 AND status = 'pending'",
                    )?
                    .execute(params![message_id, contact_id, now])?;
                    recount(tx, &message_id)
                })?;
            }
        }
    }
}

enum Claimed {
    None,
    Sending(Outgoing),
    OptedOut {
        message_id: String,
        contact_id: String,
    },
}

fn claim_in(tx: &dyn Sql, now: &str) -> Result<Claimed, DbError> {
    // Oldest message first; within it, deliveries in the order of the index
    // on (message, status, contact), so each claim reads a row or two.
    let sending: Vec<(String, String, String)> = tx
        .prepare_cached(
            "SELECT id, body, encoding FROM sms_messages WHERE status = 'sending' ORDER BY created_at, id",
        )?
        .query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    // Another hub's sender may hold a row: PostgreSQL passes over it.
    let skip_locked = match tx.dialect() {
        Dialect::Sqlite => "",
        Dialect::Postgres => " FOR UPDATE OF d SKIP LOCKED",
    };
    let pick = format!(
        "SELECT d.contact_id, c.phone_e164, c.opted_out_at
         FROM sms_deliveries d JOIN sms_contacts c ON c.id = d.contact_id
         WHERE d.message_id = ?1 AND d.status = 'pending'
           AND (d.next_at IS NULL OR d.next_at <= ?2)
         ORDER BY d.contact_id LIMIT 1{skip_locked}"
    );
    for (message_id, body, encoding) in sending {
        let found: Option<(String, String, Option<String>)> = tx
            .prepare_cached(&pick)?
            .query_row(params![message_id, now], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let Some((contact_id, to, opted_out)) = found else {
            continue;
        };
        if opted_out.is_some() {
            return Ok(Claimed::OptedOut {
                message_id,
                contact_id,
            });
        }
        tx.prepare_cached(
            "UPDATE sms_deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?3
             WHERE message_id = ?1 AND contact_id = ?2",
        )?
        .execute(params![message_id, contact_id, now])?;
        return Ok(Claimed::Sending(Outgoing {
            message_id,
            contact_id,
            to,
            text: body,
            encoding: if encoding == "UCS-2" {
                Encoding::Ucs2
            } else {
                Encoding::Gsm7
            },
        }));
    }
    Ok(Claimed::None)
}

fn settle(
    db: &mut impl SenderDb,
    sms: &Outgoing,
    result: Result<Option<String>, GatewayError>,
    settings: &Settings,
    counted_at: &mut Instant,
) -> Result<(), DbError> {
    db.write(|tx| settle_in(tx, sms, result, settings, counted_at))
}

fn settle_in(
    tx: &dyn Sql,
    sms: &Outgoing,
    result: Result<Option<String>, GatewayError>,
    settings: &Settings,
    counted_at: &mut Instant,
) -> Result<(), DbError> {
    let now = crate::time::now();
    // What the gateway said is kept as text a database takes (no NUL).
    let result = result
        .map(|r| r.map(|r| r.replace('\0', "")))
        .map_err(|e| match e {
            GatewayError::Temporary(why) => GatewayError::Temporary(why.replace('\0', "")),
            GatewayError::Permanent(why) => GatewayError::Permanent(why.replace('\0', "")),
        });
    match result {
        Ok(reference) => {
            // A delivery report may have arrived first: keep the better news.
            tx.prepare_cached(
                "UPDATE sms_deliveries SET status = 'sent', gateway_ref = ?3, error = NULL, updated_at = ?4
                 WHERE message_id = ?1 AND contact_id = ?2 AND status = 'sending'",
            )?
            .execute(params![sms.message_id, sms.contact_id, reference, now])?;
        }
        Err(GatewayError::Temporary(why)) => {
            let attempts: i64 = tx
                .prepare_cached(
                    "SELECT attempts FROM sms_deliveries WHERE message_id = ?1 AND contact_id = ?2",
                )?
                .query_row(params![sms.message_id, sms.contact_id], |r| r.get(0))?;
            if attempts >= settings.max_attempts {
                tx.prepare_cached(
                    "UPDATE sms_deliveries SET status = 'failed', error = ?3, updated_at = ?4
                     WHERE message_id = ?1 AND contact_id = ?2 AND status = 'sending'",
                )?
                .execute(params![sms.message_id, sms.contact_id, why, now])?;
            } else {
                let wait = crate::retry::backoff(attempts as u32, None);
                let next = jiff::Timestamp::now()
                    + jiff::SignedDuration::try_from(wait).unwrap_or_default();
                tx.prepare_cached(
                    "UPDATE sms_deliveries SET status = 'pending', error = ?3, next_at = ?4, updated_at = ?5
                     WHERE message_id = ?1 AND contact_id = ?2 AND status = 'sending'",
                )?
                .execute(params![
                    sms.message_id,
                    sms.contact_id,
                    why,
                    crate::time::format(next),
                    now
                ])?;
            }
        }
        Err(GatewayError::Permanent(why)) => {
            tx.prepare_cached(
                "UPDATE sms_deliveries SET status = 'failed', error = ?3, updated_at = ?4
                 WHERE message_id = ?1 AND contact_id = ?2 AND status = 'sending'",
            )?
            .execute(params![sms.message_id, sms.contact_id, why, now])?;
        }
    }
    // Counts are refreshed at most once a second while a message sends, and
    // when its last delivery settles (a recount reads all its deliveries).
    let last = !tx
        .prepare_cached(
            "SELECT 1 FROM sms_deliveries WHERE message_id = ?1 AND status IN ('pending','sending') LIMIT 1",
        )?
        .exists([&sms.message_id])?;
    if last || counted_at.elapsed() >= Duration::from_secs(1) {
        recount(tx, &sms.message_id)?;
        *counted_at = Instant::now();
    }
    Ok(())
}

/// Deliveries a crash left `sending` with no report for too long: failed as
/// unknown, never sent again.
pub fn expire_unknown(db: &mut impl SenderDb, settings: &Settings) -> Result<usize, DbError> {
    let cutoff = jiff::Timestamp::now()
        - jiff::SignedDuration::try_from(settings.unknown_after).unwrap_or_default();
    db.write(|tx| {
    let stale: Vec<(String, String)> = tx
        .prepare_cached(
            "SELECT message_id, contact_id FROM sms_deliveries WHERE status = 'sending' AND updated_at < ?1",
        )?
        .query_map([crate::time::format(cutoff)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (m, c) in &stale {
        tx.prepare_cached(
            "UPDATE sms_deliveries SET status = 'failed',
               error = 'outcome unknown after a hub restart: not sent again, so nobody gets it twice',
               updated_at = ?3 WHERE message_id = ?1 AND contact_id = ?2",
        )?
        .execute(params![m, c, crate::time::now()])?;
        recount(tx, m)?;
    }
    Ok(stale.len())
    })
}

/// A delivery report from the gateway.
pub fn report(
    conn: &mut Connection,
    message_id: &str,
    contact_id: &str,
    bits: u32,
) -> rusqlite::Result<bool> {
    let tx = conn.transaction()?;
    let changed = report_in(&tx, message_id, contact_id, bits)?;
    tx.commit()?;
    Ok(changed)
}

/// A delivery report applied in the caller's transaction (either database).
pub fn report_in(
    tx: &dyn Sql,
    message_id: &str,
    contact_id: &str,
    bits: u32,
) -> Result<bool, DbError> {
    let Some(status) = dlr_status(bits) else {
        return Ok(false);
    };
    // Delivered is final; a late "sent" never downgrades it.
    // A failure says why, as the operator's report does: undelivered (2),
    // or rejected by the SMSC (16).
    let why = match (status, bits & 16 != 0) {
        ("failed", true) => Some("rejected by the operator"),
        ("failed", false) => Some("undelivered: number unreachable"),
        _ => None,
    };
    let changed = tx
        .prepare_cached(
            "UPDATE sms_deliveries SET status = ?3, updated_at = ?4, error = coalesce(?5, error)
             WHERE message_id = ?1 AND contact_id = ?2 AND status <> 'delivered'
               AND NOT (?3 = 'sent' AND status = 'failed')",
        )?
        .execute(params![
            message_id,
            contact_id,
            status,
            crate::time::now(),
            why
        ])?;
    if changed > 0 {
        recount(tx, message_id)?;
    }
    Ok(changed > 0)
}

/// Sends until `stop` says so: starts due messages, hands deliveries to the
/// gateway at most `per_second`, settles each.
pub fn run(
    conn: &mut impl SenderDb,
    gateway: Arc<dyn Gateway>,
    settings: &Settings,
    stop: &dyn Fn() -> bool,
) -> Result<(), DbError> {
    let mut window = Instant::now();
    let mut in_window = 0u32;
    let mut last_housekeeping = Instant::now() - Duration::from_secs(3600);
    let mut counted_at = Instant::now();
    while !stop() {
        if last_housekeeping.elapsed() >= Duration::from_secs(5) {
            start_due(conn, &crate::time::now())?;
            expire_unknown(conn, settings)?;
            last_housekeeping = Instant::now();
        }
        // Wait for the rate limit *before* claiming: between the claim's
        // commit and the gateway call nothing may take time, since a crash
        // there leaves a delivery that is never sent again.
        if window.elapsed() >= Duration::from_secs(1) {
            window = Instant::now();
            in_window = 0;
        }
        if in_window >= settings.per_second.max(1) {
            std::thread::sleep(Duration::from_secs(1).saturating_sub(window.elapsed()));
            window = Instant::now();
            in_window = 0;
        }
        let Some(sms) = claim(conn, &crate::time::now())? else {
            std::thread::sleep(Duration::from_millis(200));
            last_housekeeping -= Duration::from_secs(1);
            continue;
        };
        in_window += 1;
        let result = gateway.send(&sms);
        if let Err(e) = &result {
            tracing::warn!(target: "civitac::sms", to = %sms.to, error = %e, "gateway");
        }
        settle(conn, &sms, result, settings, &mut counted_at)?;
    }
    Ok(())
}

/// Sends everything due now and returns (for tests and `hub sms send-now`).
pub fn drain(
    conn: &mut impl SenderDb,
    gateway: &dyn Gateway,
    settings: &Settings,
) -> Result<usize, DbError> {
    start_due(conn, &crate::time::now())?;
    let mut n = 0;
    let mut counted_at = Instant::now();
    while let Some(sms) = claim(conn, &crate::time::now())? {
        let result = gateway.send(&sms);
        settle(conn, &sms, result, settings, &mut counted_at)?;
        n += 1;
    }
    Ok(n)
}

/// Whether an inbound SMS asks to stop receiving messages.
pub fn is_stop(text: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let word: String = text
        .trim()
        .nfd()
        .filter(char::is_ascii)
        .collect::<String>()
        .to_ascii_uppercase();
    let word = word.trim_end_matches(['.', '!', ' ']);
    matches!(
        word,
        "STOP" | "ARRET" | "ARRETER" | "STOP SMS" | "DESABONNER"
    )
}

/// Whether an inbound SMS asks to receive messages again (after a STOP).
pub fn is_start(text: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let word: String = text
        .trim()
        .nfd()
        .filter(char::is_ascii)
        .collect::<String>()
        .to_ascii_uppercase();
    let word = word.trim_end_matches(['.', '!', ' ']);
    matches!(word, "OUI" | "START" | "JOIN" | "REPRENDRE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_report_bits_read_as_kannel_defines_them() {
        assert_eq!(dlr_status(1), Some("delivered"));
        assert_eq!(dlr_status(2), Some("failed"));
        assert_eq!(dlr_status(4), Some("sent"));
        assert_eq!(dlr_status(8), Some("sent"));
        assert_eq!(dlr_status(16), Some("failed"));
        assert_eq!(dlr_status(0), None);
    }
}

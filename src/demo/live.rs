//! The demo, alive: its hub served in this process on 127.0.0.1 (a free
//! port), the replica logged in as the demo admin, and the public platform
//! simulated: every so often a few new citizen posts and flags arrive through
//! `/v1/ingest`, so the next sync has real work to do; and the platform
//! reads the hub's decision feed, applies each decision once, and says on
//! the console's status line what it applied: the loop, closed.

use std::path::Path;
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::json;

use super::words::{ABUSE, POST_CLOSINGS, POST_MIDDLES, POST_OPENINGS, SPAM};
use super::{DemoError, DemoSummary};
use crate::config::HubConfig;
use crate::domain::staff::Role;
use crate::hub::decisions::{Decision, Page};
use crate::hub::runtime::{Options, Running, RuntimeError, SmsGateway};
use crate::hub::server::Limits;
use crate::hub::tokens;
use crate::i18n::Lang;
use crate::replica::transport::HubClient;
use crate::store::Store;

pub struct LiveDemo {
    /// The demo's hub, wired as `hub serve` wires it; approved SMS go to the
    /// log gateway (nothing leaves the machine).
    pub hub: Running,
    /// How the replica reaches the hub (not written to the user's config).
    pub config: HubConfig,
    feeder: Option<(Sender<()>, JoinHandle<()>)>,
}

impl LiveDemo {
    /// Serves the demo's hub, attaches its replica, and feeds the platform
    /// every `every`.
    pub fn start(
        summary: &DemoSummary,
        seed: u64,
        every: Duration,
        lang: Lang,
        said: Sender<String>,
    ) -> Result<LiveDemo, DemoError> {
        let hub_store = Store::open(&summary.hub)?;
        let owner: (String, Option<String>) = hub_store.sql(|c| {
            c.query_row(
                "SELECT login, display_name FROM staff WHERE id = ?1",
                [&summary.owner],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })?;
        let fail = |e: tokens::TokenError| DemoError::Live(e.to_string());
        let (device_id, device_token) = tokens::issue(
            hub_store.conn(),
            &owner.0,
            owner.1.as_deref(),
            Role::Admin,
            "demo-console",
        )
        .map_err(fail)?;
        let (_, platform_token) =
            tokens::issue_platform(hub_store.conn(), "demo-platform").map_err(fail)?;
        // The platform has applied the demo's history already: it reads on
        // from here.
        let since: i64 = hub_store.sql(|c| {
            c.query_row("SELECT COALESCE(max(rowid), 0) FROM audit_log", [], |r| {
                r.get(0)
            })
        })?;
        drop(hub_store);

        let hub = Running::start(Options {
            db: crate::hub::runtime::HubStore::File(summary.hub.clone()),
            files: crate::hub::backend::default_files_dir(&summary.hub),
            auto_hide: crate::hub::ingest::DEFAULT_AUTO_HIDE,
            listen: "127.0.0.1:0"
                .parse()
                .map_err(|e| DemoError::Live(format!("{e}")))?,
            tls: None,
            limits: Limits::default(),
            gateway: SmsGateway::Log,
            sms: crate::hub::sms::Settings {
                per_second: 50,
                ..Default::default()
            },
            public_url: None,
            webhooks: Default::default(),
        })
        .map_err(|e| match e {
            RuntimeError::Open(e) => DemoError::from(e),
            other => DemoError::Live(format!("demo hub: {other}")),
        })?;
        let url = hub.url();
        let replica = Store::open(&summary.replica)?;
        replica.set_state("device_id", &device_id)?;
        replica.set_state("device_name", "demo-console")?;
        replica.set_state("hub_url", &url)?;
        drop(replica);

        let (stop, stopped) = channel::<()>();
        let hub_path = summary.hub.clone();
        let feed_url = url.clone();
        let feeder = std::thread::Builder::new()
            .name("demo-platform".into())
            .spawn(move || {
                let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xfeed);
                let mut platform = Platform::new(&feed_url, &platform_token, since);
                // The feed is read often (a decision shows on the website
                // soon after its sync); new posts come every `every`.
                let tick = every.min(Duration::from_secs(2));
                let mut fed = std::time::Instant::now();
                loop {
                    match stopped.recv_timeout(tick) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                    match platform.read() {
                        Ok(applied) => {
                            if let Some(line) = applied_line(&applied, lang) {
                                let _ = said.send(line);
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "demo platform decisions"),
                    }
                    if fed.elapsed() < every {
                        continue;
                    }
                    fed = std::time::Instant::now();
                    if let Err(e) = feed_once(&hub_path, &feed_url, &platform_token, &mut rng) {
                        tracing::warn!(error = %e, "demo platform feed");
                    }
                }
            })
            .map_err(|e| DemoError::Live(format!("demo platform: {e}")))?;
        Ok(LiveDemo {
            hub,
            config: HubConfig {
                url,
                bundle_key: crate::hub::backend::bundle_secret(&summary.hub)
                    .ok()
                    .map(|secret| {
                        crate::hub::tokens::bundle_key(
                            &secret,
                            &device_id,
                            &crate::hub::tokens::hash(&device_token),
                        )
                    }),
                token: device_token,
                ca: None,
            },
            feeder: Some((stop, feeder)),
        })
    }

    pub fn stop(&mut self) {
        if let Some((stop, thread)) = self.feeder.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
        self.hub.stop();
    }
}

impl Drop for LiveDemo {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The public platform's side of the loop, as the demo plays it: it reads
/// the hub's decision feed with its token and applies each decision once
/// (by its id), as a real platform would.
pub struct Platform {
    url: String,
    token: String,
    since: i64,
    applied: std::collections::HashSet<String>,
    agent: ureq::Agent,
}

impl Platform {
    pub fn new(url: &str, token: &str, since: i64) -> Platform {
        Platform {
            url: url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            since,
            applied: Default::default(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(10)))
                .build()
                .into(),
        }
    }

    /// The decisions taken since the last read, each once.
    pub fn read(&mut self) -> Result<Vec<Decision>, String> {
        let mut out = Vec::new();
        loop {
            let mut response = self
                .agent
                .get(&format!("{}/v1/decisions", self.url))
                .query("since", self.since.to_string())
                .query("limit", "500")
                .header("Authorization", &format!("Bearer {}", self.token))
                .call()
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response
                .body_mut()
                .with_config()
                .limit(16 * 1024 * 1024)
                .read_to_string()
                .map_err(|e| e.to_string())?;
            if status == 400 && body.contains("past the end") {
                // The hub was restored: read again from the start, applying
                // only what was never applied.
                self.since = 0;
                continue;
            }
            if status != 200 {
                return Err(format!("HTTP {status}"));
            }
            let page: Page = serde_json::from_str(&body).map_err(|e| e.to_string())?;
            self.since = page.next;
            out.extend(
                page.decisions
                    .into_iter()
                    .filter(|d| self.applied.insert(d.id.clone())),
            );
            if !page.more {
                return Ok(out);
            }
        }
    }
}

/// How the status line names each kind: French (one, several), English.
fn kind_words(kind: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    match kind {
        "post.hidden" => (
            "message masqué",
            "messages masqués",
            "post hidden",
            "posts hidden",
        ),
        "post.removed" => (
            "message retiré",
            "messages retirés",
            "post removed",
            "posts removed",
        ),
        "post.restored" => (
            "message rétabli",
            "messages rétablis",
            "post restored",
            "posts restored",
        ),
        "citizen.muted" => (
            "citoyen réduit au silence",
            "citoyens réduits au silence",
            "citizen muted",
            "citizens muted",
        ),
        "citizen.banned" => (
            "citoyen banni",
            "citoyens bannis",
            "citizen banned",
            "citizens banned",
        ),
        "citizen.reinstated" => (
            "citoyen rétabli",
            "citoyens rétablis",
            "citizen reinstated",
            "citizens reinstated",
        ),
        "thread.locked" => (
            "fil verrouillé",
            "fils verrouillés",
            "thread locked",
            "threads locked",
        ),
        "thread.unlocked" => (
            "fil rouvert",
            "fils rouverts",
            "thread unlocked",
            "threads unlocked",
        ),
        "organization.enrolled" => (
            "organisation enrôlée",
            "organisations enrôlées",
            "organisation enrolled",
            "organisations enrolled",
        ),
        "organization.suspended" => (
            "organisation suspendue",
            "organisations suspendues",
            "organisation suspended",
            "organisations suspended",
        ),
        "organization.reinstated" => (
            "organisation rétablie",
            "organisations rétablies",
            "organisation reinstated",
            "organisations reinstated",
        ),
        "organization.rejected" => (
            "candidature rejetée",
            "candidatures rejetées",
            "application rejected",
            "applications rejected",
        ),
        "upload.approved" => (
            "document publié",
            "documents publiés",
            "document published",
            "documents published",
        ),
        "upload.rejected" => (
            "document refusé",
            "documents refusés",
            "document rejected",
            "documents rejected",
        ),
        "upload.changes_requested" => (
            "document à corriger",
            "documents à corriger",
            "document sent back",
            "documents sent back",
        ),
        "sms.approved" => (
            "SMS approuvé",
            "SMS approuvés",
            "SMS approved",
            "SMS approved",
        ),
        "sms.cancelled" => (
            "SMS annulé",
            "SMS annulés",
            "SMS cancelled",
            "SMS cancelled",
        ),
        _ => ("décision", "décisions", "decision", "decisions"),
    }
}

/// "plateforme, appliqué : 3 messages masqués, 1 organisation enrôlée ; 4
/// auteurs prévenus", or nothing when nothing came.
pub fn applied_line(applied: &[Decision], lang: Lang) -> Option<String> {
    if applied.is_empty() {
        return None;
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for d in applied {
        match counts.iter_mut().find(|(k, _)| *k == d.kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((&d.kind, 1)),
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(kind, n)| {
            let (fr1, fr, en1, en) = kind_words(kind);
            let word = match (lang, *n) {
                (Lang::Fr, 1) => fr1,
                (Lang::Fr, _) => fr,
                (Lang::En, 1) => en1,
                (Lang::En, _) => en,
            };
            format!("{n} {word}")
        })
        .collect();
    let told = applied.iter().filter(|d| d.notice.is_some()).count();
    Some(match lang {
        Lang::Fr => format!(
            "plateforme, appliqué : {} ; {told} auteur{} prévenu{}",
            parts.join(", "),
            if told > 1 { "s" } else { "" },
            if told > 1 { "s" } else { "" },
        ),
        Lang::En => format!(
            "platform applied: {}; {told} author{} told",
            parts.join(", "),
            if told == 1 { "" } else { "s" },
        ),
    })
}

/// A random row of `table` (by rowid, without scanning a million rows).
fn random_row<T>(
    conn: &Connection,
    rng: &mut ChaCha8Rng,
    select: &str,
    table: &str,
    map: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let max: i64 = conn.query_row(
        &format!("SELECT COALESCE(MAX(rowid), 0) FROM {table}"),
        [],
        |r| r.get(0),
    )?;
    if max == 0 {
        return Ok(None);
    }
    let at = rng.random_range(1..=max);
    conn.query_row(
        &format!("{select} WHERE {table}.rowid >= ?1 ORDER BY {table}.rowid LIMIT 1"),
        [at],
        map,
    )
    .optional()
}

/// Sends what the public platform received since last time: a few posts,
/// a few flags (some on the new posts, enough now and then to auto-hide one).
pub fn feed_once(
    hub: &Path,
    url: &str,
    token: &str,
    rng: &mut ChaCha8Rng,
) -> Result<serde_json::Value, String> {
    let conn = Connection::open_with_flags(hub, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| e.to_string())?;
    let now = crate::time::now();
    let mut lines = Vec::new();
    let mut new_posts = Vec::new();
    for _ in 0..rng.random_range(2..=4) {
        let thread = random_row(
            &conn,
            rng,
            "SELECT forum_threads.id, forum_threads.title, COALESCE(o.commune, o.name, 'la commune') \
             FROM forum_threads LEFT JOIN organizations o ON o.id = forum_threads.org_id",
            "forum_threads",
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
        )
        .map_err(|e| e.to_string())?;
        let author = random_row(
            &conn,
            rng,
            "SELECT citizens.id, citizens.display_name FROM citizens",
            "citizens",
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .map_err(|e| e.to_string())?;
        let (Some((thread_id, title, commune)), Some((author_id, name))) = (thread, author) else {
            return Err("the demo hub has no threads or citizens".into());
        };
        let body = if rng.random_bool(0.3) {
            (*[SPAM, ABUSE]
                .choose(rng)
                .and_then(|l| l.choose(rng))
                .unwrap_or(&"…"))
            .to_owned()
        } else {
            [POST_OPENINGS, POST_MIDDLES, POST_CLOSINGS]
                .iter()
                .filter_map(|part| part.choose(rng))
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let body = super::words::place_in(&body, &commune);
        let id = uuid::Uuid::now_v7().to_string();
        lines.push(json!({
            "type": "post", "id": id,
            "thread": {"id": thread_id, "title": title},
            "author": {"id": author_id, "name": name},
            "body": body, "created_at": now,
        }));
        new_posts.push(id);
    }
    let reasons = ["spam", "abuse", "off_topic", "misinformation"];
    for _ in 0..rng.random_range(2..=6) {
        let post = if rng.random_bool(0.5) {
            new_posts.choose(rng).cloned()
        } else {
            random_row(
                &conn,
                rng,
                "SELECT forum_posts.id FROM forum_posts",
                "forum_posts",
                |r| r.get::<_, String>(0),
            )
            .map_err(|e| e.to_string())?
        };
        let Some(post) = post else { continue };
        lines.push(json!({
            "type": "flag", "post_id": post,
            "reporter": format!("citoyen-{}", rng.random_range(1..100_000)),
            "reason": reasons.choose(rng).copied().unwrap_or("other"),
            "created_at": now,
        }));
    }
    drop(conn);
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let mut client = HubClient::new(url, token, None).map_err(|e| e.to_string())?;
    client.ingest(body.as_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(kind: &str, told: bool) -> Decision {
        Decision {
            id: uuid::Uuid::now_v7().to_string(),
            seq: 1,
            at: String::new(),
            kind: kind.into(),
            entity: String::new(),
            entity_id: String::new(),
            platform_id: None,
            reason: None,
            until: None,
            by: "moderator".into(),
            by_name: None,
            notice: told.then(|| crate::store::notices::Notice {
                fr: "x".into(),
                en: "x".into(),
            }),
            notify: told,
        }
    }

    #[test]
    fn the_status_line_says_what_the_platform_applied() {
        assert_eq!(applied_line(&[], Lang::Fr), None);
        let applied = [
            decision("post.hidden", true),
            decision("post.hidden", false),
            decision("organization.enrolled", true),
        ];
        assert_eq!(
            applied_line(&applied, Lang::Fr).as_deref(),
            Some(
                "plateforme, appliqué : 2 messages masqués, 1 organisation enrôlée ; 2 auteurs prévenus"
            )
        );
        assert_eq!(
            applied_line(&applied[..1], Lang::En).as_deref(),
            Some("platform applied: 1 post hidden; 1 author told")
        );
    }
}

//! The demo, alive: its hub served in this process on 127.0.0.1 (a free
//! port), the replica logged in as the demo admin, and the public platform
//! simulated: every so often a few new citizen posts and flags arrive through
//! `/v1/ingest`, so the next sync has real work to do.

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
use crate::hub::runtime::{Options, Running, RuntimeError, SmsGateway};
use crate::hub::server::Limits;
use crate::hub::tokens;
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
    pub fn start(summary: &DemoSummary, seed: u64, every: Duration) -> Result<LiveDemo, DemoError> {
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
        drop(hub_store);

        let hub = Running::start(Options {
            db: summary.hub.clone(),
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
                loop {
                    match stopped.recv_timeout(every) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
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
        }
        .replace("{c}", &commune);
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

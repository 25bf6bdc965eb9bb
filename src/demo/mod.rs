//! Realistic, deterministic demo data: a hub database and a replica owned by
//! the demo admin, in French, on Burkina Faso's real communes and their 2019
//! census populations.
//!
//! What citizens and organisations send in through the public platform
//! (applications' uploads, forum posts and flags, SMS contacts) is bulk-loaded
//! as the hub's ingest would; every decision staff made (enrolment steps,
//! reviews, moderation, SMS approvals) goes through `ops::apply`, so the audit
//! log tells the same story as the rows. Same seed, same `as_of` day → the same
//! data, row for row.

pub mod files;
pub mod live;
mod words;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::domain::enrollment::{EnrollmentAction, OrgKind, Stage};
use crate::domain::forum::{CitizenAction, CitizenStatus, FlagReason, PostAction, PostStatus};
use crate::domain::sms::{SmsKind, SmsStatus};
use crate::domain::staff::Role;
use crate::domain::uploads::{DocumentCategory, ReviewDecision, UploadKind, UploadStatus};
use crate::ops::{self, Charter, NewOrganization, NewSms, Op, OpMeta};
use crate::store::{Actor, Side, Store, StoreError, platform};
use words::*;

pub use crate::domain::places::COMMUNES_CSV;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// 1.0 ≈ 400 organisations, 2,000 uploads, 20,000 posts, 5,000 contacts.
    pub scale: f64,
    pub seed: u64,
    /// The "today" of the demo world: every timestamp lies before it.
    pub as_of: Timestamp,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DemoSummary {
    pub hub: PathBuf,
    pub replica: PathBuf,
    pub staff: usize,
    pub organizations: usize,
    pub uploads: usize,
    pub threads: usize,
    pub citizens: usize,
    pub posts: usize,
    pub flags: usize,
    pub contacts: usize,
    pub groups: usize,
    pub sms_messages: usize,
    pub ops: usize,
    pub owner: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: refusing to overwrite a database that is not a civitac demo", .0.display())]
    NotADemo(PathBuf),
    #[error("demo data: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("demo data: op refused: {0}")]
    Op(#[from] ops::OpError),
    #[error("data/bf_communes.csv line {line}: {why}")]
    Communes { line: usize, why: String },
    #[error("--scale must be between 0.01 and 1000, not {0}")]
    Scale(f64),
    #[error("live demo: {0}")]
    Live(String),
    #[error("demo files: {0}")]
    Files(String),
}

impl From<crate::store::sql::DbError> for DemoError {
    fn from(e: crate::store::sql::DbError) -> Self {
        DemoError::Sqlite(e.into())
    }
}

#[derive(Debug, Clone)]
pub struct Commune {
    pub region: String,
    pub province: String,
    pub name: String,
    pub population: u32,
}

/// Parses the embedded communes file.
pub fn communes() -> Result<Vec<Commune>, DemoError> {
    let mut out = Vec::with_capacity(351);
    for (i, line) in COMMUNES_CSV.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let bad = |why: &str| DemoError::Communes {
            line: i + 1,
            why: why.to_owned(),
        };
        if cols.len() != 5 {
            return Err(bad("expected 5 columns"));
        }
        let population = cols[4]
            .trim()
            .parse()
            .map_err(|_| bad("population is not a number"))?;
        out.push(Commune {
            region: cols[0].to_owned(),
            province: cols[2].to_owned(),
            name: cols[3].to_owned(),
            population,
        });
    }
    Ok(out)
}

/// Builds DIR/hub.db and DIR/replica.db. Each is written to a temporary file
/// and renamed into place, so an interrupted run never leaves a half-built
/// database under the real name.
pub fn build(dir: &Path, opts: &DemoOptions) -> Result<DemoSummary, DemoError> {
    if !(0.01..=1000.0).contains(&opts.scale) {
        return Err(DemoError::Scale(opts.scale));
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| DemoError::Io { path, source }
    };
    crate::store::create_private_dir(dir).map_err(io(dir))?;
    let hub_path = dir.join("hub.db");
    let replica_path = dir.join("replica.db");
    for p in [&hub_path, &replica_path] {
        refuse_non_demo(p)?;
    }
    // Never rebuilt under a hub serving it (its files would be deleted
    // under its connections).
    let _serving = crate::hub::backup::ServeLock::acquire(&hub_path)
        .map_err(|e| DemoError::Live(e.to_string()))?;
    let hub_tmp = dir.join("hub.db.building");
    let replica_tmp = dir.join("replica.db.building");
    for p in [&hub_tmp, &replica_tmp] {
        remove_db(p).map_err(io(p))?;
    }

    let mut summary = DemoSummary {
        hub: hub_path.clone(),
        replica: replica_path.clone(),
        ..Default::default()
    };
    {
        let mut store = Store::create(&hub_tmp, Side::Hub)?;
        let conn = store.conn_mut();
        // A fresh file that is renamed into place only when complete needs no
        // journal: a crash leaves only the temporary file, removed next run.
        conn.pragma_update(None, "journal_mode", "OFF")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        conn.pragma_update(None, "cache_size", -262_144)?;
        let tx = conn.transaction()?;
        let deferred = defer_indexes(&tx)?;
        World::new(&tx, opts)?.generate(&mut summary)?;
        statistic_files(&tx, &dir.join("files"))?;
        sample_files(&tx, &dir.join("files"))?;
        let clock = std::time::Instant::now();
        restore_indexes(&tx, &deferred)?;
        tracing::info!(
            seconds = clock.elapsed().as_secs_f64(),
            "demo indexes rebuilt"
        );
        crate::store::set_state(&tx, "demo", "1")?;
        crate::store::set_state(&tx, "demo_seed", &opts.seed.to_string())?;
        crate::store::set_state(&tx, "demo_as_of", &crate::time::format(opts.as_of))?;
        tx.commit()?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
    }
    let clock = std::time::Instant::now();
    std::fs::copy(&hub_tmp, &replica_tmp).map_err(io(&replica_tmp))?;
    tracing::info!(
        seconds = clock.elapsed().as_secs_f64(),
        "demo replica copied"
    );
    {
        let store = Store::open(&replica_tmp)?;
        store.set_state("side", Side::Replica.as_str())?;
        store.set_state("staff_id", &summary.owner)?;
        let device = uuid::Builder::from_random_bytes(
            ChaCha8Rng::seed_from_u64(opts.seed ^ 0x00de_71ce).random(),
        )
        .into_uuid()
        .to_string();
        store.set_state("device_id", &device)?;
        store.set_state("device_name", "demo-replica")?;
        // The replica starts level with the hub: its first pull begins after the history.
        let level: i64 = store.sql(|c| {
            c.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })
        })?;
        store.set_state("pull_cursor", &level.to_string())?;
    }
    {
        let store = Store::open(&hub_tmp)?;
        store.sql(|c| c.pragma_update(None, "journal_mode", "WAL"))?;
    }
    for (tmp, path) in [(&hub_tmp, &hub_path), (&replica_tmp, &replica_path)] {
        remove_db(path).map_err(io(path))?;
        std::fs::rename(tmp, path).map_err(io(path))?;
    }
    Ok(summary)
}

/// Statistics uploads get real content: the CSV their figures came from,
/// stored in the hub's file store under its SHA-256 (which, with the size,
/// replaces the placeholder), so fetching and verifying files can be tried.
fn statistic_files(conn: &Connection, files: &Path) -> Result<(), DemoError> {
    let mut uploads = conn.prepare(
        "SELECT u.id, o.name, o.region, COALESCE(o.commune, '') FROM uploads u
         JOIN organizations o ON o.id = u.org_id WHERE u.kind = 'statistic' ORDER BY u.id",
    )?;
    let mut stats = conn.prepare(
        "SELECT indicator, year, value FROM upload_stats WHERE upload_id = ?1 ORDER BY indicator, year",
    )?;
    let mut update =
        conn.prepare("UPDATE uploads SET sha256 = ?2, size_bytes = ?3 WHERE id = ?1")?;
    let rows: Vec<(String, String, String, String)> = uploads
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (id, org, region, commune) in rows {
        let mut csv = String::from("organisation;region;commune;indicateur;annee;valeur\n");
        let figures: Vec<(String, i64, f64)> = stats
            .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (indicator, year, value) in figures {
            csv.push_str(&format!(
                "{org};{region};{commune};{indicator};{year};{value}\n"
            ));
        }
        let sha = crate::hub::files::store_bytes(files, csv.as_bytes())
            .map_err(|e| DemoError::Files(e.to_string()))?;
        update.execute(params![id, sha, csv.len() as i64])?;
    }
    Ok(())
}

/// How many of the newest other uploads get real content.
const SAMPLE_FILES: i64 = 1_500;

/// The newest documents, photos, videos and recordings get small real files
/// (a PDF with its text — some council minutes scanned, with none — a
/// JPEG's headers, an MP4's and an MP3's), so previews can be tried; the
/// rest keep a placeholder the hub does not hold.
fn sample_files(conn: &Connection, files: &Path) -> Result<(), DemoError> {
    let mut uploads = conn.prepare(
        "SELECT u.id, u.kind, COALESCE(u.category, ''), u.title, o.name, COALESCE(o.commune, o.region),
                substr(u.submitted_at, 1, 4)
         FROM uploads u JOIN organizations o ON o.id = u.org_id
         WHERE u.kind <> 'statistic' ORDER BY u.submitted_at DESC, u.id LIMIT ?1",
    )?;
    let mut update =
        conn.prepare("UPDATE uploads SET sha256 = ?2, size_bytes = ?3 WHERE id = ?1")?;
    type Row = (String, String, String, String, String, String, String);
    let rows: Vec<Row> = uploads
        .query_map([SAMPLE_FILES], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    for (id, kind, category, title, org, place, year) in rows {
        // Variety from the id, the same on every build.
        let n = id
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        let bytes = match kind.as_str() {
            "photo" => {
                let (w, h) =
                    [(4032, 3024), (1600, 1200), (1280, 960), (3264, 2448)][n as usize % 4];
                files::jpeg(w, h)
            }
            "video" => files::mp4(30 + n % 600, 1280, 720),
            "audio" => files::mp3(60 + n % 1800),
            _ if category == "council_minutes" && n % 4 == 0 => {
                files::pdf(&[vec![], vec![], vec![]])
            }
            _ => {
                let first = vec![
                    title.clone(),
                    format!("{org} — {place}"),
                    format!("Exercice {year}"),
                ];
                let second = match category.as_str() {
                    "budget" => vec![
                        "Recettes de fonctionnement : 184 500 000 FCFA".to_owned(),
                        "Dépenses d'investissement : 97 250 000 FCFA".to_owned(),
                        "Forages et adduction d'eau : 24 000 000 FCFA".to_owned(),
                    ],
                    "council_minutes" => vec![
                        "Le conseil municipal s'est réuni en session ordinaire.".to_owned(),
                        "Points à l'ordre du jour : budget, marchés, état civil.".to_owned(),
                    ],
                    _ => vec![format!("{title} : document transmis par {org}.")],
                };
                files::pdf(&[first, second])
            }
        };
        let sha = crate::hub::files::store_bytes(files, &bytes)
            .map_err(|e| DemoError::Files(e.to_string()))?;
        update.execute(params![id, sha, bytes.len() as i64])?;
    }
    Ok(())
}

/// Tables whose secondary indexes and FTS insert triggers are dropped while
/// the bulk of the demo is loaded, and rebuilt (sorted, in one pass) after.
/// `forum_flags_by_post` stays: `apply` looks flags up by post during the build.
const DEFERRED_TABLES: &[&str] = &[
    "forum_posts",
    "audit_log",
    "uploads",
    "citizens",
    "forum_flags",
];
const KEPT_INDEXES: &[&str] = &["forum_flags_by_post"];
/// Tables whose insert triggers (search and counts) wait too, but whose
/// indexes stay: `apply` finds an organisation's namesakes by its name's key.
/// The "search keys" and "counts" sections number, index and count them all
/// after (organisations are numbered afresh there anyway).
const DEFERRED_TRIGGERS: &[&str] = &["organizations"];

/// Drops the deferred indexes and triggers, returning their SQL to recreate them.
fn defer_indexes(conn: &Connection) -> Result<Vec<(String, String, String)>, DemoError> {
    let marks = |n: usize| vec!["?"; n].join(", ");
    let mut stmt = conn.prepare(&format!(
        "SELECT type, name, sql FROM sqlite_master
         WHERE sql IS NOT NULL
           AND ((tbl_name IN ({}) AND type = 'index')
                OR (tbl_name IN ({}) AND type = 'trigger'
                    AND (name LIKE '%search_insert' OR name LIKE '%count_insert')))",
        marks(DEFERRED_TABLES.len()),
        marks(DEFERRED_TABLES.len() + DEFERRED_TRIGGERS.len())
    ))?;
    let tables = DEFERRED_TABLES
        .iter()
        .chain(DEFERRED_TABLES)
        .chain(DEFERRED_TRIGGERS);
    let objects: Vec<(String, String, String)> = stmt
        .query_map(rusqlite::params_from_iter(tables), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let objects: Vec<_> = objects
        .into_iter()
        .filter(|(_, name, _)| !KEPT_INDEXES.contains(&name.as_str()))
        .collect();
    for (kind, name, _) in &objects {
        conn.execute_batch(&format!("DROP {} \"{name}\"", kind.to_uppercase()))?;
    }
    Ok(objects)
}

/// Drops the named triggers, returning the SQL that makes them again.
fn drop_triggers(conn: &Connection, names: &[&str]) -> Result<Vec<String>, DemoError> {
    let mut made = Vec::with_capacity(names.len());
    for name in names {
        made.push(conn.query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
            [name],
            |r| r.get(0),
        )?);
        conn.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
    }
    Ok(made)
}

fn restore_indexes(
    conn: &Connection,
    objects: &[(String, String, String)],
) -> Result<(), DemoError> {
    // Keys first, indexes after: numbering a million rows is cheaper with
    // no index to keep in step.
    let timed = |what: &str, sql: &str| -> Result<(), DemoError> {
        let clock = std::time::Instant::now();
        conn.execute_batch(sql)?;
        tracing::info!(
            what,
            seconds = clock.elapsed().as_secs_f64(),
            "demo index step"
        );
        Ok(())
    };
    timed("search keys", crate::store::search_keys_sql())?;
    for (_, name, sql) in objects {
        timed(name, sql)?;
    }
    timed("counts", crate::store::counts_sql())?;
    // Statistics let the planner pick the small moderation-queue index over
    // the status index; a sampled ANALYZE takes well under a second.
    conn.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;")?;
    Ok(())
}

/// Removes a database file and its WAL companions, if present.
fn remove_db(path: &Path) -> std::io::Result<()> {
    crate::store::remove_with_journals(path)
}

/// The demo may replace its own earlier output, never anything else.
fn refuse_non_demo(path: &Path) -> Result<(), DemoError> {
    if !path.exists() {
        return Ok(());
    }
    match Store::open(path) {
        Ok(store) if store.state("demo")?.as_deref() == Some("1") => Ok(()),
        _ => Err(DemoError::NotADemo(path.to_owned())),
    }
}

/// A staff member of the demo world, with the device they work on.
struct Staff {
    actor: Actor,
}

const STAFF: &[(&str, &str, Role)] = &[
    ("awa.kabore", "Awa Kaboré", Role::Admin),
    ("salif.ouedraogo", "Salif Ouédraogo", Role::Admin),
    ("mariam.traore", "Mariam Traoré", Role::Moderator),
    ("issa.sawadogo", "Issa Sawadogo", Role::Moderator),
    ("clarisse.some", "Clarisse Somé", Role::Moderator),
    ("boukary.zongo", "Boukary Zongo", Role::FieldAgent),
    ("fatimata.diallo", "Fatimata Diallo", Role::FieldAgent),
    ("hamidou.sanou", "Hamidou Sanou", Role::FieldAgent),
    ("rasmata.compaore", "Rasmata Compaoré", Role::FieldAgent),
];

struct World<'c> {
    conn: &'c Connection,
    rng: ChaCha8Rng,
    scale: f64,
    as_of: Timestamp,
    communes: Vec<Commune>,
    staff: Vec<Staff>,
    ops: usize,
}

/// An organisation as generated, for the later steps that refer to it.
struct OrgRef {
    id: String,
    kind: OrgKind,
    commune: Option<usize>,
    status: Stage,
    created: Timestamp,
}

impl<'c> World<'c> {
    fn new(conn: &'c Connection, opts: &DemoOptions) -> Result<World<'c>, DemoError> {
        Ok(World {
            conn,
            rng: ChaCha8Rng::seed_from_u64(opts.seed),
            scale: opts.scale,
            as_of: opts.as_of,
            communes: communes()?,
            staff: Vec::new(),
            ops: 0,
        })
    }

    fn scaled(&self, n: f64) -> usize {
        (n * self.scale).round().max(1.0) as usize
    }

    /// A UUID v7 for a record born at `at`, from the seeded generator.
    fn id_at(&mut self, at: Timestamp) -> String {
        let bytes: [u8; 10] = self.rng.random();
        uuid::Builder::from_unix_timestamp_millis(at.as_millisecond().max(0) as u64, &bytes)
            .into_uuid()
            .to_string()
    }

    /// A v7 id whose 12 bits after the time are `n`: ids made for one
    /// millisecond sort in the order they were made (RFC 9562, method 1).
    fn id_in_order(&mut self, at: Timestamp, n: i64) -> String {
        let mut bytes: [u8; 10] = self.rng.random();
        let n = n.clamp(0, 0x0fff) as u16;
        bytes[0] = (n >> 8) as u8;
        bytes[1] = n as u8;
        uuid::Builder::from_unix_timestamp_millis(at.as_millisecond().max(0) as u64, &bytes)
            .into_uuid()
            .to_string()
    }

    /// A moment `min_days..max_days` after `from`, never after `as_of`.
    fn after(&mut self, from: Timestamp, min_hours: i64, max_hours: i64) -> Timestamp {
        let secs = self.rng.random_range(min_hours * 3600..=max_hours * 3600);
        let t = from + SignedDuration::from_secs(secs);
        if t < self.as_of {
            return t;
        }
        // Past the demo's today: somewhere between `from` and then, so what
        // happened last is spread over the last days rather than piled up
        // in its final hour.
        let room = self.as_of.duration_since(from).as_secs();
        if room > 120 {
            from + SignedDuration::from_secs(self.rng.random_range(60..room - 60))
        } else {
            self.as_of - SignedDuration::from_secs(60)
        }
    }

    /// A moment within the last `days` days.
    fn within_days(&mut self, days: i64) -> Timestamp {
        self.as_of - SignedDuration::from_secs(self.rng.random_range(3600..days * 86_400))
    }

    fn person(&mut self) -> String {
        let g = GIVEN_NAMES.choose(&mut self.rng).copied().unwrap_or("Awa");
        let f = FAMILY_NAMES
            .choose(&mut self.rng)
            .copied()
            .unwrap_or("Kaboré");
        format!("{g} {f}")
    }

    fn mobile(&mut self) -> String {
        let p = MOBILE_PREFIXES
            .choose(&mut self.rng)
            .copied()
            .unwrap_or("70");
        format!("+226{p}{:06}", self.rng.random_range(0..1_000_000))
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn staff_with(&mut self, role: Role) -> Actor {
        let candidates: Vec<usize> = (0..self.staff.len())
            .filter(|&i| self.staff[i].actor.role == role)
            .collect();
        let i = *self.pick(&candidates);
        self.staff[i].actor.clone()
    }

    fn op(&mut self, actor: &Actor, at: Timestamp, op: Op) -> Result<(), DemoError> {
        let meta = OpMeta {
            op_id: self.id_at(at),
            at: crate::time::format(at),
            quiet: false,
            batch: None,
        };
        ops::apply_with(self.conn, actor, &op, &meta)?;
        self.ops += 1;
        Ok(())
    }

    fn generate(mut self, summary: &mut DemoSummary) -> Result<(), DemoError> {
        let clock = std::time::Instant::now();
        let lap = |phase: &str| {
            tracing::info!(
                phase,
                seconds = clock.elapsed().as_secs_f64(),
                "demo phase done"
            )
        };
        self.staff(summary)?;
        let orgs = self.organizations(summary)?;
        lap("organizations");
        self.uploads(&orgs, summary)?;
        lap("uploads");
        self.forum(&orgs, summary)?;
        lap("forum");
        self.sms(&orgs, summary)?;
        lap("sms");
        summary.ops = self.ops;
        Ok(())
    }

    fn staff(&mut self, summary: &mut DemoSummary) -> Result<(), DemoError> {
        let mut insert = self
            .conn
            .prepare("INSERT INTO staff (id, login, display_name, role) VALUES (?1, ?2, ?3, ?4)")?;
        for (login, name, role) in STAFF {
            let at = self.as_of - SignedDuration::from_hours(24 * 600);
            let id = self.id_at(at);
            insert.execute(params![id, login, name, role])?;
            let actor = Actor {
                staff_id: id,
                login: (*login).to_owned(),
                display_name: (*name).to_owned(),
                role: *role,
                device: format!("laptop-{login}"),
            };
            self.staff.push(Staff { actor });
        }
        summary.staff = self.staff.len();
        summary.owner = self.staff[0].actor.staff_id.clone();
        Ok(())
    }

    fn organizations(&mut self, summary: &mut DemoSummary) -> Result<Vec<OrgRef>, DemoError> {
        let total = self.scaled(400.0);
        let n_communes = self.scaled(351.0).min(351);
        let n_regions = self.scaled(17.0).min(17);
        let n_osc = total.saturating_sub(n_communes + n_regions).max(5);
        let stride = 351.0 / n_communes as f64;
        let commune_idx: Vec<usize> = (0..n_communes)
            .map(|i| (i as f64 * stride) as usize)
            .collect();
        let mut regions: Vec<String> = Vec::new();
        for c in &self.communes {
            if !regions.contains(&c.region) {
                regions.push(c.region.clone());
            }
        }
        let mut orgs = Vec::with_capacity(n_communes + n_regions + n_osc);
        let mut seen_names: HashSet<(String, usize)> = HashSet::new();
        let mut plan: Vec<(OrgKind, Option<usize>, String, Option<String>)> = Vec::new();
        for &ci in &commune_idx {
            plan.push((
                OrgKind::Commune,
                Some(ci),
                format!("Commune {}", de(&self.communes[ci].name)),
                None,
            ));
        }
        for r in regions.iter().take(n_regions) {
            let ci = self
                .communes
                .iter()
                .position(|c| &c.region == r)
                .unwrap_or(0);
            plan.push((
                OrgKind::Region,
                Some(ci),
                format!("Conseil régional {}", du(r)),
                None,
            ));
        }
        let mut i = 0;
        while i < n_osc {
            let ci = self.rng.random_range(0..self.communes.len());
            let (form, fa) = *self.pick(OSC_FORMS);
            let (members, ma) = *self.pick(OSC_MEMBERS);
            let name = format!("{form} {members} {}", de(&self.communes[ci].name));
            // About one in a hundred is sent twice, with other capitals or accents:
            // the duplicate detection must find those; accidental repeats are redrawn.
            let duplicate = i > 0 && self.rng.random_bool(0.01);
            if !duplicate && !seen_names.insert((name.clone(), ci)) {
                continue;
            }
            let name = if duplicate {
                match plan.iter().rev().find(|p| p.0 == OrgKind::Osc) {
                    Some((_, Some(prev_ci), prev, _)) => {
                        let prev = prev.clone();
                        let prev_ci = *prev_ci;
                        plan.push((
                            OrgKind::Osc,
                            Some(prev_ci),
                            format!("{}.", prev.to_uppercase()),
                            None,
                        ));
                        i += 1;
                        continue;
                    }
                    _ => name,
                }
            } else {
                name
            };
            let acronym = format!("{fa}{ma}{}", initials(&self.communes[ci].name));
            plan.push((OrgKind::Osc, Some(ci), name, Some(acronym)));
            i += 1;
        }

        // A backlog of contacted organisations awaiting an admin's batch
        // approval is the normal state of the pipeline; rejections are rare.
        let stages: &[(Stage, u32)] = &[
            (Stage::Applied, 12),
            (Stage::CharterReceived, 12),
            (Stage::Contacted, 52),
            (Stage::Enrolled, 16),
            (Stage::Rejected, 4),
            (Stage::Suspended, 4),
        ];
        let weights: u32 = stages.iter().map(|s| s.1).sum();
        for (kind, ci, name, acronym) in plan {
            let created = self.within_days(540);
            let id = self.id_at(created);
            let commune = ci.map(|i| self.communes[i].clone());
            let contact = self.person();
            let role = match kind {
                OrgKind::Osc => *self.pick(ORG_ROLES_OSC),
                _ => *self.pick(ORG_ROLES_COMMUNE),
            };
            let email_user = acronym.clone().unwrap_or_else(|| {
                format!(
                    "mairie.{}",
                    crate::domain::normalise_name(
                        &commune.as_ref().map(|c| c.name.clone()).unwrap_or_default()
                    )
                    .replace(' ', "")
                )
            });
            let domain = *self.pick(EMAIL_DOMAINS);
            let org = NewOrganization {
                id: id.clone(),
                kind,
                name,
                acronym,
                region: commune
                    .as_ref()
                    .map(|c| c.region.clone())
                    .unwrap_or_default(),
                province: commune.as_ref().map(|c| c.province.clone()),
                commune: commune
                    .as_ref()
                    .filter(|_| kind != OrgKind::Region)
                    .map(|c| c.name.clone()),
                contact_name: Some(contact),
                contact_role: Some(role.to_owned()),
                phone: Some(self.mobile()),
                email: Some(format!("{}@{domain}", email_user.to_lowercase())),
                notes: None,
                platform_id: None,
            };
            let agent = self.staff_with(Role::FieldAgent);
            self.op(&agent, created, Op::ApplyEnrollment { org })?;

            let mut roll = self.rng.random_range(0..weights);
            let target = stages
                .iter()
                .find(|(_, w)| {
                    if roll < *w {
                        true
                    } else {
                        roll -= w;
                        false
                    }
                })
                .map_or(Stage::Applied, |s| s.0);
            let status = self.advance(&id, created, target)?;
            orgs.push(OrgRef {
                id,
                kind,
                commune: ci,
                status,
                created,
            });
        }
        summary.organizations = orgs.len();
        Ok(orgs)
    }

    /// Walks an organisation through the pipeline up to `target`, through ops.
    fn advance(&mut self, id: &str, created: Timestamp, target: Stage) -> Result<Stage, DemoError> {
        use EnrollmentAction as A;
        let path: &[A] = match target {
            Stage::Applied => &[],
            Stage::CharterReceived => &[A::RecordCharter],
            Stage::Contacted => &[A::RecordCharter, A::RecordContact],
            Stage::Enrolled => &[A::RecordCharter, A::RecordContact, A::Enrol],
            Stage::Suspended => &[A::RecordCharter, A::RecordContact, A::Enrol, A::Suspend],
            Stage::Rejected => {
                if self.rng.random_bool(0.5) {
                    &[A::Reject]
                } else {
                    &[A::RecordCharter, A::Reject]
                }
            }
        };
        let mut at = created;
        let mut stage = Stage::Applied;
        for &action in path {
            at = self.after(at, 24, 24 * 25);
            let actor = match action.permission() {
                crate::domain::staff::Permission::AdvanceEnrollment => {
                    self.staff_with(Role::FieldAgent)
                }
                _ => self.staff_with(Role::Admin),
            };
            let reason = match action {
                A::Reject => Some((*self.pick(ENROL_REJECT_REASONS)).to_owned()),
                A::Suspend => Some((*self.pick(SUSPEND_REASONS)).to_owned()),
                _ => None,
            };
            let charter = (action == A::RecordCharter).then(|| Charter {
                signed_on: (at - SignedDuration::from_hours(72))
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .date()
                    .to_string(),
                reference: format!(
                    "CH-{}-{:05}",
                    at.to_zoned_datetime(jiff::tz::TimeZone::UTC).year(),
                    self.rng.random_range(1..99_999)
                ),
            });
            let op = Op::SetEnrollmentStatus {
                org_id: id.to_owned(),
                seen_status: stage,
                action,
                reason,
                charter,
            };
            self.op(&actor, at, op)?;
            stage = action.target();
        }
        Ok(stage)
    }

    fn uploads(&mut self, orgs: &[OrgRef], summary: &mut DemoSummary) -> Result<(), DemoError> {
        let n = self.scaled(2000.0);
        let year = self.as_of.to_zoned_datetime(jiff::tz::TimeZone::UTC).year();
        let mut stat = self.conn.prepare(
            "INSERT OR IGNORE INTO upload_stats (upload_id, indicator, year, value) VALUES (?1, ?2, ?3, ?4)",
        )?;
        // Only organisations past the charter publish.
        let publishers: Vec<usize> = (0..orgs.len())
            .filter(|&i| {
                matches!(
                    orgs[i].status,
                    Stage::Enrolled | Stage::Contacted | Stage::Suspended
                )
            })
            .collect();
        if publishers.is_empty() {
            return Ok(());
        }
        let mut reviews = Vec::new();
        for _ in 0..n {
            let oi = *self.pick(&publishers);
            let org = &orgs[oi];
            let commune = org.commune.map(|c| self.communes[c].clone());
            let place = commune
                .as_ref()
                .map_or("la région".to_owned(), |c| c.name.clone());
            let slug = crate::domain::normalise_name(&place).replace(' ', "_");
            let submitted = self.after(org.created, 24 * 10, 24 * 400);
            let id = self.id_at(submitted);
            let kind = if org.kind == OrgKind::Osc {
                *self.pick(&[
                    UploadKind::Article,
                    UploadKind::Photo,
                    UploadKind::Video,
                    UploadKind::Audio,
                    UploadKind::Document,
                ])
            } else {
                *self.pick(&[
                    UploadKind::Document,
                    UploadKind::Document,
                    UploadKind::Document,
                    UploadKind::Statistic,
                    UploadKind::Statistic,
                    UploadKind::Article,
                    UploadKind::Photo,
                    UploadKind::Video,
                    UploadKind::Audio,
                ])
            };
            let y = year - self.rng.random_range(0..3i16);
            let (category, title, filename, mime, size): (
                Option<DocumentCategory>,
                String,
                String,
                &str,
                i64,
            ) = match kind {
                UploadKind::Document => {
                    let cat = if org.kind == OrgKind::Osc {
                        DocumentCategory::Other
                    } else {
                        *self.pick(DocumentCategory::ALL)
                    };
                    let (t, f) = match cat {
                        DocumentCategory::Budget => (
                            format!("Budget primitif {y} — {place}"),
                            format!("budget_primitif_{y}_{slug}.pdf"),
                        ),
                        DocumentCategory::LocalDevelopmentPlan => (
                            format!(
                                "Plan communal de développement {}-{} {}",
                                y,
                                y + 4,
                                de(&place)
                            ),
                            format!("pcd_{y}_{slug}.pdf"),
                        ),
                        DocumentCategory::ProcurementPlan => (
                            format!("Plan de passation des marchés {y} — {place}"),
                            format!("ppm_{y}_{slug}.pdf"),
                        ),
                        DocumentCategory::CouncilMinutes => {
                            let day = self.rng.random_range(1..28);
                            let month = *self.pick(&["mars", "juin", "septembre", "décembre"]);
                            (
                                format!(
                                    "Procès-verbal de la session ordinaire du {day} {month} {y} — {place}"
                                ),
                                format!("pv_session_{day}_{month}_{y}_{slug}.pdf"),
                            )
                        }
                        DocumentCategory::Other => (
                            format!("Rapport d'activités {y} — {place}"),
                            format!("rapport_activites_{y}.pdf"),
                        ),
                    };
                    // A few files whose name and type disagree, as real uploads do.
                    let mime = if self.rng.random_bool(0.01) {
                        "application/x-msdownload"
                    } else {
                        "application/pdf"
                    };
                    (
                        Some(cat),
                        t,
                        f,
                        mime,
                        self.rng.random_range(80_000..12_000_000),
                    )
                }
                UploadKind::Statistic => (
                    None,
                    format!("Statistiques communales {y} — {place}"),
                    format!("statistiques_{y}_{slug}.csv"),
                    "text/csv",
                    self.rng.random_range(1_000..60_000),
                ),
                UploadKind::Article => (
                    None,
                    format!(
                        "{} à {place}",
                        self.pick(&[
                            "Journée de salubrité",
                            "Inauguration du nouveau forage",
                            "Formation des conseillers",
                            "Remise de vivres aux déplacés",
                            "Reboisement communautaire"
                        ])
                    ),
                    format!("article_{slug}_{}.html", self.rng.random_range(1..999)),
                    "text/html",
                    self.rng.random_range(3_000..40_000),
                ),
                UploadKind::Photo => (
                    None,
                    format!(
                        "Photos — {} ({place})",
                        self.pick(&[
                            "marché central",
                            "fête de l'indépendance",
                            "travaux de la route",
                            "école primaire",
                            "barrage"
                        ])
                    ),
                    format!("IMG_{}.jpg", self.rng.random_range(1000..9999)),
                    if self.rng.random_bool(0.01) {
                        "application/pdf"
                    } else {
                        "image/jpeg"
                    },
                    self.rng.random_range(400_000..6_000_000),
                ),
                UploadKind::Video => (
                    None,
                    format!(
                        "Vidéo : {} à {place}",
                        self.pick(&[
                            "session du conseil",
                            "sensibilisation sur l'état civil",
                            "reportage sur les cantines"
                        ])
                    ),
                    format!("video_{slug}_{}.mp4", self.rng.random_range(1..99)),
                    "video/mp4",
                    self.rng.random_range(20_000_000..400_000_000),
                ),
                UploadKind::Audio => (
                    None,
                    format!(
                        "Émission radio « {} » — {place}",
                        self.pick(&[
                            "La voix de la commune",
                            "Citoyens en action",
                            "Le budget expliqué"
                        ])
                    ),
                    format!("emission_{slug}_{}.mp3", self.rng.random_range(1..52)),
                    "audio/mpeg",
                    self.rng.random_range(3_000_000..60_000_000),
                ),
            };
            let sha = crate::hex(&Sha256::digest(
                format!("{id}:{filename}:{size}").as_bytes(),
            ));
            let description = format!("Publié par {} via la plateforme.", org_name_hint(org.kind));
            platform::add_upload(
                self.conn,
                &platform::NewUpload {
                    id: &id,
                    org_id: &org.id,
                    kind,
                    category,
                    title: &title,
                    description: Some(&description),
                    filename: &filename,
                    mime,
                    size_bytes: size,
                    sha256: &sha,
                    submitted_at: &crate::time::format(submitted),
                    platform_id: None,
                },
            )?;
            if kind == UploadKind::Statistic
                && let Some(c) = &commune
            {
                // Census population projected at ~3 % a year; one in thirty is
                // off by a factor (a typing slip the review must catch).
                let years = f64::from(y - 2019);
                let mut pop = f64::from(c.population)
                    * 1.03f64.powf(years)
                    * self.rng.random_range(0.98..1.02);
                if self.rng.random_bool(1.0 / 30.0) {
                    pop *= *self.pick(&[0.1, 0.5, 3.0, 10.0]);
                }
                stat.execute(params![id, "population", y, pop.round()])?;
                stat.execute(params![id, "population", 2019, f64::from(c.population)])?;
                let councillors = (f64::from(c.population) / 1500.0)
                    .clamp(11.0, 160.0)
                    .round();
                stat.execute(params![id, "elected_officials", y, councillors])?;
                let boreholes =
                    (f64::from(c.population) / 400.0 * self.rng.random_range(0.6..1.1)).round();
                stat.execute(params![id, "boreholes", y, boreholes])?;
                let schools =
                    (f64::from(c.population) / 900.0 * self.rng.random_range(0.7..1.2)).round();
                stat.execute(params![id, "primary_schools", y, schools])?;
                stat.execute(params![id, "health_centres", y, (schools / 4.0).ceil()])?;
            }
            if self.as_of.duration_since(submitted) > SignedDuration::from_hours(24 * 7)
                && self.rng.random_bool(0.85)
            {
                reviews.push((id, submitted));
            }
        }
        summary.uploads = n;
        for (id, submitted) in reviews {
            let at = self.after(submitted, 2, 24 * 6);
            let moderator = if self.rng.random_bool(0.8) {
                self.staff_with(Role::Moderator)
            } else {
                self.staff_with(Role::Admin)
            };
            let roll = self.rng.random_range(0..100);
            let (decision, reason) = match roll {
                0..80 => (ReviewDecision::Approve, None),
                80..90 => (
                    ReviewDecision::RequestChanges,
                    Some((*self.pick(REVIEW_CHANGES_REASONS)).to_owned()),
                ),
                _ => (
                    ReviewDecision::Reject,
                    Some((*self.pick(REVIEW_REJECT_REASONS)).to_owned()),
                ),
            };
            let op = Op::ReviewUpload {
                upload_id: id,
                seen_status: UploadStatus::Pending,
                decision,
                reason,
            };
            self.op(&moderator, at, op)?;
        }
        Ok(())
    }

    fn forum(&mut self, orgs: &[OrgRef], summary: &mut DemoSummary) -> Result<(), DemoError> {
        let n_posts = self.scaled(20_000.0);
        let n_threads = (n_posts / 25).max(1);
        let n_citizens = (n_posts / 8).max(1);
        let year = self.as_of.to_zoned_datetime(jiff::tz::TimeZone::UTC).year();

        let mut citizens = Vec::with_capacity(n_citizens);
        {
            for _ in 0..n_citizens {
                let at = self.within_days(900);
                let id = self.id_at(at);
                let g = *self.pick(GIVEN_NAMES);
                let f = *self.pick(FAMILY_NAMES);
                let suffix = *self.pick(CITIZEN_SUFFIXES);
                let name = if suffix.starts_with(' ') && suffix.ends_with('.') {
                    format!("{g}{suffix}")
                } else if self.rng.random_bool(0.5) {
                    format!("{g} {f}{suffix}")
                } else {
                    format!("{}{}", g.to_lowercase(), suffix)
                };
                platform::add_citizen(self.conn, &id, &name, None)?;
                citizens.push(id);
            }
        }
        summary.citizens = citizens.len();

        struct Thread {
            id: String,
            commune: usize,
            created: Timestamp,
        }
        let mut threads = Vec::with_capacity(n_threads);
        {
            for _ in 0..n_threads {
                let created = self.within_days(365);
                let id = self.id_at(created);
                let org = self.pick(orgs);
                let commune = org.commune.unwrap_or(0);
                let (category, title) = *self.pick(THREAD_TOPICS);
                let title =
                    place_in(title, &self.communes[commune].name).replace("{y}", &year.to_string());
                let org_id = (org.kind != OrgKind::Osc).then(|| org.id.clone());
                platform::add_thread(
                    self.conn,
                    &platform::NewThread {
                        id: &id,
                        title: &title,
                        category,
                        org_id: org_id.as_deref(),
                        created_at: &crate::time::format(created),
                        platform_id: None,
                    },
                )?;
                threads.push(Thread {
                    id,
                    commune,
                    created,
                });
            }
        }
        summary.threads = threads.len();

        #[derive(Clone, Copy, PartialEq)]
        enum Nature {
            Ordinary,
            Spam,
            Abuse,
            Personal,
            Misinformation,
            Hostile,
        }
        let mut decisions: Vec<(String, String, Nature, i64, Timestamp)> = Vec::new();
        let mut auto_hidden: Vec<(String, Nature, usize, Timestamp)> = Vec::new();
        let hostile_every = (n_posts / HOSTILE.len().max(1)).clamp(1, 2000);
        let mut flags_total = 0;
        let mut body = String::with_capacity(400);
        // Posts are written in time order, as the platform received them: ids
        // (UUID v7) and timestamps then grow together and every index is appended to.
        let mut schedule: Vec<(Timestamp, usize)> = (0..n_posts)
            .map(|_| {
                let ti = self.rng.random_range(0..threads.len());
                (self.after(threads[ti].created, 0, 24 * 60), ti)
            })
            .collect();
        schedule.sort_unstable();
        // Posts of the same millisecond get ids in the order they are
        // written, and search keys (schema.sql, "version 7") numbered the
        // same way: the search order is then exactly the list's, with no
        // second pass over a million rows to number them.
        let (mut last_ms, mut same_ms) = (i64::MIN, 0i64);
        for (i, &(created, ti)) in schedule.iter().enumerate() {
            let (thread_id, commune) = (threads[ti].id.clone(), threads[ti].commune);
            let ms = created.as_millisecond();
            same_ms = if ms == last_ms { same_ms + 1 } else { 0 };
            last_ms = ms;
            let id = self.id_in_order(created, same_ms);
            let author = self.pick(&citizens).clone();
            let place = self.communes[commune].name.clone();
            let nature =
                if i % hostile_every == hostile_every / 2 && i / hostile_every < HOSTILE.len() {
                    Nature::Hostile
                } else {
                    match self.rng.random_range(0..1000) {
                        0..40 => Nature::Spam,
                        40..70 => Nature::Abuse,
                        70..90 => Nature::Personal,
                        90..110 => Nature::Misinformation,
                        _ => Nature::Ordinary,
                    }
                };
            body.clear();
            let fill = |w: &mut Self, t: &str| {
                let phone = w.mobile();
                let person = w.person();
                place_in(t, &place)
                    .replace("{p}", &phone)
                    .replace("{n}", &person)
            };
            match nature {
                Nature::Ordinary => {
                    let template = *self.pick(POST_OPENINGS);
                    let open = fill(self, template);
                    let n_mid = self.rng.random_range(1..=3);
                    body.push_str(&open);
                    for _ in 0..n_mid {
                        body.push(' ');
                        let middle = *self.pick::<&str>(POST_MIDDLES);
                        body.push_str(middle);
                        body.push('.');
                    }
                    let close = *self.pick(POST_CLOSINGS);
                    if !close.is_empty() {
                        body.push(' ');
                        body.push_str(close);
                    }
                    if self.rng.random_bool(0.15) {
                        body.push_str("\n\n");
                        let middle = *self.pick::<&str>(POST_MIDDLES);
                        body.push_str(middle);
                        body.push_str(" !");
                    }
                }
                Nature::Spam => {
                    let t = *self.pick(SPAM);
                    body.push_str(&fill(self, t))
                }
                Nature::Abuse => {
                    let t = *self.pick(ABUSE);
                    body.push_str(&fill(self, t))
                }
                Nature::Personal => {
                    let t = *self.pick(PERSONAL);
                    body.push_str(&fill(self, t))
                }
                Nature::Misinformation => {
                    let t = *self.pick(MISINFORMATION);
                    body.push_str(&fill(self, t))
                }
                Nature::Hostile => body.push_str(HOSTILE[(i / hostile_every) % HOSTILE.len()]),
            }
            let (n_flags, reason) = match nature {
                Nature::Ordinary if self.rng.random_bool(0.01) => {
                    (1, *self.pick(&[FlagReason::OffTopic, FlagReason::Other]))
                }
                Nature::Ordinary => (0, FlagReason::Other),
                Nature::Spam => (self.rng.random_range(1..=5), FlagReason::Spam),
                Nature::Abuse => (self.rng.random_range(1..=4), FlagReason::Abuse),
                Nature::Personal => (self.rng.random_range(1..=3), FlagReason::PersonalData),
                Nature::Misinformation => {
                    (self.rng.random_range(0..=3), FlagReason::Misinformation)
                }
                Nature::Hostile => (1, FlagReason::Other),
            };
            platform::add_post(
                self.conn,
                &platform::NewPost {
                    id: &id,
                    thread_id: &thread_id,
                    author_id: &author,
                    body: &body,
                    created_at: &crate::time::format(created),
                    flag_count: n_flags as i64,
                    platform_id: None,
                    search_key: Some(ms * 65_536 + same_ms),
                },
            )?;
            let mut last_flag = created;
            for _ in 0..n_flags {
                last_flag = self.after(last_flag, 0, 48);
                let fid = self.id_at(last_flag);
                let reporter = self.pick(&citizens).clone();
                platform::add_flag(
                    self.conn,
                    &fid,
                    &id,
                    &reporter,
                    reason,
                    &crate::time::format(last_flag),
                )?;
            }
            flags_total += n_flags;
            // The hub hides a post at its third open flag, pending review,
            // as the platform's feed would have it do.
            if n_flags as i64 >= crate::hub::ingest::DEFAULT_AUTO_HIDE {
                auto_hidden.push((id, nature, n_flags, last_flag));
                continue;
            }
            // Staff have dealt with flagged posts older than three days, most of the time.
            if n_flags > 0
                && self.as_of.duration_since(last_flag) > SignedDuration::from_hours(72)
                && self.rng.random_bool(0.7)
            {
                decisions.push((id, author, nature, n_flags as i64, last_flag));
            }
        }
        summary.posts = n_posts;
        summary.flags = flags_total;
        let system = crate::hub::ingest::system_actor();
        for (post_id, nature, open, at) in auto_hidden {
            let op = Op::ModeratePost {
                post_id: post_id.clone(),
                seen_status: PostStatus::Visible,
                action: PostAction::Hide,
                reason: Some(crate::hub::ingest::auto_hide_reason(open as i64)),
            };
            self.op(&system, at + SignedDuration::from_secs(1), op)?;
            // Moderators have confirmed most older ones: spam and personal
            // data removed for good; the rest wait in "Messages retenus".
            if matches!(nature, Nature::Spam | Nature::Personal)
                && self.as_of.duration_since(at) > SignedDuration::from_hours(72)
                && self.rng.random_bool(0.7)
            {
                let moderator = self.staff_with(Role::Moderator);
                let op = Op::ModeratePost {
                    post_id,
                    seen_status: PostStatus::Hidden,
                    action: PostAction::Remove,
                    reason: Some(if nature == Nature::Spam {
                        "Publicité / arnaque".into()
                    } else {
                        "Données personnelles d'un tiers".into()
                    }),
                };
                let when = self.after(at, 1, 72);
                self.op(&moderator, when, op)?;
            }
        }

        let mut sanctioned: HashSet<String> = HashSet::new();
        for (post_id, author, nature, flags, last_flag) in decisions {
            let at = self.after(last_flag, 1, 72);
            let moderator = if self.rng.random_bool(0.85) {
                self.staff_with(Role::Moderator)
            } else {
                self.staff_with(Role::Admin)
            };
            let op = match nature {
                Nature::Ordinary => Op::DismissFlags {
                    post_id: post_id.clone(),
                    seen_status: Some(PostStatus::Visible),
                    seen_flag_count: flags,
                    reason: Some("Signalement non fondé".into()),
                },
                Nature::Spam | Nature::Personal => Op::ModeratePost {
                    post_id: post_id.clone(),
                    seen_status: PostStatus::Visible,
                    action: PostAction::Remove,
                    reason: Some(if nature == Nature::Spam {
                        "Publicité / arnaque".into()
                    } else {
                        "Données personnelles d'un tiers".into()
                    }),
                },
                Nature::Abuse | Nature::Misinformation | Nature::Hostile => Op::ModeratePost {
                    post_id: post_id.clone(),
                    seen_status: PostStatus::Visible,
                    action: PostAction::Hide,
                    reason: Some(match nature {
                        Nature::Abuse => "Propos injurieux".into(),
                        Nature::Misinformation => {
                            "Information non vérifiée, en attente de source".into()
                        }
                        _ => "Séquences de contrôle dans le message".into(),
                    }),
                },
            };
            self.op(&moderator, at, op)?;
            // A hidden post sometimes turns out fine after checking.
            if nature == Nature::Misinformation && self.rng.random_bool(0.2) {
                let later = self.after(at, 2, 96);
                let op = Op::ModeratePost {
                    post_id: post_id.clone(),
                    seen_status: PostStatus::Hidden,
                    action: PostAction::Restore,
                    reason: Some("Source vérifiée auprès de la mairie".into()),
                };
                self.op(&moderator, later, op)?;
            }
            if matches!(nature, Nature::Abuse | Nature::Spam)
                && self.rng.random_bool(0.25)
                && sanctioned.insert(author.clone())
            {
                let later = self.after(at, 0, 2);
                let op = if nature == Nature::Spam {
                    let admin = self.staff_with(Role::Admin);
                    let op = Op::SetCitizenStatus {
                        citizen_id: author,
                        seen_status: CitizenStatus::Active,
                        action: CitizenAction::Ban,
                        until: None,
                        reason: Some("Compte de spam".into()),
                    };
                    self.op(&admin, later, op)?;
                    continue;
                } else {
                    Op::SetCitizenStatus {
                        citizen_id: author,
                        seen_status: CitizenStatus::Active,
                        action: CitizenAction::Mute,
                        until: Some(crate::time::format(
                            later + SignedDuration::from_hours(24 * 7),
                        )),
                        reason: Some("Insultes répétées".into()),
                    }
                };
                self.op(&moderator, later, op)?;
            }
        }
        // A heated thread or two gets locked.
        for t in threads.iter().take((threads.len() / 200).max(1)) {
            let at = self.after(t.created, 24, 24 * 10);
            let moderator = self.staff_with(Role::Moderator);
            let op = Op::LockThread {
                thread_id: t.id.clone(),
                seen_locked: false,
                locked: true,
                reason: Some("Discussion devenue injurieuse".into()),
            };
            self.op(&moderator, at, op)?;
        }
        Ok(())
    }

    fn sms(&mut self, orgs: &[OrgRef], summary: &mut DemoSummary) -> Result<(), DemoError> {
        let n_contacts = self.scaled(5000.0);
        let mut regions: Vec<String> = Vec::new();
        for c in &self.communes {
            if !regions.contains(&c.region) {
                regions.push(c.region.clone());
            }
        }
        let mut groups: Vec<(String, Option<String>)> = Vec::new();
        {
            let mut insert = self.conn.prepare(
                "INSERT INTO sms_groups (id, name, description, org_id) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for r in &regions {
                let at = self.within_days(700);
                let id = self.id_at(at);
                insert.execute(params![
                    id,
                    format!("Alertes {r}"),
                    format!("Alertes et avis pour la région {r}"),
                    None::<String>
                ])?;
                groups.push((id, Some(r.clone())));
            }
            let extra = [
                (
                    "Relais communautaires",
                    "Relais et animateurs communautaires",
                ),
                ("Conseillers municipaux", "Élus des communes enrôlées"),
                ("Radios communautaires", "Animateurs des radios partenaires"),
                (
                    "Associations de femmes",
                    "Responsables des associations de femmes",
                ),
            ];
            for (name, description) in extra {
                let at = self.within_days(700);
                let id = self.id_at(at);
                let org = orgs
                    .iter()
                    .find(|o| o.kind == OrgKind::Osc)
                    .map(|o| o.id.clone());
                insert.execute(params![
                    id,
                    name,
                    description,
                    org.filter(|_| name.starts_with("Associations"))
                ])?;
                groups.push((id, None));
            }
        }
        summary.groups = groups.len();
        // Each group's reach is counted once its members are in (a
        // trigger per row costs a second at scale 50), before any message
        // asks for it.
        let reach = drop_triggers(
            self.conn,
            &[
                "sms_contacts_reach_insert",
                "sms_group_members_reach_insert",
            ],
        )?;
        {
            let mut insert = self.conn.prepare(
                "INSERT INTO sms_contacts (id, phone_e164, name, region, commune, opted_out_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut member = self.conn.prepare(
                "INSERT OR IGNORE INTO sms_group_members (group_id, contact_id) VALUES (?1, ?2)",
            )?;
            let mut phones = HashSet::with_capacity(n_contacts);
            let mut times: Vec<Timestamp> =
                (0..n_contacts).map(|_| self.within_days(700)).collect();
            times.sort_unstable();
            let mut made = 0;
            while made < n_contacts {
                let phone = self.mobile();
                if !phones.insert(phone.clone()) {
                    continue;
                }
                let at = times[made];
                let id = self.id_at(at);
                let c = self.communes[self.rng.random_range(0..self.communes.len())].clone();
                let opted_out = self
                    .rng
                    .random_bool(0.03)
                    .then(|| crate::time::format(self.after(at, 24, 24 * 200)));
                let name = self.person();
                insert.execute(params![id, phone, name, c.region, c.name, opted_out])?;
                if let Some((gid, _)) = groups
                    .iter()
                    .find(|(_, r)| r.as_deref() == Some(c.region.as_str()))
                {
                    member.execute(params![gid, id])?;
                }
                if self.rng.random_bool(0.3) {
                    let gi = self.rng.random_range(regions.len()..groups.len());
                    member.execute(params![groups[gi].0, id])?;
                }
                made += 1;
            }
        }
        for sql in &reach {
            self.conn.execute_batch(sql)?;
        }
        self.conn.execute_batch(crate::store::reach_counts_sql())?;
        summary.contacts = n_contacts;

        // Messages do not grow with the audience: a bigger platform sends to bigger groups.
        let n_messages = (40.0 + 2.0 * self.scale).round() as usize;
        let year = self.as_of.to_zoned_datetime(jiff::tz::TimeZone::UTC).year();
        for _ in 0..n_messages {
            let at = self.within_days(120);
            let id = self.id_at(at);
            let gi = self.rng.random_range(0..groups.len());
            let ci = self.rng.random_range(0..self.communes.len());
            let place = groups[gi]
                .1
                .clone()
                .unwrap_or_else(|| self.communes[ci].name.clone());
            let alert = self.rng.random_bool(0.25);
            let template = if alert {
                *self.pick(SMS_ALERTS)
            } else {
                *self.pick(SMS_NOTICES)
            };
            let day = (at + SignedDuration::from_hours(24 * self.rng.random_range(3..20)))
                .to_zoned_datetime(jiff::tz::TimeZone::UTC);
            let body = place_in(template, &place)
                .replace("{y}", &year.to_string())
                .replace("{d}", &format!("{:02}/{:02}", day.day(), day.month()));
            let author = if self.rng.random_bool(0.5) {
                self.staff_with(Role::FieldAgent)
            } else {
                self.staff_with(Role::Moderator)
            };
            let kind = if alert {
                SmsKind::Alert
            } else {
                SmsKind::Notice
            };
            let op = Op::QueueSms {
                message: NewSms {
                    id: id.clone(),
                    group_id: groups[gi].0.clone(),
                    kind,
                    body,
                    scheduled_at: None,
                    retry_of: None,
                },
            };
            self.op(&author, at, op)?;
            // Small notices go without approval; alerts and big sends wait for one.
            let status: SmsStatus = self.conn.query_row(
                "SELECT status FROM sms_messages WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            let roll = self.rng.random_range(0..10);
            if roll < 5 && status == SmsStatus::Queued {
                let admin = self.staff_with(Role::Admin);
                let later = self.after(at, 1, 48);
                self.op(
                    &admin,
                    later,
                    Op::ApproveSms {
                        message_id: id,
                        seen_status: SmsStatus::Queued,
                        seen_recipients: None,
                    },
                )?;
            } else if roll < 6 {
                let later = self.after(at, 1, 24);
                let op = Op::CancelSms {
                    message_id: id,
                    seen_status: status,
                    reason: Some("Erreur de groupe destinataire".into()),
                };
                self.op(&author, later, op)?;
            }
        }
        summary.sms_messages = n_messages;
        summary.contacts += self.org_contacts()?;
        Ok(())
    }

    /// The organisations' own numbers (their contact person) are SMS
    /// contacts too, and a dynamic group reaches the communes' ones, so the
    /// demo shows what a group by organisation kind does. No random draw
    /// here: the rest of the demo stays as it was.
    fn org_contacts(&mut self) -> Result<usize, DemoError> {
        let orgs: Vec<(String, Option<String>, String, Option<String>)> = self
            .conn
            .prepare(
                "SELECT phone, contact_name, region, commune FROM organizations
                 WHERE phone IS NOT NULL AND status <> 'rejected' ORDER BY created_at, id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let mut insert = self.conn.prepare(
            "INSERT OR IGNORE INTO sms_contacts (id, phone_e164, name, region, commune) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut added = 0;
        for (phone, name, region, commune) in &orgs {
            if crate::sms::phone::is_e164(phone) {
                added += insert.execute(params![
                    crate::sms::phone::contact_id(phone),
                    phone,
                    name,
                    region,
                    commune
                ])?;
            }
        }
        drop(insert);
        // Every contact's places as a dynamic group compares them.
        self.conn.execute(
            "UPDATE sms_contacts SET region_key = civitac_place('region', region),
               commune_key = civitac_place('commune', commune)",
            [],
        )?;
        let digest = <sha2::Sha256 as sha2::Digest>::digest(b"sms_group\nMairies");
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        self.conn.execute(
            "INSERT INTO sms_groups (id, name, description, rule_org_kind) VALUES (?1, ?2, ?3, 'commune')",
            params![
                uuid::Builder::from_custom_bytes(bytes).into_uuid().to_string(),
                "Mairies (dynamique)",
                "Les contacts et responsables des communes inscrites"
            ],
        )?;
        Ok(added)
    }
}

fn org_name_hint(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::Commune => "la mairie",
        OrgKind::Region => "le conseil régional",
        OrgKind::Osc => "l'association",
    }
}

fn initials(name: &str) -> String {
    name.split(|c: char| !c.is_alphabetic())
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .take(2)
        .collect()
}

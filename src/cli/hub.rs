//! `civitac hub …`: commands run on the hub's own database.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::hubdb::HubDb;
use super::{CmdResult, Ctx, Failure};
use crate::domain::staff::Role;
use crate::hub::runtime::{self, SmsGateway};
use crate::hub::{ingest, tokens};
use crate::i18n::Lang;
use crate::store::sql::{self, DbError};
use crate::store::{Side, Store};

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Issue a token for a staff member's device; it is printed once, never stored.
    Issue {
        /// Staff login (created with this role if new).
        #[arg(long, value_name = "LOGIN", required_unless_present = "platform")]
        staff: Option<String>,
        /// admin, moderator or field_agent.
        #[arg(long, value_name = "ROLE", required_unless_present = "platform")]
        role: Option<String>,
        /// The device's name, e.g. laptop-dori (with --platform: the platform's name).
        #[arg(long, value_name = "NAME")]
        device: String,
        /// A token for the public platform, which may only ingest.
        #[arg(long, conflicts_with_all = ["staff", "role", "name"])]
        platform: bool,
        /// The person's full name, for a new staff member.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// List devices and their state (never the tokens).
    List,
    /// Revoke a device's token at once (by device id, or name when unambiguous).
    Revoke {
        /// Device id or name.
        device: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8443 (port 0: any free port, printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Where upload contents are kept, by SHA-256 (default: files/ beside the
    /// database; required with a PostgreSQL database, and shared by every
    /// hub process on it).
    #[arg(long, value_name = "DIR")]
    pub files: Option<PathBuf>,
    /// Connections to a PostgreSQL database this process keeps open.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub pool: usize,
    /// Hide a post pending review when it has this many open flags.
    #[arg(long, value_name = "N", default_value_t = ingest::DEFAULT_AUTO_HIDE)]
    pub auto_hide: i64,
    /// Largest request body, in MiB, once decompressed.
    #[arg(long, value_name = "MIB", default_value_t = 16)]
    pub max_body_mib: usize,
    /// Send approved SMS: none, log (writes them to the log) or kannel.
    #[arg(long, value_name = "KIND", default_value = "none")]
    pub sms_gateway: String,
    /// Kannel's sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms
    #[arg(long, value_name = "URL")]
    pub kannel_url: Option<String>,
    #[arg(long, value_name = "USER", default_value = "civitac")]
    pub kannel_user: String,
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "CIVITAC_KANNEL_PASSWORD",
        hide_env_values = true,
        default_value = ""
    )]
    pub kannel_password: String,
    /// Sender shown on phones.
    #[arg(long, value_name = "FROM", default_value = "Civitac")]
    pub sms_from: String,
    /// The hub's address as the gateway reaches it, for delivery reports
    /// (default: the listening address).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Most SMS handed to the gateway per second.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub sms_rate: u32,
    /// Most open connections at once (default: what the file limit allows).
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Most open connections from one address (an office NAT shares one).
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_per_address: usize,
    /// A reverse proxy in front of the hub (repeatable): its X-Forwarded-For
    /// names the client, for rate limits and logs.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Retry a failing webhook this many hours, then pause it (nothing is
    /// skipped: `hub webhook resume` goes on from there).
    #[arg(long, value_name = "HOURS", default_value_t = 72)]
    pub webhook_retry_hours: u64,
    /// A webhook request's time limit, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub webhook_timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum FilesCmd {
    /// Add upload contents to the hub's file store (by SHA-256); prints each hash.
    Add {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The file store (default: files/ beside the database).
        #[arg(long, value_name = "DIR")]
        store: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HubCmd {
    /// Upload contents served to replicas.
    #[command(subcommand)]
    Files(FilesCmd),
    /// Bundles from replicas without a link: apply one, write its answer.
    #[command(subcommand)]
    Bundle(super::bundle::HubBundleCmd),
    /// Show or change the hub's settings.
    Settings {
        /// Notices to more recipients than this need an admin's approval (alerts always do).
        #[arg(long, value_name = "N")]
        sms_approval_threshold: Option<u32>,
        /// Name the staff member in the platform's decision feed (default:
        /// only their role).
        #[arg(long, value_name = "BOOL")]
        feed_staff_names: Option<bool>,
    },
    /// Serve replicas and the platform over HTTP(S) until SIGTERM or ctrl-c.
    Serve(Box<ServeArgs>),
    /// Device tokens (the hub database is `--db PATH`, created if missing).
    #[command(subcommand)]
    Token(TokenCmd),
    /// The team: who has which role, adding a colleague, changing a role,
    /// switching off someone who left.
    #[command(subcommand)]
    Staff(super::staff::StaffCmd),
    /// A consistent, verified copy of the hub database, taken while it serves.
    Backup {
        /// Where the copy goes (must not exist).
        dest: PathBuf,
    },
    /// Put a backup in place of the hub database (refused while a hub serves
    /// it). The hub gets a new epoch: replicas send again what it lost.
    Restore {
        /// A file made by `civitac hub backup`.
        backup: PathBuf,
    },
    /// Bring posts, flags, applications and uploads from the public platform
    /// (JSON lines; `-` reads standard input). Bad lines are reported and skipped.
    /// The hub database is `--db PATH` (created if missing).
    Ingest {
        /// The JSON-lines file.
        file: PathBuf,
        /// Hide a post pending review when it has this many open flags.
        #[arg(long, value_name = "N", default_value_t = ingest::DEFAULT_AUTO_HIDE)]
        auto_hide: i64,
    },
    /// What the person a decision affects is told (by decision kind and language).
    #[command(subcommand)]
    Templates(super::platform::TemplatesCmd),
    /// Where the hub POSTs the decision feed, signed (HMAC-SHA256).
    #[command(subcommand)]
    Webhook(super::platform::WebhookCmd),
    /// Words the hub watches for in posts and thread titles from the platform.
    #[command(subcommand)]
    Words(super::platform::WordsCmd),
    /// Move a SQLite hub to a PostgreSQL database: every table, the feed
    /// positions and the secrets; checked row by row; the file is left as
    /// it was. Replicas continue without a new first fill.
    Migrate {
        /// The SQLite hub database (no hub may serve it meanwhile).
        #[arg(long, value_name = "PATH")]
        from: PathBuf,
        /// An empty PostgreSQL database: postgres://user@host/dbname
        #[arg(long, value_name = "URL")]
        to: String,
        /// The files folder the PostgreSQL hub will use (default: files/
        /// beside the SQLite database); its secrets are put beside it.
        #[arg(long, value_name = "DIR")]
        files: Option<PathBuf>,
    },
    /// The decisions the public platform must enforce, after a feed position,
    /// as JSON lines (the same feed as `GET /v1/decisions`). The last line
    /// read gives the next `--since`.
    Decisions {
        /// Feed position to start after (0: from the beginning).
        #[arg(long, value_name = "SEQ", default_value_t = 0)]
        since: i64,
        /// At most this many decisions.
        #[arg(long, value_name = "N", default_value_t = 1_000)]
        limit: usize,
    },
}

/// The hub's database, SQLite or PostgreSQL (`--db postgres://…`): a
/// missing file is created only when `create`; an empty PostgreSQL
/// database is given the schema (the operator made it for the hub).
fn open_db(ctx: &Ctx, create: bool) -> Result<HubDb, Failure> {
    let db = hub_db(ctx)?;
    match super::hubdb::url_of(&db) {
        Some(url) => HubDb::postgres(&url, create),
        None => Ok(HubDb::sqlite(
            existing_or_new_hub(&db, ctx.lang, create)?,
            &db,
        )),
    }
}

/// Opens a hub database, creating it if missing; a replica is refused.
fn open_hub(path: &Path, lang: Lang) -> Result<Store, Failure> {
    let store = if path.exists() {
        Store::open(path)?
    } else {
        Store::create(path, Side::Hub)?
    };
    only_hub(store, path, lang)
}

/// A hub database; created if missing only for a command that changes it
/// (a list on a mistyped path says so instead of making an empty hub).
fn existing_or_new_hub(path: &Path, lang: Lang, create: bool) -> Result<Store, Failure> {
    if create {
        open_hub(path, lang)
    } else {
        only_hub(Store::open(path)?, path, lang)
    }
}

/// The store, if it is a hub's; a replica is refused.
fn only_hub(store: Store, path: &Path, lang: Lang) -> Result<Store, Failure> {
    if store.side()? != Side::Hub {
        return Err(Failure::new(match lang {
            Lang::Fr => format!(
                "{} : c'est un réplica, pas la base d'un hub",
                path.display()
            ),
            Lang::En => format!("{}: a replica, not a hub database", path.display()),
        }));
    }
    Ok(store)
}

fn hub_db(ctx: &Ctx) -> Result<PathBuf, Failure> {
    let db = ctx.db.clone().ok_or_else(|| {
        Failure::usage(ctx.lang.pick(
            "indiquez la base du hub : --db CHEMIN",
            "name the hub database: --db PATH",
        ))
    })?;
    // libpq's "host=… dbname=…" is no file name: taken as one, it would
    // become a SQLite file named after the password.
    let text = db.to_string_lossy();
    if super::hubdb::url_of(&db).is_none()
        && ["host=", "dbname=", "user=", "password="]
            .iter()
            .any(|k| text.contains(k))
    {
        return Err(Failure::usage(ctx.lang.pick(
            "--db : un chemin de fichier SQLite, ou une URL postgres://utilisateur@hôte/base (pas la forme « host=… dbname=… »)",
            "--db: a SQLite file path, or a postgres://user@host/dbname URL (not the \"host=… dbname=…\" form)",
        )));
    }
    Ok(db)
}

fn serve(ctx: &Ctx, args: ServeArgs) -> CmdResult {
    let db = hub_db(ctx)?;
    let url = super::hubdb::url_of(&db);
    let store = match &url {
        Some(url) => {
            if args.files.is_none() {
                return Err(Failure::usage(ctx.lang.pick(
                    "avec PostgreSQL, indiquez le dossier des fichiers, partagé par chaque processus du hub : --files DOSSIER",
                    "with PostgreSQL, name the files folder every hub process shares: --files DIR",
                )));
            }
            runtime::HubStore::Postgres {
                url: url.clone(),
                pool: args.pool.max(1),
            }
        }
        None => {
            // Created if missing, like the other hub commands; refused if a replica.
            drop(open_hub(&db, ctx.lang)?);
            runtime::HubStore::File(db.clone())
        }
    };
    if args.auto_hide < 1 {
        return Err(Failure::usage("--auto-hide must be at least 1"));
    }
    let files = args
        .files
        .clone()
        .unwrap_or_else(|| crate::hub::backend::default_files_dir(&db));
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(crate::hub::server::tls_acceptor(cert, key).map_err(Failure::new)?)
        }
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let defaults = crate::hub::server::Limits::default();
    let limits = crate::hub::server::Limits {
        max_body: args.max_body_mib.max(1) * 1024 * 1024,
        max_connections: args
            .max_connections
            .unwrap_or(defaults.max_connections)
            .max(1),
        max_per_address: args.max_per_address.max(1),
        trusted_proxies: args.trusted_proxies.clone(),
        ..defaults
    };
    let gateway = match args.sms_gateway.as_str() {
        "none" => SmsGateway::None,
        "log" => SmsGateway::Log,
        "kannel" => SmsGateway::Kannel {
            url: args
                .kannel_url
                .clone()
                .ok_or_else(|| Failure::usage("--sms-gateway kannel needs --kannel-url"))?,
            user: args.kannel_user.clone(),
            password: args.kannel_password.clone(),
            from: args.sms_from.clone(),
        },
        _ => return Err(Failure::usage("--sms-gateway: none, log or kannel")),
    };
    let shown = match &url {
        Some(url) => crate::hub::pg::conn::redact(url),
        None => db.display().to_string(),
    };
    let opts = runtime::Options {
        db: store,
        files,
        auto_hide: args.auto_hide,
        listen: args.listen,
        tls,
        limits,
        gateway,
        sms: crate::hub::sms::Settings {
            per_second: args.sms_rate.max(1),
            ..Default::default()
        },
        public_url: args.public_url.clone(),
        webhooks: crate::hub::webhooks::Settings {
            retry_for: std::time::Duration::from_secs(args.webhook_retry_hours * 3600),
            timeout: std::time::Duration::from_secs(args.webhook_timeout.clamp(1, 300)),
            ..Default::default()
        },
    };
    runtime::serve_until_signalled(opts, |addr| {
        // The one line on stdout: scripts and tests read the address from it.
        outln!("{scheme}://{addr}");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        tracing::info!(target: "civitac::hub", %addr, db = %shown, "listening");
    })
    .map_err(|e| match e {
        runtime::RuntimeError::Open(e) => Failure::new(e.message(ctx.lang)),
        other => Failure::new(other.to_string()),
    })?;
    Ok(ExitCode::SUCCESS)
}

/// A new token: what it is for on stderr, the token alone on stdout (once).
fn hand_out(lang: Lang, fr: &str, en: &str, token: &str) {
    match lang {
        Lang::Fr => eprintln!("{fr} ; ce jeton ne sera plus jamais affiché :"),
        Lang::En => eprintln!("{en}; this token will never be shown again:"),
    }
    println!("{token}");
}

/// `hub backup` of a hub on PostgreSQL: pg_dump, checked.
fn backup_postgres(lang: Lang, url: &str, dest: &Path) -> CmdResult {
    let done = crate::hub::pg::backup::backup(url, dest).map_err(Failure::new)?;
    println!(
        "{}",
        match lang {
            Lang::Fr => format!(
                "{} : sauvegarde vérifiée (pg_restore --list), {} opérations, époque {}",
                crate::text::inline(&dest.display().to_string()),
                done.ops,
                done.epoch
            ),
            Lang::En => format!(
                "{}: verified backup (pg_restore --list), {} ops, epoch {}",
                crate::text::inline(&dest.display().to_string()),
                done.ops,
                done.epoch
            ),
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// `hub restore` of a hub on PostgreSQL: every hub process stopped.
fn restore_postgres(lang: Lang, url: &str, backup: &Path) -> CmdResult {
    let done = crate::hub::pg::backup::restore(url, backup).map_err(Failure::new)?;
    let kept = match (&done.kept, lang) {
        (Some(kept), Lang::Fr) => {
            format!(" ; les données remplacées sont gardées dans le schéma {kept}")
        }
        (Some(kept), Lang::En) => format!("; the replaced data is kept in schema {kept}"),
        (None, _) => String::new(),
    };
    println!(
        "{}",
        match lang {
            Lang::Fr => format!(
                "{} : restaurée depuis {} ({} opérations), nouvelle époque {}{kept} ; les réplicas renverront ce que le hub a perdu à leur prochaine synchro",
                crate::hub::pg::conn::redact(url),
                backup.display(),
                done.ops,
                done.epoch
            ),
            Lang::En => format!(
                "{}: restored from {} ({} ops), new epoch {}{kept}; replicas send again what the hub lost at their next sync",
                crate::hub::pg::conn::redact(url),
                backup.display(),
                done.ops,
                done.epoch
            ),
        }
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run(ctx: &Ctx, cmd: HubCmd) -> CmdResult {
    let lang = ctx.lang;
    let on_postgres = ctx.db.as_deref().and_then(super::hubdb::url_of);
    match cmd {
        HubCmd::Serve(args) => serve(ctx, *args),
        HubCmd::Bundle(super::bundle::HubBundleCmd::Import {
            file,
            answer,
            json,
            files,
        }) => {
            let db = hub_db(ctx)?;
            if super::hubdb::url_of(&db).is_none() {
                drop(existing_or_new_hub(&db, lang, false)?);
            }
            super::bundle::hub_import(ctx, &db, files, &file, &answer, json)
        }
        HubCmd::Staff(cmd) => {
            let reading = matches!(cmd, super::staff::StaffCmd::List { .. });
            let mut hub = open_db(ctx, !reading)?;
            super::staff::run(&mut hub, lang, cmd)
        }
        HubCmd::Templates(cmd) => {
            let reading = matches!(cmd, super::platform::TemplatesCmd::List);
            let mut hub = open_db(ctx, !reading)?;
            super::platform::templates(&mut hub, lang, cmd)
        }
        HubCmd::Webhook(cmd) => {
            let reading = matches!(cmd, super::platform::WebhookCmd::List);
            let hub = open_db(ctx, !reading)?;
            super::platform::webhook(&hub, lang, cmd)
        }
        HubCmd::Words(cmd) => {
            let reading = matches!(cmd, super::platform::WordsCmd::List);
            let mut hub = open_db(ctx, !reading)?;
            super::platform::words(&mut hub, lang, cmd)
        }
        HubCmd::Settings {
            sms_approval_threshold,
            feed_staff_names,
        } => {
            let mut hub = open_db(ctx, true)?;
            let name = hub.name();
            let fail = |e: DbError| Failure::new(format!("{name}: {e}"));
            let names = crate::hub::decisions::STAFF_NAMES_SETTING;
            let set = |tx: &dyn crate::store::sql::Sql, key: &str, value: String| {
                tx.execute(
                    "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
                .map(drop)
            };
            let written = hub.write(|tx| -> Result<(), DbError> {
                if let Some(n) = sms_approval_threshold {
                    set(tx, "sms_approval_threshold", n.to_string())?;
                }
                if let Some(b) = feed_staff_names {
                    set(tx, names, b.to_string())?;
                }
                Ok(())
            });
            written.map_err(fail)?;
            let threshold = sql::state(hub.sql(), "sms_approval_threshold")
                .map_err(fail)?
                .unwrap_or_else(|| crate::domain::sms::APPROVAL_THRESHOLD.to_string());
            println!("sms_approval_threshold = {threshold}");
            println!(
                "{names} = {}",
                sql::state(hub.sql(), names)
                    .map_err(fail)?
                    .as_deref()
                    .unwrap_or("false")
            );
            Ok(ExitCode::SUCCESS)
        }
        HubCmd::Migrate { from, to, files } => {
            if !crate::hub::pg::is_url(&to) {
                return Err(Failure::usage(
                    "--to: a PostgreSQL URL, postgres://user@host/dbname",
                ));
            }
            let files = files.unwrap_or_else(|| crate::hub::backend::default_files_dir(&from));
            let report = crate::hub::pg::migrate::migrate(&from, &to, &files)
                .map_err(|e| Failure::new(e.to_string()))?;
            let rows: u64 = report.tables.iter().map(|t| t.rows).sum();
            println!(
                "{}",
                match lang {
                    Lang::Fr => format!(
                        "{} → {} : {} tables, {rows} lignes, chacune vérifiée (nombre et SHA-256) ; {} laissée telle quelle",
                        from.display(),
                        crate::hub::pg::conn::redact(&to),
                        report.tables.len(),
                        from.display()
                    ),
                    Lang::En => format!(
                        "{} → {}: {} tables, {rows} rows, each checked (count and SHA-256); {} left as it was",
                        from.display(),
                        crate::hub::pg::conn::redact(&to),
                        report.tables.len(),
                        from.display()
                    ),
                }
            );
            for k in &report.keys {
                println!(
                    "{} {}",
                    lang.pick("secret copié :", "secret copied:"),
                    k.display()
                );
            }
            if !report.missing_files.is_empty() {
                eprintln!(
                    "{}",
                    match lang {
                        Lang::Fr => format!(
                            "{} fichier(s) de publication absent(s) de {} (premier : {}) : copiez-les avant de servir",
                            report.missing_files.len(),
                            files.display(),
                            report.missing_files[0]
                        ),
                        Lang::En => format!(
                            "{} upload file(s) missing from {} (first: {}): copy them there before serving",
                            report.missing_files.len(),
                            files.display(),
                            report.missing_files[0]
                        ),
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCmd::Decisions { since, limit } => {
            if since < 0 {
                return Err(Failure::usage("--since: a feed position, 0 or more"));
            }
            // Read only: a missing file is an error here, never a new hub.
            let hub = open_db(ctx, false)?;
            let page = crate::hub::decisions::since(hub.sql(), since, limit)
                .map_err(|e| Failure::new(format!("{}: {e}", hub.name())))?;
            let epoch = page.epoch.as_deref().unwrap_or("-");
            let to_terminal = std::io::stdout().is_terminal();
            for d in &page.decisions {
                let json = serde_json::to_string(d).map_err(|e| Failure::new(e.to_string()))?;
                if to_terminal {
                    println!("{}", super::output::terminal_json(&json));
                } else {
                    println!("{json}");
                }
            }
            eprintln!(
                "{}",
                match lang {
                    Lang::Fr => format!(
                        "{} ; suite : --since {}{} ; époque {epoch}",
                        crate::i18n::counted(
                            lang,
                            page.decisions.len() as i64,
                            "décision",
                            "décisions"
                        ),
                        page.next,
                        if page.more {
                            " (il y en a d'autres)"
                        } else {
                            ""
                        }
                    ),
                    Lang::En => format!(
                        "{}; next: --since {}{}; epoch {epoch}",
                        crate::i18n::counted(
                            lang,
                            page.decisions.len() as i64,
                            "decision",
                            "decisions"
                        ),
                        page.next,
                        if page.more { " (more follow)" } else { "" }
                    ),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        HubCmd::Backup { dest } => {
            if let Some(url) = &on_postgres {
                return backup_postgres(lang, url, &dest);
            }
            let db = hub_db(ctx)?;
            let r =
                crate::hub::backup::backup(&db, &dest).map_err(|e| Failure::new(e.to_string()))?;
            println!(
                "{}",
                match lang {
                    Lang::Fr => format!(
                        "{} : sauvegarde vérifiée (integrity_check ok), {} pages, {} opérations, époque {}",
                        crate::text::inline(&dest.display().to_string()),
                        r.pages,
                        r.ops,
                        r.epoch
                    ),
                    Lang::En => format!(
                        "{}: verified backup (integrity_check ok), {} pages, {} ops, epoch {}",
                        crate::text::inline(&dest.display().to_string()),
                        r.pages,
                        r.ops,
                        r.epoch
                    ),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        HubCmd::Restore { backup } => {
            if let Some(url) = &on_postgres {
                return restore_postgres(lang, url, &backup);
            }
            let db = hub_db(ctx)?;
            let r = crate::hub::backup::restore(&db, &backup)
                .map_err(|e| Failure::new(e.to_string()))?;
            println!(
                "{}",
                match lang {
                    Lang::Fr => format!(
                        "{} : restaurée depuis {} ({} opérations), nouvelle époque {} ; les réplicas renverront ce que le hub a perdu à leur prochaine synchro",
                        db.display(),
                        backup.display(),
                        r.ops,
                        r.epoch
                    ),
                    Lang::En => format!(
                        "{}: restored from {} ({} ops), new epoch {}; replicas send again what the hub lost at their next sync",
                        db.display(),
                        backup.display(),
                        r.ops,
                        r.epoch
                    ),
                }
            );
            if let Some(kept) = &r.kept {
                println!(
                    "{} {}",
                    lang.pick(
                        "la base remplacée est gardée dans",
                        "the replaced database is kept in"
                    ),
                    kept.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCmd::Files(FilesCmd::Add { files, store }) => {
            let db = hub_db(ctx)?;
            let dir = match (store, &on_postgres) {
                (Some(dir), _) => dir,
                // No folder "beside" a database on a server.
                (None, Some(_)) => {
                    return Err(Failure::usage(lang.pick(
                        "avec PostgreSQL, indiquez le dossier des fichiers du hub : --store DOSSIER",
                        "with PostgreSQL, name the hub's files folder: --store DIR",
                    )));
                }
                (None, None) => crate::hub::backend::default_files_dir(&db),
            };
            for f in files {
                let (sha, len) =
                    crate::hub::files::store(&dir, &f).map_err(|e| Failure::new(e.to_string()))?;
                println!(
                    "{sha}\t{len}\t{}",
                    crate::text::inline(&f.display().to_string())
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCmd::Token(cmd) => {
            let mut hub = open_db(ctx, true)?;
            let name = hub.name();
            let fail = |e: tokens::TokenError| Failure::new(format!("{name}: {e}"));
            match cmd {
                TokenCmd::Issue {
                    device,
                    platform: true,
                    ..
                } => {
                    let (id, token) = hub
                        .write(|tx| tokens::issue_platform(tx, &device))
                        .map_err(fail)?;
                    hand_out(
                        lang,
                        &format!(
                            "plateforme {device} ({id}), ingestion et flux des décisions seulement"
                        ),
                        &format!("platform {device} ({id}), ingest and the decision feed only"),
                        &token,
                    );
                }
                TokenCmd::Issue {
                    staff,
                    role,
                    device,
                    name,
                    ..
                } => {
                    let (Some(staff), Some(role)) = (staff, role) else {
                        return Err(Failure::usage("--staff and --role are required"));
                    };
                    let role: Role = role.parse().map_err(|e: crate::domain::UnknownValue| {
                        Failure::usage(format!("--role: {e}"))
                    })?;
                    let (id, token) = hub
                        .write(|tx| tokens::issue(tx, &staff, name.as_deref(), role, &device))
                        .map_err(fail)?;
                    hand_out(
                        lang,
                        &format!("appareil {device} ({id}) de {staff}, {role}"),
                        &format!("device {device} ({id}) of {staff}, {role}"),
                        &token,
                    );
                }
                TokenCmd::List => {
                    for d in tokens::list(hub.sql()).map_err(fail)? {
                        let state = match &d.revoked_at {
                            Some(at) => format!("{} {at}", lang.pick("révoqué le", "revoked")),
                            None => lang.pick("actif", "active").to_owned(),
                        };
                        println!(
                            "{}  {:<20} {:<12} {:<20} {state}",
                            d.id,
                            crate::text::inline(&d.login),
                            d.role,
                            crate::text::inline(&d.name)
                        );
                    }
                }
                TokenCmd::Revoke { device } => {
                    if hub
                        .write(|tx| tokens::revoke_platform(tx, &device))
                        .map_err(fail)?
                    {
                        println!(
                            "{}",
                            match lang {
                                Lang::Fr => format!(
                                    "jeton de la plateforme {} révoqué",
                                    crate::text::inline(&device)
                                ),
                                Lang::En => format!(
                                    "platform token {} revoked",
                                    crate::text::inline(&device)
                                ),
                            }
                        );
                        return Ok(ExitCode::SUCCESS);
                    }
                    let d = hub.write(|tx| tokens::revoke(tx, &device)).map_err(fail)?;
                    println!(
                        "{}",
                        match lang {
                            Lang::Fr => format!(
                                "jeton de {} ({}) révoqué",
                                crate::text::inline(&d.name),
                                crate::text::inline(&d.login)
                            ),
                            Lang::En => format!(
                                "token of {} ({}) revoked",
                                crate::text::inline(&d.name),
                                crate::text::inline(&d.login)
                            ),
                        }
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCmd::Ingest { file, auto_hide } => {
            if auto_hide < 1 {
                return Err(Failure::usage("--auto-hide must be at least 1"));
            }
            let mut hub = open_db(ctx, true)?;
            let name = file.display().to_string();
            let input: Box<dyn std::io::BufRead> = if name == "-" {
                Box::new(std::io::stdin().lock())
            } else {
                let f =
                    std::fs::File::open(&file).map_err(|e| Failure::new(format!("{name}: {e}")))?;
                Box::new(std::io::BufReader::new(f))
            };
            let report = hub
                .ingest(input, auto_hide)
                .map_err(|e| Failure::new(format!("{}: {e}", hub.name())))?;
            // A bad line may quote platform content: never raw to a terminal.
            let mut complaints = super::Complaints::new();
            for (line, why) in &report.bad {
                complaints.say(&format!("{name}:{line}: {why}"));
            }
            complaints.finish(lang);
            let r = &report;
            let words = r.words_held + r.words_flagged + r.words_rejected;
            let c = |n: usize, fr: (&str, &str), en: (&str, &str)| {
                let n = i64::try_from(n).unwrap_or(i64::MAX);
                match lang {
                    Lang::Fr => crate::i18n::counted(lang, n, fr.0, fr.1),
                    Lang::En => crate::i18n::counted(lang, n, en.0, en.1),
                }
            };
            let words = match lang {
                _ if words == 0 => String::new(),
                Lang::Fr => format!(
                    " ; mots surveillés : {}, {}, {}",
                    c(r.words_held, ("retenu", "retenus"), ("", "")),
                    c(r.words_flagged, ("signalé", "signalés"), ("", "")),
                    c(r.words_rejected, ("rejeté", "rejetés"), ("", ""))
                ),
                Lang::En => format!(
                    "; watched words: {} held, {} flagged, {} rejected",
                    r.words_held, r.words_flagged, r.words_rejected
                ),
            };
            let summary = [
                c(r.posts, ("message", "messages"), ("post", "posts")),
                c(r.flags, ("signalement", "signalements"), ("flag", "flags")),
                c(
                    r.applications,
                    ("candidature", "candidatures"),
                    ("application", "applications"),
                ),
                c(
                    r.uploads,
                    ("publication", "publications"),
                    ("upload", "uploads"),
                ),
            ]
            .join(", ");
            println!(
                "{summary}{words}{}",
                match lang {
                    Lang::Fr => format!(
                        " ; {} ; {} ; {}",
                        c(r.duplicates, ("déjà connu", "déjà connus"), ("", "")),
                        c(
                            r.auto_hidden,
                            (
                                "message masqué automatiquement",
                                "messages masqués automatiquement"
                            ),
                            ("", "")
                        ),
                        c(r.bad.len(), ("ligne rejetée", "lignes rejetées"), ("", ""))
                    ),
                    Lang::En => format!(
                        "; {} already known; {}; {}",
                        r.duplicates,
                        c(
                            r.auto_hidden,
                            ("", ""),
                            ("post auto-hidden", "posts auto-hidden")
                        ),
                        c(r.bad.len(), ("", ""), ("bad line", "bad lines"))
                    ),
                }
            );
            Ok(if report.bad.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

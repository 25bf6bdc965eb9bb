//! `civitac login`, `logout` and `sync`: attaching a replica to a hub and
//! syncing it, with progress on a terminal and a JSON summary for scripts.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{CmdResult, Ctx, Failure};
use crate::config::Config;
use crate::i18n::Lang;
use crate::replica::credentials::Credentials;
use crate::replica::session::{self, Progress, Summary, SyncError};
use crate::replica::transport::{HubClient, TransportError};
use crate::store::{Side, Store};

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The hub's address, e.g. https://hub.civitac.bf
    #[arg(long, value_name = "URL")]
    pub hub: String,
    /// The device token an admin issued (`civitac hub token issue`). Better
    /// from standard input or CIVITAC_TOKEN: an argument is visible in `ps`.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "CIVITAC_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// PEM file of the authority that signed the hub's certificate (a hub with its own CA).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Attach only; the first sync happens with `civitac sync` (e.g. on a better link).
    #[arg(long)]
    pub no_sync: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print a JSON summary on standard output.
    #[arg(long)]
    pub json: bool,
    /// Retries after a temporary failure (network, busy hub), with growing waits.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub retries: u32,
    /// Ops per push request (smaller on a poor link: a cut loses less).
    #[arg(long, value_name = "N", default_value_t = session::PUSH_BATCH)]
    pub batch: usize,
    /// Rows per pull page.
    #[arg(long, value_name = "N", default_value_t = session::PULL_PAGE)]
    pub page: usize,
}

fn transport_message(e: &TransportError, lang: Lang) -> String {
    match (e.status(), lang) {
        (Some(401), Lang::Fr) => format!(
            "{e}\nle hub refuse ce jeton (révoqué ?) : demandez-en un nouveau à un administrateur puis `civitac login`"
        ),
        (Some(401), Lang::En) => format!(
            "{e}\nthe hub refuses this token (revoked?): ask an admin for a new one, then `civitac login`"
        ),
        _ => e.to_string(),
    }
}

fn sync_message(e: &SyncError, lang: Lang) -> String {
    match e {
        SyncError::Transport(t) => transport_message(t, lang),
        other => other.to_string(),
    }
}

fn config_path(ctx: &Ctx) -> Result<PathBuf, Failure> {
    ctx.paths
        .as_ref()
        .map(crate::paths::Paths::config_file)
        .ok_or_else(|| Failure::new("no home directory found for the configuration file"))
}

/// A progress bar on standard error when it is a terminal; nothing otherwise.
struct Bar {
    bar: indicatif::ProgressBar,
    lang: Lang,
}

impl Bar {
    fn new(lang: Lang, quiet: bool) -> Bar {
        let bar = if quiet {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(0)
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar { bar, lang }
    }

    fn update(&self, p: Progress) {
        match p {
            Progress::Pushing {
                done,
                total,
                bytes,
                left,
            } => {
                self.bar
                    .set_prefix(self.lang.pick("envoi", "push").to_owned());
                self.bar.set_length(total as u64);
                self.bar.set_position(done as u64);
                self.bar.set_message(format!(
                    "{}{}",
                    self.lang.pick("opérations", "ops"),
                    crate::i18n::values::moved(bytes, left, self.lang)
                ));
            }
            Progress::Pulling {
                rows,
                snapshot,
                bytes,
                left,
                ..
            } => {
                let moved = crate::i18n::values::moved(bytes, left, self.lang);
                self.bar
                    .set_prefix(self.lang.pick("réception", "pull").to_owned());
                match snapshot {
                    Some((table, tables)) => {
                        self.bar.set_length(tables as u64);
                        self.bar.set_position(table as u64);
                        self.bar.set_message(format!(
                            "{rows} {}{moved}",
                            self.lang
                                .pick("lignes (copie initiale)", "rows (first copy)")
                        ));
                    }
                    None => {
                        self.bar.set_length(0);
                        self.bar.set_message(format!(
                            "{rows} {}{moved}",
                            self.lang.pick("lignes", "rows")
                        ));
                    }
                }
            }
        }
    }
}

/// Runs a sync with retries; prints progress unless `quiet`.
fn run_sync(
    ctx: &Ctx,
    store: &mut Store,
    hub: &mut HubClient,
    retries: u32,
    sizes: session::Sizes,
    quiet: bool,
) -> Result<Summary, Failure> {
    let lang = ctx.lang;
    let bar = Bar::new(lang, quiet);
    let mut attempt = 0;
    // Every temporary failure of this sync: the wait grows with it (to about
    // 8 s) even when progress starts the count of retries again, so a hub
    // that answers one small request and fails the next is not asked again
    // every second.
    let mut failures = 0u32;
    let mut total = Summary::default();
    loop {
        let before = (total.pushed, total.pulled);
        let result = session::sync_into(
            store.conn_mut(),
            hub,
            sizes,
            &mut |p| bar.update(p),
            &mut total,
        );
        // A cut after some progress is how a poor link goes, not a failing
        // hub: the count of retries (and the wait) starts again.
        if result.is_err() && (total.pushed, total.pulled) != before {
            attempt = 0;
        }
        match result {
            Ok(()) => {
                bar.bar.finish_and_clear();
                return Ok(total);
            }
            Err(e) if e.is_temporary() && attempt < retries => {
                let retry_after = match &e {
                    SyncError::Transport(TransportError::Http { retry_after, .. }) => *retry_after,
                    _ => None,
                };
                let wait = crate::retry::backoff(attempt.max(failures.min(3)), retry_after);
                failures += 1;
                bar.bar.suspend(|| {
                    eprintln!(
                        "{} ({}); {} {:.0} s",
                        sync_message(&e, lang),
                        lang.pick("échec temporaire", "temporary failure"),
                        lang.pick("nouvel essai dans", "retrying in"),
                        wait.as_secs_f64()
                    )
                });
                std::thread::sleep(wait);
                attempt += 1;
            }
            Err(e) => {
                bar.bar.finish_and_clear();
                let failure = Failure::new(sync_message(&e, lang));
                // The hub's answers so far are kept: say so, and name the
                // replica when it is the one failing.
                let failure = match e {
                    SyncError::Transport(_) => failure,
                    _ => failure.in_file(store.path()),
                };
                if total.pushed > 0 {
                    return Err(Failure::new(format!(
                        "{}; {}",
                        failure.message,
                        match lang {
                            Lang::Fr => format!(
                                "{} opérations déjà acceptées par le hub restent acquises",
                                total.pushed
                            ),
                            Lang::En =>
                                format!("{} ops already answered by the hub stand", total.pushed),
                        }
                    )));
                }
                return Err(failure);
            }
        }
    }
}

fn report(ctx: &Ctx, summary: &Summary, json: bool) {
    let lang = ctx.lang;
    if let Some(skew) = summary.skew_warning() {
        eprintln!(
            "{}",
            match lang {
                Lang::Fr => format!(
                    "attention : l'horloge de cet appareil a {} min d'écart avec celle du hub ; réglez-la (les heures des décisions en dépendent)",
                    skew.abs() / 60
                ),
                Lang::En => format!(
                    "warning: this device's clock is {} min off the hub's; set it right (decision times depend on it)",
                    skew.abs() / 60
                ),
            }
        );
    }
    let mut complaints = super::Complaints::new();
    for r in &summary.rejections {
        complaints.say(&format!(
            "{} {} ({}): {}",
            lang.pick("refusé par le hub :", "refused by the hub:"),
            r.action,
            r.op_id,
            r.reason
        ));
    }
    complaints.finish(lang);
    if json {
        use std::io::IsTerminal;
        match serde_json::to_string(summary) {
            Ok(s) if std::io::stdout().is_terminal() => {
                outln!("{}", super::output::terminal_json(&s))
            }
            Ok(s) => outln!("{s}"),
            Err(e) => eprintln!("{e}"),
        }
        return;
    }
    let s = summary;
    outln!(
        "{}",
        match lang {
            Lang::Fr => format!(
                "{} envoyées ({} appliquées, {} doublons, {} conflits, {} refusées), {} lignes reçues ; {} o envoyés, {} o reçus, {:.1} s",
                s.pushed,
                s.applied,
                s.duplicate,
                s.conflict,
                s.rejected,
                s.pulled,
                s.bytes_up,
                s.bytes_down,
                s.seconds
            ),
            Lang::En => format!(
                "{} pushed ({} applied, {} duplicate, {} conflict, {} rejected), {} rows pulled; {} B up, {} B down, {:.1} s",
                s.pushed,
                s.applied,
                s.duplicate,
                s.conflict,
                s.rejected,
                s.pulled,
                s.bytes_up,
                s.bytes_down,
                s.seconds
            ),
        }
    );
    if s.conflict > 0 {
        outln!(
            "{}",
            lang.pick(
                "des conflits attendent votre décision : écran Synchro (touche v) de la console",
                "conflicts await your decision: the console's Sync screen (key v)",
            )
        );
    }
}

/// The token from `--token`/`CIVITAC_TOKEN`, else one line of standard input.
fn read_token(args: &LoginArgs, lang: Lang) -> Result<String, Failure> {
    let check = |t: String| -> Result<String, Failure> {
        if t.is_empty() || t.len() > 200 || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Failure::usage(lang.pick(
                "ce jeton n'a pas la forme d'un jeton civitac (une ligne sans espace)",
                "this does not look like a civitac token (one line, no spaces)",
            )));
        }
        Ok(t)
    };
    if let Some(t) = &args.token {
        return check(t.trim().to_owned());
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("{}", lang.pick("jeton : ", "token: "));
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::new(format!("stdin: {e}")))?;
    let token = line.trim().to_owned();
    if token.is_empty() {
        return Err(Failure::usage(lang.pick(
            "aucun jeton : donnez-le sur l'entrée standard (ou CIVITAC_TOKEN)",
            "no token: give it on standard input (or CIVITAC_TOKEN)",
        )));
    }
    check(token)
}

pub fn login(ctx: &Ctx, args: LoginArgs) -> CmdResult {
    let lang = ctx.lang;
    let token = read_token(&args, lang)?;
    let mut hub = HubClient::new(&args.hub, &token, args.ca.as_deref())
        .map_err(|e| Failure::new(e.to_string()))?;
    let me = hub
        .whoami()
        .map_err(|e| Failure::new(transport_message(&e, lang)))?;
    let db = ctx.db_path()?;
    let mut store = if db.exists() {
        let store = ctx.open()?;
        if store.side()? != Side::Replica {
            return Err(Failure::new(format!(
                "{}: {}",
                db.display(),
                lang.pick(
                    "c'est la base d'un hub, pas un réplica",
                    "a hub database, not a replica"
                )
            )));
        }
        let owner = store.state("staff_id")?;
        let attached = store.state("hub_url")?;
        if owner.as_deref().is_some_and(|o| o != me.staff_id)
            || attached.as_deref().is_some_and(|u| u != hub.base())
        {
            return Err(Failure::new(format!(
                "{}: {}",
                db.display(),
                lang.pick(
                    "ce réplica appartient à un autre compte ou à un autre hub ; choisissez un autre fichier avec --db",
                    "this replica belongs to another account or hub; choose another file with --db",
                )
            )));
        }
        store
    } else {
        Store::create(&db, Side::Replica)?
    };
    session::attach(store.conn_mut(), &me, hub.base())
        .map_err(|e| Failure::new(format!("{}: {e}", db.display())))?;
    // The credentials belong to this replica: a login on another replica
    // (another person on the same OS account) never changes them.
    let db_abs = std::path::absolute(&db).unwrap_or_else(|_| db.clone());
    Credentials {
        url: hub.base().to_owned(),
        token,
        ca: args
            .ca
            .as_ref()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())),
        staff_id: me.staff_id.clone(),
        login: me.login.clone(),
        device_id: me.device_id.clone(),
        bundle_key: me.bundle_key.clone(),
    }
    .save(&db_abs)
    .map_err(|e| Failure::new(e.to_string()))?;
    // A plain `civitac` opens the replica logged in last; a token that an
    // older civitac kept in config.toml leaves it.
    Config::remember_replica(&config_path(ctx)?, Some(&db_abs)).map_err(Failure::new)?;
    let next = match (lang, args.no_sync) {
        (Lang::Fr, false) => "première synchronisation…",
        (Lang::Fr, true) => "synchronisez quand la liaison le permet : civitac sync",
        (Lang::En, false) => "first sync…",
        (Lang::En, true) => "sync when the link allows: civitac sync",
    };
    eprintln!(
        "{}",
        match lang {
            Lang::Fr => format!(
                "connecté à {} comme {} ({}), appareil {} ; {next}",
                hub.base(),
                crate::text::inline(&me.display_name),
                me.role,
                crate::text::inline(&me.device_name)
            ),
            Lang::En => format!(
                "logged in to {} as {} ({}), device {}; {next}",
                hub.base(),
                crate::text::inline(&me.display_name),
                me.role,
                crate::text::inline(&me.device_name)
            ),
        }
    );
    if args.no_sync {
        return Ok(ExitCode::SUCCESS);
    }
    let summary = run_sync(
        ctx,
        &mut store,
        &mut hub,
        4,
        session::Sizes::default(),
        false,
    )?;
    report(ctx, &summary, false);
    Ok(ExitCode::SUCCESS)
}

pub fn logout(ctx: &Ctx) -> CmdResult {
    let db = ctx.db_path()?;
    let removed = Credentials::remove(&db).map_err(|e| Failure::new(e.to_string()))?;
    Config::remember_replica(&config_path(ctx)?, None).map_err(Failure::new)?;
    if !removed {
        outln!(
            "{}",
            ctx.lang.pick(
                "ce réplica n'était connecté à aucun hub",
                "this replica was not logged in to a hub"
            )
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{}",
        ctx.lang.pick(
            "déconnecté : jeton de ce réplica oublié (le réplica et ses opérations en attente restent)",
            "logged out: this replica's token forgotten (the replica and its pending ops stay)",
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// This replica's credentials, checked against the replica itself: the same
/// hub, and a token that speaks for the replica's owner (never another
/// staff member's token for this replica's ops).
pub fn credentials(ctx: &Ctx, store: &Store) -> Result<Credentials, Failure> {
    let creds = Credentials::load(store.path()).map_err(|e| Failure::new(e.to_string()))?;
    let owner = store.state("staff_id")?;
    if owner.as_deref() != Some(creds.staff_id.as_str()) {
        return Err(Failure::new(format!(
            "{}: {}",
            crate::replica::credentials::path_for(store.path()).display(),
            ctx.lang.pick(
                "ce jeton est celui d'un autre membre de l'équipe que le propriétaire du réplica : reconnectez-vous avec le vôtre",
                "this token belongs to another staff member than the replica's owner: log in again with yours",
            )
        )));
    }
    match store.state("hub_url")? {
        Some(url) if url == creds.url => Ok(creds),
        Some(url) => Err(Failure::new(format!(
            "{}: {} {url}",
            store.path().display(),
            ctx.lang.pick(
                "ce réplica est rattaché à un autre hub :",
                "this replica is attached to another hub:"
            )
        ))),
        None => Err(Failure::new(format!(
            "{}: {}",
            store.path().display(),
            ctx.lang.pick(
                "ce réplica n'a jamais été rattaché à ce hub : `civitac login --hub URL --db …`",
                "this replica was never attached to this hub: `civitac login --hub URL --db …`"
            )
        ))),
    }
}

/// The hub client for this replica, or a clear "log in first".
pub fn client(ctx: &Ctx, store: &Store) -> Result<HubClient, Failure> {
    let c = credentials(ctx, store)?;
    HubClient::new(&c.url, &c.token, c.ca.as_deref()).map_err(|e| Failure::new(e.to_string()))
}

/// `civitac uploads fetch ID…`: each upload's file into the cache, with retries.
pub fn fetch_files(ctx: &Ctx, ids: &[String]) -> CmdResult {
    let lang = ctx.lang;
    let store = ctx.open()?;
    let cache = ctx
        .paths
        .as_ref()
        .map(crate::paths::Paths::file_cache)
        .ok_or_else(|| Failure::new("no cache directory found"))?;
    let mut hub = client(ctx, &store)?;
    let mut failed = 0;
    for id in ids {
        let id = &crate::store::query::normalise_id(id);
        let found: Option<(String, String, i64)> = store.sql(|c| {
            use rusqlite::OptionalExtension;
            c.query_row(
                "SELECT sha256, filename, size_bytes FROM uploads WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })?;
        let Some((sha, filename, size)) = found else {
            eprintln!(
                "{}: {}",
                crate::text::inline(id),
                lang.pick("publication introuvable", "no such upload")
            );
            failed += 1;
            continue;
        };
        match crate::replica::files::fetch_retrying(&mut hub, &cache, &sha, 4) {
            Ok(path) => outln!(
                "{id}\t{}\t{size}\t{}",
                path.display(),
                crate::text::inline(&filename)
            ),
            Err(e) => {
                eprintln!("{id}: {}", crate::text::inline(&e.to_string()));
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(Failure::new(match lang {
            Lang::Fr => format!("{failed} fichier(s) non récupéré(s)"),
            Lang::En => format!("{failed} file(s) not fetched"),
        }));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn sync(ctx: &Ctx, args: SyncArgs) -> CmdResult {
    let mut store = ctx.open()?;
    let mut hub = client(ctx, &store)?;
    let sizes = session::Sizes {
        keep_pushed_days: ctx.keep_pushed_days,
        push_batch: args.batch.max(1),
        pull_page: args.page.max(1),
    };
    let summary = run_sync(ctx, &mut store, &mut hub, args.retries, sizes, args.json)?;
    if let Err(e) = crate::replica::credentials::fill_bundle_key(store.path(), &mut hub) {
        tracing::warn!(error = %e, "no bundle key kept");
    }
    report(ctx, &summary, args.json);
    Ok(ExitCode::SUCCESS)
}

/// `civitac uploads preview ID`: what the file holds, from the cache
/// (fetched from the hub first when it is not there and a hub is set).
pub fn preview(ctx: &Ctx, id: &str) -> CmdResult {
    let lang = ctx.lang;
    let id = crate::store::query::normalise_id(id);
    let store = ctx.open()?;
    let cache = ctx
        .paths
        .as_ref()
        .map(crate::paths::Paths::file_cache)
        .ok_or_else(|| Failure::new("no cache directory found"))?;
    let (sha, filename, mime, size) = store
        .sql(|c| {
            use rusqlite::OptionalExtension;
            crate::store::views::upload_kind(c, &id).optional()
        })?
        .ok_or_else(|| {
            Failure::new(format!(
                "{}: {}",
                crate::text::inline(&id),
                lang.pick("publication introuvable", "no such upload")
            ))
        })?;
    let mut path = crate::replica::files::cached(&cache, &sha);
    if !path.is_file() {
        let mut hub = client(ctx, &store).map_err(|f| {
            Failure::new(format!(
                "{} ({})",
                lang.pick(
                    "fichier pas encore dans le cache, et pas de hub pour le récupérer",
                    "the file is not in the cache yet, and no hub to fetch it from"
                ),
                f.message
            ))
        })?;
        path = crate::replica::files::fetch_retrying(&mut hub, &cache, &sha, 4)
            .map_err(|e| Failure::new(crate::text::inline(&e.to_string())))?;
    }
    let preview = crate::replica::preview::preview_checked(
        &path,
        &mime,
        &filename,
        Some((&sha, size)),
        crate::replica::preview::TIME_CAP,
    )
    .map_err(|e| {
        Failure::new(format!(
            "{}: {}",
            crate::text::inline(&filename),
            e.message(lang)
        ))
    })?;
    outln!("{}", crate::text::inline(&filename));
    for line in crate::replica::preview::lines(&preview, lang) {
        outln!("{}", crate::text::inline(&line));
    }
    Ok(ExitCode::SUCCESS)
}

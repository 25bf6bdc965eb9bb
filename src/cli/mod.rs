//! The command line (DESIGN §6, a contract): argument parsing and dispatch to
//! one module per command group. Commands print for people on stderr/stdout and
//! return an exit code: 0 ok, 1 failure, 2 usage.

/// `println!` for the commands that keep SIGPIPE ignored (they talk over
/// the network, see `quiet_on_closed_pipe`): a reader that went away
/// (`civitac sync --json | head`) is not a failure of the command, whose
/// work is done and whose exit code still says how it went. `println!`
/// panicked there.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod batch;
mod bundle;
mod contacts;
mod demo;
pub mod help;
mod help_fr;
mod hub;
mod hubdb;
mod lists;
mod output;
mod platform;
mod sms;
mod staff;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::i18n::Lang;
use crate::paths::Paths;
use crate::store::{Store, StoreError};

pub use output::Format;

#[derive(Debug, Parser)]
#[command(
    name = "civitac",
    version,
    about = "Console of the Civitac animation team: enrolments, uploads, forum, SMS"
)]
pub struct Cli {
    /// Replica database (default: replica.db in the data directory, see `civitac paths`).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Language of messages (default: from LANG, else French).
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    /// Keymap for the console: a name (default, vim, azerty) or a TOML file.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub keymap: Option<String>,
    /// The console for a thin link (SSH over 9.6 kbit/s): no colour, panes
    /// without side borders (also config `low_bandwidth = true`).
    #[arg(long, global = true)]
    pub low_bandwidth: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a hub and a replica full of realistic demo data.
    Demo(demo::DemoArgs),
    /// Who this replica belongs to.
    Whoami,
    /// Where civitac keeps its configuration, data and logs.
    Paths,
    /// Organisations and their enrolment.
    #[command(subcommand)]
    Enrollments(lists::EnrollmentsCmd),
    /// Uploads awaiting or past review.
    #[command(subcommand)]
    Uploads(lists::UploadsCmd),
    /// Forum posts and their moderation.
    #[command(subcommand)]
    Forum(lists::ForumCmd),
    /// Citizens (posts' authors): list, mute, ban, reinstate.
    #[command(subcommand)]
    Citizens(lists::CitizensCmd),
    /// SMS messages.
    #[command(subcommand)]
    Sms(lists::SmsCmd),
    /// The audit log.
    #[command(subcommand)]
    Audit(lists::AuditCmd),
    /// Keymaps for the console.
    #[command(subcommand)]
    Keymap(KeymapCmd),
    /// Attach this replica to a hub with a device token, then sync it.
    Login(sync::LoginArgs),
    /// Forget the hub's token (the replica stays).
    Logout,
    /// Push this replica's decisions to the hub, then pull what changed.
    Sync(sync::SyncArgs),
    /// Sync without a link: a signed file carried to the hub and back.
    #[command(subcommand)]
    Bundle(bundle::BundleCmd),
    /// Commands on the hub's database, and the hub server.
    #[command(subcommand)]
    Hub(hub::HubCmd),
    /// Shell completions, generated from these commands (bash, zsh, fish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// This command line's manual page (roff), generated from these commands.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum KeymapCmd {
    /// Check a keymap file (merged over the defaults): unknown actions, unknown keys, clashes.
    Check {
        /// The TOML file.
        file: PathBuf,
    },
}

/// A failure a command reports: one line for a person, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 1,
        }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 2,
        }
    }

    /// Names the file at fault when the message does not yet.
    pub fn in_file(mut self, path: &std::path::Path) -> Failure {
        let name = path.display().to_string();
        if !self.message.contains(&name) {
            self.message = format!("{name}: {}", self.message);
        }
        self
    }
}

impl From<crate::store::sql::DbError> for Failure {
    fn from(e: crate::store::sql::DbError) -> Failure {
        Failure::new(e.to_string())
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::new(e.to_string())
    }
}

pub type CmdResult = Result<ExitCode, Failure>;

/// Per-record complaints on standard error (a bad line, a refused id): the
/// first ones in full, then a count, so one mistake repeated over a file of
/// 20,000 lines is a screenful, not 20,000 lines. Every line terminal-safe.
pub struct Complaints {
    shown: usize,
    more: usize,
}

impl Complaints {
    /// How many are printed before the rest are only counted.
    pub const LIMIT: usize = 50;

    pub fn new() -> Complaints {
        Complaints { shown: 0, more: 0 }
    }

    pub fn say(&mut self, line: &str) {
        if self.shown < Self::LIMIT {
            eprintln!("{}", crate::text::truncate(&crate::text::inline(line), 300));
            self.shown += 1;
        } else {
            self.more += 1;
        }
    }

    /// The count of those not shown, if any.
    pub fn finish(self, lang: Lang) {
        if self.more > 0 {
            eprintln!(
                "{}",
                match lang {
                    Lang::Fr => format!("… et {} autres, non affichées", self.more),
                    Lang::En => format!("… and {} more, not shown", self.more),
                }
            );
        }
    }
}

impl Default for Complaints {
    fn default() -> Self {
        Self::new()
    }
}

/// What every command knows: the language and where the replica is.
pub struct Ctx {
    pub lang: Lang,
    /// Whether the console takes the mouse (config `mouse`, default yes).
    pub mouse: bool,
    /// The console for a thin link (`--low-bandwidth`, config `low_bandwidth`).
    pub low_bandwidth: bool,
    pub db: Option<PathBuf>,
    pub paths: Option<Paths>,
    /// SMS quiet hours from the configuration.
    pub quiet_hours: Option<String>,
    /// The confirm dialog's reasons, by decision, from the configuration.
    pub reasons: std::collections::BTreeMap<String, Vec<String>>,
    /// Days answered ops stay in the outbox unless a hub backup holds them.
    pub keep_pushed_days: u32,
    /// Percent of a table a `--where` batch may select without `--all-matching`.
    pub batch_share_limit: u32,
}

impl Ctx {
    pub fn db_path(&self) -> Result<PathBuf, Failure> {
        if let Some(db) = &self.db {
            return Ok(db.clone());
        }
        self.paths.as_ref().map(Paths::replica).ok_or_else(|| {
            Failure::new(self.lang.pick(
                "aucun dossier personnel trouvé : indiquez la base avec --db",
                "no home directory found: name the database with --db",
            ))
        })
    }

    pub fn open(&self) -> Result<Store, Failure> {
        Store::open(&self.db_path()?).map_err(|e| Failure::new(e.message(self.lang)))
    }
}

#[derive(Debug, Args)]
pub struct NoArgs {}

pub fn main() -> ExitCode {
    use clap::FromArgMatches;
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let help_lang = help::lang_of(&args);
    let cli = match help::command(help_lang)
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if matches!(
        cli.command,
        Some(Command::Completions { .. } | Command::Man)
    ) {
        quiet_on_closed_pipe();
    }
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = help::command(help_lang);
            clap_complete::generate(*shell, &mut cmd, "civitac", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Some(Command::Man) => {
            return match clap_mangen::Man::new(help::command(help_lang))
                .render(&mut std::io::stdout())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("civitac: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {}
    }
    // Not for commands that talk over the network: a peer closing its socket
    // would kill them with SIGPIPE instead of returning an error to handle.
    let networked = matches!(
        cli.command,
        None | Some(Command::Demo(_))
            | Some(Command::Login(_))
            | Some(Command::Sync(_))
            | Some(Command::Hub(hub::HubCmd::Serve(_)))
    );
    if !networked {
        quiet_on_closed_pipe();
    }
    let paths = Paths::discover();
    // A server logs to standard error (for its supervisor); everything else to a file.
    let _log = if matches!(cli.command, Some(Command::Hub(hub::HubCmd::Serve(_)))) {
        init_server_logging()
    } else {
        init_logging(paths.as_ref())
    };
    let config = match paths
        .as_ref()
        .map(|p| crate::config::Config::load(&p.config_file()))
    {
        Some(Err(e)) => {
            eprintln!("civitac: {}", crate::text::error_text(&e));
            return ExitCode::FAILURE;
        }
        Some(Ok(c)) => c,
        None => crate::config::Config::default(),
    };
    if let Some(u) = &config.platform_url {
        crate::config::set_platform_url(u);
    }
    // The command line wins over the config file, which wins over LANG.
    let lang = Lang::resolve(cli.lang.or(config.lang()));
    if let Some(tz) = &config.timezone
        && let Err(e) = crate::time::set_zone(tz)
    {
        eprintln!("civitac: config.toml: {}", crate::text::error_text(&e));
        return ExitCode::from(2);
    }
    let keymap = cli.keymap.clone().or(config.keymap.clone());
    let ctx = Ctx {
        lang,
        mouse: config.mouse.unwrap_or(true),
        low_bandwidth: cli.low_bandwidth || config.low_bandwidth.unwrap_or(false),
        db: cli.db.clone().or(config.db.clone()),
        paths,
        quiet_hours: config.quiet_hours.clone(),
        reasons: config.reasons.clone().unwrap_or_default(),
        keep_pushed_days: config
            .keep_pushed_days
            .unwrap_or(crate::replica::session::KEEP_PUSHED_DAYS),
        batch_share_limit: config
            .batch_share_limit
            .unwrap_or(batch::SHARE_LIMIT_PERCENT),
    };
    let result = match cli.command {
        None => ctx.db_path().and_then(|db| console(&ctx, db, keymap)),
        Some(Command::Demo(args)) => demo::run(&ctx, args, keymap),
        Some(Command::Whoami) => whoami(&ctx),
        Some(Command::Paths) => show_paths(&ctx),
        Some(Command::Enrollments(cmd)) => lists::enrollments(&ctx, cmd),
        Some(Command::Uploads(cmd)) => lists::uploads(&ctx, cmd),
        Some(Command::Forum(cmd)) => lists::forum(&ctx, cmd),
        Some(Command::Sms(cmd)) => lists::sms(&ctx, cmd),
        Some(Command::Citizens(cmd)) => lists::citizens(&ctx, cmd),
        Some(Command::Audit(cmd)) => lists::audit(&ctx, cmd),
        Some(Command::Keymap(KeymapCmd::Check { file })) => keymap_check(&ctx, &file),
        Some(Command::Login(args)) => sync::login(&ctx, args),
        Some(Command::Logout) => sync::logout(&ctx),
        Some(Command::Sync(args)) => sync::sync(&ctx, args),
        Some(Command::Bundle(cmd)) => bundle::run(&ctx, cmd),
        Some(Command::Hub(cmd)) => hub::run(&ctx, cmd),
        // Answered before anything is opened (above).
        Some(Command::Completions { .. } | Command::Man) => Ok(ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            // A server logs to stderr: the line below is its log entry too.
            if !LOGS_ON_STDERR.load(std::sync::atomic::Ordering::Relaxed) {
                tracing::warn!(message = %f.message, "command failed");
            }
            eprintln!("civitac: {}", crate::text::error_text(&f.message));
            ExitCode::from(f.code)
        }
    }
}

/// `civitac forum list | head` must end quietly, as Unix tools do, rather
/// than fail on the closed pipe: restore the default SIGPIPE action that the
/// Rust runtime turns off. (Not for the console, which handles SIGHUP itself.)
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up from the main thread before any other
    // thread exists; SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Logs go to a file in the data directory, never to the terminal.
fn init_logging(paths: Option<&Paths>) -> Option<()> {
    let dir = paths?.log_dir();
    crate::store::create_private_dir(&dir).ok()?;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let path = dir.join("civitac.log");
    let file = options.open(&path).ok()?;
    // A log written by an older civitac may be world-readable.
    crate::store::restrict(&path).ok()?;
    tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .ok()
}

/// Set when the log goes to stderr (`hub serve`), where each error is
/// already said once.
static LOGS_ON_STDERR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn init_server_logging() -> Option<()> {
    LOGS_ON_STDERR.store(true, std::sync::atomic::Ordering::Relaxed);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init()
        .ok()
}

/// Opens the console on a replica.
pub fn console(ctx: &Ctx, db: PathBuf, keymap: Option<String>) -> CmdResult {
    console_with_hub(ctx, db, keymap, None, AUTO_SYNC, None)
}

/// How often the console syncs by itself when attached to a hub.
const AUTO_SYNC: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The console; `hub` overrides the configured hub (the demo's own hub).
pub fn console_with_hub(
    ctx: &Ctx,
    db: PathBuf,
    keymap: Option<String>,
    hub: Option<crate::config::HubConfig>,
    sync_every: std::time::Duration,
    news: Option<std::sync::mpsc::Receiver<String>>,
) -> CmdResult {
    // A replica syncs with its own credentials only, checked against its
    // owner and hub; one without them works offline. Credentials that are
    // wrong (unreadable, another person's) never stop the console: it opens
    // offline and says why on its status line.
    let mut warning = None;
    let hub = match hub {
        Some(h) => Some(h),
        None => match Store::open(&db) {
            Ok(store) => match crate::replica::credentials::Credentials::find(store.path()) {
                Ok(None) => None,
                Ok(Some(_)) => match sync::credentials(ctx, &store) {
                    Ok(c) => Some(c.into()),
                    Err(f) => {
                        warning = Some(f.message);
                        None
                    }
                },
                Err(e) => {
                    warning = Some(e.to_string());
                    None
                }
            },
            Err(_) => None,
        },
    };
    let warning = warning.map(|w| {
        format!(
            "{} {}",
            ctx.lang.pick("hors ligne :", "offline:"),
            crate::text::error_text(&w)
        )
    });
    let opts = crate::tui::Options {
        db,
        lang: ctx.lang,
        keymap,
        user_keymap: ctx.paths.as_ref().map(Paths::keymap_file),
        mouse: ctx.mouse,
        low_bandwidth: ctx.low_bandwidth,
        hub,
        sync_every: Some(sync_every),
        file_cache: ctx.paths.as_ref().map(Paths::file_cache),
        quiet_hours: ctx.quiet_hours.clone(),
        reasons: ctx.reasons.clone(),
        warning,
        news,
        keep_pushed_days: ctx.keep_pushed_days,
    };
    crate::tui::run(opts).map_err(|e| match e {
        crate::tui::TuiError::Store(s) => Failure::new(s.message(ctx.lang)),
        other => Failure::new(other.to_string()),
    })?;
    Ok(ExitCode::SUCCESS)
}

fn keymap_check(ctx: &Ctx, file: &std::path::Path) -> CmdResult {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| Failure::new(format!("{name}: {e}")))?;
    let errors = crate::tui::keymap::check(&name, &text);
    if errors.is_empty() {
        println!(
            "{}",
            ctx.lang.pick(
                &format!("{name} : aucun problème"),
                &format!("{name}: no problems")
            )
        );
        return Ok(ExitCode::SUCCESS);
    }
    for e in &errors {
        eprintln!("{e}");
    }
    Err(Failure::new(match ctx.lang {
        Lang::Fr => format!("{} problème(s) dans {name}", errors.len()),
        Lang::En => format!("{} problem(s) in {name}", errors.len()),
    }))
}

fn whoami(ctx: &Ctx) -> CmdResult {
    let store = ctx.open()?;
    let owner = store.owner()?.ok_or_else(|| {
        Failure::new(ctx.lang.pick(
            "ce réplica n'appartient encore à personne (seules les démonstrations ont un propriétaire pour l'instant)",
            "this replica belongs to nobody yet (only demo replicas have an owner so far)",
        ))
    })?;
    let device = store
        .state("device_name")?
        .unwrap_or_else(|| owner.device.clone());
    println!(
        "{} ({})",
        crate::text::inline(&owner.display_name),
        owner.login
    );
    println!("{}: {}", ctx.lang.pick("rôle", "role"), owner.role);
    println!(
        "{}: {device} ({})",
        ctx.lang.pick("appareil", "device"),
        owner.device
    );
    println!(
        "{}: {}",
        ctx.lang.pick("réplica", "replica"),
        store.path().display()
    );
    Ok(ExitCode::SUCCESS)
}

fn show_paths(ctx: &Ctx) -> CmdResult {
    let paths = ctx
        .paths
        .as_ref()
        .ok_or_else(|| Failure::new("no home directory found"))?;
    let l = ctx.lang;
    let rows = [
        (l.pick("configuration", "config"), paths.config_file()),
        (l.pick("raccourcis", "keymap"), paths.keymap_file()),
        (
            l.pick("réplica", "replica"),
            ctx.db.clone().unwrap_or_else(|| paths.replica()),
        ),
        (l.pick("données", "data"), paths.data_dir.clone()),
        (l.pick("journaux", "logs"), paths.log_dir()),
        (l.pick("cache fichiers", "file cache"), paths.file_cache()),
    ];
    for (name, path) in rows {
        println!("{name:<16}{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

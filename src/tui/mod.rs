//! The console: a ratatui application on the local replica. This module owns
//! the terminal (raw mode, alternate screen, mouse) and the event loop; it
//! restores the terminal on every way out: normal quit, error, panic (hook),
//! SIGTERM and SIGHUP (a dropped SSH link). It redraws only on input, resize
//! or a change of the replica (`PRAGMA data_version`, polled about once a
//! second), so an idle console uses no CPU.

pub mod app;
pub mod composer;
pub mod events;
pub mod form;
pub mod frugal;
pub mod keymap;
pub mod list;
pub mod model;
pub mod screens;
pub mod strings;
pub mod syncer;
pub mod theme;
pub mod view;
pub mod worker;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;

use crate::i18n::Lang;
use crate::store::{Store, StoreError};

pub struct Options {
    pub db: PathBuf,
    pub lang: Lang,
    /// `--keymap NAME|PATH`.
    pub keymap: Option<String>,
    /// The user's keymap.toml, merged last.
    pub user_keymap: Option<PathBuf>,
    /// Take the mouse (click selects, wheel scrolls); off, the terminal keeps it.
    pub mouse: bool,
    /// For a thin link: the lean theme (no colour, panes without side borders).
    pub low_bandwidth: bool,
    /// The hub this replica syncs with (from `civitac login`), if any.
    pub hub: Option<crate::config::HubConfig>,
    /// Sync by itself this often (and at start) when there is a hub.
    pub sync_every: Option<Duration>,
    /// Where fetched upload files are kept.
    pub file_cache: Option<PathBuf>,
    /// SMS quiet hours (config `quiet_hours = "21:00-07:00"`).
    pub quiet_hours: Option<String>,
    /// Said on the status line at start (e.g. why the console is offline).
    pub warning: Option<String>,
    /// Lines said on the status line as they come (the demo's platform).
    pub news: Option<std::sync::mpsc::Receiver<String>>,
    /// The confirm dialog's reasons by decision (config `[reasons]`).
    pub reasons: std::collections::BTreeMap<String, Vec<String>>,
    /// Days an answered op is kept (config `keep_pushed_days`).
    pub keep_pushed_days: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
}

/// Puts the terminal back as it was: used by the guard, the panic hook and
/// the signal path, so it must be safe to call more than once.
fn restore_terminal() {
    let _ = disable_raw_mode();
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
}

/// Shows the cursor again and lets the terminal go. If the terminal is gone,
/// ratatui's own attempt on drop would report the failure on a stderr that is
/// gone too, and that panics: then the handle is simply not dropped (the
/// process is ending).
/// The console's terminal: crossterm on stdout, spending few bytes.
type Console = Terminal<frugal::Frugal<std::io::Stdout>>;

fn let_go(mut terminal: Console) {
    if terminal.show_cursor().is_err() {
        std::mem::forget(terminal);
    }
}

/// Whether the terminal we draw on has hung up (its other end is closed).
#[cfg(unix)]
fn terminal_gone() -> bool {
    let mut fds = [libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: 0,
        revents: 0,
    }];
    // SAFETY: one valid pollfd for the length given, and no waiting.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), 1, 0) };
    n > 0 && fds[0].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

#[cfg(not(unix))]
fn terminal_gone() -> bool {
    false
}

struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

pub fn run(opts: Options) -> Result<(), TuiError> {
    // Everything that can fail for a reason the person must read happens
    // before the terminal is taken over.
    let store = Store::open(&opts.db)?;
    let (keymap, keymap_errors) = keymap::load(opts.keymap.as_deref(), opts.user_keymap.as_deref());
    for e in &keymap_errors {
        tracing::warn!(%e, "keymap");
    }

    let quit_signal = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(sig, Arc::clone(&quit_signal))?;
    }

    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous_hook(info);
    }));

    enable_raw_mode()?;
    let _guard = TerminalGuard;
    execute!(std::io::stdout(), EnterAlternateScreen)?;
    if opts.mouse {
        execute!(std::io::stdout(), EnableMouseCapture)?;
    }
    let mut terminal = Terminal::new(frugal::Frugal::new(std::io::stdout()))?;
    terminal.clear()?;

    let mut app = app::App::new(
        store,
        opts.lang,
        keymap,
        &keymap_errors,
        if opts.low_bandwidth {
            theme::Theme::lean()
        } else {
            theme::Theme::from_env()
        },
    );
    app.model.quiet_hours = opts
        .quiet_hours
        .as_deref()
        .and_then(crate::sms::quiet::QuietHours::parse);
    if let Some(w) = opts.warning.clone() {
        app.warn(w);
    }
    app.model.reasons = opts.reasons.clone();
    app.syncer = Some(
        syncer::Syncer::new(opts.db.clone(), opts.hub.clone(), app.sender())
            .every(opts.hub.as_ref().and(opts.sync_every))
            .keeping(opts.keep_pushed_days),
    );
    app.file_cache = opts.file_cache.clone();
    if let (Some(hub), Some(cache)) = (opts.hub.clone(), opts.file_cache.clone()) {
        match syncer::Fetcher::spawn(hub, cache, app.sender()) {
            Ok(f) => app.fetcher = Some(f),
            Err(e) => tracing::warn!(%e, "no file fetching"),
        }
    }
    match worker::Worker::spawn(&opts.db, app.sender()) {
        Ok(w) => app.worker = Some(w),
        // Searches then run on this thread: slower to show, never wrong.
        Err(e) => tracing::warn!(%e, "no background search"),
    }
    events::spawn_input(app.sender())?;
    if let Some(news) = opts.news {
        let events = app.sender();
        let _ = std::thread::Builder::new()
            .name("news".into())
            .spawn(move || {
                for line in news {
                    if events.send(events::Event::Said(line)).is_err() {
                        return;
                    }
                }
            });
    }
    let mut last_check = Instant::now();
    let mut dirty = true;
    let mut list_top = 0;
    // Links to the public platform are clickable where the terminal knows
    // OSC 8 hyperlinks; elsewhere they stay plain text.
    let links = crate::config::platform_url_prefix().filter(|_| view::hyperlinks_supported());
    while !app.model.quit && !quit_signal.load(Ordering::Relaxed) {
        if dirty {
            let drawn = terminal.draw(|f| {
                list_top = view::draw(f, &mut app);
                if let Some(prefix) = &links {
                    let area = f.area();
                    view::linkify(f.buffer_mut(), area, prefix);
                }
            });
            if let Err(e) = drawn {
                let_go(terminal);
                return Err(e.into());
            }
            dirty = false;
        }
        // Everything arrives on one channel (keys, search answers, sync
        // news, fetched files). Wake at most every 250 ms to notice signals
        // (sooner while a search waits for typing to pause or a sync runs);
        // look at the replica once a second.
        let wait = if app.model.pending_search.is_some()
            || app.model.searching.is_some()
            || app.syncer.as_ref().is_some_and(syncer::Syncer::is_running)
        {
            app::SEARCH_DEBOUNCE / 2
        } else {
            Duration::from_millis(250)
        };
        if app.wait(wait, list_top) {
            dirty = true;
        }
        if app.tick(Instant::now()) {
            dirty = true;
        }
        if last_check.elapsed() >= Duration::from_secs(1) {
            last_check = Instant::now();
            if app.notice_outside_changes() {
                dirty = true;
            }
            // A terminal can go away without a SIGHUP reaching us (a detached
            // session): then nobody reads, and nothing must keep running.
            if terminal_gone() {
                tracing::info!("the terminal hung up");
                break;
            }
        }
    }
    let_go(terminal);
    Ok(())
}

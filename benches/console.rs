//! Console benchmarks (numbers, not pass/fail) on the scale-50 demo:
//! keystroke-to-frame latency (p50/p99) for cursor moves, page down, screen
//! switches and search keystrokes; bytes written to an 80x24 terminal per
//! cursor move; start to first frame; peak RSS. Screen switches are printed
//! beside their floor: the same frame drawn again with no query.
//!
//!   cargo bench --bench console                          # builds the scale-50 demo first (~1 min)
//!   CIVITAC_BENCH_REPLICA=path/replica.db cargo bench --bench console   # reuse one

#[path = "support/counter.rs"]
mod counter;
use counter::{Counter, key};
use std::time::{Duration, Instant};

use civitac::i18n::Lang;
use civitac::store::Store;
use civitac::tui::app::App;
use civitac::tui::keymap::Keymap;
use civitac::tui::theme::Theme;
use civitac::tui::view;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let keep;
    let replica = match std::env::var_os("CIVITAC_BENCH_REPLICA") {
        Some(p) => std::path::PathBuf::from(p),
        None => {
            // Built by the real command in a child process, so the peak RSS
            // measured below is the console's, not the demo generator's.
            let dir = tempfile::tempdir().expect("tempdir");
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_civitac"))
                .args([
                    "demo",
                    "--no-tui",
                    "--scale",
                    "50",
                    "--seed",
                    "2026",
                    "--as-of",
                    "2026-11-01",
                    "--dir",
                ])
                .arg(dir.path())
                .stdout(std::process::Stdio::null())
                .status()
                .expect("run civitac demo");
            assert!(status.success(), "demo failed");
            let replica = dir.path().join("replica.db");
            keep = dir;
            let _ = &keep;
            replica
        }
    };
    let rss_before = peak_rss_mb();

    let counter = Counter::default();
    let area = Rect::new(0, 0, 80, 24);
    // The console's own backend, on a screen known blank.
    let mut terminal = Terminal::with_options(
        civitac::tui::frugal::Frugal::new(counter.clone()).blank_screen(area),
        TerminalOptions {
            viewport: Viewport::Fixed(area),
        },
    )
    .expect("terminal");

    let t = Instant::now();
    let store = Store::open(&replica).expect("open");
    let mut app = App::new(
        store,
        Lang::Fr,
        Keymap::builtin("default").expect("keymap"),
        &[],
        Theme::new(false),
    );
    app.worker =
        Some(civitac::tui::worker::Worker::spawn(&replica, app.sender()).expect("search worker"));
    terminal
        .draw(|f| {
            view::draw(f, &mut app);
        })
        .expect("draw");
    let first_frame = t.elapsed();

    // One frame after a key, or (with `None`) after the pause that runs a
    // typed search; with `redraw`, the same frame drawn again with nothing
    // asked of the database (the floor a frame is measured beside).
    let mut frame_after = |app: &mut App, k: Option<KeyEvent>, redraw: bool| -> (Duration, usize) {
        let before = counter.0.get();
        let t = Instant::now();
        match k {
            _ if redraw => {}
            Some(k) => app.handle_key(k),
            None => {
                app.tick(t + civitac::tui::app::SEARCH_DEBOUNCE);
                // The search runs on the worker, as in the console: wait
                // for its page (the count comes after, and is not waited for).
                while app.model.searching.is_some() {
                    if !app.wait(Duration::from_secs(5), 0) {
                        break;
                    }
                }
            }
        }
        terminal
            .draw(|f| {
                view::draw(f, app);
            })
            .expect("draw");
        (t.elapsed(), counter.0.get() - before)
    };

    // Cursor moves in the moderation queue.
    frame_after(&mut app, Some(key(KeyCode::Char('4'))), false);
    let mut moves = Vec::new();
    let mut bytes = 0;
    for _ in 0..500 {
        let (d, b) = frame_after(&mut app, Some(key(KeyCode::Char('j'))), false);
        moves.push(d);
        bytes += b;
    }
    // Page down through the enrolments.
    frame_after(&mut app, Some(key(KeyCode::Char('2'))), false);
    let mut pages: Vec<Duration> = (0..200)
        .map(|_| frame_after(&mut app, Some(key(KeyCode::PageDown)), false).0)
        .collect();
    // Screen switches.
    let mut switches = Vec::new();
    let mut redraws = Vec::new();
    let mut slowest = [Duration::ZERO; 7];
    for _ in 0..20 {
        for (i, c) in ['1', '2', '3', '4', '5', '6', '7'].into_iter().enumerate() {
            let d = frame_after(&mut app, Some(key(KeyCode::Char(c))), false).0;
            slowest[i] = slowest[i].max(d);
            switches.push(d);
            redraws.push(frame_after(&mut app, None, true).0);
        }
    }
    // Search keystrokes in the forum (the list narrows on each).
    frame_after(&mut app, Some(key(KeyCode::Char('4'))), false);
    frame_after(&mut app, Some(key(KeyCode::Char('/'))), false);
    let mut searches = Vec::new();
    let mut queries = Vec::new();
    for _ in 0..5 {
        for word in ["koudougou", "forage"] {
            for c in word.chars() {
                searches.push(frame_after(&mut app, Some(key(KeyCode::Char(c))), false).0);
                // The list narrows when typing pauses: time that query and its frame too.
                queries.push(frame_after(&mut app, None, false).0);
            }
            for _ in 0..word.len() {
                searches.push(frame_after(&mut app, Some(key(KeyCode::Backspace)), false).0);
            }
        }
    }
    frame_after(&mut app, Some(key(KeyCode::Esc)), false);

    println!("console on {} (80x24, French)", replica.display());
    println!("start to first frame: {}", ms(first_frame));
    for (name, v) in [
        ("cursor move (j)", &mut moves),
        ("page down", &mut pages),
        ("screen switch", &mut switches),
        ("search keystroke", &mut searches),
        ("search query (worker)", &mut queries),
    ] {
        println!(
            "{name:<18} p50 {}  p99 {}  ({} samples)",
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.99)),
            v.len()
        );
    }
    let (p50, p99) = (
        percentile(&mut switches, 0.5),
        percentile(&mut switches, 0.99),
    );
    let (f50, f99) = (
        percentile(&mut redraws, 0.5),
        percentile(&mut redraws, 0.99),
    );
    println!(
        "screen switch beside its floor (the same frame drawn again, no query): p50 {} (floor {}, ×{:.1})  p99 {} (floor {}, ×{:.1})",
        ms(p50),
        ms(f50),
        p50.as_secs_f64() / f50.as_secs_f64().max(1e-9),
        ms(p99),
        ms(f99),
        p99.as_secs_f64() / f99.as_secs_f64().max(1e-9)
    );
    let slowest: Vec<String> = slowest
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{}:{}", i + 1, ms(*d)))
        .collect();
    println!("slowest switch to each screen: {}", slowest.join("  "));
    println!(
        "bytes written per cursor move: {:.0} (mean over {})",
        bytes as f64 / moves.len() as f64,
        moves.len()
    );
    match (rss_before, peak_rss_mb()) {
        (Some(b), Some(a)) => {
            println!("peak RSS: {a:.1} MB (before opening the console: {b:.1} MB)")
        }
        _ => println!("peak RSS: not available on this platform"),
    }
}

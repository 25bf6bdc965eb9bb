//! The console over a thin SSH link (numbers, not pass/fail): the bytes
//! written to the terminal per cursor move, page down, screen switch and
//! search keystroke, at 80x24 and 120x40, in colour and with
//! `--low-bandwidth`; and the frames drawn for a burst of keys.
//!
//! Each figure is printed beside its floor: the bytes of the characters
//! that changed on screen (what a terminal must be sent at the least, with
//! no cursor move and no colour). A frame that redrew what did not change
//! would show as a ratio far above 1. And how long each would take at
//! 9.6 kbit/s, the link `--low-bandwidth` is for.
//!
//!   cargo bench --bench terminal          # a scale-1 demo, built first (a few seconds)

#[path = "support/counter.rs"]
mod counter;
use counter::{Counter, key};

use civitac::i18n::Lang;
use civitac::store::Store;
use civitac::tui::app::App;
use civitac::tui::events::Event;
use civitac::tui::frugal::Frugal;
use civitac::tui::keymap::Keymap;
use civitac::tui::theme::Theme;
use civitac::tui::view;
use crossterm::event::KeyCode;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

/// A console on a counted terminal, remembering its last frame.
struct Console {
    app: App,
    terminal: Terminal<Frugal<Counter>>,
    counter: Counter,
    last: Buffer,
    frames: usize,
}

/// Bytes written and the floor (bytes of the changed characters), summed.
#[derive(Default, Clone, Copy)]
struct Bytes {
    written: usize,
    floor: usize,
    n: usize,
    max: usize,
}

impl Bytes {
    fn add(&mut self, (written, floor): (usize, usize)) {
        self.written += written;
        self.floor += floor;
        self.n += 1;
        self.max = self.max.max(written);
    }

    fn line(&self, name: &str) -> String {
        let n = self.n.max(1) as f64;
        let mean = self.written as f64 / n;
        let floor = self.floor as f64 / n;
        format!(
            "{name:<17} {mean:>6.0} B (floor {floor:>5.0} B, ×{:.1}); largest {:>5} B = {:.1} s at 9.6 kbit/s",
            mean / floor.max(1.0),
            self.max,
            self.max as f64 * 8.0 / 9600.0
        )
    }
}

impl Console {
    fn new(replica: &std::path::Path, width: u16, height: u16, theme: Theme) -> Console {
        let counter = Counter::default();
        let area = Rect::new(0, 0, width, height);
        // As the console: the frugal backend over crossterm, on a screen
        // cleared first.
        let terminal = Terminal::with_options(
            Frugal::new(counter.clone()).blank_screen(area),
            TerminalOptions {
                viewport: Viewport::Fixed(area),
            },
        )
        .expect("terminal");
        let store = Store::open(replica).expect("open");
        let mut app = App::new(
            store,
            Lang::Fr,
            Keymap::builtin("default").expect("keymap"),
            &[],
            theme,
        );
        app.model.fixed_now = Some("2026-11-01T12:00:00Z".parse().expect("date"));
        app.refresh_all();
        let mut c = Console {
            app,
            terminal,
            counter,
            last: Buffer::empty(area),
            frames: 0,
        };
        c.frame();
        c
    }

    /// Draws a frame as the console's loop does; returns (bytes written,
    /// bytes of the characters that changed).
    fn frame(&mut self) -> (usize, usize) {
        let before = self.counter.0.get();
        let app = &mut self.app;
        let done = self
            .terminal
            .draw(|f| {
                view::draw(f, app);
            })
            .expect("draw");
        let now = done.buffer.clone();
        let floor = self
            .last
            .diff(&now)
            .iter()
            .map(|(_, _, cell)| cell.symbol().len())
            .sum();
        self.last = now;
        self.frames += 1;
        (self.counter.0.get() - before, floor)
    }

    fn key(&mut self, k: KeyCode) -> (usize, usize) {
        self.app.handle_key(key(k));
        self.frame()
    }

    fn keys(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Keys arriving faster than frames: sent on the console's channel all
    /// at once, then the loop's step (wait for an event, take every waiting
    /// one, draw once if anything happened). Returns the frames drawn.
    fn burst(&mut self, k: KeyCode, n: usize) -> usize {
        let sender = self.app.sender();
        for _ in 0..n {
            sender.send(Event::Key(key(k))).expect("send");
        }
        let before = self.frames;
        while self.app.wait(std::time::Duration::from_millis(50), 0) {
            self.frame();
        }
        self.frames - before
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = civitac::demo::DemoOptions {
        scale: 1.0,
        seed: 2026,
        as_of: "2026-11-01T12:00:00Z".parse().expect("date"),
    };
    civitac::demo::build(dir.path(), &options).expect("demo");
    let replica = dir.path().join("replica.db");
    println!(
        "bytes written to the terminal per action (mean, beside the changed characters' bytes)"
    );
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        for (name, theme) in [
            ("colour", Theme::new(false)),
            ("NO_COLOR", Theme::new(true)),
            ("--low-bandwidth", Theme::lean()),
        ] {
            let mut c = Console::new(&replica, w, h, theme);
            let (mut moves, mut pages, mut switches, mut typed) = Default::default();
            c.keys("4");
            for _ in 0..60 {
                Bytes::add(&mut moves, c.key(KeyCode::Char('j')));
            }
            c.keys("2");
            for _ in 0..30 {
                Bytes::add(&mut pages, c.key(KeyCode::PageDown));
            }
            for _ in 0..3 {
                for s in ['1', '2', '3', '4', '5', '6', '7'] {
                    Bytes::add(&mut switches, c.key(KeyCode::Char(s)));
                }
            }
            c.keys("4/");
            for ch in "forage".chars() {
                let (mut written, mut floor) = c.key(KeyCode::Char(ch));
                // The list narrows once typing pauses: that frame is the keystroke's too.
                c.app
                    .tick(std::time::Instant::now() + civitac::tui::app::SEARCH_DEBOUNCE);
                while c.app.model.searching.is_some() {
                    if !c.app.wait(std::time::Duration::from_secs(5), 0) {
                        break;
                    }
                }
                let (w2, f2) = c.frame();
                written += w2;
                floor += f2;
                Bytes::add(&mut typed, (written, floor));
            }
            c.key(KeyCode::Esc);
            c.keys("4");
            let burst = c.burst(KeyCode::Char('j'), 30);
            println!("{w}x{h} {name}:");
            println!("  {}", moves.line("cursor move (j)"));
            println!("  {}", pages.line("page down"));
            println!("  {}", switches.line("screen switch"));
            println!("  {}", typed.line("search keystroke"));
            println!("  30 keys arriving at once: {burst} frame(s)");
        }
    }
}

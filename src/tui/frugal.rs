//! A terminal backend that spends fewer bytes: over SSH on a thin link every
//! byte of a frame is time. Ratatui sends only the cells that changed; what
//! it costs beyond their characters is how it gets there. Measured on a
//! screen switch at 80x24 (`benches/terminal.rs`), the crossterm backend
//! spent nearly as much on escape sequences as on text:
//!
//! - a cursor jump (`ESC [ row ; col H`, 6 to 8 bytes) over every run of
//!   unchanged cells: across a short gap on the same row, this backend
//!   writes the few unchanged characters again instead (it keeps a copy of
//!   the screen to know them);
//! - each change of colour as a 256-colour code with both colours
//!   (`ESC [ 38;5;6;49 m`, 13 bytes): this one writes the classic short
//!   codes (`ESC [ 36 m`), only for what changed, attributes and colours in
//!   one sequence.
//!
//! The cursor, clearing and sizes are crossterm's commands, as ratatui's
//! own crossterm backend sends them.

use std::io::Write;

use crossterm::{cursor, execute, terminal};
use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::{Color, Modifier};

/// The most bytes of unchanged cells rewritten rather than jumped over: a
/// jump costs 6 to 8 bytes.
const GAP_BYTES: usize = 6;

pub struct Frugal<W: Write> {
    writer: W,
    /// What the terminal shows, when known (after a clear, and every frame
    /// drawn since); unknown, nothing is rewritten.
    screen: Option<Buffer>,
}

impl<W: Write> Frugal<W> {
    pub fn new(writer: W) -> Frugal<W> {
        Frugal {
            writer,
            screen: None,
        }
    }

    /// For a terminal its caller knows to be blank (cleared, or a fresh
    /// capture in a bench), of this size.
    pub fn blank_screen(mut self, area: Rect) -> Frugal<W> {
        self.screen = Some(Buffer::empty(area));
        self
    }

    pub fn writer(&self) -> &W {
        &self.writer
    }

    fn blank(&self) -> Option<Buffer> {
        let size = self.size().ok()?;
        Some(Buffer::empty(Rect::new(0, 0, size.width, size.height)))
    }
}

/// A cell that can be written again in place of a jump: one plain,
/// one-column character (never a wide one, a hyperlink or a control).
fn plain(cell: &Cell) -> bool {
    let mut chars = cell.symbol().chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if !c.is_control()
        && unicode_width::UnicodeWidthChar::width(c) == Some(1))
        && cell.diff_option == CellDiffOption::None
}

#[derive(Clone, Copy, PartialEq)]
struct Look {
    fg: Color,
    bg: Color,
    modifier: Modifier,
}

impl Look {
    const PLAIN: Look = Look {
        fg: Color::Reset,
        bg: Color::Reset,
        modifier: Modifier::empty(),
    };

    fn of(cell: &Cell) -> Look {
        Look {
            fg: cell.fg,
            bg: cell.bg,
            modifier: cell.modifier,
        }
    }
}

const ATTRIBUTES: [(Modifier, u8); 9] = [
    (Modifier::BOLD, 1),
    (Modifier::DIM, 2),
    (Modifier::ITALIC, 3),
    (Modifier::UNDERLINED, 4),
    (Modifier::SLOW_BLINK, 5),
    (Modifier::RAPID_BLINK, 6),
    (Modifier::REVERSED, 7),
    (Modifier::HIDDEN, 8),
    (Modifier::CROSSED_OUT, 9),
];

/// A colour's SGR parameters: `base` 30 for the foreground, 40 for the
/// background.
fn colour(out: &mut Vec<String>, c: Color, base: u8) {
    let n = match c {
        Color::Reset => 9,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 60,
        Color::LightRed => 61,
        Color::LightGreen => 62,
        Color::LightYellow => 63,
        Color::LightBlue => 64,
        Color::LightMagenta => 65,
        Color::LightCyan => 66,
        Color::White => 67,
        Color::Indexed(i) => return out.push(format!("{};5;{i}", base + 8)),
        Color::Rgb(r, g, b) => return out.push(format!("{};2;{r};{g};{b}", base + 8)),
    };
    out.push((base + n).to_string());
}

/// The one SGR sequence from `from` to `to`: only what changed; an
/// attribute taken away resets everything and sets the rest again.
fn sgr(from: Look, to: Look) -> String {
    let mut codes = Vec::new();
    let removed = from.modifier - to.modifier;
    let (from, added) = if removed.is_empty() {
        (from, to.modifier - from.modifier)
    } else {
        codes.push("0".to_owned());
        (Look::PLAIN, to.modifier)
    };
    for (m, code) in ATTRIBUTES {
        if added.contains(m) {
            codes.push(code.to_string());
        }
    }
    if to.fg != from.fg {
        colour(&mut codes, to.fg, 30);
    }
    if to.bg != from.bg {
        colour(&mut codes, to.bg, 40);
    }
    format!("\x1b[{}m", codes.join(";"))
}

impl<W: Write> Backend for Frugal<W> {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let updates: Vec<(u16, u16, &Cell)> = content.collect();
        if let Some(screen) = &self.screen
            && updates
                .iter()
                .any(|&(x, y, _)| !screen.area.contains(Position { x, y }))
        {
            // Not the screen we know (a resize under way): no guessing.
            self.screen = None;
        }
        // The cells to write: each change, and the unchanged cells of a
        // short gap between two changes on one row when they look like the
        // cell before the gap (no change of colour to pay for).
        let mut cells: Vec<(u16, u16, &Cell)> = Vec::with_capacity(updates.len());
        let mut last: Option<(u16, u16, &Cell)> = None;
        for &(x, y, cell) in &updates {
            if let (Some(screen), Some((lx, ly, lcell))) = (&self.screen, last)
                && ly == y
                && x > lx + 1
                && usize::from(x - lx - 1) <= GAP_BYTES
                && plain(lcell)
            {
                let gap = lx + 1..x;
                let bytes: usize = gap.clone().map(|gx| screen[(gx, y)].symbol().len()).sum();
                if bytes <= GAP_BYTES
                    && gap.clone().all(|gx| {
                        let c = &screen[(gx, y)];
                        plain(c) && Look::of(c) == Look::of(lcell)
                    })
                {
                    cells.extend(gap.map(|gx| (gx, y, &screen[(gx, y)])));
                }
            }
            cells.push((x, y, cell));
            last = Some((x, y, cell));
        }
        let mut out = Vec::with_capacity(cells.len() * 2);
        let mut look = Look::PLAIN;
        let mut at: Option<(u16, u16)> = None;
        for (x, y, cell) in cells {
            if at != Some((x, y)) {
                write!(out, "\x1b[{};{}H", y + 1, x + 1)?;
            }
            let want = Look::of(cell);
            if want != look {
                out.extend_from_slice(sgr(look, want).as_bytes());
                look = want;
            }
            out.extend_from_slice(cell.symbol().as_bytes());
            at = Some((x + 1, y));
        }
        if look != Look::PLAIN {
            out.extend_from_slice(b"\x1b[0m");
        }
        if let Some(screen) = &mut self.screen {
            for (x, y, cell) in updates {
                screen[(x, y)] = cell.clone();
                // A wide character covers the cells after it, which ratatui
                // does not send: what they show is not known here any more.
                let width = unicode_width::UnicodeWidthStr::width(cell.symbol()) as u16;
                for covered in x + 1..(x + width).min(screen.area.right()) {
                    screen[(covered, y)].set_diff_option(CellDiffOption::Skip);
                }
            }
        }
        self.writer.write_all(&out)
    }

    fn append_lines(&mut self, n: u16) -> std::io::Result<()> {
        self.screen = None;
        for _ in 0..n {
            self.writer.write_all(b"\n")?;
        }
        self.writer.flush()
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        execute!(self.writer, cursor::Hide)
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        execute!(self.writer, cursor::Show)
    }

    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        cursor::position().map(|(x, y)| Position { x, y })
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        let Position { x, y } = position.into();
        execute!(self.writer, cursor::MoveTo(x, y))
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.clear_region(ClearType::All)
    }

    fn clear_region(&mut self, clear_type: ClearType) -> std::io::Result<()> {
        use terminal::ClearType as C;
        execute!(
            self.writer,
            terminal::Clear(match clear_type {
                ClearType::All => C::All,
                ClearType::AfterCursor => C::FromCursorDown,
                ClearType::BeforeCursor => C::FromCursorUp,
                ClearType::CurrentLine => C::CurrentLine,
                ClearType::UntilNewLine => C::UntilNewLine,
            })
        )?;
        self.screen = match clear_type {
            ClearType::All => self.blank(),
            _ => None,
        };
        Ok(())
    }

    fn size(&self) -> std::io::Result<Size> {
        let (width, height) = terminal::size()?;
        Ok(Size { width, height })
    }

    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        let w = terminal::window_size()?;
        Ok(WindowSize {
            columns_rows: Size {
                width: w.columns,
                height: w.rows,
            },
            pixels: Size {
                width: w.width,
                height: w.height,
            },
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Style, Stylize};
    use ratatui::text::{Line, Span};
    use ratatui::widgets::Paragraph;

    /// A terminal as far as this backend speaks to it: cursor jumps, SGR
    /// and printed characters, onto a buffer.
    struct Vt {
        screen: Buffer,
        x: u16,
        y: u16,
        look: Look,
    }

    impl Vt {
        fn new(area: Rect) -> Vt {
            Vt {
                screen: Buffer::empty(area),
                x: 0,
                y: 0,
                look: Look::PLAIN,
            }
        }

        fn feed(&mut self, bytes: &[u8]) {
            let text = std::str::from_utf8(bytes).expect("utf-8");
            let mut rest = text;
            while let Some(c) = rest.chars().next() {
                if let Some(seq) = rest.strip_prefix("\x1b[") {
                    let end = seq.find(|c: char| c.is_ascii_alphabetic()).expect("final");
                    let (params, kind) = (&seq[..end], &seq[end..=end]);
                    let nums: Vec<u16> = params
                        .split(';')
                        .filter(|p| !p.is_empty())
                        .map(|p| p.parse().expect("number"))
                        .collect();
                    match kind {
                        "H" => {
                            self.y = nums[0] - 1;
                            self.x = nums[1] - 1;
                        }
                        "m" => self.sgr(&nums),
                        other => panic!("unexpected sequence {other}"),
                    }
                    rest = &seq[end + 1..];
                    continue;
                }
                let cell = &mut self.screen[(self.x, self.y)];
                cell.set_symbol(&c.to_string());
                cell.fg = self.look.fg;
                cell.bg = self.look.bg;
                cell.modifier = self.look.modifier;
                // A wide character covers the next cell too: a terminal
                // shows it blank behind the character's second half.
                let width = unicode_width::UnicodeWidthChar::width(c).unwrap_or(1) as u16;
                for covered in self.x + 1..self.x + width {
                    self.screen[(covered, self.y)].set_symbol(" ");
                }
                self.x += width;
                rest = &rest[c.len_utf8()..];
            }
        }

        fn sgr(&mut self, nums: &[u16]) {
            let named = |n: u16| match n {
                0 => Color::Black,
                1 => Color::Red,
                2 => Color::Green,
                3 => Color::Yellow,
                4 => Color::Blue,
                5 => Color::Magenta,
                6 => Color::Cyan,
                7 => Color::Gray,
                60 => Color::DarkGray,
                61 => Color::LightRed,
                62 => Color::LightGreen,
                63 => Color::LightYellow,
                64 => Color::LightBlue,
                65 => Color::LightMagenta,
                66 => Color::LightCyan,
                67 => Color::White,
                _ => panic!("colour {n}"),
            };
            let mut i = 0;
            while i < nums.len() {
                match nums[i] {
                    0 => self.look = Look::PLAIN,
                    n @ 1..=9 => {
                        // ECMA-48's numbering, written out apart from the code's.
                        self.look.modifier |= match n {
                            1 => Modifier::BOLD,
                            2 => Modifier::DIM,
                            3 => Modifier::ITALIC,
                            4 => Modifier::UNDERLINED,
                            5 => Modifier::SLOW_BLINK,
                            6 => Modifier::RAPID_BLINK,
                            7 => Modifier::REVERSED,
                            8 => Modifier::HIDDEN,
                            _ => Modifier::CROSSED_OUT,
                        };
                    }
                    39 => self.look.fg = Color::Reset,
                    49 => self.look.bg = Color::Reset,
                    n @ (38 | 48) => {
                        let byte = |k: usize| u8::try_from(nums[k]).expect("0-255");
                        let c = if nums[i + 1] == 5 {
                            let c = Color::Indexed(byte(i + 2));
                            i += 2;
                            c
                        } else {
                            let c = Color::Rgb(byte(i + 2), byte(i + 3), byte(i + 4));
                            i += 4;
                            c
                        };
                        if n == 38 {
                            self.look.fg = c;
                        } else {
                            self.look.bg = c;
                        }
                    }
                    n @ (30..=37 | 90..=97) => self.look.fg = named(n - 30),
                    n @ (40..=47 | 100..=107) => self.look.bg = named(n - 40),
                    n => panic!("SGR {n}"),
                }
                i += 1;
            }
        }
    }

    /// Frames of styled text, one after another: what the bytes make of the
    /// screen is what ratatui drew, cell for cell, look for look.
    #[test]
    fn what_the_terminal_shows_is_what_was_drawn_in_fewer_bytes() {
        let area = Rect::new(0, 0, 30, 4);
        let frames: Vec<Vec<Line>> = vec![
            vec![Line::from("a b c d e f"), Line::from("plain text").bold()],
            vec![
                Line::from(vec![
                    Span::styled("a", Style::new().cyan().bold()),
                    Span::raw(" x c "),
                    Span::styled("y", Style::new().on_blue().white()),
                ]),
                Line::from("plain text").dim(),
            ],
            vec![
                Line::from("コ b 𝕏 d").reversed(),
                Line::from(Span::styled(
                    "idx",
                    Style::new().fg(Color::Indexed(202)).bg(Color::Rgb(1, 2, 3)),
                )),
            ],
            vec![
                Line::from("a b c d e f").dark_gray(),
                Line::from("plain text").italic().underlined(),
            ],
            // A wide character where narrow ones were, then narrow ones
            // again with changes on both sides of the cell it covered.
            vec![Line::from("xybzzzz"), Line::from("   ").reversed()],
            vec![Line::from("xyコzzzz"), Line::from("   ").reversed()],
            vec![Line::from("xya zzzz"), Line::from("   ").reversed()],
            vec![Line::from("qya zzzq"), Line::from(" r ").reversed()],
            vec![Line::from("a b c d e f"), Line::from("plain text")],
        ];
        let mut frugal =
            ratatui::Terminal::new(Frugal::new(Vec::<u8>::new()).blank_screen(area)).expect("t");
        let mut vt = Vt::new(area);
        let mut fed = 0;
        for lines in frames {
            // What ratatui means the screen to be.
            let want = frugal
                .draw(|f| f.render_widget(Paragraph::new(lines.clone()), f.area()))
                .expect("draw")
                .buffer
                .clone();
            let bytes = frugal.backend().writer().clone();
            // The cursor's own sequences (show/hide) are crossterm's.
            let drawn: Vec<u8> = String::from_utf8(bytes[fed..].to_vec())
                .expect("utf-8")
                .replace("\x1b[?25l", "")
                .replace("\x1b[?25h", "")
                .into_bytes();
            fed = bytes.len();
            vt.feed(&drawn);
            for y in 0..area.height {
                for x in 0..area.width {
                    let (a, b) = (&want[(x, y)], &vt.screen[(x, y)]);
                    // Behind a wide character's second half.
                    if x > 0 && unicode_width::UnicodeWidthStr::width(want[(x - 1, y)].symbol()) > 1
                    {
                        continue;
                    }
                    if a.symbol() == " "
                        && b.symbol() == " "
                        && a.bg == b.bg
                        && a.modifier.contains(Modifier::REVERSED)
                            == b.modifier.contains(Modifier::REVERSED)
                    {
                        continue;
                    }
                    if a.symbol().is_empty() {
                        continue;
                    }
                    assert_eq!(
                        (a.symbol(), Look::of(a).fg, Look::of(a).bg, a.modifier),
                        (b.symbol(), b.fg, b.bg, b.modifier),
                        "cell {x},{y} of {lines:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_change_of_look_is_one_short_sequence() {
        let cyan_bold = Look {
            fg: Color::Cyan,
            bg: Color::Reset,
            modifier: Modifier::BOLD,
        };
        assert_eq!(sgr(Look::PLAIN, cyan_bold), "\x1b[1;36m");
        assert_eq!(sgr(cyan_bold, Look::PLAIN), "\x1b[0m");
        let dark = Look {
            fg: Color::DarkGray,
            ..Look::PLAIN
        };
        assert_eq!(sgr(Look::PLAIN, dark), "\x1b[90m");
        assert_eq!(sgr(dark, Look::PLAIN), "\x1b[39m");
        assert_eq!(
            sgr(
                cyan_bold,
                Look {
                    fg: Color::White,
                    bg: Color::Blue,
                    modifier: Modifier::BOLD
                }
            ),
            "\x1b[97;44m"
        );
    }
}

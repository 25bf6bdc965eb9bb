//! Styles. Named 16-colour palette only (works on `TERM=linux` and old
//! terminals); with `NO_COLOR` set, bold/reverse/dim carry the meaning instead.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone)]
pub struct Theme {
    /// For a thin link (`--low-bandwidth`): panes keep only their title
    /// rule, and nothing but reverse video marks what is chosen.
    pub lean: bool,
    pub header: Style,
    pub selected: Style,
    pub border: Style,
    pub border_focus: Style,
    pub dim: Style,
    pub warning: Style,
    pub error: Style,
    pub ok: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub key: Style,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme::new(std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()))
    }

    /// For a 9.6 kbit/s link: every byte a frame writes counts. No colour
    /// and no bold or dim (each change of style is an escape sequence), and
    /// panes without side and bottom borders; only reverse video is kept,
    /// for the chosen row, the active screen and errors.
    pub fn lean() -> Theme {
        let plain = Style::default();
        let marked = plain.add_modifier(Modifier::REVERSED);
        Theme {
            lean: true,
            header: plain,
            selected: marked,
            border: plain,
            border_focus: plain,
            dim: plain,
            warning: plain,
            error: marked,
            ok: plain,
            tab: plain,
            tab_active: marked,
            key: plain,
        }
    }

    /// A pane's frame: a box, or on a thin link only its title rule.
    pub fn pane<'a>(&self) -> ratatui::widgets::Block<'a> {
        use ratatui::widgets::{Block, Borders};
        Block::default().borders(if self.lean {
            Borders::TOP
        } else {
            Borders::ALL
        })
    }

    pub fn new(no_color: bool) -> Theme {
        let plain = Style::default();
        if no_color {
            return Theme {
                lean: false,
                header: plain.add_modifier(Modifier::BOLD),
                selected: plain.add_modifier(Modifier::REVERSED),
                border: plain,
                border_focus: plain.add_modifier(Modifier::BOLD),
                dim: plain.add_modifier(Modifier::DIM),
                warning: plain.add_modifier(Modifier::BOLD),
                error: plain.add_modifier(Modifier::BOLD | Modifier::REVERSED),
                ok: plain,
                tab: plain,
                tab_active: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
                key: plain.add_modifier(Modifier::BOLD),
            };
        }
        Theme {
            lean: false,
            header: plain.fg(Color::Yellow),
            selected: plain.bg(Color::Blue).fg(Color::White),
            border: plain.fg(Color::DarkGray),
            border_focus: plain.fg(Color::Cyan),
            dim: plain.fg(Color::DarkGray),
            warning: plain.fg(Color::Yellow),
            error: plain.fg(Color::White).bg(Color::Red),
            ok: plain.fg(Color::Green),
            tab: plain,
            tab_active: plain.fg(Color::Black).bg(Color::Cyan),
            key: plain.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        }
    }
}

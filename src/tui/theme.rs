//! Styles. Named 16-colour palette only (works on `TERM=linux` and old
//! terminals); with `NO_COLOR` set, bold/reverse/dim carry the meaning instead.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone)]
pub struct Theme {
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

    pub fn new(no_color: bool) -> Theme {
        let plain = Style::default();
        if no_color {
            return Theme {
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

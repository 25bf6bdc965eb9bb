//! Tableau de bord: what waits, where enrolment stands by region, flags per day.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Cell, Paragraph, Row, Table};
use rusqlite::Connection;

use super::{Context, Meta, Page, Screen};
use crate::i18n::Lang;
use crate::store::views::{self, Queue};
use crate::tui::keymap::{Action, Section};

pub static META: Meta = Meta {
    title: ("Tableau de bord", "Dashboard"),
    short_title: ("Bord", "Home"),
    section: Section::Dashboard,
    switch: Action::ScreenDashboard,
    entity: None,
    hints: &[Action::Help, Action::Palette, Action::Quit],
};

#[derive(Default)]
pub struct Dashboard {
    counts: views::Dashboard,
}

impl Page for Dashboard {
    fn screen(&self) -> Screen {
        Screen::Dashboard
    }

    fn load(&mut self, conn: &Connection, now: jiff::Timestamp) {
        self.counts = views::dashboard(conn, now);
    }

    fn draw(&mut self, f: &mut Frame<'_>, area: Rect, cx: &Context<'_>) {
        draw_dashboard(f, &self.counts, cx, area);
    }
}

fn queue_label(q: Queue) -> (&'static str, &'static str) {
    match q {
        Queue::Enrollments => ("Enrôlements en cours", "Enrolments in progress"),
        Queue::Uploads => ("Publications à revoir", "Uploads to review"),
        Queue::FlaggedPosts => ("Messages signalés", "Flagged posts"),
        Queue::SmsToApprove => ("SMS à approuver", "SMS to approve"),
    }
}

/// "il y a 3 j" / "3 d ago" from a stored timestamp.
fn age(lang: Lang, now: jiff::Timestamp, ts: &str) -> String {
    let Ok(t) = ts.parse::<jiff::Timestamp>() else {
        return String::new();
    };
    let secs = now.duration_since(t).as_secs().max(0);
    let (n, unit_fr, unit_en) = if secs < 3600 {
        (secs / 60, "min", "min")
    } else if secs < 86_400 {
        (secs / 3600, "h", "h")
    } else {
        (secs / 86_400, "j", "d")
    };
    match lang {
        Lang::Fr => format!("il y a {n} {unit_fr}"),
        Lang::En => format!("{n} {unit_en} ago"),
    }
}

fn draw_dashboard(f: &mut Frame<'_>, d: &views::Dashboard, cx: &Context<'_>, area: Rect) {
    let lang = cx.lang;
    let now = cx.now;
    let [top, bottom] = Layout::vertical([Constraint::Length(8), Constraint::Min(6)]).areas(area);
    let [queues, ops] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(top);
    let rows: Vec<Row<'_>> = d
        .queues
        .iter()
        .map(|(queue, n, oldest)| {
            let (fr, en) = queue_label(*queue);
            let oldest = oldest
                .as_deref()
                .map(|o| age(lang, now, o))
                .unwrap_or_default();
            Row::new(vec![
                Cell::from(lang.pick(fr, en).to_owned()),
                Cell::from(n.to_string()),
                Cell::from(oldest),
            ])
        })
        .collect();
    let header = Row::new(vec![
        lang.pick("File", "Queue"),
        lang.pick("En attente", "Waiting"),
        lang.pick("Plus ancien", "Oldest"),
    ])
    .style(cx.theme.header);
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(22),
                Constraint::Length(10),
                Constraint::Length(14),
            ],
        )
        .header(header)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(lang.pick(" Files d'attente ", " Queues ")),
        ),
        queues,
    );
    let last = cx
        .last_sync
        .map(str::to_owned)
        .unwrap_or_else(|| lang.pick("jamais", "never").to_owned());
    let lines = vec![
        Line::from(format!(
            "{} : {}",
            lang.pick("Opérations en attente", "Pending ops"),
            cx.pending_ops
        )),
        Line::from(format!(
            "{} : {last}",
            lang.pick("Dernière synchro", "Last sync")
        )),
        Line::from(format!(
            "{} : {}",
            lang.pick("Conflits", "Conflicts"),
            cx.conflicts
        )),
    ];
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(lang.pick(" Synchro ", " Sync ")),
        ),
        ops,
    );
    let [stages, flags] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(bottom);
    let header = Row::new(vec![
        lang.pick("Région", "Region"),
        lang.pick("dem.", "appl."),
        lang.pick("charte", "charter"),
        lang.pick("cont.", "cont."),
        lang.pick("enrôl.", "enrol."),
        lang.pick("rej.", "rej."),
        lang.pick("susp.", "susp."),
    ])
    .style(cx.theme.header);
    let rows: Vec<Row<'_>> = d
        .stages
        .iter()
        .map(|(region, n)| {
            Row::new(
                std::iter::once(Cell::from(crate::text::inline(region)))
                    .chain(n.iter().map(|v| Cell::from(v.to_string()))),
            )
        })
        .collect();
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(12),
                Constraint::Length(6),
                Constraint::Length(7),
                Constraint::Length(6),
                Constraint::Length(7),
                Constraint::Length(5),
                Constraint::Length(6),
            ],
        )
        .header(header)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(lang.pick(" Enrôlements par région ", " Enrolments by region ")),
        ),
        stages,
    );
    let bars: Vec<Bar<'_>> = d
        .flags_per_day
        .iter()
        .map(|(day, n)| {
            Bar::default()
                .value(*n)
                .label(Line::from(day.get(8..10).unwrap_or("").to_owned()))
        })
        .collect();
    f.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&bars))
            .bar_width(2)
            .bar_gap(1)
            .bar_style(cx.theme.key)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(lang.pick(" Signalements par jour ", " Flags per day ")),
            ),
        flags,
    );
}

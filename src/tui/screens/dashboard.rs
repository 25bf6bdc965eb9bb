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
use crate::tui::strings;

#[rustfmt::skip]
pub static META: Meta = Meta {
    title: strings::DASHBOARD_TITLE, short_title: strings::DASHBOARD_SHORT, section: Section::Dashboard, switch: Action::ScreenDashboard, entity: None,
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

fn queue_label(q: Queue) -> strings::Text {
    match q {
        Queue::Enrollments => strings::QUEUE_ENROLMENTS,
        Queue::Uploads => strings::QUEUE_UPLOADS,
        Queue::FlaggedPosts => strings::QUEUE_FLAGGED_POSTS,
        Queue::HeldPosts => strings::QUEUE_HELD_POSTS,
        Queue::SmsToApprove => strings::QUEUE_SMS_TO_APPROVE,
    }
}

/// "il y a 3 j" / "3 d ago" from a stored timestamp.
fn age(lang: Lang, now: jiff::Timestamp, ts: &str) -> String {
    let Ok(t) = ts.parse::<jiff::Timestamp>() else {
        return String::new();
    };
    let secs = now.duration_since(t).as_secs().max(0);
    let (n, unit) = if secs < 3600 {
        (secs / 60, strings::MINUTES_UNIT)
    } else if secs < 86_400 {
        (secs / 3600, strings::HOURS_UNIT)
    } else {
        (secs / 86_400, strings::DAYS_UNIT)
    };
    strings::ago(lang, n, unit.get(lang))
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
            let label = queue_label(*queue);
            let oldest = oldest
                .as_deref()
                .map(|o| age(lang, now, o))
                .unwrap_or_default();
            Row::new(vec![
                Cell::from(label.get(lang).to_owned()),
                Cell::from(n.to_string()),
                Cell::from(oldest),
            ])
        })
        .collect();
    let header = Row::new(vec![
        strings::QUEUE.get(lang),
        strings::WAITING.get(lang),
        strings::OLDEST.get(lang),
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
                .title(strings::QUEUES.get(lang)),
        ),
        queues,
    );
    let last = cx
        .last_sync
        .map(crate::time::short)
        .unwrap_or_else(|| strings::NEVER.get(lang).to_owned());
    let lines = vec![
        Line::from(format!(
            "{} : {}",
            strings::PENDING_OPS.get(lang),
            cx.pending_ops
        )),
        Line::from(format!("{} : {last}", strings::LAST_SYNC.get(lang))),
        Line::from(format!(
            "{} : {}",
            strings::CONFLICTS.get(lang),
            cx.conflicts
        )),
    ];
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(strings::SYNC_TITLE.get(lang)),
        ),
        ops,
    );
    let [stages, flags] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(bottom);
    let header = Row::new(vec![
        strings::REGION.get(lang),
        strings::APPL.get(lang),
        strings::CHARTER.get(lang),
        strings::CONT.get(lang),
        strings::ENROL.get(lang),
        strings::REJ.get(lang),
        strings::SUSP.get(lang),
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
                .title(strings::ENROLMENTS_BY_REGION.get(lang)),
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
                    .title(strings::FLAGS_PER_DAY.get(lang)),
            ),
        flags,
    );
}

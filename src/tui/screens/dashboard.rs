//! Tableau de bord: what waits, where enrolment stands by region, flags per day.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
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
                .map(|o| crate::time::age(crate::time::seconds_since(o, now), lang))
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
                Constraint::Min(21),
                Constraint::Length(8),
                Constraint::Length(15),
            ],
        )
        .header(header)
        .block(cx.theme.pane().title(strings::QUEUES.get(lang))),
        queues,
    );
    let last = cx
        .last_sync
        .map(|s| crate::time::relative(s, now, lang))
        .unwrap_or_else(|| strings::NEVER.get(lang).to_owned());
    let lines = vec![
        Line::from(lang.labelled(strings::PENDING_OPS.get(lang), cx.pending_ops)),
        Line::from(lang.labelled(strings::LAST_SYNC.get(lang), last)),
        Line::from(lang.labelled(strings::CONFLICTS.get(lang), cx.conflicts)),
    ];
    f.render_widget(
        Paragraph::new(lines).block(cx.theme.pane().title(strings::SYNC_TITLE.get(lang))),
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
            cx.theme
                .pane()
                .title(strings::ENROLMENTS_BY_REGION.get(lang)),
        ),
        stages,
    );
    let block = cx.theme.pane().title(strings::FLAGS_PER_DAY.get(lang));
    let inner = block.inner(flags);
    f.render_widget(block, flags);
    f.render_widget(
        Paragraph::new(flag_chart(
            &d.flags_per_day,
            now,
            lang,
            inner.width,
            inner.height,
        )),
        inner,
    );
}

/// The last 14 days of flags as columns of eighth blocks: the busiest
/// day's count and the total above, the dates of the first and last day
/// below. Fits 30 columns (80-column terminals).
fn flag_chart(
    per_day: &[(String, u64)],
    now: jiff::Timestamp,
    lang: Lang,
    width: u16,
    height: u16,
) -> Vec<Line<'static>> {
    const DAYS: usize = 14;
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let days: Vec<(jiff::civil::Date, u64)> = (0..DAYS)
        .rev()
        .filter_map(|back| today.checked_sub(jiff::Span::new().days(back as i64)).ok())
        .map(|day| {
            let key = day.to_string();
            let n = per_day
                .iter()
                .find(|(d, _)| *d == key)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (day, n)
        })
        .collect();
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let total: u64 = days.iter().map(|(_, n)| *n).sum();
    let width = usize::from(width);
    // Two columns a day (bar and gap) when they fit, else one.
    let slot = if width >= days.len() * 2 { 2 } else { 1 };
    let rows = usize::from(height.saturating_sub(2)).max(1);
    let mut out = vec![Line::from(match lang {
        Lang::Fr => format!("max {max}/jour · {total} en 14 j"),
        Lang::En => format!("max {max}/day · {total} in 14 d"),
    })];
    const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    for row in (0..rows).rev() {
        let mut line = String::new();
        for (_, n) in &days {
            // Height in eighths of a row; a day with any flag shows at least one.
            let eighths = if max == 0 {
                0
            } else {
                ((*n as f64 / max as f64) * (rows * 8) as f64).round() as usize
            };
            let eighths = if *n > 0 { eighths.max(1) } else { 0 };
            let here = eighths.saturating_sub(row * 8).min(8);
            line.push(EIGHTHS[here]);
            if slot == 2 {
                line.push(' ');
            }
        }
        out.push(Line::from(line));
    }
    let label = |d: jiff::civil::Date| format!("{:02}/{:02}", d.day(), d.month());
    if let (Some((first, _)), Some((last, _))) = (days.first(), days.last()) {
        let span = days.len() * slot - (slot - 1);
        let (a, b) = (label(*first), label(*last));
        let gap = span.saturating_sub(a.len() + b.len()).max(1);
        out.push(Line::from(format!("{a}{}{b}", " ".repeat(gap))));
    }
    out
}

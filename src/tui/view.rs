//! Drawing: a function of the model; it never queries (detail panes are
//! loaded when the selection changes). Each screen draws its own main area;
//! this draws the frame around it. Hints, help and the palette read the
//! live keymap.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::app::App;
use super::keymap::Action;
use super::model::{InputKind, Overlay};
use super::screens::{Context, Screen};
use crate::text;
use crate::tui::strings;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws the whole screen; returns the row where the list starts (for mouse clicks).
pub fn draw(f: &mut Frame<'_>, app: &mut App) -> u16 {
    let area = f.area();
    let lang = app.model.lang;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = strings::too_small(lang, MIN_WIDTH, MIN_HEIGHT, area.width, area.height);
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return 0;
    }
    let [tabs, main, input, hints, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_tabs(f, app, tabs);
    let now = app.model.now();
    let cx = Context {
        lang,
        theme: &app.model.theme,
        now,
        last_sync: app.model.last_sync.as_deref(),
        pending_ops: app.model.pending_ops,
        conflicts: app.model.conflicts,
        syncer: app.syncer.as_ref(),
        detail_focus: app.model.detail_focus,
    };
    let page = &mut app.model.pages[app.model.screen.index()];
    page.draw(f, main, &cx);
    let list_top = main.y + page.header_height();
    draw_input_line(f, app, input);
    draw_hints(f, app, hints);
    draw_status(f, app, status);
    match &app.model.overlay {
        Overlay::Help { scroll } => draw_help(f, app, area, *scroll),
        Overlay::Messages { scroll } => draw_messages(f, app, area, *scroll),
        Overlay::Palette { input, selected } => draw_palette(f, app, area, input, *selected),
        Overlay::Confirm(_) => draw_confirm(f, app, area),
        Overlay::Compose(c) => draw_composer(f, app, c, area),
        Overlay::Form(form) => draw_form(f, app, form, area),
        _ => {}
    }
    list_top
}

fn draw_tabs(f: &mut Frame<'_>, app: &App, area: Rect) {
    let names = tab_names(app, usize::from(area.width));
    let mut spans = Vec::new();
    for (s, name) in Screen::ALL.into_iter().zip(names) {
        let style = if s == app.model.screen {
            app.model.theme.tab_active
        } else {
            app.model.theme.tab
        };
        spans.push(Span::styled(name, style));
        spans.push(Span::raw(" "));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The tabs' labels, never cut: full names when they fit, else short names
/// for the others, else short names for all.
fn tab_names(app: &App, width: usize) -> Vec<String> {
    let tab = |s: Screen, short: bool| {
        let key = app
            .model
            .keymap
            .key_for(&s.sections(), s.switch_action())
            .unwrap_or_default();
        let (fr, en) = if short { s.short_title() } else { s.title() };
        format!(" {key} {} ", app.model.lang.pick(fr, en))
    };
    let fits = |names: &[String]| names.iter().map(|n| text::width(n) + 1).sum::<usize>() <= width;
    let full: Vec<String> = Screen::ALL.iter().map(|s| tab(*s, false)).collect();
    if fits(&full) {
        return full;
    }
    let others_short: Vec<String> = Screen::ALL
        .iter()
        .map(|s| tab(*s, *s != app.model.screen))
        .collect();
    if fits(&others_short) {
        return others_short;
    }
    Screen::ALL.iter().map(|s| tab(*s, true)).collect()
}

fn draw_input_line(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let lang = app.model.lang;
    let (line, cursor) = match &app.model.overlay {
        Overlay::Input { kind, text: t } => {
            let label = match kind {
                InputKind::Search => strings::SEARCH_PROMPT.get(lang),
                InputKind::Filter => strings::FILTER_KEY_VALUE.get(lang),
            };
            let shown = text::inline(t);
            let x = area.x + (text::width(label) + text::width(&shown)) as u16;
            (
                Line::from(vec![
                    Span::styled(label, app.model.theme.key),
                    Span::raw(shown),
                ]),
                Some(x),
            )
        }
        _ => {
            let (search, filter) = app
                .model
                .list()
                .map(|l| (l.search().to_owned(), l.filter_text(lang)))
                .unwrap_or_default();
            let mut spans = Vec::new();
            if !filter.is_empty() {
                spans.push(Span::styled(strings::FILTER.get(lang), app.model.theme.dim));
                spans.push(Span::raw(text::inline(&filter)));
                spans.push(Span::raw("   "));
            }
            if let Some(pending) = &app.model.searching {
                spans.push(Span::styled(
                    strings::SEARCHING.get(lang),
                    app.model.theme.warning,
                ));
                spans.push(Span::raw(text::inline(pending)));
            } else if !search.is_empty() {
                spans.push(Span::styled(
                    strings::SEARCH_LABEL.get(lang),
                    app.model.theme.dim,
                ));
                spans.push(Span::raw(text::inline(&search)));
            }
            (Line::from(spans), None)
        }
    };
    f.render_widget(Paragraph::new(line), area);
    if let Some(x) = cursor {
        f.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
    }
}

fn draw_hints(f: &mut Frame<'_>, app: &App, area: Rect) {
    // An error takes the whole hint line until dismissed: it must be read.
    // News takes it for a few seconds (the status bar has no room for it at
    // 80 columns).
    if let Some(m) = app.model.message.as_ref().filter(|m| m.on_hint_line()) {
        let style = if m.error {
            app.model.theme.error
        } else {
            app.model.theme.ok
        };
        let shown = text::inline(&m.text);
        let width = usize::from(area.width);
        let line = if text::width(&shown) + 2 <= width {
            format!(" {shown} ")
        } else {
            // Never cut without saying where the rest is.
            let key = app
                .model
                .keymap
                .key_for(&[super::keymap::Section::Global], Action::Messages)
                .unwrap_or_default();
            let more = strings::read_all(app.model.lang, &key);
            let room = width.saturating_sub(text::width(&more) + 3);
            format!(
                " {}…{more}",
                text::truncate(&shown, room).trim_end_matches('…')
            )
        };
        f.render_widget(Paragraph::new(Line::styled(line, style)), area);
        return;
    }
    let sections = app.model.screen.sections();
    let mut spans = Vec::new();
    let page = app.model.page_ref();
    // Hints that fit whole, in order; help (which lists every key) keeps
    // its place at the end when the others do not all fit.
    let hint = |action: Action| {
        app.model.keymap.key_for(&sections, action).map(|key| {
            let key = strings::key_words(&key, app.model.lang);
            let text = format!(" {}  ", strings::action(action).get(app.model.lang));
            (action, key, text)
        })
    };
    let mut all: Vec<_> = app
        .model
        .screen
        .hints()
        .iter()
        .filter_map(|a| hint(*a))
        .collect();
    // What acts in this view first (in their order), so a narrow terminal
    // shows the view's own keys rather than another view's, dimmed.
    all.sort_by_key(|h| !page.enabled(h.0));
    let width = |h: &(Action, String, String)| text::width(&h.1) + text::width(&h.2);
    let room = usize::from(area.width);
    let shown: Vec<_> = if all.iter().map(width).sum::<usize>() <= room {
        all
    } else {
        let help = all.iter().find(|h| h.0 == Action::Help).cloned();
        let mut left = room - help.as_ref().map(width).unwrap_or(0).min(room);
        let mut out: Vec<_> = Vec::new();
        for h in all.into_iter().filter(|h| h.0 != Action::Help) {
            if width(&h) > left {
                break;
            }
            left -= width(&h);
            out.push(h);
        }
        out.extend(help);
        out
    };
    for (action, key, text) in shown {
        // An action that cannot act in this view is shown dim.
        if page.enabled(action) {
            spans.push(Span::styled(key, app.model.theme.key));
            spans.push(Span::raw(text));
        } else {
            spans.push(Span::styled(key, app.model.theme.dim));
            spans.push(Span::styled(text, app.model.theme.dim));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(f: &mut Frame<'_>, app: &App, area: Rect) {
    let lang = app.model.lang;
    let who = match &app.model.owner {
        Some(a) => format!(
            "{} · {}",
            text::inline(&a.display_name),
            crate::i18n::values::Worded::word(a.role, lang)
        ),
        None => strings::REPLICA_WITHOUT_OWNER.get(lang).to_owned(),
    };
    let replica = app
        .store
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sync = if app.model.fill_unfinished {
        // Said before anything else about the sync: what is shown is partial.
        strings::FILL_UNFINISHED.get(lang).to_owned()
    } else {
        app.model
            .last_sync
            .clone()
            .map(|s| crate::time::brief(&s, app.model.now()))
            .unwrap_or_else(|| strings::NEVER.get(lang).to_owned())
    };
    let base = format!(
        " {who} │ {} │ {} {} │ {} {sync} ",
        text::inline(&replica),
        app.model.pending_ops,
        strings::PENDING_OPS_SHORT.get(lang),
        strings::SYNC_WORD.get(lang),
    );
    let used = text::width(&base);
    let mut spans = vec![Span::styled(base, app.model.theme.tab_active)];
    // Faded news stays here when a wide terminal has room for all of it
    // (never cut: the messages window has it whole).
    if let Some(m) = app.model.message.as_ref().filter(|m| !m.on_hint_line()) {
        let news = format!(" {} ", text::inline(&m.text));
        if used + text::width(&news) <= usize::from(area.width) {
            spans.push(Span::styled(news, app.model.theme.ok));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2));
    let h = height.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn draw_help(f: &mut Frame<'_>, app: &App, area: Rect, scroll: u16) {
    let lang = app.model.lang;
    let mut lines = vec![Line::styled(
        strings::keys_on_screen(lang, app.model.screen.title()),
        app.model.theme.header,
    )];
    for (action, keys) in app.model.keymap.bindings_for(&app.model.screen.sections()) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<16}", keys.join(", ")), app.model.theme.key),
            Span::raw(strings::action(action).get(lang)),
        ]));
    }
    let rect = centered(area, 70, u16::try_from(lines.len() + 2).unwrap_or(u16::MAX));
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(strings::HELP.get(lang)),
        ),
        rect,
    );
}

/// The last messages, newest first, whole (wrapped).
fn draw_messages(f: &mut Frame<'_>, app: &App, area: Rect, scroll: u16) {
    let lang = app.model.lang;
    let rect = centered(area, 76, 22);
    let mut lines = Vec::new();
    for (at, text, error) in app.model.log.iter().rev() {
        let style = if *error {
            app.model.theme.error
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{at}  "), app.model.theme.dim),
            Span::styled(text::inline(text), style),
        ]));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            strings::NO_MESSAGES.get(lang),
            app.model.theme.dim,
        ));
    }
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(strings::MESSAGES_TITLE.get(lang)),
            ),
        rect,
    );
}

fn draw_palette(f: &mut Frame<'_>, app: &App, area: Rect, input: &str, selected: usize) {
    let lang = app.model.lang;
    let rect = centered(area, 60, 16);
    let choices = app.model.palette_choices(input);
    let selected = selected.min(choices.len().saturating_sub(1));
    let mut lines = vec![
        Line::from(vec![
            Span::styled("> ", app.model.theme.key),
            Span::raw(text::inline(input)),
        ]),
        Line::default(),
    ];
    for (i, (_, desc, keys)) in choices
        .iter()
        .enumerate()
        .take(usize::from(rect.height.saturating_sub(4)))
    {
        let style = if i == selected {
            app.model.theme.selected
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::styled(
            format!("{desc:<32} {}", keys.join(", ")),
            style,
        ));
    }
    if choices.is_empty() {
        lines.push(Line::styled(
            strings::NO_COMMAND.get(lang),
            app.model.theme.dim,
        ));
    }
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(strings::COMMANDS.get(lang)),
        ),
        rect,
    );
}

/// A form: what it is about, one line per field (the focused one with the
/// cursor), the communes offered for the one being typed, what to fix.
fn draw_form(f: &mut Frame<'_>, app: &App, form: &super::form::Form, area: Rect) {
    let lang = app.model.lang;
    let theme = &app.model.theme;
    let mut lines = Vec::new();
    if !form.about.is_empty() {
        lines.push(Line::styled(
            text::inline(&form.about),
            theme.header.add_modifier(Modifier::BOLD),
        ));
        lines.push(Line::default());
    }
    if form.kind == super::form::FormKind::NewGroup {
        lines.push(Line::styled(strings::NEW_GROUP_HINT.get(lang), theme.dim));
        lines.push(Line::default());
    }
    let width = form
        .fields
        .iter()
        .map(|f| text::width(f.label.get(lang)))
        .max()
        .unwrap_or(0);
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let label = field.label.get(lang);
        let pad = " ".repeat(width.saturating_sub(text::width(label)));
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{}{label}{}{pad}",
                    if focused { "▶ " } else { "  " },
                    lang.colon()
                ),
                if focused { theme.key } else { theme.dim },
            ),
            Span::raw(text::inline(&field.value)),
            Span::raw(if focused { "▏" } else { "" }),
        ]));
        if focused {
            let offered = form.suggestions(lang);
            if !offered.is_empty() {
                lines.push(Line::styled(
                    format!(
                        "{}{}",
                        " ".repeat(width + 5),
                        offered
                            .iter()
                            .map(|o| text::inline(o))
                            .collect::<Vec<_>>()
                            .join(" · ")
                    ),
                    theme.dim,
                ));
            }
        }
    }
    if let Some(p) = &form.problem {
        lines.push(Line::default());
        lines.push(Line::styled(
            p.clone(),
            if form.warned {
                theme.warning
            } else {
                theme.error
            },
        ));
    }
    lines.push(Line::default());
    lines.push(Line::styled(strings::FORM_KEYS.get(lang), theme.dim));
    let inner = usize::from(70.min(area.width.saturating_sub(2)).saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| match l.width() {
            0 => 1,
            w if w <= inner => 1,
            w => w.div_ceil(inner) + 1,
        })
        .sum();
    let rect = centered(area, 70, u16::try_from(rows + 2).unwrap_or(u16::MAX));
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", form.title(lang))),
        ),
        rect,
    );
}

fn draw_confirm(f: &mut Frame<'_>, app: &App, area: Rect) {
    let Overlay::Confirm(c) = &app.model.overlay else {
        return;
    };
    let lang = app.model.lang;
    let n = c.ids.len();
    let question = match &c.pending {
        super::model::Pending::Decide(d) => {
            let d = &c.as_decided().unwrap_or_else(|| d.clone());
            let (fr, en) = d.verb();
            format!(
                "{} {} ?",
                text::capitalise(lang.pick(fr, en)),
                d.noun(n, lang)
            )
            .replace(" ?", lang.pick(" ?", "?"))
        }
        super::model::Pending::Undo { action, label, .. } => strings::undo_last(
            lang,
            crate::i18n::values::action_words(action, lang),
            &text::inline(label),
        ),
    };
    let needs_reason = matches!(&c.pending, super::model::Pending::Decide(d) if d.needs_reason());
    let mut lines = vec![Line::styled(
        question,
        app.model.theme.header.add_modifier(Modifier::BOLD),
    )];
    for fact in &c.facts {
        lines.push(Line::from(fact.clone()));
    }
    if c.hidden > 0 {
        lines.push(Line::styled(
            strings::hidden_marked(lang, c.hidden),
            app.model.theme.warning,
        ));
    }
    lines.push(Line::default());
    let noting = matches!(
        &c.pending,
        super::model::Pending::Decide(crate::ops::decisions::Decision::Note(_))
    );
    let reason_label = if noting {
        strings::NOTE_LABEL.get(lang)
    } else if needs_reason {
        strings::REASON_REQUIRED.get(lang)
    } else {
        strings::REASON_OPTIONAL.get(lang)
    };
    lines.push(Line::from(vec![
        Span::styled(reason_label, app.model.theme.key),
        Span::raw(text::inline(&c.reason)),
        Span::raw(if c.on_duration { "" } else { "▏" }),
    ]));
    if let Some(d) = &c.duration {
        let cursor = if c.on_duration { "▏" } else { "" };
        let shown = match crate::ops::decisions::parse_mute(d, lang) {
            Ok(h) => format!("  ({})", crate::ops::decisions::mute_words(h, lang)),
            Err(_) => String::new(),
        };
        lines.push(Line::from(vec![
            Span::styled(strings::LENGTH.get(lang), app.model.theme.key),
            Span::raw(text::inline(d)),
            Span::raw(cursor),
            Span::styled(shown, app.model.theme.dim),
        ]));
        lines.push(Line::styled(
            strings::LENGTH_KEYS.get(lang),
            app.model.theme.dim,
        ));
    }
    // The usual reasons, while none is typed: a digit picks one.
    if c.reason.is_empty() && !c.presets.is_empty() {
        let offered: Vec<String> = c
            .presets
            .iter()
            .take(9)
            .enumerate()
            .map(|(i, r)| format!("{} {}", i + 1, text::inline(r)))
            .collect();
        lines.push(Line::styled(offered.join(" · "), app.model.theme.dim));
    }
    if let Some(p) = &c.problem {
        lines.push(Line::styled(p.clone(), app.model.theme.error));
    }
    if let Some(notice) = c.notice_text(lang) {
        let toggle = app
            .model
            .keymap
            .key_for(&[super::keymap::Section::Dialog], Action::ToggleNotify)
            .map(|k| strings::key_words(&k, lang))
            .unwrap_or_default();
        lines.push(Line::default());
        if c.notify {
            lines.push(Line::from(vec![
                Span::styled(strings::NOTICE_TO_AUTHOR.get(lang), app.model.theme.key),
                Span::raw(notice),
            ]));
            lines.push(Line::styled(
                strings::notice_toggle(lang, &toggle, true),
                app.model.theme.dim,
            ));
        } else {
            lines.push(Line::styled(
                strings::notice_toggle(lang, &toggle, false),
                app.model.theme.warning,
            ));
        }
    }
    lines.push(Line::default());
    let confirm = app
        .model
        .keymap
        .key_for(&[super::keymap::Section::Dialog], Action::Confirm)
        .map(|k| strings::key_words(&k, lang))
        .unwrap_or_default();
    let cancel = app
        .model
        .keymap
        .key_for(&[super::keymap::Section::Dialog], Action::Cancel)
        .map(|k| strings::key_words(&k, lang))
        .unwrap_or_default();
    lines.push(Line::styled(
        strings::confirm_cancel(lang, &confirm, &cancel),
        app.model.theme.dim,
    ));
    // Rows once wrapped (a long notice takes several), so the keys' line
    // at the bottom is never cut.
    let inner = usize::from(64.min(area.width.saturating_sub(2)).saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| match l.width() {
            0 => 1,
            w if w <= inner => 1,
            // Wrapping at words leaves some room at each line's end.
            w => w.div_ceil(inner) + 1,
        })
        .sum();
    let rect = centered(area, 64, u16::try_from(rows + 2).unwrap_or(u16::MAX));
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(strings::CONFIRM.get(lang)),
        ),
        rect,
    );
}

fn draw_composer(f: &mut Frame<'_>, app: &App, c: &super::composer::Composer, area: Rect) {
    use super::composer::Field;
    use crate::domain::sms::SmsKind;
    let lang = app.model.lang;
    let theme = &app.model.theme;
    let count = c.count();
    let recipients = c.recipients();
    let group = c
        .groups
        .get(c.group)
        .map(|g| text::inline(&g.1))
        .unwrap_or_default();
    let kind = match c.kind {
        SmsKind::Alert => strings::ALERT.get(lang),
        SmsKind::Notice => strings::NOTICE.get(lang),
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(strings::KIND_PROMPT.get(lang), theme.key),
            Span::raw(format!("{kind} (ctrl-t)   ")),
            Span::styled(strings::GROUP_PROMPT.get(lang), theme.key),
            Span::raw(format!("{group} (ctrl-g)")),
        ]),
        Line::default(),
    ];
    if c.retry_of.is_some() {
        lines.insert(
            1,
            Line::styled(strings::resend_to(lang, recipients), theme.warning),
        );
    }
    // The body, with each character that forces UCS-2 marked.
    let mut spans = vec![Span::styled(strings::MESSAGE.get(lang), theme.key)];
    for ch in text::inline(&c.body).chars() {
        let style = if crate::sms::segments::gsm_septets(ch).is_none() {
            theme.error.add_modifier(Modifier::REVERSED)
        } else {
            ratatui::style::Style::default()
        };
        spans.push(Span::styled(ch.to_string(), style));
    }
    if c.focus == Field::Body {
        spans.push(Span::raw("▏"));
    }
    lines.push(Line::from(spans));
    lines.push(Line::default());
    let chars = c.body.chars().count();
    lines.push(Line::styled(
        strings::sms_count(
            lang,
            count.encoding.as_str(),
            chars,
            count.segments,
            recipients,
            i64::from(count.segments) * recipients,
        ),
        theme.header,
    ));
    let forcing: String = super::composer::ucs2_forcing(&c.body)
        .into_iter()
        .map(|ch| text::inline(&ch.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    if !forcing.is_empty() {
        lines.push(Line::styled(
            strings::ucs2_because(lang, &forcing),
            theme.warning,
        ));
    }
    let mut when = vec![Span::styled(strings::SEND.get(lang), theme.key)];
    if c.schedule.is_empty() && c.focus == Field::Body {
        when.push(Span::raw(strings::SEND_NOW_HINT.get(lang)));
    } else {
        when.push(Span::raw(text::inline(&c.schedule)));
        if c.focus == Field::Schedule {
            when.push(Span::raw("▏"));
        }
    }
    lines.push(Line::from(when));
    if let Some(q) = app.model.quiet_hours {
        lines.push(Line::styled(
            strings::quiet_hours_note(lang, q.label()),
            theme.dim,
        ));
    }
    if let Some(p) = &c.problem {
        lines.push(Line::styled(text::inline(p), theme.error));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        strings::ENTER_QUEUE_ESC_CANCEL.get(lang),
        theme.dim,
    ));
    let width = area.width.saturating_sub(4).min(100);
    let rect = centered(area, width, lines.len() as u16 + 6);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(strings::NEW_SMS.get(lang)),
        ),
        rect,
    );
}

/// Whether the terminal is one that knows OSC 8 hyperlinks (the Linux
/// console and `dumb` do not; `CIVITAC_NO_LINKS` turns them off anywhere).
pub fn hyperlinks_supported() -> bool {
    if std::env::var_os("CIVITAC_NO_LINKS").is_some() {
        return false;
    }
    match std::env::var("TERM") {
        Ok(term) => !(term == "linux" || term == "dumb" || term.is_empty()),
        Err(_) => false,
    }
}

/// Makes every platform link on screen (text starting with `prefix`, whole
/// on its row) an OSC 8 hyperlink to exactly the text shown. A link cut by
/// its pane ("…") stays plain text. The first cell carries the sequence
/// and the text, the cells under the rest are skipped by the diff.
pub fn linkify(buf: &mut ratatui::buffer::Buffer, area: Rect, prefix: &str) {
    use ratatui::buffer::CellDiffOption;
    let url_char = |s: &str| {
        s.len() == 1
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b))
    };
    for y in area.top()..area.bottom() {
        let row: Vec<String> = (area.left()..area.right())
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        let text: String = row
            .iter()
            .map(|s| if s.len() == 1 { s.as_str() } else { "\u{0}" })
            .collect();
        let mut from = 0;
        while let Some(at) = text[from..].find(prefix) {
            let start = from + at;
            let mut end = start;
            while end < row.len() && url_char(&row[end]) {
                end += 1;
            }
            from = end.max(start + 1);
            let whole = end == row.len() || row[end] == " " || row[end] == "│";
            if !whole || end - start <= prefix.len() {
                continue;
            }
            let url: String = row[start..end].concat();
            let Some(width) = std::num::NonZeroU16::new((end - start) as u16) else {
                continue;
            };
            let x0 = area.left() + start as u16;
            buf[(x0, y)]
                .set_symbol(&format!("\x1b]8;;{url}\x1b\\{url}\x1b]8;;\x1b\\"))
                .set_diff_option(CellDiffOption::ForcedWidth(width));
            for x in x0 + 1..x0 + width.get() {
                buf[(x, y)].set_diff_option(CellDiffOption::Skip);
            }
        }
    }
}

#[cfg(test)]
mod link_tests {
    use super::*;
    use ratatui::buffer::Buffer;

    #[test]
    fn platform_links_become_osc8_hyperlinks_only_when_whole() {
        let area = Rect::new(0, 0, 60, 2);
        let mut buf = Buffer::empty(area);
        buf.set_string(
            0,
            0,
            "Sur la plateforme : 98 — https://civitac.bf/posts/98 ",
            ratatui::style::Style::default(),
        );
        buf.set_string(
            0,
            1,
            "cut https://civitac.bf/posts/12345…",
            ratatui::style::Style::default(),
        );
        linkify(&mut buf, area, "https://civitac.bf/");
        let first = buf[(25, 0)].symbol().to_owned();
        assert_eq!(
            first,
            "\x1b]8;;https://civitac.bf/posts/98\x1b\\https://civitac.bf/posts/98\x1b]8;;\x1b\\"
        );
        assert!(
            !buf[(4, 1)].symbol().contains('\x1b'),
            "a cut link stays text"
        );
    }
}

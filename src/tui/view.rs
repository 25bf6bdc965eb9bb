//! Drawing: a function of the model (it only caches the detail pane of the
//! selected row). Hints, help and the palette read the live keymap.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap,
};

use super::app::{App, InputKind, Overlay};
use super::keymap::Action;
use super::screens::Screen;
use crate::i18n::Lang;
use crate::text;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws the whole screen; returns the row where the list starts (for mouse clicks).
pub fn draw(f: &mut Frame<'_>, app: &mut App) -> u16 {
    let area = f.area();
    let lang = app.lang;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = match lang {
            Lang::Fr => format!(
                "Terminal trop petit : {MIN_WIDTH}×{MIN_HEIGHT} minimum (actuel {}×{})",
                area.width, area.height
            ),
            Lang::En => format!(
                "Terminal too small: {MIN_WIDTH}×{MIN_HEIGHT} minimum (now {}×{})",
                area.width, area.height
            ),
        };
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
    match app.screen {
        Screen::Dashboard => draw_dashboard(f, app, main),
        _ => {
            let conn = app.store.conn();
            let theme = app.theme.clone();
            let focus = app.detail_focus;
            let Some(list) = app.lists.current(app.screen) else {
                return 0;
            };
            let main = if app.screen == Screen::Sync {
                let [head, gauge, rest] = Layout::vertical([
                    Constraint::Length(1),
                    Constraint::Length(1),
                    Constraint::Min(3),
                ])
                .areas(main);
                let last = app
                    .last_sync
                    .clone()
                    .unwrap_or_else(|| lang.pick("jamais", "never").to_owned());
                let lines = vec![Line::from(format!(
                    "{} : {last}    {} : {}    {} : {}",
                    lang.pick("Dernière synchro", "Last sync"),
                    lang.pick("opérations en attente", "pending ops"),
                    app.pending_ops,
                    lang.pick("conflits", "conflicts"),
                    app.conflicts
                ))];
                f.render_widget(Paragraph::new(lines), head);
                draw_sync_state(f, app.syncer.as_ref(), lang, &theme, gauge);
                rest
            } else if app.screen == Screen::Enrollments {
                let [head, rest] =
                    Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(main);
                let names: [(&str, &str); 6] = [
                    ("demandes", "applied"),
                    ("chartes", "charters"),
                    ("contactées", "contacted"),
                    ("enrôlées", "enrolled"),
                    ("rejetées", "rejected"),
                    ("susp.", "susp."),
                ];
                let p = app.pipeline;
                let part = |i: usize| format!("{} {}", p[i], lang.pick(names[i].0, names[i].1));
                let line = format!(
                    "{} → {} → {} → {} · {} · {}",
                    part(0),
                    part(1),
                    part(2),
                    part(3),
                    part(4),
                    part(5)
                );
                f.render_widget(Paragraph::new(Line::styled(line, theme.dim)), head);
                rest
            } else {
                main
            };
            list.render(f, main, conn, lang, &theme, focus);
        }
    }
    draw_input_line(f, app, input);
    draw_hints(f, app, hints);
    draw_status(f, app, status);
    match &app.overlay {
        Overlay::Help { scroll } => draw_help(f, app, area, *scroll),
        Overlay::Palette { input, selected } => draw_palette(f, app, area, input, *selected),
        Overlay::Confirm(_) => draw_confirm(f, app, area),
        Overlay::Compose(c) => draw_composer(f, app, c, area),
        _ => {}
    }
    main.y
}

/// The Synchro screen's second line: a gauge while syncing, else what the
/// sync key would do (or why it cannot).
fn draw_sync_state(
    f: &mut Frame<'_>,
    syncer: Option<&crate::tui::syncer::Syncer>,
    lang: Lang,
    theme: &crate::tui::theme::Theme,
    area: Rect,
) {
    use crate::replica::session::Progress;
    let idle = |text: String| Paragraph::new(Line::styled(text, theme.dim));
    let Some(syncer) = syncer.filter(|s| s.configured()) else {
        f.render_widget(
            idle(
                lang.pick(
                    "Aucun hub : `civitac login --hub URL --token JETON` rattache ce réplica.",
                    "No hub: `civitac login --hub URL --token TOKEN` attaches this replica.",
                )
                .to_owned(),
            ),
            area,
        );
        return;
    };
    if syncer.is_running() {
        let (label, ratio) = match syncer.progress {
            Some(Progress::Pushing { done, total }) => (
                format!("{} {done}/{total}", lang.pick("envoi", "pushing")),
                if total == 0 {
                    0.0
                } else {
                    done as f64 / total as f64
                },
            ),
            Some(Progress::Pulling {
                rows,
                snapshot: Some((table, tables)),
            }) => (
                format!(
                    "{} {rows} {}",
                    lang.pick("copie initiale", "first copy"),
                    lang.pick("lignes", "rows")
                ),
                table as f64 / tables.max(1) as f64,
            ),
            Some(Progress::Pulling { rows, .. }) => (
                format!(
                    "{} {rows} {}",
                    lang.pick("réception", "pulling"),
                    lang.pick("lignes", "rows")
                ),
                1.0,
            ),
            None => (lang.pick("connexion…", "connecting…").to_owned(), 0.0),
        };
        f.render_widget(
            ratatui::widgets::Gauge::default()
                .gauge_style(theme.selected)
                .ratio(ratio.clamp(0.0, 1.0))
                .label(label),
            area,
        );
        return;
    }
    let text = match syncer.retry_in(std::time::Instant::now()) {
        Some(wait) => match lang {
            Lang::Fr => format!("Nouvel essai automatique dans {} s (s : maintenant).", wait.as_secs().max(1)),
            Lang::En => format!("Retrying by itself in {} s (s: now).", wait.as_secs().max(1)),
        },
        None => lang
            .pick(
                "s : synchroniser maintenant · v : conflits · t : accepter la version du hub · o : redécider",
                "s: sync now · v: conflicts · t: accept the hub's version · o: decide again",
            )
            .to_owned(),
    };
    f.render_widget(idle(text), area);
}

fn draw_tabs(f: &mut Frame<'_>, app: &App, area: Rect) {
    let tab = |s: Screen, short: bool| {
        let key = app
            .keymap
            .key_for(&s.sections(), s.switch_action())
            .unwrap_or_default();
        let (fr, en) = if short && s != app.screen {
            s.short_title()
        } else {
            s.title()
        };
        format!(" {key} {} ", app.lang.pick(fr, en))
    };
    let full: usize = Screen::ALL
        .iter()
        .map(|s| text::width(&tab(*s, false)) + 1)
        .sum();
    let short = full > usize::from(area.width);
    let mut spans = Vec::new();
    for s in Screen::ALL {
        let style = if s == app.screen {
            app.theme.tab_active
        } else {
            app.theme.tab
        };
        spans.push(Span::styled(tab(s, short), style));
        spans.push(Span::raw(" "));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_input_line(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let lang = app.lang;
    let (line, cursor) = match &app.overlay {
        Overlay::Input { kind, text: t } => {
            let label = match kind {
                InputKind::Search => lang.pick("Rechercher : ", "Search: "),
                InputKind::Filter => {
                    lang.pick("Filtre (clé=valeur …) : ", "Filter (key=value …): ")
                }
            };
            let shown = text::inline(t);
            let x = area.x + (text::width(label) + text::width(&shown)) as u16;
            (
                Line::from(vec![Span::styled(label, app.theme.key), Span::raw(shown)]),
                Some(x),
            )
        }
        _ => {
            let (search, filter) = app
                .list()
                .map(|l| (l.search().to_owned(), l.filter_text().to_owned()))
                .unwrap_or_default();
            let mut spans = Vec::new();
            if !filter.is_empty() {
                spans.push(Span::styled(
                    lang.pick("filtre : ", "filter: "),
                    app.theme.dim,
                ));
                spans.push(Span::raw(text::inline(&filter)));
                spans.push(Span::raw("   "));
            }
            if let Some(pending) = &app.searching {
                spans.push(Span::styled(
                    lang.pick("recherche en cours : ", "searching: "),
                    app.theme.warning,
                ));
                spans.push(Span::raw(text::inline(pending)));
            } else if !search.is_empty() {
                spans.push(Span::styled(
                    lang.pick("recherche : ", "search: "),
                    app.theme.dim,
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
    if let Some(m) = app.message.as_ref().filter(|m| m.error) {
        let line = Line::styled(format!(" {} ", text::inline(&m.text)), app.theme.error);
        f.render_widget(Paragraph::new(line), area);
        return;
    }
    let sections = app.screen.sections();
    let mut spans = Vec::new();
    for action in app.screen.hints() {
        if let Some(key) = app.keymap.key_for(&sections, *action) {
            let (fr, en) = action.describe();
            spans.push(Span::styled(key, app.theme.key));
            spans.push(Span::raw(format!(" {}  ", app.lang.pick(fr, en))));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(f: &mut Frame<'_>, app: &App, area: Rect) {
    let lang = app.lang;
    let who = match &app.owner {
        Some(a) => format!("{} · {}", text::inline(&a.display_name), a.role),
        None => lang
            .pick("réplica sans propriétaire", "replica without owner")
            .to_owned(),
    };
    let replica = app
        .store
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sync = app
        .last_sync
        .clone()
        .map(|s| s.chars().take(16).collect())
        .unwrap_or_else(|| lang.pick("jamais", "never").to_owned());
    let base = format!(
        " {who} │ {} │ {} {} │ {} {sync} ",
        text::inline(&replica),
        app.pending_ops,
        lang.pick("op. en attente", "pending ops"),
        lang.pick("synchro", "sync"),
    );
    let mut spans = vec![Span::styled(base, app.theme.tab_active)];
    if let Some(m) = &app.message {
        let style = if m.error {
            app.theme.error
        } else {
            app.theme.ok
        };
        spans.push(Span::styled(format!(" {} ", text::inline(&m.text)), style));
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
    let lang = app.lang;
    let rect = centered(area, 70, 30);
    let mut lines = vec![Line::styled(
        match lang {
            Lang::Fr => format!(
                "Raccourcis de l'écran {} (depuis le keymap actif)",
                app.screen.title().0
            ),
            Lang::En => format!(
                "Keys on the {} screen (from the live keymap)",
                app.screen.title().1
            ),
        },
        app.theme.header,
    )];
    for (action, keys) in app.keymap.bindings_for(&app.screen.sections()) {
        let (fr, en) = action.describe();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<16}", keys.join(", ")), app.theme.key),
            Span::raw(lang.pick(fr, en).to_owned()),
        ]));
    }
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(lang.pick(" Aide ", " Help ")),
        ),
        rect,
    );
}

fn draw_palette(f: &mut Frame<'_>, app: &App, area: Rect, input: &str, selected: usize) {
    let lang = app.lang;
    let rect = centered(area, 60, 16);
    let choices = app.palette_choices(input);
    let selected = selected.min(choices.len().saturating_sub(1));
    let mut lines = vec![
        Line::from(vec![
            Span::styled("> ", app.theme.key),
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
            app.theme.selected
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::styled(
            format!("{desc:<32} {}", keys.join(", ")),
            style,
        ));
    }
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(lang.pick(" Commandes ", " Commands ")),
        ),
        rect,
    );
}

fn draw_confirm(f: &mut Frame<'_>, app: &App, area: Rect) {
    let Overlay::Confirm(c) = &app.overlay else {
        return;
    };
    let lang = app.lang;
    let n = c.ids.len();
    let question = match (&c.pending, lang) {
        (super::app::Pending::Decide(d), Lang::Fr) => {
            format!("{} {n} ligne(s) ?", capitalise(d.verb().0))
        }
        (super::app::Pending::Decide(d), Lang::En) => {
            format!("{} {n} row(s)?", capitalise(d.verb().1))
        }
        (super::app::Pending::Undo { action, label, .. }, Lang::Fr) => {
            format!(
                "Annuler votre dernière décision « {action} » sur « {} » ?",
                text::inline(label)
            )
        }
        (super::app::Pending::Undo { action, label, .. }, Lang::En) => {
            format!(
                "Undo your last decision \"{action}\" on \"{}\"?",
                text::inline(label)
            )
        }
    };
    let needs_reason = matches!(&c.pending, super::app::Pending::Decide(d) if d.needs_reason());
    let mut lines = vec![Line::styled(
        question,
        app.theme.header.add_modifier(Modifier::BOLD),
    )];
    if c.hidden > 0 {
        lines.push(Line::styled(
            match lang {
                Lang::Fr => format!("dont {} marquée(s) que le filtre actuel masque", c.hidden),
                Lang::En => format!(
                    "including {} marked row(s) the current filter hides",
                    c.hidden
                ),
            },
            app.theme.warning,
        ));
    }
    lines.push(Line::default());
    let reason_label = if needs_reason {
        lang.pick("Motif (obligatoire) : ", "Reason (required): ")
    } else {
        lang.pick("Motif (facultatif) : ", "Reason (optional): ")
    };
    lines.push(Line::from(vec![
        Span::styled(reason_label, app.theme.key),
        Span::raw(text::inline(&c.reason)),
        Span::raw("▏"),
    ]));
    if let Some(p) = &c.problem {
        lines.push(Line::styled(p.clone(), app.theme.error));
    }
    lines.push(Line::default());
    let confirm = app
        .keymap
        .key_for(&[super::keymap::Section::Dialog], Action::Confirm)
        .unwrap_or_default();
    let cancel = app
        .keymap
        .key_for(&[super::keymap::Section::Dialog], Action::Cancel)
        .unwrap_or_default();
    lines.push(Line::styled(
        match lang {
            Lang::Fr => format!("{confirm} valider   {cancel} annuler"),
            Lang::En => format!("{confirm} confirm   {cancel} cancel"),
        },
        app.theme.dim,
    ));
    let rect = centered(area, 64, lines.len() as u16 + 2);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(lang.pick(" Confirmer ", " Confirm ")),
        ),
        rect,
    );
}

fn draw_composer(f: &mut Frame<'_>, app: &App, c: &super::composer::Composer, area: Rect) {
    use super::composer::Field;
    use crate::domain::sms::SmsKind;
    let lang = app.lang;
    let theme = &app.theme;
    let count = c.count();
    let recipients = c.recipients();
    let group = c
        .groups
        .get(c.group)
        .map(|g| text::inline(&g.1))
        .unwrap_or_default();
    let kind = match (c.kind, lang) {
        (SmsKind::Alert, Lang::Fr) => "alerte",
        (SmsKind::Alert, Lang::En) => "alert",
        (SmsKind::Notice, Lang::Fr) => "avis",
        (SmsKind::Notice, Lang::En) => "notice",
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(lang.pick("Type : ", "Kind: "), theme.key),
            Span::raw(format!("{kind} (ctrl-t)   ")),
            Span::styled(lang.pick("Groupe : ", "Group: "), theme.key),
            Span::raw(format!("{group} (ctrl-g)")),
        ]),
        Line::default(),
    ];
    // The body, with each character that forces UCS-2 marked.
    let mut spans = vec![Span::styled(
        lang.pick("Message : ", "Message: "),
        theme.key,
    )];
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
        match lang {
            Lang::Fr => format!(
                "{} · {chars} caractères · {} segment(s) · {recipients} destinataires (désinscrits exclus) → {} segments",
                count.encoding.as_str(),
                count.segments,
                i64::from(count.segments) * recipients
            ),
            Lang::En => format!(
                "{} · {chars} characters · {} segment(s) · {recipients} recipients (opted-out excluded) → {} segments",
                count.encoding.as_str(),
                count.segments,
                i64::from(count.segments) * recipients
            ),
        },
        theme.header,
    ));
    let forcing: String = super::composer::ucs2_forcing(&c.body)
        .into_iter()
        .map(|ch| text::inline(&ch.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    if !forcing.is_empty() {
        lines.push(Line::styled(
            match lang {
                Lang::Fr => format!(
                    "En UCS-2 à cause de : {forcing}  (ctrl-o remplace ’ « » œ … sans toucher aux lettres)"
                ),
                Lang::En => format!(
                    "UCS-2 because of: {forcing}  (ctrl-o replaces ’ « » œ … and never a letter)"
                ),
            },
            theme.warning,
        ));
    }
    let mut when = vec![Span::styled(lang.pick("Envoi : ", "Send: "), theme.key)];
    if c.schedule.is_empty() && c.focus == Field::Body {
        when.push(Span::raw(lang.pick(
            "maintenant (Tab : programmer, AAAA-MM-JJ HH:MM heure locale)",
            "now (Tab: schedule, YYYY-MM-DD HH:MM local time)",
        )));
    } else {
        when.push(Span::raw(text::inline(&c.schedule)));
        if c.focus == Field::Schedule {
            when.push(Span::raw("▏"));
        }
    }
    lines.push(Line::from(when));
    if let Some(q) = app.quiet_hours {
        lines.push(Line::styled(
            match lang {
                Lang::Fr => format!(
                    "Heures calmes : {} (seules les alertes, après confirmation)",
                    q.label()
                ),
                Lang::En => format!("Quiet hours: {} (alerts only, after confirming)", q.label()),
            },
            theme.dim,
        ));
    }
    if let Some(p) = &c.problem {
        lines.push(Line::styled(text::inline(p), theme.error));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        lang.pick(
            "Entrée : mettre en file   Échap : annuler",
            "Enter: queue   Esc: cancel",
        ),
        theme.dim,
    ));
    let width = area.width.saturating_sub(4).min(100);
    let rect = centered(area, width, lines.len() as u16 + 6);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(lang.pick(" Nouveau SMS ", " New SMS ")),
        ),
        rect,
    );
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
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

fn draw_dashboard(f: &mut Frame<'_>, app: &App, area: Rect) {
    let lang = app.lang;
    let d = &app.dashboard;
    let now = app.now();
    let [top, bottom] = Layout::vertical([Constraint::Length(8), Constraint::Min(6)]).areas(area);
    let [queues, ops] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(top);
    let rows: Vec<Row<'_>> = d
        .queues
        .iter()
        .map(|(fr, en, n, oldest)| {
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
    .style(app.theme.header);
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
    let last = app
        .last_sync
        .clone()
        .unwrap_or_else(|| lang.pick("jamais", "never").to_owned());
    let lines = vec![
        Line::from(format!(
            "{} : {}",
            lang.pick("Opérations en attente", "Pending ops"),
            app.pending_ops
        )),
        Line::from(format!(
            "{} : {last}",
            lang.pick("Dernière synchro", "Last sync")
        )),
        Line::from(format!(
            "{} : {}",
            lang.pick("Conflits", "Conflicts"),
            app.conflicts
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
    .style(app.theme.header);
    let rows: Vec<Row<'_>> = d
        .stages
        .iter()
        .map(|(region, n)| {
            Row::new(
                std::iter::once(Cell::from(text::inline(region)))
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
            .bar_style(app.theme.key)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(lang.pick(" Signalements par jour ", " Flags per day ")),
            ),
        flags,
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

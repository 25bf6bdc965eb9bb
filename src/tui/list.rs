//! A paged list with a detail pane: a window of at most a few hundred rows,
//! fetched by keyset from SQLite as the cursor moves, marks kept by record id.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use rusqlite::Connection;

use super::theme::Theme;
use crate::i18n::Lang;
use crate::store::query::{self, Cursor, FilterKey, Filters, ListKind};
use crate::store::rows::Listed;
use crate::tui::strings;

/// Rows fetched at a time, and the most kept in memory.
pub const PAGE: usize = 100;
const WINDOW: usize = 400;
/// Titles count matching rows up to this many ("10000+" beyond).
pub const COUNT_CAP: usize = 10_000;

/// A row type a console list shows.
pub trait ScreenRow: Listed + Clone + 'static {
    const LIST: ListKind;
    fn id(&self) -> &str;
    /// Column headers (French, English) and widths.
    fn columns() -> &'static [(super::strings::Text, Constraint)];
    /// Cells, already terminal-safe.
    fn cells(&self, lang: Lang, now: jiff::Timestamp) -> Vec<String>;
    /// The detail pane, already terminal-safe.
    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        now: jiff::Timestamp,
    ) -> Vec<Line<'static>>;
}

/// What the app needs from any list, whatever its rows.
pub trait ListScreen {
    /// Which list it is (its filters).
    fn kind(&self) -> ListKind;
    fn reload(&mut self, conn: &Connection) -> Result<(), String>;
    fn move_by(&mut self, conn: &Connection, delta: isize) -> Result<(), String>;
    fn top(&mut self, conn: &Connection) -> Result<(), String>;
    fn bottom(&mut self, conn: &Connection) -> Result<(), String>;
    fn page_len(&self) -> usize;
    fn toggle_mark(&mut self);
    fn mark_all(&mut self, conn: &Connection) -> Result<usize, String>;
    fn clear_marks(&mut self);
    /// The id of the row under the cursor.
    fn cursor_id(&self) -> Option<String>;
    /// The detail is read again at the next `prepare_detail` (what it shows
    /// changed without the selection moving).
    fn stale_detail(&mut self);
    /// Marks those of `ids` the list's filter shows; how many.
    fn mark_ids(&mut self, conn: &Connection, ids: &[String]) -> Result<usize, String>;
    fn marked(&self) -> usize;
    /// The marked ids, or the cursor row's when nothing is marked.
    fn targets(&self) -> Vec<String>;
    /// How many marked records the current filter does not show.
    fn marks_hidden(&self, conn: &Connection) -> usize;
    fn search(&self) -> &str;
    fn set_search(&mut self, conn: &Connection, text: &str) -> Result<(), String>;
    /// The filter line, in the UI language's words.
    fn filter_text(&self, lang: Lang) -> String;
    /// Why the list is empty, when its filter can say.
    fn explain_empty(&self, lang: Lang) -> Option<String>;
    fn set_filter(&mut self, conn: &Connection, text: &str, lang: Lang) -> Result<(), String>;
    fn select_visible(&mut self, index: usize);
    fn scroll_detail(&mut self, delta: i32);
    /// Loads the selected row's detail pane if the selection moved (or the
    /// rows were reloaded): called after every change, never while drawing.
    fn prepare_detail(
        &mut self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        now: jiff::Timestamp,
    );
    fn render(
        &mut self,
        f: &mut Frame<'_>,
        area: Rect,
        lang: Lang,
        now: jiff::Timestamp,
        theme: &Theme,
        detail_focus: bool,
    );
}

/// A list the search worker fills (the large ones): what to search with,
/// and taking the worker's answer.
pub trait SearchedList: ListScreen {
    fn search_filters(&self, text: &str) -> Filters;
    fn take(&mut self, search: String, answer: super::worker::Answer) -> Result<(), String>;
    /// A search's count, counted further after its page was shown: kept if
    /// the list still shows that search.
    fn counted(&mut self, filters: &Filters, total: (i64, bool));
}

impl<T: ScreenRow + super::worker::Searched> SearchedList for ListView<T> {
    fn search_filters(&self, text: &str) -> Filters {
        ListView::search_filters(self, text)
    }

    fn take(&mut self, search: String, answer: super::worker::Answer) -> Result<(), String> {
        match T::from_answer(answer) {
            Some(loaded) => {
                self.set_loaded(search, loaded?);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn counted(&mut self, filters: &Filters, total: (i64, bool)) {
        if self.search_filters(&self.search) == *filters {
            (self.total, self.total_capped) = total;
        }
    }
}

pub struct ListView<T: ScreenRow> {
    rows: Vec<T>,
    /// More rows exist before `rows[0]`.
    more_before: bool,
    /// Where the next page starts, if more rows follow.
    after: Option<Cursor>,
    selected: usize,
    offset: usize,
    height: usize,
    marks: BTreeSet<String>,
    filters: Filters,
    search: String,
    total: i64,
    total_capped: bool,
    detail: Option<(String, Vec<Line<'static>>)>,
    detail_scroll: u16,
    title: (&'static str, &'static str),
    /// Titles of particular filters (`named`), which say better what the
    /// list holds than `title` does.
    names: &'static [(&'static str, (&'static str, &'static str))],
    /// The title for the filters in force, set when they change.
    title_now: (&'static str, &'static str),
}

impl<T: ScreenRow> ListView<T> {
    /// The filters a search for `text` would run with (for the search worker).
    pub fn search_filters(&self, text: &str) -> Filters {
        let mut f = self.filters.clone();
        if !text.trim().is_empty() && T::LIST.keys().contains(&FilterKey::Search) {
            f.push(FilterKey::Search, text.to_owned());
        }
        f
    }

    /// Shows a search's result that the worker loaded.
    pub fn set_loaded(&mut self, search: String, loaded: super::worker::Loaded<T>) {
        self.search = search;
        self.rows = loaded.page.rows;
        self.after = loaded.page.next;
        self.more_before = false;
        self.selected = 0;
        self.offset = 0;
        (self.total, self.total_capped) = loaded.total;
        self.detail = None;
    }

    pub fn new(title: (&'static str, &'static str), filter_text: &str) -> ListView<T> {
        ListView {
            rows: Vec::new(),
            more_before: false,
            after: None,
            selected: 0,
            offset: 0,
            height: 10,
            marks: BTreeSet::new(),
            filters: parse_filter(filter_text, Lang::En).unwrap_or_default(),
            search: String::new(),
            total: 0,
            total_capped: false,
            detail: None,
            detail_scroll: 0,
            title,
            names: &[],
            title_now: title,
        }
    }

    /// Gives the list another title while its filters are one of `names`'
    /// (written as a filter line, in any order and either language): the
    /// forum's list is "File de modération" only while it shows the queue.
    pub fn named(mut self, names: &'static [(&'static str, (&'static str, &'static str))]) -> Self {
        self.names = names;
        self.title_now = self.title_for_filters();
        self
    }

    /// The title for the filters in force.
    fn title_for_filters(&self) -> (&'static str, &'static str) {
        let canonical = |f: &Filters| {
            let mut each: Vec<String> =
                f.0.iter()
                    .map(|kv| Filters(vec![kv.clone()]).shown(T::LIST, Lang::En))
                    .collect();
            each.sort();
            each
        };
        let now = canonical(&self.filters);
        self.names
            .iter()
            .find(|(text, _)| parse_filter(text, Lang::En).is_ok_and(|f| canonical(&f) == now))
            .map_or(self.title, |(_, title)| *title)
    }

    fn effective_filters(&self) -> Filters {
        self.search_filters(&self.search)
    }

    fn fetch_after(
        &self,
        conn: &Connection,
        after: Option<&Cursor>,
    ) -> Result<query::Page<T>, String> {
        query::page::<T>(conn, T::LIST, &self.effective_filters(), after, PAGE)
            .map_err(|e| e.to_string())
    }

    fn append_page(&mut self, conn: &Connection) -> Result<bool, String> {
        let Some(after) = self.after.clone() else {
            return Ok(false);
        };
        let page = self.fetch_after(conn, Some(&after))?;
        self.after = page.next;
        let added = page.rows.len();
        self.rows.extend(page.rows);
        if self.rows.len() > WINDOW {
            let drop = self.rows.len() - WINDOW;
            self.rows.drain(..drop);
            self.selected = self.selected.saturating_sub(drop);
            self.offset = self.offset.saturating_sub(drop);
            self.more_before = true;
        }
        Ok(added > 0)
    }

    fn prepend_page(&mut self, conn: &Connection) -> Result<bool, String> {
        if !self.more_before {
            return Ok(false);
        }
        let Some(first) = self.rows.first().map(query::cursor_of) else {
            return Ok(false);
        };
        let page =
            query::page_before::<T>(conn, T::LIST, &self.effective_filters(), Some(&first), PAGE)
                .map_err(|e| e.to_string())?;
        self.more_before = page.next.is_some();
        let added = page.rows.len();
        let mut rows = page.rows;
        rows.append(&mut self.rows);
        self.rows = rows;
        self.selected += added;
        self.offset += added;
        if self.rows.len() > WINDOW {
            self.rows.truncate(WINDOW);
            self.after = self.rows.last().map(query::cursor_of);
        }
        Ok(added > 0)
    }

    /// Forgets the window: the next reload starts at the list's top.
    fn start_over(&mut self) {
        self.rows.clear();
        self.more_before = false;
        self.selected = 0;
        self.offset = 0;
    }

    pub fn selected_row(&self) -> Option<&T> {
        self.rows.get(self.selected)
    }

    /// Scrolls by half a page when the cursor leaves the view, rather than a
    /// line at a time: every scroll rewrites the whole list on the terminal,
    /// which over a slow SSH link is most of the bytes a keystroke costs.
    fn keep_visible(&mut self) {
        let h = self.height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected.saturating_sub(h / 2);
        } else if self.selected >= self.offset + h {
            self.offset = (self.selected + h / 2 + 1)
                .saturating_sub(h)
                .min(self.rows.len().saturating_sub(h));
            self.offset = self.offset.max(self.selected + 1 - h);
        }
    }
}

/// Parses a filter line: `status=contacted region=Boucle du Mouhoun` (a word
/// without `=` continues the previous value).
pub fn parse_filter(text: &str, lang: Lang) -> Result<Filters, String> {
    let mut parts: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match (word.contains('='), parts.last_mut()) {
            (false, Some(last)) => {
                last.push(' ');
                last.push_str(word);
            }
            (false, None) => {
                return Err(query::FilterError::Syntax(word.to_owned()).message(lang));
            }
            (true, _) => parts.push(word.to_owned()),
        }
    }
    let mut f = Filters::default();
    for p in parts {
        f.push_where(&p).map_err(|e| e.message(lang))?;
    }
    Ok(f)
}

impl<T: ScreenRow> ListScreen for ListView<T> {
    fn kind(&self) -> ListKind {
        T::LIST
    }

    /// Reads the rows again where the person is: the window starts at the
    /// same row, the cursor stays on its record, or — when a decision took
    /// that record out of the list — on the row that took its place (the
    /// next one), never back at the top.
    fn reload(&mut self, conn: &Connection) -> Result<(), String> {
        let keep = self.selected_row().map(|r| r.id().to_owned());
        let filters = self.effective_filters();
        let first_shown = self.offset.min(self.selected);
        let place = self.selected - first_shown;
        let anchor = match first_shown.checked_sub(1) {
            Some(i) => self.rows.get(i).map(query::cursor_of),
            // The window's first row is not the list's first: start after
            // the row before it.
            None if self.more_before => self.rows.first().and_then(|first| {
                query::page_before::<T>(conn, T::LIST, &filters, Some(&query::cursor_of(first)), 1)
                    .ok()
                    .and_then(|p| p.rows.last().map(query::cursor_of))
            }),
            None => None,
        };
        let mut page = self.fetch_after(conn, anchor.as_ref())?;
        let mut from_top = anchor.is_none();
        if page.rows.is_empty() && !from_top {
            // Everything after the anchor went: show the list from its start.
            page = self.fetch_after(conn, None)?;
            from_top = true;
        }
        (self.total, self.total_capped) =
            query::count::<T>(conn, T::LIST, &filters, COUNT_CAP).map_err(|e| e.to_string())?;
        self.rows = page.rows;
        self.after = page.next;
        self.more_before = !from_top;
        self.offset = 0;
        self.selected = keep
            .and_then(|id| self.rows.iter().position(|r| r.id() == id))
            .unwrap_or(if from_top && anchor.is_some() {
                0
            } else {
                place
            })
            .min(self.rows.len().saturating_sub(1));
        self.detail = None;
        self.keep_visible();
        Ok(())
    }

    fn move_by(&mut self, conn: &Connection, delta: isize) -> Result<(), String> {
        let mut target = self.selected as isize + delta;
        while target >= self.rows.len() as isize && self.append_page(conn)? {
            target = self.selected as isize + delta.min(self.rows.len() as isize);
            if target < self.rows.len() as isize {
                break;
            }
        }
        while target < 0 {
            let before = self.selected;
            if !self.prepend_page(conn)? {
                break;
            }
            target += (self.selected - before) as isize;
        }
        self.selected = target.clamp(0, self.rows.len().saturating_sub(1) as isize) as usize;
        self.detail_scroll = 0;
        self.keep_visible();
        Ok(())
    }

    fn top(&mut self, conn: &Connection) -> Result<(), String> {
        self.selected = 0;
        self.offset = 0;
        if self.more_before {
            let page = self.fetch_after(conn, None)?;
            self.rows = page.rows;
            self.after = page.next;
            self.more_before = false;
        }
        Ok(())
    }

    fn bottom(&mut self, conn: &Connection) -> Result<(), String> {
        if self.after.is_some() {
            let page =
                query::page_before::<T>(conn, T::LIST, &self.effective_filters(), None, PAGE)
                    .map_err(|e| e.to_string())?;
            self.more_before = page.next.is_some();
            self.rows = page.rows;
            self.after = None;
        }
        self.selected = self.rows.len().saturating_sub(1);
        self.keep_visible();
        Ok(())
    }

    fn page_len(&self) -> usize {
        self.height.max(1)
    }

    fn toggle_mark(&mut self) {
        if let Some(id) = self.selected_row().map(|r| r.id().to_owned())
            && !self.marks.remove(&id)
        {
            self.marks.insert(id);
        }
    }

    fn mark_all(&mut self, conn: &Connection) -> Result<usize, String> {
        let ids =
            query::ids::<T>(conn, T::LIST, &self.effective_filters()).map_err(|e| e.to_string())?;
        let n = ids.len();
        self.marks.extend(ids);
        Ok(n)
    }

    fn clear_marks(&mut self) {
        self.marks.clear();
    }

    fn cursor_id(&self) -> Option<String> {
        self.selected_row().map(|r| r.id().to_owned())
    }

    fn stale_detail(&mut self) {
        self.detail = None;
    }

    fn mark_ids(&mut self, conn: &Connection, ids: &[String]) -> Result<usize, String> {
        let mut f = self.effective_filters();
        f.push(query::FilterKey::Id, ids.join(","));
        let shown = query::ids::<T>(conn, T::LIST, &f).map_err(|e| e.to_string())?;
        let n = shown.len();
        self.marks.extend(shown);
        Ok(n)
    }

    fn marked(&self) -> usize {
        self.marks.len()
    }

    fn targets(&self) -> Vec<String> {
        if self.marks.is_empty() {
            self.selected_row()
                .map(|r| vec![r.id().to_owned()])
                .unwrap_or_default()
        } else {
            self.marks.iter().cloned().collect()
        }
    }

    fn marks_hidden(&self, conn: &Connection) -> usize {
        if self.marks.is_empty() {
            return 0;
        }
        let mut f = self.effective_filters();
        f.push(
            FilterKey::Id,
            self.marks.iter().cloned().collect::<Vec<_>>().join(","),
        );
        let shown = query::count::<T>(conn, T::LIST, &f, self.marks.len())
            .map(|(n, _)| n)
            .unwrap_or(self.marks.len() as i64);
        self.marks.len().saturating_sub(shown as usize)
    }

    fn search(&self) -> &str {
        &self.search
    }

    fn set_search(&mut self, conn: &Connection, text: &str) -> Result<(), String> {
        self.search = text.to_owned();
        self.start_over();
        self.reload(conn)
    }

    fn filter_text(&self, lang: Lang) -> String {
        self.filters.shown(T::LIST, lang)
    }

    fn explain_empty(&self, lang: Lang) -> Option<String> {
        if self.total > 0 {
            return None;
        }
        query::explain_empty(&self.filters, lang)
    }

    fn set_filter(&mut self, conn: &Connection, text: &str, lang: Lang) -> Result<(), String> {
        let filters = parse_filter(text, lang)?;
        query::validate::<T>(T::LIST, &filters).map_err(|e| e.message(lang))?;
        let previous = std::mem::replace(&mut self.filters, filters);
        self.start_over();
        let loaded = self.reload(conn);
        if loaded.is_err() {
            self.filters = previous;
            // The rows the previous filter showed, again.
            let _ = self.reload(conn);
        }
        self.title_now = self.title_for_filters();
        loaded
    }

    fn select_visible(&mut self, index: usize) {
        let target = self.offset + index;
        if target < self.rows.len() {
            self.selected = target;
            self.detail_scroll = 0;
        }
    }

    fn scroll_detail(&mut self, delta: i32) {
        self.detail_scroll = (i32::from(self.detail_scroll) + delta).clamp(0, 10_000) as u16;
    }

    fn prepare_detail(
        &mut self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        now: jiff::Timestamp,
    ) {
        let id = self.selected_row().map(|r| r.id().to_owned());
        if self.detail.as_ref().map(|(d, _)| Some(d)) != Some(id.as_ref()) {
            self.detail = self
                .selected_row()
                .map(|r| (r.id().to_owned(), r.detail(conn, lang, theme, now)));
        }
    }

    fn render(
        &mut self,
        f: &mut Frame<'_>,
        area: Rect,
        lang: Lang,
        now: jiff::Timestamp,
        theme: &Theme,
        detail_focus: bool,
    ) {
        let wide = area.width >= 110;
        let (list_area, detail_area) = if wide {
            let w = area.width * 11 / 20;
            (
                Rect { width: w, ..area },
                Rect {
                    x: area.x + w,
                    width: area.width - w,
                    ..area
                },
            )
        } else {
            // Narrow terminals stack the panes: the list keeps at least 8
            // rows (borders and header take 3), the detail the rest.
            let h = (area.height * 11 / 20)
                .max(11)
                .min(area.height.saturating_sub(5))
                .max(5)
                .min(area.height);
            (
                Rect { height: h, ..area },
                Rect {
                    y: area.y + h,
                    height: area.height - h,
                    ..area
                },
            )
        };
        // Table: borders take two lines, the header one.
        self.height = usize::from(list_area.height.saturating_sub(3)).max(1);
        self.keep_visible();
        let marks_note = if self.marks.is_empty() {
            String::new()
        } else {
            strings::marked(lang, self.marks.len())
        };
        let total = crate::i18n::values::count(self.total as f64, lang);
        let total = if self.total_capped {
            match lang {
                Lang::Fr => format!("plus de {total}"),
                Lang::En => format!("over {total}"),
            }
        } else {
            total
        };
        // The pane with focus says so in its title, colour or not.
        let (list_mark, detail_mark) = if detail_focus {
            ("", "▶ ")
        } else {
            ("▶ ", "")
        };
        // A search in a list sorted otherwise reads newest first: say so.
        let order_note = if !self.search.trim().is_empty() && T::search_reorders() {
            lang.pick(", récents d'abord", ", newest first")
        } else {
            ""
        };
        let (fr, en) = self.title_now;
        let title = format!(
            " {list_mark}{} ({total}{order_note}){marks_note} ",
            lang.pick(fr, en),
        );
        let header = Row::new(
            std::iter::once(Cell::from(" ")).chain(
                T::columns()
                    .iter()
                    .map(|(name, _)| Cell::from(name.get(lang))),
            ),
        )
        .style(theme.header);
        let visible = self.rows.iter().skip(self.offset).take(self.height);
        let rows: Vec<Row<'_>> = visible
            .map(|r| {
                let mark = if self.marks.contains(r.id()) {
                    "●"
                } else {
                    " "
                };
                Row::new(
                    std::iter::once(Cell::from(mark))
                        .chain(r.cells(lang, now).into_iter().map(Cell::from)),
                )
            })
            .collect();
        let widths: Vec<Constraint> = std::iter::once(Constraint::Length(1))
            .chain(T::columns().iter().map(|(_, w)| *w))
            .collect();
        let border = if detail_focus {
            theme.border
        } else {
            theme.border_focus
        };
        let table = Table::new(rows, widths)
            .header(header)
            .block(theme.pane().border_style(border).title(title))
            .row_highlight_style(theme.selected)
            .column_spacing(1);
        let mut state = TableState::default();
        if !self.rows.is_empty() {
            state.select(Some(self.selected - self.offset));
        }
        f.render_stateful_widget(table, list_area, &mut state);

        let lines = self
            .detail
            .as_ref()
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| {
                vec![Line::from(Span::styled(
                    strings::NO_ROWS.get(lang).to_owned(),
                    theme.dim,
                ))]
            });
        let border = if detail_focus {
            theme.border_focus
        } else {
            theme.border
        };
        let detail = Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((self.detail_scroll, 0))
            .block(theme.pane().border_style(border).title(format!(
                " {detail_mark}{}",
                strings::DETAIL.get(lang).trim_start()
            )));
        f.render_widget(detail, detail_area);
    }
}

/// A label and a value on one detail line.
pub fn field(theme: &Theme, lang: Lang, label: &str, value: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label}{}", lang.colon()), theme.dim),
        Span::raw(crate::text::inline(&value.into())),
    ])
}

/// A warning line in the detail pane.
pub fn warning(theme: &Theme, text: impl Into<String>) -> Line<'static> {
    Line::from(Span::styled(
        format!("⚠ {}", text.into()),
        theme.warning.add_modifier(Modifier::BOLD),
    ))
}

/// A block of platform text (a post body), safe and with its line breaks.
pub fn body(text: &str) -> Vec<Line<'static>> {
    crate::text::block(text)
        .lines()
        .map(|l| Line::from(l.to_owned()))
        .collect()
}

pub fn heading(theme: &Theme, text: &str) -> Line<'static> {
    Line::from(Span::styled(
        text.to_owned(),
        theme
            .header
            .patch(Style::default().add_modifier(Modifier::BOLD)),
    ))
}

//! Publications: budgets, plans, minutes, statistics and media to review.

use ratatui::layout::Constraint;
use ratatui::text::Line;
use rusqlite::Connection;

use super::{Meta, Page, Screen, history, on_platform, opt, worked_lines};
use crate::domain::uploads::ReviewDecision;
use crate::i18n::Lang;
use crate::i18n::values::Worded;
use crate::ops::decisions::Decision;
use crate::store::entity::Entity;
use crate::store::query::ListKind;
use crate::store::rows::Upload;
use crate::text::inline;
use crate::tui::keymap::{Action, Section};
use crate::tui::list::{
    ListScreen, ListView, ScreenRow, SearchedList, body, field, heading, warning,
};
use crate::tui::strings::{self, Text};
use crate::tui::theme::Theme;

/// The MIME types a file extension should have.
fn expected_mimes(filename: &str) -> Option<&'static [&'static str]> {
    let ext = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => &["application/pdf"],
        "jpg" | "jpeg" => &["image/jpeg"],
        "png" => &["image/png"],
        "mp4" => &["video/mp4"],
        "mp3" => &["audio/mpeg"],
        "csv" => &["text/csv", "application/csv"],
        "html" | "htm" => &["text/html"],
        "xlsx" => &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        _ => return None,
    })
}

/// A size as each language writes it: "10,2 Mo", "10.2 MB".
fn human_size(bytes: i64, lang: Lang) -> String {
    let b = bytes as f64;
    let (n, unit) = if bytes < 1_000 {
        (format!("{bytes}"), ("o", "B"))
    } else if bytes < 1_000_000 {
        (format!("{:.1}", b / 1e3), ("ko", "kB"))
    } else if bytes < 1_000_000_000 {
        (format!("{:.1}", b / 1e6), ("Mo", "MB"))
    } else {
        (format!("{:.2}", b / 1e9), ("Go", "GB"))
    };
    let n = match lang {
        Lang::Fr => n.replace('.', ","),
        Lang::En => n,
    };
    format!("{n} {}", lang.pick(unit.0, unit.1))
}

impl ScreenRow for Upload {
    const LIST: ListKind = ListKind::Uploads;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_WARNING, Constraint::Length(1)),
            (strings::COL_STATUS, Constraint::Length(11)),
            (strings::COL_SUBMITTED, Constraint::Length(7)),
            (strings::COL_KIND, Constraint::Length(12)),
            (strings::COL_ORGANISATION, Constraint::Length(22)),
            (strings::COL_TITLE, Constraint::Min(12)),
        ]
    }

    fn cells(&self, lang: Lang, now: jiff::Timestamp) -> Vec<String> {
        vec![
            if self.implausible { "⚠" } else { "" }.to_owned(),
            self.status.word(lang).to_owned(),
            crate::time::age_short(crate::time::seconds_since(&self.submitted_at, now), lang),
            self.kind.word(lang).to_owned(),
            inline(&self.org_name),
            inline(&self.title),
        ]
    }

    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        let mut out = vec![heading(theme, &inline(&self.title))];
        if let Some(expected) = expected_mimes(&self.filename)
            && !expected.contains(&self.mime.as_str())
        {
            out.push(warning(
                theme,
                strings::mime_mismatch(lang, &inline(&self.mime)),
            ));
        }
        // What the file holds, first: judged without opening it elsewhere.
        out.extend(preview_lines(&self.sha256, lang, theme));
        out.extend([
            field(
                theme,
                lang,
                strings::ORGANISATION.get(lang),
                self.org_name.clone(),
            ),
            field(
                theme,
                lang,
                strings::KIND.get(lang),
                self.kind.word(lang).to_owned(),
            ),
            field(
                theme,
                lang,
                strings::CATEGORY.get(lang),
                opt(&self.category.as_deref().map(|c| {
                    crate::i18n::values::word_of::<crate::domain::uploads::DocumentCategory>(
                        c, lang,
                    )
                })),
            ),
            field(theme, lang, strings::FILE.get(lang), self.filename.clone()),
            field(theme, lang, "MIME", self.mime.clone()),
            field(
                theme,
                lang,
                strings::SIZE.get(lang),
                human_size(self.size_bytes, lang),
            ),
            field(theme, lang, "sha256", self.sha256.clone()),
            field(
                theme,
                lang,
                strings::SUBMITTED.get(lang),
                crate::time::long(&self.submitted_at, lang),
            ),
            field(
                theme,
                lang,
                strings::STATUS.get(lang),
                self.status.word(lang).to_owned(),
            ),
            field(
                theme,
                lang,
                strings::REVIEWED_BY.get(lang),
                opt(&self.reviewed_by),
            ),
            field(theme, lang, strings::REASON.get(lang), opt(&self.reason)),
        ]);
        if let Some(d) = &self.description {
            out.push(Line::default());
            out.extend(body(d));
        }
        let stats = crate::store::views::upload_stats(conn, &self.id);
        if !stats.is_empty() {
            out.push(Line::default());
            out.push(heading(theme, strings::STATISTICS.get(lang)));
        }
        let mut implausible = Vec::new();
        for (i, (indicator, year, value)) in stats.iter().enumerate() {
            use crate::i18n::values::{count, indicator_words};
            let (name, unit) = indicator_words(indicator, lang);
            // The previous value: this upload's older year for the same indicator.
            let previous = stats[i + 1..]
                .iter()
                .find(|(ind, y, _)| ind == indicator && y < year);
            let shown = lang.labelled(
                &format!("{name} {year}"),
                format!("{} {unit}", count(*value, lang)),
            );
            let shown = shown.trim_end().to_owned();
            let line = match previous {
                Some((_, py, pv)) if *pv != 0.0 => {
                    let change = (value - pv) / pv * 100.0;
                    let change = match lang {
                        Lang::Fr => format!("{change:+.1}\u{a0}%").replace('.', ","),
                        Lang::En => format!("{change:+.1}%"),
                    };
                    let text = format!(
                        "{shown} ({}, {change})",
                        lang.labelled(&py.to_string(), count(*pv, lang))
                    );
                    if crate::store::rows::implausible((value - pv) / pv * 100.0, year - py) {
                        implausible.push(format!("{name} {year}"));
                        warning(
                            theme,
                            format!("{text} — {}", strings::IMPLAUSIBLE.get(lang)),
                        )
                    } else {
                        Line::from(text)
                    }
                }
                _ => Line::from(shown),
            };
            out.push(line);
        }
        // What is wrong comes first, under the title.
        if !implausible.is_empty() {
            out.insert(
                1,
                warning(
                    theme,
                    lang.labelled(
                        strings::IMPLAUSIBLE_FIGURES.get(lang),
                        implausible.join(", "),
                    ),
                ),
            );
        }
        // Who took it in hand and the staff notes, after the first lines.
        let worked = worked_lines(conn, lang, theme, now, &self.id, None);
        let at = out.len().min(2);
        out.splice(at..at, worked);
        out.extend(on_platform(theme, lang, "upload", &self.platform_id));
        out.extend(history(conn, theme, lang, "upload", &self.id));
        out
    }
}

/// Lines of a preview shown at most (the rest: `civitac uploads preview`).
const PREVIEW_LINES: usize = 14;

/// The file's preview as far as it is known: being read, read (its lines,
/// terminal-safe), refused with why, or not fetched yet (how to fetch it).
fn preview_lines(sha256: &str, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
    use crate::replica::preview::{Shown, known, lines};
    let label = strings::PREVIEW.get(lang);
    match known(sha256) {
        Some(Shown::Reading) => vec![Line::styled(
            lang.labelled(label, strings::READING_FILE.get(lang)),
            theme.dim,
        )],
        Some(Shown::Ready(Ok(p))) => {
            let all = lines(&p, lang);
            let mut out = vec![Line::styled(
                lang.labelled(label, inline(&all[0])),
                theme.header,
            )];
            out.extend(
                all[1..]
                    .iter()
                    .take(PREVIEW_LINES)
                    .map(|l| Line::from(format!("  {}", inline(l)))),
            );
            if all.len() > PREVIEW_LINES + 1 {
                out.push(Line::styled("  …", theme.dim));
            }
            out.push(Line::default());
            out
        }
        Some(Shown::Ready(Err(e))) => vec![warning(
            theme,
            lang.labelled(label, inline(&e.message(lang))),
        )],
        None => vec![Line::styled(
            lang.labelled(label, strings::FETCH_TO_PREVIEW.get(lang)),
            theme.dim,
        )],
    }
}

#[rustfmt::skip]
pub static META: Meta = Meta {
    title: strings::UPLOADS_TITLE, short_title: strings::UPLOADS_SHORT, section: Section::Uploads, switch: Action::ScreenUploads, entity: Some(Entity::Upload),
    hints: &[Action::Approve, Action::Reject, Action::RequestChanges, Action::Mark, Action::Search, Action::FetchFile, Action::Filter, Action::Help],
};

pub struct Uploads {
    list: ListView<Upload>,
}

impl Default for Uploads {
    fn default() -> Uploads {
        Uploads {
            list: ListView::new(strings::UPLOADS_TITLE, "status=pending"),
        }
    }
}

impl Page for Uploads {
    fn screen(&self) -> Screen {
        Screen::Uploads
    }

    fn list(&mut self) -> Option<&mut dyn ListScreen> {
        Some(&mut self.list)
    }

    fn decision(&self, action: Action) -> Option<Decision> {
        Some(match action {
            Action::Approve => Decision::Review(ReviewDecision::Approve),
            Action::Reject => Decision::Review(ReviewDecision::Reject),
            Action::RequestChanges => Decision::Review(ReviewDecision::RequestChanges),
            _ => return None,
        })
    }

    fn searched(&mut self) -> Option<&mut dyn SearchedList> {
        Some(&mut self.list)
    }
}

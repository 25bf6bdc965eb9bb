//! Enrôlements: organisations on their way from application to the charter.

use ratatui::layout::Constraint;
use ratatui::text::{Line, Span};
use rusqlite::Connection;

use super::{Meta, Page, Screen, history, on_platform, opt, worked_lines};
use crate::domain::enrollment::EnrollmentAction as E;
use crate::i18n::Lang;
use crate::i18n::values::Worded;
use crate::ops::decisions::Decision;
use crate::store::entity::Entity;
use crate::store::query::ListKind;
use crate::store::rows::{Organization, StuckOrganization};
use crate::text::inline;
use crate::tui::keymap::{Action, Section};
use crate::tui::list::{ListScreen, ListView, ScreenRow, SearchedList, field, heading, warning};
use crate::tui::screens::Context;
use crate::tui::strings::{self, Text};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

impl ScreenRow for Organization {
    const LIST: ListKind = ListKind::Enrollments;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_STATUS, Constraint::Length(12)),
            (strings::COL_SINCE, Constraint::Length(7)),
            (strings::COL_REGION, Constraint::Length(11)),
            (strings::COL_COMMUNE, Constraint::Length(14)),
            (strings::COL_NAME, Constraint::Min(12)),
        ]
    }

    fn cells(&self, lang: Lang, now: jiff::Timestamp) -> Vec<String> {
        vec![
            self.status.word(lang).to_owned(),
            crate::time::age_short(crate::time::seconds_since(&self.updated_at, now), lang),
            inline(&self.region),
            inline(self.commune.as_deref().unwrap_or("")),
            inline(&self.name),
        ]
    }

    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        // What to do first: the stage, how long it has been there, the next step.
        let since = crate::time::age(crate::time::seconds_since(&self.updated_at, now), lang);
        let next: Vec<&str> = crate::domain::enrollment::EnrollmentAction::ALL
            .iter()
            .filter(|a| a.can_start_from(self.status))
            .map(|a| a.word(lang))
            .collect();
        let mut out = vec![
            heading(theme, &inline(&self.name)),
            Line::from(vec![
                Span::styled(
                    format!(
                        "{} {} {since}",
                        crate::text::capitalise(self.status.word(lang)),
                        lang.pick("depuis", "for")
                    ),
                    theme.header,
                ),
                Span::raw(if next.is_empty() {
                    String::new()
                } else {
                    format!(
                        " — {}",
                        lang.labelled(
                            lang.pick("prochaine étape", "next step"),
                            next.join(lang.pick(" ou ", " or "))
                        )
                    )
                }),
            ]),
        ];
        let duplicates = crate::store::views::possible_duplicates(conn, &self.id);
        for (name, status) in duplicates {
            out.push(warning(
                theme,
                strings::possible_duplicate(
                    lang,
                    &inline(&name),
                    crate::i18n::values::word_of::<crate::domain::enrollment::Stage>(&status, lang),
                ),
            ));
        }
        out.extend([
            field(
                theme,
                lang,
                strings::STATUS.get(lang),
                self.status.word(lang).to_owned(),
            ),
            field(
                theme,
                lang,
                strings::KIND.get(lang),
                self.kind.word(lang).to_owned(),
            ),
            field(theme, lang, strings::ACRONYM.get(lang), opt(&self.acronym)),
            field(theme, lang, strings::REGION.get(lang), self.region.clone()),
            field(theme, lang, "Province", opt(&self.province)),
            field(theme, lang, "Commune", opt(&self.commune)),
            Line::default(),
            heading(theme, strings::CONTACT.get(lang)),
            field(
                theme,
                lang,
                strings::NAME.get(lang),
                opt(&self.contact_name),
            ),
            field(
                theme,
                lang,
                strings::ROLE.get(lang),
                opt(&self.contact_role),
            ),
            field(theme, lang, strings::PHONE.get(lang), opt(&self.phone)),
            field(theme, lang, "E-mail", opt(&self.email)),
        ]);
        // The leaders field staff met.
        for (name, role, phone) in crate::store::views::leaders(conn, &self.id) {
            let mut said = name;
            for extra in [role, phone].into_iter().flatten() {
                said.push_str(" · ");
                said.push_str(&extra);
            }
            out.push(field(theme, lang, strings::LEADER_MET.get(lang), said));
        }
        out.extend([
            Line::default(),
            field(
                theme,
                lang,
                strings::CHARTER_SIGNED_ON.get(lang),
                opt(&self
                    .charter_signed_on
                    .as_deref()
                    .map(|d| crate::time::day_words(d, lang))),
            ),
            field(
                theme,
                lang,
                strings::REFERENCE.get(lang),
                opt(&self.charter_ref),
            ),
            field(
                theme,
                lang,
                strings::APPLIED.get(lang),
                crate::time::long(&self.created_at, lang),
            ),
            field(
                theme,
                lang,
                strings::UPDATED.get(lang),
                crate::time::long(&self.updated_at, lang),
            ),
            field(theme, lang, "id", self.id.clone()),
        ]);
        // Who took it in hand and the staff notes, after the first lines.
        let worked = worked_lines(conn, lang, theme, now, &self.id, None);
        let at = out.len().min(2);
        out.splice(at..at, worked);
        out.extend(on_platform(theme, lang, "organization", &self.platform_id));
        out.extend(history(conn, theme, lang, "organization", &self.id));
        out
    }
}

impl ScreenRow for StuckOrganization {
    const LIST: ListKind = ListKind::Enrollments;

    fn id(&self) -> &str {
        &self.0.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        Organization::columns()
    }

    fn cells(&self, lang: Lang, now: jiff::Timestamp) -> Vec<String> {
        self.0.cells(lang, now)
    }

    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        self.0.detail(conn, lang, theme, now)
    }
}

#[rustfmt::skip]
pub static META: Meta = Meta {
    title: strings::ENROLMENTS_TITLE, short_title: strings::ENROLMENTS_SHORT, section: Section::Enrollments, switch: Action::ScreenEnrollments, entity: Some(Entity::Organization),
    hints: &[Action::Approve, Action::Reject, Action::Contacted, Action::Suspend, Action::Reinstate, Action::Mark, Action::NextView, Action::Search, Action::Filter, Action::Help],
};

pub struct Enrollments {
    list: ListView<Organization>,
    /// The same organisations in progress, the longest in their stage first.
    stuck: ListView<StuckOrganization>,
    showing_stuck: bool,
    /// Organisations per stage, in pipeline order.
    pipeline: [i64; 6],
}

impl Default for Enrollments {
    fn default() -> Enrollments {
        Enrollments {
            list: ListView::new(strings::ENROLMENTS_TITLE, ""),
            stuck: ListView::new(
                strings::STUCK_TITLE,
                "status=applied,charter_received,contacted",
            ),
            showing_stuck: false,
            pipeline: [0; 6],
        }
    }
}

impl Page for Enrollments {
    fn screen(&self) -> Screen {
        Screen::Enrollments
    }

    fn list(&mut self) -> Option<&mut dyn ListScreen> {
        if self.showing_stuck {
            Some(&mut self.stuck)
        } else {
            Some(&mut self.list)
        }
    }

    /// `v`: the enrolments stuck longest in their stage, then back.
    fn next_view(&mut self) -> bool {
        self.showing_stuck = !self.showing_stuck;
        true
    }

    fn set_view(&mut self, view: super::View) {
        self.showing_stuck = view != super::View::Main;
    }

    fn decision(&self, action: Action) -> Option<Decision> {
        Some(match action {
            Action::Approve => Decision::Enrollment(E::Enrol, None),
            Action::Reject => Decision::Enrollment(E::Reject, None),
            Action::Contacted => Decision::Enrollment(E::RecordContact, None),
            Action::Suspend => Decision::Enrollment(E::Suspend, None),
            Action::Reinstate => Decision::Enrollment(E::Reinstate, None),
            _ => return None,
        })
    }

    fn searched(&mut self) -> Option<&mut dyn SearchedList> {
        if self.showing_stuck {
            None
        } else {
            Some(&mut self.list)
        }
    }

    fn load(&mut self, conn: &Connection, _now: jiff::Timestamp) {
        self.pipeline = crate::store::views::pipeline(conn);
    }

    fn header_height(&self) -> u16 {
        1
    }

    fn draw_header(&self, f: &mut Frame<'_>, area: Rect, cx: &Context<'_>) {
        let names: [strings::Text; 6] = [
            strings::PIPELINE_APPLIED,
            strings::PIPELINE_CHARTERS,
            strings::PIPELINE_CONTACTED,
            strings::PIPELINE_ENROLLED,
            strings::PIPELINE_REJECTED,
            strings::PIPELINE_SUSPENDED,
        ];
        let p = self.pipeline;
        let part = |i: usize| format!("{} {}", p[i], names[i].get(cx.lang));
        let line = format!(
            "{} → {} → {} → {} · {} · {}",
            part(0),
            part(1),
            part(2),
            part(3),
            part(4),
            part(5)
        );
        f.render_widget(Paragraph::new(Line::styled(line, cx.theme.dim)), area);
    }
}

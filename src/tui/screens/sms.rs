//! SMS: messages to approve, broadcast groups, contacts.

use ratatui::layout::Constraint;
use ratatui::text::Line;
use rusqlite::Connection;

use super::View;
use super::{Meta, Page, Screen, opt};
use crate::i18n::Lang;
use crate::i18n::values::Worded;
use crate::ops::decisions::Decision;
use crate::store::query::ListKind;
use crate::store::rows::{SmsContact, SmsGroup, SmsMessage};
use crate::text::inline;
use crate::tui::keymap::{Action, Section};
use crate::tui::list::{ListScreen, ListView, ScreenRow, body, field, heading, warning};
use crate::tui::strings::{self, Text};
use crate::tui::theme::Theme;

impl ScreenRow for SmsMessage {
    const LIST: ListKind = ListKind::Sms;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_STATUS, Constraint::Length(9)),
            (strings::COL_KIND, Constraint::Length(6)),
            (strings::COL_RECIP, Constraint::Length(7)),
            (strings::COL_GROUP, Constraint::Length(18)),
            (strings::COL_TEXT, Constraint::Min(12)),
        ]
    }

    fn cells(&self, lang: Lang, _now: jiff::Timestamp) -> Vec<String> {
        vec![
            self.status.word(lang).to_owned(),
            self.kind.word(lang).to_owned(),
            self.recipients.to_string(),
            inline(&self.group_name),
            inline(&self.body),
        ]
    }

    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        _now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        let mut out = vec![
            field(
                theme,
                lang,
                strings::GROUP.get(lang),
                self.group_name.clone(),
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
                strings::STATUS.get(lang),
                self.status.word(lang).to_owned(),
            ),
            field(
                theme,
                lang,
                strings::ENCODING.get(lang),
                format!(
                    "{}, {}, {}",
                    self.encoding,
                    crate::i18n::counted(lang, self.segments, "segment", "segments"),
                    crate::i18n::counted(
                        lang,
                        self.recipients,
                        lang.pick("destinataire", "recipient"),
                        lang.pick("destinataires", "recipients")
                    )
                ),
            ),
            field(
                theme,
                lang,
                strings::WRITTEN_BY.get(lang),
                crate::store::views::staff_name(conn, &self.created_by),
            ),
            field(
                theme,
                lang,
                strings::APPROVED_BY.get(lang),
                opt(&self
                    .approved_by
                    .as_deref()
                    .map(|a| crate::store::views::staff_name(conn, a))),
            ),
            field(
                theme,
                lang,
                strings::SCHEDULED.get(lang),
                opt(&self
                    .scheduled_at
                    .as_deref()
                    .map(|at| crate::time::long(at, lang))),
            ),
            field(
                theme,
                lang,
                strings::DELIVERY.get(lang),
                crate::store::views::delivery_words(
                    lang,
                    self.recipients,
                    self.sent_count,
                    self.delivered_count,
                    self.failed_count,
                ),
            ),
        ];
        if let Some(earlier) = &self.retry_of {
            out.push(field(
                theme,
                lang,
                strings::RESEND_OF.get(lang),
                inline(earlier),
            ));
        }
        out.push(Line::default());
        out.extend(body(&self.body));
        if let Some((again, status)) = crate::store::views::resent_as(conn, &self.id) {
            let word =
                crate::i18n::values::column_word("sms", "status", &status, lang).unwrap_or(status);
            out.push(field(
                theme,
                lang,
                strings::RESENT_AS.get(lang),
                format!("{} ({word})", inline(&again)),
            ));
        }
        if self.failed_count > 0 {
            // The failed numbers and why: synced from the hub's sender.
            const SHOWN: i64 = 8;
            let failures = crate::store::views::sms_failures(conn, &self.id, SHOWN);
            out.push(Line::default());
            out.push(heading(theme, strings::FAILED_NUMBERS.get(lang)));
            for (phone, error) in &failures {
                out.push(Line::from(format!(
                    "  {}  {}",
                    inline(phone),
                    crate::store::views::failure_words(error.as_deref(), lang)
                )));
            }
            if self.failed_count as usize > failures.len() {
                out.push(Line::from(format!(
                    "  {}",
                    strings::and_more(
                        lang,
                        (self.failed_count as usize).saturating_sub(failures.len())
                    )
                )));
            }
        }
        out
    }
}

/// A group's name with its tag ("archivé", "dynamique") in the column's
/// width, the name cut first.
fn tagged(name: &str, tag: &str) -> String {
    let tag = format!(" ({tag})");
    let room = GROUP_WIDTH.saturating_sub(crate::text::width(&tag));
    format!("{}{tag}", crate::text::truncate(&inline(name), room))
}

const GROUP_WIDTH: usize = 28;

impl ScreenRow for SmsGroup {
    const LIST: ListKind = ListKind::SmsGroups;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_GROUP, Constraint::Length(GROUP_WIDTH as u16)),
            (strings::COL_MEMBERS, Constraint::Length(8)),
            (strings::COL_DESCRIPTION, Constraint::Min(10)),
        ]
    }

    fn cells(&self, lang: Lang, _now: jiff::Timestamp) -> Vec<String> {
        vec![
            // The tag stays in sight: a long name gives way to it.
            match (&self.archived_at, &self.rule) {
                (Some(_), _) => tagged(&self.name, strings::ARCHIVED.get(lang)),
                (None, Some(_)) => tagged(&self.name, strings::DYNAMIC.get(lang)),
                (None, None) => inline(&self.name),
            },
            self.members.to_string(),
            inline(self.description.as_deref().unwrap_or("")),
        ]
    }

    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        _now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        let (opted_out, messages) = crate::store::views::group_counts(conn, &self.id);
        let mut out = vec![
            heading(theme, &inline(&self.name)),
            field(theme, lang, "Description", opt(&self.description)),
        ];
        if let Some(rule) = &self.rule {
            out.push(field(
                theme,
                lang,
                strings::DYNAMIC_RULE.get(lang),
                crate::store::views::rule_words(rule, lang),
            ));
        }
        out.extend([
            field(
                theme,
                lang,
                strings::MEMBERS.get(lang),
                self.members.to_string(),
            ),
            field(
                theme,
                lang,
                strings::OPTED_OUT.get(lang),
                opted_out.to_string(),
            ),
            field(
                theme,
                lang,
                strings::ACTUAL_RECIPIENTS.get(lang),
                (self.members - opted_out).to_string(),
            ),
            field(
                theme,
                lang,
                strings::MESSAGES.get(lang),
                messages.to_string(),
            ),
            field(theme, lang, "id", self.id.clone()),
        ]);
        out
    }
}

impl ScreenRow for SmsContact {
    const LIST: ListKind = ListKind::SmsContacts;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_PHONE, Constraint::Length(15)),
            (strings::COL_NAME, Constraint::Length(24)),
            (strings::COL_REGION, Constraint::Length(11)),
            (strings::COL_OPTED_OUT, Constraint::Min(10)),
        ]
    }

    fn cells(&self, _lang: Lang, _now: jiff::Timestamp) -> Vec<String> {
        vec![
            inline(&self.phone_e164),
            inline(self.name.as_deref().unwrap_or("")),
            inline(self.region.as_deref().unwrap_or("")),
            self.opted_out_at
                .as_deref()
                .map(|d| d.chars().take(10).collect())
                .unwrap_or_default(),
        ]
    }

    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        _now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        let groups = crate::store::views::contact_groups(conn, &self.id);
        let mut out = vec![
            heading(
                theme,
                &inline(self.name.as_deref().unwrap_or(&self.phone_e164)),
            ),
            field(
                theme,
                lang,
                strings::PHONE.get(lang),
                format!(
                    "{} ({})",
                    inline(&self.phone_e164),
                    crate::sms::phone::line(&self.phone_e164).label(lang)
                ),
            ),
            field(theme, lang, strings::REGION.get(lang), opt(&self.region)),
            field(theme, lang, "Commune", opt(&self.commune)),
            field(theme, lang, strings::GROUPS.get(lang), groups.join(", ")),
        ];
        if let Some(at) = &self.opted_out_at {
            out.push(warning(
                theme,
                strings::opted_out_on(lang, &crate::time::long(at, lang)),
            ));
        }
        out
    }
}

#[rustfmt::skip]
pub static META: Meta = Meta {
    title: strings::SMS_TITLE, short_title: strings::SMS_TITLE, section: Section::Sms, switch: Action::ScreenSms, entity: None,
    hints: &[Action::Compose, Action::Approve, Action::CancelSms, Action::Resend, Action::NewGroup, Action::EditSms, Action::ArchiveGroup, Action::OptOut, Action::OptIn, Action::AddToGroup, Action::NextView, Action::Filter, Action::Help],
};

pub struct Sms {
    messages: ListView<SmsMessage>,
    groups: ListView<SmsGroup>,
    contacts: ListView<SmsContact>,
    view: View,
}

impl Default for Sms {
    fn default() -> Sms {
        Sms {
            messages: ListView::new(strings::SMS_MESSAGES_TITLE, ""),
            groups: ListView::new(strings::SMS_GROUPS_TITLE, ""),
            contacts: ListView::new(strings::SMS_CONTACTS_TITLE, ""),
            view: View::Main,
        }
    }
}

impl Page for Sms {
    fn screen(&self) -> Screen {
        Screen::Sms
    }

    fn list(&mut self) -> Option<&mut dyn ListScreen> {
        Some(match self.view {
            View::SmsGroups => &mut self.groups,
            View::SmsContacts => &mut self.contacts,
            _ => &mut self.messages,
        })
    }

    fn enabled(&self, action: Action) -> bool {
        match action {
            Action::Approve | Action::CancelSms | Action::Resend => self.view == View::Main,
            Action::OptOut | Action::OptIn | Action::AddToGroup | Action::RemoveFromGroup => {
                self.view == View::SmsContacts
            }
            Action::NewGroup | Action::ArchiveGroup => self.view == View::SmsGroups,
            Action::EditSms => self.view != View::Main,
            _ => true,
        }
    }

    fn decision(&self, action: Action) -> Option<Decision> {
        match (self.view, action) {
            (View::Main, Action::Approve) => Some(Decision::ApproveSms),
            (View::Main, Action::CancelSms) => Some(Decision::CancelSms),
            (View::SmsContacts, Action::OptOut) => Some(Decision::OptOut),
            (View::SmsContacts, Action::OptIn) => Some(Decision::OptIn),
            // Archives a group in use; puts an archived one (under the
            // cursor) back in use.
            (View::SmsGroups, Action::ArchiveGroup) => Some(Decision::ArchiveGroup(
                self.groups
                    .selected_row()
                    .is_none_or(|g| g.archived_at.is_none()),
            )),
            _ => None,
        }
    }

    /// Groups and contacts are searched in place; messages are not.
    fn searchable(&mut self) -> bool {
        self.view != View::Main
    }

    fn view(&self) -> View {
        self.view
    }

    fn next_view(&mut self) -> bool {
        self.view = match self.view {
            View::Main => View::SmsGroups,
            View::SmsGroups => View::SmsContacts,
            _ => View::Main,
        };
        true
    }

    fn set_view(&mut self, view: View) {
        self.view = view;
    }
}

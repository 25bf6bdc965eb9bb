//! SMS: messages to approve, broadcast groups, contacts.

use ratatui::layout::Constraint;
use ratatui::text::Line;
use rusqlite::Connection;

use super::View;
use super::{Meta, Page, Screen, opt};
use crate::i18n::Lang;
use crate::ops::decisions::Decision;
use crate::store::query::ListKind;
use crate::store::rows::{SmsContact, SmsGroup, SmsMessage};
use crate::text::inline;
use crate::tui::keymap::{Action, Section};
use crate::tui::list::{ListScreen, ListView, ScreenRow, body, field, heading, warning};
use crate::tui::theme::Theme;

impl ScreenRow for SmsMessage {
    const LIST: ListKind = ListKind::Sms;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("statut", "status", Constraint::Length(9)),
            ("type", "kind", Constraint::Length(6)),
            ("destin.", "recip.", Constraint::Length(7)),
            ("groupe", "group", Constraint::Length(18)),
            ("texte", "text", Constraint::Min(12)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.status.to_string(),
            self.kind.to_string(),
            self.recipients.to_string(),
            inline(&self.group_name),
            inline(&self.body),
        ]
    }

    fn detail(&self, _conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = vec![
            field(theme, lang.pick("Groupe", "Group"), self.group_name.clone()),
            field(theme, lang.pick("Type", "Kind"), self.kind.to_string()),
            field(
                theme,
                lang.pick("Statut", "Status"),
                self.status.to_string(),
            ),
            field(
                theme,
                lang.pick("Encodage", "Encoding"),
                format!(
                    "{}, {} segment(s), {} destinataires",
                    self.encoding, self.segments, self.recipients
                ),
            ),
            field(
                theme,
                lang.pick("Rédigé par", "Written by"),
                self.created_by.clone(),
            ),
            field(
                theme,
                lang.pick("Approuvé par", "Approved by"),
                opt(&self.approved_by),
            ),
            field(
                theme,
                lang.pick("Prévu", "Scheduled"),
                opt(&self.scheduled_at),
            ),
            field(
                theme,
                lang.pick("Envoyés / remis / échecs", "Sent / delivered / failed"),
                format!(
                    "{} / {} / {}",
                    self.sent_count, self.delivered_count, self.failed_count
                ),
            ),
            Line::default(),
        ];
        out.extend(body(&self.body));
        out
    }
}

impl ScreenRow for SmsGroup {
    const LIST: ListKind = ListKind::SmsGroups;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("groupe", "group", Constraint::Length(28)),
            ("membres", "members", Constraint::Length(8)),
            ("description", "description", Constraint::Min(10)),
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            inline(&self.name),
            self.members.to_string(),
            inline(self.description.as_deref().unwrap_or("")),
        ]
    }

    fn detail(&self, conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let (opted_out, messages) = crate::store::views::group_counts(conn, &self.id);
        vec![
            heading(theme, &inline(&self.name)),
            field(theme, "Description", opt(&self.description)),
            field(
                theme,
                lang.pick("Membres", "Members"),
                self.members.to_string(),
            ),
            field(
                theme,
                lang.pick(
                    "Désinscrits (jamais destinataires)",
                    "Opted out (never sent to)",
                ),
                opted_out.to_string(),
            ),
            field(
                theme,
                lang.pick("Destinataires réels", "Actual recipients"),
                (self.members - opted_out).to_string(),
            ),
            field(
                theme,
                lang.pick("Messages", "Messages"),
                messages.to_string(),
            ),
            field(theme, "id", self.id.clone()),
        ]
    }
}

impl ScreenRow for SmsContact {
    const LIST: ListKind = ListKind::SmsContacts;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(&'static str, &'static str, Constraint)] {
        &[
            ("téléphone", "phone", Constraint::Length(15)),
            ("nom", "name", Constraint::Length(24)),
            ("région", "region", Constraint::Length(11)),
            ("désinscrit", "opted out", Constraint::Min(10)),
        ]
    }

    fn cells(&self) -> Vec<String> {
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

    fn detail(&self, conn: &Connection, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
        let groups = crate::store::views::contact_groups(conn, &self.id);
        let mut out = vec![
            heading(
                theme,
                &inline(self.name.as_deref().unwrap_or(&self.phone_e164)),
            ),
            field(
                theme,
                lang.pick("Téléphone", "Phone"),
                format!(
                    "{} ({})",
                    inline(&self.phone_e164),
                    crate::sms::phone::line(&self.phone_e164).label(lang)
                ),
            ),
            field(theme, lang.pick("Région", "Region"), opt(&self.region)),
            field(theme, "Commune", opt(&self.commune)),
            field(theme, lang.pick("Groupes", "Groups"), groups.join(", ")),
        ];
        if let Some(at) = &self.opted_out_at {
            out.push(warning(
                theme,
                match lang {
                    Lang::Fr => format!(
                        "désinscrit le {} : ne reçoit aucun SMS, quel que soit le groupe",
                        inline(at)
                    ),
                    Lang::En => format!(
                        "opted out on {}: gets no SMS, whatever the group",
                        inline(at)
                    ),
                },
            ));
        }
        out
    }
}

pub static META: Meta = Meta {
    title: ("SMS", "SMS"),
    short_title: ("SMS", "SMS"),
    section: Section::Sms,
    switch: Action::ScreenSms,
    entity: None,
    hints: &[
        Action::Compose,
        Action::Approve,
        Action::CancelSms,
        Action::OptOut,
        Action::NextView,
        Action::Filter,
        Action::Help,
    ],
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
            messages: ListView::new(("Messages SMS", "SMS messages"), ""),
            groups: ListView::new(("Groupes SMS", "SMS groups"), ""),
            contacts: ListView::new(("Contacts SMS", "SMS contacts"), ""),
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
            Action::Approve | Action::CancelSms => self.view == View::Main,
            Action::OptOut => self.view == View::SmsContacts,
            _ => true,
        }
    }

    fn decision(&self, action: Action) -> Option<Decision> {
        match (self.view, action) {
            (View::Main, Action::Approve) => Some(Decision::ApproveSms),
            (View::Main, Action::CancelSms) => Some(Decision::CancelSms),
            (View::SmsContacts, Action::OptOut) => Some(Decision::OptOut),
            _ => None,
        }
    }

    /// Groups and contacts are searched in place; messages are not.
    fn searchable(&self) -> bool {
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

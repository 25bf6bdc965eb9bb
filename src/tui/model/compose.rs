//! The SMS composer: opening it, typing, and the message to queue (a change
//! the runner applies like any other).

use super::{Change, Effect, Model, Overlay};
use crate::tui::keymap::{Action, Key};
use crate::tui::screens::{Screen, View};
use crate::tui::strings;

impl Model {
    /// The compose key: the composer opens on the SMS screen (on the group
    /// chosen in the groups view).
    pub(super) fn compose(&mut self) -> Result<Vec<Effect>, String> {
        let lang = self.lang;
        if self.screen != Screen::Sms {
            return Err(strings::ON_SMS_SCREEN.get(lang).into());
        }
        if self.owner.is_none() {
            return Err(strings::NO_OWNER.get(lang).into());
        }
        let group = if self.page_ref().view() == View::SmsGroups {
            self.selected()
        } else {
            None
        };
        Ok(vec![Effect::OpenComposer {
            group,
            resend: None,
        }])
    }

    /// The SMS screen's forms: a new group and a renamed one on the groups
    /// view, a corrected contact and members in or out on the contacts
    /// view; archiving a group is a decision with its dialog.
    pub(super) fn sms_form(&mut self, action: Action) -> Result<Vec<Effect>, String> {
        use super::FormRequest;
        let lang = self.lang;
        if self.screen != Screen::Sms {
            return Err(strings::ON_SMS_SCREEN.get(lang).into());
        }
        if self.owner.is_none() {
            return Err(strings::NO_OWNER_NO_DECISIONS.get(lang).into());
        }
        let view = self.page_ref().view();
        let on = |wanted: View| {
            if view == wanted {
                Ok(())
            } else {
                Err(match wanted {
                    View::SmsGroups => strings::ON_GROUPS_VIEW.get(lang).to_owned(),
                    _ => strings::ON_CONTACTS_VIEW.get(lang).to_owned(),
                })
            }
        };
        let request = match action {
            Action::NewGroup => {
                on(View::SmsGroups)?;
                FormRequest::NewGroup
            }
            Action::ArchiveGroup => {
                on(View::SmsGroups)?;
                return self.ask(action);
            }
            Action::EditSms if view == View::SmsGroups => {
                FormRequest::RenameGroup(self.selected().ok_or(strings::NO_ROW_SELECTED.get(lang))?)
            }
            Action::EditSms => {
                on(View::SmsContacts)?;
                FormRequest::EditContact(self.selected().ok_or(strings::NO_ROW_SELECTED.get(lang))?)
            }
            _ => {
                on(View::SmsContacts)?;
                let contacts = self
                    .list()
                    .map(|l| l.targets())
                    .filter(|t| !t.is_empty())
                    .ok_or(strings::NO_ROW_SELECTED.get(lang))?;
                FormRequest::Members {
                    contacts,
                    add: action == Action::AddToGroup,
                }
            }
        };
        Ok(vec![Effect::OpenForm(request)])
    }

    /// An admin's actions on the team view (read-only for others): a new
    /// colleague and a new role by form, switching off and on as decisions.
    pub(super) fn team(&mut self, action: Action) -> Result<Vec<Effect>, String> {
        use super::FormRequest;
        let lang = self.lang;
        if self.screen != Screen::Sync || self.page_ref().view() != View::Staff {
            return Err(strings::ON_TEAM_VIEW.get(lang).into());
        }
        let owner = self
            .owner
            .as_ref()
            .ok_or(strings::NO_OWNER_NO_DECISIONS.get(lang))?;
        if !owner
            .role
            .may(crate::domain::staff::Permission::ManageStaff)
        {
            return Err(strings::ADMINS_ONLY.get(lang).into());
        }
        // Said before any form or dialog: never on one's own account.
        let me = owner.staff_id.clone();
        if action != Action::AddStaff
            && self
                .list()
                .map(|l| l.targets())
                .is_some_and(|ids| ids.contains(&me))
        {
            let name = match action {
                Action::SetRole => "staff.set_role",
                Action::SwitchOff => "staff.deactivate",
                _ => "staff.reactivate",
            };
            return Err(crate::ops::OpError::OwnAccount {
                action: name.to_owned(),
            }
            .message(lang));
        }
        Ok(match action {
            Action::AddStaff => vec![Effect::OpenForm(FormRequest::AddStaff)],
            Action::SetRole => vec![Effect::OpenForm(FormRequest::SetRole(
                self.selected().ok_or(strings::NO_ROW_SELECTED.get(lang))?,
            ))],
            _ => return self.ask(action),
        })
    }

    /// The resend key: the composer opens on the message under the cursor,
    /// for the numbers it failed to reach.
    pub(super) fn resend(&mut self) -> Result<Vec<Effect>, String> {
        let lang = self.lang;
        if self.screen != Screen::Sms || self.page_ref().view() != View::Main {
            return Err(strings::ON_SMS_SCREEN.get(lang).into());
        }
        if self.owner.is_none() {
            return Err(strings::NO_OWNER.get(lang).into());
        }
        let id = self.selected().ok_or(strings::NO_ROW_SELECTED.get(lang))?;
        Ok(vec![Effect::OpenComposer {
            group: None,
            resend: Some(id),
        }])
    }

    pub(super) fn compose_key(&mut self, key: Key) -> Vec<Effect> {
        use crate::tui::composer::Field;
        use crate::tui::keymap::KeyCodeKey as K;
        match self.dialog_action(key) {
            Some(Action::Confirm) => return self.submit_composer(),
            Some(Action::Cancel) => {
                self.overlay = Overlay::None;
                return Vec::new();
            }
            _ => {}
        }
        let lang = self.lang;
        let Overlay::Compose(c) = &mut self.overlay else {
            return Vec::new();
        };
        match key.code {
            K::Char('t') if key.ctrl => c.toggle_kind(),
            K::Char('g') if key.ctrl => c.next_group(),
            K::Char('o') if key.ctrl => {
                let said = c.swap(lang);
                c.problem = Some(said);
            }
            K::Tab => {
                c.focus = match c.focus {
                    Field::Body => Field::Schedule,
                    Field::Schedule => Field::Body,
                };
            }
            K::Backspace => {
                match c.focus {
                    Field::Body => c.body.pop(),
                    Field::Schedule => c.schedule.pop(),
                };
                c.quiet_confirmed = false;
            }
            K::Char(ch) if !key.ctrl && !key.alt => {
                match c.focus {
                    Field::Body => c.body.push(ch),
                    Field::Schedule => c.schedule.push(ch),
                }
                c.quiet_confirmed = false;
            }
            _ => {}
        }
        Vec::new()
    }

    /// Enter in the composer: the message to queue, or what is wrong with it.
    fn submit_composer(&mut self) -> Vec<Effect> {
        let lang = self.lang;
        let now = self.now();
        let quiet = self.quiet_hours;
        let Overlay::Compose(c) = &mut self.overlay else {
            return Vec::new();
        };
        if c.body.trim().is_empty() {
            c.problem = Some(strings::MESSAGE_EMPTY.get(lang).into());
            return Vec::new();
        }
        let scheduled = match c.scheduled(now, lang) {
            Ok(s) => s,
            Err(e) => {
                c.problem = Some(e);
                return Vec::new();
            }
        };
        if let Some(p) = c.quiet_problem(quiet, scheduled.unwrap_or(now), lang) {
            c.problem = Some(p);
            return Vec::new();
        }
        let Some((group_id, group, recipients)) = c.groups.get(c.group).cloned() else {
            return Vec::new();
        };
        let op = crate::ops::Op::QueueSms {
            message: crate::ops::NewSms {
                id: uuid::Uuid::now_v7().to_string(),
                group_id,
                kind: c.kind,
                body: c.body.clone(),
                scheduled_at: scheduled.map(crate::time::format),
                retry_of: c.retry_of.clone(),
            },
        };
        vec![Effect::Apply(Change::QueueSms {
            op: Box::new(op),
            group,
            segments: c.count().segments,
            recipients,
        })]
    }
}

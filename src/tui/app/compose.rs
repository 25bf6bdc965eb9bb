//! The SMS composer on the SMS screen: typing, counting, and queueing the
//! message (an effect the runner applies).

use super::{App, Overlay};
use crate::i18n::Lang;
use crate::tui::keymap::{Action, Key, Lookup, Section};
use crate::tui::screens::{Screen, View};

impl App {
    pub(super) fn open_composer(&mut self) -> Result<(), String> {
        let lang = self.lang;
        if self.screen != Screen::Sms {
            return Err(lang.pick("sur l'écran SMS", "on the SMS screen").into());
        }
        if self.owner.is_none() {
            return Err(lang
                .pick(
                    "ce réplica n'appartient à personne",
                    "this replica has no owner",
                )
                .into());
        }
        let preferred = if self.page_ref().view() == View::SmsGroups {
            self.with_list(|l, _| l.targets())
                .and_then(|t| t.into_iter().next())
        } else {
            None
        };
        let composer =
            crate::tui::composer::Composer::open(self.store.conn(), preferred.as_deref())?;
        if composer.groups.is_empty() {
            return Err(lang.pick("aucun groupe SMS", "no SMS group").into());
        }
        self.overlay = Overlay::Compose(Box::new(composer));
        Ok(())
    }

    pub(super) fn handle_compose(&mut self, key: Key) {
        use crate::tui::composer::Field;
        use crate::tui::keymap::KeyCodeKey as K;
        let action = match self.keymap.lookup(&[Section::Dialog], &[key]) {
            Lookup::Action(a) => Some(a),
            _ => None,
        };
        match action {
            Some(Action::Confirm) => return self.submit_composer(),
            Some(Action::Cancel) => {
                self.overlay = Overlay::None;
                return;
            }
            _ => {}
        }
        let lang = self.lang;
        let Overlay::Compose(c) = &mut self.overlay else {
            return;
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
    }

    pub(super) fn submit_composer(&mut self) {
        let lang = self.lang;
        let now = self.now();
        let quiet = self.quiet_hours;
        let Overlay::Compose(c) = &mut self.overlay else {
            return;
        };
        if c.body.trim().is_empty() {
            c.problem = Some(
                lang.pick("le message est vide", "the message is empty")
                    .into(),
            );
            return;
        }
        let scheduled = match c.scheduled(now, lang) {
            Ok(s) => s,
            Err(e) => {
                c.problem = Some(e);
                return;
            }
        };
        if let Some(p) = c.quiet_problem(quiet, scheduled.unwrap_or(now), lang) {
            c.problem = Some(p);
            return;
        }
        let Some((group_id, group_name, recipients)) = c.groups.get(c.group).cloned() else {
            return;
        };
        let count = c.count();
        let op = crate::ops::Op::QueueSms {
            message: crate::ops::NewSms {
                id: uuid::Uuid::now_v7().to_string(),
                group_id,
                kind: c.kind,
                body: c.body.clone(),
                scheduled_at: scheduled.map(crate::time::format),
            },
        };
        let Some(actor) = self.owner.clone() else {
            return;
        };
        let result = self
            .store
            .transaction()
            .map_err(|e| e.message(lang))
            .and_then(|tx| {
                crate::ops::apply(&tx, &actor, &op).map_err(|e| e.message(lang))?;
                tx.commit().map_err(|e| e.to_string())
            });
        match result {
            Ok(()) => {
                self.overlay = Overlay::None;
                self.info(match lang {
                    Lang::Fr => format!(
                        "SMS en file pour {} : {} segment(s) × {recipients} destinataires = {}",
                        crate::text::inline(&group_name),
                        count.segments,
                        i64::from(count.segments) * recipients
                    ),
                    Lang::En => format!(
                        "SMS queued for {}: {} segment(s) × {recipients} recipients = {}",
                        crate::text::inline(&group_name),
                        count.segments,
                        i64::from(count.segments) * recipients
                    ),
                });
                self.refresh_all();
            }
            Err(e) => {
                if let Overlay::Compose(c) = &mut self.overlay {
                    c.problem = Some(e);
                }
            }
        }
    }
}

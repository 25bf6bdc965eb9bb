//! Decisions from the console: what an action means on the current
//! screen, the confirmation dialog, undo of the latest unsynced decision.

use super::{App, Confirm, Overlay, Pending};
use crate::i18n::Lang;
use crate::ops::decisions::apply_batch;
use crate::store::entity::Entity;
use crate::store::views;
use crate::tui::keymap::Action;

impl App {
    pub(super) fn ask(&mut self, action: Action) -> Result<(), String> {
        let lang = self.lang;
        let decision = self.page_ref().decision(action).ok_or_else(|| {
            lang.pick(
                "cette action ne s'applique pas à cet écran",
                "this action does not apply on this screen",
            )
            .to_owned()
        })?;
        if self.owner.is_none() {
            return Err(lang
                .pick(
                    "ce réplica n'appartient à personne : aucune décision possible",
                    "this replica has no owner: no decisions",
                )
                .into());
        }
        let (ids, hidden) = self
            .with_list(|l, conn| (l.targets(), l.marks_hidden(conn)))
            .unwrap_or_default();
        if ids.is_empty() {
            return Err(lang
                .pick("aucune ligne sélectionnée", "no row selected")
                .into());
        }
        self.overlay = Overlay::Confirm(Confirm {
            pending: Pending::Decide(decision),
            ids,
            hidden,
            reason: String::new(),
            problem: None,
        });
        Ok(())
    }

    /// Offers to undo this person's latest decision that has not been synced
    /// (on this screen's kind of record, or any on other screens). Pressed
    /// again, it offers the one before, and so on.
    pub(super) fn ask_undo(&mut self) -> Result<(), String> {
        let lang = self.lang;
        let entity = self.screen.entity().map(Entity::name);
        let login = self
            .owner
            .as_ref()
            .map(|o| o.login.clone())
            .unwrap_or_default();
        let found = views::undo_candidate(self.store.conn(), entity, &login);
        let (op_id, action, record) = found.ok_or_else(|| {
            lang.pick(
                "rien à annuler : aucune décision non synchronisée",
                "nothing to undo: no unsynced decision",
            )
            .to_owned()
        })?;
        let label = views::record_label(self.store.conn(), entity, &record);
        self.overlay = Overlay::Confirm(Confirm {
            pending: Pending::Undo {
                op_id,
                action,
                label,
            },
            ids: vec![record],
            hidden: 0,
            reason: String::new(),
            problem: None,
        });
        Ok(())
    }

    pub(super) fn apply_confirmed(&mut self, mut confirm: Confirm) {
        let lang = self.lang;
        let needs_reason = match &confirm.pending {
            Pending::Decide(d) => d.needs_reason(),
            Pending::Undo { .. } => false,
        };
        if needs_reason && confirm.reason.trim().is_empty() {
            confirm.problem = Some(
                lang.pick("un motif est obligatoire", "a reason is required")
                    .to_owned(),
            );
            self.overlay = Overlay::Confirm(confirm);
            return;
        }
        let Some(actor) = self.owner.clone() else {
            return;
        };
        let reason = Some(confirm.reason.trim()).filter(|r| !r.is_empty());
        let outcome = self
            .store
            .transaction()
            .map_err(|e| e.to_string())
            .and_then(|tx| {
                let outcome = match &confirm.pending {
                    Pending::Decide(d) => {
                        apply_batch(&tx, &actor, d, &confirm.ids, reason, false, lang)
                    }
                    Pending::Undo { op_id, .. } => {
                        let op = crate::ops::Op::Undo {
                            op_id: op_id.clone(),
                            reason: reason.map(str::to_owned),
                        };
                        let mut o = crate::ops::decisions::BatchOutcome::default();
                        match crate::ops::apply(&tx, &actor, &op) {
                            Ok(a) => o.applied.push((a.entity_id, String::new(), String::new())),
                            Err(e) => o.failed.push((op_id.clone(), e.message(lang))),
                        }
                        o
                    }
                };
                if let Some(why) = &outcome.storage {
                    return Err(match lang {
                        Lang::Fr => format!("rien n'a été modifié : {why}"),
                        Lang::En => format!("nothing was changed: {why}"),
                    });
                }
                if outcome.failed.is_empty() {
                    tx.commit().map_err(|e| e.to_string())?;
                }
                Ok(outcome)
            });
        match outcome {
            Err(e) => self.error(e),
            Ok(o) if !o.failed.is_empty() => {
                let why = &o.failed[0].1;
                self.error(match lang {
                    Lang::Fr => format!(
                        "rien n'a été modifié : {} refus, dont {why}",
                        o.failed.len()
                    ),
                    Lang::En => format!(
                        "nothing was changed: {} refused, e.g. {why}",
                        o.failed.len()
                    ),
                });
            }
            Ok(o) => {
                let text = match &confirm.pending {
                    Pending::Decide(d) => {
                        format!("{} {}", o.applied.len(), lang.pick(d.done().0, d.done().1))
                    }
                    Pending::Undo { action, .. } => {
                        format!("{} {action}", lang.pick("annulé :", "undone:"))
                    }
                };
                self.info(text);
                if let Pending::Decide(_) = confirm.pending
                    && let Some(l) = self.list()
                {
                    l.clear_marks();
                }
                self.refresh_all();
            }
        }
    }
}

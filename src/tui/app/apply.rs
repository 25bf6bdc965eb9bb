//! The console's one write path: a change is applied in one transaction
//! through `ops::apply` (decisions by way of `ops::decisions::apply_batch`),
//! and nothing is kept unless every op of it holds.

use super::App;
use crate::ops::decisions::{BatchOutcome, Mode, apply_batch};
use crate::ops::{self, Op};
use crate::tui::model::{Change, Overlay};
use crate::tui::strings;

impl App {
    pub(super) fn apply(&mut self, change: Change) {
        let lang = self.model.lang;
        let Some(actor) = self.model.owner.clone() else {
            return;
        };
        let outcome = self
            .store
            .transaction()
            .map_err(|e| e.message(lang))
            .and_then(|tx| {
                let outcome = match &change {
                    Change::Decide {
                        decision,
                        ids,
                        reason,
                        quiet,
                    } => apply_batch(
                        &tx,
                        &actor,
                        decision,
                        ids,
                        reason.as_deref(),
                        Mode {
                            isolate: false,
                            quiet: *quiet,
                        },
                        lang,
                    ),
                    Change::Undo { op_ids, reason, .. } => {
                        // A batch undoes as a batch: all, or nothing.
                        let mut all = BatchOutcome::default();
                        for op_id in op_ids {
                            let undo = Op::Undo {
                                op_id: op_id.clone(),
                                reason: reason.clone(),
                            };
                            let o = one(&tx, &actor, &undo, op_id, lang);
                            all.applied.extend(o.applied);
                            all.failed.extend(o.failed);
                            if o.storage.is_some() {
                                all.storage = o.storage;
                                break;
                            }
                        }
                        all
                    }
                    Change::QueueSms { op, .. } => one(&tx, &actor, op, "", lang),
                    // A form's ops: one batch, undone together.
                    Change::Ops { ops, .. } => {
                        let batch = (ops.len() > 1).then(|| uuid::Uuid::now_v7().to_string());
                        let mut all = BatchOutcome::default();
                        for op in ops {
                            let meta = ops::OpMeta {
                                batch: batch.clone(),
                                ..ops::OpMeta::now()
                            };
                            match ops::apply_with(&tx, &actor, op, &meta) {
                                Ok(a) => {
                                    all.applied
                                        .push((a.entity_id, String::new(), String::new()))
                                }
                                Err(e) if e.is_storage() => {
                                    all.storage = Some(e.message(lang));
                                    break;
                                }
                                Err(e) => {
                                    all.failed.push((String::new(), e.message(lang)));
                                    break;
                                }
                            }
                        }
                        all
                    }
                };
                if let Some(why) = &outcome.storage {
                    return Err(strings::nothing_changed(lang, why));
                }
                if outcome.failed.is_empty() {
                    tx.commit().map_err(|e| e.to_string())?;
                }
                Ok(outcome)
            });
        let failure = match &outcome {
            Err(e) => Some(e.clone()),
            Ok(o) => o.failed.first().map(|(_, why)| match &change {
                // The composer or the form stays open with what went wrong.
                Change::QueueSms { .. } | Change::Ops { .. } => why.clone(),
                _ => strings::nothing_changed_refused(lang, o.failed.len(), why),
            }),
        };
        if let Some(e) = failure {
            match (&change, &mut self.model.overlay) {
                (Change::QueueSms { .. }, Overlay::Compose(c)) => c.problem = Some(e),
                (Change::Ops { .. }, Overlay::Form(f)) => f.problem = Some(e),
                _ => self.model.error(e),
            }
            return;
        }
        let outcome = outcome.unwrap_or_default();
        let text = match &change {
            Change::Decide { decision, .. } => outcome.counted(decision, lang),
            Change::Undo { action, op_ids, .. } => {
                let what = crate::i18n::values::action_words(action, lang);
                if op_ids.len() > 1 {
                    format!("{} {what} ×{}", strings::UNDONE.get(lang), op_ids.len())
                } else {
                    format!("{} {what}", strings::UNDONE.get(lang))
                }
            }
            Change::Ops { said, .. } => {
                self.model.overlay = Overlay::None;
                said.clone()
            }
            Change::QueueSms {
                group,
                segments,
                recipients,
                ..
            } => {
                self.model.overlay = Overlay::None;
                strings::sms_queued(lang, &crate::text::inline(group), *segments, *recipients)
            }
        };
        self.model.info(text);
        // The marked rows were decided on (or put into a group): marks that
        // stayed would silently carry the next decision to them too.
        if let Change::Decide { .. } | Change::Ops { .. } = change
            && let Some(l) = self.model.list()
        {
            l.clear_marks();
        }
        self.refresh_all();
    }

    pub(super) fn accept_theirs(&mut self, ids: &[String]) -> Result<(), String> {
        let n = crate::replica::outbox::accept_theirs(self.store.conn(), ids)
            .map_err(|e| e.to_string())?;
        if let Some(l) = self.model.list() {
            l.clear_marks();
        }
        self.model
            .info(strings::conflicts_closed(self.model.lang, n));
        self.refresh_all();
        Ok(())
    }
}

/// One op, as a batch of one: its refusal said in the person's language.
fn one(
    tx: &rusqlite::Transaction<'_>,
    actor: &crate::store::Actor,
    op: &Op,
    id: &str,
    lang: crate::i18n::Lang,
) -> BatchOutcome {
    let mut o = BatchOutcome::default();
    match ops::apply(tx, actor, op) {
        Ok(a) => o.applied.push((a.entity_id, String::new(), String::new())),
        Err(e) if e.is_storage() => o.storage = Some(e.message(lang)),
        Err(e) => o.failed.push((id.to_owned(), e.message(lang))),
    }
    o
}

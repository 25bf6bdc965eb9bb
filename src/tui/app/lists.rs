//! Effects on what is shown: moving through paged lists, searching,
//! filtering, opening dialogs with what they need from the replica.

use super::App;
use crate::domain::forum::PostAction;
use crate::ops::decisions::Decision;
use crate::store::entity::Entity;
use crate::store::views;
use crate::tui::keymap::Action;
use crate::tui::model::{Confirm, InputKind, NoticePreview, Overlay, Pending};
use crate::tui::screens::Screen;
use crate::tui::strings;
use crate::tui::worker::{Answer, Request};

impl App {
    pub(super) fn move_cursor(&mut self, action: Action) -> Result<(), String> {
        self.with_list(|list, conn| {
            let page = list.page_len() as isize;
            match action {
                Action::Up => list.move_by(conn, -1),
                Action::Down => list.move_by(conn, 1),
                Action::PageUp => list.move_by(conn, -page),
                Action::PageDown => list.move_by(conn, page),
                Action::Top => list.top(conn),
                _ => list.bottom(conn),
            }
        })
        .unwrap_or(Ok(()))
    }

    pub(super) fn mark_all(&mut self) -> Result<(), String> {
        let n = self
            .with_list(|l, conn| l.mark_all(conn))
            .unwrap_or(Ok(0))?;
        self.model
            .info(strings::marked_by_filter(self.model.lang, n));
        Ok(())
    }

    /// A search: on the worker when the screen has one (large lists), else here.
    pub(super) fn search(&mut self, text: String) -> Result<(), String> {
        let m = &mut self.model;
        let filters = m.page().searched().map(|l| l.search_filters(&text));
        if let (Some(worker), Some(filters)) = (&self.worker, filters) {
            m.search_generation += 1;
            worker.send(Request {
                generation: m.search_generation,
                screen: m.screen,
                filters,
                page_size: crate::tui::list::PAGE,
                count_cap: crate::tui::list::COUNT_CAP,
            });
            m.searching = Some(text);
            return Ok(());
        }
        self.with_list(|l, conn| l.set_search(conn, &text))
            .unwrap_or(Ok(()))
    }

    /// The worker's answer, shown if it answers the newest search: in the
    /// list that asked, even if the person has moved to another screen since.
    pub(super) fn searched(&mut self, answer: Answer) {
        if answer.generation() != self.model.search_generation {
            return;
        }
        if let Answer::Counted(_, screen, filters, total) = answer {
            if let Some(list) = self.model.page_of(screen).searched() {
                list.counted(&filters, total);
            }
            return;
        }
        let text = self.model.searching.take().unwrap_or_default();
        let taken = match self.model.page_of(answer.screen()).searched() {
            Some(list) => list.take(text, answer),
            None => Ok(()),
        };
        if let Err(e) = taken {
            self.model.error(e);
        }
        self.settle();
    }

    pub(super) fn filter(
        &mut self,
        text: String,
        note: Option<String>,
        typed: bool,
    ) -> Result<(), String> {
        let lang = self.model.lang;
        let result = self
            .with_list(|l, conn| l.set_filter(conn, &text, lang))
            .unwrap_or(Ok(()));
        match result {
            Ok(()) => {
                // A filter error goes once the filter is fixed.
                if self.model.message.as_ref().is_some_and(|m| m.error) {
                    self.model.message = None;
                }
                // Nothing matches: say why when the filter can.
                if typed && let Some(why) = self.model.list().and_then(|l| l.explain_empty(lang)) {
                    self.model.info(why);
                    return Ok(());
                }
                if let Some(note) = note {
                    self.model.info(note);
                }
                Ok(())
            }
            Err(e) if typed => {
                let lang = self.model.lang;
                self.model
                    .error(lang.labelled(strings::FILTER_WORD.get(lang), e));
                self.model.overlay = Overlay::Input {
                    kind: InputKind::Filter,
                    text,
                };
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The confirmation dialog for a decision on `ids`.
    pub(super) fn ask(&mut self, decision: Decision, ids: Vec<String>) -> Result<(), String> {
        let hidden = self
            .with_list(|l, conn| l.marks_hidden(conn))
            .unwrap_or_default();
        // Taken on the posts' authors (or threads), each once.
        let ids = match decision.from_posts() {
            Some(column) if self.model.screen == Screen::Forum => {
                views::of_posts(self.store.conn(), column, &ids).map_err(|e| e.to_string())?
            }
            _ => ids,
        };
        // Authors or threads already where the decision would take them are
        // left out (said in the dialog); none left, no dialog.
        let before = ids.len();
        let ids = match &decision {
            Decision::Citizen { action, .. } => {
                let from: Vec<String> = action
                    .allowed_from()
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect();
                views::in_states(self.store.conn(), "citizens", &ids, &from)
                    .map_err(|e| e.to_string())?
            }
            Decision::Lock(locked) => {
                let from = vec![if *locked { "0" } else { "1" }.to_owned()];
                views::in_states(self.store.conn(), "forum_threads", &ids, &from)
                    .map_err(|e| e.to_string())?
            }
            _ => ids,
        };
        if ids.is_empty() {
            return Err(strings::already_so(self.model.lang, &decision));
        }
        let left_out = before - ids.len();
        // A claim is one key, no dialog: taken, or handed back when every
        // chosen record is already this person's.
        if let Decision::Claim(entity, _) = decision {
            let me = self
                .model
                .owner
                .as_ref()
                .map(|o| o.login.clone())
                .unwrap_or_default();
            let mine = views::claimed_by_all(self.store.conn(), &ids, &me);
            self.apply(crate::tui::model::Change::Decide {
                decision: Decision::Claim(entity, !mine),
                ids,
                reason: None,
                quiet: false,
            });
            return Ok(());
        }
        let facts = match &decision {
            Decision::ApproveSms => self.sms_approval_facts(&ids)?,
            Decision::Citizen { hide_posts, .. } => {
                let (names, visible) = views::authors(self.store.conn(), &ids, 3);
                strings::authors_fact(
                    self.model.lang,
                    &names
                        .iter()
                        .map(|n| crate::text::inline(n))
                        .collect::<Vec<_>>(),
                    ids.len().saturating_sub(names.len()),
                    if *hide_posts { visible } else { -1 },
                )
            }
            Decision::Lock(_) => {
                let (titles, _) = views::threads(self.store.conn(), &ids, 3);
                strings::authors_fact(
                    self.model.lang,
                    &titles
                        .iter()
                        .map(|n| crate::text::inline(n))
                        .collect::<Vec<_>>(),
                    ids.len().saturating_sub(titles.len()),
                    -1,
                )
            }
            _ => Vec::new(),
        };
        let mut facts = facts;
        if left_out > 0 {
            facts.push(strings::left_out(self.model.lang, left_out, &decision));
        }
        let durations: Vec<String> = match &decision {
            Decision::Citizen {
                action: crate::domain::forum::CitizenAction::Mute,
                hide_posts,
                ..
            } => {
                let mut d: Vec<String> = strings::MUTE_LENGTHS
                    .iter()
                    .map(|t| t.get(self.model.lang).to_owned())
                    .collect();
                if *hide_posts {
                    d.push(strings::BAN_LENGTH.get(self.model.lang).to_owned());
                }
                d
            }
            _ => Vec::new(),
        };
        // The notice the first record's person would get, in the console's
        // language, from the templates the hub sent.
        let lang = self.model.lang;
        let conn = self.store.conn();
        let notice = match (decision.notice_kind(), ids.first()) {
            (Some(kind), Some(id)) => crate::store::notices::template(conn, kind, lang)
                .ok()
                .flatten()
                .map(|template| NoticePreview {
                    template,
                    vars: crate::store::notices::record_vars(conn, decision.entity(), id)
                        .unwrap_or_default(),
                }),
            _ => None,
        };
        // The usual reasons (the team's, from the config, or the
        // catalogue's), and the flags' own when every post agrees.
        let presets = if decision.needs_reason() {
            self.model
                .reasons
                .get(&decision.action_key())
                .cloned()
                .unwrap_or_else(|| strings::usual_reasons(&decision, lang))
        } else {
            Vec::new()
        };
        let agreed = match decision {
            Decision::Moderate(PostAction::Hide | PostAction::Remove) => {
                agreed_flag_reason(conn, &ids, lang)
            }
            _ => None,
        };
        let mut confirm = Confirm::new(Pending::Decide(decision), ids, hidden);
        confirm.notice = notice.map(Box::new);
        confirm.presets = presets;
        confirm.reason = agreed.unwrap_or_default();
        confirm.facts = facts;
        confirm.duration = durations.first().cloned();
        confirm.durations = durations;
        self.model.overlay = Overlay::Confirm(Box::new(confirm));
        Ok(())
    }

    /// Marks the posts this list shows with the same text as `post_id`, and
    /// says how many copies its filter leaves out.
    pub(super) fn same_text(&mut self, post_id: &str) -> Result<(), String> {
        let lang = self.model.lang;
        let copies = views::same_text(self.store.conn(), post_id).map_err(|e| match e {
            views::SameTextError::NoText => strings::NO_TEXT_TO_COMPARE.get(lang).to_owned(),
            other => other.to_string(),
        })?;
        let marked = self
            .with_list(|l, conn| l.mark_ids(conn, &copies))
            .unwrap_or(Ok(0))?;
        self.model.info(strings::same_text_marked(
            lang,
            marked,
            copies.len() - marked.min(copies.len()),
        ));
        Ok(())
    }

    /// What approving these SMS does — recipients × segments and who wrote
    /// each — or, before any dialog, why it cannot be done: one's own
    /// messages need a colleague's approval (the rule `ops::apply` enforces).
    fn sms_approval_facts(&self, ids: &[String]) -> Result<Vec<String>, String> {
        let lang = self.model.lang;
        let me = self.model.owner.as_ref().map(|o| o.login.clone());
        let conn = self.store.conn();
        let mut facts = Vec::new();
        let mut own = 0;
        for id in ids {
            let row = conn
                .query_row(
                    "SELECT m.body, g.name, m.recipients, m.segments, m.created_by,
                            coalesce((SELECT display_name FROM staff WHERE login = m.created_by), m.created_by)
                     FROM sms_messages m JOIN sms_groups g ON g.id = m.group_id WHERE m.id = ?1",
                    [id],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                        ))
                    },
                )
                .map_err(|e| e.to_string())?;
            let (body, group, recipients, segments, author, author_name) = row;
            if Some(&author) == me.as_ref() {
                own += 1;
            }
            if facts.len() < 3 {
                facts.push(strings::sms_approval_fact(
                    lang,
                    &crate::text::truncate(&crate::text::inline(&body), 30),
                    &crate::text::inline(&group),
                    recipients,
                    segments,
                    &crate::text::inline(&author_name),
                ));
            }
        }
        if ids.len() > 3 {
            facts.push(strings::and_more(lang, ids.len() - 3));
        }
        if own > 0 {
            return Err(strings::own_sms(lang, own, ids.len()));
        }
        Ok(facts)
    }

    /// Offers to undo this person's latest decision that has not been synced
    /// (on this screen's kind of record, or any on other screens). Pressed
    /// again, it offers the one before, and so on.
    pub(super) fn ask_undo(&mut self, entities: &'static [&'static str]) -> Result<(), String> {
        let lang = self.model.lang;
        let login = self
            .model
            .owner
            .as_ref()
            .map(|o| o.login.clone())
            .unwrap_or_default();
        let (op_id, mut action, entity, record) =
            views::undo_candidate(self.store.conn(), entities, &login)
                .ok_or(strings::NOTHING_TO_UNDO.get(lang))?;
        // What created a record is not undone: said now, with what to do
        // instead, rather than refused after the dialog.
        match action.as_str() {
            "sms.queue" => return Err(strings::UNDO_SMS_INSTEAD.get(lang).into()),
            "enrollment.apply" | "sms.contact" | "note.add" | "enrollment.leader" | "staff.add" => {
                return Err(strings::UNDO_CREATION_INSTEAD.get(lang).into());
            }
            _ => {}
        }
        // Decided in a batch: the whole batch comes back, together.
        let batch = views::undo_batch(self.store.conn(), &op_id, &login);
        let (op_ids, records): (Vec<String>, Vec<String>) = if batch.len() > 1 {
            batch.into_iter().unzip()
        } else {
            (vec![op_id], vec![record.clone()])
        };
        let label = if records.len() > 1 {
            // A batch is named by what it began with (a sanction, then the
            // posts it hid).
            if let Some(first) = op_ids.first()
                && let Ok(a) = self.store.conn().query_row(
                    "SELECT action FROM audit_log WHERE id = ?1",
                    [first],
                    |r| r.get::<_, String>(0),
                )
            {
                action = a;
            }
            strings::undo_batch_label(lang, records.len())
        } else {
            views::record_label(self.store.conn(), Some(&entity), &record)
        };
        self.model.overlay = Overlay::Confirm(Box::new(Confirm::new(
            Pending::Undo {
                op_ids,
                action,
                label,
            },
            records,
            0,
        )));
        Ok(())
    }

    /// Opens the conflict's record on its screen, filtered to it, so the
    /// person decides again with a normal op (which closes the conflict).
    pub(super) fn open_conflict(&mut self, op_id: &str) -> Result<(), String> {
        let (entity, id) =
            views::conflict_record(self.store.conn(), op_id).map_err(|e| e.to_string())?;
        let note = strings::CONFLICT_RECORD_SHOWN.get(self.model.lang);
        self.open_on_its_screen(&entity, &id, note)
    }

    /// The record a Journal entry is about, on its screen: there the
    /// opposite decision (restore, reinstate…) reverts an older one.
    pub(super) fn open_audited(&mut self, entry: &str) -> Result<(), String> {
        let (entity, id): (String, String) = self
            .store
            .conn()
            .query_row(
                "SELECT entity, entity_id FROM audit_log WHERE id = ?1",
                [entry],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| e.to_string())?;
        let note = strings::AUDITED_RECORD_SHOWN.get(self.model.lang);
        self.open_on_its_screen(&entity, &id, note)
    }

    fn open_on_its_screen(&mut self, entity: &str, id: &str, note: &str) -> Result<(), String> {
        let lang = self.model.lang;
        let Some(screen) = Entity::parse(entity).and_then(Screen::of) else {
            return Err(strings::no_screen_for(lang, entity, id));
        };
        self.model.screen = screen;
        // Its main list (the record may not be in another view's).
        self.model.page().set_view(crate::tui::screens::View::Main);
        self.model.detail_focus = false;
        self.refresh_all();
        self.filter(format!("id={id}"), Some(note.into()), false)
    }

    pub(super) fn open_composer(&mut self, group: Option<&str>) -> Result<(), String> {
        let composer = crate::tui::composer::Composer::open(self.store.conn(), group)?;
        if composer.groups.is_empty() {
            return Err(strings::NO_SMS_GROUP.get(self.model.lang).into());
        }
        self.model.overlay = Overlay::Compose(Box::new(composer));
        Ok(())
    }

    pub(super) fn open_resend(&mut self, message_id: &str) -> Result<(), String> {
        let composer =
            crate::tui::composer::Composer::resend(self.store.conn(), message_id, self.model.lang)?;
        self.model.overlay = Overlay::Compose(Box::new(composer));
        Ok(())
    }
}

/// The reason the flags give, when the most frequent open flag of every post
/// (up to 50 looked at) is the same: it fills the reason, in words.
fn agreed_flag_reason(
    conn: &rusqlite::Connection,
    ids: &[String],
    lang: crate::i18n::Lang,
) -> Option<String> {
    use crate::i18n::values::Worded;
    let mut agreed: Option<String> = None;
    for id in ids.iter().take(50) {
        let top = views::open_flags(conn, id).into_iter().next()?.0;
        match &agreed {
            Some(a) if *a != top => return None,
            _ => agreed = Some(top),
        }
    }
    let reason: crate::domain::forum::FlagReason = agreed?.parse().ok()?;
    if reason == crate::domain::forum::FlagReason::Other {
        return None;
    }
    Some(crate::text::capitalise(reason.word(lang)))
}

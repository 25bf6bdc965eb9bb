//! Decisions from the console: what an action means on the current screen,
//! and the confirmation dialog's answer. Applying is the runner's.

use super::{Change, Confirm, Effect, Model, Overlay, Pending};
use crate::domain::forum::CitizenAction;
use crate::ops::decisions::Decision;
use crate::tui::keymap::Action;
use crate::tui::strings;

impl Model {
    /// A decision key: the rows it would apply to, to be confirmed.
    pub(super) fn ask(&mut self, action: Action) -> Result<Vec<Effect>, String> {
        let lang = self.lang;
        let decision = self
            .page_ref()
            .decision(action)
            .or_else(|| worked(action, self.screen))
            .ok_or(strings::NOT_ON_THIS_SCREEN.get(lang))?;
        if self.owner.is_none() {
            return Err(strings::NO_OWNER_NO_DECISIONS.get(lang).into());
        }
        let ids = self.list().map(|l| l.targets()).unwrap_or_default();
        if ids.is_empty() {
            return Err(strings::NO_ROW_SELECTED.get(lang).into());
        }
        Ok(vec![Effect::Ask { decision, ids }])
    }

    /// Enter in the confirmation dialog: the change to apply, or the dialog
    /// again with what is missing.
    pub(super) fn confirmed(&mut self, mut confirm: Confirm) -> Vec<Effect> {
        let needs_reason = match &confirm.pending {
            Pending::Decide(d) => d.needs_reason(),
            Pending::Undo { .. } => false,
        };
        if needs_reason && confirm.reason.trim().is_empty() {
            confirm.problem = Some(
                match &confirm.pending {
                    Pending::Decide(Decision::Note(_)) => strings::NOTE_IS_EMPTY,
                    _ => strings::A_REASON_IS_REQUIRED,
                }
                .get(self.lang)
                .to_owned(),
            );
            self.overlay = Overlay::Confirm(Box::new(confirm));
            return Vec::new();
        }
        if self.owner.is_none() {
            return Vec::new();
        }
        // A reason (or a note) that cannot hold keeps the dialog open, with
        // what was typed and why.
        if let Err(e) = crate::ops::plain("reason", confirm.reason.trim(), crate::ops::MAX_REASON) {
            confirm.problem = Some(e.message(self.lang));
            self.overlay = Overlay::Confirm(Box::new(confirm));
            return Vec::new();
        }
        // A mute's length as typed (or, for a sanction, a ban).
        if let (
            Pending::Decide(Decision::Citizen {
                action,
                hours,
                hide_posts,
            }),
            Some(typed),
        ) = (&mut confirm.pending, &confirm.duration)
        {
            let folded = crate::text::fold(typed.trim());
            if *hide_posts && BAN_WORDS.contains(&folded.as_str()) {
                *action = CitizenAction::Ban;
                *hours = None;
            } else {
                match crate::ops::decisions::parse_mute(typed, self.lang) {
                    Ok(h) => *hours = Some(h),
                    Err(e) => {
                        confirm.problem = Some(e);
                        confirm.on_duration = true;
                        self.overlay = Overlay::Confirm(Box::new(confirm));
                        return Vec::new();
                    }
                }
            }
        }
        let reason = Some(confirm.reason.trim().to_owned()).filter(|r| !r.is_empty());
        let change = match confirm.pending {
            Pending::Decide(decision) => Change::Decide {
                quiet: confirm.notice.is_some() && !confirm.notify,
                decision,
                ids: confirm.ids,
                reason,
            },
            Pending::Undo { op_ids, action, .. } => Change::Undo {
                op_ids,
                action,
                reason,
            },
        };
        vec![Effect::Apply(change)]
    }
}

/// What typed as a sanction's length means a ban.
pub const BAN_WORDS: [&str; 5] = ["bannir", "banni", "ban", "definitif", "permanent"];

/// Claims and notes, on any screen whose rows are records staff work on
/// (the forum's note on the author goes to the post's author).
fn worked(action: Action, screen: crate::tui::screens::Screen) -> Option<Decision> {
    use crate::store::entity::Entity;
    let entity = screen.entity().filter(|e| Entity::NOTED.contains(e))?;
    Some(match action {
        Action::Claim => Decision::Claim(entity.name(), true),
        Action::AddNote => Decision::Note(entity.name()),
        Action::NoteAuthor if entity == Entity::ForumPost => Decision::Note("citizen"),
        _ => return None,
    })
}

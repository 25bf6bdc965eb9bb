//! Forum: the moderation queue of flagged posts.

use ratatui::layout::Constraint;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use rusqlite::Connection;

use super::{Meta, Page, Screen, on_platform, opt, worked_lines};
use crate::domain::forum::{CitizenAction, PostAction};
use crate::i18n::Lang;
use crate::i18n::values::Worded;
use crate::ops::decisions::Decision;
use crate::store::entity::Entity;
use crate::store::query::ListKind;
use crate::store::rows::{Post, QueuedPost};
use crate::text::inline;
use crate::tui::keymap::{Action, Section};
use crate::tui::list::{ListScreen, ListView, ScreenRow, SearchedList, body, field, warning};
use crate::tui::strings::{self, Text};
use crate::tui::theme::Theme;

impl ScreenRow for Post {
    const LIST: ListKind = ListKind::Forum;

    fn id(&self) -> &str {
        &self.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        &[
            (strings::COL_STATUS, Constraint::Length(8)),
            (strings::COL_FLAGS, Constraint::Length(13)),
            (strings::COL_AUTHOR, Constraint::Length(16)),
            (strings::COL_POST, Constraint::Min(12)),
        ]
    }

    fn cells(&self, lang: Lang, _now: jiff::Timestamp) -> Vec<String> {
        vec![
            self.status.word(lang).to_owned(),
            match (self.flag_count, self.top_flag) {
                (0, _) => String::new(),
                (n, Some(reason)) => format!("{n} {}", reason.short_word(lang)),
                (n, None) => n.to_string(),
            },
            inline(&self.author_name),
            inline(&self.body),
        ]
    }

    /// Reading first: the post's text, then one line of who, when and why
    /// it is here, then the rest.
    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        let mut out = body(&self.body);
        let record = crate::store::views::author_record(conn, &self.author_id);
        let mut standing = crate::i18n::values::word_of::<crate::domain::forum::CitizenStatus>(
            &record.status,
            lang,
        );
        if let (Some(until), "muted") = (&record.muted_until, record.status.as_str()) {
            // A mute that has run out is said so: they can post again.
            let over = until.parse::<jiff::Timestamp>().is_ok_and(|u| u <= now);
            standing = format!(
                "{standing} {} {}",
                if over {
                    lang.pick("— terminé le", "— ended")
                } else {
                    lang.pick("jusqu'au", "until")
                },
                crate::time::short(until)
            );
        }
        let author = strings::author_brief(
            lang,
            inline(&self.author_name),
            standing,
            record.posts,
            record.taken_down,
        );
        let mut facts = vec![
            Span::styled(author, theme.header),
            Span::styled(
                format!(
                    " · {} · {}",
                    crate::time::short(&self.created_at),
                    self.status.word(lang)
                ),
                theme.dim,
            ),
        ];
        let flags = crate::store::views::open_flags(conn, &self.id);
        if !flags.is_empty() {
            let list: Vec<String> = flags
                .iter()
                .map(|(r, n)| {
                    format!(
                        "{} ×{n}",
                        crate::i18n::values::word_of::<crate::domain::forum::FlagReason>(r, lang)
                    )
                })
                .collect();
            facts.push(Span::styled(
                format!(" · ⚠ {}", list.join(", ")),
                theme.warning.add_modifier(Modifier::BOLD),
            ));
        }
        out.push(Line::default());
        out.push(Line::from(facts));
        // The author's past: the latest decisions on them.
        for (at, action, reason) in &record.decisions {
            let line = crate::i18n::sentences::with_reason(
                format!(
                    "{} {}",
                    crate::time::short(at),
                    crate::i18n::values::action_words(action, lang)
                ),
                reason.as_deref(),
                lang,
            );
            out.push(Line::styled(format!("  {line}"), theme.dim));
        }
        // Who took it in hand; notes on the post, then on its author.
        out.extend(worked_lines(conn, lang, theme, now, &self.id, None));
        out.extend(worked_lines(
            conn,
            lang,
            theme,
            now,
            &self.author_id,
            Some(strings::OF_THE_AUTHOR.get(lang)),
        ));
        if let Some(word) = &self.watched_word {
            let did = match self.watched_action.as_deref() {
                Some("hold") => strings::WORD_HELD.get(lang),
                Some("reject") => strings::WORD_REJECTED.get(lang),
                _ => strings::WORD_FLAGGED.get(lang),
            };
            out.push(warning(
                theme,
                match lang {
                    Lang::Fr => format!("Mot surveillé : « {} » — {did}", inline(word)),
                    Lang::En => format!("Watched word: \"{}\" — {did}", inline(word)),
                },
            ));
        }
        if let Some(by) = &self.moderated_by {
            out.push(field(
                theme,
                lang,
                strings::MODERATED_BY.get(lang),
                format!("{by} — {}", opt(&self.reason)),
            ));
        }
        out.push(Line::default());
        out.push(field(
            theme,
            lang,
            strings::THREAD.get(lang),
            if crate::store::views::thread_locked(conn, &self.thread_id) {
                format!(
                    "{} — {}",
                    inline(&self.thread_title),
                    lang.pick("verrouillé", "locked")
                )
            } else {
                inline(&self.thread_title)
            },
        ));
        out.push(field(
            theme,
            lang,
            strings::POSTED.get(lang),
            crate::time::long(&self.created_at, lang),
        ));
        out.push(field(theme, lang, "id", self.id.clone()));
        out.extend(on_platform(theme, lang, "post", &self.platform_id));
        out
    }
}

impl ScreenRow for QueuedPost {
    const LIST: ListKind = ListKind::Forum;

    fn id(&self) -> &str {
        &self.post.id
    }

    fn columns() -> &'static [(Text, Constraint)] {
        Post::columns()
    }

    fn cells(&self, lang: Lang, _now: jiff::Timestamp) -> Vec<String> {
        self.post.cells(lang, _now)
    }

    fn detail(
        &self,
        conn: &Connection,
        lang: Lang,
        theme: &Theme,
        _now: jiff::Timestamp,
    ) -> Vec<Line<'static>> {
        self.post.detail(conn, lang, theme, _now)
    }
}

#[rustfmt::skip]
pub static META: Meta = Meta {
    title: strings::FORUM_TITLE, short_title: strings::FORUM_TITLE, section: Section::Forum, switch: Action::ScreenForum, entity: Some(Entity::ForumPost),
    hints: &[Action::Hide, Action::Remove, Action::SameText, Action::PenaliseAuthor, Action::Restore, Action::Dismiss, Action::MuteAuthor, Action::Mark, Action::MarkAll, Action::Search, Action::Filter, Action::Help],
};

/// The moderation queue, the forum list's first filter.
const QUEUE: &str = "flagged=yes status=visible";

pub struct Forum {
    list: ListView<QueuedPost>,
}

impl Default for Forum {
    fn default() -> Forum {
        Forum {
            list: ListView::new(strings::FORUM_POSTS_TITLE, QUEUE).named(&[
                (QUEUE, strings::MODERATION_QUEUE_TITLE),
                ("held=yes", strings::HELD_POSTS_TITLE),
            ]),
        }
    }
}

impl Page for Forum {
    fn screen(&self) -> Screen {
        Screen::Forum
    }

    fn list(&mut self) -> Option<&mut dyn ListScreen> {
        Some(&mut self.list)
    }

    fn decision(&self, action: Action) -> Option<Decision> {
        Some(match action {
            Action::Hide => Decision::Moderate(PostAction::Hide),
            Action::Remove => Decision::Moderate(PostAction::Remove),
            Action::Restore => Decision::Moderate(PostAction::Restore),
            Action::Dismiss => Decision::DismissFlags,
            Action::MuteAuthor => author(CitizenAction::Mute, false),
            Action::BanAuthor => author(CitizenAction::Ban, false),
            Action::ReinstateAuthor => author(CitizenAction::Reinstate, false),
            // A day's silence by default; the dialog changes it (or to a ban).
            Action::PenaliseAuthor => author(CitizenAction::Mute, true),
            Action::LockThread => Decision::Lock(true),
            Action::UnlockThread => Decision::Lock(false),
            _ => return None,
        })
    }

    fn searched(&mut self) -> Option<&mut dyn SearchedList> {
        Some(&mut self.list)
    }
}

/// A decision on the authors of the chosen posts (a mute starts at a day).
fn author(action: CitizenAction, hide_posts: bool) -> Decision {
    Decision::Citizen {
        action,
        hours: (action == CitizenAction::Mute).then_some(24),
        hide_posts,
    }
}

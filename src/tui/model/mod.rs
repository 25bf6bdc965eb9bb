//! The console's model and its update: keys become actions (through the
//! keymap), and `update` changes what lives in memory and returns the
//! effects that need the database or a thread — apply a decision, move
//! through a paged list, run a search, start a sync, fetch a file. The model
//! holds no database and starts no thread, so its tests need neither; the
//! runner (`tui::app`) carries effects out and feeds what comes back (search
//! answers, sync news, fetched files) through one channel.

mod compose;
pub(crate) mod decide;
mod input;

pub(crate) use input::edit_line;
#[cfg(test)]
mod tests;

use crate::i18n::Lang;
use crate::ops::Op;
use crate::ops::decisions::Decision;
use crate::store::Actor;
use crate::tui::keymap::{Action, Key, Keymap, KeymapError};
use crate::tui::list::ListScreen;
use crate::tui::screens::{Page, Screen, View};
use crate::tui::strings;
use crate::tui::theme::Theme;

/// How long typing must pause before the list narrows to the search.
pub const SEARCH_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(120);

/// What a confirmation dialog will do.
pub enum Pending {
    Decide(Decision),
    /// Undo one op, or the batch it was decided in (their ids, the audit
    /// action name, and what it was about).
    Undo {
        op_ids: Vec<String>,
        action: String,
        label: String,
    },
}

/// A decision waiting for the person's confirmation (and reason).
pub struct Confirm {
    pub pending: Pending,
    pub ids: Vec<String>,
    pub hidden: usize,
    pub reason: String,
    pub problem: Option<String>,
    /// What the person it affects will be told (filled with the reason as
    /// it is typed), for the first record.
    pub notice: Option<Box<NoticePreview>>,
    /// Whether they are told (the moderator may choose not to).
    pub notify: bool,
    /// The usual reasons, picked with a digit while the reason is empty.
    pub presets: Vec<String>,
    /// What the decision will do, in lines (an SMS approval: who gets it,
    /// how many SMS, who wrote it).
    pub facts: Vec<String>,
    /// A mute's length as typed (`24h`, `7j`…; "bannir" when the sanction
    /// may be a ban), when the decision takes one.
    pub duration: Option<String>,
    /// The lengths ←/→ go through.
    pub durations: Vec<String>,
    /// Typing goes to the length rather than the reason (↑/↓ switch).
    pub on_duration: bool,
}

/// A notice's template and the record's facts, without the reason yet.
pub struct NoticePreview {
    pub template: String,
    pub vars: crate::store::notices::Vars,
}

impl Confirm {
    /// A new dialog, with no reason typed and the person notified.
    pub fn new(pending: Pending, ids: Vec<String>, hidden: usize) -> Confirm {
        Confirm {
            pending,
            ids,
            hidden,
            reason: String::new(),
            problem: None,
            notice: None,
            notify: true,
            presets: Vec::new(),
            facts: Vec::new(),
            duration: None,
            durations: Vec::new(),
            on_duration: false,
        }
    }

    /// The decision as it would be taken now: a penalty whose length reads
    /// "bannir" is a ban.
    pub fn as_decided(&self) -> Option<Decision> {
        let Pending::Decide(d) = &self.pending else {
            return None;
        };
        match (d, &self.duration) {
            (
                Decision::Citizen {
                    hide_posts: true, ..
                },
                Some(typed),
            ) if decide::BAN_WORDS.contains(&crate::text::fold(typed.trim()).as_str()) => {
                Some(Decision::Citizen {
                    action: crate::domain::forum::CitizenAction::Ban,
                    hours: None,
                    hide_posts: true,
                })
            }
            _ => Some(d.clone()),
        }
    }

    /// The next (or previous) usual length.
    pub fn cycle_duration(&mut self, forward: bool) {
        let Some(current) = &self.duration else {
            return;
        };
        let n = self.durations.len();
        if n == 0 {
            return;
        }
        let at = self.durations.iter().position(|d| d == current);
        let next = match (at, forward) {
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
            (None, _) => 0,
        };
        self.duration = Some(self.durations[next].clone());
        self.problem = None;
    }

    /// The notice as it would go out now.
    pub fn notice_text(&self, lang: crate::i18n::Lang) -> Option<String> {
        let n = self.notice.as_ref()?;
        // Until a reason is typed, its place is shown.
        let reason = match self.reason.trim() {
            "" => lang.pick("[motif]", "[reason]").to_owned(),
            r => r.to_owned(),
        };
        // A sanction turned into a ban is told with the ban's own notice,
        // which this preview does not hold.
        if let Some(d) = &self.duration
            && crate::tui::model::decide::BAN_WORDS.contains(&crate::text::fold(d.trim()).as_str())
        {
            return None;
        }
        let now = jiff::Timestamp::now();
        // A mute's end, from the length as typed.
        let until = self
            .duration
            .as_deref()
            .and_then(|d| crate::ops::decisions::parse_mute(d, lang).ok())
            .map(|h| crate::time::format(now + jiff::SignedDuration::from_hours(i64::from(h))));
        let vars = crate::store::notices::Vars {
            reason: Some(reason),
            until: until.or_else(|| n.vars.until.clone()),
            ..n.vars.clone()
        };
        Some(crate::store::notices::render(&n.template, &vars, lang, now))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Search,
    Filter,
}

pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    /// The last messages, newest first.
    Messages {
        scroll: u16,
    },
    Palette {
        input: String,
        selected: usize,
    },
    Input {
        kind: InputKind,
        text: String,
    },
    Confirm(Box<Confirm>),
    Compose(Box<crate::tui::composer::Composer>),
    Form(Box<crate::tui::form::Form>),
}

/// A message for the person. Errors take the hint line until dismissed
/// (Esc); other news takes it for `NEWS_SHOWN`, then stays at the end of the
/// status bar (where a narrow terminal may not have room for it).
pub struct Message {
    pub text: String,
    pub error: bool,
    pub at: std::time::Instant,
    /// News that gave the hint line back.
    pub faded: bool,
}

/// Messages kept for the messages window.
pub const LOG_KEPT: usize = 20;

/// How long news holds the hint line.
pub const NEWS_SHOWN: std::time::Duration = std::time::Duration::from_secs(8);

impl Message {
    pub fn new(text: impl Into<String>, error: bool) -> Message {
        Message {
            text: text.into(),
            error,
            at: std::time::Instant::now(),
            faded: false,
        }
    }

    /// Whether it holds the hint line now.
    pub fn on_hint_line(&self) -> bool {
        self.error || !self.faded
    }
}

/// A change to data, applied by the runner in one transaction through
/// `ops::apply` (the only path that writes).
#[derive(Debug)]
pub enum Change {
    /// A decision on the records `ids`.
    Decide {
        decision: Decision,
        ids: Vec<String>,
        reason: Option<String>,
        /// The people affected are not told.
        quiet: bool,
    },
    /// Undo of ops not yet synced (one decision, or one batch), together.
    Undo {
        op_ids: Vec<String>,
        action: String,
        reason: Option<String>,
    },
    /// What a form records: its ops, applied together as one batch, and
    /// what to say once they hold.
    Ops { ops: Vec<Op>, said: String },
    /// An SMS put in the queue from the composer.
    QueueSms {
        op: Box<Op>,
        group: String,
        segments: u32,
        recipients: i64,
    },
}

/// Work `update` asks for and the runner does (it needs the database or a
/// thread).
#[derive(Debug)]
pub enum Effect {
    /// Re-read what the screen and the status bar show.
    Reload,
    /// Move the list's cursor (`Up`, `Down`, `PageUp`, `PageDown`, `Top`, `Bottom`).
    Move(Action),
    /// Mark every row the filter matches.
    MarkAll,
    /// Narrow the list to this search (on the worker when the screen has one).
    Search(String),
    /// Apply a filter; `note` is said once it holds. A bad filter typed on
    /// the filter line (`typed`) reopens it with the error.
    Filter {
        text: String,
        note: Option<String>,
        typed: bool,
    },
    /// Ask to confirm a decision on these rows (the runner counts the marked
    /// rows the filter now hides).
    Ask {
        decision: Decision,
        ids: Vec<String>,
    },
    /// Offer to undo this person's latest unsynced decision (on one of
    /// `entities`, or any when empty).
    AskUndo {
        entities: &'static [&'static str],
    },
    /// Apply a change.
    Apply(Change),
    /// Keep the hub's version of these conflicts.
    AcceptTheirs(Vec<String>),
    /// Open the record a conflict is about, on its screen.
    OpenConflict(String),
    /// Show the record a Journal entry is about, on its screen.
    OpenAudited(String),
    /// Open the SMS composer (on this group if one is chosen).
    OpenComposer {
        group: Option<String>,
        /// A resend to the numbers this message failed to reach.
        resend: Option<String>,
    },
    StartSync,
    /// Fetch an upload's file into the cache.
    Fetch(String),
    /// Mark every post in the queue with the same text as this one.
    SameText(String),
    /// Open a form (on this organisation).
    OpenForm(FormRequest),
    /// Check a filled form and apply what it records.
    SubmitForm(Box<crate::tui::form::Form>),
}

/// A form to open, and the record it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormRequest {
    Apply,
    Charter(String),
    Leader(String),
    Edit(String),
    NewGroup,
    RenameGroup(String),
    EditContact(String),
    /// Contacts into a group (`true`) or out of one; the group the list is
    /// filtered on, if any, is offered first.
    Members {
        contacts: Vec<String>,
        add: bool,
    },
    AddStaff,
    SetRole(String),
    /// A bundle to write (`true`) or an answer to read: the file is asked.
    Bundle {
        export: bool,
    },
}

/// Everything the console shows and remembers, without a database.
pub struct Model {
    pub lang: Lang,
    pub keymap: Keymap,
    pub theme: Theme,
    pub owner: Option<Actor>,
    pub screen: Screen,
    /// One page per screen, in `Screen::ALL` order.
    pub pages: Vec<Box<dyn Page>>,
    pub overlay: Overlay,
    pub pending_keys: Vec<Key>,
    pub message: Option<Message>,
    /// The last `LOG_KEPT` messages, oldest first: (local time, text, error).
    pub log: std::collections::VecDeque<(String, String, bool)>,
    pub quit: bool,
    pub detail_focus: bool,
    pub pending_ops: i64,
    pub last_sync: Option<String>,
    /// A first fill was cut: lists, searches and counts are incomplete.
    pub fill_unfinished: bool,
    pub conflicts: i64,
    /// The time ages and charts are relative to: the wall clock, unless fixed
    /// (tests and snapshots fix it so the screen does not age).
    pub fixed_now: Option<jiff::Timestamp>,
    /// Search text typed but not yet run, and when it was typed.
    pub pending_search: Option<(String, std::time::Instant)>,
    /// The newest search sent to the worker, and whether its answer is awaited.
    pub search_generation: u64,
    pub searching: Option<String>,
    /// SMS quiet hours (local time), if configured.
    pub quiet_hours: Option<crate::sms::quiet::QuietHours>,
    /// The confirm dialog's reasons by decision, from the config (the
    /// catalogue's own otherwise).
    pub reasons: std::collections::BTreeMap<String, Vec<String>>,
}

impl Model {
    pub fn new(
        lang: Lang,
        keymap: Keymap,
        keymap_errors: &[KeymapError],
        theme: Theme,
        owner: Option<Actor>,
    ) -> Model {
        let mut model = Model {
            lang,
            keymap,
            theme,
            owner,
            screen: Screen::Dashboard,
            pages: crate::tui::screens::pages(),
            overlay: Overlay::None,
            pending_keys: Vec::new(),
            message: None,
            log: Default::default(),
            quit: false,
            detail_focus: false,
            pending_ops: 0,
            last_sync: None,
            fill_unfinished: false,
            conflicts: 0,
            fixed_now: None,
            pending_search: None,
            search_generation: 0,
            searching: None,
            quiet_hours: None,
            reasons: Default::default(),
        };
        if let Some(first) = keymap_errors.first() {
            model.error(strings::keymap_errors(lang, first, keymap_errors.len() - 1));
        }
        model
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.fixed_now.unwrap_or_else(jiff::Timestamp::now)
    }

    /// The current screen's page.
    pub fn page(&mut self) -> &mut dyn Page {
        let i = self.screen.index();
        self.pages[i].as_mut()
    }

    /// A screen's page, shown or not.
    pub fn page_of(&mut self, screen: Screen) -> &mut dyn Page {
        self.pages[screen.index()].as_mut()
    }

    /// The current screen's page, to look at.
    pub fn page_ref(&self) -> &dyn Page {
        self.pages[self.screen.index()].as_ref()
    }

    /// The list the current screen shows, if it has one.
    pub fn list(&mut self) -> Option<&mut dyn ListScreen> {
        self.page().list()
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.say(text.into(), true);
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.say(text.into(), false);
    }

    /// Says `text` on the status line and keeps it in the log `M` shows.
    pub fn say(&mut self, text: String, error: bool) {
        let at = crate::time::brief(&crate::time::format(self.now()), self.now());
        if self.log.len() >= LOG_KEPT {
            self.log.pop_front();
        }
        self.log.push_back((at, text.clone(), error));
        self.message = Some(Message::new(text, error));
    }

    /// News older than `NEWS_SHOWN` gives the hint line back; true when
    /// that happens now (the screen is drawn again).
    pub fn fade(&mut self, now: std::time::Instant) -> bool {
        match &mut self.message {
            Some(m) if !m.error && !m.faded && now.duration_since(m.at) >= NEWS_SHOWN => {
                m.faded = true;
                true
            }
            _ => false,
        }
    }

    /// The search typed but not yet run, now: for the tick after typing
    /// pauses, or Enter.
    fn take_search(&mut self) -> Option<Effect> {
        self.pending_search
            .take()
            .map(|(text, _)| Effect::Search(text))
    }

    /// Runs work that waits for a pause (the search as typed).
    pub fn tick(&mut self, now: std::time::Instant) -> Vec<Effect> {
        match &self.pending_search {
            Some((_, at)) if now.duration_since(*at) >= SEARCH_DEBOUNCE => {
                self.take_search().into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    fn go(&mut self, screen: Screen) -> Vec<Effect> {
        self.screen = screen;
        self.detail_focus = false;
        vec![Effect::Reload]
    }

    /// What an action does: changes to the model, and effects for the runner.
    /// A refusal is said on the status line.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match self.act(action) {
            Ok(effects) => effects,
            Err(e) => {
                self.error(e);
                Vec::new()
            }
        }
    }

    fn act(&mut self, action: Action) -> Result<Vec<Effect>, String> {
        use Action::*;
        let lang = self.lang;
        Ok(match action {
            Quit => {
                self.quit = true;
                vec![]
            }
            Help => {
                self.overlay = Overlay::Help { scroll: 0 };
                vec![]
            }
            Messages => {
                self.overlay = Overlay::Messages { scroll: 0 };
                vec![]
            }
            Palette => {
                self.overlay = Overlay::Palette {
                    input: String::new(),
                    selected: 0,
                };
                vec![]
            }
            ScreenDashboard | ScreenEnrollments | ScreenUploads | ScreenForum | ScreenSms
            | ScreenSync | ScreenJournal => {
                match Screen::ALL.iter().find(|s| s.switch_action() == action) {
                    Some(s) => self.go(*s),
                    None => vec![],
                }
            }
            NextScreen | PrevScreen => {
                let (i, n) = (self.screen.index(), Screen::ALL.len());
                let j = if action == NextScreen {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.go(Screen::ALL[j])
            }
            Up | Down | PageUp | PageDown if self.detail_focus => {
                let delta = match action {
                    Up => -1,
                    Down => 1,
                    PageUp => -10,
                    _ => 10,
                };
                if let Some(l) = self.list() {
                    l.scroll_detail(delta);
                }
                vec![]
            }
            // The detail scrolls while the cursor stays on its row.
            DetailDown | DetailUp => {
                if let Some(l) = self.list() {
                    l.scroll_detail(if action == DetailDown { 3 } else { -3 });
                }
                vec![]
            }
            Up | Down | PageUp | PageDown | Top | Bottom => vec![Effect::Move(action)],
            Search => {
                if !self.page().searchable() {
                    return Err(strings::NO_SEARCH_HERE.get(lang).into());
                }
                // Start from the newest search typed, even if its answer is still coming.
                let text = match self.searching.clone() {
                    Some(t) => t,
                    None => self
                        .list()
                        .map(|l| l.search().to_owned())
                        .unwrap_or_default(),
                };
                self.overlay = Overlay::Input {
                    kind: InputKind::Search,
                    text,
                };
                vec![]
            }
            Filter => {
                if let Some(text) = self.list().map(|l| l.filter_text(lang)) {
                    self.overlay = Overlay::Input {
                        kind: InputKind::Filter,
                        text,
                    };
                }
                vec![]
            }
            Mark => match self.list() {
                Some(l) => {
                    l.toggle_mark();
                    vec![Effect::Move(Down)]
                }
                None => vec![],
            },
            MarkAll => vec![Effect::MarkAll],
            ClearMarks => {
                if let Some(l) = self.list() {
                    l.clear_marks();
                }
                self.message = None;
                self.detail_focus = false;
                vec![]
            }
            NextView => {
                if self.page().next_view() {
                    vec![Effect::Reload]
                } else {
                    vec![]
                }
            }
            Detail | NextPane => {
                self.detail_focus = !self.detail_focus;
                vec![]
            }
            Refresh => vec![Effect::Reload],
            Approve | Reject | RequestChanges | Contacted | Suspend | Reinstate | Hide | Remove
            | Restore | Dismiss | OptOut | OptIn | CancelSms | MuteAuthor | BanAuthor
            | ReinstateAuthor | PenaliseAuthor | LockThread | UnlockThread | Claim | AddNote
            | NoteAuthor => self.ask(action)?,
            NewOrganization | RecordCharter | RecordLeader | EditOrganization => {
                if self.screen != Screen::Enrollments {
                    return Err(strings::NOT_ON_THIS_SCREEN.get(lang).into());
                }
                if self.owner.is_none() {
                    return Err(strings::NO_OWNER_NO_DECISIONS.get(lang).into());
                }
                let request = if action == NewOrganization {
                    FormRequest::Apply
                } else {
                    let id = self.selected().ok_or(strings::NO_ROW_SELECTED.get(lang))?;
                    match action {
                        RecordCharter => FormRequest::Charter(id),
                        RecordLeader => FormRequest::Leader(id),
                        _ => FormRequest::Edit(id),
                    }
                };
                vec![Effect::OpenForm(request)]
            }
            NewGroup | EditSms | ArchiveGroup | AddToGroup | RemoveFromGroup => {
                self.sms_form(action)?
            }
            AddStaff | SetRole | SwitchOff | SwitchOn => self.team(action)?,
            SameText => {
                if self.screen != Screen::Forum {
                    return Err(strings::NOT_ON_THIS_SCREEN.get(lang).into());
                }
                let id = self.selected().ok_or(strings::NO_ROW_SELECTED.get(lang))?;
                vec![Effect::SameText(id)]
            }
            Undo => vec![Effect::AskUndo {
                entities: self.screen.undo_entities(),
            }],
            SyncNow => vec![Effect::StartSync],
            ExportBundle | ImportBundle => {
                if self.screen != Screen::Sync {
                    return Err(strings::NOT_ON_THIS_SCREEN.get(lang).into());
                }
                vec![Effect::OpenForm(FormRequest::Bundle {
                    export: action == ExportBundle,
                })]
            }
            AcceptTheirs => vec![Effect::AcceptTheirs(self.selected_conflicts()?)],
            OpenRecord => self.open_record()?,
            FetchFile => {
                if self.screen != Screen::Uploads {
                    return Err(strings::ON_UPLOADS_SCREEN.get(lang).into());
                }
                let id = self.selected().ok_or(strings::NO_ROW_SELECTED.get(lang))?;
                vec![Effect::Fetch(id)]
            }
            Compose => self.compose()?,
            Resend => self.resend()?,
            Confirm | Cancel | ToggleNotify => vec![],
        })
    }

    /// The row under the cursor, or the first marked row.
    fn selected(&mut self) -> Option<String> {
        self.list()
            .map(|l| l.targets())
            .and_then(|t| t.into_iter().next())
    }

    /// The conflicts chosen on the Synchro screen's conflicts view.
    fn selected_conflicts(&mut self) -> Result<Vec<String>, String> {
        let lang = self.lang;
        if self.screen != Screen::Sync || self.page_ref().view() != View::Conflicts {
            return Err(strings::ON_CONFLICTS_VIEW.get(lang).into());
        }
        let ids = self.list().map(|l| l.targets()).unwrap_or_default();
        if ids.is_empty() {
            return Err(strings::NO_CONFLICT_SELECTED.get(lang).into());
        }
        Ok(ids)
    }

    /// Opens what is behind a row: a group's members, or a conflict's record.
    fn open_record(&mut self) -> Result<Vec<Effect>, String> {
        let lang = self.lang;
        if self.screen == Screen::Sms && self.page_ref().view() == View::SmsGroups {
            // A group's members: the contacts view, filtered to it.
            let group = self
                .selected()
                .ok_or(strings::NO_GROUP_SELECTED.get(lang))?;
            self.page().set_view(View::SmsContacts);
            return Ok(vec![
                Effect::Reload,
                Effect::Filter {
                    text: format!("group={group}"),
                    note: Some(strings::GROUP_MEMBERS_SHOWN.get(lang).into()),
                    typed: false,
                },
            ]);
        }
        if self.screen == Screen::Journal {
            let entry = self.selected().ok_or(strings::NO_ROW_SELECTED.get(lang))?;
            return Ok(vec![Effect::OpenAudited(entry)]);
        }
        let ids = self.selected_conflicts()?;
        Ok(vec![Effect::OpenConflict(ids[0].clone())])
    }
}

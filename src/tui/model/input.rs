//! Keys and the mouse: the keymap turns keys into actions in the normal
//! view; in text fields (search, filter, palette, a reason) keys are typed,
//! and the dialog section's keys (confirm, cancel) act.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::{Effect, InputKind, Model, Overlay};
use crate::tui::keymap::{Action, Key, Lookup, Section};
use crate::tui::strings;

impl Model {
    /// A key press: what it changes, and the effects it asks for.
    pub fn key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return Vec::new();
        }
        let Some(key) = Key::from_event(&ev) else {
            return Vec::new();
        };
        match &mut self.overlay {
            Overlay::None => self.normal_key(key),
            Overlay::Help { scroll } | Overlay::Messages { scroll } => {
                match self
                    .keymap
                    .lookup(&[Section::List, Section::Global], &[key])
                {
                    Lookup::Action(Action::Down) => *scroll = scroll.saturating_add(1),
                    Lookup::Action(Action::Up) => *scroll = scroll.saturating_sub(1),
                    Lookup::Action(Action::PageDown) => *scroll = scroll.saturating_add(10),
                    Lookup::Action(Action::PageUp) => *scroll = scroll.saturating_sub(10),
                    _ => self.overlay = Overlay::None,
                }
                Vec::new()
            }
            Overlay::Compose(_) => self.compose_key(key),
            _ => self.text_key(key),
        }
    }

    /// The wheel moves the cursor; a click selects the row under it
    /// (`list_top`: where the list is drawn).
    pub fn mouse(&mut self, ev: MouseEvent, list_top: u16) -> Vec<Effect> {
        match ev.kind {
            MouseEventKind::ScrollDown => self.update(Action::Down),
            MouseEventKind::ScrollUp => self.update(Action::Up),
            MouseEventKind::Down(_) if matches!(self.overlay, Overlay::None) => {
                // The table starts below its border and header lines.
                if let Some(row) = ev.row.checked_sub(list_top + 2)
                    && let Some(l) = self.list()
                {
                    l.select_visible(usize::from(row));
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn normal_key(&mut self, key: Key) -> Vec<Effect> {
        self.pending_keys.push(key);
        let sections = self.screen.sections();
        match self.keymap.lookup(&sections, &self.pending_keys) {
            Lookup::Pending => Vec::new(),
            Lookup::Action(a) => {
                self.pending_keys.clear();
                self.update(a)
            }
            Lookup::None => {
                let retry = self.pending_keys.len() > 1;
                self.pending_keys.clear();
                if retry {
                    self.normal_key(key)
                } else {
                    Vec::new()
                }
            }
        }
    }

    /// What a key does in a dialog (confirm, cancel), if anything.
    pub(super) fn dialog_action(&self, key: Key) -> Option<Action> {
        match self.keymap.lookup(&[Section::Dialog], &[key]) {
            Lookup::Action(a) => Some(a),
            _ => None,
        }
    }

    fn text_key(&mut self, key: Key) -> Vec<Effect> {
        match self.dialog_action(key) {
            Some(Action::Confirm) => return self.submit(),
            Some(Action::Cancel) => {
                self.overlay = Overlay::None;
                return Vec::new();
            }
            Some(Action::ToggleNotify) => {
                if let Overlay::Confirm(c) = &mut self.overlay
                    && c.notice.is_some()
                {
                    c.notify = !c.notify;
                }
                return Vec::new();
            }
            _ => {}
        }
        use crate::tui::keymap::KeyCodeKey as K;
        match &mut self.overlay {
            Overlay::Palette { input, selected } => match key.code {
                K::Up => *selected = selected.saturating_sub(1),
                K::Down => *selected += 1,
                K::Backspace => {
                    input.pop();
                    *selected = 0;
                }
                K::Char(c) if !key.ctrl && !key.alt => {
                    input.push(c);
                    *selected = 0;
                }
                _ => {}
            },
            Overlay::Input { kind, text } => {
                let changed = match key.code {
                    K::Backspace => text.pop().is_some(),
                    K::Char(c) if !key.ctrl && !key.alt => {
                        text.push(c);
                        true
                    }
                    _ => false,
                };
                // Search narrows as you type, once typing pauses (see `tick`);
                // a filter applies on Enter.
                if changed && *kind == InputKind::Search {
                    self.pending_search = Some((text.clone(), std::time::Instant::now()));
                }
            }
            Overlay::Confirm(c) => match key.code {
                K::Backspace => {
                    c.reason.pop();
                }
                // A digit on an empty reason picks a usual one (then it is
                // text like any other: editable, stored as written).
                K::Char(ch @ '1'..='9')
                    if c.reason.is_empty()
                        && !key.ctrl
                        && !key.alt
                        && (ch as usize - '1' as usize) < c.presets.len() =>
                {
                    c.reason = c.presets[ch as usize - '1' as usize].clone();
                    c.problem = None;
                }
                K::Char(ch) if !key.ctrl && !key.alt => {
                    c.reason.push(ch);
                    c.problem = None;
                }
                _ => {}
            },
            Overlay::Help { .. }
            | Overlay::Messages { .. }
            | Overlay::None
            | Overlay::Compose(_) => {}
        }
        Vec::new()
    }

    /// Enter in a text field or dialog.
    fn submit(&mut self) -> Vec<Effect> {
        let mut effects: Vec<Effect> = self.take_search().into_iter().collect();
        match std::mem::replace(&mut self.overlay, Overlay::None) {
            Overlay::Input {
                kind: InputKind::Filter,
                text,
            } => effects.push(Effect::Filter {
                text,
                note: None,
                typed: true,
            }),
            Overlay::Input {
                kind: InputKind::Search,
                ..
            } => {}
            Overlay::Palette { input, selected } => {
                let choices = self.palette_choices(&input);
                if let Some(action) = choices.get(selected.min(choices.len().saturating_sub(1))) {
                    effects.extend(self.update(action.0));
                }
            }
            Overlay::Confirm(confirm) => effects.extend(self.confirmed(confirm)),
            other => self.overlay = other,
        }
        effects
    }

    /// The actions the palette offers for what was typed: every action bound
    /// on this screen, matched on its name or description.
    pub fn palette_choices(&self, typed: &str) -> Vec<(Action, String, Vec<String>)> {
        let needle = crate::domain::normalise_name(typed);
        self.keymap
            .bindings_for(&self.screen.sections())
            .into_iter()
            .map(|(a, keys)| (a, strings::action(a).get(self.lang).to_owned(), keys))
            .filter(|(a, desc, _)| {
                needle.is_empty()
                    || crate::domain::normalise_name(desc).contains(&needle)
                    || a.as_str().contains(typed.trim())
            })
            .collect()
    }
}

//! Keys in the normal view and in text fields (search, filter, palette,
//! a reason): the keymap turns them into actions or text.

use super::{App, InputKind, Overlay};
use crate::tui::keymap::{Action, Key, Lookup, Section};

impl App {
    pub(super) fn handle_normal(&mut self, key: Key) {
        self.pending_keys.push(key);
        let sections = self.screen.sections();
        match self.keymap.lookup(&sections, &self.pending_keys) {
            Lookup::Pending => {}
            Lookup::Action(a) => {
                self.pending_keys.clear();
                self.update(a);
            }
            Lookup::None => {
                let retry = self.pending_keys.len() > 1;
                self.pending_keys.clear();
                if retry {
                    self.handle_normal(key);
                }
            }
        }
    }

    /// Keys in a text field: the dialog section's keys (confirm, cancel) act,
    /// everything else is typed.
    pub(super) fn handle_text(&mut self, key: Key) {
        let action = match self.keymap.lookup(&[Section::Dialog], &[key]) {
            Lookup::Action(a) => Some(a),
            _ => None,
        };
        match action {
            Some(Action::Confirm) => return self.submit_overlay(),
            Some(Action::Cancel) => {
                self.overlay = Overlay::None;
                return;
            }
            _ => {}
        }
        use crate::tui::keymap::KeyCodeKey as K;
        let lang = self.lang;
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
                K::Char(ch) if !key.ctrl && !key.alt => {
                    c.reason.push(ch);
                    c.problem = None;
                }
                _ => {}
            },
            Overlay::Help { .. } | Overlay::None | Overlay::Compose(_) => {}
        }
        let _ = lang;
    }

    pub(super) fn submit_overlay(&mut self) {
        self.run_pending_search();
        match std::mem::replace(&mut self.overlay, Overlay::None) {
            Overlay::Input {
                kind: InputKind::Filter,
                text,
            } => {
                let result = self
                    .with_list(|l, conn| l.set_filter(conn, &text))
                    .unwrap_or(Ok(()));
                if let Err(e) = result {
                    self.error(format!("{} : {e}", self.lang.pick("filtre", "filter")));
                    self.overlay = Overlay::Input {
                        kind: InputKind::Filter,
                        text,
                    };
                }
            }
            Overlay::Input {
                kind: InputKind::Search,
                ..
            } => {}
            Overlay::Palette { input, selected } => {
                let choices = self.palette_choices(&input);
                if let Some(action) = choices.get(selected.min(choices.len().saturating_sub(1))) {
                    self.update(action.0);
                }
            }
            Overlay::Confirm(confirm) => self.apply_confirmed(confirm),
            other => self.overlay = other,
        }
    }

    /// The actions the palette offers for what was typed: every action bound
    /// on this screen, matched on its name or description.
    pub fn palette_choices(&self, typed: &str) -> Vec<(Action, String, Vec<String>)> {
        let needle = crate::domain::normalise_name(typed);
        self.keymap
            .bindings_for(&self.screen.sections())
            .into_iter()
            .map(|(a, keys)| {
                (
                    a,
                    self.lang.pick(a.describe().0, a.describe().1).to_owned(),
                    keys,
                )
            })
            .filter(|(a, desc, _)| {
                needle.is_empty()
                    || crate::domain::normalise_name(desc).contains(&needle)
                    || a.as_str().contains(typed.trim())
            })
            .collect()
    }
}

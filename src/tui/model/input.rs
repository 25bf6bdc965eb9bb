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
            Overlay::Form(_) => self.form_key(key),
            _ => self.text_key(key),
        }
    }

    /// Keys in a form: Tab and ↓ go to the next field (a commune being
    /// typed takes the first name offered), shift-Tab and ↑ back, Enter
    /// submits, Esc leaves; the rest is typed.
    fn form_key(&mut self, key: Key) -> Vec<Effect> {
        use crate::tui::keymap::KeyCodeKey as K;
        let lang = self.lang;
        let Overlay::Form(form) = &mut self.overlay else {
            return Vec::new();
        };
        match key.code {
            K::Tab | K::Down | K::Up => {
                form.next(
                    key.code == K::Down || (key.code == K::Tab && !key.shift),
                    lang,
                );
                return Vec::new();
            }
            _ => {}
        }
        match self.dialog_action(key) {
            Some(Action::Confirm) => {
                let Overlay::Form(form) = &self.overlay else {
                    return Vec::new();
                };
                vec![Effect::SubmitForm(form.clone())]
            }
            Some(Action::Cancel) => {
                self.overlay = Overlay::None;
                Vec::new()
            }
            _ => {
                if let Overlay::Form(form) = &mut self.overlay {
                    form.edit_focused(key);
                }
                Vec::new()
            }
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
        use crate::tui::keymap::KeyCodeKey as K;
        // Tab on the filter line completes the key or value being typed.
        if key.code == K::Tab
            && let Overlay::Input {
                kind: InputKind::Filter,
                text,
            } = &self.overlay
        {
            let typed = text.clone();
            if let Some(kind) = self.list().map(|l| l.kind()) {
                let (completed, choices) = complete_filter(&typed, kind, self.lang);
                if let Overlay::Input { text, .. } = &mut self.overlay {
                    *text = completed;
                }
                if choices.len() > 1 {
                    self.info(choices.join(" · "));
                }
            }
            return Vec::new();
        }
        match self.dialog_action(key) {
            Some(Action::Confirm) => return self.submit(),
            Some(Action::Cancel) => {
                // Leaving the filter line leaves its error behind too.
                if matches!(self.overlay, Overlay::Input { .. })
                    && self.message.as_ref().is_some_and(|m| m.error)
                {
                    self.message = None;
                }
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
        match &mut self.overlay {
            Overlay::Palette { input, selected } => match key.code {
                K::Up => *selected = selected.saturating_sub(1),
                K::Down => *selected += 1,
                _ => {
                    if edit_line(input, key) {
                        *selected = 0;
                    }
                }
            },
            Overlay::Input { kind, text } => {
                let changed = edit_line(text, key);
                // Search narrows as you type, once typing pauses (see `tick`);
                // a filter applies on Enter.
                if changed && *kind == InputKind::Search {
                    self.pending_search = Some((text.clone(), std::time::Instant::now()));
                }
            }
            // A mute's length: ←/→ go through the usual ones, ↑/↓ move
            // typing between the reason and the length.
            Overlay::Confirm(c)
                if c.duration.is_some() && matches!(key.code, K::Left | K::Right) =>
            {
                c.cycle_duration(key.code == K::Right);
            }
            Overlay::Confirm(c) if c.duration.is_some() && matches!(key.code, K::Up | K::Down) => {
                c.on_duration = !c.on_duration;
            }
            Overlay::Confirm(c) if c.on_duration => {
                if let Some(d) = &mut c.duration
                    && edit_line(d, key)
                {
                    c.problem = None;
                }
            }
            Overlay::Confirm(c) => match key.code {
                K::Backspace => {
                    edit_line(&mut c.reason, key);
                }
                K::Char('u' | 'w') if key.ctrl => {
                    edit_line(&mut c.reason, key);
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
            | Overlay::Compose(_)
            | Overlay::Form(_) => {}
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
            Overlay::Confirm(confirm) => effects.extend(self.confirmed(*confirm)),
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

/// Line editing in every text field: typing, backspace, ctrl-u (clear),
/// ctrl-w and alt-backspace (the word before the cursor). True when the
/// text changed.
pub(crate) fn edit_line(text: &mut String, key: Key) -> bool {
    use crate::tui::keymap::KeyCodeKey as K;
    match key.code {
        K::Char('u') if key.ctrl => {
            let changed = !text.is_empty();
            text.clear();
            changed
        }
        K::Char('w') if key.ctrl => delete_word(text),
        K::Backspace if key.alt || key.ctrl => delete_word(text),
        K::Backspace => text.pop().is_some(),
        K::Char(c) if !key.ctrl && !key.alt => {
            text.push(c);
            true
        }
        _ => false,
    }
}

/// Deletes the word before the end (and the spaces after it).
fn delete_word(text: &mut String) -> bool {
    let before = text.len();
    let trimmed = text
        .trim_end_matches(|c: char| c.is_whitespace() || c == '=')
        .len();
    text.truncate(trimmed);
    let cut = text
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace() || *c == '=')
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    text.truncate(cut);
    text.len() != before
}

/// Completes the last token of a filter line: a key (`rég` → `région=`)
/// or a value (`statut=con` → `statut=contactée `). Returns the new text and,
/// when several remain, the choices to show.
pub fn complete_filter(
    text: &str,
    list: crate::store::query::ListKind,
    lang: crate::i18n::Lang,
) -> (String, Vec<String>) {
    use crate::store::query::FilterKey;
    let fold = crate::text::fold;
    // The token being typed starts after the last complete `key=value`.
    let start = text
        .rfind('=')
        .map(|eq| text[..eq].rfind(' ').map(|s| s + 1).unwrap_or(0));
    let (head, token, key) = match start {
        Some(s) if text[s..].contains('=') => {
            let (k, v) = text[s..].split_once('=').unwrap_or(("", ""));
            match FilterKey::from_typed(k) {
                // A value: everything after `key=`, spaces included.
                Ok(key) => (format!("{}{}=", &text[..s], k), v.to_owned(), Some(key)),
                Err(_) => return (text.to_owned(), Vec::new()),
            }
        }
        _ => {
            let s = text.rfind(' ').map(|s| s + 1).unwrap_or(0);
            (text[..s].to_owned(), text[s..].to_owned(), None)
        }
    };
    // A value typed whole and followed by a new word starts a new key.
    let (head, token, key) = match (key, token.rsplit_once(' ')) {
        (Some(k), Some((value, rest)))
            if crate::store::query::value_words(list, k, lang)
                .iter()
                .any(|w| fold(w) == fold(value.trim())) =>
        {
            (format!("{head}{value} "), rest.to_owned(), None)
        }
        (key, _) => (head, token, key),
    };
    let candidates: Vec<String> = match key {
        None => list
            .keys()
            .iter()
            .map(|k| format!("{}=", k.word(lang)))
            .collect(),
        Some(k) => crate::store::query::value_words(list, k, lang),
    };
    let typed = fold(&token);
    let matching: Vec<&String> = candidates
        .iter()
        .filter(|c| fold(c).starts_with(&typed))
        .collect();
    match matching.as_slice() {
        [] => (text.to_owned(), Vec::new()),
        [one] => {
            let end = if one.ends_with('=') { "" } else { " " };
            (format!("{head}{one}{end}"), Vec::new())
        }
        many => {
            // The longest common start, in the candidates' own spelling.
            let first: Vec<char> = many[0].chars().collect();
            let mut n = first.len();
            for c in &many[1..] {
                let other: Vec<char> = c.chars().collect();
                n = n.min(
                    first
                        .iter()
                        .zip(&other)
                        .take_while(|(a, b)| fold(&a.to_string()) == fold(&b.to_string()))
                        .count(),
                );
            }
            let prefix: String = first[..n].iter().collect();
            let shown = if fold(&prefix).len() >= typed.len() {
                prefix
            } else {
                token.clone()
            };
            (
                format!("{head}{shown}"),
                many.iter().map(|c| (*c).clone()).collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::store::query::ListKind;
    use crate::tui::keymap::KeyCodeKey as K;

    fn key(code: K, ctrl: bool, alt: bool) -> Key {
        Key {
            code,
            ctrl,
            alt,
            shift: false,
        }
    }

    #[test]
    fn lines_edit_as_in_a_shell() {
        let mut t = String::from("statut=contactée région=Kuil");
        assert!(edit_line(&mut t, key(K::Char('w'), true, false)));
        assert_eq!(t, "statut=contactée région=");
        assert!(edit_line(&mut t, key(K::Backspace, false, true)));
        assert_eq!(t, "statut=contactée ");
        assert!(edit_line(&mut t, key(K::Char('u'), true, false)));
        assert_eq!(t, "");
        assert!(!edit_line(&mut t, key(K::Backspace, false, false)));
    }

    #[test]
    fn the_filter_line_completes_keys_and_values_in_words() {
        let c = |t: &str, lang| complete_filter(t, ListKind::Enrollments, lang);
        assert_eq!(c("rég", Lang::Fr).0, "région=");
        assert_eq!(c("statut=con", Lang::Fr).0, "statut=contactée ");
        assert_eq!(
            c("statut=contactée rég", Lang::Fr).0,
            "statut=contactée région="
        );
        assert_eq!(c("région=kuil", Lang::Fr).0, "région=Kuilsé ");
        assert_eq!(c("status=cont", Lang::En).0, "status=contacted ");
        // Several choices: the common start, and the choices to show.
        let (text, choices) = c("p", Lang::Fr);
        assert_eq!(text, "p");
        assert_eq!(choices, ["province=", "plateforme=", "pris="]);
        // Nothing matches: the text stays as typed.
        assert_eq!(c("zzz", Lang::Fr), ("zzz".to_owned(), Vec::new()));
    }
}

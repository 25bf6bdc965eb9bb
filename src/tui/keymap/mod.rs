//! Keymaps: TOML files (`keymaps/*.toml`, embedded) with a user file merged
//! over them. Sections `global`, `list`, `dialog` and one per screen map keys
//! (`"ctrl-r"`, `"shift-tab"`, `"f5"`, `"g g"`) to kebab-case action names;
//! `"none"` unbinds. Unknown actions, unknown keys and clashes are errors that
//! name the file and line. Help, the hint bar and the palette all read the one
//! binding table built here, so they stay true after remapping.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod actions;
pub use actions::{Action, Section};

/// One key press, normalised: letters carry no Shift (the character says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeKey,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// The subset of key codes a keymap can name (ordered, hashable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeKey {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

const NAMED: &[(&str, KeyCodeKey)] = &[
    ("enter", KeyCodeKey::Enter),
    ("esc", KeyCodeKey::Esc),
    ("tab", KeyCodeKey::Tab),
    ("backspace", KeyCodeKey::Backspace),
    ("delete", KeyCodeKey::Delete),
    ("insert", KeyCodeKey::Insert),
    ("up", KeyCodeKey::Up),
    ("down", KeyCodeKey::Down),
    ("left", KeyCodeKey::Left),
    ("right", KeyCodeKey::Right),
    ("pageup", KeyCodeKey::PageUp),
    ("pagedown", KeyCodeKey::PageDown),
    ("home", KeyCodeKey::Home),
    ("end", KeyCodeKey::End),
    ("space", KeyCodeKey::Char(' ')),
];

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let m = ev.modifiers;
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeKey::Char(c),
            KeyCode::F(n) => KeyCodeKey::F(n),
            KeyCode::Enter => KeyCodeKey::Enter,
            KeyCode::Esc => KeyCodeKey::Esc,
            KeyCode::Tab => KeyCodeKey::Tab,
            KeyCode::BackTab => {
                return Some(Key {
                    code: KeyCodeKey::Tab,
                    ctrl: false,
                    alt: false,
                    shift: true,
                });
            }
            KeyCode::Backspace => KeyCodeKey::Backspace,
            KeyCode::Delete => KeyCodeKey::Delete,
            KeyCode::Insert => KeyCodeKey::Insert,
            KeyCode::Up => KeyCodeKey::Up,
            KeyCode::Down => KeyCodeKey::Down,
            KeyCode::Left => KeyCodeKey::Left,
            KeyCode::Right => KeyCodeKey::Right,
            KeyCode::PageUp => KeyCodeKey::PageUp,
            KeyCode::PageDown => KeyCodeKey::PageDown,
            KeyCode::Home => KeyCodeKey::Home,
            KeyCode::End => KeyCodeKey::End,
            _ => return None,
        };
        let is_char = matches!(code, KeyCodeKey::Char(_));
        Some(Key {
            code,
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.contains(KeyModifiers::ALT),
            shift: m.contains(KeyModifiers::SHIFT) && !is_char,
        })
    }

    /// Parses one key as written in a keymap: `a`, `G`, `*`, `ctrl-r`, `shift-tab`, `f5`, `space`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut key = Key {
            code: KeyCodeKey::Esc,
            ctrl: false,
            alt: false,
            shift: false,
        };
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                key.ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                key.alt = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("shift-") {
                key.shift = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        key.code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCodeKey::Char(if key.ctrl { c.to_ascii_lowercase() } else { c }),
            _ => {
                if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == rest) {
                    *code
                } else if let Some(n) = rest
                    .strip_prefix('f')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=24).contains(n))
                {
                    KeyCodeKey::F(n)
                } else {
                    return Err(format!("unknown key \"{s}\""));
                }
            }
        };
        if key.shift && matches!(key.code, KeyCodeKey::Char(_)) {
            return Err(format!(
                "unknown key \"{s}\" (write the shifted character itself, e.g. \"G\")"
            ));
        }
        Ok(key)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCodeKey::Char(' ') => f.write_str("space"),
            KeyCodeKey::Char(c) => write!(f, "{c}"),
            KeyCodeKey::F(n) => write!(f, "f{n}"),
            other => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == other)
                    .map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

/// A key sequence (`"g g"` is two keys).
pub type Chord = Vec<Key>;

pub fn chord_to_string(chord: &[Key]) -> String {
    chord
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A problem in a keymap file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Where a binding came from, for error messages about clashes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    file: String,
    line: usize,
}

/// The live binding table.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    bindings: BTreeMap<Section, BTreeMap<Chord, (Action, Origin)>>,
}

/// Embedded keymaps, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../../keymaps/default.toml")),
    ("vim", include_str!("../../../keymaps/vim.toml")),
    ("azerty", include_str!("../../../keymaps/azerty.toml")),
];

/// What a key press means, given the keys pressed before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Action(Action),
    /// The keys so far start a longer binding: wait for the next one.
    Pending,
    None,
}

impl Keymap {
    /// The default keymap, with `layer` (a built-in name) over it.
    pub fn builtin(name: &str) -> Result<Keymap, Vec<KeymapError>> {
        let mut map = Keymap::default();
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == "default")
            .ok_or_else(Vec::new)?;
        map.merge("keymaps/default.toml", text)?;
        if name != "default" {
            let (file, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
                vec![KeymapError {
                    file: name.to_owned(),
                    line: 0,
                    message: format!("no built-in keymap \"{name}\" (default, vim, azerty)"),
                }]
            })?;
            map.merge(&format!("keymaps/{file}.toml"), text)?;
        }
        Ok(map)
    }

    /// Merges a keymap file over this one. On error, nothing of the file is kept.
    pub fn merge(&mut self, file: &str, text: &str) -> Result<(), Vec<KeymapError>> {
        let mut next = self.clone();
        let errors = next.merge_inner(file, text);
        if errors.is_empty() {
            *self = next;
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn merge_inner(&mut self, file: &str, text: &str) -> Vec<KeymapError> {
        let mut errors = Vec::new();
        let err = |line: usize, message: String| KeymapError {
            file: file.to_owned(),
            line,
            message,
        };
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        type Table =
            BTreeMap<toml::Spanned<String>, BTreeMap<toml::Spanned<String>, toml::Spanned<String>>>;
        let table: Table = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                let line = e.span().map_or(1, |s| line_of(s.start));
                let msg = e.message().trim().to_owned();
                errors.push(err(line, msg));
                return errors;
            }
        };
        for (section, entries) in table {
            let Ok(sec) = section.get_ref().parse::<Section>() else {
                errors.push(err(
                    line_of(section.span().start),
                    format!("unknown section [{}]", section.get_ref()),
                ));
                continue;
            };
            for (key, action) in entries {
                let line = line_of(key.span().start);
                let chord: Result<Chord, String> =
                    key.get_ref().split_whitespace().map(Key::parse).collect();
                let chord = match chord {
                    Ok(c) if !c.is_empty() => c,
                    Ok(_) => {
                        errors.push(err(line, "empty key".into()));
                        continue;
                    }
                    Err(e) => {
                        errors.push(err(line, e));
                        continue;
                    }
                };
                let map = self.bindings.entry(sec).or_default();
                if action.get_ref() == "none" {
                    map.remove(&chord);
                    continue;
                }
                match action.get_ref().parse::<Action>() {
                    Ok(a) => {
                        map.insert(
                            chord,
                            (
                                a,
                                Origin {
                                    file: file.to_owned(),
                                    line,
                                },
                            ),
                        );
                    }
                    Err(_) => errors.push(err(
                        line_of(action.span().start),
                        format!("unknown action \"{}\"", action.get_ref()),
                    )),
                }
            }
        }
        errors.extend(self.clashes(file));
        errors.sort_by_key(|e| e.line);
        errors
    }

    /// A binding that is a prefix of another in the same or an inherited
    /// section can never be reached (or shadows the longer one).
    fn clashes(&self, file: &str) -> Vec<KeymapError> {
        let mut out = Vec::new();
        for (sec, map) in &self.bindings {
            let mut visible: Vec<(&Chord, &(Action, Origin))> = map.iter().collect();
            for parent in parents(*sec) {
                if let Some(p) = self.bindings.get(parent) {
                    visible.extend(p.iter().filter(|(c, _)| !map.contains_key(*c)));
                }
            }
            for (chord, (action, origin)) in map {
                for (other, (other_action, other_origin)) in &visible {
                    if other.len() > chord.len() && other.starts_with(chord) && origin.file == file
                    {
                        out.push(KeymapError {
                            file: file.to_owned(),
                            line: origin.line,
                            message: format!(
                                "[{sec}] \"{}\" ({action}) clashes with \"{}\" ({other_action}, {}:{})",
                                chord_to_string(chord),
                                chord_to_string(other),
                                other_origin.file,
                                other_origin.line
                            ),
                        });
                    }
                }
            }
        }
        out
    }

    /// Resolves the keys pressed so far in the given sections (most specific first).
    pub fn lookup(&self, sections: &[Section], keys: &[Key]) -> Lookup {
        let mut pending = false;
        for sec in sections {
            if let Some(map) = self.bindings.get(sec) {
                if let Some((a, _)) = map.get(keys) {
                    return Lookup::Action(*a);
                }
                if map
                    .keys()
                    .any(|c| c.len() > keys.len() && c.starts_with(keys))
                {
                    pending = true;
                }
            }
        }
        if pending {
            Lookup::Pending
        } else {
            Lookup::None
        }
    }

    /// Every binding visible from these sections, for help, hints and the palette:
    /// (action, keys bound to it), in the order actions are declared.
    pub fn bindings_for(&self, sections: &[Section]) -> Vec<(Action, Vec<String>)> {
        let mut seen_chords: Vec<&Chord> = Vec::new();
        let mut by_action: BTreeMap<Action, Vec<String>> = BTreeMap::new();
        for sec in sections {
            if let Some(map) = self.bindings.get(sec) {
                for (chord, (action, _)) in map {
                    if seen_chords.contains(&chord) {
                        continue;
                    }
                    seen_chords.push(chord);
                    by_action
                        .entry(*action)
                        .or_default()
                        .push(chord_to_string(chord));
                }
            }
        }
        by_action.into_iter().collect()
    }

    /// The first key bound to `action` in these sections, for hints.
    pub fn key_for(&self, sections: &[Section], action: Action) -> Option<String> {
        self.bindings_for(sections)
            .into_iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, keys)| {
                keys.into_iter()
                    .min_by_key(|k| (k.chars().count(), k.clone()))
            })
    }
}

fn parents(sec: Section) -> &'static [Section] {
    match sec {
        Section::Global => &[],
        Section::List | Section::Dialog => &[Section::Global],
        _ => &[Section::List, Section::Global],
    }
}

/// Loads the keymap the console uses: the defaults, a built-in layer or a file
/// given with `--keymap`, then the user's keymap.toml if present. Errors are
/// returned beside the best keymap that could be built, to show in the console.
pub fn load(
    choice: Option<&str>,
    user_file: Option<&std::path::Path>,
) -> (Keymap, Vec<KeymapError>) {
    let mut errors = Vec::new();
    let mut map = match Keymap::builtin("default") {
        Ok(m) => m,
        Err(e) => return (Keymap::default(), e),
    };
    match choice {
        Some(name) if BUILTIN.iter().any(|(n, _)| *n == name) => match Keymap::builtin(name) {
            Ok(m) => map = m,
            Err(e) => errors.extend(e),
        },
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => {
                if let Err(e) = map.merge(path, &text) {
                    errors.extend(e);
                }
            }
            Err(e) => errors.push(KeymapError {
                file: path.to_owned(),
                line: 0,
                message: e.to_string(),
            }),
        },
        None => {}
    }
    if let Some(user) = user_file.filter(|p| p.exists()) {
        let name = user.display().to_string();
        match std::fs::read_to_string(user) {
            Ok(text) => {
                if let Err(e) = map.merge(&name, &text) {
                    errors.extend(e);
                }
            }
            Err(e) => errors.push(KeymapError {
                file: name,
                line: 0,
                message: e.to_string(),
            }),
        }
    }
    (map, errors)
}

/// `civitac keymap check FILE`: the file merged over the defaults, every problem listed.
pub fn check(file: &str, text: &str) -> Vec<KeymapError> {
    match Keymap::builtin("default") {
        Ok(mut map) => map.merge(file, text).err().unwrap_or_default(),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests;

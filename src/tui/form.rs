//! Forms of several fields, for what field staff record in one go: a new
//! organisation, the charter received, a leader met, a correction. The form
//! holds what is typed; the runner turns it into ops (`ops::forms`) and
//! applies them, or puts the form back with the field to fix.

use crate::domain::places::{Level, names};
use crate::i18n::Lang;
use crate::tui::strings::{self, Text};

/// What a form records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKind {
    /// A new organisation that wants to join.
    Apply,
    /// The charter an organisation sent in (signing date, reference).
    Charter { org: String, seen: String },
    /// A leader met in an organisation.
    Leader { org: String },
    /// A correction of an organisation's details.
    Edit { org: String },
    /// A new SMS group: of members, or dynamic when a region, commune or
    /// organisation kind is given.
    NewGroup,
    /// A group's new name (as seen).
    RenameGroup { group: String, seen: String },
    /// A contact's name or commune corrected (as seen).
    EditContact { contact: String },
    /// Contacts put into a group, or taken out of it.
    Members { contacts: Vec<String>, add: bool },
    /// A new colleague (an admin's; their devices get tokens at the hub).
    AddStaff,
    /// A bundle written for the hub (`export`), or the hub's answer read.
    Bundle { export: bool },
    /// A colleague's new role (as seen).
    SetRole {
        staff: String,
        seen: crate::domain::staff::Role,
    },
}

/// How a field is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// An organisation's kind: its words are offered, Tab takes the first.
    OrgKind,
    /// A commune of the real list: names that match are offered, Tab takes
    /// the first.
    Commune,
    /// A region of the real list, offered the same way.
    Region,
    /// One of the form's `choices` (an SMS group), offered the same way.
    Choice,
    /// A staff role: its words are offered, Tab takes the first.
    Role,
}

#[derive(Debug, Clone)]
pub struct FormField {
    /// The op's name for it (`name`, `commune`, `signed_on`…).
    pub key: &'static str,
    pub label: Text,
    pub value: String,
    pub kind: FieldKind,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub kind: FormKind,
    /// What it is about ("Association des femmes de Kaya").
    pub about: String,
    pub fields: Vec<FormField>,
    pub focus: usize,
    pub problem: Option<String>,
    /// A warning the person has seen: Enter again saves anyway.
    pub warned: bool,
    /// What a `Choice` field offers (SMS groups' names).
    pub choices: Vec<String>,
}

fn field(key: &'static str, label: Text, value: String, kind: FieldKind) -> FormField {
    FormField {
        key,
        label,
        value,
        kind,
    }
}

impl Form {
    pub fn apply() -> Form {
        use FieldKind::*;
        Form::new(
            FormKind::Apply,
            String::new(),
            vec![
                field("kind", strings::F_KIND, String::new(), OrgKind),
                field("name", strings::F_NAME, String::new(), Text),
                field("acronym", strings::F_ACRONYM, String::new(), Text),
                field("commune", strings::F_COMMUNE, String::new(), Commune),
                field("contact_name", strings::F_CONTACT, String::new(), Text),
                field("contact_role", strings::F_ROLE, String::new(), Text),
                field("phone", strings::F_PHONE, String::new(), Text),
                field("email", strings::F_EMAIL, String::new(), Text),
            ],
        )
    }

    pub fn charter(org: String, seen: String, about: String) -> Form {
        Form::new(
            FormKind::Charter { org, seen },
            about,
            vec![
                field(
                    "signed_on",
                    strings::F_SIGNED_ON,
                    String::new(),
                    FieldKind::Text,
                ),
                field(
                    "reference",
                    strings::F_REFERENCE,
                    String::new(),
                    FieldKind::Text,
                ),
            ],
        )
    }

    pub fn leader(org: String, about: String) -> Form {
        use FieldKind::*;
        Form::new(
            FormKind::Leader { org },
            about,
            vec![
                field("name", strings::F_NAME, String::new(), Text),
                field("role", strings::F_ROLE, String::new(), Text),
                field("phone", strings::F_PHONE, String::new(), Text),
            ],
        )
    }

    /// A correction, filled with the values stored now (`EDITABLE` order).
    pub fn edit(org: String, about: String, values: [String; 6]) -> Form {
        let labels = [
            strings::F_NAME,
            strings::F_ACRONYM,
            strings::F_CONTACT,
            strings::F_ROLE,
            strings::F_PHONE,
            strings::F_EMAIL,
        ];
        let fields = crate::ops::EDITABLE
            .iter()
            .zip(labels)
            .zip(values)
            .map(|((key, label), value)| field(key, label, value, FieldKind::Text))
            .collect();
        Form::new(FormKind::Edit { org }, about, fields)
    }

    /// A new SMS group; a rule (region, commune, organisation kind) makes
    /// it dynamic.
    pub fn new_group() -> Form {
        use FieldKind::*;
        Form::new(
            FormKind::NewGroup,
            String::new(),
            vec![
                field("name", strings::F_NAME, String::new(), Text),
                field("description", strings::F_DESCRIPTION, String::new(), Text),
                field("region", strings::F_RULE_REGION, String::new(), Region),
                field("commune", strings::F_RULE_COMMUNE, String::new(), Commune),
                field("kind", strings::F_RULE_KIND, String::new(), OrgKind),
            ],
        )
    }

    pub fn rename_group(group: String, seen: String) -> Form {
        Form::new(
            FormKind::RenameGroup {
                group,
                seen: seen.clone(),
            },
            seen.clone(),
            vec![field("name", strings::F_NAME, seen, FieldKind::Text)],
        )
    }

    /// A contact's correction, filled with its name and commune now.
    pub fn edit_contact(contact: String, about: String, name: String, commune: String) -> Form {
        Form::new(
            FormKind::EditContact { contact },
            about,
            vec![
                field("name", strings::F_NAME, name, FieldKind::Text),
                field("commune", strings::F_COMMUNE, commune, FieldKind::Commune),
            ],
        )
    }

    /// Contacts into (or out of) a group chosen among `groups`.
    pub fn members(contacts: Vec<String>, add: bool, groups: Vec<String>, group: String) -> Form {
        let about = contacts.len().to_string();
        let mut form = Form::new(
            FormKind::Members { contacts, add },
            about,
            vec![field("group", strings::F_GROUP, group, FieldKind::Choice)],
        );
        form.choices = groups;
        form
    }

    pub fn add_staff() -> Form {
        use FieldKind::*;
        Form::new(
            FormKind::AddStaff,
            String::new(),
            vec![
                field("login", strings::F_LOGIN, String::new(), Text),
                field("display_name", strings::F_NAME, String::new(), Text),
                field("role", strings::F_STAFF_ROLE, String::new(), Role),
            ],
        )
    }

    pub fn set_role(staff: String, about: String, seen: crate::domain::staff::Role) -> Form {
        Form::new(
            FormKind::SetRole { staff, seen },
            about,
            vec![field(
                "role",
                strings::F_STAFF_ROLE,
                String::new(),
                FieldKind::Role,
            )],
        )
    }

    /// The file a bundle goes to, or an answer comes from.
    pub fn bundle(export: bool, path: String) -> Form {
        Form::new(
            FormKind::Bundle { export },
            String::new(),
            vec![field("file", strings::F_FILE, path, FieldKind::Text)],
        )
    }

    fn new(kind: FormKind, about: String, fields: Vec<FormField>) -> Form {
        Form {
            kind,
            about,
            fields,
            focus: 0,
            problem: None,
            warned: false,
            choices: Vec::new(),
        }
    }

    pub fn title(&self, lang: Lang) -> &'static str {
        match self.kind {
            FormKind::Apply => strings::FORM_APPLY.get(lang),
            FormKind::Charter { .. } => strings::FORM_CHARTER.get(lang),
            FormKind::Leader { .. } => strings::FORM_LEADER.get(lang),
            FormKind::Edit { .. } => strings::FORM_EDIT.get(lang),
            FormKind::NewGroup => strings::FORM_NEW_GROUP.get(lang),
            FormKind::RenameGroup { .. } => strings::FORM_RENAME_GROUP.get(lang),
            FormKind::EditContact { .. } => strings::FORM_EDIT_CONTACT.get(lang),
            FormKind::Members { add: true, .. } => strings::FORM_ADD_MEMBERS.get(lang),
            FormKind::Members { add: false, .. } => strings::FORM_REMOVE_MEMBERS.get(lang),
            FormKind::AddStaff => strings::FORM_ADD_STAFF.get(lang),
            FormKind::SetRole { .. } => strings::FORM_SET_ROLE.get(lang),
            FormKind::Bundle { export: true } => strings::FORM_EXPORT_BUNDLE.get(lang),
            FormKind::Bundle { export: false } => strings::FORM_IMPORT_BUNDLE.get(lang),
        }
    }

    /// The value typed for a field.
    pub fn value(&self, key: &str) -> &str {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .map_or("", |f| f.value.as_str())
    }

    /// Puts the focus on a field (after a refusal names it).
    pub fn focus_on(&mut self, key: &str) {
        if let Some(i) = self.fields.iter().position(|f| f.key == key) {
            self.focus = i;
        }
    }

    /// What the focused field offers for what is typed: an organisation's
    /// kinds (all of them while nothing is typed), or communes — those
    /// starting with it first, then those containing it (four at most).
    pub fn suggestions(&self, lang: Lang) -> Vec<String> {
        use crate::i18n::values::Worded;
        let Some(f) = self.fields.get(self.focus) else {
            return Vec::new();
        };
        let typed = crate::text::fold(f.value.trim());
        let candidates: Vec<&str> = match f.kind {
            FieldKind::Text => return Vec::new(),
            FieldKind::OrgKind => crate::domain::enrollment::OrgKind::ALL
                .iter()
                .map(|k| k.word(lang))
                .collect(),
            FieldKind::Role => crate::domain::staff::Role::ALL
                .iter()
                .map(|r| r.word(lang))
                .collect(),
            FieldKind::Commune | FieldKind::Region | FieldKind::Choice if typed.is_empty() => {
                return Vec::new();
            }
            FieldKind::Commune => names(Level::Commune).collect(),
            FieldKind::Region => names(Level::Region).collect(),
            FieldKind::Choice => self.choices.iter().map(String::as_str).collect(),
        };
        let mut starts: Vec<&str> = Vec::new();
        let mut contains: Vec<&str> = Vec::new();
        for name in candidates {
            let folded = crate::text::fold(name);
            if folded == typed && matches!(f.kind, FieldKind::OrgKind | FieldKind::Role) {
                return Vec::new();
            }
            if folded.starts_with(&typed) {
                starts.push(name);
            } else if folded.contains(&typed) {
                contains.push(name);
            }
        }
        if !matches!(f.kind, FieldKind::OrgKind | FieldKind::Role) {
            starts.sort_unstable();
            contains.sort_unstable();
        }
        // What is typed exactly comes first (Tab keeps it).
        if let Some(i) = starts.iter().position(|n| crate::text::fold(n) == typed) {
            let exact = starts.remove(i);
            starts.insert(0, exact);
        }
        starts.extend(contains);
        starts.truncate(4);
        starts.into_iter().map(str::to_owned).collect()
    }

    /// Tab: a commune being typed takes the first name offered; then the
    /// next field.
    pub fn next(&mut self, forward: bool, lang: Lang) {
        if forward
            && let Some(first) = self.suggestions(lang).into_iter().next()
            && let Some(f) = self.fields.get_mut(self.focus)
        {
            f.value = first;
        }
        let n = self.fields.len();
        self.focus = if forward {
            (self.focus + 1) % n
        } else {
            (self.focus + n - 1) % n
        };
    }

    /// Typing in the focused field.
    pub fn edit_focused(&mut self, key: crate::tui::keymap::Key) {
        if let Some(f) = self.fields.get_mut(self.focus)
            && super::model::edit_line(&mut f.value, key)
        {
            self.problem = None;
            self.warned = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commune_is_offered_as_it_is_typed_and_taken_with_tab() {
        let mut f = Form::apply();
        f.focus_on("commune");
        f.fields[f.focus].value = "gorom".into();
        assert_eq!(f.suggestions(Lang::Fr), ["Gorom-Gorom"]);
        f.next(true, Lang::Fr);
        assert_eq!(f.value("commune"), "Gorom-Gorom");
        assert_eq!(f.fields[f.focus].key, "contact_name");
        f.focus_on("commune");
        f.fields[f.focus].value = "ouaga".into();
        assert_eq!(f.suggestions(Lang::Fr), ["Ouagadougou"]);
        // Nothing typed, nothing offered; other fields offer nothing.
        f.fields[f.focus].value.clear();
        assert!(f.suggestions(Lang::Fr).is_empty());
        f.focus_on("name");
        f.fields[f.focus].value = "kaya".into();
        assert!(f.suggestions(Lang::Fr).is_empty());
        // The kinds, all offered at first, one as typed.
        f.focus_on("kind");
        assert_eq!(f.suggestions(Lang::Fr).len(), 3);
        f.fields[f.focus].value = "os".into();
        f.next(true, Lang::Fr);
        assert_eq!(f.value("kind"), "OSC");
    }
}

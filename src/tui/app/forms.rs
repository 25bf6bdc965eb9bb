//! Forms on the enrolments screen: opened on the chosen organisation (a
//! correction filled with its details as stored), checked and turned into
//! ops by `ops::forms`, applied as one change; a refusal puts the form back
//! with the field to fix.

use super::App;
use crate::i18n::Lang;
use crate::ops::Op;
use crate::ops::forms::{self, FieldError};
use crate::tui::form::{Form, FormKind};
use crate::tui::model::{Change, FormRequest, Overlay};
use crate::tui::strings;

impl App {
    pub(super) fn open_form(&mut self, request: FormRequest) -> Result<(), String> {
        let conn = self.store.conn();
        let read = |id: &str| -> Result<(String, String, [String; 6]), String> {
            conn.query_row(
                "SELECT name, status, coalesce(name, ''), coalesce(acronym, ''), coalesce(contact_name, ''),
                        coalesce(contact_role, ''), coalesce(phone, ''), coalesce(email, '')
                 FROM organizations WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
                    ))
                },
            )
            .map_err(|e| e.to_string())
        };
        let form = match request {
            FormRequest::Apply => Form::apply(),
            FormRequest::Charter(id) => {
                let (name, seen, _) = read(&id)?;
                Form::charter(id, seen, name)
            }
            FormRequest::Leader(id) => {
                let (name, _, _) = read(&id)?;
                Form::leader(id, name)
            }
            FormRequest::Edit(id) => {
                let (name, _, values) = read(&id)?;
                Form::edit(id, name, values)
            }
            FormRequest::NewGroup => Form::new_group(),
            FormRequest::RenameGroup(id) => {
                let name: String = conn
                    .query_row("SELECT name FROM sms_groups WHERE id = ?1", [&id], |r| {
                        r.get(0)
                    })
                    .map_err(|e| e.to_string())?;
                Form::rename_group(id, name)
            }
            FormRequest::EditContact(id) => {
                let (phone, name, commune): (String, String, String) = conn
                    .query_row(
                        "SELECT phone_e164, coalesce(name, ''), coalesce(commune, '')
                         FROM sms_contacts WHERE id = ?1",
                        [&id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .map_err(|e| e.to_string())?;
                Form::edit_contact(id, phone, name, commune)
            }
            FormRequest::Members { contacts, add } => {
                // Groups of members only (a dynamic group's follow its
                // rule); to take out of, those the contacts are in.
                let sql = if add {
                    "SELECT name FROM sms_groups WHERE archived_at IS NULL
                       AND rule_region IS NULL AND rule_commune IS NULL AND rule_org_kind IS NULL
                     ORDER BY name"
                } else {
                    "SELECT DISTINCT g.name FROM sms_groups g JOIN sms_group_members m ON m.group_id = g.id
                     WHERE m.contact_id IN (SELECT value FROM json_each(?1)) ORDER BY g.name"
                };
                let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
                let ids = serde_json::to_string(&contacts).map_err(|e| e.to_string())?;
                let params: Vec<String> = if add { Vec::new() } else { vec![ids] };
                let groups: Vec<String> = stmt
                    .query_map(rusqlite::params_from_iter(params), |r| r.get(0))
                    .and_then(|rows| rows.collect())
                    .map_err(|e| e.to_string())?;
                // Taken out of the only group they are in: it is offered.
                let only = match groups.as_slice() {
                    [one] if !add => one.clone(),
                    _ => String::new(),
                };
                Form::members(contacts, add, groups, only)
            }
            FormRequest::AddStaff => Form::add_staff(),
            FormRequest::Bundle { export } => {
                let configured = self.syncer.as_ref().is_some_and(|s| s.configured());
                if !configured {
                    return Err(strings::NO_HUB_LOGIN.get(self.model.lang).into());
                }
                Form::bundle(export, self.bundle_path(export))
            }
            FormRequest::SetRole(id) => {
                let (name, role): (String, crate::domain::staff::Role) = conn
                    .query_row(
                        "SELECT display_name, role FROM staff WHERE id = ?1",
                        [&id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .map_err(|e| e.to_string())?;
                Form::set_role(id, name, role)
            }
        };
        self.model.overlay = Overlay::Form(Box::new(form));
        Ok(())
    }

    /// The file a bundle form offers: next to the last bundle written (a
    /// stick's folder), else in the home folder; named for the device and
    /// the day. An answer is offered under the name the README gives it.
    fn bundle_path(&self, export: bool) -> String {
        let conn = self.store.conn();
        let last = crate::replica::bundle::last_export_path(conn);
        let path = if export {
            let device = crate::store::state(conn, "device_name")
                .ok()
                .flatten()
                .unwrap_or_default();
            // A file name of plain letters, digits and dashes only.
            let device: String = device
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { '-' })
                .collect();
            let day = crate::time::now().chars().take(10).collect::<String>();
            let name = format!("civitac-{device}-{day}.civitac");
            let dir = last
                .as_deref()
                .and_then(std::path::Path::parent)
                .map(std::path::Path::to_path_buf)
                .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
                .unwrap_or_default();
            dir.join(name)
        } else {
            match last {
                Some(bundle) => crate::replica::bundle::answer_name(&bundle),
                None => return String::new(),
            }
        };
        path.to_string_lossy().into_owned()
    }

    /// A bundle form: the job goes to the sync thread (an answer may hold a
    /// whole first fill), the form closes; said when it is done.
    fn submit_bundle(&mut self, mut form: Form, export: bool) {
        let lang = self.model.lang;
        // A path dropped from a file manager may come quoted.
        let path = form
            .value("file")
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_owned();
        if path.is_empty() {
            form.problem = Some(strings::NO_FILE_NAMED.get(lang).to_owned());
            self.model.overlay = Overlay::Form(Box::new(form));
            return;
        }
        let Some(syncer) = self.syncer.as_mut().filter(|s| s.configured()) else {
            self.model.overlay = Overlay::None;
            self.model.error(strings::NO_HUB_LOGIN.get(lang));
            return;
        };
        if syncer.is_running() {
            form.problem = Some(strings::BUNDLE_BUSY.get(lang).to_owned());
            self.model.overlay = Overlay::Form(Box::new(form));
            return;
        }
        self.model.overlay = Overlay::None;
        if syncer.start_bundle(export, path.into(), lang) {
            self.model.info(strings::BUNDLE_WORKING.get(lang));
        }
    }

    /// The form's ops, applied; or the form back with what to fix.
    pub(super) fn submit_form(&mut self, mut form: Form) {
        let lang = self.model.lang;
        if let FormKind::Bundle { export } = form.kind {
            self.submit_bundle(form, export);
            return;
        }
        match self.form_ops(&mut form, lang) {
            Ok(Some((ops, said))) => {
                // Shown until the ops hold (a refusal lands on it).
                self.model.overlay = Overlay::Form(Box::new(form));
                self.apply(Change::Ops { ops, said });
            }
            Ok(None) => self.model.overlay = Overlay::Form(Box::new(form)),
            Err(e) => {
                form.focus_on(e.field);
                form.problem = Some(e.why);
                self.model.overlay = Overlay::Form(Box::new(form));
            }
        }
    }

    /// What a form records, and what to say once it holds; `None` when the
    /// form must be shown again first (a warning to read).
    fn form_ops(
        &self,
        form: &mut Form,
        lang: Lang,
    ) -> Result<Option<(Vec<Op>, String)>, FieldError> {
        let conn = self.store.conn();
        let storage = |e: rusqlite::Error| FieldError {
            field: "",
            why: e.to_string(),
        };
        Ok(Some(match form.kind.clone() {
            FormKind::Apply => {
                let typed = forms::Application {
                    kind: form.value("kind").to_owned(),
                    name: form.value("name").to_owned(),
                    acronym: form.value("acronym").to_owned(),
                    commune: form.value("commune").to_owned(),
                    contact_name: form.value("contact_name").to_owned(),
                    contact_role: form.value("contact_role").to_owned(),
                    phone: form.value("phone").to_owned(),
                    email: form.value("email").to_owned(),
                };
                let org = forms::application(&typed, lang)?;
                let commune = org.commune.clone().unwrap_or_default();
                // The same name in the same commune: said once, then saved
                // on a second Enter.
                let same = forms::same_name(conn, &org.name, &commune).map_err(storage)?;
                if let Some((_, name, status)) = same.first()
                    && !form.warned
                {
                    form.warned = true;
                    let status =
                        crate::i18n::values::column_word("enrollments", "status", status, lang)
                            .unwrap_or_default();
                    form.problem = Some(strings::same_name_registered(
                        lang,
                        &crate::text::inline(name),
                        &commune,
                        &status,
                    ));
                    return Ok(None);
                }
                let said = strings::application_recorded(lang, &crate::text::inline(&org.name));
                (vec![Op::ApplyEnrollment { org }], said)
            }
            FormKind::Charter { org, seen } => {
                let signed_on =
                    crate::time::parse_typed_day(form.value("signed_on"), self.model.now())
                        .map_err(|why| FieldError {
                            field: "signed_on",
                            why,
                        })?
                        .to_string();
                let op = Op::SetEnrollmentStatus {
                    org_id: org,
                    seen_status: seen.parse().map_err(|e: crate::domain::UnknownValue| {
                        FieldError {
                            field: "",
                            why: e.to_string(),
                        }
                    })?,
                    action: crate::domain::enrollment::EnrollmentAction::RecordCharter,
                    reason: None,
                    charter: Some(crate::ops::Charter {
                        signed_on,
                        reference: form.value("reference").trim().to_owned(),
                    }),
                };
                (
                    vec![op],
                    crate::i18n::values::action_words("enrollment.record_charter", lang),
                )
            }
            FormKind::Leader { org } => {
                let leader = forms::leader(
                    &org,
                    form.value("name"),
                    form.value("role"),
                    form.value("phone"),
                    lang,
                )?;
                let mut ops = vec![Op::AddLeader { leader }];
                // Met after the charter came in: the organisation is contacted.
                let stage: Option<crate::domain::enrollment::Stage> = conn
                    .query_row(
                        "SELECT status FROM organizations WHERE id = ?1",
                        [&org],
                        |r| r.get(0),
                    )
                    .ok();
                if stage == Some(crate::domain::enrollment::Stage::CharterReceived) {
                    ops.push(Op::SetEnrollmentStatus {
                        org_id: org,
                        seen_status: crate::domain::enrollment::Stage::CharterReceived,
                        action: crate::domain::enrollment::EnrollmentAction::RecordContact,
                        reason: None,
                        charter: None,
                    });
                }
                let said = crate::i18n::values::action_words("enrollment.leader", lang);
                (ops, said)
            }
            FormKind::Edit { org } => {
                let fields: Vec<(&'static str, String)> = form
                    .fields
                    .iter()
                    .map(|f| (f.key, f.value.clone()))
                    .collect();
                let op = forms::edit(conn, &org, &fields, lang)?;
                (
                    vec![op],
                    crate::i18n::values::action_words("enrollment.edit", lang),
                )
            }
            FormKind::NewGroup => {
                let typed =
                    |key: &str| Some(form.value(key).trim().to_owned()).filter(|v| !v.is_empty());
                let rule = crate::store::audience::Rule {
                    region: typed("region")
                        .map(|r| forms::region(&r, lang))
                        .transpose()?,
                    commune: typed("commune")
                        .map(|c| forms::commune(&c, lang).map(|(name, _, _)| name))
                        .transpose()?,
                    org_kind: typed("kind")
                        .map(|k| forms::kind(&k, lang).map(|k| k.as_str().to_owned()))
                        .transpose()?,
                };
                let name = form.value("name").trim().to_owned();
                if name.is_empty() {
                    return Err(FieldError {
                        field: "name",
                        why: strings::A_NAME_IS_NEEDED.get(lang).to_owned(),
                    });
                }
                // A dynamic group says whom it reaches today, once, before
                // it is made.
                let said = if rule.is_empty() {
                    crate::i18n::values::action_words("sms.group", lang)
                } else {
                    let today = crate::store::audience::Audience::Rule(rule.clone())
                        .count(conn)
                        .map_err(|e| storage(e.into()))?;
                    if !form.warned {
                        form.warned = true;
                        form.problem = Some(strings::dynamic_reach(
                            lang,
                            &crate::store::views::rule_words(&rule, lang),
                            today,
                        ));
                        return Ok(None);
                    }
                    strings::dynamic_reach(
                        lang,
                        &crate::store::views::rule_words(&rule, lang),
                        today,
                    )
                };
                let op = Op::CreateGroup {
                    group: crate::ops::NewGroup {
                        id: uuid::Uuid::now_v7().to_string(),
                        name,
                        description: typed("description"),
                        rule: (!rule.is_empty()).then_some(rule),
                    },
                };
                (vec![op], said)
            }
            FormKind::RenameGroup { group, seen } => (
                vec![Op::RenameGroup {
                    group_id: group,
                    seen_name: seen,
                    name: form.value("name").trim().to_owned(),
                }],
                crate::i18n::values::action_words("sms.group_rename", lang),
            ),
            FormKind::EditContact { contact } => {
                let (name, commune): (Option<String>, Option<String>) = conn
                    .query_row(
                        "SELECT name, commune FROM sms_contacts WHERE id = ?1",
                        [&contact],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .map_err(storage)?;
                let mut changes = Vec::new();
                for (field, seen) in [("name", name), ("commune", commune)] {
                    let new = Some(form.value(field).trim().to_owned()).filter(|v| !v.is_empty());
                    if new != seen {
                        changes.push(crate::ops::FieldEdit {
                            field: field.into(),
                            seen,
                            new,
                        });
                    }
                }
                if changes.is_empty() {
                    return Err(FieldError {
                        field: "name",
                        why: strings::NOTHING_CHANGED.get(lang).to_owned(),
                    });
                }
                (
                    vec![Op::EditContact {
                        contact_id: contact,
                        changes,
                    }],
                    crate::i18n::values::action_words("sms.contact_edit", lang),
                )
            }
            FormKind::Members { contacts, add } => {
                let typed = form.value("group").trim().to_owned();
                let group = crate::store::views::group_named(conn, &typed)
                    .map_err(storage)?
                    .ok_or_else(|| FieldError {
                        field: "group",
                        why: strings::UNKNOWN_GROUP.get(lang).to_owned(),
                    })?;
                let ops = if add {
                    // The contact as it is, into the group (AddContact
                    // completes nothing it already has).
                    contacts
                        .iter()
                        .map(|id| {
                            conn.query_row(
                                "SELECT phone_e164, name, region, commune FROM sms_contacts WHERE id = ?1",
                                [id],
                                |r| {
                                    Ok(Op::AddContact {
                                        contact: crate::ops::NewContact {
                                            phone_e164: r.get(0)?,
                                            name: r.get(1)?,
                                            region: r.get(2)?,
                                            commune: r.get(3)?,
                                        },
                                        group_id: Some(group.0.clone()),
                                    })
                                },
                            )
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(storage)?
                } else {
                    contacts
                        .iter()
                        .map(|id| Op::RemoveMember {
                            group_id: group.0.clone(),
                            contact_id: id.clone(),
                        })
                        .collect::<Vec<_>>()
                };
                let said =
                    strings::members_moved(lang, ops.len(), add, &crate::text::inline(&group.1));
                (ops, said)
            }
            FormKind::AddStaff => {
                let login = form.value("login").trim().to_owned();
                let role = forms::role(form.value("role"), lang)?;
                let said = strings::staff_added(lang, &crate::text::inline(&login));
                (
                    vec![Op::AddStaff {
                        staff: crate::ops::NewStaff {
                            id: uuid::Uuid::now_v7().to_string(),
                            login,
                            display_name: form.value("display_name").trim().to_owned(),
                            role,
                        },
                    }],
                    said,
                )
            }
            // Not ops: `submit_bundle` runs it.
            FormKind::Bundle { .. } => return Ok(None),
            FormKind::SetRole { staff, seen } => {
                let role = forms::role(form.value("role"), lang)?;
                (
                    vec![Op::SetStaffRole {
                        staff_id: staff,
                        seen_role: seen,
                        role,
                    }],
                    crate::i18n::values::action_words("staff.set_role", lang),
                )
            }
        }))
    }
}

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
        };
        self.model.overlay = Overlay::Form(Box::new(form));
        Ok(())
    }

    /// The form's ops, applied; or the form back with what to fix.
    pub(super) fn submit_form(&mut self, mut form: Form) {
        let lang = self.model.lang;
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
        }))
    }
}

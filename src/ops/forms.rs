//! Enrolment as field staff type it — a new organisation, a leader met, a
//! correction — turned into ops, the same way for the console's forms and
//! the command line: a kind in words, a commune from the real list (its
//! region and province follow), a phone number as people write it (made
//! E.164), the values a correction replaces read as seen now.

use rusqlite::{Connection, OptionalExtension};

use super::{FieldEdit, NewLeader, NewOrganization, Op};
use crate::domain::enrollment::OrgKind;
use crate::domain::places::{Level, Resolved, commune_home, resolve};
use crate::i18n::Lang;

/// A field the person must fix, and why, in their language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct FieldError {
    pub field: &'static str,
    pub why: String,
}

fn error(field: &'static str, why: String) -> FieldError {
    FieldError { field, why }
}

/// A new organisation as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Application {
    pub kind: String,
    pub name: String,
    pub acronym: String,
    pub commune: String,
    pub contact_name: String,
    pub contact_role: String,
    pub phone: String,
    pub email: String,
}

fn some(v: &str) -> Option<String> {
    Some(v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A kind in either language's words or as coded (`osc`, `association`…).
pub fn kind(typed: &str, lang: Lang) -> Result<OrgKind, FieldError> {
    use crate::i18n::values::Worded;
    let t = crate::text::fold(typed.trim());
    OrgKind::ALL
        .iter()
        .copied()
        .find(|k| {
            t == k.as_str()
                || t == crate::text::fold(k.word(Lang::Fr))
                || t == crate::text::fold(k.word(Lang::En))
        })
        .or(match t.as_str() {
            "association" | "ong" | "ngo" | "societe civile" | "civil society" => {
                Some(OrgKind::Osc)
            }
            "mairie" | "municipality" => Some(OrgKind::Commune),
            "conseil regional" | "regional council" => Some(OrgKind::Region),
            _ => None,
        })
        .ok_or_else(|| {
            let words: Vec<&str> = OrgKind::ALL.iter().map(|k| k.word(lang)).collect();
            error(
                "kind",
                match lang {
                    Lang::Fr => format!(
                        "« {} » : un de {}",
                        crate::text::inline(typed),
                        words.join(", ")
                    ),
                    Lang::En => format!(
                        "\"{}\": one of {}",
                        crate::text::inline(typed),
                        words.join(", ")
                    ),
                },
            )
        })
}

/// A staff role in either language's words or as coded.
pub fn role(typed: &str, lang: Lang) -> Result<crate::domain::staff::Role, FieldError> {
    use crate::domain::staff::Role;
    use crate::i18n::values::Worded;
    let t = crate::text::fold(typed.trim());
    Role::ALL
        .iter()
        .copied()
        .find(|r| {
            t == r.as_str()
                || t == crate::text::fold(r.word(Lang::Fr))
                || t == crate::text::fold(r.word(Lang::En))
        })
        .ok_or_else(|| {
            let words: Vec<&str> = Role::ALL.iter().map(|r| r.word(lang)).collect();
            error(
                "role",
                match lang {
                    Lang::Fr => format!(
                        "rôle « {} » : un de {}",
                        crate::text::inline(typed),
                        words.join(", ")
                    ),
                    Lang::En => format!(
                        "role \"{}\": one of {}",
                        crate::text::inline(typed),
                        words.join(", ")
                    ),
                },
            )
        })
}

/// A region from the real list, as stored.
pub fn region(typed: &str, lang: Lang) -> Result<String, FieldError> {
    let shown = crate::text::truncate(&crate::text::inline(typed.trim()), 40);
    match resolve(Level::Region, typed) {
        Resolved::Known(name) => Ok(name),
        Resolved::Close(name) => Err(error(
            "region",
            match lang {
                Lang::Fr => format!("« {shown} » n'est pas une région ; vouliez-vous {name} ?"),
                Lang::En => format!("\"{shown}\" is not a region; did you mean {name}?"),
            },
        )),
        Resolved::Unknown => Err(error(
            "region",
            match lang {
                Lang::Fr => {
                    format!("« {shown} » n'est pas dans la liste des régions du Burkina Faso")
                }
                Lang::En => format!("\"{shown}\" is not in Burkina Faso's list of regions"),
            },
        )),
    }
}

/// A commune from the real list, as stored, with its region and province.
pub fn commune(typed: &str, lang: Lang) -> Result<(String, String, String), FieldError> {
    let shown = crate::text::truncate(&crate::text::inline(typed.trim()), 40);
    match resolve(Level::Commune, typed) {
        Resolved::Known(name) => {
            let (region, province) = commune_home(&name)
                .ok_or_else(|| error("commune", format!("{name}: no region in the list")))?;
            Ok((name, region, province))
        }
        Resolved::Close(name) => Err(error(
            "commune",
            match lang {
                Lang::Fr => format!("« {shown} » n'est pas une commune ; vouliez-vous {name} ?"),
                Lang::En => format!("\"{shown}\" is not a commune; did you mean {name}?"),
            },
        )),
        Resolved::Unknown => Err(error(
            "commune",
            match lang {
                Lang::Fr => {
                    format!("« {shown} » n'est pas dans la liste des communes du Burkina Faso")
                }
                Lang::En => format!("\"{shown}\" is not in Burkina Faso's list of communes"),
            },
        )),
    }
}

/// A phone number as people write it (70 12 34 56, +226…, 00226…), made
/// E.164; empty stays empty.
pub fn phone(typed: &str, lang: Lang) -> Result<Option<String>, FieldError> {
    if typed.trim().is_empty() {
        return Ok(None);
    }
    crate::sms::phone::to_e164(typed, phonenumber::country::BF)
        .map(Some)
        .map_err(|e| {
            error(
                "phone",
                match lang {
                    Lang::Fr => format!(
                        "« {} » n'est pas un numéro de téléphone (p. ex. 70 12 34 56 ou +22670123456)",
                        crate::text::truncate(&crate::text::inline(typed), 40)
                    ),
                    Lang::En => e.to_string(),
                },
            )
        })
}

/// The organisation a form describes, ready for `Op::ApplyEnrollment`.
pub fn application(a: &Application, lang: Lang) -> Result<NewOrganization, FieldError> {
    let kind = kind(&a.kind, lang)?;
    let name = some(&a.name).ok_or_else(|| {
        error(
            "name",
            lang.pick("le nom est obligatoire", "a name is required")
                .to_owned(),
        )
    })?;
    let (commune, region, province) = commune(&a.commune, lang)?;
    Ok(NewOrganization {
        id: uuid::Uuid::now_v7().to_string(),
        kind,
        name,
        acronym: some(&a.acronym),
        region,
        province: Some(province),
        commune: Some(commune),
        contact_name: some(&a.contact_name),
        contact_role: some(&a.contact_role),
        phone: phone(&a.phone, lang)?,
        email: some(&a.email),
        notes: None,
        platform_id: None,
    })
}

/// Organisations of the same normalised name in that commune: (id, name,
/// stage), for the warning before a second one is saved.
pub fn same_name(
    conn: &Connection,
    name: &str,
    commune: &str,
) -> rusqlite::Result<Vec<(String, String, String)>> {
    conn.prepare_cached(
        "SELECT id, name, status FROM organizations WHERE name_key = ?1 AND commune = ?2 ORDER BY created_at, id",
    )?
    .query_map(
        [crate::domain::normalise_name(name), commune.to_owned()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?
    .collect()
}

/// A leader met, as typed.
pub fn leader(
    org_id: &str,
    name: &str,
    role: &str,
    phone_typed: &str,
    lang: Lang,
) -> Result<NewLeader, FieldError> {
    Ok(NewLeader {
        id: uuid::Uuid::now_v7().to_string(),
        org_id: org_id.to_owned(),
        name: some(name).ok_or_else(|| {
            error(
                "name",
                lang.pick("le nom est obligatoire", "a name is required")
                    .to_owned(),
            )
        })?,
        role: some(role),
        phone: phone(phone_typed, lang)?,
    })
}

/// A correction of an organisation's details: each field given (an empty
/// value clears it) against the value stored now, which is what its author
/// saw. Fields that would not change are left out; nothing to change is
/// an error.
pub fn edit(
    conn: &Connection,
    org_id: &str,
    fields: &[(&'static str, String)],
    lang: Lang,
) -> Result<Op, FieldError> {
    let mut changes = Vec::new();
    for (field, typed) in fields {
        if !super::EDITABLE.contains(field) {
            return Err(error("field", format!("{field}: not a detail")));
        }
        let seen: Option<String> = conn
            .query_row(
                &format!("SELECT {field} FROM organizations WHERE id = ?1"),
                [org_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| error("organization", e.to_string()))?
            .ok_or_else(|| {
                error(
                    "organization",
                    match lang {
                        Lang::Fr => format!("{org_id} : introuvable"),
                        Lang::En => format!("{org_id}: not found"),
                    },
                )
            })?;
        let new = match *field {
            "phone" => phone(typed, lang)?,
            _ => some(typed),
        };
        if new != seen {
            changes.push(FieldEdit {
                field: (*field).to_owned(),
                seen,
                new,
            });
        }
    }
    if changes.is_empty() {
        return Err(error(
            "changes",
            lang.pick(
                "rien à corriger : les valeurs sont déjà celles-ci",
                "nothing to correct: the values are already these",
            )
            .to_owned(),
        ));
    }
    Ok(Op::EditOrganization {
        org_id: org_id.to_owned(),
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_is_read_as_people_type_it() {
        assert_eq!(kind("Association", Lang::Fr), Ok(OrgKind::Osc));
        assert_eq!(kind("commune", Lang::Fr), Ok(OrgKind::Commune));
        assert!(kind("parti", Lang::Fr).unwrap_err().why.contains("un de"));
        let (c, region, province) = commune("gorom gorom", Lang::Fr).expect("known");
        assert_eq!(
            (c.as_str(), region.as_str(), province.as_str()),
            ("Gorom-Gorom", "Liptako", "Oudalan")
        );
        assert!(commune("OUAGADOUGOU", Lang::Fr).is_ok());
        assert!(
            commune("Gorom-Gorm", Lang::Fr)
                .unwrap_err()
                .why
                .contains("Gorom-Gorom")
        );
        assert!(
            commune("Paris", Lang::En)
                .unwrap_err()
                .why
                .contains("not in")
        );
        assert_eq!(
            phone("70 12 34 56", Lang::Fr),
            Ok(Some("+22670123456".into()))
        );
        assert_eq!(phone("", Lang::Fr), Ok(None));
        assert!(phone("12", Lang::Fr).is_err());
        let org = application(
            &Application {
                kind: "osc".into(),
                name: "  Association des femmes de Kaya ".into(),
                commune: "kaya".into(),
                phone: "76 00 00 01".into(),
                ..Default::default()
            },
            Lang::Fr,
        )
        .expect("valid");
        assert_eq!(org.name, "Association des femmes de Kaya");
        assert_eq!(org.region, "Kuilsé");
        assert_eq!(org.phone.as_deref(), Some("+22676000001"));
        assert!(application(&Application::default(), Lang::Fr).is_err());
    }
}

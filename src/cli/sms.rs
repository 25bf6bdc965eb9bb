//! `civitac sms send` and `civitac sms show`: an SMS queued from a script
//! with the composer's rules, and one message's delivery as far as this
//! database knows it (counts everywhere; the failed numbers and why where
//! the deliveries are kept — the hub).

use std::process::ExitCode;

use rusqlite::OptionalExtension;

use super::{CmdResult, Ctx, Failure};
use crate::domain::sms::SmsKind;
use crate::i18n::Lang;
use crate::ops::{NewSms, Op};

/// An alert longer than this many SMS asks for `--yes` (it costs each
/// recipient's operator that many).
pub const ALERT_SEGMENTS_ASKED: u32 = 3;

pub fn send(
    ctx: &Ctx,
    group: &str,
    kind: &str,
    text: &str,
    at: Option<&str>,
    yes: bool,
) -> CmdResult {
    use crate::i18n::values::Worded;
    let lang = ctx.lang;
    let folded = crate::text::fold(kind.trim());
    let kind = SmsKind::ALL
        .iter()
        .copied()
        .find(|k| folded == k.as_str() || folded == crate::text::fold(k.word(lang)))
        .ok_or_else(|| {
            Failure::usage(match lang {
                Lang::Fr => format!("--kind « {} » : alert ou notice", crate::text::inline(kind)),
                Lang::En => format!("--kind \"{}\": alert or notice", crate::text::inline(kind)),
            })
        })?;
    if text.trim().is_empty() {
        return Err(Failure::usage(lang.pick(
            "--text : le message est vide",
            "--text: the message is empty",
        )));
    }
    let now = jiff::Timestamp::now();
    let scheduled = crate::tui::composer::send_time(at.unwrap_or(""), now, lang)
        .map_err(|e| Failure::usage(format!("--at: {e}")))?;
    let count = crate::sms::segments::count(text);
    if kind == SmsKind::Alert && count.segments > ALERT_SEGMENTS_ASKED && !yes {
        return Err(Failure::new(match lang {
            Lang::Fr => format!(
                "cette alerte fait {} SMS par destinataire (plus de {ALERT_SEGMENTS_ASKED}) : raccourcissez-la, ou --yes ; rien n'a été envoyé",
                count.segments
            ),
            Lang::En => format!(
                "this alert is {} SMS per recipient (over {ALERT_SEGMENTS_ASKED}): shorten it, or --yes; nothing was sent",
                count.segments
            ),
        }));
    }
    let quiet = ctx
        .quiet_hours
        .as_deref()
        .and_then(crate::sms::quiet::QuietHours::parse);
    if crate::tui::composer::in_quiet_hours(quiet, scheduled.unwrap_or(now))
        && let Some(q) = quiet
    {
        match kind {
            // A notice waits for the morning: say when to send it.
            SmsKind::Notice => {
                return Err(Failure::new(crate::tui::strings::quiet_notice_waits(
                    lang,
                    q.label(),
                )));
            }
            SmsKind::Alert if !yes => {
                return Err(Failure::new(match lang {
                    Lang::Fr => format!(
                        "heures de silence ({}) : une alerte réveille ses destinataires ; --yes si elle ne peut attendre",
                        q.label()
                    ),
                    Lang::En => format!(
                        "quiet hours ({}): an alert wakes its recipients; --yes if it cannot wait",
                        q.label()
                    ),
                }));
            }
            SmsKind::Alert => {}
        }
    }
    let (group_id, group_name) = group_of(ctx, group)?;
    let id = uuid::Uuid::now_v7().to_string();
    let op = Op::QueueSms {
        message: NewSms {
            id: id.clone(),
            group_id,
            kind,
            body: text.to_owned(),
            scheduled_at: scheduled.map(crate::time::format),
        },
    };
    super::batch::apply_ops(ctx, std::slice::from_ref(&op), false)?;
    let store = ctx.open()?;
    let (status, recipients): (String, i64) = store.sql(|c| {
        c.query_row(
            "SELECT status, recipients FROM sms_messages WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    })?;
    let status = crate::i18n::values::column_word("sms", "status", &status, lang).unwrap_or(status);
    println!(
        "{id}  {}",
        match lang {
            Lang::Fr => format!(
                "{} à « {} » : {} × {} ({status})",
                kind.word(lang),
                crate::text::inline(&group_name),
                crate::i18n::counted(lang, recipients, "destinataire", "destinataires"),
                crate::i18n::counted(lang, i64::from(count.segments), "SMS", "SMS"),
            ),
            Lang::En => format!(
                "{} to \"{}\": {} × {} ({status})",
                kind.word(lang),
                crate::text::inline(&group_name),
                crate::i18n::counted(lang, recipients, "recipient", "recipients"),
                crate::i18n::counted(lang, i64::from(count.segments), "SMS", "SMS"),
            ),
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Why a delivery failed, in words: the gateway's and the hub's reasons as
/// people say them.
pub fn failure_words(error: Option<&str>, lang: Lang) -> String {
    let e = error.unwrap_or("").to_ascii_lowercase();
    let (fr, en) = if e.contains("opted out") {
        ("désinscrit entre-temps", "opted out meanwhile")
    } else if e.contains("expired") || e.contains("unknown after") {
        (
            "expiré (sans nouvelles de l'opérateur)",
            "expired (no word from the operator)",
        )
    } else if e.contains("rejected") || e.contains("reject") {
        ("refusé par l'opérateur", "rejected by the operator")
    } else if e.contains("undelivered") || e.contains("unreachable") || e.contains("absent") {
        ("numéro injoignable", "number unreachable")
    } else if e.is_empty() {
        ("échec", "failed")
    } else {
        return crate::text::inline(error.unwrap_or(""));
    };
    lang.pick(fr, en).to_owned()
}

pub fn show(ctx: &Ctx, id: &str) -> CmdResult {
    let lang = ctx.lang;
    let id = crate::store::query::normalise_id(id);
    let store = ctx.open()?;
    type Row = (
        String,
        String,
        String,
        i64,
        i64,
        String,
        i64,
        i64,
        i64,
        Option<String>,
    );
    let row: Option<Row> = store.sql(|c| {
        c.query_row(
            "SELECT m.body, m.kind, m.status, m.recipients, m.segments, g.name,
                    m.sent_count, m.delivered_count, m.failed_count, m.approved_by
             FROM sms_messages m JOIN sms_groups g ON g.id = m.group_id WHERE m.id = ?1",
            [&id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            },
        )
        .optional()
    })?;
    let Some((body, kind, status, recipients, segments, group, sent, delivered, failed, approved)) =
        row
    else {
        return Err(Failure::new(format!(
            "{}: {}",
            crate::text::inline(&id),
            lang.pick("SMS introuvable", "no such SMS")
        )));
    };
    let word = |col: &str, code: &str| {
        crate::i18n::values::column_word("sms", col, code, lang).unwrap_or_else(|| code.to_owned())
    };
    println!("{}", crate::text::inline(&body));
    println!(
        "{}",
        lang.labelled(
            lang.pick("Envoi", "Sending"),
            format!(
                "{}, {} → « {} », {} × {}",
                word("kind", &kind),
                word("status", &status),
                crate::text::inline(&group),
                crate::i18n::counted(
                    lang,
                    recipients,
                    lang.pick("destinataire", "recipient"),
                    lang.pick("destinataires", "recipients")
                ),
                crate::i18n::counted(lang, segments, "SMS", "SMS"),
            )
        )
    );
    if let Some(by) = approved {
        println!(
            "{}",
            lang.labelled(
                lang.pick("Approuvé par", "Approved by"),
                crate::text::inline(&by)
            )
        );
    }
    let pending = (recipients - delivered - failed - (sent - delivered).max(0)).max(0);
    println!(
        "{}",
        lang.labelled(
            lang.pick("Distribution", "Delivery"),
            match lang {
                Lang::Fr => format!(
                    "{delivered} reçus, {} envoyés sans accusé, {failed} en échec, {pending} en attente",
                    (sent - delivered).max(0)
                ),
                Lang::En => format!(
                    "{delivered} delivered, {} sent without report, {failed} failed, {pending} pending",
                    (sent - delivered).max(0)
                ),
            }
        )
    );
    // The failed numbers and why, where the deliveries are kept.
    let failures: Vec<(String, Option<String>)> = store.sql(|c| {
        let mut stmt = c.prepare(
            "SELECT k.phone_e164, d.error FROM sms_deliveries d JOIN sms_contacts k ON k.id = d.contact_id
             WHERE d.message_id = ?1 AND d.status = 'failed' ORDER BY k.phone_e164 LIMIT 200",
        )?;
        stmt.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
    })?;
    for (phone, error) in &failures {
        println!("  {phone}  {}", failure_words(error.as_deref(), lang));
    }
    if failed > 0 && failures.is_empty() {
        println!(
            "{}",
            lang.pick(
                "  (les numéros en échec sont au hub : civitac sms show ID --db hub.db)",
                "  (the failed numbers are at the hub: civitac sms show ID --db hub.db)"
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A group by name or id: (id, name).
fn group_of(ctx: &Ctx, typed: &str) -> Result<(String, String), Failure> {
    let store = ctx.open()?;
    store
        .sql(|c| crate::store::views::group_named(c, typed))?
        .ok_or_else(|| {
            Failure::usage(format!(
                "--group {}: {}",
                crate::text::inline(typed),
                ctx.lang.pick("groupe inconnu", "no such group")
            ))
        })
}

/// `sms groups rename|archive|add|remove` (list and create are in `lists`).
pub fn groups(ctx: &Ctx, cmd: super::lists::GroupsCmd) -> CmdResult {
    use super::lists::GroupsCmd as G;
    let lang = ctx.lang;
    let (ops, said): (Vec<Op>, String) = match cmd {
        G::List { common } => {
            return super::lists::list::<crate::store::rows::SmsGroup>(
                ctx,
                crate::store::query::ListKind::SmsGroups,
                &common,
                &crate::store::query::Filters::default(),
            );
        }
        G::Create { name, description } => (
            vec![Op::CreateGroup {
                group: crate::ops::NewGroup {
                    id: uuid::Uuid::now_v7().to_string(),
                    name: name.clone(),
                    description,
                },
            }],
            match lang {
                Lang::Fr => format!("groupe « {} » créé", crate::text::inline(&name)),
                Lang::En => format!("group \"{}\" created", crate::text::inline(&name)),
            },
        ),
        G::Rename { group, name } => {
            let (id, seen) = group_of(ctx, &group)?;
            (
                vec![Op::RenameGroup {
                    group_id: id,
                    seen_name: seen.clone(),
                    name: name.clone(),
                }],
                format!(
                    "« {} » → « {} »",
                    crate::text::inline(&seen),
                    crate::text::inline(&name)
                ),
            )
        }
        G::Archive { group, undo } => {
            let (id, name) = group_of(ctx, &group)?;
            (
                vec![Op::ArchiveGroup {
                    group_id: id,
                    archived: !undo,
                }],
                match (lang, undo) {
                    (Lang::Fr, false) => {
                        format!("groupe « {} » archivé", crate::text::inline(&name))
                    }
                    (Lang::Fr, true) => format!(
                        "groupe « {} » de nouveau utilisé",
                        crate::text::inline(&name)
                    ),
                    (Lang::En, false) => {
                        format!("group \"{}\" archived", crate::text::inline(&name))
                    }
                    (Lang::En, true) => {
                        format!("group \"{}\" back in use", crate::text::inline(&name))
                    }
                },
            )
        }
        G::Add { group, phones } => {
            let (id, name) = group_of(ctx, &group)?;
            let mut ops = Vec::new();
            for p in &phones {
                let phone = crate::ops::forms::phone(p, lang)
                    .map_err(|e| Failure::usage(e.why))?
                    .unwrap_or_default();
                ops.push(Op::AddContact {
                    contact: crate::ops::NewContact {
                        phone_e164: phone,
                        name: None,
                        region: None,
                        commune: None,
                    },
                    group_id: Some(id.clone()),
                });
            }
            let n = ops.len();
            (
                ops,
                match lang {
                    Lang::Fr => format!(
                        "{} → « {} »",
                        crate::i18n::counted(lang, n as i64, "numéro ajouté", "numéros ajoutés"),
                        crate::text::inline(&name)
                    ),
                    Lang::En => format!(
                        "{} → \"{}\"",
                        crate::i18n::counted(lang, n as i64, "number added", "numbers added"),
                        crate::text::inline(&name)
                    ),
                },
            )
        }
        G::Remove { group, phones } => {
            let (id, name) = group_of(ctx, &group)?;
            let store = ctx.open()?;
            let mut ops = Vec::new();
            for p in &phones {
                let phone = crate::ops::forms::phone(p, lang)
                    .map_err(|e| Failure::usage(e.why))?
                    .unwrap_or_default();
                let contact: Option<String> = store.sql(|c| {
                    c.query_row(
                        "SELECT id FROM sms_contacts WHERE phone_e164 = ?1",
                        [&phone],
                        |r| r.get(0),
                    )
                    .optional()
                })?;
                let contact = contact.ok_or_else(|| {
                    Failure::new(match lang {
                        Lang::Fr => format!("{phone} : pas un contact ; rien n'a été modifié"),
                        Lang::En => format!("{phone}: not a contact; nothing was changed"),
                    })
                })?;
                ops.push(Op::RemoveMember {
                    group_id: id.clone(),
                    contact_id: contact,
                });
            }
            let n = ops.len();
            (
                ops,
                match lang {
                    Lang::Fr => format!(
                        "{} de « {} »",
                        crate::i18n::counted(lang, n as i64, "numéro retiré", "numéros retirés"),
                        crate::text::inline(&name)
                    ),
                    Lang::En => format!(
                        "{} from \"{}\"",
                        crate::i18n::counted(
                            lang,
                            n as i64,
                            "number taken out",
                            "numbers taken out"
                        ),
                        crate::text::inline(&name)
                    ),
                },
            )
        }
    };
    super::batch::apply_ops(ctx, &ops, false)?;
    println!("{said}");
    Ok(ExitCode::SUCCESS)
}

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

/// When a message goes, and what its sender confirms: the options `sms
/// send` and `sms resend` share.
#[derive(Debug, Clone, clap::Args)]
pub struct Sending {
    /// When to send it, local time: "YYYY-MM-DD HH:MM" or "HH:MM" today.
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// Confirm what is asked twice: an alert of more than 3 SMS, or one
    /// sent during quiet hours.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Say whom it would reach (a dynamic group's members now) and what it
    /// would cost, and queue nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// An SMS to queue from the command line.
pub struct Outgoing<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub text: &'a str,
    pub sending: &'a Sending,
    pub retry_of: Option<String>,
}

pub fn send(ctx: &Ctx, sms: &Outgoing<'_>) -> CmdResult {
    use crate::i18n::values::Worded;
    let lang = ctx.lang;
    let Outgoing {
        group,
        kind,
        text,
        sending,
        ..
    } = *sms;
    let Sending { at, yes, dry_run } = sending;
    let (at, yes, dry_run) = (at.as_deref(), *yes, *dry_run);
    let retry_of = sms.retry_of.clone();
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
            retry_of,
        },
    };
    if dry_run {
        // The op itself, rolled back: a dry run refuses what the real one
        // would (a resend made already, nobody to reach, an archived group).
        let mut store = ctx.open()?;
        let actor = store.owner()?.ok_or_else(|| {
            Failure::new(lang.pick(
                "ce réplica n'appartient à personne : `civitac login` d'abord",
                "this replica has no owner: `civitac login` first",
            ))
        })?;
        let tx = store.transaction()?;
        crate::ops::apply(&tx, &actor, &op).map_err(|e| {
            Failure::new(format!(
                "{}{}",
                crate::text::inline(&e.message(lang)),
                lang.pick(" ; rien n'a été modifié", "; nothing was changed")
            ))
        })?;
        let reach: i64 = tx
            .query_row(
                "SELECT recipients FROM sms_messages WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )
            .map_err(|e| Failure::new(e.to_string()))?;
        drop(tx);
        println!(
            "{}",
            match lang {
                Lang::Fr => format!(
                    "{} à « {} » : {} × {} — rien n'a été mis en file (--dry-run)",
                    kind.word(lang),
                    crate::text::inline(&group_name),
                    crate::i18n::counted(lang, reach, "destinataire", "destinataires"),
                    crate::i18n::counted(lang, i64::from(count.segments), "SMS", "SMS"),
                ),
                Lang::En => format!(
                    "{} to \"{}\": {} × {} — nothing was queued (--dry-run)",
                    kind.word(lang),
                    crate::text::inline(&group_name),
                    crate::i18n::counted(lang, reach, "recipient", "recipients"),
                    crate::i18n::counted(lang, i64::from(count.segments), "SMS", "SMS"),
                ),
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
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

/// `sms resend ID`: the same message (or `--text`) to the numbers it failed
/// to reach, as a new message with the composer's rules and approvals.
pub fn resend(ctx: &Ctx, id: &str, text: Option<&str>, sending: &Sending) -> CmdResult {
    let lang = ctx.lang;
    let id = crate::store::query::normalise_id(id);
    let found: Option<(String, String, String)> = ctx.open()?.sql(|c| {
        c.query_row(
            "SELECT group_id, kind, body FROM sms_messages WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
    })?;
    let Some((group, kind, body)) = found else {
        return Err(Failure::new(format!(
            "{}: {}",
            crate::text::inline(&id),
            lang.pick("SMS introuvable", "no such SMS")
        )));
    };
    send(
        ctx,
        &Outgoing {
            group: &group,
            kind: &kind,
            text: text.unwrap_or(&body),
            sending,
            retry_of: Some(id),
        },
    )
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
    println!(
        "{}",
        lang.labelled(
            lang.pick("Distribution", "Delivery"),
            crate::store::views::delivery_words(lang, recipients, sent, delivered, failed)
        )
    );
    // The failed numbers and why, where the deliveries are kept.
    let failures: Vec<(String, Option<String>)> = store.sql(|c| {
        let mut stmt = c.prepare(
            "SELECT k.phone_e164, f.error FROM sms_failures f JOIN sms_contacts k ON k.id = f.contact_id
             WHERE f.message_id = ?1 ORDER BY k.phone_e164 LIMIT 200",
        )?;
        stmt.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
    })?;
    for (phone, error) in &failures {
        println!(
            "  {phone}  {}",
            crate::store::views::failure_words(error.as_deref(), lang)
        );
    }
    if failures.len() == 200 && failed > 200 {
        println!(
            "  {}",
            match lang {
                Lang::Fr => format!("… et {} autres", failed - 200),
                Lang::En => format!("… and {} more", failed - 200),
            }
        );
    }
    let resent = store.sql(|c| Ok(crate::store::views::resent_as(c, &id)))?;
    if let Some((again, again_status)) = &resent {
        let word = crate::i18n::values::column_word("sms", "status", again_status, lang)
            .unwrap_or_else(|| again_status.clone());
        println!(
            "{}",
            lang.labelled(lang.pick("Renvoyé", "Resent"), format!("{again} ({word})"))
        );
    } else if !failures.is_empty() && matches!(status.as_str(), "sent" | "failed") {
        println!(
            "{}",
            match lang {
                Lang::Fr => format!("  renvoyer aux numéros en échec : civitac sms resend {id}"),
                Lang::En => format!("  send again to the failed numbers: civitac sms resend {id}"),
            }
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
        G::Create {
            name,
            description,
            region,
            commune,
            kind,
        } => {
            let usage = |e: crate::ops::forms::FieldError| Failure::usage(e.why);
            let rule = crate::store::audience::Rule {
                region: region
                    .map(|r| crate::ops::forms::region(&r, lang))
                    .transpose()
                    .map_err(usage)?,
                commune: commune
                    .map(|c| crate::ops::forms::commune(&c, lang).map(|(name, _, _)| name))
                    .transpose()
                    .map_err(usage)?,
                org_kind: kind
                    .map(|k| crate::ops::forms::kind(&k, lang).map(|k| k.as_str().to_owned()))
                    .transpose()
                    .map_err(usage)?,
            };
            let shown = crate::text::inline(&name);
            let said = if rule.is_empty() {
                match lang {
                    Lang::Fr => format!("groupe « {shown} » créé"),
                    Lang::En => format!("group \"{shown}\" created"),
                }
            } else {
                let today = ctx
                    .open()?
                    .sql(|c| Ok(crate::store::audience::Audience::Rule(rule.clone()).count(c)?))?;
                let reach = crate::i18n::counted(
                    lang,
                    today,
                    lang.pick("destinataire", "recipient"),
                    lang.pick("destinataires", "recipients"),
                );
                match lang {
                    Lang::Fr => format!(
                        "groupe dynamique « {shown} » créé ({}) : {reach} aujourd'hui",
                        crate::store::views::rule_words(&rule, lang)
                    ),
                    Lang::En => format!(
                        "dynamic group \"{shown}\" created ({}): {reach} today",
                        crate::store::views::rule_words(&rule, lang)
                    ),
                }
            };
            (
                vec![Op::CreateGroup {
                    group: crate::ops::NewGroup {
                        id: uuid::Uuid::now_v7().to_string(),
                        name: name.clone(),
                        description,
                        rule: (!rule.is_empty()).then_some(rule),
                    },
                }],
                said,
            )
        }
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

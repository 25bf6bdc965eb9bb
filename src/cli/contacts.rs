//! `civitac sms contacts import FILE.csv --group NAME`: contacts from a
//! spreadsheet, as field staff keep them. Tolerant about the header (case,
//! accents, French or English names) and the separator (`,` `;` or tab);
//! strict about numbers (E.164 through libphonenumber). Every rejected line
//! is reported with its number and why; good lines are never dropped because
//! of bad ones; one number appears once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use unicode_normalization::UnicodeNormalization;

use super::{CmdResult, Ctx, Failure};
use crate::i18n::Lang;
use crate::ops::{NewContact, Op};
use crate::sms::phone;

#[derive(Debug, Subcommand)]
pub enum ContactsCmd {
    /// Import contacts from a CSV (columns name, phone, region, commune) into
    /// a group (created, and said so, when new).
    Import(ImportArgs),
    /// List contacts (by number).
    List {
        #[command(flatten)]
        common: Box<super::lists::ListCommon>,
        /// Members of this group (name or id).
        #[arg(long)]
        group: Option<String>,
        /// Only those who asked for no more SMS (`--opted-out no`: the others).
        #[arg(long, num_args = 0..=1, default_missing_value = "yes", value_name = "yes|no")]
        opted_out: Option<String>,
        /// Part of a name or number.
        #[arg(long)]
        search: Option<String>,
    },
    /// Correct a contact's name or commune (an empty value clears it; the
    /// region follows the commune; the old values stay in the audit log).
    Edit {
        /// The contact's id.
        id: String,
        /// Their name.
        #[arg(long)]
        name: Option<String>,
        /// Their commune, as in Burkina Faso's list (accents and case aside).
        #[arg(long)]
        commune: Option<String>,
    },
    /// Stop sending SMS to contacts who asked (by phone, in person).
    OptOut(super::batch::ActionArgs),
    /// Send SMS again to contacts who had said STOP and agreed to come
    /// back; the reason records the consent (who, how: "a rappelé le 2/12").
    OptIn(super::batch::ActionArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file (`-` reads standard input).
    pub file: PathBuf,
    /// The group (name or id) the contacts join.
    #[arg(long, value_name = "NAME")]
    pub group: String,
    /// Country of numbers written without their international prefix: BF, NE, ML, SN or CI.
    #[arg(long, value_name = "CC", default_value = "BF")]
    pub default_region: String,
    /// Check and report, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// A header cell, lower-cased and without accents, to its column.
fn column_of(header: &str) -> Option<&'static str> {
    let key: String = header
        .trim()
        .trim_start_matches('\u{feff}')
        .nfd()
        .filter(char::is_ascii)
        .collect::<String>()
        .to_ascii_lowercase();
    match key.as_str() {
        "name" | "nom" | "nom complet" | "full name" => Some("name"),
        "phone"
        | "telephone"
        | "tel"
        | "tel."
        | "numero"
        | "mobile"
        | "phone number"
        | "numero de telephone" => Some("phone"),
        "region" => Some("region"),
        "commune" | "ville" | "town" => Some("commune"),
        _ => None,
    }
}

fn separator(header: &str) -> u8 {
    [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|s| header.bytes().filter(|b| b == s).count())
        .unwrap_or(b',')
}

/// What an import found, line by line.
#[derive(Debug, Default)]
pub struct Parsed {
    pub contacts: Vec<(usize, NewContact)>,
    pub rejected: Vec<(usize, String)>,
    /// (line, line it repeats)
    pub duplicates: Vec<(usize, usize)>,
}

/// One physical line as one CSV record. A contact list never needs a field
/// that spans lines, so a quote left open is that line's mistake, reported,
/// and never swallows the lines after it.
fn record_of(line: &str, delimiter: u8) -> Result<csv::StringRecord, String> {
    if line.matches('"').count() % 2 == 1 {
        return Err("unbalanced quote (\")".into());
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes());
    match reader.records().next() {
        Some(Ok(r)) => Ok(r),
        Some(Err(e)) => Err(e.to_string()),
        None => Ok(csv::StringRecord::new()),
    }
}

pub fn parse(text: &str, region: phonenumber::country::Id, lang: Lang) -> Result<Parsed, String> {
    let text = text.trim_start_matches('\u{feff}');
    // Old Mac files end lines with a lone CR; a CR inside a line would end
    // the CSV record early and drop what follows: both are line breaks here.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    let delimiter = separator(header);
    let headers = record_of(header, delimiter).map_err(|e| format!("line 1: {e}"))?;
    let columns: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| column_of(h).map(|c| (c, i)))
        .collect();
    let Some(&phone_at) = columns.get("phone") else {
        return Err(lang
            .pick(
                "ligne 1 : aucune colonne de téléphone (phone, téléphone, tel, numéro)",
                "line 1: no phone column (phone, téléphone, tel, numéro)",
            )
            .to_owned());
    };
    let mut out = Parsed::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, text_line) in lines.enumerate() {
        let line = i + 2;
        let record = match record_of(text_line, delimiter) {
            Ok(r) => r,
            Err(e) => {
                out.rejected.push((line, e));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |c: &str| {
            columns
                .get(c)
                .and_then(|i| record.get(*i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let raw = record.get(phone_at).unwrap_or("");
        let e164 = match phone::to_e164(raw, region) {
            Ok(n) => n,
            Err(e) => {
                out.rejected.push((line, e.to_string()));
                continue;
            }
        };
        if let Some(first) = seen.get(&e164) {
            out.duplicates.push((line, *first));
            continue;
        }
        seen.insert(e164.clone(), line);
        out.contacts.push((
            line,
            NewContact {
                phone_e164: e164,
                name: get("name"),
                region: get("region"),
                commune: get("commune"),
            },
        ));
    }
    Ok(out)
}

/// Windows-1252's characters for bytes 0x80–0x9F (Latin-1 has controls there).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// How a file's bytes were read.
#[derive(Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// With a byte-order mark.
    Utf16,
    /// No valid UTF-8 sequence beyond ASCII anywhere: a spreadsheet's
    /// Windows export, read as Windows-1252 (said so to the person).
    Windows1252,
}

/// Decodes a contacts file: UTF-8, or Windows-1252 when nothing in it reads as
/// UTF-8. A file that is UTF-8 in places and not in others could be read
/// either way: refused, naming the first bad line, rather than guessed.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), String> {
    // UTF-16, as some spreadsheets save "Unicode text": its BOM says so.
    let utf16 = |le: bool| -> Result<(String, Encoding), String> {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units)
            .map(|t| (t, Encoding::Utf16))
            .map_err(|_| {
                "1: not valid UTF-16 after its byte-order mark (nothing was imported)".into()
            })
    };
    match bytes {
        [0xff, 0xfe, ..] => return utf16(true),
        [0xfe, 0xff, ..] => return utf16(false),
        _ => {}
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => return Ok((t.to_owned(), Encoding::Utf8)),
        Err(e) => {
            let valid_multibyte = String::from_utf8_lossy(bytes)
                .chars()
                .any(|c| !c.is_ascii() && c != char::REPLACEMENT_CHARACTER);
            if valid_multibyte {
                let line = bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                return Err(format!(
                    "{line}: not UTF-8, though other lines are: re-save the file as UTF-8 (nothing was imported)"
                ));
            }
        }
    }
    let text = bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => CP1252_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect();
    Ok((text, Encoding::Windows1252))
}

fn read(file: &Path, lang: Lang) -> Result<String, Failure> {
    use std::io::Read;
    let name = file.display().to_string();
    let mut bytes = Vec::new();
    if name == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::new(format!("-: {e}")))?;
    } else {
        bytes = std::fs::read(file).map_err(|e| Failure::new(format!("{name}: {e}")))?;
    }
    let (text, encoding) = decode(&bytes).map_err(|e| Failure::new(format!("{name}:{e}")))?;
    if encoding == Encoding::Windows1252 {
        eprintln!(
            "{}: {}",
            crate::text::inline(&name),
            lang.pick(
                "pas en UTF-8 : lu comme Windows-1252 (export Excel Windows) ; vérifiez les accents ci-dessous",
                "not UTF-8: read as Windows-1252 (a Windows spreadsheet export); check the accents below",
            )
        );
    }
    Ok(text)
}

pub fn run(ctx: &Ctx, cmd: ContactsCmd) -> CmdResult {
    let args = match cmd {
        ContactsCmd::Import(args) => args,
        ContactsCmd::List {
            common,
            group,
            opted_out,
            search,
        } => {
            use crate::store::query::{FilterKey, Filters, ListKind};
            let mut f = Filters::default();
            if let Some(g) = group {
                // By name or id: the filter takes an id.
                let store = ctx.open()?;
                let id = store
                    .sql(|c| crate::store::views::group_named(c, &g))?
                    .map(|(id, _)| id);
                let id = id.ok_or_else(|| {
                    Failure::usage(format!(
                        "--group {}: {}",
                        crate::text::inline(&g),
                        ctx.lang.pick("groupe inconnu", "no such group")
                    ))
                })?;
                f.push(FilterKey::Group, id);
            }
            if let Some(o) = opted_out {
                f.push(FilterKey::OptedOut, o);
            }
            if let Some(s) = search {
                f.push(FilterKey::Search, s);
            }
            return super::lists::list::<crate::store::rows::SmsContact>(
                ctx,
                ListKind::SmsContacts,
                &common,
                &f,
            );
        }
        ContactsCmd::Edit { id, name, commune } => return edit(ctx, &id, name, commune),
        ContactsCmd::OptOut(a) | ContactsCmd::OptIn(a)
            if a.ids.is_empty() && a.from.is_none() && a.filters.is_empty() =>
        {
            return Err(Failure::usage(ctx.lang.pick(
                "indiquez les contacts : des ids, --from FICHIER ou --where CLÉ=VALEUR",
                "say which contacts: ids, --from FILE or --where KEY=VALUE",
            )));
        }
        ContactsCmd::OptOut(a) => {
            return contacts_decision(ctx, &a, crate::ops::decisions::Decision::OptOut);
        }
        ContactsCmd::OptIn(a) => {
            return contacts_decision(ctx, &a, crate::ops::decisions::Decision::OptIn);
        }
    };
    let lang = ctx.lang;
    let region = phone::region(&args.default_region).ok_or_else(|| {
        Failure::usage(format!(
            "--default-region {}: {} BF, NE, ML, SN, CI",
            args.default_region,
            lang.pick("l'un de", "one of")
        ))
    })?;
    let name = args.file.display().to_string();
    let text = read(&args.file, lang)?;
    let parsed = parse(&text, region, lang).map_err(|e| Failure::new(format!("{name}: {e}")))?;
    let mut store = ctx.open()?;
    let actor = store.owner()?.ok_or_else(|| {
        Failure::new(lang.pick(
            "ce réplica n'appartient à personne : `civitac login` d'abord",
            "this replica has no owner: `civitac login` first",
        ))
    })?;
    let group: Option<String> = store
        .sql(|c| crate::store::views::group_named(c, &args.group))?
        .map(|(id, _)| id);
    // A dynamic group takes no member by hand, nor does an archived one:
    // said once, before any line is read (a dry run included), not on each.
    if let Some(id) = &group
        && let Err(e) = store.sql(|c| Ok(crate::ops::takes_members(c, id)))?
    {
        return Err(if e.is_storage() {
            Failure::new(format!("{}: {}", store.path().display(), e.message(lang)))
        } else {
            Failure::usage(e.message(lang))
        });
    }
    // A new group is created, and said so (in the same transaction as the
    // contacts: an import refused whole leaves no empty group behind).
    let new_group = match &group {
        Some(_) => None,
        None => Some(crate::ops::NewGroup {
            id: uuid::Uuid::now_v7().to_string(),
            name: args.group.trim().to_owned(),
            description: None,
            rule: None,
        }),
    };
    let group = group
        .or_else(|| new_group.as_ref().map(|g| g.id.clone()))
        .unwrap_or_default();
    let mut complaints = super::Complaints::new();
    for (line, why) in &parsed.rejected {
        complaints.say(&format!("{name}:{line}: {why}"));
    }
    for (line, first) in &parsed.duplicates {
        complaints.say(&format!(
            "{name}:{line}: {} {first}",
            lang.pick("même numéro que la ligne", "same number as line")
        ));
    }
    let mut added = 0;
    let mut refused = 0;
    let announce = |g: &crate::ops::NewGroup| {
        let name = crate::text::inline(&g.name);
        eprintln!(
            "{}",
            match (lang, args.dry_run) {
                (Lang::Fr, false) => format!("nouveau groupe « {name} » créé"),
                (Lang::Fr, true) => format!("nouveau groupe « {name} » (serait créé)"),
                (Lang::En, false) => format!("new group \"{name}\" created"),
                (Lang::En, true) => format!("new group \"{name}\" (would be created)"),
            }
        );
    };
    if args.dry_run
        && let Some(g) = &new_group
    {
        announce(g);
    }
    if !args.dry_run {
        let tx = store.transaction()?;
        if let Some(g) = &new_group {
            crate::ops::apply(&tx, &actor, &Op::CreateGroup { group: g.clone() })
                .map_err(|e| Failure::usage(format!("--group: {}", e.message(lang))))?;
            announce(g);
        }
        for (line, contact) in &parsed.contacts {
            let op = Op::AddContact {
                contact: contact.clone(),
                group_id: Some(group.clone()),
            };
            // One savepoint per line: a refused line never takes the others with it.
            tx.execute_batch("SAVEPOINT line")
                .map_err(|e| Failure::new(e.to_string()))?;
            match crate::ops::apply(&tx, &actor, &op) {
                Ok(_) => {
                    tx.execute_batch("RELEASE line")
                        .map_err(|e| Failure::new(e.to_string()))?;
                    added += 1;
                }
                Err(e) if e.is_storage() => {
                    // The database failed (full, read-only): stop, keep nothing.
                    drop(tx);
                    complaints.finish(lang);
                    return Err(Failure::new(format!(
                        "{}: {} ; {}",
                        store.path().display(),
                        e.message(lang),
                        lang.pick("rien n'a été importé", "nothing was imported")
                    )));
                }
                Err(e) => {
                    tx.execute_batch("ROLLBACK TO line; RELEASE line")
                        .map_err(|e| Failure::new(e.to_string()))?;
                    complaints.say(&format!("{name}:{line}: {}", e.message(lang)));
                    refused += 1;
                }
            }
        }
        tx.commit().map_err(|e| {
            Failure::new(format!(
                "{}: {e}; {}",
                store.path().display(),
                lang.pick("rien n'a été importé", "nothing was imported")
            ))
        })?;
    }
    complaints.finish(lang);
    let rejected = parsed.rejected.len() + refused;
    println!(
        "{}",
        match (lang, args.dry_run) {
            (Lang::Fr, false) => format!(
                "{added} contacts ajoutés au groupe ; {rejected} lignes rejetées ; {} doublons ignorés",
                parsed.duplicates.len()
            ),
            (Lang::En, false) => format!(
                "{added} contacts added to the group; {rejected} lines rejected; {} duplicates skipped",
                parsed.duplicates.len()
            ),
            (Lang::Fr, true) => format!(
                "{} contacts seraient ajoutés ; {rejected} lignes rejetées ; {} doublons (rien n'a changé)",
                parsed.contacts.len(),
                parsed.duplicates.len()
            ),
            (Lang::En, true) => format!(
                "{} contacts would be added; {rejected} lines rejected; {} duplicates (nothing changed)",
                parsed.contacts.len(),
                parsed.duplicates.len()
            ),
        }
    );
    Ok(if rejected > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Opting contacts out or back in, as a batch (ids, `--from`, `--where`).
fn contacts_decision(
    ctx: &Ctx,
    args: &super::batch::ActionArgs,
    decision: crate::ops::decisions::Decision,
) -> CmdResult {
    use crate::store::query::{self, Filters, ListKind};
    let select = |c: &rusqlite::Connection, f: &Filters| {
        query::ids::<crate::store::rows::SmsContact>(c, ListKind::SmsContacts, f)
    };
    super::batch::run(ctx, args, &decision, &select)
}

/// `sms contacts edit`: the values seen are those stored now.
fn edit(ctx: &Ctx, id: &str, name: Option<String>, commune: Option<String>) -> CmdResult {
    let lang = ctx.lang;
    let id = crate::store::query::normalise_id(id);
    if name.is_none() && commune.is_none() {
        return Err(Failure::usage(lang.pick(
            "indiquez ce qu'il faut corriger : --name, --commune",
            "say what to correct: --name, --commune",
        )));
    }
    let current: Option<(Option<String>, Option<String>)> = {
        let store = ctx.open()?;
        store.sql(|c| {
            use rusqlite::OptionalExtension;
            c.query_row(
                "SELECT name, commune FROM sms_contacts WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?
    };
    let (seen_name, seen_commune) = current.ok_or_else(|| {
        Failure::new(match lang {
            Lang::Fr => format!("contact {id} : introuvable"),
            Lang::En => format!("contact {id}: not found"),
        })
    })?;
    let mut changes = Vec::new();
    if let Some(n) = name {
        changes.push(crate::ops::FieldEdit {
            field: "name".into(),
            seen: seen_name,
            new: Some(n),
        });
    }
    if let Some(c) = commune {
        changes.push(crate::ops::FieldEdit {
            field: "commune".into(),
            seen: seen_commune,
            new: Some(c),
        });
    }
    super::batch::apply_ops(
        ctx,
        &[Op::EditContact {
            contact_id: id,
            changes,
        }],
        false,
    )?;
    println!(
        "{}",
        lang.pick(
            "contact corrigé (les anciennes valeurs restent au journal)",
            "contact corrected (the old values stay in the audit log)"
        )
    );
    Ok(ExitCode::SUCCESS)
}

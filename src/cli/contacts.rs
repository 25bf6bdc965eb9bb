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
    /// Import contacts from a CSV (columns name, phone, region, commune) into a group.
    Import(ImportArgs),
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

pub fn parse(text: &str, region: phonenumber::country::Id, lang: Lang) -> Result<Parsed, String> {
    let header = text.lines().next().unwrap_or("");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(header))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
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
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                out.rejected.push((line, e.to_string()));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
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

fn read(file: &Path) -> Result<String, Failure> {
    use std::io::Read;
    let name = file.display().to_string();
    let mut text = String::new();
    if name == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::new(format!("-: {e}")))?;
    } else {
        let bytes = std::fs::read(file).map_err(|e| Failure::new(format!("{name}: {e}")))?;
        // Spreadsheets exported on Windows are often Latin-1.
        text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => e.into_bytes().iter().map(|&b| char::from(b)).collect(),
        };
    }
    Ok(text)
}

pub fn run(ctx: &Ctx, cmd: ContactsCmd) -> CmdResult {
    let ContactsCmd::Import(args) = cmd;
    let lang = ctx.lang;
    let region = phone::region(&args.default_region).ok_or_else(|| {
        Failure::usage(format!(
            "--default-region {}: {} BF, NE, ML, SN, CI",
            args.default_region,
            lang.pick("l'un de", "one of")
        ))
    })?;
    let name = args.file.display().to_string();
    let text = read(&args.file)?;
    let parsed = parse(&text, region, lang).map_err(|e| Failure::new(format!("{name}: {e}")))?;
    let mut store = ctx.open()?;
    let actor = store.owner()?.ok_or_else(|| {
        Failure::new(lang.pick(
            "ce réplica n'appartient à personne : `civitac login` d'abord",
            "this replica has no owner: `civitac login` first",
        ))
    })?;
    let group: Option<String> = store.sql(|c| {
        use rusqlite::OptionalExtension;
        c.query_row(
            "SELECT id FROM sms_groups WHERE id = ?1 OR name = ?1 COLLATE NOCASE ORDER BY id = ?1 DESC LIMIT 1",
            [&args.group],
            |r| r.get(0),
        )
        .optional()
    })?;
    let group = group.ok_or_else(|| {
        Failure::usage(format!(
            "--group {}: {}",
            args.group,
            lang.pick(
                "groupe inconnu (voir `civitac sms list` et l'écran SMS, vue groupes)",
                "no such group (see the SMS screen's groups view)",
            )
        ))
    })?;
    for (line, why) in &parsed.rejected {
        eprintln!("{name}:{line}: {}", crate::text::inline(why));
    }
    for (line, first) in &parsed.duplicates {
        eprintln!(
            "{name}:{line}: {} {first}",
            lang.pick("même numéro que la ligne", "same number as line")
        );
    }
    let mut added = 0;
    let mut refused = 0;
    if !args.dry_run {
        let tx = store.transaction()?;
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
                Err(e) => {
                    tx.execute_batch("ROLLBACK TO line; RELEASE line")
                        .map_err(|e| Failure::new(e.to_string()))?;
                    eprintln!("{name}:{line}: {}", e.message(lang));
                    refused += 1;
                }
            }
        }
        tx.commit().map_err(|e| Failure::new(e.to_string()))?;
    }
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

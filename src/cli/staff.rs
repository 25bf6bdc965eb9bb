//! `civitac hub staff …`: colleagues at the hub — who has which role, adding
//! one, changing a role, switching off someone who left (every device of
//! theirs revoked at once; never the last active admin). Each change is an
//! op applied by the hub's operator (`hub`), audited, and pulled by every
//! replica, whose Journal shows it.

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;

use super::hubdb::HubDb;
use super::output::Format;
use super::{CmdResult, Failure};
use crate::domain::staff::Role;
use crate::i18n::Lang;
use crate::ops::{self, NewStaff, Op};
use crate::store::Actor;
use crate::store::sql::Optional;

#[derive(Debug, Subcommand)]
pub enum StaffCmd {
    /// Who is on the team: role, whether active, devices, last sync.
    List {
        /// table (fits the terminal), csv or json (for scripts).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Add a colleague (then `hub token issue` for their devices).
    Add {
        /// Their login: letters, digits, '.', '-', '_' (e.g. mariam.traore).
        #[arg(long)]
        login: String,
        /// Their full name.
        #[arg(long)]
        name: String,
        /// admin, moderator or field_agent.
        #[arg(long)]
        role: String,
    },
    /// Change a colleague's role (the last active admin keeps theirs).
    SetRole {
        /// Their login.
        login: String,
        /// admin, moderator or field_agent.
        role: String,
    },
    /// Switch off someone who left: every device of theirs is revoked at once.
    Deactivate {
        /// Their login.
        login: String,
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: String,
    },
    /// Switch a colleague back on (their devices need new tokens).
    Reactivate {
        /// Their login.
        login: String,
    },
}

/// The hub's operator, as the actor of the changes made here.
fn operator() -> Actor {
    Actor {
        staff_id: "hub".into(),
        login: "hub".into(),
        display_name: "hub".into(),
        role: Role::Admin,
        device: "hub".into(),
    }
}

fn role(typed: &str, lang: Lang) -> Result<Role, Failure> {
    crate::ops::forms::role(typed, lang).map_err(|e| Failure::usage(e.why))
}

/// A colleague by login: (id, role, active).
fn find(hub: &HubDb, login: &str, lang: Lang) -> Result<(String, Role, bool), Failure> {
    hub.sql()
        .query_row(
            "SELECT id, role, active FROM staff WHERE login = ?1",
            [login],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(|e| Failure::new(format!("{}: {e}", hub.name())))?
        .ok_or_else(|| {
            Failure::new(match lang {
                Lang::Fr => format!(
                    "personne de l'équipe n'a l'identifiant « {} »",
                    crate::text::inline(login)
                ),
                Lang::En => format!(
                    "no staff member has the login \"{}\"",
                    crate::text::inline(login)
                ),
            })
        })
}

fn apply(hub: &mut HubDb, op: &Op, lang: Lang) -> Result<(), Failure> {
    let name = hub.name();
    hub.write(|tx| ops::apply(tx, &operator(), op).map(drop))
        .map_err(|e| Failure::new(format!("{name}: {}", crate::text::inline(&e.message(lang)))))
}

pub fn run(hub: &mut HubDb, lang: Lang, cmd: StaffCmd) -> CmdResult {
    match cmd {
        StaffCmd::List { format } => list(hub, lang, format),
        StaffCmd::Add {
            login,
            name,
            role: typed,
        } => {
            let role = role(&typed, lang)?;
            let op = Op::AddStaff {
                staff: NewStaff {
                    id: uuid::Uuid::now_v7().to_string(),
                    login: login.clone(),
                    display_name: name,
                    role,
                },
            };
            apply(hub, &op, lang)?;
            println!(
                "{}",
                match lang {
                    Lang::Fr => format!(
                        "{login} ajouté·e ({}) ; ses appareils : civitac hub token issue --staff {login} --role {role} --device NOM",
                        crate::i18n::values::Worded::word(role, lang)
                    ),
                    Lang::En => format!(
                        "{login} added ({role}); their devices: civitac hub token issue --staff {login} --role {role} --device NAME"
                    ),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        StaffCmd::SetRole { login, role: typed } => {
            let role = role(&typed, lang)?;
            let (id, seen, _) = find(hub, &login, lang)?;
            apply(
                hub,
                &Op::SetStaffRole {
                    staff_id: id,
                    seen_role: seen,
                    role,
                },
                lang,
            )?;
            println!(
                "{login}{}{} → {}",
                lang.colon(),
                crate::i18n::values::Worded::word(seen, lang),
                crate::i18n::values::Worded::word(role, lang)
            );
            Ok(ExitCode::SUCCESS)
        }
        StaffCmd::Deactivate { login, reason } => {
            let (id, _, seen) = find(hub, &login, lang)?;
            let devices: i64 = hub
                .sql()
                .query_row(
                    "SELECT count(*) FROM devices WHERE staff_id = ?1 AND revoked_at IS NULL",
                    [&id],
                    |r| r.get(0),
                )
                .map_err(|e| Failure::new(format!("{}: {e}", hub.name())))?;
            apply(
                hub,
                &Op::SetStaffActive {
                    staff_id: id,
                    seen_active: seen,
                    active: false,
                    reason: Some(reason),
                },
                lang,
            )?;
            println!(
                "{}",
                match lang {
                    Lang::Fr => format!(
                        "{login} désactivé·e ; {} révoqué{}",
                        crate::i18n::counted(lang, devices, "appareil", "appareils"),
                        if devices > 1 { "s" } else { "" }
                    ),
                    Lang::En => format!(
                        "{login} switched off; {} revoked",
                        crate::i18n::counted(lang, devices, "device", "devices")
                    ),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        StaffCmd::Reactivate { login } => {
            let (id, _, seen) = find(hub, &login, lang)?;
            apply(
                hub,
                &Op::SetStaffActive {
                    staff_id: id,
                    seen_active: seen,
                    active: true,
                    reason: None,
                },
                lang,
            )?;
            println!(
                "{}",
                lang.pick(
                    "réactivé·e ; ses appareils ont besoin de nouveaux jetons (hub token issue)",
                    "switched back on; their devices need new tokens (hub token issue)"
                )
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(serde::Serialize)]
struct Row {
    login: String,
    display_name: String,
    role: Role,
    active: bool,
    devices: i64,
    last_sync_at: Option<String>,
}

fn list(hub: &HubDb, lang: Lang, format: Format) -> CmdResult {
    let rows: Vec<Row> = {
        let c = hub.sql();
        let mut stmt = c.prepare(
            "SELECT s.login, s.display_name, s.role, s.active,
                    (SELECT count(*) FROM devices d WHERE d.staff_id = s.id AND d.revoked_at IS NULL),
                    (SELECT max(d.last_seen_at) FROM devices d WHERE d.staff_id = s.id)
             FROM staff s ORDER BY s.active DESC, s.role, s.login",
        )?;
        stmt.query_map((), |r| {
            Ok(Row {
                login: r.get(0)?,
                display_name: r.get(1)?,
                role: r.get(2)?,
                active: r.get(3)?,
                devices: r.get(4)?,
                last_sync_at: r.get(5)?,
            })
        })
        .and_then(|rows| rows.collect::<Result<_, _>>())
        .map_err(|e| Failure::new(format!("{}: {e}", hub.name())))?
    };
    let mut out = std::io::stdout().lock();
    let io = |e: std::io::Error| Failure::new(e.to_string());
    match format {
        Format::Json => {
            let text =
                serde_json::to_string_pretty(&rows).map_err(|e| Failure::new(e.to_string()))?;
            writeln!(out, "{text}").map_err(io)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "login",
                "display_name",
                "role",
                "active",
                "devices",
                "last_sync_at",
            ])
            .map_err(|e| Failure::new(e.to_string()))?;
            for r in &rows {
                w.write_record([
                    super::output::spreadsheet_safe(r.login.clone()),
                    super::output::spreadsheet_safe(r.display_name.clone()),
                    r.role.as_str().to_owned(),
                    r.active.to_string(),
                    r.devices.to_string(),
                    r.last_sync_at.clone().unwrap_or_default(),
                ])
                .map_err(|e| Failure::new(e.to_string()))?;
            }
            w.flush().map_err(io)?;
        }
        Format::Table => {
            use crate::i18n::values::Worded;
            let now = jiff::Timestamp::now();
            let devices = |n: i64| {
                crate::i18n::counted(
                    lang,
                    n,
                    lang.pick("appareil", "device"),
                    lang.pick("appareils", "devices"),
                )
            };
            let table: Vec<[String; 5]> = rows
                .iter()
                .map(|r| {
                    [
                        crate::text::inline(&r.login),
                        r.role.word(lang).to_owned(),
                        if r.active {
                            lang.pick("actif", "active").to_owned()
                        } else {
                            lang.pick("désactivé", "switched off").to_owned()
                        },
                        match &r.last_sync_at {
                            Some(at) => format!(
                                "{} ({})",
                                crate::time::relative(at, now, lang),
                                devices(r.devices)
                            ),
                            None => {
                                format!("{} ({})", lang.pick("jamais", "never"), devices(r.devices))
                            }
                        },
                        crate::text::inline(&r.display_name),
                    ]
                })
                .collect();
            let headers = match lang {
                Lang::Fr => ["identifiant", "rôle", "état", "dernière synchro", "nom"],
                Lang::En => ["login", "role", "state", "last sync", "name"],
            };
            let widths: Vec<usize> = (0..5)
                .map(|i| {
                    table
                        .iter()
                        .map(|r| crate::text::width(&r[i]))
                        .chain([crate::text::width(headers[i])])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: &[&str]| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| crate::text::fit(c, *w))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_owned()
            };
            writeln!(out, "{}", line(&headers)).map_err(io)?;
            for r in &table {
                let cells: Vec<&str> = r.iter().map(String::as_str).collect();
                writeln!(out, "{}", line(&cells)).map_err(io)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

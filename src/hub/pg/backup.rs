//! `hub backup` and `hub restore` for a hub on PostgreSQL, with
//! PostgreSQL's own tools: `pg_dump` (one consistent snapshot, while the
//! hubs serve) checked by `pg_restore --list`; a restore puts the dump in
//! place of the hub's schema, keeps the replaced one under another name
//! (as a SQLite restore keeps the replaced file), re-applies every
//! revocation made since the backup, and gives the hub a new epoch so
//! replicas send again what it lost. Streaming replicas and point-in-time
//! recovery stay the operator's, outside civitac.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::conn::{PgConn, redact};
use crate::store::sql::{DbError, Sql};

/// What a backup or a restore did.
#[derive(Debug, Clone)]
pub struct Done {
    pub ops: i64,
    pub epoch: String,
    /// The schema the replaced data was kept in (restore).
    pub kept: Option<String>,
}

/// A PostgreSQL program: on PATH, else the newest `/usr/lib/postgresql/N/bin`.
fn tool(name: &str) -> Result<PathBuf, String> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if let Some(p) = on_path {
        return Ok(p);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| format!("{name} is not installed (PostgreSQL's client programs)"))
}

fn run(program: &str, args: &[&std::ffi::OsStr]) -> Result<String, String> {
    run_with(program, args, None)
}

/// A PostgreSQL program given the database's password in its environment.
fn run_with(
    program: &str,
    args: &[&std::ffi::OsStr],
    password: Option<&str>,
) -> Result<String, String> {
    let exe = tool(program)?;
    let mut cmd = Command::new(&exe);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        let first = why.lines().next().unwrap_or("failed").trim();
        return Err(format!("{program}: {}", crate::text::inline(first)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn db(url: &str) -> impl Fn(DbError) -> String + '_ {
    move |e| format!("{}: {e}", redact(url))
}

fn ops(c: &dyn Sql) -> Result<i64, DbError> {
    c.query_row("SELECT count(*) FROM applied_ops", (), |r| r.get(0))
}

/// A consistent, checked dump of the hub's database at `dest` (never over
/// an existing file), taken while it serves.
pub fn backup(url: &str, dest: &Path) -> Result<Done, String> {
    if dest.exists() {
        return Err(format!(
            "{}: exists; a backup never overwrites",
            dest.display()
        ));
    }
    let conn = PgConn::connect(url).map_err(db(url))?;
    super::prepare(&conn, url).map_err(|e| e.to_string())?;
    // A hub never served yet has no epoch: made now, so the dump holds the
    // one it names.
    let epoch = conn
        .write(|tx| crate::hub::backup::ensure_epoch_on(tx))
        .map_err(db(url))?;
    let began = crate::time::now();
    let mut part = dest.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    let _ = std::fs::remove_file(&part);
    // Private from its first byte (pg_dump keeps the mode of the file it fills).
    crate::store::write_private(&part, b"").map_err(|e| format!("{}: {e}", part.display()))?;
    let (bare, password) = super::conn::without_password(url);
    let password = password.or_else(|| std::env::var("PGPASSWORD").ok());
    let dumped = run_with(
        "pg_dump",
        &[
            "--format=custom".as_ref(),
            "--no-owner".as_ref(),
            "--file".as_ref(),
            part.as_os_str(),
            "--dbname".as_ref(),
            bare.as_ref(),
        ],
        password.as_deref(),
    )
    .and_then(|_| run("pg_restore", &["--list".as_ref(), part.as_os_str()]));
    let listed = match dumped {
        Ok(listed) => listed,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    if !listed.contains("TABLE DATA") || !listed.contains("applied_ops") {
        let _ = std::fs::remove_file(&part);
        return Err(format!("{}: the dump holds no hub tables", dest.display()));
    }
    crate::store::restrict(&part).map_err(|e| format!("{}: {e}", part.display()))?;
    std::fs::rename(&part, dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    // Replicas learn it by their next pull and may let those ops go.
    conn.write(|tx| {
        tx.execute(
            "INSERT INTO sync_state (key, value) VALUES ('backed_up_until', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value
             WHERE sync_state.value < excluded.value",
            [&began],
        )
    })
    .map_err(db(url))?;
    Ok(Done {
        ops: ops(conn.sql()).map_err(db(url))?,
        epoch,
        kept: None,
    })
}

/// Puts a dump made by `backup` in place of the hub's data. Refused while
/// any hub process is connected.
pub fn restore(url: &str, from: &Path) -> Result<Done, String> {
    if !from.is_file() {
        return Err(format!("{}: no such backup", from.display()));
    }
    run("pg_restore", &["--list".as_ref(), from.as_os_str()])?;
    let conn = PgConn::connect(url).map_err(db(url))?;
    // A database that cannot take the schema is named as such, not by the
    // first table it lacks.
    if let Some(why) = super::unsuitable(&conn).map_err(db(url))? {
        return Err(format!("{}: {why}", redact(url)));
    }
    // Held by this session until the restore ends: a hub process started
    // meanwhile is refused, and one serving (even idle) refuses us.
    let alone: i64 = conn
        .sql()
        .query_row(
            "SELECT CAST(pg_try_advisory_lock(?1) AS INTEGER)",
            [super::SERVE_LOCK],
            |r| r.get(0),
        )
        .map_err(db(url))?;
    if alone != 1 {
        return Err(format!(
            "{}: a hub process is serving this database: stop every hub process first",
            redact(url)
        ));
    }
    // A hub whose sessions a server restart just cut comes back within a
    // keeper's check: watched for several, before anything is replaced.
    let watch = std::time::Instant::now();
    let serving = loop {
        let serving: i64 = conn
            .sql()
            .query_row(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND application_name = 'civitac-hub'",
                (),
                |r| r.get(0),
            )
            .map_err(db(url))?;
        if serving > 0 || watch.elapsed() > super::KEEPER_CHECK * 6 {
            break serving;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    if serving > 0 {
        return Err(format!(
            "{}: {serving} connection(s) of civitac hubs are open: stop every hub process first",
            redact(url)
        ));
    }
    // An empty database (a new server after a loss) takes the backup as it
    // is; one holding tables of another program is left alone.
    let replacing = super::has_schema(&conn).map_err(db(url))?;
    if !replacing {
        let tables: i64 = conn
            .sql()
            .query_row(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
                (),
                |r| r.get(0),
            )
            .map_err(db(url))?;
        if tables > 0 {
            return Err(format!(
                "{}: holds {tables} table(s) but no civitac hub: not restored over (restore into an empty database)",
                redact(url)
            ));
        }
    }
    // Tokens revoked since the backup stay revoked.
    let revoked: Vec<(String, String, String)> = if !replacing {
        Vec::new()
    } else {
        conn.sql()
        .query_map(
            "SELECT 'devices', id, revoked_at FROM devices WHERE revoked_at IS NOT NULL
             UNION ALL
             SELECT 'platform_tokens', id, revoked_at FROM platform_tokens WHERE revoked_at IS NOT NULL",
            (),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .and_then(|rows| rows.collect())
        .map_err(db(url))?
    };
    let kept = format!(
        "replaced_{}",
        crate::time::now()
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
    );
    if replacing {
        conn.batch(&format!(
            "BEGIN; ALTER SCHEMA public RENAME TO {kept}; CREATE SCHEMA public; COMMIT;"
        ))
        .map_err(db(url))?;
    }
    let (bare, password) = super::conn::without_password(url);
    let password = password.or_else(|| std::env::var("PGPASSWORD").ok());
    let restored = run_with(
        "pg_restore",
        &[
            "--no-owner".as_ref(),
            "--single-transaction".as_ref(),
            "--exit-on-error".as_ref(),
            "--dbname".as_ref(),
            bare.as_ref(),
            from.as_os_str(),
        ],
        password.as_deref(),
    );
    if let Err(e) = restored {
        // Put the replaced data back: the hub is as it was (a single
        // transaction: an empty database stays empty).
        if replacing {
            let _ = conn.batch(&format!(
                "BEGIN; DROP SCHEMA public CASCADE; ALTER SCHEMA {kept} RENAME TO public; COMMIT;"
            ));
        }
        return Err(e);
    }
    let epoch = super::super::tokens::random_hex(8);
    let from_name = from.display().to_string();
    conn.write(|tx| -> Result<(), DbError> {
        for (table, id, at) in &revoked {
            tx.execute(
                &format!("UPDATE {table} SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL"),
                (id, at),
            )?;
        }
        for (key, value) in [
            ("epoch", epoch.as_str()),
            ("restored_from", from_name.as_str()),
        ] {
            tx.execute(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )?;
        }
        Ok(())
    })
    .map_err(db(url))?;
    super::prepare(&conn, url).map_err(|e| e.to_string())?;
    Ok(Done {
        ops: ops(conn.sql()).map_err(db(url))?,
        epoch,
        kept: replacing.then_some(kept),
    })
}

//! List output: a table that fits the terminal (for people), CSV and JSON (for
//! scripts). Content from the platform goes through `text` before it reaches a
//! terminal; CSV and JSON written to a pipe keep the exact stored text.

use std::io::{IsTerminal, Write};

use serde_json::Value;

use super::Failure;
use crate::i18n::Lang;
use crate::store::query::{self, Cursor, Filters, ListKind};
use crate::store::rows::Listed;
use crate::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

/// Rows a table shows when no `--limit` is given.
pub const DEFAULT_TABLE_ROWS: usize = 50;

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A column's header in the person's language.
fn header(lang: Lang, column: &str) -> &str {
    let (fr, en) = match column {
        "id" => ("id", "id"),
        "status" => ("statut", "status"),
        "kind" => ("type", "kind"),
        "region" => ("région", "region"),
        "commune" => ("commune", "commune"),
        "name" => ("nom", "name"),
        "rule" => ("règle", "rule"),
        "org_name" => ("organisation", "organisation"),
        "title" => ("titre", "title"),
        "flag_count" => ("signal.", "flags"),
        "author_name" => ("auteur", "author"),
        "body" => ("texte", "text"),
        "recipients" => ("destin.", "recip."),
        "segments" => ("seg.", "seg."),
        "group_name" => ("groupe", "group"),
        "at" => ("date", "time"),
        "actor" => ("acteur", "actor"),
        "action" => ("action", "action"),
        "entity_id" => ("objet", "record"),
        "reason" => ("motif", "reason"),
        "display_name" => ("nom", "name"),
        "muted_until" => ("silence jusqu'au", "muted until"),
        "posts" => ("messages", "posts"),
        "taken_down" => ("retirés", "taken down"),
        "phone_e164" => ("téléphone", "phone"),
        "opted_out_at" => ("désinscrit le", "opted out"),
        "members" => ("membres", "members"),
        "description" => ("description", "description"),
        _ => (column, column),
    };
    lang.pick(fr, en)
}

/// Width of the terminal stdout is drawn on, or a sane default for pipes.
fn terminal_width() -> usize {
    if std::io::stdout().is_terminal()
        && let Ok((w, _)) = crossterm::terminal::size()
    {
        return usize::from(w).max(40);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w| w >= 40)
        .unwrap_or(120)
}

/// Column widths that fit `total`: natural widths first, then the last
/// (free-text) column gives way, then the widest others, never below a floor.
pub fn fit_widths(natural: &[usize], total: usize) -> Vec<usize> {
    let mut w = natural.to_vec();
    let sep = 2 * w.len().saturating_sub(1);
    let used = |w: &[usize]| w.iter().sum::<usize>() + sep;
    if let Some(last) = w.len().checked_sub(1) {
        let over = used(&w).saturating_sub(total);
        w[last] = w[last].saturating_sub(over).max(natural[last].min(12));
    }
    // The first column (the id people copy into commands) gives way last.
    while used(&w) > total {
        let widest = |from: usize| {
            w.iter()
                .enumerate()
                .skip(from)
                .filter(|(_, x)| **x > 8)
                .max_by_key(|(_, x)| **x)
                .map(|(i, _)| i)
        };
        let Some(i) = widest(1).or_else(|| widest(0)) else {
            break;
        };
        w[i] -= 1;
    }
    w
}

/// How a list is printed.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub format: Format,
    pub limit: Option<usize>,
    /// CSV cells exactly as stored (no formula guard).
    pub raw: bool,
}

/// A CSV cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab
/// or carriage return first) gets the usual leading apostrophe; numbers stay
/// numbers.
pub fn spreadsheet_safe(cell: String) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell
    }
}

/// JSON for a terminal: the same JSON value, with every character a
/// terminal would obey or hide (C1 controls, bidi overrides, zero-width
/// characters) written as a `\uXXXX` escape. To a pipe or a file the JSON
/// stays byte-exact.
pub fn terminal_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if !c.is_ascii() && !text::is_plain(c.encode_utf8(&mut [0; 4])) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub fn print_list<T: Listed>(
    conn: &rusqlite::Connection,
    lang: Lang,
    list: ListKind,
    filters: &Filters,
    shape: Shape,
    after: Option<&Cursor>,
) -> Result<(), Failure> {
    let Shape { format, limit, raw } = shape;
    let stdout = std::io::stdout();
    let to_terminal = stdout.is_terminal();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let io = |e: std::io::Error| Failure::new(e.to_string());
    match format {
        Format::Table => {
            let page = query::page::<T>(
                conn,
                list,
                filters,
                after,
                limit.unwrap_or(DEFAULT_TABLE_ROWS),
            )
            .map_err(|e| query_failure(e, lang))?;
            let rows: Vec<Vec<String>> = page
                .rows
                .iter()
                .map(|r| {
                    let v = serde_json::to_value(r).unwrap_or(Value::Null);
                    // Codes become words in a table; CSV and JSON keep them.
                    T::TABLE_COLUMNS
                        .iter()
                        .map(|c| {
                            // A dynamic group's rule, in words.
                            if *c == "rule" {
                                return serde_json::from_value::<crate::store::audience::Rule>(
                                    v[*c].clone(),
                                )
                                .map(|r| crate::store::views::rule_words(&r, lang))
                                .unwrap_or_default();
                            }
                            let code = cell(&v[*c]);
                            crate::i18n::values::column_word(list.as_str(), c, &code, lang)
                                .unwrap_or_else(|| {
                                    // Times local and short, as the console shows them.
                                    if code.len() >= 20 && code.parse::<jiff::Timestamp>().is_ok() {
                                        crate::time::short(&code)
                                    } else {
                                        text::inline(&code)
                                    }
                                })
                        })
                        .collect()
                })
                .collect();
            let headers: Vec<&str> = T::TABLE_COLUMNS.iter().map(|c| header(lang, c)).collect();
            let natural: Vec<usize> = (0..headers.len())
                .map(|i| {
                    rows.iter()
                        .map(|r| text::width(&r[i]))
                        .chain([text::width(headers[i])])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let widths = fit_widths(&natural, terminal_width());
            let line = |cells: &[&str]| {
                let parts: Vec<String> = cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| text::fit(c, *w))
                    .collect();
                parts.join("  ").trim_end().to_owned()
            };
            writeln!(out, "{}", line(&headers)).map_err(io)?;
            for r in &rows {
                let cells: Vec<&str> = r.iter().map(String::as_str).collect();
                writeln!(out, "{}", line(&cells)).map_err(io)?;
            }
            out.flush().map_err(io)?;
            let shown = rows.len();
            match page.next {
                Some(next) => eprintln!(
                    "{}",
                    lang.pick(
                        &format!(
                            "{shown} lignes ; la suite : --after {}",
                            text::inline(&next.to_string())
                        ),
                        &format!(
                            "{shown} rows; next page: --after {}",
                            text::inline(&next.to_string())
                        )
                    )
                ),
                None if shown == 0 => eprintln!(
                    "{}",
                    query::explain_empty(filters, lang)
                        .unwrap_or_else(|| lang.pick("aucune ligne", "no rows").to_owned())
                ),
                None => {}
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            let mut header_done = false;
            query::for_each::<T>(conn, list, filters, after, limit, |row| {
                let v = serde_json::to_value(&row).map_err(std::io::Error::other)?;
                let Value::Object(map) = v else { return Ok(()) };
                if !header_done {
                    w.write_record(map.keys()).map_err(std::io::Error::other)?;
                    header_done = true;
                }
                let cells = map.values().map(|v| {
                    let c = cell(v);
                    let c = if raw { c } else { spreadsheet_safe(c) };
                    if to_terminal { text::inline(&c) } else { c }
                });
                w.write_record(cells).map_err(std::io::Error::other)
            })
            .map_err(|e| query_failure(e, lang))?;
            w.flush().map_err(io)?;
        }
        Format::Json => {
            write!(out, "[").map_err(io)?;
            let mut first = true;
            query::for_each::<T>(conn, list, filters, after, limit, |row| {
                if !first {
                    write!(out, ",")?;
                }
                first = false;
                writeln!(out)?;
                let json = serde_json::to_string(&row).map_err(std::io::Error::other)?;
                if to_terminal {
                    write!(out, "{}", terminal_json(&json))
                } else {
                    write!(out, "{json}")
                }
            })
            .map_err(|e| query_failure(e, lang))?;
            writeln!(out, "\n]").map_err(io)?;
            out.flush().map_err(io)?;
        }
    }
    Ok(())
}

/// A bad filter is the user's to fix (exit 2); anything else is a failure.
fn query_failure(e: query::QueryError, lang: Lang) -> Failure {
    match e {
        query::QueryError::Filter(f) => Failure::usage(f.message(lang)),
        other => Failure::new(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::fit_widths;

    #[test]
    fn spreadsheet_formulas_are_neutralised_numbers_kept() {
        use super::spreadsheet_safe as s;
        assert_eq!(s("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        for risky in ["+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "-"] {
            assert!(s(risky.into()).starts_with('\''), "{risky}");
        }
        assert_eq!(s("-12.5".into()), "-12.5");
        assert_eq!(s("Ouagadougou".into()), "Ouagadougou");
    }

    #[test]
    fn json_for_a_terminal_escapes_what_a_terminal_would_obey() {
        let json = serde_json::to_string(&"a\u{9b}31mb\u{202e}c\u{200b}d é").expect("json");
        let safe = super::terminal_json(&json);
        assert!(safe.is_ascii() || safe.contains('é'));
        assert!(
            !safe.contains('\u{9b}') && !safe.contains('\u{202e}') && !safe.contains('\u{200b}')
        );
        let back: String = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, "a\u{9b}31mb\u{202e}c\u{200b}d é", "the same value");
    }

    #[test]
    fn widths_fit_the_terminal() {
        let w = fit_widths(&[36, 16, 20, 90], 80);
        assert!(w.iter().sum::<usize>() + 6 <= 80, "{w:?}");
        assert_eq!(w[0], 36, "ids stay whole while other columns can give way");
        assert_eq!(fit_widths(&[4, 5], 80), vec![4, 5]);
    }
}

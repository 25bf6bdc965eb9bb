//! The wings keep apart (ARCHITECTURE.md, "Map"): the replica and the console
//! never import the hub; the hub never imports the replica, the console or the
//! CLI; the protocol and the shared core import no wing. Only hub/, cli/ and
//! demo/ may name the hub. A plain text scan of every .rs file under src/.

use std::path::Path;

/// The wings: neither the protocol nor the shared core may import one.
const WINGS: &[&str] = &["hub", "replica", "tui", "cli", "demo"];
/// The shared core, by top-level module of src/.
const SHARED: &[&str] = &[
    "domain", "ops", "store", "sms", "text", "retry", "time", "i18n", "config", "paths",
];
const NOT_FOR_HUB: &[&str] = &["tui", "replica", "cli"];
const HUB: &[&str] = &["hub"];

/// Who a file belongs to (its top-level module), and the modules it must not
/// refer to; `None` for cli/ and demo/, which may use anything.
fn rule(path: &str) -> Option<(&str, &'static [&'static str])> {
    let rest = path.strip_prefix("src/").unwrap_or(path);
    let top = rest.split('/').next().unwrap_or(rest);
    let top = top.strip_suffix(".rs").unwrap_or(top);
    match top {
        "cli" | "demo" => None,
        "hub" => Some((top, NOT_FOR_HUB)),
        "protocol" => Some((top, WINGS)),
        _ if SHARED.contains(&top) => Some((top, WINGS)),
        // replica, tui, and anything else (lib.rs, main.rs, a new module).
        _ => Some((top, HUB)),
    }
}

/// Every forbidden reference in one file, as `path:line: rule (the line)`.
fn violations(path: &str, source: &str) -> Vec<String> {
    let Some((who, banned)) = rule(path) else {
        return Vec::new();
    };
    let code = without_comments(source);
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    for (at, module) in references(&code) {
        if banned.contains(&module) {
            let n = code[..at].matches('\n').count();
            let (line, shown) = (n + 1, lines[n].trim());
            let message = format!("{path}:{line}: {who} must not import {module} ({shown})");
            found.push(message);
        }
    }
    found
}

/// The source with `//` comments blanked; lines keep their numbers.
fn without_comments(source: &str) -> String {
    let code = source.lines().map(|line| {
        if line.trim_start().starts_with("//") {
            ""
        } else {
            line.find(" //").map_or(line, |i| &line[..i])
        }
    });
    code.collect::<Vec<_>>().join("\n")
}

/// The identifier at `at` (after any whitespace), with its offset.
fn ident(code: &str, at: usize) -> (usize, &str) {
    let at = at + code[at..].len() - code[at..].trim_start().len();
    let len = code[at..].bytes().take_while(|&b| is_ident(b)).count();
    (at, &code[at..at + len])
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The first segment after each `crate::` and `super::` (in `super::super::hub`
/// the last link names `hub`), and after each `{` or `,` of a group, even one
/// spread over several lines: `use crate::{store::Store, hub::x};` names both.
fn references(code: &str) -> Vec<(usize, &str)> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    for root in ["crate::", "super::"] {
        for (start, _) in code.match_indices(root) {
            let i = start + root.len();
            if start > 0 && is_ident(bytes[start - 1]) {
                continue;
            } else if bytes.get(i) != Some(&b'{') {
                out.push(ident(code, i));
                continue;
            }
            let mut depth = 0;
            for (j, &b) in bytes.iter().enumerate().skip(i) {
                depth += i32::from(b == b'{') - i32::from(b == b'}');
                if depth == 0 {
                    break;
                } else if depth == 1 && (b == b'{' || b == b',') {
                    out.push(ident(code, j + 1));
                }
            }
        }
    }
    out
}

/// Every .rs file under `root/dir`, as (path from the crate root, source).
fn rust_files(root: &Path, dir: &str, out: &mut Vec<(String, String)>) {
    let entries = std::fs::read_dir(root.join(dir)).unwrap_or_else(|e| panic!("{dir}: {e}"));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("{dir}: {e}"));
        let path = format!("{dir}/{}", entry.file_name().to_string_lossy());
        if entry.path().is_dir() {
            rust_files(root, &path, out);
        } else if path.ends_with(".rs") {
            let source = std::fs::read_to_string(entry.path());
            let source = source.unwrap_or_else(|e| panic!("{path}: {e}"));
            out.push((path, source));
        }
    }
}

#[test]
fn wings_import_only_what_they_may() {
    let mut files = Vec::new();
    rust_files(Path::new(env!("CARGO_MANIFEST_DIR")), "src", &mut files);
    files.sort();
    let count = files.len();
    assert!(count > 40, "only {count} files read under src/");
    let mut found = Vec::new();
    for (path, source) in &files {
        found.extend(violations(path, source));
    }
    let (n, list) = (found.len(), found.join("\n"));
    assert!(
        n == 0,
        "{n} forbidden import(s) (ARCHITECTURE.md, Map):\n{list}"
    );
}

#[test]
fn the_checker_catches_forbidden_imports() {
    assert_eq!(
        violations("src/replica/x.rs", "use crate::hub::backend::SqliteHub;\n"),
        ["src/replica/x.rs:1: replica must not import hub (use crate::hub::backend::SqliteHub;)"]
    );
    let grouped = "use crate::{\n    store::{Store, rows},\n    hub::local::LocalHub,\n};\n";
    assert_eq!(
        violations("src/tui/x.rs", grouped),
        ["src/tui/x.rs:3: tui must not import hub (hub::local::LocalHub,)"]
    );
    let caught = [
        ("src/replica/x.rs", "use super::super::hub;"),
        ("src/hub/x.rs", "crate::replica::pull::apply(c)"),
        ("src/protocol/x.rs", "use crate::{ops, demo::x};"),
        ("src/store/x.rs", "use crate::tui::app::App;"),
        ("src/sync/x.rs", "use crate::hub::push;"),
    ];
    for (path, source) in caught {
        assert_eq!(violations(path, source).len(), 1, "{path}: {source}");
    }
    // Not fooled by comments or nested names; the modules that may, may.
    let allowed = [
        ("src/tui/x.rs", "/// use crate::hub::x;"),
        ("src/tui/x.rs", "f(); // not crate::hub::x"),
        ("src/tui/x.rs", "use crate::{store::hub, protocol};"),
        ("src/demo/live.rs", "use crate::hub::runtime;"),
        ("src/cli/hub.rs", "use crate::hub::tokens;"),
        ("src/hub/push.rs", "use crate::{hub::feed, protocol};"),
    ];
    for (path, source) in allowed {
        assert_eq!(violations(path, source), Vec::<String>::new(), "{source}");
    }
}

//! The command line's help in the person's language, from the same command
//! definitions: French by default (English with `--lang en` or `LANG=en…`),
//! global options described once at the top and hidden where they mean
//! nothing, the hub commands' `--db` named as the hub's database.

use clap::{Command, CommandFactory};

use super::Cli;
use crate::i18n::Lang;

/// The language help is shown in: `--lang` on the command line (anywhere),
/// else the environment's (as for messages).
pub fn lang_of(args: &[std::ffi::OsString]) -> Lang {
    let mut it = args.iter().filter_map(|a| a.to_str());
    while let Some(a) = it.next() {
        let value = match a.strip_prefix("--lang=") {
            Some(v) => Some(v),
            None if a == "--lang" => it.next(),
            None => None,
        };
        match value {
            Some("en") => return Lang::En,
            Some("fr") => return Lang::Fr,
            _ => {}
        }
    }
    Lang::resolve(None)
}

/// The whole command tree, its help in `lang`.
pub fn command(lang: Lang) -> Command {
    let mut cmd = Cli::command();
    cmd.build();
    shape(cmd, "", lang)
}

/// Commands that open the console, where `--keymap` means something.
const CONSOLE: &[&str] = &["", "demo"];

fn shape(mut cmd: Command, path: &str, lang: Lang) -> Command {
    let hub = path == "hub" || path.starts_with("hub ");
    if lang == Lang::Fr {
        let about = super::help_fr::text(path).or_else(|| {
            cmd.get_about()
                .and_then(|a| super::help_fr::shared(&a.to_string()))
        });
        if let Some(about) = about {
            cmd = cmd.about(about).long_about(None);
        }
        cmd = cmd
            .help_template(
                "{before-help}{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}",
            )
            // clap writes "HEADING:"; a trailing space gives French's "Commandes :".
            .subcommand_help_heading("Commandes ");
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(&id, |mut a| {
            // Global options are explained once, at the top: a subcommand
            // shows only those that mean something there.
            if !path.is_empty() && a.is_global_set() {
                let keep = match id.as_str() {
                    "keymap" => CONSOLE.contains(&path),
                    "lang" => false,
                    _ => true,
                };
                a = a.hide(!keep);
            }
            if lang == Lang::Fr && !a.is_positional() && a.get_help_heading().is_none() {
                a = a.help_heading("Options ");
            }
            if id == "db" && hub {
                a = a.help(match lang {
                    Lang::Fr => {
                        "Base de données du hub (créée au besoin par les commandes qui écrivent)"
                    }
                    Lang::En => "The hub's database (created when missing by commands that write)",
                });
            } else if lang == Lang::Fr {
                let key = if a.is_positional() {
                    format!("{path} <{id}>")
                } else if a.is_global_set() {
                    // Explained once, at the top.
                    format!("--{}", a.get_long().unwrap_or(&id))
                } else {
                    format!("{path} --{}", a.get_long().unwrap_or(&id))
                };
                let key = key.trim_start().to_owned();
                let fr = match id.as_str() {
                    "help" => Some("Afficher l'aide"),
                    "version" => Some("Afficher la version"),
                    _ => super::help_fr::text(&key).or_else(|| {
                        a.get_help()
                            .and_then(|h| super::help_fr::shared(&h.to_string()))
                    }),
                };
                if let Some(fr) = fr {
                    let mut text = fr.to_owned();
                    let values: Vec<String> = a
                        .get_possible_values()
                        .iter()
                        .filter(|v| !v.is_hide_set())
                        .map(|v| v.get_name().to_owned())
                        .collect();
                    if !values.is_empty() && !a.is_hide_possible_values_set() {
                        text.push_str(&format!(" [valeurs : {}]", values.join(", ")));
                        a = a.hide_possible_values(true);
                    }
                    let defaults: Vec<String> = a
                        .get_default_values()
                        .iter()
                        .map(|v| v.to_string_lossy().into_owned())
                        .collect();
                    if !defaults.is_empty()
                        && !a.is_hide_default_value_set()
                        && a.get_action().takes_values()
                    {
                        text.push_str(&format!(" [par défaut : {}]", defaults.join(", ")));
                        a = a.hide_default_value(true);
                    }
                    a = a.help(text);
                }
            }
            a
        });
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in subs {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        if name == "help" && lang == Lang::Fr {
            cmd = cmd.mut_subcommand(&name, |s| {
                s.about("Afficher cette aide ou celle des commandes données")
            });
            continue;
        }
        cmd = cmd.mut_subcommand(&name, |s| shape(s, &sub_path, lang));
    }
    cmd
}

/// Every help text the French catalogue must hold: (key, English text).
pub fn keys() -> Vec<(String, String)> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, "", &mut out);
    out
}

fn walk(cmd: &Command, path: &str, out: &mut Vec<(String, String)>) {
    if let Some(about) = cmd.get_about() {
        out.push((path.to_owned(), about.to_string()));
    }
    for a in cmd.get_arguments() {
        let id = a.get_id().to_string();
        if ["help", "version"].contains(&id.as_str()) || (!path.is_empty() && a.is_global_set()) {
            continue;
        }
        if let Some(h) = a.get_help() {
            let key = if a.is_positional() {
                format!("{path} <{id}>")
            } else {
                format!("{path} --{}", a.get_long().unwrap_or(&id))
            };
            out.push((key.trim_start().to_owned(), h.to_string()));
        }
    }
    for s in cmd.get_subcommands() {
        if s.get_name() == "help" {
            continue;
        }
        let p = if path.is_empty() {
            s.get_name().to_owned()
        } else {
            format!("{path} {}", s.get_name())
        };
        walk(s, &p, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prints the keys and English texts (`cargo test -- --ignored dump_help`).
    #[test]
    #[ignore]
    fn dump_help() {
        for (k, v) in keys() {
            println!("{k}\t{}", v.replace('\n', " "));
        }
    }
}

use super::*;

fn key(s: &str) -> Key {
    Key::parse(s).expect("key")
}

#[test]
fn builtin_keymaps_load_cleanly() {
    for (name, _) in BUILTIN {
        Keymap::builtin(name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}

#[test]
fn keys_parse_and_print() {
    for s in [
        "a",
        "G",
        "*",
        "ctrl-r",
        "shift-tab",
        "f5",
        "space",
        "enter",
        "pagedown",
        "alt-x",
    ] {
        assert_eq!(key(s).to_string(), s);
    }
    assert!(Key::parse("ctrl-").is_err());
    assert!(Key::parse("f99").is_err());
    assert!(Key::parse("shift-a").is_err());
    assert!(Key::parse("hyper-a").is_err());
}

#[test]
fn errors_name_file_and_line() {
    let text = "[global]\n\"q\" = \"quit\"\n\"x\" = \"aprove\"\n\"ctrl-\" = \"help\"\n[bogus]\n\"a\" = \"help\"\n";
    let errors = check("mine.toml", text);
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        lines.contains(&"mine.toml:3: unknown action \"aprove\"".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("mine.toml:4: unknown key")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("mine.toml:5: unknown section")),
        "{lines:?}"
    );
    let dup = check(
        "dup.toml",
        "[list]\n\"a\" = \"approve\"\n\"a\" = \"reject\"\n",
    );
    assert_eq!(dup.len(), 1);
    assert!(dup[0].to_string().starts_with("dup.toml:3:"), "{}", dup[0]);
}

#[test]
fn prefix_clashes_are_reported() {
    let errors = check("clash.toml", "[list]\n\"g\" = \"top\"\n");
    // The defaults bind "g g"; a bare "g" would make it unreachable.
    assert!(
        errors
            .iter()
            .any(|e| e.line == 2 && e.message.contains("clashes")),
        "{errors:?}"
    );
}

#[test]
fn sequences_and_precedence() {
    let map = Keymap::builtin("default").expect("default");
    let list = [Section::Forum, Section::List, Section::Global];
    assert_eq!(map.lookup(&list, &[key("g")]), Lookup::Pending);
    assert_eq!(
        map.lookup(&list, &[key("g"), key("g")]),
        Lookup::Action(Action::Top)
    );
    assert_eq!(map.lookup(&list, &[key("h")]), Lookup::Action(Action::Hide));
    assert_eq!(map.lookup(&list, &[key("q")]), Lookup::Action(Action::Quit));
    assert_eq!(
        map.lookup(&[Section::Dialog, Section::Global], &[key("enter")]),
        Lookup::Action(Action::Confirm)
    );
    // "none" unbinds.
    let mut map = map;
    map.merge("user.toml", "[global]\n\"q\" = \"none\"\n")
        .expect("merge");
    assert_eq!(map.lookup(&list, &[key("q")]), Lookup::None);
}

#[test]
fn azerty_needs_no_shift_for_common_actions() {
    let map = Keymap::builtin("azerty").expect("azerty");
    // Unshifted on a French AZERTY keyboard: letters, & é " ' ( - è _ ç à, , ; : ! * ù $ and F-keys.
    let unshifted = |k: &str| {
        k.split_whitespace().all(|p| {
            p.starts_with('f') && p.len() > 1
                || [
                    "space",
                    "enter",
                    "esc",
                    "tab",
                    "up",
                    "down",
                    "pageup",
                    "pagedown",
                    "home",
                    "end",
                    "backspace",
                ]
                .contains(&p)
                || p.starts_with("ctrl-")
                || (p.chars().count() == 1
                    && "abcdefghijklmnopqrstuvwxyz&é\"'(-è_çà,;:!*ù$".contains(p))
        })
    };
    let common: &[(Section, &[Action])] = &[
        (
            Section::Forum,
            &[
                Action::Up,
                Action::Down,
                Action::Search,
                Action::Mark,
                Action::MarkAll,
                Action::Help,
                Action::Hide,
            ],
        ),
        (
            Section::Forum,
            &[
                Action::Remove,
                Action::ScreenForum,
                Action::ScreenEnrollments,
                Action::Palette,
            ],
        ),
        (
            Section::Enrollments,
            &[
                Action::Approve,
                Action::Reject,
                Action::Detail,
                Action::Quit,
            ],
        ),
    ];
    for (section, actions) in common {
        let sections = [*section, Section::List, Section::Global];
        for &action in *actions {
            let keys = map
                .bindings_for(&sections)
                .into_iter()
                .find(|(a, _)| *a == action)
                .map(|(_, k)| k)
                .unwrap_or_default();
            assert!(
                keys.iter().any(|k| unshifted(k)),
                "{action} needs Shift on AZERTY: {keys:?}"
            );
        }
    }
}

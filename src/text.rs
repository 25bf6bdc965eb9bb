//! Terminal-safe text. Every string that came from the platform (post bodies,
//! names, titles, filenames, reasons) passes through here before it is drawn or
//! printed to a terminal. Citizens can type escape sequences; a moderator's
//! terminal must never obey them, and the moderator must *see* that a string
//! hides something, so hidden characters become visible markers instead of
//! being silently dropped.
//!
//! This module only transforms strings; it never writes to a terminal.

use unicode_width::UnicodeWidthChar;

/// How many combining marks in a row are kept on one base character before the
/// rest are replaced by a single marker ("Zalgo" text can otherwise cover lines).
const MAX_COMBINING: usize = 3;

/// Columns a tab stop spans.
const TAB_WIDTH: usize = 4;

/// The visible stand-in for a character a terminal must not receive raw, or
/// `None` if the character is safe to draw as it is.
fn marker(c: char) -> Option<String> {
    let code = c as u32;
    match c {
        // C0 controls: the Unicode "control pictures" block shows them (␛ for ESC).
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + code).map(String::from),
        '\u{7f}' => Some("␡".to_owned()),
        // C1 controls, including the 8-bit CSI (U+009B) and OSC (U+009D).
        '\u{80}'..='\u{9f}' => Some(format!("⟨U+{code:04X}⟩")),
        // Bidirectional overrides, embeddings and isolates: they can make a
        // line read differently from what it contains.
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}' => {
            Some(format!("⟨U+{code:04X}⟩"))
        }
        // Zero-width and invisible formatting characters.
        '\u{200b}'..='\u{200d}'
        | '\u{2060}'..='\u{2064}'
        | '\u{feff}'
        | '\u{ad}'
        | '\u{180e}'
        // Hangul fillers: letters that draw nothing.
        | '\u{115f}'
        | '\u{1160}'
        | '\u{3164}'
        | '\u{ffa0}' => {
            Some(format!("⟨U+{code:04X}⟩"))
        }
        // Line and paragraph separators, and private-use / unassigned noncharacters
        // that some terminals treat oddly.
        '\u{2028}' | '\u{2029}' | '\u{fff9}'..='\u{fffb}' => Some(format!("⟨U+{code:04X}⟩")),
        _ => None,
    }
}

/// An error message for a terminal: terminal-safe, each line at most 300
/// columns, at most 5 lines. Errors quote input (an id from a file, a device
/// name, an SQL statement); a hostile or huge input must not flood or drive
/// the terminal.
pub fn error_text(s: &str) -> String {
    let safe = block(s);
    let mut lines: Vec<String> = safe.lines().take(5).map(|l| truncate(l, 300)).collect();
    if safe.lines().count() > 5 {
        lines.push("…".to_owned());
    }
    lines.join("\n")
}

/// Whether a string is plain printable text: nothing a terminal would obey
/// or hide (no control, tab, newline, bidi or zero-width character). Ids and
/// names taken from outside are held to this, not only escaped on display.
pub fn is_plain(s: &str) -> bool {
    s.chars()
        .all(|c| !c.is_control() && marker(c).is_none() && !is_invisible(c))
}

/// The first character that keeps `s` from being prose a person reads on one
/// line (a reason, a notice): like [`is_plain`], except that the no-break
/// spaces French puts before `:` and inside « » are fine. With its position
/// (in characters), for an error that says where.
pub fn first_unplain_prose(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find(|(_, c)| {
        !matches!(c, '\u{a0}' | '\u{202f}')
            && (c.is_control() || marker(*c).is_some() || is_invisible(*c))
    })
}

/// A text as people compare it when they type: compatibility forms
/// folded (full-width letters, ligatures), accents, invisible characters and
/// case gone; punctuation and spaces kept. `Kuilse` and `KUILSÉ` fold alike.
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c) && !is_ignorable(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A post's text as spam copies share it: folded (case, accents, invisible
/// characters aside), every run of spaces one space, and every number of six
/// digits or more (a phone number, however spaced: `70 12 34 56`,
/// `+226.70.12.34.56`) one `#`, so a wave of the same message with a
/// different number to call reads as one text.
pub fn same_text_key(s: &str) -> String {
    let folded = fold(s);
    let chars: Vec<char> = folded.chars().collect();
    let mut out = String::with_capacity(folded.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || (c == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            // The number and its separators: digits with single spaces, dots,
            // dashes or slashes between them.
            let mut j = i + 1;
            let mut digits = usize::from(c.is_ascii_digit());
            let mut end = j;
            while j < chars.len() {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    j += 1;
                    end = j;
                } else if matches!(chars[j], ' ' | '.' | '-' | '/' | '\u{a0}' | '\u{202f}')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)
                {
                    j += 1;
                } else {
                    break;
                }
            }
            if digits >= 6 {
                out.push('#');
            } else {
                out.extend(&chars[i..end]);
            }
            i = end;
            continue;
        }
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Whether a character draws nothing and only changes how its neighbours
/// read (zero-width spaces, soft hyphens, joiners, variation selectors, bidi
/// marks): text compared for meaning drops them.
pub fn is_ignorable(c: char) -> bool {
    matches!(c,
        '\u{ad}'
        | '\u{34f}'
        | '\u{61c}'
        | '\u{115f}'..='\u{1160}'
        | '\u{17b4}'..='\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}'
        | '\u{ffa0}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}'
    )
}

/// Characters that draw nothing or only modify their neighbour (Unicode's
/// default-ignorable code points, blank patterns, spaces other than the
/// plain one): fine inside a post, not in a name or an id someone must tell
/// apart from another.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{34f}'
        | '\u{17b4}'..='\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{2800}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}'
    ) || (c.is_whitespace() && c != ' ')
}

fn is_combining(c: char) -> bool {
    // Zero-width characters that are not controls (checked before) are marks that
    // attach to the previous base character.
    c.width() == Some(0) && !c.is_control()
}

/// One line of safe text: every control becomes a visible marker, newlines
/// included (shown as ␊), tabs are expanded, combining-mark storms are capped.
/// Used for table cells, titles and anything drawn on a single line.
pub fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_safe(&mut out, s, false);
    out
}

/// Multi-line safe text: like [`inline`], but `\n` stays a line break (and
/// `\r\n` becomes one) so the caller can lay paragraphs out.
pub fn block(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_safe(&mut out, s, true);
    out
}

fn push_safe(out: &mut String, s: &str, keep_newlines: bool) {
    let mut column = 0usize;
    let mut combining_run = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if keep_newlines && (c == '\n' || (c == '\r' && chars.peek() == Some(&'\n'))) {
            if c == '\r' {
                chars.next();
            }
            out.push('\n');
            column = 0;
            combining_run = 0;
            continue;
        }
        if c == '\t' {
            let spaces = TAB_WIDTH - column % TAB_WIDTH;
            out.extend(std::iter::repeat_n(' ', spaces));
            column += spaces;
            combining_run = 0;
            continue;
        }
        if let Some(m) = marker(c) {
            column += m.chars().filter_map(|c| c.width()).sum::<usize>();
            out.push_str(&m);
            combining_run = 0;
            continue;
        }
        if is_combining(c) {
            combining_run += 1;
            if combining_run == MAX_COMBINING + 1 {
                out.push('…');
                column += 1;
            }
            if combining_run > MAX_COMBINING {
                continue;
            }
            out.push(c);
            continue;
        }
        combining_run = 0;
        column += c.width().unwrap_or(0);
        out.push(c);
    }
}

/// The text with its first letter a capital ("enrôler" → "Enrôler").
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Display width in terminal columns of an already safe string.
pub fn width(s: &str) -> usize {
    s.chars().filter_map(|c| c.width()).sum()
}

/// Cut a safe string to at most `max` columns, ending with "…" when cut.
/// Wide glyphs are never split, so columns stay aligned.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Pad a safe string with spaces to exactly `cols` columns (cutting if needed).
pub fn fit(s: &str, cols: usize) -> String {
    let mut t = truncate(s, cols);
    let w = width(&t);
    t.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    t
}

#[cfg(test)]
mod tests {

    #[test]
    fn copies_of_a_spam_share_a_key_and_other_texts_do_not() {
        let a = "GAGNEZ 500 000 FCFA !! Appelez le 70 12 34 56";
        let b = "  gagnez 500000  fcfa !! appelez le +226.76.98.76.54\n";
        let c = "Gagnez\u{200b} 500 000 FCFA !! Appelez le 7 0 1 2 3 4 5 6";
        assert_eq!(same_text_key(a), "gagnez # fcfa !! appelez le #");
        assert_eq!(same_text_key(a), same_text_key(b));
        assert_eq!(same_text_key(a), same_text_key(c));
        // Short numbers are words: a different year or count is another text.
        assert_ne!(
            same_text_key("Réunion le 12 à 15 h"),
            same_text_key("Réunion le 13 à 15 h")
        );
        assert_eq!(same_text_key("Élection  À Kaya"), "election a kaya");
        assert_eq!(same_text_key(""), "");
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_become_visible() {
        let hostile = "Bonjour\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}";
        let safe = inline(hostile);
        assert!(!safe.contains('\u{1b}'));
        assert!(!safe.contains('\u{7}'));
        assert!(safe.starts_with("Bonjour␛]0;pwned␇␛[2J"));
    }

    #[test]
    fn bidi_and_zero_width_are_shown() {
        assert_eq!(inline("a\u{202e}b"), "a⟨U+202E⟩b");
        assert_eq!(inline("x\u{200b}y"), "x⟨U+200B⟩y");
        assert_eq!(inline("\u{9b}31m"), "⟨U+009B⟩31m");
    }

    #[test]
    fn newlines_and_tabs() {
        assert_eq!(inline("a\nb"), "a␊b");
        assert_eq!(block("a\r\nb\nc"), "a\nb\nc");
        assert_eq!(inline("ab\tc"), "ab  c");
    }

    #[test]
    fn combining_storm_is_capped() {
        let zalgo = format!("e{}", "\u{301}".repeat(40));
        let safe = inline(&zalgo);
        assert_eq!(safe.chars().count(), 1 + MAX_COMBINING + 1);
        // An ordinary accent is untouched.
        assert_eq!(inline("e\u{301}te\u{301}"), "e\u{301}te\u{301}");
    }

    #[test]
    fn names_hold_nothing_invisible() {
        assert!(is_plain("Awa Kaboré"));
        for bad in [
            "a\u{2800}",
            "a\u{34f}",
            "a\u{17b4}",
            "a\u{e0041}",
            "a\u{fe0f}",
            "a\u{a0}b",
            "a\u{1d173}",
        ] {
            assert!(!is_plain(bad), "{bad:?}");
        }
    }

    #[test]
    fn error_text_is_safe_short_and_few_lines() {
        let huge = format!("id \u{1b}[2J{}\n", "x".repeat(100_000)).repeat(40);
        let out = error_text(&huge);
        assert!(!out.contains('\u{1b}'));
        assert!(
            out.lines().count() <= 6 && out.len() < 2_000,
            "{}",
            out.len()
        );
    }

    #[test]
    fn truncate_respects_wide_glyphs() {
        assert_eq!(truncate("漢字漢字", 5), "漢字…");
        assert_eq!(width(&fit("漢字漢字", 5)), 5);
        assert_eq!(fit("Dori", 6), "Dori  ");
    }

    proptest! {
        #[test]
        fn output_never_contains_controls(s in any::<String>()) {
            for out in [inline(&s), block(&s)] {
                for c in out.chars() {
                    prop_assert!(c == '\n' || !c.is_control(), "{:?} in {:?}", c, out);
                    prop_assert!(marker(c).is_none() || c == '\n', "{:?} in {:?}", c, out);
                }
            }
            prop_assert!(!inline(&s).contains('\n'));
        }
    }
}

//! The console, driven by real key events: every screen at 80x24 in French and
//! English as insta snapshots, a batch decision end to end, and the bytes a
//! real terminal would receive when hostile posts are on screen.

mod common;

use civitac::i18n::Lang;
use civitac::store::Store;
use civitac::tui::app::App;
use civitac::tui::keymap::Keymap;
use civitac::tui::theme::Theme;
use civitac::tui::view;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};

fn app(replica: &std::path::Path, lang: Lang) -> App {
    let store = Store::open(replica).expect("open");
    let keymap = Keymap::builtin("default").expect("keymap");
    let mut app = App::new(store, lang, keymap, &[], Theme::new(false));
    app.model.fixed_now = Some(AS_OF.parse().expect("date"));
    app.refresh_all();
    app
}

/// Types keys as a person would: characters one by one, `<name>` for named keys.
fn press(app: &mut App, keys: &str) {
    let mut rest = keys;
    while let Some(c) = rest.chars().next() {
        let (code, len) = if c == '<' {
            let end = rest.find('>').expect("closing >");
            let code = match &rest[1..end] {
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "space" => KeyCode::Char(' '),
                "down" => KeyCode::Down,
                "up" => KeyCode::Up,
                "bs" => KeyCode::Backspace,
                "tab" => KeyCode::Tab,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                other => panic!("unknown key <{other}>"),
            };
            (code, end + 1)
        } else {
            (KeyCode::Char(c), c.len_utf8())
        };
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
        rest = &rest[len..];
    }
}

/// The screen as text; an error in the status line fails the test (an error
/// is never the expected state of a screen, except where a test asks for one).
fn screen(app: &mut App, width: u16, height: u16) -> String {
    if let Some(m) = app.model.message.as_ref().filter(|m| m.error) {
        panic!("the console shows an error: {}", m.text);
    }
    render(app, width, height)
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|f| {
            view::draw(f, app);
        })
        .expect("draw");
    terminal.backend().to_string()
}

#[test]
fn every_screen_in_french_and_english() {
    // Times are shown local: the snapshots' zone is fixed.
    let _ = civitac::time::set_zone("UTC");
    let (_dir, replica) = small_demo();
    for (lang, tag) in [(Lang::Fr, "fr"), (Lang::En, "en")] {
        let mut app = app(&replica, lang);
        insta::assert_snapshot!(format!("{tag}_1_dashboard"), screen(&mut app, 80, 24));
        for (key, name) in [
            ("2", "enrollments"),
            ("3", "uploads"),
            ("4", "forum"),
            ("5", "sms"),
            ("6", "sync"),
            ("7", "journal"),
        ] {
            press(&mut app, key);
            insta::assert_snapshot!(format!("{tag}_{key}_{name}"), screen(&mut app, 80, 24));
            if key == "5" {
                press(&mut app, "v");
                insta::assert_snapshot!(format!("{tag}_5_sms_groups"), screen(&mut app, 80, 24));
                press(&mut app, "v");
                insta::assert_snapshot!(format!("{tag}_5_sms_contacts"), screen(&mut app, 80, 24));
                press(&mut app, "v");
            }
            if key == "6" {
                press(&mut app, "v");
                insta::assert_snapshot!(
                    format!("{tag}_6_sync_conflicts"),
                    screen(&mut app, 80, 24)
                );
                press(&mut app, "v");
            }
        }
        press(&mut app, "4?");
        insta::assert_snapshot!(format!("{tag}_help"), screen(&mut app, 80, 24));
        press(&mut app, "<esc><space><space>h");
        insta::assert_snapshot!(format!("{tag}_confirm"), screen(&mut app, 80, 24));
        insta::assert_snapshot!(format!("{tag}_too_small"), screen(&mut app, 60, 20));
    }
}

/// Every stored code a person must never read in `lang`: those whose word
/// differs from the code, and every audit action name.
fn codes_not_words(lang: Lang) -> Vec<String> {
    use civitac::domain::{enrollment::*, forum::*, sms::*, staff::Role, uploads::*};
    use civitac::i18n::values::Worded;
    let mut out = Vec::new();
    macro_rules! codes {
        ($($t:ty),*) => {$(
            out.extend(
                <$t>::ALL
                    .iter()
                    .filter(|e| e.as_str() != e.word(lang))
                    .map(|e| e.as_str().to_owned()),
            );
        )*};
    }
    codes!(
        Stage,
        OrgKind,
        UploadStatus,
        UploadKind,
        DocumentCategory,
        PostStatus,
        FlagReason,
        CitizenStatus,
        SmsStatus,
        SmsKind,
        Role
    );
    out.extend(
        civitac::i18n::sentences::ACTIONS
            .iter()
            .filter(|a| a.contains('.'))
            .map(|a| (*a).to_owned()),
    );
    out.extend(
        [
            "forum_post",
            "organization",
            "sms_message",
            "charter_received",
            "field_agent",
        ]
        .map(str::to_owned),
    );
    out.sort();
    out.dedup();
    out
}

/// What point 10 of the wording issue asks, on every screen at 80x24 in both
/// languages: the tab bar, hint bar and status bar never end cut mid-word
/// (their last column is a space), and no stored code shows anywhere.
#[test]
fn every_screen_fits_80_columns_and_shows_no_code() {
    let _ = civitac::time::set_zone("UTC");
    let (_dir, replica) = small_demo();
    for lang in [Lang::Fr, Lang::En] {
        let forbidden = codes_not_words(lang);
        let mut app = app(&replica, lang);
        let check = |app: &mut App, what: &str| {
            let text = screen(app, 80, 24);
            let lines: Vec<String> = text
                .lines()
                .map(|l| l.trim_matches('"').to_owned())
                .collect();
            assert_eq!(lines.len(), 24, "{what}");
            // The Synchro screen's header lines too.
            let header: &[(usize, &str)] = if what.starts_with('6') {
                &[(1, "header"), (2, "header")]
            } else {
                &[]
            };
            for (row, name) in [(0, "tab bar"), (22, "hint bar"), (23, "status bar")]
                .iter()
                .chain(header)
                .copied()
            {
                let last = lines[row].chars().nth(79).unwrap_or(' ');
                assert_eq!(
                    last, ' ',
                    "{what} ({lang:?}): the {name} is cut:\n{}",
                    lines[row]
                );
            }
            for line in &lines {
                for token in line.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')) {
                    let token = token.trim_matches('.');
                    assert!(
                        !forbidden.iter().any(|f| f == token),
                        "{what} ({lang:?}) shows the code \"{token}\":\n{text}"
                    );
                }
            }
        };
        check(&mut app, "dashboard");
        for key in ["2", "3", "4", "5", "6", "7"] {
            press(&mut app, key);
            check(&mut app, key);
            // The detail with focus, scrolled, shows its rest.
            press(&mut app, "<tab>JJ");
            check(&mut app, &format!("{key} detail"));
            press(&mut app, "<tab>");
            if key == "5" || key == "6" {
                for view in ["groups/conflicts", "contacts"] {
                    press(&mut app, "v");
                    check(&mut app, &format!("{key} {view}"));
                }
                if key == "6" {
                    press(&mut app, "v");
                }
            }
        }
    }
}

/// After a decision the cursor keeps its place: on the row that took the
/// decided one's place, at the same height, never back at the top — also
/// deep in a long list.
#[test]
fn the_cursor_keeps_its_place_after_a_decision() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::En);
    let cursor = |app: &mut App| app.model.list().expect("list").targets()[0].clone();
    press(&mut app, "4");
    for depth in [3, 130] {
        press(&mut app, "gg");
        for _ in 0..depth + 1 {
            press(&mut app, "j");
        }
        let next = cursor(&mut app);
        press(&mut app, "k");
        let decided = cursor(&mut app);
        assert_ne!(decided, next);
        press(&mut app, "h");
        press(
            &mut app,
            "<bs><bs><bs><bs><bs><bs><bs><bs><bs><bs><bs><bs>Spam<enter>",
        );
        assert_eq!(
            cursor(&mut app),
            next,
            "at depth {depth}, the next row takes the place"
        );
    }
}

/// `v` on Enrolments lists those in progress, the longest in their stage
/// first, and back.
#[test]
fn the_enrolments_stuck_longest_come_first_in_their_view() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::En);
    press(&mut app, "2v");
    let shown = screen(&mut app, 100, 30);
    assert!(
        shown.contains("In progress, longest at their stage"),
        "{shown}"
    );
    let first = app.model.list().expect("list").targets()[0].clone();
    let store = open(&replica);
    let oldest: String = store
        .conn()
        .query_row(
            "SELECT id FROM organizations WHERE status IN ('applied','charter_received','contacted')
             ORDER BY updated_at, id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("one");
    assert_eq!(first, oldest);
    press(&mut app, "v");
    assert!(screen(&mut app, 100, 30).contains("Enrolments ("));
}

/// From a Journal entry, `o` opens the record on its screen, where the
/// opposite decision reverts an older one of one's own.
#[test]
fn a_journal_entry_opens_its_record_to_revert_it() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::En);
    press(&mut app, "7f");
    press(
        &mut app,
        "<bs><bs><bs><bs><bs><bs><bs><bs>action=hidden<enter>",
    );
    let entry = app.model.list().expect("list").targets()[0].clone();
    let store = open(&replica);
    let post: String = store
        .conn()
        .query_row(
            "SELECT entity_id FROM audit_log WHERE id = ?1",
            [&entry],
            |r| r.get(0),
        )
        .expect("entry");
    press(&mut app, "o");
    assert_eq!(app.model.screen, civitac::tui::screens::Screen::Forum);
    assert_eq!(
        app.model.list().expect("list").targets(),
        vec![post.clone()]
    );
    let shown = screen(&mut app, 100, 30);
    assert!(
        shown.contains("the opposite one (restore…) reverts it"),
        "{shown}"
    );
    press(&mut app, "oWrongly hidden<enter>");
    let status: String = store
        .conn()
        .query_row(
            "SELECT status FROM forum_posts WHERE id = ?1",
            [&post],
            |r| r.get(0),
        )
        .expect("post");
    assert_eq!(status, "visible");
}

/// A filter that finds nothing says why when it can; a near miss is an
/// error with a suggestion, gone once the filter is fixed.
#[test]
fn an_empty_filter_result_says_why() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::Fr);
    press(&mut app, "2frégion=Paris<enter>");
    let said = app
        .model
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(said.contains("aucune ligne : région « Paris »"), "{said}");
    press(&mut app, "f");
    for _ in 0..30 {
        press(&mut app, "<bs>");
    }
    press(&mut app, "région=Kuilsze<enter>");
    let error = app
        .model
        .message
        .as_ref()
        .filter(|m| m.error)
        .map(|m| m.text.clone());
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("vouliez-vous Kuilsé ?")),
        "{error:?}"
    );
    for _ in 0..30 {
        press(&mut app, "<bs>");
    }
    press(&mut app, "région=Kuilse<enter>");
    assert!(app.model.message.as_ref().is_none_or(|m| !m.error));
    assert!(
        app.model
            .list()
            .expect("list")
            .filter_text(Lang::Fr)
            .contains("région=Kuilsé")
    );
}

/// The forum's list is called the moderation queue only while it shows
/// the queue, whatever the language or order the filter is typed in.
#[test]
fn the_forum_lists_title_says_which_posts_it_holds() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::Fr);
    press(&mut app, "4");
    let clear = |app: &mut App| {
        press(app, "f");
        for _ in 0..40 {
            press(app, "<bs>");
        }
    };
    let title = |app: &mut App| -> String {
        let s = screen(app, 80, 24);
        s.lines().nth(1).unwrap_or_default().to_owned()
    };
    let shown = title(&mut app);
    assert!(shown.contains("File de modération ("), "{shown}");
    for (filter, want) in [
        ("retenu=oui", "Messages retenus ("),
        ("statut=visible signalé=oui", "File de modération ("),
        ("statut=masqué", "Messages du forum ("),
    ] {
        clear(&mut app);
        press(&mut app, &format!("{filter}<enter>"));
        let shown = title(&mut app);
        assert!(shown.contains(want), "{filter}: {shown}");
    }
}

#[test]
fn moderation_session_end_to_end() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::En);
    // Search a post, then go back to the queue.
    press(&mut app, "4/forage");
    std::thread::sleep(civitac::tui::app::SEARCH_DEBOUNCE);
    assert!(
        app.tick(std::time::Instant::now()),
        "the search runs once typing pauses"
    );
    let found = screen(&mut app, 120, 40);
    assert!(found.contains("forage"), "{found}");
    press(&mut app, "<enter>/<bs><bs><bs><bs><bs><bs><enter>");
    // Mark three flagged posts and hide them with a reason.
    press(&mut app, "<space><space><space>h");
    // The usual reasons are offered (and the flags' own may be filled in):
    // cleared, the reason is still required.
    let dialog = screen(&mut app, 120, 40);
    assert!(
        dialog.contains("1 Spam · 2 Abusive language") || dialog.contains("Reason (required): "),
        "{dialog}"
    );
    press(&mut app, &"<bs>".repeat(40));
    press(&mut app, "<enter>");
    assert!(
        screen(&mut app, 120, 40).contains("a reason is required"),
        "no reason, no hide"
    );
    press(&mut app, "Propos injurieux<enter>");
    let store = open(&replica);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM audit_log WHERE action = 'post.hide' AND reason = 'Propos injurieux' AND at > '2026-11-02'"
        ),
        3
    );
    // Approve five contacted organisations in one batch, then undo: the
    // batch comes back whole.
    press(&mut app, "2f");
    for _ in 0.."".len() + 40 {
        press(&mut app, "<bs>");
    }
    press(&mut app, "status=contacted<enter>");
    press(&mut app, "<space><space><space><space><space>a<enter>");
    assert!(screen(&mut app, 120, 40).contains("5 organisations enrolled"));
    press(&mut app, "u");
    let dialog = screen(&mut app, 120, 40);
    assert!(
        dialog.contains("5 records,") && dialog.contains("decided together"),
        "{dialog}"
    );
    press(&mut app, "<enter>");
    let store = open(&replica);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM audit_log WHERE action = 'enrollment.enrol' AND at > '2026-11-02'"
        ),
        5
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM audit_log WHERE action = 'undo'"
        ),
        5
    );
    assert_eq!(count(&store, "SELECT count(*) FROM outbox"), 3 + 5 + 5);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM organizations WHERE status = 'enrolled' AND updated_at > '2026-11-02'"
        ),
        0
    );
    // Help, then quit.
    press(&mut app, "?");
    assert!(screen(&mut app, 120, 40).contains("undo my last decision"));
    press(&mut app, "<esc>q");
    assert!(app.model.quit);
}

/// Collects what the console writes to its terminal.
#[derive(Clone, Default)]
struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn hostile_posts_never_reach_the_terminal_as_commands() {
    let (_dir, replica) = small_demo();
    let store = open(&replica);
    let ids: Vec<String> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT id FROM forum_posts WHERE body LIKE '%' || char(27) || '%' OR body LIKE '%' || char(8238) || '%' OR body LIKE '%' || char(155) || '%'")
            .expect("q");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("ids")
    };
    assert!(ids.len() >= 3, "the demo has hostile posts");
    let mut app = app(&replica, Lang::Fr);
    press(&mut app, "4");
    // Show exactly the hostile posts, whatever their status.
    press(&mut app, "f");
    for _ in 0..40 {
        press(&mut app, "<bs>");
    }
    press(&mut app, &format!("id={}<enter>", ids.join(",")));
    // Through the console's own backend, and through ratatui's crossterm one.
    let sink = Sink::default();
    let area = ratatui::layout::Rect::new(0, 0, 100, 30);
    let mut frugal = Terminal::with_options(
        civitac::tui::frugal::Frugal::new(sink.clone()).blank_screen(area),
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(area),
        },
    )
    .expect("terminal");
    let plain_sink = Sink::default();
    let mut plain = Terminal::new(CrosstermBackend::new(plain_sink.clone())).expect("terminal");
    for _ in 0..ids.len() {
        frugal
            .draw(|f| {
                view::draw(f, &mut app);
            })
            .expect("draw");
        plain
            .draw(|f| {
                view::draw(f, &mut app);
            })
            .expect("draw");
        press(&mut app, "<down>");
    }
    let mut bytes = sink.0.borrow().clone();
    bytes.extend_from_slice(&plain_sink.0.borrow());
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains('␛'), "the escapes are shown as markers");
    for (bad, what) in [
        (&b"\x1b]"[..], "OSC (title, clipboard)"),
        (b"\x07", "BEL"),
        (b"\x1b[2J", "clear screen"),
        (b"\x1b[8m", "hidden text"),
        (b"\xc2\x9b", "8-bit CSI"),
        (b"\x1bP", "DCS"),
        (b"\x08", "backspace"),
    ] {
        assert!(
            !bytes.windows(bad.len()).any(|w| w == bad),
            "{what} reached the terminal"
        );
    }
    assert!(
        !text.contains('\u{202e}'),
        "a bidi override reached the terminal"
    );
    assert!(
        !text.contains('\r'),
        "a bare carriage return reached the terminal"
    );
}

#[test]
fn keymap_errors_show_in_the_console() {
    let (_dir, replica) = small_demo();
    let store = Store::open(&replica).expect("open");
    let errors = civitac::tui::keymap::check("mine.toml", "[list]\n\"x\" = \"aprove\"\n");
    let mut app = App::new(
        store,
        Lang::En,
        Keymap::builtin("default").expect("km"),
        &errors,
        Theme::new(true),
    );
    let shown = render(&mut app, 100, 30);
    assert!(
        shown.contains("mine.toml:2: unknown action \"aprove\""),
        "{shown}"
    );
}

#[test]
fn searches_run_off_the_ui_thread() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::En);
    app.worker = Some(civitac::tui::worker::Worker::spawn(&replica, app.sender()).expect("worker"));
    press(&mut app, "4");
    let plain = screen(&mut app, 120, 40);
    assert!(!plain.contains("newest first"), "{plain}");
    press(&mut app, "/forage<enter>");
    // Enter sent the search to the worker; the screen says so until it answers.
    let waiting = screen(&mut app, 120, 40);
    assert!(waiting.contains("searching: forage"), "{waiting}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // Its answer comes back on the console's one channel.
    while !app.wait(std::time::Duration::from_millis(10), 0) {
        assert!(std::time::Instant::now() < deadline, "the worker answers");
    }
    let shown = screen(&mut app, 120, 40);
    assert!(
        shown.contains("search: forage") && shown.contains("forage"),
        "{shown}"
    );
    // The queue is sorted by flags; its search reads newest first, and says so.
    assert!(shown.contains(", newest first)"), "{shown}");
    // An older answer never replaces a newer search.
    press(
        &mut app,
        "/<bs><bs><bs><bs><bs><bs>zzzz<enter>/<bs><bs><bs><bs>forage<enter>",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.model.searching.is_some() {
        app.wait(std::time::Duration::from_millis(10), 0);
        assert!(std::time::Instant::now() < deadline, "the worker answers");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(screen(&mut app, 120, 40).contains("search: forage"));
}

#[test]
fn a_search_answer_reaches_its_list_after_a_screen_switch() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::En);
    app.worker = Some(civitac::tui::worker::Worker::spawn(&replica, app.sender()).expect("worker"));
    // Enter sends the search; the person moves to another screen before the
    // answer is taken from the channel (typed ahead, or a slow replica).
    press(&mut app, "4/forage<enter>2");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.model.searching.is_some() {
        app.wait(std::time::Duration::from_millis(10), 0);
        assert!(std::time::Instant::now() < deadline, "the worker answers");
    }
    press(&mut app, "4");
    let shown = screen(&mut app, 120, 40);
    assert!(shown.contains("search: forage"), "{shown}");
}

#[test]
fn changes_made_elsewhere_show_up() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::En);
    press(&mut app, "2");
    assert!(!app.notice_outside_changes(), "nothing changed yet");
    // Another process (here: the batch CLI's path) approves a contacted organisation.
    let mut other = open(&replica);
    let admin = actor_with(&other, civitac::domain::staff::Role::Admin);
    let org = first_id(&other, "organizations", "status = 'contacted'");
    let tx = other.transaction().expect("tx");
    let decision = civitac::ops::decisions::Decision::Enrollment(
        civitac::domain::enrollment::EnrollmentAction::Enrol,
        None,
    );
    let outcome = civitac::ops::decisions::apply_batch(
        &tx,
        &admin,
        &decision,
        &[org],
        None,
        Default::default(),
        Lang::En,
    );
    assert!(outcome.failed.is_empty());
    tx.commit().expect("commit");
    assert!(
        app.notice_outside_changes(),
        "the console notices the other connection's commit"
    );
    assert!(
        screen(&mut app, 120, 40).contains("1 pending ops"),
        "and shows it"
    );
    assert!(!app.notice_outside_changes());
}

/// The console's sync thread, for `replica`'s hub at `url` with `token`
/// (and the bundle key it keeps, if any), as `civitac` starts it.
fn syncing_with(app: &mut App, replica: &common::net::Replica, url: &str, token: String) {
    let bundle_key = civitac::replica::credentials::Credentials::load(&replica.db)
        .expect("credentials")
        .bundle_key;
    app.syncer = Some(civitac::tui::syncer::Syncer::new(
        replica.db.clone(),
        Some(civitac::config::HubConfig {
            url: url.to_owned(),
            token,
            ca: None,
            bundle_key,
        }),
        app.sender(),
    ));
}

/// Waits for the console's sync to finish, as the event loop would.
fn sync_in_console(app: &mut App) {
    press(app, "6s");
    let start = std::time::Instant::now();
    loop {
        app.wait(std::time::Duration::from_millis(20), 0);
        if !app.syncer.as_ref().is_some_and(|s| s.is_running()) {
            break;
        }
        assert!(start.elapsed().as_secs() < 60, "sync never ended");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn syncing_and_settling_conflicts_from_the_console() {
    use common::net::*;
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let a = Replica::new(dir.path(), "a");
    let b = Replica::new(dir.path(), "b");
    a.login(&hub.url, &issue(&db, "test.awa", "moderator", "laptop-a"));
    let token_b = issue(&db, "test.boukary", "moderator", "laptop-b");
    b.login(&hub.url, &token_b);
    let posts: Vec<String> = {
        let h = open(&db);
        let mut stmt = h
            .conn()
            .prepare("SELECT id FROM forum_posts WHERE status = 'visible' AND flag_count > 0 ORDER BY id LIMIT 2")
            .expect("q");
        stmt.query_map([], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("ids")
    };
    for p in &posts {
        a.run(&["forum", "hide", p, "--reason", "Insultes", "-y"]);
        b.run(&["forum", "remove", p, "--reason", "Spam", "-y"]);
    }
    a.sync();

    let mut app = app(&b.db, Lang::En);
    syncing_with(&mut app, &b, &hub.url, token_b.clone());
    press(&mut app, "6");
    let idle = render(&mut app, 100, 24);
    assert!(idle.contains("s: sync now"), "{idle}");
    sync_in_console(&mut app);
    let msg = app.model.message.as_ref().expect("a message");
    assert!(msg.text.contains("2 conflict"), "{}", msg.text);
    assert_eq!(app.model.conflicts, 2);
    // Kept, whole, for M (the status line shows only its start).
    press(&mut app, "M");
    let log = render(&mut app, 100, 24);
    assert!(log.contains("2 conflict"), "{log}");
    press(&mut app, "<esc>");

    // The conflicts view shows both; the first is decided again, the second accepted.
    press(&mut app, "v");
    let listed = render(&mut app, 100, 24);
    assert!(listed.contains("forum_post"), "{listed}");
    press(&mut app, "<enter>");
    let detail = render(&mut app, 120, 40);
    assert!(
        detail.contains("test.awa") || detail.contains("by "),
        "{detail}"
    );
    press(&mut app, "<esc>o");
    assert_eq!(app.model.screen, civitac::tui::screens::Screen::Forum);
    let filter = app
        .model
        .list()
        .expect("list")
        .filter_text(civitac::i18n::Lang::En);
    let (redecided, accepted) = if filter.contains(&posts[0]) {
        (posts[0].clone(), posts[1].clone())
    } else {
        assert!(filter.contains(&posts[1]), "{filter}");
        (posts[1].clone(), posts[0].clone())
    };
    let record = screen(&mut app, 100, 24);
    assert!(
        record.contains("hidden") || record.contains("masqué"),
        "{record}"
    );
    press(&mut app, "xSpam confirmé<enter>");
    assert_eq!(
        app.model.conflicts, 1,
        "deciding again closed that conflict"
    );
    sync_in_console(&mut app);
    press(&mut app, "t");
    assert_eq!(app.model.conflicts, 0);

    let h = open(&db);
    let status = |id: &str| -> String {
        h.conn()
            .query_row("SELECT status FROM forum_posts WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("post")
    };
    assert_eq!(status(&redecided), "removed", "decided again, applied");
    assert_eq!(status(&accepted), "hidden", "the hub's version accepted");
    assert_eq!(synced_digest(&b.store()), synced_digest(&h));
}

fn ctrl(app: &mut App, c: char) {
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

#[test]
fn the_sms_composer_counts_as_you_type_swaps_only_safe_characters_and_queues() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::Fr);
    press(&mut app, "5n");
    assert!(matches!(
        app.model.overlay,
        civitac::tui::model::Overlay::Compose(_)
    ));
    press(&mut app, "L’eau « potable » revient, ça marche");
    let shown = render(&mut app, 120, 30);
    assert!(shown.contains("UCS-2 ·"), "{shown}");
    assert!(shown.contains("En UCS-2 à cause de : ’ « » ç"), "{shown}");
    ctrl(&mut app, 'o');
    let shown = render(&mut app, 120, 30);
    assert!(
        shown.contains("restent en UCS-2 (lettres gardées) : ç"),
        "{shown}"
    );
    let civitac::tui::model::Overlay::Compose(c) = &app.model.overlay else {
        panic!("composer closed");
    };
    assert_eq!(c.body, "L'eau \" potable \" revient, ça marche");
    let recipients = c.recipients();
    // Quiet hours all day: a notice must wait; an alert asks for a second Enter.
    app.model.quiet_hours = civitac::sms::quiet::QuietHours::parse("00:00-23:59");
    press(&mut app, "<enter>");
    let shown = render(&mut app, 120, 30);
    assert!(shown.contains("heures calmes"), "{shown}");
    ctrl(&mut app, 't');
    press(&mut app, "<enter>");
    let shown = render(&mut app, 120, 30);
    assert!(shown.contains("Entrée encore pour confirmer"), "{shown}");
    press(&mut app, "<enter>");
    assert!(matches!(
        app.model.overlay,
        civitac::tui::model::Overlay::None
    ));
    let msg = app.model.message.as_ref().expect("message");
    assert!(msg.text.contains("SMS en file"), "{}", msg.text);
    let store = open(&replica);
    let (kind, status, encoding, n): (String, String, String, i64) = store
        .conn()
        .query_row(
            "SELECT kind, status, encoding, recipients FROM sms_messages WHERE body = ?1",
            ["L'eau \" potable \" revient, ça marche"],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("queued through ops::apply");
    assert_eq!(
        (kind.as_str(), status.as_str(), encoding.as_str()),
        ("alert", "queued", "UCS-2")
    );
    assert_eq!(n, recipients);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM outbox WHERE op LIKE '%QueueSms%'"
        ),
        1
    );
    // Undo is not offered for what cannot be undone: cancel instead.
    press(&mut app, "u");
    assert!(matches!(
        app.model.overlay,
        civitac::tui::model::Overlay::None
    ));
    let said = app
        .model
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(said.contains("annulez son envoi"), "{said}");
}

#[test]
fn a_groups_members_and_contact_search_on_the_sms_screen() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::En);
    press(&mut app, "5v");
    assert_eq!(
        app.model.page_ref().view(),
        civitac::tui::screens::View::SmsGroups
    );
    let group = app.model.list().expect("list").targets()[0].clone();
    press(&mut app, "m");
    assert_eq!(
        app.model.page_ref().view(),
        civitac::tui::screens::View::SmsContacts
    );
    let shown = screen(&mut app, 100, 30);
    let store = open(&replica);
    let members = count(
        &store,
        &format!("SELECT count(*) FROM sms_group_members WHERE group_id = '{group}'"),
    );
    assert!(
        shown.contains(&format!("({members})")),
        "{members} members:\n{shown}"
    );
    // Search narrows contacts by name or number.
    let phone: String = store
        .conn()
        .query_row(
            "SELECT phone_e164 FROM sms_contacts ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("contact");
    press(&mut app, "f");
    for _ in 0..80 {
        press(&mut app, "<bs>");
    }
    press(&mut app, "<enter>/");
    press(&mut app, &phone[4..]);
    app.tick(std::time::Instant::now() + std::time::Duration::from_secs(1));
    let shown = screen(&mut app, 100, 30);
    assert!(shown.contains(&phone) && shown.contains("(1)"), "{shown}");
}

#[test]
fn sms_messages_are_approved_and_cancelled_from_the_console() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::En);
    press(&mut app, "5");
    press(&mut app, "f");
    for _ in 0..80 {
        press(&mut app, "<bs>");
    }
    press(&mut app, "status=queued<enter>");
    let queued = app.model.list().expect("list").targets();
    assert_eq!(queued.len(), 1, "the cursor row");
    // The dialog says what the approval sends, and who wrote it.
    press(&mut app, "a");
    let dialog = screen(&mut app, 120, 40);
    assert!(
        dialog.contains("recipients ×") && dialog.contains(" SMS — written by "),
        "{dialog}"
    );
    press(&mut app, "<enter>");
    let store = open(&replica);
    let status = |id: &str| -> String {
        store
            .conn()
            .query_row("SELECT status FROM sms_messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("sms")
    };
    assert_eq!(status(&queued[0]), "approved");
    // Cancelling needs a reason.
    press(&mut app, "f");
    for _ in 0..80 {
        press(&mut app, "<bs>");
    }
    press(&mut app, &format!("id={}<enter>", queued[0]));
    press(&mut app, "xMauvais groupe<enter>");
    assert_eq!(status(&queued[0]), "cancelled");
    // One's own SMS: refused before any dialog, saying why.
    let me: String = store
        .conn()
        .query_row(
            "SELECT login FROM staff WHERE id = (SELECT value FROM sync_state WHERE key = 'staff_id')",
            [],
            |r| r.get(0),
        )
        .expect("owner");
    let own: String = store
        .conn()
        .query_row(
            "SELECT id FROM sms_messages WHERE status = 'queued' AND created_by = ?1 LIMIT 1",
            [&me],
            |r| r.get(0),
        )
        .unwrap_or_default();
    if !own.is_empty() {
        press(&mut app, "f");
        for _ in 0..80 {
            press(&mut app, "<bs>");
        }
        press(&mut app, &format!("id={own}<enter>a"));
        assert!(matches!(
            app.model.overlay,
            civitac::tui::model::Overlay::None
        ));
        let said = app
            .model
            .message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default();
        assert!(said.contains("another staff member must approve"), "{said}");
        assert_eq!(status(&own), "queued");
    }
}

/// A spam wave: the same text from several accounts, with a different
/// number to call. `=` marks the copies, `P` penalises their authors — a
/// week's silence (→ once), every visible post of theirs hidden, one reason
/// (1) — and Enter: five keys after reaching the forum.
#[test]
fn a_spam_wave_is_hidden_and_its_authors_muted_in_five_keys() {
    let _ = civitac::time::set_zone("UTC");
    let (_dir, replica) = small_demo();
    let (thread, authors) = {
        let s = open(&replica);
        (
            first_id(&s, "forum_threads", "locked = 0"),
            ids(
                &s,
                "SELECT id FROM citizens WHERE status = 'active' ORDER BY id LIMIT 4",
            ),
        )
    };
    {
        let s = open(&replica);
        for (i, author) in authors.iter().enumerate() {
            s.conn()
                .execute(
                    "INSERT INTO forum_posts (id, thread_id, author_id, body, created_at, flag_count)
                     VALUES (?1, ?2, ?3, ?4, ?5, 9)",
                    rusqlite::params![
                        format!("0f000000-0000-7000-8000-00000000000{i}"),
                        thread,
                        author,
                        format!("GAGNEZ 500 000 FCFA !! Appelez le 7{i} 12 34 5{i}"),
                        format!("2026-11-0{}T10:00:00.000Z", i + 1),
                    ],
                )
                .expect("post");
        }
    }
    // English first, only looking; then French, deciding.
    for (lang, tag) in [(Lang::En, "en"), (Lang::Fr, "fr")] {
        let mut app = app(&replica, lang);
        press(&mut app, "4=");
        let marked = screen(&mut app, 80, 24);
        assert!(
            marked.contains(lang.pick("4 marqués", "4 marked")),
            "{marked}"
        );
        press(&mut app, "P<right>1<tab>");
        insta::assert_snapshot!(format!("{tag}_penalise"), screen(&mut app, 80, 24));
        if lang == Lang::Fr {
            press(&mut app, "<enter>");
            let done = screen(&mut app, 80, 24);
            assert!(done.contains("4 auteurs réduits au silence"), "{done}");
        } else {
            press(&mut app, "<esc>");
        }
    }
    let s = open(&replica);
    for author in &authors {
        assert_eq!(
            count(
                &s,
                &format!(
                    "SELECT count(*) FROM forum_posts WHERE author_id = '{author}' AND status = 'visible'"
                )
            ),
            0
        );
        let until: String = s
            .conn()
            .query_row(
                "SELECT muted_until FROM citizens WHERE id = ?1 AND status = 'muted'",
                [author],
                |r| r.get(0),
            )
            .expect("muted");
        let days = until
            .parse::<jiff::Timestamp>()
            .expect("time")
            .duration_since(jiff::Timestamp::now())
            .as_hours()
            / 24;
        assert_eq!(days, 6, "a week, less the seconds the test took");
    }
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM audit_log WHERE action = 'citizen.mute' AND reason = 'Spam répété'"
        ),
        4
    );
}

/// "Je m'en occupe" and notes from the console: `p` takes the post (and
/// gives it back), `n` notes the post, `N` its author; the detail shows
/// both, and the queue can leave out what colleagues took.
#[test]
fn a_post_is_taken_in_hand_and_annotated_from_the_queue() {
    let _ = civitac::time::set_zone("UTC");
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::Fr);
    press(&mut app, "4p");
    let taken = screen(&mut app, 100, 40);
    assert!(taken.contains("1 message pris en charge"), "{taken}");
    assert!(taken.contains("Pris en charge par : awa.kabore"), "{taken}");
    press(&mut app, "nVu aussi à Kaya<enter>NCompte créé hier<enter>");
    let noted = screen(&mut app, 100, 40);
    assert!(
        noted.contains("Note : Vu aussi à Kaya (awa.kabore"),
        "{noted}"
    );
    assert!(
        noted.contains("Note (auteur) : Compte créé hier"),
        "{noted}"
    );
    // An empty note is refused in the dialog.
    press(&mut app, "n<enter>");
    assert!(render(&mut app, 100, 40).contains("la note est vide"));
    press(&mut app, "<esc>");
    // The same key gives it back.
    press(&mut app, "p");
    assert!(screen(&mut app, 100, 40).contains("1 message rendu"));
    let store = open(&replica);
    assert_eq!(
        count(&store, "SELECT count(*) FROM claims WHERE login IS NULL"),
        1
    );
    assert_eq!(count(&store, "SELECT count(*) FROM notes"), 2);
}

/// A field agent back from Tougouri records, offline: a new organisation
/// (its commune taken from the list with Tab, a second of the same name
/// warned before saving), then on an organisation whose charter came in:
/// the charter, a leader met (contacted with it), a correction.
#[test]
fn an_organisation_and_its_charter_and_leaders_are_recorded_from_forms() {
    let _ = civitac::time::set_zone("UTC");
    let (_dir, replica) = small_demo();
    for (lang, tag) in [(Lang::En, "en"), (Lang::Fr, "fr")] {
        let mut app = app(&replica, lang);
        press(
            &mut app,
            "2Aosc<tab>Groupement Naam de Tougouri<tab><tab>tougour",
        );
        insta::assert_snapshot!(format!("{tag}_form_apply"), screen(&mut app, 80, 24));
        press(&mut app, "<tab>Issa Ouédraogo<tab><tab>70 00 11 22<enter>");
        if lang == Lang::Fr {
            // The same name again (the English run saved it): warned
            // first, saved on a second Enter.
            let warned = render(&mut app, 80, 24);
            assert!(warned.contains("est déjà inscrite à Tougouri"), "{warned}");
            press(&mut app, "<enter>");
        }
        let saved = screen(&mut app, 80, 24);
        assert!(
            saved.contains(lang.pick("enregistrée", "recorded")),
            "{saved}"
        );
    }
    let s = open(&replica);
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM organizations WHERE commune = 'Tougouri' AND name = 'Groupement Naam de Tougouri' AND phone = '+22670001122'"
        ),
        2,
        "once per language run"
    );
    let org = first_id(&s, "organizations", "status = 'applied'");
    let mut app = app(&replica, Lang::Fr);
    press(&mut app, "2f");
    press(&mut app, &"<bs>".repeat(40));
    press(&mut app, &format!("id={org}<enter>"));
    press(&mut app, "Chier<tab>CH-2026-77<enter>");
    press(
        &mut app,
        "LMariam Sawadogo<tab>secrétaire<tab>76 55 44 3<enter>",
    );
    let refused = render(&mut app, 80, 24);
    assert!(refused.contains("n'est pas un numéro"), "{refused}");
    press(&mut app, "3<enter>");
    press(&mut app, "E<tab>GNT<enter>");
    press(&mut app, "JJJ");
    let done = screen(&mut app, 100, 60);
    assert!(
        done.contains("Responsable rencontré : Mariam Sawadogo · secrétaire · +22676554433"),
        "{done}"
    );
    assert!(done.contains("contactée"), "{done}");
    let s = open(&replica);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM organizations WHERE id = '{org}' AND status = 'contacted' AND charter_ref = 'CH-2026-77' AND acronym = 'GNT'"
            )
        ),
        1
    );
}

/// An upload whose file is in the cache shows what it holds in its detail,
/// read off the UI thread; one not fetched says how to fetch it.
#[test]
fn an_uploads_detail_previews_its_cached_file() {
    let _ = civitac::time::set_zone("UTC");
    let (dir, replica) = small_demo();
    let mut app = app(&replica, Lang::Fr);
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).expect("cache");
    let sha: String = open(&replica)
        .conn()
        .query_row(
            "SELECT sha256 FROM uploads WHERE status = 'pending' ORDER BY submitted_at DESC, id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("newest pending");
    app.file_cache = Some(cache.clone());
    press(&mut app, "3G");
    let before = screen(&mut app, 100, 40);
    assert!(
        before.contains("Aperçu : fichier pas encore là (F pour le récupérer)"),
        "{before}"
    );
    std::fs::copy(dir.path().join("files").join(&sha), cache.join(&sha)).expect("copy");
    // Moving away and back reads it, on its own thread.
    press(&mut app, "kj");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut shown = String::new();
    while std::time::Instant::now() < deadline {
        app.wait(std::time::Duration::from_millis(50), 0);
        shown = screen(&mut app, 100, 40);
        if !shown.contains("lecture du fichier") && shown.contains("Aperçu : ") {
            break;
        }
    }
    assert!(
        [
            "Aperçu : PDF",
            "Aperçu : Audio",
            "Aperçu : Vidéo",
            "Aperçu : Image",
            "Aperçu : CSV"
        ]
        .iter()
        .any(|p| shown.contains(p)),
        "{shown}"
    );
}

/// Decisions on a post's author undo from the forum (`u` offers the mute,
/// not an older hide); a penalty turned into a ban says "Bannir"; an author
/// already banned is left out of a penalty and said so.
#[test]
fn author_decisions_undo_from_the_forum_and_a_penalty_says_what_it_does() {
    let _ = civitac::time::set_zone("UTC");
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::Fr);
    press(&mut app, "4m1<enter>");
    assert!(screen(&mut app, 100, 40).contains("1 auteur réduit au silence"));
    press(&mut app, "u");
    let undo = render(&mut app, 100, 40);
    assert!(undo.contains("« citoyen réduit au silence »"), "{undo}");
    press(&mut app, "<esc>");
    // P, then ← to "bannir": the question says so.
    press(&mut app, "P<left>");
    let ban = render(&mut app, 100, 40);
    assert!(ban.contains("Bannir 1 auteur ?"), "{ban}");
    press(&mut app, "<esc>");
    // The cursor post's author banned elsewhere: nothing left to penalise.
    open(&replica)
        .conn()
        .execute(
            "UPDATE citizens SET status = 'banned' WHERE status = 'muted'",
            [],
        )
        .expect("banned");
    press(&mut app, "m");
    let refused = render(&mut app, 100, 40);
    assert!(refused.contains("rien à réduire au silence"), "{refused}");
}

/// The team, on the Synchro screen's third view: roles in words, who was
/// switched off, when each last synced.
#[test]
fn the_team_is_listed_on_the_synchro_screen() {
    let _ = civitac::time::set_zone("UTC");
    let (_dir, replica) = small_demo();
    open(&replica)
        .conn()
        .execute(
            "UPDATE staff SET active = 0, change = 'staff.deactivate', changed_by = 'hub',
                changed_at = '2026-10-30T10:00:00.000Z' WHERE login = 'mariam.traore'",
            [],
        )
        .expect("switched off");
    for (lang, tag) in [(Lang::Fr, "fr"), (Lang::En, "en")] {
        let mut app = app(&replica, lang);
        press(&mut app, "6vv");
        insta::assert_snapshot!(format!("{tag}_6_sync_staff"), screen(&mut app, 80, 24));
    }
}

/// The SMS coordinator's day from the console: a dynamic group made with
/// its reach said first, renamed and archived; a contact corrected, put into
/// a group and taken out again.
#[test]
fn sms_groups_and_contacts_are_managed_from_the_console() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::Fr);
    press(
        &mut app,
        "5vAVeille Kaya<tab>Pour les coupures<tab><tab>kaya<tab><enter>",
    );
    let warned = render(&mut app, 80, 24);
    assert!(
        warned.contains("groupe dynamique (commune Kaya)") && warned.contains("aujourd'hui"),
        "{warned}"
    );
    press(&mut app, "<enter>");
    let s = open(&replica);
    let made = first_id(
        &s,
        "sms_groups",
        "name = 'Veille Kaya' AND rule_commune = 'Kaya' AND description = 'Pour les coupures'",
    );
    // Found by its name, shown as dynamic, renamed, archived.
    press(&mut app, "/Veille<enter>");
    app.tick(std::time::Instant::now() + std::time::Duration::from_secs(1));
    let listed = screen(&mut app, 100, 30);
    assert!(listed.contains("Veille Kaya (dynamique)"), "{listed}");
    press(&mut app, "E");
    press(&mut app, &"<bs>".repeat(20));
    press(&mut app, "Veille Kaya et environs<enter>");
    press(&mut app, "X<enter>");
    let s = open(&replica);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM sms_groups WHERE id = '{made}' AND name = 'Veille Kaya et environs' AND archived_at IS NOT NULL"
            )
        ),
        1
    );
    // A contact corrected, then put into a group of members and taken out.
    let (contact, phone): (String, String) = s
        .conn()
        .query_row(
            "SELECT id, phone_e164 FROM sms_contacts WHERE opted_out_at IS NULL ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("contact");
    let group: String = s
        .conn()
        .query_row(
            &format!(
                "SELECT name FROM sms_groups WHERE archived_at IS NULL AND rule_commune IS NULL
                 AND rule_region IS NULL AND rule_org_kind IS NULL
                 AND id NOT IN (SELECT group_id FROM sms_group_members WHERE contact_id = '{contact}')
                 ORDER BY name LIMIT 1"
            ),
            [],
            |r| r.get(0),
        )
        .expect("a group without them");
    press(&mut app, "v/");
    press(&mut app, &phone[4..]);
    press(&mut app, "<enter>");
    app.tick(std::time::Instant::now() + std::time::Duration::from_secs(1));
    press(&mut app, "E");
    press(&mut app, &"<bs>".repeat(60));
    press(&mut app, "Awa Kaboré<enter>");
    press(&mut app, "+");
    press(&mut app, &group[..4]);
    press(&mut app, "<tab><enter>");
    let in_group = |s: &civitac::store::Store| {
        count(
            s,
            &format!(
                "SELECT count(*) FROM sms_group_members m JOIN sms_groups g ON g.id = m.group_id
                 WHERE m.contact_id = '{contact}' AND g.name = '{}'",
                group.replace('\'', "''")
            ),
        )
    };
    let s = open(&replica);
    assert_eq!(in_group(&s), 1, "added to {group}");
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM sms_contacts WHERE id = '{contact}' AND name = 'Awa Kaboré'"
            )
        ),
        1
    );
    press(&mut app, "D");
    press(&mut app, &group[..4]);
    press(&mut app, "<tab><enter>");
    let done = screen(&mut app, 100, 30);
    assert!(done.contains("retiré(s) de"), "{done}");
    assert_eq!(in_group(&open(&replica)), 0);
    // A dynamic group takes no member by hand: the refusal keeps the form.
    press(&mut app, "+Veille Kaya et environs<enter>");
    let refused = render(&mut app, 100, 30);
    assert!(refused.contains("dynamique"), "{refused}");
    assert_eq!(
        count(
            &open(&replica),
            &format!("SELECT count(*) FROM sms_group_members WHERE group_id = '{made}'")
        ),
        0
    );
}

/// A message that failed for some: the detail lists the failed numbers in
/// words, and R opens the composer for them only.
#[test]
fn a_failed_message_shows_its_numbers_and_is_resent_to_them_only() {
    let (_dir, replica) = small_demo();
    let (id, contacts) = {
        let mut s = open(&replica);
        let actor = s.owner().expect("owner").expect("owner");
        let group: String = s
            .conn()
            .query_row(
                "SELECT gm.group_id FROM sms_group_members gm JOIN sms_contacts c ON c.id = gm.contact_id
                 WHERE c.opted_out_at IS NULL GROUP BY gm.group_id HAVING count(*) >= 3
                 ORDER BY count(*), gm.group_id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .expect("group");
        let id = uuid::Uuid::now_v7().to_string();
        let tx = s.transaction().expect("tx");
        civitac::ops::apply(
            &tx,
            &actor,
            &civitac::ops::Op::QueueSms {
                message: civitac::ops::NewSms {
                    id: id.clone(),
                    group_id: group,
                    kind: civitac::domain::sms::SmsKind::Notice,
                    body: "Vaccination samedi au CSPS.".into(),
                    scheduled_at: None,
                    retry_of: None,
                },
            },
        )
        .expect("queued");
        tx.commit().expect("commit");
        // The hub's sender, run on this file (same schema and triggers).
        s.conn()
            .execute(
                "UPDATE sms_messages SET status = 'approved' WHERE id = ?1",
                [&id],
            )
            .expect("approved");
        civitac::hub::sms::start_due(s.conn_mut(), "2999-01-01T00:00:00Z").expect("start");
        let contacts = ids(
            &s,
            &format!(
                "SELECT contact_id FROM sms_deliveries WHERE message_id = '{id}' ORDER BY contact_id"
            ),
        );
        for (i, c) in contacts.iter().enumerate() {
            let bits = if i < 2 { 16 } else { 1 };
            civitac::hub::sms::report(s.conn_mut(), &id, c, bits).expect("report");
        }
        (id, contacts)
    };
    let mut app = app(&replica, Lang::Fr);
    press(&mut app, "5f");
    press(&mut app, &"<bs>".repeat(80));
    press(&mut app, &format!("id={id}<enter>"));
    let detail = screen(&mut app, 100, 40);
    assert!(detail.contains("Numéros en échec"), "{detail}");
    assert!(detail.contains("refusé par l'opérateur"), "{detail}");
    assert!(
        detail.contains(&format!(
            "Distribution : {} reçus, 0 envoyés sans accusé, 2 en échec, 0 en attente",
            contacts.len() - 2
        )),
        "{detail}"
    );
    press(&mut app, "R");
    let composer = render(&mut app, 100, 40);
    assert!(
        composer.contains("Renvoi aux numéros en échec, à eux seuls : 2"),
        "{composer}"
    );
    press(&mut app, "<enter>");
    let s = open(&replica);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM sms_messages WHERE retry_of = '{id}' AND recipients = 2
                 AND body = 'Vaccination samedi au CSPS.'"
            )
        ),
        1,
        "{contacts:?}"
    );
}

/// An admin runs the team from the Synchro screen: a colleague added, given
/// another role, switched off (with a reason) and back on; for anyone else
/// the team is read-only.
#[test]
fn an_admin_manages_the_team_from_the_console_and_others_only_read_it() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::Fr);
    press(
        &mut app,
        "6vvAsali.ouedraogo<tab>Sali Ouédraogo<tab>agent<tab><enter>",
    );
    let added = screen(&mut app, 100, 30);
    assert!(added.contains("sali.ouedraogo ajouté·e"), "{added}");
    let s = open(&replica);
    let id = first_id(
        &s,
        "staff",
        "login = 'sali.ouedraogo' AND role = 'field_agent' AND active = 1",
    );
    press(&mut app, "/Sali<enter>");
    app.tick(std::time::Instant::now() + std::time::Duration::from_secs(1));
    press(&mut app, "Rmod<tab><enter>");
    press(&mut app, "X");
    // Switching off needs a reason.
    press(&mut app, "<enter>");
    let asked = render(&mut app, 100, 30);
    assert!(asked.contains("motif"), "{asked}");
    press(&mut app, "A quitté l'équipe<enter>");
    let s = open(&replica);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM staff WHERE id = '{id}' AND role = 'moderator' AND active = 0"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM audit_log WHERE action = 'staff.deactivate' AND reason = 'A quitté l''équipe'"
        ),
        1
    );
    press(&mut app, "I<enter>");
    assert_eq!(
        count(
            &open(&replica),
            &format!("SELECT count(*) FROM staff WHERE id = '{id}' AND active = 1")
        ),
        1
    );
    // Never on one's own account (a slip of the cursor would lock one out).
    press(&mut app, "<esc>/");
    press(&mut app, &"<bs>".repeat(10));
    press(&mut app, "awa.kabore<enter>");
    app.tick(std::time::Instant::now() + std::time::Duration::from_secs(1));
    // Said at once, before any dialog.
    press(&mut app, "X");
    assert!(matches!(
        app.model.overlay,
        civitac::tui::model::Overlay::None
    ));
    let refused = render(&mut app, 100, 30);
    assert!(refused.contains("pas sur son propre compte"), "{refused}");
    assert_eq!(
        count(
            &open(&replica),
            "SELECT count(*) FROM staff WHERE login = 'awa.kabore' AND active = 1 AND role = 'admin'"
        ),
        1
    );
    // A moderator's console: the same keys say the team is read-only.
    open(&replica)
        .conn()
        .execute(
            "UPDATE staff SET role = 'moderator' WHERE id = (SELECT value FROM sync_state WHERE key = 'staff_id')",
            [],
        )
        .expect("demoted");
    let mut app = app_again(&replica);
    press(&mut app, "6vvA");
    let said = app
        .model
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(said.contains("réservé aux administrateurs"), "{said}");
    assert!(matches!(
        app.model.overlay,
        civitac::tui::model::Overlay::None
    ));
}

fn app_again(replica: &std::path::Path) -> App {
    app(replica, Lang::Fr)
}

#[test]
fn a_first_fill_left_unfinished_is_said_in_the_status_bar() {
    let (_dir, replica) = small_demo();
    let mut app = app(&replica, Lang::Fr);
    assert!(!screen(&mut app, 80, 24).contains("inachevée"));
    // As a cut snapshot leaves it (tests/pull.rs cuts a real one).
    open(&replica)
        .conn()
        .execute(
            "INSERT INTO sync_state (key, value) VALUES ('bulk_load', '1')",
            [],
        )
        .expect("state");
    app.refresh_all();
    let shown = screen(&mut app, 80, 24);
    assert!(shown.contains("│ synchro inachevée"), "{shown}");
    press(&mut app, "M");
    let news = screen(&mut app, 120, 40);
    assert!(
        news.contains("Première synchronisation inachevée"),
        "{news}"
    );
}

/// Waits for the console's sync thread (a sync or a bundle) to finish.
fn settle(app: &mut App) {
    let start = std::time::Instant::now();
    loop {
        app.wait(std::time::Duration::from_millis(20), 0);
        if !app.syncer.as_ref().is_some_and(|s| s.is_running()) {
            break;
        }
        assert!(
            start.elapsed().as_secs() < 60,
            "the sync thread never ended"
        );
    }
}

#[test]
fn a_bundle_is_exported_and_its_answer_imported_from_the_synchro_screen() {
    use common::net::*;
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let mut hub = HubProcess::start(&db, &[]);
    let r = Replica::new(dir.path(), "r");
    let token = issue(&db, "test.awa", "moderator", "terrain Dori");
    r.login(&hub.url, &token);
    hub.terminate();
    let queued = r.hide_flagged();

    // No link: the hub's address answers nothing.
    let mut app = app(&r.db, Lang::En);
    syncing_with(&mut app, &r, &hub.url, token);
    press(&mut app, "6");
    let idle = render(&mut app, 100, 24);
    assert!(idle.contains("e/i: USB bundle"), "{idle}");
    press(&mut app, "e");
    let form = render(&mut app, 100, 24);
    assert!(form.contains("Export a bundle for the hub"), "{form}");
    assert!(
        form.contains("civitac-terrain-Dori-"),
        "named for the device: {form}"
    );
    // The stick's folder instead of the one offered.
    let offered = match &app.model.overlay {
        civitac::tui::model::Overlay::Form(f) => f.value("file").chars().count(),
        _ => panic!("no form"),
    };
    let stick = dir.path().join("usb").join("terrain.civitac");
    std::fs::create_dir_all(stick.parent().expect("dir")).expect("stick");
    press(&mut app, &"<bs>".repeat(offered));
    press(&mut app, &format!("{}<enter>", stick.display()));
    settle(&mut app);
    let said = &app.model.message.as_ref().expect("said").text;
    assert!(
        said.contains(&format!("bundle written: {}", stick.display())),
        "{said}"
    );
    assert!(said.contains(&format!("{queued} ops")), "{said}");

    // At the hub, under the name the console will offer for the answer.
    let answer = civitac::replica::bundle::answer_name(&stick);
    let out = hub_cmd(&db)
        .args(["hub", "bundle", "import"])
        .arg(&stick)
        .arg("--answer")
        .arg(&answer)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    press(&mut app, "i");
    let form = render(&mut app, 120, 24);
    assert!(form.contains("terrain-reponse.civitac"), "{form}");
    press(&mut app, "<enter>");
    settle(&mut app);
    let said = &app.model.message.as_ref().expect("said").text;
    assert!(
        said.starts_with(&format!("bundle imported: {queued} sent")),
        "{said}"
    );
    assert_eq!(app.model.pending_ops, 0, "every op answered");
    // The same answer again changes nothing, and says so.
    press(&mut app, "i<enter>");
    settle(&mut app);
    let said = &app.model.message.as_ref().expect("said").text;
    assert!(said.contains("already imported"), "{said}");
}

/// A sync that brings the person's own row (demoted at the hub) changes who
/// the console says they are, and what it lets them decide, at once.
#[test]
fn a_role_changed_at_the_hub_shows_after_the_consoles_sync() {
    use common::net::*;
    let dir = tempfile::tempdir().expect("dir");
    let db = demo_hub(dir.path());
    let hub = HubProcess::start(&db, &[]);
    let a = Replica::new(dir.path(), "a");
    let token = issue(&db, "test.ada", "admin", "laptop-a");
    a.login(&hub.url, &token);
    let mut app = app(&a.db, Lang::En);
    syncing_with(&mut app, &a, &hub.url, token);
    assert!(render(&mut app, 100, 24).contains("administrator"));
    let demoted = hub_cmd(&db)
        .args(["hub", "staff", "set-role", "test.ada", "moderator"])
        .output()
        .expect("set-role");
    assert!(demoted.status.success(), "{demoted:?}");
    sync_in_console(&mut app);
    let after = render(&mut app, 100, 24);
    assert!(after.contains("moderator"), "{after}");
    assert!(!after.contains("administrator"), "{after}");
}

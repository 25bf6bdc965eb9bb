//! `update` checked by the effects it returns: no database, no thread.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::domain::forum::PostAction;
use crate::domain::staff::Role;

fn model(owner: bool) -> Model {
    let keymap = Keymap::builtin("default").expect("keymap");
    let owner = owner.then(|| Actor {
        staff_id: "s1".into(),
        login: "awa".into(),
        display_name: "Awa".into(),
        role: Role::Moderator,
        device: "d1".into(),
    });
    Model::new(Lang::Fr, keymap, &[], Theme::new(true), owner)
}

fn typed(m: &mut Model, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(m.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
    effects
}

fn enter(m: &mut Model) -> Vec<Effect> {
    m.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))
}

fn said(m: &Model) -> String {
    m.message
        .as_ref()
        .map(|x| x.text.clone())
        .unwrap_or_default()
}

#[test]
fn moving_and_switching_screens_ask_the_runner_for_rows() {
    let mut m = model(true);
    assert!(matches!(
        m.update(Action::ScreenForum)[..],
        [Effect::Reload]
    ));
    assert_eq!(m.screen, Screen::Forum);
    assert!(matches!(
        m.update(Action::PageDown)[..],
        [Effect::Move(Action::PageDown)]
    ));
    // With the detail pane focused, the same keys scroll it: no effect.
    m.update(Action::Detail);
    assert!(m.update(Action::Down).is_empty());
    assert!(matches!(m.update(Action::NextScreen)[..], [Effect::Reload]));
    assert_eq!(m.screen, Screen::Sms);
    assert!(!m.detail_focus, "a new screen starts on its list");
}

#[test]
fn decisions_are_refused_before_any_effect_without_rows_or_owner() {
    let mut m = model(true);
    m.update(Action::ScreenForum);
    assert!(m.update(Action::Hide).is_empty());
    assert_eq!(said(&m), "aucune ligne sélectionnée");
    // An action that means nothing here is said so, never applied to "everything".
    assert!(m.update(Action::Approve).is_empty());
    assert_eq!(said(&m), "cette action ne s'applique pas à cet écran");
    let mut nobody = model(false);
    nobody.update(Action::ScreenForum);
    assert!(nobody.update(Action::Hide).is_empty());
    assert!(
        said(&nobody).contains("n'appartient à personne"),
        "{}",
        said(&nobody)
    );
}

#[test]
fn a_confirmed_decision_becomes_one_change_with_its_reason() {
    let mut m = model(true);
    m.update(Action::ScreenForum);
    let mut confirm = Confirm::new(
        Pending::Decide(Decision::Moderate(PostAction::Hide)),
        vec!["p1".into(), "p2".into()],
        0,
    );
    confirm.notice = Some(Box::new(super::NoticePreview {
        template: "Votre message du {date} a été masqué : {reason}.".into(),
        vars: crate::store::notices::Vars {
            date: Some("2026-11-12T10:00:00Z".into()),
            ..Default::default()
        },
    }));
    m.overlay = Overlay::Confirm(Box::new(confirm));
    // A hide needs a reason: Enter without one keeps the dialog open.
    assert!(enter(&mut m).is_empty());
    match &m.overlay {
        Overlay::Confirm(c) => assert_eq!(c.problem.as_deref(), Some("un motif est obligatoire")),
        _ => panic!("the dialog closed without a reason"),
    }
    typed(&mut m, "Spam");
    // The notice the author will get reads with the reason as it is typed.
    match &m.overlay {
        Overlay::Confirm(c) => assert_eq!(
            c.notice_text(crate::i18n::Lang::Fr).as_deref(),
            Some("Votre message du 12 novembre a été masqué : Spam.")
        ),
        _ => panic!("the dialog closed"),
    }
    // Tab: the moderator chooses not to notify; recorded with the decision.
    m.key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    let effects = enter(&mut m);
    match &effects[..] {
        [
            Effect::Apply(Change::Decide {
                decision: Decision::Moderate(PostAction::Hide),
                ids,
                reason: Some(reason),
                quiet: true,
            }),
        ] => {
            assert_eq!(ids, &["p1", "p2"]);
            assert_eq!(reason, "Spam");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(m.overlay, Overlay::None));
}

#[test]
fn a_search_runs_once_typing_pauses_and_a_filter_on_enter() {
    let mut m = model(true);
    m.update(Action::ScreenForum);
    assert!(m.update(Action::Search).is_empty());
    assert!(
        typed(&mut m, "forage").is_empty(),
        "nothing runs while typing"
    );
    let typed_at = m
        .pending_search
        .as_ref()
        .map(|(_, at)| *at)
        .expect("pending");
    assert!(m.tick(typed_at).is_empty(), "not before the pause");
    match &m.tick(typed_at + SEARCH_DEBOUNCE)[..] {
        [Effect::Search(text)] => assert_eq!(text, "forage"),
        other => panic!("{other:?}"),
    }
    assert!(m.tick(typed_at + SEARCH_DEBOUNCE * 2).is_empty(), "once");

    m.overlay = Overlay::Input {
        kind: InputKind::Filter,
        text: String::new(),
    };
    typed(&mut m, "status=hidden");
    match &enter(&mut m)[..] {
        [
            Effect::Filter {
                text, typed: true, ..
            },
        ] => assert_eq!(text, "status=hidden"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sync_undo_and_conflicts_are_asked_of_the_runner() {
    let mut m = model(true);
    assert!(matches!(m.update(Action::SyncNow)[..], [Effect::StartSync]));
    m.update(Action::ScreenForum);
    assert!(matches!(
        m.update(Action::Undo)[..],
        [Effect::AskUndo {
            entities: ["forum_post", "citizen", "forum_thread", "claim", "note"]
        }]
    ));
    // Accepting the hub's version only means something on the conflicts view.
    assert!(m.update(Action::AcceptTheirs).is_empty());
    assert_eq!(said(&m), "sur l'écran Synchro, vue des conflits (touche v)");
    m.update(Action::ScreenSync);
    assert!(matches!(m.update(Action::NextView)[..], [Effect::Reload]));
    assert!(m.update(Action::AcceptTheirs).is_empty());
    assert_eq!(said(&m), "aucun conflit sélectionné");
    // The composer opens only on the SMS screen.
    assert!(m.update(Action::Compose).is_empty());
    assert_eq!(said(&m), "sur l'écran SMS");
    m.update(Action::ScreenSms);
    assert!(matches!(
        m.update(Action::Compose)[..],
        [Effect::OpenComposer {
            group: None,
            resend: None
        }]
    ));
}

#[test]
fn news_holds_the_hint_line_for_a_while_and_errors_until_dismissed() {
    let mut m = model(true);
    m.info("plateforme, appliqué : 1 message masqué");
    let at = m.message.as_ref().map(|x| x.at).expect("said");
    assert!(!m.fade(at), "not yet");
    assert!(m.message.as_ref().is_some_and(Message::on_hint_line));
    assert!(m.fade(at + NEWS_SHOWN), "it fades once");
    assert!(!m.fade(at + NEWS_SHOWN * 2));
    assert!(m.message.as_ref().is_some_and(|x| !x.on_hint_line()));
    m.error("refusé");
    let at = m.message.as_ref().map(|x| x.at).expect("said");
    assert!(!m.fade(at + NEWS_SHOWN * 10), "an error stays");
}

#[test]
fn a_usual_reason_is_one_digit_away_and_stays_editable_text() {
    let mut m = model(true);
    m.update(Action::ScreenForum);
    let mut confirm = Confirm::new(
        Pending::Decide(Decision::Moderate(PostAction::Hide)),
        vec!["p1".into()],
        0,
    );
    confirm.presets = vec!["Spam".into(), "Propos injurieux".into()];
    m.overlay = Overlay::Confirm(Box::new(confirm));
    // On an empty reason, a digit picks the usual one.
    typed(&mut m, "2");
    let reason = |m: &Model| match &m.overlay {
        Overlay::Confirm(c) => c.reason.clone(),
        _ => panic!("the dialog closed"),
    };
    assert_eq!(reason(&m), "Propos injurieux");
    // Once there is text, digits are text (a reason may name a number).
    typed(&mut m, " x3");
    assert_eq!(reason(&m), "Propos injurieux x3");
    match &enter(&mut m)[..] {
        [
            Effect::Apply(Change::Decide {
                reason: Some(r), ..
            }),
        ] => {
            assert_eq!(r, "Propos injurieux x3")
        }
        other => panic!("{other:?}"),
    }
}

fn press(m: &mut Model, code: KeyCode) -> Vec<Effect> {
    m.key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A sanction's length: ←/→ go through the usual ones (a ban last, for a
/// penalty), ↑/↓ move typing to it, a length that means nothing keeps the
/// dialog open with why, and "bannir" turns the penalty into a ban.
#[test]
fn a_sanctions_length_is_chosen_typed_checked_or_turned_into_a_ban() {
    use crate::domain::forum::CitizenAction;
    let penalty = Decision::Citizen {
        action: CitizenAction::Mute,
        hours: Some(24),
        hide_posts: true,
    };
    let mut m = model(true);
    let mut confirm = Confirm::new(Pending::Decide(penalty), vec!["c1".into()], 0);
    confirm.durations = ["24h", "7j", "30j", "bannir"].map(String::from).to_vec();
    confirm.duration = Some("24h".into());
    m.overlay = Overlay::Confirm(Box::new(confirm));
    let length = |m: &Model| match &m.overlay {
        Overlay::Confirm(c) => c.duration.clone().unwrap_or_default(),
        _ => panic!("the dialog closed"),
    };
    press(&mut m, KeyCode::Right);
    assert_eq!(length(&m), "7j");
    press(&mut m, KeyCode::Left);
    press(&mut m, KeyCode::Left);
    assert_eq!(length(&m), "bannir");
    // Typed: ↓ moves to the length, ctrl-u clears it, then a custom one.
    press(&mut m, KeyCode::Down);
    m.key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    typed(&mut m, "3 lunes");
    press(&mut m, KeyCode::Up);
    typed(&mut m, "Spam");
    assert!(enter(&mut m).is_empty(), "a length that means nothing");
    match &m.overlay {
        Overlay::Confirm(c) => {
            assert!(c.problem.as_deref().unwrap_or("").contains("3 lunes"));
            assert!(c.on_duration, "typing goes back to the length");
        }
        _ => panic!("the dialog closed"),
    }
    for _ in 0..7 {
        press(&mut m, KeyCode::Backspace);
    }
    typed(&mut m, "3j");
    match &enter(&mut m)[..] {
        [
            Effect::Apply(Change::Decide {
                decision:
                    Decision::Citizen {
                        action: CitizenAction::Mute,
                        hours: Some(72),
                        hide_posts: true,
                    },
                reason: Some(reason),
                ..
            }),
        ] => assert_eq!(reason, "Spam"),
        other => panic!("{other:?}"),
    }
    // "bannir" on a penalty: a ban, no length.
    let mut confirm = Confirm::new(
        Pending::Decide(Decision::Citizen {
            action: CitizenAction::Mute,
            hours: Some(24),
            hide_posts: true,
        }),
        vec!["c1".into()],
        0,
    );
    confirm.duration = Some("Bannir".into());
    confirm.reason = "Menaces".into();
    m.overlay = Overlay::Confirm(Box::new(confirm));
    assert!(matches!(
        &enter(&mut m)[..],
        [Effect::Apply(Change::Decide {
            decision: Decision::Citizen {
                action: CitizenAction::Ban,
                hours: None,
                ..
            },
            ..
        })]
    ));
}

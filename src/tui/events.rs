//! Everything that reaches the console comes on one channel: keys and the
//! mouse (from the input thread), search answers (the worker), sync news
//! (the sync thread) and fetched files (the file thread). The loop waits on
//! it and hands each event to the runner; nothing is polled apart.

use std::path::PathBuf;
use std::sync::mpsc::Sender;

use crossterm::event::{KeyEvent, MouseEvent};

use super::syncer::News;
use super::worker::Answer;

pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// The terminal changed size: draw again.
    Resize,
    /// The terminal cannot be read any more (hung up): the console ends.
    InputClosed(String),
    /// A search the worker ran.
    Searched(Answer),
    /// News from the sync thread.
    Sync(News),
    /// A line from outside the console for its status line (the demo's
    /// simulated platform says what it applied).
    Said(String),
    /// A file's preview was read (it is kept in `replica::preview`).
    Previewed,
    /// An upload's file fetched into the cache (or why not).
    Fetched {
        upload_id: String,
        result: Result<PathBuf, String>,
    },
}

/// Reads the terminal on its own thread and sends what it reads. It ends
/// when the console's channel closes or the terminal goes away.
pub fn spawn_input(events: Sender<Event>) -> std::io::Result<()> {
    use crossterm::event::{self, Event as Term, KeyEventKind};
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            loop {
                let event = match event::read() {
                    Ok(Term::Key(k)) if k.kind != KeyEventKind::Release => Event::Key(k),
                    Ok(Term::Mouse(m)) => Event::Mouse(m),
                    Ok(Term::Resize(..)) => Event::Resize,
                    Ok(_) => continue,
                    Err(e) => {
                        let _ = events.send(Event::InputClosed(e.to_string()));
                        return;
                    }
                };
                if events.send(event).is_err() {
                    return;
                }
            }
        })?;
    Ok(())
}

//! What the benches of the console share: a terminal that counts the bytes
//! written to it, and a key press.

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Counts the bytes the console writes to its terminal.
#[derive(Clone, Default)]
pub struct Counter(pub Rc<Cell<usize>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

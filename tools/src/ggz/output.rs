//! Where lines go.

use std::io::Write;

/// A sink for whole lines of text.
pub trait Output {
    /// Shows one line (without its end).
    fn line(&mut self, text: &str);
}

/// Standard output, flushed per line so a script or test reading it sees
/// each event as it happens.
pub struct Stdout;

impl Output for Stdout {
    fn line(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        // A closed stdout (the reader went away) must not kill the client
        // mid-session; it still logs out cleanly.
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }
}

/// Collects lines, for tests.
#[derive(Debug, Default)]
pub struct Collected(pub Vec<String>);

impl Output for Collected {
    fn line(&mut self, text: &str) {
        self.0.push(text.to_owned());
    }
}

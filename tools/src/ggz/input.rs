//! Where lines come from: a line editor with history and tab completion
//! on a terminal, or plain lines from stdin in a script. Either runs on a
//! thread of its own and wakes the session's poll for each line, so the
//! session never blocks on the keyboard.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

use mio::Waker;
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, ExternalPrinter, Helper};

use super::output::Output;

/// Longest input line taken; longer lines are refused whole.
pub const MAX_LINE: usize = 64 * 1024;

/// What the user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A line, without its end.
    Line(String),
    /// A line over [`MAX_LINE`] bytes or not UTF-8, dropped.
    Unreadable,
    /// End of input (Ctrl-D, or the script ended).
    Eof,
    /// Ctrl-C at the prompt.
    Interrupt,
}

/// Words offered by tab completion, kept current by the session.
pub type Words = Arc<Mutex<Vec<String>>>;

fn deliver(tx: &Sender<Input>, waker: &Waker, input: Input) -> bool {
    let sent = tx.send(input).is_ok();
    // A failed wake means the session is gone; the send result says so too.
    let _ = waker.wake();
    sent
}

/// Reads stdin line by line on a thread.
pub fn spawn_plain(waker: Arc<Waker>) -> Receiver<Input> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let stdin = io::stdin();
        let mut lock = stdin.lock();
        loop {
            let input = match read_bounded_line(&mut lock) {
                Ok(Some(input)) => input,
                Ok(None) | Err(_) => {
                    deliver(&tx, &waker, Input::Eof);
                    return;
                }
            };
            if !deliver(&tx, &waker, input) {
                return;
            }
        }
    });
    rx
}

/// One line of at most [`MAX_LINE`] bytes; `None` at the end of input.
pub fn read_bounded_line<R: BufRead>(input: &mut R) -> io::Result<Option<Input>> {
    let mut line = Vec::new();
    let limit = u64::try_from(MAX_LINE + 1).unwrap_or(u64::MAX);
    <&mut R as Read>::take(&mut *input, limit).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') && line.len() > MAX_LINE {
        // Skip the rest of the over-long line.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let n = <&mut R as Read>::take(&mut *input, limit).read_until(b'\n', &mut rest)?;
            if n == 0 || rest.last() == Some(&b'\n') {
                break;
            }
        }
        return Ok(Some(Input::Unreadable));
    }
    let line = line.strip_suffix(b"\n").unwrap_or(&line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Ok(Some(match String::from_utf8(line.to_vec()) {
        Ok(text) => Input::Line(text),
        Err(_) => Input::Unreadable,
    }))
}

/// Tab completion: command names after `/`, otherwise the names the
/// session knows (rooms, players, table numbers).
pub struct Completion {
    words: Words,
}

impl Completion {
    /// Completes from `words`.
    pub fn new(words: Words) -> Completion {
        Completion { words }
    }

    /// Where the word under the cursor starts, and the candidates.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = line.get(..pos).unwrap_or(line);
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = before.get(start..).unwrap_or_default().to_lowercase();
        let matches = |candidate: &str| candidate.to_lowercase().starts_with(&word);
        let found = if start == 0 && word.starts_with('/') {
            super::command::COMMANDS
                .iter()
                .map(|(name, _, _)| format!("/{name}"))
                .filter(|c| matches(c))
                .collect()
        } else {
            self.words
                .lock()
                .map(|words| words.iter().filter(|w| matches(w)).cloned().collect())
                .unwrap_or_default()
        };
        (start, found)
    }
}

impl Completer for Completion {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(self.candidates(line, pos))
    }
}

impl Hinter for Completion {
    type Hint = String;
}

impl Highlighter for Completion {}

impl Validator for Completion {}

impl Helper for Completion {}

/// Prints through the line editor, so that a line arriving while the
/// user types appears above the prompt instead of through it.
struct EditorOutput<P: ExternalPrinter + Send> {
    printer: P,
}

impl<P: ExternalPrinter + Send> Output for EditorOutput<P> {
    fn line(&mut self, text: &str) {
        // If the terminal is gone there is no one to tell.
        let _ = self.printer.print(format!("{text}\n"));
    }
}

/// Starts the line editor on a thread; returns its lines and the output
/// that prints around the prompt.
pub fn spawn_editor(
    waker: Arc<Waker>,
    words: Words,
) -> rustyline::Result<(Receiver<Input>, Box<dyn Output>)> {
    let mut editor: Editor<Completion, rustyline::history::DefaultHistory> = Editor::new()?;
    editor.set_helper(Some(Completion::new(words)));
    let printer = editor.create_external_printer()?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        loop {
            let input = match editor.readline("ggz> ") {
                Ok(line) if line.len() > MAX_LINE => Input::Unreadable,
                Ok(line) => {
                    if !line.trim().is_empty() {
                        // History is a convenience; a full one is no error.
                        let _ = editor.add_history_entry(line.as_str());
                    }
                    Input::Line(line)
                }
                Err(ReadlineError::Interrupted) => Input::Interrupt,
                Err(_) => Input::Eof,
            };
            let last = matches!(input, Input::Eof | Input::Interrupt);
            if !deliver(&tx, &waker, input) || last {
                return;
            }
        }
    });
    Ok((rx, Box::new(EditorOutput { printer })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Input> {
        let mut reader = input;
        let mut out = Vec::new();
        while let Some(i) = read_bounded_line(&mut reader).unwrap() {
            out.push(i);
        }
        out
    }

    #[test]
    fn plain_lines_are_bounded() {
        assert_eq!(
            lines(b"/rooms\r\nhello\nlast"),
            [
                Input::Line("/rooms".into()),
                Input::Line("hello".into()),
                Input::Line("last".into())
            ]
        );
        let mut long = vec![b'x'; MAX_LINE * 3];
        long.extend_from_slice(b"\n/who\n\xff\n");
        assert_eq!(
            lines(&long),
            [
                Input::Unreadable,
                Input::Line("/who".into()),
                Input::Unreadable
            ]
        );
    }

    #[test]
    fn completion_knows_commands_and_names() {
        let words: Words = Arc::new(Mutex::new(vec![
            "alice".into(),
            "Albert".into(),
            "bob".into(),
        ]));
        let c = Completion::new(words);
        assert_eq!(c.candidates("/ro", 3), (0, vec!["/rooms".to_string()]));
        assert_eq!(
            c.candidates("/msg al", 7),
            (5, vec!["alice".to_string(), "Albert".to_string()])
        );
        assert_eq!(c.candidates("hi b", 4), (3, vec!["bob".to_string()]));
        assert_eq!(c.candidates("", 0).1.len(), 3);
    }
}

//! Signals as poll events: each handled signal writes a byte into its own
//! socket pair (signal-hook's self-pipe), whose read end the event loop
//! watches. Nothing runs in signal context but that write.

use std::io::{self, Read};
use std::os::unix::net::UnixStream;

use mio::{Interest, Registry, Token};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Reload,
    Terminate,
    Child,
}

pub struct Signals {
    pipes: Vec<(Signal, mio::net::UnixStream, Token)>,
}

impl Signals {
    /// Installs the handlers and registers one pipe per signal, with tokens
    /// counting up from `first_token`.
    pub fn install(registry: &Registry, first_token: usize) -> io::Result<Signals> {
        let wanted = [
            (SIGHUP, Signal::Reload),
            (SIGTERM, Signal::Terminate),
            (SIGINT, Signal::Terminate),
            (SIGCHLD, Signal::Child),
        ];
        let mut pipes = Vec::new();
        for (index, (signo, signal)) in wanted.into_iter().enumerate() {
            let (read_end, write_end) = UnixStream::pair()?;
            read_end.set_nonblocking(true)?;
            write_end.set_nonblocking(true)?;
            signal_hook::low_level::pipe::register(signo, write_end)?;
            let mut read_end = mio::net::UnixStream::from_std(read_end);
            let token = Token(first_token + index);
            registry.register(&mut read_end, token, Interest::READABLE)?;
            pipes.push((signal, read_end, token));
        }
        Ok(Signals { pipes })
    }

    /// The signal behind a token, with its pipe drained.
    pub fn take(&mut self, token: Token) -> Option<Signal> {
        let (signal, pipe, _) = self.pipes.iter_mut().find(|(_, _, t)| *t == token)?;
        let mut buf = [0u8; 64];
        while matches!(pipe.read(&mut buf), Ok(n) if n > 0) {}
        Some(*signal)
    }
}

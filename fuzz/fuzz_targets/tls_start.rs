//! The plain/TLS switch at `<TLS_START/>`: the plain XML must end exactly
//! after the element's `>` (docs/client-server.md §4), whatever follows it
//! and however the bytes arrive, because everything after it is the
//! client's TLS handshake.
//!
//! Input: one flags byte (bits 1–3: number of cut points), two bytes for
//! where a `<TLS_START/>` is inserted, two bytes per cut point, then the
//! stream (the fuzzer may also write its own TLS_START, in any spelling).
//!
//! The function under test is `server::tls::split_at_tls_start`, the
//! switch as one pure function; the reference is the decoder fed in chunks
//! the way the event loop reads a socket. Checked: both find the same split
//! (events before it, offset, or error); the plain part ends with `>`; the
//! same split comes out of the plain part alone and with any other bytes
//! after it (no look-ahead into the handshake).
#![no_main]

use ggzd::proto::{DecodeError, Decoder, Event, Limits};
use ggzd::server::tls::split_at_tls_start;
use libfuzzer_sys::fuzz_target;

type Split = Result<(Vec<Event>, Option<usize>), DecodeError>;

/// Feeds `input` in the given chunks, as the event loop reads a socket,
/// until a TLS_START message: its events before, and the offset of the
/// first byte after it.
fn split_chunked(input: &[u8], cuts: &[usize]) -> Split {
    let mut dec = Decoder::new(Limits::SERVER);
    let mut events = Vec::new();
    let mut taken = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        loop {
            let p = dec.feed(&input[taken..cut])?;
            taken += p.consumed;
            match p.event {
                Some(Event::Element(e)) if e.is("TLS_START") => return Ok((events, Some(taken))),
                Some(e) => events.push(e),
                None if p.consumed == 0 => break,
                None => {}
            }
        }
    }
    Ok((events, None))
}

fn split_whole(input: &[u8]) -> Split {
    split_at_tls_start(&mut Decoder::new(Limits::SERVER), input)
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let ncuts = usize::from((flags >> 1) & 7);
    let Some((head, body)) = rest.split_at_checked(2 + ncuts * 2) else {
        return;
    };
    let at = usize::from(u16::from_le_bytes([head[0], head[1]])) % (body.len() + 1);
    let mut input = body[..at].to_vec();
    input.extend_from_slice(b"<TLS_START/>");
    input.extend_from_slice(&body[at..]);
    let mut cuts: Vec<usize> = head[2..]
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (input.len() + 1))
        .collect();
    cuts.sort_unstable();

    let whole = split_whole(&input);
    assert_eq!(split_chunked(&input, &cuts), whole, "cuts {cuts:?}");

    if let Ok((events, Some(end))) = &whole {
        assert_eq!(input[end - 1], b'>', "plain part does not end with '>'");
        let plain = &input[..*end];
        assert_eq!(split_whole(plain), Ok((events.clone(), Some(*end))));
        let mut other = plain.to_vec();
        other.extend_from_slice(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03</SESSION>");
        assert_eq!(split_whole(&other), Ok((events.clone(), Some(*end))));
    }
});

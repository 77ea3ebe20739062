//! The client → server XML wire: `proto::Decoder` and `parse_request`.
//!
//! Input layout: one flags byte (bit 0: tiny limits, so that every limit is
//! reachable by short inputs; bits 1–3: number of cut points), then two
//! bytes per cut point, then the stream. The stream is decoded whole and
//! again delivered in the chosen chunks; the decoder promises identical
//! results whatever the split (`proto/decoder/mod.rs` module docs).
//!
//! Checked besides "no panic":
//! * `consumed` never exceeds the bytes offered;
//! * an event is reported as soon as its last byte, a `>`, is consumed —
//!   nothing after it (this is what lets the server stop exactly after
//!   `</SESSION>` or `<TLS_START/>`);
//! * while waiting for more input, at most `max_token` bytes are pending;
//! * errors are sticky, and nothing is consumed after the session ended;
//! * whole == chunked (events, error, total consumed);
//! * every message parses to a request, and writing it back out (escaped
//!   attributes, CDATA text; and a CHAT as the server relays it) decodes to
//!   the same thing.
#![no_main]

use ggzd::proto::escape::push_cdata;
use ggzd::proto::{Decoder, Element, Event, Limits, escape, parse_request, reply};
use libfuzzer_sys::fuzz_target;

const TINY: Limits = Limits {
    max_token: 48,
    max_element: 160,
    max_depth: 3,
    max_attrs: 3,
    max_children: 4,
    max_text: 40,
    max_loose_text: 24,
};

#[derive(Debug, PartialEq)]
struct Outcome {
    events: Vec<Event>,
    error: Option<ggzd::proto::DecodeError>,
    /// Bytes consumed in total; only compared when there was no error.
    total: usize,
}

fn run(limits: Limits, input: &[u8], cuts: &[usize]) -> Outcome {
    let mut dec = Decoder::new(limits);
    let mut buf: Vec<u8> = Vec::new();
    let mut out = Outcome {
        events: Vec::new(),
        error: None,
        total: 0,
    };
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        buf.extend_from_slice(&input[start..cut]);
        start = cut;
        loop {
            match dec.feed(&buf) {
                Ok(p) => {
                    assert!(p.consumed <= buf.len(), "consumed past the input");
                    if dec.session_ended() && !matches!(p.event, Some(Event::SessionEnd)) {
                        assert_eq!(p.consumed, 0, "consumed after the session ended");
                    }
                    if p.event.is_some() && p.consumed > 0 {
                        assert_eq!(buf[p.consumed - 1], b'>', "event not ending at '>'");
                    }
                    buf.drain(..p.consumed);
                    out.total += p.consumed;
                    let idle = p.consumed == 0 && p.event.is_none();
                    if let Some(e) = p.event {
                        out.events.push(e);
                    }
                    if idle {
                        if !dec.session_ended() {
                            assert!(
                                buf.len() <= limits.max_token,
                                "{} bytes pending, limit {}",
                                buf.len(),
                                limits.max_token
                            );
                        }
                        break;
                    }
                }
                Err(e) => {
                    assert_eq!(dec.feed(b"<A/>"), Err(e.clone()), "error not sticky");
                    out.error = Some(e);
                    out.total = 0;
                    return out;
                }
            }
        }
    }
    out
}

/// Writes an element so that our decoder must read back the same DOM:
/// text first (as CDATA), then the children.
fn write(e: &Element, out: &mut String) {
    out.push('<');
    out.push_str(&e.name);
    for (k, v) in &e.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("='");
        out.push_str(&escape(v));
        out.push('\'');
    }
    out.push('>');
    if !e.text.is_empty() {
        push_cdata(out, &e.text);
    }
    for c in &e.children {
        write(c, out);
    }
    out.push_str("</");
    out.push_str(&e.name);
    out.push('>');
}

fn decode_one(text: &str) -> Element {
    let doc = format!("<SESSION>{text}</SESSION>");
    let out = run(Limits::CLIENT, doc.as_bytes(), &[]);
    assert_eq!(
        out.error, None,
        "re-encoded message did not decode: {doc:?}"
    );
    let mut els = out.events.into_iter().filter_map(|e| match e {
        Event::Element(el) => Some(el),
        _ => None,
    });
    let el = els.next().expect("re-encoded message vanished");
    assert!(els.next().is_none());
    el
}

fn check_message(e: &Element) {
    let req = parse_request(e);
    let _ = req.action_name();

    let mut text = String::new();
    write(e, &mut text);
    assert_eq!(&decode_one(&text), e, "round trip of {text:?}");

    if e.is("CHAT") {
        // What the server relays to the room (and echoes to the sender)
        // must reach every client as the very text that was sent.
        let relayed = reply::chat("normal", e.attr("TO").unwrap_or("x"), Some(&e.text));
        let back = decode_one(&relayed);
        assert_eq!(back.text, e.text, "relayed chat changed: {relayed:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let limits = if flags & 1 == 1 { TINY } else { Limits::SERVER };
    let ncuts = usize::from((flags >> 1) & 7);
    let Some((cut_bytes, input)) = rest.split_at_checked(ncuts * 2) else {
        return;
    };
    let mut cuts: Vec<usize> = cut_bytes
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (input.len() + 1))
        .collect();
    cuts.sort_unstable();

    let whole = run(limits, input, &[]);
    let chunked = run(limits, input, &cuts);
    assert_eq!(whole, chunked, "split at {cuts:?} changed the result");

    for event in &whole.events {
        if let Event::Element(e) = event {
            check_message(e);
        }
    }
});

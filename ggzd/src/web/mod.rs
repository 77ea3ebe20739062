//! Browsers: the HTTP request head of a connection to the `[web]`
//! listener, and the WebSocket that follows it (docs/websocket.md).
//!
//! Both are sans-IO: the event loop hands in the bytes it read and takes
//! out the bytes to write. The lobby's XML travels inside text frames,
//! untouched, so the decoder and the zone never know a client is a
//! browser.

pub mod http;
pub mod relay;
pub mod static_files;
pub mod ws;

/// A client frame as a browser sends it (masked; payloads under 64 KiB),
/// for the unit tests of the framing and the relay.
#[cfg(test)]
fn client_frame(fin: bool, opcode: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | opcode];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    out
}

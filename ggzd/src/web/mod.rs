//! Browsers: the HTTP request head of a connection to the `[web]`
//! listener, and the WebSocket that follows it (docs/websocket.md).
//!
//! Both are sans-IO: the event loop hands in the bytes it read and takes
//! out the bytes to write. The lobby's XML travels inside text frames,
//! untouched, so the decoder and the zone never know a client is a
//! browser.

pub mod http;
pub mod relay;
pub mod ws;

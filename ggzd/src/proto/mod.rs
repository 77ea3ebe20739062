//! The GGZ client/server XML protocol, version 10
//! (`docs/client-server.md`).
//!
//! Parsing happens at the edge and only here: bytes become [`Element`]s in
//! [`decoder`], elements become typed [`Request`]s in [`request`], and
//! server messages are built as exact byte strings in [`reply`], and those
//! of the documented extensions (docs/extensions.md) in [`ext_reply`]. Nothing
//! else in the daemon touches raw XML.

pub mod decoder;
pub mod element;
pub mod escape;
pub mod ext_replays;
pub mod ext_reply;
pub mod reply;
pub mod request;
pub mod restore;
pub mod types;

pub use decoder::{DecodeError, Decoder, Event, Limits, Progress};
pub use element::Element;
pub use escape::escape;
pub use request::{
    ChatKind, ListKind, LoginKind, LoginRequest, Request, ReseatAction, SeatRequest, TableRequest,
    parse_request,
};
pub use types::{
    LeaveReason, PlayerKind, ResultCode, SeatKind, TableStatus, parse_bool, parse_int,
};

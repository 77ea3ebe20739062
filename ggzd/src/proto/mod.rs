//! The GGZ client/server XML protocol, version 10
//! (`/work/shared/protocol/client-server.md`).

pub mod decoder;
pub mod element;
pub mod escape;
pub mod request;
pub mod types;

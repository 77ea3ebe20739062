//! Shared code for the ggzd tools.

pub mod bench;
pub mod uedit;

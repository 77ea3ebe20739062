//! Shared code for the ggzd tools.

pub mod bench;
pub mod ctl;
pub mod ggz;
pub mod secret;
pub mod uedit;

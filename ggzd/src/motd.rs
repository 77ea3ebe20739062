//! motd

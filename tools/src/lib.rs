//! Shared code for the ggzd tools.

//! Harness for the end-to-end tests: starts the built `ggzd` on 127.0.0.1
//! with an ephemeral port and a temporary directory.

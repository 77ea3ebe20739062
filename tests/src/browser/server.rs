//! A ggzd for the browser tests.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::BROWSER_TIMEOUT;
use crate::{ServerOptions, TestServer};

/// A ggzd with the `[web]` listener on an ephemeral loopback port, and the
/// address pages are loaded from.
pub struct WebServer {
    pub server: TestServer,
    pub web: SocketAddr,
}

impl WebServer {
    /// The repository's games and rooms (TicTacToe in "Tic-Tac-Toe"), plus
    /// `extra` TOML inside `[web]`.
    pub fn start(web_extra: &str) -> WebServer {
        WebServer::start_with(web_extra, ServerOptions::default())
    }

    pub fn start_with(web_extra: &str, mut options: ServerOptions) -> WebServer {
        // The web client is embedded in ggzd; GGZD_E2E_WEB_DIR serves a
        // working copy instead (web.static_dir), to try changes to web/
        // without rebuilding ggzd.
        let static_dir = std::env::var_os("GGZD_E2E_WEB_DIR")
            .map(|d| format!("static_dir = \"{}\"\n", PathBuf::from(d).display()))
            .unwrap_or_default();
        options.extra_config = format!(
            "{}\n[web]\nlisten = \"127.0.0.1:0\"\n{static_dir}{web_extra}\n",
            options.extra_config
        );
        let server = TestServer::start_with(options);
        let line = server
            .wait_for_log("WebSocket clients at ws://", BROWSER_TIMEOUT)
            .unwrap_or_else(|| panic!("no web listener line:\n{}", server.log()));
        let web = line
            .rsplit("ws://")
            .next()
            .and_then(|a| a.trim().trim_end_matches("/ws").parse().ok())
            .expect("web address");
        WebServer { server, web }
    }

    /// The web client's page.
    pub fn url(&self) -> String {
        format!("http://{}/", self.web)
    }
}

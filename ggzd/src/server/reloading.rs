//! The event loop's side of a reload: one at a time, the helper thread
//! started, its outcome applied, the service manager told (`reload.rs`
//! is what the helper thread does).

use std::sync::Arc;
use std::time::Instant;

use super::{Server, reload};
use crate::logging;

impl Server {
    /// SIGHUP or the control socket asks for a reload: one at a time, a
    /// request during a reload starts another once this one is done.
    pub(super) fn request_reload(&mut self) {
        if self.reload_running {
            self.reload_again = true;
            return;
        }
        if let Some(notifier) = &self.notifier {
            notifier.reloading();
        }
        self.reload_started();
        self.start_reload();
    }

    /// Reads the configuration and the files it names on a helper thread;
    /// the result comes back through the waker. One at a time: a SIGHUP
    /// during a reload starts another once this one is done.
    pub(super) fn start_reload(&mut self) {
        log::info!("SIGHUP: reloading the configuration, MOTD, rooms and game descriptions");
        // Out before the helper thread's lines, which are written at once.
        logging::flush_batch();
        let source = self.reload_source.clone();
        let running = self.config.clone();
        let port = self.zone.settings().port;
        let tx = self.reload_tx.clone();
        let waker = Arc::clone(&self.waker);
        let spawned = std::thread::Builder::new()
            .name("ggzd-reload".into())
            .spawn(move || {
                let _ = tx.send(reload::reload(&source, &running, port));
                let _ = waker.wake();
            });
        match spawned {
            Ok(_) => self.reload_running = true,
            Err(e) => {
                log::error!("cannot start reload: {e}");
                self.reload_ended(Err(format!("cannot start reload: {e}")), Instant::now());
            }
        }
    }

    /// Applies a reload the helper thread prepared.
    pub(super) fn apply_reload(&mut self, outcome: Box<reload::Outcome>, now: Instant) {
        let reload::Outcome {
            config,
            plan,
            mut settings,
            games,
            rooms,
            motd,
            tls,
            site,
        } = *outcome;
        for key in &plan.needs_restart {
            let at = match (config.source_file(), config.line_of(key)) {
                (Some(file), Some(line)) => format!("{}:{line}: ", file.display()),
                (Some(file), None) => format!("{}: ", file.display()),
                (None, _) => String::new(),
            };
            log::warn!("{at}key '{key}' changed; it takes effect only after a restart");
        }
        if !plan.changed.is_empty() {
            log::info!("configuration changed in: {}", plan.changed.join(", "));
        }
        match tls {
            reload::TlsMaterial::Off => {
                if self.io.tls.take().is_some() {
                    log::info!("TLS is no longer offered");
                }
            }
            reload::TlsMaterial::Loaded(pair) => {
                self.io.tls = Some(pair);
                log::info!("TLS certificate and key reloaded");
            }
            reload::TlsMaterial::Failed(e) => {
                // A pair that cannot be used is not taken: the old one
                // stays, and so does what the greeting says about TLS.
                log::error!("TLS reload failed, keeping the old certificate: {e}");
                settings.tls = self.zone.settings().tls;
            }
        }
        self.io.output_queue_limit = config.network.output_queue_limit;
        self.io
            .pacer
            .reconfigure(config.fanout.pacing(), config.fanout.min_clients as usize);
        self.io.send_buffer = config.abuse.send_buffer as usize;
        // New WebSocket connections take the new limits; the listener
        // itself stays (web.listen needs a restart).
        self.io.web = Arc::new(config.web.clone());
        match site {
            Ok(site) => self.io.site = site,
            // Like a TLS pair: files that cannot be served leave the old
            // ones in place.
            Err(e) => log::error!("web client files not reloaded, keeping the old ones: {e}"),
        }
        self.zone.apply_settings(settings, now, &mut self.io);
        self.zone.reload(games, rooms, motd, now, &mut self.io);
        self.config = config;
        self.retarget_warm(now);
        log::info!("reload done");
    }

    /// A reload ended (applied or refused): start the one a SIGHUP asked
    /// for meanwhile, or tell the service manager we are ready again.
    pub(super) fn reload_ended(&mut self, result: Result<(), String>, now: Instant) {
        self.reload_running = false;
        if std::mem::take(&mut self.reload_again) {
            self.start_reload();
            if self.reload_running {
                return;
            }
        }
        // The control socket's bookkeeping and answers.
        self.reload_finished(result, now);
        if let Some(notifier) = &self.notifier {
            notifier.ready();
        }
    }
}

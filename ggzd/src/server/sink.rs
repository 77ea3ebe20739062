//! The zone's effects carried out: queued bytes, closes, TLS, jobs,
//! timers and game processes.

use std::time::Instant;

use ggzdmod::wire::ToGame;

use super::conn::{Flush, Transport};
use super::timers::Timer;
use super::{Io, tls};
use crate::zone::{Close, ConnId, Job, Msg, Sink, SpawnSpec, TableSerial, TimerKey};

impl Sink for Io {
    fn send(&mut self, to: ConnId, msg: &Msg) {
        let limit = self.output_queue_limit;
        let Some(conn) = self.conn_mut_by_id(to) else {
            return;
        };
        if conn.closing == Some(Close::Now) {
            return;
        }
        if conn.out_bytes + msg.len() > limit && !conn.write_blocked {
            // Queues are written at the end of a turn; a burst (hundreds of
            // players entering a room at once) can fill one before that.
            // Give the kernel what it takes now, before calling the client
            // a slow reader.
            let before = conn.out_bytes;
            let failed = matches!(conn.flush(), Flush::Failed);
            let written = before.saturating_sub(conn.out_bytes);
            self.queued_bytes = self.queued_bytes.saturating_sub(written);
            let Some(conn) = self.conn_mut_by_id(to) else {
                return;
            };
            if failed {
                conn.closing = Some(Close::Now);
                self.overflowed.push(to);
                return;
            }
        }
        let Some(conn) = self.conn_mut_by_id(to) else {
            return;
        };
        if !conn.enqueue(msg, limit) {
            conn.closing = Some(Close::Now);
            self.overflowed.push(to);
            return;
        }
        self.queued_bytes += msg.len();
        self.queued_peak = self.queued_peak.max(self.queued_bytes);
        self.mark_dirty(to);
    }

    fn close(&mut self, conn: ConnId, how: Close) {
        if let Some(c) = self.conn_mut_by_id(conn) {
            if c.closing != Some(Close::Now) {
                c.closing = Some(how);
            }
            self.closing.push(conn);
        }
    }

    fn start_tls(&mut self, conn: ConnId) {
        let Some(config) = self.tls.clone() else {
            self.close(conn, Close::Now);
            return;
        };
        let Some(c) = self.conn_mut_by_id(conn) else {
            return;
        };
        if c.is_web() {
            // wss is the listener's business, not TLS_START's
            // (docs/websocket.md).
            self.close(conn, Close::Now);
            return;
        }
        // Whatever is queued (the greeting, normally long written) goes
        // out plain, before the handshake; a client that left it unread
        // would take it for TLS.
        if !c.outq.is_empty() {
            let before = c.out_bytes;
            let drained = matches!(c.flush(), Flush::Drained);
            let written = before.saturating_sub(c.out_bytes);
            self.queued_bytes = self.queued_bytes.saturating_sub(written);
            if !drained {
                log::info!(target: "connections", "TLS_START with plain output unsent");
                self.close(conn, Close::Now);
                return;
            }
        }
        match tls::accept(&config) {
            Ok(session) => {
                if let Some(c) = self.conn_mut_by_id(conn) {
                    c.transport = Transport::Switching(session);
                }
            }
            Err(e) => {
                log::error!("cannot start TLS: {e}");
                self.close(conn, Close::Now);
            }
        }
    }

    fn stop_reading(&mut self, conn: ConnId) {
        if let Some(c) = self.conn_mut_by_id(conn) {
            c.reading_stopped = true;
        }
    }

    fn submit(&mut self, job: Job) {
        self.workers.submit(job);
    }

    fn timer(&mut self, at: Instant, key: TimerKey) {
        self.timers.add(at, Timer::Zone(key));
    }

    fn cluster(&mut self, out: crate::cluster::Outbound) {
        if let crate::cluster::Outbound::Relay {
            channel,
            node,
            token,
        } = out
        {
            return self.start_channel_relay(channel, &node, token);
        }
        if let Some(cluster) = &mut self.cluster {
            cluster.queue(out);
        }
    }

    fn backlog(&self, conn: ConnId) -> usize {
        self.conn(conn).map_or(0, |c| c.out_bytes)
    }

    fn channel_alive(&self, conn: ConnId) -> bool {
        let Some(c) = self.conn(conn) else {
            return false;
        };
        // A parked channel is not watched: ask the socket whether its
        // peer hung up, without reading (bytes may be waiting for the game
        // even from a client that closed since).
        c.peer_hung_up().is_none_or(|gone| !gone)
    }

    fn spawn_table(&mut self, table: TableSerial, spec: SpawnSpec) {
        self.games.spawn(self.poll.registry(), table, spec);
    }

    fn table_send(&mut self, table: TableSerial, msg: ToGame, channel: Option<ConnId>) {
        let fd = channel.and_then(|c| self.take_channel(c, table));
        if channel.is_some() && fd.is_none() {
            self.games.events.push((
                table,
                crate::zone::TableEvent::Failed("a player's game channel vanished".into()),
            ));
            return;
        }
        self.games.send(table, &msg, fd);
    }

    fn end_table(&mut self, table: TableSerial) {
        if let Some(deadline) = self.games.end(self.poll.registry(), table, Instant::now()) {
            self.timers.add(deadline, Timer::KillOverdue);
        }
    }
}

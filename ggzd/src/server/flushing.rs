//! The end of a loop turn: clients that stopped reading are dropped,
//! dirty queues written, closes finished, burst memory given back.

use std::time::Instant;

use super::conn::Flush;
use super::pacing::Pace;
use super::timers::Timer;
use super::{CLOSE_GRACE, Server};
use crate::zone::Close;
use crate::zone::ConnId;

impl Server {
    /// After a turn's events: drop clients that stopped reading, write
    /// every dirty queue (unless a fan-out is paced: `pacing.rs`), and
    /// finish closes.
    pub(super) fn settle(&mut self, now: Instant) {
        loop {
            let overflowed = std::mem::take(&mut self.io.overflowed);
            if overflowed.is_empty() {
                break;
            }
            for id in overflowed {
                log::info!(target: "connections", "dropping a client that does not read");
                self.operator.counters.output_drops += 1;
                self.drop_connection(id, now);
            }
        }
        let mut dirty = std::mem::take(&mut self.io.dirty);
        if !self.shutting_down
            && let Pace::Hold(_) = self.io.pacer.decide(dirty.len(), now)
        {
            // The fan-out waits for the deadline, which bounds the poll's
            // sleep; what is queued meanwhile stays under
            // output_queue_limit (`Sink::send` writes a queue early rather
            // than pass it). A queue holding a line for its client alone
            // (an answer, a private line, MATCHED) is written now, with
            // the shared lines queued before it, so pacing never delays a
            // reply (`pacing.rs`).
            let (now_due, held): (Vec<ConnId>, Vec<ConnId>) = dirty.into_iter().partition(|id| {
                self.io
                    .conn_mut_by_id(*id)
                    .is_some_and(|c| c.holds_own_line())
            });
            self.io.dirty = held;
            dirty = now_due;
        }
        for id in dirty {
            let Some(conn) = self.io.conn_mut_by_id(id) else {
                continue;
            };
            conn.dirty = false;
            let before = conn.out_bytes;
            let outcome = conn.flush();
            let written = before.saturating_sub(conn.out_bytes);
            let (closing, stopped) = (conn.closing, conn.reading_stopped);
            self.io.queued_bytes = self.io.queued_bytes.saturating_sub(written);
            match outcome {
                Flush::Failed => self.drop_connection(id, now),
                Flush::Drained if closing.is_some() => {
                    if let Some(conn) = self.io.conn_mut_by_id(id) {
                        conn.close_notify();
                    }
                    self.drop_connection(id, now)
                }
                Flush::Drained if stopped => self.io.park_channel(id),
                Flush::Drained | Flush::Blocked => {}
            }
        }
        self.finish_closes(now);
    }

    /// Closes the zone asked for this turn: at once, or once their queue
    /// is written (within `CLOSE_GRACE`).
    fn finish_closes(&mut self, now: Instant) {
        let closing = std::mem::take(&mut self.io.closing);
        for id in closing {
            let Some(conn) = self.io.conn_mut_by_id(id) else {
                continue;
            };
            match conn.closing {
                Some(Close::Now) => self.drop_connection(id, now),
                Some(Close::AfterFlush) if conn.outq.is_empty() && !conn.tls_wants_write() => {
                    conn.close_notify();
                    self.drop_connection(id, now)
                }
                Some(Close::AfterFlush) => {
                    self.io
                        .timers
                        .add(now + CLOSE_GRACE, Timer::CloseDeadline(id));
                }
                None => {}
            }
        }
    }

    /// After a burst (a thousand players entering one room means a million
    /// queued updates), the allocator keeps the freed queue memory. Once the
    /// queues have drained, hand it back to the system.
    pub(super) fn give_back_memory(&mut self) {
        const BURST: usize = 8 << 20;
        if self.io.queued_bytes < (64 << 10) && self.io.queued_peak >= BURST {
            self.io.queued_peak = 0;
            // SAFETY: malloc_trim only releases free heap memory.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    }
}

//! Who runs each matchmaking queue of a cluster (docs/cluster.md §9): the
//! node holding a session-level PostgreSQL advisory lock for it. One
//! thread per node keeps a connection of its own for those locks, so they
//! die with the node (or with that connection: PostgreSQL frees a session's
//! locks when it ends). It tries the locks it does not hold once per
//! heartbeat, sleeping in between; the event loop hears only of changes.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::Client;

use crate::store::PgTarget;
use crate::store::pg::LOCK_NAMESPACE;
use crate::store::pg::cluster as reg;

/// First key of the queues' locks (the second is the queue name's
/// `hashtext`), apart from every other lock ggzd takes.
const QUEUE_NAMESPACE: i32 = LOCK_NAMESPACE + 1;

enum Command {
    Queues(Vec<String>),
    Stop,
}

pub struct QueueLocks {
    commands: Sender<Command>,
    held: Receiver<Vec<String>>,
    thread: Option<JoinHandle<()>>,
    wanted: Vec<String>,
}

impl QueueLocks {
    pub fn start(
        target: &PgTarget,
        queues: Vec<String>,
        heartbeat: Duration,
        waker: Arc<mio::Waker>,
    ) -> std::io::Result<QueueLocks> {
        let (commands, command_rx) = mpsc::channel();
        let (held_tx, held) = mpsc::channel();
        let target = target.clone();
        let wanted = queues.clone();
        let thread = std::thread::Builder::new()
            .name("ggzd-queue-locks".into())
            .spawn(move || run(&target, queues, heartbeat, &command_rx, &held_tx, &waker))?;
        Ok(QueueLocks {
            commands,
            held,
            thread: Some(thread),
            wanted,
        })
    }

    /// The queues offered changed (a reload): locks follow.
    pub fn set_queues(&mut self, queues: Vec<String>) {
        if queues != self.wanted {
            self.wanted = queues.clone();
            let _ = self.commands.send(Command::Queues(queues));
        }
    }

    /// The latest set of queues held, if it changed; never blocks.
    pub fn changed(&self) -> Option<Vec<String>> {
        self.held.try_iter().last()
    }

    pub fn stop(mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    target: &PgTarget,
    mut wanted: Vec<String>,
    heartbeat: Duration,
    commands: &Receiver<Command>,
    held_tx: &Sender<Vec<String>>,
    waker: &mio::Waker,
) {
    let mut client: Option<Client> = None;
    let mut held: BTreeSet<String> = BTreeSet::new();
    let mut told: Option<BTreeSet<String>> = None;
    let mut next = Instant::now();
    loop {
        match commands.recv_timeout(next.saturating_duration_since(Instant::now())) {
            Ok(Command::Queues(q)) => wanted = q,
            Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => next = Instant::now() + heartbeat,
        }
        if let Err(e) = step(target, &mut client, &wanted, &mut held) {
            // The connection is gone, and its locks with it.
            if !held.is_empty() {
                log::warn!("cluster: queue locks lost with their connection: {e}");
            }
            client = None;
            held.clear();
        }
        if told.as_ref() != Some(&held) {
            told = Some(held.clone());
            if held_tx.send(held.iter().cloned().collect()).is_err() {
                return;
            }
            if let Err(e) = waker.wake() {
                log::error!("cannot wake the event loop: {e}");
            }
        }
    }
}

/// Releases the locks of queues no longer offered and tries the others.
fn step(
    target: &PgTarget,
    client: &mut Option<Client>,
    wanted: &[String],
    held: &mut BTreeSet<String>,
) -> Result<(), String> {
    if wanted.is_empty() && held.is_empty() {
        // A zone without queues needs no connection for them.
        *client = None;
        return Ok(());
    }
    let c = match client {
        Some(c) if !c.is_closed() => c,
        _ => {
            held.clear();
            client.insert(reg::connect(target).map_err(|e| e.to_string())?)
        }
    };
    // Holding every lock it wants, the thread would send nothing and
    // could miss that its connection (and so its locks) went with a
    // restart of the server: one round trip a heartbeat finds out.
    if !held.is_empty() {
        c.simple_query("SELECT 1").map_err(|e| e.to_string())?;
    }
    let gone: Vec<String> = held
        .iter()
        .filter(|q| !wanted.contains(q))
        .cloned()
        .collect();
    for q in gone {
        c.execute(
            "SELECT pg_advisory_unlock($1, hashtext($2))",
            &[&QUEUE_NAMESPACE, &q],
        )
        .map_err(|e| e.to_string())?;
        held.remove(&q);
    }
    let missing: Vec<&String> = wanted.iter().filter(|q| !held.contains(*q)).collect();
    for q in missing {
        let row = c
            .query_one(
                "SELECT pg_try_advisory_lock($1, hashtext($2))",
                &[&QUEUE_NAMESPACE, q],
            )
            .map_err(|e| e.to_string())?;
        let got: bool = row.try_get(0).map_err(|e| e.to_string())?;
        if got {
            log::info!("cluster: this node runs queue {q}");
            held.insert(q.clone());
        }
    }
    Ok(())
}

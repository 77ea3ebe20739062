//! The cluster's registry threads (docs/cluster.md §2). The event loop
//! never waits for PostgreSQL: one thread writes this node's heartbeat
//! every `heartbeat` seconds, reads the whole registry and hands the rows
//! over; another sits in `LISTEN ggzd_cluster` and rings the loop when a
//! node joins or leaves, so a change is seen at once rather than at the
//! next heartbeat. Both sleep in blocking calls: nothing polls.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;

use crate::cluster::membership::NodeRow;
use crate::store::PgTarget;
use crate::store::pg::cluster as reg;

/// What the threads hand the event loop.
pub enum RegistryEvent {
    /// A fresh reading of the registry.
    Nodes(Vec<NodeRow>),
    /// The doorbell rang: the registry changed.
    Doorbell,
    /// This node had been taken for dead (its row and claims deleted)
    /// and is back in the registry: its players' names must be claimed
    /// again.
    Rejoined,
}

enum Command {
    Refresh,
    Forget { node: String, incarnation: u64 },
    Stop,
}

/// Who this node is in the registry.
#[derive(Clone)]
pub struct Identity {
    pub node: String,
    pub incarnation: u64,
    pub address: String,
}

pub struct Registry {
    commands: Sender<Command>,
    events: Receiver<RegistryEvent>,
    beat: Option<JoinHandle<()>>,
}

impl Registry {
    /// Creates the tables if needed and enters this node (dropping the
    /// claims of its earlier lives) before anything is served, then starts
    /// the threads. Returns a first reading of the registry, with every
    /// age taken as zero (nothing is known dead before `dead_after` has
    /// passed here). An error here stops the startup.
    pub fn start(
        target: &PgTarget,
        me: Identity,
        heartbeat: Duration,
        waker: Arc<mio::Waker>,
    ) -> Result<(Registry, Vec<NodeRow>), String> {
        let mut client = reg::connect(target).map_err(|e| e.to_string())?;
        reg::ensure_tables(&mut client).map_err(|e| e.to_string())?;
        reg::join(&mut client, &me.node, me.incarnation, &me.address).map_err(|e| e.to_string())?;
        let mut first = reg::nodes(&mut client).map_err(|e| e.to_string())?;
        for row in &mut first {
            row.age = Duration::ZERO;
        }
        let (command_tx, command_rx) = mpsc::channel();
        let (event_tx, event_rx) = mpsc::channel();
        let beat = {
            let target = target.clone();
            let events = event_tx.clone();
            let waker = Arc::clone(&waker);
            let me = me.clone();
            std::thread::Builder::new()
                .name("ggzd-cluster".into())
                .spawn(move || {
                    beat(
                        target,
                        Some(client),
                        me,
                        heartbeat,
                        &command_rx,
                        &events,
                        &waker,
                    )
                })
                .map_err(|e| e.to_string())?
        };
        let target = target.clone();
        // The doorbell's thread blocks in the server's notifications and
        // ends with the process: nothing is lost when it does.
        std::thread::Builder::new()
            .name("ggzd-cluster-listen".into())
            .spawn(move || listen(target, heartbeat, &event_tx, &waker))
            .map_err(|e| e.to_string())?;
        Ok((
            Registry {
                commands: command_tx,
                events: event_rx,
                beat: Some(beat),
            },
            first,
        ))
    }

    /// Read the registry now (the doorbell rang).
    pub fn refresh(&self) {
        let _ = self.commands.send(Command::Refresh);
    }

    /// Delete a dead node's row and claims.
    pub fn forget(&self, node: &str, incarnation: u64) {
        let _ = self.commands.send(Command::Forget {
            node: node.to_string(),
            incarnation,
        });
    }

    /// Events ready now; never blocks.
    pub fn events(&self) -> impl Iterator<Item = RegistryEvent> + '_ {
        self.events.try_iter()
    }

    /// This node leaves the registry (its row and claims go, the doorbell
    /// rings), so the others drop its players at once.
    pub fn stop(mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(handle) = self.beat.take() {
            let _ = handle.join();
        }
    }
}

fn send(events: &Sender<RegistryEvent>, waker: &mio::Waker, event: RegistryEvent) {
    if events.send(event).is_ok()
        && let Err(e) = waker.wake()
    {
        log::error!("cannot wake the event loop: {e}");
    }
}

/// The heartbeat thread: beats, reads, forgets the dead.
fn beat(
    target: PgTarget,
    mut client: Option<Client>,
    me: Identity,
    heartbeat: Duration,
    commands: &Receiver<Command>,
    events: &Sender<RegistryEvent>,
    waker: &mio::Waker,
) {
    let mut next = Instant::now();
    let mut failing = false;
    // Since when the registry has answered without a break. Heartbeats
    // older than that say nothing about the other nodes (nobody could
    // write them), so ages are cut to it: an outage of the database does
    // not make every node take the others for dead.
    let mut answering_since = Instant::now();
    loop {
        let command = match commands.recv_timeout(next.saturating_duration_since(Instant::now())) {
            Ok(command) => Some(command),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Command::Stop),
        };
        let mut rejoined = false;
        let result = with_client(&target, &mut client, |c| match &command {
            None => {
                if !reg::heartbeat(c, &me.node, me.incarnation, &me.address)? {
                    log::warn!(
                        "cluster: node {} had been taken for dead; it is back in the registry",
                        me.node
                    );
                    rejoined = true;
                }
                reg::nodes(c).map(Some)
            }
            Some(Command::Refresh) => reg::nodes(c).map(Some),
            Some(Command::Forget { node, incarnation }) => {
                reg::forget(c, node, *incarnation).map(|()| None)
            }
            Some(Command::Stop) => reg::forget(c, &me.node, me.incarnation).map(|()| None),
        });
        if command.is_none() {
            next = Instant::now() + heartbeat;
        }
        if rejoined {
            send(events, waker, RegistryEvent::Rejoined);
        }
        match result {
            Ok(rows) => {
                if failing {
                    log::info!("cluster: the registry answers again");
                    failing = false;
                    answering_since = Instant::now();
                }
                if let Some(mut rows) = rows {
                    let answering = answering_since.elapsed();
                    for row in &mut rows {
                        row.age = row.age.min(answering);
                    }
                    send(events, waker, RegistryEvent::Nodes(rows));
                }
            }
            Err(e) => {
                if !failing {
                    log::error!("cluster: registry: {e}");
                    failing = true;
                }
            }
        }
        if matches!(command, Some(Command::Stop)) {
            return;
        }
    }
}

/// Runs `f` on the registry connection, connecting first if needed; a
/// broken connection is dropped, for a fresh one next time.
fn with_client<T>(
    target: &PgTarget,
    client: &mut Option<Client>,
    f: impl FnOnce(&mut Client) -> Result<T, crate::store::StoreError>,
) -> Result<T, crate::store::StoreError> {
    let mut c = match client.take() {
        Some(c) if !c.is_closed() => c,
        _ => reg::connect(target)?,
    };
    let result = f(&mut c);
    if result.is_ok() || !c.is_closed() {
        *client = Some(c);
    }
    result
}

/// The doorbell thread: `LISTEN`, then sleep in the notifications. A lost
/// connection is made again after a heartbeat's pause.
fn listen(target: PgTarget, pause: Duration, events: &Sender<RegistryEvent>, waker: &mio::Waker) {
    loop {
        match reg::connect(&target) {
            Ok(mut client) => {
                if let Err(e) = client.batch_execute(&format!("LISTEN {}", reg::CHANNEL)) {
                    log::debug!("cluster: LISTEN failed: {e}");
                } else {
                    // Changes missed while not listening: read again now.
                    send(events, waker, RegistryEvent::Doorbell);
                    let mut notifications = client.notifications();
                    let mut iter = notifications.blocking_iter();
                    while let Ok(Some(_)) = iter.next() {
                        send(events, waker, RegistryEvent::Doorbell);
                    }
                }
            }
            Err(e) => log::debug!("cluster: doorbell: {e}"),
        }
        if events.send(RegistryEvent::Doorbell).is_err() {
            // The event loop is gone.
            return;
        }
        std::thread::sleep(pause);
    }
}

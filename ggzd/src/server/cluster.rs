//! The node links of a cluster (docs/cluster.md §3): one TCP connection
//! per pair of nodes, on the event loop's poll. Each side sends HELLO and
//! a snapshot of its players as soon as the link exists, then deltas.
//! Output per link is bounded: a link that does not drain is dropped and
//! rebuilt (its snapshot resynchronises the peer); bytes that do not
//! decode cost that link only.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry as PollRegistry, Token};

use super::cluster_lock::QueueLocks;
use super::cluster_registry::{Identity, Registry, RegistryEvent};
use crate::cluster::Outbound;
use crate::cluster::codec::{self, LinkMsg, MAX_FRAME};
use crate::cluster::membership::{Action, Membership, NodeRow};
use crate::cluster::outbox::{self, Outbox};
use crate::config::cluster::ClusterConfig;
use crate::store::StoreTarget;
use crate::zone::Zone;

/// The link listener's token; links follow it.
pub const CLUSTER_BASE: usize = usize::MAX / 8;
/// Most links at once (each pair of nodes needs one).
const MAX_LINKS: usize = 1024;
/// Bytes queued for one link before it counts as stuck.
const MAX_OUT: usize = 32 << 20;
const READ_CHUNK: usize = 64 * 1024;

/// What decoding a link's input came to.
enum Decoded {
    More,
    /// A HELLO, to be vouched for before the rest is read.
    Hello(String, u64),
    Fatal,
}

/// Whether a link may speak for the node it names.
enum Vouch {
    Yes,
    /// The node is not in the registry (yet).
    Wait,
    No,
}

pub fn owns(token: Token) -> bool {
    (CLUSTER_BASE..=CLUSTER_BASE + MAX_LINKS).contains(&token.0)
}

struct Link {
    stream: TcpStream,
    /// The node, once it said HELLO (or the one we dialed).
    node: Option<String>,
    /// Said HELLO: its messages reach the zone.
    greeted: bool,
    /// Its HELLO was vouched for: it is the link of its node.
    up: bool,
    /// Its HELLO (incarnation) waits, since then, for the node to appear
    /// in the registry.
    held: Option<(u64, Instant)>,
    input: Vec<u8>,
    out: Vec<u8>,
    /// Bytes of `out` already written.
    written: usize,
    /// A dial not known to have connected yet.
    connecting: bool,
    /// Our HELLO went out. An accepted connection hears it only once its
    /// first bytes show a link rather than a relayed game channel.
    hello_sent: bool,
    /// The node this link dialed; `None` for a link accepted from `peer`.
    dialed: Option<String>,
    peer: Option<IpAddr>,
}

pub struct ClusterIo {
    listener: TcpListener,
    links: Vec<Option<Link>>,
    membership: Membership,
    registry: Option<Registry>,
    me: Identity,
    /// Links with output to write this turn.
    dirty: Vec<usize>,
    /// Links to drop at the end of the turn.
    doomed: Vec<usize>,
    /// This node came back after being taken for dead: the zone must
    /// claim its players' names again.
    rejoined: bool,
    dead_after: std::time::Duration,
    /// Game channels relayed to other nodes' tables (`cluster_channel.rs`).
    pub(super) channels: super::cluster_channel::Channels,
    /// Relay connections that presented their header, for the zone.
    pub(super) arrived: Vec<(TcpStream, IpAddr, [u8; 16])>,
    /// Chat for live peers whose link is down, by node.
    outboxes: HashMap<String, Outbox>,
    /// The matchmaking queues' advisory locks.
    locks: Option<QueueLocks>,
    /// A registry reading arrived this turn (the queue names are checked
    /// against the locks wanted then).
    read: bool,
}

impl ClusterIo {
    /// Binds the link listener, enters the registry and makes the zone a
    /// node. `None` when `[cluster] node` is empty.
    pub fn start(
        config: &ClusterConfig,
        store: &StoreTarget,
        poll: &PollRegistry,
        waker: Arc<mio::Waker>,
        zone: &mut Zone,
    ) -> io::Result<Option<ClusterIo>> {
        if !config.enabled() {
            return Ok(None);
        }
        let StoreTarget::Postgres(target) = store else {
            return Err(io::Error::other(
                "a cluster needs [database] backend = \"postgres\"",
            ));
        };
        let listen: SocketAddr = config
            .listen_addr()
            .ok_or_else(|| io::Error::other("cluster.listen is not an address"))?;
        let mut listener = TcpListener::bind(listen)?;
        let bound = listener.local_addr()?;
        poll.register(&mut listener, Token(CLUSTER_BASE), Interest::READABLE)?;
        let address = if config.advertise.is_empty() {
            bound.to_string()
        } else {
            config.advertise.clone()
        };
        // Start times grow, so a newer life of a node always has the larger
        // incarnation (membership.rs relies on it).
        let incarnation = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(1);
        let me = Identity {
            node: config.node.clone(),
            incarnation,
            address,
        };
        let waker_for_locks = Arc::clone(&waker);
        let (registry, first_reading) =
            Registry::start(target, me.clone(), config.heartbeat(), waker)
                .map_err(|e| io::Error::other(format!("cluster registry: {e}")))?;
        zone.enable_cluster(&me.node, incarnation);
        let locks = QueueLocks::start(
            target,
            zone.queue_names(),
            config.heartbeat(),
            waker_for_locks,
        )
        .map_err(|e| io::Error::other(format!("cluster queue locks: {e}")))?;
        log::info!(
            "cluster: node {} listening for node links on {bound} (advertised as {})",
            me.node,
            me.address
        );
        let mut io = ClusterIo {
            listener,
            links: Vec::new(),
            membership: Membership::new(&config.node, config.dead_after()),
            dead_after: config.dead_after(),
            channels: Default::default(),
            arrived: Vec::new(),
            registry: Some(registry),
            me,
            dirty: Vec::new(),
            doomed: Vec::new(),
            rejoined: false,
            outboxes: HashMap::new(),
            locks: Some(locks),
            read: false,
        };
        // Known from the start, the other nodes' links are vouched for at
        // once (and this node dials whom it must).
        io.apply(&first_reading, poll, &mut Vec::new());
        Ok(Some(io))
    }

    /// Queues a message of the zone for its link(s).
    pub fn queue(&mut self, out: Outbound) {
        let (target, msg) = match out {
            Outbound::All(msg) => (None, msg),
            Outbound::To(node, msg) => (Some(node), msg),
            // Started by the loop (`Io::start_channel_relay`).
            Outbound::Relay { .. } => return,
        };
        let Some(frame) = codec::encode(&msg) else {
            log::debug!("cluster: a message past the link's bounds is not sent");
            return;
        };
        if outbox::holds(&msg) {
            self.hold_for_down_links(target.as_deref(), &frame);
        }
        for slot in 0..self.links.len() {
            // Only links whose HELLO was vouched for: a link that may yet
            // be refused hears nothing but this node's HELLO.
            let wanted = match (&target, self.links[slot].as_ref()) {
                (_, None) => false,
                (_, Some(link)) if !link.up => false,
                (None, Some(_)) => true,
                (Some(node), Some(link)) => link.node.as_deref() == Some(node.as_str()),
            };
            if wanted {
                self.push(slot, &frame);
            }
        }
    }

    /// Chat for live peers whose link is down (being redialed, or not
    /// vouched for yet) waits in their outbox for the new link.
    fn hold_for_down_links(&mut self, target: Option<&str>, frame: &[u8]) {
        let down: Vec<String> = self
            .membership
            .peers()
            .filter(|peer| target.is_none_or(|t| t == *peer))
            .filter(|peer| {
                !self
                    .links
                    .iter()
                    .flatten()
                    .any(|l| l.up && l.node.as_deref() == Some(*peer))
            })
            .map(str::to_string)
            .collect();
        for peer in down {
            if self
                .outboxes
                .entry(peer.clone())
                .or_default()
                .push(frame.to_vec())
            {
                log::warn!(
                    "cluster: chat held for {peer} while its link is down passes {} frames or {} bytes; the oldest is dropped",
                    outbox::MAX_FRAMES,
                    outbox::MAX_BYTES
                );
            }
        }
    }

    fn push(&mut self, slot: usize, frame: &[u8]) {
        let Some(link) = self.links.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        if link.out.len() - link.written + frame.len() > MAX_OUT {
            log::warn!(
                "cluster: the link to {} does not drain; it is dropped and rebuilt",
                link.node.as_deref().unwrap_or("?")
            );
            self.doomed.push(slot);
            return;
        }
        link.out.extend_from_slice(frame);
        self.dirty.push(slot);
    }

    /// HELLO and the zone's snapshot, first on every new link.
    /// HELLO, first on every new link.
    fn greet(&mut self, slot: usize) {
        if let Some(link) = self.links.get_mut(slot).and_then(Option::as_mut) {
            link.hello_sent = true;
        }
        let hello = LinkMsg::Hello {
            node: self.me.node.clone(),
            incarnation: self.me.incarnation,
        };
        if let Some(frame) = codec::encode(&hello) {
            self.push(slot, &frame);
        }
    }

    /// The zone's snapshot, once the peer's HELLO is vouched for; deltas
    /// follow it from then on.
    fn send_snapshot(&mut self, slot: usize, zone: &Zone) {
        for msg in zone.cluster_snapshot() {
            if let Some(frame) = codec::encode(&msg) {
                self.push(slot, &frame);
            }
        }
    }

    fn add_link(
        &mut self,
        stream: TcpStream,
        node: Option<String>,
        peer: Option<IpAddr>,
        poll: &PollRegistry,
    ) -> Option<usize> {
        let slot = match self.links.iter().position(Option::is_none) {
            Some(slot) => slot,
            None if self.links.len() < MAX_LINKS => {
                self.links.push(None);
                self.links.len() - 1
            }
            None => {
                log::warn!("cluster: too many node links");
                return None;
            }
        };
        let mut stream = stream;
        let token = Token(CLUSTER_BASE + 1 + slot);
        if let Err(e) = poll.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE) {
            log::warn!("cluster: cannot watch a node link: {e}");
            return None;
        }
        let _ = stream.set_nodelay(true);
        let connecting = node.is_some();
        self.links[slot] = Some(Link {
            stream,
            dialed: node.clone(),
            peer,
            node,
            greeted: false,
            up: false,
            held: None,
            input: Vec::new(),
            out: Vec::new(),
            written: 0,
            connecting,
            hello_sent: false,
        });
        Some(slot)
    }

    /// Accepts the links other nodes dial.
    pub fn accept(&mut self, poll: &PollRegistry) {
        loop {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    log::debug!("cluster: node link from {peer}");
                    // Greeted once its first bytes show a link (`sniff`).
                    self.add_link(stream, None, Some(peer.ip()), poll);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::warn!("cluster: accept failed: {e}");
                    return;
                }
            }
        }
    }

    fn dial(&mut self, node: String, address: &str, poll: &PollRegistry) {
        let stream = address
            .parse::<SocketAddr>()
            .map_err(io::Error::other)
            .and_then(TcpStream::connect);
        match stream {
            Ok(stream) => {
                log::debug!("cluster: dialing {node} at {address}");
                match self.add_link(stream, Some(node.clone()), None, poll) {
                    Some(slot) => self.greet(slot),
                    None => self.membership.dial_failed(&node),
                }
            }
            Err(e) => {
                log::debug!("cluster: cannot dial {node} at {address}: {e}");
                self.membership.dial_failed(&node);
            }
        }
    }

    /// A link's socket is ready. Returns what the zone must hear, by node.
    pub fn on_ready(
        &mut self,
        token: Token,
        readable: bool,
        writable: bool,
        zone: &Zone,
        poll: &PollRegistry,
    ) -> Vec<(String, LinkMsg)> {
        let slot = token.0 - CLUSTER_BASE - 1;
        let mut events = Vec::new();
        if writable {
            if let Some(link) = self.links.get_mut(slot).and_then(Option::as_mut) {
                link.connecting = false;
            }
            self.dirty.push(slot);
        }
        if readable {
            self.pump(slot, zone, poll, &mut events);
        }
        events
    }

    /// Reads and decodes until the socket is drained, a HELLO waits for
    /// the registry, or the link must go.
    fn pump(
        &mut self,
        slot: usize,
        zone: &Zone,
        poll: &PollRegistry,
        events: &mut Vec<(String, LinkMsg)>,
    ) {
        if !self.sniff(slot, poll) {
            return;
        }
        loop {
            let drained = match self.fill(slot) {
                Some(drained) => drained,
                None => return self.doomed.push(slot),
            };
            match self.decode(slot, events) {
                Decoded::Fatal => return self.doomed.push(slot),
                Decoded::Hello(node, incarnation) => match self.vouch(slot, &node) {
                    Vouch::Yes if self.hello(slot, &node, incarnation, zone, poll) => continue,
                    Vouch::Wait => {
                        events.pop();
                        if let Some(link) = self.links.get_mut(slot).and_then(Option::as_mut) {
                            link.held = Some((incarnation, Instant::now()));
                        }
                        return;
                    }
                    Vouch::Yes | Vouch::No => {
                        events.pop();
                        return self.doomed.push(slot);
                    }
                },
                Decoded::More => {}
            }
            let held = self
                .links
                .get(slot)
                .and_then(Option::as_ref)
                .is_none_or(|l| l.greeted && !l.up);
            if drained || held {
                return;
            }
        }
    }

    /// An accepted connection's first bytes: a relayed game channel's
    /// header (read exactly, never a byte more: the rest is the game's) or
    /// a link, greeted now. False when there is nothing more to do with
    /// the slot for now.
    fn sniff(&mut self, slot: usize, poll: &PollRegistry) -> bool {
        use crate::cluster::tables::{Header, RELAY_HEADER, parse_header};
        let Some(link) = self.links.get_mut(slot).and_then(Option::as_mut) else {
            return false;
        };
        if link.hello_sent {
            return true;
        }
        let mut head = [0u8; RELAY_HEADER];
        let n = match link.stream.peek(&mut head) {
            Ok(0) => {
                self.doomed.push(slot);
                return false;
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return false,
            Err(_) => {
                self.doomed.push(slot);
                return false;
            }
        };
        match parse_header(&head[..n]) {
            Header::More => false,
            Header::Link => {
                self.greet(slot);
                true
            }
            Header::Relay(token) => {
                let Some(mut link) = self.links.get_mut(slot).and_then(Option::take) else {
                    return false;
                };
                let _ = poll.deregister(&mut link.stream);
                // The header was peeked whole: this read takes exactly it.
                match link.stream.read(&mut head) {
                    Ok(RELAY_HEADER) => {}
                    _ => return false,
                }
                if let Some(peer) = link.peer {
                    self.arrived.push((link.stream, peer, token));
                }
                false
            }
        }
    }

    /// The advertised link address of `node`, if the registry has it.
    pub(super) fn address_of(&self, node: &str) -> Option<String> {
        self.membership.address_of(node).map(str::to_string)
    }

    /// Reads what the socket has, up to a bound; `Some(true)` when it is
    /// drained, `None` when the link is gone. A link waiting for the
    /// registry reads no further than the bound: TCP holds the rest.
    fn fill(&mut self, slot: usize) -> Option<bool> {
        let link = self.links.get_mut(slot).and_then(Option::as_mut)?;
        let mut chunk = [0u8; READ_CHUNK];
        while link.input.len() <= MAX_FRAME + 4 {
            match link.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => link.input.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Some(true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        Some(false)
    }

    /// Decodes the frames read so far; stops after a HELLO, which must be
    /// vouched for before anything else of the link is believed.
    fn decode(&mut self, slot: usize, events: &mut Vec<(String, LinkMsg)>) -> Decoded {
        let me = self.me.node.clone();
        let Some(link) = self.links.get_mut(slot).and_then(Option::as_mut) else {
            return Decoded::More;
        };
        if link.greeted && !link.up {
            return Decoded::More;
        }
        let mut used = 0;
        let mut outcome = Decoded::More;
        loop {
            match codec::decode(&link.input[used..]) {
                Ok(Some((msg, n))) => {
                    used += n;
                    match msg {
                        LinkMsg::Hello { node, incarnation } => {
                            if link.greeted || node == me {
                                log::warn!("cluster: a second or false HELLO; link dropped");
                                return Decoded::Fatal;
                            }
                            link.greeted = true;
                            link.node = Some(node.clone());
                            events.push((
                                node.clone(),
                                LinkMsg::Hello {
                                    node: node.clone(),
                                    incarnation,
                                },
                            ));
                            outcome = Decoded::Hello(node, incarnation);
                            break;
                        }
                        _ if !link.greeted => {
                            log::warn!("cluster: a link spoke before HELLO; dropped");
                            return Decoded::Fatal;
                        }
                        msg => {
                            let node = link.node.clone().unwrap_or_default();
                            events.push((node, msg));
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    log::warn!(
                        "cluster: bad bytes from {}: {e}; link dropped",
                        link.node.as_deref().unwrap_or("a node")
                    );
                    return Decoded::Fatal;
                }
            }
        }
        link.input.drain(..used);
        outcome
    }

    /// Links whose HELLO waited for the registry, after a new reading:
    /// vouched for now (their HELLO and what followed go to the zone),
    /// refused, or still waiting (for at most `dead_after`).
    fn recheck_held(
        &mut self,
        zone: &Zone,
        poll: &PollRegistry,
        events: &mut Vec<(String, LinkMsg)>,
    ) {
        let held: Vec<(usize, String, u64, Instant)> = self
            .links
            .iter()
            .enumerate()
            .filter_map(|(slot, l)| {
                let l = l.as_ref()?;
                let (incarnation, since) = l.held?;
                Some((slot, l.node.clone()?, incarnation, since))
            })
            .collect();
        for (slot, node, incarnation, since) in held {
            match self.vouch(slot, &node) {
                Vouch::Yes => {
                    if let Some(link) = self.links.get_mut(slot).and_then(Option::as_mut) {
                        link.held = None;
                    }
                    if self.hello(slot, &node, incarnation, zone, poll) {
                        events.push((node.clone(), LinkMsg::Hello { node, incarnation }));
                        self.pump(slot, zone, poll, events);
                    } else {
                        self.doomed.push(slot);
                    }
                }
                Vouch::Wait if since.elapsed() <= self.dead_after => {}
                Vouch::Wait | Vouch::No => self.doomed.push(slot),
            }
        }
    }

    /// Writes what is queued; called once per loop turn.
    pub fn flush(&mut self) {
        for slot in std::mem::take(&mut self.dirty) {
            let Some(link) = self.links.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            if link.connecting {
                continue;
            }
            while link.written < link.out.len() {
                match link.stream.write(&link.out[link.written..]) {
                    Ok(0) => {
                        self.doomed.push(slot);
                        break;
                    }
                    Ok(n) => link.written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => break,
                    Err(_) => {
                        self.doomed.push(slot);
                        break;
                    }
                }
            }
            if link.written == link.out.len() {
                link.out.clear();
                link.written = 0;
            } else if link.written > (1 << 20) {
                link.out.drain(..link.written);
                link.written = 0;
            }
        }
    }

    /// Links that broke or overflowed this turn: closed. Returns the nodes
    /// whose link went down.
    pub fn reap(&mut self, poll: &PollRegistry) -> Vec<String> {
        let mut down = Vec::new();
        for slot in std::mem::take(&mut self.doomed) {
            if let Some(node) = self.close(slot, poll) {
                down.push(node);
            }
        }
        down
    }

    fn close(&mut self, slot: usize, poll: &PollRegistry) -> Option<String> {
        let mut link = self.links.get_mut(slot)?.take()?;
        let _ = poll.deregister(&mut link.stream);
        if link.up
            && let Some(node) = &link.node
        {
            log::info!("cluster: link to {node} is down");
            self.membership.link_down(node);
        } else if let Some(dialed) = &link.dialed {
            self.membership.dial_failed(dialed);
        }
        link.node
    }

    /// The link in `slot` said HELLO: other links to the same node go
    /// (the newest carries the snapshot; one link per pair). False when
    /// this one must go instead.
    fn hello(
        &mut self,
        slot: usize,
        node: &str,
        incarnation: u64,
        zone: &Zone,
        poll: &PollRegistry,
    ) -> bool {
        let others: Vec<usize> = self
            .links
            .iter()
            .enumerate()
            .filter(|(other, l)| {
                *other != slot && l.as_ref().is_some_and(|l| l.node.as_deref() == Some(node))
            })
            .map(|(other, _)| other)
            .collect();
        for other in others {
            self.close(other, poll);
        }
        if !self.membership.link_up(node, incarnation) {
            return false;
        }
        if let Some(link) = self.links.get_mut(slot).and_then(Option::as_mut) {
            link.up = true;
        }
        self.send_snapshot(slot, zone);
        if let Some(mut held) = self.outboxes.remove(node) {
            let (frames, dropped) = held.take();
            log::info!(
                "cluster: {} chat frame(s) held for {node} follow its snapshot ({dropped} dropped)",
                frames.len()
            );
            for frame in frames {
                self.push(slot, &frame);
            }
        }
        log::info!("cluster: link to {node} is up");
        true
    }

    /// Whether the link in `slot` may speak for `node`: a dialed link must
    /// reach the node it dialed; an accepted one must come from the
    /// address the node advertises in the registry (a node not there yet
    /// is refused until it is; its dial is retried at the next reading).
    fn vouch(&self, slot: usize, node: &str) -> Vouch {
        let Some(link) = self.links.get(slot).and_then(Option::as_ref) else {
            return Vouch::No;
        };
        if let Some(dialed) = &link.dialed {
            if dialed != node {
                log::warn!("cluster: dialed {dialed}, but {node} answered; link dropped");
                return Vouch::No;
            }
            return Vouch::Yes;
        }
        let advertised = self
            .membership
            .address_of(node)
            .and_then(|a| a.parse::<SocketAddr>().ok());
        match (advertised, link.peer) {
            (Some(addr), Some(peer)) if addr.ip() == peer => Vouch::Yes,
            (Some(addr), peer) => {
                log::warn!(
                    "cluster: a link from {peer:?} says it is {node}, which advertises {addr}; dropped"
                );
                Vouch::No
            }
            (None, _) => {
                log::debug!("cluster: {node} is not in the registry yet; its link waits for it");
                if let Some(registry) = &self.registry {
                    registry.refresh();
                }
                Vouch::Wait
            }
        }
    }

    /// Registry readings and doorbells: what membership concludes. Dials
    /// happen here; dead nodes are returned for the zone, with what links
    /// that waited for the registry said meanwhile.
    pub fn registry_turn(
        &mut self,
        zone: &Zone,
        poll: &PollRegistry,
    ) -> (Vec<String>, Vec<(String, LinkMsg)>) {
        let mut events = Vec::new();
        if let Some(registry) = &self.registry {
            events.extend(registry.events());
        }
        let mut dead = Vec::new();
        let mut read = false;
        for event in events {
            match event {
                RegistryEvent::Doorbell => {
                    if let Some(registry) = &self.registry {
                        registry.refresh();
                    }
                }
                RegistryEvent::Rejoined => self.rejoined = true,
                RegistryEvent::Nodes(rows) => {
                    self.apply(&rows, poll, &mut dead);
                    read = true;
                    self.read = true;
                }
            }
        }
        let mut said = Vec::new();
        if read {
            self.recheck_held(zone, poll, &mut said);
        }
        (dead, said)
    }

    /// What membership concludes from a reading of the registry.
    fn apply(&mut self, rows: &[NodeRow], poll: &PollRegistry, dead: &mut Vec<String>) {
        for action in self.membership.observe(rows) {
            match action {
                Action::Dial { node, address } => self.dial(node, &address, poll),
                Action::Dead {
                    node,
                    incarnation,
                    forget,
                } => {
                    log::info!("cluster: node {node} is dead");
                    if let Some(held) = self.outboxes.remove(&node)
                        && !held.is_empty()
                    {
                        log::info!(
                            "cluster: {} chat frame(s) held for {node} are discarded",
                            held.len()
                        );
                    }
                    if forget && let Some(registry) = &self.registry {
                        registry.forget(&node, incarnation);
                    }
                    self.drop_links_of(&node, poll);
                    dead.push(node);
                }
            }
        }
    }

    fn drop_links_of(&mut self, node: &str, poll: &PollRegistry) {
        let slots: Vec<usize> = self
            .links
            .iter()
            .enumerate()
            .filter(|(_, l)| l.as_ref().is_some_and(|l| l.node.as_deref() == Some(node)))
            .map(|(slot, _)| slot)
            .collect();
        for slot in slots {
            self.close(slot, poll);
        }
    }

    /// The server stops: this node leaves the registry.
    pub fn stop(mut self) {
        if let Some(locks) = self.locks.take() {
            locks.stop();
        }
        if let Some(registry) = self.registry.take() {
            registry.stop();
        }
    }
}

impl super::Server {
    /// The link listener or a link is ready.
    pub(super) fn on_cluster_ready(
        &mut self,
        token: Token,
        readable: bool,
        writable: bool,
        now: Instant,
    ) {
        let Some(cluster) = self.io.cluster.as_mut() else {
            return;
        };
        let poll = self.io.poll.registry();
        if token.0 == CLUSTER_BASE {
            cluster.accept(poll);
            return;
        }
        let messages = cluster.on_ready(token, readable, writable, &self.zone, poll);
        let arrived = std::mem::take(&mut cluster.arrived);
        self.tell_zone(messages, now);
        for (stream, peer, token) in arrived {
            self.relay_arrived(stream, peer, token, now);
        }
    }

    /// A relayed game channel presented its token: the zone seats its
    /// player, and the socket goes to the game server as a local channel
    /// does. Refused, it is closed.
    fn relay_arrived(&mut self, stream: TcpStream, peer: IpAddr, token: [u8; 16], now: Instant) {
        // The node the token was granted to must be the one calling: the
        // connection comes from the address it advertises.
        let granted = self.zone.cluster_grant_node(&token);
        let ip = granted
            .as_deref()
            .and_then(|node| self.io.cluster.as_ref()?.address_of(node))
            .and_then(|a| a.parse::<SocketAddr>().ok())
            .map(|a| a.ip());
        let vouch = |node: &str| granted.as_deref() == Some(node) && ip == Some(peer);
        match self
            .zone
            .cluster_relay_arrived(&token, &vouch, now, &mut self.io)
        {
            Some((serial, msg)) => {
                super::listener::bound_send_buffer(&stream, self.io.send_buffer);
                self.io
                    .games
                    .send(serial, &msg, Some(std::os::fd::OwnedFd::from(stream)));
            }
            None => log::info!("cluster: a relayed game channel from {peer} was refused"),
        }
    }

    fn tell_zone(&mut self, messages: Vec<(String, LinkMsg)>, now: Instant) {
        for (node, msg) in messages {
            match msg {
                LinkMsg::Hello { .. } => self.zone.on_cluster_hello(&node),
                msg => self.zone.on_cluster_msg(&node, msg, now, &mut self.io),
            }
        }
    }

    /// Once per loop turn, before the clients' queues are written: the
    /// registry's news (dials, dead nodes) and links that broke.
    pub(super) fn cluster_turn(&mut self, now: Instant) {
        let Some(cluster) = self.io.cluster.as_mut() else {
            return;
        };
        let poll = self.io.poll.registry();
        let (dead, said) = cluster.registry_turn(&self.zone, poll);
        let down = cluster.reap(poll);
        let rejoined = std::mem::take(&mut cluster.rejoined);
        for node in down {
            // JOINs forwarded over a lost link get no answer.
            self.zone
                .cluster_seats_sweep(now, Some(&node), &mut self.io);
        }
        self.zone.cluster_seats_sweep(now, None, &mut self.io);
        for node in dead {
            self.io.end_channel_relays_of(&node);
            self.zone
                .cluster_seats_sweep(now, Some(&node), &mut self.io);
            self.zone.on_cluster_node_gone(&node, now, &mut self.io);
        }
        self.tell_zone(said, now);
        if rejoined {
            self.zone.cluster_reclaim(&mut self.io);
        }
        self.queue_locks_turn(now);
    }

    /// The queues' locks: a change of what this node runs goes to the
    /// zone; at each registry reading the queues offered (which a reload
    /// may change) go to the lock thread.
    fn queue_locks_turn(&mut self, now: Instant) {
        let Some(cluster) = self.io.cluster.as_mut() else {
            return;
        };
        let read = std::mem::take(&mut cluster.read);
        let Some(locks) = cluster.locks.as_mut() else {
            return;
        };
        if read {
            locks.set_queues(self.zone.queue_names());
        }
        if let Some(held) = locks.changed() {
            self.zone.cluster_queues_held(held, now, &mut self.io);
        }
    }

    /// Twice per loop turn: the tables that changed and the links' queued
    /// output, before the clients' queues are written and again after
    /// (see `Server::run`).
    pub(super) fn cluster_flush(&mut self) {
        if self.io.cluster.is_some() {
            // Tables that changed this turn go out as whole states.
            self.zone.cluster_sync_tables(&mut self.io);
        }
        if let Some(cluster) = self.io.cluster.as_mut() {
            cluster.flush();
        }
    }
}

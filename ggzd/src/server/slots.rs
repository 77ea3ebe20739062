//! The connection table: slots with generations (a `ConnId` of a closed
//! connection never reaches a new one), dirty marks and channel hand-offs.

use std::net::SocketAddr;
use std::os::fd::OwnedFd;

use mio::{Interest, Token};

use super::conn::{Conn, Flush};
use super::{CONN_BASE, Io};
use crate::zone::{ConnId, TableSerial};

impl Io {
    pub(super) fn conn_id(&self, slot: u32) -> Option<ConnId> {
        self.conns
            .get(slot as usize)
            .and_then(Option::as_ref)
            .map(|c| c.id)
    }

    pub(super) fn conn(&self, id: ConnId) -> Option<&Conn> {
        self.conns
            .get(id.slot as usize)
            .and_then(Option::as_ref)
            .filter(|c| c.id == id)
    }

    pub(super) fn conn_mut(&mut self, slot: u32) -> Option<&mut Conn> {
        self.conns.get_mut(slot as usize).and_then(Option::as_mut)
    }

    pub(super) fn conn_mut_by_id(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conn_mut(id.slot).filter(|c| c.id == id)
    }

    pub(super) fn all_ids(&self) -> Vec<ConnId> {
        self.conns.iter().flatten().map(|c| c.id).collect()
    }

    pub(super) fn live_connections(&self) -> usize {
        self.conns.iter().flatten().count()
    }

    pub(super) fn insert(
        &mut self,
        mut stream: mio::net::TcpStream,
        addr: SocketAddr,
    ) -> Option<ConnId> {
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.conns.push(None);
                self.generations.push(0);
                (self.conns.len() - 1) as u32
            }
        };
        let generation = self.generations.get(slot as usize).copied().unwrap_or(0);
        let id = ConnId { slot, generation };
        let token = Token(CONN_BASE + slot as usize);
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        ) {
            log::error!("cannot watch connection from {addr}: {e}");
            self.free_slots.push(slot);
            return None;
        }
        if let Some(entry) = self.conns.get_mut(slot as usize) {
            *entry = Some(Conn::new(id, stream));
        }
        Some(id)
    }

    /// Closes the socket and frees the slot. Returns false if it was gone.
    pub(super) fn remove(&mut self, id: ConnId) -> bool {
        self.detach(id).is_some()
    }

    /// Takes a connection out of the slab, unwatched, its queued bytes no
    /// longer counted, its slot free for a new generation.
    pub(super) fn detach(&mut self, id: ConnId) -> Option<Conn> {
        let entry = self.conns.get_mut(id.slot as usize)?;
        if entry.as_ref().is_none_or(|c| c.id != id) {
            return None;
        }
        let mut conn = entry.take()?;
        let _ = self.poll.registry().deregister(&mut conn.stream);
        self.queued_bytes = self.queued_bytes.saturating_sub(conn.out_bytes);
        if let Some(generation) = self.generations.get_mut(id.slot as usize) {
            *generation = generation.wrapping_add(1);
        }
        self.free_slots.push(id.slot);
        Some(conn)
    }

    pub(super) fn mark_dirty(&mut self, id: ConnId) {
        if let Some(conn) = self.conn_mut_by_id(id)
            && !conn.dirty
        {
            conn.dirty = true;
            self.dirty.push(id);
        }
    }

    /// Takes a prepared game channel out of the event loop: its socket is
    /// about to travel to a game server.
    pub(super) fn take_channel(&mut self, id: ConnId, table: TableSerial) -> Option<OwnedFd> {
        if self.conn(id).is_some_and(Conn::is_web) {
            return self.take_web_channel(id, table);
        }
        let mut conn = self.detach(id)?;
        if !matches!(conn.flush(), Flush::Drained) {
            log::warn!("a game channel still had unsent bytes at its hand-off");
        }
        Some(OwnedFd::from(conn.stream))
    }

    /// A prepared game channel waits, unwatched, for its hand-off.
    pub(super) fn park_channel(&mut self, id: ConnId) {
        let registry = self.poll.registry();
        if let Some(conn) = self
            .conns
            .get_mut(id.slot as usize)
            .and_then(Option::as_mut)
            .filter(|c| c.id == id)
        {
            let _ = registry.deregister(&mut conn.stream);
        }
    }
}

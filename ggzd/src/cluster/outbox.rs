//! Chat held for a peer whose link is down (docs/cluster.md §3, "When a
//! link is rebuilt"): the peer is still alive in the registry, so its link
//! is being redialed, and the lines its players should hear meanwhile wait
//! here, bounded by count and bytes, to follow the snapshot of the new
//! link. Presence needs no such care: the snapshot restates it.

use std::collections::VecDeque;

use super::codec::LinkMsg;

/// Most frames held for one peer.
pub const MAX_FRAMES: usize = 4096;
/// Most bytes (frames with their length prefix) held for one peer.
pub const MAX_BYTES: usize = 4 << 20;

/// Whether a message is worth holding for a link being rebuilt: chat, and
/// matchmaking's tickets and matches (a lost one would leave a player
/// queued forever or never told its table).
pub fn holds(msg: &LinkMsg) -> bool {
    matches!(
        msg,
        LinkMsg::RoomChat { .. }
            | LinkMsg::Announce { .. }
            | LinkMsg::Private { .. }
            | LinkMsg::TableChat { .. }
            | LinkMsg::Ticket { .. }
            | LinkMsg::TicketCancel { .. }
            | LinkMsg::Matched { .. }
    )
}

/// The encoded chat frames waiting for one peer, oldest first.
#[derive(Debug, Default)]
pub struct Outbox {
    frames: VecDeque<Vec<u8>>,
    bytes: usize,
    /// Frames dropped since the outbox was last emptied.
    dropped: usize,
}

impl Outbox {
    /// Holds `frame`; the oldest frames go when a bound would be passed.
    /// True the first time this outbox drops anything (log it once).
    pub fn push(&mut self, frame: Vec<u8>) -> bool {
        if frame.len() > MAX_BYTES {
            self.dropped += 1;
            return self.dropped == 1;
        }
        let before = self.dropped;
        while self.frames.len() >= MAX_FRAMES || self.bytes + frame.len() > MAX_BYTES {
            let Some(old) = self.frames.pop_front() else {
                break;
            };
            self.bytes -= old.len();
            self.dropped += 1;
        }
        self.bytes += frame.len();
        self.frames.push_back(frame);
        before == 0 && self.dropped > 0
    }

    /// Everything held, oldest first, and how many frames were dropped.
    pub fn take(&mut self) -> (Vec<Vec<u8>>, usize) {
        self.bytes = 0;
        let dropped = std::mem::take(&mut self.dropped);
        (self.frames.drain(..).collect(), dropped)
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_back_in_order_and_the_box_is_empty_after() {
        let mut o = Outbox::default();
        assert!(!o.push(vec![1; 10]));
        assert!(!o.push(vec![2; 20]));
        assert_eq!((o.len(), o.bytes()), (2, 30));
        let (frames, dropped) = o.take();
        assert_eq!(frames, vec![vec![1; 10], vec![2; 20]]);
        assert_eq!(dropped, 0);
        assert!(o.is_empty());
        assert_eq!(o.bytes(), 0);
    }

    #[test]
    fn the_count_bound_drops_the_oldest_and_says_so_once() {
        let mut o = Outbox::default();
        for n in 0..MAX_FRAMES {
            assert!(!o.push(vec![(n % 251) as u8]));
        }
        assert!(o.push(vec![7]), "the first drop is reported");
        assert!(!o.push(vec![8]), "later drops are not");
        assert_eq!(o.len(), MAX_FRAMES);
        let (frames, dropped) = o.take();
        assert_eq!(dropped, 2);
        assert_eq!(frames[0], vec![2u8], "the two oldest went");
        assert_eq!(frames.last(), Some(&vec![8]));
        // Emptied: a new outage reports its first drop again.
        for _ in 0..MAX_FRAMES {
            o.push(vec![0]);
        }
        assert!(o.push(vec![0]));
    }

    #[test]
    fn the_byte_bound_drops_the_oldest() {
        let mut o = Outbox::default();
        let big = MAX_BYTES / 4;
        for n in 0..4u8 {
            assert!(!o.push(vec![n; big]));
        }
        assert!(o.push(vec![9; 1]));
        assert_eq!(o.len(), 4);
        assert!(o.bytes() <= MAX_BYTES);
        let (frames, dropped) = o.take();
        assert_eq!(dropped, 1);
        assert_eq!(frames[0][0], 1);
        // A frame larger than the whole box is dropped, not held.
        assert!(o.push(vec![0; MAX_BYTES + 1]));
        assert!(o.is_empty());
    }

    #[test]
    fn only_chat_is_held() {
        let chat = LinkMsg::Private {
            from: "a".into(),
            to: "b".into(),
            text: None,
        };
        assert!(holds(&chat));
        assert!(!holds(&LinkMsg::SnapshotEnd));
        assert!(!holds(&LinkMsg::Gone { name: "x".into() }));
    }
}

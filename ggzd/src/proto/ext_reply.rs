//! Server messages of the protocol-10 extensions (docs/extensions.md).
//!
//! Kept apart from [`super::reply`], which writes only what the original
//! server sends: everything here goes only to a client that asked for it.

use super::reply::{attr, attr_num, end_empty, open};

/// `<EXTENSIONS NAMES='…'/>`: the extensions switched on for this session
/// (docs/extensions.md §1).
pub fn extensions(names: &[&str]) -> String {
    let mut out = String::new();
    open(&mut out, "EXTENSIONS");
    attr(&mut out, "NAMES", &names.join(" "));
    end_empty(&mut out);
    out
}

/// `<CHANNELTOKEN TOKEN='…'/>`: the single-use token for the next game
/// channel (docs/extensions.md §2).
pub fn channel_token(token: &str) -> String {
    let mut out = String::new();
    open(&mut out, "CHANNELTOKEN");
    attr(&mut out, "TOKEN", token);
    end_empty(&mut out);
    out
}

/// `<REJOIN ROOM='r' TABLE='t' SEAT='s'/>`: a seat is held for this
/// player at that table (docs/extensions.md §3).
pub fn rejoin(room: u32, table: u32, seat: u32) -> String {
    let mut out = String::new();
    open(&mut out, "REJOIN");
    attr_num(&mut out, "ROOM", room);
    attr_num(&mut out, "TABLE", table);
    attr_num(&mut out, "SEAT", seat);
    end_empty(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_lists_names_space_separated() {
        assert_eq!(
            extensions(&["rejoin", "channel-token"]),
            "<EXTENSIONS NAMES='rejoin channel-token'/>\n"
        );
        assert_eq!(extensions(&[]), "<EXTENSIONS NAMES=''/>\n");
    }

    #[test]
    fn channel_token_element() {
        assert_eq!(channel_token("00ff"), "<CHANNELTOKEN TOKEN='00ff'/>\n");
    }

    #[test]
    fn rejoin_names_room_table_and_seat() {
        assert_eq!(rejoin(1, 3, 0), "<REJOIN ROOM='1' TABLE='3' SEAT='0'/>\n");
    }
}

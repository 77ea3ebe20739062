//! Server messages, built as the exact bytes clients expect.
//!
//! Format rules (docs/client-server.md §1): single-quoted attributes, upper-case names,
//! attributes in the order docs/client-server.md shows, and a `\n` after every element
//! or start/end tag of a multi-line element. Every name, text and value the
//! server writes is escaped, including the places where the original did
//! not (docs/client-server.md §1.1).
//!
//! The functions return `String`s so that one message can be serialised
//! once and queued to many recipients.

mod lists;
mod pushes;
mod session;
mod updates;
mod views;
mod write;

pub use lists::{list_games, list_players, list_rooms, list_tables};
pub use pushes::{chat, info, join, leave, ping, pong, rankings};
pub use session::{
    greeting, greeting_full, greeting_full_with_version, greeting_with_version, motd, motd_body,
    result, result_login_first_fail, result_login_first_ok, session_end,
};
pub use updates::{
    update_player_add, update_player_delete, update_player_lag, update_player_perms,
    update_player_stats, update_room_add, update_room_close, update_room_delete,
    update_room_players, update_table_add, update_table_delete, update_table_desc,
    update_table_join_seat, update_table_join_spectator, update_table_leave_seat,
    update_table_leave_spectator, update_table_resize, update_table_seat, update_table_status,
};
pub use views::{
    GameView, PlayerInfoView, PlayerView, RankingView, RoomView, SeatView, StatsView, TableView,
};
// The extensions' writers (`ext_reply.rs`, `ext_replays.rs`,
// `restore.rs`) build their elements the same way.
pub(super) use lists::{list_close, list_open};
pub(super) use session::result_open;
pub(super) use write::{attr, attr_num, close_line, end_empty, end_start_line, open};

#[cfg(test)]
mod tests;

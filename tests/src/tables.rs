//! Table steps shared by the end-to-end tests: launching a TicTacToe table
//! and taking a seat at it, answered `ok` (docs/client-server.md).

use crate::{Client, TIMEOUT, request, result_code};

/// `client` launches a two-seat TicTacToe table (game 0) described `desc`
/// with both seats open, and is seated at it; returns the table's id.
pub fn launch_open_table(client: &mut Client, desc: &str) -> String {
    client
        .send(&format!(
            "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>{desc}</DESC>\n\
             <SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='open'/>\n</TABLE>\n</LAUNCH>\n"
        ))
        .expect("send LAUNCH");
    assert_eq!(result_code(client, "launch"), "ok");
    client
        .recv_until(TIMEOUT, |e| e.is("JOIN"))
        .expect("JOIN after launching")
        .attr("TABLE")
        .expect("the launched table's id")
        .to_string()
}

/// `client` asks for a player's seat at `table` and is answered `ok`.
pub fn join_as_player(client: &mut Client, table: &str) {
    assert_eq!(
        request(
            client,
            &format!("<JOIN TABLE='{table}' SPECTATOR='false'/>"),
            "join"
        ),
        "ok"
    );
}

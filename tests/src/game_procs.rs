//! The game servers a test's ggzd started, found in `/proc`, and killed
//! the way a crash would end them.

use crate::TestServer;

/// Direct children of the process `ggzd` that are TicTacToe game servers:
/// only that server's own, whatever else runs on the machine.
pub fn game_server_pids(ggzd: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let ppid = stat
                .rsplit(") ")
                .next()
                .and_then(|rest| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<i32>().ok());
            ppid == Some(ggzd) && stat.contains("(ggzd-tictactoe)")
        })
        .collect()
}

/// SIGKILLs the one TicTacToe game server of `server` (there must be
/// exactly one: one table).
pub fn kill_the_game_server(server: &TestServer) {
    let pids = game_server_pids(server.pid());
    assert_eq!(pids.len(), 1, "one game server for one table");
    // SAFETY: killing a child of the test's own ggzd.
    unsafe {
        libc::kill(pids[0], libc::SIGKILL);
    }
}

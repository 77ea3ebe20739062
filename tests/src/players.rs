//! Players as the tests need them beyond a guest: a registered one in a
//! room.

use crate::{Client, LoginKind, TIMEOUT, TestServer, enter};

impl TestServer {
    /// A new registered player `name` (password `pw`), its MOTD consumed,
    /// in `room`.
    pub fn registered_in_room(&self, name: &str, room: i32) -> Client {
        let mut client = self.connect();
        let reply = client
            .login(LoginKind::First, name, Some("pw"), None)
            .expect("login reply");
        assert_eq!(reply.code, "ok", "registration of {name}");
        client
            .recv_until(TIMEOUT, |e| e.is("MOTD"))
            .expect("MOTD after login");
        enter(&mut client, room);
        client
    }
}

//! The ggzdmod wire: how the GGZ server and a game server talk over the
//! control socket (fd 3), and an API for game authors.

//! TicTacToe game server (issue 3 fills this in).
fn main() {
    eprintln!("ggzd.tictactoe: not implemented yet");
    std::process::exit(1);
}

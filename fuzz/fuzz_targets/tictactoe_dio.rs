//! The TicTacToe game channel: DIO framing (`dio.rs`) and the message
//! catalogue (`protocol.rs`), as the game server reads clients and as our
//! terminal client reads the server.
//!
//! Input: one flags byte (bit 0: server → client direction; bits 1–3:
//! number of cut points), two bytes per cut point, then the stream.
//!
//! Checked besides "no panic": chunked delivery yields the same packets
//! and error as one push; the decoder never holds a complete packet nor
//! more than one incomplete packet below its limit; every parsed message
//! encodes to a packet that parses back to it (names as the wire carries
//! them: cut at a NUL, at most 16 bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tictactoe::dio::{DioError, MAX_PACKET_LEN, PacketDecoder};
use tictactoe::protocol::{ClientMsg, MAX_CLIENT_PACKET, PlayerEntry, ServerMsg, wire_name};

fn split(limit: usize, input: &[u8], cuts: &[usize]) -> (Vec<Vec<u8>>, Option<DioError>) {
    let mut dec = PacketDecoder::new(limit);
    let mut packets = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        dec.push(&input[start..cut]);
        start = cut;
        loop {
            match dec.next_packet() {
                Ok(Some(p)) => {
                    assert!(p.len() + 2 <= limit.min(MAX_PACKET_LEN));
                    packets.push(p);
                }
                Ok(None) => {
                    assert!(
                        dec.buffered() < limit.max(2),
                        "{} bytes held",
                        dec.buffered()
                    );
                    break;
                }
                Err(e) => return (packets, Some(e)),
            }
        }
    }
    (packets, None)
}

fn on_wire(name: &str) -> String {
    let cut = wire_name(name);
    cut.split('\0').next().unwrap_or_default().to_owned()
}

fn check_server(payload: &[u8]) {
    let Ok(msg) = ServerMsg::parse(payload) else {
        return;
    };
    let packet = msg.encode();
    let again = ServerMsg::parse(&packet[2..]).expect("an encoded message parses");
    let want = match msg {
        ServerMsg::Players(entries) => ServerMsg::Players(entries.map(|e| PlayerEntry {
            name: on_wire(&e.name),
            kind: e.kind,
        })),
        other => other,
    };
    assert_eq!(again, want);
}

fn check_client(payload: &[u8]) {
    let Ok(msg) = ClientMsg::parse(payload) else {
        return;
    };
    let packet = msg.encode();
    assert!(packet.len() <= MAX_CLIENT_PACKET);
    assert_eq!(ClientMsg::parse(&packet[2..]), Ok(msg));
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let server_side = flags & 1 == 1;
    let ncuts = usize::from((flags >> 1) & 7);
    let Some((cut_bytes, input)) = rest.split_at_checked(ncuts * 2) else {
        return;
    };
    let mut cuts: Vec<usize> = cut_bytes
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (input.len() + 1))
        .collect();
    cuts.sort_unstable();

    let limit = if server_side {
        MAX_PACKET_LEN
    } else {
        MAX_CLIENT_PACKET
    };
    let whole = split(limit, input, &[]);
    assert_eq!(split(limit, input, &cuts), whole, "cuts {cuts:?}");
    for p in &whole.0 {
        if server_side {
            check_server(p);
        } else {
            check_client(p);
        }
    }
});

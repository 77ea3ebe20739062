#!/usr/bin/env python3
"""Writes the fuzz seed corpora from the protocol transcripts.

Run from this directory: python3 make.py. Each target's input starts with
a flags byte (see the target's doc comment); seeds use 0 (whole input,
production limits) and a few with cut points or the tiny limits.
"""
import os
import struct

HEAD = "<?xml version='1.0' encoding='UTF-8'?>\n<SESSION>\n"

XML = {
    "login_guest": HEAD + "<LANGUAGE>en_GB.UTF-8</LANGUAGE>\n"
    "<LOGIN TYPE='guest'>\n<NAME>kim</NAME>\n</LOGIN>\n"
    "<LIST TYPE='game' FULL='false'/>\n<LIST TYPE='room' FULL='true'/>\n"
    "<ENTER ROOM='1'/>\n<LIST TYPE='player'/>\n<LIST TYPE='table'/>\n<PONG/>\n",
    "login_normal": HEAD + "<LOGIN TYPE='normal'>\n<NAME>bob</NAME>\n"
    "<PASSWORD>nope</PASSWORD>\n</LOGIN>\n",
    "login_first": HEAD + "<LOGIN TYPE='first'>\n<NAME>bob</NAME>\n"
    "<PASSWORD>x1y2z3</PASSWORD>\n<EMAIL>b@example.org</EMAIL>\n</LOGIN>\n",
    "chat": HEAD + "<CHAT TYPE='normal'>hi all &amp; good luck</CHAT>\n"
    "<CHAT TYPE='private' TO='bob'>fancy a game?</CHAT>\n"
    "<CHAT TYPE='beep' TO='nobody'/>\n<CHAT TYPE='announce'>maintenance</CHAT>\n"
    "<CHAT TYPE='table'>gg</CHAT>\n",
    "channel": HEAD + "<CHANNEL ID='bob' />\n</SESSION>\nGAMEBYTES",
    "launch": HEAD + "<LAUNCH>\n<TABLE GAME='0' SEATS='2'>\n<DESC>quick one</DESC>\n"
    "<SEAT NUM='0' TYPE='open'/>\n<SEAT NUM='1' TYPE='reserved'>kim</SEAT>\n"
    "</TABLE>\n</LAUNCH>\n<JOIN TABLE='1' SPECTATOR='false'/>\n",
    "tables": HEAD + "<JOIN TABLE='3' SPECTATOR='true' SEAT='1'/>\n"
    "<RESEAT ACTION='sit' SEAT='0'/>\n<RESEAT ACTION='stand'/>\n"
    "<LEAVE FORCE='false' SPECTATOR='false'/>\n"
    "<UPDATE TYPE='table' ACTION='desc' ROOM='1'><TABLE ID='3'><DESC>x</DESC></TABLE></UPDATE>\n"
    "<UPDATE TYPE='table' ACTION='seat' ROOM='1'><TABLE ID='3'>"
    "<SEAT NUM='1' TYPE='bot'>Rex</SEAT></TABLE></UPDATE>\n"
    "<INFO SEAT='1'/>\n<RANKINGS/>\n<MOTD/>\n",
    "admin": HEAD + "<ADMIN ACTION='gag' PLAYER='eve'/>\n"
    "<ADMIN ACTION='kick' PLAYER='eve'><REASON>spam</REASON></ADMIN>\n"
    "<ADMINPERM PLAYER='eve' PERM='chat_announce' VALUE='true'/>\n",
    "ping": HEAD + "<PING ID='1'/>\n<PONG ID='abc'/>\n</SESSION>\n",
    "tls_start": HEAD + "<TLS_START/>\x16\x03\x01\x00\x05hello",
    "java_style": '<?xml version="1.0" encoding="UTF-8"?>\r\n<session>\r\n  '
    '<login type="normal">\r\n    <name>al&apos;ice</name>\r\n    '
    "<password><![CDATA[p<w]]]]><![CDATA[>d]]></password>\r\n  </login>\r\n  "
    "<!-- a comment -->\r\n  <chat to=\"a>b\" type='private'>&#x263A;&#65;</chat>\r\n"
    "</session>",
    "bad_doctype": "<?xml version='1.0'?><!DOCTYPE SESSION [<!ENTITY a 'b'>]><SESSION>",
    "bad_mismatch": HEAD + "<CHAT TYPE='normal'>oops</CHAT TYPE>\n",
    "deep": HEAD + "<A><B><C><D><E><F>x</F></E></D></C></B></A>\n",
}


def write(target, name, data):
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, name), "wb") as f:
        f.write(data)


for name, text in XML.items():
    body = text.encode()
    write("xml_decoder", name, b"\x00" + body)
# Two cut points (flags 2 << 1) inside the first tokens, and tiny limits.
write("xml_decoder", "login_guest_cut", b"\x04" + struct.pack("<HH", 5, 60)
      + XML["login_guest"].encode())
write("xml_decoder", "chat_tiny", b"\x01" + XML["chat"].encode())


def i32(v):
    return struct.pack(">i", v)


def s(text):
    b = text.encode() + b"\x00"
    return i32(len(b)) + b


# docs/ggzdmod.md §9 examples; flags bit 0 = game -> ggzd, bit 1 = legacy layout.
launch_trunk = i32(0) + s("fourinline") + s("") + i32(2) + i32(0) + i32(1) + i32(2) + s("")
launch_legacy = i32(0) + s("tictactoe") + i32(2) + i32(0) + i32(3) + s("kim") + i32(1)
seat_bob = i32(1) + i32(0) + i32(3) + s("bob")
write("ggzdmod_wire", "launch_trunk", b"\x00" + launch_trunk + i32(4))
write("ggzdmod_wire", "launch_legacy", b"\x02" + launch_legacy)
write("ggzdmod_wire", "seat_spectator_reseat", b"\x00" + seat_bob + i32(2) + i32(0) + s("carol")
      + i32(3) + i32(0) + i32(1) + i32(1) + i32(0) + i32(4))
report = i32(6) + i32(2) + s("bob") + i32(3) + i32(0) + i32(0) + i32(0) \
    + s("AI") + i32(2) + i32(1) + i32(1) + i32(0)
write("ggzdmod_wire", "game_to_ggzd", b"\x01" + s("")[:0] + i32(0) + s("hello log")
      + i32(1) + b"\x01" + i32(2) + i32(3) + i32(3) + s("bob") + i32(4) + i32(1)
      + i32(5) + i32(1) + report + i32(7) + s("save-1.dat") + i32(1) + b"\x02")


def dio(payload):
    return struct.pack(">H", len(payload) + 2) + payload


# docs/tictactoe.md §2.3: client SND_MOVE / REQ_SYNC; server messages.
write("tictactoe_dio", "client", b"\x00" + dio(i32(0) + i32(4)) + dio(i32(1))
      + dio(i32(0) + i32(9)))
write("tictactoe_dio", "client_cut", b"\x04" + struct.pack("<HH", 1, 7)
      + dio(i32(0) + i32(4)) + dio(i32(1)))
write("tictactoe_dio", "server", b"\x01" + dio(i32(0) + i32(0))
      + dio(i32(1) + i32(3) + s("bob") + i32(2) + s("AI"))
      + dio(i32(4)) + dio(i32(5) + b"\x00") + dio(i32(2) + i32(0) + i32(4))
      + dio(i32(6) + b"\x01" + bytes([0, 255, 255, 255, 1, 255, 255, 255, 255]))
      + dio(i32(3) + b"\x02"))

DSC = """[GameInfo]
Name = Four In Line
Name[de] = Vier gewinnt
Version = 1.2
Description = Connect four stones in a row.
Author = J. Doe
Homepage = http://games.example.org/fil/

[LaunchInfo]
ExecutablePath = ggzd.fourinline --verbose

[Protocol]
Engine = FourInLine
Version = 3

[TableOptions]
PlayersAllowed = 2
BotsAllowed = 1
AllowSpectators = 1
AllowLeave = 1

[Statistics]
Records = 1
Ratings = 1

[NamedBots]
Rex = easy
"""
ROOM = """[RoomInfo]
Name = Four In Line
Name[de] = Vier gewinnt
Description = Casual Four In Line games
GameType = Four In Line
MaxPlayers = 150
MaxTables = 40
ExecutableArgs = --fast My\\ Arg
"""
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..")


def read(path):
    with open(os.path.join(root, path), "rb") as f:
        return f.read()


write("config_loaders", "keyfile", b"\x00" + DSC.encode())
write("config_loaders", "dsc", b"\x01" + DSC.encode())
write("config_loaders", "game_toml", b"\x02" + read("games/tictactoe.toml"))
write("config_loaders", "room_keyfile", b"\x03" + ROOM.encode())
write("config_loaders", "room_toml", b"\x04" + read("rooms/tictactoe.toml"))
write("config_loaders", "ggzd_toml", b"\x05" + read("conf/ggzd.toml"))
write("config_loaders", "numlist", b"\x06" + b"3 5..8")
write("config_loaders", "username", b"\x07" + "Zo\u00eb_1".encode())
write("config_loaders", "motd", b"\x08" + read("conf/ggzd.motd"))

# tls_start: flags, u16 insertion point, stream. The plain part before the
# insertion point is a session header (and a LANGUAGE); a ClientHello's
# first bytes follow.
hello = b"\x16\x03\x01\x00\xc4\x01\x00\x00\xc0\x03\x03" + bytes(range(32))
plain = HEAD.encode()
write("tls_start", "header_then_hello", b"\x00" + struct.pack("<H", len(plain)) + plain + hello)
lang = (HEAD + "<LANGUAGE>de</LANGUAGE>\n").encode()
write("tls_start", "language_first", b"\x02" + struct.pack("<HH", len(lang), 20) + lang + hello)
own = (HEAD + "<tls_start></TLS_START>").encode()
write("tls_start", "own_spelling", b"\x00" + struct.pack("<H", len(own) + 5) + own + hello)

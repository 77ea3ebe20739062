//! The file loaders: the key-file syntax of `.dsc`/`.room` files, game
//! and room descriptions in both formats, the TOML configuration, the
//! number lists and list values inside them, username policy and the MOTD
//! template.
//!
//! The first byte picks the loader; the rest is the file. Loaders that take
//! a path get the bytes written to a file in a private temporary directory
//! (a loader is never handed anything but what it would read from disk).
//! A loader must answer every input with a value or an error naming the
//! file, never a panic.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use ggzd::config::keyfile::{KeyFile, atoi, split_list};
use ggzd::config::{UsernamePolicy, canonical_name, check_username};
use ggzd::games::LaunchLayout;
use ggzd::motd::{Motd, MotdContext};
use ggzd::numlist::NumberList;
use libfuzzer_sys::fuzz_target;

fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("ggzd-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    })
}

fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir().join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(body);
    match which % 9 {
        0 => {
            let kf = KeyFile::parse(&text);
            for w in kf.warnings() {
                let _ = w.to_string();
            }
            for section in [
                "GameInfo",
                "LaunchInfo",
                "Protocol",
                "TableOptions",
                "RoomInfo",
            ] {
                if let Some(s) = kf.section(section) {
                    for (key, _) in s.entries() {
                        let _ = kf.translated(section, key);
                    }
                }
            }
        }
        1 => {
            for layout in [LaunchLayout::Trunk, LaunchLayout::Legacy] {
                let _ = ggzd::games::load_game_file(&file("fuzzgame.dsc", body), dir(), layout);
            }
        }
        2 => {
            for layout in [LaunchLayout::Trunk, LaunchLayout::Legacy] {
                let _ = ggzd::games::load_game_file(&file("fuzzgame.toml", body), dir(), layout);
            }
        }
        3 => {
            let _ = ggzd::rooms::load_room_file(&file("fuzzroom.room", body));
        }
        4 => {
            let _ = ggzd::rooms::load_room_file(&file("fuzzroom.toml", body));
        }
        5 => {
            if let Err(e) = ggzd::config::load(Some(&file("ggzd.toml", body))) {
                let _ = e.to_string();
            }
        }
        6 => {
            if let Ok(list) = NumberList::parse(&text) {
                let _ = list.max();
                for n in 0..=64 {
                    let _ = list.contains(n);
                }
            }
            let _ = split_list(&text);
            let _ = atoi(&text);
        }
        7 => {
            for unicode in [false, true] {
                let policy = UsernamePolicy {
                    unicode,
                    ..UsernamePolicy::default()
                };
                let _ = check_username(&policy, &text);
            }
            let _ = canonical_name(&text);
        }
        _ => {
            let ctx = MotdContext {
                admin_name: "admin",
                admin_email: "admin@example.org",
                hostname: "localhost",
                port: 5688,
                os: "Linux",
                cpu: "x86_64",
                version: "0.1.0",
                uptime: Duration::from_secs(u64::from(body.first().copied().unwrap_or(0)) << 24),
                connections: usize::MAX,
                tables: 0,
            };
            let _ = Motd::from_text(text.as_ref()).render(Some("de"), &ctx);
        }
    }
});

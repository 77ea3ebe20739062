use super::*;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// A fresh temporary directory for one test.
pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ggzd-config-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The checkout these tests run from: the test binary lives below its
/// `target/`, so the embedded defaults point here.
fn repo_dir() -> PathBuf {
    normalize(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")))
}

fn load_text(tag: &str, text: &str) -> (PathBuf, Result<Config, ConfigError>) {
    let dir = temp_dir(tag);
    let path = dir.join("ggzd.toml");
    std::fs::write(&path, text).unwrap();
    let result = load(Some(&path));
    (dir, result)
}

#[test]
fn embedded_defaults() {
    let config = load(None).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.source_file(), None);
    assert_eq!(config.server.name, "An Unconfigured GGZ Server");
    assert_eq!(config.network.interface, IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_eq!(config.network.port, 5688);
    assert_eq!(config.policy.registration, RegistrationPolicy::Open);
    assert_eq!(config.timing.lag_classes, [500, 1000, 2000, 5000]);
    let repo = repo_dir();
    assert!(repo.join("ggzd").join("Cargo.toml").is_file(), "{repo:?}");
    assert_eq!(config.directories.rooms_dir, repo.join("rooms"));
    assert_eq!(config.directories.conf_dir, repo.join("conf"));
    assert!(config.directories.game_dir.is_absolute());
    config.validate().unwrap();
}

#[test]
fn shipped_config_loads_and_matches_defaults() {
    let path = repo_dir().join("conf").join("ggzd.toml");
    let config = load(Some(&path)).unwrap();
    let defaults = Config::default();
    // The shipped file documents the defaults; apart from where it came
    // from, it must describe the same configuration.
    assert_eq!(config.server, defaults.server);
    assert_eq!(config.network, defaults.network);
    assert_eq!(config.directories, defaults.directories);
    assert_eq!(config.files, defaults.files);
    assert_eq!(config.games, defaults.games);
    assert_eq!(config.policy, defaults.policy);
    assert_eq!(config.timing, defaults.timing);
    assert_eq!(config.limits, defaults.limits);
    assert_eq!(config.logging, defaults.logging);
    assert_eq!(config.workers, defaults.workers);
    assert_eq!(config.auth, defaults.auth);
    assert_eq!(config.source_file(), Some(path.as_path()));
    assert!(config.line_of("network.port").is_some());
}

#[test]
fn reads_every_section() {
    let (dir, result) = load_text(
        "every",
        r#"
[server]
name = "Test Zone"
admin_name = "Ann"
admin_email = "ann@example.org"
[network]
interface = "0.0.0.0"
port = 0
max_clients = 0
max_clients_per_ip = 4
login_timeout = 5
output_queue_limit = 65536
[directories]
data_dir = "data"
conf_dir = "../etc"
game_dir = "/opt/games"
[files]
motd = "motd.txt"
motd_translations = { de = "motd.de", pt_BR = "motd.pt" }
web_motd = "https://example.org/"
[games]
game_list = ["tictactoe"]
ignored_rooms = ["old"]
[policy]
registration = "confirmlater"
[policy.username]
max_length = 12
unicode = true
reserved = ["admin", "<none>"]
[timing]
ping_frequency = 0
lag_classes = [100, 200, 300, 400]
[limits]
max_tables = 3
chat_rate = 0.0
chat_burst = 0
[logging]
destination = "file"
file = "log/ggzd.log"
types = ["All", "TABLES"]
facility = "daemon"
level = "debug"
[workers]
threads = 2
[auth]
argon2_memory_kib = 8
"#,
    );
    let config = result.unwrap();
    assert_eq!(config.server.admin_email, "ann@example.org");
    assert_eq!(
        config.network.interface,
        "0.0.0.0".parse::<IpAddr>().unwrap()
    );
    assert_eq!(config.network.port, 0);
    assert_eq!(config.network.login_timeout(), Duration::from_secs(5));
    assert_eq!(config.directories.data_dir, dir.join("data"));
    assert_eq!(
        config.directories.conf_dir,
        dir.parent().unwrap().join("etc")
    );
    assert_eq!(config.directories.game_dir, PathBuf::from("/opt/games"));
    // Unset directories keep the embedded defaults.
    assert_eq!(config.directories.rooms_dir, repo_dir().join("rooms"));
    assert_eq!(config.files.motd_translations.len(), 2);
    let web = config.files.web_motd_translated();
    assert_eq!(web.get(Some("de")), "https://example.org/");
    assert_eq!(config.games.game_list, ["tictactoe"]);
    assert_eq!(config.policy.registration, RegistrationPolicy::ConfirmLater);
    assert!(config.policy.username.unicode);
    assert_eq!(config.timing.ping_interval(), None);
    assert_eq!(
        config.timing.room_update_interval(),
        Some(Duration::from_secs(60))
    );
    assert_eq!(config.logging.file, Some(dir.join("log/ggzd.log")));
    assert_eq!(config.logging.types, [LogType::All, LogType::Tables]);
    assert!(config.logging.enabled(LogType::Security));
    assert_eq!(config.logging.facility, SyslogFacility::Daemon);
    assert_eq!(
        config.logging.level.to_level_filter(),
        log::LevelFilter::Debug
    );
    assert_eq!(config.workers.effective_threads(), 2);
    assert_eq!(config.auth.argon2_memory_kib, 8);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn conf_dir_defaults_to_the_files_directory() {
    let (dir, result) = load_text("confdir", "[server]\nname = \"x\"\n");
    let config = result.unwrap();
    assert_eq!(config.directories.conf_dir, dir);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn type_errors_name_file_line_and_key() {
    let (dir, result) = load_text(
        "type",
        "[server]\nname = \"x\"\n\n[network]\nport = \"x\"\n",
    );
    let err = result.unwrap_err();
    assert_eq!(err.line, Some(5));
    assert_eq!(err.key.as_deref(), Some("network.port"));
    let expected = format!(
        "{}:5: key 'network.port': invalid type: string \"x\", expected u16",
        dir.join("ggzd.toml").display()
    );
    assert_eq!(err.to_string(), expected);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unknown_keys_and_values_are_errors() {
    let cases = [
        ("[network]\nprot = 1\n", 2, "network.prot"),
        ("[netwrk]\nport = 1\n", 1, "netwrk"),
        (
            "[policy]\nregistration = \"maybe\"\n",
            2,
            "policy.registration",
        ),
        (
            "[logging]\ntypes = [\"notices\", \"gossip\"]\n",
            2,
            "logging.types",
        ),
        (
            "[timing]\nlag_classes = [1, 2, 3]\n",
            2,
            "timing.lag_classes",
        ),
        (
            "[network]\ninterface = \"localhost\"\n",
            2,
            "network.interface",
        ),
        ("[network]\nport = 70000\n", 2, "network.port"),
    ];
    for (i, (text, line, key)) in cases.into_iter().enumerate() {
        let (dir, result) = load_text(&format!("unknown{i}"), text);
        let err = result.unwrap_err();
        assert_eq!(err.line, Some(line), "{text}: {err}");
        assert_eq!(err.key.as_deref(), Some(key), "{text}: {err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn syntax_errors_have_a_line() {
    let (dir, result) = load_text("syntax", "[server]\nname = \"unterminated\n");
    let err = result.unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.to_string().contains("ggzd.toml:2: "), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn semantic_errors_name_line_and_key() {
    let cases = [
        (
            "[timing]\nlag_classes = [500, 400, 2000, 5000]\n",
            "timing.lag_classes",
        ),
        (
            "[timing]\nlag_classes = [0, 400, 2000, 5000]\n",
            "timing.lag_classes",
        ),
        (
            "[policy.username]\nmax_length = 17\n",
            "policy.username.max_length",
        ),
        (
            "[policy.username]\nmax_length = 0\n",
            "policy.username.max_length",
        ),
        ("[limits]\nchat_rate = -1.0\n", "limits.chat_rate"),
        ("[limits]\nchat_rate = nan\n", "limits.chat_rate"),
        ("[limits]\nchat_burst = 0\n", "limits.chat_burst"),
        ("[limits]\nchat_max_length = 0\n", "limits.chat_max_length"),
        ("[network]\nlogin_timeout = 0\n", "network.login_timeout"),
        (
            "[network]\noutput_queue_limit = 10\n",
            "network.output_queue_limit",
        ),
        (
            "[games]\ngame_list = [\"../etc/passwd\"]\n",
            "games.game_list",
        ),
        (
            "[files]\nmotd_translations = { \"d e\" = \"x\" }\n",
            "files.motd_translations",
        ),
        (
            "[auth]\nargon2_parallelism = 0\n",
            "auth.argon2_parallelism",
        ),
        ("[auth]\nargon2_memory_kib = 4\n", "auth.argon2_memory_kib"),
        ("[auth]\nargon2_iterations = 0\n", "auth.argon2_iterations"),
        ("[workers]\nthreads = 100000\n", "workers.threads"),
    ];
    for (i, (text, key)) in cases.into_iter().enumerate() {
        let (dir, result) = load_text(&format!("semantic{i}"), text);
        let err = result.unwrap_err();
        assert_eq!(err.key.as_deref(), Some(key), "{text}: {err}");
        assert_eq!(err.line, Some(2), "{text}: {err}");
        assert!(
            err.to_string().contains(&format!(":2: key '{key}': ")),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn log_file_required_for_file_destination() {
    let (dir, result) = load_text("logfile", "[logging]\ndestination = \"file\"\n");
    let err = result.unwrap_err();
    assert_eq!(err.key.as_deref(), Some("logging.file"));
    // The key is not in the file, so there is no line to point at.
    assert_eq!(err.line, None);
    assert!(
        err.to_string().ends_with(
            "ggzd.toml: key 'logging.file': must be set when logging.destination = \"file\""
        ),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn validate_without_file_has_no_location() {
    let mut config = Config::default();
    config.timing.lag_classes = [5, 4, 3, 2];
    let err = config.validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "key 'timing.lag_classes': thresholds must be positive and strictly ascending"
    );
}

#[test]
fn missing_and_unreadable_files() {
    let dir = temp_dir("missing");
    let err = load(Some(&dir.join("nope.toml"))).unwrap_err();
    assert!(err.is_not_found());
    assert!(err.to_string().contains("nope.toml: cannot read"), "{err}");

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, b"[server]\nname = \"\xff\"\n").unwrap();
    let err = load(Some(&bad)).unwrap_err();
    assert!(!err.is_not_found());
    assert_eq!(err.line, Some(2));

    let big = dir.join("big.toml");
    std::fs::write(&big, vec![b'#'; MAX_CONFIG_SIZE as usize + 1]).unwrap();
    assert!(load(Some(&big)).unwrap_err().message.contains("larger"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn log_type_names() {
    assert_eq!(LogType::parse(" Connections "), Some(LogType::Connections));
    assert_eq!(LogType::parse("ALL"), Some(LogType::All));
    assert_eq!(LogType::parse("debug"), None);
    for (name, kind) in LogType::NAMES {
        assert_eq!(kind.name(), name);
    }
    let logging = LoggingConfig::default();
    assert!(logging.enabled(LogType::Security));
    assert!(!logging.enabled(LogType::Update));
}

#[test]
fn normalize_is_lexical() {
    assert_eq!(
        normalize(Path::new("/a/b/../c/./d")),
        PathBuf::from("/a/c/d")
    );
    assert_eq!(normalize(Path::new("/..")), PathBuf::from("/"));
    assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
    assert_eq!(normalize(Path::new("a/..")), PathBuf::from("."));
}

#[test]
fn ascii_usernames() {
    let policy = UsernamePolicy::default();
    assert_eq!(check_username(&policy, "alice"), Ok(()));
    assert_eq!(check_username(&policy, "Bob_99!~"), Ok(()));
    assert_eq!(check_username(&policy, "sixteen-chars-ok"), Ok(()));
    assert_eq!(
        check_username(&policy, "seventeen-chars-x"),
        Err(UsernameError::TooLong)
    );
    assert_eq!(check_username(&policy, ""), Err(UsernameError::Bad));
    for bad in ["a b", "a%b", "a&b", r"a\b", "tab\t", "del\x7f", "ümlaut"] {
        assert_eq!(
            check_username(&policy, bad),
            Err(UsernameError::Bad),
            "{bad:?}"
        );
    }
    assert_eq!(check_username(&policy, "<none>"), Err(UsernameError::Bad));
    assert_eq!(check_username(&policy, "<NoNe>"), Err(UsernameError::Bad));
    // Length is checked before characters.
    assert_eq!(
        check_username(&policy, "far too long and bad%"),
        Err(UsernameError::TooLong)
    );
    assert_eq!(UsernameError::TooLong.code(), "too long");
    assert_eq!(UsernameError::Bad.to_string(), "bad username");
}

#[test]
fn unicode_usernames() {
    let policy = UsernamePolicy {
        unicode: true,
        max_length: 10,
        reserved: vec!["Größe".into()],
    };
    assert_eq!(check_username(&policy, "ümlaut"), Ok(()));
    assert_eq!(check_username(&policy, "Δx"), Ok(()));
    // Bytes, not characters: 4 x 3-byte characters = 12 bytes.
    assert_eq!(
        check_username(&policy, "日本語字"),
        Err(UsernameError::TooLong)
    );
    for bad in [
        "a b",
        "a\u{a0}b",
        "a\u{200b}b",
        "a\u{202e}b",
        "a%",
        "\u{7}x",
        "x\u{85}",
    ] {
        assert_eq!(
            check_username(&policy, bad),
            Err(UsernameError::Bad),
            "{bad:?}"
        );
    }
    assert_eq!(check_username(&policy, "GRÖSSE"), Ok(()));
    assert_eq!(check_username(&policy, "größe"), Err(UsernameError::Bad));
}

#[test]
fn canonical_names() {
    assert_eq!(canonical_name("Alice"), "alice");
    assert_eq!(canonical_name("ÄRGER"), "ärger");
    assert_eq!(canonical_name("ΣΟΦΙΑ"), "σοφια");
}

//! The account commands (`list`, `show`, `add`, `delete`, `passwd`,
//! `perms`, `set`, `stats`) on an open database.
//!
//! Every change is one short statement or transaction of the store, so the
//! editor can run beside a live ggzd. Names given on the command line are
//! canonicalised (lower-cased) the way ggzd does at login.

use std::io::Write;

use ggzd::auth::{self, HashParams};
use ggzd::config::{UsernamePolicy, canonical_name, check_username};
use ggzd::store::{CreateOutcome, MAX_INFO_BYTES, NewUser, Store, UserRecord};
use ggzd::zone::perms as zperms;

use super::cli::{AddArgs, PermsArgs, SetArgs, StatsArgs};
use super::error::UeditError;
use super::password::PasswordSource;
use super::perms::{PermChange, hex, parse_perm, parse_word, player_type, roles_word};
use super::report::{self, Format, GameStats};
use super::timefmt;

/// An open database plus what the commands need from the configuration.
pub struct Editor {
    /// The user database.
    pub store: Store,
    /// Costs for new password hashes.
    pub hash: HashParams,
    /// Which names `add` accepts.
    pub username: UsernamePolicy,
    /// Report style.
    pub format: Format,
    /// ggzd's data directory, where a running ggzd keeps its pid file.
    pub data_dir: std::path::PathBuf,
}

/// Refuses a real name or email the database would cut, or that holds
/// control characters (they cannot travel in the protocol's XML).
pub fn check_info(field: &str, value: &str) -> Result<(), UeditError> {
    if value.len() > MAX_INFO_BYTES {
        return Err(UeditError::BadInput(format!(
            "the {field} is {} bytes long; at most {MAX_INFO_BYTES} are kept",
            value.len()
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(UeditError::BadInput(format!(
            "the {field} contains control characters"
        )));
    }
    Ok(())
}

fn not_found(handle: &str) -> UeditError {
    UeditError::NotFound(format!("no user '{handle}'"))
}

fn hash_failed(e: auth::AuthError) -> UeditError {
    UeditError::Io("cannot hash the password".into(), std::io::Error::other(e))
}

impl Editor {
    fn existing_user(&self, name: &str) -> Result<UserRecord, UeditError> {
        let handle = canonical_name(name);
        self.store.user(&handle)?.ok_or_else(|| not_found(&handle))
    }

    /// `list [PATTERN]`.
    pub fn list(&self, pattern: Option<&str>, out: &mut dyn Write) -> Result<(), UeditError> {
        let pattern = pattern.map(canonical_name);
        let users = self.store.list_users(pattern.as_deref())?;
        report::user_list(out, &users, self.format)?;
        Ok(())
    }

    /// `show NAME`.
    pub fn show(&self, name: &str, out: &mut dyn Write) -> Result<(), UeditError> {
        let user = self.existing_user(name)?;
        report::user_details(out, &user, self.format)?;
        Ok(())
    }

    /// `add NAME ...`. The name is checked before the password is asked
    /// for, and existence too (the insert still refuses a race loser).
    pub fn add(
        &mut self,
        args: &AddArgs,
        passwords: &mut dyn PasswordSource,
        now: i64,
        out: &mut dyn Write,
    ) -> Result<(), UeditError> {
        check_username(&self.username, &args.name).map_err(|e| {
            UeditError::BadInput(format!("'{}' is refused as a username: {e}", args.name))
        })?;
        check_info("email", &args.email)?;
        check_info("real name", &args.real_name)?;
        let permissions = match &args.perms {
            Some(word) => parse_word(word).map_err(UeditError::BadInput)?,
            None if args.roles.is_empty() => zperms::REGISTERED,
            None => roles_word(&args.roles),
        };
        let handle = canonical_name(&args.name);
        if self.store.user_exists(&handle)? {
            return Err(UeditError::AlreadyExists(format!(
                "user '{handle}' exists already"
            )));
        }
        let password = if args.no_password {
            String::new()
        } else {
            let plain = passwords.new_password(&handle)?;
            auth::hash_password(&plain, &self.hash).map_err(hash_failed)?
        };
        let outcome = self.store.create_user(&NewUser {
            handle: &handle,
            password: &password,
            email: &args.email,
            real_name: &args.real_name,
            permissions,
            confirmed: !args.unconfirmed,
            now,
        })?;
        match outcome {
            CreateOutcome::Created(id) => {
                writeln!(
                    out,
                    "added {handle} (id {id}): {} {}",
                    hex(permissions),
                    player_type(permissions)
                )?;
                Ok(())
            }
            CreateOutcome::AlreadyExists => Err(UeditError::AlreadyExists(format!(
                "user '{handle}' exists already"
            ))),
        }
    }

    /// `delete NAME`.
    pub fn delete(&mut self, name: &str, out: &mut dyn Write) -> Result<(), UeditError> {
        let handle = canonical_name(name);
        if !self.store.delete_user(&handle)? {
            return Err(not_found(&handle));
        }
        writeln!(out, "deleted {handle}")?;
        Ok(())
    }

    /// `ban NAME`: kept in the database; ggzd checks it at every login, and
    /// a running ggzd is signalled to remove the player if online.
    pub fn ban(
        &mut self,
        args: &super::cli::BanArgs,
        out: &mut dyn Write,
    ) -> Result<(), UeditError> {
        let handle = canonical_name(&args.name);
        let now = ggzd::zone::unix_now();
        let expires = args.hours.map(|h| now + i64::from(h) * 3600);
        if let Some(address) = &args.address
            && address.parse::<std::net::IpAddr>().is_err()
        {
            return Err(UeditError::BadInput(format!(
                "{address:?} is not an IP address"
            )));
        }
        self.store
            .add_ban(&handle, args.address.as_deref(), expires, &args.reason, now)?;
        match signal_running_ggzd(&self.data_dir) {
            Some(pid) => writeln!(
                out,
                "banned {handle} (ggzd (pid {pid}) removes them if online now)"
            )?,
            None => writeln!(out, "banned {handle}")?,
        }
        Ok(())
    }

    /// `unban NAME`.
    pub fn unban(&mut self, name: &str, out: &mut dyn Write) -> Result<(), UeditError> {
        let handle = canonical_name(name);
        match self.store.remove_bans(&handle)? {
            0 => Err(not_found(&handle)),
            n => {
                writeln!(out, "lifted {n} ban(s) on {handle}")?;
                Ok(())
            }
        }
    }

    /// `bans`: id, name, address, expiry, reason.
    pub fn bans(&mut self, out: &mut dyn Write) -> Result<(), UeditError> {
        for (id, name, address, expires, reason, _) in self.store.list_bans()? {
            let expires = expires.map_or("never".to_string(), timefmt::utc);
            writeln!(
                out,
                "{id}\t{name}\t{}\t{expires}\t{reason}",
                address.as_deref().unwrap_or("-")
            )?;
        }
        Ok(())
    }

    /// `passwd NAME`: the new password is always stored hashed.
    pub fn passwd(
        &mut self,
        name: &str,
        passwords: &mut dyn PasswordSource,
        out: &mut dyn Write,
    ) -> Result<(), UeditError> {
        let user = self.existing_user(name)?;
        let plain = passwords.new_password(&user.handle)?;
        let stored = auth::hash_password(&plain, &self.hash).map_err(hash_failed)?;
        self.store.set_password(user.id, &stored)?;
        // The id is stable, but the account may have been deleted meanwhile.
        if self.store.user(&user.handle)?.map(|u| u.id) != Some(user.id) {
            return Err(not_found(&user.handle));
        }
        writeln!(out, "changed the password of {}", user.handle)?;
        Ok(())
    }

    /// `perms NAME [--set W] [--role R]... [--grant P]... [--revoke P]...`:
    /// shows the permissions, after changing them if asked.
    pub fn perms(&mut self, args: &PermsArgs, out: &mut dyn Write) -> Result<(), UeditError> {
        let change = PermChange {
            set: args
                .set
                .as_deref()
                .map(parse_word)
                .transpose()
                .map_err(UeditError::BadInput)?,
            roles: args.roles.clone(),
            grant: parse_perms(&args.grant)?,
            revoke: parse_perms(&args.revoke)?,
        };
        change.validate()?;
        let user = self.existing_user(&args.name)?;
        if change.is_empty() {
            report::permissions(out, &user.handle, user.permissions, self.format)?;
            return Ok(());
        }
        let word = change.apply(user.permissions);
        if !self.store.set_permissions(&user.handle, word)? {
            return Err(not_found(&user.handle));
        }
        let applied = match signal_running_ggzd(&self.data_dir) {
            Some(pid) => format!("ggzd (pid {pid}) applies it to players online now"),
            None => "effective at the player's next login".to_string(),
        };
        if self.format == Format::Text {
            writeln!(
                out,
                "changed the permissions of {}: {} -> {} ({applied})",
                user.handle,
                hex(user.permissions),
                hex(word)
            )?;
        }
        report::permissions(out, &user.handle, word, self.format)?;
        Ok(())
    }

    /// `set NAME [--email E] [--realname R] [--confirm | --unconfirm]`.
    pub fn set(&mut self, args: &SetArgs, out: &mut dyn Write) -> Result<(), UeditError> {
        let confirmed = match (args.confirm, args.unconfirm) {
            (true, false) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
            (true, true) => {
                return Err(UeditError::Usage(
                    "--confirm and --unconfirm contradict each other".into(),
                ));
            }
        };
        if args.email.is_none() && args.real_name.is_none() && confirmed.is_none() {
            return Err(UeditError::Usage(
                "nothing to set: give --email, --realname, --confirm or --unconfirm".into(),
            ));
        }
        if let Some(email) = &args.email {
            check_info("email", email)?;
        }
        if let Some(real_name) = &args.real_name {
            check_info("real name", real_name)?;
        }
        let handle = canonical_name(&args.name);
        let mut changed = Vec::new();
        let mut found = true;
        if let Some(email) = &args.email {
            found &= self.store.set_email(&handle, email)?;
            changed.push("email");
        }
        if let Some(real_name) = &args.real_name {
            found &= self.store.set_real_name(&handle, real_name)?;
            changed.push("real name");
        }
        if let Some(confirmed) = confirmed {
            found &= self.store.set_confirmed(&handle, confirmed)?;
            changed.push(if confirmed {
                "confirmed"
            } else {
                "unconfirmed"
            });
        }
        if !found {
            return Err(not_found(&handle));
        }
        writeln!(out, "updated {handle}: {}", changed.join(", "))?;
        Ok(())
    }

    /// `stats NAME [--game G] [--reset]`. Statistics are kept by name, so
    /// guests have some too; a name with neither an account nor rows is
    /// not found.
    pub fn stats(&mut self, args: &StatsArgs, out: &mut dyn Write) -> Result<(), UeditError> {
        let handle = canonical_name(&args.name);
        let has_account = self.store.user_exists(&handle)?;
        let rows = self.store.stats_for_player(&handle)?;
        let rows: Vec<GameStats> = rows
            .into_iter()
            .filter(|(game, _)| args.game.as_ref().is_none_or(|g| g == game))
            .map(|(game, stats)| GameStats {
                game,
                stats,
                stored: true,
            })
            .collect();
        if !has_account && rows.is_empty() {
            return Err(UeditError::NotFound(format!(
                "no user '{handle}' and no statistics under that name"
            )));
        }
        if args.reset {
            let removed = self.store.reset_stats(&handle, args.game.as_deref())?;
            let scope = match &args.game {
                Some(game) => format!("for {game}"),
                None => "for all games".to_owned(),
            };
            writeln!(
                out,
                "reset the statistics of {handle} {scope} ({removed} row{})",
                if removed == 1 { "" } else { "s" }
            )?;
            return Ok(());
        }
        let rows = match (&args.game, rows.is_empty()) {
            (Some(game), true) => vec![GameStats {
                game: game.clone(),
                stats: self.store.player_stats(&handle, game)?,
                stored: false,
            }],
            _ => rows,
        };
        report::stats(out, &handle, &rows, self.format)?;
        Ok(())
    }
}

fn parse_perms(names: &[String]) -> Result<Vec<ggzd::zone::perms::Perm>, UeditError> {
    names
        .iter()
        .flat_map(|list| list.split(','))
        .filter(|name| !name.trim().is_empty())
        .map(|name| parse_perm(name).map_err(UeditError::BadInput))
        .collect()
}

/// Asks the ggzd running on this data directory (its pid file) to re-read
/// permissions, with SIGHUP; the pid it signalled, if any.
fn signal_running_ggzd(data_dir: &std::path::Path) -> Option<i32> {
    let text = std::fs::read_to_string(data_dir.join("ggzd.pid")).ok()?;
    let pid: i32 = text.trim().parse().ok()?;
    // A stale file may name a pid the system reused: only signal a ggzd.
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    if pid <= 0 || comm.trim() != "ggzd" {
        return None;
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGHUP,
    )
    .ok()
    .map(|()| pid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uedit::perms::Role;
    use ggzd::store::{GameResult, Participant, ParticipantKind, StatsFlags};

    /// Hands out fixed passwords and remembers who asked.
    struct Fixed(Vec<String>);

    impl PasswordSource for Fixed {
        fn new_password(&mut self, handle: &str) -> Result<String, UeditError> {
            self.0.push(handle.to_owned());
            Ok("s3cret".into())
        }
    }

    fn cheap() -> HashParams {
        HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn editor(format: Format) -> Editor {
        Editor {
            store: Store::open_in_memory().unwrap(),
            hash: cheap(),
            username: UsernamePolicy::default(),
            format,
            data_dir: std::path::PathBuf::from("/nonexistent/ggzd-data"),
        }
    }

    fn add_args(name: &str) -> AddArgs {
        AddArgs {
            name: name.into(),
            email: String::new(),
            real_name: String::new(),
            password_stdin: true,
            no_password: false,
            roles: Vec::new(),
            perms: None,
            unconfirmed: false,
        }
    }

    fn run<T>(
        f: impl FnOnce(&mut dyn Write) -> Result<T, UeditError>,
    ) -> (Result<T, UeditError>, String) {
        let mut buf = Vec::new();
        let result = f(&mut buf);
        (result, String::from_utf8(buf).unwrap())
    }

    #[test]
    fn add_hashes_checks_names_and_refuses_duplicates() {
        let mut ed = editor(Format::Text);
        let mut pw = Fixed(Vec::new());
        let mut args = add_args("Alice");
        args.email = "a@example.org".into();
        args.roles = vec![Role::Host];
        let (r, text) = run(|out| ed.add(&args, &mut pw, 1000, out));
        r.unwrap();
        assert_eq!(text, "added alice (id 1): 0x00000187 host\n");
        assert_eq!(pw.0, vec!["alice"]);
        let user = ed.store.user("alice").unwrap().unwrap();
        assert!(user.password.starts_with("$argon2id$"));
        assert_eq!(
            auth::verify_password(&user.password, "s3cret", &cheap()),
            auth::Verdict::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            (user.permissions, user.email.as_str()),
            (0x187, "a@example.org")
        );
        assert!(user.confirmed);

        // Duplicate (any case): refused before the password is asked.
        let (r, _) = run(|out| ed.add(&add_args("ALICE"), &mut pw, 1000, out));
        assert!(matches!(r, Err(UeditError::AlreadyExists(_))));
        assert_eq!(pw.0.len(), 1);

        for bad in ["has space", "17_characters_xyz", "<none>", "per%cent", ""] {
            let (r, _) = run(|out| ed.add(&add_args(bad), &mut pw, 1000, out));
            assert!(matches!(r, Err(UeditError::BadInput(_))), "{bad}");
        }
        let mut long_name = add_args("bob");
        long_name.real_name = "x".repeat(33);
        let (r, _) = run(|out| ed.add(&long_name, &mut pw, 1000, out));
        assert!(matches!(r, Err(UeditError::BadInput(_))));
        assert_eq!(pw.0.len(), 1);
    }

    #[test]
    fn add_without_password_or_with_exact_word() {
        let mut ed = editor(Format::Text);
        let mut pw = Fixed(Vec::new());
        let mut bot = add_args("robot");
        bot.no_password = true;
        bot.roles = vec![Role::Registered, Role::Chatbot];
        bot.unconfirmed = true;
        run(|out| ed.add(&bot, &mut pw, 5, out)).0.unwrap();
        let user = ed.store.user("robot").unwrap().unwrap();
        assert_eq!((user.password.as_str(), user.permissions), ("", 0x027));
        assert!(!user.confirmed);
        assert!(pw.0.is_empty());

        let mut exact = add_args("exact");
        exact.perms = Some("0x103".into());
        run(|out| ed.add(&exact, &mut pw, 5, out)).0.unwrap();
        assert_eq!(ed.store.user("exact").unwrap().unwrap().permissions, 0x103);
        exact.name = "exact2".into();
        exact.perms = Some("0x400".into());
        let (r, _) = run(|out| ed.add(&exact, &mut pw, 5, out));
        assert!(matches!(r, Err(UeditError::BadInput(_))));
    }

    #[test]
    fn show_list_delete_and_not_found() {
        let mut ed = editor(Format::Json);
        let mut pw = Fixed(Vec::new());
        for name in ["alice", "albert", "bob"] {
            run(|out| ed.add(&add_args(name), &mut pw, 5, out))
                .0
                .unwrap();
        }
        let (r, text) = run(|out| ed.list(Some("AL*"), out));
        r.unwrap();
        assert!(
            text.contains("\"alice\"") && text.contains("\"albert\""),
            "{text}"
        );
        assert!(!text.contains("\"bob\""));
        let (r, text) = run(|out| ed.show("Bob", out));
        r.unwrap();
        assert!(text.contains("\"password\":\"$argon2id$"), "{text}");
        assert!(matches!(
            run(|out| ed.show("carol", out)).0,
            Err(UeditError::NotFound(_))
        ));

        let (r, text) = run(|out| ed.delete("BOB", out));
        r.unwrap();
        assert_eq!(text, "deleted bob\n");
        assert!(matches!(
            run(|out| ed.delete("bob", out)).0,
            Err(UeditError::NotFound(_))
        ));
    }

    #[test]
    fn passwd_stores_a_hash() {
        let mut ed = editor(Format::Text);
        let mut pw = Fixed(Vec::new());
        let mut bot = add_args("robot");
        bot.no_password = true;
        run(|out| ed.add(&bot, &mut pw, 5, out)).0.unwrap();
        let (r, text) = run(|out| ed.passwd("Robot", &mut pw, out));
        r.unwrap();
        assert_eq!(text, "changed the password of robot\n");
        let stored = ed.store.user("robot").unwrap().unwrap().password;
        assert!(stored.starts_with("$argon2id$"), "never stored as typed");
        assert!(matches!(
            run(|out| ed.passwd("nobody", &mut pw, out)).0,
            Err(UeditError::NotFound(_))
        ));
        assert_eq!(pw.0, vec!["robot"], "no prompt for a missing user");
    }

    fn perms_args(name: &str) -> PermsArgs {
        PermsArgs {
            name: name.into(),
            set: None,
            roles: Vec::new(),
            grant: Vec::new(),
            revoke: Vec::new(),
        }
    }

    #[test]
    fn perms_show_and_change() {
        let mut ed = editor(Format::Text);
        run(|out| ed.add(&add_args("bob"), &mut Fixed(Vec::new()), 5, out))
            .0
            .unwrap();
        let (r, text) = run(|out| ed.perms(&perms_args("bob"), out));
        r.unwrap();
        assert!(text.starts_with("bob: 0x00000007  type normal  roles registered\n"));

        let mut grant = perms_args("bob");
        grant.grant = vec!["edit_tables,edit_privmsg".into()];
        grant.revoke = vec!["rooms_login".into()];
        let (r, text) = run(|out| ed.perms(&grant, out));
        r.unwrap();
        assert!(
            text.starts_with("changed the permissions of bob: 0x00000007 -> 0x00000183"),
            "{text}"
        );
        assert_eq!(ed.store.user("bob").unwrap().unwrap().permissions, 0x183);

        let mut role = perms_args("BOB");
        role.roles = vec![Role::Admin];
        run(|out| ed.perms(&role, out)).0.unwrap();
        assert_eq!(ed.store.user("bob").unwrap().unwrap().permissions, 0x19F);

        let mut bad = perms_args("bob");
        bad.grant = vec!["fly".into()];
        assert!(matches!(
            run(|out| ed.perms(&bad, out)).0,
            Err(UeditError::BadInput(_))
        ));
        let mut both = perms_args("bob");
        both.grant = vec!["no_stats".into()];
        both.revoke = vec!["no_stats".into()];
        assert!(matches!(
            run(|out| ed.perms(&both, out)).0,
            Err(UeditError::Usage(_))
        ));
        assert!(matches!(
            run(|out| ed.perms(&perms_args("nobody"), out)).0,
            Err(UeditError::NotFound(_))
        ));
    }

    #[test]
    fn set_changes_profile_fields() {
        let mut ed = editor(Format::Text);
        run(|out| ed.add(&add_args("bob"), &mut Fixed(Vec::new()), 5, out))
            .0
            .unwrap();
        let mut args = SetArgs {
            name: "Bob".into(),
            email: Some("b@example.org".into()),
            real_name: Some("Bob B.".into()),
            confirm: false,
            unconfirm: true,
        };
        let (r, text) = run(|out| ed.set(&args, out));
        r.unwrap();
        assert_eq!(text, "updated bob: email, real name, unconfirmed\n");
        let user = ed.store.user("bob").unwrap().unwrap();
        assert_eq!(
            (user.email.as_str(), user.real_name.as_str()),
            ("b@example.org", "Bob B.")
        );
        assert!(!user.confirmed);

        args.real_name = Some("tab\there".into());
        assert!(matches!(
            run(|out| ed.set(&args, out)).0,
            Err(UeditError::BadInput(_))
        ));
        let nothing = SetArgs {
            name: "bob".into(),
            email: None,
            real_name: None,
            confirm: false,
            unconfirm: false,
        };
        assert!(matches!(
            run(|out| ed.set(&nothing, out)).0,
            Err(UeditError::Usage(_))
        ));
        let missing = SetArgs {
            name: "nobody".into(),
            confirm: true,
            ..nothing
        };
        assert!(matches!(
            run(|out| ed.set(&missing, out)).0,
            Err(UeditError::NotFound(_))
        ));
    }

    #[test]
    fn stats_show_and_reset() {
        let mut ed = editor(Format::Text);
        run(|out| ed.add(&add_args("alice"), &mut Fixed(Vec::new()), 5, out))
            .0
            .unwrap();
        let player = |name: &str, result| Participant {
            name: name.into(),
            seat_type: ParticipantKind::Player,
            team: -1,
            result,
            score: 0,
            registered: false,
        };
        let flags = StatsFlags {
            records: true,
            ratings: true,
            highscores: false,
        };
        ed.store
            .apply_game_report(
                "Chess",
                flags,
                &[
                    player("alice", GameResult::Win),
                    player("guest1", GameResult::Loss),
                ],
                "",
                9,
            )
            .unwrap();
        let args = |name: &str, game: Option<&str>, reset| StatsArgs {
            name: name.into(),
            game: game.map(str::to_owned),
            reset,
        };
        let (r, text) = run(|out| ed.stats(&args("alice", None, false), out));
        r.unwrap();
        assert!(text.lines().nth(1).unwrap().starts_with("Chess"), "{text}");
        // Guests have rows without an account.
        run(|out| ed.stats(&args("guest1", None, false), out))
            .0
            .unwrap();
        // An unplayed game of a known player shows the defaults.
        let (r, text) = run(|out| ed.stats(&args("alice", Some("Go"), false), out));
        r.unwrap();
        assert!(
            text.contains("1500") && text.contains("(no games yet)"),
            "{text}"
        );
        assert!(matches!(
            run(|out| ed.stats(&args("nobody", None, false), out)).0,
            Err(UeditError::NotFound(_))
        ));

        let (r, text) = run(|out| ed.stats(&args("alice", Some("Chess"), true), out));
        r.unwrap();
        assert_eq!(text, "reset the statistics of alice for Chess (1 row)\n");
        assert!(ed.store.stats_for_player("alice").unwrap().is_empty());
        let (r, text) = run(|out| ed.stats(&args("alice", None, false), out));
        r.unwrap();
        assert_eq!(text, "alice has no statistics\n");
    }
}

//! Starting a game server with `posix_spawn` instead of fork + exec.
//!
//! Why: `fork` copies ggzd's page tables and turns every writable page
//! copy-on-write, so after each launch ggzd takes a page fault on every
//! page it writes again. At hundreds of launches per second (matchmaking
//! rounds, table churn) that was about a third of ggzd's CPU
//! (BENCHMARKS.md, "Matchmaking queue"). glibc's `posix_spawn` runs the
//! child on the parent's address space (`CLONE_VM | CLONE_VFORK`) until
//! it execs, so nothing is copied and nothing faults afterwards.
//!
//! The child gets exactly what the fork path gives it (`tables.rs`): the
//! control socket on fd 3, nothing above it, stdin from `/dev/null`, its
//! own process group, the environment with the given changes, the working
//! directory, and SIGPIPE ignored. What `posix_spawn` cannot do is
//! `setrlimit`, so a game with resource limits, or a ggzd whose SIGPIPE
//! is not ignored (a child inherits only an ignored disposition), keeps
//! the fork path: `usable` says which.

use std::ffi::{CString, OsStr};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::unistd::Pid;

/// What to start.
pub struct Request<'a> {
    pub argv: &'a [String],
    /// Variables to set (they replace inherited ones of the same name).
    pub set: &'a [(&'a str, String)],
    /// Variables not to pass on.
    pub remove: &'a [&'a str],
    pub cwd: Option<&'a Path>,
    /// Becomes fd 3 of the child.
    pub control: RawFd,
}

/// Whether `spawn` gives the child everything the fork path would: no
/// resource limits to set, and SIGPIPE ignored in ggzd (so inherited).
pub fn usable(limits: &crate::game_limits::GameLimits) -> bool {
    *limits == crate::game_limits::GameLimits::default() && sigpipe_ignored()
}

fn sigpipe_ignored() -> bool {
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only reads the current one into `old`.
    let done = unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), old.as_mut_ptr()) };
    // SAFETY: sigaction filled `old` when it returned 0.
    done == 0 && unsafe { old.assume_init() }.sa_sigaction == libc::SIG_IGN
}

fn cstring(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in argument"))
}

/// The environment for the child: ggzd's own, less `remove` and the names
/// in `set`, plus `set`.
fn environment(req: &Request) -> io::Result<Vec<CString>> {
    let mut env = Vec::new();
    for (name, value) in std::env::vars_os() {
        let skip = req.remove.iter().any(|r| OsStr::new(r) == name)
            || req.set.iter().any(|(s, _)| OsStr::new(s) == name);
        if skip {
            continue;
        }
        let mut entry = name.as_bytes().to_vec();
        entry.push(b'=');
        entry.extend_from_slice(value.as_bytes());
        env.push(cstring(&entry)?);
    }
    for (name, value) in req.set {
        env.push(cstring(format!("{name}={value}").as_bytes())?);
    }
    Ok(env)
}

fn check(code: libc::c_int) -> io::Result<()> {
    if code == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(code))
    }
}

/// `posix_spawn_file_actions_t` and `posix_spawnattr_t`, destroyed on drop.
struct Actions(MaybeUninit<libc::posix_spawn_file_actions_t>);
struct Attr(MaybeUninit<libc::posix_spawnattr_t>);

impl Drop for Actions {
    fn drop(&mut self) {
        // SAFETY: only built through a successful init.
        unsafe { libc::posix_spawn_file_actions_destroy(self.0.as_mut_ptr()) };
    }
}

impl Drop for Attr {
    fn drop(&mut self) {
        // SAFETY: only built through a successful init.
        unsafe { libc::posix_spawnattr_destroy(self.0.as_mut_ptr()) };
    }
}

/// Starts the program; an exec failure (no such file, not executable)
/// comes back as the error, as from `std::process::Command::spawn`.
pub fn spawn(req: &Request) -> io::Result<Pid> {
    let Some(program) = req.argv.first() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no program"));
    };
    let program = cstring(program.as_bytes())?;
    let args = req
        .argv
        .iter()
        .map(|a| cstring(a.as_bytes()))
        .collect::<io::Result<Vec<_>>>()?;
    let env = environment(req)?;
    let cwd = req
        .cwd
        .map(|c| cstring(c.as_os_str().as_bytes()))
        .transpose()?;
    let devnull = c"/dev/null";

    let mut argv: Vec<*mut libc::c_char> = args.iter().map(|a| a.as_ptr().cast_mut()).collect();
    argv.push(std::ptr::null_mut());
    let mut envp: Vec<*mut libc::c_char> = env.iter().map(|e| e.as_ptr().cast_mut()).collect();
    envp.push(std::ptr::null_mut());

    // SAFETY: each libc call gets pointers to live, initialised values:
    // the actions and attributes are initialised before use and destroyed
    // by their guards; every string outlives the posix_spawn call.
    unsafe {
        let mut actions = MaybeUninit::uninit();
        check(libc::posix_spawn_file_actions_init(actions.as_mut_ptr()))?;
        let mut actions = Actions(actions);
        let a = actions.0.as_mut_ptr();
        // fd 3 first, so a control socket that happens to be 0 is safe
        // from the /dev/null below. Source and target equal: glibc clears
        // close-on-exec, as the fork path's fcntl does.
        check(libc::posix_spawn_file_actions_adddup2(
            a,
            req.control,
            ggzdmod::GGZSOCKET_FD,
        ))?;
        // Nothing above fd 3 crosses into the game server, not even
        // descriptors ggzd itself inherited without close-on-exec.
        check(libc::posix_spawn_file_actions_addclosefrom_np(
            a,
            ggzdmod::GGZSOCKET_FD + 1,
        ))?;
        check(libc::posix_spawn_file_actions_addopen(
            a,
            0,
            devnull.as_ptr(),
            libc::O_RDONLY,
            0,
        ))?;
        if let Some(cwd) = &cwd {
            check(libc::posix_spawn_file_actions_addchdir_np(a, cwd.as_ptr()))?;
        }

        let mut attr = MaybeUninit::uninit();
        check(libc::posix_spawnattr_init(attr.as_mut_ptr()))?;
        let mut attr = Attr(attr);
        let t = attr.0.as_mut_ptr();
        check(libc::posix_spawnattr_setflags(
            t,
            libc::POSIX_SPAWN_SETPGROUP as libc::c_short,
        ))?;
        check(libc::posix_spawnattr_setpgroup(t, 0))?;

        let mut pid: libc::pid_t = 0;
        check(libc::posix_spawn(
            &mut pid,
            program.as_ptr(),
            a,
            t,
            argv.as_ptr(),
            envp.as_ptr(),
        ))?;
        Ok(Pid::from_raw(pid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::temp_dir;
    use nix::sys::wait::{WaitStatus, waitpid};
    use std::os::fd::AsRawFd;

    fn wait(pid: Pid) -> i32 {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => code,
            other => panic!("child ended with {other:?}"),
        }
    }

    #[test]
    fn the_child_gets_fd_3_its_group_the_environment_and_the_directory() {
        let dir = temp_dir("spawn");
        let out = dir.join("out");
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        // A descriptor without close-on-exec must not cross over either.
        let stray = std::fs::File::open("/dev/null").unwrap();
        let stray_fd = stray.as_raw_fd();
        // SAFETY: clears a flag on a descriptor we own.
        unsafe { libc::fcntl(stray_fd, libc::F_SETFD, 0) };
        let script = format!(
            "exec >{out}; \
             [ -e /proc/self/fd/3 ] && echo fd3; \
             [ -e /proc/self/fd/{stray_fd} ] && echo stray; \
             readlink /proc/self/fd/0; \
             echo \"pgid=$(cut -d' ' -f5 /proc/$$/stat) pid=$$\"; \
             echo \"set=$SPAWN_SET gone=${{SPAWN_GONE-unset}}\"; \
             pwd; \
             grep SigIgn /proc/self/status; \
             echo ok >&3",
            out = out.display()
        );
        // SAFETY: only the test's own thread changes these.
        unsafe {
            std::env::set_var("SPAWN_GONE", "x");
            std::env::set_var("SPAWN_SET", "old");
        }
        let argv = ["/bin/sh".to_string(), "-c".into(), script];
        let pid = spawn(&Request {
            argv: &argv,
            set: &[("SPAWN_SET", "new".into())],
            remove: &["SPAWN_GONE"],
            cwd: Some(&dir),
            control: theirs.as_raw_fd(),
        })
        .unwrap();
        assert_eq!(wait(pid), 0);
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "fd3", "{text}");
        assert_eq!(lines[1], "/dev/null", "{text}");
        assert_eq!(lines[2], format!("pgid={pid} pid={pid}"));
        assert_eq!(lines[3], "set=new gone=unset");
        assert_eq!(Path::new(lines[4]), dir.canonicalize().unwrap());
        // SIGPIPE (13) is bit 12 of the ignored set: ignored in the test
        // process too, as in ggzd.
        let ignored = u64::from_str_radix(lines[5].trim_start_matches("SigIgn:").trim(), 16);
        assert_eq!(ignored.map(|m| m & (1 << 12) != 0), Ok(sigpipe_ignored()));
        let mut buf = [0u8; 3];
        std::io::Read::read_exact(&mut &ours, &mut buf).unwrap();
        assert_eq!(&buf, b"ok\n");
        drop(stray);
    }

    #[test]
    fn a_missing_program_is_an_error_at_once() {
        let (_ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let argv = ["/nonexistent/ggzd-game".to_string()];
        let err = spawn(&Request {
            argv: &argv,
            set: &[],
            remove: &[],
            cwd: None,
            control: theirs.as_raw_fd(),
        })
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn limits_keep_the_fork_path() {
        let limited = crate::game_limits::GameLimits {
            cpu_seconds: Some(5),
            ..Default::default()
        };
        assert!(!usable(&limited));
        assert_eq!(
            usable(&crate::game_limits::GameLimits::default()),
            sigpipe_ignored()
        );
    }
}

//! Finding and ending the processes a browser test started.

use std::path::Path;
use std::process::Child;

/// Kills the driver's process group, then any process still naming our
/// private profile directory on its command line (a browser helper that
/// left the group), and reaps the driver.
pub(super) fn kill_group(driver: &mut Child, profile: &Path) {
    let pgid = driver.id() as i32;
    // SAFETY: signals to the group we created for this driver.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
    let _ = driver.kill();
    let _ = driver.wait();
    let needle = profile.display().to_string();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmdline).contains(&needle) {
            // SAFETY: a browser process started for this test (its command
            // line names our private profile directory).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// Live (not zombie) processes of process group `pgid`.
pub(super) fn live_in_group(pgid: i32) -> Vec<i32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<i32>().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // "pid (comm) state ppid pgrp ...": comm may hold anything, so
            // the fields are counted from its closing parenthesis.
            let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
            let state = fields.next()?;
            let group = fields.nth(1)?.parse::<i32>().ok()?;
            (group == pgid && state != "Z" && state != "X").then_some(pid)
        })
        .collect()
}

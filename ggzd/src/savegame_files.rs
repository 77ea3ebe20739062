//! Retention of savegame files in a game's working directory
//! (`<data_dir>/gamedata/<Name>`; docs/game-servers.md, "Savegames").
//! Runs on a worker thread after a table that reported a savegame ends.
//! Only regular files directly in that directory are considered, never
//! subdirectories or symlinks, and never a file a live table reported.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// Which files go: beyond the `keep` newest (0 = no count limit), or older
/// than `max_age` (`None` = no age limit). `files` are (name, modified).
pub fn choose(
    mut files: Vec<(String, SystemTime)>,
    keep: usize,
    max_age: Option<Duration>,
    now: SystemTime,
    protect: &[String],
) -> Vec<String> {
    files.retain(|(name, _)| !protect.iter().any(|p| p == name));
    // Newest first; ties broken by name so the choice is stable.
    files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    files
        .into_iter()
        .enumerate()
        .filter(|(rank, (_, modified))| {
            let too_many = keep != 0 && *rank >= keep;
            let too_old = max_age.is_some_and(|age| {
                now.duration_since(*modified)
                    .is_ok_and(|elapsed| elapsed > age)
            });
            too_many || too_old
        })
        .map(|(_, (name, _))| name)
        .collect()
}

/// Applies the retention to `dir`. `protect` holds reported savegame
/// names of live tables (only their last path component matters). Returns
/// how many files were removed.
pub fn prune(dir: &Path, keep: u32, max_age_days: u32, protect: &[String]) -> usize {
    if keep == 0 && max_age_days == 0 {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let (Some(name), true) = (
            entry.file_name().to_str().map(str::to_string),
            meta.is_file(),
        ) else {
            continue;
        };
        files.push((name, meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)));
    }
    let protect: Vec<String> = protect
        .iter()
        .filter_map(|p| Path::new(p).file_name()?.to_str().map(str::to_string))
        .collect();
    let max_age = (max_age_days > 0).then(|| Duration::from_secs(u64::from(max_age_days) * 86_400));
    let doomed = choose(files, keep as usize, max_age, SystemTime::now(), &protect);
    let mut removed = 0;
    for name in doomed {
        match std::fs::remove_file(dir.join(&name)) {
            Ok(()) => removed += 1,
            Err(e) => {
                log::warn!(target: "tables", "cannot remove old savegame {}: {e}", dir.join(&name).display())
            }
        }
    }
    if removed > 0 {
        log::info!(target: "tables", "{}: {removed} old savegame files removed", dir.display());
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_and_the_young_and_the_protected() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |secs_ago: u64| now - Duration::from_secs(secs_ago);
        let files = vec![
            ("a".to_string(), at(10)),
            ("b".to_string(), at(20)),
            ("c".to_string(), at(30)),
            ("d".to_string(), at(40)),
            ("old".to_string(), at(500_000)),
        ];
        let mut gone = choose(files.clone(), 2, None, now, &["c".to_string()]);
        gone.sort();
        assert_eq!(gone, vec!["d", "old"]);
        let gone = choose(files.clone(), 0, Some(Duration::from_secs(100)), now, &[]);
        assert_eq!(gone, vec!["old"]);
        assert!(choose(files, 0, None, now, &[]).is_empty());
    }

    #[test]
    fn prunes_only_plain_files_of_the_directory() {
        let dir = std::env::temp_dir().join(format!("ggzd-savegames-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
        for name in ["s1", "s2", "s3"] {
            std::fs::write(dir.join(name), name).expect("write");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::fs::write(dir.join("sub/inner"), "x").expect("write");
        assert_eq!(prune(&dir, 1, 0, &["gamedata/x/s1".to_string()]), 1);
        assert!(dir.join("s1").exists() && dir.join("s3").exists());
        assert!(!dir.join("s2").exists());
        assert!(dir.join("sub/inner").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
